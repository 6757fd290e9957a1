package reports

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/originproof/originproof/capacity"
	"github.com/originproof/originproof/loadgen"
)

// capacityResult is a capacity run as capacity.json holds it: handshakes
// with and without a certificate (the knee found for both), requests with
// a generator-limited search, and hostile names from the command line.
func capacityResult() *capacity.Result {
	step := func(offered, p99 float64, ok, gen bool) capacity.Step {
		st := capacity.Step{Offered: offered, Phase: "up", DurationS: 2, Requests: int64(offered * 2), Success: int64(offered * 2), Achieved: offered,
			P50: p99 / 3, P99: p99, P999: p99 * 1.2, HandshakeP50: p99 / 4, HandshakeP99: p99 / 2, WithinSLO: ok, GeneratorLimited: gen,
			ErrorsByClass: map[loadgen.ErrorClass]int64{}}
		if !ok && !gen {
			st.Broke = []string{"p99 900.0 ms > 250ms"}
			st.Errors, st.ErrorsByClass["timeout"] = 3, 3
		}
		return st
	}
	cpu := func(f float64) *float64 { return &f }
	r := &capacity.Result{
		SchemaVersion: 1, Tool: "originproof", Version: "test", Target: "https://origin.test:8443/<b>x</b>", ServerName: "origin.test",
		SLO: capacity.DefaultSLO, SLOText: capacity.DefaultSLO.String(), Search: capacity.DefaultSearch,
		Started: time.Unix(1700000000, 0), Finished: time.Unix(1700000300, 0), OriginPID: 4242,
		Machine: loadgen.Machine{Hostname: "ci", OS: "linux", Arch: "amd64", CPUs: 2, GoVersion: "go1.26"},
		Workloads: []capacity.Entry{
			{Workload: capacity.Handshakes, Unit: "full handshakes/s", Identity: "chain.valid", KeyType: "ecdsa-p256", KneeRate: 140, FirstBad: 160, LimitedBy: capacity.LimitedByOrigin, OriginCPUPerHandshake: cpu(310),
				Steps: []capacity.Step{step(20, 3, true, false), step(40, 4, true, false), step(80, 5, true, false), step(160, 900, false, false), step(120, 6, true, false), step(140, 8, true, false)}},
			{Workload: capacity.Handshakes, Unit: "full handshakes/s", Identity: "none", KneeRate: 160, LimitedBy: capacity.LimitedByOrigin, OriginCPUPerHandshake: cpu(190),
				Steps: []capacity.Step{step(20, 2, true, false), step(40, 3, true, false), step(80, 4, true, false), step(160, 5, true, false), step(320, 1200, false, false)}},
			{Workload: capacity.Requests, Unit: "requests/s", Identity: `chain.valid"><script>window.__xss=1</script>`, KeyType: "ecdsa-p256", KneeRate: 640, LimitedBy: capacity.LimitedByGenerator,
				Steps: []capacity.Step{step(20, 1, true, false), step(640, 2, true, false), step(1280, 40, false, true)}},
		},
	}
	r.Summarize()
	return r
}

func TestCapacityPage(t *testing.T) {
	var buf bytes.Buffer
	if err := RenderCapacity(&buf, capacityResult(), time.Unix(1700000400, 0)); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, want := range []string{
		"mTLS (chain.valid, ecdsa-p256) costs this origin 13 % of its new-connection capacity: 160 → 140 full handshakes/s at p99 ≤ 250 ms.",
		`data-workload="handshakes"`, `data-workload="requests"`, "knee 140", "knee 160", "p99 ≤ 250 ms",
		"limited by <b>generator</b>", "generator_limited (send lag p99", "timeout: 3", "process 4242",
		"310 µs vs 190 µs per full handshake",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	for _, bad := range []string{"<script>", "<b>x</b>", "http://", "https://cdn", "src="} {
		if strings.Contains(page, bad) {
			t.Errorf("the page contains %q: input must be escaped and nothing may be fetched", bad)
		}
	}
	// Points: one per step; the knees are marked on both handshakes lines.
	if got, want := strings.Count(page, `class="point `), 14; got != want {
		t.Errorf("%d points drawn, want one per step (%d)", got, want)
	}
	if got := strings.Count(page, `class="knee"`); got != 3 {
		t.Errorf("%d knees marked, want 3", got)
	}
}

func TestCapacityPageInBrowser(t *testing.T) {
	browser := needChromium(t)
	dir := t.TempDir()
	r := capacityResult()
	if _, err := r.WriteFile(dir); err != nil {
		t.Fatal(err)
	}
	path, err := RenderCapacityDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	tb := openTab(t, browser, path)
	charts := eval[int](tb, `document.querySelectorAll(".chart svg").length`)
	series := eval[int](tb, `document.querySelectorAll(".chart g.series").length`)
	// Drawn: every series' line has a length on screen.
	drawn := eval[int](tb, `Array.from(document.querySelectorAll(".chart g.series path")).filter(p => p.getTotalLength() > 0 && p.getBoundingClientRect().width > 0).length`)
	text := eval[string](tb, `document.body.innerText`)
	xss := eval[string](tb, `String(window.__xss)`)
	saveArtifact(t, "capacity.png", run(tb, chromedp.FullScreenshot(100)))
	console, exceptions, requests := tb.seen()
	var problems []string
	for _, m := range console {
		if m.typ == "error" || m.typ == "warning" {
			problems = append(problems, "console "+m.typ+": "+m.text)
		}
	}
	for _, e := range exceptions {
		problems = append(problems, "exception "+e)
	}
	for _, u := range requests {
		problems = append(problems, "request "+u)
	}
	if len(problems) > 0 {
		t.Errorf("console errors or requests: %v", problems)
	}
	if charts != 2 || series != 3 || drawn != 3 {
		t.Errorf("%d charts, %d series, %d drawn; want 2 charts (one per workload) with 3 series, all drawn", charts, series, drawn)
	}
	if xss != "undefined" {
		t.Errorf("hostile markup executed: window.__xss = %s", xss)
	}
	if !strings.Contains(text, "costs this origin 13 % of its new-connection capacity") {
		t.Errorf("the finding is not on the page:\n%s", text)
	}
}

package reports

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/originproof/originproof/checks"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func render(t testing.TB, dirs ...string) []byte {
	t.Helper()
	var runs []*Run
	for _, d := range dirs {
		r, err := LoadRun(d)
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, r)
	}
	var buf bytes.Buffer
	if err := Render(&buf, runs, runStart.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// structure strips the inlined third-party assets, leaving what the
// template made (the golden file's subject).
func structure(html []byte) []byte {
	css, js, _ := assets()
	out := bytes.Replace(html, []byte(css), []byte("/* uPlot.min.css */"), 1)
	return bytes.Replace(out, []byte(js), []byte("/* uPlot.min.js */"), 1)
}

func TestGolden(t *testing.T) {
	// The report names runs by their directory: give them fixed names.
	tmp := t.TempDir()
	a, b := filepath.Join(tmp, "run-a"), filepath.Join(tmp, "run-b")
	for _, d := range []string{a, b} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeRun(t, a, 2000, 20*time.Second, false)
	writeRun(t, b, 1000, 10*time.Second, false)
	// The second run's server is not known: its findings list every
	// server's setting.
	sb := readSummary(t, b)
	sb.Server = nil
	if err := sb.WriteFile(filepath.Join(b, "summary.json")); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "report.golden.html", structure(render(t, a, b)))
}

func TestSelfContainedAndComplete(t *testing.T) {
	dir := t.TempDir()
	writeRun(t, dir, 500, 5*time.Second, false)
	html := string(render(t, dir))
	if m := regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?(https?:)?//`).FindString(html); m != "" {
		t.Errorf("the report references the network: %q", m)
	}
	for _, c := range checks.Catalogue {
		if !strings.Contains(html, `data-check="`+c.ID+`"`) {
			t.Errorf("matrix lacks %s", c.ID)
		}
	}
	for _, want := range []string{`<div class="banner fail">`, `<div class="v">FAIL</div>`, "Findings", "what this means / how to fix", "Origin server certificate", "19 days left", "Latency per phase", "Thresholds", "breached", "generator_limited"} {
		if !strings.Contains(html, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	// Failed musts come first in the findings.
	f := html[strings.Index(html, `<table class="findings">`):]
	f = f[:strings.Index(f, "</table>")]
	if first := regexp.MustCompile(`st-(\w+)`).FindStringSubmatch(f); first == nil || first[1] != "fail" {
		t.Errorf("first finding is %v, want a failed must", first)
	}
}

func TestMarkupFromTheOriginIsEscaped(t *testing.T) {
	dir := t.TempDir()
	writeRun(t, dir, 200, 2*time.Second, true)
	html := string(render(t, dir))
	if strings.Contains(html, "<script>window.__xss") || strings.Contains(html, `<img src=x`) {
		t.Fatal("origin-controlled markup reached the report unescaped")
	}
	if !strings.Contains(html, "&lt;script&gt;window.__xss=1&lt;/script&gt;") {
		t.Error("escaped markup not shown as text")
	}
}

func TestOneMillionRequestsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a million results")
	}
	dir := t.TempDir()
	writeRun(t, dir, 1_000_000, 30*time.Minute, false)
	start := time.Now()
	html := render(t, dir)
	took := time.Since(start)
	t.Logf("1,000,000 requests: rendered in %v, %d bytes", took.Round(time.Millisecond), len(html))
	if len(html) > 2<<20 {
		t.Errorf("report is %d bytes, want < 2 MiB", len(html))
	}
	// The 5 s budget is measured by BenchmarkRenderOneMillion (make bench),
	// not asserted here: timings on a shared CI machine are not a test.
}

func BenchmarkRenderOneMillion(b *testing.B) {
	dir := b.TempDir()
	writeRun(b, dir, 1_000_000, 30*time.Minute, false)
	b.ResetTimer()
	var size int
	for i := 0; i < b.N; i++ {
		size = len(render(b, dir))
	}
	b.ReportMetric(float64(size), "bytes/report")
}

// TestInBrowser opens a report in Debian's headless Chromium: no console
// errors, no request leaves the page, every chart drew, the matrix lists
// every check id, hostile strings do not execute. It saves a screenshot.
func TestInBrowser(t *testing.T) {
	browser := needChromium(t)
	a, b := t.TempDir(), t.TempDir()
	writeRun(t, a, 3000, 30*time.Second, true)
	writeRun(t, b, 3000, 30*time.Second, false)
	out := t.TempDir()
	if _, err := RenderDirs(out, a, b); err != nil {
		t.Fatal(err)
	}
	p := browse(t, browser, filepath.Join(out, "report.html"))
	checkDrawn(t, p, 12)
	// Every time-series chart of both runs shades the three phases.
	checkBands(t, p, 10, []string{"warm-up", "steady", "idle-gap-storm"})
	// The handshake chart draws the warm-up's full handshakes and the
	// storm's resumed ones; pop 1 alone has both too.
	hs := p.handshakes
	if !slices.Equal(hs.series, []string{"full", "resumed"}) || !hs.strokes["full"] || !hs.strokes["resumed"] {
		t.Errorf("handshake chart: series with values %v, drawn strokes %v; want full and resumed", hs.series, hs.strokes)
	}
	if !slices.Equal(hs.popSeries, []string{"full", "resumed"}) || hs.pops != 4 {
		t.Errorf("handshake chart for pop 1 of %d: series with values %v, want full and resumed", hs.pops, hs.popSeries)
	}
	if !slices.Equal(p.verdicts, []string{"FAIL", "FAIL"}) {
		t.Errorf("banner verdicts %q, want FAIL for both runs", p.verdicts)
	}
	if p.xss != "undefined" {
		t.Errorf("hostile markup executed: window.__xss = %v", p.xss)
	}
	if len(p.ids) != len(checks.Catalogue) {
		t.Errorf("matrix lists %d checks, want %d", len(p.ids), len(checks.Catalogue))
	}
}

// page is what the browser saw of a report.
type page struct {
	consoleErrors, requests []string
	charts, drawnCanvases   int
	xss                     string
	ids                     []string // check ids in the first run's matrix
	text                    string   // the page's visible text
	verdicts                []string // the verdict word of each run's banner
	// bands are the phase bands each time-series chart drew, with the
	// share of canvas pixels tinted down the middle of each band.
	bands []chartBands
	// handshakes is what the first run's handshake chart drew.
	handshakes handshakeChart
}

type chartBands struct {
	ID    string `json:"id"`
	Bands []struct {
		Name   string  `json:"name"`
		Tinted float64 `json:"tinted"`
	} `json:"bands"`
}

type handshakeChart struct {
	series, popSeries []string        // labels with a non-zero value: all pops, then pop 1
	strokes           map[string]bool // series whose stroke colour is on the canvas
	pops              int             // pops the selector offers
}

// checkDrawn: the page logged no error, asked for nothing off the page,
// and drew its charts, as many as want, each canvas with pixels.
func checkDrawn(t *testing.T, p page, want int) {
	t.Helper()
	if len(p.consoleErrors) > 0 {
		t.Errorf("console errors: %v", p.consoleErrors)
	}
	if len(p.requests) > 0 {
		t.Errorf("requests left the page: %v", p.requests)
	}
	if p.charts != want || p.drawnCanvases < want {
		t.Errorf("charts drawn %d (canvases with pixels %d), want %d", p.charts, p.drawnCanvases, want)
	}
}

// checkBands: n time-series charts each drew the phases as bands, the
// canvas tinted down the middle of each.
func checkBands(t *testing.T, p page, n int, phases []string) {
	t.Helper()
	if len(p.bands) != n {
		t.Errorf("%d time-series charts drawn, want %d", len(p.bands), n)
	}
	for _, c := range p.bands {
		var names []string
		for _, b := range c.Bands {
			names = append(names, b.Name)
			if b.Tinted < 0.8 {
				t.Errorf("%s: band %s tints %.0f%% of its middle column, want it shaded", c.ID, b.Name, 100*b.Tinted)
			}
		}
		if !slices.Equal(names, phases) {
			t.Errorf("%s: bands %v, want %v", c.ID, names, phases)
		}
	}
}

// browse opens report in headless Chromium, waits for the charts, and
// saves PNG screenshots of the whole page and of the first run's charts
// under the test's artifact directory.
func browse(t *testing.T, browser, report string) page {
	t.Helper()
	tb := openTab(t, browser, report)
	// The charts are drawn by the page's last script; wait until it has run.
	for i := 0; !eval[bool](tb, `document.readyState === "complete" && document.body.dataset.charts !== undefined`); i++ {
		if i > 100 {
			t.Fatal("the page never finished drawing its charts")
		}
		time.Sleep(50 * time.Millisecond)
	}
	charts := eval[int](tb, `Number(document.body.dataset.charts || 0)`)
	drawnCanvases := eval[int](tb, `Array.from(document.querySelectorAll(".chart canvas")).filter(c => {
			const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
			for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) return true;
			return false; }).length`)
	xss := eval[string](tb, `String(window.__xss)`)
	ids := eval[[]string](tb, `Array.from(document.querySelectorAll("#run0 tr[data-check]")).map(r => r.dataset.check)`)
	verdicts := eval[[]string](tb, `Array.from(document.querySelectorAll(".banner .v")).map(e => e.innerText.trim())`)
	text := eval[string](tb, `document.body.innerText`)
	bands := eval[[]chartBands](tb, `Array.from(document.querySelectorAll(".chart.timeseries")).filter(el => el.dataset.drawn).map(el => {
			const ctx = el.querySelector("canvas").getContext("2d");
			return { id: el.id, bands: JSON.parse(el.dataset.bands || "[]").map(b => {
				const x = Math.round((b.left + b.right) / 2);
				let tinted = 0;
				for (let k = 1; k < 20; k++) if (ctx.getImageData(x, Math.round(b.top + b.height * k / 20), 1, 1).data[3] > 0) tinted++;
				return { name: b.name, tinted: tinted / 19 };
			}) };
		})`)
	var hs handshakeChart
	seriesJS := `(() => { const el = document.getElementById("run0-handshakes"); return el ? JSON.parse(el.dataset.series || "[]") : []; })()`
	hs.series = eval[[]string](tb, seriesJS)
	// The stroke colours of the first two series (full, resumed).
	hs.strokes = eval[map[string]bool](tb, `(() => {
			const c = document.querySelector("#run0-handshakes canvas");
			if (!c) return {};
			const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
			const near = (i, rgb) => d[i + 3] > 200 && Math.abs(d[i] - rgb[0]) < 40 && Math.abs(d[i + 1] - rgb[1]) < 40 && Math.abs(d[i + 2] - rgb[2]) < 40;
			const out = { full: false, resumed: false };
			for (let i = 0; i < d.length; i += 4) {
				out.full = out.full || near(i, [43, 108, 176]);
				out.resumed = out.resumed || near(i, [192, 86, 33]);
			}
			return out;
		})()`)
	// Pick pop 1 in the selector: the charts redraw with its series.
	hs.pops = eval[int](tb, `(() => {
			const sel = document.getElementById("run0-pop");
			if (!sel) return 0;
			sel.value = "1";
			sel.dispatchEvent(new Event("change"));
			return sel.options.length - 1;
		})()`)
	hs.popSeries = eval[[]string](tb, seriesJS)
	// Screenshots (PNG): the whole page, and the first run's charts at
	// full size; then its connection charts (handshakes per second,
	// connections opened and open) as redrawn for pop 1.
	saveArtifact(t, "report.png", run(tb, chromedp.FullScreenshot(100)))
	if charts > 0 {
		for name, sel := range map[string]string{"charts.png": ".charts", "handshakes.png": "#run0-handshakes", "connections.png": "#run0-conns"} {
			if n, _ := chromedp.Run(tb.ctx, chromedp.Evaluate[int](`document.querySelectorAll("`+sel+`").length`)); n == 0 {
				continue
			}
			saveArtifact(t, name, run(tb, chromedp.Screenshot(chromedp.CSS(sel))))
		}
	}
	console, exceptions, offPage := tb.seen()
	var consoleErrors, requests []string
	for _, m := range console {
		if m.typ == "error" || m.typ == "assert" {
			consoleErrors = append(consoleErrors, m.text)
		}
	}
	consoleErrors = append(consoleErrors, exceptions...)
	for _, u := range offPage {
		if !strings.HasPrefix(u, "data:") {
			requests = append(requests, u)
		}
	}
	return page{consoleErrors: consoleErrors, requests: requests, charts: charts, drawnCanvases: drawnCanvases, xss: xss, ids: ids, text: text, verdicts: verdicts,
		bands: bands, handshakes: hs}
}

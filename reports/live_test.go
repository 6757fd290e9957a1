package reports

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/originproof/originproof/checks"
	"github.com/originproof/originproof/fixtures"
	"github.com/originproof/originproof/fixtures/origin"
	"github.com/originproof/originproof/loadgen"
)

// TestInBrowserRealLoadRun renders the outputs of a real load run (the
// load generator against the strict reference origin on loopback, two
// pops, pooled connections, two steps of arrival) and opens it in headless
// Chromium: every chart drew from the generator's own results.json and
// latency.hlog, the steps are shaded as phases, the handshake chart shows
// the pools' full handshakes, and the per-pop and per-phase tables are there.
func TestInBrowserRealLoadRun(t *testing.T) {
	browser := needChromium(t)
	pki, err := fixtures.Generate(fixtures.Options{ServerName: "origin.test"})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := origin.Start(origin.Config{PKI: pki, Profile: "strict", Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	dir := t.TempDir()
	results, err := os.Create(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	hlog, err := os.Create(filepath.Join(dir, "latency.hlog"))
	if err != nil {
		t.Fatal(err)
	}
	cert := pki.Identity("chain.valid").TLSCertificate()
	eng, err := loadgen.New(loadgen.Target(srv.URL()), loadgen.ServerName(pki.ServerName), loadgen.ConnectTo(srv.Addr()),
		loadgen.RootCAs(pki.ServerRootPool(), "fixtures"), loadgen.ClientIdentity(loadgen.Identity{Name: "chain.valid", Certificate: &cert}),
		loadgen.Pops(2), loadgen.Arrival(loadgen.Steps(time.Second, 150, 250)), loadgen.Results(results), loadgen.HistogramLog(hlog))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rep, err := eng.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []*os.File{results, hlog} {
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	ri, err := os.Create(filepath.Join(dir, "run.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := loadgen.WriteJSON(ri, loadgen.NewRunInfo(rep, "test", []string{"originproof", "load"})); err != nil {
		t.Fatal(err)
	}
	ri.Close()
	sum := New("test", rep.Config.Target, rep.Config.ServerName)
	sum.Verdict, sum.Load = checks.VerdictPass, &rep.Summary
	sum.Started, sum.Finished = rep.Started.UTC(), rep.Ended.UTC()
	if err := sum.WriteFile(filepath.Join(dir, "summary.json")); err != nil {
		t.Fatal(err)
	}
	path, err := RenderDir(dir)
	if err != nil {
		t.Fatal(err)
	}

	p := browse(t, browser, path)
	if len(p.consoleErrors) > 0 {
		t.Errorf("console errors: %v", p.consoleErrors)
	}
	if len(p.requests) > 0 {
		t.Errorf("requests left the page: %v", p.requests)
	}
	if want := 6; p.charts != want || p.drawnCanvases < want {
		t.Errorf("charts drawn %d (canvases with pixels %d), want %d", p.charts, p.drawnCanvases, want)
	}
	checkBands(t, p, 5, []string{"1 · 150/s", "2 · 250/s"})
	if !slices.Contains(p.handshakes.series, "full") || !p.handshakes.strokes["full"] || p.handshakes.pops != 2 {
		t.Errorf("handshake chart: series with values %v, strokes %v, %d pops; want full handshakes drawn, 2 pops", p.handshakes.series, p.handshakes.strokes, p.handshakes.pops)
	}
	if got := rep.Summary.Requests; got < 300 {
		t.Errorf("the run sent %d requests, want about 400", got)
	}
	for _, want := range []string{"Per pop", "full handshakes", "resumed", "TLS handshake (full)", "time to first byte", "PASS", "Per phase of the schedule", "1 · 150/s"} {
		if !strings.Contains(p.text, want) {
			t.Errorf("the page does not show %q", want)
		}
	}
}

package reports

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/originproof/originproof/checks"
	"github.com/originproof/originproof/fixtures/origin"
	"github.com/originproof/originproof/internal/testenv"
	"github.com/originproof/originproof/loadgen"
)

// liveOrigin starts the strict reference origin on loopback and returns
// the load options that point a run at it as chain.valid.
func liveOrigin(t *testing.T) []loadgen.Option {
	t.Helper()
	pki := testenv.PKI(t)
	srv, err := origin.Start(origin.Config{PKI: pki, Profile: "strict", Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	cert := pki.Identity("chain.valid").TLSCertificate()
	return []loadgen.Option{loadgen.Target(srv.URL()), loadgen.ServerName(pki.ServerName), loadgen.ConnectTo(srv.Addr()),
		loadgen.RootCAs(pki.ServerRootPool(), "fixtures"), loadgen.ClientIdentity(loadgen.Identity{Name: "chain.valid", Certificate: &cert})}
}

// liveRun runs the load generator with opts and writes dir as `load`
// does: results.json, latency.hlog, run.json, summary.json and summary.md.
func liveRun(dir string, opts ...loadgen.Option) (*loadgen.Report, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	results, err := os.Create(filepath.Join(dir, "results.json"))
	if err != nil {
		return nil, err
	}
	defer results.Close()
	hlog, err := os.Create(filepath.Join(dir, "latency.hlog"))
	if err != nil {
		return nil, err
	}
	defer hlog.Close()
	series, err := os.Create(filepath.Join(dir, loadgen.SeriesFile))
	if err != nil {
		return nil, err
	}
	defer series.Close()
	eng, err := loadgen.New(append(opts, loadgen.Results(results), loadgen.HistogramLog(hlog), loadgen.SeriesOut(series))...)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rep, err := eng.Run(ctx)
	if err != nil {
		return nil, err
	}
	if err := errors.Join(results.Close(), hlog.Close(), series.Close(),
		loadgen.WriteJSONFile(filepath.Join(dir, "run.json"), loadgen.NewRunInfo(rep, "test", []string{"originproof", "load"}))); err != nil {
		return nil, err
	}
	return rep, writeLoadSummary(dir, &rep.Summary, rep.Started, rep.Ended)
}

func writeLoadSummary(dir string, s *loadgen.Summary, started, ended time.Time) error {
	sum := New("test", s.Config.Target, s.Config.ServerName)
	sum.Verdict, sum.Load = checks.VerdictPass, s
	sum.Started, sum.Finished = started.UTC(), ended.UTC()
	return WriteSummary(dir, sum)
}

// TestInBrowserRealLoadRun renders the outputs of a real load run (the
// load generator against the strict reference origin on loopback, two
// pops, pooled connections, two steps of arrival) and opens it in headless
// Chromium: every chart drew from the generator's own results.json and
// latency.hlog, the steps are shaded as phases, the handshake chart shows
// the pools' full handshakes, and the per-pop and per-phase tables are there.
func TestInBrowserRealLoadRun(t *testing.T) {
	browser := needChromium(t)
	dir := t.TempDir()
	rep, err := liveRun(dir, append(liveOrigin(t), loadgen.Pops(2), loadgen.Arrival(loadgen.Steps(time.Second, 150, 250)))...)
	if err != nil {
		t.Fatal(err)
	}
	path, err := RenderDir(dir)
	if err != nil {
		t.Fatal(err)
	}

	p := browse(t, browser, path)
	checkDrawn(t, p, 6)
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

// TestInBrowserMergedShards: two shards of one run with idle gaps (a
// storm of handshakes after each gap), merged as `merge` does, render
// with the run's phases shaded on every time-series chart, recomputed
// from the merged results, and the storm's handshakes drawn.
func TestInBrowserMergedShards(t *testing.T) {
	browser := needChromium(t)
	opts := append(liveOrigin(t), loadgen.Pops(2), loadgen.KeepAlive(time.Second),
		loadgen.Arrival(loadgen.IdleGaps(100, 500*time.Millisecond, 1200*time.Millisecond, 2200*time.Millisecond)))
	tmp := t.TempDir()
	dirs := []string{filepath.Join(tmp, "shard1"), filepath.Join(tmp, "shard2")}
	errs := make([]error, len(dirs))
	var wg sync.WaitGroup
	for i, d := range dirs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = liveRun(d, append(slices.Clone(opts), loadgen.Shard(i+1, len(dirs)))...)
		}()
	}
	wg.Wait()
	var shards []*loadgen.ShardDir
	for i, d := range dirs {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		s, err := loadgen.OpenShard(d)
		if err != nil {
			t.Fatal(err)
		}
		shards = append(shards, s)
	}
	merged := filepath.Join(tmp, "merged")
	if err := os.MkdirAll(merged, 0o755); err != nil {
		t.Fatal(err)
	}
	results, err := os.Create(filepath.Join(merged, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	hlog, err := os.Create(filepath.Join(merged, "latency.hlog"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := loadgen.Merge(shards, results, hlog, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	results.Close()
	hlog.Close()
	if err := loadgen.WriteJSONFile(filepath.Join(merged, "run.json"), m.Run); err != nil {
		t.Fatal(err)
	}
	if err := writeLoadSummary(merged, &m.Summary, m.Run.Started, m.Run.Ended); err != nil {
		t.Fatal(err)
	}
	path, err := RenderDir(merged)
	if err != nil {
		t.Fatal(err)
	}

	p := browse(t, browser, path)
	if len(p.consoleErrors) > 0 {
		t.Errorf("console errors: %v", p.consoleErrors)
	}
	checkBands(t, p, 5, []string{"1 · 100/s", "2 · 1.2s idle, then 100/s"})
	if !slices.Contains(p.handshakes.series, "resumed") || !p.handshakes.strokes["resumed"] || p.handshakes.pops != 4 {
		t.Errorf("handshake chart: series with values %v, strokes %v, %d pops; want the storm's resumed handshakes, 4 pops", p.handshakes.series, p.handshakes.strokes, p.handshakes.pops)
	}
	md, err := os.ReadFile(filepath.Join(merged, "summary.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| 1 · 100/s | 50 of 50 |", "| 2 · 1.2s idle, then 100/s | 50 of 50 |"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("summary.md of the merged run lacks %q:\n%s", want, md)
		}
	}
}

// TestSeriesWithoutRawResults: a run that kept no results.json is drawn
// from the series.json it wrote as it went, with the same counts as the
// series read from its results.
func TestSeriesWithoutRawResults(t *testing.T) {
	dir := t.TempDir()
	rep, err := liveRun(dir, append(liveOrigin(t), loadgen.Pops(2), loadgen.Arrival(loadgen.Steps(500*time.Millisecond, 40, 80)))...)
	if err != nil {
		t.Fatal(err)
	}
	fromResults, err := LoadRun(dir)
	if err != nil || fromResults.Series == nil {
		t.Fatalf("with results.json: %v", err)
	}
	if err := os.Remove(filepath.Join(dir, "results.json")); err != nil {
		t.Fatal(err)
	}
	fromSeries, err := LoadRun(dir)
	if err != nil || fromSeries.Series == nil {
		t.Fatalf("without results.json: %v (series %v)", err, fromSeries)
	}
	total := func(c []float64, bucket float64) (n float64) {
		for _, v := range c {
			n += v * bucket
		}
		return n
	}
	a, b := fromResults.Series, fromSeries.Series
	for _, c := range []struct {
		name string
		x, y float64
	}{
		{"sent", total(a.Sent, a.BucketS), total(b.Sent, b.BucketS)},
		{"full handshakes", total(a.Conns.Full, a.BucketS), total(b.Conns.Full, b.BucketS)},
	} {
		if math.Round(c.x) != math.Round(c.y) || (c.name == "sent" && int64(math.Round(c.y)) != rep.Summary.Requests) {
			t.Errorf("%s: %v from results.json, %v from series.json (%d requests)", c.name, c.x, c.y, rep.Summary.Requests)
		}
	}
	if _, err := RenderDir(dir); err != nil {
		t.Errorf("render without results.json: %v", err)
	}
}

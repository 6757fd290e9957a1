package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/originproof/originproof/fixtures/origin"
	"github.com/originproof/originproof/loadgen/latency"
)

// writeShard runs shard i/n against srv and writes its load outputs to dir
// as `originproof load --shard i/n --out dir` does.
func writeShard(t *testing.T, srv *origin.Server, dir string, i, n int, rate float64) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var results, hlog, series bytes.Buffer
	// Two steps: the run has two phases, which the merge recomputes.
	opts := append(originOpts(t, srv, "chain.valid"), Pops(2), Arrival(Steps(300*time.Millisecond, rate, 2*rate)), Shard(i, n),
		Results(&results), HistogramLog(&hlog), SeriesOut(&series))
	e, err := New(opts...)
	if err != nil {
		return err
	}
	rep, err := e.Run(context.Background())
	if err != nil {
		return err
	}
	sum, err := json.Marshal(map[string]any{"schema_version": 1, "load": rep.Summary})
	if err != nil {
		return err
	}
	var run bytes.Buffer
	if err := WriteJSON(&run, NewRunInfo(rep, "test", []string{"load"})); err != nil {
		return err
	}
	for name, data := range map[string][]byte{SummaryFile: sum, ResultsFile: results.Bytes(), HlogFile: hlog.Bytes(), RunFile: run.Bytes(), SeriesFile: series.Bytes()} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// writeShards writes shard k of len(dirs) to dirs[k-1], all at once at 40
// requests per second, as that many `originproof load --shard` runs started
// together do.
func writeShards(t *testing.T, srv *origin.Server, dirs ...string) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, len(dirs))
	for k := range dirs {
		wg.Add(1)
		go func() { defer wg.Done(); errs[k] = writeShard(t, srv, dirs[k], k+1, len(dirs), 40) }()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func openShards(t *testing.T, dirs ...string) []*ShardDir {
	t.Helper()
	var out []*ShardDir
	for _, d := range dirs {
		s, err := OpenShard(d)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

func TestMergeShards(t *testing.T) {
	srv := startOrigin(t, origin.Config{Profile: "strict"})
	tmp := t.TempDir()
	dirs := []string{filepath.Join(tmp, "s1"), filepath.Join(tmp, "s2"), filepath.Join(tmp, "other")}
	writeShards(t, srv, dirs[:2]...)

	shards := openShards(t, dirs[1], dirs[0])
	var results, hlog bytes.Buffer
	m, err := Merge(shards, &results, &hlog, "test", []string{"merge"})
	if err != nil {
		t.Fatal(err)
	}
	s := m.Summary
	if got, want := s.Requests, shards[0].Summary.Requests+shards[1].Summary.Requests; got != want || got == 0 {
		t.Errorf("merged requests = %d, want %d (the sum, not 0)", got, want)
	}
	if got, want := s.Success+s.Errors, s.Requests; got != want {
		t.Errorf("success+errors = %d, want %d", got, want)
	}
	if got, want := s.Latency[PhaseTotal].Count, s.Requests; got != want {
		t.Errorf("merged total latency count = %d, want %d", got, want)
	}
	if got, want := len(s.Pops), 4; got != want {
		t.Fatalf("merged pops = %d, want %d", got, want)
	}
	for i, p := range s.Pops {
		if p.Pop != i {
			t.Errorf("pop %d numbered %d", i, p.Pop)
		}
	}
	if got, want := m.Run.Config.Pops, 4; got != want {
		t.Errorf("merged config pops = %d, want %d", got, want)
	}
	if got, want := len(m.Run.Shards), 2; got != want || m.Run.Shards[0].Shard != "1/2" {
		t.Errorf("run.json shards = %+v, want 1/2 then 2/2", m.Run.Shards)
	}

	// Each phase is recomputed from the merged results: what the shards
	// measured in it, added up.
	if got := len(s.Phases); got != 2 || len(m.Run.Config.Phases) != 2 {
		t.Fatalf("merged phases = %+v (config %+v), want the two steps", s.Phases, m.Run.Config.Phases)
	}
	if s.Phases[0].Name != "1 · 40/s" || s.Phases[1].Name != "2 · 80/s" {
		t.Errorf("phases %q, %q: want them named by the whole run's rates, not a shard's", s.Phases[0].Name, s.Phases[1].Name)
	}
	var phaseRequests, phaseScheduled int64
	for i, p := range s.Phases {
		var req, sched, newConns int64
		for _, sh := range shards {
			sp := sh.Summary.Phases[i]
			req, sched, newConns = req+sp.Requests, sched+sp.Scheduled, newConns+sp.NewConnections
		}
		if p.Requests != req || p.Scheduled != sched || p.NewConnections != newConns || p.Latency.Count != req {
			t.Errorf("merged phase %s: %d requests of %d, %d new connections, %d latencies; the shards say %d of %d, %d",
				p.Name, p.Requests, p.Scheduled, p.NewConnections, p.Latency.Count, req, sched, newConns)
		}
		phaseRequests, phaseScheduled = phaseRequests+p.Requests, phaseScheduled+p.Scheduled
	}
	if len(m.Phases) != 2 || m.Phases[1].Corrected.Count() != s.Phases[1].Requests {
		t.Errorf("merged phase statistics %d, want 2 with every request's latency", len(m.Phases))
	}
	if phaseRequests != s.Requests || phaseScheduled != s.Scheduled {
		t.Errorf("phases hold %d of %d requests (%d of %d scheduled)", phaseRequests, s.Requests, phaseScheduled, s.Scheduled)
	}

	// Vegeta's own decoder reads every merged line.
	dec := vegeta.NewJSONDecoder(bytes.NewReader(results.Bytes()))
	var n int64
	pops := map[int]int64{}
	for {
		var r vegeta.Result
		if err := dec.Decode(&r); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("vegeta decode line %d: %v", n+1, err)
		}
		n++
	}
	if n != s.Requests {
		t.Errorf("vegeta read %d results, want %d", n, s.Requests)
	}
	ours := NewDecoder(bytes.NewReader(results.Bytes()))
	var rec Record
	for ours(&rec) == nil {
		pops[rec.Pop]++
	}
	for i := range 4 {
		if pops[i] != s.Pops[i].Requests {
			t.Errorf("results.json pop %d: %d lines, summary says %d", i, pops[i], s.Pops[i].Requests)
		}
	}

	// The merged log reads back, every pop under its new number.
	ivs, err := latency.ReadLog(bytes.NewReader(hlog.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	totals := map[int]int64{}
	for _, iv := range ivs {
		if iv.Key.Phase == PhaseTotal {
			totals[iv.Key.Pop] += iv.Histogram.Count()
		}
	}
	for i := range 4 {
		if totals[i] != s.Pops[i].Requests {
			t.Errorf("latency.hlog total.pop%d: %d values, want %d", i, totals[i], s.Pops[i].Requests)
		}
	}

	// One shard alone: its results come back byte for byte (pops 0..1 keep their numbers).
	var one bytes.Buffer
	if _, err := Merge(openShards(t, dirs[0]), &one, io.Discard, "test", nil); err != nil {
		t.Fatal(err)
	}
	orig, _ := os.ReadFile(filepath.Join(dirs[0], ResultsFile))
	if !bytes.Equal(one.Bytes(), orig) {
		t.Errorf("merging shard 1 alone changed its results.json")
	}

	// Shards of another run are refused, naming the shard and the difference.
	if err := writeShard(t, srv, dirs[2], 2, 2, 20); err != nil {
		t.Fatal(err)
	}
	_, err = Merge(openShards(t, dirs[0], dirs[2]), io.Discard, io.Discard, "test", nil)
	if err == nil || !strings.Contains(err.Error(), dirs[2]+": not the same run") || !strings.Contains(err.Error(), "arrival") {
		t.Errorf("merging another run: err = %v, want it to name %s and the arrival", err, dirs[2])
	}
}

// barrier makes s a shard that waited for --start-at (5 s tolerance) and
// started late after it.
func barrier(s *ShardDir, at time.Time, late time.Duration) *ShardDir {
	s.Run.StartAt, s.Run.StartTolerance = &at, Duration(5*time.Second)
	s.Run.Started = at.Add(late)
	return s
}

func TestCheckShardsRefuses(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	shard := func(dir string, i, n int, mut func(*ShardDir)) *ShardDir {
		s := &ShardDir{Dir: dir, Index: i, Count: n}
		s.Run.Started, s.Run.Ended = start, start.Add(time.Minute)
		s.Run.Config = Config{Target: "https://origin.test/", Pops: 4, Arrival: Constant(10, time.Minute), Shard: "x"}
		if mut != nil {
			mut(s)
		}
		return s
	}
	tests := []struct {
		name   string
		shards []*ShardDir
		want   string
	}{
		{"none", nil, "no shard directories"},
		{"count", []*ShardDir{shard("a", 1, 2, nil), shard("b", 2, 3, nil)}, "b: shard 2/3 but a is shard 1/2"},
		{"twice", []*ShardDir{shard("a", 1, 2, nil), shard("b", 1, 2, nil)}, "b: shard 1/2 again (also a)"},
		{"target", []*ShardDir{shard("a", 1, 2, nil), shard("b", 2, 2, func(s *ShardDir) { s.Run.Config.Target = "https://other.test/" })}, "b: not the same run as a: target https://other.test/"},
		{"pops", []*ShardDir{shard("a", 1, 2, nil), shard("b", 2, 2, func(s *ShardDir) { s.Run.Config.Pops = 2 })}, "b: not the same run as a: pops 2, not 4"},
		{"schedule", []*ShardDir{shard("a", 1, 2, nil), shard("b", 2, 2, func(s *ShardDir) { s.Run.Config.Arrival = Constant(10, 2*time.Minute) })}, "b: not the same run as a: arrival"},
		{"times", []*ShardDir{shard("a", 1, 2, nil), shard("b", 2, 2, func(s *ShardDir) { s.Run.Started, s.Run.Ended = start.Add(time.Hour), start.Add(61*time.Minute) })}, "the runs do not overlap"},
		{"unsharded", []*ShardDir{shard("a", 1, 1, func(s *ShardDir) { s.Run.Config.Shard = "" }), shard("b", 1, 1, func(s *ShardDir) { s.Run.Config.Shard = "" })}, "a: not a shard"},
		{"start skew", []*ShardDir{barrier(shard("a", 1, 2, nil), start, 0), barrier(shard("b", 2, 2, nil), start, 6*time.Second)}, "b: started 6s after a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckShards(tt.shards)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
	ok := []*ShardDir{shard("b", 2, 2, func(s *ShardDir) { s.Run.Config.ConnectTo = "10.0.0.2:443" }), shard("a", 1, 2, nil)}
	if err := CheckShards(ok); err != nil {
		t.Errorf("shards of one run (each with its own connect-to): %v", err)
	}
	within := []*ShardDir{barrier(shard("a", 1, 2, nil), start, 0), barrier(shard("b", 2, 2, nil), start, 4*time.Second)}
	if err := CheckShards(within); err != nil {
		t.Errorf("shards 4 s apart with a 5 s tolerance: %v", err)
	}
	if ok[0].Dir != "a" {
		t.Errorf("CheckShards did not sort by index: first is %s", ok[0].Dir)
	}
}

func TestOpenShardRefuses(t *testing.T) {
	tmp := t.TempDir()
	conform := filepath.Join(tmp, "conform")
	_ = os.MkdirAll(conform, 0o755)
	_ = os.WriteFile(filepath.Join(conform, SummaryFile), []byte(`{"schema_version":1,"checks":[]}`), 0o644)
	noLog := filepath.Join(tmp, "nolog")
	_ = os.MkdirAll(noLog, 0o755)
	_ = os.WriteFile(filepath.Join(noLog, SummaryFile), []byte(`{"schema_version":1,"load":{"requests":1}}`), 0o644)
	_ = os.WriteFile(filepath.Join(noLog, RunFile), []byte(`{"schema_version":1,"config":{"pops":1}}`), 0o644)
	file := filepath.Join(tmp, "file")
	_ = os.WriteFile(file, nil, 0o644)
	tests := []struct{ dir, want string }{
		{filepath.Join(tmp, "nope"), "cannot read the directory"},
		{file, "not a directory"},
		{tmp, "no readable summary.json"},
		{conform, "summary.json has no load section"},
		{noLog, "no latency.hlog"},
	}
	for _, tt := range tests {
		_, err := OpenShard(tt.dir)
		if err == nil || !strings.HasPrefix(err.Error(), tt.dir+": ") || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("OpenShard(%s) = %v, want %q naming the directory", tt.dir, err, tt.want)
		}
	}
}

// TestMergeWithoutRawResults: shards merged from their summaries alone
// (no results.json) give the same phases and reuse as merged from their
// raw results, and their series merge with the pops renumbered.
func TestMergeWithoutRawResults(t *testing.T) {
	srv := startOrigin(t, origin.Config{Profile: "strict"})
	tmp := t.TempDir()
	dirs := []string{filepath.Join(tmp, "s1"), filepath.Join(tmp, "s2")}
	writeShards(t, srv, dirs...)
	var raw bytes.Buffer
	withRaw, err := Merge(openShards(t, dirs...), &raw, io.Discard, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if err := os.Remove(filepath.Join(d, ResultsFile)); err != nil {
			t.Fatal(err)
		}
	}
	without, err := Merge(openShards(t, dirs...), nil, io.Discard, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	a, b := withRaw.Summary, without.Summary
	if len(a.Phases) != 2 || len(b.Phases) != 2 || a.ReuseRatio != b.ReuseRatio || a.RequestsWithConnection != b.RequestsWithConnection {
		t.Fatalf("phases %d/%d, reuse %v/%v", len(a.Phases), len(b.Phases), a.ReuseRatio, b.ReuseRatio)
	}
	for i := range a.Phases {
		pa, pb := a.Phases[i], b.Phases[i]
		pa.LatencyHDR, pa.HandshakeHDR, pb.LatencyHDR, pb.HandshakeHDR = nil, nil, nil, nil
		if fmt.Sprint(pa) != fmt.Sprint(pb) {
			t.Errorf("phase %d from raw results\n %+v\nfrom summaries\n %+v", i, pa, pb)
		}
	}
	tl, err := MergeSeries(openShards(t, dirs...))
	if err != nil || tl == nil {
		t.Fatalf("MergeSeries: %v, %v", tl, err)
	}
	var sent float64
	for _, v := range tl.Sum(ColSent) {
		sent += v
	}
	if int64(sent) != a.Requests {
		t.Errorf("merged series sent %v, the run %d requests", sent, a.Requests)
	}
	if !tl.HasSum(PopColumn(3, ColFull)) || tl.HasSum(PopColumn(4, ColFull)) {
		t.Errorf("pops not renumbered 0-3: %v", tl.SumNames())
	}
}

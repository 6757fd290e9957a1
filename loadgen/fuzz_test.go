package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/originproof/originproof/fixtures/origin"
	"github.com/originproof/originproof/internal/testenv"
)

// sampleOutputs are the four files of one short real run (a reference
// origin that resets every third request), the seeds of the fuzz targets
// that read them back.
type sampleOutputs struct {
	summary, results, run, hlog []byte
}

var (
	sampleOnce sync.Once
	sample     sampleOutputs
	sampleErr  error
)

func sampleRun(t testing.TB) sampleOutputs {
	t.Helper()
	sampleOnce.Do(func() {
		srv, err := origin.Start(origin.Config{PKI: testenv.PKI(t), Addr: "127.0.0.1:0",
			Faults: []origin.Fault{{Name: origin.FaultReset, Count: 3}}})
		if err != nil {
			sampleErr = err
			return
		}
		defer srv.Close()
		pki := testenv.PKI(t)
		c := pki.Identity("chain.valid").TLSCertificate()
		var results, hlog bytes.Buffer
		e, err := New(Target(srv.URL()), ConnectTo(srv.Addr()), RootCAs(pki.ServerRootPool(), "test PKI"),
			ClientIdentity(Identity{Name: "chain.valid", Certificate: &c}), Pops(2), Rate(20, 300*time.Millisecond),
			Results(&results), HistogramLog(&hlog))
		if err != nil {
			sampleErr = err
			return
		}
		rep, err := e.Run(context.Background())
		if err != nil {
			sampleErr = err
			return
		}
		sum, err := json.Marshal(map[string]any{"schema_version": 1, "load": rep.Summary})
		if err != nil {
			sampleErr = err
			return
		}
		var run bytes.Buffer
		sampleErr = WriteJSON(&run, NewRunInfo(rep, "test", []string{"load"}))
		sample = sampleOutputs{summary: sum, results: results.Bytes(), run: run.Bytes(), hlog: hlog.Bytes()}
	})
	if sampleErr != nil {
		t.Fatal(sampleErr)
	}
	return sample
}

// finiteRate says whether a rate a parser accepted is one a run can use.
func finiteRate(r float64) bool {
	return !math.IsNaN(r) && !math.IsInf(r, 0) && r >= 0 && r <= MaxRate
}

func FuzzParseRate(f *testing.F) {
	for _, s := range []string{"50", "100/1s", "10/100ms", "1/2s", "2.5", "0", "-1", "1e9", "NaN", "Inf", "1/0s", "1e7/1ns", "5e-324/1h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRate(s)
		if err != nil {
			return
		}
		if !finiteRate(r) || r == 0 {
			t.Fatalf("ParseRate(%q) = %v accepted: not a usable rate", s, r)
		}
	})
}

func FuzzParseArrival(f *testing.F) {
	for _, s := range []string{"constant", "ramp:0", "ramp:1e308", "steps:10,30", "steps:NaN", "steps:Inf,1", "idle-gaps:500ms,1500ms",
		"idle-gaps:1ns,1ns", "constant:1", "ramp:-1", "steps:", "steps:1,,2", "idle-gaps:1s"} {
		f.Add(s, 50.0, int64(2*time.Second))
	}
	f.Fuzz(func(t *testing.T, s string, rate float64, d int64) {
		if !finiteRate(rate) || rate == 0 || d <= 0 || time.Duration(d) > 24*time.Hour {
			return // ParseRate and the --duration check come first
		}
		sched, err := ParseArrival(s, rate, time.Duration(d))
		if err != nil {
			return
		}
		for i, seg := range sched.Segments {
			if !finiteRate(seg.From) || !finiteRate(seg.To) || seg.Duration < 0 {
				t.Fatalf("ParseArrival(%q) segment %d = %+v accepted", s, i, seg)
			}
		}
		if sched.Validate() != nil {
			return // the engine refuses it by name (--rate)
		}
		if n := sched.Requests(); n <= 0 || float64(n) > MaxRate*sched.Duration().Seconds()+1 {
			t.Fatalf("ParseArrival(%q): %d requests over %v", s, n, sched.Duration())
		}
		var last time.Duration
		for n := uint64(0); n < 64; n++ {
			due, ok := sched.Intended(n)
			if !ok {
				break
			}
			if due < last || due > sched.Duration() {
				t.Fatalf("ParseArrival(%q): request %d due at %v after %v (schedule %v)", s, n, due, last, sched.Duration())
			}
			last = due
		}
		_ = sched.String()
	})
}

func FuzzParseShard(f *testing.F) {
	for _, s := range []string{"1/1", "2/3", "10/10", "0/1", "2/1", "1/0", "-1/2", "1/2/3", "+1/2", "1/99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		i, n, err := ParseShard(s)
		if err == nil && (i < 1 || n < 1 || i > n) {
			t.Fatalf("ParseShard(%q) = %d/%d accepted", s, i, n)
		}
	})
}

func FuzzDurationJSON(f *testing.F) {
	for _, s := range []string{`"5s"`, `"1m30s"`, `5000000000`, `"-1s"`, `"1e3s"`, `null`, `"9223372036854775807ns"`, `1e99`, `"5"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var d Duration
		if err := d.UnmarshalJSON(data); err != nil {
			return
		}
		out, err := d.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		var again Duration
		if err := again.UnmarshalJSON(out); err != nil || again != d {
			t.Fatalf("%s → %v → %s → %v, %v", data, time.Duration(d), out, time.Duration(again), err)
		}
	})
}

// FuzzResultsDecoder reads results.json as report and merge do. A record
// decoded once encodes to a line that decodes again; encoding is stable
// from the second round on (the first may replace invalid UTF-8, which
// JSON cannot carry, with U+FFFD).
func FuzzResultsDecoder(f *testing.F) {
	s := sampleRun(f)
	f.Add(s.results)
	lines := bytes.SplitAfter(s.results, []byte("\n"))
	f.Add(lines[0])
	f.Add(bytes.TrimRight(lines[0], "\n"))
	f.Add([]byte(`{"seq":1,"code":200,"timestamp":"2026-01-02T03:04:05Z","latency":5,"pop":-7,"intended":"bad"}` + "\n"))
	f.Add([]byte(`{"identity":"a\u0001b","error_class":"tls_alert:\u007f","cf_id":"\u2028"}` + "\n"))
	f.Add([]byte("{}\n\n{\"code\":99999}\n"))
	reencode := func(t *testing.T, n int, line []byte) []byte {
		var rec Record
		if err := NewDecoder(bytes.NewReader(line))(&rec); err != nil {
			t.Fatalf("line %d re-encoded does not decode: %v\n%s", n, err, line)
		}
		var out bytes.Buffer
		if err := NewEncoder(&out)(&rec); err != nil {
			t.Fatalf("line %d decoded from our own encoding does not encode: %v", n, err)
		}
		return out.Bytes()
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dec := NewDecoder(bytes.NewReader(data))
		var rec Record
		for n := 1; n <= 256; n++ {
			if err := dec(&rec); err != nil {
				return
			}
			_ = rec.Class()
			var first bytes.Buffer
			if err := NewEncoder(&first)(&rec); err != nil {
				return // e.g. a timestamp outside what JSON can carry
			}
			second := reencode(t, n, first.Bytes())
			if third := reencode(t, n, second); !bytes.Equal(second, third) {
				t.Fatalf("line %d does not round-trip:\n%s\n%s", n, second, third)
			}
		}
	})
}

// FuzzOpenShard reads a shard directory's summary.json and run.json as
// merge does, and merges what opens.
func FuzzOpenShard(f *testing.F) {
	s := sampleRun(f)
	f.Add(s.summary, s.run)
	f.Add([]byte(`{"load":{}}`), []byte(`{"config":{"pops":1,"shard":"0/0"}}`))
	f.Add([]byte(`{"load":{"latency":{"total":{"count":-1}}}}`), []byte(`{"config":{"pops":2,"arrival":{"model":"x","segments":[{"from_rps":1e308,"to_rps":1e308,"duration":"1h"}]}}}`))
	f.Fuzz(func(t *testing.T, summary, run []byte) {
		dir := t.TempDir()
		for name, data := range map[string][]byte{SummaryFile: summary, RunFile: run, ResultsFile: s.results, HlogFile: s.hlog} {
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		sh, err := OpenShard(dir)
		if err != nil {
			if _, ok := err.(*MergeError); !ok {
				t.Fatalf("OpenShard error %T is not a MergeError: %v", err, err)
			}
			return
		}
		if sh.Index < 1 || sh.Index > sh.Count || sh.Run.Config.Pops < 1 {
			t.Fatalf("opened shard %d/%d with %d pops", sh.Index, sh.Count, sh.Run.Config.Pops)
		}
		if CheckShards([]*ShardDir{sh}) != nil {
			return
		}
		_, _ = Merge([]*ShardDir{sh}, io.Discard, io.Discard, "test", nil)
	})
}

package reports

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestReadSeries(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	line := func(off time.Duration, code int, class string) string {
		ts := t0.Add(off).Format(time.RFC3339Nano)
		return fmt.Sprintf(`{"timestamp":%q,"intended":%q,"latency":2000000,"latency_corrected":3000000,"code":%d,"error":"","error_class":%q}`, ts, ts, code, class)
	}
	many := func(n int) string {
		var b strings.Builder
		for i := range n {
			b.WriteString(line(time.Duration(i)*time.Millisecond, 200, "") + "\n")
		}
		return b.String()
	}
	tests := []struct {
		name       string
		in         string
		span       time.Duration
		wantSent   float64 // total requests counted
		wantBucket int
		wantErrs   map[string]float64
		wantErr    string
	}{
		{name: "empty", in: "", span: 3 * time.Second, wantBucket: 60},
		{name: "one request", in: line(0, 200, "") + "\n", span: time.Second, wantSent: 1, wantBucket: 50},
		{name: "chunks across workers", in: many(10_000), span: 10 * time.Second, wantSent: 10_000, wantBucket: 50},
		{name: "errors by class", in: line(0, 0, "tls_alert:bad_certificate") + "\n" + line(time.Second, 503, "") + "\n", span: 2 * time.Second,
			wantSent: 2, wantBucket: 40, wantErrs: map[string]float64{"tls_alert:bad_certificate": 1, "http_503": 1}},
		{name: "long run stays bounded", in: line(0, 200, "") + "\n" + line(10*time.Hour, 200, "") + "\n", span: 10 * time.Hour, wantSent: 2, wantBucket: maxBuckets},
		{name: "bad line named", in: many(3000) + "{not json\n", span: 3 * time.Second, wantErr: "results line 3001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ReadSeries(strings.NewReader(tt.in), t0, tt.span, ConnModel{KeepAlive: 5 * time.Second})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := len(s.T); got != tt.wantBucket {
				t.Errorf("buckets = %d, want %d", got, tt.wantBucket)
			}
			var sent, asked float64
			for i := range s.Sent {
				sent += s.Sent[i] * s.BucketS
				asked += s.Asked[i] * s.BucketS
			}
			sent, asked = math.Round(sent), math.Round(asked)
			if sent != tt.wantSent || asked != tt.wantSent {
				t.Errorf("sent %v, asked %v, want %v", sent, asked, tt.wantSent)
			}
			for class, want := range tt.wantErrs {
				var got float64
				for _, v := range s.Errors[class] {
					got += v
				}
				if got != want {
					t.Errorf("errors %s = %v, want %v", class, got, want)
				}
			}
			if len(s.Errors) != len(tt.wantErrs) {
				t.Errorf("error classes %v, want %v", s.Errors, tt.wantErrs)
			}
			if tt.wantSent > 0 && s.Total[0] != 3 {
				t.Errorf("first bucket mean total = %v ms, want 3 (from the intended send)", s.Total[0])
			}
		})
	}
}

// TestConnectionSeries: handshakes, connections opened, requests that got
// no connection, and open connections over time, all pops and per pop.
func TestConnectionSeries(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	line := func(off time.Duration, pop int, conn uint64, reused, resumed bool, code int, class string) string {
		ts := t0.Add(off).Format(time.RFC3339Nano)
		hs := ""
		if conn != 0 && !reused {
			hs = `,"tls_handshake":2000000`
		}
		return fmt.Sprintf(`{"timestamp":%q,"intended":%q,"latency":1000000,"code":%d,"error":"","error_class":%q,"pop":%d,"conn_id":%d,"conn_reused":%v,"tls_resumed":%v%s}`+"\n",
			ts, ts, code, class, pop, conn, reused, resumed, hs)
	}
	in := line(0, 0, 1, false, false, 200, "") + // A opens (full) on pop 0
		line(time.Second, 0, 1, true, false, 200, "") + // A reused; idle until 3.001 s
		line(2*time.Second, 1, 2, false, true, 200, "") + // B opens (resumed) on pop 1; idle until 4.001 s
		line(3*time.Second, 0, 0, false, false, 0, "connect_refused") + // no connection
		line(9900*time.Millisecond, 0, 3, false, false, 200, "") // C opens at the end, still open
	// 10 s: 50 buckets of 200 ms.
	open := func(levels map[[2]int]float64) []float64 {
		out := make([]float64, 50)
		for r, v := range levels {
			for i := r[0]; i <= r[1]; i++ {
				out[i] = v
			}
		}
		return out
	}
	tests := []struct {
		name                 string
		model                ConnModel
		wantAll, wantP0, wP1 []float64
	}{
		{"keep-alive 2 s", ConnModel{KeepAlive: 2 * time.Second},
			open(map[[2]int]float64{{0, 9}: 1, {10, 14}: 2, {15, 19}: 1, {49, 49}: 1}),
			open(map[[2]int]float64{{0, 14}: 1, {49, 49}: 1}),
			open(map[[2]int]float64{{10, 19}: 1})},
		// Open at the end of a bucket: B and C open and close within one.
		{"no reuse: closed after the response", ConnModel{},
			open(map[[2]int]float64{{0, 4}: 1}),
			open(map[[2]int]float64{{0, 4}: 1}),
			open(nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ReadSeries(strings.NewReader(in), t0, 10*time.Second, tt.model)
			if err != nil {
				t.Fatal(err)
			}
			if s.BucketS != 0.2 || len(s.T) != 50 {
				t.Fatalf("%d buckets of %v s, want 50 of 0.2", len(s.T), s.BucketS)
			}
			total := func(c []float64) float64 {
				var n float64
				for _, v := range c {
					n += v * s.BucketS
				}
				return math.Round(n)
			}
			c := s.Conns
			if total(c.Full) != 2 || total(c.Resumed) != 1 || total(c.Opened) != 3 || total(c.Failed) != 1 {
				t.Errorf("full %v, resumed %v, opened %v, failed %v; want 2, 1, 3, 1", total(c.Full), total(c.Resumed), total(c.Opened), total(c.Failed))
			}
			if c.Resumed[10] != 5 || c.Failed[15] != 5 {
				t.Errorf("resumed at 2 s = %v/s, failed at 3 s = %v/s; want 5/s each (one in 200 ms)", c.Resumed[10], c.Failed[15])
			}
			if !slices.Equal(c.Open, tt.wantAll) {
				t.Errorf("open, all pops =\n %v\nwant\n %v", c.Open, tt.wantAll)
			}
			if s.Pops == nil || len(s.Pops.Pops) != 2 {
				t.Fatalf("per-pop series %+v, want pops 0 and 1", s.Pops)
			}
			if p := s.Pops.Pops[0]; p.Pop != 0 || !slices.Equal(p.Open, tt.wantP0) || total(p.Full) != 2 || total(p.Failed) != 1 {
				t.Errorf("pop 0: open %v, full %v, failed %v", p.Open, total(p.Full), total(p.Failed))
			}
			if p := s.Pops.Pops[1]; p.Pop != 1 || !slices.Equal(p.Open, tt.wP1) || total(p.Resumed) != 1 || p.Failed != nil {
				t.Errorf("pop 1: open %v, resumed %v, failed %v", p.Open, total(p.Resumed), p.Failed)
			}
		})
	}
}

// TestPerPopSeriesBounded: many pops get coarser buckets, never more than
// maxPopValues values per series kind.
func TestPerPopSeriesBounded(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var b strings.Builder
	const pops = 200
	for p := range pops {
		for k := range 10 {
			ts := t0.Add(time.Duration(k) * time.Minute).Format(time.RFC3339Nano)
			fmt.Fprintf(&b, `{"timestamp":%q,"intended":%q,"latency":1000000,"code":200,"error":"","pop":%d,"conn_id":%d,"conn_reused":false}`+"\n", ts, ts, p, k+1)
		}
	}
	s, err := ReadSeries(strings.NewReader(b.String()), t0, 10*time.Minute, ConnModel{KeepAlive: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.T) != 600 || s.Pops == nil || len(s.Pops.Pops) != pops {
		t.Fatalf("%d buckets, per-pop %v", len(s.T), s.Pops != nil)
	}
	if n := len(s.Pops.T) * pops; n > maxPopValues || len(s.Pops.T) < 100 {
		t.Errorf("per-pop series: %d buckets × %d pops = %d values, want at most %d (and not needlessly coarse)", len(s.Pops.T), pops, n, maxPopValues)
	}
	var full float64
	for _, p := range s.Pops.Pops {
		for _, v := range p.Full {
			full += v * s.Pops.BucketS
		}
	}
	if math.Round(full) != pops*10 {
		t.Errorf("per-pop full handshakes add up to %v, want %d", full, pops*10)
	}
}

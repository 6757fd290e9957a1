package latency

import (
	"bytes"
	"strings"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

func TestRecordClampsAndCounts(t *testing.T) {
	tests := []struct {
		name        string
		values      []time.Duration
		wantCount   int64
		wantClamped int64
		wantMax     time.Duration
	}{
		{"in range", []time.Duration{time.Millisecond, 2 * time.Millisecond}, 2, 0, 2 * time.Millisecond},
		{"above range", []time.Duration{time.Millisecond, 2 * time.Minute, 90 * time.Second}, 3, 2, 60 * time.Second},
		{"zero and negative count as the lowest value", []time.Duration{0, -time.Second}, 2, 0, time.Nanosecond},
		{"exactly the highest", []time.Duration{60 * time.Second}, 1, 0, 60 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := New()
			for _, v := range tt.values {
				h.Record(v)
			}
			if got := h.Count(); got != tt.wantCount {
				t.Errorf("Count() = %d, want %d", got, tt.wantCount)
			}
			if got := h.Clamped; got != tt.wantClamped {
				t.Errorf("Clamped = %d, want %d", got, tt.wantClamped)
			}
			if got := h.Max(); !equivalent(got, tt.wantMax) {
				t.Errorf("Max() = %v, want %v", got, tt.wantMax)
			}
		})
	}
}

// equivalent allows the histogram's 3-significant-digit precision.
func equivalent(got, want time.Duration) bool {
	d := got - want
	if d < 0 {
		d = -d
	}
	return d <= want/1000+1
}

func TestPercentilesAndMerge(t *testing.T) {
	a, b := New(), New()
	for i := 1; i <= 500; i++ {
		a.Record(time.Duration(i) * time.Millisecond)
	}
	for i := 501; i <= 1000; i++ {
		b.Record(time.Duration(i) * time.Millisecond)
	}
	b.Record(time.Hour)
	if dropped := a.Merge(b); dropped != 0 {
		t.Fatalf("Merge dropped %d values", dropped)
	}
	p := a.Percentiles()
	want := Percentiles{Count: 1001, P50: 501, P90: 901, P99: 991, P999: 1000, Max: 60000, Clamped: 1}
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"p50", p.P50, want.P50}, {"p90", p.P90, want.P90}, {"p99", p.P99, want.P99},
		{"p99.9", p.P999, want.P999}, {"max", p.Max, want.Max},
	} {
		if diff := c.got - c.want; diff > c.want/1000+0.001 || diff < -c.want/1000-0.001 {
			t.Errorf("%s = %v ms, want %v ms", c.name, c.got, c.want)
		}
	}
	if p.Count != want.Count || p.Clamped != want.Clamped {
		t.Errorf("count, clamped = %d, %d; want %d, %d", p.Count, p.Clamped, want.Count, want.Clamped)
	}
	if got := (*Histogram)(nil).Percentiles(); got != (Percentiles{}) {
		t.Errorf("nil Percentiles() = %+v, want zero", got)
	}
}

func TestTagRoundTrip(t *testing.T) {
	tests := []struct {
		key Key
		tag string
	}{
		{Key{"total", 0}, "total.pop0"},
		{Key{"total_corrected", 12}, "total_corrected.pop12"},
		{Key{"tls_full", AllPops}, "tls_full.all"},
	}
	for _, tt := range tests {
		if got := tt.key.Tag(); got != tt.tag {
			t.Errorf("%+v.Tag() = %q, want %q", tt.key, got, tt.tag)
		}
		got, err := ParseTag(tt.tag)
		if err != nil || got != tt.key {
			t.Errorf("ParseTag(%q) = %+v, %v; want %+v", tt.tag, got, err, tt.key)
		}
	}
	for _, bad := range []string{"", "total", ".pop1", "total.pop", "total.pop-1", "total.popx", "total.pop01"} {
		if k, err := ParseTag(bad); err == nil {
			t.Errorf("ParseTag(%q) = %+v, want an error", bad, k)
		}
	}
}

func TestRecordTotalKeepsCorrectedAndUncorrected(t *testing.T) {
	s := NewSet(time.Now(), nil)
	t0 := time.Unix(1000, 0)
	// Intended at t0, sent 300 ms late (a stalled generator or a full pool), answered 10 ms later.
	s.RecordTotal(2, t0, t0.Add(300*time.Millisecond), t0.Add(310*time.Millisecond))
	// A send earlier than intended never makes the corrected latency shorter.
	s.RecordTotal(2, t0.Add(time.Second), t0.Add(900*time.Millisecond), t0.Add(920*time.Millisecond))
	tests := []struct {
		phase    string
		min, max time.Duration
	}{
		{PhaseTotal, 10 * time.Millisecond, 20 * time.Millisecond},
		{PhaseCorrected, 20 * time.Millisecond, 310 * time.Millisecond},
	}
	for _, tt := range tests {
		h := s.Get(Key{tt.phase, 2})
		if h == nil {
			t.Fatalf("no %s histogram", tt.phase)
		}
		if !equivalent(h.Min(), tt.min) || !equivalent(h.Max(), tt.max) {
			t.Errorf("%s: min, max = %v, %v; want %v, %v", tt.phase, h.Min(), h.Max(), tt.min, tt.max)
		}
	}
}

func TestLogRoundTrip(t *testing.T) {
	start := time.UnixMilli(1_780_000_000_250)
	var buf bytes.Buffer
	lw, err := NewLogWriter(&buf, start, "originproof test\nsecond line")
	if err != nil {
		t.Fatal(err)
	}
	s := NewSet(start, lw)
	// Two intervals; pop 1 is silent in the second.
	for i := 0; i < 100; i++ {
		s.Record("ttfb", 0, time.Duration(i+1)*time.Millisecond)
		s.Record("ttfb", 1, time.Duration(i+1)*time.Microsecond)
	}
	s.Record("ttfb", 1, 2*time.Minute) // clamped
	if err := s.Flush(start.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 50; i++ {
		s.Record("ttfb", 0, 5*time.Second)
	}
	if err := s.Flush(start.Add(2 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if strings.Count(buf.String(), "\n#") < 1 || !strings.HasPrefix(buf.String(), "#[Histogram log format version 1.3]") {
		t.Fatalf("log header missing:\n%s", buf.String())
	}

	got, err := ReadLog(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		key        Key
		count      int64
		start, end time.Duration
		max        time.Duration
	}
	want := []row{
		{Key{"ttfb", 0}, 100, 0, time.Second, 100 * time.Millisecond},
		{Key{"ttfb", 1}, 101, 0, time.Second, 60 * time.Second},
		{Key{"ttfb", 0}, 50, time.Second, 2 * time.Second, 5 * time.Second},
	}
	if len(got) != len(want) {
		t.Fatalf("read %d intervals, want %d:\n%s", len(got), len(want), buf.String())
	}
	for i, w := range want {
		g := got[i]
		if g.Key != w.key || g.Histogram.Count() != w.count || !equivalent(g.Histogram.Max(), w.max) {
			t.Errorf("interval %d = %+v count %d max %v; want %+v count %d max %v", i, g.Key, g.Histogram.Count(), g.Histogram.Max(), w.key, w.count, w.max)
		}
		if d := g.Start.Sub(start.Add(w.start)); d > time.Millisecond || d < -time.Millisecond {
			t.Errorf("interval %d starts at %v, want %v", i, g.Start, start.Add(w.start))
		}
		if d := g.End.Sub(start.Add(w.end)); d > time.Millisecond || d < -time.Millisecond {
			t.Errorf("interval %d ends at %v, want %v", i, g.End, start.Add(w.end))
		}
	}
	// The merged intervals equal the cumulative histograms kept in memory.
	merged := map[Key]*Histogram{}
	for _, iv := range got {
		if merged[iv.Key] == nil {
			merged[iv.Key] = New()
		}
		merged[iv.Key].Merge(iv.Histogram)
	}
	for _, k := range s.Keys() {
		if !merged[k].HDR().Equals(s.Get(k).HDR()) {
			t.Errorf("%v: merged log intervals differ from the cumulative histogram", k)
		}
	}
	// The plain hdrhistogram-go reader (as other tools use it) reads it too.
	r := hdrhistogram.NewHistogramLogReader(bytes.NewReader(buf.Bytes()))
	n := 0
	for h, err := r.NextIntervalHistogram(); h != nil; h, err = r.NextIntervalHistogram() {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != len(want) {
		t.Errorf("hdrhistogram-go read %d intervals, want %d", n, len(want))
	}
}

func TestSetMergeAndMerged(t *testing.T) {
	a, b := NewSet(time.Now(), nil), NewSet(time.Now(), nil)
	a.Record("connect", 0, time.Millisecond)
	b.Record("connect", 0, 3*time.Millisecond)
	b.Record("connect", 1, 5*time.Millisecond)
	a.Merge(b)
	if got := a.Get(Key{"connect", 0}).Count(); got != 2 {
		t.Errorf("pop 0 count = %d, want 2", got)
	}
	all := a.Merged("connect")
	if got := all.Count(); got != 3 {
		t.Errorf("merged count = %d, want 3", got)
	}
	if a.Merged("tls_full") != nil {
		t.Errorf("Merged of an unrecorded phase is not nil")
	}
	if got, want := strings.Join(a.Phases(), ","), "connect"; got != want {
		t.Errorf("Phases() = %q, want %q", got, want)
	}
}

func TestEncodingDecodesToTheSameHistogram(t *testing.T) {
	tests := []struct {
		name   string
		values map[int64]int64 // value → count
	}{
		{"empty", nil},
		{"one value", map[int64]int64{1500: 1}},
		{"lowest and highest", map[int64]int64{1: 3, Highest: 2}},
		{"large counts", map[int64]int64{10: 1 << 40, 1_000_000: 127, 2_000_000: 128, 3_000_000: 1<<62 - 1}},
		{"dense", func() map[int64]int64 {
			m := map[int64]int64{}
			for v := int64(1); v < 5000; v += 3 {
				m[v] = v % 17
			}
			return m
		}()},
	}
	var enc encoder
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := New()
			for v, n := range tt.values {
				if n > 0 {
					if err := h.h.RecordValues(v, n); err != nil {
						t.Fatal(err)
					}
				}
			}
			payload, err := enc.encode(h.h)
			if err != nil {
				t.Fatal(err)
			}
			got, err := hdrhistogram.Decode(payload)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equals(h.h) {
				t.Errorf("decoded histogram differs: count %d vs %d, max %d vs %d", got.TotalCount(), h.Count(), got.Max(), h.h.Max())
			}
			// The library's own encoding decodes to the same histogram.
			lib, err := h.h.EncodeV2()
			if err != nil {
				t.Fatal(err)
			}
			back, err := hdrhistogram.Decode(lib)
			if err != nil || !back.Equals(got) {
				t.Errorf("library encoding decodes differently (%v)", err)
			}
		})
	}
}

// TestHistogramText: a histogram written as text reads back with the same
// counts, and merges exactly.
func TestHistogramText(t *testing.T) {
	h := New()
	for i := 1; i <= 1000; i++ {
		h.Record(time.Duration(i) * 37 * time.Microsecond)
	}
	b, err := h.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	var back Histogram
	if err := back.UnmarshalText(b); err != nil {
		t.Fatal(err)
	}
	if back.Count() != h.Count() || back.Percentiles() != h.Percentiles() {
		t.Errorf("read back %+v, wrote %+v", back.Percentiles(), h.Percentiles())
	}
	back.Merge(h)
	if back.Count() != 2000 || back.Quantile(50) != h.Quantile(50) {
		t.Errorf("merged: %d values, median %v", back.Count(), back.Quantile(50))
	}
	if err := back.UnmarshalText([]byte("bm90IGEgaGlzdG9ncmFt")); err == nil {
		t.Error("garbage decoded")
	}
}

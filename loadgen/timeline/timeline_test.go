package timeline

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func TestWidth(t *testing.T) {
	tests := []struct {
		span, want time.Duration
	}{
		{time.Second, 20 * time.Millisecond},
		{2 * time.Second, 50 * time.Millisecond},
		{30 * time.Second, 500 * time.Millisecond},
		{5 * time.Minute, time.Second},
		{10 * time.Minute, time.Second},
		{30 * time.Minute, 5 * time.Second},
		{24 * time.Hour, 5 * time.Minute},
		{1000 * time.Hour, 2 * time.Hour},
	}
	for _, tt := range tests {
		got := Width(tt.span)
		if got != tt.want {
			t.Errorf("Width(%v) = %v, want %v", tt.span, got, tt.want)
		}
		if n := (tt.span + got - 1) / got; n > MaxIntervals {
			t.Errorf("Width(%v): %d intervals, want <= %d", tt.span, n, MaxIntervals)
		}
		if s := New(t0, tt.span); s.Len() > MaxIntervals || s.Width() != got {
			t.Errorf("New(%v): %d intervals of %v", tt.span, s.Len(), s.Width())
		}
	}
}

func TestIndexAndClamp(t *testing.T) {
	s := NewGrid(t0, time.Second, 10)
	tests := []struct {
		at     time.Duration
		want   int
		wantOK bool
	}{
		{-time.Millisecond, 0, false},
		{0, 0, true},
		{999 * time.Millisecond, 0, true},
		{time.Second, 1, true},
		{9999 * time.Millisecond, 9, true},
		{10 * time.Second, 9, false},
		{1000 * time.Hour, 9, false},
	}
	for _, tt := range tests {
		i, ok := s.Index(t0.Add(tt.at))
		if i != tt.want || ok != tt.wantOK {
			t.Errorf("Index(+%v) = %d, %v; want %d, %v", tt.at, i, ok, tt.want, tt.wantOK)
		}
		if c := s.Clamp(t0.Add(tt.at)); c != tt.want {
			t.Errorf("Clamp(+%v) = %d, want %d", tt.at, c, tt.want)
		}
	}
}

func fill(s *Series, vals ...float64) *Series {
	copy(s.Sum("n"), vals)
	copy(s.Max("top"), vals)
	return s
}

func TestMerge(t *testing.T) {
	tests := []struct {
		name        string
		a, b        *Series
		wantSum     []float64
		wantMax     []float64
		wantWidth   time.Duration
		wantErrText string
	}{
		{name: "same grid", a: fill(NewGrid(t0, time.Second, 4), 1, 2, 3, 4), b: fill(NewGrid(t0, time.Second, 4), 4, 0, 0, 9),
			wantSum: []float64{5, 2, 3, 13}, wantMax: []float64{4, 2, 3, 9}, wantWidth: time.Second},
		{name: "later start shifts, overflow lands in the last interval", a: fill(NewGrid(t0, time.Second, 4), 0, 0, 0, 0),
			b:       fill(NewGrid(t0.Add(2100*time.Millisecond), time.Second, 4), 1, 2, 3, 4),
			wantSum: []float64{0, 0, 1, 9}, wantMax: []float64{0, 0, 1, 4}, wantWidth: time.Second},
		{name: "earlier start lands in the first interval", a: fill(NewGrid(t0, time.Second, 3), 0, 0, 0),
			b:       fill(NewGrid(t0.Add(-time.Second), time.Second, 3), 1, 2, 3),
			wantSum: []float64{3, 3, 0}, wantMax: []float64{2, 3, 0}, wantWidth: time.Second},
		{name: "finer into coarser", a: fill(NewGrid(t0, 2*time.Second, 2), 1, 1), b: fill(NewGrid(t0, time.Second, 4), 1, 2, 3, 4),
			wantSum: []float64{4, 8}, wantMax: []float64{2, 4}, wantWidth: 2 * time.Second},
		{name: "coarser into finer coarsens the receiver", a: fill(NewGrid(t0, time.Second, 4), 1, 2, 3, 4), b: fill(NewGrid(t0, 2*time.Second, 2), 1, 1),
			wantSum: []float64{4, 8}, wantMax: []float64{2, 4}, wantWidth: 2 * time.Second},
		{name: "widths that do not divide", a: NewGrid(t0, 2*time.Second, 2), b: NewGrid(t0, 3*time.Second, 2), wantErrText: "do not divide"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.a.Merge(tt.b)
			if tt.wantErrText != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErrText) {
					t.Fatalf("err = %v, want %q", err, tt.wantErrText)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := tt.a.Sum("n"); !slices.Equal(got, tt.wantSum) {
				t.Errorf("sum = %v, want %v", got, tt.wantSum)
			}
			if got := tt.a.Max("top"); !slices.Equal(got, tt.wantMax) {
				t.Errorf("max = %v, want %v", got, tt.wantMax)
			}
			if tt.a.Width() != tt.wantWidth || tt.a.Len() != len(tt.wantSum) {
				t.Errorf("grid %d x %v, want %d x %v", tt.a.Len(), tt.a.Width(), len(tt.wantSum), tt.wantWidth)
			}
		})
	}
}

func TestRebinKeepsTheOriginal(t *testing.T) {
	s := fill(NewGrid(t0, time.Second, 5), 1, 2, 3, 4, 5)
	r := s.Rebin(2)
	if got, want := r.Sum("n"), []float64{3, 7, 5}; !slices.Equal(got, want) {
		t.Errorf("rebinned sum = %v, want %v", got, want)
	}
	if got, want := r.Max("top"), []float64{2, 4, 5}; !slices.Equal(got, want) {
		t.Errorf("rebinned max = %v, want %v", got, want)
	}
	if r.Width() != 2*time.Second || s.Width() != time.Second || len(s.Sum("n")) != 5 {
		t.Errorf("rebin changed the original or the width: %v, %v", r.Width(), s.Width())
	}
}

func TestCumulative(t *testing.T) {
	if got, want := Cumulative([]float64{2, 1, -1, 0, -2}), []float64{2, 3, 2, 2, 0}; !slices.Equal(got, want) {
		t.Errorf("Cumulative = %v, want %v", got, want)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	s := fill(NewGrid(t0, 500*time.Millisecond, 3), 1, 0, 7)
	s.Sum("errors/timeout")[1] = 2
	data, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back Series
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	if !back.Start().Equal(t0) || back.Width() != s.Width() || back.Len() != 3 {
		t.Fatalf("grid %v %v %d, want %v %v 3", back.Start(), back.Width(), back.Len(), t0, s.Width())
	}
	if !slices.Equal(back.SumNames(), []string{"errors/timeout", "n"}) || !slices.Equal(back.Max("top"), []float64{1, 0, 7}) || back.Sum("errors/timeout")[1] != 2 {
		t.Errorf("columns differ after a round trip: %s", data)
	}
	// Merging the decoded series doubles every sum.
	if err := back.Merge(s); err != nil || !slices.Equal(back.Sum("n"), []float64{2, 0, 14}) {
		t.Errorf("merge after decoding: %v %v", err, back.Sum("n"))
	}
}

func TestJSONRejectsBadSeries(t *testing.T) {
	for _, in := range []string{
		`{"start":"2026-01-02T03:04:05Z","interval_s":0,"intervals":3}`,
		`{"start":"2026-01-02T03:04:05Z","interval_s":1,"intervals":0}`,
		`{"start":"2026-01-02T03:04:05Z","interval_s":1,"intervals":100000}`,
		`{"start":"2026-01-02T03:04:05Z","interval_s":1,"intervals":3,"sum":{"n":[1,2]}}`,
		`{"start":"2026-01-02T03:04:05Z","interval_s":1,"intervals":3,"max":{"n":[1,2,3,4]}}`,
		`{"start":"yesterday"}`,
	} {
		var s Series
		if err := json.Unmarshal([]byte(in), &s); err == nil {
			t.Errorf("%s: accepted", in)
		}
	}
}

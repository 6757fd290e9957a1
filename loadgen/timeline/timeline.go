// Package timeline is a bounded per-interval series: named sums and maxima
// over fixed-width intervals of a run, never more than MaxIntervals of them
// however long the run. A series has a JSON form and merges with another of
// the same grid (shards of one run, or the readers of one results file), so
// it can be written while a run goes and added up afterwards. It depends on
// the standard library only.
package timeline

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"
)

// MaxIntervals bounds every series built by New.
const MaxIntervals = 600

// widths are the interval widths New picks from.
var widths = []time.Duration{10 * time.Millisecond, 20 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond,
	200 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second,
	15 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute,
	30 * time.Minute, time.Hour}

// Width picks a round interval width for a run of span: about 60 intervals
// for a short run (intervals up to a second), one-second intervals up to
// ten minutes, and never more than MaxIntervals.
func Width(span time.Duration) time.Duration {
	want := max(span/MaxIntervals, min(time.Second, span/60))
	for _, w := range widths {
		if w >= want {
			return w
		}
	}
	return (want + time.Hour - 1) / time.Hour * time.Hour
}

// Series holds named columns over n intervals of width from start. A sum
// column adds what falls into an interval (counts, totals, +1/-1 deltas); a
// max column keeps the largest value. Columns are made on first use.
// A Series is not safe for concurrent use: give each goroutine its own and
// Merge them.
type Series struct {
	start time.Time
	width time.Duration
	n     int
	sums  map[string][]float64
	maxes map[string][]float64
}

// New returns a series for a run of span from start, at the width Width
// picks (at least one interval).
func New(start time.Time, span time.Duration) *Series {
	if span <= 0 {
		span = time.Second
	}
	w := Width(span)
	n := int((span + w - 1) / w)
	return NewGrid(start, w, min(max(n, 1), MaxIntervals))
}

// NewGrid returns a series of n intervals of width from start.
func NewGrid(start time.Time, width time.Duration, n int) *Series {
	if width <= 0 {
		width = time.Second
	}
	return &Series{start: start, width: width, n: max(n, 1), sums: map[string][]float64{}, maxes: map[string][]float64{}}
}

// Start is when the first interval begins.
func (s *Series) Start() time.Time { return s.start }

// Width is the width of every interval.
func (s *Series) Width() time.Duration { return s.width }

// Len is the number of intervals.
func (s *Series) Len() int { return s.n }

// Index is the interval t falls into; ok is false when t is before the
// first interval or after the last.
func (s *Series) Index(t time.Time) (i int, ok bool) {
	d := t.Sub(s.start)
	if d < 0 {
		return 0, false
	}
	i64 := int64(d / s.width)
	if i64 >= int64(s.n) {
		return s.n - 1, false
	}
	return int(i64), true
}

// Clamp is the interval t falls into, the first or the last for a time
// outside the series.
func (s *Series) Clamp(t time.Time) int {
	i, _ := s.Index(t)
	return i
}

// Sum is the sum column name (made on first use): add into its elements.
func (s *Series) Sum(name string) []float64 { return column(s.sums, name, s.n) }

// Max is the max column name (made on first use, zero everywhere): keep the
// larger value in its elements.
func (s *Series) Max(name string) []float64 { return column(s.maxes, name, s.n) }

// HasSum says whether the sum column name exists.
func (s *Series) HasSum(name string) bool { _, ok := s.sums[name]; return ok }

// SumNames and MaxNames list the columns, sorted.
func (s *Series) SumNames() []string { return names(s.sums) }

// MaxNames lists the max columns, sorted.
func (s *Series) MaxNames() []string { return names(s.maxes) }

func column(m map[string][]float64, name string, n int) []float64 {
	c, ok := m[name]
	if !ok {
		c = make([]float64, n)
		m[name] = c
	}
	return c
}

func names(m map[string][]float64) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Merge adds o into s. The widths must be equal or one a whole multiple of
// the other (the finer series is coarsened first); o's intervals are placed
// on s's grid by the nearest whole number of intervals between the starts,
// and what falls outside s goes into its first or last interval.
func (s *Series) Merge(o *Series) error {
	if o == nil {
		return nil
	}
	switch {
	case o.width == s.width:
	case o.width > s.width && o.width%s.width == 0:
		s.coarsen(int(o.width / s.width))
	case s.width > o.width && s.width%o.width == 0:
		o = o.Rebin(int(s.width / o.width))
	default:
		return fmt.Errorf("timeline: merge: intervals of %v and %v do not divide", s.width, o.width)
	}
	shift := int(math.Round(float64(o.start.Sub(s.start)) / float64(s.width)))
	place := func(i int) int { return min(max(i+shift, 0), s.n-1) }
	for name, src := range o.sums {
		dst := s.Sum(name)
		for i, v := range src {
			dst[place(i)] += v
		}
	}
	for name, src := range o.maxes {
		dst := s.Max(name)
		for i, v := range src {
			j := place(i)
			dst[j] = math.Max(dst[j], v)
		}
	}
	return nil
}

// Rebin returns a copy of s with every k intervals made one (k ≥ 1).
func (s *Series) Rebin(k int) *Series {
	c := s.clone()
	c.coarsen(k)
	return c
}

func (s *Series) clone() *Series {
	c := NewGrid(s.start, s.width, s.n)
	for k, v := range s.sums {
		c.sums[k] = slices.Clone(v)
	}
	for k, v := range s.maxes {
		c.maxes[k] = slices.Clone(v)
	}
	return c
}

func (s *Series) coarsen(k int) {
	if k <= 1 {
		return
	}
	n := (s.n + k - 1) / k
	for name, c := range s.sums {
		out := make([]float64, n)
		for i, v := range c {
			out[i/k] += v
		}
		s.sums[name] = out
	}
	for name, c := range s.maxes {
		out := make([]float64, n)
		for i, v := range c {
			out[i/k] = math.Max(out[i/k], v)
		}
		s.maxes[name] = out
	}
	s.n, s.width = n, s.width*time.Duration(k)
}

// Cumulative is the running total of a column of deltas: the level at the
// end of each interval (e.g. connections open, from +1 opened / −1 closed).
func Cumulative(c []float64) []float64 {
	out := make([]float64, len(c))
	var level float64
	for i, v := range c {
		level += v
		out[i] = level
	}
	return out
}

// wire is the JSON form of a Series.
type wire struct {
	Start     time.Time            `json:"start"`
	IntervalS float64              `json:"interval_s"`
	Intervals int                  `json:"intervals"`
	Sums      map[string][]float64 `json:"sum,omitempty"`
	Maxes     map[string][]float64 `json:"max,omitempty"`
}

// MarshalJSON writes the series as {"start", "interval_s", "intervals",
// "sum": {name: [...]}, "max": {name: [...]}}.
func (s *Series) MarshalJSON() ([]byte, error) {
	return json.Marshal(wire{Start: s.start, IntervalS: s.width.Seconds(), Intervals: s.n, Sums: s.sums, Maxes: s.maxes})
}

// UnmarshalJSON reads the JSON form back, checking that every column has
// one value per interval and the grid is bounded.
func (s *Series) UnmarshalJSON(b []byte) error {
	var w wire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	width := time.Duration(math.Round(w.IntervalS * 1e9))
	switch {
	case width <= 0:
		return fmt.Errorf("timeline: interval_s %v: want a positive width", w.IntervalS)
	case w.Intervals < 1 || w.Intervals > MaxIntervals:
		return fmt.Errorf("timeline: %d intervals: want 1-%d", w.Intervals, MaxIntervals)
	}
	*s = *NewGrid(w.Start, width, w.Intervals)
	for kind, m := range map[string]map[string][]float64{"sum": w.Sums, "max": w.Maxes} {
		for name, c := range m {
			if len(c) != w.Intervals {
				return fmt.Errorf("timeline: %s column %q has %d values, want %d", kind, name, len(c), w.Intervals)
			}
		}
	}
	for k, v := range w.Sums {
		s.sums[k] = v
	}
	for k, v := range w.Maxes {
		s.maxes[k] = v
	}
	return nil
}

// Rename renames every column by f (e.g. to renumber per-pop columns).
func (s *Series) Rename(f func(string) string) {
	for _, m := range []map[string][]float64{s.sums, s.maxes} {
		renamed := make(map[string][]float64, len(m))
		for k, v := range m {
			renamed[f(k)] = v
		}
		clear(m)
		for k, v := range renamed {
			m[k] = v
		}
	}
}

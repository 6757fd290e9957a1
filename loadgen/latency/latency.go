package latency

import (
	"fmt"
	"math"
	"sort"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// The recording range: every value is in nanoseconds, from 1 ns to 60 s, to
// three significant digits (about 220 KiB of counts per histogram).
const (
	Lowest  = int64(1)
	Highest = int64(60 * time.Second)
	SigFigs = 3
)

// Histogram is an HdrHistogram over [Lowest, Highest] that clamps values out
// of range instead of dropping them, and counts how many it clamped.
// It is not safe for concurrent use: one goroutine owns it.
type Histogram struct {
	h *hdrhistogram.Histogram
	// Clamped counts values above Highest recorded as Highest.
	Clamped int64
}

// New returns an empty histogram.
func New() *Histogram {
	return &Histogram{h: hdrhistogram.New(Lowest, Highest, SigFigs)}
}

// Record records a duration, clamping it into [Lowest, Highest].
func (h *Histogram) Record(d time.Duration) {
	v := int64(d)
	switch {
	case v > Highest:
		v = Highest
		h.Clamped++
	case v < Lowest:
		// Zero or negative (a clock step): the smallest value keeps the count right.
		v = Lowest
	}
	// In range by construction: RecordValue cannot fail.
	_ = h.h.RecordValue(v)
}

// Merge adds other's counts to h. It returns how many values other held
// that h could not take (always 0 for histograms of the same range).
func (h *Histogram) Merge(other *Histogram) int64 {
	if other == nil {
		return 0
	}
	h.Clamped += other.Clamped
	return h.h.Merge(other.h)
}

// Count is the number of recorded values.
func (h *Histogram) Count() int64 { return h.h.TotalCount() }

// Quantile returns the value at quantile q (0–100, e.g. 99.9).
func (h *Histogram) Quantile(q float64) time.Duration {
	return time.Duration(h.h.ValueAtQuantile(q))
}

// Max is the largest recorded value (to the histogram's precision).
func (h *Histogram) Max() time.Duration { return time.Duration(h.h.Max()) }

// Min is the smallest recorded value (to the histogram's precision).
func (h *Histogram) Min() time.Duration { return time.Duration(h.h.Min()) }

// Mean is the mean of the recorded values.
func (h *Histogram) Mean() time.Duration { return time.Duration(h.h.Mean()) }

// Reset empties the histogram.
func (h *Histogram) Reset() {
	h.h.Reset()
	h.Clamped = 0
}

// HDR returns the underlying HdrHistogram (for encoding; do not record into it).
func (h *Histogram) HDR() *hdrhistogram.Histogram { return h.h }

// FromHDR wraps a decoded HdrHistogram (e.g. one read from a log).
func FromHDR(hh *hdrhistogram.Histogram) *Histogram { return &Histogram{h: hh} }

// Percentiles is a histogram's summary in milliseconds: what reports show.
type Percentiles struct {
	Count   int64   `json:"count"`
	Min     float64 `json:"min_ms"`
	Mean    float64 `json:"mean_ms"`
	P50     float64 `json:"p50_ms"`
	P90     float64 `json:"p90_ms"`
	P99     float64 `json:"p99_ms"`
	P999    float64 `json:"p99_9_ms"`
	Max     float64 `json:"max_ms"`
	Clamped int64   `json:"clamped,omitempty"`
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }

// Percentiles summarises the histogram; the zero value for an empty one.
func (h *Histogram) Percentiles() Percentiles {
	if h == nil || h.Count() == 0 {
		return Percentiles{}
	}
	return Percentiles{
		Count:   h.Count(),
		Min:     ms(h.Min()),
		Mean:    ms(h.Mean()),
		P50:     ms(h.Quantile(50)),
		P90:     ms(h.Quantile(90)),
		P99:     ms(h.Quantile(99)),
		P999:    ms(h.Quantile(99.9)),
		Max:     ms(h.Max()),
		Clamped: h.Clamped,
	}
}

// AllPops is the Key.Pop of histograms merged over every pop.
const AllPops = -1

// Key names a histogram of a Set: a phase ("connect", "tls_full", "ttfb",
// "total", "total_corrected", …) and a pop (AllPops for the merge).
type Key struct {
	Phase string
	Pop   int
}

// Tag is the key as an HdrHistogram log tag: "phase.popN" or "phase.all"
// (tags may not contain commas or spaces).
func (k Key) Tag() string {
	if k.Pop == AllPops {
		return k.Phase + ".all"
	}
	return fmt.Sprintf("%s.pop%d", k.Phase, k.Pop)
}

// ParseTag is the inverse of Key.Tag.
func ParseTag(tag string) (Key, error) {
	for i := len(tag) - 1; i >= 0; i-- {
		if tag[i] != '.' {
			continue
		}
		phase, rest := tag[:i], tag[i+1:]
		if phase == "" {
			break
		}
		if rest == "all" {
			return Key{Phase: phase, Pop: AllPops}, nil
		}
		var pop int
		if _, err := fmt.Sscanf(rest, "pop%d", &pop); err == nil && fmt.Sprintf("pop%d", pop) == rest && pop >= 0 {
			return Key{Phase: phase, Pop: pop}, nil
		}
		break
	}
	return Key{}, fmt.Errorf("latency: tag %q is not phase.popN or phase.all", tag)
}

// Set holds the cumulative histograms of a run, keyed by phase and pop, and
// the histograms of the current interval, which Flush streams to a log and
// resets. Histograms are allocated on first use. A Set is owned by one
// goroutine; Sets of several goroutines combine with Merge.
type Set struct {
	cum       map[Key]*Histogram
	interval  map[Key]*Histogram
	recorders map[Key]*Recorder
	log       *LogWriter
	from      time.Time
}

// NewSet returns an empty Set whose first interval starts at start. With a
// nil log, Flush only resets the interval histograms.
func NewSet(start time.Time, log *LogWriter) *Set {
	return &Set{cum: map[Key]*Histogram{}, interval: map[Key]*Histogram{}, recorders: map[Key]*Recorder{}, log: log, from: start}
}

// Recorder records one phase of one pop into a Set: a handle that spares
// the owner a map lookup per value. It belongs to the Set's goroutine.
type Recorder struct {
	cum, interval *Histogram
}

// Record records d.
func (r *Recorder) Record(d time.Duration) {
	r.cum.Record(d)
	if r.interval != nil {
		r.interval.Record(d)
	}
}

// Recorder returns the handle for phase and pop, creating its histograms.
func (s *Set) Recorder(phase string, pop int) *Recorder {
	k := Key{Phase: phase, Pop: pop}
	if r := s.recorders[k]; r != nil {
		return r
	}
	r := &Recorder{cum: New()}
	s.cum[k] = r.cum
	if s.log != nil {
		r.interval = New()
		s.interval[k] = r.interval
	}
	s.recorders[k] = r
	return r
}

// Record records d under phase and pop.
func (s *Set) Record(phase string, pop int, d time.Duration) {
	s.Recorder(phase, pop).Record(d)
}

// Flush writes the interval histograms that recorded anything since the
// last Flush to the log, stamped [last flush, now), and resets them.
func (s *Set) Flush(now time.Time) error {
	var err error
	if s.log != nil {
		for _, k := range sortedKeys(s.interval) {
			h := s.interval[k]
			if h.Count() == 0 {
				continue
			}
			if e := s.log.Write(k.Tag(), h, s.from, now); e != nil && err == nil {
				err = e
			}
			h.Reset()
		}
	}
	s.from = now
	return err
}

// Interval returns the current interval's histogram for k (nil if none).
func (s *Set) Interval(k Key) *Histogram { return s.interval[k] }

// Get returns the cumulative histogram for k (nil when nothing was recorded).
func (s *Set) Get(k Key) *Histogram { return s.cum[k] }

// Keys lists the keys with cumulative histograms, sorted by phase then pop.
func (s *Set) Keys() []Key { return sortedKeys(s.cum) }

// Phases lists the recorded phases, sorted.
func (s *Set) Phases() []string {
	seen := map[string]bool{}
	var out []string
	for k := range s.cum {
		if !seen[k.Phase] {
			seen[k.Phase] = true
			out = append(out, k.Phase)
		}
	}
	sort.Strings(out)
	return out
}

// Merged returns a new histogram holding phase over every pop (nil when
// the phase was never recorded).
func (s *Set) Merged(phase string) *Histogram {
	var out *Histogram
	for k, h := range s.cum {
		if k.Phase != phase {
			continue
		}
		if out == nil {
			out = New()
		}
		out.Merge(h)
	}
	return out
}

// Merge adds the cumulative histograms of other into s.
func (s *Set) Merge(other *Set) {
	for k, h := range other.cum {
		c := s.cum[k]
		if c == nil {
			c = New()
			s.cum[k] = c
		}
		c.Merge(h)
	}
}

func sortedKeys(m map[Key]*Histogram) []Key {
	keys := make([]Key, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].Phase != keys[j].Phase {
			return keys[i].Phase < keys[j].Phase
		}
		return keys[i].Pop < keys[j].Pop
	})
	return keys
}

// MarshalText encodes the histogram as HdrHistogram's V2 compressed
// encoding in base64 (what hdrhistogram-go and the Java tools decode), so
// a histogram kept in JSON merges exactly with another.
func (h *Histogram) MarshalText() ([]byte, error) {
	b, err := h.h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		return nil, fmt.Errorf("latency: encode histogram: %w", err)
	}
	return b, nil
}

// UnmarshalText decodes what MarshalText wrote (clamped counts are not
// carried: a decoded histogram's Clamped is 0).
func (h *Histogram) UnmarshalText(b []byte) error {
	hh, err := hdrhistogram.Decode(b)
	if err != nil {
		return fmt.Errorf("latency: decode histogram: %w", err)
	}
	if hh.LowestTrackableValue() != Lowest || hh.HighestTrackableValue() != Highest || hh.SignificantFigures() != SigFigs {
		return fmt.Errorf("latency: decode histogram: range %d-%d at %d digits, want %d-%d at %d", hh.LowestTrackableValue(), hh.HighestTrackableValue(), hh.SignificantFigures(), Lowest, Highest, SigFigs)
	}
	h.h, h.Clamped = hh, 0
	return nil
}

package loadgen

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"time"
)

// Duration is a time.Duration that reads and writes JSON as a Go duration
// string ("5s", "1m30s").
type Duration time.Duration

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads a duration string (or a number of nanoseconds).
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n int64
		if err2 := json.Unmarshal(b, &n); err2 != nil {
			return fmt.Errorf("duration: %w", err)
		}
		*d = Duration(n)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// Segment is a stretch of an arrival schedule whose rate changes linearly
// from From to To requests per second over Duration (From == To: constant;
// both zero: an idle gap).
type Segment struct {
	From     float64  `json:"from_rps"`
	To       float64  `json:"to_rps"`
	Duration Duration `json:"duration"`
}

// hits is the number of arrivals the segment schedules (its area).
func (s Segment) hits() float64 {
	return (s.From + s.To) / 2 * time.Duration(s.Duration).Seconds()
}

// Schedule is an open-model arrival schedule: piecewise-linear request
// rates. Request n (0-based, Vegeta's sequence number) is due at the first
// time the schedule's cumulative arrivals pass n, so the intended send time
// of every request follows from its sequence number alone (wrk2 style):
// latency measured from it includes any time the request waited for the
// generator or for a free connection.
//
// A Schedule is a vegeta.Pacer.
type Schedule struct {
	Model    string    `json:"model"`
	Segments []Segment `json:"segments"`
	// Shard, "i/N" when set, makes this schedule shard i's share of the
	// whole one: the requests whose run-wide sequence number is i−1 modulo
	// N. The shards' arrivals interleave, so together they follow the
	// whole schedule (not N bursts at the same instants).
	Shard string `json:"shard,omitempty"`

	cum          []float64 // cumulative arrivals at the start of each segment, plus the total
	off          []time.Duration
	shardI, nOfN uint64 // 0-based shard index and shard count (nOfN 0: the whole schedule)
}

// Constant schedules rate requests per second for d.
func Constant(rate float64, d time.Duration) Schedule {
	return newSchedule("constant", Segment{From: rate, To: rate, Duration: Duration(d)})
}

// Ramp schedules a rate rising (or falling) linearly from one rate to
// another over d.
func Ramp(from, to float64, d time.Duration) Schedule {
	return newSchedule("ramp", Segment{From: from, To: to, Duration: Duration(d)})
}

// Steps schedules each rate in turn for each.
func Steps(each time.Duration, rates ...float64) Schedule {
	segs := make([]Segment, 0, len(rates))
	for _, r := range rates {
		segs = append(segs, Segment{From: r, To: r, Duration: Duration(each)})
	}
	return newSchedule("steps", segs...)
}

// IdleGaps schedules bursts of rate requests per second lasting burst,
// separated by idle gaps of gap, for d in all. Gaps longer than the
// keep-alive make every pooled connection expire, so each burst starts with
// a storm of fresh handshakes: the worst case for an origin.
func IdleGaps(rate float64, burst, gap, d time.Duration) Schedule {
	var segs []Segment
	for t := time.Duration(0); t < d && burst > 0; {
		b := min(burst, d-t)
		segs = append(segs, Segment{From: rate, To: rate, Duration: Duration(b)})
		t += b
		if t >= d {
			break
		}
		g := min(gap, d-t)
		segs = append(segs, Segment{Duration: Duration(g)})
		t += g
	}
	return newSchedule("idle-gaps", segs...)
}

// Custom builds a schedule from explicit segments.
func Custom(segs ...Segment) Schedule { return newSchedule("custom", segs...) }

func newSchedule(model string, segs ...Segment) Schedule {
	s := Schedule{Model: model, Segments: segs}
	s.init()
	return s
}

func (s *Schedule) init() {
	s.shardI, s.nOfN = 0, 0
	if i, n, err := ParseShard(s.Shard); err == nil && n > 1 {
		s.shardI, s.nOfN = uint64(i-1), uint64(n)
	}
	s.cum = make([]float64, len(s.Segments)+1)
	s.off = make([]time.Duration, len(s.Segments)+1)
	for i, seg := range s.Segments {
		s.cum[i+1] = s.cum[i] + seg.hits()
		s.off[i+1] = s.off[i] + time.Duration(seg.Duration)
	}
}

// UnmarshalJSON reads a schedule back (e.g. from run.json).
func (s *Schedule) UnmarshalJSON(b []byte) error {
	type plain Schedule
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*s = Schedule(p)
	s.init()
	return s.Validate()
}

// OfShard returns shard i's (1-based) share of n of the whole schedule; n
// of 1 is the whole schedule.
func (s Schedule) OfShard(i, n int) Schedule {
	w := s.Whole()
	if n > 1 {
		w.Shard = fmt.Sprintf("%d/%d", i, n)
	}
	w.init()
	return w
}

// Whole returns the whole schedule a shard's share is taken from.
func (s Schedule) Whole() Schedule {
	w := newSchedule(s.Model, s.Segments...)
	return w
}

// Global is the run-wide sequence number of the schedule's request n: the
// same number for the whole schedule, i−1+n·N for shard i of N.
func (s Schedule) Global(n uint64) uint64 {
	if s.nOfN == 0 {
		return n
	}
	return s.shardI + n*s.nOfN
}

// Validate checks the schedule is usable: at least one segment, finite
// non-negative rates and positive durations, and at least one arrival.
func (s Schedule) Validate() error {
	if len(s.cum) != len(s.Segments)+1 {
		s.init()
	}
	if len(s.Segments) == 0 {
		return fmt.Errorf("the schedule has no segments")
	}
	for i, seg := range s.Segments {
		switch {
		case seg.Duration <= 0:
			return fmt.Errorf("segment %d: duration %v is not positive", i+1, time.Duration(seg.Duration))
		case !usableRate(seg.From) || !usableRate(seg.To):
			return fmt.Errorf("segment %d: rate %v→%v/s is not a number from 0 to %g", i+1, seg.From, seg.To, float64(MaxRate))
		}
	}
	if s.Shard != "" && s.nOfN == 0 {
		if _, _, err := ParseShard(s.Shard); err != nil {
			return fmt.Errorf("shard %v", err)
		}
	}
	if s.Requests() == 0 {
		if s.nOfN > 0 {
			return fmt.Errorf("shard %s sends no request: the whole schedule has only %d", s.Shard, s.wholeRequests())
		}
		return fmt.Errorf("the schedule sends no request")
	}
	return nil
}

// Duration is the schedule's length.
func (s Schedule) Duration() time.Duration {
	if len(s.off) == 0 {
		return 0
	}
	return s.off[len(s.off)-1]
}

// Requests is the number of requests the schedule sends (a shard: its share).
func (s Schedule) Requests() int64 {
	total := s.wholeRequests()
	if s.nOfN == 0 {
		return total
	}
	i, n := int64(s.shardI), int64(s.nOfN)
	if total <= i {
		return 0
	}
	return (total - i + n - 1) / n
}

func (s Schedule) wholeRequests() int64 {
	if len(s.cum) == 0 {
		return 0
	}
	total := s.cum[len(s.cum)-1]
	n := int64(math.Ceil(total - 1e-9))
	if n < 0 {
		return 0
	}
	return n
}

// MeanRate is the requests per second asked for over the whole schedule.
func (s Schedule) MeanRate() float64 {
	if d := s.Duration().Seconds(); d > 0 {
		return float64(s.Requests()) / d
	}
	return 0
}

// Scale returns the schedule with every rate multiplied by f (a shard's share).
func (s Schedule) Scale(f float64) Schedule {
	segs := make([]Segment, len(s.Segments))
	for i, seg := range s.Segments {
		segs[i] = Segment{From: seg.From * f, To: seg.To * f, Duration: seg.Duration}
	}
	return newSchedule(s.Model, segs...)
}

// Intended returns when request n (0-based) is due, from the schedule's
// start; false once the schedule has no request n. For a shard, n is its
// own count: its requests are due when the whole schedule's run-wide
// requests Global(n) are.
func (s Schedule) Intended(n uint64) (time.Duration, bool) {
	if len(s.cum) != len(s.Segments)+1 {
		return 0, false
	}
	m := float64(s.Global(n))
	total := s.cum[len(s.cum)-1]
	if m >= total-1e-9 {
		return 0, false
	}
	// The segment i with cum[i] <= m < cum[i+1]; segments without arrivals
	// have cum[i] == cum[i+1] and are never chosen.
	i := sort.Search(len(s.Segments), func(i int) bool { return s.cum[i+1] > m }) // first segment ending past m
	seg := s.Segments[i]
	rem := m - s.cum[i]
	d := time.Duration(seg.Duration).Seconds()
	a := seg.From
	k := (seg.To - seg.From) / d
	// Solve a·t + k·t²/2 = rem for t ≥ 0, in the form that stays exact when k = 0.
	var t float64
	if rem > 0 {
		t = 2 * rem / (a + math.Sqrt(math.Max(a*a+2*k*rem, 0)))
	}
	if t > d {
		t = d
	}
	return s.off[i] + time.Duration(t*float64(time.Second)), true
}

// Pace implements vegeta.Pacer: wait until the next request is due; stop
// when the schedule is done.
func (s Schedule) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	due, ok := s.Intended(hits)
	if !ok {
		return 0, true
	}
	if wait := due - elapsed; wait > 0 {
		return wait, false
	}
	return 0, false
}

// Rate implements vegeta.Pacer: the instantaneous rate at elapsed.
func (s Schedule) Rate(elapsed time.Duration) float64 {
	if elapsed < 0 || elapsed >= s.Duration() {
		return 0
	}
	i := sort.Search(len(s.Segments), func(i int) bool { return s.off[i+1] > elapsed })
	seg := s.Segments[i]
	f := float64(elapsed-s.off[i]) / float64(seg.Duration)
	r := seg.From + (seg.To-seg.From)*f
	if s.nOfN > 0 {
		r /= float64(s.nOfN)
	}
	return r
}

// String describes the schedule.
func (s Schedule) String() string {
	if s.Shard != "" {
		return s.Whole().String() + ", shard " + s.Shard
	}
	switch s.Model {
	case "constant", "ramp":
		seg := s.Segments[0]
		if s.Model == "constant" {
			return fmt.Sprintf("constant %g/s for %v", seg.From, time.Duration(seg.Duration))
		}
		return fmt.Sprintf("ramp %g→%g/s over %v", seg.From, seg.To, time.Duration(seg.Duration))
	}
	return fmt.Sprintf("%s: %d segments, %d requests over %v", s.Model, len(s.Segments), s.Requests(), s.Duration())
}

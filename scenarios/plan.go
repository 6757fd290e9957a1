package scenarios

import (
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/originproof/originproof/loadgen"
	"github.com/originproof/originproof/loadgen/latency"
)

// Window is one load phase's stretch of the run's schedule.
type Window struct {
	Name, Kind string
	Start, End time.Duration // offsets from the start of the load run
	// Scheduled is how many requests the schedule asks for in the window.
	Scheduled int64
	// AskedRate is the window's mean asked rate (requests per second, idle gaps included).
	AskedRate float64
}

// LoadPlan is the scenario's load phases as one arrival schedule (the pools
// persist across phases, as CloudFront's do) with each phase's window, and
// the rotation drill's switch window when there is one.
type LoadPlan struct {
	Schedule loadgen.Schedule
	Windows  []Window
	// RotateFrom and RotateUntil bound the rolling identity switch
	// (zero when the scenario has no rotation-drill phase).
	RotateFrom, RotateUntil time.Duration
}

// Plan builds the load plan. An idle-gap-storm phase is an idle gap (every
// pooled connection expires) followed by a burst at rate for duration.
func (s *Scenario) Plan() (*LoadPlan, error) {
	if len(s.Load.Phases) == 0 {
		return nil, nil
	}
	var segs []loadgen.Segment
	p := &LoadPlan{}
	var t time.Duration
	for _, ph := range s.Load.Phases {
		w := Window{Name: ph.Name, Kind: ph.Kind, Start: t}
		add := func(from, to float64, d time.Duration) {
			segs = append(segs, loadgen.Segment{From: from, To: to, Duration: loadgen.Duration(d)})
			t += d
		}
		switch ph.Kind {
		case "warm-up", "steady", "rotation-drill":
			add(ph.Rate, ph.Rate, ph.Duration.Duration)
		case "ramp":
			add(ph.From, ph.To, ph.Duration.Duration)
		case "steps":
			for _, r := range ph.Rates {
				add(r, r, ph.Step.Duration)
			}
		case "idle-gap-storm":
			add(0, 0, ph.Gap.Duration)
			add(ph.Rate, ph.Rate, ph.Duration.Duration)
		default:
			return nil, fmt.Errorf("scenarios: phase %s: unknown kind %q", ph.Name, ph.Kind)
		}
		w.End = t
		if ph.Kind == "rotation-drill" && p.RotateUntil == 0 {
			d := w.End - w.Start
			p.RotateFrom, p.RotateUntil = w.Start+d/4, w.Start+d*3/5
		}
		p.Windows = append(p.Windows, w)
	}
	p.Schedule = loadgen.Custom(segs...)
	if err := p.Schedule.Validate(); err != nil {
		return nil, err
	}
	// Scheduled requests per window: sequence numbers whose intended time falls in it.
	for i := range p.Windows {
		w := &p.Windows[i]
		w.Scheduled = p.seqBefore(w.End) - p.seqBefore(w.Start)
		if secs := (w.End - w.Start).Seconds(); secs > 0 {
			w.AskedRate = float64(w.Scheduled) / secs
		}
	}
	return p, nil
}

// ForShard is the plan as shard i of n runs it: the same phases over the
// whole schedule (results.json numbers requests run-wide), with each
// window's scheduled requests and asked rate those of the shard's share
// (every n-th request, starting with request i−1). n ≤ 1: the plan itself.
func (p *LoadPlan) ForShard(i, n int) *LoadPlan {
	if n <= 1 {
		return p
	}
	out := *p
	out.Windows = append([]Window(nil), p.Windows...)
	for k := range out.Windows {
		w := &out.Windows[k]
		w.Scheduled = congruent(p.seqBefore(w.Start), p.seqBefore(w.End), int64(i-1), int64(n))
		if secs := (w.End - w.Start).Seconds(); secs > 0 {
			w.AskedRate = float64(w.Scheduled) / secs
		}
	}
	return &out
}

// congruent counts the integers in [lo, hi) equal to r modulo n.
func congruent(lo, hi, r, n int64) int64 {
	below := func(x int64) int64 { // how many in [0, x)
		if x <= r {
			return 0
		}
		return (x-r-1)/n + 1
	}
	return below(hi) - below(lo)
}

// seqBefore counts the requests intended strictly before offset t.
func (p *LoadPlan) seqBefore(t time.Duration) int64 {
	total := p.Schedule.Requests()
	lo, hi := int64(0), total
	for lo < hi {
		mid := (lo + hi) / 2
		at, ok := p.Schedule.Intended(uint64(mid))
		if ok && at < t {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// window returns the index of the window a sequence number belongs to.
func (p *LoadPlan) window(seq uint64) int {
	at, ok := p.Schedule.Intended(seq)
	if !ok {
		return len(p.Windows) - 1
	}
	for i, w := range p.Windows {
		if at < w.End {
			return i
		}
	}
	return len(p.Windows) - 1
}

// PhaseStats is what one phase of a run measured.
type PhaseStats struct {
	Name                 string
	Scheduled, Requests  int64
	Errors               int64
	Reused               int64
	Handshake, Corrected *latency.Histogram
	AskedRate, SentRate  float64
	ErrorsByClass        map[loadgen.ErrorClass]int64
	Identities           map[string]int64
}

// Stats reads results.json and attributes every request to its phase by
// its sequence number (its intended send time), so a request that waited
// is counted where the schedule put it.
func (p *LoadPlan) Stats(dec loadgen.Decoder) ([]PhaseStats, error) {
	out := make([]PhaseStats, len(p.Windows))
	for i, w := range p.Windows {
		out[i] = PhaseStats{Name: w.Name, Scheduled: w.Scheduled, AskedRate: w.AskedRate,
			Handshake: latency.New(), Corrected: latency.New(), ErrorsByClass: map[loadgen.ErrorClass]int64{}, Identities: map[string]int64{}}
	}
	var rec loadgen.Record
	for {
		err := dec(&rec)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return out, err
		}
		i := p.window(rec.Seq)
		st := &out[i]
		st.Requests++
		if rec.Failed() {
			st.Errors++
			st.ErrorsByClass[rec.Class()]++
		} else if rec.Identity != "" {
			st.Identities[rec.Identity]++
		}
		if rec.ConnReused {
			st.Reused++
		}
		if rec.TLSHandshake > 0 {
			st.Handshake.Record(rec.TLSHandshake)
		}
		if rec.LatencyCorrected > 0 {
			st.Corrected.Record(rec.LatencyCorrected)
		}
	}
	for i, w := range p.Windows {
		if secs := (w.End - w.Start).Seconds(); secs > 0 {
			out[i].SentRate = float64(out[i].Requests) / secs
		}
	}
	return out, nil
}

// ThresholdOutcome is one limit and whether it held.
type ThresholdOutcome struct {
	Name, Phase, Limit, Observed string
	Held                         bool
}

// Evaluate checks every threshold against the phase statistics (a
// threshold without a phase applies to the whole run).
func (s *Scenario) Evaluate(stats []PhaseStats) []ThresholdOutcome {
	var out []ThresholdOutcome
	for _, t := range s.Thresholds {
		st := mergeStats(stats, t.Phase)
		if t.HandshakeP99 != nil {
			got := st.Handshake.Quantile(99)
			// A limit nothing was measured against does not hold: with pooled
			// connections a phase may open none (put the limit where pools
			// re-handshake: warm-up, an idle-gap storm, or the whole run).
			out = append(out, ThresholdOutcome{"handshake_p99", t.Phase, "<= " + t.HandshakeP99.String(), fmtDur(got, st.Handshake.Count(), "no connection was opened in this phase"), got <= t.HandshakeP99.Duration && st.Handshake.Count() > 0})
		}
		if t.RequestP99 != nil {
			got := st.Corrected.Quantile(99)
			out = append(out, ThresholdOutcome{"request_p99", t.Phase, "<= " + t.RequestP99.String(), fmtDur(got, st.Corrected.Count(), "no request in this phase"), got <= t.RequestP99.Duration && st.Corrected.Count() > 0})
		}
		if t.ErrorRate != nil {
			r := ratioOf(st.Errors, st.Requests)
			out = append(out, ThresholdOutcome{"error_rate", t.Phase, "<= " + pct(float64(*t.ErrorRate)), fmt.Sprintf("%s (%d of %d)", pct(r), st.Errors, st.Requests), r <= float64(*t.ErrorRate) && st.Requests > 0})
		}
		if t.MinAchievedRate != nil {
			r := ratioOf(st.Requests, st.Scheduled)
			out = append(out, ThresholdOutcome{"min_achieved_rate", t.Phase, ">= " + pct(float64(*t.MinAchievedRate)), fmt.Sprintf("%s (%d of %d scheduled)", pct(r), st.Requests, st.Scheduled), r >= float64(*t.MinAchievedRate)})
		}
		if t.MinReuseRatio != nil {
			r := ratioOf(st.Reused, st.Requests)
			out = append(out, ThresholdOutcome{"min_reuse_ratio", t.Phase, ">= " + pct(float64(*t.MinReuseRatio)), fmt.Sprintf("%s (%d of %d)", pct(r), st.Reused, st.Requests), r >= float64(*t.MinReuseRatio) && st.Requests > 0})
		}
	}
	return out
}

func mergeStats(stats []PhaseStats, phase string) PhaseStats {
	m := PhaseStats{Name: phase, Handshake: latency.New(), Corrected: latency.New()}
	for _, s := range stats {
		if phase != "" && s.Name != phase {
			continue
		}
		m.Scheduled += s.Scheduled
		m.Requests += s.Requests
		m.Errors += s.Errors
		m.Reused += s.Reused
		m.Handshake.Merge(s.Handshake)
		m.Corrected.Merge(s.Corrected)
	}
	return m
}

func ratioOf(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func pct(r float64) string {
	return fmt.Sprintf("%.2f%%", math.Round(r*10000)/100)
}

func fmtDur(d time.Duration, n int64, why string) string {
	if n == 0 {
		return "no samples: " + why
	}
	return fmt.Sprintf("%.2fms (%d samples)", float64(d)/1e6, n)
}

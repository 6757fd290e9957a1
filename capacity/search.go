package capacity

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/originproof/originproof/loadgen"
)

// searcher runs one subject's search.
type searcher struct {
	cfg       *Config
	subject   Subject
	index, of int
	// deadline is this search's share of the budget; runDeadline the run's.
	deadline, runDeadline time.Time
	// step runs one step (realStep, or a model in tests).
	step func(ctx context.Context, rate float64, d time.Duration) (*Step, error)
	now  func() time.Time
}

// run searches: coarse steps up from the start rate (down when even the
// start breaks the SLO), then bisection between the last good and the
// first bad rate until the bracket is within the precision. ctx is the
// user's (cancelled: interrupted); hard is ctx with the run's deadline and
// its overrun.
func (sr *searcher) run(ctx, hard context.Context) *Entry {
	now := sr.now
	if now == nil {
		now = time.Now
	}
	began := now()
	s, search := sr.subject, sr.cfg.Search
	e := &Entry{Workload: s.Workload, Identity: s.Identity.Name, KeyType: s.KeyType, Unit: s.Workload.unit(sr.cfg.Resumption), Steps: []Step{}}
	rate, phase := search.StartRate, "up"
	good, bad := 0.0, 0.0
	repeats, repeated := 0, 0.0
	for {
		d := search.stepDuration(rate)
		if now().Add(d).After(sr.deadline) {
			e.LimitedBy = LimitedByMaxDuration
			break
		}
		sr.progress(Event{StepNo: len(e.Steps) + 1, Rate: rate, Duration: d, Good: good, Bad: bad})
		st, err := sr.step(hard, rate, d)
		if err != nil {
			e.Notes = append(e.Notes, fmt.Sprintf("step at %g/s: %v", rate, err))
			e.LimitedBy = LimitedByInterrupted
			if ctx.Err() == nil {
				e.LimitedBy = LimitedByMaxDuration
			}
			break
		}
		if st.interrupted {
			// Cut short: the user's interrupt, or the run's time is up.
			e.LimitedBy = LimitedByMaxDuration
			if ctx.Err() != nil {
				e.LimitedBy = LimitedByInterrupted
			}
			break
		}
		st.Phase = phase
		if st.note != "" {
			e.Notes = append(e.Notes, st.note)
		}
		if e.Config == nil {
			e.Config = st.config
		}
		e.Steps = append(e.Steps, *st)
		sr.progress(Event{StepNo: len(e.Steps), Rate: rate, Duration: d, Good: good, Bad: bad, Step: st})
		// Every request refused: a verdict on the identity, whatever the
		// generator's lag.
		if len(e.Steps) == 1 && st.Success == 0 && st.Errors > 0 {
			e.Refused = loadgen.ClassList(st.ErrorsByClass)
			e.Unreachable = st.Connections == 0
			e.LimitedBy = LimitedByOrigin
			break
		}
		if st.GeneratorLimited {
			// The generator fell behind its own schedule: what the origin
			// did at this rate is unknown. A stall of a busy machine passes:
			// the step is run once more (a few times per search at most);
			// a generator that cannot drive the rate ends the search.
			if repeats < maxRepeats && rate != repeated {
				repeats, repeated = repeats+1, rate
				if !sleep(ctx, time.Duration(search.Settle)) {
					e.LimitedBy = LimitedByInterrupted
					break
				}
				continue
			}
			e.LimitedBy = LimitedByGenerator
			break
		}
		if st.WithinSLO {
			good = max(good, rate)
		} else if bad == 0 || rate < bad {
			bad = rate
		}
		next, why := sr.next(rate, good, bad)
		if why != "" {
			e.LimitedBy = why
			break
		}
		phase = "bisect"
		switch {
		case bad == 0:
			phase = "up"
		case good == 0:
			phase = "down"
		}
		rate = next
		if !sleep(ctx, time.Duration(search.Settle)) {
			e.LimitedBy = LimitedByInterrupted
			break
		}
	}
	e.KneeRate, e.FirstBad = good, bad
	e.WallS = round(now().Sub(began).Seconds(), 1)
	e.originCPU(s.Workload)
	return e
}

// next is the rate of the next step, or what ends the search.
func (sr *searcher) next(rate, good, bad float64) (float64, LimitedBy) {
	search := sr.cfg.Search
	switch {
	case bad == 0: // nothing broke yet: up
		if rate >= search.MaxRate {
			return 0, LimitedByMaxRate
		}
		return math.Min(roundRate(rate*search.StepFactor), search.MaxRate), ""
	case good == 0: // nothing sustained yet: down
		next := roundRate(rate / search.StepFactor)
		if next < minRate || next >= rate {
			return 0, LimitedByOrigin
		}
		return next, ""
	}
	if bad-good <= search.Precision*good {
		return 0, LimitedByOrigin
	}
	next := roundRate((good + bad) / 2)
	if next <= good || next >= bad {
		return 0, LimitedByOrigin
	}
	return next, ""
}

func (sr *searcher) progress(ev Event) {
	if sr.cfg.Progress == nil {
		return
	}
	ev.Subject, ev.Index, ev.Of = sr.subject, sr.index, sr.of
	ev.Remaining = time.Until(sr.runDeadline)
	sr.cfg.Progress(ev)
}

// maxRepeats is how many generator-limited steps a search runs again.
const maxRepeats = 3

// progressInterval is how often a step counts its answers.
const progressInterval = 100 * time.Millisecond

// series is a step's successful answers so far, every progressInterval.
type series struct {
	at []time.Duration
	ok []int64
}

func (s *series) add(p loadgen.Progress) {
	s.at = append(s.at, p.Elapsed)
	s.ok = append(s.ok, p.Requests-p.Errors)
}

// okBy is the successful answers by t, interpolated between samples.
func (s *series) okBy(t time.Duration) float64 {
	prevAt, prevOK := time.Duration(0), int64(0)
	for i, at := range s.at {
		if at >= t {
			if at == prevAt {
				return float64(s.ok[i])
			}
			f := float64(t-prevAt) / float64(at-prevAt)
			return float64(prevOK) + f*float64(s.ok[i]-prevOK)
		}
		prevAt, prevOK = at, s.ok[i]
	}
	return float64(prevOK)
}

// rate is the successful answers per second over a window as long as the
// step, shifted by the median latency: an origin that keeps up answers
// every request of the step in it, one that queues answers at its own
// pace whatever was offered. (Vegeta's throughput ends at the last answer,
// so one straggler at the end of a short step weighs on it.)
func (s *series) rate(p50, d time.Duration) float64 {
	return (s.okBy(d+p50) - s.okBy(p50)) / d.Seconds()
}

// realStep runs one loadgen engine at rate for d and measures it.
func (sr *searcher) realStep(ctx context.Context, rate float64, d time.Duration) (*Step, error) {
	cfg := sr.cfg
	var answers series
	opts := append(cfg.stepOptions(sr.subject, rate, d), loadgen.Interval(progressInterval), loadgen.OnProgress(answers.add))
	e, err := loadgen.New(opts...)
	if err != nil {
		return nil, err
	}
	var o0 time.Duration
	originOK := cfg.OriginCPU != nil
	if originOK {
		if o0, err = cfg.OriginCPU(); err != nil {
			originOK = false
		}
	}
	g0 := selfCPU()
	rep, err := e.Run(ctx)
	g1 := selfCPU()
	if rep == nil {
		return nil, err
	}
	st := stepOf(&rep.Summary, rate, d, g1-g0, sr.subject.Workload)
	st.Achieved = round(answers.rate(time.Duration(st.P50*float64(time.Millisecond)), d), 1)
	if originOK {
		if o1, err := cfg.OriginCPU(); err != nil {
			st.note = fmt.Sprintf("step at %g/s: the origin's CPU could not be read: %v", rate, err)
		} else {
			st.setOriginCPU(o1-o0, sr.subject.Workload)
		}
	}
	st.WithinSLO, st.Broke = cfg.SLO.judge(st)
	cfgCopy := rep.Config
	st.config = &cfgCopy
	return st, nil
}

// stepOf turns a run's summary into a step.
func stepOf(s *loadgen.Summary, rate float64, d, genCPU time.Duration, w Workload) *Step {
	st := &Step{
		Offered: rate, DurationS: round(d.Seconds(), 3), Requests: s.Requests, Success: s.Success,
		FullHandshakes: s.Handshakes.Full, ResumedHandshakes: s.Handshakes.Resumed,
		Connections: s.Connections, Errors: s.Errors, ErrorsByClass: map[loadgen.ErrorClass]int64{},
		GeneratorLimited: s.GeneratorLimited, SendLagP99: s.SendLagP99Ms, interrupted: s.Interrupted,
	}
	for k, v := range s.ErrorsByClass {
		st.ErrorsByClass[k] = v
	}
	lat := s.Latency[loadgen.PhaseCorrected]
	st.P50, st.P99, st.P999 = lat.P50, lat.P99, lat.P999
	hs := s.Latency[loadgen.PhaseTLSFull]
	if r := s.Latency[loadgen.PhaseTLSResumed]; r.Count > hs.Count {
		hs = r
	}
	st.HandshakeP50, st.HandshakeP99 = hs.P50, hs.P99
	if s.Requests > 0 {
		st.GeneratorCPU = round(float64(genCPU.Microseconds())/float64(s.Requests), 1)
	}
	return st
}

// setOriginCPU records the origin's CPU time over the step.
func (st *Step) setOriginCPU(cpu time.Duration, w Workload) {
	msv := round(ms(cpu), 1)
	st.OriginCPUMs = &msv
	if per, ok := perOp(cpu, st.ops(w)); ok {
		if w == Handshakes {
			st.OriginCPUPerHandshake = &per
		} else {
			st.OriginCPUPerRequest = &per
		}
	}
}

// ops is what the workload's origin CPU is divided by: handshakes (full,
// or resumed ones too: every new connection) or requests.
func (st *Step) ops(w Workload) int64 {
	if w == Handshakes {
		return st.FullHandshakes + st.ResumedHandshakes
	}
	return st.Requests
}

func perOp(cpu time.Duration, n int64) (float64, bool) {
	if n <= 0 {
		return 0, false
	}
	return round(float64(cpu.Nanoseconds())/1e3/float64(n), 1), true
}

// originCPU sums the origin's CPU over every step: each handshake or
// request it answered cost it CPU, whether or not the step met the SLO.
func (e *Entry) originCPU(w Workload) {
	var cpuMs float64
	var n int64
	for _, st := range e.Steps {
		if st.OriginCPUMs != nil {
			cpuMs += *st.OriginCPUMs
			n += st.ops(w)
		}
	}
	per, ok := perOp(time.Duration(cpuMs*float64(time.Millisecond)), n)
	switch {
	case !ok:
	case w == Handshakes:
		e.OriginCPUPerHandshake = &per
	default:
		e.OriginCPUPerRequest = &per
	}
}

// roundRate keeps rates readable: whole numbers from 10/s up, tenths below.
func roundRate(r float64) float64 {
	if r >= 10 {
		return math.Round(r)
	}
	return round(r, 1)
}

func round(f float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(f*p) / p
}

// sleep waits d unless ctx ends first (false).
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

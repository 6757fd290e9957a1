package scenarios

import (
	"fmt"
	"math"
	"time"

	"github.com/originproof/originproof/loadgen"
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
		w.Scheduled = p.Schedule.Before(w.End) - p.Schedule.Before(w.Start)
		if secs := (w.End - w.Start).Seconds(); secs > 0 {
			w.AskedRate = float64(w.Scheduled) / secs
		}
	}
	return p, nil
}

// Phases are the plan's windows as the load generator keeps them apart:
// it measures each phase during the run (loadgen.Phases).
func (p *LoadPlan) Phases() []loadgen.PhaseWindow {
	out := make([]loadgen.PhaseWindow, len(p.Windows))
	for i, w := range p.Windows {
		out[i] = loadgen.PhaseWindow{Name: w.Name, Kind: w.Kind, Start: loadgen.Duration(w.Start), End: loadgen.Duration(w.End)}
	}
	return out
}

// PhaseStats is what one phase of a run measured (the load generator's
// account of it, Report.Phases).
type PhaseStats = loadgen.PhaseStats

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
	m := loadgen.NewPhaseStats(loadgen.PhaseWindow{Name: phase}, 0)
	for i := range stats {
		if phase == "" || stats[i].Name == phase {
			m.Merge(&stats[i])
		}
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

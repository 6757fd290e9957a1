package loadgen

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// MaxRate is the highest rate, in requests per second, a schedule may ask
// for: far beyond one generator, and low enough that a day's schedule
// counts its requests exactly.
const MaxRate = 1e7

// usableRate says whether r is a finite rate from 0 to MaxRate (NaN is not).
func usableRate(r float64) bool { return r >= 0 && r <= MaxRate }

// ParseRate reads a rate written N (requests per second) or, as Vegeta
// writes it, N/DURATION (e.g. 100/1s, 6000/1m).
func ParseRate(s string) (float64, error) {
	num, per, hasPer := strings.Cut(strings.TrimSpace(s), "/")
	n, err := strconv.ParseFloat(num, 64)
	if err != nil || !(n > 0) {
		return 0, fmt.Errorf("%q: want a positive number of requests per second, or N/DURATION", s)
	}
	d := time.Second
	if hasPer {
		if d, err = time.ParseDuration(per); err != nil || d <= 0 {
			return 0, fmt.Errorf("%q: %q is not a positive duration", s, per)
		}
	}
	r := n / d.Seconds()
	if !(r > 0) || r > MaxRate {
		return 0, fmt.Errorf("%q: want more than 0 and at most %g requests per second", s, float64(MaxRate))
	}
	return r, nil
}

// ArrivalForms documents ParseArrival's syntax.
const ArrivalForms = "constant, ramp:FROM, steps:R1,R2,…, idle-gaps:BURST,GAP"

// ParseArrival reads an arrival model (ArrivalForms) at rate for d:
// constant; ramp:FROM (linear from FROM to rate); steps:R1,R2,… (d split
// evenly); idle-gaps:BURST,GAP (bursts at rate, then idle gaps).
func ParseArrival(s string, rate float64, d time.Duration) (Schedule, error) {
	model, arg, _ := strings.Cut(s, ":")
	bad := func(why string) error { return fmt.Errorf("%q: %s", s, why) }
	switch model {
	case "constant":
		if arg != "" {
			return Schedule{}, bad("constant takes no argument (set the rate)")
		}
		return Constant(rate, d), nil
	case "ramp":
		from, err := strconv.ParseFloat(arg, 64)
		if err != nil || !usableRate(from) {
			return Schedule{}, bad(fmt.Sprintf("want ramp:FROM, FROM a rate from 0 to %g", float64(MaxRate)))
		}
		return Ramp(from, rate, d), nil
	case "steps":
		var rates []float64
		for _, part := range strings.Split(arg, ",") {
			r, err := strconv.ParseFloat(strings.TrimSpace(part), 64)
			if err != nil || !usableRate(r) {
				return Schedule{}, bad(fmt.Sprintf("want steps:R1,R2,… with rates from 0 to %g", float64(MaxRate)))
			}
			rates = append(rates, r)
		}
		if len(rates) == 0 || len(rates) > 1000 {
			return Schedule{}, bad("want 1–1000 steps")
		}
		return Steps(d/time.Duration(len(rates)), rates...), nil
	case "idle-gaps":
		b, g, ok := strings.Cut(arg, ",")
		burst, err1 := time.ParseDuration(b)
		gap, err2 := time.ParseDuration(g)
		if !ok || err1 != nil || err2 != nil || burst <= 0 || gap <= 0 {
			return Schedule{}, bad("want idle-gaps:BURST,GAP with positive durations, e.g. idle-gaps:2s,7s")
		}
		if n := d / (burst + gap); n > 100000 {
			return Schedule{}, bad("too many bursts")
		}
		return IdleGaps(rate, burst, gap, d), nil
	}
	return Schedule{}, bad("unknown model (" + ArrivalForms + ")")
}

// ParseShard reads i/N (1 ≤ i ≤ N): this machine runs shard i of N.
func ParseShard(s string) (i, n int, err error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 1 || i > n {
		return 0, 0, fmt.Errorf("%q: want i/N with 1 ≤ i ≤ N", s)
	}
	return i, n, nil
}

package capacity

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/originproof/originproof/loadgen"
)

// SLO is what a step must meet for the origin to have sustained its
// offered rate: an error rate at most MaxErrorRate, p99 latency from the
// intended send at most P99 (and p50 at most P50 when set), and successful
// responses per second at least MinAchieved of the offered rate.
type SLO struct {
	MaxErrorRate float64          `json:"max_error_rate"`
	P99          loadgen.Duration `json:"p99"`
	P50          loadgen.Duration `json:"p50,omitempty"`
	MinAchieved  float64          `json:"min_achieved"`
}

// DefaultSLO is no errors, p99 ≤ 250 ms, achieved ≥ 95 % of offered.
var DefaultSLO = SLO{MaxErrorRate: 0, P99: loadgen.Duration(250 * time.Millisecond), MinAchieved: 0.95}

// SLOForm documents ParseSLO's syntax.
const SLOForm = "errors=RATE,p99=DURATION,p50=DURATION,achieved=RATE (rates as 0.1% or 0.001; any subset, the rest from the default)"

// ParseSLO reads "errors=0,p99=250ms,achieved=95%": the terms given replace
// the default's.
func ParseSLO(s string) (SLO, error) {
	slo := DefaultSLO
	for _, term := range strings.Split(s, ",") {
		term = strings.TrimSpace(term)
		if term == "" {
			continue
		}
		k, v, ok := strings.Cut(term, "=")
		if !ok {
			return slo, fmt.Errorf("%q: want KEY=VALUE terms (%s)", term, SLOForm)
		}
		switch strings.TrimSpace(k) {
		case "errors":
			r, err := parseFraction(v)
			if err != nil || r >= 1 {
				return slo, fmt.Errorf("errors=%s: want an error rate below 100%%, e.g. 0 or 0.1%%", v)
			}
			slo.MaxErrorRate = r
		case "p99", "p50":
			d, err := time.ParseDuration(strings.TrimSpace(v))
			if err != nil || d <= 0 {
				return slo, fmt.Errorf("%s=%s: want a positive duration, e.g. 250ms", k, v)
			}
			if k == "p99" {
				slo.P99 = loadgen.Duration(d)
			} else {
				slo.P50 = loadgen.Duration(d)
			}
		case "achieved":
			r, err := parseFraction(v)
			if err != nil || r <= 0 || r > 1 {
				return slo, fmt.Errorf("achieved=%s: want a share of the offered rate above 0 and at most 100%%, e.g. 95%%", v)
			}
			slo.MinAchieved = r
		default:
			return slo, fmt.Errorf("%q: unknown term %q (%s)", term, k, SLOForm)
		}
	}
	return slo, nil
}

// parseFraction reads "95%" or "0.95".
func parseFraction(s string) (float64, error) {
	s = strings.TrimSpace(s)
	scale := 1.0
	if t, ok := strings.CutSuffix(s, "%"); ok {
		s, scale = strings.TrimSpace(t), 100
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
		return 0, fmt.Errorf("%q is not a non-negative number", s)
	}
	return f / scale, nil
}

// String says the SLO in words: "no errors, p99 ≤ 250 ms, achieved ≥ 95 %".
func (s SLO) String() string {
	errs := "no errors"
	if s.MaxErrorRate > 0 {
		errs = "errors ≤ " + pct(s.MaxErrorRate)
	}
	lat := s.P99Words()
	if s.P50 > 0 {
		lat = "p50 ≤ " + msWords(time.Duration(s.P50)) + ", " + lat
	}
	return fmt.Sprintf("%s, %s, achieved ≥ %s", errs, lat, pct(s.MinAchieved))
}

// P99Words is the latency term alone ("p99 ≤ 250 ms"), for findings.
func (s SLO) P99Words() string {
	return "p99 ≤ " + msWords(time.Duration(s.P99))
}

func msWords(d time.Duration) string { return strconv.FormatFloat(ms(d), 'f', -1, 64) + " ms" }

func pct(f float64) string { return strconv.FormatFloat(f*100, 'f', -1, 64) + " %" }

// judge says whether a step met the SLO, and which terms it broke.
func (s SLO) judge(st *Step) (bool, []string) {
	var broke []string
	if st.Requests == 0 {
		return false, []string{"no request was sent"}
	}
	if rate := float64(st.Errors) / float64(st.Requests); rate > s.MaxErrorRate {
		broke = append(broke, fmt.Sprintf("%d of %d requests failed", st.Errors, st.Requests))
	}
	if p99 := time.Duration(s.P99); st.P99 > ms(p99) {
		broke = append(broke, fmt.Sprintf("p99 %.1f ms > %v", st.P99, p99))
	}
	if p50 := time.Duration(s.P50); p50 > 0 && st.P50 > ms(p50) {
		broke = append(broke, fmt.Sprintf("p50 %.1f ms > %v", st.P50, p50))
	}
	if st.Achieved < s.MinAchieved*st.Offered {
		broke = append(broke, fmt.Sprintf("achieved %.1f/s < %s of %g/s", st.Achieved, pct(s.MinAchieved), st.Offered))
	}
	return len(broke) == 0, broke
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

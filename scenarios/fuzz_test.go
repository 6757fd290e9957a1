package scenarios

import (
	"math"
	"strings"
	"testing"
	"time"
)

// FuzzParseBounded: a scenario the parser accepts is one a run can carry
// out: every rate a finite number in range, every phase bounded, and its
// --dry-run YAML parses again to the same scenario.
func FuzzParseBounded(f *testing.F) {
	for _, name := range []string{"go-live.yaml", "smoke.yaml", "origin-shield.yaml", "rotation-drill.yaml"} {
		data, _ := Examples.ReadFile(name)
		f.Add(data)
	}
	f.Add([]byte("target: {url: 'https://o.test/'}\npki: {generate: true}\nload: {phases: [{kind: steady, rate: NaN, duration: 1s}]}\n"))
	f.Add([]byte("target: {url: 'https://o.test/'}\npki: {generate: true}\nload: {phases: [{kind: ramp, from: NaN, to: 5, duration: 1s}]}\n"))
	f.Add([]byte("target: {url: 'https://o.test/'}\npki: {generate: true}\nload: {phases: [{kind: steps, rates: [1, 2], step: 2562047h}]}\n"))
	f.Add([]byte("target: {url: 'https://o.test/'}\npki: {generate: true}\nthresholds: [{error_rate: NaN%}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data, "f.yaml", Options{})
		if err != nil {
			return
		}
		for i, p := range s.Load.Phases {
			for _, r := range append([]float64{p.Rate, p.From, p.To}, p.Rates...) {
				if math.IsNaN(r) || r < 0 || r > maxRate {
					t.Fatalf("phase %d (%s): rate %v accepted", i, p.Kind, r)
				}
			}
			if p.Duration == nil || p.Duration.Duration <= 0 || p.Duration.Duration > maxPhaseDuration {
				t.Fatalf("phase %d (%s): duration %v accepted", i, p.Kind, p.Duration)
			}
		}
		for i, th := range s.Thresholds {
			for _, r := range []*Ratio{th.ErrorRate, th.MinAchievedRate, th.MinReuseRatio} {
				if r != nil && !(*r >= 0 && *r <= 1) {
					t.Fatalf("threshold %d: ratio %v accepted", i, *r)
				}
			}
		}
		out, err := s.YAML()
		if err != nil {
			t.Fatalf("an accepted scenario does not render: %v", err)
		}
		again, err := Parse(out, "f.yaml", Options{})
		if err != nil {
			t.Fatalf("--dry-run YAML does not parse: %v\n%s", err, out)
		}
		if out2, err := again.YAML(); err != nil || string(out2) != string(out) {
			t.Fatalf("--dry-run YAML changes when parsed again (%v):\n%s\n---\n%s", err, out, out2)
		}
	})
}

func FuzzParseRatio(f *testing.F) {
	for _, s := range []string{"0.001", "0.1%", "1", "100%", "NaN", "NaN%", "-0", "1e-400", "Inf", " 5% "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := parseRatio(s)
		if err == nil && !(r >= 0 && r <= 1) {
			t.Fatalf("parseRatio(%q) = %v accepted", s, r)
		}
	})
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"5s", "250ms", "2m", "0s", "-1s", "1.5h", "9223372036854775807ns", "1e3s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseDuration(s)
		if err != nil {
			return
		}
		if d.Duration <= 0 {
			t.Fatalf("parseDuration(%q) = %v accepted", s, d)
		}
		if back, err := parseDuration(d.String()); err != nil || back != d || back.Duration > time.Duration(math.MaxInt64) {
			t.Fatalf("parseDuration(%q) = %v does not round-trip: %v, %v", s, d, back, err)
		}
	})
}

// TestParseRefusesNaNAndOverflow: NaN passes every "< min || > max" test,
// and step × rates can overflow a duration; all are refused by path.
func TestParseRefusesNaNAndOverflow(t *testing.T) {
	const head = "target: {url: 'https://o.test/'}\npki: {generate: true}\n"
	for _, tt := range []struct{ yaml, path string }{
		{"load: {phases: [{kind: steady, rate: NaN, duration: 1s}]}", "load.phases[0].rate"},
		{"load: {phases: [{kind: ramp, from: NaN, to: 5, duration: 1s}]}", "load.phases[0].from"},
		{"load: {phases: [{kind: steps, rates: [1, NaN], step: 1s}]}", "load.phases[0].rates[1]"},
		{"load: {phases: [{kind: steps, rates: [1, 2], step: 2562047h}]}", "load.phases[0].step"},
		{"thresholds: [{error_rate: NaN}]", "thresholds[0].error_rate"},
		{"thresholds: [{min_reuse_ratio: NaN%}]", "thresholds[0].min_reuse_ratio"},
	} {
		_, err := Parse([]byte(head+tt.yaml+"\n"), "s.yaml", Options{})
		if err == nil || !IsScenarioError(err) || !strings.Contains(err.Error(), tt.path+":") {
			t.Errorf("%s: %v, want an error at %s", tt.yaml, err, tt.path)
		}
	}
}

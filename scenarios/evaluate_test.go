package scenarios

import (
	"strings"
	"testing"
	"time"

	"github.com/originproof/originproof/loadgen/latency"
)

func TestEvaluateThresholds(t *testing.T) {
	hist := func(ds ...time.Duration) *latency.Histogram {
		h := latency.New()
		for _, d := range ds {
			h.Record(d)
		}
		return h
	}
	ms := time.Millisecond
	// warm-up opened every connection; steady reused them.
	stats := []PhaseStats{
		{Name: "warm-up", Scheduled: 10, Requests: 10, Reused: 2, Handshake: hist(20*ms, 30*ms, 40*ms), Corrected: hist(50 * ms)},
		{Name: "steady", Scheduled: 100, Requests: 95, Errors: 1, Reused: 95, Handshake: hist(), Corrected: hist(10*ms, 300*ms)},
	}
	dur := func(d time.Duration) *Duration { return &Duration{d} }
	ratio := func(r float64) *Ratio { v := Ratio(r); return &v }
	tests := []struct {
		name     string
		t        Threshold
		held     bool
		observed string
	}{
		{"handshake p99 under the limit", Threshold{Phase: "warm-up", HandshakeP99: dur(50 * ms)}, true, "samples"},
		{"handshake p99 over the limit", Threshold{Phase: "warm-up", HandshakeP99: dur(25 * ms)}, false, "3 samples"},
		{"handshake p99 where nothing handshook", Threshold{Phase: "steady", HandshakeP99: dur(time.Second)}, false, "no samples: no connection was opened"},
		{"handshake p99 over the whole run", Threshold{HandshakeP99: dur(50 * ms)}, true, "3 samples"},
		{"request p99 over the limit", Threshold{Phase: "steady", RequestP99: dur(100 * ms)}, false, "2 samples"},
		{"request p99 under the limit", Threshold{Phase: "steady", RequestP99: dur(time.Second)}, true, "2 samples"},
		{"error rate 0 with one error", Threshold{Phase: "steady", ErrorRate: ratio(0)}, false, "1 of 95"},
		{"error rate 0 without errors", Threshold{Phase: "warm-up", ErrorRate: ratio(0)}, true, "0 of 10"},
		{"error rate over the run", Threshold{ErrorRate: ratio(0.01)}, true, "1 of 105"},
		{"achieved rate short", Threshold{Phase: "steady", MinAchievedRate: ratio(0.99)}, false, "95 of 100 scheduled"},
		{"achieved rate enough", Threshold{Phase: "steady", MinAchievedRate: ratio(0.9)}, true, "95 of 100 scheduled"},
		{"reuse too low", Threshold{Phase: "warm-up", MinReuseRatio: ratio(0.5)}, false, "2 of 10"},
		{"reuse enough", Threshold{Phase: "steady", MinReuseRatio: ratio(0.9)}, true, "95 of 95"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &Scenario{Thresholds: []Threshold{tt.t}}
			out := s.Evaluate(stats)
			if len(out) != 1 {
				t.Fatalf("%d outcomes, want 1: %+v", len(out), out)
			}
			if out[0].Held != tt.held || !strings.Contains(out[0].Observed, tt.observed) || out[0].Phase != tt.t.Phase {
				t.Errorf("got %+v, want held=%v, observed containing %q", out[0], tt.held, tt.observed)
			}
		})
	}
}

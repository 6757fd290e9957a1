package capacity

import (
	"strings"
	"testing"
)

func step(offered, p50, p99, hs50, hs99 float64, ok bool) Step {
	return Step{Offered: offered, P50: p50, P99: p99, HandshakeP50: hs50, HandshakeP99: hs99, WithinSLO: ok}
}

func ptrf(f float64) *float64 { return &f }

// TestDeltasAndFindings: the knees give the capacity mTLS costs, matched
// offered rates the latency it adds, the origin's CPU the cores it needs,
// and the findings say so in words.
func TestDeltasAndFindings(t *testing.T) {
	r := &Result{SLO: DefaultSLO, Search: DefaultSearch, Workloads: []Entry{
		{Workload: Handshakes, Unit: "full handshakes/s", Identity: "chain.valid", KeyType: "ecdsa-p256", KneeRate: 1420, LimitedBy: LimitedByOrigin, OriginCPUPerHandshake: ptrf(310),
			Steps: []Step{step(400, 3, 6, 2, 4, true), step(800, 3.5, 7, 2.5, 5, true), step(1600, 900, 2000, 800, 1900, false)}},
		{Workload: Handshakes, Unit: "full handshakes/s", Identity: "none", KneeRate: 1840, LimitedBy: LimitedByOrigin, OriginCPUPerHandshake: ptrf(190),
			Steps: []Step{step(400, 2, 5, 1.5, 3, true), step(800, 2.5, 5.5, 2, 4, true), step(1600, 2.6, 6, 2.1, 4.2, true)}},
		{Workload: Handshakes, Unit: "full handshakes/s", Identity: "chain.valid-rsa2048", KeyType: "rsa-2048", KneeRate: 1100, LimitedBy: LimitedByOrigin,
			Steps: []Step{step(400, 4, 8, 3, 6, true)}},
		{Workload: Requests, Unit: "requests/s", Identity: "chain.valid", KeyType: "ecdsa-p256", KneeRate: 5000, LimitedBy: LimitedByGenerator,
			Steps: []Step{step(2560, 1, 2, 0, 0, true)}},
		{Workload: Requests, Unit: "requests/s", Identity: "none", KneeRate: 5100, LimitedBy: LimitedByGenerator,
			Steps: []Step{step(2560, 0.9, 1.8, 0, 0, true)}},
	}}
	r.Deltas = deltas(r)
	if len(r.Deltas) != 3 {
		t.Fatalf("%d deltas, want one per search with a certificate (3)", len(r.Deltas))
	}
	d := r.Deltas[0]
	if d.CapacityLostPct == nil || *d.CapacityLostPct != 22.8 {
		t.Errorf("capacity lost = %v, want 22.8 %%", d.CapacityLostPct)
	}
	if len(d.Matched) != 2 || d.Matched[1].Offered != 800 || d.Matched[1].RequestP50.Delta != 1 || *d.Matched[1].RequestP50.DeltaPct != 40 || d.Matched[1].HandshakeP50.Delta != 0.5 {
		t.Errorf("matched = %+v, want 400 and 800/s (1600 broke the SLO with mTLS), +1 ms (+40 %%) at 800", d.Matched)
	}
	if c := d.OriginCPU; c == nil || c.Diff.Delta != 120 || c.CoresPer1000MTLS != 0.31 || c.CoresAtKneeMTLS != 0.44 {
		t.Errorf("origin CPU = %+v", c)
	}
	if r.Deltas[2].CapacityLostPct != nil {
		t.Error("a capacity lost was given for knees the generator limited")
	}
	got := strings.Join(findings(r), "\n")
	for _, want := range []string{
		"mTLS (chain.valid, ecdsa-p256) costs this origin 23 % of its new-connection capacity: 1,840 → 1,420 full handshakes/s at p99 ≤ 250 ms.",
		"At 800 full handshakes/s offered, mTLS adds +1.000 ms (+40 %) to a request (p50) and +0.500 ms (+25 %) to a handshake (p50).",
		"The origin spends 310.0 µs of CPU per full handshake with mTLS and 190.0 µs without (+63 %): 1,000 full handshakes/s need 0.310 cores with mTLS, 0.190 without.",
		"mTLS (chain.valid-rsa2048, rsa-2048) costs this origin 40 % of its new-connection capacity: 1,840 → 1,100",
		"The requests knee was reached neither with mTLS nor without, so the capacity mTLS costs is not measured: with mTLS (chain.valid, ecdsa-p256) the origin sustained at least 5,000 requests/s (the generator could not drive more); without, at least 5,100 (the generator could not drive more).",
		"With the rsa-2048 client key (chain.valid-rsa2048) instead of the ecdsa-p256 one (chain.valid), the origin's handshakes knee is 1,420 → 1,100 full handshakes/s (-23 %).",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("findings lack %q:\n%s", want, got)
		}
	}

	// The mTLS knee is the origin's, the one without a certificate only a
	// lower bound: what mTLS costs is a lower bound too.
	r = &Result{SLO: DefaultSLO, Search: DefaultSearch, Workloads: []Entry{
		{Workload: Handshakes, Unit: "full handshakes/s", Identity: "chain.valid", KeyType: "ecdsa-p256", KneeRate: 375, LimitedBy: LimitedByOrigin, Steps: []Step{step(375, 3, 6, 2, 4, true)}},
		{Workload: Handshakes, Unit: "full handshakes/s", Identity: "none", KneeRate: 800, LimitedBy: LimitedByGenerator, Steps: []Step{step(800, 3, 6, 2, 4, true)}},
	}}
	r.Deltas = deltas(r)
	if d := r.Deltas[0]; d.CapacityLostPct != nil || d.CapacityLostAtLeastPct == nil || *d.CapacityLostAtLeastPct != 53.1 {
		t.Errorf("lower bound: lost %v, at least %v; want only at least 53.1 %%", d.CapacityLostPct, d.CapacityLostAtLeastPct)
	}
	if f := strings.Join(findings(r), "\n"); !strings.Contains(f, "mTLS (chain.valid, ecdsa-p256) costs this origin at least 53 % of its new-connection capacity: ≥ 800 → 375 full handshakes/s at p99 ≤ 250 ms; without a certificate, the generator could not drive more.") {
		t.Errorf("lower-bound finding missing:\n%s", f)
	}

	// An origin that refuses TLS alone: the finding says so and shows mTLS alone.
	r = &Result{SLO: DefaultSLO, Search: DefaultSearch, Workloads: []Entry{
		{Workload: Handshakes, Unit: "full handshakes/s", Identity: "chain.valid", KeyType: "ecdsa-p256", KneeRate: 300, LimitedBy: LimitedByOrigin, Steps: []Step{step(300, 3, 6, 2, 4, true)}},
		{Workload: Handshakes, Unit: "full handshakes/s", Identity: "none", LimitedBy: LimitedByOrigin, Refused: "tls_alert:certificate_required: 20", Steps: []Step{step(20, 0, 0, 0, 0, false)}},
	}}
	r.Deltas = deltas(r)
	if f := strings.Join(findings(r), "\n"); !strings.Contains(f, "This origin refuses connections without a client certificate (tls_alert:certificate_required: 20), so TLS alone cannot be measured on it: with mTLS (chain.valid, ecdsa-p256) it sustains 300 full handshakes/s at p99 ≤ 250 ms.") {
		t.Errorf("refused TLS-only finding missing:\n%s", f)
	}
	if r.Deltas[0].CapacityLostPct != nil || r.Deltas[0].BaselineRefused == "" {
		t.Errorf("delta against a refused baseline: %+v", r.Deltas[0])
	}
}

func TestFmtNum(t *testing.T) {
	for f, want := range map[float64]string{1840: "1,840", 999: "999", 1234567: "1,234,567", 7.5: "7.5", 12.4: "12"} {
		if got := fmtRate(f); got != want {
			t.Errorf("fmtRate(%v) = %q, want %q", f, got, want)
		}
	}
	if got := fmtNum(-1234.5, 1); got != "-1,234.5" {
		t.Errorf("fmtNum(-1234.5) = %q", got)
	}
}

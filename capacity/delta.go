package capacity

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/originproof/originproof/loadgen"
)

// Delta is what mTLS costs one workload: the search with a client
// certificate against the one without (the baseline) on the same origin.
type Delta struct {
	Workload Workload `json:"workload"`
	KeyType  string   `json:"key_type"`
	Identity string   `json:"identity"`
	Baseline string   `json:"baseline"`
	// BaselineRefused is set when the origin refused every request without
	// a certificate: TLS alone cannot be measured on it.
	BaselineRefused string `json:"baseline_refused,omitempty"`
	// At the knee: each search's knee and what limited it.
	KneeMTLS          float64   `json:"knee_mtls"`
	KneeBaseline      float64   `json:"knee_baseline"`
	LimitedByMTLS     LimitedBy `json:"limited_by_mtls"`
	LimitedByBaseline LimitedBy `json:"limited_by_baseline"`
	// CapacityLostPct is (baseline − mTLS knee) / baseline knee, set only
	// when both knees are the origin's own (limited by the origin).
	CapacityLostPct *float64 `json:"capacity_lost_pct,omitempty"`
	// CapacityLostAtLeastPct is the same as a lower bound, when the mTLS
	// knee is the origin's but the baseline's is only a lower bound (the
	// origin without mTLS outran the generator).
	CapacityLostAtLeastPct *float64 `json:"capacity_lost_at_least_pct,omitempty"`
	// Matched are the offered rates both searches stepped through and both
	// sustained within the SLO, with the latency mTLS adds at each.
	Matched []Matched `json:"matched"`
	// OriginCPU compares the origin's CPU per handshake or request.
	OriginCPU *CPUDelta `json:"origin_cpu,omitempty"`
}

// Matched is the mTLS difference at one offered rate.
type Matched struct {
	Offered      float64 `json:"offered"`
	RequestP50   Diff    `json:"request_p50_ms"`
	RequestP99   Diff    `json:"request_p99_ms"`
	HandshakeP50 Diff    `json:"handshake_p50_ms"`
	HandshakeP99 Diff    `json:"handshake_p99_ms"`
}

// Diff is one figure with and without mTLS: the absolute difference and
// the difference as a share of the baseline (nil when the baseline is 0).
type Diff struct {
	MTLS     float64  `json:"mtls"`
	Baseline float64  `json:"baseline"`
	Delta    float64  `json:"delta"`
	DeltaPct *float64 `json:"delta_pct,omitempty"`
}

func diff(m, b float64, places int) Diff {
	d := Diff{MTLS: m, Baseline: b, Delta: round(m-b, places)}
	if b > 0 {
		p := round(100*(m-b)/b, 1)
		d.DeltaPct = &p
	}
	return d
}

// CPUDelta is the origin's CPU per operation (µs) with and without mTLS,
// and the cores 1,000 operations per second take.
type CPUDelta struct {
	Per                    string  `json:"per"` // "full handshake", "new connection" or "request"
	Diff                   Diff    `json:"us"`
	CoresPer1000MTLS       float64 `json:"cores_per_1000_mtls"`
	CoresPer1000Baseline   float64 `json:"cores_per_1000_baseline"`
	CoresAtKneeMTLS        float64 `json:"cores_at_knee_mtls,omitempty"`
	CoresAtKneeForBaseline float64 `json:"cores_at_knee_baseline,omitempty"`
}

// deltas pairs every search with a certificate with the same workload's
// search without one.
func deltas(r *Result) []Delta {
	out := []Delta{}
	for i := range r.Workloads {
		m := &r.Workloads[i]
		if m.Identity == loadgen.NoIdentity.Name {
			continue
		}
		b := r.entry(m.Workload, loadgen.NoIdentity.Name)
		if b == nil {
			continue
		}
		d := Delta{Workload: m.Workload, KeyType: m.KeyType, Identity: m.Identity, Baseline: b.Identity,
			BaselineRefused: b.Refused, KneeMTLS: m.KneeRate, KneeBaseline: b.KneeRate,
			LimitedByMTLS: m.LimitedBy, LimitedByBaseline: b.LimitedBy, Matched: []Matched{}}
		if m.LimitedBy == LimitedByOrigin && b.LimitedBy == LimitedByOrigin && b.KneeRate > 0 && m.Refused == "" {
			lost := round(100*(b.KneeRate-m.KneeRate)/b.KneeRate, 1)
			d.CapacityLostPct = &lost
		}
		if m.LimitedBy == LimitedByOrigin && b.LimitedBy != LimitedByOrigin && b.Refused == "" && m.Refused == "" && b.KneeRate > m.KneeRate {
			lost := round(100*(b.KneeRate-m.KneeRate)/b.KneeRate, 1)
			d.CapacityLostAtLeastPct = &lost
		}
		for _, ms := range m.Steps {
			if !ms.WithinSLO {
				continue
			}
			for _, bs := range b.Steps {
				if bs.WithinSLO && bs.Offered == ms.Offered {
					d.Matched = append(d.Matched, Matched{
						Offered:      ms.Offered,
						RequestP50:   diff(ms.P50, bs.P50, 3),
						RequestP99:   diff(ms.P99, bs.P99, 3),
						HandshakeP50: diff(ms.HandshakeP50, bs.HandshakeP50, 3),
						HandshakeP99: diff(ms.HandshakeP99, bs.HandshakeP99, 3),
					})
					break
				}
			}
		}
		sort.Slice(d.Matched, func(i, j int) bool { return d.Matched[i].Offered < d.Matched[j].Offered })
		d.OriginCPU = cpuDelta(m, b, r.Resumption)
		out = append(out, d)
	}
	return out
}

func cpuDelta(m, b *Entry, resumption bool) *CPUDelta {
	per, mv, bv := m.Workload.op(resumption), m.OriginCPUPerHandshake, b.OriginCPUPerHandshake
	if m.Workload == Requests {
		mv, bv = m.OriginCPUPerRequest, b.OriginCPUPerRequest
	}
	if mv == nil || bv == nil {
		return nil
	}
	c := &CPUDelta{Per: per, Diff: diff(*mv, *bv, 1),
		CoresPer1000MTLS: round(*mv/1000, 3), CoresPer1000Baseline: round(*bv/1000, 3)}
	if m.KneeRate > 0 {
		c.CoresAtKneeMTLS = round(*mv*m.KneeRate/1e6, 2)
	}
	if b.KneeRate > 0 {
		c.CoresAtKneeForBaseline = round(*bv*b.KneeRate/1e6, 2)
	}
	return c
}

// entry finds the first search of a workload with an identity.
func (r *Result) entry(w Workload, identity string) *Entry {
	for i := range r.Workloads {
		if e := &r.Workloads[i]; e.Workload == w && e.Identity == identity {
			return e
		}
	}
	return nil
}

// findings say what was measured in plain words, one sentence or two each.
func findings(r *Result) []string {
	out := []string{}
	slo := r.SLO.P99Words()
	for _, e := range r.Workloads {
		if e.Refused != "" && e.Identity != loadgen.NoIdentity.Name {
			out = append(out, fmt.Sprintf("The origin refused every %s request with %s (%s): nothing was measured for it; check that the origin trusts this PKI's client root.", e.Workload, e.Identity, e.Refused))
		}
	}
	for _, d := range r.Deltas {
		m, b := r.entryKey(d.Workload, d.Identity, d.KeyType), r.entry(d.Workload, d.Baseline)
		unit := m.Unit
		who := d.Identity
		if d.KeyType != "" {
			who += ", " + d.KeyType
		}
		switch {
		case m.Refused != "" || len(m.Steps) == 0:
			continue
		case d.BaselineRefused != "":
			out = append(out, fmt.Sprintf("This origin refuses connections without a client certificate (%s), so TLS alone cannot be measured on it: with mTLS (%s) it sustains %s%s %s at %s%s.",
				d.BaselineRefused, who, atLeast(m), fmtRate(m.KneeRate), unit, slo, limitWords(m)))
			continue
		case len(b.Steps) == 0:
			continue
		case d.CapacityLostPct != nil:
			lost := *d.CapacityLostPct
			switch {
			case math.Abs(d.KneeBaseline-d.KneeMTLS) <= r.Search.Precision*math.Max(d.KneeBaseline, d.KneeMTLS):
				out = append(out, fmt.Sprintf("mTLS (%s) costs this origin no %s measurable at the search's %s precision: %s → %s %s at %s.",
					who, d.Workload.capacityName(), pct(r.Search.Precision), fmtRate(d.KneeBaseline), fmtRate(d.KneeMTLS), unit, slo))
			case lost < 0:
				out = append(out, fmt.Sprintf("With mTLS (%s) this origin sustained more than without: %s → %s %s at %s; a difference in that direction is noise between the two searches (a busy machine), not a gain.",
					who, fmtRate(d.KneeBaseline), fmtRate(d.KneeMTLS), unit, slo))
			default:
				out = append(out, fmt.Sprintf("mTLS (%s) costs this origin %s %% of its %s: %s → %s %s at %s.",
					who, strconv.FormatFloat(math.Round(lost), 'f', -1, 64), d.Workload.capacityName(), fmtRate(d.KneeBaseline), fmtRate(d.KneeMTLS), unit, slo))
			}
		case d.CapacityLostAtLeastPct != nil:
			out = append(out, fmt.Sprintf("mTLS (%s) costs this origin at least %s %% of its %s: ≥ %s → %s %s at %s; without a certificate, %s.",
				who, strconv.FormatFloat(math.Floor(*d.CapacityLostAtLeastPct), 'f', -1, 64), d.Workload.capacityName(), fmtRate(d.KneeBaseline), fmtRate(d.KneeMTLS), unit, slo, limitClause(b)))
		default:
			which := "with mTLS was not reached"
			if m.LimitedBy == LimitedByOrigin {
				which = "without a certificate was not reached"
			} else if b.LimitedBy != LimitedByOrigin {
				which = "was reached neither with mTLS nor without"
			}
			out = append(out, fmt.Sprintf("The %s knee %s, so the capacity mTLS costs is not measured: with mTLS (%s) the origin sustained %s%s %s%s; without, %s%s%s.",
				d.Workload, which, who, atLeast(m), fmtRate(m.KneeRate), unit, limitWords(m), atLeast(b), fmtRate(b.KneeRate), limitWords(b)))
		}
		if n := len(d.Matched); n > 0 {
			at := d.Matched[n-1]
			s := fmt.Sprintf("At %s %s offered, mTLS adds %s to a request (p50)", fmtRate(at.Offered), unit, diffWords(at.RequestP50))
			if at.HandshakeP50.MTLS > 0 && at.HandshakeP50.Baseline > 0 {
				s += fmt.Sprintf(" and %s to a handshake (p50)", diffWords(at.HandshakeP50))
			}
			out = append(out, s+".")
		}
		if c := d.OriginCPU; c != nil {
			out = append(out, fmt.Sprintf("The origin spends %s µs of CPU per %s with mTLS and %s µs without (%s): 1,000 %s need %s cores with mTLS, %s without.",
				fmtNum(c.Diff.MTLS, 1), c.Per, fmtNum(c.Diff.Baseline, 1), signedPct(c.Diff.DeltaPct), unit, fmtNum(c.CoresPer1000MTLS, 3), fmtNum(c.CoresPer1000Baseline, 3)))
		}
	}
	out = append(out, keyTypeFindings(r)...)
	return out
}

// keyTypeFindings compare the knees of the same identity's key types.
func keyTypeFindings(r *Result) []string {
	var out []string
	for i := range r.Workloads {
		a := &r.Workloads[i]
		for j := i + 1; j < len(r.Workloads); j++ {
			b := &r.Workloads[j]
			if a.Workload != b.Workload || a.KeyType == "" || b.KeyType == "" || a.KeyType == b.KeyType {
				continue
			}
			if a.LimitedBy != LimitedByOrigin || b.LimitedBy != LimitedByOrigin || a.Refused != "" || b.Refused != "" || a.KneeRate == 0 {
				continue
			}
			out = append(out, fmt.Sprintf("With the %s client key (%s) instead of the %s one (%s), the origin's %s knee is %s → %s %s (%s).",
				b.KeyType, b.Identity, a.KeyType, a.Identity, a.Workload, fmtRate(a.KneeRate), fmtRate(b.KneeRate), a.Unit, signedPct(ptr(100*(b.KneeRate-a.KneeRate)/a.KneeRate))))
		}
	}
	return out
}

func (r *Result) entryKey(w Workload, identity, keyType string) *Entry {
	for i := range r.Workloads {
		if e := &r.Workloads[i]; e.Workload == w && e.Identity == identity && e.KeyType == keyType {
			return e
		}
	}
	return nil
}

// atLeast is "at least" when the knee is only a lower bound.
func atLeast(e *Entry) string {
	if e.LimitedBy == LimitedByOrigin {
		return ""
	}
	return "at least "
}

// limitWords says in parentheses what ended a search short of the
// origin's knee ("" when the origin did).
func limitWords(e *Entry) string {
	if c := limitClause(e); c != "" {
		return " (" + c + ")"
	}
	return ""
}

func limitClause(e *Entry) string {
	switch e.LimitedBy {
	case LimitedByGenerator:
		return "the generator could not drive more"
	case LimitedByMaxRate:
		return "the search's maximum rate"
	case LimitedByMaxDuration:
		return "the search ran out of time"
	case LimitedByInterrupted:
		return "interrupted"
	}
	return ""
}

func diffWords(d Diff) string {
	s := fmtSigned(d.Delta, 3) + " ms"
	if d.DeltaPct != nil {
		s += " (" + signedPct(d.DeltaPct) + ")"
	}
	return s
}

func signedPct(p *float64) string {
	if p == nil {
		return "n/a"
	}
	return fmtSigned(*p, 0) + " %"
}

func fmtSigned(f float64, places int) string {
	s := strconv.FormatFloat(f, 'f', places, 64)
	if f >= 0 {
		s = "+" + s
	}
	return s
}

func ptr(f float64) *float64 { return &f }

// fmtRate writes a rate with thousands separators ("1,840"), tenths below 10.
func fmtRate(r float64) string {
	if r < 10 {
		return strconv.FormatFloat(r, 'f', -1, 64)
	}
	return fmtNum(math.Round(r), 0)
}

// fmtNum writes f with places decimals and thousands separators.
func fmtNum(f float64, places int) string {
	s := strconv.FormatFloat(math.Abs(f), 'f', places, 64)
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if frac != "" {
		b.WriteString("." + frac)
	}
	if f < 0 {
		return "-" + b.String()
	}
	return b.String()
}

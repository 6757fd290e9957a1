package loadgen

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/originproof/originproof/loadgen/latency"
)

// PhaseWindow is a named stretch of a run's arrival schedule, from Start to
// End after the run began: a scenario phase, or a segment of a
// multi-segment arrival (SegmentPhases). A request belongs to the window
// its intended send time falls in, so a request that waited is counted
// where the schedule put it.
type PhaseWindow struct {
	Name  string   `json:"name"`
	Kind  string   `json:"kind,omitempty"`
	Start Duration `json:"start"`
	End   Duration `json:"end"`
}

// MaxSegmentPhases bounds SegmentPhases: a schedule of more segments (long
// idle-gap runs) is reported as one run, not as hundreds of phases.
const MaxSegmentPhases = 32

// SegmentPhases are the phases of a schedule of several segments: one per
// segment, an idle gap joined to the segment after it (as a scenario's
// idle-gap-storm phase: the gap, then the burst that re-handshakes), or to
// the one before when it ends the schedule. A schedule of one segment, or
// of more than MaxSegmentPhases, has none.
func SegmentPhases(s Schedule) []PhaseWindow {
	if len(s.Segments) < 2 || len(s.Segments) > MaxSegmentPhases {
		return nil
	}
	var out []PhaseWindow
	var t, gapStart, gap time.Duration
	inGap := false
	for _, seg := range s.Segments {
		d := time.Duration(seg.Duration)
		if seg.From == 0 && seg.To == 0 {
			if !inGap {
				gapStart, gap, inGap = t, 0, true
			}
			gap += d
			t += d
			continue
		}
		w := PhaseWindow{Start: Duration(t), End: Duration(t + d)}
		rate := fmt.Sprintf("%s/s", fmtRate(seg.From))
		w.Kind = "steady"
		if seg.From != seg.To {
			rate, w.Kind = fmt.Sprintf("%s→%s/s", fmtRate(seg.From), fmtRate(seg.To)), "ramp"
		}
		if inGap {
			w.Start, w.Kind = Duration(gapStart), "idle-gap-storm"
			rate = fmt.Sprintf("%v idle, then %s", gap, rate)
			inGap = false
		}
		w.Name = fmt.Sprintf("%d · %s", len(out)+1, rate)
		out = append(out, w)
		t += d
	}
	if inGap && len(out) > 0 {
		last := &out[len(out)-1]
		last.End = Duration(t)
		last.Name += fmt.Sprintf(", then %v idle", gap)
	}
	if len(out) < 2 {
		return nil
	}
	return out
}

func fmtRate(r float64) string { return strings.TrimSuffix(fmt.Sprintf("%.3g", r), ".0") }

// checkPhases validates windows against a schedule of length d: named
// distinctly, each non-empty, in order without overlap, within the run.
func checkPhases(ws []PhaseWindow, d time.Duration) error {
	names := map[string]bool{}
	var prevEnd Duration
	for i, w := range ws {
		switch {
		case strings.TrimSpace(w.Name) == "":
			return fmt.Errorf("phase %d has no name", i+1)
		case names[w.Name]:
			return fmt.Errorf("phase %q is named twice", w.Name)
		case w.Start < prevEnd || w.End <= w.Start:
			return fmt.Errorf("phase %q: %v–%v is empty or overlaps the phase before", w.Name, time.Duration(w.Start), time.Duration(w.End))
		case time.Duration(w.End) > d:
			return fmt.Errorf("phase %q ends at %v, after the run's %v", w.Name, time.Duration(w.End), d)
		}
		names[w.Name] = true
		prevEnd = w.End
	}
	return nil
}

// Before is how many requests the schedule intends strictly before t.
func (s Schedule) Before(t time.Duration) int64 {
	lo, hi := int64(0), s.Requests()
	for lo < hi {
		mid := (lo + hi) / 2
		if at, ok := s.Intended(uint64(mid)); ok && at < t {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// PhaseStats is what one phase of a run measured, request by request
// (Add), as results.json records them. Merge adds two of the same phase.
type PhaseStats struct {
	Name, Kind string
	Start, End time.Duration
	// Scheduled is how many requests the schedule intends in the window;
	// AskedRate is that per second of the window (idle gaps included).
	Scheduled int64
	AskedRate float64
	// Requests sent, failed, served on a reused connection, and on a
	// connection at all (a request that never got one has no conn_id).
	Requests, Errors, Reused, WithConn int64
	// NewConns are requests that were the first on their connection: each
	// paid a handshake, full or resumed.
	NewConns, Full, Resumed int64
	// Handshake is the TLS handshake of each new connection; Corrected the
	// latency of every request from its intended send.
	Handshake, Corrected *latency.Histogram
	ErrorsByClass        map[ErrorClass]int64
	// Identities counts successful requests by the client identity presented.
	Identities map[string]int64
}

// NewPhaseStats returns empty statistics for window w with scheduled requests.
func NewPhaseStats(w PhaseWindow, scheduled int64) PhaseStats {
	p := PhaseStats{Name: w.Name, Kind: w.Kind, Start: time.Duration(w.Start), End: time.Duration(w.End), Scheduled: scheduled,
		Handshake: latency.New(), Corrected: latency.New(), ErrorsByClass: map[ErrorClass]int64{}, Identities: map[string]int64{}}
	if secs := (p.End - p.Start).Seconds(); secs > 0 {
		p.AskedRate = float64(scheduled) / secs
	}
	return p
}

// Add counts one request.
func (p *PhaseStats) Add(r *Record) {
	p.Requests++
	if r.Failed() {
		p.Errors++
		p.ErrorsByClass[r.Class()]++
	} else if r.Identity != "" {
		p.Identities[r.Identity]++
	}
	if r.ConnID != 0 {
		p.WithConn++
		if r.ConnReused {
			p.Reused++
		} else {
			p.NewConns++
			if r.TLSResumed {
				p.Resumed++
			} else {
				p.Full++
			}
		}
	}
	if r.TLSHandshake > 0 {
		p.Handshake.Record(r.TLSHandshake)
	}
	if r.LatencyCorrected > 0 {
		p.Corrected.Record(r.LatencyCorrected)
	}
}

// Merge adds o (the same phase, e.g. of another shard) into p.
func (p *PhaseStats) Merge(o *PhaseStats) {
	p.Scheduled += o.Scheduled
	p.AskedRate += o.AskedRate
	p.Requests += o.Requests
	p.Errors += o.Errors
	p.Reused += o.Reused
	p.WithConn += o.WithConn
	p.NewConns += o.NewConns
	p.Full += o.Full
	p.Resumed += o.Resumed
	p.Handshake.Merge(o.Handshake)
	p.Corrected.Merge(o.Corrected)
	addCounts(p.ErrorsByClass, o.ErrorsByClass)
	addCounts(p.Identities, o.Identities)
}

// SentRate is requests sent per second of the window.
func (p *PhaseStats) SentRate() float64 {
	if secs := (p.End - p.Start).Seconds(); secs > 0 {
		return float64(p.Requests) / secs
	}
	return 0
}

// PhaseSummary is one phase in summary.json (load.phases): its window, what
// was asked and achieved, latency from the intended send, what new
// connections cost, and errors by class. Rates are per second; latencies
// in milliseconds.
type PhaseSummary struct {
	Name   string  `json:"name"`
	Kind   string  `json:"kind,omitempty"`
	StartS float64 `json:"start_s"`
	EndS   float64 `json:"end_s"`
	// Scheduled and Requests: asked for in the window, and sent.
	Scheduled    int64   `json:"requests_scheduled"`
	Requests     int64   `json:"requests"`
	RateAsked    float64 `json:"rate_asked"`
	RateAchieved float64 `json:"rate_achieved"`
	Errors       int64   `json:"errors"`
	ErrorRate    float64 `json:"error_rate"`
	// ErrorsByClass counts failures by class, as the run's errors_by_class.
	ErrorsByClass map[ErrorClass]int64 `json:"errors_by_class,omitempty"`
	// Latency is every request's total latency from its intended send.
	Latency latency.Percentiles `json:"latency_corrected"`
	// Handshake is the TLS handshake of the phase's new connections.
	Handshake latency.Percentiles `json:"tls_handshake"`
	// NewConnections are requests that opened their connection, by handshake.
	NewConnections int64      `json:"new_connections"`
	Handshakes     Handshakes `json:"handshakes"`
	// ReuseRatio is the share of the phase's requests served on a reused
	// connection (as a scenario's min_reuse_ratio counts it).
	ReuseRatio float64 `json:"reuse_ratio"`
	// The counts and histograms behind the figures above, so that shards
	// merge exactly without their raw results: requests on a reused
	// connection and on any connection, successful requests by identity,
	// and the latency and handshake histograms (HdrHistogram V2, base64).
	Reused       int64              `json:"requests_reused"`
	WithConn     int64              `json:"requests_with_connection"`
	Identities   map[string]int64   `json:"identities,omitempty"`
	LatencyHDR   *latency.Histogram `json:"latency_corrected_hdr,omitempty"`
	HandshakeHDR *latency.Histogram `json:"tls_handshake_hdr,omitempty"`
}

// Stats are the statistics a phase summary was made from (that of a run
// of an earlier version, without its counts and histograms, is refused).
func (s PhaseSummary) Stats() (PhaseStats, error) {
	if s.LatencyHDR == nil || s.HandshakeHDR == nil {
		return PhaseStats{}, fmt.Errorf("phase %q has no histograms (written by an earlier version: merge it with its results.json)", s.Name)
	}
	p := NewPhaseStats(PhaseWindow{Name: s.Name, Kind: s.Kind, Start: Duration(s.StartS * float64(time.Second)), End: Duration(s.EndS * float64(time.Second))}, s.Scheduled)
	p.Requests, p.Errors, p.Reused, p.WithConn = s.Requests, s.Errors, s.Reused, s.WithConn
	p.NewConns, p.Full, p.Resumed = s.NewConnections, s.Handshakes.Full, s.Handshakes.Resumed
	p.Corrected, p.Handshake = s.LatencyHDR, s.HandshakeHDR
	addCounts(p.ErrorsByClass, s.ErrorsByClass)
	addCounts(p.Identities, s.Identities)
	return p, nil
}

// Summary is p as summary.json records it.
func (p *PhaseStats) Summary() PhaseSummary {
	s := PhaseSummary{
		Name: p.Name, Kind: p.Kind, StartS: round4(p.Start.Seconds()), EndS: round4(p.End.Seconds()),
		Scheduled: p.Scheduled, Requests: p.Requests, RateAsked: round4(p.AskedRate), RateAchieved: round4(p.SentRate()),
		Errors: p.Errors, ErrorRate: ratio(p.Errors, p.Requests), Latency: p.Corrected.Percentiles(), Handshake: p.Handshake.Percentiles(),
		NewConnections: p.NewConns, Handshakes: Handshakes{Full: p.Full, Resumed: p.Resumed}, ReuseRatio: ratio(p.Reused, p.Requests),
		Reused: p.Reused, WithConn: p.WithConn, LatencyHDR: p.Corrected, HandshakeHDR: p.Handshake,
	}
	if len(p.Identities) > 0 {
		s.Identities = map[string]int64{}
		addCounts(s.Identities, p.Identities)
	}
	if len(p.ErrorsByClass) > 0 {
		s.ErrorsByClass = map[ErrorClass]int64{}
		addCounts(s.ErrorsByClass, p.ErrorsByClass)
	}
	return s
}

// PhaseSummaries are the summaries of stats, in order.
func PhaseSummaries(stats []PhaseStats) []PhaseSummary {
	if len(stats) == 0 {
		return nil
	}
	out := make([]PhaseSummary, len(stats))
	for i := range stats {
		out[i] = stats[i].Summary()
	}
	return out
}

// ClassList is "class: n, …" sorted by class, for messages and tables.
func ClassList(m map[ErrorClass]int64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, string(k))
	}
	sort.Strings(keys)
	for i, k := range keys {
		keys[i] = fmt.Sprintf("%s: %d", k, m[ErrorClass(k)])
	}
	return strings.Join(keys, ", ")
}

// phaseTally attributes requests to the windows of a run by their intended
// send time (an offset from the run's start).
type phaseTally struct {
	stats []PhaseStats
	cur   int
}

// newPhaseTally returns a tally of ws over schedule s (which gives each
// window's scheduled requests); nil when there are no windows.
func newPhaseTally(ws []PhaseWindow, s Schedule) *phaseTally {
	if len(ws) == 0 {
		return nil
	}
	t := &phaseTally{stats: make([]PhaseStats, len(ws))}
	for i, w := range ws {
		t.stats[i] = NewPhaseStats(w, s.Before(time.Duration(w.End))-s.Before(time.Duration(w.Start)))
	}
	return t
}

// index is the window of a request intended at offset due: the first
// window that has not ended by then (the last one after every window).
func (t *phaseTally) index(due time.Duration) int {
	st := t.stats
	if c := &st[t.cur]; due < c.End && (t.cur == 0 || due >= st[t.cur-1].End) {
		return t.cur
	}
	i := sort.Search(len(st), func(i int) bool { return due < st[i].End })
	if i == len(st) {
		i = len(st) - 1
	}
	t.cur = i
	return i
}

func (t *phaseTally) add(due time.Duration, r *Record) {
	t.stats[t.index(due)].Add(r)
}

package loadgen

import (
	"strconv"

	"github.com/originproof/originproof/loadgen/latency"
)

// Phases recorded per request (keys of Summary.Latency).
const (
	PhaseDNS        = "dns"
	PhaseConnect    = "connect"
	PhaseTLSFull    = "tls_full"
	PhaseTLSResumed = "tls_resumed"
	PhaseTTFB       = "ttfb"
	PhaseTotal      = latency.PhaseTotal
	PhaseCorrected  = latency.PhaseCorrected
	PhaseSendLag    = "send_lag"
)

// Summary is the `load` section of summary.json: what a run sent, what came
// back, what the connections cost, and per-phase latency, overall and per
// pop. Rates are per second; latencies in milliseconds.
type Summary struct {
	// Requests is the number of requests sent (results taken).
	Requests int64 `json:"requests"`
	// Scheduled is the number of requests the arrival schedule asked for.
	Scheduled int64 `json:"requests_scheduled"`
	Success   int64 `json:"success"`
	Errors    int64 `json:"errors"`
	// ErrorRate is Errors / Requests.
	ErrorRate float64 `json:"error_rate"`
	// ErrorsByClass counts failures by class: tls_alert:<name>, reset,
	// timeout, closed, connect_refused, server_cert, http_<code>, ….
	ErrorsByClass map[ErrorClass]int64 `json:"errors_by_class"`
	StatusCodes   map[string]int64     `json:"status_codes"`

	// RateAsked is the schedule's mean rate; RateAchieved is requests sent
	// per second between the first and the last send (Vegeta's rate);
	// Throughput is successful requests per second until the last answer.
	RateAsked    float64 `json:"rate_asked"`
	RateAchieved float64 `json:"rate_achieved"`
	Throughput   float64 `json:"throughput"`
	// DurationS is the span of the sends; WallS the whole run.
	DurationS float64 `json:"duration_s"`
	WallS     float64 `json:"wall_s"`

	// GeneratorLimited is set when the generator fell behind its schedule
	// (send lag p99 above the limit, or fewer requests sent than scheduled
	// in a run that was not interrupted): the origin was then under-driven.
	GeneratorLimited bool    `json:"generator_limited"`
	BehindByMs       float64 `json:"behind_by_ms"`
	SendLagP99Ms     float64 `json:"send_lag_p99_ms"`
	Interrupted      bool    `json:"interrupted"`

	// Connections and handshakes, counted at the dialer.
	Connections int64      `json:"connections"`
	Handshakes  Handshakes `json:"handshakes"`
	Dial        DialStats  `json:"dial"`
	// ReuseRatio is the share of requests served on a connection an
	// earlier request used (the first request on a connection counts as new),
	// of RequestsWithConnection; RequestsReused counts them.
	ReuseRatio             float64 `json:"reuse_ratio"`
	RequestsReused         int64   `json:"requests_reused"`
	RequestsWithConnection int64   `json:"requests_with_connection"`
	// Negotiated counts new connections by "version cipher curve".
	// Connect and TLS phase latencies cover every connection the dialer
	// made; UnrecordedConnections counts those whose timing was lost
	// because the consumer fell behind.
	Negotiated            map[string]int64 `json:"negotiated,omitempty"`
	UnrecordedConnections int64            `json:"unrecorded_connections,omitempty"`
	// Identities counts successful requests by the client identity their
	// connection presented.
	Identities map[string]int64 `json:"identities,omitempty"`

	// Latency holds per-phase percentiles over every pop: dns, connect,
	// tls_full, tls_resumed (first request of a new connection), ttfb,
	// total (from the actual send), total_corrected (from the intended
	// send), send_lag.
	Latency map[string]latency.Percentiles `json:"latency"`
	Pops    []PopSummary                   `json:"pops"`
	// Phases break the run down by phase of its schedule: a scenario's
	// phases, or the segments of a multi-segment arrival (none for a
	// schedule of one segment).
	Phases []PhaseSummary `json:"phases,omitempty"`

	// Config is the resolved configuration the run was made with.
	Config *Config `json:"config,omitempty"`
}

// Handshakes are completed TLS handshakes (and failed ones).
type Handshakes struct {
	Full    int64 `json:"full"`
	Resumed int64 `json:"resumed"`
	Failed  int64 `json:"failed"`
}

// PopSummary is one pop's share of a run.
type PopSummary struct {
	Pop           int                            `json:"pop"`
	Requests      int64                          `json:"requests"`
	Errors        int64                          `json:"errors"`
	ErrorsByClass map[ErrorClass]int64           `json:"errors_by_class,omitempty"`
	Connections   int64                          `json:"connections"`
	Handshakes    Handshakes                     `json:"handshakes"`
	ReuseRatio    float64                        `json:"reuse_ratio"`
	Latency       map[string]latency.Percentiles `json:"latency"`
}

// tally is the per-pop request accounting the consumer keeps.
type tally struct {
	requests, errors, reused, withConn int64
	errorsByClass                      map[ErrorClass]int64
}

func (t *tally) add(class ErrorClass, gotConn, reused bool) {
	t.requests++
	if gotConn {
		t.withConn++
		if reused {
			t.reused++
		}
	}
	if class != "" {
		t.errors++
		if t.errorsByClass == nil {
			t.errorsByClass = map[ErrorClass]int64{}
		}
		t.errorsByClass[class]++
	}
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return round4(float64(a) / float64(b))
}

func round4(f float64) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(f, 'f', 4, 64), 64)
	return v
}

func statusKey(code uint16) string { return strconv.Itoa(int(code)) }

func latencyOf(set *latency.Set, pop int) map[string]latency.Percentiles {
	out := map[string]latency.Percentiles{}
	for _, phase := range set.Phases() {
		var h *latency.Histogram
		if pop == latency.AllPops {
			h = set.Merged(phase)
		} else {
			h = set.Get(latency.Key{Phase: phase, Pop: pop})
		}
		if h != nil && h.Count() > 0 {
			out[phase] = h.Percentiles()
		}
	}
	return out
}

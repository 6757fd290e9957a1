package capacity

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/originproof/originproof/loadgen"
)

// Result is capacity.json: every search with its steps, the mTLS
// differences and the findings in plain words.
type Result struct {
	SchemaVersion int    `json:"schema_version"`
	Tool          string `json:"tool"`
	Version       string `json:"version"`
	Target        string `json:"target"`
	ServerName    string `json:"server_name"`
	SLO           SLO    `json:"slo"`
	SLOText       string `json:"slo_text"`
	Search        Search `json:"search"`
	// Resumption says whether the handshakes workload resumed sessions.
	Resumption  bool            `json:"handshake_resumption"`
	OriginPID   int             `json:"origin_pid,omitempty"`
	Started     time.Time       `json:"started"`
	Finished    time.Time       `json:"finished"`
	Interrupted bool            `json:"interrupted"`
	Machine     loadgen.Machine `json:"machine"`
	Workloads   []Entry         `json:"workloads"`
	Deltas      []Delta         `json:"deltas"`
	Findings    []string        `json:"findings"`
}

// Entry is one search: a workload with one identity, its knee and steps.
type Entry struct {
	Workload Workload `json:"workload"`
	Identity string   `json:"identity"`
	KeyType  string   `json:"key_type"`
	// KneeRate is the highest offered rate sustained within the SLO (0:
	// none was), in Unit. With LimitedBy other than origin it is a lower
	// bound.
	KneeRate  float64   `json:"knee_rate"`
	Unit      string    `json:"unit"`
	LimitedBy LimitedBy `json:"limited_by"`
	// FirstBad is the lowest offered rate that broke the SLO (0: none did).
	FirstBad float64 `json:"first_bad_rate,omitempty"`
	// Refused is set when the origin failed every request of the first
	// step: the error classes (e.g. an origin that refuses TLS-only).
	Refused string `json:"refused,omitempty"`
	// Unreachable: no connection was ever established.
	Unreachable bool `json:"unreachable,omitempty"`
	// OriginCPUPerHandshake (handshakes: per new connection, a full
	// handshake unless sessions resume) and OriginCPUPerRequest (requests)
	// are the origin's CPU in µs, over every step (with --origin-pid).
	OriginCPUPerHandshake *float64 `json:"origin_cpu_us_per_handshake,omitempty"`
	OriginCPUPerRequest   *float64 `json:"origin_cpu_us_per_request,omitempty"`
	// Notes say what else happened (origin CPU sampling lost, a step error).
	Notes []string `json:"notes,omitempty"`
	// Config is the load configuration of the search's steps (the first
	// step's; the rate and duration change from step to step).
	Config *loadgen.Config `json:"config,omitempty"`
	WallS  float64         `json:"wall_s"`
	Steps  []Step          `json:"steps"`
}

// Step is one offered rate held for a while, and what came of it. Latencies
// are in milliseconds, measured from each request's intended send.
type Step struct {
	Offered   float64 `json:"offered"`
	Phase     string  `json:"phase"` // up, down or bisect
	DurationS float64 `json:"duration_s"`
	Requests  int64   `json:"requests"`
	Success   int64   `json:"success"`
	// Achieved is successful answers per second over a window as long as
	// the step, starting at its median latency.
	Achieved float64 `json:"achieved"`
	P50      float64 `json:"p50_ms"`
	P99      float64 `json:"p99_ms"`
	P999     float64 `json:"p999_ms"`
	// HandshakeP50 and HandshakeP99 are the full handshakes' (the resumed
	// ones' when most handshakes resumed).
	HandshakeP50      float64                      `json:"handshake_p50_ms"`
	HandshakeP99      float64                      `json:"handshake_p99_ms"`
	FullHandshakes    int64                        `json:"full_handshakes"`
	ResumedHandshakes int64                        `json:"resumed_handshakes"`
	Connections       int64                        `json:"connections"`
	Errors            int64                        `json:"errors"`
	ErrorsByClass     map[loadgen.ErrorClass]int64 `json:"errors_by_class"`
	GeneratorCPU      float64                      `json:"generator_cpu_us_per_request"`
	GeneratorLimited  bool                         `json:"generator_limited"`
	SendLagP99        float64                      `json:"send_lag_p99_ms"`
	// OriginCPUMs is the origin's CPU time during the step (with
	// --origin-pid), per handshake (full or resumed) or per request in µs.
	OriginCPUMs           *float64        `json:"origin_cpu_ms,omitempty"`
	OriginCPUPerHandshake *float64        `json:"origin_cpu_us_per_handshake,omitempty"`
	OriginCPUPerRequest   *float64        `json:"origin_cpu_us_per_request,omitempty"`
	WithinSLO             bool            `json:"within_slo"`
	Broke                 []string        `json:"slo_broken,omitempty"`
	config                *loadgen.Config // the step's configuration
	interrupted           bool            // the step was cut short: dropped
	note                  string          // for the search's notes
}

// ReadFile reads a capacity.json.
func ReadFile(path string) (*Result, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Result
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if r.SchemaVersion != 1 {
		return nil, fmt.Errorf("%s: schema_version %d is not supported (want 1)", path, r.SchemaVersion)
	}
	return &r, nil
}

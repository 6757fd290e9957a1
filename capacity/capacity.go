// Package capacity finds an origin's knee — the highest offered rate it
// sustains within a service-level objective — for new connections (a full
// TLS handshake per request) and for CloudFront-pooled keep-alive requests,
// with a client certificate and without one, so that what origin mTLS
// costs is a measured number: capacity lost at the knee, latency added at
// matched offered load, and, for an origin on this machine, its CPU per
// handshake. Each step is an open-model loadgen run; the search steps up
// from a start rate, then bisects between the last good and the first bad
// step. A step the generator itself could not drive is reported as such and
// never taken for the origin's knee.
package capacity

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"time"

	"github.com/originproof/originproof/loadgen"
)

// Workload is the traffic a search offers.
type Workload string

const (
	// Handshakes sends every request on a new connection with a full
	// handshake (no reuse, no resumption): what an idle-gap storm, an origin
	// deploy or a certificate rotation does to an origin.
	Handshakes Workload = "handshakes"
	// Requests sends CloudFront-pooled keep-alive requests.
	Requests Workload = "requests"
)

// Workloads lists every workload, in search order.
var Workloads = []Workload{Handshakes, Requests}

// unit is what the workload's rate counts: new connections are full
// handshakes unless they resume sessions.
func (w Workload) unit(resumption bool) string {
	switch {
	case w == Requests:
		return "requests/s"
	case resumption:
		return "new connections/s"
	}
	return "full handshakes/s"
}

// op is one operation of the workload, for CPU figures.
func (w Workload) op(resumption bool) string {
	switch {
	case w == Requests:
		return "request"
	case resumption:
		return "new connection"
	}
	return "full handshake"
}

// capacityName names the capacity the workload measures, for findings.
func (w Workload) capacityName() string {
	if w == Handshakes {
		return "new-connection capacity"
	}
	return "pooled request capacity"
}

// ParseWorkloads reads a comma-separated list of workloads.
func ParseWorkloads(s string) ([]Workload, error) {
	var out []Workload
	for _, f := range strings.Split(s, ",") {
		w := Workload(strings.TrimSpace(f))
		switch w {
		case Handshakes, Requests:
			for _, o := range out {
				if o == w {
					return nil, fmt.Errorf("%q: %s is listed twice", s, w)
				}
			}
			out = append(out, w)
		default:
			return nil, fmt.Errorf("%q: %q is not a workload (handshakes, requests)", s, w)
		}
	}
	return out, nil
}

// LimitedBy says what ended a search.
type LimitedBy string

// What ends a search: the origin broke the SLO (the knee is the origin's),
// the generator fell behind its own schedule, the search reached the
// maximum rate or ran out of time, or it was interrupted.
const (
	LimitedByOrigin      LimitedBy = "origin"
	LimitedByGenerator   LimitedBy = "generator"
	LimitedByMaxRate     LimitedBy = "max-rate"
	LimitedByMaxDuration LimitedBy = "max-duration"
	LimitedByInterrupted LimitedBy = "interrupted"
)

// Subject is one search: a workload with one client identity.
type Subject struct {
	Workload Workload
	// Identity is the client certificate presented (loadgen.NoIdentity: none).
	Identity loadgen.Identity
	// KeyType is the certificate's key type ("" without one).
	KeyType string
}

// MTLS says whether the subject presents a client certificate.
func (s Subject) MTLS() bool { return s.Identity.Certificate != nil }

func (s Subject) String() string {
	if s.KeyType == "" {
		return fmt.Sprintf("%s, %s", s.Workload, s.Identity.Name)
	}
	return fmt.Sprintf("%s, %s (%s)", s.Workload, s.Identity.Name, s.KeyType)
}

// Search bounds and shapes every search.
type Search struct {
	// StartRate is the first step's offered rate (per second).
	StartRate float64 `json:"start_rate"`
	// StepFactor multiplies the rate from one coarse step to the next.
	StepFactor float64 `json:"step_factor"`
	// Precision ends the bisection once the bracket is within this share
	// of the last good rate.
	Precision float64 `json:"precision"`
	// MaxRate is the highest rate offered.
	MaxRate float64 `json:"max_rate"`
	// MaxDuration bounds the whole run (every search), shared fairly.
	MaxDuration loadgen.Duration `json:"max_duration"`
	// StepDuration is a step's length, made longer where needed for
	// MinSamples requests.
	StepDuration loadgen.Duration `json:"step_duration"`
	MinSamples   int              `json:"min_samples"`
	// Settle is the pause between steps (the origin's sockets close).
	Settle loadgen.Duration `json:"settle"`
}

// DefaultSearch is what the command uses unless told otherwise.
var DefaultSearch = Search{
	StartRate: 20, StepFactor: 2, Precision: 0.10, MaxRate: 100000,
	MaxDuration: loadgen.Duration(15 * time.Minute), StepDuration: loadgen.Duration(5 * time.Second),
	MinSamples: 500, Settle: loadgen.Duration(500 * time.Millisecond),
}

// minRate is the lowest rate a search steps down to.
const minRate = 1.0

// maxStep bounds one step however few requests per second it offers.
const maxStep = 2 * time.Minute

// ConfigError is a setting that cannot be used; Field is its command-line name.
type ConfigError struct {
	Field  string
	Reason string
}

func (e *ConfigError) Error() string { return "capacity: " + e.Field + ": " + e.Reason }

func cfgErr(field, format string, a ...any) error {
	return &ConfigError{Field: field, Reason: fmt.Sprintf(format, a...)}
}

// Validate checks the search settings.
func (s Search) Validate() error {
	finite := func(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
	switch {
	case !finite(s.StartRate) || s.StartRate < minRate:
		return cfgErr("start-rate", "%v: want at least %v per second", s.StartRate, minRate)
	case !finite(s.StepFactor) || s.StepFactor < 1.1 || s.StepFactor > 10:
		return cfgErr("step-factor", "%v: want 1.1 to 10", s.StepFactor)
	case !finite(s.Precision) || s.Precision < 0.01 || s.Precision > 1:
		return cfgErr("precision", "%v: want 1%% to 100%%", s.Precision)
	case !finite(s.MaxRate) || s.MaxRate < s.StartRate || s.MaxRate > 1e7:
		return cfgErr("max-rate", "%v: want at least the start rate (%v) and at most 10,000,000", s.MaxRate, s.StartRate)
	case s.MaxDuration <= 0 || time.Duration(s.MaxDuration) > 24*time.Hour:
		return cfgErr("max-duration", "%v: want a positive duration of at most 24h", time.Duration(s.MaxDuration))
	case s.StepDuration < loadgen.Duration(100*time.Millisecond) || time.Duration(s.StepDuration) > maxStep:
		return cfgErr("step-duration", "%v: want 100ms to %v", time.Duration(s.StepDuration), maxStep)
	case s.MinSamples < 1 || s.MinSamples > 1e6:
		return cfgErr("min-samples", "%d: want 1 to 1,000,000", s.MinSamples)
	case s.Settle < 0 || time.Duration(s.Settle) > time.Minute:
		return cfgErr("settle", "%v: want 0 to 1m", time.Duration(s.Settle))
	}
	return nil
}

// stepDuration is how long a step at rate lasts: StepDuration, or long
// enough for MinSamples requests, rounded up to 100 ms.
func (s Search) stepDuration(rate float64) time.Duration {
	d := time.Duration(s.StepDuration)
	if need := time.Duration(float64(s.MinSamples) / rate * float64(time.Second)); need > d {
		d = need
	}
	d = (d + 99*time.Millisecond).Truncate(100 * time.Millisecond)
	return min(d, maxStep)
}

// Config is a capacity run.
type Config struct {
	// Load are every step's options: where the origin is and how to reach
	// it, the pools (pops, connections, keep-alive), TLS and worker caps.
	// The search sets the identity, the rate and, for Handshakes, reuse.
	Load     []loadgen.Option
	Subjects []Subject
	SLO      SLO
	Search   Search
	// Resumption makes the Handshakes workload's new connections resume TLS
	// sessions (off: every handshake is a full one).
	Resumption bool
	// OriginCPU, when set, samples the origin's CPU time around each step;
	// OriginPID is recorded with it.
	OriginCPU CPUSampler
	OriginPID int
	// Progress is called when a step starts and ends, and when a search
	// ends (nil: none). It runs on the searching goroutine.
	Progress func(Event)
	// Version is recorded in capacity.json.
	Version string
}

// Event is progress: a step starting (Step nil) or done, or a search done
// (Entry set).
type Event struct {
	Subject   Subject
	Index, Of int // the search's number (1-based) and how many there are
	StepNo    int
	Rate      float64
	Duration  time.Duration
	Good, Bad float64 // the bracket so far (0: none yet)
	Step      *Step
	Entry     *Entry
	Remaining time.Duration // of the run's time budget
}

// Run runs one search per subject, in order, within the time budget, and
// returns what was measured. Cancelling ctx ends the step under way (it is
// dropped) and the run: every finished step is kept and the result says it
// was interrupted. The error is a ConfigError for unusable settings (no
// traffic was sent then).
func Run(ctx context.Context, cfg Config) (*Result, error) {
	first, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	res := &Result{
		SchemaVersion: 1, Tool: "originproof", Version: cfg.Version,
		Target: first.Target, ServerName: first.ServerName,
		SLO: cfg.SLO, SLOText: cfg.SLO.String(), Search: cfg.Search, Resumption: cfg.Resumption,
		OriginPID: cfg.OriginPID, Started: time.Now().UTC(), Machine: loadgen.ThisMachine(),
		Workloads: []Entry{},
	}
	deadline := time.Now().Add(time.Duration(cfg.Search.MaxDuration))
	// A step under way when the budget ends is stopped a little later (its
	// answers drain): the whole run stays within the budget plus this.
	hard, cancel := context.WithDeadline(ctx, deadline.Add(overrun(cfg.Search)))
	defer cancel()
	for i, s := range cfg.Subjects {
		if ctx.Err() != nil {
			break
		}
		left := time.Until(deadline)
		sr := &searcher{cfg: &cfg, subject: s, index: i + 1, of: len(cfg.Subjects), runDeadline: deadline,
			deadline: time.Now().Add(left / time.Duration(len(cfg.Subjects)-i))}
		sr.step = sr.realStep
		entry := sr.run(ctx, hard)
		res.Workloads = append(res.Workloads, *entry)
		if cfg.Progress != nil {
			cfg.Progress(Event{Subject: s, Index: i + 1, Of: len(cfg.Subjects), Entry: entry, Remaining: time.Until(deadline)})
		}
	}
	// Searches an interrupt kept from starting are listed without steps.
	for _, s := range cfg.Subjects[len(res.Workloads):] {
		res.Workloads = append(res.Workloads, Entry{Workload: s.Workload, Identity: s.Identity.Name, KeyType: s.KeyType,
			Unit: s.Workload.unit(cfg.Resumption), LimitedBy: LimitedByInterrupted, Steps: []Step{}})
	}
	res.Interrupted = ctx.Err() != nil
	res.Finished = time.Now().UTC()
	res.Summarize()
	return res, nil
}

// Summarize computes the deltas and the findings from the searches.
func (r *Result) Summarize() {
	r.Deltas = deltas(r)
	r.Findings = findings(r)
}

// Validate checks the configuration, every search's load options
// included, as Run does before any traffic.
func (cfg *Config) Validate() error {
	_, err := cfg.validate()
	return err
}

// validate checks the configuration and returns the first search's
// resolved load configuration.
func (cfg *Config) validate() (loadgen.Config, error) {
	var first loadgen.Config
	if len(cfg.Subjects) == 0 {
		return first, cfgErr("workloads", "nothing to search: no workload and identity given")
	}
	if err := cfg.Search.Validate(); err != nil {
		return first, err
	}
	if cfg.SLO.P99 <= 0 || cfg.SLO.MinAchieved <= 0 || cfg.SLO.MinAchieved > 1 || cfg.SLO.MaxErrorRate < 0 || cfg.SLO.MaxErrorRate >= 1 {
		return first, cfgErr("slo", "%s: not a usable objective", cfg.SLO)
	}
	// Every subject's options are checked before any traffic.
	for i, s := range cfg.Subjects {
		e, err := loadgen.New(cfg.stepOptions(s, cfg.Search.StartRate, time.Duration(cfg.Search.StepDuration))...)
		if err != nil {
			var oe *loadgen.OptionError
			if errors.As(err, &oe) {
				return first, &ConfigError{Field: oe.Option, Reason: oe.Reason}
			}
			return first, err
		}
		if i == 0 {
			first = e.Config()
		}
	}
	return first, nil
}

// overrun is how long past the budget a step under way may run.
func overrun(s Search) time.Duration {
	return max(5*time.Second, time.Duration(s.MaxDuration)/10)
}

// stepOptions are the loadgen options of one step.
func (cfg *Config) stepOptions(s Subject, rate float64, d time.Duration) []loadgen.Option {
	opts := append(append([]loadgen.Option(nil), cfg.Load...), loadgen.ClientIdentity(s.Identity), loadgen.Rate(rate, d))
	if s.Workload == Handshakes {
		opts = append(opts, loadgen.Reuse(false), loadgen.Resumption(cfg.Resumption))
	}
	return opts
}

// File is the name of the result under the output directory.
const File = "capacity.json"

// WriteFile writes the result as dir/capacity.json.
func (r *Result) WriteFile(dir string) (string, error) {
	path := filepath.Join(dir, File)
	return path, loadgen.WriteJSONFile(path, r)
}

package certify

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/originproof/originproof/checks"
	"github.com/originproof/originproof/fixtures"
	"github.com/originproof/originproof/loadgen"
	"github.com/originproof/originproof/reports"
	"github.com/originproof/originproof/scenarios"
	"github.com/originproof/originproof/suites/conformance"
)

// Environment variables of a shard run as a Kubernetes Indexed Job pod.
const (
	// EnvCompletionIndex is set by Kubernetes in every pod of an Indexed
	// Job: the pod's index, 0-based.
	EnvCompletionIndex = "JOB_COMPLETION_INDEX"
	// EnvShards is how many shards the run has (the Job's completions).
	EnvShards = "ORIGINPROOF_SHARDS"
)

// DefaultStartTolerance is how late a shard may reach --start-at and still run.
const DefaultStartTolerance = 5 * time.Second

// Shard says which part of a run this process sends: shard Index (1-based)
// of Count. The zero value (or Count 1) is the whole run.
type Shard struct{ Index, Count int }

// Sharded reports whether the run is split.
func (s Shard) Sharded() bool { return s.Count > 1 }

// First reports whether this shard runs what only one shard runs (the
// conformance suites).
func (s Shard) First() bool { return s.Index <= 1 }

func (s Shard) String() string {
	if !s.Sharded() {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

// ParseShard reads i/N, or "auto": the Indexed Job's JOB_COMPLETION_INDEX
// (0-based) and ORIGINPROOF_SHARDS, read with getenv.
func ParseShard(spec string, getenv func(string) string) (Shard, error) {
	if spec == "" {
		return Shard{}, nil
	}
	if spec != "auto" {
		i, n, err := loadgen.ParseShard(spec)
		if err != nil {
			return Shard{}, inputErr("shard", "%v (or auto)", err)
		}
		return Shard{i, n}, nil
	}
	idx, count := getenv(EnvCompletionIndex), getenv(EnvShards)
	i, err1 := strconv.Atoi(idx)
	n, err2 := strconv.Atoi(count)
	switch {
	case idx == "" || count == "":
		return Shard{}, inputErr("shard", "auto needs %s (set by an Indexed Job) and %s; got %q and %q", EnvCompletionIndex, EnvShards, idx, count)
	case err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n:
		return Shard{}, inputErr("shard", "auto: %s=%q and %s=%q are not an index 0..N-1 and a count N", EnvCompletionIndex, idx, EnvShards, count)
	}
	return Shard{i + 1, n}, nil
}

// LateError is a shard that reached the start barrier too late to run with
// the others: the run is inconclusive.
type LateError struct {
	StartAt   time.Time
	Missed    time.Duration
	Tolerance time.Duration
}

func (e *LateError) Error() string {
	return fmt.Sprintf("reached --start-at %s %v late (tolerance %v): the other shards started without this one",
		e.StartAt.UTC().Format(time.RFC3339), e.Missed.Round(time.Millisecond), e.Tolerance)
}

// WaitUntil is the start barrier: it waits until at (calling progress with
// the time left, about every second) and returns when it is reached. A
// caller already later than at+tolerance gets a *LateError at once.
func WaitUntil(ctx context.Context, at time.Time, tolerance time.Duration, progress func(left time.Duration)) error {
	if late := time.Since(at); late > tolerance {
		return &LateError{StartAt: at, Missed: late, Tolerance: tolerance}
	}
	for {
		left := time.Until(at)
		if left <= 0 {
			return nil
		}
		if progress != nil {
			progress(left)
		}
		step := min(left, time.Second)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(step):
		}
	}
}

// ScenarioFile is the resolved scenario a certify shard leaves beside its
// outputs: merge judges the thresholds of the whole run with it.
const ScenarioFile = "scenario.yaml"

// runShard is one shard of a sharded certify. It waits for the start
// barrier and sends its share of the load phases; shard 1 then runs the
// conformance suites — after the load, so that they never make it late for
// the barrier and their probes do not share the origin with the load. Every
// shard writes its outputs and the resolved scenario; its summary judges
// its own share, and `merge` judges the whole run.
func runShard(ctx context.Context, s *scenarios.Scenario, o Options, plan *scenarios.LoadPlan, ep *Endpoint, pki *fixtures.PKI, identity loadgen.Identity, cfg conformance.Config, logw io.Writer) (*reports.Summary, error) {
	y, err := s.YAML()
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(o.Out, ScenarioFile), y, 0o644); err != nil {
		return nil, inputErr(FieldOut, "%v", err)
	}
	var lr loadResult
	if plan != nil {
		fmt.Fprintf(logw, "[1/3] load, shard %s: %d phase(s), %v, %d of the %d requests scheduled, starting %s\n", o.Shard, len(plan.Windows),
			plan.Schedule.Duration(), plan.Schedule.OfShard(o.Shard.Index, o.Shard.Count).Requests(), plan.Schedule.Requests(), startText(o.StartAt))
		if lr, err = runPhases(ctx, s, ep, pki, identity, plan, o); lr.load == nil {
			return nil, err // nothing measured: late for the barrier, or no engine
		}
	}
	var sum *reports.Summary
	var runErr error
	switch {
	case o.Shard.First() && ctx.Err() == nil:
		fmt.Fprintf(logw, "[2/3] conformance (on shard 1 of %d): %s (SNI %s via %s)\n", o.Shard.Count, ep.URL, ep.ServerName, ep.Addr)
		if sum, runErr = conformance.Run(ctx, cfg); sum == nil {
			return nil, &InputError{Field: "policy", Err: runErr}
		}
	default:
		why := fmt.Sprintf("the conformance suites run on shard 1 of %d", o.Shard.Count)
		if ctx.Err() != nil {
			why = "interrupted before the conformance suites"
		}
		if sum, err = conformance.NotRun(cfg, why); err != nil {
			return nil, &InputError{Field: "policy", Err: err}
		}
	}
	sum.Shard = o.Shard.String()
	sum.Config["scenario"] = o.Source
	lr.apply(sum)
	if err != nil && runErr == nil {
		runErr = err
	}
	sum.Decide(s.Policy.FailOn == "warn")
	sum.Warnings = append(sum.Warnings, fmt.Sprintf("shard %s: this summary covers one shard's share of the load; `originproof merge` of every shard judges the run", o.Shard))
	if ctx.Err() != nil {
		sum.Verdict, sum.VerdictReason = checks.VerdictInconclusive, "interrupted; the outputs hold what was measured until then"
	}
	fmt.Fprintf(logw, "[3/3] writing %s\n", o.Out)
	if err := reports.WriteOutputs(o.Out, sum); err != nil {
		return sum, err
	}
	return sum, runErr
}

func startText(at time.Time) string {
	if at.IsZero() {
		return "now"
	}
	return at.UTC().Format(time.RFC3339)
}

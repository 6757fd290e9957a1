// Package certify is originproof's go-live gate as a library: from a
// scenario it runs the conformance suites, then the load phases as one run
// (the pools persist across phases, as CloudFront's do), evaluates the
// thresholds per phase and decides rotation.under-load from the rotation
// drill, and writes every output. It also resolves the target once for
// every command (Target), judges load runs on their own (LoadVerdict) and
// loads the user's real client certificate. The command line is a thin
// layer over it.
package certify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/originproof/originproof/checks"
	"github.com/originproof/originproof/clientcert"
	"github.com/originproof/originproof/fixtures"
	"github.com/originproof/originproof/loadgen"
	"github.com/originproof/originproof/reports"
	"github.com/originproof/originproof/scenarios"
	"github.com/originproof/originproof/suites/conformance"
)

// Options tune a certify run.
type Options struct {
	// Out is the directory for every output (required).
	Out string
	// Source names the scenario in summary.json (its file name).
	Source string
	// Version is the tool version recorded in the outputs.
	Version string
	// Args is the command line recorded in run.json (secrets redacted).
	Args []string
	// Log receives one line per stage (discarded when nil).
	Log io.Writer
	// Verbose receives Ginkgo's own progress (discarded when nil).
	Verbose io.Writer
	// Progress is called every interval of the load run (nil: none).
	Progress func(loadgen.Progress)
	// LoadStarted is called when the load engine is built (nil: none).
	LoadStarted func(loadgen.Config)
	// Shard makes this run one shard of several (see runShard).
	Shard Shard
	// StartAt, when set, is the start barrier of the load (with
	// StartTolerance, see LoadOptions); Waiting shows the wait.
	StartAt        time.Time
	StartTolerance time.Duration
	Waiting        func(left time.Duration)
	// Server, when set, is the origin's server program, instead of the
	// scenario's target.server (the report quotes its recipe's settings).
	Server checks.Server
}

// Scenario fields named by InputErrors of a scenario run.
var scenarioFields = map[string]string{
	FieldTarget: "target.url", FieldServerName: "target.server_name", FieldConnectTo: "target.connect_to",
	FieldPath: "target.path", FieldHeader: "target.headers", FieldServerRoots: "target.server_roots",
	FieldPKI: "pki.dir", FieldCA: "pki", FieldIdentity: "load.identity", FieldCloudFront: "policy.cloudfront_cert",
	FieldCDN: "cdn", FieldDistribution: "distribution.config", FieldOriginID: "distribution.origin_id",
}

func scenarioError(err error) error {
	var ie *InputError
	if errors.As(err, &ie) {
		if name, ok := scenarioFields[ie.Field]; ok {
			return &InputError{Field: name, Err: ie.Err}
		}
	}
	return err
}

// Run certifies the origin a scenario describes and writes summary.json,
// junit.xml, report.html and, when the scenario has load phases,
// results.json, latency.hlog and run.json under o.Out. It returns the
// summary (its Verdict is the gate's answer) and an error when the run
// could not be completed: an InputError (nothing was sent), the target
// unreachable (conformance.ErrUnreachable), or outputs that could not be
// written. An interrupted run (ctx cancelled) still writes what it measured
// and its verdict is inconclusive.
func Run(ctx context.Context, s *scenarios.Scenario, o Options) (*reports.Summary, error) {
	sum, err := run(ctx, s, o)
	return sum, scenarioError(err)
}

func run(ctx context.Context, s *scenarios.Scenario, o Options) (*reports.Summary, error) {
	logw := o.Log
	if logw == nil {
		logw = io.Discard
	}
	if o.Out == "" {
		return nil, inputErr(FieldOut, "the directory for the outputs is required")
	}
	plan, err := s.Plan()
	if err != nil {
		return nil, inputErr("load", "%v", err)
	}
	if o.Shard.Sharded() && s.PKI.Dir == "" {
		return nil, inputErr(FieldPKI, "a sharded run needs the same PKI on every shard: give a 'pki init' directory (pki.dir), not a PKI made for the run")
	}
	pki, pkiDir, err := LoadPKI(PKISource{Dir: s.PKI.Dir, CACert: s.PKI.CACert, CAKey: s.PKI.CAKey,
		ServerName: s.Target.ServerName, WriteTo: filepath.Join(o.Out, "pki")})
	if err != nil {
		return nil, err
	}
	preset, err := LookupCDN(s.CDN)
	if err != nil {
		return nil, err
	}
	dist := s.Distribution.Origin()
	t := Target{URL: s.Target.URL, ServerName: s.Target.ServerName, ConnectTo: s.Target.ConnectTo, Path: s.Target.Path, ServerRoots: s.Target.ServerRoots,
		CDN: preset, Distribution: dist}
	t.Headers = map[string][]string{}
	for k, v := range s.Target.Headers {
		t.Headers.Set(k, v)
	}
	ep, err := t.Resolve(pki, pkiDir)
	if err != nil {
		return nil, err
	}
	if err := conformance.ValidateSiblingSNI(s.Policy.SiblingSNI, ep.ServerName); err != nil {
		return nil, inputErr("policy.sibling_sni", "%v", err)
	}
	cfg := ConformanceConfig(ep, pki, o.Version)
	cfg.Distribution = dist
	cfg.ExpectIdentityPin, cfg.ExpectCRL, cfg.RotationPhase = s.Policy.ExpectIdentityPin, s.Policy.ExpectCRL, s.Policy.RotationPhase
	cfg.SiblingSNI, cfg.PKIDir = s.Policy.SiblingSNI, pkiDir
	cfg.Keepalive, cfg.FailOnWarn, cfg.LabelFilter = s.Pooling.Keepalive.Duration, s.Policy.FailOn == "warn", s.Policy.LabelFilter
	cfg.Log = o.Verbose
	if s.Target.Server != nil {
		cfg.Server = checks.Server(*s.Target.Server)
	}
	if o.Server != "" {
		cfg.Server = o.Server
	}
	if c := s.Policy.CloudFrontCert; c != nil {
		if cfg.CloudFrontCert, err = clientcert.Load(c.Cert, c.Key, c.Chain); err != nil {
			return nil, &InputError{Field: FieldCloudFront, Err: err}
		}
	}
	if len(s.Policy.Severity) > 0 {
		cfg.Overrides = map[string]conformance.Override{}
		for _, ov := range s.Policy.Severity {
			cfg.Overrides[ov.Check] = conformance.Override{Severity: checks.Severity(ov.Severity), Reason: ov.Reason}
		}
	}
	identity, err := LoadIdentity(pki, pkiDir, s.Load.Identity)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return nil, inputErr(FieldOut, "%q: %v", o.Out, unwrapPath(err))
	}

	if o.Shard.Sharded() {
		return runShard(ctx, s, o, plan, ep, pki, identity, cfg, logw)
	}
	stages := 2
	if plan != nil {
		stages = 3
	}
	fmt.Fprintf(logw, "[1/%d] conformance: %s (SNI %s via %s)\n", stages, ep.URL, ep.ServerName, ep.Addr)
	sum, runErr := conformance.Run(ctx, cfg)
	if sum == nil {
		return nil, &InputError{Field: "policy", Err: runErr}
	}
	sum.Config["scenario"] = o.Source
	if plan != nil && runErr == nil && ctx.Err() == nil {
		fmt.Fprintf(logw, "[2/%d] load: %d phase(s), %v, %d requests scheduled\n", stages, len(plan.Windows), plan.Schedule.Duration(), plan.Schedule.Requests())
		lr, err := runPhases(ctx, s, ep, pki, identity, plan, o)
		lr.apply(sum)
		if err != nil {
			return sum, err
		}
	}
	sum.Decide(s.Policy.FailOn == "warn")
	if ctx.Err() != nil {
		sum.Verdict, sum.VerdictReason = checks.VerdictInconclusive, "interrupted; the outputs hold what was measured until then"
	}
	fmt.Fprintf(logw, "[%d/%d] writing %s\n", stages, stages, o.Out)
	if err := reports.WriteOutputs(o.Out, sum); err != nil {
		return sum, err
	}
	return sum, runErr
}

// ConformanceConfig is the conformance configuration for an endpoint and a
// PKI; the caller sets the policy fields.
func ConformanceConfig(ep *Endpoint, pki *fixtures.PKI, version string) conformance.Config {
	cfg := conformance.Config{PKI: pki, URL: ep.URL.String(), Target: ep.Probe(), Version: version, CDN: ep.CDN}
	if !ep.FromPKI {
		// The PKI's own root (the default) also lets its intermediate
		// complete the chain for server-cert.trusted (conformance fills it).
		cfg.ServerRoots, cfg.ServerRootsName = ep.Roots, ep.RootsName
	}
	return cfg
}

// LoadIdentity is the named identity of a PKI as the load generator
// presents it ("none": no certificate); an unknown or skipped identity is
// an InputError.
func LoadIdentity(pki *fixtures.PKI, pkiDir, name string) (loadgen.Identity, error) {
	if name == "none" || name == "" {
		return loadgen.NoIdentity, nil
	}
	id := pki.Identity(name)
	switch {
	case id == nil:
		return loadgen.Identity{}, inputErr(FieldIdentity, "%q: no such identity in the PKI (see %s)", name, filepath.Join(pkiDir, fixtures.DirClients))
	case id.Skipped != "":
		return loadgen.Identity{}, inputErr(FieldIdentity, "%q: not built under this PKI: %s", name, id.Skipped)
	}
	c := id.TLSCertificate()
	return loadgen.Identity{Name: name, Certificate: &c}, nil
}

// loadResult is what the load phases add to a summary.
type loadResult struct {
	load       *loadgen.Summary
	thresholds []reports.ThresholdResult
	warnings   []string
	checks     []reports.Check // judged from the load: rotation.under-load, distribution.read-timeout
}

func (lr loadResult) apply(sum *reports.Summary) {
	if lr.load == nil {
		return
	}
	sum.Load = lr.load
	sum.Thresholds = append(sum.Thresholds, lr.thresholds...)
	sum.Warnings = append(sum.Warnings, lr.warnings...)
	for _, c := range lr.checks {
		sum.SetCheck(c)
	}
}

// runPhases runs the load phases as one schedule (this shard's share when
// sharded), evaluates the thresholds per phase and decides
// rotation.under-load.
func runPhases(ctx context.Context, s *scenarios.Scenario, ep *Endpoint, pki *fixtures.PKI, identity loadgen.Identity, plan *scenarios.LoadPlan, o Options) (loadResult, error) {
	var lr loadResult
	p := s.Pooling
	opts := append(ep.LoadOptions(),
		loadgen.MaxConns(*p.MaxConns), loadgen.KeepAlive(p.Keepalive.Duration), loadgen.ConnectTimeout(p.ConnectTimeout.Duration),
		loadgen.ConnectAttempts(*p.ConnectAttempts), loadgen.ReadTimeout(p.ReadTimeout.Duration), loadgen.OriginShield(*p.OriginShield),
		loadgen.Reuse(*p.Reuse), loadgen.Resumption(*p.Resumption), loadgen.Arrival(plan.Schedule), loadgen.Phases(plan.Phases()...), loadgen.ClientIdentity(identity))
	if !*p.OriginShield {
		opts = append(opts, loadgen.Pops(*p.Pops))
	}
	if o.Shard.Sharded() {
		opts = append(opts, loadgen.Shard(o.Shard.Index, o.Shard.Count))
	}
	next := pki.Identity(rotationNext)
	if plan.RotateUntil > 0 && next != nil && next.Skipped == "" {
		c := next.TLSCertificate()
		opts = append(opts, loadgen.RotateTo(loadgen.Identity{Name: next.CheckID, Certificate: &c}, plan.RotateFrom, plan.RotateUntil))
	}
	lo := LoadOptions{Out: o.Out, Version: o.Version, Args: o.Args, Progress: o.Progress, Started: o.LoadStarted,
		StartAt: o.StartAt, StartTolerance: o.StartTolerance, Waiting: o.Waiting, Results: loadgen.ResultsMode(s.Results)}
	rep, runErr := RunLoad(ctx, opts, lo)
	if rep == nil {
		return lr, runErr
	}
	lr.load = &rep.Summary
	if runErr != nil {
		// An output that could not be written: judging thresholds on what
		// was would pass a gate on part of the run.
		return lr, fmt.Errorf("load: %w", runErr)
	}
	if rep.Summary.GeneratorLimited {
		lr.warnings = append(lr.warnings, generatorLimited(&rep.Summary))
	}
	lr.thresholds, lr.checks = judgeLoad(s, plan, rep.Phases, lr.load)
	return lr, runErr
}

// judgeLoad judges the scenario's thresholds on the phases the generator
// measured, and the checks the load decides: rotation.under-load and, with
// a distribution config, distribution.read-timeout.
func judgeLoad(s *scenarios.Scenario, plan *scenarios.LoadPlan, stats []loadgen.PhaseStats, load *loadgen.Summary) ([]reports.ThresholdResult, []reports.Check) {
	var out []reports.ThresholdResult
	for _, t := range s.Evaluate(stats) {
		out = append(out, reports.ThresholdResult{Name: t.Name, Phase: t.Phase, Limit: t.Limit, Observed: t.Observed, Held: t.Held})
	}
	var judged []reports.Check
	if c := rotationUnderLoad(plan, stats, rotationNext); c != nil {
		judged = append(judged, *c)
	}
	if d := s.Distribution.Origin(); d != nil {
		judged = append(judged, ReadTimeoutCheck(load, d))
	}
	return out, judged
}

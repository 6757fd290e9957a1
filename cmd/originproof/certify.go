package main

import (
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/originproof/originproof/checks"
	"github.com/originproof/originproof/fixtures"
	"github.com/originproof/originproof/loadgen"
	"github.com/originproof/originproof/reports"
	"github.com/originproof/originproof/scenarios"
	"github.com/originproof/originproof/suites/conformance"
	"github.com/originproof/originproof/suites/probe"
)

func init() { register("certify", newCertifyCmd) }

func newCertifyCmd() *cobra.Command {
	var (
		out             string
		dryRun, verbose bool
	)
	cmd := &cobra.Command{
		Use:   "certify SCENARIO.yaml --out DIR",
		Short: "The go-live gate: conformance, CloudFront-shaped load and thresholds from a scenario file",
		Long: `Certify an origin from a scenario file: the conformance suites with the
scenario's policy, then its load phases (one run: the pools persist across
phases, as CloudFront's do), then its thresholds.

The scenario format is documented in scenarios/scenario.schema.json and the
examples in scenarios/ (go-live.yaml, smoke.yaml, rotation-drill.yaml,
origin-shield.yaml). A malformed scenario is reported as file:line:col before
any traffic is sent. --dry-run prints the resolved plan, every default filled in.

Writes under --out: summary.json, junit.xml (checks and thresholds as
testcases), results.json, run.json, latency.hlog.
Exit codes: 0 pass, 1 fail, 2 bad scenario or input, 3 inconclusive.`,
		Example: `  originproof certify scenarios/go-live.yaml --out out/go-live
  originproof certify gate.yaml --dry-run`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError("certify: want exactly one scenario file, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCertify(cmd, args[0], out, dryRun, verbose)
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "directory for the outputs")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the resolved plan and exit without sending traffic")
	cmd.Flags().BoolVar(&verbose, "verbose", false, "show Ginkgo's progress on stderr")
	return cmd
}

func loadScenario(path string) (*scenarios.Scenario, error) {
	s, err := scenarios.LoadFile(path, scenarios.Options{KnownChecks: checks.IDs()})
	switch {
	case err == nil:
		return s, nil
	case scenarios.IsScenarioError(err):
		return nil, usageError("invalid scenario:\n%v", err)
	}
	return nil, usageError("certify: %s: %v", path, unwrapPath(err))
}

func runCertify(cmd *cobra.Command, path, out string, dryRun, verbose bool) error {
	s, err := loadScenario(path)
	if err != nil {
		return err
	}
	plan, err := s.Plan()
	if err != nil {
		return usageError("certify: %s: %v", path, err)
	}
	if dryRun {
		return printPlan(cmd.OutOrStdout(), s, plan)
	}
	if out == "" {
		return usageError("certify: --out is required (the directory for the outputs)")
	}
	_, err = certifyScenario(cmd, s, path, plan, out, verbose)
	return err
}

// certifyScenario runs a parsed scenario and writes its outputs; it
// returns the summary (nil when nothing ran) and the exit error.
func certifyScenario(cmd *cobra.Command, s *scenarios.Scenario, path string, plan *scenarios.LoadPlan, out string, verbose bool) (*reports.Summary, error) {
	w, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	env, err := certifyEnv(s, out)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, usageError("certify: --out %s: %v", out, unwrapPath(err))
	}
	cfg := env.conformance(s)
	if verbose {
		cfg.Log = stderr
	}
	stages := 2
	if plan != nil {
		stages = 3
	}
	fmt.Fprintf(stderr, "[1/%d] conformance: %s (SNI %s via %s)\n", stages, s.Target.URL, s.Target.ServerName, env.addr)
	sum, runErr := conformance.Run(cmd.Context(), cfg)
	if sum == nil {
		return nil, usageError("certify: %v", runErr)
	}
	sum.Config["scenario"] = path
	if plan != nil && runErr == nil && cmd.Context().Err() == nil {
		fmt.Fprintf(stderr, "[2/%d] load: %d phase(s), %v, %d requests scheduled\n", stages, len(plan.Windows), plan.Schedule.Duration(), plan.Schedule.Requests())
		if err := runCertifyLoad(cmd, s, env, plan, sum, out); err != nil {
			return sum, err
		}
	}
	sum.Decide(s.Policy.FailOn == "warn")
	if cmd.Context().Err() != nil {
		sum.Verdict, sum.VerdictReason = reports.VerdictInconclusive, "interrupted; the outputs hold what was measured until then"
	}
	fmt.Fprintf(stderr, "[%d/%d] writing %s\n", stages, stages, out)
	if err := writeConformOutputs(out, sum); err != nil {
		return sum, err
	}
	printConformSummary(w, sum, out)
	for _, t := range sum.Thresholds {
		mark := "held"
		if !t.Held {
			mark = "BREACHED"
		}
		phase := t.Phase
		if phase == "" {
			phase = "whole run"
		}
		fmt.Fprintf(w, "  threshold %-18s %-14s %-9s %s (limit %s)\n", t.Name, phase, mark, t.Observed, t.Limit)
	}
	return sum, verdictError("certify", sum, runErr)
}

// certifyEnvironment is the scenario's target and PKI, resolved.
type certifyEnvironment struct {
	pki       *fixtures.PKI
	pkiDir    string
	addr      string
	headers   http.Header
	roots     *x509.CertPool
	rootsName string
	cf        *fixtures.Identity
}

func certifyEnv(s *scenarios.Scenario, out string) (*certifyEnvironment, error) {
	env := &certifyEnvironment{headers: http.Header{}}
	u, _ := url.Parse(s.Target.URL) // validated by the parser
	port := u.Port()
	if port == "" {
		port = "443"
	}
	env.addr = net.JoinHostPort(u.Hostname(), port)
	if s.Target.ConnectTo != "" {
		env.addr = s.Target.ConnectTo
	}
	for k, v := range s.Target.Headers {
		env.headers.Set(k, v)
	}
	var err error
	switch {
	case s.PKI.Dir != "":
		env.pkiDir = s.PKI.Dir
		if env.pki, err = fixtures.LoadDir(s.PKI.Dir); err != nil {
			return nil, usageError("certify: pki.dir: %v", err)
		}
	default:
		opts := fixtures.Options{ServerName: s.Target.ServerName}
		if s.PKI.CACert != "" {
			ca, err := fixtures.LoadUserCA(s.PKI.CACert, s.PKI.CAKey)
			if err != nil {
				return nil, usageError("certify: pki: %v", err)
			}
			opts.UserCA = ca
		}
		if env.pki, err = fixtures.Generate(opts); err != nil {
			return nil, usageError("certify: pki: %v", err)
		}
		env.pkiDir = filepath.Join(out, "pki")
		if err := env.pki.WriteDir(env.pkiDir, true); err != nil {
			return nil, usageError("certify: %v", err)
		}
	}
	switch s.Target.ServerRoots {
	case "":
		env.rootsName = filepath.Join(env.pkiDir, fixtures.FileServerRoot)
	case "system":
		if env.roots, err = x509.SystemCertPool(); err != nil {
			return nil, usageError("certify: target.server_roots system: %v", err)
		}
		env.rootsName = "system"
	default:
		data, err := os.ReadFile(s.Target.ServerRoots)
		if err != nil {
			return nil, usageError("certify: target.server_roots %s: %v", s.Target.ServerRoots, unwrapPath(err))
		}
		env.roots = x509.NewCertPool()
		if !env.roots.AppendCertsFromPEM(data) {
			return nil, usageError("certify: target.server_roots %s: no PEM certificate in it", s.Target.ServerRoots)
		}
		env.rootsName = s.Target.ServerRoots
	}
	if c := s.Policy.CloudFrontCert; c != nil {
		if env.cf, err = fixtures.LoadIdentityFiles(c.Cert, c.Key, c.Chain); err != nil {
			return nil, usageError("certify: policy.cloudfront_cert: %v", err)
		}
	}
	if s.Load.Identity != "none" {
		if id := env.pki.Identity(s.Load.Identity); id == nil || id.Skipped != "" {
			return nil, usageError("certify: load.identity %q: the PKI in %s has no such identity", s.Load.Identity, env.pkiDir)
		}
	}
	return env, nil
}

func (env *certifyEnvironment) conformance(s *scenarios.Scenario) conformance.Config {
	cfg := conformance.Config{
		PKI: env.pki, URL: s.Target.URL,
		Target:            probe.Target{Addr: env.addr, ServerName: s.Target.ServerName, Path: s.Target.Path, Headers: env.headers},
		ServerRoots:       env.roots,
		ServerRootsName:   env.rootsName,
		ExpectIdentityPin: s.Policy.ExpectIdentityPin, ExpectCRL: s.Policy.ExpectCRL, RotationPhase: s.Policy.RotationPhase,
		Keepalive: s.Pooling.Keepalive.Duration, FailOnWarn: s.Policy.FailOn == "warn", LabelFilter: s.Policy.LabelFilter,
		CloudFrontCert: env.cf, Version: version,
	}
	if u, err := url.Parse(s.Target.URL); err == nil {
		cfg.Target.Host = u.Host
	}
	if len(s.Policy.Severity) > 0 {
		cfg.Overrides = map[string]conformance.Override{}
		for _, o := range s.Policy.Severity {
			cfg.Overrides[o.Check] = conformance.Override{Severity: checks.Severity(o.Severity), Reason: o.Reason}
		}
	}
	return cfg
}

// runCertifyLoad runs the load phases as one schedule, evaluates the
// thresholds per phase and records rotation.under-load.
func runCertifyLoad(cmd *cobra.Command, s *scenarios.Scenario, env *certifyEnvironment, plan *scenarios.LoadPlan, sum *reports.Summary, out string) error {
	p := s.Pooling
	opts := []loadgen.Option{
		loadgen.Target(s.Target.URL), loadgen.ServerName(s.Target.ServerName), loadgen.ConnectTo(env.addr), loadgen.Path(s.Target.Path),
		loadgen.MaxConns(*p.MaxConns), loadgen.KeepAlive(p.Keepalive.Duration), loadgen.ConnectTimeout(p.ConnectTimeout.Duration),
		loadgen.ConnectAttempts(*p.ConnectAttempts), loadgen.ReadTimeout(p.ReadTimeout.Duration), loadgen.OriginShield(*p.OriginShield),
		loadgen.Reuse(*p.Reuse), loadgen.Resumption(*p.Resumption), loadgen.Arrival(plan.Schedule),
	}
	if !*p.OriginShield {
		opts = append(opts, loadgen.Pops(*p.Pops))
	}
	for k, v := range s.Target.Headers {
		opts = append(opts, loadgen.Header(k, v))
	}
	if env.roots != nil || env.rootsName == "system" {
		opts = append(opts, loadgen.RootCAs(env.roots, env.rootsName))
	} else {
		opts = append(opts, loadgen.RootCAs(env.pki.ServerRootPool(), env.rootsName))
	}
	identity := loadgen.NoIdentity
	if s.Load.Identity != "none" {
		c := env.pki.Identity(s.Load.Identity).TLSCertificate()
		identity = loadgen.Identity{Name: s.Load.Identity, Certificate: &c}
	}
	opts = append(opts, loadgen.ClientIdentity(identity))
	next := env.pki.Identity("rotation.next-accepted")
	if plan.RotateUntil > 0 && next != nil && next.Skipped == "" {
		c := next.TLSCertificate()
		opts = append(opts, loadgen.RotateTo(loadgen.Identity{Name: next.CheckID, Certificate: &c}, plan.RotateFrom, plan.RotateUntil))
	}
	resultsPath := filepath.Join(out, "results.json")
	rep, runErr := executeLoad(cmd.Context(), cmd.ErrOrStderr(), opts, out, "load")
	if rep == nil {
		return runErr
	}
	sum.Load = &rep.Summary
	if runErr != nil && cmd.Context().Err() == nil {
		sum.Warnings = append(sum.Warnings, "load: "+runErr.Error())
	}
	rf, err := os.Open(resultsPath)
	if err != nil {
		return inconclusiveError("certify: %v", err)
	}
	defer rf.Close()
	stats, err := plan.Stats(loadgen.NewDecoder(rf))
	if err != nil {
		return inconclusiveError("certify: reading %s: %v", resultsPath, err)
	}
	for _, t := range s.Evaluate(stats) {
		sum.Thresholds = append(sum.Thresholds, reports.ThresholdResult{Name: t.Name, Phase: t.Phase, Limit: t.Limit, Observed: t.Observed, Held: t.Held})
	}
	recordRotation(sum, plan, stats, next)
	if rep.Summary.GeneratorLimited {
		sum.Warnings = append(sum.Warnings, fmt.Sprintf("generator_limited: the generator fell behind its schedule by up to %.0f ms; the origin was under-driven", rep.Summary.BehindByMs))
	}
	return nil
}

// recordRotation turns the rotation drill into the rotation.under-load
// check: zero failed requests while the pools switched identity, and
// requests served with the next identity.
func recordRotation(sum *reports.Summary, plan *scenarios.LoadPlan, stats []scenarios.PhaseStats, next *fixtures.Identity) {
	idx := -1
	for i, w := range plan.Windows {
		if w.Kind == "rotation-drill" {
			idx = i
			break
		}
	}
	if idx < 0 {
		return
	}
	st := stats[idx]
	c := reports.Check{ID: "rotation.under-load", Group: "rotation", Severity: string(checks.Must), Expected: "zero failed requests", Layer: "none"}
	served := int64(0)
	if next != nil {
		served = st.Identities[next.CheckID]
	}
	switch {
	case st.Requests == 0:
		c.Status, c.Observed = reports.StatusError, "no request was sent in the rotation drill"
	case st.Errors > 0:
		c.Status, c.Observed = reports.StatusFail, fmt.Sprintf("%d of %d requests failed while the pools switched identity (%s)", st.Errors, st.Requests, classList(st.ErrorsByClass))
	case served == 0:
		c.Status, c.Observed = reports.StatusError, "no request was served with the next identity: the switch did not happen"
	default:
		c.Status, c.Observed = reports.StatusPass, fmt.Sprintf("0 of %d requests failed; %d served with the next identity", st.Requests, served)
	}
	c.Detail = fmt.Sprintf("phase %s: pools switched to %s one pop after another between %v and %v", st.Name, "rotation.next-accepted", plan.RotateFrom, plan.RotateUntil)
	for i := range sum.Checks {
		if sum.Checks[i].ID == c.ID {
			sum.Checks[i] = c
		}
	}
}

// printPlan prints the resolved scenario and its load plan (--dry-run).
func printPlan(w io.Writer, s *scenarios.Scenario, plan *scenarios.LoadPlan) error {
	y, err := s.YAML()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "# resolved scenario (every default filled in)\n%s", y)
	if plan == nil {
		fmt.Fprintln(w, "# load: no phases (conformance only)")
		return nil
	}
	fmt.Fprintf(w, "# load plan: %v, %d requests scheduled\n", plan.Schedule.Duration(), plan.Schedule.Requests())
	for _, win := range plan.Windows {
		fmt.Fprintf(w, "#   %-16s %-15s %8v - %-8v %6d requests (%.1f/s)\n", win.Name, win.Kind, win.Start, win.End, win.Scheduled, win.AskedRate)
	}
	if plan.RotateUntil > 0 {
		fmt.Fprintf(w, "#   identity switch chain.valid -> rotation.next-accepted, pop by pop, between %v and %v\n", plan.RotateFrom, plan.RotateUntil)
	}
	return nil
}

package conformance

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/formatter"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/originproof/originproof/checks"
	"github.com/originproof/originproof/fixtures"
	"github.com/originproof/originproof/probe"
	"github.com/originproof/originproof/reports"
)

// ErrUnreachable is returned (wrapped) when the target cannot be reached or
// never completes a TLS handshake: the run is inconclusive.
var ErrUnreachable = errors.New("target unreachable")

// ValidateLabelFilter checks a --label-filter before anything runs (a bad
// one would make Ginkgo exit the process).
func ValidateLabelFilter(f string) error {
	if f == "" {
		return nil
	}
	if _, err := types.ParseLabelFilter(f); err != nil {
		return fmt.Errorf("label filter %q: %v (groups: %s)", f, firstLine(err.Error()), strings.Join(checks.Groups(), ", "))
	}
	return nil
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i > 0 {
		return strings.TrimSpace(s[:i])
	}
	return s
}

// testingT is the GinkgoTestingT for in-process runs: failures are
// collected into the summary, the process keeps running.
type testingT struct{ failed bool }

func (t *testingT) Fail() { t.failed = true }

var ran bool

// Run executes the conformance suites once (Ginkgo allows one RunSpecs per
// process) and returns the summary. An unreachable target returns the
// summary marked inconclusive and an error wrapping ErrUnreachable.
func Run(ctx context.Context, cfg Config) (*reports.Summary, error) {
	if ran {
		return nil, errors.New("conformance: Run may be called once per process (Ginkgo runs RunSpecs once)")
	}
	ran = true
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if err := ValidateLabelFilter(cfg.LabelFilter); err != nil {
		return nil, err
	}
	s, err := prepare(ctx, &cfg)
	sum := s.summaryBase()
	if err != nil {
		// Nothing was judged: every check is listed, the baseline as the error.
		for _, c := range checks.Catalogue {
			rc := reports.Check{ID: c.ID, Group: c.Group, Severity: c.Severity, Status: checks.StatusSkip,
				Expected: c.Expected, Observed: "not run: target unreachable", Layer: checks.LayerNone, Detail: err.Error()}
			if c.ID == "chain.valid" {
				rc.Status, rc.Observed = checks.StatusError, err.Error()
			}
			sum.Checks = append(sum.Checks, rc)
		}
		sum.Verdict, sum.VerdictReason = checks.VerdictInconclusive, err.Error()
		sum.Finished = time.Now().UTC()
		return sum, err
	}
	current = s
	defer func() { current = nil }()

	suiteConfig, reporterConfig := types.NewDefaultSuiteConfig(), types.NewDefaultReporterConfig()
	suiteConfig.LabelFilter = cfg.LabelFilter
	suiteConfig.Timeout = 10*time.Minute + 2*cfg.Keepalive // the idle probes wait out the keep-alive
	reporterConfig.NoColor = true
	reporterConfig.Succinct = true
	formatter.ColorableStdOut = cfg.Log
	RunSpecs(&testingT{}, "originproof conformance", suiteConfig, reporterConfig)

	s.fill(sum)
	if ctx.Err() != nil {
		sum.Verdict, sum.VerdictReason = checks.VerdictInconclusive, "interrupted"
	}
	return sum, nil
}

// NotRun is the summary of a run whose conformance suites run elsewhere
// (another shard of a sharded certify): every check of the catalogue is
// listed as skipped, with why.
func NotRun(cfg Config, why string) (*reports.Summary, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	s := &state{cfg: &cfg, started: time.Now()}
	sum := s.summaryBase()
	for _, c := range checks.Catalogue {
		sum.Checks = append(sum.Checks, reports.Check{ID: c.ID, Group: c.Group, Severity: c.Severity, Status: checks.StatusSkip,
			Expected: c.Expected, Observed: "not run", Layer: checks.LayerNone, Detail: why})
	}
	sum.Finished = time.Now().UTC()
	return sum, nil
}

// prepare probes the target once with the good certificate and once
// without (the baseline every judgement compares with), and starts the slow
// probes in the background.
func prepare(ctx context.Context, cfg *Config) (*state, error) {
	s := &state{cfg: cfg, ctx: ctx, results: map[string]reports.Check{}, started: time.Now()}
	good := cfg.goodIdentity()
	if good == nil || good.Leaf == nil {
		return s, errors.New("conformance: the PKI has no good identity (clients/chain.valid)")
	}
	fmt.Fprintf(cfg.Log, "baseline: %s as %s\n", cfg.Target.Addr, good.CheckID)
	s.baseline = s.do(good, nil)
	if s.baseline.Kind == probe.Error {
		return s, fmt.Errorf("%w: %s", ErrUnreachable, s.baseline.Describe())
	}
	s.noCert = s.do(nil, nil)

	s.idleSurvive = goFuture(s.idleSurvives)
	s.idleClose = goFuture(s.idleCloses)
	s.resumeLeaf = goFuture(func() outcome { return s.resumeAfterExpiry("leaf") })
	s.resumeInter = goFuture(func() outcome { return s.resumeAfterExpiry("intermediate") })
	if d := cfg.Distribution; d != nil {
		s.distIdle = goFuture(func() outcome { return s.keepaliveVsOrigin(d.KeepaliveTimeout) })
	}
	return s, nil
}

// idleSurvives sends a request, idles for keep-alive + 1 s, and sends another.
func (s *state) idleSurvives() outcome {
	c := s.cfg.goodIdentity().TLSCertificate()
	conn, res := probe.Open(s.ctx, s.cfg.Target, probe.Options{Cert: &c})
	if conn == nil {
		return outcome{status: checks.StatusError, observed: res.Describe()}
	}
	defer conn.Close()
	if r := conn.Request(s.ctx); r.Kind != probe.Response {
		return outcome{status: checks.StatusError, observed: "first request: " + r.Describe()}
	}
	wait := s.cfg.Keepalive + time.Second
	select {
	case <-time.After(wait):
	case <-s.ctx.Done():
		return outcome{status: checks.StatusError, observed: "interrupted"}
	}
	r := conn.Request(s.ctx)
	if r.Kind == probe.Response {
		return outcome{observed: fmt.Sprintf("connection idle %v (keep-alive %v + 1 s) carried another request", wait, s.cfg.Keepalive), layer: checks.LayerNone}
	}
	return outcome{finding: true, observed: fmt.Sprintf("connection idle %v was closed by the origin: %s", wait, r.Describe()), layer: checks.LayerTLS,
		detail: "CloudFront would send its next request on a connection the origin already closed"}
}

// idleCloses measures when the origin closes an idle connection, up to the bound.
func (s *state) idleCloses() outcome {
	c := s.cfg.goodIdentity().TLSCertificate()
	conn, res := probe.Open(s.ctx, s.cfg.Target, probe.Options{Cert: &c})
	if conn == nil {
		return outcome{observed: "idle close not measured: " + res.Describe()}
	}
	defer conn.Close()
	if r := conn.Request(s.ctx); r.Kind != probe.Response {
		return outcome{observed: "idle close not measured: " + r.Describe()}
	}
	open, closed := conn.Idle(s.cfg.IdleBound)
	if !closed {
		return outcome{observed: fmt.Sprintf("origin idle timeout > %v (bound of the probe)", s.cfg.IdleBound)}
	}
	return outcome{observed: fmt.Sprintf("origin closes idle connections after about %.1fs", open.Seconds())}
}

func (s *state) summaryBase() *reports.Summary {
	sum := reports.New(s.cfg.Version, s.cfg.URL, s.cfg.Target.ServerName)
	sum.Started = s.started.UTC()
	sum.Config = map[string]any{
		"connect_to": s.cfg.Target.Addr, "path": pathOr(s.cfg.Target.Path), "server_roots": s.cfg.ServerRootsName,
		"expect_identity_pin": s.cfg.ExpectIdentityPin, "expect_crl": s.cfg.ExpectCRL, "rotation_phase": s.cfg.RotationPhase,
		"keepalive": s.cfg.Keepalive.String(), "idle_bound": s.cfg.IdleBound.String(), "label_filter": s.cfg.LabelFilter,
		"fail_on_warn": s.cfg.FailOnWarn, "cloudfront_identity": s.cfg.PKI.CloudFrontIdentity, "cdn": s.cfg.CDN.Name,
	}
	if d := s.cfg.Distribution; d != nil {
		sum.Config["distribution"] = d.Summary() // header names only: values are secrets
	}
	if s.cfg.SiblingSNI != "" {
		sum.Config["sibling_sni"] = s.cfg.SiblingSNI
	}
	if len(s.cfg.Target.Headers) > 0 {
		var names []string
		for k := range s.cfg.Target.Headers {
			names = append(names, k)
		}
		sum.Config["header_names"] = names // values may be secrets (origin verify headers)
	}
	for _, r := range s.cfg.PKI.ClientRoots() {
		sum.Fingerprints.ClientCABundle = append(sum.Fingerprints.ClientCABundle, fixtures.Fingerprint(r))
	}
	return sum
}

func pathOr(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

// fill completes the summary from what the specs recorded.
func (s *state) fill(sum *reports.Summary) {
	b := s.baseline
	sum.ServerChain, sum.Fingerprints.ServerChain = serverChainInfo(b.ServerCerts)
	if sum.Fingerprints.ServerChain == nil {
		sum.Fingerprints.ServerChain = []string{}
	}
	// What the handshake demands, and where a certificate-less request is stopped.
	switch {
	case !b.CertRequested:
		sum.ClientAuth = reports.ClientAuthDisabled
	case s.noCert.Kind == probe.TLSRejected:
		sum.ClientAuth = reports.ClientAuthRequired
	default:
		sum.ClientAuth = reports.ClientAuthOptional
	}
	v := probe.Judge(s.noCert, s.baseline)
	switch {
	case v.Err != nil:
	case v.Accepted:
		sum.ClientAuthEnforcedAt = checks.LayerNone
	default:
		sum.ClientAuthEnforcedAt = v.Layer
	}
	if skew, ok := b.ClockSkew(); ok {
		sum.ClockSkewS = &skew
		if math.Abs(skew) > 60 {
			sum.Warnings = append(sum.Warnings, fmt.Sprintf("the origin's clock is %.0fs off: validity checks near a certificate's edges may be distorted", skew))
		}
	}
	for _, c := range checks.Catalogue {
		rc, ok := s.result(c.ID)
		if !ok {
			rc = reports.Check{ID: c.ID, Group: c.Group, Severity: c.Severity, Status: checks.StatusSkip,
				Expected: c.Expected, Observed: "not run", Layer: checks.LayerNone, Detail: "not selected by the label filter " + fmt.Sprintf("%q", s.cfg.LabelFilter)}
			if sev, why := s.severity(c); why != "" {
				rc.Severity, rc.SeverityReason = sev, why
			}
		}
		sum.Checks = append(sum.Checks, rc)
	}
	sum.SetServer(s.cfg.Server, b.Server)
	sum.Finished = time.Now().UTC()
	sum.Decide(s.cfg.FailOnWarn)
}

// ReportAfterEach turns a spec that failed without recording (a panic, a
// timeout) into an error result, so nothing silently disappears.
var _ = ReportAfterEach(func(r SpecReport) {
	if current == nil || r.State.Is(types.SpecStatePassed|types.SpecStateSkipped|types.SpecStatePending) {
		return
	}
	id := r.LeafNodeText
	if _, ok := checks.Lookup(id); !ok {
		return
	}
	if rc, ok := current.result(id); ok && rc.Status != checks.StatusPass {
		return
	}
	c, _ := checks.Lookup(id)
	current.mu.Lock()
	current.results[id] = reports.Check{ID: id, Group: c.Group, Severity: c.Severity, Status: checks.StatusError,
		Expected: c.Expected, Observed: firstLine(r.Failure.Message), Layer: checks.LayerNone, Detail: r.Failure.Location.String()}
	current.mu.Unlock()
})

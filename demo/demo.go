// Package demo is originproof's embedded default: reference origins on
// loopback from a fresh test PKI, the go-live example scenario pointed at
// the strict one, what mTLS costs on this machine, and a broken origin to
// show what a failure looks like — with the expectations that make the
// demo itself pass or fail.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/originproof/originproof/certify"
	"github.com/originproof/originproof/checks"
	"github.com/originproof/originproof/fixtures"
	"github.com/originproof/originproof/fixtures/origin"
	"github.com/originproof/originproof/loadgen"
	"github.com/originproof/originproof/reports"
	"github.com/originproof/originproof/scenarios"
)

// ServerName is the origin domain the demo's PKI is made for; the origins
// listen on loopback and are dialled there with this SNI.
const ServerName = "origin.originproof.test"

// BrokenProfile is the misconfigured origin the demo shows failing: it lets
// clients without a certificate in.
const BrokenProfile = origin.OptionalClientAuth

// Env is the demo's PKI and reference origins.
type Env struct {
	PKI    *fixtures.PKI
	PKIDir string
	// Strict does origin mTLS right; Broken is BrokenProfile; TLSOnly asks
	// for no client certificate (the baseline of what mTLS costs).
	Strict, Broken, TLSOnly *origin.Server
}

// Start writes a fresh test PKI to out/pki and starts the reference origins
// on loopback. Close stops them.
func Start(out string) (*Env, error) {
	pki, err := fixtures.Generate(fixtures.Options{ServerName: ServerName})
	if err != nil {
		return nil, err
	}
	e := &Env{PKI: pki, PKIDir: filepath.Join(out, "pki")}
	if err := pki.WriteDir(e.PKIDir, true); err != nil {
		return nil, err
	}
	for _, o := range []struct {
		srv     **origin.Server
		profile string
	}{{&e.Strict, origin.Strict}, {&e.Broken, BrokenProfile}, {&e.TLSOnly, origin.NoClientAuth}} {
		if *o.srv, err = origin.Start(origin.Config{PKI: pki, Profile: o.profile, Addr: "127.0.0.1:0"}); err != nil {
			e.Close()
			return nil, err
		}
	}
	return e, nil
}

// Close stops the origins.
func (e *Env) Close() {
	for _, s := range []*origin.Server{e.Strict, e.Broken, e.TLSOnly} {
		if s != nil {
			s.Close()
		}
	}
}

// GoLive is the embedded go-live.yaml pointed at the strict origin and the
// demo's PKI: the file is parsed and those fields set, so every other
// setting is the example's own.
func (e *Env) GoLive() (*scenarios.Scenario, error) {
	data, err := scenarios.Examples.ReadFile("go-live.yaml")
	if err != nil {
		return nil, err
	}
	return scenarios.Parse(data, "go-live.yaml", scenarios.Options{KnownChecks: checks.IDs(), Edit: func(s *scenarios.Scenario) {
		s.Target.URL, s.Target.ConnectTo, s.Target.ServerName = e.Strict.URL(), e.Strict.Addr(), ""
		s.PKI = scenarios.PKI{Dir: e.PKIDir}
	}})
}

// BrokenConformArgs are the `originproof conform` arguments that judge the
// broken origin (in a process of its own: Ginkgo runs its suite once per
// process) into out.
func (e *Env) BrokenConformArgs(out string) []string {
	return []string{"conform", "--pki", e.PKIDir, "--target", e.Broken.URL(), "--connect-to", e.Broken.Addr(), "--out", out,
		"--label-filter", "client-auth || chain || validity"}
}

// Outcome is what the demo's parts did.
type Outcome struct {
	Certify    *reports.Summary // the go-live gate against the strict origin (nil: it did not run)
	CertifyErr error
	BrokenExit int // conform's exit code against the broken origin
	CostErr    error
}

// Problems are the demo's own failures: the strict origin must pass the
// gate, the broken one must fail conform (exit 1), the cost runs must
// succeed. None: the harness behaved as expected.
func (o Outcome) Problems() []string {
	var out []string
	if o.Certify == nil || o.Certify.Verdict != checks.VerdictPass {
		out = append(out, fmt.Sprintf("the strict origin did not pass the go-live gate (%v)", o.CertifyErr))
	}
	if o.BrokenExit != 1 {
		out = append(out, fmt.Sprintf("the broken origin was not failed (conform exited %d, want 1)", o.BrokenExit))
	}
	if o.CostErr != nil {
		out = append(out, "the mTLS cost runs: "+o.CostErr.Error())
	}
	return out
}

// Cost runs the same short load against the mTLS origin and the TLS-only
// one, pooled and cold, prints the handshake and request latencies side by
// side on w, and writes each run and their comparison (compare/report.html)
// under out.
func (e *Env) Cost(ctx context.Context, w io.Writer, out, version string) error {
	good := e.PKI.Identity("chain.valid").TLSCertificate()
	mtls := loadgen.Identity{Name: "chain.valid", Certificate: &good}
	fmt.Fprintf(w, "  %-16s %9s %12s %12s %12s %12s\n", "run", "requests", "handshake", "handshake", "request", "request")
	fmt.Fprintf(w, "  %-16s %9s %12s %12s %12s %12s\n", "", "", "p50 ms", "p99 ms", "p50 ms", "p99 ms")
	var errs []error
	var dirs []string
	run := func(name string, srv *origin.Server, id loadgen.Identity, reuse bool) *loadgen.Summary {
		dir := filepath.Join(out, name)
		dirs = append(dirs, dir)
		opts := []loadgen.Option{
			loadgen.Target(srv.URL()), loadgen.ConnectTo(srv.Addr()), loadgen.RootCAs(e.PKI.ServerRootPool(), "pki"),
			loadgen.ClientIdentity(id), loadgen.Reuse(reuse), loadgen.Pops(4), loadgen.Rate(100, 3*time.Second),
		}
		rep, err := certify.RunLoad(ctx, opts, certify.LoadOptions{Out: dir, Version: version})
		if rep == nil {
			errs = append(errs, err)
			return nil
		}
		sum := certify.LoadSummary(&rep.Summary, version, rep.Started, rep.Ended)
		errs = append(errs, err, reports.WriteSummary(dir, sum))
		s := rep.Summary
		if s.Errors > 0 {
			errs = append(errs, fmt.Errorf("%s: %d of %d requests failed", name, s.Errors, s.Requests))
		}
		hs, tot := s.Latency[loadgen.PhaseTLSFull], s.Latency[loadgen.PhaseTotal]
		fmt.Fprintf(w, "  %-16s %9d %12.3f %12.3f %12.3f %12.3f\n", name, s.Requests, hs.P50, hs.P99, tot.P50, tot.P99)
		return &s
	}
	for _, p := range []struct {
		name  string
		reuse bool
	}{{"pooled", true}, {"cold", false}} {
		withMTLS := run("mtls-"+p.name, e.Strict, mtls, p.reuse)
		tlsOnly := run("tls-only-"+p.name, e.TLSOnly, loadgen.NoIdentity, p.reuse)
		if withMTLS == nil || tlsOnly == nil {
			continue
		}
		hsM, hsT := withMTLS.Latency[loadgen.PhaseTLSFull].P50, tlsOnly.Latency[loadgen.PhaseTLSFull].P50
		totM, totT := withMTLS.Latency[loadgen.PhaseTotal].P50, tlsOnly.Latency[loadgen.PhaseTotal].P50
		if totT > 0 {
			fmt.Fprintf(w, "  %-16s mTLS vs TLS-only, %s: full handshake p50 %+.3f ms, request p50 %+.3f ms (%+.0f%%)\n",
				"", p.name, hsM-hsT, totM-totT, 100*(totM-totT)/totT)
		}
	}
	path, err := reports.RenderDirs(filepath.Join(out, "compare"), dirs...)
	errs = append(errs, err)
	fmt.Fprintf(w, "  side by side: %s\n", path)
	return errors.Join(errs...)
}

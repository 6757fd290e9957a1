package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/originproof/originproof/checks"
	"github.com/originproof/originproof/fixtures"
	"github.com/originproof/originproof/reports"
	"github.com/originproof/originproof/suites/conformance"
	"github.com/originproof/originproof/suites/probe"
)

func init() { register("conform", newConformCmd) }

type conformFlags struct {
	targetFlags
	expectPin, expectCRL, verbose bool
	rotationPhase, failOn         string
	labelFilter                   string
	keepalive, idleBound, timeout time.Duration
	cfCert, cfKey, cfChain        string
}

func newConformCmd() *cobra.Command {
	var f conformFlags
	cmd := &cobra.Command{
		Use:   "conform --pki DIR --target URL --out DIR [flags]",
		Short: "Run the conformance suites against an origin",
		Long: `Run the Ginkgo conformance suites in-process against an origin.

Every check of the catalogue (client-auth, chain, validity, usage, strength,
identity, revocation, rotation, resumption, protocol, server-cert, keepalive,
cloudfront-cert) probes the origin with a fresh connection and judges it
against what the good certificate (clients/chain.valid) gets on the same
--path and --header set. A "must" that fails makes the verdict fail; a
"should" that fails warns.

Select groups with --label-filter, e.g. 'chain || validity' or '!keepalive'.

Writes under --out: summary.json, junit.xml (one testcase per check id) and
report.html (self-contained).
Exit codes: 0 pass, 1 fail (or a warning with --fail-on warn), 2 bad input,
3 inconclusive (target unreachable, the good certificate refused for a reason
the harness cannot attribute, interrupted).`,
		Example: `  originproof pki init --dir pki --server-name origin.example.com
  originproof conform --pki pki --target https://origin.example.com/ --out out \
      --connect-to 10.0.0.5:443 --expect-identity-pin --expect-crl`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runConform(cmd, &f) },
	}
	fl := cmd.Flags()
	f.register(fl, "summary.json, junit.xml and report.html")
	fl.BoolVar(&f.expectPin, "expect-identity-pin", false, "the origin pins the CloudFront identity: identity.wrong-identity becomes must")
	fl.BoolVar(&f.expectCRL, "expect-crl", false, "the origin checks CRLs: revocation.revoked-leaf becomes must")
	fl.StringVar(&f.rotationPhase, "rotation-phase", conformance.PhaseOverlap, "overlap (both roots trusted) or post (current root retired)")
	fl.DurationVar(&f.keepalive, "keepalive", conformance.DefaultKeepalive, "CloudFront's origin keep-alive timeout, 1s-180s")
	fl.DurationVar(&f.idleBound, "idle-bound", conformance.DefaultIdleBound, "how long to wait for the origin to close an idle connection")
	fl.DurationVar(&f.timeout, "timeout", 10*time.Second, "bound for each probe's connect, handshake and response")
	fl.StringVar(&f.cfCert, "cloudfront-cert", "", "the real client certificate to be imported into ACM (PEM)")
	fl.StringVar(&f.cfKey, "cloudfront-key", "", "its private key (PEM)")
	fl.StringVar(&f.cfChain, "cloudfront-chain", "", "its chain (PEM), if not in --cloudfront-cert")
	fl.StringVar(&f.labelFilter, "label-filter", "", "select check groups (Ginkgo label filter), e.g. 'chain || validity'")
	fl.StringVar(&f.failOn, "fail-on", "fail", "fail (only failed musts fail) or warn (failed shoulds fail too)")
	fl.BoolVar(&f.verbose, "verbose", false, "show Ginkgo's progress on stderr")
	return cmd
}

// conformConfig validates the flags into a conformance configuration.
func conformConfig(cmd *cobra.Command, f *conformFlags) (conformance.Config, error) {
	rt, err := f.resolve("conform")
	if err != nil {
		return conformance.Config{}, err
	}
	if f.rotationPhase != conformance.PhaseOverlap && f.rotationPhase != conformance.PhasePost {
		return conformance.Config{}, usageError("conform: --rotation-phase %q: want overlap or post", f.rotationPhase)
	}
	if f.failOn != "fail" && f.failOn != "warn" {
		return conformance.Config{}, usageError("conform: --fail-on %q: want fail or warn", f.failOn)
	}
	if f.keepalive < time.Second || f.keepalive > 180*time.Second {
		return conformance.Config{}, usageError("conform: --keepalive %v: CloudFront allows 1s-180s", f.keepalive)
	}
	if f.timeout <= 0 || f.timeout > 5*time.Minute {
		return conformance.Config{}, usageError("conform: --timeout %v: want a positive duration up to 5m", f.timeout)
	}
	if f.idleBound <= 0 || f.idleBound > 10*time.Minute {
		return conformance.Config{}, usageError("conform: --idle-bound %v: want a positive duration up to 10m", f.idleBound)
	}
	if err := conformance.ValidateLabelFilter(f.labelFilter); err != nil {
		return conformance.Config{}, usageError("conform: --label-filter: %v", err)
	}
	cfg := conformance.Config{
		PKI: rt.pki, URL: rt.url.String(),
		Target:            probe.Target{Addr: rt.addr, ServerName: rt.serverName, Host: rt.host, Path: f.path, Headers: rt.headers, Timeout: f.timeout},
		ServerRoots:       rt.roots,
		ServerRootsName:   rt.rootsName,
		ExpectIdentityPin: f.expectPin, ExpectCRL: f.expectCRL, RotationPhase: f.rotationPhase,
		Keepalive: f.keepalive, IdleBound: f.idleBound, FailOnWarn: f.failOn == "warn",
		LabelFilter: f.labelFilter, Version: version,
	}
	if f.cfCert != "" || f.cfKey != "" || f.cfChain != "" {
		if f.cfCert == "" || f.cfKey == "" {
			return cfg, usageError("conform: --cloudfront-cert and --cloudfront-key go together")
		}
		id, err := fixtures.LoadIdentityFiles(f.cfCert, f.cfKey, f.cfChain)
		if err != nil {
			return cfg, usageError("conform: --cloudfront-cert: %v", err)
		}
		cfg.CloudFrontCert = id
	}
	if f.verbose {
		cfg.Log = cmd.ErrOrStderr()
	}
	return cfg, nil
}

func runConform(cmd *cobra.Command, f *conformFlags) error {
	cfg, err := conformConfig(cmd, f)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(f.out, 0o755); err != nil {
		return usageError("conform: --out %s: %v", f.out, unwrapPath(err))
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "conform: %s (SNI %s via %s), %d checks\n", cfg.URL, cfg.Target.ServerName, cfg.Target.Addr, len(checks.Catalogue))
	sum, runErr := conformance.Run(cmd.Context(), cfg)
	if sum == nil {
		return usageError("conform: %v", runErr)
	}
	if err := writeConformOutputs(f.out, sum); err != nil {
		return err
	}
	printConformSummary(cmd.OutOrStdout(), sum, f.out)
	return verdictError("conform", sum, runErr)
}

// writeConformOutputs writes summary.json and junit.xml.
func writeConformOutputs(out string, sum *reports.Summary) error {
	if err := sum.WriteFile(filepath.Join(out, "summary.json")); err != nil {
		return inconclusiveError("write %s: %v", filepath.Join(out, "summary.json"), err)
	}
	if err := sum.WriteJUnitFile(filepath.Join(out, "junit.xml")); err != nil {
		return inconclusiveError("write %s: %v", filepath.Join(out, "junit.xml"), err)
	}
	if _, err := reports.RenderDir(out); err != nil {
		return inconclusiveError("write %s: %v", filepath.Join(out, "report.html"), err)
	}
	return nil
}

// verdictError maps a summary's verdict to the exit code.
func verdictError(cmd string, sum *reports.Summary, runErr error) error {
	switch {
	case errors.Is(runErr, conformance.ErrUnreachable):
		return inconclusiveError("%s: %v", cmd, runErr)
	case sum.Verdict == reports.VerdictInconclusive:
		return inconclusiveError("%s: inconclusive: %s", cmd, sum.VerdictReason)
	case sum.Verdict == reports.VerdictFail:
		return failedError("%s: the origin failed: %s", cmd, sum.VerdictReason)
	}
	return nil
}

// printConformSummary prints the short text summary: the verdict, how the
// origin asks for certificates, and every check that did not pass.
func printConformSummary(w io.Writer, sum *reports.Summary, out string) {
	fmt.Fprintf(w, "%s: %s\n", strings.ToUpper(sum.Verdict), sum.Target)
	if sum.Verdict == reports.VerdictInconclusive {
		fmt.Fprintf(w, "  %s\n", sum.VerdictReason)
	}
	if sum.ClientAuth != "" {
		skew := "unknown"
		if sum.ClockSkewS != nil {
			skew = fmt.Sprintf("%.1fs", *sum.ClockSkewS)
		}
		fmt.Fprintf(w, "  client certificate %s, enforced at %s; origin clock skew %s\n", sum.ClientAuth, sum.ClientAuthEnforcedAt, skew)
	}
	for _, c := range sum.Checks {
		if c.Status == reports.StatusPass || (c.Status == reports.StatusSkip && c.ID != "chain.valid") {
			continue
		}
		fmt.Fprintf(w, "  %-5s %-34s %-6s %s\n", c.Status, c.ID, c.Severity, c.Observed)
	}
	for _, warn := range sum.Warnings {
		fmt.Fprintf(w, "  warning: %s\n", warn)
	}
	n := sum.Count()
	fmt.Fprintf(w, "  %d pass, %d fail, %d warn, %d skip, %d error\n", n[reports.StatusPass], n[reports.StatusFail], n[reports.StatusWarn], n[reports.StatusSkip], n[reports.StatusError])
	fmt.Fprintf(w, "  wrote %s, %s, %s\n", filepath.Join(out, "summary.json"), filepath.Join(out, "junit.xml"), filepath.Join(out, "report.html"))
}

package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/originproof/originproof/certify"
	"github.com/originproof/originproof/checks"
	"github.com/originproof/originproof/clientcert"
	"github.com/originproof/originproof/cloudfront"
	"github.com/originproof/originproof/reports"
	"github.com/originproof/originproof/suites/conformance"
)

func init() { register("conform", newConformCmd) }

type conformFlags struct {
	targetFlags
	expectPin, expectCRL, verbose bool
	rotationPhase, failOn         string
	siblingSNI                    string
	labelFilter, server           string
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
cloudfront-cert, distribution) probes the origin with a fresh connection and judges it
against what the good certificate (clients/chain.valid) gets on the same
--path and --header set. A "must" that fails makes the verdict fail; a
"should" that fails warns. docs/checks.md lists every check.

Select groups with --label-filter, e.g. 'chain || validity' or '!keepalive'.

With --distribution-config the distribution checks judge the CloudFront
distribution and the origin as a pair (OriginMtlsConfig, https-only,
OriginSslProtocols, OriginKeepaliveTimeout measured against the origin,
features unsupported with origin mTLS); its custom headers are sent (their
values never reach an output). --cdn models another CDN's edges.

Writes under --out: summary.json, summary.md (for CI job pages), junit.xml
(one testcase per check id) and report.html (self-contained). With --server
(or a Server header that names one) the report shows, beside each failed
check, the setting of that server's recipe in docs/origins.md.
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
	fl.BoolVar(&f.expectPin, "expect-identity-pin", false, "the origin pins the CloudFront identity: identity.wrong-identity and the identity.lookalike-* checks become must")
	fl.BoolVar(&f.expectCRL, "expect-crl", false, "the origin checks CRLs: revocation.revoked-leaf and revocation.revoked-intermediate become must")
	fl.StringVar(&f.siblingSNI, "sibling-sni", "", "another name the origin's address serves: cross-host resumption is probed from it and resumption.cross-host becomes must")
	fl.StringVar(&f.rotationPhase, "rotation-phase", conformance.PhaseOverlap, "overlap (both roots trusted) or post (current root retired)")
	fl.DurationVar(&f.keepalive, "keepalive", cloudfront.KeepaliveTimeout.Default, "CloudFront's origin keep-alive timeout, "+cloudfront.KeepaliveTimeout.Help()+" (default with --distribution-config: its OriginKeepaliveTimeout; with --cdn: that CDN's)")
	fl.DurationVar(&f.idleBound, "idle-bound", conformance.DefaultIdleBound, "how long to wait for the origin to close an idle connection")
	fl.DurationVar(&f.timeout, "timeout", 10*time.Second, "bound for each probe's connect, handshake and response")
	fl.StringVar(&f.cfCert, "cloudfront-cert", "", "the real client certificate to be imported into ACM (PEM)")
	fl.StringVar(&f.cfKey, "cloudfront-key", "", "its private key (PEM)")
	fl.StringVar(&f.cfChain, "cloudfront-chain", "", "its chain (PEM), if not in --cloudfront-cert")
	fl.StringVar(&f.labelFilter, "label-filter", "", "select check groups (Ginkgo label filter), e.g. 'chain || validity'")
	fl.StringVar(&f.failOn, "fail-on", "fail", "fail (only failed musts fail) or warn (failed shoulds fail too)")
	fl.BoolVar(&f.verbose, "verbose", false, "show Ginkgo's progress on stderr")
	fl.StringVar(&f.server, "server", "", serverFlagHelp)
	return cmd
}

// serverFlagHelp describes --server (conform and certify).
const serverFlagHelp = "the origin's server program, nginx|haproxy|apache|caddy: the report shows its recipe's setting beside each failed check (default: guessed from the Server header)"

// conformConfig validates the flags into a conformance configuration.
func conformConfig(cmd *cobra.Command, f *conformFlags) (conformance.Config, error) {
	pki, ep, err := f.resolve("conform")
	if err != nil {
		return conformance.Config{}, err
	}
	if f.rotationPhase != conformance.PhaseOverlap && f.rotationPhase != conformance.PhasePost {
		return conformance.Config{}, usageError("conform: --rotation-phase %q: want overlap or post", f.rotationPhase)
	}
	if f.failOn != "fail" && f.failOn != "warn" {
		return conformance.Config{}, usageError("conform: --fail-on %q: want fail or warn", f.failOn)
	}
	if !cmd.Flags().Changed("keepalive") {
		f.keepalive = f.poolDefaults().Keepalive
	}
	if err := f.target.CDN.Pool.Keepalive.Check(f.keepalive); err != nil {
		return conformance.Config{}, usageError("conform: --keepalive %v", err)
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
	if err := conformance.ValidateSiblingSNI(f.siblingSNI, ep.ServerName); err != nil {
		return conformance.Config{}, usageError("conform: --sibling-sni %v", err)
	}
	ep.Timeout = f.timeout
	cfg := certify.ConformanceConfig(ep, pki, version)
	cfg.Distribution = f.target.Distribution
	cfg.ExpectIdentityPin, cfg.ExpectCRL, cfg.RotationPhase = f.expectPin, f.expectCRL, f.rotationPhase
	cfg.SiblingSNI, cfg.PKIDir = f.siblingSNI, f.pki
	cfg.Keepalive, cfg.IdleBound, cfg.FailOnWarn, cfg.LabelFilter = f.keepalive, f.idleBound, f.failOn == "warn", f.labelFilter
	if f.cfCert != "" || f.cfKey != "" || f.cfChain != "" {
		if f.cfCert == "" || f.cfKey == "" {
			return cfg, usageError("conform: --cloudfront-cert and --cloudfront-key go together")
		}
		if cfg.CloudFrontCert, err = clientcert.Load(f.cfCert, f.cfKey, f.cfChain); err != nil {
			return cfg, usageError("conform: --cloudfront-cert: %v", err)
		}
	}
	if f.server != "" {
		if cfg.Server, err = checks.ParseServer(f.server); err != nil {
			return cfg, usageError("conform: --server %v", err)
		}
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
	if err := makeOut("conform", f.out); err != nil {
		return err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "conform: %s (SNI %s via %s), %d checks\n", cfg.URL, cfg.Target.ServerName, cfg.Target.Addr, len(checks.Catalogue))
	sum, runErr := conformance.Run(cmd.Context(), cfg)
	if sum == nil {
		return usageError("conform: %v", runErr)
	}
	if err := reports.WriteOutputs(f.out, sum); err != nil {
		return inconclusiveError("conform: %v", err)
	}
	reports.WriteText(cmd.OutOrStdout(), sum, f.out)
	if errors.Is(runErr, conformance.ErrUnreachable) {
		return inconclusiveError("conform: %v", runErr)
	}
	return verdictError("conform", sum)
}

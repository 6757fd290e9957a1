package conformance

import (
	"context"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/originproof/originproof/checks"
	"github.com/originproof/originproof/fixtures"
	"github.com/originproof/originproof/fixtures/origin"
	"github.com/originproof/originproof/internal/testenv"
	"github.com/originproof/originproof/probe"
)

// TestConformance runs the catalogue once (Ginkgo runs RunSpecs once per
// process). With ORIGINPROOF_PKI and ORIGINPROOF_TARGET set it runs against
// that origin, so `go run github.com/onsi/ginkgo/v2/ginkgo ./suites/...`
// certifies a real target with the same specs (ORIGINPROOF_CONNECT_TO,
// ORIGINPROOF_LABEL_FILTER, ORIGINPROOF_EXPECT_IDENTITY_PIN=1,
// ORIGINPROOF_EXPECT_CRL=1, ORIGINPROOF_ROTATION_PHASE, ORIGINPROOF_SIBLING_SNI
// tune it). Without
// them it certifies the strict reference origin and expects a pass with no
// warnings.
func TestConformance(t *testing.T) {
	var cfg Config
	own := os.Getenv("ORIGINPROOF_TARGET") == ""
	if own {
		pki := testenv.PKI(t)
		srv, err := origin.Start(origin.Config{PKI: pki, Profile: origin.Strict, Addr: "127.0.0.1:0"})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		cfg = Config{PKI: pki, URL: srv.URL(), Target: probe.Target{Addr: srv.Addr(), ServerName: "origin.test", Timeout: 5 * time.Second}, ExpectIdentityPin: true, ExpectCRL: true}
	} else {
		pki, err := fixtures.LoadDir(os.Getenv("ORIGINPROOF_PKI"))
		if err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(os.Getenv("ORIGINPROOF_TARGET"))
		if err != nil {
			t.Fatal(err)
		}
		addr := u.Host
		if c := os.Getenv("ORIGINPROOF_CONNECT_TO"); c != "" {
			addr = c
		}
		cfg = Config{PKI: pki, URL: u.String(), Target: probe.Target{Addr: addr, ServerName: u.Hostname(), Path: u.Path},
			LabelFilter: os.Getenv("ORIGINPROOF_LABEL_FILTER"), RotationPhase: os.Getenv("ORIGINPROOF_ROTATION_PHASE"),
			ExpectIdentityPin: os.Getenv("ORIGINPROOF_EXPECT_IDENTITY_PIN") == "1", ExpectCRL: os.Getenv("ORIGINPROOF_EXPECT_CRL") == "1",
			SiblingSNI: os.Getenv("ORIGINPROOF_SIBLING_SNI"), PKIDir: os.Getenv("ORIGINPROOF_PKI")}
	}
	cfg.Log = os.Stdout
	start := time.Now()
	sum, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("verdict %s in %v: %v", sum.Verdict, time.Since(start).Round(time.Millisecond), sum.Count())
	var bad []string
	for _, c := range sum.Checks {
		if c.Status == checks.StatusFail || c.Status == checks.StatusWarn || c.Status == checks.StatusError {
			bad = append(bad, c.ID+" "+string(c.Status)+": "+c.Observed)
		}
	}
	if own {
		if sum.Verdict != checks.VerdictPass || len(bad) > 0 {
			t.Errorf("strict origin: verdict %s (%s)\n%s", sum.Verdict, sum.VerdictReason, strings.Join(bad, "\n"))
		}
		if sum.ClientAuth != "required" || sum.ClientAuthEnforcedAt != "tls" || sum.ClockSkewS == nil {
			t.Errorf("client_auth %q enforced at %q, skew %v", sum.ClientAuth, sum.ClientAuthEnforcedAt, sum.ClockSkewS)
		}
		if _, err := Run(context.Background(), cfg); err == nil {
			t.Error("a second Run in one process must be refused")
		}
	} else if sum.Verdict != checks.VerdictPass {
		t.Errorf("verdict %s: %s\n%s", sum.Verdict, sum.VerdictReason, strings.Join(bad, "\n"))
	}
}

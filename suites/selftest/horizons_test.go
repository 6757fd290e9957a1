package selftest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/originproof/originproof/checks"
	"github.com/originproof/originproof/fixtures"
	"github.com/originproof/originproof/fixtures/origin"
	"github.com/originproof/originproof/internal/clitest"
	"github.com/originproof/originproof/internal/testenv"
	"github.com/originproof/originproof/reports"
)

// conform runs the binary's conform against srv with the PKI in pkiDir and
// returns the status of every check.
func conform(t *testing.T, srv *origin.Server, pkiDir string, args ...string) map[string]reports.Check {
	t.Helper()
	out := t.TempDir()
	r := clitest.Run(context.Background(), binary, out, append([]string{"conform", "--pki", pkiDir, "--target", srv.URL(), "--connect-to", srv.Addr(), "--out", out}, args...)...)
	if r.Code < 0 || r.Code > 1 {
		t.Fatalf("conform %v: exit %d\n%s", args, r.Code, r.Output)
	}
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	got := map[string]reports.Check{}
	for _, c := range r.Summary.Checks {
		got[c.ID] = c
	}
	return got
}

func wantStatus(t *testing.T, got map[string]reports.Check, id string, want checks.Status) {
	t.Helper()
	if c := got[id]; c.Status != want {
		t.Errorf("%s: %s (%s; %s), want %s", id, c.Status, c.Observed, c.Detail, want)
	}
}

// TestCRLHorizon: CRLs that go stale within the horizon make
// revocation.crl-horizon warn; the reference origin still accepts
// everything it should (the CRLs are valid today).
func TestCRLHorizon(t *testing.T) {
	pki, err := fixtures.Generate(fixtures.Options{ServerName: testenv.ServerName, CRLValidity: 10 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "pki")
	if err := pki.WriteDir(dir, false); err != nil {
		t.Fatal(err)
	}
	srv := startOrigin(t, origin.Config{PKI: pki})
	got := conform(t, srv, dir, "--label-filter", "revocation")
	wantStatus(t, got, "revocation.crl-horizon", checks.StatusWarn)
	wantStatus(t, got, "revocation.revoked-leaf", checks.StatusPass)
	if o := got["revocation.crl-horizon"].Observed; !strings.Contains(o, "within 30 days") {
		t.Errorf("observed %q, want the CRLs that go stale", o)
	}
}

// TestCloudFrontChainExpiry: the certificate for ACM passes while its
// chain outlives the horizon, warns when the intermediate expires within
// it, and fails when the intermediate has expired.
func TestCloudFrontChainExpiry(t *testing.T) {
	pkiDir, pki := testenv.WritePKI(t)
	srv := startOrigin(t, origin.Config{PKI: pki})
	m := fixtures.NewMinter(time.Now().Add(-48 * time.Hour))
	for _, tc := range []struct {
		name     string
		interEnd time.Time
		want     checks.Status
	}{
		{"a year left", time.Now().Add(365 * 24 * time.Hour), checks.StatusPass},
		{"ten days left", time.Now().Add(10 * 24 * time.Hour), checks.StatusWarn},
		{"expired", time.Now().Add(-time.Hour), checks.StatusFail},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inter, err := m.Intermediate(pki.ClientRoot, "originproof CloudFront intermediate", tc.interEnd)
			if err != nil {
				t.Fatal(err)
			}
			id, err := m.ClientLeaf(inter, pki.CloudFrontIdentity, time.Now().Add(300*24*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			key, err := fixtures.KeyPEM(id.Key)
			if err != nil {
				t.Fatal(err)
			}
			files := map[string][]byte{"cf.pem": fixtures.CertsPEM(id.Leaf), "cf-chain.pem": fixtures.CertsPEM(id.Chain...), "cf.key": key}
			for name, data := range files {
				if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			got := conform(t, srv, pkiDir, "--label-filter", "cloudfront-cert",
				"--cloudfront-cert", filepath.Join(dir, "cf.pem"), "--cloudfront-key", filepath.Join(dir, "cf.key"), "--cloudfront-chain", filepath.Join(dir, "cf-chain.pem"))
			wantStatus(t, got, "cloudfront-cert.chain-expiry-horizon", tc.want)
			wantStatus(t, got, "cloudfront-cert.expiry-horizon", checks.StatusPass)
		})
	}
}

// TestResumptionAfterRotation: the overlap phase saves a session of the
// current root's certificate; once the origin retires that root (in place,
// keeping its ticket keys, as a reload does), the post phase offers it.
// Strict re-checks on resumption; resumption-skips-checks serves it.
func TestResumptionAfterRotation(t *testing.T) {
	for profile, want := range map[string]checks.Status{origin.Strict: checks.StatusPass, origin.ResumptionSkipsChecks: checks.StatusWarn} {
		t.Run(profile, func(t *testing.T) {
			pkiDir, pki := testenv.WritePKI(t)
			srv := startOrigin(t, origin.Config{PKI: pki, Profile: profile})
			got := conform(t, srv, pkiDir, "--label-filter", "resumption")
			wantStatus(t, got, "resumption.after-rotation", checks.StatusSkip)
			st, err := os.Stat(filepath.Join(pkiDir, fixtures.FileRotationSession))
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != 0o600 {
				t.Errorf("%s is %v, want 0600: it holds a session secret", fixtures.FileRotationSession, st.Mode().Perm())
			}
			srv.RetireCurrentRoot()
			got = conform(t, srv, pkiDir, "--label-filter", "resumption || rotation", "--rotation-phase", "post")
			wantStatus(t, got, "resumption.after-rotation", want)
			wantStatus(t, got, "rotation.retired-rejected", checks.StatusPass)
		})
	}
}

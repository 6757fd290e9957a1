// Package selftest proves the conformance suites against origins that are
// deliberately wrong: the built originproof binary certifies the strict
// reference origin and every misconfigured profile, one process per target,
// in parallel, and each must fail or warn on exactly the checks its profile
// breaks — no more (false alarms are defects too), no fewer.
package selftest

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/originproof/originproof/checks"
	"github.com/originproof/originproof/fixtures/origin"
	"github.com/originproof/originproof/internal/clitest"
	"github.com/originproof/originproof/internal/testenv"
)

var binary string

func TestMain(m *testing.M) { testenv.Main(m, func(b string) { binary = b }) }

// startOrigin starts a reference origin with cfg on a loopback port; it is
// closed when the test ends.
func startOrigin(t *testing.T, cfg origin.Config) *origin.Server {
	t.Helper()
	cfg.Addr = "127.0.0.1:0"
	srv, err := origin.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

type want struct {
	fail, warn []string
}

// lookalikes are the identity checks of the lookalike certificates.
var lookalikes = []string{"identity.lookalike-der-in-subject", "identity.lookalike-dn-comma", "identity.lookalike-multi-value-rdn",
	"identity.lookalike-uri-san", "identity.lookalike-email-san", "identity.lookalike-suffix", "identity.lookalike-prefix"}

var clientRejects = want{
	fail: []string{"client-auth.required", "client-auth.in-initial-handshake", "client-auth.bad-proof",
		"chain.untrusted-root", "chain.self-signed", "chain.impostor-ca", "chain.intermediate-not-ca", "chain.intermediate-no-basic-constraints", "chain.name-constraints", "chain.pathlen-exceeded",
		"validity.expired", "validity.not-yet-valid", "validity.intermediate-expired",
		"usage.server-auth-only", "usage.unknown-critical-extension", "strength.rsa-1024", "strength.rsa-1024-intermediate", "strength.sha1-signature"},
	warn: append([]string{"chain.missing-intermediate", "chain.too-deep", "validity.root-expired", "usage.no-eku", "usage.leaf-is-ca", "usage.intermediate-eku", "usage.ku-no-digital-signature",
		"identity.wrong-identity", "revocation.revoked-leaf", "revocation.revoked-intermediate", "resumption.after-expiry"}, lookalikes...),
}

// matrix: per reference profile (and flags), the check ids that must fail
// and warn. Everything else must pass or be skipped.
var matrix = []struct {
	profile string
	flags   []string
	want    want
	verdict checks.Verdict
}{
	{origin.Strict, nil, want{}, checks.VerdictPass},
	{origin.Strict, []string{"--expect-identity-pin", "--expect-crl", "--sibling-sni", "sibling.test"}, want{}, checks.VerdictPass},
	{origin.Strict, []string{"--rotation-phase", "post"}, want{fail: []string{"rotation.retired-rejected"}}, checks.VerdictFail},
	{origin.NoClientAuth, nil, clientRejects, checks.VerdictFail},
	{origin.OptionalClientAuth, nil, want{fail: []string{"client-auth.required"}}, checks.VerdictFail},
	{origin.AnyClientCert, nil, want{
		fail: []string{"chain.untrusted-root", "chain.self-signed", "chain.impostor-ca", "chain.intermediate-not-ca", "chain.intermediate-no-basic-constraints", "chain.name-constraints", "chain.pathlen-exceeded"},
		warn: []string{"chain.missing-intermediate", "chain.too-deep", "validity.root-expired", "usage.intermediate-eku"}}, checks.VerdictFail},
	{origin.IgnoreExpiry, nil, want{fail: []string{"validity.expired", "validity.not-yet-valid", "validity.intermediate-expired"}, warn: []string{"validity.root-expired", "resumption.after-expiry"}}, checks.VerdictFail},
	{origin.NoIdentityPin, nil, want{warn: append([]string{"identity.wrong-identity"}, lookalikes...)}, checks.VerdictPass},
	{origin.NoIdentityPin, []string{"--expect-identity-pin"}, want{fail: append([]string{"identity.wrong-identity"}, lookalikes...)}, checks.VerdictFail},
	{origin.NoCRL, nil, want{warn: []string{"revocation.revoked-leaf", "revocation.revoked-intermediate"}}, checks.VerdictPass},
	{origin.NoCRL, []string{"--expect-crl"}, want{fail: []string{"revocation.revoked-leaf", "revocation.revoked-intermediate"}}, checks.VerdictFail},
	{origin.CurrentCAOnly, nil, want{fail: []string{"rotation.next-accepted"}}, checks.VerdictFail},
	{origin.AcceptAnyEKU, nil, want{fail: []string{"usage.server-auth-only"}, warn: []string{"usage.no-eku", "usage.intermediate-eku"}}, checks.VerdictFail},
	{origin.ShortIdleTimeout, nil, want{fail: []string{"keepalive.idle-compatible"}}, checks.VerdictFail},
	{origin.IncompleteServerChain, nil, want{fail: []string{"server-cert.complete-chain"}}, checks.VerdictFail},
	{origin.ExpiredServerCert, nil, want{fail: []string{"server-cert.expiry-horizon"}}, checks.VerdictFail},
	{origin.WrongServerName, nil, want{fail: []string{"server-cert.hostname"}}, checks.VerdictFail},
	{origin.LegacyTLS, nil, want{warn: []string{"protocol.legacy-refused"}}, checks.VerdictPass},
	{origin.HTTPLayerReject, nil, want{}, checks.VerdictPass},
	{origin.ResumptionSkipsChecks, nil, want{warn: []string{"resumption.after-expiry", "resumption.cross-host"}}, checks.VerdictPass},
	{origin.ResumptionSkipsChecks, []string{"--sibling-sni", "sibling.test"}, want{fail: []string{"resumption.cross-host"}, warn: []string{"resumption.after-expiry"}}, checks.VerdictFail},
	{origin.LeafOnlyCRL, nil, want{warn: []string{"revocation.revoked-intermediate"}}, checks.VerdictPass},
	{origin.LeafOnlyEKU, nil, want{warn: []string{"usage.intermediate-eku"}}, checks.VerdictPass},
	{origin.LeafOnlyKeyStrength, nil, want{fail: []string{"strength.rsa-1024-intermediate"}}, checks.VerdictFail},
	{origin.IgnoreKeyUsage, nil, want{warn: []string{"usage.ku-no-digital-signature"}}, checks.VerdictPass},
	{origin.DNSubstringPin, nil, want{warn: []string{"identity.lookalike-der-in-subject", "identity.lookalike-dn-comma", "identity.lookalike-multi-value-rdn"}}, checks.VerdictPass},
	{origin.SANSubstringPin, []string{"--expect-identity-pin"}, want{fail: []string{"identity.lookalike-suffix", "identity.lookalike-prefix"}}, checks.VerdictFail},
	{origin.AnySANTypePin, nil, want{warn: []string{"identity.lookalike-uri-san", "identity.lookalike-email-san"}}, checks.VerdictPass},
}

func TestProfileMatrix(t *testing.T) {
	if testing.Short() {
		t.Skip("certifies every reference profile")
	}
	pkiDir, pki := testenv.WritePKI(t)
	covered := map[string]bool{}
	calls := make([]clitest.Call, len(matrix))
	for i, row := range matrix {
		covered[row.profile] = true
		srv := startOrigin(t, origin.Config{PKI: pki, Profile: row.profile})
		out := filepath.Join(t.TempDir(), "out")
		calls[i] = clitest.Call{Out: out, Args: append([]string{"conform", "--pki", pkiDir, "--target", srv.URL(), "--connect-to", srv.Addr(), "--out", out}, row.flags...)}
	}
	start := time.Now()
	results := clitest.RunAll(binary, 90*time.Second, calls)
	t.Logf("%d certifications in parallel took %v", len(matrix), time.Since(start).Round(time.Millisecond))
	for _, p := range origin.Profiles() {
		if !covered[p] {
			t.Errorf("profile %s has no row in the matrix", p)
		}
	}
	for i, row := range matrix {
		name := row.profile + strings.Join(row.flags, "")
		t.Run(name, func(t *testing.T) {
			r := results[i]
			if err := r.Check(); err != nil {
				t.Fatalf("%v\n%s", err, r.Output)
			}
			clitest.Compare(t, r.Summary, clitest.Judged{Fail: row.want.fail, Warn: row.want.warn, Verdict: row.verdict})
			wantAuth := map[string][2]string{
				origin.NoClientAuth:       {"disabled", "none"},
				origin.OptionalClientAuth: {"optional", "none"},
				origin.HTTPLayerReject:    {"optional", "http"},
			}[row.profile]
			if wantAuth == [2]string{} {
				wantAuth = [2]string{"required", "tls"}
			}
			if string(r.Summary.ClientAuth) != wantAuth[0] || string(r.Summary.ClientAuthEnforcedAt) != wantAuth[1] {
				t.Errorf("client_auth %s enforced at %s, want %s at %s", r.Summary.ClientAuth, r.Summary.ClientAuthEnforcedAt, wantAuth[0], wantAuth[1])
			}
			if r.Took > 30*time.Second {
				t.Errorf("took %v", r.Took)
			}
		})
	}
}

// TestSummaryAndJUnitShape: summary.json carries every field of its documented
// schema for every check, and junit.xml one testcase per check id.
func TestSummaryAndJUnitShape(t *testing.T) {
	pkiDir, pki := testenv.WritePKI(t)
	srv := startOrigin(t, origin.Config{PKI: pki, Profile: origin.OptionalClientAuth})
	out := t.TempDir()
	cmd := exec.Command(binary, "conform", "--pki", pkiDir, "--target", srv.URL(), "--connect-to", srv.Addr(), "--out", out, "--label-filter", "client-auth || chain || server-cert")
	if b, err := cmd.CombinedOutput(); cmd.ProcessState.ExitCode() != 1 {
		t.Fatalf("exit %d (%v):\n%s", cmd.ProcessState.ExitCode(), err, b)
	}
	raw, err := os.ReadFile(filepath.Join(out, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"schema_version", "tool", "version", "target", "server_name", "verdict", "client_auth", "client_auth_enforced_at", "clock_skew_s", "fingerprints", "checks"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("summary.json lacks %q", k)
		}
	}
	fp := doc["fingerprints"].(map[string]any)
	if len(fp["server_chain"].([]any)) != 2 || len(fp["client_ca_bundle"].([]any)) != 3 {
		t.Errorf("fingerprints %v", fp)
	}
	ids := map[string]bool{}
	for _, c := range doc["checks"].([]any) {
		m := c.(map[string]any)
		for _, k := range []string{"id", "group", "severity", "status", "expected", "observed", "layer", "detail"} {
			if _, ok := m[k]; !ok {
				t.Errorf("check %v lacks %q", m["id"], k)
			}
		}
		ids[m["id"].(string)] = true
		if g := strings.SplitN(m["id"].(string), ".", 2)[0]; !slices.Contains([]string{"client-auth", "chain", "server-cert"}, g) && m["status"] != "skip" {
			t.Errorf("%s ran despite the label filter", m["id"])
		}
	}
	junit, err := os.ReadFile(filepath.Join(out, "junit.xml"))
	if err != nil {
		t.Fatal(err)
	}
	checkJUnit(t, junit, ids)
}

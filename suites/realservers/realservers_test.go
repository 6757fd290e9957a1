// Package realservers proves the conformance suites against real origin
// servers — Debian's nginx, HAProxy, Apache httpd and Caddy — each run as a
// child process with its correct CloudFront-origin-mTLS configuration and
// with planted misconfigurations. Every configuration must fail and warn on
// exactly the check ids its row lists: a miss and a false alarm are both
// defects. A server whose program is missing is skipped with the Debian
// package to install, unless ORIGINPROOF_REQUIRE_TOOLS is set (CI).
package realservers

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/originproof/originproof/checks"
	"github.com/originproof/originproof/fixtures/servers"
	"github.com/originproof/originproof/internal/clitest"
	"github.com/originproof/originproof/internal/testenv"
	"github.com/originproof/originproof/reports"
)

var binary string

func TestMain(m *testing.M) { testenv.Main(m, func(b string) { binary = b }) }

// Row is one server × configuration and what the harness must say about it.
type Row struct {
	Server, Config string
	Fail, Warn     []string
	Verdict        checks.Verdict
	ClientAuth     reports.ClientAuth // summary.json client_auth
	EnforcedAt     checks.Layer       // summary.json client_auth_enforced_at
	// RejectLayer is the layer of chain.untrusted-root's rejection ("" when
	// it is not rejected): nginx rejects at http, the others at tls.
	RejectLayer checks.Layer
	// Harness, when set, is what the harness says today where that differs
	// from the judgement above (Fail, Warn, Verdict): a defect of the
	// conformance code, pinned so that it is seen and so that its fix is
	// noticed (the row then fails until Harness is removed).
	Harness *Observed
}

// Observed is a harness judgement (failed, warned and errored check ids
// and the verdict) and the defect that makes it differ from the row's.
type Observed struct {
	Defect string
	clitest.Judged
}

const (
	pass         = checks.VerdictPass
	fail         = checks.VerdictFail
	inconclusive = checks.VerdictInconclusive
)

var (
	// OpenSSL (nginx, HAProxy, Apache) accepts a leaf without EKU and a leaf
	// that is a CA: both are `should` findings on every OpenSSL-based server.
	opensslWarns = []string{"usage.no-eku", "usage.leaf-is-ca"}
	// nginx 1.22 has no variable for the client certificate's SAN: its
	// correct config pins the whole subject DN, which no lookalike passes.
	nginxWarns = opensslWarns
	// HAProxy has no verify-depth setting: OpenSSL's default depth of 100.
	haproxyWarns = with(opensslWarns, "chain.too-deep")
	// Caddy 2.6 (Go 1.19 crypto/x509): no CRL, no depth limit, no key usage,
	// EKU or CA check beyond Go's. Go also accepts RSA-1024 keys: the correct
	// config refuses them in the leaf with a matcher on its DER, and pins the
	// issuing intermediates, which also keeps out deeper chains and revoked
	// or weak intermediates (caddyNoPin: without that matcher).
	caddyWarns = with(opensslWarns, "revocation.revoked-leaf", "usage.ku-no-digital-signature")
	caddyNoPin = with(caddyWarns, "chain.too-deep", "revocation.revoked-intermediate")
	// TLS 1.0 needs @SECLEVEL=0, which also lets RSA-1024 keys and SHA-1 signatures through.
	seclevel0 = []string{"strength.rsa-1024", "strength.rsa-1024-intermediate", "strength.sha1-signature"}
	// Without an identity rule the wrong identity and every lookalike get in.
	anyIdentity = []string{"identity.wrong-identity", "identity.lookalike-der-in-subject", "identity.lookalike-dn-comma", "identity.lookalike-multi-value-rdn",
		"identity.lookalike-uri-san", "identity.lookalike-email-san", "identity.lookalike-suffix", "identity.lookalike-prefix"}
	// Without CRLs neither the revoked leaf nor the revoked intermediate is refused.
	noCRL = []string{"revocation.revoked-leaf", "revocation.revoked-intermediate"}
)

// withAll is with for several lists.
func withAll(base []string, more ...[]string) []string {
	out := slices.Clone(base)
	for _, m := range more {
		out = append(out, m...)
	}
	return out
}

func with(base []string, more ...string) []string { return append(slices.Clone(base), more...) }

// Matrix lists every configuration of every server.
var Matrix = []Row{
	// nginx: ssl_verify_client on completes the handshake whatever the
	// verification result and answers 400: enforced at http.
	{Server: "nginx", Config: "correct", Warn: nginxWarns, Verdict: pass, ClientAuth: "optional", EnforcedAt: "http", RejectLayer: "http"},
	{Server: "nginx", Config: "verify-optional", Fail: []string{"client-auth.required"}, Warn: withAll(nginxWarns, anyIdentity), Verdict: fail, ClientAuth: "optional", EnforcedAt: "none", RejectLayer: "http"},
	// optional_no_ca lets only "unknown issuer" errors through; with ssl_crl
	// the CRL lookup for an unknown CA fails too, so only a bare leaf passes.
	{Server: "nginx", Config: "optional-no-ca", Fail: []string{"client-auth.required"}, Warn: withAll(nginxWarns, anyIdentity, []string{"chain.missing-intermediate"}), Verdict: fail, ClientAuth: "optional", EnforcedAt: "none", RejectLayer: "http"},
	// Without ssl_crl, optional_no_ca serves chains of unknown issuers.
	{Server: "nginx", Config: "optional-no-ca-no-crl", Fail: []string{"chain.impostor-ca", "chain.self-signed", "chain.untrusted-root", "client-auth.required"},
		Warn: withAll(nginxWarns, anyIdentity, noCRL, []string{"chain.missing-intermediate", "chain.too-deep"}), Verdict: fail, ClientAuth: "optional", EnforcedAt: "none"},
	{Server: "nginx", Config: "no-crl", Warn: withAll(nginxWarns, noCRL), Verdict: pass, ClientAuth: "optional", EnforcedAt: "http", RejectLayer: "http"},
	{Server: "nginx", Config: "keepalive-2s", Fail: []string{"keepalive.idle-compatible"}, Warn: nginxWarns, Verdict: fail, ClientAuth: "optional", EnforcedAt: "http", RejectLayer: "http"},
	{Server: "nginx", Config: "leaf-only", Fail: []string{"server-cert.complete-chain"}, Warn: nginxWarns, Verdict: fail, ClientAuth: "optional", EnforcedAt: "http", RejectLayer: "http"},
	{Server: "nginx", Config: "tls1.0", Fail: seclevel0, Warn: with(nginxWarns, "protocol.legacy-refused"), Verdict: fail, ClientAuth: "optional", EnforcedAt: "http", RejectLayer: "http"},
	{Server: "nginx", Config: "session-cache", Warn: with(nginxWarns, "resumption.after-expiry"), Verdict: pass, ClientAuth: "optional", EnforcedAt: "http", RejectLayer: "http"},
	{Server: "nginx", Config: "dn-regex", Warn: with(nginxWarns, "identity.lookalike-dn-comma", "identity.lookalike-multi-value-rdn"), Verdict: pass, ClientAuth: "optional", EnforcedAt: "http", RejectLayer: "http"},
	// Debian's 1.22.1-9+deb12u11 carries the CVE-2025-23419 fix: a session
	// resumed with another server name is refused where client verification is on.
	{Server: "nginx", Config: "sibling-session-cache", Warn: with(nginxWarns, "resumption.after-expiry"), Verdict: pass, ClientAuth: "optional", EnforcedAt: "http", RejectLayer: "http"},

	{Server: "haproxy", Config: "correct", Warn: haproxyWarns, Verdict: pass, ClientAuth: "required", EnforcedAt: "tls", RejectLayer: "tls"},
	{Server: "haproxy", Config: "verify-optional", Fail: []string{"client-auth.required"}, Warn: withAll(haproxyWarns, anyIdentity), Verdict: fail, ClientAuth: "optional", EnforcedAt: "none", RejectLayer: "tls"},
	{Server: "haproxy", Config: "verify-optional-identity", Warn: haproxyWarns, Verdict: pass, ClientAuth: "optional", EnforcedAt: "http", RejectLayer: "tls"},
	{Server: "haproxy", Config: "ignore-errors", Fail: []string{"chain.impostor-ca", "chain.intermediate-no-basic-constraints", "chain.intermediate-not-ca", "chain.pathlen-exceeded", "chain.self-signed", "chain.untrusted-root",
		"strength.rsa-1024", "strength.rsa-1024-intermediate", "strength.sha1-signature", "usage.server-auth-only", "validity.expired", "validity.intermediate-expired", "validity.not-yet-valid"},
		Warn: withAll(haproxyWarns, noCRL, []string{"resumption.after-expiry", "usage.intermediate-eku", "usage.ku-no-digital-signature", "validity.root-expired"}), Verdict: fail, ClientAuth: "required", EnforcedAt: "tls"},
	{Server: "haproxy", Config: "no-crl", Warn: withAll(haproxyWarns, noCRL), Verdict: pass, ClientAuth: "required", EnforcedAt: "tls", RejectLayer: "tls"},
	{Server: "haproxy", Config: "no-identity", Warn: withAll(haproxyWarns, anyIdentity), Verdict: pass, ClientAuth: "required", EnforcedAt: "tls", RejectLayer: "tls"},
	{Server: "haproxy", Config: "keepalive-2s", Fail: []string{"keepalive.idle-compatible"}, Warn: haproxyWarns, Verdict: fail, ClientAuth: "required", EnforcedAt: "tls", RejectLayer: "tls"},
	{Server: "haproxy", Config: "tls1.0", Fail: seclevel0, Warn: with(haproxyWarns, "protocol.legacy-refused"), Verdict: fail, ClientAuth: "required", EnforcedAt: "tls", RejectLayer: "tls"},
	{Server: "haproxy", Config: "session-cache", Warn: with(haproxyWarns, "resumption.after-expiry"), Verdict: pass, ClientAuth: "required", EnforcedAt: "tls", RejectLayer: "tls"},
	{Server: "haproxy", Config: "der-substring", Warn: with(haproxyWarns, "identity.lookalike-der-in-subject"), Verdict: pass, ClientAuth: "required", EnforcedAt: "tls", RejectLayer: "tls"},

	{Server: "apache2", Config: "correct", Warn: opensslWarns, Verdict: pass, ClientAuth: "required", EnforcedAt: "tls", RejectLayer: "tls"},
	// Like nginx, optional_no_ca with a CRL file still refuses unknown CAs.
	{Server: "apache2", Config: "optional-no-ca", Fail: []string{"client-auth.required"}, Warn: withAll(opensslWarns, anyIdentity), Verdict: fail, ClientAuth: "optional", EnforcedAt: "none", RejectLayer: "tls"},
	{Server: "apache2", Config: "optional-no-ca-no-crl", Fail: []string{"chain.impostor-ca", "chain.self-signed", "chain.untrusted-root", "client-auth.required"},
		Warn: withAll(opensslWarns, anyIdentity, noCRL, []string{"chain.missing-intermediate"}), Verdict: fail, ClientAuth: "optional", EnforcedAt: "none"},
	{Server: "apache2", Config: "per-directory", Fail: []string{"chain.valid", "client-auth.in-initial-handshake"}, Verdict: fail, ClientAuth: "disabled", EnforcedAt: "none"},
	{Server: "apache2", Config: "no-crl", Warn: withAll(opensslWarns, noCRL), Verdict: pass, ClientAuth: "required", EnforcedAt: "tls", RejectLayer: "tls"},
	{Server: "apache2", Config: "no-identity", Warn: withAll(opensslWarns, anyIdentity), Verdict: pass, ClientAuth: "required", EnforcedAt: "tls", RejectLayer: "tls"},
	{Server: "apache2", Config: "keepalive-2s", Fail: []string{"keepalive.idle-compatible"}, Warn: opensslWarns, Verdict: fail, ClientAuth: "required", EnforcedAt: "tls", RejectLayer: "tls"},
	{Server: "apache2", Config: "tls1.0", Fail: seclevel0, Warn: with(opensslWarns, "protocol.legacy-refused"), Verdict: fail, ClientAuth: "required", EnforcedAt: "tls", RejectLayer: "tls"},
	{Server: "apache2", Config: "session-cache", Warn: with(opensslWarns, "resumption.after-expiry"), Verdict: pass, ClientAuth: "required", EnforcedAt: "tls", RejectLayer: "tls"},
	{Server: "apache2", Config: "san-regex", Warn: with(opensslWarns, "identity.lookalike-suffix", "identity.lookalike-prefix"), Verdict: pass, ClientAuth: "required", EnforcedAt: "tls", RejectLayer: "tls"},
	{Server: "apache2", Config: "crl-leaf", Warn: with(opensslWarns, "revocation.revoked-intermediate"), Verdict: pass, ClientAuth: "required", EnforcedAt: "tls", RejectLayer: "tls"},
	// Debian's 2.4.71 carries the CVE-2025-23048 fix (2.4.64).
	{Server: "apache2", Config: "sibling-session-cache", Warn: with(opensslWarns, "resumption.after-expiry"), Verdict: pass, ClientAuth: "required", EnforcedAt: "tls", RejectLayer: "tls"},

	{Server: "caddy", Config: "correct", Warn: caddyWarns, Verdict: pass, ClientAuth: "required", EnforcedAt: "tls", RejectLayer: "tls"},
	{Server: "caddy", Config: "verify-if-given", Fail: []string{"client-auth.required", "strength.rsa-1024", "strength.rsa-1024-intermediate"}, Warn: withAll(caddyNoPin, anyIdentity), Verdict: fail, ClientAuth: "optional", EnforcedAt: "none", RejectLayer: "tls"},
	{Server: "caddy", Config: "require-no-verify", Fail: []string{"chain.impostor-ca", "chain.intermediate-no-basic-constraints", "chain.intermediate-not-ca", "chain.name-constraints", "chain.pathlen-exceeded", "chain.self-signed", "chain.untrusted-root",
		"strength.rsa-1024-intermediate", "strength.sha1-signature", "usage.server-auth-only", "usage.unknown-critical-extension", "validity.expired", "validity.intermediate-expired", "validity.not-yet-valid"},
		Warn: withAll(caddyNoPin, anyIdentity, []string{"chain.missing-intermediate", "resumption.after-expiry", "usage.intermediate-eku", "validity.root-expired"}), Verdict: fail, ClientAuth: "required", EnforcedAt: "tls"},
	{Server: "caddy", Config: "no-identity", Warn: withAll(caddyWarns, anyIdentity), Verdict: pass, ClientAuth: "required", EnforcedAt: "tls", RejectLayer: "tls"},
	{Server: "caddy", Config: "one-ca-file", Fail: []string{"rotation.next-accepted"}, Warn: caddyWarns, Verdict: fail, ClientAuth: "required", EnforcedAt: "tls", RejectLayer: "tls"},
	{Server: "caddy", Config: "idle-2s", Fail: []string{"keepalive.idle-compatible"}, Warn: caddyWarns, Verdict: fail, ClientAuth: "required", EnforcedAt: "tls", RejectLayer: "tls"},
	{Server: "caddy", Config: "leaf-only", Fail: []string{"server-cert.complete-chain"}, Warn: caddyWarns, Verdict: fail, ClientAuth: "required", EnforcedAt: "tls", RejectLayer: "tls"},
	{Server: "caddy", Config: "no-issuer-pin", Fail: []string{"strength.rsa-1024-intermediate"}, Warn: caddyNoPin, Verdict: fail, ClientAuth: "required", EnforcedAt: "tls", RejectLayer: "tls"},
	// Caddy 2.6.2 (Go 1.19) did not resume a session its sibling site made:
	// the origin got a full handshake and refused.
	{Server: "caddy", Config: "sibling", Warn: caddyWarns, Verdict: pass, ClientAuth: "required", EnforcedAt: "tls", RejectLayer: "tls"},
}

// TestMatrixCoversEveryConfiguration: each configuration of each server has
// exactly one row, and each row names a configuration that exists.
func TestMatrixCoversEveryConfiguration(t *testing.T) {
	rows := map[string]int{}
	for _, r := range Matrix {
		rows[r.Server+"/"+r.Config]++
		s, ok := servers.Lookup(r.Server)
		if !ok {
			t.Errorf("row for unknown server %s", r.Server)
			continue
		}
		if _, ok := s.Variant(r.Config); !ok {
			t.Errorf("row for unknown configuration %s/%s", r.Server, r.Config)
		}
	}
	for _, s := range servers.Servers() {
		for _, v := range s.Variants {
			if n := rows[s.Name+"/"+v.Name]; n != 1 {
				t.Errorf("%s/%s has %d rows, want 1", s.Name, v.Name, n)
			}
		}
	}
}

type result struct {
	clitest.Result
	problem error  // why the row cannot be judged: the server did not run, or Check failed
	server  string // the server's output, for failures
	skip    string
}

func TestMatrix(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every real server configuration")
	}
	pkiDir, _ := testenv.WritePKI(t)
	require := os.Getenv("ORIGINPROOF_REQUIRE_TOOLS") != ""
	results := make([]result, len(Matrix))
	// A bounded number of servers and certifications at once: all of them
	// together would starve the other packages' timing-sensitive tests
	// (go test runs packages in parallel) on a 2-core machine.
	parallel := 8
	if n, err := strconv.Atoi(os.Getenv("ORIGINPROOF_REALSERVERS_PARALLEL")); err == nil && n > 0 {
		parallel = n
	}
	slots := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	start := time.Now()
	for i, row := range Matrix {
		srv, ok := servers.Lookup(row.Server)
		if !ok {
			t.Fatalf("no server %q", row.Server)
		}
		if _, err := srv.Path(); err != nil {
			results[i].skip = err.Error()
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			slots <- struct{}{}
			defer func() { <-slots }()
			results[i] = certify(t, srv, row, pkiDir)
		}()
	}
	wg.Wait()
	t.Logf("%d configurations, %d at a time, took %v", len(Matrix), parallel, time.Since(start).Round(time.Millisecond))

	var table strings.Builder
	table.WriteString(tableHeader)
	complete := true
	for i, row := range Matrix {
		t.Run(row.Server+"/"+row.Config, func(t *testing.T) {
			r := results[i]
			if r.skip != "" || r.problem != nil {
				complete = false
			}
			if r.skip != "" {
				if require {
					t.Fatalf("ORIGINPROOF_REQUIRE_TOOLS is set: %s", r.skip)
				}
				t.Skip(r.skip)
			}
			if r.problem != nil {
				t.Fatalf("%v\n%s\n--- server output\n%s", r.problem, r.Output, r.server)
			}
			sum := r.Summary
			layer, shown := checks.Layer(""), "accepted"
			for _, c := range sum.Checks {
				if c.ID == "chain.untrusted-root" {
					switch {
					case strings.HasPrefix(c.Observed, "rejected at "):
						layer = c.Layer
					case c.Status == checks.StatusSkip:
						shown = "not judged"
					}
				}
			}
			got := clitest.JudgedBy(sum)
			fmt.Fprintf(&table, "| %s | %s | %s | %s | %s (%s) | %s | %s | %s | %v |\n", row.Server, row.Config, resumption(row), sum.Verdict,
				sum.ClientAuth, sum.ClientAuthEnforcedAt, or(layer, shown), strings.Join(got.Fail, " "), strings.Join(got.Warn, " "), r.Took.Round(100*time.Millisecond))
			judged := clitest.Judged{Fail: row.Fail, Warn: row.Warn, Verdict: row.Verdict}
			if row.Harness != nil {
				if got.Same(judged) {
					t.Errorf("the harness now judges as the table wants; remove the row's Harness defect (%s)", row.Harness.Defect)
				}
				t.Logf("known harness defect: %s\n wanted fail %v warn %v verdict %s", row.Harness.Defect, row.Fail, row.Warn, row.Verdict)
				judged = row.Harness.Judged
			}
			clitest.Compare(t, sum, judged)
			if sum.ClientAuth != row.ClientAuth || sum.ClientAuthEnforcedAt != row.EnforcedAt {
				t.Errorf("client_auth %s enforced at %s, want %s at %s", sum.ClientAuth, sum.ClientAuthEnforcedAt, row.ClientAuth, row.EnforcedAt)
			}
			if layer != row.RejectLayer {
				t.Errorf("chain.untrusted-root rejected at %q, want %q", layer, row.RejectLayer)
			}
			// The server is guessed from its Server header (HAProxy sends none).
			want := guessedServer[row.Server]
			if got := sum.Server; (want == "" && got != nil && got.Name != "") || (want != "" && (got == nil || got.Name != want || !got.Guessed)) {
				t.Errorf("server %+v, want %q guessed from the Server header", got, want)
			}
		})
	}
	t.Log("\n" + table.String())
	if os.Getenv("ORIGINPROOF_UPDATE_DOCS") != "" {
		if !complete || t.Failed() {
			t.Fatalf("ORIGINPROOF_UPDATE_DOCS: not rewriting %s from a matrix that did not pass whole", originsDoc)
		}
		if err := writeDocsTable(table.String(), len(Matrix), parallel, time.Since(start)); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote the matrix in %s", originsDoc)
	}
}

// The matrix in docs/origins.md sits between these markers;
// ORIGINPROOF_UPDATE_DOCS=1 makes TestMatrix rewrite it from the run.
const (
	originsDoc  = "../../docs/origins.md"
	tableStart  = "<!-- matrix: generated by ORIGINPROOF_UPDATE_DOCS=1 go test -run TestMatrix ./suites/realservers/ -->\n"
	tableEnd    = "<!-- matrix end -->\n"
	tableHeader = "| server | config | resumption | verdict | client auth (enforced at) | untrusted root rejected at | fail | warn | took |\n|---|---|---|---|---|---|---|---|---|\n"
)

// writeDocsTable replaces the table of docs/origins.md, with a line saying
// how it was measured.
func writeDocsTable(table string, rows, parallel int, took time.Duration) error {
	doc, err := os.ReadFile(originsDoc)
	if err != nil {
		return err
	}
	before, rest, ok := strings.Cut(string(doc), tableStart)
	_, after, ok2 := strings.Cut(rest, tableEnd)
	if !ok || !ok2 {
		return fmt.Errorf("%s: no %q … %q markers", originsDoc, strings.TrimSpace(tableStart), strings.TrimSpace(tableEnd))
	}
	measured := fmt.Sprintf("%d configurations, %d at a time, %v for the whole matrix on %s.\n\n", rows, parallel, took.Round(100*time.Millisecond), runtimeInfo())
	return os.WriteFile(originsDoc, []byte(before+tableStart+measured+table+tableEnd+after), 0o644)
}

func runtimeInfo() string {
	return fmt.Sprintf("%d CPUs (%s/%s)", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH)
}

// TestDocsTableIsTheMatrix: every row of the table in docs/origins.md has
// the failed and warned checks, verdict and client auth its Matrix row
// asserts, and every Matrix row is in the table: the page cannot drift from
// what the matrix proves (run the matrix with ORIGINPROOF_UPDATE_DOCS=1).
func TestDocsTableIsTheMatrix(t *testing.T) {
	doc, err := os.ReadFile(originsDoc)
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), tableStart)
	table, _, ok2 := strings.Cut(rest, tableEnd)
	if !ok || !ok2 {
		t.Fatalf("%s: no matrix markers", originsDoc)
	}
	_, body, _ := strings.Cut(table, tableHeader)
	seen := map[string]bool{}
	for line := range strings.Lines(body) {
		cells := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
		if len(cells) != 9 {
			t.Errorf("malformed table row %q", line)
			continue
		}
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		key := cells[0] + "/" + cells[1]
		seen[key] = true
		i := slices.IndexFunc(Matrix, func(r Row) bool { return r.Server+"/"+r.Config == key })
		if i < 0 {
			t.Errorf("%s: in the docs, not in the matrix", key)
			continue
		}
		row := Matrix[i]
		want := []string{string(row.Verdict), fmt.Sprintf("%s (%s)", row.ClientAuth, row.EnforcedAt), strings.Join(sorted(row.Fail), " "), strings.Join(sorted(row.Warn), " ")}
		if row.Harness != nil {
			want = []string{string(row.Harness.Verdict), want[1], strings.Join(sorted(row.Harness.Fail), " "), strings.Join(sorted(row.Harness.Warn), " ")}
		}
		if got := []string{cells[3], cells[4], cells[6], cells[7]}; !slices.Equal(got, want) {
			t.Errorf("%s: the docs say %q, the matrix %q", key, got, want)
		}
	}
	for _, r := range Matrix {
		if !seen[r.Server+"/"+r.Config] {
			t.Errorf("%s/%s: in the matrix, not in the docs", r.Server, r.Config)
		}
	}
}

// guessedServer is the recipe each server's Server header names.
var guessedServer = map[string]checks.Server{"nginx": checks.Nginx, "haproxy": "", "apache2": checks.Apache, "caddy": checks.Caddy}

func sorted(s []string) []string { return slices.Sorted(slices.Values(s)) }

// resumption says whether the configuration turns session resumption off.
func resumption(row Row) string {
	srv, _ := servers.Lookup(row.Server)
	v, _ := srv.Variant(row.Config)
	out := "off"
	switch {
	case row.Server == "caddy":
		out = "tickets on (Go)"
	case v.Resumption:
		out = "on"
	}
	if v.Sibling {
		out += ", sibling host"
	}
	return out
}

func or[S ~string](s S, def string) string {
	if s == "" {
		return def
	}
	return string(s)
}

func certify(t *testing.T, srv *servers.Server, row Row, pkiDir string) result {
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	p, err := srv.Start(ctx, servers.Options{PKIDir: pkiDir, Variant: row.Config})
	if err != nil {
		return result{problem: err}
	}
	defer func() {
		if err := p.Stop(); err != nil {
			t.Errorf("%s/%s: %v", row.Server, row.Config, err)
		}
	}()
	// Started by root (CI), the server must not run as root.
	if os.Geteuid() == 0 {
		uids, err := p.UIDs()
		if err != nil {
			return result{problem: err}
		}
		if slices.Contains(uids, 0) {
			return result{problem: fmt.Errorf("server processes run as uids %v: want none as root", uids)}
		}
	}
	out := filepath.Join(p.Dir, "out")
	if keep := os.Getenv("ORIGINPROOF_REALSERVERS_OUT"); keep != "" {
		// Keep each configuration's reports (and the rendered config) for inspection.
		out = filepath.Join(keep, row.Server+"-"+row.Config)
		os.MkdirAll(out, 0o755)
		os.WriteFile(filepath.Join(out, srv.Name+".conf"), []byte(p.Config), 0o644)
	}
	args := []string{"conform", "--pki", pkiDir, "--target", p.URL(), "--connect-to", p.Addr(), "--out", out}
	if p.Variant.Sibling {
		args = append(args, "--sibling-sni", servers.SiblingName)
	}
	r := result{Result: clitest.Run(ctx, binary, out, args...)}
	r.problem = r.Check()
	r.server = p.Output()
	return r
}

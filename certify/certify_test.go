package certify

import (
	"crypto/x509"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/originproof/originproof/checks"
	"github.com/originproof/originproof/fixtures"
	"github.com/originproof/originproof/loadgen"
	"github.com/originproof/originproof/loadgen/latency"
	"github.com/originproof/originproof/scenarios"
)

func testPKI(t *testing.T) *fixtures.PKI {
	t.Helper()
	pki, err := fixtures.Generate(fixtures.Options{ServerName: "origin.test"})
	if err != nil {
		t.Fatal(err)
	}
	return pki
}

func TestResolveTarget(t *testing.T) {
	pki := testPKI(t)
	dir := t.TempDir()
	roots := filepath.Join(dir, "roots.pem")
	if err := os.WriteFile(roots, fixtures.CertsPEM(pki.ServerRoot.Cert), 0o644); err != nil {
		t.Fatal(err)
	}
	garbage := filepath.Join(dir, "garbage.pem")
	os.WriteFile(garbage, []byte("not PEM"), 0o644)
	tests := []struct {
		name      string
		t         Target
		wantField string // "" when it resolves
		check     func(*Endpoint) string
	}{
		{"defaults", Target{URL: "https://origin.test/x"}, "", func(e *Endpoint) string {
			if e.Addr != "origin.test:443" || e.ServerName != "origin.test" || e.Path != "/" || !e.FromPKI || e.Host != "origin.test" {
				return "wrong defaults"
			}
			return ""
		}},
		{"connect-to and server name", Target{URL: "https://origin.test:8443/", ConnectTo: "127.0.0.1:9", ServerName: "cdn-origin.test", Path: "/health"}, "", func(e *Endpoint) string {
			if e.Addr != "127.0.0.1:9" || e.ServerName != "cdn-origin.test" || e.Host != "origin.test:8443" || e.Path != "/health" {
				return "connect-to, server name or path not applied"
			}
			p := e.Probe()
			if p.Addr != e.Addr || p.ServerName != e.ServerName || p.Path != "/health" {
				return "probe target differs"
			}
			return ""
		}},
		{"roots from a file", Target{URL: "https://origin.test/", ServerRoots: roots}, "", func(e *Endpoint) string {
			if e.FromPKI || e.RootsName != roots {
				return "roots not from the file"
			}
			inter := x509.NewCertPool()
			inter.AddCert(pki.ServerIntermediate.Cert)
			if _, err := pki.ServerLeaf.Verify(x509.VerifyOptions{Roots: e.Roots, Intermediates: inter, DNSName: "origin.test"}); err != nil {
				return "the file's roots do not verify the server: " + err.Error()
			}
			return ""
		}},
		{"http URL", Target{URL: "http://origin.test/"}, FieldTarget, nil},
		{"no URL", Target{}, FieldTarget, nil},
		{"IP as SNI", Target{URL: "https://127.0.0.1/"}, FieldServerName, nil},
		{"bad connect-to", Target{URL: "https://origin.test/", ConnectTo: "nowhere"}, FieldConnectTo, nil},
		{"relative path", Target{URL: "https://origin.test/", Path: "x"}, FieldPath, nil},
		{"missing roots file", Target{URL: "https://origin.test/", ServerRoots: filepath.Join(dir, "none.pem")}, FieldServerRoots, nil},
		{"roots file without PEM", Target{URL: "https://origin.test/", ServerRoots: garbage}, FieldServerRoots, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := tt.t.Resolve(pki, "pki")
			if tt.wantField != "" {
				var ie *InputError
				if !errors.As(err, &ie) || ie.Field != tt.wantField {
					t.Fatalf("err = %v, want an input error about %s", err, tt.wantField)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if why := tt.check(e); why != "" {
				t.Error(why)
			}
		})
	}
}

func TestLoadOptionsCarryTheEndpoint(t *testing.T) {
	pki := testPKI(t)
	e, err := Target{URL: "https://origin.test/", ConnectTo: "127.0.0.1:9", Path: "/p", Headers: http.Header{"X-Origin-Verify": {"s"}}}.Resolve(pki, "pki")
	if err != nil {
		t.Fatal(err)
	}
	eng, err := loadgen.New(e.LoadOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	cfg := eng.Config()
	if cfg.ConnectTo != "127.0.0.1:9" || cfg.URL != "https://origin.test/p" || cfg.ServerName != "origin.test" || len(cfg.Headers["X-Origin-Verify"]) != 1 {
		t.Errorf("config %+v", cfg)
	}
	if cfg.Headers["X-Origin-Verify"][0] != loadgen.RedactedValue {
		t.Error("a custom header's value reached the recorded configuration")
	}
}

func TestParseHeader(t *testing.T) {
	if k, v, err := ParseHeader("X-Origin-Verify: abc:def "); err != nil || k != "X-Origin-Verify" || v != "abc:def" {
		t.Errorf("got %q %q %v", k, v, err)
	}
	for _, bad := range []string{"no colon", ": empty name", "Bad Name: x", "Via: 1.1 x", "x-amz-cf-id: y"} {
		if _, _, err := ParseHeader(bad); !IsInputError(err) {
			t.Errorf("ParseHeader(%q) = %v, want an input error", bad, err)
		}
	}
}

func TestRotationUnderLoad(t *testing.T) {
	next := rotationNext
	plan := &scenarios.LoadPlan{Windows: []scenarios.Window{{Name: "steady", Kind: "steady"}, {Name: "rotation-drill", Kind: "rotation-drill"}},
		RotateFrom: time.Second, RotateUntil: 2 * time.Second}
	stats := func(requests, errors, served int64) []scenarios.PhaseStats {
		return []scenarios.PhaseStats{{Name: "steady", Requests: 100}, {Name: "rotation-drill", Requests: requests, Errors: errors,
			Handshake: latency.New(), Corrected: latency.New(), ErrorsByClass: map[loadgen.ErrorClass]int64{"tls_alert:unknown_ca": errors},
			Identities: map[string]int64{rotationNext: served}}}
	}
	for _, tt := range []struct {
		name                     string
		requests, errors, served int64
		want                     checks.Status
	}{
		{"switched, nothing failed", 100, 0, 40, checks.StatusPass},
		{"requests failed", 100, 3, 40, checks.StatusFail},
		{"never switched", 100, 0, 0, checks.StatusError},
		{"nothing sent", 0, 0, 0, checks.StatusError},
	} {
		c := rotationUnderLoad(plan, stats(tt.requests, tt.errors, tt.served), next)
		if c == nil || c.Status != tt.want || c.ID != "rotation.under-load" || c.Severity != checks.Must {
			t.Errorf("%s: %+v, want status %s", tt.name, c, tt.want)
		}
	}
	if c := rotationUnderLoad(&scenarios.LoadPlan{Windows: plan.Windows[:1]}, stats(1, 0, 0)[:1], next); c != nil {
		t.Errorf("no rotation-drill phase, yet a check: %+v", c)
	}
}

package selftest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/originproof/originproof/cdn"
	"github.com/originproof/originproof/checks"
	"github.com/originproof/originproof/cloudfront"
	"github.com/originproof/originproof/fixtures/origin"
	"github.com/originproof/originproof/internal/clitest"
	"github.com/originproof/originproof/internal/testcert"
	"github.com/originproof/originproof/internal/testenv"
	"github.com/originproof/originproof/scenarios"
)

// headerSecret is the distribution's custom header value: no output may hold it.
const headerSecret = "shared-secret-4e1d8b"

// distOrigin is one origin of a test distribution config, as the AWS CLI
// prints it; change edits it before it is written.
func distOrigin(id string, change func(o, custom map[string]any)) map[string]any {
	custom := map[string]any{
		"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "https-only",
		"OriginSslProtocols": map[string]any{"Quantity": 1, "Items": []any{"TLSv1.2"}},
		"OriginReadTimeout":  30, "OriginKeepaliveTimeout": 3,
		"OriginMtlsConfig": map[string]any{"ClientCertificateArn": "arn:aws:acm:us-east-1:111122223333:certificate/selftest"},
	}
	o := map[string]any{
		"Id": id, "DomainName": "origin.test", "OriginPath": "", "ConnectionAttempts": 3, "ConnectionTimeout": 10,
		"CustomHeaders":      map[string]any{"Quantity": 1, "Items": []any{map[string]any{"HeaderName": "X-Origin-Verify", "HeaderValue": headerSecret}}},
		"CustomOriginConfig": custom, "OriginShield": map[string]any{"Enabled": false},
	}
	if change != nil {
		change(o, custom)
	}
	return o
}

// distConfig writes a distribution config: shape "config" (get-distribution-config)
// or "distribution" (get-distribution), its origins, and the default behaviour's
// Lambda@Edge associations routed to the first origin.
func distConfig(t *testing.T, shape string, lambda []any, origins ...map[string]any) string {
	t.Helper()
	items := make([]any, len(origins))
	for i, o := range origins {
		items[i] = o
	}
	cfg := map[string]any{
		"CallerReference": "selftest", "Enabled": true,
		"Origins":              map[string]any{"Quantity": len(items), "Items": items},
		"DefaultCacheBehavior": map[string]any{"TargetOriginId": origins[0]["Id"], "ViewerProtocolPolicy": "https-only", "LambdaFunctionAssociations": map[string]any{"Quantity": len(lambda), "Items": lambda}},
	}
	var doc any = map[string]any{"ETag": "E1SELFTEST", "DistributionConfig": cfg}
	if shape == "distribution" {
		doc = map[string]any{"ETag": "E1SELFTEST", "Distribution": map[string]any{"Id": "E1SELFTEST", "DomainName": "d1.cloudfront.net", "Status": "Deployed", "DistributionConfig": cfg}}
	}
	data, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "dist.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// sharedCDNCA is a CA with the distinguished name of a CDN's shared
// certificate's issuer (our own key): an origin that trusts it lists that
// name in its CertificateRequest, as one that trusts the real one does.
func sharedCDNCA(t *testing.T) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return testcert.SelfSigned(t, key, &x509.Certificate{SerialNumber: big.NewInt(7), Subject: cdn.Cloudflare.Shared.Issuer,
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign})
}

// noSecret fails when any file under dir holds the custom header's value.
func noSecret(t *testing.T, dir string) {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		n++
		if strings.Contains(string(data), headerSecret) {
			t.Errorf("%s holds the custom header's value", path)
		}
		return nil
	})
	if err != nil || n == 0 {
		t.Errorf("no outputs under %s (%v)", dir, err)
	}
}

// TestDistributionVerdicts: the distribution checks judge each deliberately
// wrong pair of distribution config and reference origin, and only those
// checks; the header value reaches no output.
func TestDistributionVerdicts(t *testing.T) {
	if testing.Short() {
		t.Skip("certifies reference origins behind distribution configs")
	}
	pkiDir, pki := testenv.WritePKI(t)
	lambda := func(event string) []any {
		return []any{map[string]any{"LambdaFunctionARN": "arn:aws:lambda:us-east-1:111122223333:function:f:1", "EventType": event, "IncludeBody": false}}
	}
	set := func(key string, v any) func(o, c map[string]any) { return func(_, c map[string]any) { c[key] = v } }
	cases := []struct {
		name    string
		config  string
		args    []string
		srv     origin.Config
		code    int
		fail    []string
		warn    []string
		observe string // in the first failed or warned check's observation
	}{
		{name: "one origin", config: distConfig(t, "config", nil, distOrigin("web", nil)), code: 0},
		{name: "several origins, get-distribution wrapper", config: distConfig(t, "distribution", nil, distOrigin("api", set("OriginKeepaliveTimeout", 20)), distOrigin("web", nil)),
			args: []string{"--origin-id", "web"}, code: 0},
		{name: "origin-request Lambda@Edge", config: distConfig(t, "config", lambda("origin-request"), distOrigin("web", nil)), code: 1,
			fail: []string{"distribution.unsupported-features"}, observe: "Lambda@Edge origin-request trigger on behaviour default (*)"},
		{name: "match-viewer", config: distConfig(t, "config", nil, distOrigin("web", set("OriginProtocolPolicy", "match-viewer"))), code: 1,
			fail: []string{"distribution.https-only"}, observe: "OriginProtocolPolicy match-viewer"},
		{name: "TLSv1 allowed", config: distConfig(t, "config", nil, distOrigin("web", set("OriginSslProtocols", map[string]any{"Quantity": 2, "Items": []any{"TLSv1", "TLSv1.2"}}))), code: 0,
			warn: []string{"distribution.tls-versions"}, observe: "negotiated TLS 1.2; the distribution also allows TLS 1.0"},
		{name: "TLSv1 only", config: distConfig(t, "config", nil, distOrigin("web", set("OriginSslProtocols", map[string]any{"Quantity": 1, "Items": []any{"TLSv1"}}))), code: 1,
			fail: []string{"distribution.tls-versions"}, observe: "the origin accepts none of the versions the distribution allows (TLSv1)"},
		{name: "keep-alive 30 s, origin closes after 5 s", config: distConfig(t, "config", nil, distOrigin("web", set("OriginKeepaliveTimeout", 30))),
			srv: origin.Config{Profile: origin.ShortIdleTimeout, IdleTimeout: 5 * time.Second}, code: 1,
			fail: []string{"distribution.keepalive-vs-origin"}, observe: "the origin closed the idle connection after about 5."},
		{name: "no OriginMtlsConfig", config: distConfig(t, "config", nil, distOrigin("web", func(_, c map[string]any) { delete(c, "OriginMtlsConfig") })), code: 1,
			fail: []string{"distribution.mtls-configured"}, observe: "origin web has no OriginMtlsConfig"},
		{name: "origin trusts Cloudflare's shared CA", config: distConfig(t, "config", nil, distOrigin("web", nil)), args: []string{"--label-filter", "distribution || identity"},
			srv: origin.Config{ExtraClientCAs: []*x509.Certificate{sharedCDNCA(t)}}, code: 0,
			warn: []string{"identity.shared-cdn-certificate"}, observe: "the origin accepts client certificates from origin-pull.cloudflare.net"},
	}
	calls := make([]clitest.Call, len(cases))
	for i, c := range cases {
		cfg := c.srv
		cfg.PKI = pki
		srv := startOrigin(t, cfg)
		out := filepath.Join(t.TempDir(), "out")
		calls[i] = clitest.Call{Out: out, Args: append([]string{"conform", "--pki", pkiDir, "--distribution-config", c.config, "--connect-to", srv.Addr(), "--out", out, "--label-filter", "distribution"}, c.args...)}
	}
	results := clitest.RunAll(binary, 2*time.Minute, calls)
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := results[i]
			judged := r.Want(t, c.code)
			if !slices.Equal(judged.Fail, c.fail) || !slices.Equal(judged.Warn, c.warn) {
				t.Errorf("failed %v, warned %v; want %v, %v\n%s", judged.Fail, judged.Warn, c.fail, c.warn, r.Output)
			}
			observed := ""
			for _, ch := range r.Summary.Checks {
				if observed == "" && (ch.Status == checks.StatusFail || ch.Status == checks.StatusWarn) {
					observed = ch.Observed
				}
				if ch.Group == "distribution" && ch.Status == checks.StatusSkip && ch.ID != "distribution.read-timeout" {
					t.Errorf("%s skipped with a distribution config: %s", ch.ID, ch.Detail)
				}
			}
			if c.observe != "" && !strings.Contains(observed, c.observe) {
				t.Errorf("observed %q, want %q", observed, c.observe)
			}
			if d, ok := r.Summary.Config["distribution"].(map[string]any); !ok || d["origin_id"] != "web" {
				t.Errorf("summary config: %v", r.Summary.Config["distribution"])
			}
			if r.Took > 30*time.Second {
				t.Errorf("took %v", r.Took)
			}
			noSecret(t, calls[i].Out)
		})
	}

	t.Run("several origins without --origin-id", func(t *testing.T) {
		cmd := exec.Command(binary, "conform", "--pki", pkiDir, "--out", t.TempDir(), "--connect-to", "127.0.0.1:9",
			"--distribution-config", distConfig(t, "config", nil, distOrigin("api", nil), distOrigin("web", nil)))
		b, _ := cmd.CombinedOutput()
		if cmd.ProcessState.ExitCode() != 2 || !strings.Contains(string(b), "--origin-id: the distribution has 2 origins (api, web)") {
			t.Errorf("exit %d: %s", cmd.ProcessState.ExitCode(), b)
		}
	})
}

// TestCertifyGeneratedScenario: the scenario written for a distribution's
// origin passes certify against the strict origin; against an origin
// slower than OriginReadTimeout it fails distribution.read-timeout. No
// output holds the header value.
func TestCertifyGeneratedScenario(t *testing.T) {
	if testing.Short() {
		t.Skip("runs certify with load")
	}
	pkiDir, pki := testenv.WritePKI(t)
	cases := []struct {
		name       string
		readSecs   int
		delay      time.Duration
		code       int
		readStatus checks.Status
	}{
		{"strict origin", 30, 0, 0, checks.StatusPass},
		{"origin slower than OriginReadTimeout", 1, 1500 * time.Millisecond, 1, checks.StatusFail},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := startOrigin(t, origin.Config{PKI: pki, ResponseDelay: c.delay})
			config := distConfig(t, "distribution", nil, distOrigin("web", func(_, cu map[string]any) { cu["OriginReadTimeout"] = c.readSecs }))
			data, err := os.ReadFile(config)
			if err != nil {
				t.Fatal(err)
			}
			d, err := cloudfront.ParseDistributionConfig(data)
			if err != nil {
				t.Fatal(err)
			}
			o, err := d.Origin("web")
			if err != nil {
				t.Fatal(err)
			}
			// The generated scenario, pointed at the reference origin and made short.
			s := scenarios.FromCloudFront(config, o)
			s.Target.ConnectTo, s.PKI.Dir, s.Policy.LabelFilter = srv.Addr(), pkiDir, "distribution"
			s.Load.Phases = s.Load.Phases[1:2]
			s.Load.Phases[0].Rate, s.Load.Phases[0].Duration = 10, &scenarios.Duration{Duration: 2 * time.Second}
			y, err := s.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			path := filepath.Join(dir, "gate.yaml")
			if err := os.WriteFile(path, y, 0o644); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "out")
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			r := clitest.Run(ctx, binary, out, "certify", path, "--out", out)
			if r.Code != c.code {
				t.Fatalf("exit %d, want %d\n%s\n%s", r.Code, c.code, y, r.Output)
			}
			if r.Err != nil {
				t.Fatal(r.Err)
			}
			sum := r.Summary
			for _, ch := range sum.Checks {
				if ch.ID == "distribution.read-timeout" && ch.Status != c.readStatus {
					t.Errorf("%s: %s (%s), want %s", ch.ID, ch.Status, ch.Observed, c.readStatus)
				}
				if ch.Group == "distribution" && ch.ID != "distribution.read-timeout" && ch.Status != checks.StatusPass {
					t.Errorf("%s: %s (%s)", ch.ID, ch.Status, ch.Observed)
				}
			}
			if sum.Load == nil || sum.Load.Config == nil || time.Duration(sum.Load.Config.ReadTimeout) != time.Duration(c.readSecs)*time.Second {
				t.Errorf("the load did not take the distribution's read timeout: %+v", sum.Load)
			}
			if strings.Contains(r.Output, headerSecret) {
				t.Error("the header value was printed")
			}
			noSecret(t, out)
		})
	}
}

// TestCDNPresets: --cdn picks the rules cloudfront-cert.profile applies
// (Google Cloud refuses a SHA-1 signature; Cloudflare documents no rules,
// so the check is skipped with why), and the summary names the CDN.
func TestCDNPresets(t *testing.T) {
	if testing.Short() {
		t.Skip("runs conform against the reference origin")
	}
	pkiDir, pki := testenv.WritePKI(t)
	srv := startOrigin(t, origin.Config{PKI: pki})
	sha1 := filepath.Join(pkiDir, "clients", "strength.sha1-signature")
	for _, tt := range []struct {
		cdn, identity string
		code          int
		status        checks.Status
		observe       string
	}{
		{"google", sha1, 1, checks.StatusFail, "-SHA1 signature (want SHA-256 or stronger)"},
		{"google", filepath.Join(pkiDir, "clients", "chain.valid"), 0, checks.StatusPass, "ECDSA P-256"},
		{"cloudflare", sha1, 1, checks.StatusSkip, ""},
	} {
		t.Run(tt.cdn+"/"+filepath.Base(tt.identity), func(t *testing.T) {
			out := t.TempDir()
			r := clitest.Run(context.Background(), binary, out, "conform", "--pki", pkiDir, "--target", srv.URL(), "--connect-to", srv.Addr(), "--out", out, "--cdn", tt.cdn,
				"--cloudfront-cert", filepath.Join(tt.identity, "cert.pem"), "--cloudfront-key", filepath.Join(tt.identity, "key.pem"), "--label-filter", "cloudfront-cert")
			if r.Code != tt.code || r.Err != nil {
				t.Fatalf("exit %d, want %d (%v)\n%s", r.Code, tt.code, r.Err, r.Output)
			}
			sum := r.Summary
			if sum.Config["cdn"] != tt.cdn {
				t.Errorf("summary cdn %v", sum.Config["cdn"])
			}
			for _, c := range sum.Checks {
				if c.ID != "cloudfront-cert.profile" {
					continue
				}
				if c.Status != tt.status || !strings.Contains(c.Observed, tt.observe) {
					t.Errorf("%s: %s %q, want %s %q", c.ID, c.Status, c.Observed, tt.status, tt.observe)
				}
				if tt.status == checks.StatusSkip && !strings.Contains(c.Detail, "Cloudflare's documentation states no key type") {
					t.Errorf("skipped without the reason: %q", c.Detail)
				}
			}
		})
	}
}

package cdn

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/originproof/originproof/cloudfront"
	"github.com/originproof/originproof/internal/testcert"
)

func TestNamesAndLookup(t *testing.T) {
	if got := Names(); !slices.Equal(got, []string{"cloudfront", "akamai", "cloudflare", "fastly", "google"}) {
		t.Errorf("names %v", got)
	}
	for _, n := range Names() {
		if p, err := Lookup(n); err != nil || p.Name != n {
			t.Errorf("Lookup(%s) = %v, %v", n, p, err)
		}
	}
	if _, err := Lookup("azure-front-door"); err == nil || !strings.Contains(err.Error(), "documents no client certificate towards origins") {
		t.Errorf("azure-front-door: %v", err)
	}
	if _, err := Lookup("edgio"); err == nil || !strings.Contains(err.Error(), "(cloudfront, akamai, cloudflare, fastly, google)") {
		t.Errorf("unknown: %v", err)
	}
	if Or(nil) != CloudFront || Or(Fastly) != Fastly {
		t.Error("Or")
	}
}

// TestCloudFrontFromPackageCloudfront: CloudFront's preset restates nothing.
func TestCloudFrontFromPackageCloudfront(t *testing.T) {
	p := CloudFront.Pool
	if p.Keepalive.DurationRange != cloudfront.KeepaliveTimeout || p.ReadTimeout.DurationRange != cloudfront.ReadTimeout || p.ConnectTimeout.DurationRange != cloudfront.ConnectionTimeout {
		t.Error("durations differ from package cloudfront")
	}
	if p.ConnectAttempts.IntRange != cloudfront.ConnectionAttempts {
		t.Errorf("attempts %+v", p.ConnectAttempts)
	}
	for _, d := range []time.Duration{0, time.Second, 500 * time.Second} {
		a, b := p.Keepalive.Check(d), cloudfront.KeepaliveTimeout.Check(d)
		if (a == nil) != (b == nil) || (a != nil && a.Error() != b.Error()) {
			t.Errorf("Check(%v): %v, cloudfront says %v", d, a, b)
		}
	}
	if a, b := p.ConnectAttempts.Check(4), cloudfront.ConnectionAttempts.Check(4); a == nil || a.Error() != b.Error() {
		t.Errorf("attempts: %v vs %v", a, b)
	}
	for _, h := range []string{"via", "X-Amz-Cf-Id", "Host", "X-Origin-Verify", "CF-Ray"} {
		if CloudFront.IsGenerated(h) != cloudfront.IsGeneratedHeader(h) {
			t.Errorf("IsGenerated(%s) differs from cloudfront's", h)
		}
	}
	e := CloudFront.NewEdge()
	h := http.Header{}
	id := e.Apply(h)
	if h.Get("User-Agent") != cloudfront.UserAgent || h.Get("Via") != cloudfront.Via(e.ID) || h.Get("X-Amz-Cf-Id") != id || len(id) != 56 {
		t.Errorf("headers %v, id %q", h, id)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	cert := selfSigned(t, key, x509.ECDSAWithSHA384)
	if got, want := CloudFront.Certificate.Problems(cert, nil, nil), cloudfront.CertificateProblems(cert, nil, nil); !slices.Equal(got, want) || len(got) == 0 {
		t.Errorf("problems %v, cloudfront says %v", got, want)
	}
	if len(CloudFront.Unconfirmed()) != 0 {
		t.Errorf("CloudFront's values are all documented: %v", CloudFront.Unconfirmed())
	}
}

// ownDocs are the documentation hosts each CDN's facts must come from.
var ownDocs = map[string]string{
	"cloudfront": "https://docs.aws.amazon.com/", "cloudflare": "https://developers.cloudflare.com/", "akamai": "https://techdocs.akamai.com/",
	"fastly": "https://www.fastly.com/documentation/", "google": "https://cloud.google.com/",
}

// TestPresetsWellFormed: every default within its range, every value either
// from the CDN's own documentation or marked as an assumption.
func TestPresetsWellFormed(t *testing.T) {
	for _, n := range Names() {
		p, _ := Lookup(n)
		own := ownDocs[n]
		if own == "" || p.Title == "" || p.Feature == "" || !strings.HasPrefix(p.Source, own) {
			t.Errorf("%s: title %q, feature %q, source %q (want %s…)", n, p.Title, p.Feature, p.Source, own)
		}
		for _, d := range []Duration{p.Pool.Keepalive, p.Pool.ReadTimeout, p.Pool.ConnectTimeout} {
			if d.Check(d.Default) != nil || d.Check(d.Min) != nil || d.Check(d.Max) != nil || d.Check(d.Min-time.Millisecond) == nil || d.Check(d.Max+time.Second) == nil {
				t.Errorf("%s %s: default %v outside %s, or the bounds do not hold", n, d.Name, d.Default, d.Range())
			}
			if d.Confirmed() != strings.HasPrefix(d.Source, own) || (!d.Confirmed() && !strings.Contains(d.Note, "not confirmed")) {
				t.Errorf("%s %s: source %q, note %q", n, d.Name, d.Source, d.Note)
			}
		}
		for _, c := range []Count{p.Pool.ConnectAttempts, p.Pool.MaxConns} {
			if c.Default != 0 && (c.Check(c.Default) != nil || (c.Source == "" && !strings.Contains(c.Note, "not confirmed"))) {
				t.Errorf("%s %s: %+v", n, c.Name, c)
			}
		}
		if h := p.Headers; (h.Source == "") == (h.Fixed != nil) || (h.Source != "" && !strings.HasPrefix(h.Source, own)) || (h.Source == "" && h.Note == "") {
			t.Errorf("%s: headers from %q, note %q", n, h.Source, h.Note)
		}
		if c := p.Certificate; (c.Problems == nil && c.Unconfirmed == "") || (c.Problems != nil && c.Rules == "") || !strings.HasPrefix(c.Source, own) {
			t.Errorf("%s: certificate rules %+v", n, c)
		}
		if s := p.Shared; s != nil && (!strings.HasPrefix(s.Source, own) || s.Fix == "") {
			t.Errorf("%s: shared certificate %+v", n, s)
		}
	}
	for n, why := range NoOriginCertificate {
		if !strings.Contains(why, "https://learn.microsoft.com/") || presets[n] != nil {
			t.Errorf("%s: %s", n, why)
		}
	}
}

func TestHeaders(t *testing.T) {
	for _, tt := range []struct {
		p    *Preset
		id   *regexp.Regexp
		want []string
	}{
		{Cloudflare, regexp.MustCompile(`^[0-9a-f]{16}-[A-Z]{3}$`), []string{"Cdn-Loop", "Cf-Connecting-Ip", "Cf-Ray", "Cf-Visitor", "X-Forwarded-For", "X-Forwarded-Proto"}},
		{Fastly, regexp.MustCompile(`^[0-9]+$`), []string{"Cdn-Loop", "Fastly-Client-Ip", "X-Forwarded-For", "X-Varnish"}},
		{Akamai, nil, nil},
		{Google, nil, nil},
	} {
		e := tt.p.NewEdge()
		var names []string
		for _, f := range e.Fields() {
			names = append(names, f.Name)
		}
		if !slices.Equal(names, tt.want) {
			t.Errorf("%s: headers %v, want %v", tt.p.Name, names, tt.want)
		}
		h := http.Header{}
		id := e.Apply(h)
		if (tt.id == nil) != (id == "") || (tt.id != nil && !tt.id.MatchString(id)) {
			t.Errorf("%s: request id %q", tt.p.Name, id)
		}
		if tt.id != nil && id == e.Apply(http.Header{}) {
			t.Errorf("%s: the request id does not change", tt.p.Name)
		}
		for _, n := range tt.want {
			if !tt.p.IsGenerated(n) {
				t.Errorf("%s: %s is not counted as generated", tt.p.Name, n)
			}
		}
		if tt.p.IsGenerated("X-Origin-Verify") || !tt.p.IsGenerated("host") {
			t.Errorf("%s: IsGenerated", tt.p.Name)
		}
	}
	// Fixed values are shared between requests, never rebuilt.
	e := Cloudflare.NewEdge()
	a, b := http.Header{}, http.Header{}
	e.Apply(a)
	e.Apply(b)
	if &a["Cdn-Loop"][0] != &b["Cdn-Loop"][0] {
		t.Error("fixed header values are copied per request")
	}
}

func selfSigned(t *testing.T, key crypto.Signer, sig x509.SignatureAlgorithm) *x509.Certificate {
	t.Helper()
	return testcert.SelfSigned(t, key, &x509.Certificate{Subject: pkix.Name{CommonName: "edge"}, SignatureAlgorithm: sig, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
}

// TestCertificateRules: each documented rule refuses what it names, and a
// CDN that documents none checks nothing (the check is skipped with why).
func TestCertificateRules(t *testing.T) {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	good := selfSigned(t, rsaKey, x509.SHA256WithRSA)
	sha1 := selfSigned(t, rsaKey, x509.SHA1WithRSA)
	ed := selfSigned(t, edKey, x509.PureEd25519)
	ec384 := selfSigned(t, p384, x509.ECDSAWithSHA384)
	for _, tt := range []struct {
		p    *Preset
		cert *x509.Certificate
		want string // "" = no problem
	}{
		{Akamai, good, ""}, {Akamai, ec384, ""}, {Akamai, ed, "Ed25519 key (want RSA or ECDSA)"}, {Akamai, sha1, ""},
		{Google, good, ""}, {Google, ec384, ""}, {Google, ed, "Ed25519 key"}, {Google, sha1, "SHA1-RSA signature (want SHA-256 or stronger)"},
		{CloudFront, ec384, "ECDSA P-384 key"},
	} {
		got := strings.Join(tt.p.Certificate.Problems(tt.cert, nil, nil), "; ")
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("%s, %s: %q, want %q", tt.p.Name, tt.cert.SignatureAlgorithm, got, tt.want)
		}
	}
	for _, p := range []*Preset{Cloudflare, Fastly} {
		if p.Certificate.Problems != nil || !strings.Contains(p.Certificate.Unconfirmed, "none is checked") {
			t.Errorf("%s documents no certificate rules", p.Name)
		}
	}
}

func TestShared(t *testing.T) {
	if got := Shared(); len(got) != 1 || got[0] != Cloudflare {
		t.Fatalf("shared certificates: %v", got)
	}
	s := Cloudflare.Shared
	if !s.Matches(s.Issuer) {
		t.Error("the issuer does not match itself")
	}
	other := s.Issuer
	other.OrganizationalUnit = []string{"Zone Pull"}
	if s.Matches(other) || s.Matches(pkix.Name{CommonName: s.Issuer.CommonName}) {
		t.Error("a name that only shares the common name matches")
	}
}

func TestDefaults(t *testing.T) {
	d := Cloudflare.Defaults(nil)
	if d.Keepalive != 900*time.Second || d.ReadTimeout != 120*time.Second || d.ConnectTimeout != 19*time.Second || d.MaxConns != 0 {
		t.Errorf("cloudflare %+v", d)
	}
	if d := Fastly.Defaults(nil); d.MaxConns != 200 || d.ReadTimeout != 15*time.Second {
		t.Errorf("fastly %+v", d)
	}
	o := &cloudfront.Origin{KeepaliveTimeout: 30 * time.Second, ReadTimeout: time.Minute, ConnectionTimeout: 4 * time.Second, ConnectionAttempts: 2, OriginShield: true}
	if d := CloudFront.Defaults(o); d.Keepalive != 30*time.Second || d.ReadTimeout != time.Minute || d.ConnectTimeout != 4*time.Second || d.ConnectAttempts != 2 || !d.OriginShield {
		t.Errorf("with a distribution %+v", d)
	}
	if d := CloudFront.Defaults(nil); d.Keepalive != cloudfront.KeepaliveTimeout.Default || d.OriginShield {
		t.Errorf("cloudfront %+v", d)
	}
	for _, p := range []*Preset{Akamai, Fastly, Google} {
		if len(p.Unconfirmed()) == 0 {
			t.Errorf("%s: its assumptions are not listed", p.Name)
		}
	}
}

// TestDocsCiteTheSources: docs/cdns.md names every preset and cites every
// source the presets use.
func TestDocsCiteTheSources(t *testing.T) {
	data, err := os.ReadFile("../docs/cdns.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	for _, n := range Names() {
		p, _ := Lookup(n)
		sources := []string{p.Source, p.Headers.Source, p.Certificate.Source}
		for _, d := range []Duration{p.Pool.Keepalive, p.Pool.ReadTimeout, p.Pool.ConnectTimeout} {
			sources = append(sources, d.Source)
		}
		if p.Shared != nil {
			sources = append(sources, p.Shared.Source)
		}
		for _, s := range sources {
			if s != "" && !strings.Contains(doc, s) {
				t.Errorf("docs/cdns.md does not cite %s (%s)", s, n)
			}
		}
		if !strings.Contains(doc, "`--cdn "+n+"`") {
			t.Errorf("docs/cdns.md does not show --cdn %s", n)
		}
	}
	if !strings.Contains(doc, DocAzureFrontDoorEndToEnd) {
		t.Error("docs/cdns.md does not cite Azure Front Door")
	}
}

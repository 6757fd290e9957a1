package cloudfront

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/originproof/originproof/internal/testcert"
)

func TestRanges(t *testing.T) {
	for _, r := range []DurationRange{KeepaliveTimeout, ReadTimeout, ConnectionTimeout} {
		if r.Check(r.Default) != nil || r.Check(r.Min) != nil || r.Check(r.Max) != nil {
			t.Errorf("%s: default or bounds refused", r.Name)
		}
		if r.Check(r.Min-time.Millisecond) == nil || r.Check(r.Max+time.Second) == nil {
			t.Errorf("%s: out of range accepted", r.Name)
		}
		if r.APIMax != 0 && (r.APIMax > r.Max || r.Note == "") {
			t.Errorf("%s: API maximum %v beyond %v, or no note on why the range is wider", r.Name, r.APIMax, r.Max)
		}
	}
	if err := KeepaliveTimeout.Check(10 * time.Minute); err == nil || !strings.Contains(err.Error(), "CloudFront allows 1s-180s") {
		t.Errorf("keep-alive 10m: %v", err)
	}
	if ConnectionAttempts.Check(0) == nil || ConnectionAttempts.Check(4) == nil || ConnectionAttempts.Check(3) != nil {
		t.Error("connection attempts 1-3")
	}
	if CheckResponseCompletionTimeout(10*time.Second, 30*time.Second) == nil || CheckResponseCompletionTimeout(0, 30*time.Second) != nil {
		t.Error("response completion timeout must be at least the read timeout (or unset)")
	}
	if !Retried("GET") || !Retried("HEAD") || Retried("POST") {
		t.Error("only GET and HEAD are retried")
	}
}

// TestTLSLists: the generator's offer is part of the compatible set; every
// suite Go implements is a suite Go knows; legacy RSA key exchange suites
// are in the compatible set only.
func TestTLSLists(t *testing.T) {
	known := map[uint16]bool{}
	for _, s := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		known[s.ID] = true
	}
	for _, s := range TLS12Suites {
		if s.ID != 0 && !known[s.ID] {
			t.Errorf("%s: id %#x unknown to Go", s.OpenSSL, s.ID)
		}
		if s.ID != 0 && !slices.Contains(TLS12Compatible, s.ID) {
			t.Errorf("%s missing from the compatible set", s.OpenSSL)
		}
		if s.ID != 0 && s.ECDHE != slices.Contains(TLS12Offer, s.ID) {
			t.Errorf("%s: ECDHE %v, in the offer %v", s.OpenSSL, s.ECDHE, slices.Contains(TLS12Offer, s.ID))
		}
	}
	if len(TLS12Offer) != 10 || len(TLS12Compatible) != 13 {
		t.Errorf("offer %d suites, compatible set %d", len(TLS12Offer), len(TLS12Compatible))
	}
	for name := range OriginSSLProtocols {
		if _, err := ParseOriginSSLProtocol(name); err != nil {
			t.Error(err)
		}
	}
	if v, _ := ParseOriginSSLProtocol("TLSv1.2"); v != tls.VersionTLS12 {
		t.Error("TLSv1.2")
	}
	if _, err := ParseOriginSSLProtocol("TLSv1.3"); err == nil {
		t.Error("TLSv1.3 is not an OriginSslProtocols value")
	}
}

func TestHeaders(t *testing.T) {
	id := NewRequestID()
	if !regexp.MustCompile(`^[A-Za-z0-9_-]{56}$`).MatchString(id) || id == NewRequestID() {
		t.Errorf("request id %q", id)
	}
	via := Via(NewEdgeID())
	if !regexp.MustCompile(`^1\.1 [0-9a-f]{32}\.cloudfront\.net \(CloudFront\)$`).MatchString(via) {
		t.Errorf("via %q", via)
	}
	if !IsGeneratedHeader("x-amz-cf-id") || !IsGeneratedHeader("HOST") || IsGeneratedHeader("X-Origin-Verify") {
		t.Error("generated headers")
	}
}

func selfSigned(t *testing.T, key crypto.Signer, mutate func(*x509.Certificate)) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{Subject: pkix.Name{CommonName: "cf"}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, DNSNames: []string{"cf.test"}}
	if mutate != nil {
		mutate(tmpl)
	}
	return testcert.SelfSigned(t, key, tmpl)
}

func TestCertificateProblems(t *testing.T) {
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	rsa2048, _ := rsa.GenerateKey(rand.Reader, 2048)
	good := selfSigned(t, p256, nil)
	if p := CertificateProblems(good, nil, p256); len(p) != 0 {
		t.Errorf("a good certificate: %v", p)
	}
	if p := CertificateProblems(selfSigned(t, rsa2048, nil), nil, rsa2048); len(p) != 0 {
		t.Errorf("RSA 2048: %v", p)
	}
	for _, tt := range []struct {
		name  string
		cert  *x509.Certificate
		chain []*x509.Certificate
		want  string
	}{
		{"P-384 key", selfSigned(t, p384, nil), nil, "ECDSA P-384 key"},
		{"no clientAuth", selfSigned(t, p256, func(c *x509.Certificate) { c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth} }), nil, "no clientAuth"},
		{"SHA-1", selfSigned(t, rsa2048, func(c *x509.Certificate) { c.SignatureAlgorithm = x509.SHA1WithRSA }), nil, "SHA1-RSA signature"},
		{"too deep", good, []*x509.Certificate{selfSigned(t, p256, func(c *x509.Certificate) { c.Subject.CommonName = "a" }), selfSigned(t, p256, func(c *x509.Certificate) { c.Subject.CommonName = "b" }), selfSigned(t, p256, func(c *x509.Certificate) { c.Subject.CommonName = "c" })}, "chain depth 4"},
	} {
		p := CertificateProblems(tt.cert, tt.chain, nil)
		if !strings.Contains(strings.Join(p, "; "), tt.want) {
			t.Errorf("%s: problems %v, want %q", tt.name, p, tt.want)
		}
	}
	if d := ChainDepth(good, nil); d != 1 {
		t.Errorf("depth of a self-signed leaf = %d", d)
	}
}

package conformance

import (
	"crypto/x509"
	"strings"
	"testing"
	"time"

	"github.com/originproof/originproof/checks"
	"github.com/originproof/originproof/internal/testenv"
)

func TestCRLHorizon(t *testing.T) {
	now := time.Now()
	crl := func(name string, next time.Time) *x509.RevocationList {
		l := &x509.RevocationList{NextUpdate: next}
		l.Issuer.CommonName = name
		return l
	}
	for _, tt := range []struct {
		name    string
		crls    []*x509.RevocationList
		finding bool
		says    string
	}{
		{"all beyond the horizon", []*x509.RevocationList{crl("a", now.Add(90*24*time.Hour)), crl("b", now.Add(60*24*time.Hour))}, false, "the first to go stale: b's"},
		{"one within", []*x509.RevocationList{crl("a", now.Add(90*24*time.Hour)), crl("b", now.Add(10*24*time.Hour))}, true, "1 of 2 CRLs go stale within 30 days: b"},
		{"one stale already", []*x509.RevocationList{crl("a", now.Add(-time.Hour))}, true, "1 of 1 CRLs"},
		{"no nextUpdate", []*x509.RevocationList{crl("a", time.Time{})}, false, "none with a nextUpdate"},
	} {
		o := crlHorizon(tt.crls, now)
		if o.finding != tt.finding || !strings.Contains(o.observed, tt.says) {
			t.Errorf("%s: finding %v, %q; want %v, %q", tt.name, o.finding, o.observed, tt.finding, tt.says)
		}
	}
}

func TestChainExpiryFindsTheRoot(t *testing.T) {
	p := testenv.PKI(t)
	good := p.Identity("chain.valid")
	// The intermediate given: the root is looked up in the bundle, and the
	// one that expires first is judged.
	o := chainExpiry(good.Leaf, good.Chain, p.ClientRoots())
	if o.status != "" || o.finding || !strings.Contains(o.detail, "2 CA certificate(s)") {
		t.Errorf("good chain: %+v", o)
	}
	// No chain given, and no root of the bundle issued the leaf: not judged.
	if o := chainExpiry(good.Leaf, nil, p.ClientRoots()); o.status != checks.StatusSkip {
		t.Errorf("leaf alone: %+v, want skip", o)
	}
	// An expired root above the chain fails it.
	expired := p.Identity("validity.root-expired")
	if o := chainExpiry(expired.Leaf, expired.Chain, p.ClientRoots()); !o.finding || !strings.Contains(o.observed, "expired") {
		t.Errorf("under the expired root: %+v", o)
	}
}

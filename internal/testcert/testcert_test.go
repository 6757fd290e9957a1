package testcert

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"
)

func TestSelfSigned(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{Subject: pkix.Name{CommonName: "test CA"}, IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	c := SelfSigned(t, key, tmpl)
	if tmpl.SerialNumber != nil || !tmpl.NotBefore.IsZero() {
		t.Error("the template was changed")
	}
	if c.SerialNumber.Cmp(big.NewInt(1)) != 0 || c.Subject.CommonName != "test CA" || !c.IsCA {
		t.Errorf("serial %v, subject %v, CA %v", c.SerialNumber, c.Subject, c.IsCA)
	}
	if now := time.Now(); !now.After(c.NotBefore) || !now.Before(c.NotAfter) || c.NotAfter.Sub(c.NotBefore) != 2*time.Hour {
		t.Errorf("valid %v to %v, want from an hour ago for two hours", c.NotBefore, c.NotAfter)
	}
	if err := c.CheckSignatureFrom(c); err != nil {
		t.Errorf("not signed by its own key: %v", err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(c)
	if _, err := c.Verify(x509.VerifyOptions{Roots: roots}); err != nil {
		t.Errorf("does not verify as its own root: %v", err)
	}

	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	notAfter := time.Now().Add(24 * time.Hour).Truncate(time.Second)
	c = SelfSigned(t, edKey, &x509.Certificate{SerialNumber: big.NewInt(7), NotAfter: notAfter})
	if c.SerialNumber.Int64() != 7 || !c.NotAfter.Equal(notAfter) || c.PublicKeyAlgorithm != x509.Ed25519 {
		t.Errorf("serial %v, not after %v (want %v), key %v", c.SerialNumber, c.NotAfter, notAfter, c.PublicKeyAlgorithm)
	}
}

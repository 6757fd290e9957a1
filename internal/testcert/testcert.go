// Package testcert signs the one-off certificates tests build beside the
// catalogue's (fixtures generates those): a template signed by its own
// key. It imports the standard library only, so the tests of every
// package, cloudfront and fixtures included, can use it.
package testcert

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"math/big"
	"testing"
	"time"
)

// SelfSigned signs a copy of tmpl with key, as its own issuer, and returns
// the parsed certificate; the test fails on any error. A template without
// a serial number gets 1, one without a validity window is valid from an
// hour ago for two hours.
func SelfSigned(t testing.TB, key crypto.Signer, tmpl *x509.Certificate) *x509.Certificate {
	t.Helper()
	c := *tmpl
	if c.SerialNumber == nil {
		c.SerialNumber = big.NewInt(1)
	}
	if c.NotBefore.IsZero() {
		c.NotBefore = time.Now().Add(-time.Hour)
	}
	if c.NotAfter.IsZero() {
		c.NotAfter = c.NotBefore.Add(2 * time.Hour)
	}
	der, err := x509.CreateCertificate(rand.Reader, &c, &c, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

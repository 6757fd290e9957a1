// Package clientcert loads the client certificate a user will import into
// ACM for CloudFront origin mTLS — the real one, not a fixture — with its key
// and chain from PEM files, checking that the key matches.
package clientcert

import (
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	"github.com/originproof/originproof/fixtures"
)

// Load reads the user's real client certificate (the one to be imported
// into ACM), its key and optionally its chain from PEM files.
func Load(certFile, keyFile, chainFile string) (*fixtures.Identity, error) {
	certs, err := readCerts(certFile)
	if err != nil {
		return nil, err
	}
	if chainFile != "" {
		chain, err := readCerts(chainFile)
		if err != nil {
			return nil, err
		}
		certs = append(certs, chain...)
	}
	kdata, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", keyFile, unwrapPath(err))
	}
	key, err := fixtures.ParseKeyPEM(kdata, keyFile)
	if err != nil {
		return nil, err
	}
	if pub, ok := certs[0].PublicKey.(interface{ Equal(crypto.PublicKey) bool }); !ok || !pub.Equal(key.Public()) {
		return nil, fmt.Errorf("%s: private key does not match the certificate in %s", keyFile, certFile)
	}
	return &fixtures.Identity{CheckID: "cloudfront-cert", Leaf: certs[0], Chain: certs[1:], Key: key, Expect: "accept"}, nil
}

func readCerts(file string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, unwrapPath(err))
	}
	return fixtures.ParseCertsPEM(data, file)
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

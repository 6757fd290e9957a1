package loadgen

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"sync"
	"time"
)

// serverVerifier checks the origin's certificate chain as crypto/tls would
// (roots, intermediates as presented, the server name, serverAuth), and
// remembers the chains that passed by their exact bytes, so a pop pays for
// the signature checks once rather than on every handshake: with --reuse off
// they would be a fifth of the generator's CPU. A remembered chain is
// accepted only inside the validity window of every certificate on its
// verified path; outside it, or for any other bytes, it is verified in full.
type serverVerifier struct {
	roots *x509.CertPool // nil: the system roots
	name  string

	mu   sync.Mutex
	seen map[[sha256.Size]byte]window
}

// window is when every certificate of a verified path is valid.
type window struct{ notBefore, notAfter time.Time }

// maxRemembered bounds the cache: an origin fleet presents a handful of
// chains, not thousands; past the bound chains are verified every time.
const maxRemembered = 64

func newServerVerifier(roots *x509.CertPool, name string) *serverVerifier {
	return &serverVerifier{roots: roots, name: name, seen: map[[sha256.Size]byte]window{}}
}

// verifyConnection is a tls.Config.VerifyConnection for a config that sets
// InsecureSkipVerify: it is the only server verification such a config gets.
func (v *serverVerifier) verifyConnection(cs tls.ConnectionState) error {
	return v.verify(cs.PeerCertificates, time.Now())
}

func (v *serverVerifier) verify(certs []*x509.Certificate, now time.Time) error {
	if len(certs) == 0 {
		return errors.New("tls: the origin presented no certificate")
	}
	h := sha256.New()
	for _, c := range certs {
		h.Write(c.Raw)
	}
	var key [sha256.Size]byte
	h.Sum(key[:0])
	v.mu.Lock()
	w, ok := v.seen[key]
	v.mu.Unlock()
	if ok && !now.Before(w.notBefore) && !now.After(w.notAfter) {
		return nil
	}
	opts := x509.VerifyOptions{
		Roots:         v.roots,
		DNSName:       v.name,
		Intermediates: x509.NewCertPool(),
		CurrentTime:   now,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, c := range certs[1:] {
		opts.Intermediates.AddCert(c)
	}
	chains, err := certs[0].Verify(opts)
	if err != nil {
		// What crypto/tls returns for the same failure.
		return &tls.CertificateVerificationError{UnverifiedCertificates: certs, Err: err}
	}
	w = window{notBefore: chains[0][0].NotBefore, notAfter: chains[0][0].NotAfter}
	for _, c := range chains[0][1:] {
		if c.NotBefore.After(w.notBefore) {
			w.notBefore = c.NotBefore
		}
		if c.NotAfter.Before(w.notAfter) {
			w.notAfter = c.NotAfter
		}
	}
	v.mu.Lock()
	if len(v.seen) < maxRemembered {
		v.seen[key] = w
	}
	v.mu.Unlock()
	return nil
}

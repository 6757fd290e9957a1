package loadgen

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"testing"
	"time"

	"github.com/originproof/originproof/internal/testenv"
)

func serverChain(t *testing.T) []*x509.Certificate {
	t.Helper()
	var chain []*x509.Certificate
	for _, der := range testenv.PKI(t).ServerCertificate().Certificate {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		chain = append(chain, c)
	}
	if len(chain) < 2 {
		t.Fatalf("server chain has %d certificates, want leaf and intermediate", len(chain))
	}
	return chain
}

func TestServerVerifierRemembersOnlyWhatVerified(t *testing.T) {
	t.Parallel()
	pki := testenv.PKI(t)
	chain := serverChain(t)
	now := time.Now()
	leaf := chain[0]

	v := newServerVerifier(pki.ServerRootPool(), "origin.test")
	for i := 0; i < 3; i++ {
		if err := v.verify(chain, now); err != nil {
			t.Fatalf("good chain, try %d: %v", i, err)
		}
	}
	if len(v.seen) != 1 {
		t.Fatalf("remembered %d chains, want 1", len(v.seen))
	}
	// A remembered chain outside its window is verified again, and fails.
	err := v.verify(chain, leaf.NotAfter.Add(time.Minute))
	var cie x509.CertificateInvalidError
	if !errors.As(err, &cie) || cie.Reason != x509.Expired {
		t.Errorf("remembered chain after the leaf expired: %v, want x509 expired", err)
	}
	if err := v.verify(chain, leaf.NotBefore.Add(-time.Minute)); err == nil {
		t.Error("remembered chain before the leaf is valid: accepted")
	}
	// The same leaf without its intermediate is other bytes: verified, and fails.
	if err := v.verify(chain[:1], now); err == nil {
		t.Error("leaf without its intermediate: accepted")
	}

	tests := []struct {
		name  string
		v     *serverVerifier
		chain []*x509.Certificate
		want  any
	}{
		{"wrong name", newServerVerifier(pki.ServerRootPool(), "other.test"), chain, &x509.HostnameError{}},
		{"untrusted root", newServerVerifier(pki.ClientRootPool(), "origin.test"), chain, &x509.UnknownAuthorityError{}},
		{"no certificate", v, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.v.verify(tt.chain, now)
			if err == nil {
				t.Fatal("accepted")
			}
			if tt.want == nil {
				return
			}
			var cve *tls.CertificateVerificationError
			if !errors.As(err, &cve) {
				t.Fatalf("%T %v, want *tls.CertificateVerificationError as crypto/tls returns", err, err)
			}
			if classifyErr(err) != ErrServerCert {
				t.Errorf("class %q, want %q", classifyErr(err), ErrServerCert)
			}
			switch tt.want.(type) {
			case *x509.HostnameError:
				var he x509.HostnameError
				if !errors.As(err, &he) {
					t.Errorf("%v, want a hostname error", err)
				}
			case *x509.UnknownAuthorityError:
				var ue x509.UnknownAuthorityError
				if !errors.As(err, &ue) {
					t.Errorf("%v, want an unknown authority error", err)
				}
			}
			if len(tt.v.seen) != 0 && tt.v != v {
				t.Errorf("a chain that failed was remembered")
			}
		})
	}
}

func TestServerVerifierIsBounded(t *testing.T) {
	t.Parallel()
	v := newServerVerifier(testenv.PKI(t).ServerRootPool(), "origin.test")
	chain := serverChain(t)
	for i := 0; i < maxRemembered+10; i++ {
		// Distinct bytes that verify: the same chain with a copy of the
		// intermediate appended i times.
		c := append([]*x509.Certificate{}, chain...)
		for j := 0; j < i; j++ {
			c = append(c, chain[1])
		}
		if err := v.verify(c, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if len(v.seen) != maxRemembered {
		t.Errorf("remembered %d chains, want the bound %d", len(v.seen), maxRemembered)
	}
}

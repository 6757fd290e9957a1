package clientcert

import (
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/originproof/originproof/fixtures"
	"github.com/originproof/originproof/internal/testenv"
)

func TestLoad(t *testing.T) {
	pki := testenv.PKI(t)
	dir := t.TempDir()
	good := pki.Identity("chain.valid")
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	key, err := fixtures.KeyPEM(good.Key)
	if err != nil {
		t.Fatal(err)
	}
	otherKey, _ := fixtures.KeyPEM(pki.Identity("chain.untrusted-root").Key)
	leaf := write("leaf.pem", fixtures.CertsPEM(good.Leaf))
	chain := write("chain.pem", fixtures.CertsPEM(good.Chain...))
	full := write("full.pem", fixtures.CertsPEM(append([]*x509.Certificate{good.Leaf}, good.Chain...)...))
	keyFile, other := write("key.pem", key), write("other.pem", otherKey)

	id, err := Load(leaf, keyFile, chain)
	if err != nil || len(id.Chain) != len(good.Chain) || !id.Leaf.Equal(good.Leaf) {
		t.Fatalf("leaf + chain files: %v", err)
	}
	if id, err := Load(full, keyFile, ""); err != nil || len(id.Chain) != len(good.Chain) {
		t.Fatalf("chain in the certificate file: %v", err)
	}
	for _, tt := range []struct{ cert, key, chain, want string }{
		{leaf, other, "", "does not match"},
		{filepath.Join(dir, "none.pem"), keyFile, "", "no such file"},
		{leaf, keyFile, filepath.Join(dir, "none.pem"), "no such file"},
		{keyFile, keyFile, "", "no PEM certificate"},
	} {
		if _, err := Load(tt.cert, tt.key, tt.chain); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Load(%s, %s, %s) = %v, want %q", tt.cert, tt.key, tt.chain, err, tt.want)
		}
	}
}

package clientcert

import (
	"crypto"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/originproof/originproof/fixtures"
	"github.com/originproof/originproof/internal/testenv"
)

// FuzzLoad loads the user's certificate, key and chain from fuzzed PEM
// files: an identity whose key matches its leaf, or an error naming a file.
func FuzzLoad(f *testing.F) {
	pki := testenv.PKI(f)
	good := pki.Identity("chain.valid")
	key, err := fixtures.KeyPEM(good.Key)
	if err != nil {
		f.Fatal(err)
	}
	other, _ := fixtures.KeyPEM(pki.Identity("chain.untrusted-root").Key)
	leaf, chain := fixtures.CertsPEM(good.Leaf), fixtures.CertsPEM(good.Chain...)
	f.Add(leaf, key, chain)
	f.Add(append(leaf, chain...), key, []byte(nil))
	f.Add(leaf, other, chain)
	f.Add(key, leaf, []byte("garbage"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, certPEM, keyPEM, chainPEM []byte) {
		paths := map[string]string{}
		for name, data := range map[string][]byte{"cert.pem": certPEM, "key.pem": keyPEM, "chain.pem": chainPEM} {
			paths[name] = filepath.Join(dir, name)
			if err := os.WriteFile(paths[name], data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		chainFile := paths["chain.pem"]
		if len(chainPEM) == 0 {
			chainFile = ""
		}
		id, err := Load(paths["cert.pem"], paths["key.pem"], chainFile)
		if err != nil {
			if !strings.Contains(err.Error(), dir) {
				t.Fatalf("error names no file: %v", err)
			}
			return
		}
		pub, ok := id.Leaf.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
		if !ok || !pub.Equal(id.Key.Public()) {
			t.Fatal("loaded a key that does not match the leaf")
		}
	})
}

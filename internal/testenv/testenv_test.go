package testenv

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/originproof/originproof/fixtures"
)

func TestPKIIsGeneratedOnce(t *testing.T) {
	a, b := PKI(t), PKI(t)
	if a != b {
		t.Error("two calls generated two PKIs")
	}
	if a.ServerName != ServerName || a.Identity("chain.valid") == nil {
		t.Errorf("PKI for %q without the good identity", a.ServerName)
	}
}

func TestWritePKIReadsBack(t *testing.T) {
	dir, pki := WritePKI(t)
	other, _ := WritePKI(t)
	if dir == other {
		t.Fatalf("two tests' directories are one: %s", dir)
	}
	back, err := fixtures.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"chain.valid", "rotation.next-accepted"} {
		if got, want := fixtures.Fingerprint(back.Identity(id).Leaf), fixtures.Fingerprint(pki.Identity(id).Leaf); got != want {
			t.Errorf("%s: read back %s, want %s", id, got, want)
		}
	}
	st, err := os.Stat(filepath.Join(dir, fixtures.FileServerKey))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("%s is %v, want 0600", fixtures.FileServerKey, st.Mode().Perm())
	}
}

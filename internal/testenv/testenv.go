// Package testenv is what the repository's tests share: one test PKI for
// origin.test, generated once per test binary; that PKI written to a test's
// temporary directory as `originproof pki init` lays it out; and a TestMain
// that builds the originproof binary for tests that run it as a child
// process. It imports fixtures and the standard library only, so the tests
// of every package above fixtures can use it (those of fixtures itself
// cannot: the import would be a cycle).
package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/originproof/originproof/fixtures"
)

// ServerName is the origin name the shared test PKI is for.
const ServerName = "origin.test"

var (
	pkiOnce sync.Once
	pkiVal  *fixtures.PKI
	pkiErr  error
)

// PKI returns the shared test PKI for ServerName, generated on first use.
// Tests read it and never change it: every test of the binary sees the same one.
func PKI(t testing.TB) *fixtures.PKI {
	t.Helper()
	pkiOnce.Do(func() { pkiVal, pkiErr = fixtures.Generate(fixtures.Options{ServerName: ServerName}) })
	if pkiErr != nil {
		t.Fatal(pkiErr)
	}
	return pkiVal
}

// WritePKI writes the shared test PKI into a new directory of the test
// (removed when the test ends) and returns the directory and the PKI.
func WritePKI(t testing.TB) (string, *fixtures.PKI) {
	t.Helper()
	pki := PKI(t)
	dir := filepath.Join(t.TempDir(), "pki")
	if err := pki.WriteDir(dir, false); err != nil {
		t.Fatal(err)
	}
	return dir, pki
}

// Main is a TestMain for tests that run the originproof binary: it builds
// the binary into a temporary directory, hands its path to use, runs the
// tests, removes the directory and exits with the tests' exit code.
func Main(m *testing.M, use func(binary string)) {
	dir, err := os.MkdirTemp("", "originproof-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary := filepath.Join(dir, "originproof")
	build := exec.Command("go", "build", "-o", binary, "github.com/originproof/originproof/cmd/originproof")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		os.RemoveAll(dir)
		fmt.Fprintln(os.Stderr, "building originproof:", err)
		os.Exit(1)
	}
	use(binary)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

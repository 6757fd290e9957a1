package selftest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/originproof/originproof/checks"
	"github.com/originproof/originproof/fixtures/origin"
	"github.com/originproof/originproof/internal/testenv"
	"github.com/originproof/originproof/reports"
)

// TestInterruptedConformStillWritesItsReport: SIGINT during the idle probe
// ends the run promptly with exit 3, and summary.json, junit.xml and
// report.html are written with what was measured.
func TestInterruptedConformStillWritesItsReport(t *testing.T) {
	pkiDir, pki := testenv.WritePKI(t)
	srv := startOrigin(t, origin.Config{PKI: pki, Profile: origin.Strict})
	out := t.TempDir()
	// --verbose sends Ginkgo's progress to stderr: one mark per finished spec.
	cmd := exec.Command(binary, "conform", "--pki", pkiDir, "--target", srv.URL(), "--connect-to", srv.Addr(), "--out", out, "--verbose")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Interrupt once ten specs have finished (the slow idle probes are still
	// waiting then), or after 20 s whatever happened.
	finished := make(chan struct{})
	go func() {
		buf := make([]byte, 4096)
		marks, closed := 0, false
		for {
			n, err := stderr.Read(buf)
			marks += strings.Count(string(buf[:n]), "•")
			if marks >= 10 && !closed {
				close(finished)
				closed = true
			}
			if err != nil {
				return
			}
		}
	}()
	select {
	case <-finished:
	case <-time.After(20 * time.Second):
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("conform did not stop within 10 s of SIGINT")
	}
	if code := cmd.ProcessState.ExitCode(); code != 3 {
		t.Errorf("exit code %d, want 3 (inconclusive)", code)
	}
	sum, err := reports.ReadSummary(filepath.Join(out, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Verdict != checks.VerdictInconclusive {
		t.Errorf("verdict %s, want inconclusive", sum.Verdict)
	}
	passed := 0
	for _, c := range sum.Checks {
		if c.Status == checks.StatusPass {
			passed++
		}
	}
	if passed < 5 {
		t.Errorf("only %d checks kept their results: what was measured before the interrupt must not be lost", passed)
	}
	for _, f := range []string{"junit.xml", "report.html"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
}

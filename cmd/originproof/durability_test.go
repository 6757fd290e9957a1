package main

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/originproof/originproof/fixtures/origin"
	"github.com/originproof/originproof/internal/testenv"
)

// TestLoadOutputErrors: an output `load` cannot write ends the run
// promptly with a non-zero exit that names the file, never a truncated
// file and exit 0. A full disk is /dev/full (Linux: every write fails with
// ENOSPC) linked in the output's place; an output that cannot be created
// is a directory in its place, --out a regular file, or a read-only
// directory (chmod when not root; as root, whom chmod does not stop,
// sysfs's /sys/kernel, where not even root creates a file).
func TestLoadOutputErrors(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" {
		t.Skip("/dev/full and sysfs are Linux's")
	}
	pkiDir, _ := testenv.WritePKI(t)
	link := func(name string) func(string) (string, error) {
		return func(out string) (string, error) { return out, os.Symlink("/dev/full", filepath.Join(out, name)) }
	}
	tests := []struct {
		name    string
		out     func(dir string) (string, error) // the --out to give, prepared in dir
		want    int
		stderr  []string
		traffic bool // the run reached the origin
	}{
		{"results.json on a full disk", link("results.json"), exitInconclusive,
			[]string{"results.json: no space left on device"}, true},
		{"latency.hlog on a full disk", link("latency.hlog"), exitInconclusive,
			[]string{"latency.hlog: no space left on device"}, false},
		{"results.json is a directory", func(out string) (string, error) {
			return out, os.Mkdir(filepath.Join(out, "results.json"), 0o755)
		}, exitUsage, []string{"--out", "results.json: is a directory"}, false},
		{"--out is a file", func(out string) (string, error) {
			f := filepath.Join(out, "file")
			return f, os.WriteFile(f, nil, 0o644)
		}, exitUsage, []string{"--out", "file\": not a directory"}, false},
		{"--out is read-only", func(out string) (string, error) {
			if os.Geteuid() == 0 {
				return "/sys/kernel", nil
			}
			return out, os.Chmod(out, 0o555)
		}, exitUsage, []string{"--out", "results.json: permission denied"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startLoadOrigin(t, origin.Strict)
			out, err := tt.out(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			start := time.Now()
			code := run([]string{"load", "--pki", pkiDir, "--target", srv.URL(), "--connect-to", srv.Addr(),
				"--rate", "50", "--duration", "30s", "--out", out}, &stdout, &stderr)
			if took := time.Since(start); took > 8*time.Second {
				t.Errorf("a 30 s run whose output failed took %v", took)
			}
			if code != tt.want {
				t.Fatalf("exit %d, want %d\n%s%s", code, tt.want, stdout.String(), stderr.String())
			}
			for _, s := range tt.stderr {
				if n := strings.Count(stderr.String(), s); n != 1 && !strings.HasPrefix(s, "--") {
					t.Errorf("stderr %q says %q %d times, want once", stderr.String(), s, n)
				} else if n == 0 {
					t.Errorf("stderr %q does not say %q", stderr.String(), s)
				}
			}
			if seen := srv.Stats().Connections > 0; seen != tt.traffic {
				t.Errorf("the origin saw the run: %v, want %v", seen, tt.traffic)
			}
			if tt.traffic {
				// What was measured is still summarised: interrupted, inconclusive.
				doc := readSummary(t, out)
				if doc.Verdict != "inconclusive" || !doc.Load.Interrupted || doc.Load.Requests == 0 {
					t.Errorf("summary.json = %+v", doc)
				}
			}
		})
	}
}

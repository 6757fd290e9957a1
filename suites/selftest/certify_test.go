package selftest

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/originproof/originproof/fixtures/origin"
	"github.com/originproof/originproof/internal/clitest"
	"github.com/originproof/originproof/internal/testenv"
	"github.com/originproof/originproof/scenarios"
)

// TestExampleScenarios: every example scenario passes against the strict
// reference origin and fails (exit 1, with the right check ids or
// thresholds) against a profile that breaks it.
func TestExampleScenarios(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every example scenario twice")
	}
	pkiDir, pki := testenv.WritePKI(t)
	cases := []struct {
		example, profile string
		wantCode         int
		wantFail         []string // failed check ids
		wantBreach       []string // breached thresholds (phase.name or name)
	}{
		{"go-live.yaml", origin.Strict, 0, nil, nil},
		{"go-live.yaml", origin.NoCRL, 1, []string{"revocation.revoked-intermediate", "revocation.revoked-leaf"}, nil},
		{"smoke.yaml", origin.Strict, 0, nil, nil},
		{"smoke.yaml", origin.OptionalClientAuth, 1, []string{"client-auth.required"}, nil},
		{"rotation-drill.yaml", origin.Strict, 0, nil, nil},
		{"rotation-drill.yaml", origin.CurrentCAOnly, 1, []string{"rotation.next-accepted", "rotation.under-load"}, []string{"rotation-drill.error_rate"}},
		{"origin-shield.yaml", origin.Strict, 0, nil, nil},
		{"origin-shield.yaml", origin.ShortIdleTimeout, 1, []string{"keepalive.idle-compatible"}, nil},
	}
	calls := make([]clitest.Call, len(cases))
	for i, c := range cases {
		srv := startOrigin(t, origin.Config{PKI: pki, Profile: c.profile})
		data, err := scenarios.Examples.ReadFile(c.example)
		if err != nil {
			t.Fatal(err)
		}
		text := strings.Replace(string(data), "url: https://origin.example.com/", "url: "+srv.URL()+"\n  connect_to: "+srv.Addr(), 1)
		text = strings.Replace(text, "dir: pki", "dir: "+pkiDir, 1)
		dir := t.TempDir()
		path := filepath.Join(dir, c.example)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, "out")
		calls[i] = clitest.Call{Out: out, Args: []string{"certify", path, "--out", out}}
	}
	results := clitest.RunAll(binary, 3*time.Minute, calls)
	for i, c := range cases {
		t.Run(c.example+"/"+c.profile, func(t *testing.T) {
			r := results[i]
			judged := r.Want(t, c.wantCode)
			var breached []string
			for _, th := range r.Summary.Thresholds {
				if !th.Held {
					name := th.Name
					if th.Phase != "" {
						name = th.Phase + "." + th.Name
					}
					breached = append(breached, name)
				}
			}
			if !slices.Equal(judged.Fail, c.wantFail) {
				t.Errorf("failed checks %v, want %v\n%s", judged.Fail, c.wantFail, r.Output)
			}
			if !slices.Equal(breached, c.wantBreach) {
				t.Errorf("breached thresholds %v, want %v\n%s", breached, c.wantBreach, r.Output)
			}
			if len(r.Summary.Thresholds) == 0 || r.Summary.Load == nil || r.Summary.Load.Requests == 0 {
				t.Errorf("no load measured: thresholds %v", r.Summary.Thresholds)
			}
		})
	}
}

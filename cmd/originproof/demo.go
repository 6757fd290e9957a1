package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/originproof/originproof/certify"
	"github.com/originproof/originproof/demo"
)

func init() { register("demo", newDemoCmd) }

func newDemoCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "demo [--out DIR]",
		Short: "Embedded default: certify a correct reference origin, show a broken one, measure what mTLS costs",
		Long: `Run originproof on its embedded default, with no arguments needed.

On loopback it starts reference origins from a fresh test PKI (DIR/pki), then:
  1. certifies the strict origin with scenarios/go-live.yaml's policy, load
     phases and thresholds (DIR/certify);
  2. measures what mTLS costs on this machine: a bounded capacity run (new
     connections, with and without a client certificate, against a reference
     origin in a process of its own whose CPU is sampled) (DIR/cost);
  3. runs conform against a broken origin (optional-client-auth: lets clients
     without a certificate in) to show what a failure looks like (DIR/broken).
It exits 0 when everything behaved as expected (the broken origin failing is
the point) and prints where the outputs are. It opens nothing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runDemo(cmd, out) },
	}
	cmd.Flags().StringVar(&out, "out", "out/demo", "directory for the demo's PKI and outputs")
	return cmd
}

func runDemo(cmd *cobra.Command, out string) error {
	ctx, w := cmd.Context(), cmd.OutOrStdout()
	if err := makeOut("demo", out); err != nil {
		return err
	}
	env, err := demo.Start(out)
	if err != nil {
		return inconclusiveError("demo: %v", err)
	}
	defer env.Close()
	fmt.Fprintf(w, "test PKI for %s in %s; reference origins on loopback: strict %s, %s %s, no-client-auth %s\n\n",
		demo.ServerName, env.PKIDir, env.Strict.Addr(), demo.BrokenProfile, env.Broken.Addr(), env.TLSOnly.Addr())

	// 3 runs beside 1 and 2, in a process of its own.
	brokenOut := filepath.Join(out, "broken")
	child, childOut, err := startChild(ctx, env.BrokenConformArgs(brokenOut)...)
	if err != nil {
		return inconclusiveError("demo: %v", err)
	}
	var o demo.Outcome
	certifyOut := filepath.Join(out, "certify")
	fmt.Fprintf(w, "== 1. certify the strict origin with go-live.yaml's policy (%s)\n", certifyOut)
	s, err := env.GoLive()
	if err != nil {
		return inconclusiveError("demo: %v", err)
	}
	o.Certify, o.CertifyErr = runCertify(cmd, s, certify.Options{Out: certifyOut, Source: "scenarios/go-live.yaml (embedded)"})
	fmt.Fprintf(w, "\n== 2. what mTLS costs on this machine: the new-connection knee with and without a client certificate, within %v (%s)\n", demo.CostBudget, filepath.Join(out, "cost"))
	o.CostErr = runCost(ctx, w, env, filepath.Join(out, "cost"))
	o.BrokenExit = exitCodeOf(child.Wait())
	fmt.Fprintf(w, "\n== 3. conform against a broken origin: %s (%s)\n", demo.BrokenProfile, brokenOut)
	io.Copy(w, childOut)
	fmt.Fprintln(w)

	if ctx.Err() != nil {
		return inconclusiveError("demo: interrupted; outputs so far are under %s", out)
	}
	if problems := o.Problems(); len(problems) > 0 {
		return failedError("demo: %s", strings.Join(problems, "; "))
	}
	fmt.Fprintf(w, "every origin behaved as expected: the strict origin passed the go-live gate, the broken one failed\n")
	fmt.Fprintf(w, "reports: %s, %s, %s\n", filepath.Join(certifyOut, "report.html"), filepath.Join(brokenOut, "report.html"), filepath.Join(out, "cost", "report.html"))
	return nil
}

// runCost runs the demo's capacity part against an origin in a child process.
func runCost(ctx context.Context, w io.Writer, env *demo.Env, out string) error {
	exe, err := selfPath()
	if err != nil {
		return err
	}
	o, err := env.StartCostOrigin(exe)
	if err != nil {
		return err
	}
	defer o.Stop()
	return env.Cost(ctx, w, out, o, version)
}

// startChild runs originproof itself with args; its output is collected.
func startChild(ctx context.Context, args ...string) (*exec.Cmd, *bytes.Buffer, error) {
	exe, err := selfPath()
	if err != nil {
		return nil, nil, err
	}
	var buf bytes.Buffer
	c := exec.CommandContext(ctx, exe, args...)
	c.Stdout, c.Stderr = &buf, &buf
	if err := c.Start(); err != nil {
		return nil, nil, err
	}
	return c, &buf, nil
}

// selfPath is how this program was started (argv[0], looked up in PATH when
// bare), so a child runs the same command even when the binary is
// multi-call; os.Executable is the fallback.
func selfPath() (string, error) {
	if a := os.Args[0]; a != "" {
		if strings.ContainsRune(a, filepath.Separator) {
			if _, err := os.Stat(a); err == nil {
				return a, nil
			}
		} else if p, err := exec.LookPath(a); err == nil {
			return p, nil
		}
	}
	return os.Executable()
}

func exitCodeOf(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

// makeOut creates the --out directory dir; when it cannot, a usage error
// saying why.
func makeOut(cmd, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return usageError("%s: --out %s: %v", cmd, dir, unwrapPath(err))
	}
	return nil
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

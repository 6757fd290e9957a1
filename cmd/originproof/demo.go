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
	"time"

	"github.com/spf13/cobra"

	"github.com/originproof/originproof/fixtures"
	"github.com/originproof/originproof/fixtures/origin"
	"github.com/originproof/originproof/loadgen"
	"github.com/originproof/originproof/reports"
	"github.com/originproof/originproof/scenarios"
)

func init() { register("demo", newDemoCmd) }

// demoServerName is the origin domain the demo's PKI is made for; the
// origins listen on loopback and are dialled there with this SNI.
const demoServerName = "origin.originproof.test"

func newDemoCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "demo [--out DIR]",
		Short: "Embedded default: certify a correct reference origin, show a broken one, measure what mTLS costs",
		Long: `Run originproof on its embedded default, with no arguments needed.

On loopback it starts reference origins from a fresh test PKI (DIR/pki), then:
  1. certifies the strict origin with scenarios/go-live.yaml's policy, load
     phases and thresholds (DIR/certify);
  2. measures what mTLS costs on this machine: the same load against an mTLS
     origin and a TLS-only one, pooled and with a fresh handshake per request
     (DIR/cost/*);
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
	ctx, w, stderr := cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr()
	if err := os.MkdirAll(out, 0o755); err != nil {
		return usageError("demo: --out %s: %v", out, unwrapPath(err))
	}
	pkiDir := filepath.Join(out, "pki")
	pki, err := fixtures.Generate(fixtures.Options{ServerName: demoServerName})
	if err != nil {
		return inconclusiveError("demo: %v", err)
	}
	if err := pki.WriteDir(pkiDir, true); err != nil {
		return usageError("demo: %v", err)
	}
	origins := map[string]*origin.Server{}
	for _, p := range []string{origin.Strict, origin.OptionalClientAuth, origin.NoClientAuth} {
		srv, err := origin.Start(origin.Config{PKI: pki, Profile: p, Addr: "127.0.0.1:0"})
		if err != nil {
			return inconclusiveError("demo: %v", err)
		}
		defer srv.Close()
		origins[p] = srv
	}
	fmt.Fprintf(w, "test PKI for %s in %s; reference origins on loopback: strict %s, optional-client-auth %s, no-client-auth %s\n\n",
		demoServerName, pkiDir, origins[origin.Strict].Addr(), origins[origin.OptionalClientAuth].Addr(), origins[origin.NoClientAuth].Addr())

	// 3 runs beside 1 and 2: Ginkgo runs its suite once per process, so
	// the broken origin is judged by a child originproof.
	broken := origins[origin.OptionalClientAuth]
	brokenOut := filepath.Join(out, "broken")
	child, childOut, err := startChild(ctx, "conform", "--pki", pkiDir, "--target", broken.URL(), "--connect-to", broken.Addr(), "--out", brokenOut, "--label-filter", "client-auth || chain || validity")
	if err != nil {
		return inconclusiveError("demo: %v", err)
	}

	// 1. The go-live gate against the strict origin.
	strict := origins[origin.Strict]
	certifyOut := filepath.Join(out, "certify")
	s, plan, err := demoScenario(strict, pkiDir)
	if err != nil {
		return inconclusiveError("demo: %v", err)
	}
	fmt.Fprintf(w, "== 1. certify the strict origin with go-live.yaml's policy (%s)\n", certifyOut)
	sum, certErr := certifyScenario(cmd, s, "scenarios/go-live.yaml (embedded)", plan, certifyOut, false)
	fmt.Fprintln(w)

	// 2. What mTLS costs.
	fmt.Fprintf(w, "== 2. what mTLS costs on this machine (%s)\n", filepath.Join(out, "cost"))
	costErr := demoCost(ctx, w, stderr, pki, origins, filepath.Join(out, "cost"))
	fmt.Fprintln(w)

	// 3. The broken origin's verdict.
	childErr := child.Wait()
	fmt.Fprintf(w, "== 3. conform against a broken origin: %s (%s)\n", broken.Profile(), brokenOut)
	io.Copy(w, childOut)
	brokenCode := exitCodeOf(childErr)
	fmt.Fprintln(w)

	var problems []string
	if sum == nil || sum.Verdict != reports.VerdictPass {
		problems = append(problems, fmt.Sprintf("the strict origin did not pass the go-live gate (%v)", certErr))
	}
	if brokenCode != exitFail {
		problems = append(problems, fmt.Sprintf("the broken origin was not failed (conform exited %d, want 1)", brokenCode))
	}
	if costErr != nil {
		problems = append(problems, "the mTLS cost runs: "+costErr.Error())
	}
	if ctx.Err() != nil {
		return inconclusiveError("demo: interrupted; outputs so far are under %s", out)
	}
	if len(problems) > 0 {
		return failedError("demo: %s", strings.Join(problems, "; "))
	}
	fmt.Fprintf(w, "every origin behaved as expected: the strict origin passed the go-live gate, the broken one failed\n")
	fmt.Fprintf(w, "reports: %s, %s, %s\n", filepath.Join(certifyOut, "report.html"), filepath.Join(brokenOut, "report.html"), filepath.Join(out, "cost", "compare", "report.html"))
	return nil
}

// demoScenario is go-live.yaml pointed at the strict reference origin.
func demoScenario(strict *origin.Server, pkiDir string) (*scenarios.Scenario, *scenarios.LoadPlan, error) {
	data, err := scenarios.Examples.ReadFile("go-live.yaml")
	if err != nil {
		return nil, nil, err
	}
	text := strings.Replace(string(data), "url: https://origin.example.com/", "url: "+strict.URL()+"\n  connect_to: "+strict.Addr(), 1)
	text = strings.Replace(text, "dir: pki", "dir: "+pkiDir, 1)
	s, err := scenarios.Parse([]byte(text), "go-live.yaml", scenarios.Options{})
	if err != nil {
		return nil, nil, err
	}
	plan, err := s.Plan()
	return s, plan, err
}

// demoCost runs the same short load against the mTLS origin and the
// TLS-only one, pooled and cold, and prints the handshake and request
// latencies side by side.
func demoCost(ctx context.Context, w, stderr io.Writer, pki *fixtures.PKI, origins map[string]*origin.Server, out string) error {
	good := pki.Identity("chain.valid").TLSCertificate()
	runs := []struct {
		name, profile string
		mtls, reuse   bool
	}{
		{"mtls-pooled", origin.Strict, true, true},
		{"mtls-cold", origin.Strict, true, false},
		{"tls-only-pooled", origin.NoClientAuth, false, true},
		{"tls-only-cold", origin.NoClientAuth, false, false},
	}
	fmt.Fprintf(w, "  %-16s %9s %12s %12s %12s %12s\n", "run", "requests", "handshake", "handshake", "request", "request")
	fmt.Fprintf(w, "  %-16s %9s %12s %12s %12s %12s\n", "", "", "p50 ms", "p99 ms", "p50 ms", "p99 ms")
	var errs []error
	var base [4]float64
	for i, r := range runs {
		srv := origins[r.profile]
		dir := filepath.Join(out, r.name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		id := loadgen.NoIdentity
		if r.mtls {
			id = loadgen.Identity{Name: "chain.valid", Certificate: &good}
		}
		opts := []loadgen.Option{
			loadgen.Target(srv.URL()), loadgen.ConnectTo(srv.Addr()), loadgen.RootCAs(pki.ServerRootPool(), "pki"),
			loadgen.ClientIdentity(id), loadgen.Reuse(r.reuse), loadgen.Pops(4), loadgen.Rate(100, 3*time.Second),
		}
		rep, err := executeLoad(ctx, io.Discard, opts, dir, r.name)
		if rep == nil {
			return err
		}
		sum := reports.New(version, rep.Config.Target, rep.Config.ServerName)
		sum.Verdict, sum.Load = loadVerdict(rep.Summary), &rep.Summary
		sum.Started, sum.Finished = rep.Started.UTC(), rep.Ended.UTC()
		errs = append(errs, err, sum.WriteFile(filepath.Join(dir, "summary.json")))
		s := rep.Summary
		if s.Errors > 0 {
			errs = append(errs, fmt.Errorf("%s: %d of %d requests failed", r.name, s.Errors, s.Requests))
		}
		hs := s.Latency[loadgen.PhaseTLSFull]
		tot := s.Latency[loadgen.PhaseTotal]
		fmt.Fprintf(w, "  %-16s %9d %12.3f %12.3f %12.3f %12.3f\n", r.name, s.Requests, hs.P50, hs.P99, tot.P50, tot.P99)
		if i < 2 {
			base[i*2], base[i*2+1] = hs.P50, tot.P50
		} else {
			j := (i - 2) * 2
			if base[j+1] > 0 && tot.P50 > 0 {
				fmt.Fprintf(w, "  %-16s mTLS vs TLS-only: full handshake p50 %+.3f ms, request p50 %+.3f ms (%+.0f%%)\n",
					"", base[j]-hs.P50, base[j+1]-tot.P50, 100*(base[j+1]-tot.P50)/tot.P50)
			}
		}
	}
	var dirs []string
	for _, r := range runs {
		dirs = append(dirs, filepath.Join(out, r.name))
	}
	path, err := reports.RenderDirs(filepath.Join(out, "compare"), dirs...)
	errs = append(errs, err)
	fmt.Fprintf(w, "  side by side: %s\n", path)
	return errors.Join(errs...)
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

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

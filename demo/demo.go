// Package demo is originproof's embedded default: reference origins on
// loopback from a fresh test PKI, the go-live example scenario pointed at
// the strict one, what mTLS costs on this machine, and a broken origin to
// show what a failure looks like — with the expectations that make the
// demo itself pass or fail.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/originproof/originproof/capacity"
	"github.com/originproof/originproof/checks"
	"github.com/originproof/originproof/fixtures"
	"github.com/originproof/originproof/fixtures/origin"
	"github.com/originproof/originproof/loadgen"
	"github.com/originproof/originproof/reports"
	"github.com/originproof/originproof/scenarios"
)

// ServerName is the origin domain the demo's PKI is made for; the origins
// listen on loopback and are dialled there with this SNI.
const ServerName = "origin.originproof.test"

// BrokenProfile is the misconfigured origin the demo shows failing: it lets
// clients without a certificate in.
const BrokenProfile = origin.OptionalClientAuth

// Env is the demo's PKI and reference origins.
type Env struct {
	PKI    *fixtures.PKI
	PKIDir string
	// Strict does origin mTLS right; Broken is BrokenProfile; TLSOnly asks
	// for no client certificate (the baseline of what mTLS costs).
	Strict, Broken, TLSOnly *origin.Server
}

// Start writes a fresh test PKI to out/pki and starts the reference origins
// on loopback. Close stops them.
func Start(out string) (*Env, error) {
	pki, err := fixtures.Generate(fixtures.Options{ServerName: ServerName})
	if err != nil {
		return nil, err
	}
	e := &Env{PKI: pki, PKIDir: filepath.Join(out, "pki")}
	if err := pki.WriteDir(e.PKIDir, true); err != nil {
		return nil, err
	}
	for _, o := range []struct {
		srv     **origin.Server
		profile string
	}{{&e.Strict, origin.Strict}, {&e.Broken, BrokenProfile}, {&e.TLSOnly, origin.NoClientAuth}} {
		if *o.srv, err = origin.Start(origin.Config{PKI: pki, Profile: o.profile, Addr: "127.0.0.1:0"}); err != nil {
			e.Close()
			return nil, err
		}
	}
	return e, nil
}

// Close stops the origins.
func (e *Env) Close() {
	for _, s := range []*origin.Server{e.Strict, e.Broken, e.TLSOnly} {
		if s != nil {
			s.Close()
		}
	}
}

// GoLive is the embedded go-live.yaml pointed at the strict origin and the
// demo's PKI: the file is parsed and those fields set, so every other
// setting is the example's own.
func (e *Env) GoLive() (*scenarios.Scenario, error) {
	data, err := scenarios.Examples.ReadFile("go-live.yaml")
	if err != nil {
		return nil, err
	}
	return scenarios.Parse(data, "go-live.yaml", scenarios.Options{KnownChecks: checks.IDs(), Edit: func(s *scenarios.Scenario) {
		s.Target.URL, s.Target.ConnectTo, s.Target.ServerName = e.Strict.URL(), e.Strict.Addr(), ""
		s.PKI = scenarios.PKI{Dir: e.PKIDir}
	}})
}

// BrokenConformArgs are the `originproof conform` arguments that judge the
// broken origin (in a process of its own: Ginkgo runs its suite once per
// process) into out.
func (e *Env) BrokenConformArgs(out string) []string {
	return []string{"conform", "--pki", e.PKIDir, "--target", e.Broken.URL(), "--connect-to", e.Broken.Addr(), "--out", out,
		"--label-filter", "client-auth || chain || validity"}
}

// Outcome is what the demo's parts did.
type Outcome struct {
	Certify    *reports.Summary // the go-live gate against the strict origin (nil: it did not run)
	CertifyErr error
	BrokenExit int // conform's exit code against the broken origin
	CostErr    error
}

// Problems are the demo's own failures: the strict origin must pass the
// gate, the broken one must fail conform (exit 1), the cost run must
// succeed. None: the harness behaved as expected.
func (o Outcome) Problems() []string {
	var out []string
	if o.Certify == nil || o.Certify.Verdict != checks.VerdictPass {
		out = append(out, fmt.Sprintf("the strict origin did not pass the go-live gate (%v)", o.CertifyErr))
	}
	if o.BrokenExit != 1 {
		out = append(out, fmt.Sprintf("the broken origin was not failed (conform exited %d, want 1)", o.BrokenExit))
	}
	if o.CostErr != nil {
		out = append(out, "the mTLS cost run: "+o.CostErr.Error())
	}
	return out
}

// StartCostOrigin runs `exe origin` in a process of its own (its CPU
// apart from the generator's) with the optional-client-auth profile, which
// verifies a certificate when one is given and lets none in: the origin
// whose cost Cost measures, the same server with and without mTLS.
func (e *Env) StartCostOrigin(exe string) (*origin.Process, error) {
	return origin.StartProcess(exe, "origin", "--pki", e.PKIDir, "--profile", origin.OptionalClientAuth, "--listen", "127.0.0.1:0", "--admin=")
}

// CostBudget bounds the demo's capacity run.
const CostBudget = 25 * time.Second

// Cost finds the new-connection knee of the cost origin with the good
// certificate and without one, in a bounded time, sampling the origin's
// CPU; it prints the searches and the findings on w and writes
// capacity.json and report.html under out.
func (e *Env) Cost(ctx context.Context, w io.Writer, out string, o *origin.Process, version string) error {
	subjects, err := capacity.Subjects(e.PKI, e.PKIDir, []capacity.Workload{capacity.Handshakes}, []string{"chain.valid", "none"}, nil)
	if err != nil {
		return err
	}
	cpu, err := capacity.ProcessCPU("", o.PID())
	if err != nil {
		return err
	}
	search := capacity.DefaultSearch
	search.StartRate, search.StepDuration, search.MinSamples = 50, loadgen.Duration(time.Second), 100
	search.Settle, search.MaxDuration = loadgen.Duration(200*time.Millisecond), loadgen.Duration(CostBudget)
	res, err := capacity.Run(ctx, capacity.Config{
		Load: []loadgen.Option{loadgen.Target("https://" + net.JoinHostPort(ServerName, portOf(o.Addr)) + "/"), loadgen.ConnectTo(o.Addr),
			loadgen.RootCAs(e.PKI.ServerRootPool(), "pki")},
		Subjects: subjects, SLO: capacity.DefaultSLO, Search: search, OriginCPU: cpu, OriginPID: o.PID(), Version: version,
		Progress: func(ev capacity.Event) {
			if en := ev.Entry; en != nil {
				fmt.Fprintf(w, "  %-40s knee %6g %s, limited by %s (%d steps)\n", ev.Subject.String()+":", en.KneeRate, en.Unit, en.LimitedBy, len(en.Steps))
			}
		},
	})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	if _, err := res.WriteFile(out); err != nil {
		return err
	}
	path, err := reports.WriteCapacity(out, res)
	for _, f := range res.Findings {
		fmt.Fprintf(w, "  %s\n", f)
	}
	fmt.Fprintf(w, "  report: %s\n", path)
	for _, en := range res.Workloads {
		if en.Refused != "" && en.Identity != loadgen.NoIdentity.Name {
			err = errors.Join(err, fmt.Errorf("the cost origin refused %s: %s", en.Identity, en.Refused))
		}
	}
	return err
}

func portOf(addr string) string {
	_, port, _ := net.SplitHostPort(addr)
	return port
}

package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/originproof/originproof/capacity"
	"github.com/originproof/originproof/cloudfront"
	"github.com/originproof/originproof/loadgen"
	"github.com/originproof/originproof/reports"
)

func init() { register("capacity", newCapacityCmd) }

// capacityFlags are the flags of `originproof capacity`.
type capacityFlags struct {
	targetFlags
	workloads, identities, keyTypes, slo string
	precision, resumption, maxTLS        string
	search                               capacity.Search
	stepDuration, maxDuration, settle    time.Duration
	lagLimit                             time.Duration
	originPID                            int
	pool                                 poolFlags
}

func newCapacityCmd() *cobra.Command {
	f := capacityFlags{search: capacity.DefaultSearch}
	cmd := &cobra.Command{
		Use:   "capacity --pki DIR --target URL --out DIR [flags]",
		Short: "Find the highest rate the origin sustains within an SLO, with and without mTLS",
		Long: `Find the origin's knee — the highest offered rate it sustains within an SLO —
for new connections and for pooled requests, with and without a client
certificate, and say what mTLS costs it.

Workloads (--workloads):
  handshakes  every request on a new connection with a full handshake (no
              reuse, no resumption): an idle-gap storm, an origin deploy, a
              certificate rotation
  requests    CloudFront-pooled keep-alive requests (--pops, --max-conns)
Each workload is searched for each identity in --identities: chain.valid (the
CloudFront identity, once per key type in --key-types: 'pki init' writes its
RSA-2048 twin) and none (no client certificate, on the same origin; where the
origin refuses that, the report says so and shows mTLS alone).

The search steps up from --start-rate by --step-factor, then bisects between
the last good and the first bad step to --precision. Each step is an open-model
load run of --step-duration (longer where needed for --min-samples requests);
latency is measured from each request's intended send. A step the generator
itself could not drive (generator_limited: send lag p99 above --lag-limit) is
reported as such and ends the search: it is never taken for the origin's knee.
The whole run is bounded by --max-rate and --max-duration; Ctrl-C keeps every
finished step and writes the report.

--slo terms: ` + capacity.SLOForm + `
(default: ` + capacity.DefaultSLO.String() + `).
--origin-pid samples that process's CPU (and its children's) from /proc per
step: the origin's CPU per full handshake, with and without mTLS.

Writes capacity.json and report.html under --out. Exit 0 when every search
ran, 2 on bad input, 3 when interrupted, when the target was unreachable or when
the origin refused a client certificate outright.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runCapacity(cmd, &f) },
	}
	fl := cmd.Flags()
	f.register(fl, "capacity.json and report.html")
	fl.StringVar(&f.workloads, "workloads", "handshakes,requests", "workloads to search: handshakes, requests")
	fl.StringVar(&f.identities, "identities", "chain.valid,none", "client identities (check ids under the PKI's clients/, or none), each searched per workload")
	fl.StringVar(&f.keyTypes, "key-types", "", "key types of chain.valid to search: "+string(cloudfront.KeyECDSAP256)+", "+string(cloudfront.KeyRSA2048)+" or both (default: chain.valid's own)")
	fl.StringVar(&f.slo, "slo", "", "the objective a step must meet (default: "+capacity.DefaultSLO.String()+")")
	fl.Float64Var(&f.search.StartRate, "start-rate", f.search.StartRate, "first step's rate per second")
	fl.Float64Var(&f.search.StepFactor, "step-factor", f.search.StepFactor, "rate multiplier between coarse steps")
	fl.StringVar(&f.precision, "precision", "10%", "bisect until the bracket is within this share of the knee")
	fl.Float64Var(&f.search.MaxRate, "max-rate", f.search.MaxRate, "highest rate per second offered")
	fl.DurationVar(&f.maxDuration, "max-duration", time.Duration(f.search.MaxDuration), "bound on the whole run (shared by the searches)")
	fl.DurationVar(&f.stepDuration, "step-duration", time.Duration(f.search.StepDuration), "length of a step (longer where needed for --min-samples)")
	fl.IntVar(&f.search.MinSamples, "min-samples", f.search.MinSamples, "requests a step sends at least")
	fl.DurationVar(&f.settle, "settle", time.Duration(f.search.Settle), "pause between steps")
	f.pool.register(fl, "edge locations, each its own connection pool")
	fl.StringVar(&f.resumption, "resumption", "off", "on|off: the handshakes workload's new connections resume TLS sessions")
	fl.StringVar(&f.maxTLS, "max-tls-version", "1.3", "1.2|1.3: highest TLS version offered (1.2: a distribution whose origin protocols stop at TLSv1.2)")
	fl.DurationVar(&f.lagLimit, "lag-limit", 50*time.Millisecond, "send lag p99 beyond which a step is generator_limited")
	fl.IntVar(&f.originPID, "origin-pid", 0, "process id of an origin on this machine: its CPU per step from /proc")
	return cmd
}

// capacityConfig turns the flags into a capacity configuration; every
// problem is a usage error naming its flag.
func capacityConfig(cmd *cobra.Command, f *capacityFlags) (capacity.Config, error) {
	const name = "capacity"
	var cfg capacity.Config
	if err := f.pool.check(name, cmd.Flags()); err != nil {
		return cfg, err
	}
	pki, ep, err := f.resolve(name)
	if err != nil {
		return cfg, err
	}
	workloads, err := capacity.ParseWorkloads(f.workloads)
	if err != nil {
		return cfg, usageError("capacity: --workloads %v", err)
	}
	var keyTypes []cloudfront.KeyType
	if f.keyTypes != "" {
		if keyTypes, err = capacity.ParseKeyTypes(f.keyTypes); err != nil {
			return cfg, usageError("capacity: --key-types %v", err)
		}
	}
	if cfg.SLO, err = capacity.ParseSLO(f.slo); err != nil {
		return cfg, usageError("capacity: --slo %v", err)
	}
	precision, err := parseShare(f.precision)
	if err != nil {
		return cfg, usageError("capacity: --precision %q: %v", f.precision, err)
	}
	resumption, err := onOff("resumption", f.resumption)
	if err != nil {
		return cfg, err
	}
	maxTLS := map[string]uint16{"1.2": tls.VersionTLS12, "1.3": tls.VersionTLS13}[f.maxTLS]
	if maxTLS == 0 {
		return cfg, usageError("capacity: --max-tls-version %q: want 1.2 or 1.3", f.maxTLS)
	}
	if f.lagLimit <= 0 {
		return cfg, usageError("capacity: --lag-limit %v: want a positive duration", f.lagLimit)
	}
	cfg.Subjects, err = capacity.Subjects(pki, f.pki, workloads, splitList(f.identities), keyTypes)
	if err != nil {
		return cfg, configError(err)
	}
	cfg.Search = f.search
	cfg.Search.Precision = precision
	cfg.Search.MaxDuration, cfg.Search.StepDuration = loadgen.Duration(f.maxDuration), loadgen.Duration(f.stepDuration)
	cfg.Search.Settle = loadgen.Duration(f.settle)
	if err := cfg.Search.Validate(); err != nil {
		return cfg, configError(err)
	}
	cfg.Resumption = resumption
	cfg.Load = append(append(ep.LoadOptions(), f.pool.options(cmd.Flags())...), loadgen.LagLimit(f.lagLimit), loadgen.MaxTLSVersion(maxTLS))
	if cmd.Flags().Changed("origin-pid") {
		sample, err := capacity.ProcessCPU("", f.originPID)
		if err != nil {
			return cfg, usageError("capacity: --origin-pid %d: %v", f.originPID, err)
		}
		cfg.OriginCPU, cfg.OriginPID = sample, f.originPID
	}
	cfg.Version = version
	return cfg, configError(cfg.Validate())
}

// parseShare reads "10%" or "0.1".
func parseShare(s string) (float64, error) {
	t, isPct := strings.CutSuffix(strings.TrimSpace(s), "%")
	v, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
	if err != nil {
		return 0, errors.New("want a share such as 10% or 0.1")
	}
	if isPct {
		v /= 100
	}
	return v, nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// configError turns a capacity.ConfigError into a usage error naming its flag.
func configError(err error) error {
	var ce *capacity.ConfigError
	if errors.As(err, &ce) {
		return usageError("capacity: --%s %s", ce.Field, ce.Reason)
	}
	return err
}

func runCapacity(cmd *cobra.Command, f *capacityFlags) error {
	cfg, err := capacityConfig(cmd, f)
	if err != nil {
		return err
	}
	if err := makeOut("capacity", f.out); err != nil {
		return err
	}
	stderr, stdout := cmd.ErrOrStderr(), cmd.OutOrStdout()
	cfg.Progress = capacityProgress(stderr)
	res, err := capacity.Run(cmd.Context(), cfg)
	if err != nil {
		return configError(err)
	}
	jsonPath, writeErr := res.WriteFile(f.out)
	htmlPath := ""
	if writeErr == nil {
		htmlPath, writeErr = reports.WriteCapacity(f.out, res)
	}
	for _, line := range res.Findings {
		fmt.Fprintln(stdout, line)
	}
	if writeErr != nil {
		return inconclusiveError("capacity: writing results: %v", writeErr)
	}
	fmt.Fprintf(stdout, "wrote %s, %s\n", jsonPath, htmlPath)
	return capacityExit(res)
}

// capacityExit: 3 when interrupted, unreachable, or when a client
// certificate was refused outright; 0 otherwise.
func capacityExit(res *capacity.Result) error {
	if res.Interrupted {
		return inconclusiveError("capacity: interrupted; every finished step is in the report")
	}
	for _, e := range res.Workloads {
		switch {
		case e.Unreachable:
			return inconclusiveError("capacity: target unreachable: %s", e.Refused)
		case e.Refused != "" && e.Identity != loadgen.NoIdentity.Name:
			return inconclusiveError("capacity: the origin refused every %s request with %s (%s)", e.Workload, e.Identity, e.Refused)
		}
	}
	return nil
}

// capacityProgress prints a line when a step starts and ends and when a
// search ends: the current step and the bracket.
func capacityProgress(w io.Writer) func(capacity.Event) {
	return func(ev capacity.Event) {
		head := fmt.Sprintf("capacity: [%d/%d] %s", ev.Index, ev.Of, ev.Subject)
		switch {
		case ev.Entry != nil:
			e := ev.Entry
			fmt.Fprintf(w, "%s: knee %g %s, limited by %s (%d steps, %.0fs)\n", head, e.KneeRate, e.Unit, e.LimitedBy, len(e.Steps), e.WallS)
		case ev.Step == nil:
			bracket := "none yet"
			switch {
			case ev.Good > 0 && ev.Bad > 0:
				bracket = fmt.Sprintf("%g–%g/s", ev.Good, ev.Bad)
			case ev.Good > 0:
				bracket = fmt.Sprintf("≥ %g/s", ev.Good)
			case ev.Bad > 0:
				bracket = fmt.Sprintf("< %g/s", ev.Bad)
			}
			fmt.Fprintf(w, "%s: step %d at %g/s for %v (bracket %s, %v left)\n", head, ev.StepNo, ev.Rate, ev.Duration, bracket, ev.Remaining.Round(time.Second))
		default:
			st := ev.Step
			verdict := "within the SLO"
			switch {
			case st.GeneratorLimited:
				verdict = fmt.Sprintf("generator_limited (send lag p99 %.1f ms)", st.SendLagP99)
			case !st.WithinSLO:
				verdict = "beyond the SLO: " + strings.Join(st.Broke, "; ")
			}
			fmt.Fprintf(w, "%s: step %d at %g/s done: achieved %.1f/s, p99 %.1f ms, handshake p99 %.1f ms, %d errors: %s\n",
				head, ev.StepNo, ev.Rate, st.Achieved, st.P99, st.HandshakeP99, st.Errors, verdict)
		}
	}
}

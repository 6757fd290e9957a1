package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/originproof/originproof/fixtures"
	"github.com/originproof/originproof/loadgen"
	"github.com/originproof/originproof/reports"
)

func init() { register("load", newLoadCmd) }

// loadFlags are the flags of `originproof load`.
type loadFlags struct {
	targetFlags
	identity, reuse, resumption         string
	rate, arrival, shard                string
	duration, keepalive, connectTimeout time.Duration
	readTimeout                         time.Duration
	pops, maxConns, connectAttempts     int
	maxWorkers                          uint64
	originShield, keepBodies            bool
}

func newLoadCmd() *cobra.Command {
	var f loadFlags
	cmd := &cobra.Command{
		Use:   "load --pki DIR --target URL --out DIR [flags]",
		Short: "CloudFront-shaped load with per-phase mTLS latency",
		Long: `Send CloudFront-shaped load to an origin and measure it.

Each of --pops edge locations keeps its own pool of persistent HTTP/1.1
connections (its own TLS session cache, at most --max-conns connections,
idle keep-alive --keepalive), sends CloudFront's headers (User-Agent: Amazon
CloudFront, X-Amz-Cf-Id, Via) and the origin's domain as SNI. Request n goes
to pop n mod --pops. Arrivals follow an open model: --rate requests per second
for --duration (or --arrival ramp/steps/idle-gaps), latency measured from the
intended send time as well as the actual one.

--arrival forms:
  constant                 --rate for --duration (default)
  ramp:FROM                linear from FROM/s to --rate over --duration
  steps:R1,R2,…            each rate in turn, --duration split evenly
  idle-gaps:BURST,GAP      bursts of --rate lasting BURST, then GAP idle
                           (gaps longer than --keepalive force re-handshakes)

Writes under --out: summary.json (the load section), results.json (Vegeta JSON
result lines plus per-request fields: 'vegeta report' reads it), run.json
(resolved configuration, version, machine) and latency.hlog (HdrHistogram
interval log) and report.html. Exit 0 when every request succeeded, 1 when any failed,
2 on bad input, 3 when the target was unreachable or the run interrupted.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runLoad(cmd, &f) },
	}
	fl := cmd.Flags()
	f.register(fl, "summary.json, results.json, run.json, latency.hlog and report.html")
	fl.StringVar(&f.identity, "identity", "chain.valid", "client identity (a check id under the PKI's clients/) or 'none'")
	fl.StringVar(&f.reuse, "reuse", "on", "on|off: off makes every request a fresh connection and handshake")
	fl.StringVar(&f.resumption, "resumption", "on", "on|off: TLS session resumption per pop")
	fl.StringVar(&f.rate, "rate", "50", "requests per second: N, or Vegeta's N/DURATION (e.g. 100/1s)")
	fl.DurationVar(&f.duration, "duration", loadgen.DefaultDuration, "how long to send")
	fl.StringVar(&f.arrival, "arrival", "constant", "arrival model: constant, ramp:FROM, steps:R1,R2,…, idle-gaps:BURST,GAP")
	fl.IntVar(&f.pops, "pops", loadgen.DefaultPops, "edge locations, each its own connection pool")
	fl.IntVar(&f.maxConns, "max-conns", loadgen.DefaultMaxConns, "connections per pop, at most")
	fl.DurationVar(&f.keepalive, "keepalive", loadgen.DefaultKeepAlive, "CloudFront's origin keep-alive (idle) timeout, 1s–180s")
	fl.DurationVar(&f.connectTimeout, "connect-timeout", loadgen.DefaultConnectTimeout, "connection timeout per attempt, 1s–10s")
	fl.IntVar(&f.connectAttempts, "connect-attempts", loadgen.DefaultConnectAttempts, "connection attempts, 1–3 (GET/HEAD only)")
	fl.DurationVar(&f.readTimeout, "read-timeout", loadgen.DefaultReadTimeout, "origin read (response) timeout")
	fl.BoolVar(&f.originShield, "origin-shield", false, "funnel all traffic through one regional pool (not with --pops)")
	fl.StringVar(&f.shard, "shard", "", "i/N: run shard i of N (this machine sends 1/N of the rate)")
	fl.Uint64Var(&f.maxWorkers, "max-workers", 0, "cap on Vegeta's workers (0: unbounded; a cap shows as generator_limited)")
	fl.BoolVar(&f.keepBodies, "keep-bodies", false, "keep response bodies and headers in results.json")
	return cmd
}

func onOff(flag, v string) (bool, error) {
	switch strings.ToLower(v) {
	case "on", "true", "yes":
		return true, nil
	case "off", "false", "no":
		return false, nil
	}
	return false, usageError("load: --%s %q: want on or off", flag, v)
}

// parseRate reads N or N/DURATION into requests per second.
func parseRate(s string) (float64, error) {
	num, per, hasPer := strings.Cut(strings.TrimSpace(s), "/")
	n, err := strconv.ParseFloat(num, 64)
	if err != nil || n <= 0 || n > 1e7 {
		return 0, usageError("load: --rate %q: want a positive number of requests per second, or N/DURATION", s)
	}
	d := time.Second
	if hasPer {
		if d, err = time.ParseDuration(per); err != nil || d <= 0 {
			return 0, usageError("load: --rate %q: %q is not a positive duration", s, per)
		}
	}
	return n / d.Seconds(), nil
}

func parseArrival(s string, rate float64, d time.Duration) (loadgen.Schedule, error) {
	model, arg, _ := strings.Cut(s, ":")
	bad := func(why string) error {
		return usageError("load: --arrival %q: %s", s, why)
	}
	switch model {
	case "constant":
		if arg != "" {
			return loadgen.Schedule{}, bad("constant takes no argument (use --rate)")
		}
		return loadgen.Constant(rate, d), nil
	case "ramp":
		from, err := strconv.ParseFloat(arg, 64)
		if err != nil || from < 0 {
			return loadgen.Schedule{}, bad("want ramp:FROM, FROM a non-negative rate")
		}
		return loadgen.Ramp(from, rate, d), nil
	case "steps":
		var rates []float64
		for _, part := range strings.Split(arg, ",") {
			r, err := strconv.ParseFloat(strings.TrimSpace(part), 64)
			if err != nil || r < 0 {
				return loadgen.Schedule{}, bad("want steps:R1,R2,… with non-negative rates")
			}
			rates = append(rates, r)
		}
		if len(rates) == 0 || len(rates) > 1000 {
			return loadgen.Schedule{}, bad("want 1–1000 steps")
		}
		return loadgen.Steps(d/time.Duration(len(rates)), rates...), nil
	case "idle-gaps":
		b, g, ok := strings.Cut(arg, ",")
		burst, err1 := time.ParseDuration(b)
		gap, err2 := time.ParseDuration(g)
		if !ok || err1 != nil || err2 != nil || burst <= 0 || gap <= 0 {
			return loadgen.Schedule{}, bad("want idle-gaps:BURST,GAP with positive durations, e.g. idle-gaps:2s,7s")
		}
		if n := d / (burst + gap); n > 100000 {
			return loadgen.Schedule{}, bad("too many bursts")
		}
		return loadgen.IdleGaps(rate, burst, gap, d), nil
	}
	return loadgen.Schedule{}, bad("unknown model (constant, ramp:FROM, steps:R1,R2,…, idle-gaps:BURST,GAP)")
}

func parseShard(s string) (int, int, error) {
	i, n, ok := strings.Cut(s, "/")
	a, err1 := strconv.Atoi(i)
	b, err2 := strconv.Atoi(n)
	if !ok || err1 != nil || err2 != nil || b < 1 || a < 1 || a > b {
		return 0, 0, usageError("load: --shard %q: want i/N with 1 ≤ i ≤ N", s)
	}
	return a, b, nil
}

// loadOptions turns the flags into loadgen options; every problem is a usage error naming its flag.
func loadOptions(cmd *cobra.Command, f *loadFlags) ([]loadgen.Option, error) {
	if f.originShield && cmd.Flags().Changed("pops") {
		return nil, usageError("load: --origin-shield funnels all traffic through one pool: do not combine it with --pops")
	}
	if f.duration <= 0 || f.duration > 24*time.Hour {
		return nil, usageError("load: --duration %v: want a positive duration of at most 24h", f.duration)
	}
	rt, err := f.resolve("load")
	if err != nil {
		return nil, err
	}
	pki := rt.pki
	opts := []loadgen.Option{
		loadgen.Target(f.target), loadgen.Path(f.path), loadgen.ServerName(rt.serverName), loadgen.ConnectTo(rt.addr),
		loadgen.MaxConns(f.maxConns), loadgen.KeepAlive(f.keepalive),
		loadgen.ConnectTimeout(f.connectTimeout), loadgen.ConnectAttempts(f.connectAttempts),
		loadgen.ReadTimeout(f.readTimeout), loadgen.OriginShield(f.originShield),
		loadgen.MaxWorkers(f.maxWorkers), loadgen.KeepBodies(f.keepBodies),
	}
	if cmd.Flags().Changed("pops") || !f.originShield {
		opts = append(opts, loadgen.Pops(f.pops))
	}
	for k, vs := range rt.headers {
		for _, v := range vs {
			opts = append(opts, loadgen.Header(k, v))
		}
	}
	if rt.roots != nil {
		opts = append(opts, loadgen.RootCAs(rt.roots, rt.rootsName))
	} else {
		opts = append(opts, loadgen.RootCAs(pki.ServerRootPool(), rt.rootsName))
	}
	if f.identity == "none" {
		opts = append(opts, loadgen.ClientIdentity(loadgen.NoIdentity))
	} else {
		id := pki.Identity(f.identity)
		switch {
		case id == nil:
			return nil, usageError("load: --identity %q: no such identity in %s (see %s/)", f.identity, f.pki, filepath.Join(f.pki, fixtures.DirClients))
		case id.Skipped != "":
			return nil, usageError("load: --identity %q: not built under this PKI: %s", f.identity, id.Skipped)
		}
		c := id.TLSCertificate()
		opts = append(opts, loadgen.ClientIdentity(loadgen.Identity{Name: f.identity, Certificate: &c}))
	}
	reuse, err := onOff("reuse", f.reuse)
	if err != nil {
		return nil, err
	}
	resumption, err := onOff("resumption", f.resumption)
	if err != nil {
		return nil, err
	}
	opts = append(opts, loadgen.Reuse(reuse), loadgen.Resumption(resumption))
	rate, err := parseRate(f.rate)
	if err != nil {
		return nil, err
	}
	sched, err := parseArrival(f.arrival, rate, f.duration)
	if err != nil {
		return nil, err
	}
	opts = append(opts, loadgen.Arrival(sched))
	if f.shard != "" {
		i, n, err := parseShard(f.shard)
		if err != nil {
			return nil, err
		}
		opts = append(opts, loadgen.Shard(i, n))
	}
	return opts, nil
}

func runLoad(cmd *cobra.Command, f *loadFlags) error {
	opts, err := loadOptions(cmd, f)
	if err != nil {
		return err
	}
	// Resolve everything before touching the output directory.
	if _, err := loadgen.New(opts...); err != nil {
		return loadOptionError(err)
	}
	if err := os.MkdirAll(f.out, 0o755); err != nil {
		return usageError("load: --out %s: %v", f.out, err)
	}
	stderr := cmd.ErrOrStderr()
	rep, runErr := executeLoad(cmd.Context(), stderr, opts, f.out, "load")
	if rep == nil {
		return runErr
	}
	verdict := loadVerdict(rep.Summary)
	sum := reports.New(version, rep.Config.Target, rep.Config.ServerName)
	sum.Verdict, sum.Load = verdict, &rep.Summary
	sum.Started, sum.Finished = rep.Started.UTC(), rep.Ended.UTC()
	writeErr := errors.Join(runErr, sum.WriteFile(filepath.Join(f.out, "summary.json")))
	if writeErr == nil {
		_, writeErr = reports.RenderDir(f.out)
	}
	s := rep.Summary
	fmt.Fprintf(cmd.OutOrStdout(), "%s: %d requests (%.1f/s of %.1f/s asked), %d errors, p99 %.2f ms (from intended send %.2f ms), %d connections, %d full + %d resumed handshakes, reuse %.0f%%\n",
		verdict, s.Requests, s.RateAchieved, s.RateAsked, s.Errors, s.Latency[loadgen.PhaseTotal].P99, s.Latency[loadgen.PhaseCorrected].P99,
		s.Connections, s.Handshakes.Full, s.Handshakes.Resumed, 100*s.ReuseRatio)
	fmt.Fprintf(cmd.OutOrStdout(), "wrote %s\n", f.out)
	if writeErr != nil {
		return inconclusiveError("load: writing results: %v", writeErr)
	}
	switch verdict {
	case "inconclusive":
		if s.Interrupted {
			return inconclusiveError("load: interrupted after %d of %d requests (outputs written to %s)", s.Requests, s.Scheduled, f.out)
		}
		return inconclusiveError("load: target unreachable: %s", classList(s.ErrorsByClass))
	case "fail":
		return failedError("load: %d of %d requests failed (%s)", s.Errors, s.Requests, classList(s.ErrorsByClass))
	}
	return nil
}

// executeLoad runs one load engine writing results.json, latency.hlog and
// run.json under out, with progress on stderr. The report is nil only when
// the engine could not be built; otherwise whatever was measured is
// returned, with the run's or the writes' error.
func executeLoad(ctx context.Context, stderr io.Writer, opts []loadgen.Option, out, name string) (*loadgen.Report, error) {
	resultsF, err := os.Create(filepath.Join(out, "results.json"))
	if err != nil {
		return nil, usageError("%s: --out: %v", name, err)
	}
	defer resultsF.Close()
	hlogF, err := os.Create(filepath.Join(out, "latency.hlog"))
	if err != nil {
		return nil, usageError("%s: --out: %v", name, err)
	}
	defer hlogF.Close()
	prog := newProgressPrinter(stderr)
	opts = append(opts, loadgen.Results(resultsF), loadgen.HistogramLog(hlogF), loadgen.OnProgress(prog.print))
	e, err := loadgen.New(opts...)
	if err != nil {
		return nil, loadOptionError(err)
	}
	cfg := e.Config()
	fmt.Fprintf(stderr, "%s: %s (SNI %s) as %s: %s over %d pop(s), %d conns each, keep-alive %v\n",
		name, cfg.URL, cfg.ServerName, cfg.Identity, cfg.Arrival, cfg.Pops, cfg.MaxConns, time.Duration(cfg.KeepAlive))
	rep, runErr := e.Run(ctx)
	prog.done()
	if rep == nil {
		return nil, inconclusiveError("%s: %v", name, runErr)
	}
	s := rep.Summary
	if s.GeneratorLimited {
		fmt.Fprintf(stderr, "%s: warning: generator_limited: the generator fell behind its schedule by up to %.0f ms (send lag p99 %.1f ms); the origin was under-driven\n", name, s.BehindByMs, s.SendLagP99Ms)
	}
	return rep, errors.Join(runErr, resultsF.Close(), hlogF.Close(),
		writeFileWith(filepath.Join(out, "run.json"), func(w io.Writer) error {
			return loadgen.WriteJSON(w, loadgen.NewRunInfo(rep, version, redactArgs(os.Args)))
		}))
}

// redactArgs hides --header values: origin custom headers are often shared secrets.
func redactArgs(args []string) []string {
	out := append([]string(nil), args...)
	for i, a := range out {
		switch {
		case a == "--header" && i+1 < len(out):
			out[i+1] = redactHeader(out[i+1])
		case strings.HasPrefix(a, "--header="):
			out[i] = "--header=" + redactHeader(strings.TrimPrefix(a, "--header="))
		}
	}
	return out
}

func redactHeader(kv string) string {
	k, _, _ := strings.Cut(kv, ":")
	return k + ":" + loadgen.RedactedValue
}

func loadOptionError(err error) error {
	var oe *loadgen.OptionError
	if errors.As(err, &oe) {
		return usageError("load: --%s: %s", oe.Option, oe.Reason)
	}
	return usageError("load: %v", err)
}

// loadVerdict: inconclusive when interrupted or when no request ever got a
// connection (unreachable target); fail when any request failed.
func loadVerdict(s loadgen.Summary) string {
	unreachable := s.Requests > 0 && s.Connections == 0
	switch {
	case s.Interrupted, unreachable, s.Requests == 0:
		return "inconclusive"
	case s.Errors > 0:
		return "fail"
	}
	return "pass"
}

func classList(m map[string]int64) string {
	parts := make([]string, 0, len(m))
	for k, v := range m {
		parts = append(parts, fmt.Sprintf("%s: %d", k, v))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

func writeFileWith(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}

// progressPrinter shows a live line on a terminal, plain lines every 5 s otherwise.
type progressPrinter struct {
	w    io.Writer
	tty  bool
	n    int
	live bool
}

func newProgressPrinter(w io.Writer) *progressPrinter {
	p := &progressPrinter{w: w}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

func (p *progressPrinter) print(pr loadgen.Progress) {
	p.n++
	line := fmt.Sprintf("%6.1fs  %d/%d requests  %.1f/s  p99 %.2f ms  errors %d",
		pr.Elapsed.Seconds(), pr.Requests, pr.Scheduled, pr.Rate, float64(pr.P99.Microseconds())/1e3, pr.Errors)
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s", line)
		p.live = true
		return
	}
	if p.n%5 == 0 {
		fmt.Fprintln(p.w, line)
	}
}

func (p *progressPrinter) done() {
	if p.live {
		fmt.Fprintln(p.w)
	}
}

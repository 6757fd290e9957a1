package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/originproof/originproof/certify"
	"github.com/originproof/originproof/cloudfront"
	"github.com/originproof/originproof/loadgen"
	"github.com/originproof/originproof/reports"
)

func init() { register("load", newLoadCmd) }

// loadFlags are the flags of `originproof load`.
type loadFlags struct {
	targetFlags
	identity, reuse, resumption string
	rate, arrival               string
	shards                      shardFlags
	pool                        poolFlags
	duration, connectTimeout    time.Duration
	readTimeout                 time.Duration
	connectAttempts             int
	keepBodies                  bool
	results                     string
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

CloudFront's ranges: --keepalive ` + cloudfront.KeepaliveTimeout.Help() + `;
--read-timeout ` + cloudfront.ReadTimeout.Help() + `.
With --distribution-config the pool flags not given take the origin's
settings (OriginKeepaliveTimeout, OriginReadTimeout, ConnectionTimeout,
ConnectionAttempts, Origin Shield), its custom headers are sent (values never
written to an output), and distribution.read-timeout judges time to first
byte p99.9 against OriginReadTimeout. With --cdn another CDN's defaults,
ranges and request headers apply.

Writes under --out: summary.json (the load section; per phase when --arrival
has several segments), summary.md (for CI job pages), results.json (Vegeta
JSON result lines plus per-request fields: 'vegeta report' reads it), run.json
(resolved configuration, version, machine), latency.hlog (HdrHistogram
interval log) and report.html. Exit 0 when every request succeeded, 1 when any failed,
2 on bad input, 3 when the target was unreachable or the run interrupted (an output
that cannot be written interrupts it; what was measured is still summarised).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runLoad(cmd, &f) },
	}
	fl := cmd.Flags()
	f.register(fl, "summary.json, summary.md, results.json, run.json, latency.hlog and report.html")
	fl.StringVar(&f.identity, "identity", "chain.valid", "client identity (a check id under the PKI's clients/) or 'none'")
	fl.StringVar(&f.reuse, "reuse", "on", "on|off: off makes every request a fresh connection and handshake")
	fl.StringVar(&f.resumption, "resumption", "on", "on|off: TLS session resumption per pop")
	fl.StringVar(&f.rate, "rate", fmt.Sprint(loadgen.DefaultRate), "requests per second: N, or Vegeta's N/DURATION (e.g. 100/1s)")
	fl.DurationVar(&f.duration, "duration", loadgen.DefaultDuration, "how long to send")
	fl.StringVar(&f.arrival, "arrival", "constant", "arrival model: "+loadgen.ArrivalForms)
	f.pool.register(fl, fmt.Sprintf("edge locations, each its own connection pool (1-%d)", loadgen.MaxPops))
	fl.DurationVar(&f.connectTimeout, "connect-timeout", cloudfront.ConnectionTimeout.Default, "connection timeout per attempt, "+cloudfront.ConnectionTimeout.Range())
	fl.IntVar(&f.connectAttempts, "connect-attempts", cloudfront.ConnectionAttempts.Default, "connection attempts, "+cloudfront.ConnectionAttempts.Range()+" (only "+strings.Join(cloudfront.RetriedMethods, "/")+" retried)")
	fl.DurationVar(&f.readTimeout, "read-timeout", cloudfront.ReadTimeout.Default, "origin read (response) timeout, "+cloudfront.ReadTimeout.Range())
	f.shards.register(fl)
	fl.BoolVar(&f.keepBodies, "keep-bodies", false, "keep response bodies and headers in results.json")
	fl.StringVar(&f.results, "results", string(loadgen.ResultsFull), "raw results kept: full (results.json), gzip (results.json.gz) or none (summary.json, latency.hlog and series.json are written anyway)")
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

// loadOptions turns the flags into loadgen options; every problem is a usage error naming its flag.
func loadOptions(cmd *cobra.Command, f *loadFlags) ([]loadgen.Option, error) {
	if err := f.pool.check("load", cmd.Flags()); err != nil {
		return nil, err
	}
	if f.duration <= 0 || f.duration > 24*time.Hour {
		return nil, usageError("load: --duration %v: want a positive duration of at most 24h", f.duration)
	}
	pki, ep, err := f.resolve("load")
	if err != nil {
		return nil, err
	}
	if err := f.fillPool(cmd); err != nil {
		return nil, err
	}
	reuse, err := onOff("reuse", f.reuse)
	if err != nil {
		return nil, err
	}
	resumption, err := onOff("resumption", f.resumption)
	if err != nil {
		return nil, err
	}
	identity, err := certify.LoadIdentity(pki, f.pki, f.identity)
	if err != nil {
		return nil, flagError("load", err)
	}
	rate, err := loadgen.ParseRate(f.rate)
	if err != nil {
		return nil, usageError("load: --rate %v", err)
	}
	sched, err := loadgen.ParseArrival(f.arrival, rate, f.duration)
	if err != nil {
		return nil, usageError("load: --arrival %v", err)
	}
	opts := append(append(ep.LoadOptions(), f.pool.options(cmd.Flags())...),
		loadgen.ConnectTimeout(f.connectTimeout), loadgen.ConnectAttempts(f.connectAttempts),
		loadgen.ReadTimeout(f.readTimeout), loadgen.KeepBodies(f.keepBodies),
		loadgen.ClientIdentity(identity), loadgen.Reuse(reuse), loadgen.Resumption(resumption), loadgen.Arrival(sched))
	return opts, nil
}

// fillPool sets the pool flags not given from the CDN's defaults and the
// distribution's origin settings.
func (f *loadFlags) fillPool(cmd *cobra.Command) error {
	d, fl := f.poolDefaults(), cmd.Flags()
	set := func(name string, apply func()) {
		if !fl.Changed(name) {
			apply()
		}
	}
	set("keepalive", func() { f.pool.keepalive = d.Keepalive })
	set("read-timeout", func() { f.readTimeout = d.ReadTimeout })
	set("connect-timeout", func() { f.connectTimeout = d.ConnectTimeout })
	set("connect-attempts", func() { f.connectAttempts = d.ConnectAttempts })
	if d.MaxConns > 0 {
		set("max-conns", func() { f.pool.maxConns = d.MaxConns })
	}
	if d.OriginShield && !fl.Changed("origin-shield") {
		if fl.Changed("pops") {
			return usageError("load: --pops: the distribution's origin has Origin Shield (one regional pool); give --origin-shield=false to model edges instead")
		}
		f.pool.originShield = true
	}
	return nil
}

func runLoad(cmd *cobra.Command, f *loadFlags) error {
	opts, err := loadOptions(cmd, f)
	if err != nil {
		return err
	}
	shard, startAt, err := f.shards.resolve("load")
	if err != nil {
		return err
	}
	if shard.Sharded() {
		opts = append(opts, loadgen.Shard(shard.Index, shard.Count))
	}
	stderr := cmd.ErrOrStderr()
	prog := newProgressPrinter(stderr)
	lo := certify.LoadOptions{
		Out: f.out, Version: version, Args: certify.RedactArgs(os.Args), Progress: prog.print, Started: loadStarted(stderr, "load"),
		StartAt: startAt, StartTolerance: f.shards.tolerance, Waiting: waiting(stderr, "load"), Results: loadgen.ResultsMode(f.results),
	}
	rep, runErr := certify.RunLoad(cmd.Context(), opts, lo)
	prog.done()
	if rep == nil {
		return loadRunError("load", runErr)
	}
	sum := certify.LoadSummary(&rep.Summary, version, rep.Started, rep.Ended)
	certify.JudgeLoadWithDistribution(sum, f.target.Distribution)
	writeErr := reports.WriteSummary(f.out, sum)
	if writeErr == nil {
		_, writeErr = reports.RenderDir(f.out)
	}
	fmt.Fprintln(cmd.OutOrStdout(), reports.LoadLine(sum, ""))
	fmt.Fprintf(cmd.OutOrStdout(), "wrote %s\n", f.out)
	for _, w := range sum.Warnings {
		fmt.Fprintf(stderr, "load: warning: %s\n", w)
	}
	if runErr != nil || writeErr != nil {
		return inconclusiveError("load: writing results: %v", errors.Join(runErr, writeErr))
	}
	return loadVerdictError("load", sum)
}

// loadRunError is the error of a load run that produced no report.
func loadRunError(cmd string, err error) error {
	if certify.IsInputError(err) {
		return flagError(cmd, err)
	}
	return inconclusiveError("%s: %v", cmd, err)
}

// loadVerdictError maps a load run's verdict to the exit code; the reason
// says what failed.
func loadVerdictError(cmd string, sum *reports.Summary) error {
	return verdictExit(cmd, "", "", sum)
}

// loadStarted prints the resolved run once the engine is built.
func loadStarted(w io.Writer, name string) func(loadgen.Config) {
	return func(cfg loadgen.Config) {
		fmt.Fprintf(w, "%s: %s (SNI %s) as %s: %s over %d pop(s), %d conns each, keep-alive %v\n",
			name, cfg.URL, cfg.ServerName, cfg.Identity, cfg.Arrival, cfg.Pops, cfg.MaxConns, time.Duration(cfg.KeepAlive))
	}
}

package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/originproof/originproof/certify"
	"github.com/originproof/originproof/checks"
	"github.com/originproof/originproof/reports"
	"github.com/originproof/originproof/scenarios"
)

func init() { register("certify", newCertifyCmd) }

func newCertifyCmd() *cobra.Command {
	var (
		out, server     string
		dryRun, verbose bool
		shards          shardFlags
		results         string
		dist            distFlags
	)
	cmd := &cobra.Command{
		Use:   "certify SCENARIO.yaml --out DIR",
		Short: "The go-live gate: conformance, CloudFront-shaped load and thresholds from a scenario file",
		Long: `Certify an origin from a scenario file: the conformance suites with the
scenario's policy, then its load phases (one run: the pools persist across
phases, as CloudFront's do), then its thresholds.

The scenario format is documented in scenarios/scenario.schema.json and the
examples in scenarios/ (go-live.yaml, smoke.yaml, rotation-drill.yaml,
origin-shield.yaml). A malformed scenario is reported as file:line:col before
any traffic is sent. --dry-run prints the resolved plan, every default filled in.

--distribution-config FILE [--origin-id ID] and --cdn NAME set the scenario's
distribution: and cdn: keys ('originproof scenario init --from-cloudfront FILE'
writes a scenario from a distribution config).

Writes under --out: summary.json, summary.md (for CI job pages), junit.xml
(checks and thresholds as testcases), results.json, run.json, latency.hlog
and report.html.
Exit codes: 0 pass, 1 fail, 2 bad scenario or input, 3 inconclusive.

On several machines (e.g. a Kubernetes Indexed Job, see 'originproof kube
render'), each runs one --shard with the same --start-at: every shard waits
for that instant, sends every N-th request of each phase, and writes its own
--out; shard 1 also runs the conformance suites, after the load. A shard exits
0 once it has run (3 if it could not: late for --start-at, target
unreachable, interrupted); 'originproof merge' of every shard's --out writes
what one certify writes and exits with the gate's verdict.`,
		Example: `  originproof certify scenarios/go-live.yaml --out out/go-live
  originproof certify gate.yaml --dry-run
  originproof certify gate.yaml --shard 2/3 --start-at 2026-12-01T10:00:00Z --out out/shard-2`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError("certify: want exactly one scenario file, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			edit := dist.edit(cmd.Flags().Changed("cdn"))
			s, err := loadScenario(args[0], func(s *scenarios.Scenario) {
				if edit != nil {
					edit(s)
				}
				if results != "" {
					s.Results = results // validated with the scenario
				}
			})
			if err != nil {
				return err
			}
			if dryRun {
				return printPlan(cmd.OutOrStdout(), s)
			}
			if out == "" {
				return usageError("certify: --out is required (the directory for the outputs)")
			}
			shard, startAt, err := shards.resolve("certify")
			if err != nil {
				return err
			}
			var ginkgo io.Writer
			if verbose {
				ginkgo = cmd.ErrOrStderr()
			}
			o := certify.Options{Out: out, Source: args[0], Verbose: ginkgo,
				Shard: shard, StartAt: startAt, StartTolerance: shards.tolerance, Waiting: waiting(cmd.ErrOrStderr(), "certify")}
			if server != "" {
				if o.Server, err = checks.ParseServer(server); err != nil {
					return usageError("certify: --server %v", err)
				}
			}
			_, err = runCertify(cmd, s, o)
			return err
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "directory for the outputs")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the resolved plan and exit without sending traffic")
	cmd.Flags().BoolVar(&verbose, "verbose", false, "show Ginkgo's progress on stderr")
	shards.register(cmd.Flags())
	cmd.Flags().StringVar(&results, "results", "", "raw results kept: full, gzip or none (default: the scenario's results:, full)")
	dist.register(cmd.Flags())
	cmd.Flags().StringVar(&server, "server", "", serverFlagHelp+" (instead of the scenario's target.server)")
	return cmd
}

// edit sets the scenario's distribution: and cdn: keys from the flags
// given (a flag's relative path is the working directory's, not the
// scenario file's); nil when none is.
func (d *distFlags) edit(cdnGiven bool) func(*scenarios.Scenario) {
	if d.config == "" && d.originID == "" && !cdnGiven {
		return nil
	}
	return func(s *scenarios.Scenario) {
		if cdnGiven {
			s.CDN = d.cdn
		}
		if d.config != "" {
			file, _ := filepath.Abs(d.config)
			s.Distribution = &scenarios.Distribution{Config: file}
		}
		if d.originID != "" {
			if s.Distribution == nil {
				s.Distribution = &scenarios.Distribution{}
			}
			s.Distribution.OriginID = d.originID
		}
	}
}

func loadScenario(path string, edit func(*scenarios.Scenario)) (*scenarios.Scenario, error) {
	s, err := scenarios.LoadFile(path, scenarios.Options{KnownChecks: checks.IDs(), Edit: edit})
	switch {
	case err == nil:
		return s, nil
	case scenarios.IsScenarioError(err):
		return nil, usageError("invalid scenario:\n%v", err)
	}
	return nil, usageError("certify: %s: %v", path, unwrapPath(err))
}

// runCertify runs a parsed scenario, prints its summary and returns the
// summary (nil when nothing ran) and the exit error.
func runCertify(cmd *cobra.Command, s *scenarios.Scenario, o certify.Options) (*reports.Summary, error) {
	stderr := cmd.ErrOrStderr()
	prog := newProgressPrinter(stderr)
	o.Version, o.Args, o.Log = version, certify.RedactArgs(os.Args), stderr
	o.Progress, o.LoadStarted = prog.print, loadStarted(stderr, "load")
	sum, err := certify.Run(cmd.Context(), s, o)
	prog.done()
	if sum == nil {
		if certify.IsInputError(err) {
			return nil, usageError("certify: %v", err)
		}
		return nil, inconclusiveError("certify: %v", err)
	}
	reports.WriteText(cmd.OutOrStdout(), sum, o.Out)
	if err != nil { // the target unreachable, or outputs not written
		return sum, inconclusiveError("certify: %v", err)
	}
	if o.Shard.Sharded() && sum.Verdict != checks.VerdictInconclusive {
		// A shard's own verdict covers its share: merge judges the run.
		fmt.Fprintf(cmd.ErrOrStderr(), "certify: shard %s done (%s on its share); merge every shard's --out for the verdict\n", o.Shard, sum.Verdict)
		return sum, nil
	}
	return sum, verdictError("certify", sum)
}

// printPlan prints the resolved scenario and its load plan (--dry-run).
func printPlan(w io.Writer, s *scenarios.Scenario) error {
	plan, err := s.Plan()
	if err != nil {
		return usageError("certify: %v", err)
	}
	y, err := s.YAML()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "# resolved scenario (every default filled in)\n%s", y)
	if plan == nil {
		fmt.Fprintln(w, "# load: no phases (conformance only)")
		return nil
	}
	fmt.Fprintf(w, "# load plan: %v, %d requests scheduled\n", plan.Schedule.Duration(), plan.Schedule.Requests())
	for _, win := range plan.Windows {
		fmt.Fprintf(w, "#   %-16s %-15s %8v - %-8v %6d requests (%.1f/s)\n", win.Name, win.Kind, win.Start, win.End, win.Scheduled, win.AskedRate)
	}
	if plan.RotateUntil > 0 {
		fmt.Fprintf(w, "#   identity switch chain.valid -> rotation.next-accepted, pop by pop, between %v and %v\n", plan.RotateFrom, plan.RotateUntil)
	}
	return nil
}

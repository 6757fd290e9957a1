package main

import (
	"fmt"
	"io"
	"os"

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

Writes under --out: summary.json, summary.md (for CI job pages), junit.xml
(checks and thresholds as testcases), results.json, run.json, latency.hlog
and report.html.
Exit codes: 0 pass, 1 fail, 2 bad scenario or input, 3 inconclusive.`,
		Example: `  originproof certify scenarios/go-live.yaml --out out/go-live
  originproof certify gate.yaml --dry-run`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError("certify: want exactly one scenario file, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := loadScenario(args[0])
			if err != nil {
				return err
			}
			if dryRun {
				return printPlan(cmd.OutOrStdout(), s)
			}
			if out == "" {
				return usageError("certify: --out is required (the directory for the outputs)")
			}
			var ginkgo io.Writer
			if verbose {
				ginkgo = cmd.ErrOrStderr()
			}
			o := certify.Options{Out: out, Source: args[0], Verbose: ginkgo}
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
	cmd.Flags().StringVar(&server, "server", "", serverFlagHelp+" (instead of the scenario's target.server)")
	return cmd
}

func loadScenario(path string) (*scenarios.Scenario, error) {
	s, err := scenarios.LoadFile(path, scenarios.Options{KnownChecks: checks.IDs()})
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

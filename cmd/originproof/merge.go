package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/originproof/originproof/certify"
	"github.com/originproof/originproof/reports"
)

func init() { register("merge", newMergeCmd) }

func newMergeCmd() *cobra.Command {
	var (
		out          string
		allowMissing bool
	)
	cmd := &cobra.Command{
		Use:   "merge --out DIR SHARD_DIR...",
		Short: "Merge the results of shards run on several machines (load or certify)",
		Long: `Merge the outputs of 'originproof load --shard i/N' or 'originproof certify
--shard i/N' run on several machines into one run directory.

Certify shards merge into what one certify writes: shard 1's conformance
results, the merged load, and the scenario's thresholds judged on the
merged whole (also junit.xml); the exit code is the gate's verdict.

results.json files are concatenated (still Vegeta lines: 'vegeta report'
reads the merged file), latency.hlog intervals merged into one log, and the
load summary recomputed: counts and rates summed, percentiles from the merged
histograms. Shard i's pop p becomes pop (i-1)*pops+p, so every pool stays
distinct. Shards must be of one run: same target, schedule and load model,
run at overlapping times.

Each phase of the run (the segments of a multi-segment --arrival) is
recomputed from the merged results.

Writes under --out: summary.json, summary.md (for CI job pages), results.json,
latency.hlog, run.json (the merged configuration and the shards it was made
of) and report.html.`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runMerge(cmd, out, args, allowMissing) },
	}
	cmd.Flags().StringVar(&out, "out", "", "output directory (required)")
	cmd.Flags().BoolVar(&allowMissing, "allow-missing", false, "leave out, with a warning, shard directories that hold no outputs (a shard that never ran)")
	return cmd
}

func runMerge(cmd *cobra.Command, out string, dirs []string, allowMissing bool) error {
	if out == "" {
		return usageError("merge: --out is required")
	}
	sum, err := certify.Merge(out, dirs, version, os.Args, allowMissing)
	var ie *certify.InputError
	switch {
	case errors.As(err, &ie) && ie.Field == certify.FieldOut:
		return usageError("merge: --%v", ie)
	case errors.As(err, &ie):
		return usageError("merge: %v", ie.Err)
	case sum == nil:
		return inconclusiveError("merge: %v", err)
	}
	for _, w := range sum.Warnings {
		fmt.Fprintf(cmd.ErrOrStderr(), "merge: warning: %s\n", w)
	}
	fmt.Fprintln(cmd.OutOrStdout(), reports.LoadLine(sum, fmt.Sprintf("%d shards, ", len(dirs))))
	fmt.Fprintf(cmd.OutOrStdout(), "wrote %s\n", out)
	if err != nil {
		return inconclusiveError("merge: writing results: %v", err)
	}
	return loadVerdictError("merge", sum)
}

package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/originproof/originproof/loadgen"
	"github.com/originproof/originproof/reports"
)

func init() { register("merge", newMergeCmd) }

func newMergeCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "merge --out DIR SHARD_DIR...",
		Short: "Merge the load results of shards run on several machines",
		Long: `Merge the outputs of 'originproof load --shard i/N' run on several machines
into one run directory.

results.json files are concatenated (still Vegeta lines: 'vegeta report'
reads the merged file), latency.hlog intervals merged into one log, and the
load summary recomputed: counts and rates summed, percentiles from the merged
histograms. Shard i's pop p becomes pop (i-1)*pops+p, so every pool stays
distinct. Shards must be of one run: same target, schedule and load model,
run at overlapping times.

Writes under --out: summary.json, results.json, latency.hlog, run.json (the
merged configuration and the shards it was made of) and report.html.`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runMerge(cmd, out, args) },
	}
	cmd.Flags().StringVar(&out, "out", "", "output directory (required)")
	return cmd
}

func runMerge(cmd *cobra.Command, out string, dirs []string) error {
	if out == "" {
		return usageError("merge: --out is required")
	}
	if len(dirs) == 0 {
		return usageError("merge: no shard directories given")
	}
	absOut, _ := filepath.Abs(out)
	var shards []*loadgen.ShardDir
	for _, d := range dirs {
		if abs, _ := filepath.Abs(d); abs == absOut {
			return usageError("merge: %s is both a shard and --out", d)
		}
		s, err := loadgen.OpenShard(d)
		if err != nil {
			return usageError("merge: %v", err)
		}
		shards = append(shards, s)
	}
	if err := loadgen.CheckShards(shards); err != nil {
		return usageError("merge: %v", err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return usageError("merge: --out %s: %v", out, err)
	}
	resultsF, err := os.Create(filepath.Join(out, loadgen.ResultsFile))
	if err != nil {
		return usageError("merge: --out: %v", err)
	}
	defer resultsF.Close()
	hlogF, err := os.Create(filepath.Join(out, loadgen.HlogFile))
	if err != nil {
		return usageError("merge: --out: %v", err)
	}
	defer hlogF.Close()
	m, err := loadgen.Merge(shards, resultsF, hlogF, version, os.Args)
	if err != nil {
		var me *loadgen.MergeError
		if errors.As(err, &me) {
			return usageError("merge: %v", err)
		}
		return inconclusiveError("merge: %v", err)
	}
	s := m.Summary
	verdict := loadVerdict(s)
	cfg := m.Run.Config
	sum := reports.New(version, cfg.Target, cfg.ServerName)
	sum.Verdict, sum.Load = verdict, &s
	sum.Started, sum.Finished = m.Run.Started, m.Run.Ended
	if len(m.Run.Missing) > 0 {
		sum.Warnings = append(sum.Warnings, fmt.Sprintf("merged %d of %d shards (missing %v): the origin saw only part of the load", len(shards), shards[0].Count, m.Run.Missing))
		fmt.Fprintf(cmd.ErrOrStderr(), "merge: warning: shards %v of %d missing\n", m.Run.Missing, shards[0].Count)
	}
	writeErr := errors.Join(resultsF.Close(), hlogF.Close(),
		writeFileWith(filepath.Join(out, loadgen.RunFile), func(w io.Writer) error { return loadgen.WriteJSON(w, m.Run) }),
		sum.WriteFile(filepath.Join(out, loadgen.SummaryFile)))
	if writeErr == nil {
		_, writeErr = reports.RenderDir(out)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%s: %d shards, %d requests (%.1f/s of %.1f/s asked), %d errors, p99 %.2f ms (from intended send %.2f ms), %d connections, reuse %.0f%%\n",
		verdict, len(shards), s.Requests, s.RateAchieved, s.RateAsked, s.Errors, s.Latency[loadgen.PhaseTotal].P99, s.Latency[loadgen.PhaseCorrected].P99,
		s.Connections, 100*s.ReuseRatio)
	fmt.Fprintf(cmd.OutOrStdout(), "wrote %s\n", out)
	if writeErr != nil {
		return inconclusiveError("merge: writing results: %v", writeErr)
	}
	switch verdict {
	case "inconclusive":
		return inconclusiveError("merge: the merged run is inconclusive (interrupted or target unreachable)")
	case "fail":
		return failedError("merge: %d of %d requests failed (%s)", s.Errors, s.Requests, classList(s.ErrorsByClass))
	}
	return nil
}

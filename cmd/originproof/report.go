package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/originproof/originproof/reports"
)

func init() { register("report", newReportCmd) }

func newReportCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "report --out DIR RUN_DIR...",
		Short: "Render report.html from saved run directories (several: side by side)",
		Long: `Render the self-contained HTML report (one file, no network needed to view it)
from the outputs of conform, load or certify runs: summary.json, and for load
runs results.json, latency.hlog and run.json.

With several run directories the report compares them side by side, per
latency phase, with the differences against the first run in µs and % — e.g.
mTLS vs TLS-only, pooled vs cold, before vs after a configuration change.`,
		Example: `  originproof report --out out/compare out/demo/cost/mtls-pooled out/demo/cost/tls-only-pooled`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError("report: name at least one run directory")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usageError("report: --out is required (the directory for report.html)")
			}
			path, err := reports.RenderDirs(out, args...)
			if err != nil {
				return usageError("report: %v", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s\n", path)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "directory to write report.html into")
	return cmd
}

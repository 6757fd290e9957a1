package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/originproof/originproof/certify"
	"github.com/originproof/originproof/checks"
	"github.com/originproof/originproof/scenarios"
)

func init() { register("scenario", newScenarioCmd) }

func newScenarioCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scenario",
		Short: "Write scenario files",
	}
	cmd.AddCommand(newScenarioInitCmd())
	return cmd
}

func newScenarioInitCmd() *cobra.Command {
	var file, originID string
	cmd := &cobra.Command{
		Use:   "init --from-cloudfront FILE [--origin-id ID]",
		Short: "Print a scenario for the origin of a CloudFront distribution config",
		Long: `Print a scenario (YAML) for one origin of a CloudFront distribution.

FILE is the JSON printed by 'aws cloudfront get-distribution-config' or
'aws cloudfront get-distribution' (or a bare DistributionConfig). The scenario
targets the origin's domain and HTTPS port and names the distribution config,
so a run takes the origin's keep-alive, read and connect timeouts, connection
attempts, Origin Shield and custom headers from it, and judges the pair with
the distribution checks. Custom header values are never written. Load phases
exercise CloudFront's pools (an idle gap longer than OriginKeepaliveTimeout
forces every pool to re-handshake). Edit pki, target.connect_to and the load to
your needs, then run 'originproof certify FILE --out DIR'.

A distribution with several origins needs --origin-id.
Exit codes: 0 printed, 2 bad input.`,
		Example: `  aws cloudfront get-distribution-config --id E123EXAMPLE > dist.json
  originproof scenario init --from-cloudfront dist.json --origin-id web > gate.yaml
  originproof certify gate.yaml --dry-run`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if file == "" {
				return usageError("scenario init: --from-cloudfront is required (the JSON of aws cloudfront get-distribution-config)")
			}
			o, err := certify.LoadDistribution(file, originID)
			var ie *certify.InputError
			if errors.As(err, &ie) && ie.Field == certify.FieldDistribution {
				return usageError("scenario init: --from-cloudfront %v", ie.Err)
			} else if err != nil {
				return flagError("scenario init", err)
			}
			y, err := scenarios.FromCloudFront(file, o).Marshal()
			if err != nil {
				return err
			}
			// What is printed must be a valid scenario where it is written.
			if _, err := scenarios.Parse(y, "scenario.yaml", scenarios.Options{KnownChecks: checks.IDs()}); err != nil {
				return fmt.Errorf("scenario init: the scenario written does not validate:\n%v", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "# originproof scenario for origin %s of %s\n%s", o.ID, file, y)
			return nil
		},
	}
	cmd.Flags().StringVar(&file, "from-cloudfront", "", "FILE: the JSON of 'aws cloudfront get-distribution-config' or 'get-distribution'")
	cmd.Flags().StringVar(&originID, "origin-id", "", "the origin to write the scenario for (required when the distribution has several)")
	return cmd
}

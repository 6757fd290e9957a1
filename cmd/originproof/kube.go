package main

import (
	"errors"
	"strings"

	"github.com/spf13/cobra"

	"github.com/originproof/originproof/kube"
	"github.com/originproof/originproof/loadgen"
	"github.com/originproof/originproof/scenarios"
)

func init() { register("kube", newKubeCmd) }

func newKubeCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "kube",
		Short: "Run a scenario as shards on Kubernetes",
	}
	cmd.AddCommand(newKubeRenderCmd())
	return cmd
}

func newKubeRenderCmd() *cobra.Command {
	opts := kube.Options{}
	cmd := &cobra.Command{
		Use:   "render SCENARIO.yaml --shards N --image IMAGE",
		Short: "Print the Kubernetes objects that run a scenario as N shards",
		Long: `Print multi-document YAML for 'kubectl apply -f -': the scenario in a
ConfigMap, the PKI material the shards need in Secrets (client identities and
public material; never a CA private key), a ReadWriteMany claim for the
outputs (unless --results-claim names one), and an Indexed Job of N pods, each
running

  originproof certify SCENARIO --shard auto --start-at <now + --start-in> \
      --out /results/<run>/shard-$(JOB_COMPLETION_INDEX)

--merge adds the Job that merges the shards' outputs, to be applied once the
shards are done (the comment at the top of the output says how).

A scenario with pki.generate or pki.ca_cert is minted once, here, into
--pki-out, so every shard presents the same identities; the CA keys stay in
that directory. The checks that mint identities during the run read CA keys
from an optional Secret you create (the output names it); without it they are
skipped. See docs/scale-out.md.`,
		Example: `  originproof kube render scenarios/go-live.yaml --shards 4 --image registry.example/originproof:v1 --merge > run.yaml
  kubectl apply -f run.yaml -l 'app.kubernetes.io/component!=merge'`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError("kube render: want exactly one scenario file, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ScenarioFile, opts.Version = args[0], version
			for _, req := range []string{"shards", "image"} {
				if !cmd.Flags().Changed(req) {
					return usageError("kube render: --%s is required", req)
				}
			}
			m, err := kube.Render(opts)
			if err != nil {
				var oe *kube.OptionError
				switch {
				case scenarios.IsScenarioError(err):
					return usageError("invalid scenario:\n%v", err)
				case errors.As(err, &oe):
					return usageError("kube render: %s: %s", oe.Option, strings.TrimPrefix(oe.Reason, "fixtures: "))
				}
				return usageError("kube render: %v", err)
			}
			return m.WriteYAML(cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.IntVar(&opts.Shards, "shards", 0, "number of pods sharing the load (each sends 1/N of it)")
	f.StringVar(&opts.Image, "image", "", "originproof image the pods run (make image builds one)")
	f.StringVar(&opts.Namespace, "namespace", "", "namespace of every object (default: kubectl's context)")
	f.DurationVar(&opts.StartIn, "start-in", kube.DefaultStartIn, "the shards start their load together this long after rendering")
	f.StringVar(&opts.ResultsClaim, "results-claim", "", "an existing ReadWriteMany PersistentVolumeClaim for the outputs (default: render one)")
	f.BoolVar(&opts.Merge, "merge", false, "add the Job that merges the shards' outputs")
	f.StringVar(&opts.PKIOut, "pki-out", "", "with pki.generate or pki.ca_cert: write the PKI minted at render time here")
	f.StringVar((*string)(&opts.Results), "results", string(loadgen.ResultsGzip), "what each shard keeps of its raw results: gzip (results.json.gz), full or none (the pods' scenario results:)")
	return cmd
}

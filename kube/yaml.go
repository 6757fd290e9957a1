package kube

import (
	"bufio"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/originproof/originproof/fixtures"
)

// mintingCAKeys are the CA keys the checks that mint identities during a
// run use (resumption.after-expiry: a short-lived leaf under the current
// intermediate, or the next one in the post-rotation phase, and the
// resumption intermediate re-certified by the client root).
var mintingCAKeys = []string{"client-root.key", "client-intermediate.key", "next-intermediate.key", "resumption-intermediate.key"}

// WriteYAML writes the objects as multi-document YAML for `kubectl apply
// -f -`, after a comment saying how to apply, wait and merge.
func (m *Manifests) WriteYAML(w io.Writer) error {
	bw := bufio.NewWriter(w)
	for _, line := range m.header() {
		fmt.Fprintln(bw, strings.TrimRight("# "+line, " "))
	}
	for _, obj := range m.Objects {
		data, err := yaml.Marshal(obj)
		if err != nil {
			return fmt.Errorf("kube: encode %T: %w", obj, err)
		}
		bw.WriteString("---\n")
		bw.Write(data)
	}
	return bw.Flush()
}

// header is the comment at the top of the YAML.
func (m *Manifests) header() []string {
	ns := ""
	if m.Namespace != "" {
		ns = " -n " + m.Namespace
	}
	wait := fmt.Sprintf("kubectl%s wait --for=condition=complete job/%s --timeout=%ds", ns, m.JobName, int(m.Deadline/time.Second))
	h := []string{
		fmt.Sprintf("originproof kube render: scenario %s, run %s", m.Scenario, m.Run),
		fmt.Sprintf("%d shard(s) run certify --shard auto; their load starts together at %s.", m.Shards, m.StartAt.Format(time.RFC3339)),
		"Apply right away: a shard that starts later than its start tolerance exits 3.",
		"",
	}
	if m.MergeJobName != "" {
		h = append(h,
			"Save this as run.yaml; apply the run, wait for its shards, then apply the merge Job:",
			fmt.Sprintf("  kubectl%s apply -f run.yaml -l '%s!=%s'", ns, LabelComponent, ComponentMerge),
			"  "+wait,
			fmt.Sprintf("  kubectl%s apply -f run.yaml -l %s=%s", ns, LabelComponent, ComponentMerge))
	} else {
		h = append(h, "Apply, then wait for the shards:", fmt.Sprintf("  kubectl%s apply -f run.yaml", ns), "  "+wait)
	}
	h = append(h,
		"A shard that exits non-zero (1: the origin failed; 3: inconclusive) marks the Job failed, not complete:",
		fmt.Sprintf("wait for condition=failed as well (docs/scale-out.md). Outputs: claim %s, %s.", m.ClaimName, m.ShardDir("<i>")),
		"",
		"Shard sizing: "+m.Sizing+".",
		"Retries: none (restartPolicy Never, backoffLimitPerIndex 0): a shard that failed may already have sent load.",
		"",
		"No CA private key is in any object below. The checks that mint identities during the run",
		fmt.Sprintf("(resumption.after-expiry) read CA keys from the optional Secret %s, which only you can create;", m.CAKeysSecret),
		"without it they are skipped with the reason. Every shard's pod mounts it; only shard 1 uses it:")
	create := fmt.Sprintf("  kubectl%s create secret generic %s", ns, m.CAKeysSecret)
	for _, k := range m.mintingKeys() {
		create += " --from-file=" + filepath.Join(m.PKIDir, fixtures.DirCA, k)
	}
	return append(h, create)
}

// mintingKeys are the CA keys of the PKI that the minting checks use.
func (m *Manifests) mintingKeys() []string {
	var out []string
	for _, k := range mintingCAKeys {
		if slices.Contains(m.CAKeys, k) {
			out = append(out, k)
		}
	}
	return out
}

package kube_test

import (
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
	corev1 "k8s.io/api/core/v1"
)

// TestScaleOutDoc keeps docs/scale-out.md true to what render does: its
// manifests decode strictly and run non-root like the shards, its CI job
// parses and gates on the merge's exit code, and the CA-keys Secret it
// tells users to create holds exactly the keys the pods project.
func TestScaleOutDoc(t *testing.T) {
	doc := string(mustRead(t, "../docs/scale-out.md"))

	var workflow struct {
		Jobs map[string]struct {
			Steps []struct {
				Name string            `yaml:"name"`
				If   string            `yaml:"if"`
				Uses string            `yaml:"uses"`
				Run  string            `yaml:"run"`
				With map[string]string `yaml:"with"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	blocks := fenced(doc, "yaml")
	if len(blocks) != 1 {
		t.Fatalf("%d yaml blocks, want the CI job", len(blocks))
	}
	if err := yaml.Unmarshal([]byte(blocks[0]), &workflow); err != nil {
		t.Fatalf("the CI job does not parse: %v", err)
	}
	job, ok := workflow.Jobs["certify-sharded"]
	if !ok {
		t.Fatal("no certify-sharded job")
	}
	var renders, waitsForFailed, verdict, upload bool
	var pods []string
	for _, s := range job.Steps {
		renders = renders || strings.Contains(s.Run, "originproof kube render ") && strings.Contains(s.Run, "--merge")
		waitsForFailed = waitsForFailed || strings.Contains(s.Run, "*Failed*")
		verdict = verdict || strings.Contains(s.Run, "job-name=$RUN-merge") && strings.Contains(s.Run, `exit "${code:-3}"`)
		upload = upload || strings.HasPrefix(s.Uses, "actions/upload-artifact@") && s.If == "always()"
		pods = append(pods, heredocs(s.Run)...)
	}
	if !renders || !waitsForFailed || !verdict || !upload {
		t.Errorf("CI job: render --merge %v, waits for Failed too %v, exits with the merge's code %v, uploads always %v", renders, waitsForFailed, verdict, upload)
	}
	for _, b := range fenced(doc, "sh") {
		pods = append(pods, heredocs(b)...)
	}
	if len(pods) != 2 {
		t.Fatalf("%d heredoc manifests, want the fetch pod in step 7 and in the CI job", len(pods))
	}
	dec := strictDecoder()
	for i, p := range pods {
		obj, _, err := dec.Decode([]byte(strings.ReplaceAll(p, "$RUN", "go-live-20260301-120000")), nil, nil)
		if err != nil {
			t.Fatalf("fetch pod %d does not decode strictly: %v\n%s", i, err, p)
		}
		pod, ok := obj.(*corev1.Pod)
		if !ok {
			t.Fatalf("fetch pod %d is a %T", i, obj)
		}
		ps, c := pod.Spec.SecurityContext, pod.Spec.Containers[0].SecurityContext
		if ps == nil || ps.RunAsNonRoot == nil || !*ps.RunAsNonRoot || c == nil || c.AllowPrivilegeEscalation == nil || *c.AllowPrivilegeEscalation ||
			c.Capabilities == nil || !slices.Equal(c.Capabilities.Drop, []corev1.Capability{"ALL"}) || ps.SeccompProfile == nil {
			t.Errorf("fetch pod %d would not pass where the shards do: %+v %+v", i, ps, c)
		}
		if v := pod.Spec.Volumes[0].PersistentVolumeClaim; v == nil || v.ClaimName != "go-live-20260301-120000-results" {
			t.Errorf("fetch pod %d mounts %+v, not the run's claim", i, pod.Spec.Volumes[0])
		}
	}

	// The CA keys the doc's Secret holds are those render's header names.
	m, out := render(t, baseOptions(writeScenario(t, loadScenario)))
	headerKeys := fromFiles(t, string(out), "kubectl -n load create secret generic "+m.CAKeysSecret)
	docKeys := fromFiles(t, doc, "kubectl -n originproof create secret generic go-live-ca-keys")
	if len(headerKeys) != 4 || !slices.Equal(headerKeys, docKeys) {
		t.Errorf("the doc's CA-keys Secret holds %v, render's header %v", docKeys, headerKeys)
	}
}

// fenced returns the bodies of the ```lang blocks of a markdown text.
func fenced(doc, lang string) []string {
	var out []string
	for _, m := range regexp.MustCompile("(?ms)^```"+lang+"\n(.*?)^```").FindAllStringSubmatch(doc, -1) {
		out = append(out, m[1])
	}
	return out
}

// heredocs returns the bodies of `<<EOF … EOF` in a shell text, unindented.
func heredocs(sh string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`(?ms)<<EOF\n(.*?)^\s*EOF$`).FindAllStringSubmatch(sh, -1) {
		out = append(out, m[1])
	}
	return out
}

// fromFiles returns the sorted base names of the --from-file arguments of
// the command line (with continuation lines) that starts with prefix.
func fromFiles(t *testing.T, text, prefix string) []string {
	t.Helper()
	i := strings.Index(text, prefix)
	if i < 0 {
		t.Fatalf("no %q in the text", prefix)
	}
	line := text[i:]
	var cmd strings.Builder
	for _, l := range strings.Split(line, "\n") {
		cmd.WriteString(strings.TrimSuffix(l, `\`))
		if !strings.HasSuffix(l, `\`) {
			break
		}
	}
	var keys []string
	for _, f := range strings.Fields(cmd.String()) {
		if v, ok := strings.CutPrefix(f, "--from-file="); ok {
			keys = append(keys, path.Base(v))
		}
	}
	slices.Sort(keys)
	return keys
}

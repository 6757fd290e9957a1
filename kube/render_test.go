package kube_test

import (
	"bufio"
	"bytes"
	"crypto"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	kjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/apimachinery/pkg/util/validation"
	kyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/originproof/originproof/fixtures"
	"github.com/originproof/originproof/internal/testenv"
	"github.com/originproof/originproof/kube"
	"github.com/originproof/originproof/scenarios"
)

// sharedPKI is one `pki init` directory for every test (generating one
// takes a second); tests copy nothing into it. binary is the originproof
// command the rendered pods run (TestRenderedJobRunsLocally).
var sharedPKI, binary string

func TestMain(m *testing.M) {
	testenv.Main(m, func(b string) {
		binary = b
		p, err := fixtures.Generate(fixtures.Options{ServerName: "origin.test"})
		if err == nil {
			// Beside the binary: removed with it after the tests.
			sharedPKI = filepath.Join(filepath.Dir(b), "pki")
			err = p.WriteDir(sharedPKI, false)
		}
		if err != nil {
			panic(err)
		}
	})
}

const loadScenario = `name: Go-Live gate (staging)
target: {url: "https://origin.test/", connect_to: "10.0.0.5:443"}
pki: {dir: %PKI%}
load:
  phases:
    - {kind: steady, rate: 300, duration: 30s}
    - {kind: idle-gap-storm, rate: 150, duration: 5s, gap: 7s}
thresholds: [{error_rate: 0}]
`

// writeScenario writes a scenario into a temp dir, %PKI% standing for the
// shared PKI directory, and returns its path.
func writeScenario(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "gate.yaml")
	if err := os.WriteFile(p, []byte(strings.ReplaceAll(text, "%PKI%", sharedPKI)), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

var renderTime = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func baseOptions(file string) kube.Options {
	return kube.Options{ScenarioFile: file, Shards: 3, Image: "registry.example/originproof:v1.2.3",
		Namespace: "load", StartIn: 90 * time.Second, Merge: true, Version: "v1.2.3", Now: renderTime}
}

func render(t *testing.T, opts kube.Options) (*kube.Manifests, []byte) {
	t.Helper()
	m, err := kube.Render(opts)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	var buf bytes.Buffer
	if err := m.WriteYAML(&buf); err != nil {
		t.Fatal(err)
	}
	return m, buf.Bytes()
}

// strictDecoder decodes YAML into k8s.io/api types and fails on unknown
// or duplicated fields.
func strictDecoder() runtime.Decoder {
	scheme := runtime.NewScheme()
	if err := corev1.AddToScheme(scheme); err != nil {
		panic(err)
	}
	if err := batchv1.AddToScheme(scheme); err != nil {
		panic(err)
	}
	return kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, scheme, scheme, kjson.SerializerOptions{Yaml: true, Strict: true})
}

// decodeAll splits the multi-document output and decodes every document
// strictly. Only the comment before the first document may hold no object.
func decodeAll(t *testing.T, data []byte) []runtime.Object {
	t.Helper()
	dec := strictDecoder()
	r := kyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var out []runtime.Object
	for i := 0; ; i++ {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 && onlyComments(doc) {
			continue
		}
		obj, _, err := dec.Decode(doc, nil, nil)
		if err != nil {
			t.Fatalf("document %d does not decode strictly: %v\n%s", i, err, doc)
		}
		out = append(out, obj)
	}
}

func onlyComments(doc []byte) bool {
	for _, line := range strings.Split(string(doc), "\n") {
		if l := strings.TrimSpace(line); l != "" && l != "---" && !strings.HasPrefix(l, "#") {
			return false
		}
	}
	return true
}

// The decoder the tests rely on really is strict.
func TestStrictDecoderRefusesUnknownFields(t *testing.T) {
	doc := "apiVersion: batch/v1\nkind: Job\nmetadata: {name: x}\nspec:\n  completionMode: Indexed\n  retries: 3\n  template: {spec: {containers: []}}\n"
	if _, _, err := strictDecoder().Decode([]byte(doc), nil, nil); err == nil || !runtime.IsStrictDecodingError(err) {
		t.Fatalf("an unknown field decoded without a strict decoding error: %v", err)
	}
}

type rendered struct {
	claims  []*corev1.PersistentVolumeClaim
	configs []*corev1.ConfigMap
	secrets []*corev1.Secret
	jobs    map[string]*batchv1.Job // by component
}

func sortObjects(t *testing.T, objs []runtime.Object) rendered {
	t.Helper()
	r := rendered{jobs: map[string]*batchv1.Job{}}
	for _, o := range objs {
		switch v := o.(type) {
		case *corev1.PersistentVolumeClaim:
			r.claims = append(r.claims, v)
		case *corev1.ConfigMap:
			r.configs = append(r.configs, v)
		case *corev1.Secret:
			r.secrets = append(r.secrets, v)
		case *batchv1.Job:
			c := v.Labels[kube.LabelComponent]
			if r.jobs[c] != nil {
				t.Fatalf("two Jobs of component %q", c)
			}
			r.jobs[c] = v
		default:
			t.Fatalf("unexpected object %T", o)
		}
	}
	return r
}

func TestRenderThreeShards(t *testing.T) {
	m, out := render(t, baseOptions(writeScenario(t, loadScenario)))
	objs := decodeAll(t, out)
	r := sortObjects(t, objs)
	if len(r.claims) != 1 || len(r.configs) != 1 || len(r.secrets) < 1 || r.jobs[kube.ComponentShard] == nil || r.jobs[kube.ComponentMerge] == nil {
		t.Fatalf("want a claim, a ConfigMap, Secrets and two Jobs; got %d claims, %d ConfigMaps, %d Secrets, Jobs %v", len(r.claims), len(r.configs), len(r.secrets), r.jobs)
	}
	if len(objs) != 4+len(r.secrets) {
		t.Fatalf("%d objects, want %d", len(objs), 4+len(r.secrets))
	}
	job := r.jobs[kube.ComponentShard]

	t.Run("names and labels", func(t *testing.T) {
		if m.Run != "go-live-gate-staging-20260301-120000" || job.Name != m.Run {
			t.Errorf("run %q, Job %q: want go-live-gate-staging-20260301-120000 for both", m.Run, job.Name)
		}
		for _, o := range objs {
			meta := o.(metav1.Object)
			if errs := validation.IsDNS1123Label(meta.GetName()); len(errs) > 0 {
				t.Errorf("%T %s: %v", o, meta.GetName(), errs)
			}
			if meta.GetNamespace() != "load" {
				t.Errorf("%T %s: namespace %q, want load", o, meta.GetName(), meta.GetNamespace())
			}
			checkLabels(t, meta.GetName(), meta.GetLabels(), m.Run)
		}
		checkLabels(t, "shard pod template", job.Spec.Template.Labels, m.Run)
		if v := job.Labels[kube.LabelVersion]; v != "v1.2.3" {
			t.Errorf("version label %q", v)
		}
	})

	t.Run("indexed, no retries", func(t *testing.T) {
		s := job.Spec
		if s.CompletionMode == nil || *s.CompletionMode != batchv1.IndexedCompletion {
			t.Errorf("completionMode %v, want Indexed", s.CompletionMode)
		}
		if s.Completions == nil || *s.Completions != 3 || s.Parallelism == nil || *s.Parallelism != 3 {
			t.Errorf("completions %v, parallelism %v: want 3 and 3", s.Completions, s.Parallelism)
		}
		if s.BackoffLimitPerIndex == nil || *s.BackoffLimitPerIndex != 0 {
			t.Errorf("backoffLimitPerIndex %v, want 0", s.BackoffLimitPerIndex)
		}
		if s.MaxFailedIndexes != nil {
			t.Errorf("maxFailedIndexes %d: one failed shard must not stop the others", *s.MaxFailedIndexes)
		}
		if s.Template.Spec.RestartPolicy != corev1.RestartPolicyNever {
			t.Errorf("restartPolicy %q, want Never", s.Template.Spec.RestartPolicy)
		}
		if s.PodFailurePolicy == nil {
			t.Fatal("no podFailurePolicy")
		}
		var failJobOn2, disruptionFailsIndex bool
		for _, rule := range s.PodFailurePolicy.Rules {
			switch {
			case rule.Action == batchv1.PodFailurePolicyActionIgnore:
				t.Errorf("rule %+v: Ignore replaces the pod, a retry of a shard", rule)
			case rule.Action == batchv1.PodFailurePolicyActionFailJob && rule.OnExitCodes != nil:
				failJobOn2 = rule.OnExitCodes.Operator == batchv1.PodFailurePolicyOnExitCodesOpIn && slices.Equal(rule.OnExitCodes.Values, []int32{2}) &&
					rule.OnExitCodes.ContainerName != nil && *rule.OnExitCodes.ContainerName == kube.ShardContainer
			case rule.Action == batchv1.PodFailurePolicyActionFailIndex && len(rule.OnPodConditions) == 1:
				disruptionFailsIndex = rule.OnPodConditions[0].Type == corev1.DisruptionTarget
			}
		}
		if !failJobOn2 || !disruptionFailsIndex {
			t.Errorf("podFailurePolicy %+v: want FailJob on exit 2 of %s and FailIndex on DisruptionTarget", s.PodFailurePolicy.Rules, kube.ShardContainer)
		}
		if s.ActiveDeadlineSeconds == nil || *s.ActiveDeadlineSeconds < int64((90*time.Second+42*time.Second)/time.Second) {
			t.Errorf("activeDeadlineSeconds %v: shorter than start delay + load", s.ActiveDeadlineSeconds)
		}
	})

	pod := job.Spec.Template.Spec
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]

	t.Run("security", func(t *testing.T) {
		checkSecurity(t, "shard", pod)
		checkSecurity(t, "merge", r.jobs[kube.ComponentMerge].Spec.Template.Spec)
	})

	t.Run("anti-affinity", func(t *testing.T) {
		a := pod.Affinity
		if a == nil || a.PodAntiAffinity == nil || len(a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution) != 1 {
			t.Fatalf("affinity %+v: want one preferred pod anti-affinity term", a)
		}
		term := a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution[0].PodAffinityTerm
		if term.TopologyKey != corev1.LabelHostname {
			t.Errorf("topologyKey %q, want %s", term.TopologyKey, corev1.LabelHostname)
		}
		sel, err := metav1.LabelSelectorAsSelector(term.LabelSelector)
		if err != nil {
			t.Fatal(err)
		}
		if !sel.Matches(labels.Set(job.Spec.Template.Labels)) {
			t.Errorf("selector %s does not match the shards' own pods %v", sel, job.Spec.Template.Labels)
		}
		other := labels.Set{}
		for k, v := range job.Spec.Template.Labels {
			other[k] = v
		}
		other[kube.LabelInstance] = "another-run"
		if sel.Matches(other) {
			t.Errorf("selector %s also repels the pods of another run", sel)
		}
		if len(a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution) > 0 {
			t.Error("required anti-affinity: more shards than nodes would never schedule")
		}
	})

	t.Run("command line and environment", func(t *testing.T) {
		args := c.Args
		if len(args) < 2 || args[0] != "certify" || args[1] != kube.ScenarioPath {
			t.Fatalf("args %q: want certify %s …", args, kube.ScenarioPath)
		}
		flag := func(name string) string {
			i := slices.Index(args, name)
			if i < 0 || i+1 >= len(args) {
				t.Fatalf("args %q: no %s VALUE", args, name)
			}
			return args[i+1]
		}
		if v := flag("--shard"); v != "auto" {
			t.Errorf("--shard %q, want auto", v)
		}
		start, err := time.Parse(time.RFC3339, flag("--start-at"))
		if err != nil || !start.Equal(renderTime.Add(90*time.Second)) || !strings.HasSuffix(flag("--start-at"), "Z") {
			t.Errorf("--start-at %q (%v): want %s in UTC", flag("--start-at"), err, renderTime.Add(90*time.Second).Format(time.RFC3339))
		}
		if out := flag("--out"); out != "/results/"+m.Run+"/shard-$(JOB_COMPLETION_INDEX)" {
			t.Errorf("--out %q", out)
		}
		env := map[string]corev1.EnvVar{}
		for _, e := range c.Env {
			env[e.Name] = e
		}
		idx := env[kube.EnvCompletionIndex]
		if idx.ValueFrom == nil || idx.ValueFrom.FieldRef == nil || idx.ValueFrom.FieldRef.FieldPath != "metadata.annotations['batch.kubernetes.io/job-completion-index']" {
			t.Errorf("%s: %+v, want the downward API's completion index annotation", kube.EnvCompletionIndex, idx)
		}
		if env[kube.EnvShards].Value != "3" {
			t.Errorf("%s = %q, want 3", kube.EnvShards, env[kube.EnvShards].Value)
		}
		// $(VAR) in args expands only for variables the container declares.
		for _, a := range args {
			for _, ref := range regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`).FindAllStringSubmatch(a, -1) {
				if _, ok := env[ref[1]]; !ok {
					t.Errorf("arg %q refers to $(%s), which the container does not declare", a, ref[1])
				}
			}
		}
		if c.Image != "registry.example/originproof:v1.2.3" {
			t.Errorf("image %q", c.Image)
		}
	})

	t.Run("resources", func(t *testing.T) {
		for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			req, lim := c.Resources.Requests[res], c.Resources.Limits[res]
			if req.IsZero() || lim.IsZero() || lim.Cmp(req) < 0 {
				t.Errorf("%s: request %s, limit %s", res, req.String(), lim.String())
			}
		}
	})

	t.Run("volumes", func(t *testing.T) {
		checkMounts(t, "shard", pod)
		checkMounts(t, "merge", r.jobs[kube.ComponentMerge].Spec.Template.Spec)
		vols := map[string]corev1.Volume{}
		for _, v := range pod.Volumes {
			vols[v.Name] = v
		}
		for _, vm := range c.VolumeMounts {
			switch vm.MountPath {
			case kube.InputsMount:
				if !vm.ReadOnly || vols[vm.Name].Projected == nil {
					t.Errorf("inputs mount %+v: want a read-only projected volume", vm)
				}
			case kube.ResultsMount:
				if pvc := vols[vm.Name].PersistentVolumeClaim; vm.ReadOnly || pvc == nil || pvc.ClaimName != r.claims[0].Name {
					t.Errorf("results mount %+v: want the claim %s, writable", vm, r.claims[0].Name)
				}
			case kube.TmpMount:
				if vols[vm.Name].EmptyDir == nil {
					t.Errorf("%s is not an emptyDir", vm.MountPath)
				}
			}
		}
		if got := r.claims[0].Spec.AccessModes; !slices.Equal(got, []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany}) {
			t.Errorf("claim access modes %v, want ReadWriteMany", got)
		}
		mj := r.jobs[kube.ComponentMerge].Spec.Template.Spec
		if mj.Volumes[0].PersistentVolumeClaim == nil || mj.Volumes[0].PersistentVolumeClaim.ClaimName != r.claims[0].Name {
			t.Errorf("merge Job volumes %+v: want the same claim", mj.Volumes)
		}
	})

	t.Run("projected inputs are the PKI without its keys", func(t *testing.T) {
		root := project(t, pod, r, nil)
		checkProjectedPKI(t, filepath.Join(root, "pki"), nil)
		// The scenario the pods read parses, and names the projected PKI.
		s, err := scenarios.Parse(mustRead(t, filepath.Join(root, "scenario.yaml")), "scenario.yaml", scenarios.Options{})
		if err != nil {
			t.Fatalf("the pods' scenario does not parse: %v", err)
		}
		if s.PKI.Dir != kube.PKIPath || s.Name != "Go-Live gate (staging)" || s.Target.ConnectTo != "10.0.0.5:443" || len(s.Load.Phases) != 2 {
			t.Errorf("the pods' scenario: pki.dir %q, name %q, connect_to %q, %d phases", s.PKI.Dir, s.Name, s.Target.ConnectTo, len(s.Load.Phases))
		}
		// With the CA-keys Secret a user created from the whole ca/
		// directory, only the keys the minting checks use are projected.
		user := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: m.CAKeysSecret}, Data: map[string][]byte{}}
		for _, k := range m.CAKeys {
			user.Data[k] = mustRead(t, filepath.Join(sharedPKI, "ca", k))
		}
		root = project(t, pod, r, user)
		want := []string{"client-intermediate.key", "client-root.key", "next-intermediate.key", "resumption-intermediate.key"}
		checkProjectedPKI(t, filepath.Join(root, "pki"), want)
	})

	t.Run("no CA key in any object", func(t *testing.T) {
		checkNoCAKeys(t, sharedPKI, objs)
	})

	t.Run("secret sizes", func(t *testing.T) {
		for _, s := range r.secrets {
			total := 0
			for _, v := range s.Data {
				total += len(v)
			}
			if total > 1<<20 {
				t.Errorf("Secret %s holds %d bytes, more than the API's 1 MiB", s.Name, total)
			}
			// Client-side kubectl apply stores the object in an annotation (256 KiB at most).
			enc, _ := json.Marshal(s)
			if len(enc) > 256<<10 {
				t.Errorf("Secret %s encodes to %d bytes: too large for kubectl apply's last-applied annotation", s.Name, len(enc))
			}
			if s.Immutable == nil || !*s.Immutable {
				t.Errorf("Secret %s is not immutable", s.Name)
			}
		}
	})

	t.Run("merge job", func(t *testing.T) {
		mj := r.jobs[kube.ComponentMerge]
		want := []string{"merge", "--allow-missing", "--out", "/results/" + m.Run + "/merged"}
		for _, i := range []string{"0", "1", "2"} {
			want = append(want, strings.ReplaceAll(c.Args[slices.Index(c.Args, "--out")+1], "$(JOB_COMPLETION_INDEX)", i))
		}
		if got := mj.Spec.Template.Spec.Containers[0].Args; !slices.Equal(got, want) {
			t.Errorf("merge args %q\nwant %q", got, want)
		}
		if mj.Spec.BackoffLimit == nil || *mj.Spec.BackoffLimit != 0 || mj.Spec.Template.Spec.RestartPolicy != corev1.RestartPolicyNever {
			t.Errorf("merge Job retries: backoffLimit %v, restartPolicy %s", mj.Spec.BackoffLimit, mj.Spec.Template.Spec.RestartPolicy)
		}
		header := strings.SplitN(string(out), "\n---", 2)[0]
		for _, line := range []string{
			"kubectl -n load wait --for=condition=complete job/" + m.Run,
			"kubectl -n load apply -f run.yaml -l 'app.kubernetes.io/component!=merge'",
			"kubectl -n load apply -f run.yaml -l app.kubernetes.io/component=merge",
		} {
			if !strings.Contains(header, line) {
				t.Errorf("the header comment lacks %q:\n%s", line, header)
			}
		}
	})
}

func checkLabels(t *testing.T, what string, l map[string]string, run string) {
	t.Helper()
	for _, k := range []string{kube.LabelName, kube.LabelInstance, kube.LabelComponent, kube.LabelPartOf, kube.LabelManagedBy, kube.LabelVersion} {
		v, ok := l[k]
		if !ok {
			t.Errorf("%s: no label %s", what, k)
			continue
		}
		if errs := validation.IsValidLabelValue(v); len(errs) > 0 {
			t.Errorf("%s: label %s=%q: %v", what, k, v, errs)
		}
	}
	if l[kube.LabelInstance] != run || l[kube.LabelName] != "originproof" || l[kube.LabelPartOf] != "go-live-gate-staging" {
		t.Errorf("%s: labels %v", what, l)
	}
}

func checkSecurity(t *testing.T, what string, pod corev1.PodSpec) {
	t.Helper()
	ps := pod.SecurityContext
	if ps == nil || ps.RunAsNonRoot == nil || !*ps.RunAsNonRoot || ps.RunAsUser == nil || *ps.RunAsUser != kube.NonRootID ||
		ps.SeccompProfile == nil || ps.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: pod security context %+v", what, ps)
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Errorf("%s: the service account token is mounted", what)
	}
	for _, c := range pod.Containers {
		sc := c.SecurityContext
		if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
			sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) > 0 ||
			(sc.Privileged != nil && *sc.Privileged) {
			t.Errorf("%s: container %s security context %+v", what, c.Name, sc)
		}
		tmp := false
		for _, vm := range c.VolumeMounts {
			tmp = tmp || vm.MountPath == kube.TmpMount
		}
		if !tmp {
			t.Errorf("%s: read-only root filesystem and no writable /tmp", what)
		}
	}
}

// checkMounts: every mount names a volume of the pod, every volume is mounted.
func checkMounts(t *testing.T, what string, pod corev1.PodSpec) {
	t.Helper()
	vols := map[string]bool{}
	for _, v := range pod.Volumes {
		vols[v.Name] = false
	}
	for _, c := range pod.Containers {
		for _, vm := range c.VolumeMounts {
			if _, ok := vols[vm.Name]; !ok {
				t.Errorf("%s: mount %s names no volume", what, vm.Name)
			}
			vols[vm.Name] = true
		}
	}
	for v, used := range vols {
		if !used {
			t.Errorf("%s: volume %s is not mounted", what, v)
		}
	}
}

// project lays out the pod's projected inputs volume as the kubelet would:
// every item of every source at its path, a missing optional Secret (or
// key) skipped, a missing required one an error.
func project(t *testing.T, pod corev1.PodSpec, r rendered, userSecret *corev1.Secret) string {
	t.Helper()
	var vol *corev1.ProjectedVolumeSource
	for _, v := range pod.Volumes {
		if v.Projected != nil {
			vol = v.Projected
		}
	}
	if vol == nil {
		t.Fatal("no projected volume")
	}
	root := t.TempDir()
	seen := map[string]bool{}
	write := func(p string, data []byte) {
		if !filepath.IsLocal(p) || seen[p] {
			t.Fatalf("projected path %q is not local or given twice", p)
		}
		seen[p] = true
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, src := range vol.Sources {
		switch {
		case src.ConfigMap != nil:
			var cm *corev1.ConfigMap
			for _, c := range r.configs {
				if c.Name == src.ConfigMap.Name {
					cm = c
				}
			}
			if cm == nil {
				t.Fatalf("the volume projects ConfigMap %s, which is not rendered", src.ConfigMap.Name)
			}
			for _, it := range src.ConfigMap.Items {
				v, ok := cm.Data[it.Key]
				if !ok {
					t.Fatalf("ConfigMap %s has no key %s", cm.Name, it.Key)
				}
				write(it.Path, []byte(v))
			}
		case src.Secret != nil:
			var sec *corev1.Secret
			for _, s := range r.secrets {
				if s.Name == src.Secret.Name {
					sec = s
				}
			}
			optional := src.Secret.Optional != nil && *src.Secret.Optional
			if sec == nil && userSecret != nil && userSecret.Name == src.Secret.Name {
				sec = userSecret
			}
			if sec == nil {
				if !optional {
					t.Fatalf("the volume projects Secret %s, which is neither rendered nor optional", src.Secret.Name)
				}
				continue
			}
			for _, it := range src.Secret.Items {
				v, ok := sec.Data[it.Key]
				if !ok {
					if !optional {
						t.Fatalf("Secret %s has no key %s", sec.Name, it.Key)
					}
					continue
				}
				write(it.Path, v)
			}
		default:
			t.Fatalf("unexpected projection %+v", src)
		}
	}
	return root
}

// checkProjectedPKI compares a projected pki/ with the shared PKI
// directory: every file but the CA keys and the origin's server key, byte
// for byte, plus exactly the CA keys in caKeys.
func checkProjectedPKI(t *testing.T, dir string, caKeys []string) {
	t.Helper()
	want := map[string]bool{}
	err := filepath.WalkDir(sharedPKI, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(sharedPKI, p)
		rel = filepath.ToSlash(rel)
		switch {
		case rel == fixtures.FileServerKey:
		case path.Dir(rel) == fixtures.DirCA && path.Ext(rel) == ".key":
			if slices.Contains(caKeys, path.Base(rel)) {
				want[rel] = true
			}
		default:
			want[rel] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		got[filepath.ToSlash(rel)] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for rel := range want {
		if !got[rel] {
			t.Errorf("projected PKI lacks %s", rel)
		} else if !bytes.Equal(mustRead(t, filepath.Join(dir, rel)), mustRead(t, filepath.Join(sharedPKI, rel))) {
			t.Errorf("projected %s differs from the PKI's", rel)
		}
	}
	for rel := range got {
		if !want[rel] {
			t.Errorf("projected PKI has %s, which shards must not get", rel)
		}
	}
	if len(want) < 50 {
		t.Fatalf("only %d files expected from the PKI: the comparison proves little", len(want))
	}
}

// checkNoCAKeys decodes every PEM private key in every Secret and
// ConfigMap and fails on any that is a CA key of the PKI in pkiDir (or the
// origin's server key). It also fails when it found no key at all: the
// client identities' keys must be there.
func checkNoCAKeys(t *testing.T, pkiDir string, objs []runtime.Object) {
	t.Helper()
	for _, o := range objs {
		if j, ok := o.(*batchv1.Job); ok {
			b, _ := json.Marshal(j)
			if bytes.Contains(b, []byte("PRIVATE KEY")) {
				t.Errorf("Job %s holds a PEM private key", j.Name)
			}
		}
	}
	var forbidden []crypto.PublicKey
	for _, f := range []string{"client-root", "client-intermediate", "next-root", "next-intermediate", "resumption-intermediate", "server-root", "server-intermediate"} {
		k, err := fixtures.ParseKeyPEM(mustRead(t, filepath.Join(pkiDir, "ca", f+".key")), f)
		if err != nil {
			t.Fatal(err)
		}
		forbidden = append(forbidden, k.Public())
	}
	sk, err := fixtures.ParseKeyPEM(mustRead(t, filepath.Join(pkiDir, fixtures.FileServerKey)), "server.key")
	if err != nil {
		t.Fatal(err)
	}
	forbidden = append(forbidden, sk.Public())
	found := 0
	scan := func(where string, data []byte) {
		for rest := data; ; {
			var b *pem.Block
			if b, rest = pem.Decode(rest); b == nil {
				return
			}
			if !strings.Contains(b.Type, "PRIVATE KEY") {
				continue
			}
			found++
			k, err := fixtures.ParseKeyPEM(pem.EncodeToMemory(b), where)
			if err != nil {
				t.Errorf("%s: unparsable private key: %v", where, err)
				continue
			}
			for _, f := range forbidden {
				if k.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(f) {
					t.Errorf("%s holds a CA or origin private key", where)
				}
			}
		}
	}
	for _, o := range objs {
		switch v := o.(type) {
		case *corev1.Secret:
			for k, d := range v.Data {
				scan(v.Name+"/"+k, d)
			}
		case *corev1.ConfigMap:
			for k, d := range v.Data {
				scan(v.Name+"/"+k, []byte(d))
			}
		}
	}
	p, err := fixtures.LoadDir(pkiDir)
	if err != nil {
		t.Fatal(err)
	}
	identities := 0
	for _, id := range p.Identities {
		if id.Key != nil {
			identities++
		}
	}
	if found != identities {
		t.Errorf("found %d private keys, want the %d client identities' keys", found, identities)
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

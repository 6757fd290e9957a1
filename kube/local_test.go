package kube_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/originproof/originproof/checks"
	"github.com/originproof/originproof/fixtures"
	"github.com/originproof/originproof/fixtures/origin"
	"github.com/originproof/originproof/kube"
	"github.com/originproof/originproof/loadgen"
	"github.com/originproof/originproof/loadgen/latency"
	"github.com/originproof/originproof/reports"
	"github.com/originproof/originproof/scenarios"
)

// localScenario loads the origin with one identity nothing else of the run
// presents (the conformance suites leave out the rotation group, the only
// one that probes with it), so the origin's count of requests served to
// that certificate is the load's own.
const localScenario = `name: local proof
target: {url: "%s", connect_to: "%s"}
pki: {dir: %%PKI%%}
policy: {label_filter: "!rotation && !resumption && !keepalive"}
load:
  identity: rotation.reissued-accepted
  phases: [{kind: steady, rate: 60, duration: 3s}]
thresholds: [{error_rate: 0, min_achieved_rate: 95%%}]
`

// TestRenderedJobRunsLocally is the proof without a cluster: the rendered
// manifests decode strictly; the Indexed Job's container runs as three
// local processes with the command, arguments and environment the Job
// gives it (JOB_COMPLETION_INDEX 0..2, $(VAR) expanded as the kubelet
// does), its ConfigMap and Secrets projected under a temporary directory
// standing for their mount paths; the merge Job's container merges them.
// The merged count is the shards' sum and the origin's own count, the
// merged histogram is one histogram of every result, the whole run is
// judged where every shard holds but the whole does not, and a shard that
// starts too late is refused.
func TestRenderedJobRunsLocally(t *testing.T) {
	pki, err := fixtures.LoadDir(sharedPKI)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := origin.Start(origin.Config{PKI: pki, Profile: origin.Strict, Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	opts := baseOptions(writeScenario(t, fmt.Sprintf(localScenario, srv.URL(), srv.Addr())))
	opts.Now, opts.StartIn = time.Now(), 5*time.Second
	_, out := render(t, opts)
	r := sortObjects(t, decodeAll(t, out))
	job, merge := r.jobs[kube.ComponentShard], r.jobs[kube.ComponentMerge]
	if job == nil || merge == nil || *job.Spec.CompletionMode != "Indexed" || *job.Spec.Completions != 3 || *job.Spec.Parallelism != 3 {
		t.Fatalf("the rendered Jobs: shards %v, merge %v", job, merge)
	}

	// The volumes, materialised: inputs projected, results a directory.
	inputs := project(t, job.Spec.Template.Spec, r, nil)
	results := t.TempDir()
	local := func(p string) string {
		p = strings.Replace(p, kube.InputsMount, inputs, 1)
		return strings.Replace(p, kube.ResultsMount, results, 1)
	}
	// The scenario as the pods read it, with its in-pod paths made local.
	scen := local(kube.ScenarioPath)
	data, err := os.ReadFile(scen)
	if err != nil {
		t.Fatal(err)
	}
	s, err := scenarios.Parse(data, scen, scenarios.Options{Edit: func(s *scenarios.Scenario) { s.PKI.Dir = local(s.PKI.Dir) }})
	if err != nil {
		t.Fatal(err)
	}
	if y, err := s.YAML(); err != nil || os.WriteFile(scen, y, 0o644) != nil {
		t.Fatal(err)
	}

	c := job.Spec.Template.Spec.Containers[0]
	shardDirs := make([]string, 3)
	codes := make([]int, 3)
	outs := make([]string, 3)
	var wg sync.WaitGroup
	for i := range 3 {
		env := podEnv(t, c, i)
		args := expand(c.Args, env)
		for k := range args {
			args[k] = local(args[k])
		}
		shardDirs[i] = args[len(args)-1]
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], outs[i] = runLocal(t, c, args, env)
		}()
	}
	wg.Wait()
	var sum int64
	for i := range 3 {
		if codes[i] != 0 {
			t.Fatalf("shard %d exited %d:\n%s", i, codes[i], outs[i])
		}
		sh, err := reports.ReadSummary(filepath.Join(shardDirs[i], "summary.json"))
		if err != nil {
			t.Fatal(err)
		}
		for _, th := range sh.Thresholds {
			if !th.Held {
				t.Errorf("shard %d: %s breached on its share", i, th.Name)
			}
		}
		sum += sh.Load.Requests
	}

	mc := merge.Spec.Template.Spec.Containers[0]
	margs := expand(mc.Args, nil)
	for k := range margs {
		margs[k] = local(margs[k])
	}
	if code, out := runLocal(t, mc, margs, nil); code != 0 {
		t.Fatalf("merge exited %d:\n%s", code, out)
	}
	mergedDir := margs[slices.Index(margs, "--out")+1]
	m, err := reports.ReadSummary(filepath.Join(mergedDir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	served := srv.Stats().RequestsByClientCert[fixtures.Fingerprint(pki.Identity("rotation.reissued-accepted").Leaf)]
	if m.Verdict != checks.VerdictPass || m.Load.Requests != sum || m.Load.Requests != served || m.Load.Requests < 170 {
		t.Errorf("merged: verdict %s (%s), %d requests; the shards' sum %d, the origin's count %d (180 scheduled)", m.Verdict, m.VerdictReason, m.Load.Requests, sum, served)
	}
	all := latency.New()
	// The pods kept gzip-compressed results (kube render's default).
	f, _, err := loadgen.OpenResults(mergedDir)
	if err != nil {
		t.Fatal(err)
	}
	dec := loadgen.NewDecoder(f)
	var rec loadgen.Record
	for dec(&rec) == nil {
		all.Record(rec.LatencyCorrected)
	}
	f.Close()
	if got, want := all.Percentiles(), m.Load.Latency[loadgen.PhaseCorrected]; got != want {
		t.Errorf("merged latency %+v; one histogram of every result %+v", want, got)
	}

	// Judged on the whole: with shard 2's outputs gone (as if its pod never
	// ran), every shard merged held min_achieved_rate and the whole breaks it.
	if err := os.RemoveAll(shardDirs[2]); err != nil {
		t.Fatal(err)
	}
	if code, out := runLocal(t, mc, margs, nil); code != 1 || !strings.Contains(out, "min_achieved_rate") {
		t.Errorf("merge without shard 2: exit %d, want 1 with min_achieved_rate breached\n%s", code, out)
	}

	// A shard past --start-at and its tolerance is refused.
	env := podEnv(t, c, 1)
	args := expand(c.Args, env)
	for k := range args {
		args[k] = local(args[k])
	}
	args[len(args)-1] = filepath.Join(results, "late")
	time.Sleep(time.Until(opts.Now.Add(opts.StartIn).Truncate(time.Second).Add(6 * time.Second)))
	if code, out := runLocal(t, c, args, env); code != 3 || !strings.Contains(out, "late") {
		t.Errorf("late shard: exit %d, want 3 saying how late\n%s", code, out)
	}
}

// podEnv is the container's environment in pod i of the Indexed Job: the
// literal values and the completion index from the downward API.
func podEnv(t *testing.T, c corev1.Container, index int) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			env[e.Name] = e.Value
		case e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.annotations['batch.kubernetes.io/job-completion-index']":
			env[e.Name] = strconv.Itoa(index)
		default:
			t.Fatalf("env %s comes from %+v, which the local run cannot give", e.Name, e.ValueFrom)
		}
	}
	return env
}

var varRef = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)

// expand replaces $(VAR) with the variable's value, as the kubelet does for
// variables the container defines (others stay as written).
func expand(args []string, env map[string]string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = varRef.ReplaceAllStringFunc(a, func(m string) string {
			if v, ok := env[m[2:len(m)-1]]; ok {
				return v
			}
			return m
		})
	}
	return out
}

// runLocal runs the container's command (the image's entrypoint is
// originproof) with args and env, and returns its exit code and output.
func runLocal(t *testing.T, c corev1.Container, args []string, env map[string]string) (int, string) {
	t.Helper()
	if len(c.Command) > 0 {
		t.Fatalf("the container overrides the entrypoint with %v", c.Command)
	}
	cmd := exec.Command(binary, args...)
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), string(out)
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}

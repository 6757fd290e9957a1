package kube_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/originproof/originproof/fixtures"
	"github.com/originproof/originproof/kube"
	"github.com/originproof/originproof/scenarios"
)

// An existing claim is used as it is, by both Jobs; without --merge there
// is no merge Job, and the header says to apply everything at once.
func TestRenderExistingClaimNoMerge(t *testing.T) {
	opts := baseOptions(writeScenario(t, loadScenario))
	opts.ResultsClaim, opts.Merge, opts.Namespace = "shared-results", false, ""
	m, out := render(t, opts)
	r := sortObjects(t, decodeAll(t, out))
	if len(r.claims) != 0 || r.jobs[kube.ComponentMerge] != nil || m.MergeJobName != "" {
		t.Fatalf("rendered %d claims and merge Job %v, want neither", len(r.claims), r.jobs[kube.ComponentMerge])
	}
	job := r.jobs[kube.ComponentShard]
	found := false
	for _, v := range job.Spec.Template.Spec.Volumes {
		if v.PersistentVolumeClaim != nil {
			found = v.PersistentVolumeClaim.ClaimName == "shared-results"
		}
	}
	if !found {
		t.Errorf("the shards do not write to shared-results: %+v", job.Spec.Template.Spec.Volumes)
	}
	if job.Namespace != "" {
		t.Errorf("namespace %q without --namespace", job.Namespace)
	}
	header := strings.SplitN(string(out), "\n---", 2)[0]
	if !strings.Contains(header, "kubectl apply -f run.yaml\n") || strings.Contains(header, " -n ") {
		t.Errorf("header:\n%s", header)
	}
}

// pki.generate and pki.ca_cert are minted once, into --pki-out; the CA keys
// stay there and in no rendered object.
func TestRenderMintsOnceIntoPKIOut(t *testing.T) {
	for _, tc := range []struct{ name, pki string }{
		{"generate", "{generate: true}"},
		{"user CA", "{ca_cert: %PKI%/ca/client-root.crt, ca_key: %PKI%/ca/client-root.key}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := writeScenario(t, strings.Replace(loadScenario, "{dir: %PKI%}", tc.pki, 1))
			opts := baseOptions(file)
			if _, err := kube.Render(opts); !isOptionError(err, "--pki-out") {
				t.Fatalf("without --pki-out: %v, want an error naming --pki-out", err)
			}
			opts.PKIOut = filepath.Join(t.TempDir(), "minted")
			// A run that cannot be rendered mints nothing.
			bad := opts
			bad.ScenarioFile = writeScenario(t, strings.Replace(mustReadString(t, file), "connect_to:", "server_roots: missing.pem, connect_to:", 1))
			if _, err := kube.Render(bad); !isOptionError(err, "target.server_roots") {
				t.Fatalf("bad server_roots: %v", err)
			}
			if _, err := os.Stat(opts.PKIOut); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("--pki-out after a failed render: %v, want it absent", err)
			}
			m, out := render(t, opts)
			objs := decodeAll(t, out)
			checkNoCAKeys(t, opts.PKIOut, objs)
			minted, err := fixtures.LoadDir(opts.PKIOut)
			if err != nil {
				t.Fatal(err)
			}
			good := minted.Identity("chain.valid").Leaf
			if m.PKIDir != opts.PKIOut {
				t.Errorf("PKIDir %q, want %q", m.PKIDir, opts.PKIOut)
			}
			var shipped []byte
			for _, o := range objs {
				if s, ok := o.(*corev1.Secret); ok && s.Data["pki_clients_chain.valid_cert.pem"] != nil {
					shipped = s.Data["pki_clients_chain.valid_cert.pem"]
				}
			}
			if !bytes.HasPrefix(shipped, fixtures.CertsPEM(good)) {
				t.Error("the shards do not get the good identity minted into --pki-out")
			}
			if tc.name == "user CA" {
				shared, err := fixtures.LoadDir(sharedPKI)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(minted.ClientRoot.Cert.Raw, shared.ClientRoot.Cert.Raw) || !minted.UserSuppliedRoot {
					t.Error("the catalogue is not minted under the user's CA")
				}
				// The user's CA key (checked above with the minted
				// directory's keys, of which it is one) is in no object.
			}
			// A second render refuses to overwrite the minted PKI.
			if _, err := kube.Render(opts); !isOptionError(err, "--pki-out") || !strings.Contains(err.Error(), "not empty") {
				t.Errorf("rendering into a non-empty --pki-out: %v", err)
			}
		})
	}
}

func isOptionError(err error, option string) bool {
	var oe *kube.OptionError
	return errors.As(err, &oe) && oe.Option == option
}

func TestRenderRefusesBadInput(t *testing.T) {
	good := writeScenario(t, loadScenario)
	noLoad := writeScenario(t, "target: {url: \"https://origin.test/\"}\npki: {dir: %PKI%}\n")
	missingPKI := writeScenario(t, strings.Replace(loadScenario, "{dir: %PKI%}", "{dir: nowhere}", 1))
	badRoots := writeScenario(t, strings.Replace(loadScenario, "connect_to:", "server_roots: %PKI%/manifest.json, connect_to:", 1))
	for _, tc := range []struct {
		name, option, msg string
		mutate            func(*kube.Options)
	}{
		{"no shards", "--shards", "0 is out of range", func(o *kube.Options) { o.Shards = 0 }},
		{"too many shards", "--shards", "out of range", func(o *kube.Options) { o.Shards = kube.MaxShards + 1 }},
		{"no image", "--image", "required", func(o *kube.Options) { o.Image = "" }},
		{"bad image", "--image", "not an image reference", func(o *kube.Options) { o.Image = "Registry/UPPER CASE" }},
		{"bad namespace", "--namespace", "not a namespace name", func(o *kube.Options) { o.Namespace = "Load_Test" }},
		{"bad claim", "--results-claim", "not a claim name", func(o *kube.Options) { o.ResultsClaim = "-x" }},
		{"negative start", "--start-in", "out of range", func(o *kube.Options) { o.StartIn = -time.Second }},
		{"missing scenario", "", "no such file", func(o *kube.Options) { o.ScenarioFile = filepath.Join(t.TempDir(), "nope.yaml") }},
		{"nothing to share", "--shards", "no load phases", func(o *kube.Options) { o.ScenarioFile = noLoad }},
		{"missing PKI dir", "pki.dir", "nowhere", func(o *kube.Options) { o.ScenarioFile = missingPKI }},
		{"pki-out with a PKI dir", "--pki-out", "nothing is minted", func(o *kube.Options) { o.PKIOut = t.TempDir() }},
		{"server roots without a certificate", "target.server_roots", "no PEM certificate", func(o *kube.Options) { o.ScenarioFile = badRoots }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := baseOptions(good)
			tc.mutate(&opts)
			_, err := kube.Render(opts)
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err %v, want one saying %q", err, tc.msg)
			}
			if tc.option != "" && !isOptionError(err, tc.option) {
				t.Errorf("err %v does not name %s", err, tc.option)
			}
		})
	}
	t.Run("malformed scenario", func(t *testing.T) {
		opts := baseOptions(writeScenario(t, "target: {url: https://origin.test/}\npki: {dir: %PKI%}\nload: {phases: [{kind: sprint}]}\n"))
		_, err := kube.Render(opts)
		if !scenarios.IsScenarioError(err) || !strings.Contains(err.Error(), "gate.yaml:3:") {
			t.Fatalf("err %v, want the scenario's file:line error", err)
		}
	})
}

// Without a name the scenario file's name names the run; it stays a DNS
// label whatever the name holds.
func TestRenderNames(t *testing.T) {
	for _, tc := range []struct{ name, file, want string }{
		{"", "Smoke_Test.yaml", "smoke-test"},
		{"ÄÖ !!", "x.yaml", "originproof"},
		{strings.Repeat("very-long-scenario-name-", 5), "x.yaml", "very-long-scenario-name-very-l"},
	} {
		dir := t.TempDir()
		text := strings.ReplaceAll(loadScenario, "name: Go-Live gate (staging)\n", "")
		if tc.name != "" {
			text = "name: \"" + tc.name + "\"\n" + text
		}
		p := filepath.Join(dir, tc.file)
		if err := os.WriteFile(p, []byte(strings.ReplaceAll(text, "%PKI%", sharedPKI)), 0o644); err != nil {
			t.Fatal(err)
		}
		m, out := render(t, baseOptions(p))
		if want := tc.want + "-20260301-120000"; m.Run != want {
			t.Errorf("name %q, file %s: run %q, want %q", tc.name, tc.file, m.Run, want)
		}
		for _, o := range decodeAll(t, out) {
			if j, ok := o.(*batchv1.Job); ok && len(j.Name)+len("-999") > 63 {
				t.Errorf("Job %s: its pods' hostnames would exceed 63 characters", j.Name)
			}
		}
	}
}

// Files the scenario names besides the PKI travel too, and the pods'
// scenario points at their projected copies.
func TestRenderScenarioFiles(t *testing.T) {
	text := strings.Replace(loadScenario, "connect_to:", "server_roots: %PKI%/origin/server-root.pem, connect_to:", 1) +
		"policy: {cloudfront_cert: {cert: %PKI%/clients/chain.valid/cert.pem, key: %PKI%/clients/chain.valid/key.pem}}\n"
	m, out := render(t, baseOptions(writeScenario(t, text)))
	r := sortObjects(t, decodeAll(t, out))
	root := project(t, r.jobs[kube.ComponentShard].Spec.Template.Spec, r, nil)
	s, err := scenarios.Parse(mustRead(t, filepath.Join(root, "scenario.yaml")), "scenario.yaml", scenarios.Options{})
	if err != nil {
		t.Fatal(err)
	}
	inPod := func(p string) string {
		rel, ok := strings.CutPrefix(p, kube.InputsMount+"/")
		if !ok {
			t.Fatalf("%s is not under %s", p, kube.InputsMount)
		}
		return filepath.Join(root, rel)
	}
	for _, f := range []struct{ pod, src string }{
		{s.Target.ServerRoots, filepath.Join(sharedPKI, "origin/server-root.pem")},
		{s.Policy.CloudFrontCert.Cert, filepath.Join(sharedPKI, "clients/chain.valid/cert.pem")},
		{s.Policy.CloudFrontCert.Key, filepath.Join(sharedPKI, "clients/chain.valid/key.pem")},
	} {
		if !bytes.Equal(mustRead(t, inPod(f.pod)), mustRead(t, f.src)) {
			t.Errorf("%s in the pod is not %s", f.pod, f.src)
		}
	}
	if s.Policy.CloudFrontCert.Chain != "" {
		t.Errorf("chain %q without a chain", s.Policy.CloudFrontCert.Chain)
	}
	if m.Scenario != "Go-Live gate (staging)" {
		t.Errorf("scenario %q", m.Scenario)
	}
}

func mustReadString(t *testing.T, p string) string { return string(mustRead(t, p)) }

package kube

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/originproof/originproof/fixtures"
	"github.com/originproof/originproof/scenarios"
)

func TestSplitFiles(t *testing.T) {
	f := func(rel string, n int) inputFile { return inputFile{rel: rel, data: make([]byte, n)} }
	groups, err := splitFiles([]inputFile{f("a/1", 40), f("a/2", 40), f("a/3", 40), f("b", 100)}, 100)
	if err != nil {
		t.Fatal(err)
	}
	var sizes []int
	for _, g := range groups {
		n := 0
		for _, x := range g {
			n += len(x.data)
		}
		if n > 100 {
			t.Errorf("a group of %d bytes exceeds the budget of 100", n)
		}
		sizes = append(sizes, len(g))
	}
	if len(groups) != 3 || sizes[0] != 2 || sizes[1] != 1 || sizes[2] != 1 {
		t.Errorf("groups of %v files, want [2 1 1]", sizes)
	}
	if _, err := splitFiles([]inputFile{f("big", 101)}, 100); err == nil || !strings.Contains(err.Error(), "big: 101 bytes") {
		t.Errorf("a file over budget: %v", err)
	}
	if _, err := splitFiles([]inputFile{f("a/b", 1), f("a_b", 1)}, 100); err == nil || !strings.Contains(err.Error(), "same Secret key") {
		t.Errorf("colliding keys: %v", err)
	}
}

// Whatever a (tampered) manifest says is public, a CA's private key does
// not reach a Secret.
func TestRefuseCAKeysWhateverTheManifestSays(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	p, err := fixtures.Generate(fixtures.Options{ServerName: "origin.test"})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.WriteDir(dir, false); err != nil {
		t.Fatal(err)
	}
	mpath := filepath.Join(dir, fixtures.FileManifest)
	data, _ := os.ReadFile(mpath)
	var m fixtures.Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	for i := range m.Files {
		if m.Files[i].Path == "ca/client-intermediate.key" {
			m.Files[i].Private = false
		}
	}
	data, _ = json.Marshal(m)
	if err := os.WriteFile(mpath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	in, err := pkiInputs(dir)
	if err != nil {
		t.Fatal(err)
	}
	err = refuseCAKeys(in.files)
	if err == nil || !strings.Contains(err.Error(), "pki/ca/client-intermediate.key holds the private key of a CA") {
		t.Fatalf("refuseCAKeys: %v", err)
	}
	// The untampered selection passes: leaf-is-ca's own key is a client's.
	in.files = in.files[:0]
	for _, f := range mustInputs(t, dir).files {
		if f.rel != "pki/ca/client-intermediate.key" {
			in.files = append(in.files, f)
		}
	}
	if err := refuseCAKeys(in.files); err != nil {
		t.Fatalf("without the CA key: %v", err)
	}
}

func mustInputs(t *testing.T, dir string) *inputs {
	t.Helper()
	in, err := pkiInputs(dir)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func TestSizing(t *testing.T) {
	parse := func(pooling, phases string) *scenarios.Scenario {
		t.Helper()
		text := "target: {url: \"https://o.test/\"}\npki: {generate: true}\npooling: " + pooling + "\nload: {phases: " + phases + "}\n"
		s, err := scenarios.Parse([]byte(text), "s.yaml", scenarios.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	for _, tc := range []struct {
		name            string
		pooling, phases string
		shards          int
		rate            float64
		handshakes      bool
		cpuReq, cpuLim  string
		mem             string
	}{
		// 26,000/s pooled over 4 shards: 6,500/s each = 2.5 CPU, ×1.5 = 3.75 → 3800m.
		{"pooled", "{preset: cloudfront-default}", "[{kind: steady, rate: 26000, duration: 10s}]", 4, 6500, false, "3800m", "7600m", "128Mi"},
		// reuse off: every request a handshake; the ramp's peak counts.
		{"cold", "{reuse: false, pops: 8, max_conns: 128}", "[{kind: ramp, from: 100, to: 4600, duration: 10s}]", 2, 2300, true, "3", "6", "208Mi"},
		// A storm costs handshakes even when its rate is lower than a pooled phase's.
		{"storm", "{preset: cloudfront-default}", "[{kind: steady, rate: 2000, duration: 5s}, {kind: idle-gap-storm, rate: 1500, duration: 5s, gap: 6s}]", 1, 1500, true, "2", "4", "128Mi"},
		// Small loads get the floor.
		{"small", "{preset: origin-shield}", "[{kind: steps, rates: [10, 20], step: 2s}]", 2, 10, false, "500m", "1", "128Mi"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := estimate(parse(tc.pooling, tc.phases), tc.shards)
			if l.peakRate != tc.rate || l.handshakes != tc.handshakes {
				t.Errorf("peak %v/s (handshakes %v), want %v/s (%v)", l.peakRate, l.handshakes, tc.rate, tc.handshakes)
			}
			r := l.resources()
			got := []string{q(r.Requests, corev1.ResourceCPU), q(r.Limits, corev1.ResourceCPU), q(r.Requests, corev1.ResourceMemory), q(r.Limits, corev1.ResourceMemory)}
			want := []string{tc.cpuReq, tc.cpuLim, tc.mem, tc.mem}
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("cpu request/limit, memory request/limit %v, want %v", got, want)
			}
		})
	}
}

func q(l corev1.ResourceList, n corev1.ResourceName) string {
	v := l[n]
	return v.String()
}

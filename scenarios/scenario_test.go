package scenarios

import (
	"io/fs"
	"strings"
	"testing"
	"time"
)

func TestExamplesParse(t *testing.T) {
	entries, err := fs.Glob(Examples, "*.yaml")
	if err != nil || len(entries) != 4 {
		t.Fatalf("examples: %v %v", entries, err)
	}
	for _, name := range entries {
		t.Run(name, func(t *testing.T) {
			data, _ := Examples.ReadFile(name)
			s, err := Parse(data, name, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if s.Name+".yaml" != name {
				t.Errorf("name %q", s.Name)
			}
			if s.Target.ServerName != "origin.example.com" || s.Pooling.Keepalive == nil || *s.Pooling.Pops < 1 {
				t.Errorf("not resolved: %+v", s)
			}
			if s.TotalLoadDuration() <= 0 || s.TotalLoadDuration() > time.Minute {
				t.Errorf("load lasts %v: examples must stay short", s.TotalLoadDuration())
			}
		})
	}
}

func TestDefaultsAndPresets(t *testing.T) {
	s, err := Parse([]byte("target: {url: 'https://o.test:8443/x'}\npki: {generate: true}\npooling: {preset: origin-shield, keepalive: 30s}\nload: {phases: [{kind: steps, rates: [10, 20], step: 2s}]}\n"), "s.yaml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Target.ServerName; got != "o.test" {
		t.Errorf("server_name = %q, want the URL's host", got)
	}
	if s.Target.Path != "/" || s.Policy.RotationPhase != "overlap" || s.Policy.FailOn != "fail" || s.Load.Identity != "chain.valid" {
		t.Errorf("defaults not applied: %+v %+v %+v", s.Target, s.Policy, s.Load)
	}
	if *s.Pooling.Pops != 1 || !*s.Pooling.OriginShield || s.Pooling.Keepalive.Duration != 30*time.Second || s.Pooling.ConnectTimeout.Duration != 10*time.Second {
		t.Errorf("preset not resolved, or explicit field lost: %+v", s.Pooling)
	}
	if p := s.Load.Phases[0]; p.Name != "steps" || p.Duration.Duration != 4*time.Second {
		t.Errorf("steps phase: name %q duration %v", p.Name, p.Duration)
	}
	out, err := s.YAML()
	if err != nil || !strings.Contains(string(out), "connect_timeout: 10s") {
		t.Errorf("dry-run YAML lacks resolved defaults:\n%s", out)
	}
}

func TestRelativePathsResolveAgainstTheFile(t *testing.T) {
	s, err := Parse([]byte("target: {url: 'https://o.test/'}\npki: {dir: pki}\npolicy: {cloudfront_cert: {cert: c.pem, key: /abs/k.pem}}\n"), "ci/gate.yaml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s.PKI.Dir != "ci/pki" || s.Policy.CloudFrontCert.Cert != "ci/c.pem" || s.Policy.CloudFrontCert.Key != "/abs/k.pem" {
		t.Errorf("paths: %q %q %q", s.PKI.Dir, s.Policy.CloudFrontCert.Cert, s.Policy.CloudFrontCert.Key)
	}
}

// TestMalformedScenarios: each malformed file gets one exact message, with
// file:line:col, what is wrong and what is allowed.
func TestMalformedScenarios(t *testing.T) {
	const ok = "target: {url: 'https://o.test/'}\npki: {dir: pki}\n"
	tests := []struct {
		name, yaml, want string
	}{
		{"empty file", "", "s.yaml: the file is empty: a scenario needs at least a target (see scenarios/smoke.yaml)"},
		{"syntax", "target: [\n", "s.yaml:1:1: YAML syntax: did not find expected node content"},
		{"unknown top-level field", ok + "tresholds: []\n", `s.yaml:3:1: unknown field "tresholds" (allowed: name, target, pki, policy, pooling, load, thresholds, cdn, distribution, results)`},
		{"unknown nested field", "target: {url: 'https://o.test/', sni: x}\npki: {dir: pki}\n", `s.yaml:1:34: target: unknown field "sni" (allowed: url, server_name, connect_to, headers, path, server_roots, server)`},
		{"unknown server", "target: {url: 'https://o.test/', server: envoy}\npki: {dir: pki}\n", `s.yaml:1:42: target.server: "envoy" is not allowed (allowed: nginx, haproxy, apache, caddy)`},
		{"missing target", "pki: {dir: pki}\n", `s.yaml:1:1: missing required field "target" in the scenario`},
		{"missing url", "target: {path: /}\npki: {dir: pki}\n", `s.yaml:1:9: target: missing required field "url" in target`},
		{"http url", "target: {url: 'http://o.test/'}\npki: {dir: pki}\n", `s.yaml:1:15: target.url: "http://o.test/": the origin must be an https:// URL (origin mTLS needs TLS)`},
		{"no pki", "target: {url: 'https://o.test/'}\n", "s.yaml:1:1: pki: give one of dir (a 'pki init' directory), generate: true, or ca_cert and ca_key"},
		{"two pki sources", "target: {url: 'https://o.test/'}\npki: {dir: pki, generate: true}\n", "s.yaml:2:6: pki: give only one of dir, generate, or ca_cert and ca_key"},
		{"bad enum", ok + "policy: {rotation_phase: after}\n", `s.yaml:3:26: policy.rotation_phase: "after" is not allowed (allowed: overlap, post)`},
		{"bad preset", ok + "pooling: {preset: fastest}\n", `s.yaml:3:19: pooling.preset: "fastest" is not allowed (allowed: cloudfront-default, origin-shield, cloudfront-max-keepalive)`},
		{"bad duration", ok + "pooling: {keepalive: 5}\n", `s.yaml:3:22: pooling.keepalive: "5" is not a duration (write e.g. 500ms, 5s, 2m)`},
		{"duration not a scalar", ok + "pooling: {keepalive: [5s]}\n", "s.yaml:3:22: pooling.keepalive: want a duration (e.g. 5s), got a list"},
		{"keepalive out of range", ok + "pooling: {keepalive: 10m}\n", "s.yaml:3:22: pooling.keepalive: 10m0s is out of range (1s-180s)"},
		{"attempts out of range", ok + "pooling: {connect_attempts: 5}\n", "s.yaml:3:29: pooling.connect_attempts: 5 is out of range (1-3)"},
		{"pops with origin shield", ok + "pooling: {origin_shield: true, pops: 4}\n", "s.yaml:3:38: pooling.pops: origin shield funnels every edge through one regional pool: pops cannot be 4 with origin_shield"},
		{"not a number", ok + "pooling: {pops: many}\n", `s.yaml:3:17: pooling.pops: want a whole number, got "many"`},
		{"bad bool", ok + "pooling: {reuse: maybe}\n", `s.yaml:3:18: pooling.reuse: want true or false, got "maybe"`},
		{"phases not a list", ok + "load: {phases: {kind: steady}}\n", "s.yaml:3:16: load.phases: want a list, got a mapping"},
		{"unknown phase kind", ok + "load: {phases: [{kind: burst, rate: 5, duration: 1s}]}\n", `s.yaml:3:24: load.phases[0].kind: "burst" is not allowed (allowed: warm-up, steady, ramp, steps, idle-gap-storm, rotation-drill)`},
		{"phase without duration", ok + "load: {phases: [{kind: steady, rate: 5}]}\n", "s.yaml:3:17: load.phases[0].duration: missing duration (every phase is bounded)"},
		{"field of another kind", ok + "load: {phases: [{kind: steady, rate: 5, duration: 1s, to: 9}]}\n", "s.yaml:3:59: load.phases[0].to: to is for ramp phases, not steady"},
		{"zero rate", ok + "load: {phases: [{kind: steady, rate: 0, duration: 1s}]}\n", "s.yaml:3:38: load.phases[0].rate: rate 0 is out of range (more than 0, at most 100000 per second)"},
		{"gap not beyond keepalive", ok + "load: {phases: [{kind: idle-gap-storm, rate: 5, duration: 1s, gap: 3s}]}\n", "s.yaml:3:68: load.phases[0].gap: 3s does not exceed the keep-alive 5s: connections would survive and nothing re-handshakes"},
		{"duplicate phase names", ok + "load: {phases: [{kind: steady, rate: 5, duration: 1s}, {kind: steady, rate: 6, duration: 1s}]}\n", `s.yaml:3:56: load.phases[1].name: phase name "steady" is used twice; give each phase a distinct name`},
		{"threshold on unknown phase", ok + "load: {phases: [{kind: steady, rate: 5, duration: 1s}]}\nthresholds: [{phase: stedy, error_rate: 0}]\n", `s.yaml:4:22: thresholds[0].phase: no phase is named "stedy" (phases: steady)`},
		{"bad ratio", ok + "thresholds: [{error_rate: lots}]\n", `s.yaml:3:27: thresholds[0].error_rate: "lots" is not a ratio (write e.g. 0.001 or 0.1%)`},
		{"ratio not a scalar", ok + "thresholds: [{error_rate: {x: 1}}]\n", "s.yaml:3:27: thresholds[0].error_rate: want a ratio (e.g. 0.001 or 0.1%), got a mapping"},
		{"ratio out of range", ok + "thresholds: [{min_reuse_ratio: 150%}]\n", `s.yaml:3:32: thresholds[0].min_reuse_ratio: "150%" is out of range (0 to 1, or 0% to 100%)`},
		{"empty threshold", ok + "thresholds: [{phase: ''}]\n", "s.yaml:3:14: thresholds[0]: a threshold needs at least one limit (handshake_p99, request_p99, error_rate, min_achieved_rate, min_reuse_ratio)"},
		{"unknown identity", ok + "load: {identity: chain.good}\n", `s.yaml:3:18: load.identity: "chain.good" is not a client identity of the PKI (use chain.valid, another check id with an identity, or none)`},
		{"unknown check in override", ok + "policy: {severity: [{check: usage.nope, severity: must, reason: x}]}\n", `s.yaml:3:29: policy.severity[0].check: "usage.nope" is not a check id (see the catalogue in the README)`},
		{"override without reason", ok + "policy: {severity: [{check: usage.no-eku, severity: must}]}\n", `s.yaml:3:21: policy.severity[0]: missing required field "reason" in policy.severity[0]`},
		{"duplicate key", ok + "pki: {dir: x}\n", `s.yaml:3:1: field "pki" given twice`},
		{"bad header name", "target: {url: 'https://o.test/', headers: {'X Bad': v}}\npki: {dir: pki}\n", `s.yaml:1:43: target.headers.X Bad: "X Bad" is not a valid HTTP header name`},
	}
	known := []string{"usage.no-eku", "chain.valid"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml), "s.yaml", Options{KnownChecks: known})
			if err == nil {
				t.Fatal("accepted")
			}
			if !IsScenarioError(err) {
				t.Errorf("error %T is not a scenario error", err)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"go-live.yaml", "smoke.yaml", "origin-shield.yaml", "rotation-drill.yaml"} {
		data, _ := Examples.ReadFile(name)
		f.Add(data)
	}
	f.Add([]byte("target: &a {url: 'https://x/'}\npki: *a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data, "f.yaml", Options{})
		if err == nil && s == nil {
			t.Fatal("nil scenario without error")
		}
	})
}

// TestDryRunYAMLIsAScenario: what --dry-run prints parses again to the same
// scenario, without nulls or fields of other phase kinds.
func TestDryRunYAMLIsAScenario(t *testing.T) {
	for _, name := range []string{"go-live.yaml", "smoke.yaml", "rotation-drill.yaml", "origin-shield.yaml"} {
		t.Run(name, func(t *testing.T) {
			raw, err := Examples.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			s, err := Parse(raw, name, Options{})
			if err != nil {
				t.Fatal(err)
			}
			out, err := s.YAML()
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(out), "null") {
				t.Errorf("dry-run YAML shows nulls:\n%s", out)
			}
			again, err := Parse(out, name, Options{})
			if err != nil {
				t.Fatalf("dry-run YAML does not parse: %v\n%s", err, out)
			}
			out2, err := again.YAML()
			if err != nil || string(out2) != string(out) {
				t.Errorf("dry-run YAML changes when parsed again (%v):\n%s\n---\n%s", err, out, out2)
			}
		})
	}
	s, err := Parse([]byte("target: {url: 'https://o.test/'}\npki: {generate: true}\nload: {phases: [{kind: steady, rate: 5, duration: 1s}, {kind: ramp, to: 9, duration: 1s}]}\n"), "s.yaml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.YAML()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"kind: steady\n          rate: 5\n          duration: 1s", "kind: ramp\n          from: 0\n          to: 9\n          duration: 1s"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("dry-run YAML lacks %q:\n%s", want, out)
		}
	}
}

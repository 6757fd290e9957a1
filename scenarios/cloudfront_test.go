package scenarios

import (
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// distDir copies the distribution configs of package cloudfront's tests
// into a temporary directory, beside the scenarios written there.
func distDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"get-distribution-config.json", "get-distribution.json"} {
		data, err := os.ReadFile(filepath.Join("..", "cloudfront", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestFromCloudFront: the scenario written for a distribution's origin
// validates, takes its pool settings from the distribution and never
// holds a header value.
func TestFromCloudFront(t *testing.T) {
	dir := distDir(t)
	const ok = "target: {url: 'https://api.origin.test:8443/'}\npki: {dir: pki}\n"
	s, err := Parse([]byte(ok+"distribution: {config: get-distribution.json, origin_id: api}\n"), filepath.Join(dir, "s.yaml"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	o := s.Distribution.Origin()
	if o == nil || o.ID != "api" {
		t.Fatalf("origin %+v", o)
	}
	p := s.Pooling
	if p.Keepalive.Duration != 30*time.Second || p.ReadTimeout.Duration != time.Minute || p.ConnectTimeout.Duration != 5*time.Second ||
		*p.ConnectAttempts != 2 || !*p.OriginShield || *p.Pops != 1 {
		t.Errorf("pooling not from the distribution: %+v", p)
	}
	y, err := FromCloudFront("get-distribution.json", o).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	init, err := Parse(y, filepath.Join(dir, "gate.yaml"), Options{})
	if err != nil {
		t.Fatalf("%v\n%s", err, y)
	}
	if init.Target.URL != "https://api.origin.test:8443/" || init.Distribution.Origin().ID != "api" || init.Load.Phases[2].Gap.Duration != 31*time.Second || len(init.Thresholds) != 1 {
		t.Errorf("written scenario:\n%s", y)
	}
	dry, err := init.YAML()
	if err != nil {
		t.Fatal(err)
	}
	for _, out := range [][]byte{y, dry} {
		if strings.Contains(string(out), "sentinel-7f3a9c") || strings.Contains(string(out), "X-Origin-Verify") {
			t.Errorf("a custom header reached the YAML:\n%s", out)
		}
	}
	// A field given explicitly wins over the distribution's.
	s, err = Parse([]byte(ok+"pooling: {keepalive: 40s}\ndistribution: {config: get-distribution.json, origin_id: api}\n"), filepath.Join(dir, "s.yaml"), Options{})
	if err != nil || s.Pooling.Keepalive.Duration != 40*time.Second || s.Pooling.ReadTimeout.Duration != time.Minute {
		t.Errorf("explicit keep-alive: %v %+v", err, s.Pooling)
	}
}

// TestMarshalRoundTrip: every example, marshalled, parses back to itself.
func TestMarshalRoundTrip(t *testing.T) {
	entries, _ := fs.Glob(Examples, "*.yaml")
	for _, name := range entries {
		data, _ := Examples.ReadFile(name)
		s, err := Parse(data, name, Options{})
		if err != nil {
			t.Fatal(err)
		}
		y, err := s.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		again, err := Parse(y, name, Options{})
		if err != nil {
			t.Fatalf("%s: %v\n%s", name, err, y)
		}
		if !reflect.DeepEqual(s, again) {
			t.Errorf("%s: marshalled and parsed again differs:\n%s", name, y)
		}
	}
}

func TestCDNAndDistributionErrors(t *testing.T) {
	dir := distDir(t)
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not JSON"), 0o644); err != nil {
		t.Fatal(err)
	}
	const ok = "target: {url: 'https://o.test/'}\npki: {dir: pki}\n"
	for _, tt := range []struct {
		name, yaml, want string
	}{
		{"several origins", ok + "distribution: {config: get-distribution.json}\n", "distribution.origin_id: the distribution has 2 origins (api, assets): name the one to check"},
		{"unknown origin", ok + "distribution: {config: get-distribution.json, origin_id: www}\n", `distribution.origin_id: "www" is not an origin of the distribution (origins: api, assets)`},
		{"S3 origin", ok + "distribution: {config: get-distribution.json, origin_id: assets}\n", `distribution.config: ` + filepath.Join(dir, "get-distribution.json") + `: origin "assets" is an S3 origin`},
		{"missing file", ok + "distribution: {config: none.json}\n", "distribution.config: " + filepath.Join(dir, "none.json") + ": no such file or directory"},
		{"no config", ok + "distribution: {origin_id: api}\n", `distribution: missing required field "config" in distribution`},
		{"not a distribution", ok + "distribution: {config: notes.txt}\n", "distribution.config: " + filepath.Join(dir, "notes.txt") + ": line 1, column 2: JSON syntax"},
		{"other CDN", ok + "cdn: fastly\ndistribution: {config: get-distribution-config.json}\n", `cdn: "fastly": a CloudFront distribution config goes with cdn: cloudfront`},
		{"unknown CDN", ok + "cdn: edgio\n", `cdn: "edgio" is not allowed (allowed: cloudfront, akamai, cloudflare, fastly, google)`},
		{"CloudFront preset, other CDN", ok + "cdn: akamai\npooling: {preset: origin-shield}\n", `pooling.preset: "origin-shield" is a CloudFront preset: with cdn: akamai the defaults are Akamai's`},
		{"the CDN's range", ok + "cdn: cloudflare\npooling: {keepalive: 2h}\n", "pooling.keepalive: 2h0m0s is out of range (1s-3600s)"},
		{"the CDN's header", "target: {url: 'https://o.test/', headers: {CF-Ray: x}}\npki: {dir: pki}\ncdn: cloudflare\n", "target.headers.CF-Ray: Cf-Ray is set on every request as Cloudflare sets it"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml), filepath.Join(dir, "s.yaml"), Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v\nwant %s", err, tt.want)
			}
		})
	}
	s, err := Parse([]byte(ok+"cdn: cloudflare\n"), filepath.Join(dir, "s.yaml"), Options{})
	if err != nil || s.Pooling.Keepalive.Duration != 900*time.Second || s.Pooling.ReadTimeout.Duration != 120*time.Second || s.Pooling.ConnectTimeout.Duration != 19*time.Second {
		t.Errorf("cloudflare's defaults: %v %+v", err, s.Pooling)
	}
}

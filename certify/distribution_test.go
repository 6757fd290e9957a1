package certify

import (
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/originproof/originproof/cdn"
	"github.com/originproof/originproof/checks"
	"github.com/originproof/originproof/cloudfront"
	"github.com/originproof/originproof/loadgen"
	"github.com/originproof/originproof/loadgen/latency"
	"github.com/originproof/originproof/reports"
)

var testdata = filepath.Join("..", "cloudfront", "testdata")

func TestLoadDistribution(t *testing.T) {
	o, err := LoadDistribution(filepath.Join(testdata, "get-distribution.json"), "api")
	if err != nil || o.ID != "api" || len(o.Behaviors) != 1 {
		t.Fatalf("%v %+v", err, o)
	}
	for _, tt := range []struct {
		file, id, field, want string
	}{
		{"none.json", "", FieldDistribution, "no such file or directory"},
		{"get-distribution.json", "", FieldOriginID, "the distribution has 2 origins (api, assets)"},
		{"get-distribution.json", "www", FieldOriginID, `"www" is not an origin`},
		{"get-distribution.json", "assets", FieldDistribution, "S3 origin"},
	} {
		_, err := LoadDistribution(filepath.Join(testdata, tt.file), tt.id)
		var ie *InputError
		if !errors.As(err, &ie) || ie.Field != tt.field || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s %q: %v, want an input error about %s: %s", tt.file, tt.id, err, tt.field, tt.want)
		}
	}
}

// TestResolveWithDistribution: the origin supplies the URL, its custom
// headers (an explicit one wins) and OriginPath before every path.
func TestResolveWithDistribution(t *testing.T) {
	pki := testPKI(t)
	o, err := LoadDistribution(filepath.Join(testdata, "get-distribution.json"), "api")
	if err != nil {
		t.Fatal(err)
	}
	e, err := Target{Distribution: o, ConnectTo: "127.0.0.1:9", Path: "/health"}.Resolve(pki, "pki")
	if err != nil {
		t.Fatal(err)
	}
	if e.URL.String() != "https://api.origin.test:8443/" || e.ServerName != "api.origin.test" || e.Path != "/v1/health" || e.Headers.Get("X-Origin-Verify") != "sentinel-7f3a9c" || e.CDN != cdn.CloudFront {
		t.Errorf("endpoint %+v", e)
	}
	if p := e.Probe(); p.Path != "/v1/health" || p.CDN != cdn.CloudFront {
		t.Errorf("probe target %+v", p)
	}
	e, err = Target{Distribution: o, Headers: http.Header{"X-Origin-Verify": {"mine"}}}.Resolve(pki, "pki")
	if err != nil || e.Headers.Get("X-Origin-Verify") != "mine" || len(e.Headers["X-Origin-Verify"]) != 1 {
		t.Errorf("explicit header: %v %v", err, e.Headers)
	}
	for _, tt := range []struct {
		t     Target
		field string
	}{
		{Target{Distribution: o, CDN: cdn.Fastly}, FieldCDN},
		{Target{URL: "https://o.test/", CDN: cdn.Cloudflare, Headers: http.Header{"Cf-Ray": {"x"}}}, FieldHeader},
	} {
		_, err := tt.t.Resolve(pki, "pki")
		var ie *InputError
		if !errors.As(err, &ie) || ie.Field != tt.field {
			t.Errorf("%+v: %v, want an input error about %s", tt.t, err, tt.field)
		}
	}
}

func TestReadTimeoutCheck(t *testing.T) {
	o := &cloudfront.Origin{ReadTimeout: time.Second}
	summary := func(requests int64, p999 float64, responses int64, timeouts int64) *loadgen.Summary {
		s := &loadgen.Summary{Requests: requests, ErrorsByClass: map[loadgen.ErrorClass]int64{},
			Latency: map[string]latency.Percentiles{loadgen.PhaseTTFB: {Count: responses, P999: p999}}}
		if timeouts > 0 {
			s.ErrorsByClass[loadgen.ErrTimeout] = timeouts
		}
		return s
	}
	for _, tt := range []struct {
		name string
		s    *loadgen.Summary
		want checks.Status
		obs  string
	}{
		{"fast", summary(100, 12.5, 100, 0), checks.StatusPass, "p99.9 12.5 ms over 100 responses, OriginReadTimeout 1s"},
		{"p99.9 at the limit", summary(100, 1000, 100, 0), checks.StatusFail, "p99.9 1000.0 ms"},
		{"timed out", summary(100, 20, 90, 10), checks.StatusFail, "10 of 100 requests timed out (OriginReadTimeout 1s)"},
		{"nothing sent", summary(0, 0, 0, 0), checks.StatusError, "no request was sent"},
		{"no response", summary(5, 0, 0, 0), checks.StatusError, "no response was measured"},
	} {
		c := ReadTimeoutCheck(tt.s, o)
		if c.Status != tt.want || !strings.Contains(c.Observed, tt.obs) || c.ID != "distribution.read-timeout" || c.Severity != checks.Must {
			t.Errorf("%s: %+v, want %s with %q", tt.name, c, tt.want, tt.obs)
		}
	}
	sum := &reports.Summary{Verdict: checks.VerdictPass, Load: summary(100, 1500, 100, 0)}
	JudgeLoadWithDistribution(sum, o)
	if sum.Verdict != checks.VerdictFail || len(sum.Checks) != 1 || sum.Config["distribution"] == nil {
		t.Errorf("verdict %s (%s), checks %v", sum.Verdict, sum.VerdictReason, sum.Checks)
	}
}

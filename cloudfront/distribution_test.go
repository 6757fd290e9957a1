package cloudfront

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// sentinel is the custom header value of the test configs: it must never
// show in anything printed or marshalled.
const sentinel = "sentinel-7f3a9c"

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// edit decodes a config, changes it at a dotted path (list indexes as
// numbers) and encodes it again: set when v is not nil, delete otherwise.
func edit(t testing.TB, data []byte, path string, v any) []byte {
	t.Helper()
	var root any
	if err := json.Unmarshal(data, &root); err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(path, ".")
	cur := root
	for i, p := range parts {
		last := i == len(parts)-1
		switch c := cur.(type) {
		case map[string]any:
			if last {
				if v == nil {
					delete(c, p)
				} else {
					c[p] = v
				}
				break
			}
			if c[p] == nil {
				c[p] = map[string]any{}
			}
			cur = c[p]
		case []any:
			n, err := strconv.Atoi(p)
			if err != nil || n >= len(c) {
				t.Fatalf("%s: %q is not an index", path, p)
			}
			if last {
				c[n] = v
				break
			}
			cur = c[n]
		default:
			t.Fatalf("%s: cannot descend into %T", path, cur)
		}
	}
	out, err := json.Marshal(root)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestShapes: get-distribution-config, get-distribution and a bare
// DistributionConfig all read to the same origins.
func TestShapes(t *testing.T) {
	cfg := readFile(t, "get-distribution-config.json")
	var env struct{ DistributionConfig json.RawMessage }
	if err := json.Unmarshal(cfg, &env); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		data []byte
		ids  []string
		id   string
	}{
		{"get-distribution-config", cfg, []string{"web"}, ""},
		{"bare DistributionConfig", env.DistributionConfig, []string{"web"}, ""},
		{"get-distribution", readFile(t, "get-distribution.json"), []string{"api", "assets"}, "EDFDVBD6EXAMPLE"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d, err := ParseDistributionConfig(tt.data)
			if err != nil {
				t.Fatal(err)
			}
			if got := d.OriginIDs(); !slices.Equal(got, tt.ids) || d.ID != tt.id {
				t.Errorf("origins %v, id %q; want %v, %q", got, d.ID, tt.ids, tt.id)
			}
		})
	}
}

func TestOneOrigin(t *testing.T) {
	d, err := ParseDistributionConfig(readFile(t, "get-distribution-config.json"))
	if err != nil {
		t.Fatal(err)
	}
	o, err := d.Origin("")
	if err != nil {
		t.Fatal(err)
	}
	want := Origin{ID: "web", DomainName: "origin.test", Custom: true, HTTPSPort: 443, ProtocolPolicy: PolicyHTTPSOnly, SSLProtocols: []string{"TLSv1.2"},
		ReadTimeout: 30 * time.Second, KeepaliveTimeout: 5 * time.Second, ConnectionTimeout: 10 * time.Second, ConnectionAttempts: 3,
		ClientCertificateARN: "arn:aws:acm:us-east-1:111122223333:certificate/0f1e2d3c-example",
		Headers:              []CustomHeader{{"X-Origin-Verify", NewSecret(sentinel)}}, Behaviors: []Behavior{{TargetOriginID: "web"}}}
	if !reflect.DeepEqual(*o, want) {
		t.Errorf("got  %+v\nwant %+v", *o, want)
	}
	if o.URL() != "https://origin.test/" || len(o.UnsupportedFeatures()) != 0 || !slices.Equal(o.AllowedVersions(), []uint16{0x0303}) {
		t.Errorf("url %s, unsupported %v, versions %v", o.URL(), o.UnsupportedFeatures(), o.AllowedVersions())
	}
}

// TestSeveralOrigins: no id lists the origins; the id picks one with the
// behaviours routed to it; an S3 origin cannot be the one under test.
func TestSeveralOrigins(t *testing.T) {
	d, err := ParseDistributionConfig(readFile(t, "get-distribution.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ce *OriginChoiceError
	if _, err := d.Origin(""); !errors.As(err, &ce) || !slices.Equal(ce.IDs, []string{"api", "assets"}) || !strings.Contains(err.Error(), "2 origins (api, assets)") {
		t.Errorf("no id: %v", err)
	}
	if _, err := d.Origin("nope"); !errors.As(err, &ce) || !strings.Contains(err.Error(), `"nope" is not an origin of the distribution (origins: api, assets)`) {
		t.Errorf("unknown id: %v", err)
	}
	if _, err := d.Origin("assets"); err == nil || !strings.Contains(err.Error(), "S3 origin") {
		t.Errorf("S3 origin: %v", err)
	}
	o, err := d.Origin("api")
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Behaviors) != 1 || o.Behaviors[0].PathPattern != "/api/*" || o.DistributionID != "EDFDVBD6EXAMPLE" || o.DistributionDomain != "d111111abcdef8.cloudfront.net" {
		t.Errorf("behaviours %+v, distribution %q %q", o.Behaviors, o.DistributionID, o.DistributionDomain)
	}
	if o.URL() != "https://api.origin.test:8443/" || o.OriginPath != "/v1" || !o.OriginShield || o.OriginShieldRegion != "us-east-2" ||
		o.KeepaliveTimeout != 30*time.Second || o.ReadTimeout != time.Minute || o.ConnectionAttempts != 2 || o.ConnectionTimeout != 5*time.Second {
		t.Errorf("settings %+v", o)
	}
	if got := o.UnsupportedFeatures(); !slices.Equal(got, []string{"Lambda@Edge origin-request trigger on behaviour /api/*"}) {
		t.Errorf("unsupported features %v (the viewer-request trigger is supported)", got)
	}
	if !slices.Equal(o.AllowedVersions(), []uint16{0x0302, 0x0303}) {
		t.Errorf("versions %v", o.AllowedVersions())
	}
}

// TestFeatures: each feature AWS documents as unsupported, as far as a
// config shows it, on a behaviour routed to the origin only.
func TestFeatures(t *testing.T) {
	base := readFile(t, "get-distribution-config.json")
	lambda := func(event string) any {
		return map[string]any{"Quantity": 1, "Items": []any{map[string]any{"LambdaFunctionARN": "arn:aws:lambda:us-east-1:1:function:f:1", "EventType": event}}}
	}
	for _, tt := range []struct {
		name, path string
		v          any
		want       []string
	}{
		{"origin-request", "DistributionConfig.DefaultCacheBehavior.LambdaFunctionAssociations", lambda("origin-request"), []string{"Lambda@Edge origin-request trigger on behaviour default (*)"}},
		{"origin-response", "DistributionConfig.DefaultCacheBehavior.LambdaFunctionAssociations", lambda("origin-response"), []string{"Lambda@Edge origin-response trigger on behaviour default (*)"}},
		{"viewer-request is fine", "DistributionConfig.DefaultCacheBehavior.LambdaFunctionAssociations", lambda("viewer-request"), nil},
		{"gRPC", "DistributionConfig.DefaultCacheBehavior.GrpcConfig", map[string]any{"Enabled": true}, []string{"gRPC (GrpcConfig) on behaviour default (*)"}},
		{"VPC origin", "DistributionConfig.Origins.Items.0", map[string]any{"Id": "web", "DomainName": "origin.test", "VpcOriginConfig": map[string]any{"VpcOriginId": "vo_1", "OriginKeepaliveTimeout": 20}}, []string{"VPC origin (VpcOriginConfig)"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d, err := ParseDistributionConfig(edit(t, base, tt.path, tt.v))
			if err != nil {
				t.Fatal(err)
			}
			o, err := d.Origin("web")
			if err != nil {
				t.Fatal(err)
			}
			if got := o.UnsupportedFeatures(); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	if n := len(NotInConfig()); n != 2 {
		t.Errorf("%d features are not visible in a config, want WebSocket and embedded POPs", n)
	}
}

// TestMissingAndWrongFields: every problem is an error naming the JSON path.
func TestMissingAndWrongFields(t *testing.T) {
	base := readFile(t, "get-distribution-config.json")
	const o0 = "DistributionConfig.Origins.Items.0"
	del := func(path string) []byte { return edit(t, base, path, nil) }
	set := func(path string, v any) []byte { return edit(t, base, path, v) }
	for _, tt := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty file", []byte(" \n"), "the file is empty"},
		{"not JSON", []byte("{\n  \"Origins\": [,]\n}"), "line 2, column 15: JSON syntax"},
		{"another document", []byte(`{"Items": []}`), "not a CloudFront distribution config"},
		{"a list at the top", []byte(`[1]`), "want a JSON object"},
		{"no origins", del("DistributionConfig.Origins"), "DistributionConfig: missing required field Origins"},
		{"empty origins", set("DistributionConfig.Origins.Items", []any{}), "DistributionConfig.Origins.Items: the distribution has no origins"},
		{"origin id", del(o0 + ".Id"), "DistributionConfig.Origins.Items[0]: missing required field Id"},
		{"domain name", del(o0 + ".DomainName"), "DistributionConfig.Origins.Items[0]: missing required field DomainName"},
		{"no origin config", del(o0 + ".CustomOriginConfig"), "DistributionConfig.Origins.Items[0]: missing required field CustomOriginConfig (or S3OriginConfig, VpcOriginConfig)"},
		{"https port", del(o0 + ".CustomOriginConfig.HTTPSPort"), "Items[0].CustomOriginConfig: missing required field HTTPSPort"},
		{"protocol policy", del(o0 + ".CustomOriginConfig.OriginProtocolPolicy"), "Items[0].CustomOriginConfig: missing required field OriginProtocolPolicy"},
		{"certificate arn", del(o0 + ".CustomOriginConfig.OriginMtlsConfig.ClientCertificateArn"), "CustomOriginConfig.OriginMtlsConfig: missing required field ClientCertificateArn"},
		{"header value", del(o0 + ".CustomHeaders.Items.0.HeaderValue"), "Items[0].CustomHeaders.Items[0]: missing required field HeaderValue"},
		{"origin shield", del(o0 + ".OriginShield.Enabled"), "Items[0].OriginShield: missing required field Enabled"},
		{"shield region", set(o0+".OriginShield.Enabled", true), "missing required field OriginShieldRegion"},
		{"default behaviour", del("DistributionConfig.DefaultCacheBehavior"), "DistributionConfig: missing required field DefaultCacheBehavior"},
		{"target origin", del("DistributionConfig.DefaultCacheBehavior.TargetOriginId"), "DistributionConfig.DefaultCacheBehavior: missing required field TargetOriginId"},
		{"unknown target", set("DistributionConfig.DefaultCacheBehavior.TargetOriginId", "gone"), `DefaultCacheBehavior.TargetOriginId: "gone" is not an origin of the distribution (origins: web)`},
		{"event type", set("DistributionConfig.DefaultCacheBehavior.LambdaFunctionAssociations", map[string]any{"Items": []any{map[string]any{"LambdaFunctionARN": "x"}}}), "LambdaFunctionAssociations.Items[0]: missing required field EventType"},
		{"bad event type", set("DistributionConfig.DefaultCacheBehavior.LambdaFunctionAssociations", map[string]any{"Items": []any{map[string]any{"EventType": "origin-reply"}}}), `EventType: "origin-reply": want viewer-request`},
		{"bad policy", set(o0+".CustomOriginConfig.OriginProtocolPolicy", "https"), `OriginProtocolPolicy: "https": want https-only, http-only or match-viewer`},
		{"TLSv1.3 is not a value", set(o0+".CustomOriginConfig.OriginSslProtocols.Items", []any{"TLSv1.3"}), `OriginSslProtocols.Items[0]: "TLSv1.3" is not an OriginSslProtocols value`},
		{"keep-alive out of range", set(o0+".CustomOriginConfig.OriginKeepaliveTimeout", 500), "CustomOriginConfig.OriginKeepaliveTimeout: 8m20s: CloudFront allows 1s-180s"},
		{"read timeout out of range", set(o0+".CustomOriginConfig.OriginReadTimeout", 0), "OriginReadTimeout: 0s: CloudFront allows"},
		{"attempts out of range", set(o0+".ConnectionAttempts", 4), "Items[0].ConnectionAttempts: 4: CloudFront allows 1-3"},
		{"completion below read", set(o0+".ResponseCompletionTimeout", 10), "ResponseCompletionTimeout: response completion timeout 10s is shorter than the read timeout 30s"},
		{"wrong type", set(o0+".CustomOriginConfig.HTTPSPort", "443"), "HTTPSPort: want a number, got a JSON string"},
		{"duplicate id", set("DistributionConfig.Origins.Items", []any{map[string]any{"Id": "web", "DomainName": "a", "S3OriginConfig": map[string]any{}}, map[string]any{"Id": "web", "DomainName": "b", "S3OriginConfig": map[string]any{}}}), `Items[1].Id: origin id "web" is used twice`},
		{"origin path", set(o0+".OriginPath", "v1/"), `OriginPath: "v1/": CloudFront wants a path that starts with / and does not end with /`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseDistributionConfig(tt.data)
			var ce *ConfigError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want a ConfigError containing %q", err, tt.want)
			}
		})
	}
}

// TestUnknownFieldsIgnored: fields AWS adds later, at any level, change nothing.
func TestUnknownFieldsIgnored(t *testing.T) {
	base := readFile(t, "get-distribution-config.json")
	want, err := ParseDistributionConfig(base)
	if err != nil {
		t.Fatal(err)
	}
	data := base
	for _, path := range []string{"FutureTop", "DistributionConfig.FutureConfig", "DistributionConfig.Origins.Items.0.FutureOrigin",
		"DistributionConfig.Origins.Items.0.CustomOriginConfig.FutureCustom", "DistributionConfig.DefaultCacheBehavior.FutureBehavior"} {
		data = edit(t, data, path, map[string]any{"Quantity": 2, "Items": []any{"x", 1}})
	}
	got, err := ParseDistributionConfig(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("unknown fields changed the result:\n%+v\n%+v", got, want)
	}
}

// TestSecretsStayOut: a header value shows in nothing printed or
// marshalled from an origin, only in Reveal.
func TestSecretsStayOut(t *testing.T) {
	d, err := ParseDistributionConfig(readFile(t, "get-distribution.json"))
	if err != nil {
		t.Fatal(err)
	}
	o, err := d.Origin("api")
	if err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	sum, _ := json.Marshal(o.Summary())
	for _, out := range []string{fmt.Sprint(o), fmt.Sprintf("%+v", *o), fmt.Sprintf("%#v", *o), fmt.Sprintf("%s %q %d %x %v", o.Headers[0].Value, o.Headers[0].Value, o.Headers[0].Value, o.Headers[0].Value, o.Headers), string(js), string(sum), fmt.Sprint(d)} {
		if strings.Contains(out, sentinel) {
			t.Errorf("the header value leaked: %s", out)
		}
	}
	if !strings.Contains(string(js), `"Value":"\u003credacted\u003e"`) || o.Headers[0].Value.Reveal() != sentinel || !slices.Equal(o.HeaderNames(), []string{"X-Origin-Verify"}) {
		t.Errorf("the value is not kept for the requests: %s", js)
	}
}

// FuzzParseDistributionConfig: any input parses or fails with an error, never a panic.
func FuzzParseDistributionConfig(f *testing.F) {
	for _, name := range []string{"get-distribution-config.json", "get-distribution.json"} {
		f.Add(readFile(f, name))
	}
	f.Add([]byte(`{"Origins": {"Items": [{"Id": "a", "DomainName": "b", "CustomOriginConfig": {"HTTPSPort": 1, "OriginProtocolPolicy": "https-only"}}]}, "DefaultCacheBehavior": {"TargetOriginId": "a"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := ParseDistributionConfig(data)
		if err != nil {
			return
		}
		for _, id := range d.OriginIDs() {
			if o, err := d.Origin(id); err == nil {
				_ = o.Summary()
				_ = o.UnsupportedFeatures()
			}
		}
	})
}

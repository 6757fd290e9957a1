package cloudfront

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// DocDistributionConfigAPI: the DistributionConfig type of the CloudFront API
// (what `aws cloudfront get-distribution-config` prints under
// "DistributionConfig").
const DocDistributionConfigAPI = "https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_DistributionConfig.html"

// Redacted stands for a secret value (an origin custom header's) wherever a
// value is printed, logged or written to an output.
const Redacted = "<redacted>"

// Secret is a value that must never reach an output: origin custom header
// values are often the very shared secret origin mTLS replaces. It prints,
// and marshals to JSON or YAML, as Redacted; Reveal returns the value for the
// requests that carry it.
type Secret struct{ v string }

// NewSecret wraps a secret value.
func NewSecret(v string) Secret { return Secret{v} }

// Reveal returns the value itself (only for the requests that send it).
func (s Secret) Reveal() string { return s.v }

// String is Redacted, whatever the value.
func (s Secret) String() string { return Redacted }

// GoString is Redacted too (%#v).
func (s Secret) GoString() string { return Redacted }

// Format writes Redacted for every verb (%d and %x included, which would
// otherwise print the value's bytes).
func (s Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(Redacted)) }

// MarshalText keeps the value out of JSON and YAML.
func (s Secret) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

// Origin protocol policies (CustomOriginConfig.OriginProtocolPolicy).
const (
	PolicyHTTPSOnly   = "https-only"
	PolicyHTTPOnly    = "http-only"
	PolicyMatchViewer = "match-viewer"
)

// Lambda@Edge event types (LambdaFunctionAssociation.EventType).
const (
	EventViewerRequest  = "viewer-request"
	EventViewerResponse = "viewer-response"
	EventOriginRequest  = "origin-request"
	EventOriginResponse = "origin-response"
)

// Distribution is what originproof reads from a CloudFront distribution
// config: its origins and its cache behaviours. Fields AWS adds later are
// ignored.
type Distribution struct {
	// ID and DomainName are the distribution's (get-distribution only).
	ID, DomainName string
	Origins        []Origin
	// Behaviors are the cache behaviours, the default one first.
	Behaviors []Behavior
}

// Origin is one origin of a distribution: how CloudFront connects to it.
// Durations and counts are CloudFront's defaults where the config leaves
// them out.
type Origin struct {
	ID, DomainName, OriginPath string
	Headers                    []CustomHeader
	// Custom: a custom origin (CustomOriginConfig); VPC: a VPC origin.
	Custom, VPC bool
	HTTPSPort   int
	// ProtocolPolicy is https-only, http-only or match-viewer.
	ProtocolPolicy string
	// SSLProtocols are the OriginSslProtocols values (TLSv1.2, …).
	SSLProtocols              []string
	ReadTimeout               time.Duration
	KeepaliveTimeout          time.Duration
	ResponseCompletionTimeout time.Duration
	ConnectionTimeout         time.Duration
	ConnectionAttempts        int
	// ClientCertificateARN is OriginMtlsConfig.ClientCertificateArn ("" without origin mTLS).
	ClientCertificateARN string
	OriginShield         bool
	OriginShieldRegion   string
	// Behaviors are the cache behaviours whose TargetOriginId is this
	// origin, and DistributionID and DistributionDomain the distribution's
	// (set by Distribution.Origin).
	Behaviors                          []Behavior
	DistributionID, DistributionDomain string
}

// CustomHeader is an origin custom header; its value is a Secret.
type CustomHeader struct {
	Name  string
	Value Secret
}

// Behavior is a cache behaviour: where it routes and what runs on it.
type Behavior struct {
	// PathPattern is "" for the default cache behaviour.
	PathPattern    string
	TargetOriginID string
	// Lambda are the Lambda@Edge associations.
	Lambda []LambdaAssociation
	// GRPC: GrpcConfig.Enabled.
	GRPC bool
}

// LambdaAssociation is one Lambda@Edge function on a behaviour.
type LambdaAssociation struct {
	EventType, ARN string
}

// Name is the behaviour's path pattern, or "default (*)".
func (b Behavior) Name() string {
	if b.PathPattern == "" {
		return "default (*)"
	}
	return b.PathPattern
}

// ConfigError is a problem in a distribution config: the JSON path of the
// field (as in the file: DistributionConfig.Origins.Items[0].DomainName)
// and what is wrong.
type ConfigError struct {
	Path string
	Msg  string
}

func (e *ConfigError) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

// OriginChoiceError says the origin to check was not named (the
// distribution has several) or does not exist; IDs lists the origins.
type OriginChoiceError struct {
	Want string // the id asked for ("" when none was given)
	IDs  []string
}

func (e *OriginChoiceError) Error() string {
	if e.Want == "" {
		return fmt.Sprintf("the distribution has %d origins (%s): name the one to check", len(e.IDs), strings.Join(e.IDs, ", "))
	}
	return fmt.Sprintf("%q is not an origin of the distribution (origins: %s)", e.Want, strings.Join(e.IDs, ", "))
}

// raw* mirror the JSON; pointers tell a missing field from a zero one.
type (
	rawEnvelope struct {
		Distribution       *rawDistribution `json:"Distribution"`
		DistributionConfig *rawConfig       `json:"DistributionConfig"`
		Origins            json.RawMessage  `json:"Origins"`
	}
	rawDistribution struct {
		ID                 *string    `json:"Id"`
		DomainName         *string    `json:"DomainName"`
		DistributionConfig *rawConfig `json:"DistributionConfig"`
	}
	rawConfig struct {
		Origins *struct {
			Items []rawOrigin `json:"Items"`
		} `json:"Origins"`
		DefaultCacheBehavior *rawBehavior `json:"DefaultCacheBehavior"`
		CacheBehaviors       *struct {
			Items []rawBehavior `json:"Items"`
		} `json:"CacheBehaviors"`
	}
	rawOrigin struct {
		ID            *string `json:"Id"`
		DomainName    *string `json:"DomainName"`
		OriginPath    *string `json:"OriginPath"`
		CustomHeaders *struct {
			Items []struct {
				HeaderName  *string `json:"HeaderName"`
				HeaderValue *string `json:"HeaderValue"`
			} `json:"Items"`
		} `json:"CustomHeaders"`
		CustomOriginConfig *struct {
			HTTPSPort            *int    `json:"HTTPSPort"`
			OriginProtocolPolicy *string `json:"OriginProtocolPolicy"`
			OriginSslProtocols   *struct {
				Items []string `json:"Items"`
			} `json:"OriginSslProtocols"`
			OriginReadTimeout      *int `json:"OriginReadTimeout"`
			OriginKeepaliveTimeout *int `json:"OriginKeepaliveTimeout"`
			OriginMtlsConfig       *struct {
				ClientCertificateArn *string `json:"ClientCertificateArn"`
			} `json:"OriginMtlsConfig"`
		} `json:"CustomOriginConfig"`
		S3OriginConfig  json.RawMessage `json:"S3OriginConfig"`
		VpcOriginConfig *struct {
			OriginReadTimeout      *int `json:"OriginReadTimeout"`
			OriginKeepaliveTimeout *int `json:"OriginKeepaliveTimeout"`
		} `json:"VpcOriginConfig"`
		ConnectionAttempts        *int `json:"ConnectionAttempts"`
		ConnectionTimeout         *int `json:"ConnectionTimeout"`
		ResponseCompletionTimeout *int `json:"ResponseCompletionTimeout"`
		OriginShield              *struct {
			Enabled            *bool   `json:"Enabled"`
			OriginShieldRegion *string `json:"OriginShieldRegion"`
		} `json:"OriginShield"`
	}
	rawBehavior struct {
		PathPattern                *string `json:"PathPattern"`
		TargetOriginID             *string `json:"TargetOriginId"`
		LambdaFunctionAssociations *struct {
			Items []struct {
				LambdaFunctionARN *string `json:"LambdaFunctionARN"`
				EventType         *string `json:"EventType"`
			} `json:"Items"`
		} `json:"LambdaFunctionAssociations"`
		GrpcConfig *struct {
			Enabled *bool `json:"Enabled"`
		} `json:"GrpcConfig"`
	}
)

// ParseDistributionConfig reads the JSON that `aws cloudfront
// get-distribution-config` prints ({"ETag", "DistributionConfig"}), that
// `aws cloudfront get-distribution` prints ({"Distribution": {…,
// "DistributionConfig"}}), or a bare DistributionConfig. Unknown fields are
// ignored (AWS adds fields); a missing required field, a value of the wrong
// type or out of CloudFront's range is a *ConfigError naming its JSON path.
func ParseDistributionConfig(data []byte) (*Distribution, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &ConfigError{"", "the file is empty"}
	}
	var env rawEnvelope
	if err := json.Unmarshal(data, &env); err != nil {
		return nil, jsonError(data, err)
	}
	d := &Distribution{}
	var cfg *rawConfig
	prefix := ""
	switch {
	case env.Distribution != nil:
		prefix = "Distribution.DistributionConfig"
		cfg = env.Distribution.DistributionConfig
		d.ID, d.DomainName = deref(env.Distribution.ID), deref(env.Distribution.DomainName)
		if cfg == nil {
			return nil, &ConfigError{"Distribution", "missing required field DistributionConfig"}
		}
	case env.DistributionConfig != nil:
		prefix, cfg = "DistributionConfig", env.DistributionConfig
	case env.Origins != nil:
		cfg = &rawConfig{}
		if err := json.Unmarshal(data, cfg); err != nil {
			return nil, jsonError(data, err)
		}
	default:
		return nil, &ConfigError{"", "not a CloudFront distribution config: no Distribution, DistributionConfig or Origins at the top (want the JSON of aws cloudfront get-distribution-config or get-distribution)"}
	}
	p := func(s string) string {
		if prefix == "" {
			return s
		}
		return prefix + "." + s
	}
	if cfg.Origins == nil {
		return nil, &ConfigError{prefix, "missing required field Origins"}
	}
	if len(cfg.Origins.Items) == 0 {
		return nil, &ConfigError{p("Origins.Items"), "the distribution has no origins"}
	}
	seen := map[string]bool{}
	for i, ro := range cfg.Origins.Items {
		o, err := parseOrigin(ro, p(fmt.Sprintf("Origins.Items[%d]", i)))
		if err != nil {
			return nil, err
		}
		if seen[o.ID] {
			return nil, &ConfigError{p(fmt.Sprintf("Origins.Items[%d].Id", i)), fmt.Sprintf("origin id %q is used twice", o.ID)}
		}
		seen[o.ID] = true
		d.Origins = append(d.Origins, *o)
	}
	if cfg.DefaultCacheBehavior == nil {
		return nil, &ConfigError{prefix, "missing required field DefaultCacheBehavior"}
	}
	b, err := parseBehavior(*cfg.DefaultCacheBehavior, p("DefaultCacheBehavior"), true)
	if err != nil {
		return nil, err
	}
	d.Behaviors = append(d.Behaviors, b)
	if cfg.CacheBehaviors != nil {
		for i, rb := range cfg.CacheBehaviors.Items {
			b, err := parseBehavior(rb, p(fmt.Sprintf("CacheBehaviors.Items[%d]", i)), false)
			if err != nil {
				return nil, err
			}
			d.Behaviors = append(d.Behaviors, b)
		}
	}
	for i, b := range d.Behaviors {
		if !seen[b.TargetOriginID] {
			path := p("DefaultCacheBehavior.TargetOriginId")
			if i > 0 {
				path = p(fmt.Sprintf("CacheBehaviors.Items[%d].TargetOriginId", i-1))
			}
			return nil, &ConfigError{path, fmt.Sprintf("%q is not an origin of the distribution (origins: %s)", b.TargetOriginID, strings.Join(d.OriginIDs(), ", "))}
		}
	}
	return d, nil
}

func parseOrigin(ro rawOrigin, path string) (*Origin, error) {
	missing := func(field string) error { return &ConfigError{path, "missing required field " + field} }
	if ro.ID == nil || *ro.ID == "" {
		return nil, missing("Id")
	}
	if ro.DomainName == nil || *ro.DomainName == "" {
		return nil, missing("DomainName")
	}
	o := &Origin{ID: *ro.ID, DomainName: *ro.DomainName, OriginPath: deref(ro.OriginPath),
		ReadTimeout: ReadTimeout.Default, KeepaliveTimeout: KeepaliveTimeout.Default,
		ConnectionTimeout: ConnectionTimeout.Default, ConnectionAttempts: ConnectionAttempts.Default}
	if o.OriginPath != "" && (!strings.HasPrefix(o.OriginPath, "/") || strings.HasSuffix(o.OriginPath, "/")) {
		return nil, &ConfigError{path + ".OriginPath", fmt.Sprintf("%q: CloudFront wants a path that starts with / and does not end with /", o.OriginPath)}
	}
	if ro.CustomHeaders != nil {
		for i, h := range ro.CustomHeaders.Items {
			hp := fmt.Sprintf("%s.CustomHeaders.Items[%d]", path, i)
			if h.HeaderName == nil || *h.HeaderName == "" {
				return nil, &ConfigError{hp, "missing required field HeaderName"}
			}
			if h.HeaderValue == nil {
				return nil, &ConfigError{hp, "missing required field HeaderValue"}
			}
			o.Headers = append(o.Headers, CustomHeader{Name: *h.HeaderName, Value: NewSecret(*h.HeaderValue)})
		}
	}
	seconds := func(field string, v *int, r DurationRange, dst *time.Duration) error {
		if v == nil {
			return nil
		}
		d := time.Duration(*v) * time.Second
		if err := r.Check(d); err != nil {
			return &ConfigError{field, err.Error()}
		}
		*dst = d
		return nil
	}
	switch c := ro.CustomOriginConfig; {
	case c != nil:
		cp := path + ".CustomOriginConfig"
		o.Custom = true
		if c.HTTPSPort == nil {
			return nil, &ConfigError{cp, "missing required field HTTPSPort"}
		}
		if *c.HTTPSPort < 1 || *c.HTTPSPort > 65535 {
			return nil, &ConfigError{cp + ".HTTPSPort", fmt.Sprintf("%d is not a port", *c.HTTPSPort)}
		}
		o.HTTPSPort = *c.HTTPSPort
		if c.OriginProtocolPolicy == nil {
			return nil, &ConfigError{cp, "missing required field OriginProtocolPolicy"}
		}
		switch *c.OriginProtocolPolicy {
		case PolicyHTTPSOnly, PolicyHTTPOnly, PolicyMatchViewer:
			o.ProtocolPolicy = *c.OriginProtocolPolicy
		default:
			return nil, &ConfigError{cp + ".OriginProtocolPolicy", fmt.Sprintf("%q: want https-only, http-only or match-viewer", *c.OriginProtocolPolicy)}
		}
		if c.OriginSslProtocols != nil {
			for i, name := range c.OriginSslProtocols.Items {
				if _, err := ParseOriginSSLProtocol(name); err != nil {
					return nil, &ConfigError{fmt.Sprintf("%s.OriginSslProtocols.Items[%d]", cp, i), err.Error()}
				}
				o.SSLProtocols = append(o.SSLProtocols, name)
			}
		}
		if err := seconds(cp+".OriginReadTimeout", c.OriginReadTimeout, ReadTimeout, &o.ReadTimeout); err != nil {
			return nil, err
		}
		if err := seconds(cp+".OriginKeepaliveTimeout", c.OriginKeepaliveTimeout, KeepaliveTimeout, &o.KeepaliveTimeout); err != nil {
			return nil, err
		}
		if m := c.OriginMtlsConfig; m != nil {
			if m.ClientCertificateArn == nil || *m.ClientCertificateArn == "" {
				return nil, &ConfigError{cp + ".OriginMtlsConfig", "missing required field ClientCertificateArn"}
			}
			o.ClientCertificateARN = *m.ClientCertificateArn
		}
	case ro.VpcOriginConfig != nil:
		vp := path + ".VpcOriginConfig"
		o.VPC, o.HTTPSPort, o.ProtocolPolicy = true, 443, PolicyHTTPSOnly
		if err := seconds(vp+".OriginReadTimeout", ro.VpcOriginConfig.OriginReadTimeout, ReadTimeout, &o.ReadTimeout); err != nil {
			return nil, err
		}
		if err := seconds(vp+".OriginKeepaliveTimeout", ro.VpcOriginConfig.OriginKeepaliveTimeout, KeepaliveTimeout, &o.KeepaliveTimeout); err != nil {
			return nil, err
		}
	case ro.S3OriginConfig != nil:
		// An S3 origin is fine in the distribution; it cannot be the
		// origin under test (Distribution.Origin says so).
	default:
		return nil, &ConfigError{path, "missing required field CustomOriginConfig (or S3OriginConfig, VpcOriginConfig)"}
	}
	if err := seconds(path+".ConnectionTimeout", ro.ConnectionTimeout, ConnectionTimeout, &o.ConnectionTimeout); err != nil {
		return nil, err
	}
	if ro.ResponseCompletionTimeout != nil && *ro.ResponseCompletionTimeout != 0 {
		o.ResponseCompletionTimeout = time.Duration(*ro.ResponseCompletionTimeout) * time.Second
		if err := CheckResponseCompletionTimeout(o.ResponseCompletionTimeout, o.ReadTimeout); err != nil {
			return nil, &ConfigError{path + ".ResponseCompletionTimeout", err.Error()}
		}
	}
	if ro.ConnectionAttempts != nil {
		if err := ConnectionAttempts.Check(*ro.ConnectionAttempts); err != nil {
			return nil, &ConfigError{path + ".ConnectionAttempts", err.Error()}
		}
		o.ConnectionAttempts = *ro.ConnectionAttempts
	}
	if s := ro.OriginShield; s != nil {
		if s.Enabled == nil {
			return nil, &ConfigError{path + ".OriginShield", "missing required field Enabled"}
		}
		o.OriginShield, o.OriginShieldRegion = *s.Enabled, deref(s.OriginShieldRegion)
		if o.OriginShield && o.OriginShieldRegion == "" {
			return nil, &ConfigError{path + ".OriginShield", "missing required field OriginShieldRegion (Origin Shield is enabled)"}
		}
	}
	return o, nil
}

func parseBehavior(rb rawBehavior, path string, isDefault bool) (Behavior, error) {
	var b Behavior
	if !isDefault {
		if rb.PathPattern == nil || *rb.PathPattern == "" {
			return b, &ConfigError{path, "missing required field PathPattern"}
		}
		b.PathPattern = *rb.PathPattern
	}
	if rb.TargetOriginID == nil || *rb.TargetOriginID == "" {
		return b, &ConfigError{path, "missing required field TargetOriginId"}
	}
	b.TargetOriginID = *rb.TargetOriginID
	if l := rb.LambdaFunctionAssociations; l != nil {
		for i, a := range l.Items {
			ap := fmt.Sprintf("%s.LambdaFunctionAssociations.Items[%d]", path, i)
			if a.EventType == nil {
				return b, &ConfigError{ap, "missing required field EventType"}
			}
			switch *a.EventType {
			case EventViewerRequest, EventViewerResponse, EventOriginRequest, EventOriginResponse:
			default:
				return b, &ConfigError{ap + ".EventType", fmt.Sprintf("%q: want viewer-request, viewer-response, origin-request or origin-response", *a.EventType)}
			}
			b.Lambda = append(b.Lambda, LambdaAssociation{EventType: *a.EventType, ARN: deref(a.LambdaFunctionARN)})
		}
	}
	if g := rb.GrpcConfig; g != nil && g.Enabled != nil {
		b.GRPC = *g.Enabled
	}
	return b, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// jsonError turns encoding/json's errors into a ConfigError with the
// position or the field path.
func jsonError(data []byte, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		line, col := position(data, se.Offset)
		return &ConfigError{"", fmt.Sprintf("line %d, column %d: JSON syntax: %v", line, col, se)}
	case errors.As(err, &te):
		path := te.Field
		if path == "" {
			return &ConfigError{"", fmt.Sprintf("want a JSON object, got %s", te.Value)}
		}
		return &ConfigError{path, fmt.Sprintf("want %s, got a JSON %s", jsonKind(te.Type.Kind().String()), te.Value)}
	}
	return &ConfigError{"", "JSON: " + err.Error()}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "int", "int64", "float64":
		return "a number"
	case "bool":
		return "true or false"
	case "string":
		return "a string"
	case "slice":
		return "a list"
	}
	return "an object"
}

func position(data []byte, offset int64) (line, col int) {
	line, col = 1, 1
	for i := int64(0); i < offset-1 && i < int64(len(data)); i++ {
		if data[i] == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}

// OriginIDs lists the origins' ids in the config's order.
func (d *Distribution) OriginIDs() []string {
	out := make([]string, len(d.Origins))
	for i, o := range d.Origins {
		out[i] = o.ID
	}
	return out
}

// Origin returns the origin to check, with the cache behaviours routed to
// it: the one named id, or the only one when id is "". Several origins and
// no id, or an unknown id, is an *OriginChoiceError; an S3 origin (origin
// mTLS needs a custom origin) is a *ConfigError.
func (d *Distribution) Origin(id string) (*Origin, error) {
	var found *Origin
	switch {
	case id == "" && len(d.Origins) == 1:
		found = &d.Origins[0]
	case id == "":
		return nil, &OriginChoiceError{IDs: d.OriginIDs()}
	default:
		for i := range d.Origins {
			if d.Origins[i].ID == id {
				found = &d.Origins[i]
			}
		}
		if found == nil {
			return nil, &OriginChoiceError{Want: id, IDs: d.OriginIDs()}
		}
	}
	if !found.Custom && !found.VPC {
		return nil, &ConfigError{"", fmt.Sprintf("origin %q is an S3 origin: origin mTLS is set on custom origins (CustomOriginConfig)", found.ID)}
	}
	o := *found
	o.Behaviors, o.DistributionID, o.DistributionDomain = nil, d.ID, d.DomainName
	for _, b := range d.Behaviors {
		if b.TargetOriginID == o.ID {
			o.Behaviors = append(o.Behaviors, b)
		}
	}
	return &o, nil
}

// URL is the origin as CloudFront reaches it over HTTPS:
// https://DomainName[:HTTPSPort]/ (CloudFront puts OriginPath before the
// path of every request).
func (o *Origin) URL() string {
	host := o.DomainName
	if o.HTTPSPort != 0 && o.HTTPSPort != 443 {
		host = fmt.Sprintf("%s:%d", host, o.HTTPSPort)
	}
	return "https://" + host + "/"
}

// HeaderNames are the custom headers' names (values are secrets).
func (o *Origin) HeaderNames() []string {
	out := make([]string, len(o.Headers))
	for i, h := range o.Headers {
		out[i] = h.Name
	}
	return out
}

// AllowedVersions are the TLS versions OriginSslProtocols allows, lowest
// first (none when the config does not list them).
func (o *Origin) AllowedVersions() []uint16 {
	var out []uint16
	for _, n := range o.SSLProtocols {
		if v, err := ParseOriginSSLProtocol(n); err == nil && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return out
}

// UnsupportedFeatures lists what this origin's distribution uses of
// UnsupportedWithOriginMTLS, as far as the config shows it: Lambda@Edge
// origin-request and origin-response triggers and gRPC on behaviours
// routed to the origin, and a VPC origin. WebSocket and embedded POPs do
// not appear in a distribution config (see NotInConfig).
func (o *Origin) UnsupportedFeatures() []string {
	var out []string
	if o.VPC {
		out = append(out, "VPC origin (VpcOriginConfig)")
	}
	for _, b := range o.Behaviors {
		for _, l := range b.Lambda {
			if l.EventType == EventOriginRequest || l.EventType == EventOriginResponse {
				out = append(out, fmt.Sprintf("Lambda@Edge %s trigger on behaviour %s", l.EventType, b.Name()))
			}
		}
		if b.GRPC {
			out = append(out, "gRPC (GrpcConfig) on behaviour "+b.Name())
		}
	}
	return out
}

// NotInConfig are the unsupported features a distribution config cannot
// show (WebSocket, embedded POPs): the owner confirms them.
func NotInConfig() []Feature {
	var out []Feature
	for _, f := range UnsupportedWithOriginMTLS {
		if f.ID == "websocket" || f.ID == "embedded-pop" {
			out = append(out, f)
		}
	}
	return out
}

// Summary describes the origin for summary.json and the report: settings
// and header names, never header values.
func (o *Origin) Summary() map[string]any {
	m := map[string]any{
		"origin_id": o.ID, "domain_name": o.DomainName, "origin_path": o.OriginPath, "https_port": o.HTTPSPort,
		"origin_protocol_policy": o.ProtocolPolicy, "origin_ssl_protocols": o.SSLProtocols,
		"origin_read_timeout": o.ReadTimeout.String(), "origin_keepalive_timeout": o.KeepaliveTimeout.String(),
		"connection_timeout": o.ConnectionTimeout.String(), "connection_attempts": o.ConnectionAttempts,
		"origin_mtls_certificate_arn": o.ClientCertificateARN, "origin_shield": o.OriginShield,
		"header_names": o.HeaderNames(), "vpc_origin": o.VPC,
		"distribution_id": o.DistributionID, "distribution_domain": o.DistributionDomain,
	}
	var names []string
	for _, b := range o.Behaviors {
		names = append(names, b.Name())
	}
	m["behaviors"] = names
	return m
}

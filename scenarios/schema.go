package scenarios

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/originproof/originproof/cloudfront"
)

// The scenario format. Struct tags are the one place defaults, allowed values
// and descriptions live: the decoder fills defaults from them, the JSON Schema
// is generated from them and `certify --dry-run` prints the result.
//
//	yaml:"name"      field name in the file
//	default:"…"      value when the field is absent
//	enum:"a,b"       allowed values
//	required:"true"  the field must be present
//	desc:"…"         documentation (JSON Schema description)

// Scenario is one go-live gate: the origin, the PKI, the policy expected of
// the origin, CloudFront-shaped load and the thresholds it must hold.
type Scenario struct {
	Name         string        `yaml:"name" desc:"a name for the scenario, shown in reports"`
	Target       Target        `yaml:"target" required:"true" desc:"the origin under test"`
	PKI          PKI           `yaml:"pki" desc:"where client identities come from"`
	Policy       Policy        `yaml:"policy" desc:"what the origin is expected to enforce"`
	Pooling      Pooling       `yaml:"pooling" desc:"CloudFront's connection pools towards the origin"`
	Load         Load          `yaml:"load" desc:"load phases, run in order after conformance"`
	Thresholds   []Threshold   `yaml:"thresholds" desc:"limits the load must stay within; a breach fails the gate"`
	CDN          string        `yaml:"cdn" default:"cloudfront" limit:"cdn" desc:"the CDN whose edges are modelled: pool defaults, request headers, client certificate rules (docs/cdns.md)"`
	Distribution *Distribution `yaml:"distribution" desc:"a CloudFront distribution config: its origin's settings fill pooling (fields not given), its custom headers are sent, and the distribution checks judge the pair"`
	Results      string        `yaml:"results" default:"full" enum:"full,gzip,none" desc:"what the load keeps of its raw results: full (results.json), gzip (results.json.gz) or none; summary, latency.hlog and series.json are always written, so reports, merge and thresholds work without them (kube render sets its --results, gzip by default)"`
}

// Distribution names a CloudFront distribution config and the origin in it.
type Distribution struct {
	Config   string `yaml:"config" required:"true" desc:"the JSON printed by 'aws cloudfront get-distribution-config' or 'get-distribution' (relative to the scenario file)"`
	OriginID string `yaml:"origin_id" desc:"the origin to check (required when the distribution has several)"`
	// origin is the resolved origin; its header values never reach YAML.
	origin *cloudfront.Origin
}

// Origin is the origin the config describes (nil before Parse resolved it).
func (d *Distribution) Origin() *cloudfront.Origin {
	if d == nil {
		return nil
	}
	return d.origin
}

// Target is the origin under test.
type Target struct {
	URL         string            `yaml:"url" required:"true" desc:"https URL of the origin as CloudFront reaches it"`
	ServerName  string            `yaml:"server_name" desc:"SNI and expected server certificate name (default: the URL's host)"`
	ConnectTo   string            `yaml:"connect_to" desc:"HOST:PORT to dial instead of the URL's host (staging IPs behind load balancers)"`
	Headers     map[string]string `yaml:"headers" desc:"origin custom headers CloudFront adds to every request"`
	Path        string            `yaml:"path" default:"/" desc:"path requested by every probe and load request (a distribution's OriginPath goes before it, as CloudFront puts it)"`
	ServerRoots string            `yaml:"server_roots" desc:"file of roots that verify the origin's server certificate, or 'system' (default: the PKI's server root)"`
	Server      *string           `yaml:"server" enum:"nginx,haproxy,apache,caddy" desc:"the origin's server program: the report shows its recipe's setting beside each failed check (default: guessed from the Server header)"`
}

// PKI says where client identities come from: exactly one of dir, generate,
// or ca_cert+ca_key.
type PKI struct {
	Dir      string `yaml:"dir" desc:"a directory written by 'originproof pki init' (relative to the scenario file)"`
	Generate bool   `yaml:"generate" desc:"generate a fresh test PKI for the run (for origins configured from it on the fly, e.g. reference origins)"`
	CACert   string `yaml:"ca_cert" desc:"your own test CA certificate: the catalogue is minted under it for the run"`
	CAKey    string `yaml:"ca_key" desc:"private key of ca_cert"`
}

// Policy is what the origin is expected to enforce.
type Policy struct {
	ExpectIdentityPin bool               `yaml:"expect_identity_pin" desc:"the origin pins the CloudFront identity: identity.wrong-identity and the identity.lookalike-* checks become must"`
	ExpectCRL         bool               `yaml:"expect_crl" desc:"the origin checks CRLs: revocation.revoked-leaf and revocation.revoked-intermediate become must"`
	SiblingSNI        string             `yaml:"sibling_sni" desc:"another name the origin's address serves: cross-host session resumption is probed from it and resumption.cross-host becomes must"`
	RotationPhase     string             `yaml:"rotation_phase" default:"overlap" enum:"overlap,post" desc:"overlap: both roots trusted; post: the current root retired"`
	FailOn            string             `yaml:"fail_on" default:"fail" enum:"fail,warn" desc:"warn: a failed should check fails the gate too"`
	LabelFilter       string             `yaml:"label_filter" desc:"Ginkgo label filter selecting check groups (default: all)"`
	Severity          []SeverityOverride `yaml:"severity" desc:"severity overrides per check id, each with a reason"`
	CloudFrontCert    *CloudFrontCert    `yaml:"cloudfront_cert" desc:"the real client certificate to be imported into ACM"`
}

// SeverityOverride changes one check's severity, with the reason recorded.
type SeverityOverride struct {
	Check    string `yaml:"check" required:"true" desc:"check id"`
	Severity string `yaml:"severity" required:"true" enum:"must,should,info" desc:"new severity"`
	Reason   string `yaml:"reason" required:"true" desc:"why (shown in the report)"`
}

// CloudFrontCert is the certificate CloudFront will present.
type CloudFrontCert struct {
	Cert  string `yaml:"cert" required:"true" desc:"certificate PEM"`
	Key   string `yaml:"key" required:"true" desc:"private key PEM"`
	Chain string `yaml:"chain" desc:"chain PEM (intermediates)"`
}

// Pooling is CloudFront's connection pooling towards the origin. A preset
// fills every field not given explicitly.
type Pooling struct {
	Preset          string    `yaml:"preset" default:"cloudfront-default" enum:"cloudfront-default,origin-shield,cloudfront-max-keepalive" limit:"preset" desc:"settings not given explicitly"`
	Pops            *int      `yaml:"pops" limit:"pops" desc:"edge locations, each with its own pool"`
	MaxConns        *int      `yaml:"max_conns" limit:"max_conns" desc:"connections per pop"`
	Keepalive       *Duration `yaml:"keepalive" limit:"keepalive" desc:"origin keep-alive (idle) timeout"`
	ConnectTimeout  *Duration `yaml:"connect_timeout" limit:"connect_timeout" desc:"connection timeout"`
	ConnectAttempts *int      `yaml:"connect_attempts" limit:"connect_attempts" desc:"connection attempts"`
	ReadTimeout     *Duration `yaml:"read_timeout" limit:"read_timeout" desc:"origin read timeout per gap between packets"`
	OriginShield    *bool     `yaml:"origin_shield" desc:"all traffic through one regional pool"`
	Resumption      *bool     `yaml:"resumption" desc:"TLS session resumption per pop"`
	Reuse           *bool     `yaml:"reuse" desc:"keep connections alive (false: a fresh connection and handshake per request)"`
}

// Load is the load part of the gate.
type Load struct {
	Identity string  `yaml:"identity" default:"chain.valid" desc:"client identity (check id of the PKI) or 'none'"`
	Phases   []Phase `yaml:"phases" desc:"phases run in order; none = conformance only"`
}

// Phase is one stretch of load with an arrival model.
type Phase struct {
	Name     string    `yaml:"name" desc:"phase name used by thresholds (default: the kind)"`
	Kind     string    `yaml:"kind" required:"true" enum:"warm-up,steady,ramp,steps,idle-gap-storm,rotation-drill" desc:"warm-up and steady: constant rate; ramp: from->to; steps: one rate per step; idle-gap-storm: an idle gap longer than the keep-alive (every pooled connection expires), then a burst at rate for duration (every pop re-handshakes at once); rotation-drill: pools switch to the next identity mid-phase"`
	Rate     float64   `yaml:"rate" desc:"requests per second (warm-up, steady, idle-gap-storm, rotation-drill)"`
	From     float64   `yaml:"from" desc:"ramp start rate"`
	To       float64   `yaml:"to" desc:"ramp end rate"`
	Rates    []float64 `yaml:"rates" desc:"steps: one rate per step"`
	Step     *Duration `yaml:"step" desc:"steps: duration of each step"`
	Gap      *Duration `yaml:"gap" desc:"idle-gap-storm: idle time before the burst (must exceed the keep-alive)"`
	Duration *Duration `yaml:"duration" desc:"phase length (steps: defaults to step x rates)"`
}

// Threshold is a set of limits for one phase or the whole run.
type Threshold struct {
	Phase           string    `yaml:"phase" desc:"phase name (default: the whole run)"`
	HandshakeP99    *Duration `yaml:"handshake_p99" desc:"TLS handshake p99 at most; does not hold when the phase opened no connection (pooled phases may not)"`
	RequestP99      *Duration `yaml:"request_p99" desc:"total request latency p99 (from intended send time) at most"`
	ErrorRate       *Ratio    `yaml:"error_rate" desc:"failed requests at most (0.001 or 0.1%)"`
	MinAchievedRate *Ratio    `yaml:"min_achieved_rate" desc:"achieved rate as a share of the asked rate at least (0.95 or 95%)"`
	MinReuseRatio   *Ratio    `yaml:"min_reuse_ratio" desc:"requests on reused connections at least (0.9 or 90%)"`
}

// Duration is a time.Duration written as "5s", "250ms", "2m".
type Duration struct{ time.Duration }

func (d Duration) String() string { return d.Duration.String() }

// MarshalYAML writes a Duration as a string (for --dry-run).
func (d Duration) MarshalYAML() (any, error) { return d.Duration.String(), nil }

// MarshalJSON writes a Duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) {
	return []byte(strconv.Quote(d.Duration.String())), nil
}

func parseDuration(s string) (Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return Duration{}, fmt.Errorf("%q is not a duration (write e.g. 500ms, 5s, 2m)", s)
	}
	if d <= 0 {
		return Duration{}, fmt.Errorf("%q: a duration must be positive", s)
	}
	return Duration{d}, nil
}

// Ratio is a share between 0 and 1, written 0.001 or "0.1%".
type Ratio float64

// MarshalYAML writes a Ratio as a number.
func (r Ratio) MarshalYAML() (any, error) { return float64(r), nil }

func parseRatio(s string) (Ratio, error) {
	v, pct := strings.CutSuffix(strings.TrimSpace(s), "%")
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a ratio (write e.g. 0.001 or 0.1%%)", s)
	}
	if pct {
		f /= 100
	}
	if !(f >= 0 && f <= 1) { // NaN too
		return 0, fmt.Errorf("%q is out of range (0 to 1, or 0%% to 100%%)", s)
	}
	return Ratio(f), nil
}

// Package cdn holds, as data, what originproof models of each CDN that can
// present a client certificate to an origin: its connection pool defaults
// (idle keep-alive, read and connect timeouts, attempts, connections), the
// request headers its edges add, the rules its client certificate follows,
// and whether it offers a certificate shared by all its customers. Every
// fact carries the address of the CDN's own documentation that states it;
// a value the documentation does not confirm is marked so (and the command
// line and docs/cdns.md say so) rather than presented as a fact. CloudFront's
// preset is built from package cloudfront. It depends on the standard
// library and package cloudfront only.
package cdn

import (
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/originproof/originproof/cloudfront"
)

// Duration is one of a CDN's pool settings measured in time: its default,
// the range a run may set, and where the default comes from.
type Duration struct {
	cloudfront.DurationRange
	// Allows introduces the range in messages ("CloudFront allows").
	Allows string
	// Source is the CDN documentation that states the default ("" when it
	// does not: Note then says what is assumed).
	Source string
}

// Check returns an error when d is outside the range.
func (r Duration) Check(d time.Duration) error {
	if d < r.Min || d > r.Max {
		return fmt.Errorf("%v: %s %s", d, r.Allows, r.Range())
	}
	return nil
}

// Confirmed says the CDN's documentation states the default.
func (r Duration) Confirmed() bool { return r.Source != "" }

// Count is one of a CDN's pool settings that is a number.
type Count struct {
	cloudfront.IntRange
	Allows, Source string
	// Note says what is assumed where Source is "".
	Note string
}

// Check returns an error when n is outside the range.
func (r Count) Check(n int) error {
	if n < r.Min || n > r.Max {
		return fmt.Errorf("%d: %s %s", n, r.Allows, r.Range())
	}
	return nil
}

// Pool is how a CDN keeps connections to an origin.
type Pool struct {
	// Keepalive is how long an idle connection to the origin stays open.
	Keepalive Duration
	// ReadTimeout bounds the wait for the origin's response.
	ReadTimeout Duration
	// ConnectTimeout bounds one connection attempt.
	ConnectTimeout Duration
	// ConnectAttempts is how many times a connection is tried.
	ConnectAttempts Count
	// MaxConns is the connections per edge (0: the pool model's default,
	// the CDN documents none).
	MaxConns Count
}

// Field is one request header.
type Field struct{ Name, Value string }

// Headers are the request headers a CDN's edge adds to every request to the
// origin.
type Headers struct {
	// NewEdgeID names an edge server (a pool); nil: edges have no id.
	NewEdgeID func() string
	// Fixed are the headers an edge sends on every request.
	Fixed func(edgeID string) []Field
	// RequestID, when set, is a header with a fresh id per request
	// (NewRequestID gets the edge's id).
	RequestID    string
	NewRequestID func(edgeID string) string
	// IsGenerated, when set, decides which header names the CDN sets
	// itself (else: the fixed and request-id headers).
	IsGenerated func(name string) bool
	// Source is the documentation that lists the headers ("" when none
	// was confirmed: the preset then sends none).
	Source string
	// Note says what is assumed where Source is "".
	Note string
}

// names are the header names the CDN sets itself, canonical.
func (h Headers) names() []string {
	var out []string
	if h.Fixed != nil {
		for _, f := range h.Fixed("") {
			out = append(out, http.CanonicalHeaderKey(f.Name))
		}
	}
	if h.RequestID != "" {
		out = append(out, http.CanonicalHeaderKey(h.RequestID))
	}
	return out
}

// CertRules are the rules a CDN's client certificate for the origin
// follows, as far as the CDN documents them.
type CertRules struct {
	// Problems checks a certificate (with its chain and, when known, its
	// key) against the documented rules; nil when the CDN documents none.
	Problems func(leaf *x509.Certificate, chain []*x509.Certificate, key crypto.PrivateKey) []string
	// Rules says what is checked, in words.
	Rules string
	// Unconfirmed says what the CDN's documentation does not state.
	Unconfirmed string
	Source      string
}

// SharedCertificate is a client certificate a CDN presents for every
// customer that turns it on: an origin that trusts it lets every account of
// that CDN in.
type SharedCertificate struct {
	// Name is what the CDN calls it.
	Name string
	// Issuer is the distinguished name of the CA that signs it, as an
	// origin's CertificateRequest lists it.
	Issuer pkix.Name
	// Fix says what to do instead.
	Fix    string
	Source string
}

// Matches reports whether a distinguished name (from an origin's list of
// acceptable CAs) is the shared certificate's issuer.
func (s *SharedCertificate) Matches(n pkix.Name) bool {
	return n.CommonName == s.Issuer.CommonName && strings.Join(n.Organization, ",") == strings.Join(s.Issuer.Organization, ",") &&
		strings.Join(n.OrganizationalUnit, ",") == strings.Join(s.Issuer.OrganizationalUnit, ",")
}

// Preset is everything originproof models of one CDN's origin mTLS.
type Preset struct {
	// Name is the --cdn and scenario cdn: value.
	Name string
	// Title is the CDN's name; Feature its name for origin mTLS.
	Title, Feature string
	// Source documents the feature.
	Source      string
	Pool        Pool
	Headers     Headers
	Certificate CertRules
	// Shared is the CDN's shared client certificate (nil: it has none).
	Shared *SharedCertificate
}

// IsGenerated reports whether the CDN sets a header itself (any case), so
// that it cannot be an origin custom header.
func (p *Preset) IsGenerated(name string) bool {
	if p.Headers.IsGenerated != nil {
		return p.Headers.IsGenerated(name)
	}
	c := http.CanonicalHeaderKey(name)
	if c == "Host" || c == "Connection" || c == "Content-Length" || c == "Transfer-Encoding" {
		return true
	}
	for _, n := range p.Headers.names() {
		if n == c {
			return true
		}
	}
	return false
}

// Unconfirmed lists, in words, every value of the preset its CDN's
// documentation does not confirm (for --help and docs).
func (p *Preset) Unconfirmed() []string {
	var out []string
	for _, d := range []Duration{p.Pool.Keepalive, p.Pool.ReadTimeout, p.Pool.ConnectTimeout} {
		if !d.Confirmed() {
			out = append(out, fmt.Sprintf("%s %v", d.Name, d.Default))
		}
	}
	for _, c := range []Count{p.Pool.ConnectAttempts, p.Pool.MaxConns} {
		if c.Source == "" && c.Default != 0 {
			out = append(out, fmt.Sprintf("%s %d", c.Name, c.Default))
		}
	}
	if p.Headers.Source == "" {
		out = append(out, "request headers")
	}
	if p.Certificate.Unconfirmed != "" {
		out = append(out, "certificate rules")
	}
	return out
}

// Edge is one edge server's view of the headers: the fixed ones built once
// (read-only slices shared by every request) and the per-request id.
type Edge struct {
	ID    string
	fixed http.Header
	reqID string
	newID func(string) string
}

// NewEdge returns an edge of the CDN with a fresh id.
func (p *Preset) NewEdge() *Edge {
	e := &Edge{fixed: http.Header{}, reqID: http.CanonicalHeaderKey(p.Headers.RequestID), newID: p.Headers.NewRequestID}
	if p.Headers.NewEdgeID != nil {
		e.ID = p.Headers.NewEdgeID()
	}
	if p.Headers.Fixed != nil {
		for _, f := range p.Headers.Fixed(e.ID) {
			e.fixed[http.CanonicalHeaderKey(f.Name)] = []string{f.Value}
		}
	}
	return e
}

// Apply sets the CDN's headers on h, sharing the fixed values' slices (the
// transport only reads them), and returns the request id it set ("" when
// the CDN sends none).
func (e *Edge) Apply(h http.Header) string {
	for k, v := range e.fixed {
		h[k] = v
	}
	if e.reqID == "" || e.newID == nil {
		return ""
	}
	id := e.newID(e.ID)
	h[e.reqID] = []string{id}
	return id
}

// Fields are the headers for one request, sorted by name (for probes that
// write the request themselves).
func (e *Edge) Fields() []Field {
	h := http.Header{}
	e.Apply(h)
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]Field, 0, len(keys))
	for _, k := range keys {
		out = append(out, Field{k, h[k][0]})
	}
	return out
}

// presets are the CDNs originproof models, by name.
var presets = map[string]*Preset{}

func register(p *Preset) *Preset {
	presets[p.Name] = p
	return p
}

// Names lists the presets' names, cloudfront first, then the rest sorted.
func Names() []string {
	out := []string{CloudFront.Name}
	for n := range presets {
		if n != CloudFront.Name {
			out = append(out, n)
		}
	}
	sort.Strings(out[1:])
	return out
}

// Lookup returns the preset with name. A CDN that documents no origin
// client certificate, or an unknown name, is an error saying so.
func Lookup(name string) (*Preset, error) {
	if p, ok := presets[name]; ok {
		return p, nil
	}
	if why, ok := NoOriginCertificate[name]; ok {
		return nil, fmt.Errorf("%q: %s", name, why)
	}
	return nil, fmt.Errorf("%q is not a CDN originproof models (%s)", name, strings.Join(Names(), ", "))
}

// Or returns p, or CloudFront when p is nil.
func Or(p *Preset) *Preset {
	if p == nil {
		return CloudFront
	}
	return p
}

// Shared lists the presets whose CDN shares a client certificate across
// its customers, in Names order.
func Shared() []*Preset {
	var out []*Preset
	for _, n := range Names() {
		if p := presets[n]; p.Shared != nil {
			out = append(out, p)
		}
	}
	return out
}

// Settings are the pool settings a run uses where the user sets none.
type Settings struct {
	Keepalive, ReadTimeout, ConnectTimeout time.Duration
	ConnectAttempts                        int
	// MaxConns is 0 when the CDN documents none (the pool model's default).
	MaxConns     int
	OriginShield bool
}

// Defaults are the preset's pool defaults, with a CloudFront distribution
// origin's own settings over them when o is not nil (o belongs with the
// CloudFront preset; the caller checks that).
func (p *Preset) Defaults(o *cloudfront.Origin) Settings {
	s := Settings{Keepalive: p.Pool.Keepalive.Default, ReadTimeout: p.Pool.ReadTimeout.Default, ConnectTimeout: p.Pool.ConnectTimeout.Default,
		ConnectAttempts: p.Pool.ConnectAttempts.Default, MaxConns: p.Pool.MaxConns.Default}
	if o != nil {
		s.Keepalive, s.ReadTimeout, s.ConnectTimeout = o.KeepaliveTimeout, o.ReadTimeout, o.ConnectionTimeout
		s.ConnectAttempts, s.OriginShield = o.ConnectionAttempts, o.OriginShield
	}
	return s
}

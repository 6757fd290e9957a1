package scenarios

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/originproof/originproof/cdn"
	"github.com/originproof/originproof/cloudfront"
	"github.com/originproof/originproof/fixtures"
)

// Options tune parsing.
type Options struct {
	// KnownChecks, when set, are the check ids severity overrides may name.
	KnownChecks []string
	// Edit, when set, changes the decoded scenario before defaults are
	// filled in and it is validated (e.g. to point an example at an origin).
	Edit func(*Scenario)
}

// Limits of the format that keep every run finite (CloudFront's ranges and
// the pool model's are in limits.go).
const (
	maxPhaseDuration = 2 * time.Hour
	maxRate          = 100000
)

// LoadFile reads and parses a scenario file.
func LoadFile(path string, opts Options) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(data, path, opts)
}

// Parse decodes a scenario strictly (unknown fields are errors), fills every
// default, resolves the pooling preset and relative paths (against the
// file's directory), and validates it. Errors are Errors: file:line:col:
// path: what is wrong and what is allowed.
func Parse(data []byte, file string, opts Options) (*Scenario, error) {
	s, d, err := decodeYAML(data, file)
	if err != nil {
		return nil, err
	}
	if opts.Edit != nil {
		opts.Edit(s)
	}
	applyDefaults(reflectValue(s))
	v := &validator{d: d, opts: opts}
	v.resolve(s, filepath.Dir(file))
	if len(d.errs) > 0 {
		sortErrors(d.errs)
		return nil, d.errs
	}
	return s, nil
}

type validator struct {
	d    *decoder
	opts Options
}

// errorf reports a problem at the node of path (or the closest parent known).
func (v *validator) errorf(path, format string, a ...any) {
	p := path
	for {
		if n, ok := v.d.pos[p]; ok {
			v.d.errorf(n, path, format, a...)
			return
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	v.d.errorf(v.d.pos[""], path, format, a...)
}

func (v *validator) resolve(s *Scenario, base string) {
	c, err := cdn.Lookup(s.CDN)
	if err != nil {
		v.errorf("cdn", "%v", err)
		c = cdn.CloudFront
	}
	v.target(&s.Target, c)
	v.pki(&s.PKI, base)
	v.policy(&s.Policy, base)
	v.distribution(s.Distribution, c, base)
	v.pooling(&s.Pooling, c, s.Distribution.Origin())
	v.load(&s.Load, s.Pooling)
	v.thresholds(s.Thresholds, s.Load.Phases)
}

func (v *validator) target(t *Target, c *cdn.Preset) {
	u, err := url.Parse(t.URL)
	switch {
	case err != nil:
		v.errorf("target.url", "%q is not a URL: %v", t.URL, err)
		return
	case u.Scheme != "https":
		v.errorf("target.url", "%q: the origin must be an https:// URL (origin mTLS needs TLS)", t.URL)
		return
	case u.Hostname() == "":
		v.errorf("target.url", "%q has no host", t.URL)
		return
	}
	if t.ServerName == "" {
		t.ServerName = u.Hostname()
	}
	if t.ConnectTo != "" {
		if _, port, err := net.SplitHostPort(t.ConnectTo); err != nil || port == "" {
			v.errorf("target.connect_to", "%q: want HOST:PORT", t.ConnectTo)
		}
	}
	if !strings.HasPrefix(t.Path, "/") {
		v.errorf("target.path", "%q must start with /", t.Path)
	}
	for k := range t.Headers {
		if !validHeaderName(k) {
			v.errorf("target.headers."+k, "%q is not a valid HTTP header name", k)
		} else if http.CanonicalHeaderKey(k) == "Host" {
			v.errorf("target.headers."+k, "Host is set from the URL; use server_name or connect_to")
		} else if c.IsGenerated(k) {
			v.errorf("target.headers."+k, "%s is set on every request as %s sets it; it cannot be an origin custom header", http.CanonicalHeaderKey(k), c.Title)
		}
	}
}

func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r >= 0x7f || strings.ContainsRune(`()<>@,;:\"/[]?={}`, r) {
			return false
		}
	}
	return true
}

func (v *validator) pki(p *PKI, base string) {
	n := 0
	if p.Dir != "" {
		n++
		p.Dir = relTo(base, p.Dir)
	}
	if p.Generate {
		n++
	}
	if p.CACert != "" || p.CAKey != "" {
		n++
		if p.CACert == "" || p.CAKey == "" {
			v.errorf("pki", "ca_cert and ca_key go together")
			return
		}
		p.CACert, p.CAKey = relTo(base, p.CACert), relTo(base, p.CAKey)
	}
	switch n {
	case 0:
		v.errorf("pki", "give one of dir (a 'pki init' directory), generate: true, or ca_cert and ca_key")
	case 1:
	default:
		v.errorf("pki", "give only one of dir, generate, or ca_cert and ca_key")
	}
}

func (v *validator) policy(p *Policy, base string) {
	seen := map[string]bool{}
	for i, o := range p.Severity {
		path := fmt.Sprintf("policy.severity[%d].check", i)
		if v.opts.KnownChecks != nil && !contains(v.opts.KnownChecks, o.Check) {
			v.errorf(path, "%q is not a check id (see the catalogue in the README)", o.Check)
		}
		if seen[o.Check] {
			v.errorf(path, "%q is overridden twice", o.Check)
		}
		seen[o.Check] = true
	}
	if c := p.CloudFrontCert; c != nil {
		c.Cert, c.Key = relTo(base, c.Cert), relTo(base, c.Key)
		if c.Chain != "" {
			c.Chain = relTo(base, c.Chain)
		}
	}
}

func relTo(base, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(base, p)
}

// distribution reads the distribution config and picks its origin.
func (v *validator) distribution(d *Distribution, c *cdn.Preset, base string) {
	if d == nil {
		return
	}
	if d.Config == "" {
		v.errorf("distribution.config", "missing: the file with the distribution config")
		return
	}
	d.Config = relTo(base, d.Config)
	if c != cdn.CloudFront {
		v.errorf("cdn", "%q: a CloudFront distribution config goes with cdn: cloudfront", c.Name)
		return
	}
	data, err := os.ReadFile(d.Config)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		v.errorf("distribution.config", "%s: %v", d.Config, err)
		return
	}
	dist, err := cloudfront.ParseDistributionConfig(data)
	if err != nil {
		v.errorf("distribution.config", "%s: %v", d.Config, err)
		return
	}
	o, err := dist.Origin(d.OriginID)
	var ce *cloudfront.OriginChoiceError
	switch {
	case errors.As(err, &ce):
		v.errorf("distribution.origin_id", "%v", err)
	case err != nil:
		v.errorf("distribution.config", "%s: %v", d.Config, err)
	}
	d.origin = o
}

// pooling fills every pooling field not given: from the distribution's
// origin settings when there is one, else from the CDN's defaults (for
// CloudFront, the pooling preset's), and checks the ranges of the CDN.
func (v *validator) pooling(p *Pooling, c *cdn.Preset, o *cloudfront.Origin) {
	pre := presets[p.Preset]
	if _, explicit := v.d.pos["pooling.preset"]; explicit && c != cdn.CloudFront {
		v.errorf("pooling.preset", "%q is a CloudFront preset: with cdn: %s the defaults are %s's (leave preset out)", p.Preset, c.Name, c.Title)
	}
	if c != cdn.CloudFront || o != nil {
		d := c.Defaults(o)
		pre.keepalive, pre.read, pre.connect, pre.attempts = d.Keepalive, d.ReadTimeout, d.ConnectTimeout, d.ConnectAttempts
		if d.MaxConns > 0 {
			pre.maxConns = d.MaxConns
		}
		if d.OriginShield {
			pre.originShield, pre.pops = true, 1
		}
	}
	explicitPops := p.Pops != nil
	setInt(&p.Pops, pre.pops)
	setInt(&p.MaxConns, pre.maxConns)
	setInt(&p.ConnectAttempts, pre.attempts)
	setDur(&p.Keepalive, pre.keepalive)
	setDur(&p.ConnectTimeout, pre.connect)
	setDur(&p.ReadTimeout, pre.read)
	setBool(&p.OriginShield, pre.originShield)
	setBool(&p.Resumption, pre.resumption)
	setBool(&p.Reuse, pre.reuse)
	if *p.OriginShield && explicitPops && *p.Pops != 1 {
		v.errorf("pooling.pops", "origin shield funnels every edge through one regional pool: pops cannot be %d with origin_shield", *p.Pops)
	}
	if *p.OriginShield {
		*p.Pops = 1
	}
	rangeInt := func(name string, x, lo, hi int) {
		if x < lo || x > hi {
			v.errorf("pooling."+name, "%d is out of range (%d-%d)", x, lo, hi)
		}
	}
	rangeDur := func(name string, x time.Duration, r cdn.Duration) {
		if r.Check(x) != nil {
			v.errorf("pooling."+name, "%v is out of range (%s)", x, r.Range())
		}
	}
	rangeInt("pops", *p.Pops, limits["pops"].ints[0], limits["pops"].ints[1])
	rangeInt("max_conns", *p.MaxConns, limits["max_conns"].ints[0], limits["max_conns"].ints[1])
	rangeInt("connect_attempts", *p.ConnectAttempts, c.Pool.ConnectAttempts.Min, c.Pool.ConnectAttempts.Max)
	rangeDur("keepalive", p.Keepalive.Duration, c.Pool.Keepalive)
	rangeDur("connect_timeout", p.ConnectTimeout.Duration, c.Pool.ConnectTimeout)
	rangeDur("read_timeout", p.ReadTimeout.Duration, c.Pool.ReadTimeout)
}

func setInt(p **int, v int) {
	if *p == nil {
		*p = &v
	}
}

func setDur(p **Duration, v time.Duration) {
	if *p == nil {
		*p = &Duration{v}
	}
}

func setBool(p **bool, v bool) {
	if *p == nil {
		*p = &v
	}
}

func (v *validator) load(l *Load, pool Pooling) {
	if l.Identity != "none" && !contains(fixtures.Catalogue(), l.Identity) {
		v.errorf("load.identity", "%q is not a client identity of the PKI (use chain.valid, another check id with an identity, or none)", l.Identity)
	}
	names := map[string]bool{}
	for i := range l.Phases {
		ph := &l.Phases[i]
		path := fmt.Sprintf("load.phases[%d]", i)
		if ph.Name == "" {
			ph.Name = ph.Kind
		}
		if names[ph.Name] {
			v.errorf(path+".name", "phase name %q is used twice; give each phase a distinct name", ph.Name)
		}
		names[ph.Name] = true
		only := func(field string, set bool) {
			if kinds := phaseFieldKinds[field]; set && !contains(kinds, ph.Kind) {
				v.errorf(path+"."+field, "%s is for %s phases, not %s", field, strings.Join(kinds, "/"), ph.Kind)
			}
		}
		only("rate", ph.Rate != 0)
		only("from", ph.From != 0)
		only("to", ph.To != 0)
		only("rates", ph.Rates != nil)
		only("step", ph.Step != nil)
		only("gap", ph.Gap != nil)
		rate := func(field string, r float64) {
			if !(r > 0 && r <= maxRate) { // NaN too
				v.errorf(path+"."+field, "rate %v is out of range (more than 0, at most %d per second)", r, maxRate)
			}
		}
		switch ph.Kind {
		case "warm-up", "steady", "idle-gap-storm", "rotation-drill":
			rate("rate", ph.Rate)
		case "ramp":
			if !(ph.From >= 0 && ph.From <= maxRate) { // NaN too
				v.errorf(path+".from", "rate %v is out of range (0 to %d per second)", ph.From, maxRate)
			}
			rate("to", ph.To)
		case "steps":
			if len(ph.Rates) == 0 {
				v.errorf(path+".rates", "a steps phase needs rates: [r1, r2, ...]")
			}
			for j, r := range ph.Rates {
				rate(fmt.Sprintf("rates[%d]", j), r)
			}
			switch {
			case ph.Step == nil:
				v.errorf(path+".step", "a steps phase needs step: the duration of each step")
			case len(ph.Rates) > 0 && ph.Step.Duration > maxPhaseDuration/time.Duration(len(ph.Rates)):
				// Checked before multiplying: the product could overflow.
				v.errorf(path+".step", "%v × %d rates is longer than the %v a phase may run", ph.Step.Duration, len(ph.Rates), maxPhaseDuration)
			case ph.Duration == nil:
				ph.Duration = &Duration{ph.Step.Duration * time.Duration(len(ph.Rates))}
			}
		}
		if ph.Kind == "idle-gap-storm" {
			switch {
			case ph.Gap == nil:
				v.errorf(path+".gap", "an idle-gap-storm phase needs gap: an idle time longer than the keep-alive (%v)", pool.Keepalive.Duration)
			case ph.Gap.Duration <= pool.Keepalive.Duration:
				v.errorf(path+".gap", "%v does not exceed the keep-alive %v: connections would survive and nothing re-handshakes", ph.Gap.Duration, pool.Keepalive.Duration)
			}
		}
		if ph.Duration == nil {
			if ph.Kind != "steps" {
				v.errorf(path+".duration", "missing duration (every phase is bounded)")
			}
		} else if ph.Duration.Duration > maxPhaseDuration {
			v.errorf(path+".duration", "%v is longer than the %v a phase may run", ph.Duration.Duration, maxPhaseDuration)
		}
	}
}

func (v *validator) thresholds(ts []Threshold, phases []Phase) {
	for i, t := range ts {
		path := fmt.Sprintf("thresholds[%d]", i)
		if t.Phase != "" {
			found := false
			var names []string
			for _, p := range phases {
				names = append(names, p.Name)
				found = found || p.Name == t.Phase
			}
			if !found {
				v.errorf(path+".phase", "no phase is named %q (phases: %s)", t.Phase, strings.Join(names, ", "))
			}
		}
		if t.HandshakeP99 == nil && t.RequestP99 == nil && t.ErrorRate == nil && t.MinAchievedRate == nil && t.MinReuseRatio == nil {
			v.errorf(path, "a threshold needs at least one limit (handshake_p99, request_p99, error_rate, min_achieved_rate, min_reuse_ratio)")
		}
	}
}

// TotalLoadDuration is the sum of the phases' durations.
func (s *Scenario) TotalLoadDuration() time.Duration {
	var d time.Duration
	for _, p := range s.Load.Phases {
		if p.Duration != nil {
			d += p.Duration.Duration
		}
	}
	return d
}

// phaseFieldKinds are the phase kinds each kind-specific field is for.
var phaseFieldKinds = map[string][]string{
	"rate":  {"warm-up", "steady", "idle-gap-storm", "rotation-drill"},
	"from":  {"ramp"},
	"to":    {"ramp"},
	"rates": {"steps"},
	"step":  {"steps"},
	"gap":   {"idle-gap-storm"},
}

// YAML renders the resolved scenario, every default filled in (--dry-run).
// Optional settings left unset and phase fields of other kinds are left
// out rather than shown as null or 0.
func (s *Scenario) YAML() ([]byte, error) {
	var n yaml.Node
	if err := n.Encode(s); err != nil {
		return nil, err
	}
	pruneNulls(&n)
	if load := mappingValue(&n, "load"); load != nil {
		if phases := mappingValue(load, "phases"); phases != nil {
			for _, ph := range phases.Content {
				kind := mappingValue(ph, "kind")
				if kind == nil {
					continue
				}
				ph.Content = dropPairs(ph.Content, func(key string) bool {
					kinds, specific := phaseFieldKinds[key]
					return specific && !contains(kinds, kind.Value)
				})
			}
		}
	}
	return yaml.Marshal(&n)
}

// pruneNulls drops every mapping entry whose value is null.
func pruneNulls(n *yaml.Node) {
	if n.Kind == yaml.MappingNode {
		var kept []*yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if v := n.Content[i+1]; v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
				continue
			}
			kept = append(kept, n.Content[i], n.Content[i+1])
		}
		n.Content = kept
	}
	for _, c := range n.Content {
		pruneNulls(c)
	}
}

// mappingValue is the value under key in mapping n (or the document's
// mapping), nil when absent.
func mappingValue(n *yaml.Node, key string) *yaml.Node {
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func dropPairs(content []*yaml.Node, drop func(key string) bool) []*yaml.Node {
	var kept []*yaml.Node
	for i := 0; i+1 < len(content); i += 2 {
		if !drop(content[i].Value) {
			kept = append(kept, content[i], content[i+1])
		}
	}
	return kept
}

func reflectValue(s *Scenario) reflect.Value { return reflect.ValueOf(s).Elem() }

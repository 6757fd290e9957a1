package loadgen

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/originproof/originproof/cdn"
	"github.com/originproof/originproof/cloudfront"
)

// The pool model's own defaults and bounds. CloudFront's origin settings
// (keep-alive, timeouts, attempts) come from package cloudfront.
const (
	DefaultPops     = 4
	MaxPops         = 1024
	DefaultMaxConns = 64
	MaxConnsPerPop  = 100000
	DefaultRate     = 50
	DefaultDuration = 30 * time.Second

	// PopRule says how requests are spread over pops.
	PopRule = "round-robin by sequence: request n goes to pop n mod pops"

	// RedactedValue stands for a custom header's value in run.json and
	// summary.json.
	RedactedValue = cloudfront.Redacted
)

// Identity is a client certificate the pools present, named by its
// catalogue check id. A nil Certificate presents none ("none").
type Identity struct {
	Name        string
	Certificate *tls.Certificate
}

// NoIdentity presents no client certificate (a TLS-only endpoint).
var NoIdentity = Identity{Name: "none"}

// OptionError is an option with an unusable value; Option is the name the
// command line uses for it (e.g. "keepalive").
type OptionError struct {
	Option string
	Reason string
}

func (e *OptionError) Error() string { return "loadgen: " + e.Option + ": " + e.Reason }

func optErr(opt, format string, a ...any) error {
	return &OptionError{Option: opt, Reason: fmt.Sprintf(format, a...)}
}

// Option configures a run. Options only record values: validation and the
// transports come after every option is applied, so their order never
// matters.
type Option func(*options)

type options struct {
	target          string
	serverName      string
	connectTo       string
	path            string
	method          string
	headers         http.Header
	cdn             *cdn.Preset
	roots           *x509.CertPool
	rootsName       string
	identity        Identity
	rotateTo        *Identity
	rotateFrom      time.Duration
	rotateUntil     time.Duration
	reuse           bool
	resumption      bool
	maxVersion      uint16
	pops            int
	popsSet         bool
	originShield    bool
	maxConns        int
	keepAlive       time.Duration
	connectTimeout  time.Duration
	connectAttempts int
	readTimeout     time.Duration
	schedule        *Schedule
	phases          []PhaseWindow
	phasesSet       bool
	maxWorkers      uint64
	workers         uint64
	shardIndex      int
	shardCount      int
	keepBodies      bool
	results         io.Writer
	hlog            io.Writer
	series          io.Writer
	progress        func(Progress)
	interval        time.Duration
	stopGrace       time.Duration
	lagLimit        time.Duration
}

func defaults() options {
	return options{
		path:            "",
		method:          http.MethodGet,
		headers:         http.Header{},
		identity:        NoIdentity,
		reuse:           true,
		resumption:      true,
		pops:            DefaultPops,
		maxConns:        DefaultMaxConns,
		keepAlive:       cloudfront.KeepaliveTimeout.Default,
		connectTimeout:  cloudfront.ConnectionTimeout.Default,
		connectAttempts: cloudfront.ConnectionAttempts.Default,
		readTimeout:     cloudfront.ReadTimeout.Default,
		workers:         10,
		shardCount:      1,
		interval:        time.Second,
		stopGrace:       2 * time.Second,
		lagLimit:        50 * time.Millisecond,
	}
}

// Target is the origin URL (https only). Its host is the Host header and,
// unless ServerName says otherwise, the SNI; its path is used unless Path
// is given.
func Target(rawURL string) Option { return func(o *options) { o.target = rawURL } }

// ServerName sets the SNI and the name the server certificate must match.
func ServerName(name string) Option { return func(o *options) { o.serverName = name } }

// ConnectTo dials host:port instead of the target's address.
func ConnectTo(hostport string) Option { return func(o *options) { o.connectTo = hostport } }

// Path replaces the target URL's path (and query).
func Path(p string) Option { return func(o *options) { o.path = p } }

// Method sets the request method (GET by default; only GET and HEAD are
// retried on connect failures, as CloudFront does).
func Method(m string) Option { return func(o *options) { o.method = m } }

// Header adds an origin custom header CloudFront would send.
func Header(key, value string) Option {
	return func(o *options) { o.headers.Add(key, value) }
}

// CDN makes the pools behave as that CDN's edges: its request headers and
// the ranges its pool settings are checked against (CloudFront by default;
// the other defaults stay the caller's to set from its Pool).
func CDN(p *cdn.Preset) Option { return func(o *options) { o.cdn = p } }

// RootCAs sets the roots that verify the origin's server certificate
// (nil: the system roots); name describes them in run.json.
func RootCAs(pool *x509.CertPool, name string) Option {
	return func(o *options) { o.roots, o.rootsName = pool, name }
}

// ClientIdentity sets the client certificate every pool presents.
func ClientIdentity(id Identity) Option { return func(o *options) { o.identity = id } }

// RotateTo makes the pools switch to next during the run, one pop after
// another between from and until (from the start): pop i switches at
// from + i·(until−from)/(pops−1). A switching pop drops its idle
// connections and its TLS sessions, so its next connections handshake with
// the new certificate, as an edge that picked up a re-imported one.
func RotateTo(next Identity, from, until time.Duration) Option {
	return func(o *options) { o.rotateTo, o.rotateFrom, o.rotateUntil = &next, from, until }
}

// Reuse keeps connections alive between requests (on by default); off
// makes every request a fresh connection and handshake.
func Reuse(on bool) Option { return func(o *options) { o.reuse = on } }

// Resumption keeps a TLS session cache per pop (on by default).
func Resumption(on bool) Option { return func(o *options) { o.resumption = on } }

// MaxTLSVersion caps the TLS version offered (tls.VersionTLS13 by default;
// tls.VersionTLS12 is what an origin sees from a distribution whose origin
// protocols stop at TLSv1.2).
func MaxTLSVersion(v uint16) Option { return func(o *options) { o.maxVersion = v } }

// Pops sets the number of edge locations, each with its own pool.
func Pops(n int) Option { return func(o *options) { o.pops, o.popsSet = n, true } }

// OriginShield funnels all traffic through one regional pool.
func OriginShield(on bool) Option { return func(o *options) { o.originShield = on } }

// MaxConns caps each pop's connections to the origin.
func MaxConns(n int) Option { return func(o *options) { o.maxConns = n } }

// KeepAlive is the client-side idle keep-alive of pooled connections.
func KeepAlive(d time.Duration) Option { return func(o *options) { o.keepAlive = d } }

// ConnectTimeout bounds one connection attempt (TCP connect and TLS handshake).
func ConnectTimeout(d time.Duration) Option { return func(o *options) { o.connectTimeout = d } }

// ConnectAttempts is how many times a connection is tried (GET and HEAD only).
func ConnectAttempts(n int) Option { return func(o *options) { o.connectAttempts = n } }

// ReadTimeout bounds the wait for the response (CloudFront's origin read timeout).
func ReadTimeout(d time.Duration) Option { return func(o *options) { o.readTimeout = d } }

// Arrival sets the arrival schedule.
func Arrival(s Schedule) Option { return func(o *options) { o.schedule = &s } }

// Rate is Arrival(Constant(rate, d)).
func Rate(rate float64, d time.Duration) Option { return Arrival(Constant(rate, d)) }

// Phases names stretches of the schedule whose statistics the run keeps
// apart (summary.json load.phases): a scenario's phases. Without it a
// schedule of several segments has one phase per segment (SegmentPhases);
// Phases() with no window turns that off.
func Phases(ws ...PhaseWindow) Option {
	return func(o *options) { o.phases, o.phasesSet = append([]PhaseWindow(nil), ws...), true }
}

// MaxWorkers caps Vegeta's workers (0, the default, leaves them unbounded:
// a capped generator falls behind its schedule, which the run reports).
func MaxWorkers(n uint64) Option { return func(o *options) { o.maxWorkers = n } }

// Shard makes this run shard i (1-based) of n: it sends every n-th request
// of the schedule (1/n of every phase's rate), interleaved with the other
// shards' so that together they follow the schedule.
func Shard(i, n int) Option { return func(o *options) { o.shardIndex, o.shardCount = i, n } }

// KeepBodies keeps response bodies and headers in results.json (off by
// default: their fields are null, which Vegeta's tools accept).
func KeepBodies(on bool) Option { return func(o *options) { o.keepBodies = on } }

// Results streams results.json (one JSON line per request) to w.
func Results(w io.Writer) Option { return func(o *options) { o.results = w } }

// HistogramLog streams the interval histograms (latency.hlog) to w.
func HistogramLog(w io.Writer) Option { return func(o *options) { o.hlog = w } }

// SeriesOut writes the run's bounded per-interval series (series.json: see
// SeriesBuilder) to w when the run ends: a constant amount per second of
// run, whatever the request rate, so reports work without results.json.
func SeriesOut(w io.Writer) Option { return func(o *options) { o.series = w } }

// OnProgress calls f every interval with the run's progress, from the
// goroutine that owns the histograms (f must not block).
func OnProgress(f func(Progress)) Option { return func(o *options) { o.progress = f } }

// Interval sets the histogram log's (and progress') interval (1 s by default).
func Interval(d time.Duration) Option { return func(o *options) { o.interval = d } }

// StopGrace is how long requests in flight may finish after the run is
// cancelled before their connections are closed (2 s by default).
func StopGrace(d time.Duration) Option { return func(o *options) { o.stopGrace = d } }

// LagLimit is how far behind its schedule the generator may fall (p99)
// before the run is marked generator_limited (50 ms by default).
func LagLimit(d time.Duration) Option { return func(o *options) { o.lagLimit = d } }

// Config is a run's resolved configuration, as run.json and summary.json
// record it.
type Config struct {
	Target          string              `json:"target"`
	URL             string              `json:"url"`
	ServerName      string              `json:"server_name"`
	ConnectTo       string              `json:"connect_to,omitempty"`
	Method          string              `json:"method"`
	Headers         map[string][]string `json:"headers,omitempty"`
	CDN             string              `json:"cdn,omitempty"`
	ServerRoots     string              `json:"server_roots"`
	Identity        string              `json:"identity"`
	RotateTo        string              `json:"rotate_to,omitempty"`
	RotateFrom      Duration            `json:"rotate_from,omitempty"`
	RotateUntil     Duration            `json:"rotate_until,omitempty"`
	Reuse           bool                `json:"reuse"`
	Resumption      bool                `json:"resumption"`
	Pops            int                 `json:"pops"`
	OriginShield    bool                `json:"origin_shield"`
	PopRule         string              `json:"pop_rule"`
	MaxConns        int                 `json:"max_conns"`
	KeepAlive       Duration            `json:"keepalive"`
	ConnectTimeout  Duration            `json:"connect_timeout"`
	ConnectAttempts int                 `json:"connect_attempts"`
	ReadTimeout     Duration            `json:"read_timeout"`
	Arrival         Schedule            `json:"arrival"`
	Phases          []PhaseWindow       `json:"phases,omitempty"`
	Rate            float64             `json:"rate"`
	Duration        Duration            `json:"duration"`
	Requests        int64               `json:"requests_scheduled"`
	MaxWorkers      uint64              `json:"max_workers"`
	Shard           string              `json:"shard,omitempty"`
	KeepBodies      bool                `json:"keep_bodies"`
	TLS             TLSOffer            `json:"tls"`
}

// TLSOffer is what the client offers: CloudFront's documented TLS 1.2 and
// 1.3 offer, as far as Go implements it (package cloudfront).
type TLSOffer struct {
	Versions []string `json:"versions"`
	Ciphers  []string `json:"tls12_ciphers"`
	Curves   []string `json:"curves"`
}

func offer(maxVersion uint16) TLSOffer {
	var versions []uint16
	for _, v := range cloudfront.OfferedVersions {
		if v <= maxVersion {
			versions = append(versions, v)
		}
	}
	return TLSOffer{
		Versions: cloudfront.VersionNames(versions),
		Ciphers:  cloudfront.SuiteNames(cloudfront.TLS12Offer),
		Curves:   cloudfront.CurveNames(cloudfront.Curves),
	}
}

// resolved is the validated configuration an engine runs with.
type resolved struct {
	options
	url      *url.URL
	dialAddr string // host:port dialled for every connection
	schedule Schedule
	cfg      Config
}

func resolve(opts []Option) (*resolved, error) {
	o := defaults()
	for _, opt := range opts {
		opt(&o)
	}
	r := &resolved{options: o}
	if o.target == "" {
		return nil, optErr("target", "an https:// URL is required")
	}
	u, err := url.Parse(o.target)
	if err != nil {
		return nil, optErr("target", "%v", err)
	}
	if u.Scheme != "https" || u.Host == "" {
		return nil, optErr("target", "%q is not an https:// URL with a host", o.target)
	}
	if u.User != nil {
		return nil, optErr("target", "credentials in the URL are not supported")
	}
	if o.path != "" {
		if !strings.HasPrefix(o.path, "/") {
			return nil, optErr("path", "%q does not start with /", o.path)
		}
		pu, err := url.Parse(o.path)
		if err != nil {
			return nil, optErr("path", "%v", err)
		}
		u.Path, u.RawPath, u.RawQuery = pu.Path, pu.RawPath, pu.RawQuery
	}
	if u.Path == "" {
		u.Path = "/"
	}
	r.url = u
	port := u.Port()
	if port == "" {
		port = "443"
	}
	if o.serverName == "" {
		o.serverName = u.Hostname()
	}
	if net.ParseIP(o.serverName) != nil {
		// CloudFront sends the origin domain name as SNI, never an IP.
		return nil, optErr("server-name", "%q is an IP address; CloudFront sends the origin's domain name as SNI (give it with --server-name)", o.serverName)
	}
	r.dialAddr = net.JoinHostPort(u.Hostname(), port)
	if o.connectTo != "" {
		if _, _, err := net.SplitHostPort(o.connectTo); err != nil {
			return nil, optErr("connect-to", "%q is not HOST:PORT: %v", o.connectTo, err)
		}
		r.dialAddr = o.connectTo
	}
	switch o.method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodOptions, http.MethodPatch:
	default:
		return nil, optErr("method", "%q is not a method CloudFront forwards", o.method)
	}
	o.cdn = cdn.Or(o.cdn)
	for k := range o.headers {
		if o.cdn.IsGenerated(k) {
			return nil, optErr("header", "%s is set by the load generator as %s sets it", k, o.cdn.Title)
		}
	}
	if o.originShield {
		if o.popsSet && o.pops != 1 {
			return nil, optErr("origin-shield", "funnels all traffic through one pool: do not combine it with pops %d", o.pops)
		}
		o.pops = 1
	}
	if o.pops < 1 || o.pops > MaxPops {
		return nil, optErr("pops", "%d is outside 1-%d", o.pops, MaxPops)
	}
	if o.maxConns < 1 || o.maxConns > MaxConnsPerPop {
		return nil, optErr("max-conns", "%d is outside 1-%d", o.maxConns, MaxConnsPerPop)
	}
	for _, c := range []struct {
		opt string
		err error
	}{
		{"keepalive", o.cdn.Pool.Keepalive.Check(o.keepAlive)},
		{"connect-timeout", o.cdn.Pool.ConnectTimeout.Check(o.connectTimeout)},
		{"connect-attempts", o.cdn.Pool.ConnectAttempts.Check(o.connectAttempts)},
		{"read-timeout", o.cdn.Pool.ReadTimeout.Check(o.readTimeout)},
	} {
		if c.err != nil {
			return nil, optErr(c.opt, "%v", c.err)
		}
	}
	if o.shardCount < 1 || (o.shardCount > 1 && (o.shardIndex < 1 || o.shardIndex > o.shardCount)) {
		return nil, optErr("shard", "%d/%d is not i/N with 1 ≤ i ≤ N", o.shardIndex, o.shardCount)
	}
	if o.interval <= 0 {
		return nil, optErr("interval", "%v is not positive", o.interval)
	}
	if o.identity.Name == "" {
		return nil, optErr("identity", "the identity has no name")
	}
	switch o.maxVersion {
	case 0:
		o.maxVersion = tls.VersionTLS13
	case tls.VersionTLS12, tls.VersionTLS13:
	default:
		return nil, optErr("max-tls-version", "%s: the generator offers TLS 1.2 and 1.3 only", tls.VersionName(o.maxVersion))
	}
	sched := Constant(DefaultRate, DefaultDuration)
	if o.schedule != nil {
		sched = *o.schedule
	}
	if sched.cum == nil {
		sched = newSchedule(sched.Model, sched.Segments...)
	}
	if !o.phasesSet {
		// Named by the whole run's rates: every shard's phases are the same.
		o.phases = SegmentPhases(sched)
	}
	if o.shardCount > 1 {
		sched = sched.OfShard(o.shardIndex, o.shardCount)
	}
	if err := sched.Validate(); err != nil {
		return nil, optErr("rate", "%v", err)
	}
	if sched.Duration() > 24*time.Hour {
		return nil, optErr("duration", "%v is longer than a day: every run is bounded", sched.Duration())
	}
	r.schedule = sched
	if err := checkPhases(o.phases, sched.Duration()); err != nil {
		return nil, optErr("phases", "%v", err)
	}
	if o.rotateTo != nil {
		if o.rotateTo.Name == "" {
			return nil, optErr("rotate", "the next identity has no name")
		}
		if o.rotateFrom < 0 || o.rotateUntil < o.rotateFrom || o.rotateUntil > sched.Duration() {
			return nil, optErr("rotate", "the switch window %v–%v is not within the run's %v", o.rotateFrom, o.rotateUntil, sched.Duration())
		}
	}
	r.options = o
	r.cfg = r.config()
	return r, nil
}

func (r *resolved) config() Config {
	c := Config{
		Target:          r.target,
		URL:             r.url.String(),
		ServerName:      r.serverName,
		ConnectTo:       r.connectTo,
		Method:          r.method,
		CDN:             r.cdn.Name,
		ServerRoots:     r.rootsName,
		Identity:        r.identity.Name,
		Reuse:           r.reuse,
		Resumption:      r.resumption,
		Pops:            r.pops,
		OriginShield:    r.originShield,
		PopRule:         PopRule,
		MaxConns:        r.maxConns,
		KeepAlive:       Duration(r.keepAlive),
		ConnectTimeout:  Duration(r.connectTimeout),
		ConnectAttempts: r.connectAttempts,
		ReadTimeout:     Duration(r.readTimeout),
		Arrival:         r.schedule,
		Phases:          r.phases,
		Rate:            r.schedule.MeanRate(),
		Duration:        Duration(r.schedule.Duration()),
		Requests:        r.schedule.Requests(),
		MaxWorkers:      r.maxWorkers,
		KeepBodies:      r.keepBodies,
		TLS:             offer(r.maxVersion),
	}
	if c.ServerRoots == "" {
		c.ServerRoots = "system"
	}
	if len(r.headers) > 0 {
		c.Headers = map[string][]string{}
		keys := make([]string, 0, len(r.headers))
		for k := range r.headers {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		// Origin custom headers are often shared secrets (X-Origin-Verify):
		// the configuration records that they were sent, not their values.
		for _, k := range keys {
			for range r.headers[k] {
				c.Headers[k] = append(c.Headers[k], RedactedValue)
			}
		}
	}
	if r.rotateTo != nil {
		c.RotateTo, c.RotateFrom, c.RotateUntil = r.rotateTo.Name, Duration(r.rotateFrom), Duration(r.rotateUntil)
	}
	if r.shardCount > 1 {
		c.Shard = fmt.Sprintf("%d/%d", r.shardIndex, r.shardCount)
	}
	return c
}

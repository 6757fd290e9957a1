package loadgen

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/originproof/originproof/cdn"
	"github.com/originproof/originproof/cloudfront"
)

// pop is one edge location: its own transport, connection pool, TLS
// session cache and counters.
type pop struct {
	id       int
	r        *resolved
	tr       *http.Transport
	net      net.Dialer
	edge     *cdn.Edge // the CDN's request headers, as this edge sends them
	verifier *serverVerifier
	state    atomic.Pointer[popState]
	ids      *atomic.Uint64 // connection ids, shared by every pop of a run
	dials    *dialQueue     // every new connection, for the consumer's histograms
	c        counters

	mu   sync.Mutex
	live map[*conn]struct{}
}

// popState is the identity a pop presents and the TLS configuration (with
// its own session cache) that goes with it; a rotation replaces it.
type popState struct {
	gen      int64
	identity string
	tls      *tls.Config
}

// counters are counted at the dialer: the transport silently redials idle
// connections the origin closed, so request outcomes undercount them.
type counters struct {
	dials, connections, connectFailures      atomic.Int64
	full, resumed, handshakeFailures, closed atomic.Int64
	retries, unrecorded                      atomic.Int64
}

// DialStats are a pop's (or a run's) connection counters.
type DialStats struct {
	// Connections is the number of TCP connections established.
	Connections int64 `json:"connections"`
	// ConnectFailures counts TCP connect attempts that failed.
	ConnectFailures int64 `json:"connect_failures"`
	// FullHandshakes and ResumedHandshakes count completed TLS handshakes.
	FullHandshakes    int64 `json:"full_handshakes"`
	ResumedHandshakes int64 `json:"resumed_handshakes"`
	// HandshakeFailures counts TLS handshakes that failed.
	HandshakeFailures int64 `json:"handshake_failures"`
	// Retries counts connection attempts after the first.
	Retries int64 `json:"retries"`
}

func (c *counters) stats() DialStats {
	return DialStats{
		Connections:       c.connections.Load(),
		ConnectFailures:   c.connectFailures.Load(),
		FullHandshakes:    c.full.Load(),
		ResumedHandshakes: c.resumed.Load(),
		HandshakeFailures: c.handshakeFailures.Load(),
		Retries:           c.retries.Load(),
	}
}

func (s *DialStats) add(o DialStats) {
	s.Connections += o.Connections
	s.ConnectFailures += o.ConnectFailures
	s.FullHandshakes += o.FullHandshakes
	s.ResumedHandshakes += o.ResumedHandshakes
	s.HandshakeFailures += o.HandshakeFailures
	s.Retries += o.Retries
}

func newPop(id int, r *resolved, ids *atomic.Uint64, dials *dialQueue) *pop {
	p := &pop{id: id, r: r, ids: ids, dials: dials, live: map[*conn]struct{}{}}
	p.edge = r.cdn.NewEdge()
	p.net = net.Dialer{KeepAlive: -1} // CloudFront's keep-alive is the idle timeout, not TCP probes
	p.verifier = newServerVerifier(r.roots, r.serverName)
	p.state.Store(p.newState(r.identity, 0))
	// Built only now, after every option is resolved.
	p.tr = &http.Transport{
		Proxy:             nil, // never the environment's proxy
		DialTLSContext:    p.dialTLS,
		ForceAttemptHTTP2: false,
		// A non-nil empty map disables HTTP/2: CloudFront speaks HTTP/1.1 to origins.
		TLSNextProto:          map[string]func(string, *tls.Conn) http.RoundTripper{},
		MaxConnsPerHost:       r.maxConns,
		MaxIdleConnsPerHost:   r.maxConns,
		MaxIdleConns:          0,
		IdleConnTimeout:       r.keepAlive,
		DisableKeepAlives:     !r.reuse,
		ResponseHeaderTimeout: r.readTimeout,
		DisableCompression:    true,
	}
	return p
}

func (p *pop) newState(id Identity, gen int64) *popState {
	cert := id.Certificate
	cfg := &tls.Config{
		ServerName: p.r.serverName,
		// The pop verifies the origin's chain itself, remembering chains
		// that passed (verify.go); this is not a way to skip verification.
		InsecureSkipVerify: true,
		VerifyConnection:   p.verifier.verifyConnection,
		MinVersion:         tls.VersionTLS12,
		MaxVersion:         p.r.maxVersion,
		CipherSuites:       cloudfront.TLS12Offer,
		CurvePreferences:   cloudfront.Curves,
		Renegotiation:      tls.RenegotiateNever,
		// Present the certificate whenever the origin asks, whatever CA
		// names it lists, as CloudFront does.
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			if cert == nil {
				return &tls.Certificate{}, nil
			}
			return cert, nil
		},
		SessionTicketsDisabled: !p.r.resumption,
	}
	if p.r.resumption {
		cfg.ClientSessionCache = tls.NewLRUClientSessionCache(p.r.maxConns)
	}
	return &popState{gen: gen, identity: id.Name, tls: cfg}
}

// DialError is a connection that could not be established.
type DialError struct {
	Phase    string // "dns", "connect" or "tls"
	Addr     string
	Attempts int
	Err      error
}

func (e *DialError) Error() string {
	return fmt.Sprintf("loadgen: %s %s (attempt %d): %v", e.Phase, e.Addr, e.Attempts, e.Err)
}

func (e *DialError) Unwrap() error { return e.Err }

// retryable says whether CloudFront would try the connection again: the TCP
// connect failed or the attempt timed out. A handshake the origin refused
// is an answer, not a connection failure, and is not retried.
func retryable(err error) bool {
	var de *DialError
	if !errors.As(err, &de) {
		return false
	}
	if de.Phase == "connect" || de.Phase == "dns" {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// dialTLS is the transport's DialTLSContext: CloudFront's connect timeout ×
// attempts (GET and HEAD only), TCP connect and TLS handshake timed here
// because httptrace's TLS hooks do not fire for a custom dialer.
func (p *pop) dialTLS(ctx context.Context, network, addr string) (net.Conn, error) {
	attempts := p.r.connectAttempts
	// Every request of a run has the same method.
	if !cloudfront.Retried(p.r.method) {
		attempts = 1
	}
	var err error
	for a := 1; a <= attempts; a++ {
		if a > 1 {
			p.c.retries.Add(1)
		}
		var c *conn
		c, err = p.dialOnce(ctx, a)
		if err == nil {
			return c, nil
		}
		if ctx.Err() != nil || !retryable(err) {
			break
		}
	}
	return nil, err
}

func (p *pop) dialOnce(ctx context.Context, attempt int) (*conn, error) {
	ctx, cancel := context.WithTimeout(ctx, p.r.connectTimeout)
	defer cancel()
	p.c.dials.Add(1)
	addr := p.r.dialAddr
	host, port, _ := net.SplitHostPort(addr)
	var dns time.Duration
	if net.ParseIP(host) == nil {
		t0 := time.Now()
		ips, err := net.DefaultResolver.LookupHost(ctx, host)
		dns = time.Since(t0)
		if err != nil || len(ips) == 0 {
			p.c.connectFailures.Add(1)
			if err == nil {
				err = fmt.Errorf("no address for %s", host)
			}
			return nil, &DialError{Phase: "dns", Addr: addr, Attempts: attempt, Err: err}
		}
		host = ips[0]
	}
	t0 := time.Now()
	raw, err := p.net.DialContext(ctx, "tcp", net.JoinHostPort(host, port))
	connect := time.Since(t0)
	if err != nil {
		p.c.connectFailures.Add(1)
		return nil, &DialError{Phase: "connect", Addr: addr, Attempts: attempt, Err: err}
	}
	p.c.connections.Add(1)
	st := p.state.Load()
	tc := tls.Client(raw, st.tls)
	t1 := time.Now()
	err = tc.HandshakeContext(ctx)
	hs := time.Since(t1)
	if err != nil {
		p.c.handshakeFailures.Add(1)
		p.c.closed.Add(1)
		_ = raw.Close()
		return nil, &DialError{Phase: "tls", Addr: addr, Attempts: attempt, Err: err}
	}
	cs := tc.ConnectionState()
	if cs.DidResume {
		p.c.resumed.Add(1)
	} else {
		p.c.full.Add(1)
	}
	c := &conn{Conn: tc, p: p, info: dialInfo{
		id:        p.ids.Add(1),
		dns:       dns,
		connect:   connect,
		handshake: hs,
		resumed:   cs.DidResume,
		version:   tls.VersionName(cs.Version),
		cipher:    tls.CipherSuiteName(cs.CipherSuite),
		curve:     curveName(cs.CurveID),
		attempt:   attempt,
		identity:  st.identity,
		gen:       st.gen,
	}}
	p.mu.Lock()
	p.live[c] = struct{}{}
	p.mu.Unlock()
	if !p.dials.push(c) {
		// The consumer is far behind: count the sample as lost rather than stall the dial.
		p.c.unrecorded.Add(1)
	}
	return c, nil
}

// dialQueue hands new connections to the consumer without waking it (a
// channel would, once more per connection): the consumer drains it each
// time it takes a result and on every tick.
type dialQueue struct {
	mu  sync.Mutex
	q   []*conn
	max int
}

func newDialQueue(max int) *dialQueue { return &dialQueue{max: max} }

// push queues c; false when the queue is full.
func (d *dialQueue) push(c *conn) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.q) >= d.max {
		return false
	}
	d.q = append(d.q, c)
	return true
}

// drain moves the queued connections into buf (reused) and returns it.
func (d *dialQueue) drain(buf []*conn) []*conn {
	d.mu.Lock()
	buf = append(buf[:0], d.q...)
	clear(d.q)
	d.q = d.q[:0]
	d.mu.Unlock()
	return buf
}

func curveName(c tls.CurveID) string {
	if c == 0 {
		return ""
	}
	return c.String()
}

// dialInfo is what the dialer learnt about a connection.
type dialInfo struct {
	id                      uint64
	dns, connect, handshake time.Duration
	resumed                 bool
	version, cipher, curve  string
	attempt                 int
	identity                string
	gen                     int64
}

// conn is a pooled connection; closing it removes it from the pop's live set.
type conn struct {
	net.Conn
	p    *pop
	info dialInfo
	once sync.Once
	// used is set by the first request that gets the connection: the
	// transport marks a connection it dialled for one request but parked
	// idle as reused, so httptrace's Reused cannot tell.
	used atomic.Bool
}

func (c *conn) Close() error {
	c.once.Do(func() {
		c.p.mu.Lock()
		delete(c.p.live, c)
		c.p.mu.Unlock()
		c.p.c.closed.Add(1)
	})
	return c.Conn.Close()
}

// liveBefore counts live connections made before generation gen.
func (p *pop) liveBefore(gen int64) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for c := range p.live {
		if c.info.gen < gen {
			n++
		}
	}
	return n
}

// closeAll closes every live connection (requests on them fail).
func (p *pop) closeAll() {
	p.mu.Lock()
	cs := make([]*conn, 0, len(p.live))
	for c := range p.live {
		cs = append(cs, c)
	}
	p.mu.Unlock()
	for _, c := range cs {
		_ = c.Close()
	}
	p.tr.CloseIdleConnections()
}

// rotate switches the pop to identity id: new TLS configuration and session
// cache, idle connections dropped, and connections still busy with the old
// identity dropped as soon as they fall idle (bounded by until).
func (p *pop) rotate(ctx context.Context, id Identity, until time.Duration) {
	old := p.state.Load()
	st := p.newState(id, old.gen+1)
	p.state.Store(st)
	p.tr.CloseIdleConnections()
	deadline := time.NewTimer(until)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for p.liveBefore(st.gen) > 0 {
		select {
		case <-ctx.Done():
			return
		case <-deadline.C:
			return
		case <-tick.C:
			p.tr.CloseIdleConnections()
		}
	}
}

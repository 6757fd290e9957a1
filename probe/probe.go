// Package probe sends single, fully observed HTTPS requests to an origin and
// classifies what happened: rejected in the TLS layer (with the alert when
// one is seen), answered over HTTP, or failed for a reason that says nothing
// about the origin's policy. Every probe uses a fresh connection and no
// session cache unless resumption is what is tested.
package probe

import (
	"bufio"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/originproof/originproof/cdn"
	"github.com/originproof/originproof/checks"
)

// Target says where and how probes connect.
type Target struct {
	// Addr is the host:port dialled.
	Addr string
	// ServerName is the SNI sent and the name the server certificate should carry.
	ServerName string
	// Host is the Host header (ServerName when empty).
	Host string
	// Path is requested by every probe ("/" when empty).
	Path string
	// Headers are added to every request (the origin custom headers CloudFront sends).
	Headers http.Header
	// Timeout bounds each stage: dial, handshake, response (10 s when zero).
	Timeout time.Duration
	// CDN is whose edge the requests come from: its request headers
	// (CloudFront's when nil).
	CDN *cdn.Preset
}

// Options are the client side of one probe.
type Options struct {
	// Cert is the client certificate presented when asked (nil: none).
	Cert *tls.Certificate
	// MinVersion and MaxVersion bound the TLS versions offered (TLS 1.2-1.3 when zero).
	MinVersion, MaxVersion uint16
	// CipherSuites and Curves restrict the offer (Go's defaults when nil).
	CipherSuites []uint16
	Curves       []tls.CurveID
	// SessionCache enables resumption (nil: none, the default).
	SessionCache tls.ClientSessionCache
}

// Kind is the class of a probe's result.
type Kind string

const (
	// TLSRejected: the handshake failed, or the connection was closed or
	// alerted before any HTTP byte.
	TLSRejected Kind = "tls-rejected"
	// Response: an HTTP response arrived (whether it is the protected
	// content is decided against the baseline, see Judge).
	Response Kind = "response"
	// Error: the probe could not reach a verdict (unreachable, timeout, not TLS, malformed HTTP).
	Error Kind = "error"
)

// Result is what one probe observed.
type Result struct {
	Kind   Kind
	Stage  string // dial, handshake, response
	Alert  string // IANA name of a TLS alert received, if any
	Status int
	// BodySHA256 is the hex SHA-256 of the response body (at most 1 MiB read).
	BodySHA256 string
	Date       time.Time // the response's Date header
	// Server is the response's Server header (which program answered).
	Server string
	// Received is when the response headers arrived (for clock skew).
	Received time.Time
	Err      error
	// Renegotiation: the origin sent a TLS 1.2 HelloRequest.
	Renegotiation bool
	// PostHandshakeAuth: the origin sent a TLS 1.3 post-handshake CertificateRequest.
	PostHandshakeAuth bool
	// CertRequested: the origin sent a CertificateRequest in the handshake.
	CertRequested bool
	// AcceptableCAs are the distinguished names the CertificateRequest listed.
	AcceptableCAs [][]byte
	// ServerCerts is the chain the origin presented.
	ServerCerts []*x509.Certificate
	// State is the connection state after a completed handshake.
	State *tls.ConnectionState
	// Reused: the request went over an already used connection.
	Reused bool
}

// ClockSkew is the origin's clock minus this machine's, in seconds rounded
// to a tenth, from the response's Date header (one-second resolution: it
// is centred before comparing); ok is false when there was no Date.
func (r Result) ClockSkew() (seconds float64, ok bool) {
	if r.Kind != Response || r.Date.IsZero() {
		return 0, false
	}
	return math.Round(r.Date.Add(500*time.Millisecond).Sub(r.Received).Seconds()*10) / 10, true
}

// Describe is a one-line account of the result ("rejected at tls:
// certificate_required", "HTTP 403").
func (r Result) Describe() string {
	switch r.Kind {
	case TLSRejected:
		switch {
		case r.Renegotiation:
			return "origin asked for TLS renegotiation (HelloRequest)"
		case r.PostHandshakeAuth:
			return "origin asked for a client certificate after the handshake (TLS 1.3 post-handshake auth)"
		case r.Alert != "":
			return "rejected at tls: " + r.Alert
		}
		return "rejected at tls: closed without alert"
	case Response:
		return fmt.Sprintf("HTTP %d", r.Status)
	}
	if r.Err != nil {
		return r.Stage + ": " + r.Err.Error()
	}
	return "error at " + r.Stage
}

const defaultTimeout = 10 * time.Second

func (t Target) timeout() time.Duration {
	if t.Timeout > 0 {
		return t.Timeout
	}
	return defaultTimeout
}

// Conn is an open, handshaken connection that can carry several requests
// (keep-alive probes).
type Conn struct {
	t     Target
	tc    *tls.Conn
	br    *bufio.Reader
	used  bool
	res   Result // handshake observations, copied into each request's result
	count *countingReader
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// Open dials and handshakes. On failure the Result says why and Conn is nil.
func Open(ctx context.Context, t Target, o Options) (*Conn, Result) {
	d := &net.Dialer{Timeout: t.timeout()}
	raw, err := d.DialContext(ctx, "tcp", t.Addr)
	if err != nil {
		return nil, Result{Kind: Error, Stage: "dial", Err: fmt.Errorf("connect %s: %w", t.Addr, unwrapOp(err))}
	}
	return open(ctx, raw, t, o)
}

// open handshakes over raw, a connection to the origin (closed on failure).
func open(ctx context.Context, raw net.Conn, t Target, o Options) (*Conn, Result) {
	res := Result{Stage: "dial"}
	var mu sync.Mutex
	cfg := &tls.Config{
		ServerName: t.ServerName,
		// The server chain is judged by the server-cert checks, never here:
		// a bad server certificate must not stop the client probes.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			mu.Lock()
			res.ServerCerts = cs.PeerCertificates
			mu.Unlock()
			return nil
		},
		GetClientCertificate: func(cri *tls.CertificateRequestInfo) (*tls.Certificate, error) {
			mu.Lock()
			res.CertRequested = true
			res.AcceptableCAs = cri.AcceptableCAs
			mu.Unlock()
			if o.Cert == nil {
				return &tls.Certificate{}, nil
			}
			return o.Cert, nil
		},
		MinVersion:         tls.VersionTLS12,
		MaxVersion:         tls.VersionTLS13,
		NextProtos:         []string{"http/1.1"},
		CipherSuites:       o.CipherSuites,
		CurvePreferences:   o.Curves,
		ClientSessionCache: o.SessionCache,
		Renegotiation:      tls.RenegotiateNever,
	}
	if o.MinVersion != 0 {
		cfg.MinVersion = o.MinVersion
	}
	if o.MaxVersion != 0 {
		cfg.MaxVersion = o.MaxVersion
	}
	tc := tls.Client(raw, cfg)
	res.Stage = "handshake"
	hctx, cancel := context.WithTimeout(ctx, t.timeout())
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		raw.Close()
		classifyFailure(&res, err, t.timeout(), "handshake")
		return nil, res
	}
	st := tc.ConnectionState()
	res.State = &st
	cr := &countingReader{r: tc}
	return &Conn{t: t, tc: tc, br: bufio.NewReader(cr), res: res, count: cr}, res
}

// classifyFailure fills res for an error before any HTTP byte arrived.
func classifyFailure(res *Result, err error, timeout time.Duration, stage string) {
	res.Stage, res.Err = stage, err
	text := err.Error()
	switch {
	case strings.Contains(text, "no renegotiation") && !strings.Contains(text, "remote error"):
		res.Kind, res.Renegotiation = TLSRejected, true
	case strings.Contains(text, "certificateRequestMsgTLS13"):
		res.Kind, res.PostHandshakeAuth = TLSRejected, true
	case func() bool { a, ok := AlertName(err); res.Alert = a; return ok }():
		res.Kind = TLSRejected
	case IsClosed(err):
		res.Kind = TLSRejected
	case IsTimeout(err):
		res.Kind, res.Err = Error, fmt.Errorf("no %s within %v", map[string]string{"handshake": "TLS handshake completed", "response": "response"}[stage], timeout)
	case strings.Contains(text, "first record does not look like a TLS handshake") || strings.Contains(text, "oversized record"):
		res.Kind, res.Err = Error, fmt.Errorf("the target does not speak TLS: %v", err)
	default:
		res.Kind = Error
	}
}

// Request sends one GET with CloudFront's headers and reads the response.
func (c *Conn) Request(ctx context.Context) Result {
	res := c.res
	res.Stage = "response"
	res.Reused = c.used
	c.used = true
	deadline := time.Now().Add(c.t.timeout())
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	_ = c.tc.SetDeadline(deadline)
	before := c.count.n
	if _, err := io.WriteString(c.tc, c.requestText()); err != nil {
		classifyFailure(&res, err, c.t.timeout(), "response")
		return res
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		if c.count.n > before && !IsTimeout(err) {
			res.Kind, res.Err = Error, fmt.Errorf("malformed HTTP response: %w", err)
			return res
		}
		classifyFailure(&res, err, c.t.timeout(), "response")
		return res
	}
	defer resp.Body.Close()
	if resp.StatusCode < 100 || resp.StatusCode > 999 {
		// net/http reads any three digits, 000 included: not an answer.
		res.Kind, res.Err = Error, fmt.Errorf("malformed HTTP response: status %03d", resp.StatusCode)
		return res
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.LimitReader(resp.Body, 1<<20)); err != nil {
		res.Kind, res.Err = Error, fmt.Errorf("reading the response body: %w", err)
		return res
	}
	res.Kind, res.Status, res.BodySHA256, res.Received = Response, resp.StatusCode, hex.EncodeToString(h.Sum(nil)), time.Now()
	if d, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		res.Date = d
	}
	res.Server = resp.Header.Get("Server")
	if resp.Close {
		c.tc.Close()
	}
	return res
}

// Idle waits up to d for the origin to close the idle connection; it
// returns how long the connection stayed open and whether it was closed.
func (c *Conn) Idle(d time.Duration) (time.Duration, bool) {
	start := time.Now()
	_ = c.tc.SetReadDeadline(start.Add(d))
	_, err := c.br.Peek(1)
	if err != nil && IsTimeout(err) {
		return d, false
	}
	return time.Since(start), true
}

// Close closes the connection.
func (c *Conn) Close() error { return c.tc.Close() }

func (c *Conn) requestText() string {
	var b strings.Builder
	path := c.t.Path
	if path == "" {
		path = "/"
	}
	host := c.t.Host
	if host == "" {
		host = c.t.ServerName
	}
	fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: %s\r\n", path, host)
	// The headers the CDN adds to every request to the origin (CloudFront's:
	// User-Agent, Via, X-Amz-Cf-Id).
	for _, f := range cdn.Or(c.t.CDN).NewEdge().Fields() {
		fmt.Fprintf(&b, "%s: %s\r\n", f.Name, f.Value)
	}
	keys := make([]string, 0, len(c.t.Headers))
	for k := range c.t.Headers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range c.t.Headers[k] {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	b.WriteString("\r\n")
	return b.String()
}

// Do opens a fresh connection, sends one request and closes it.
func Do(ctx context.Context, t Target, o Options) Result {
	c, res := Open(ctx, t, o)
	if c == nil {
		return res
	}
	defer c.Close()
	return c.Request(ctx)
}

func unwrapOp(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}

// Verdict is how an origin treated one probe, judged against the baseline.
type Verdict struct {
	Accepted bool
	Layer    checks.Layer // tls, http, none (accepted)
	Observed string
	Err      error // set when no verdict could be reached
}

// Judge compares a probe's result with the baseline (what the good
// certificate receives on the same path and headers): a response that is
// not the baseline's status is a rejection at the HTTP layer.
func Judge(r, baseline Result) Verdict {
	switch r.Kind {
	case TLSRejected:
		return Verdict{Layer: checks.LayerTLS, Observed: r.Describe()}
	case Response:
		if baseline.Kind == Response && r.Status == baseline.Status {
			return Verdict{Accepted: true, Layer: checks.LayerNone, Observed: fmt.Sprintf("accepted: HTTP %d, as the good certificate", r.Status)}
		}
		return Verdict{Layer: checks.LayerHTTP, Observed: fmt.Sprintf("rejected at http: HTTP %d (the good certificate gets %d)", r.Status, baseline.Status)}
	}
	return Verdict{Observed: r.Describe(), Err: r.Err}
}

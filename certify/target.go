package certify

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/originproof/originproof/cdn"
	"github.com/originproof/originproof/cloudfront"
	"github.com/originproof/originproof/fixtures"
	"github.com/originproof/originproof/loadgen"
	"github.com/originproof/originproof/probe"
)

// Fields of the input, as InputError names them. The command line calls
// them --FIELD; a scenario has its own names (scenarioFields).
const (
	FieldTarget      = "target"
	FieldServerName  = "server-name"
	FieldConnectTo   = "connect-to"
	FieldPath        = "path"
	FieldHeader      = "header"
	FieldServerRoots = "server-roots"
	FieldPKI         = "pki"
	FieldCA          = "ca-cert"
	FieldOut         = "out"
	FieldIdentity    = "identity"
	FieldCloudFront  = "cloudfront-cert"
	FieldCDN         = "cdn"
)

// InputError is invalid input: the field it is about and why. The command
// line reports it as a usage error (exit 2) naming the flag.
type InputError struct {
	Field string
	Err   error
}

// Error is "FIELD: why", or `FIELD "value": why` when the reason starts
// with the quoted value it is about.
func (e *InputError) Error() string {
	msg := e.Err.Error()
	if strings.HasPrefix(msg, `"`) {
		return e.Field + " " + msg
	}
	return e.Field + ": " + msg
}
func (e *InputError) Unwrap() error { return e.Err }

func inputErr(field, format string, a ...any) error {
	return &InputError{Field: field, Err: fmt.Errorf(format, a...)}
}

// IsInputError reports whether err is (or wraps) an InputError.
func IsInputError(err error) bool {
	var ie *InputError
	return errors.As(err, &ie)
}

// Target says where the origin is and how to reach it. The flags of conform
// and load and a scenario's target fill one each; Resolve checks it once for
// every command.
type Target struct {
	// URL is the origin as CloudFront reaches it (https only).
	URL string
	// ServerName is the SNI and the name the server certificate must carry
	// (the URL's host when empty).
	ServerName string
	// ConnectTo is the HOST:PORT dialled instead of the URL's address.
	ConnectTo string
	// Path is requested by every probe and load request ("/" when empty).
	Path string
	// Headers are the origin custom headers CloudFront adds.
	Headers http.Header
	// ServerRoots verify the origin's certificate: "" for the PKI's server
	// root, "system", or a PEM file.
	ServerRoots string
	// Timeout bounds each probe's stages (the probe's default when zero).
	Timeout time.Duration
	// CDN is whose edges are modelled (CloudFront when nil).
	CDN *cdn.Preset
	// Distribution, when set, is the origin as its CloudFront distribution
	// config describes it: it supplies the URL when none is given, its
	// custom headers (Headers given explicitly win) and OriginPath, which
	// CloudFront puts before every request's path.
	Distribution *cloudfront.Origin
}

// Endpoint is a resolved Target: what probes and the load generator use.
type Endpoint struct {
	URL        *url.URL
	ServerName string
	Addr       string // dialled
	Host       string // Host header
	Path       string
	Headers    http.Header
	// Roots verify the origin's server certificate; RootsName describes
	// them in reports ("system", a file, the PKI's root file).
	Roots     *x509.CertPool
	RootsName string
	// FromPKI says Roots is the PKI's own server root (so its intermediate
	// may complete the chain for server-cert.trusted).
	FromPKI bool
	Timeout time.Duration
	CDN     *cdn.Preset
}

// ParseHeader reads one NAME:VALUE origin custom header.
func ParseHeader(kv string) (name, value string, err error) {
	k, v, ok := strings.Cut(kv, ":")
	k = strings.TrimSpace(k)
	if !ok || k == "" || strings.ContainsAny(k, " \t\r\n") {
		return "", "", inputErr(FieldHeader, "%q: want NAME:VALUE", kv)
	}
	if cloudfront.IsGeneratedHeader(k) {
		return "", "", inputErr(FieldHeader, "%q: %s is set on every request as CloudFront sets it", kv, http.CanonicalHeaderKey(k))
	}
	return k, strings.TrimSpace(v), nil
}

// Resolve checks the target and loads its server roots; pkiDir is where the
// PKI's files are (named in reports when its server root is used).
func (t Target) Resolve(pki *fixtures.PKI, pkiDir string) (*Endpoint, error) {
	t.CDN = cdn.Or(t.CDN)
	if d := t.Distribution; d != nil {
		if t.CDN != cdn.CloudFront {
			return nil, inputErr(FieldCDN, "%q: a CloudFront distribution config goes with the cloudfront CDN", t.CDN.Name)
		}
		if t.URL == "" {
			t.URL = d.URL()
		}
		h := http.Header{}
		for _, c := range d.Headers {
			h.Add(c.Name, c.Value.Reveal())
		}
		for k, vs := range t.Headers {
			h[http.CanonicalHeaderKey(k)] = vs
		}
		t.Headers = h
	}
	if t.URL == "" {
		return nil, inputErr(FieldTarget, "the origin's https:// URL is required")
	}
	u, err := url.Parse(t.URL)
	if err != nil || u.Host == "" {
		return nil, inputErr(FieldTarget, "%q: want an https:// URL with a host", t.URL)
	}
	if u.Scheme != "https" {
		return nil, inputErr(FieldTarget, "%q: origin mTLS needs an https:// URL", t.URL)
	}
	e := &Endpoint{URL: u, ServerName: u.Hostname(), Host: u.Host, Path: t.Path, Headers: t.Headers, Timeout: t.Timeout, CDN: t.CDN}
	if e.Path == "" {
		e.Path = "/"
	}
	if !strings.HasPrefix(e.Path, "/") {
		return nil, inputErr(FieldPath, "%q must start with /", t.Path)
	}
	if t.Distribution != nil {
		e.Path = t.Distribution.OriginPath + e.Path
	}
	if e.Headers == nil {
		e.Headers = http.Header{}
	}
	for k := range e.Headers {
		if t.CDN.IsGenerated(k) {
			return nil, inputErr(FieldHeader, "%s is set on every request as %s sets it", http.CanonicalHeaderKey(k), t.CDN.Title)
		}
	}
	if t.ServerName != "" {
		e.ServerName = t.ServerName
	}
	if net.ParseIP(e.ServerName) != nil {
		// CloudFront sends the origin's domain name as SNI, never an IP.
		return nil, inputErr(FieldServerName, "%q is an IP address; CloudFront sends the origin's domain name as SNI (give it as the server name, and the address to dial as connect-to)", e.ServerName)
	}
	port := u.Port()
	if port == "" {
		port = "443"
	}
	e.Addr = net.JoinHostPort(u.Hostname(), port)
	if t.ConnectTo != "" {
		if _, p, err := net.SplitHostPort(t.ConnectTo); err != nil || p == "" {
			return nil, inputErr(FieldConnectTo, "%q: want HOST:PORT", t.ConnectTo)
		}
		e.Addr = t.ConnectTo
	}
	switch t.ServerRoots {
	case "":
		e.Roots, e.FromPKI = pki.ServerRootPool(), true
		e.RootsName = filepath.Join(pkiDir, fixtures.FileServerRoot)
	case "system":
		if e.Roots, err = x509.SystemCertPool(); err != nil {
			return nil, inputErr(FieldServerRoots, "system: %v", err)
		}
		e.RootsName = "system"
	default:
		data, err := os.ReadFile(t.ServerRoots)
		if err != nil {
			return nil, inputErr(FieldServerRoots, "%q: %v", t.ServerRoots, unwrapPath(err))
		}
		e.Roots = x509.NewCertPool()
		if !e.Roots.AppendCertsFromPEM(data) {
			return nil, inputErr(FieldServerRoots, "%q: no PEM certificate in it", t.ServerRoots)
		}
		e.RootsName = t.ServerRoots
	}
	return e, nil
}

// Probe is where and how conformance probes connect.
func (e *Endpoint) Probe() probe.Target {
	return probe.Target{Addr: e.Addr, ServerName: e.ServerName, Host: e.Host, Path: e.Path, Headers: e.Headers, Timeout: e.Timeout, CDN: e.CDN}
}

// LoadOptions point the load generator at the endpoint.
func (e *Endpoint) LoadOptions() []loadgen.Option {
	opts := []loadgen.Option{
		loadgen.Target(e.URL.String()), loadgen.ServerName(e.ServerName), loadgen.ConnectTo(e.Addr),
		loadgen.Path(e.Path), loadgen.RootCAs(e.Roots, e.RootsName), loadgen.CDN(e.CDN),
	}
	for k, vs := range e.Headers {
		for _, v := range vs {
			opts = append(opts, loadgen.Header(k, v))
		}
	}
	return opts
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

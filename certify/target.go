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
	e := &Endpoint{URL: u, ServerName: u.Hostname(), Host: u.Host, Path: t.Path, Headers: t.Headers, Timeout: t.Timeout}
	if e.Path == "" {
		e.Path = "/"
	}
	if !strings.HasPrefix(e.Path, "/") {
		return nil, inputErr(FieldPath, "%q must start with /", t.Path)
	}
	if e.Headers == nil {
		e.Headers = http.Header{}
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
	return probe.Target{Addr: e.Addr, ServerName: e.ServerName, Host: e.Host, Path: e.Path, Headers: e.Headers, Timeout: e.Timeout}
}

// LoadOptions point the load generator at the endpoint.
func (e *Endpoint) LoadOptions() []loadgen.Option {
	opts := []loadgen.Option{
		loadgen.Target(e.URL.String()), loadgen.ServerName(e.ServerName), loadgen.ConnectTo(e.Addr),
		loadgen.Path(e.Path), loadgen.RootCAs(e.Roots, e.RootsName),
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

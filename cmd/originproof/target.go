package main

import (
	"crypto/x509"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"github.com/originproof/originproof/fixtures"
)

// targetFlags are the flags conform and load share (SPEC): where the
// origin is, how to reach it, and what verifies its certificate.
type targetFlags struct {
	pki, target, out                   string
	serverName, connectTo, path, roots string
	headers                            []string
}

func (f *targetFlags) register(fl *pflag.FlagSet, outWhat string) {
	fl.StringVar(&f.pki, "pki", "", "PKI directory written by 'originproof pki init' (client identities, server root)")
	fl.StringVar(&f.target, "target", "", "origin URL, https://HOST[:PORT]/")
	fl.StringVar(&f.out, "out", "", "directory for "+outWhat)
	fl.StringVar(&f.serverName, "server-name", "", "SNI and expected server name (default: the URL's host)")
	fl.StringVar(&f.connectTo, "connect-to", "", "dial HOST:PORT instead of the URL's address (staging IPs behind load balancers)")
	fl.StringArrayVar(&f.headers, "header", nil, "origin custom header K:V CloudFront would send (repeatable)")
	fl.StringVar(&f.path, "path", "/", "request path")
	fl.StringVar(&f.roots, "server-roots", "", "FILE (PEM) or 'system': roots that verify the origin (default: the PKI's server root)")
}

// resolvedTarget is targetFlags checked and loaded.
type resolvedTarget struct {
	url        *url.URL
	serverName string
	addr       string
	host       string
	headers    http.Header
	pki        *fixtures.PKI
	roots      *x509.CertPool // nil: the PKI's server root
	rootsName  string
}

// resolve validates the shared flags; every problem is a usage error naming its flag.
func (f *targetFlags) resolve(cmd string) (*resolvedTarget, error) {
	if f.pki == "" {
		return nil, usageError("%s: --pki is required (a directory written by 'originproof pki init')", cmd)
	}
	if f.target == "" {
		return nil, usageError("%s: --target is required (the origin's https:// URL)", cmd)
	}
	if f.out == "" {
		return nil, usageError("%s: --out is required (the directory for the results)", cmd)
	}
	u, err := url.Parse(f.target)
	if err != nil || u.Host == "" {
		return nil, usageError("%s: --target %q: want an https:// URL with a host", cmd, f.target)
	}
	if u.Scheme != "https" {
		return nil, usageError("%s: --target %q: origin mTLS needs an https:// URL", cmd, f.target)
	}
	if !strings.HasPrefix(f.path, "/") {
		return nil, usageError("%s: --path %q must start with /", cmd, f.path)
	}
	rt := &resolvedTarget{url: u, serverName: u.Hostname(), host: u.Host, headers: http.Header{}}
	if f.serverName != "" {
		rt.serverName = f.serverName
	}
	port := u.Port()
	if port == "" {
		port = "443"
	}
	rt.addr = net.JoinHostPort(u.Hostname(), port)
	if f.connectTo != "" {
		if _, p, err := net.SplitHostPort(f.connectTo); err != nil || p == "" {
			return nil, usageError("%s: --connect-to %q: want HOST:PORT", cmd, f.connectTo)
		}
		rt.addr = f.connectTo
	}
	for _, h := range f.headers {
		k, v, ok := strings.Cut(h, ":")
		k = strings.TrimSpace(k)
		if !ok || k == "" || strings.ContainsAny(k, " \t\r\n") {
			return nil, usageError("%s: --header %q: want NAME:VALUE", cmd, h)
		}
		rt.headers.Add(k, strings.TrimSpace(v))
	}
	if rt.pki, err = fixtures.LoadDir(f.pki); err != nil {
		return nil, usageError("%s: --pki: %v", cmd, err)
	}
	switch f.roots {
	case "":
		rt.rootsName = filepath.Join(f.pki, fixtures.FileServerRoot)
	case "system":
		if rt.roots, err = x509.SystemCertPool(); err != nil {
			return nil, usageError("%s: --server-roots system: %v", cmd, err)
		}
		rt.rootsName = "system"
	default:
		data, err := os.ReadFile(f.roots)
		if err != nil {
			return nil, usageError("%s: --server-roots %s: %v", cmd, f.roots, unwrapPath(err))
		}
		rt.roots = x509.NewCertPool()
		if !rt.roots.AppendCertsFromPEM(data) {
			return nil, usageError("%s: --server-roots %s: no PEM certificate in it", cmd, f.roots)
		}
		rt.rootsName = f.roots
	}
	return rt, nil
}

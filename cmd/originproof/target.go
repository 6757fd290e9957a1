package main

import (
	"net/http"

	"github.com/spf13/pflag"

	"github.com/originproof/originproof/certify"
	"github.com/originproof/originproof/fixtures"
)

// targetFlags are the flags conform and load share: where the origin is,
// how to reach it, and what verifies its certificate.
type targetFlags struct {
	pki, out string
	target   certify.Target
	headers  []string
}

func (f *targetFlags) register(fl *pflag.FlagSet, outWhat string) {
	fl.StringVar(&f.pki, "pki", "", "PKI directory written by 'originproof pki init' (client identities, server root)")
	fl.StringVar(&f.target.URL, "target", "", "origin URL, https://HOST[:PORT]/")
	fl.StringVar(&f.out, "out", "", "directory for "+outWhat)
	fl.StringVar(&f.target.ServerName, "server-name", "", "SNI and expected server name (default: the URL's host)")
	fl.StringVar(&f.target.ConnectTo, "connect-to", "", "dial HOST:PORT instead of the URL's address (staging IPs behind load balancers)")
	fl.StringArrayVar(&f.headers, "header", nil, "origin custom header K:V CloudFront would send (repeatable)")
	fl.StringVar(&f.target.Path, "path", "/", "request path")
	fl.StringVar(&f.target.ServerRoots, "server-roots", "", "FILE (PEM) or 'system': roots that verify the origin (default: the PKI's server root)")
}

// resolve checks the shared flags and loads the PKI; every problem is a
// usage error naming its flag.
func (f *targetFlags) resolve(cmd string) (*fixtures.PKI, *certify.Endpoint, error) {
	switch {
	case f.pki == "":
		return nil, nil, usageError("%s: --pki is required (a directory written by 'originproof pki init')", cmd)
	case f.target.URL == "":
		return nil, nil, usageError("%s: --target is required (the origin's https:// URL)", cmd)
	case f.out == "":
		return nil, nil, usageError("%s: --out is required (the directory for the results)", cmd)
	}
	f.target.Headers = http.Header{}
	for _, h := range f.headers {
		k, v, err := certify.ParseHeader(h)
		if err != nil {
			return nil, nil, flagError(cmd, err)
		}
		f.target.Headers.Add(k, v)
	}
	pki, dir, err := certify.LoadPKI(certify.PKISource{Dir: f.pki})
	if err != nil {
		return nil, nil, flagError(cmd, err)
	}
	ep, err := f.target.Resolve(pki, dir)
	if err != nil {
		return nil, nil, flagError(cmd, err)
	}
	return pki, ep, nil
}

package main

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/spf13/pflag"

	"github.com/originproof/originproof/cdn"
	"github.com/originproof/originproof/certify"
	"github.com/originproof/originproof/fixtures"
)

// targetFlags are the flags conform and load share: where the origin is,
// how to reach it, what verifies its certificate, which CDN's edges are
// modelled and which CloudFront distribution it sits behind.
type targetFlags struct {
	pki, out string
	target   certify.Target
	headers  []string
	// dist are --distribution-config, --origin-id and --cdn.
	dist distFlags
}

// distFlags are --distribution-config, --origin-id and --cdn: the values a
// scenario's distribution: and cdn: keys hold.
type distFlags struct {
	config, originID, cdn string
}

func (d *distFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&d.config, "distribution-config", "", "FILE: the JSON of 'aws cloudfront get-distribution-config' or 'get-distribution': its origin's settings fill the pool flags not given, its custom headers are sent, the distribution checks judge the pair")
	fl.StringVar(&d.originID, "origin-id", "", "the origin of --distribution-config to check (required when it has several)")
	fl.StringVar(&d.cdn, "cdn", cdn.CloudFront.Name, cdnHelp())
}

// cdnHelp lists the presets and, for each, what its CDN's documentation
// does not confirm (those values are assumptions).
func cdnHelp() string {
	var b strings.Builder
	fmt.Fprintf(&b, "CDN whose edges are modelled: %s (pool defaults, request headers, client certificate rules; docs/cdns.md).", strings.Join(cdn.Names(), ", "))
	var parts []string
	for _, n := range cdn.Names() {
		p, _ := cdn.Lookup(n)
		if u := p.Unconfirmed(); len(u) > 0 {
			parts = append(parts, n+": "+strings.Join(u, ", "))
		}
	}
	if len(parts) > 0 {
		b.WriteString(" Not confirmed by the CDN's own documentation, so assumed: " + strings.Join(parts, "; "))
	}
	return b.String()
}

func (f *targetFlags) register(fl *pflag.FlagSet, outWhat string) {
	fl.StringVar(&f.pki, "pki", "", "PKI directory written by 'originproof pki init' (client identities, server root)")
	fl.StringVar(&f.target.URL, "target", "", "origin URL, https://HOST[:PORT]/ (default with --distribution-config: the origin's)")
	fl.StringVar(&f.out, "out", "", "directory for "+outWhat)
	fl.StringVar(&f.target.ServerName, "server-name", "", "SNI and expected server name (default: the URL's host)")
	fl.StringVar(&f.target.ConnectTo, "connect-to", "", "dial HOST:PORT instead of the URL's address (staging IPs behind load balancers)")
	fl.StringArrayVar(&f.headers, "header", nil, "origin custom header K:V CloudFront would send (repeatable)")
	fl.StringVar(&f.target.Path, "path", "/", "request path")
	fl.StringVar(&f.target.ServerRoots, "server-roots", "", "FILE (PEM) or 'system': roots that verify the origin (default: the PKI's server root)")
	f.dist.register(fl)
}

// resolve checks the shared flags, loads the PKI and, when given, the
// distribution config; every problem is a usage error naming its flag.
func (f *targetFlags) resolve(cmd string) (*fixtures.PKI, *certify.Endpoint, error) {
	switch {
	case f.pki == "":
		return nil, nil, usageError("%s: --pki is required (a directory written by 'originproof pki init')", cmd)
	case f.out == "":
		return nil, nil, usageError("%s: --out is required (the directory for the results)", cmd)
	}
	var err error
	if f.target.CDN, err = certify.LookupCDN(f.dist.cdn); err != nil {
		return nil, nil, flagError(cmd, err)
	}
	switch {
	case f.dist.config != "":
		if f.target.Distribution, err = certify.LoadDistribution(f.dist.config, f.dist.originID); err != nil {
			return nil, nil, flagError(cmd, err)
		}
	case f.dist.originID != "":
		return nil, nil, usageError("%s: --origin-id goes with --distribution-config", cmd)
	case f.target.URL == "":
		return nil, nil, usageError("%s: --target is required (the origin's https:// URL)", cmd)
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

// poolDefaults are the pool settings for flags not given: the CDN's, with
// the distribution's origin settings over them (after resolve).
func (f *targetFlags) poolDefaults() cdn.Settings {
	return f.target.CDN.Defaults(f.target.Distribution)
}

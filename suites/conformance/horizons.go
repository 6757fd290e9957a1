package conformance

import (
	"bytes"
	"crypto/x509"
	"fmt"
	"sort"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/originproof/originproof/checks"
)

var _ = Describe("revocation horizon", Label("revocation"), func() {
	// SHOULD: every CRL the origin is given stays valid for the horizon: with
	// a CRL for every CA (crl_check_all) one stale CRL locks everyone out.
	It("revocation.crl-horizon", func() {
		start := time.Now()
		crls := current.cfg.PKI.CRLs()
		if len(crls) == 0 {
			finish("revocation.crl-horizon", skipOutcome("the PKI has no CRLs"), start)
			return
		}
		finish("revocation.crl-horizon", crlHorizon(crls, time.Now()), start)
	})
})

// crlHorizon judges the CRLs' nextUpdate against the horizon.
func crlHorizon(crls []*x509.RevocationList, now time.Time) outcome {
	sorted := append([]*x509.RevocationList(nil), crls...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].NextUpdate.Before(sorted[j].NextUpdate) })
	var short []string
	for _, l := range sorted {
		if l.NextUpdate.IsZero() {
			continue // no nextUpdate: it never goes stale
		}
		if left := l.NextUpdate.Sub(now); left < expiryHorizon {
			short = append(short, fmt.Sprintf("%s (nextUpdate %s)", l.Issuer.CommonName, l.NextUpdate.UTC().Format(time.RFC3339)))
		}
	}
	first := sorted[0]
	o := outcome{observed: fmt.Sprintf("%d CRLs; the first to go stale: %s's, nextUpdate %s (in %d days)", len(crls), first.Issuer.CommonName,
		first.NextUpdate.UTC().Format("2006-01-02"), int(first.NextUpdate.Sub(now).Hours()/24)), layer: checks.LayerNone}
	if first.NextUpdate.IsZero() {
		o.observed = fmt.Sprintf("%d CRLs, none with a nextUpdate", len(crls))
	}
	if len(short) > 0 {
		o.finding = true
		o.observed = fmt.Sprintf("%d of %d CRLs go stale within %d days: %s", len(short), len(crls), int(expiryHorizon.Hours()/24), strings.Join(short, ", "))
		o.detail = "with a CRL for every CA in the chain (OpenSSL crl_check_all: nginx ssl_crl, HAProxy crl-file) a stale CRL refuses every client, CloudFront included"
	}
	return o
}

// chainExpiry judges the CAs above the CloudFront certificate: the chain
// given with it, and the root of the PKI's bundle that issued its top.
func chainExpiry(leaf *x509.Certificate, chain, roots []*x509.Certificate) outcome {
	cas := append([]*x509.Certificate(nil), chain...)
	top := leaf
	if len(chain) > 0 {
		top = chain[len(chain)-1]
	}
	if !bytes.Equal(top.RawIssuer, top.RawSubject) {
		for _, r := range roots {
			if bytes.Equal(top.RawIssuer, r.RawSubject) && top.CheckSignatureFrom(r) == nil {
				cas = append(cas, r)
				break
			}
		}
	}
	if len(cas) == 0 {
		return skipOutcome("no chain given with the certificate (--cloudfront-chain) and no root of the PKI's bundle issued it")
	}
	first := cas[0]
	for _, c := range cas[1:] {
		if c.NotAfter.Before(first.NotAfter) {
			first = c
		}
	}
	o := expiryOutcome(first, fmt.Sprintf("%q", first.Subject.CommonName))
	o.detail = fmt.Sprintf("%d CA certificate(s) above the leaf checked; the whole chain fails when one of them expires", len(cas))
	return o
}

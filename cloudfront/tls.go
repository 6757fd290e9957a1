package cloudfront

import (
	"crypto/tls"
	"fmt"
	"sort"
	"strings"
)

// CipherSuite is one TLS 1.2 suite of CloudFront's documented list towards
// origins (DocOriginCiphers), by its OpenSSL name, with Go's identifier when
// Go implements it (0 when it does not).
type CipherSuite struct {
	OpenSSL string
	ID      uint16
	// ECDHE: forward-secret key exchange (the suites CloudFront prefers);
	// the others use RSA key exchange and are listed by AWS as legacy.
	ECDHE bool
}

// TLS12Suites is CloudFront's documented TLS 1.2 (and earlier) cipher list
// towards origins, in AWS's order (DocOriginCiphers).
var TLS12Suites = []CipherSuite{
	{"ECDHE-RSA-AES128-GCM-SHA256", tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, true},
	{"ECDHE-ECDSA-AES128-GCM-SHA256", tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, true},
	{"ECDHE-RSA-AES256-GCM-SHA384", tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, true},
	{"ECDHE-ECDSA-AES256-GCM-SHA384", tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, true},
	{"ECDHE-RSA-AES128-SHA256", tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256, true},
	{"ECDHE-ECDSA-AES128-SHA256", tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, true},
	{"ECDHE-RSA-AES256-SHA384", 0, true},   // not implemented by Go
	{"ECDHE-ECDSA-AES256-SHA384", 0, true}, // not implemented by Go
	{"ECDHE-RSA-AES128-SHA", tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, true},
	{"ECDHE-ECDSA-AES128-SHA", tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, true},
	{"ECDHE-RSA-AES256-SHA", tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, true},
	{"ECDHE-ECDSA-AES256-SHA", tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, true},
	{"AES128-SHA", tls.TLS_RSA_WITH_AES_128_CBC_SHA, false},
	{"AES256-SHA", tls.TLS_RSA_WITH_AES_256_CBC_SHA, false},
	{"DES-CBC3-SHA", tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA, false},
	{"RC4-MD5", 0, false}, // not implemented by Go
}

// TLS12Offer is the TLS 1.2 offer the load generator makes, as CloudFront
// does to an origin that speaks TLS 1.2: the documented ECDHE suites Go
// implements. (TLS 1.3 is offered beside it with Go's TLS 1.3 suites.)
var TLS12Offer = suiteIDs(func(s CipherSuite) bool { return s.ECDHE })

// TLS12Compatible is the set an origin must be compatible with: every
// documented suite Go implements, legacy RSA key exchange included. The
// compatibility check offers all of them and passes when the origin picks
// any one.
var TLS12Compatible = suiteIDs(func(CipherSuite) bool { return true })

func suiteIDs(keep func(CipherSuite) bool) []uint16 {
	var out []uint16
	for _, s := range TLS12Suites {
		if s.ID != 0 && keep(s) {
			out = append(out, s.ID)
		}
	}
	return out
}

// Curves are the key-exchange groups CloudFront offers origins (P-256,
// P-384, X25519; no post-quantum hybrid), in the generator's preference order.
var Curves = []tls.CurveID{tls.X25519, tls.CurveP256, tls.CurveP384}

// OfferedVersions are the TLS versions the generator offers: TLS 1.2, which
// every origin behind CloudFront must speak (TLS 1.3 is not in AWS's origin
// cipher table), and TLS 1.3, which CloudFront negotiates when the origin
// prefers it.
var OfferedVersions = []uint16{tls.VersionTLS12, tls.VersionTLS13}

// OriginSSLProtocols maps the values of a distribution's
// CustomOriginConfig.OriginSslProtocols to TLS versions (DocCustomOriginConfigAPI).
var OriginSSLProtocols = map[string]uint16{
	"SSLv3":   tls.VersionSSL30, //nolint:staticcheck // named by the API, never offered here
	"TLSv1":   tls.VersionTLS10,
	"TLSv1.1": tls.VersionTLS11,
	"TLSv1.2": tls.VersionTLS12,
}

// ParseOriginSSLProtocol returns the TLS version of an OriginSslProtocols value.
func ParseOriginSSLProtocol(name string) (uint16, error) {
	if v, ok := OriginSSLProtocols[name]; ok {
		return v, nil
	}
	names := make([]string, 0, len(OriginSSLProtocols))
	for n := range OriginSSLProtocols {
		names = append(names, n)
	}
	sort.Strings(names)
	return 0, fmt.Errorf("%q is not an OriginSslProtocols value (%s)", name, strings.Join(names, ", "))
}

// SuiteNames are Go's names for suite ids (for reports and run.json).
func SuiteNames(ids []uint16) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = tls.CipherSuiteName(id)
	}
	return out
}

// CurveNames are the names of curves (for reports and run.json).
func CurveNames(curves []tls.CurveID) []string {
	out := make([]string, len(curves))
	for i, c := range curves {
		out[i] = c.String()
	}
	return out
}

// VersionNames are "TLS 1.2"-style names of versions.
func VersionNames(vs []uint16) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = tls.VersionName(v)
	}
	return out
}

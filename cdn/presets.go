package cdn

import (
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/originproof/originproof/cloudfront"
)

// Documentation the presets cite (each CDN's own).
const (
	DocCloudflareAOP          = "https://developers.cloudflare.com/ssl/origin-configuration/authenticated-origin-pull/"
	DocCloudflareAOPGlobal    = "https://developers.cloudflare.com/ssl/origin-configuration/authenticated-origin-pull/set-up/global/"
	DocCloudflareLimits       = "https://developers.cloudflare.com/fundamentals/reference/connection-limits/"
	DocCloudflareHeaders      = "https://developers.cloudflare.com/fundamentals/reference/http-headers/"
	DocAkamaiKeystore         = "https://techdocs.akamai.com/mtls-origin-keystore/docs/key-concepts-and-terms"
	DocAkamaiKeystoreAPI      = "https://techdocs.akamai.com/mtls-origin-keystore/reference/client-certificates"
	DocAkamaiPersistent       = "https://techdocs.akamai.com/property-mgr/docs/persistent-connections-edge-to-origin"
	DocFastlyOriginMTLS       = "https://www.fastly.com/documentation/solutions/examples/origin-mtls"
	DocFastlyBackendAPI       = "https://www.fastly.com/documentation/reference/api/services/backend"
	DocFastlyKeepalive        = "https://www.fastly.com/documentation/guides/concepts/keep-alive"
	DocFastlyFirstByte        = "https://www.fastly.com/documentation/reference/vcl/variables/backend-connection/bereq-first-byte-timeout"
	DocFastlyHeaders          = "https://www.fastly.com/documentation/reference/http/http-headers/"
	DocGoogleBackendMTLS      = "https://cloud.google.com/load-balancing/docs/backend-authenticated-tls-backend-mtls"
	DocGoogleRequestDist      = "https://cloud.google.com/load-balancing/docs/https/request-distribution"
	DocGoogleBackendService   = "https://cloud.google.com/load-balancing/docs/backend-service"
	DocAzureFrontDoorEndToEnd = "https://learn.microsoft.com/en-us/azure/frontdoor/end-to-end-tls"
)

// bound is originproof's own upper bound for a setting a CDN documents no
// range for: every run stays finite.
const bound = time.Hour

// documentedViewer is the viewer address the presets put in the headers
// that carry one: 192.0.2.1, from TEST-NET-1 (RFC 5737), reserved for
// documentation, so it is never a real client.
const documentedViewer = "192.0.2.1"

// CloudFront is Amazon CloudFront's origin mTLS, every value from package
// cloudfront.
var CloudFront = register(&Preset{
	Name: "cloudfront", Title: "Amazon CloudFront", Feature: "mutual TLS (origin), OriginMtlsConfig", Source: cloudfront.DocOriginMTLS,
	Pool: Pool{
		Keepalive:       Duration{cloudfront.KeepaliveTimeout, "CloudFront allows", cloudfront.DocOriginSettings},
		ReadTimeout:     Duration{cloudfront.ReadTimeout, "CloudFront allows", cloudfront.DocOriginSettings},
		ConnectTimeout:  Duration{cloudfront.ConnectionTimeout, "CloudFront allows", cloudfront.DocOriginSettings},
		ConnectAttempts: Count{cloudfront.ConnectionAttempts, "CloudFront allows", cloudfront.DocOriginSettings, ""},
		MaxConns:        perEdge,
	},
	Headers: Headers{
		NewEdgeID: cloudfront.NewEdgeID,
		Fixed: func(edge string) []Field {
			return []Field{{cloudfront.HeaderUserAgent, cloudfront.UserAgent}, {cloudfront.HeaderVia, cloudfront.Via(edge)}}
		},
		RequestID: cloudfront.HeaderRequestID, NewRequestID: func(string) string { return cloudfront.NewRequestID() },
		IsGenerated: cloudfront.IsGeneratedHeader, Source: cloudfront.DocCustomOriginBehavior,
	},
	Certificate: CertRules{
		Problems: cloudfront.CertificateProblems,
		Rules:    "RSA 2048 or ECDSA P-256, SHA-256/384/512 signatures, clientAuth EKU, X.509 v3, chain depth <= 3, ACM's size limits",
		Source:   cloudfront.DocOriginMTLSCertificates,
	},
})

// Cloudflare is Authenticated Origin Pulls: global (a certificate
// Cloudflare shares across all accounts), zone-level or per-hostname (the
// customer's own certificate, uploaded with its key).
var Cloudflare = register(&Preset{
	Name: "cloudflare", Title: "Cloudflare", Feature: "Authenticated Origin Pulls (global, zone-level, per-hostname)", Source: DocCloudflareAOP,
	Pool: Pool{
		// "Proxy Idle Timeout 900 s" between Cloudflare and the origin;
		// Cloudflare reuses idle connections up to it.
		Keepalive: other("Cloudflare", "proxy idle timeout", 900*time.Second, DocCloudflareLimits, "Enterprise plans can have it changed"),
		// "Proxy Read Timeout 120 s (524)", configurable for Enterprise.
		ReadTimeout: other("Cloudflare", "proxy read timeout", 120*time.Second, DocCloudflareLimits, "Enterprise plans can change it"),
		// "Complete TCP Connection 19 s (522)".
		ConnectTimeout:  other("Cloudflare", "TCP connection timeout", 19*time.Second, DocCloudflareLimits, ""),
		ConnectAttempts: unconfirmedCount("Cloudflare", "connection attempts", 1),
		MaxConns:        perEdge,
	},
	Headers: Headers{
		NewEdgeID: func() string { return colos[rand.IntN(len(colos))] },
		Fixed: func(string) []Field {
			return []Field{{"CDN-Loop", "cloudflare"}, {"CF-Connecting-IP", documentedViewer}, {"X-Forwarded-For", documentedViewer},
				{"X-Forwarded-Proto", "https"}, {"CF-Visitor", `{"scheme":"https"}`}}
		},
		// CF-Ray: 16 hex digits, a dash and the data centre.
		RequestID: "CF-Ray", NewRequestID: func(edge string) string { return randomHex(8) + "-" + edge },
		Source: DocCloudflareHeaders,
	},
	Certificate: CertRules{
		Unconfirmed: "Cloudflare's documentation states no key type, signature or extended key usage rules for the certificates uploaded for zone-level or per-hostname Authenticated Origin Pulls: none is checked",
		Source:      DocCloudflareAOP,
	},
	Shared: &SharedCertificate{
		Name: "the global Authenticated Origin Pulls certificate",
		// The CA Cloudflare publishes for global AOP ("origin-pull-ca.pem").
		Issuer: pkix.Name{CommonName: "origin-pull.cloudflare.net", Organization: []string{"CloudFlare, Inc."}, OrganizationalUnit: []string{"Origin Pull"},
			Country: []string{"US"}, Province: []string{"California"}, Locality: []string{"San Francisco"}},
		Fix:    "switch to zone-level or per-hostname Authenticated Origin Pulls with your own certificate and trust only its CA, or pin the certificate (its SAN or fingerprint) at the origin",
		Source: DocCloudflareAOPGlobal,
	},
})

// colos are data centre codes for Cloudflare edges' CF-Ray.
var colos = []string{"AMS", "FRA", "IAD", "LHR", "NRT", "SIN", "SJC", "SYD"}

// Akamai is the mTLS origin keystore with the "mTLS Edge Server to Origin"
// behaviour: Akamai-signed (an account CA, leaves rotated automatically) or
// third-party signed client certificates.
var Akamai = register(&Preset{
	Name: "akamai", Title: "Akamai", Feature: "mTLS Origin Keystore (mTLS Edge Server to Origin)", Source: DocAkamaiKeystore,
	Pool: Pool{
		// "Akamai will end an idle connection after 5 minutes".
		Keepalive:       other("Akamai", "persistent connection timeout", 5*time.Minute, DocAkamaiPersistent, "Akamai Professional Services can change it"),
		ReadTimeout:     unconfirmed("Akamai", "origin read timeout", 120*time.Second),
		ConnectTimeout:  unconfirmed("Akamai", "connection timeout", 10*time.Second),
		ConnectAttempts: unconfirmedCount("Akamai", "connection attempts", 1),
		MaxConns:        perEdge,
	},
	Headers: Headers{Note: "the request headers Akamai edge servers add were not confirmed from Akamai's documentation: the preset adds none"},
	Certificate: CertRules{
		Problems:    keyAndHash([]x509.PublicKeyAlgorithm{x509.RSA, x509.ECDSA}, false),
		Rules:       "an RSA or ECDSA key",
		Unconfirmed: "Akamai's documentation names the key algorithm (RSA or ECDSA) but no key size, signature or extended key usage rule",
		Source:      DocAkamaiKeystoreAPI,
	},
})

// Fastly is a backend's client certificate (ssl_client_cert and
// ssl_client_key; on Compute, dynamic backends only).
var Fastly = register(&Preset{
	Name: "fastly", Title: "Fastly", Feature: "backend client certificate (ssl_client_cert, ssl_client_key)", Source: DocFastlyOriginMTLS,
	Pool: Pool{
		// keepalive_time unset: "Fastly keeps connections open as long as possible".
		Keepalive: unconfirmed("Fastly", "keep-alive (keepalive_time)", 60*time.Second),
		// bereq.first_byte_timeout: 15 s by default, 0-600 s.
		ReadTimeout:     other("Fastly", "first byte timeout", 15*time.Second, DocFastlyFirstByte, "Fastly allows 0-600s"),
		ConnectTimeout:  unconfirmed("Fastly", "connect timeout", time.Second),
		ConnectAttempts: unconfirmedCount("Fastly", "connection attempts", 1),
		MaxConns: Count{cloudfront.IntRange{Name: "connections per edge (max_conn)", Default: 200, Min: 1, Max: 100000}, "the Fastly preset takes", "",
			"200 is not confirmed from Fastly's documentation: set your backend's max_conn"},
	},
	Headers: Headers{
		Fixed: func(string) []Field {
			return []Field{{"CDN-Loop", "Fastly"}, {"Fastly-Client-IP", documentedViewer}, {"X-Forwarded-For", documentedViewer}}
		},
		// X-Varnish: the Varnish transaction id of the request.
		RequestID: "X-Varnish", NewRequestID: func(string) string { return strconv.FormatUint(uint64(rand.Uint32()), 10) },
		Source: DocFastlyHeaders,
	},
	Certificate: CertRules{
		Unconfirmed: "Fastly's documentation states no key type, signature or extended key usage rule for ssl_client_cert: none is checked",
		Source:      DocFastlyBackendAPI,
	},
})

// Google is backend mTLS of the global external Application Load Balancer
// (the load balancer Cloud CDN runs on): a Certificate Manager certificate
// with the client-auth scope in a backend authentication config.
var Google = register(&Preset{
	Name: "google", Title: "Google Cloud (external Application Load Balancer, Cloud CDN)", Feature: "backend mTLS (backend authentication config)", Source: DocGoogleBackendMTLS,
	Pool: Pool{
		// "the default backend keepalive timeout is 600 seconds ... fixed".
		Keepalive: other("Google Cloud", "backend keep-alive timeout", 600*time.Second, DocGoogleRequestDist, "fixed: the load balancer does not let it change"),
		// The backend service timeout: 30 s by default.
		ReadTimeout:     other("Google Cloud", "backend service timeout", 30*time.Second, DocGoogleBackendService, ""),
		ConnectTimeout:  unconfirmed("Google Cloud", "connection timeout", 10*time.Second),
		ConnectAttempts: unconfirmedCount("Google Cloud", "connection attempts", 1),
		MaxConns:        perEdge,
	},
	Headers: Headers{Note: "the load balancer adds default request headers, but the list was not confirmed from Google Cloud's documentation: the preset adds none"},
	Certificate: CertRules{
		Problems:    keyAndHash([]x509.PublicKeyAlgorithm{x509.RSA, x509.ECDSA}, true),
		Rules:       "an RSA or ECDSA key and a SHA-256 or stronger signature (no MD4, MD5 or SHA-1)",
		Unconfirmed: "Google Cloud's documentation states no key size or extended key usage rule (the certificate's Certificate Manager scope is client-auth)",
		Source:      DocGoogleBackendMTLS,
	},
})

// NoOriginCertificate are CDNs asked about that document no client
// certificate towards origins, with what their documentation says.
var NoOriginCertificate = map[string]string{
	"azure-front-door": "Azure Front Door documents no client certificate towards origins (its mutual TLS is between viewers and Front Door; towards the origin it re-encrypts with TLS only): there is no origin mTLS to certify (see docs/cdns.md, " + DocAzureFrontDoorEndToEnd + ")",
}

// other is a documented setting of a CDN other than CloudFront: its default
// from the documentation at source, within originproof's bound.
func other(cdn, name string, def time.Duration, source, note string) Duration {
	return Duration{DurationRange: cloudfront.DurationRange{Name: name, Default: def, Min: time.Second, Max: max(def, bound), Note: note},
		Allows: "the " + cdn + " preset takes", Source: source}
}

// unconfirmed is a setting the CDN's documentation does not confirm: def is
// an assumption, and the note says so.
func unconfirmed(cdn, name string, def time.Duration) Duration {
	return other(cdn, name, def, "", fmt.Sprintf("%v is assumed, not confirmed from %s's documentation: set your own value", def, cdn))
}

func unconfirmedCount(cdn, name string, def int) Count {
	return Count{cloudfront.IntRange{Name: name, Default: def, Min: 1, Max: 3}, "the " + cdn + " preset takes", "",
		fmt.Sprintf("%d is assumed, not confirmed from %s's documentation", def, cdn)}
}

// perEdge is the connections per edge of a CDN that documents none: the
// pool model's default applies.
var perEdge = Count{IntRange: cloudfront.IntRange{Name: "connections per edge"}}

func randomHex(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rand.Uint32())
	}
	return hex.EncodeToString(b)
}

// weakHashes are signature algorithms a "SHA-256 or stronger" rule refuses.
var weakHashes = []x509.SignatureAlgorithm{x509.MD2WithRSA, x509.MD5WithRSA, x509.SHA1WithRSA, x509.DSAWithSHA1, x509.ECDSAWithSHA1}

// keyAndHash checks the key algorithm and, with strongHash, that the
// signature uses SHA-256 or stronger.
func keyAndHash(algs []x509.PublicKeyAlgorithm, strongHash bool) func(*x509.Certificate, []*x509.Certificate, crypto.PrivateKey) []string {
	return func(leaf *x509.Certificate, _ []*x509.Certificate, _ crypto.PrivateKey) []string {
		var out []string
		if !slices.Contains(algs, leaf.PublicKeyAlgorithm) {
			want := make([]string, len(algs))
			for i, a := range algs {
				want[i] = a.String()
			}
			out = append(out, fmt.Sprintf("%s key (want %s)", cloudfront.DescribeKey(leaf.PublicKey), strings.Join(want, " or ")))
		}
		if strongHash && slices.Contains(weakHashes, leaf.SignatureAlgorithm) {
			out = append(out, leaf.SignatureAlgorithm.String()+" signature (want SHA-256 or stronger)")
		}
		return out
	}
}

package checks

import (
	"fmt"
	"strings"
)

// Server is an origin server program docs/origins.md has a recipe for.
type Server string

// The servers with a recipe, in the order docs/origins.md gives them.
const (
	Nginx   Server = "nginx"
	HAProxy Server = "haproxy"
	Apache  Server = "apache"
	Caddy   Server = "caddy"
)

// Servers lists the servers with a recipe.
var Servers = []Server{Nginx, HAProxy, Apache, Caddy}

// serverAliases are other names the same programs go by.
var serverAliases = map[string]Server{"apache2": Apache, "httpd": Apache}

// ParseServer reads a server name as --server and the scenario's
// target.server take it (case-insensitive; apache2 and httpd are apache).
func ParseServer(name string) (Server, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	for _, s := range Servers {
		if n == string(s) {
			return s, nil
		}
	}
	if s, ok := serverAliases[n]; ok {
		return s, nil
	}
	names := make([]string, len(Servers))
	for i, s := range Servers {
		names[i] = string(s)
	}
	return "", fmt.Errorf("%q is not a server with a recipe (want %s)", name, strings.Join(names, ", "))
}

// GuessServer names the server a Server response header comes from, by
// its product token: "nginx/1.22.1" is nginx, "Apache/2.4.57 (Debian)" is
// apache, "Caddy" is caddy. False when the header names none of Servers
// (HAProxy sends none of its own).
func GuessServer(header string) (Server, bool) {
	product, _, _ := strings.Cut(strings.TrimSpace(header), "/")
	product, _, _ = strings.Cut(product, " ")
	s, err := ParseServer(product)
	return s, err == nil && product != ""
}

// ServerFix is what one server's recipe in docs/origins.md sets for a
// check: the directives, copied from the recipe (a test keeps them equal),
// and a note on where they go or why. A server that has no setting for
// the check has an empty Setting and a Note saying what to do instead.
type ServerFix struct {
	Server  Server
	Check   string
	Setting string
	Note    string
}

// FixFor is server's fix for the check id, if its recipe has one.
func FixFor(server Server, id string) (ServerFix, bool) {
	for _, f := range serverFixes {
		if f.Server == server && f.Check == id {
			return f, true
		}
	}
	return ServerFix{}, false
}

// ServerFixes are every server's fixes for the check id, in Servers order.
func ServerFixes(id string) []ServerFix {
	var out []ServerFix
	for _, s := range Servers {
		if f, ok := FixFor(s, id); ok {
			out = append(out, f)
		}
	}
	return out
}

// AllServerFixes lists every fix (for tests and documentation).
func AllServerFixes() []ServerFix { return append([]ServerFix(nil), serverFixes...) }

// recipe is one setting of a server's recipe and the checks it fixes.
type recipe struct {
	checks  []string
	setting string
	note    string
}

// Check ids the recipes share settings for.
var (
	fixVerify = []string{"chain.intermediate-not-ca", "chain.name-constraints", "chain.pathlen-exceeded", "validity.expired",
		"validity.not-yet-valid", "validity.intermediate-expired", "usage.server-auth-only", "usage.unknown-critical-extension"}
	fixTrust     = []string{"chain.untrusted-root", "chain.self-signed", "chain.impostor-ca"}
	fixRotation  = []string{"rotation.current-accepted", "rotation.next-accepted", "rotation.under-load"}
	fixKeepalive = []string{"keepalive.persistent", "keepalive.idle-compatible"}
	fixProtocol  = []string{"protocol.legacy-refused", "protocol.cloudfront-compatible"}
	fixStrength  = []string{"strength.rsa-1024", "strength.sha1-signature"}
	fixUsage     = []string{"usage.no-eku", "usage.leaf-is-ca"}
	fixChain     = []string{"chain.intermediate-no-basic-constraints", "usage.intermediate-eku", "validity.root-expired"}
	fixIdentity  = []string{"identity.wrong-identity", "identity.lookalike-der-in-subject", "identity.lookalike-dn-comma", "identity.lookalike-multi-value-rdn",
		"identity.lookalike-uri-san", "identity.lookalike-email-san", "identity.lookalike-suffix", "identity.lookalike-prefix"}
)

func ids(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

const (
	rootsOnly     = "the roots only: CloudFront sends its leaf and intermediate"
	bothRoots     = "both roots, current and next, for the whole overlap"
	nextRootOnly  = "only the next root once the rotation is done"
	longerIdle    = "longer than CloudFront's origin keep-alive (5 s by default, up to 180 s)"
	noSecLevel0   = "and no @SECLEVEL=0 in the cipher list: it also admits RSA-1024 client keys and SHA-1 signatures"
	noOpenSSLFix  = "OpenSSL has no setting against it: the defence is a CA that does not issue such certificates (a should: it warns)"
	wholeDN       = "with your CloudFront certificate's subject: no SAN variable in this version, so the whole subject DN, compared exactly; a certificate the CA issues to someone else with the same subject would pass, so let the CA issue that subject to CloudFront's certificate only"
	issuerPin     = "the intermediates that issue the CloudFront certificate, by name: Go accepts RSA-1024 and revoked intermediates, so any other CA under the roots gets 403"
	fullChainNote = "the file holds the leaf, then the intermediate"
)

// recipes are the settings of each server's recipe in docs/origins.md,
// with the checks each one makes pass.
var recipes = map[Server][]recipe{
	Nginx: {
		{[]string{"client-auth.required"}, "ssl_verify_client on;", "not optional or optional_no_ca: nginx then answers a request without a certificate with 400"},
		{[]string{"client-auth.in-initial-handshake"}, "ssl_verify_client on;", "in the server block: nginx asks for the certificate in the initial handshake"},
		{[]string{"chain.valid", "cloudfront-cert.accepted"}, "ssl_client_certificate /etc/origin/client-ca-bundle.pem;\nssl_verify_depth 1;", rootsOnly + "; OpenSSL does not count the trust anchor: depth 1 = leaf + one intermediate"},
		{fixTrust, "ssl_verify_client on;\nssl_client_certificate /etc/origin/client-ca-bundle.pem;\nssl_crl /etc/origin/client-crl.pem;", "with optional_no_ca and no ssl_crl nginx serves chains from unknown CAs"},
		{fixVerify, "ssl_verify_client on;", "verification on: OpenSSL refuses the chain and nginx answers 400"},
		{[]string{"chain.missing-intermediate"}, "ssl_client_certificate /etc/origin/client-ca-bundle.pem;", rootsOnly + "; never the intermediate"},
		{[]string{"chain.too-deep"}, "ssl_verify_depth 1;", "OpenSSL does not count the trust anchor: depth 1 = leaf + one intermediate"},
		{fixStrength, "ssl_protocols TLSv1.2 TLSv1.3;", noSecLevel0},
		{fixProtocol, "ssl_protocols TLSv1.2 TLSv1.3;", "TLS 1.2 and 1.3, nothing older"},
		{fixIdentity, "if ($ssl_client_s_dn != \"CN=cloudfront-client.originproof.test,O=originproof test PKI\") {\nreturn 403;", wholeDN},
		{[]string{"revocation.revoked-leaf", "revocation.revoked-intermediate"}, "ssl_crl /etc/origin/client-crl.pem;", "one CRL for every CA of every trusted chain, kept fresh: nginx checks the whole chain"},
		{[]string{"strength.rsa-1024-intermediate"}, "ssl_protocols TLSv1.2 TLSv1.3;", noSecLevel0},
		{[]string{"resumption.after-expiry"}, "ssl_session_cache off;\nssl_session_tickets off;", "a resumed session keeps the verify result of its full handshake"},
		{fixKeepalive, "keepalive_timeout 65s;", longerIdle},
		{[]string{"server-cert.complete-chain"}, "ssl_certificate     /etc/origin/server.crt;", fullChainNote},
		{fixRotation, "ssl_client_certificate /etc/origin/client-ca-bundle.pem;", bothRoots},
		{[]string{"rotation.retired-rejected"}, "ssl_client_certificate /etc/origin/client-ca-bundle.pem;", nextRootOnly},
		{fixUsage, "", noOpenSSLFix},
	},
	HAProxy: {
		{[]string{"client-auth.required", "client-auth.in-initial-handshake"}, "verify required", "on the bind line"},
		{[]string{"chain.valid", "cloudfront-cert.accepted", "chain.missing-intermediate"}, "ca-file /etc/origin/client-ca-bundle.pem", rootsOnly + " (on the bind line)"},
		{ids(fixTrust, fixVerify, fixChain, []string{"usage.ku-no-digital-signature"}), "ca-file /etc/origin/client-ca-bundle.pem verify required", "on the bind line, without crt-ignore-err or ca-ignore-err: they let any chain through"},
		{[]string{"chain.too-deep"}, "", "HAProxy 2.6 has no verify-depth setting (OpenSSL's default of 100): the warning stays"},
		{ids(fixStrength, []string{"strength.rsa-1024-intermediate"}), "ssl-min-ver TLSv1.2 ssl-max-ver TLSv1.3", noSecLevel0 + "; and no crt-ignore-err or ca-ignore-err"},
		{fixProtocol, "ssl-min-ver TLSv1.2 ssl-max-ver TLSv1.3", "on the bind line"},
		{fixIdentity, "http-request deny status 403 unless { ssl_c_s_dn(,0,rfc2253) -m str \"CN=cloudfront-client.originproof.test,O=originproof test PKI\" }",
			wholeDN + " (never a substring of the certificate's DER: a subject attribute can carry the SAN's bytes)"},
		{[]string{"revocation.revoked-leaf", "revocation.revoked-intermediate"}, "crl-file /etc/origin/client-crl.pem", "on the bind line: one CRL for every CA of every trusted chain"},
		{[]string{"resumption.after-expiry"}, "tune.ssl.cachesize 0\nno-tls-tickets", "no session cache (global) and no tickets (on the bind line)"},
		{fixKeepalive, "timeout http-keep-alive 65s", longerIdle},
		{[]string{"server-cert.complete-chain"}, "crt /etc/origin/server.pem", "the leaf, the intermediate and the key in one file"},
		{fixRotation, "ca-file /etc/origin/client-ca-bundle.pem", bothRoots},
		{[]string{"rotation.retired-rejected"}, "ca-file /etc/origin/client-ca-bundle.pem", nextRootOnly},
		{fixUsage, "", noOpenSSLFix},
	},
	Apache: {
		{[]string{"client-auth.required"}, "SSLVerifyClient require", "not optional_no_ca"},
		{[]string{"client-auth.in-initial-handshake"}, "SSLVerifyClient require", "in the <VirtualHost>, not inside <Location> or <Directory>: per-directory client auth asks after the request (renegotiation or post-handshake auth), which CloudFront never answers"},
		{[]string{"chain.valid", "cloudfront-cert.accepted"}, "SSLCACertificateFile /etc/origin/client-ca-bundle.pem\nSSLVerifyDepth 2", rootsOnly + "; mod_ssl counts the root: depth 2 = leaf, intermediate, root"},
		{fixTrust, "SSLVerifyClient require\nSSLCACertificateFile /etc/origin/client-ca-bundle.pem\nSSLCARevocationFile /etc/origin/client-crl.pem\nSSLCARevocationCheck chain", "with optional_no_ca and no CRL Apache serves chains from unknown CAs"},
		{fixVerify, "SSLVerifyClient require", "verification on: mod_ssl refuses the chain with a TLS alert"},
		{[]string{"chain.missing-intermediate"}, "SSLCACertificateFile /etc/origin/client-ca-bundle.pem", rootsOnly + "; never the intermediate"},
		{[]string{"chain.too-deep"}, "SSLVerifyDepth 2", "mod_ssl counts the root: depth 2 = leaf, intermediate, root"},
		{ids(fixStrength, []string{"strength.rsa-1024-intermediate"}), "SSLProtocol -all +TLSv1.2 +TLSv1.3", noSecLevel0},
		{fixProtocol, "SSLProtocol -all +TLSv1.2 +TLSv1.3", "TLS 1.2 and 1.3, nothing older"},
		{fixIdentity, `Require expr "%{SSL_CLIENT_SAN_DNS_0} == 'cloudfront-client.originproof.test'"`, "in the <Directory> of the protected content, with your CloudFront identity: the first DNS SAN, compared exactly"},
		{[]string{"revocation.revoked-leaf", "revocation.revoked-intermediate"}, "SSLCARevocationFile /etc/origin/client-crl.pem\nSSLCARevocationCheck chain", "one CRL for every CA of every trusted chain, kept fresh; chain, not leaf: leaf lets a revoked intermediate through"},
		{[]string{"resumption.after-expiry"}, "SSLSessionCache none\nSSLSessionTickets off", "a resumed session keeps the verify result of its full handshake"},
		{fixKeepalive, "KeepAlive On\nKeepAliveTimeout 65", longerIdle},
		{[]string{"server-cert.complete-chain"}, "SSLCertificateFile /etc/origin/server.crt", fullChainNote},
		{fixRotation, "SSLCACertificateFile /etc/origin/client-ca-bundle.pem", bothRoots},
		{[]string{"rotation.retired-rejected"}, "SSLCACertificateFile /etc/origin/client-ca-bundle.pem", nextRootOnly},
		{fixUsage, "", noOpenSSLFix},
	},
	Caddy: {
		{[]string{"client-auth.required", "client-auth.in-initial-handshake"}, "mode require_and_verify", "in the site's tls { client_auth { … } } block; verify_if_given serves clients without a certificate"},
		{[]string{"chain.valid", "cloudfront-cert.accepted", "chain.missing-intermediate"}, "trusted_ca_cert_file /etc/origin/client-ca-current.pem\ntrusted_ca_cert_file /etc/origin/client-ca-next.pem",
			rootsOnly + "; one line per root: Caddy 2.6 reads one certificate per file"},
		{ids(fixTrust, fixVerify, fixChain, []string{"strength.sha1-signature"}), "mode require_and_verify", "mode require demands a certificate but does not verify it"},
		{[]string{"chain.too-deep"}, "", "Go enforces no chain depth and Caddy has no setting for it: the warning stays"},
		{[]string{"strength.rsa-1024"}, `@weakKey expression {http.request.tls.client.certificate_der_base64}.matches('MIGfMA0GCSqGSIb3DQEBAQUAA4GNA|CBnzANBgkqhkiG9w0BAQEFAAOBjQ|wgZ8wDQYJKoZIhvcNAQEBBQADgY0A')` + "\n" + `respond @weakKey "forbidden" 403`,
			"Go accepts RSA-1024 client keys and Caddy has no setting against them: refuse such leaves at the HTTP layer"},
		{fixProtocol, "protocols tls1.2 tls1.3", "in the site's tls block"},
		{fixIdentity, `@wrongIdentity not expression {http.request.tls.client.san.dns_names.0} == 'cloudfront-client.originproof.test'` + "\n" + `respond @wrongIdentity "forbidden" 403`,
			"with your CloudFront identity: the first DNS SAN, compared exactly"},
		{[]string{"strength.rsa-1024-intermediate", "revocation.revoked-intermediate"}, `@otherIssuer not expression {http.request.tls.client.issuer} == 'CN=originproof client intermediate CA (current),O=originproof test PKI' || {http.request.tls.client.issuer} == 'CN=originproof client intermediate CA (next),O=originproof test PKI'` + "\n" + `respond @otherIssuer "forbidden" 403`,
			issuerPin + "; list your intermediates, and update the list when they rotate"},
		{[]string{"usage.ku-no-digital-signature"}, "", "Go ignores KeyUsage and Caddy has no setting for it: the defence is a CA that does not issue such leaves (a should: it warns)"},
		{[]string{"revocation.revoked-leaf"}, "", "Caddy 2.6 checks no CRL or OCSP for client certificates: revoke by removing the CA or by re-issuing under a new intermediate"},
		{[]string{"resumption.after-expiry"}, "mode require_and_verify", "Caddy's session tickets are safe once chains are verified: an expired chain is refused before any session exists"},
		{fixKeepalive, "idle 65s", "in the global servers { timeouts { … } } block; " + longerIdle},
		{[]string{"server-cert.complete-chain"}, "tls /etc/origin/server.crt /etc/origin/server.key {", fullChainNote},
		{fixRotation, "trusted_ca_cert_file /etc/origin/client-ca-current.pem\ntrusted_ca_cert_file /etc/origin/client-ca-next.pem", bothRoots + "; one line per root: a bundle in one file trusts only its first root"},
		{[]string{"rotation.retired-rejected"}, "trusted_ca_cert_file /etc/origin/client-ca-next.pem", nextRootOnly},
		{fixUsage, "", "Go accepts such leaves and Caddy has no setting against it: the defence is a CA that does not issue such certificates (a should: it warns)"},
	},
}

// serverFixes is recipes flattened, one per server and check id.
var serverFixes = func() []ServerFix {
	var out []ServerFix
	for _, s := range Servers {
		for _, r := range recipes[s] {
			for _, id := range r.checks {
				out = append(out, ServerFix{Server: s, Check: id, Setting: r.setting, Note: r.note})
			}
		}
	}
	return out
}()

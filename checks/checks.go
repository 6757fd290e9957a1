// Package checks is originproof's conformance catalogue as data: every check
// id (stable: users' CI parses them), its group, default severity, what a
// conforming origin does, and what a failure means and how to fix it. The
// Ginkgo suites, the scenario parser and the reports all read it from here.
package checks

import "sort"

// Check describes one conformance check.
type Check struct {
	ID       string
	Group    string
	Severity Severity
	// Expected is what a conforming origin does ("reject", "accept", …).
	Expected string
	// Rule states the requirement (the spec's MUST, in words).
	Rule string
	// Fix says what a failure means and how to fix it, in one line.
	Fix string
	// MustWith names the policy that makes a should check a must (see
	// mustWith); "" when none does.
	MustWith Policy
}

// Policy is an expectation a user states about the origin, which makes
// some should checks musts: the flag of conform and the scenario's
// policy key say the same thing.
type Policy string

// Policies.
const (
	// ExpectIdentityPin: the origin pins the CloudFront identity.
	ExpectIdentityPin Policy = "expect-identity-pin"
	// ExpectCRL: the origin checks revocation with CRLs.
	ExpectCRL Policy = "expect-crl"
	// SiblingSNI: the origin's address serves other names (one of them given).
	SiblingSNI Policy = "sibling-sni"
)

// Policies lists every policy, in the order docs show them.
var Policies = []Policy{ExpectIdentityPin, ExpectCRL, SiblingSNI}

// Flag is the policy's command-line flag, with its argument when it takes one.
func (p Policy) Flag() string {
	if p == SiblingSNI {
		return "--sibling-sni NAME"
	}
	return "--" + string(p)
}

// mustWith lists the checks a policy makes musts.
var mustWith = map[string]Policy{
	"identity.wrong-identity": ExpectIdentityPin,
	"revocation.revoked-leaf": ExpectCRL,
	// The lookalikes, the revoked intermediate and cross-host resumption.
	"identity.lookalike-der-in-subject": ExpectIdentityPin, "identity.lookalike-dn-comma": ExpectIdentityPin,
	"identity.lookalike-multi-value-rdn": ExpectIdentityPin, "identity.lookalike-uri-san": ExpectIdentityPin,
	"identity.lookalike-email-san": ExpectIdentityPin, "identity.lookalike-suffix": ExpectIdentityPin,
	"identity.lookalike-prefix": ExpectIdentityPin, "revocation.revoked-intermediate": ExpectCRL,
	"resumption.cross-host": SiblingSNI,
}

func init() {
	for i := range Catalogue {
		Catalogue[i].MustWith = mustWith[Catalogue[i].ID]
	}
}

// MadeMust lists the ids of the checks policy p makes musts, sorted.
func MadeMust(p Policy) []string {
	var out []string
	for _, c := range Catalogue {
		if c.MustWith == p {
			out = append(out, c.ID)
		}
	}
	sort.Strings(out)
	return out
}

// Catalogue lists every check, grouped, in report order.
var Catalogue = []Check{
	check("client-auth.required", "client-auth", Must, "reject", "a request without a client certificate is refused (at TLS or HTTP)", "the origin serves clients without a certificate: set client verification to required (nginx ssl_verify_client on, HAProxy verify required, Apache SSLVerifyClient require)"),
	check("client-auth.in-initial-handshake", "client-auth", Must, "certificate requested in the initial handshake", "the certificate is requested in the initial handshake; no TLS 1.2 renegotiation, no TLS 1.3 post-handshake auth (CloudFront does neither)", "move client verification from per-location/directory to the server/virtual host level"),
	check("client-auth.bad-proof", "client-auth", Must, "reject", "the right certificate with the wrong private key is refused", "the origin does not check the CertificateVerify signature: use a maintained TLS stack"),
	check("client-auth.ca-names", "client-auth", Info, "CA names listed", "the CertificateRequest names the acceptable CAs", "informational: CloudFront presents its one certificate whatever the list says"),
	check("chain.valid", "chain", Must, "accept", "the good CloudFront certificate (current intermediate, clientAuth EKU, the configured identity) is accepted", "the origin refuses the certificate CloudFront will present: check the CA bundle, verify depth and identity rules"),
	check("chain.untrusted-root", "chain", Must, "reject", "a certificate from a CA the origin does not trust is refused", "the origin accepts certificates from any CA: configure the client CA bundle and require verification"),
	check("chain.self-signed", "chain", Must, "reject", "a self-signed certificate is refused", "the origin accepts self-signed client certificates: require verification against the CA bundle"),
	check("chain.impostor-ca", "chain", Must, "reject", "a chain whose root has the trusted root's name but another key is refused", "the origin matches issuers by name only: verify signatures (a maintained TLS stack does)"),
	check("chain.intermediate-not-ca", "chain", Must, "reject", "a chain through an intermediate with CA:FALSE is refused", "the origin ignores basicConstraints: use a maintained TLS stack"),
	check("chain.intermediate-no-basic-constraints", "chain", Must, "reject", "a chain through an intermediate without a basicConstraints extension (keyCertSign only) is refused (RFC 5280 4.2.1.9)", "the origin takes a certificate without basicConstraints for a CA (OpenSSL 1.0.2, LibreSSL): use a maintained TLS stack (OpenSSL 3 and Go refuse it)"),
	check("chain.name-constraints", "chain", Must, "reject", "a leaf outside its intermediate's name constraints is refused", "the origin ignores name constraints: use a maintained TLS stack"),
	check("chain.missing-intermediate", "chain", Should, "reject", "a leaf presented without its intermediate is refused (the bundle holds roots only)", "the origin trusts the intermediate directly: safe, but it couples the origin to that intermediate; put only roots in the bundle"),
	check("chain.too-deep", "chain", Should, "reject", "a chain longer than CloudFront's depth 3 is refused", "limit the verify depth to leaf + one intermediate (nginx ssl_verify_depth 1: OpenSSL does not count the trust anchor; Apache SSLVerifyDepth 2: mod_ssl counts the root)"),
	check("chain.pathlen-exceeded", "chain", Must, "reject", "a sub-CA under an intermediate with pathLen 0 is refused", "the origin ignores pathLenConstraint: use a maintained TLS stack"),
	check("validity.expired", "validity", Must, "reject", "an expired client certificate is refused", "the origin ignores expiry (e.g. ALB IgnoreClientCertificateExpiry, a custom verify callback): turn that off"),
	check("validity.not-yet-valid", "validity", Must, "reject", "a client certificate that is not yet valid is refused", "the origin ignores notBefore: turn off any expiry override"),
	check("validity.intermediate-expired", "validity", Must, "reject", "a chain with an expired intermediate is refused", "the origin checks only the leaf's validity: verify the whole chain"),
	check("validity.root-expired", "validity", Should, "reject", "a chain to a root of the bundle that has expired is refused", "the origin does not check its trust anchors' validity (RFC 5280 leaves it to the verifier): take expired roots out of the client CA bundle"),
	check("usage.server-auth-only", "usage", Must, "reject", "a certificate whose EKU is serverAuth only is refused", "the origin ignores extended key usage: require the clientAuth purpose"),
	check("usage.intermediate-eku", "usage", Should, "reject", "a clientAuth leaf under an intermediate whose extended key usage is serverAuth only is refused", "the origin checks the leaf's extended key usage only: an EKU on a CA limits its leaves (Envoy CVE-2022-21657); use a verifier that checks the chain (OpenSSL's sslclient purpose, Go's)"),
	check("usage.no-eku", "usage", Should, "reject", "a certificate without an EKU extension is refused", "the origin treats a missing EKU as any purpose: CloudFront's certificate has clientAuth, so require it explicitly"),
	check("usage.leaf-is-ca", "usage", Should, "reject", "a leaf that says CA:TRUE is refused", "refuse CA certificates as client identities"),
	check("usage.unknown-critical-extension", "usage", Must, "reject", "a certificate with an unknown critical extension is refused (RFC 5280)", "the origin ignores critical extensions: use a maintained TLS stack"),
	check("usage.ku-no-digital-signature", "usage", Should, "reject", "a leaf whose key usage lacks digitalSignature (keyEncipherment only) is refused: the key signs the CertificateVerify (RFC 8446 4.4.2.2)", "the origin ignores key usage (Go's verifier, Caddy): CloudFront's certificate has digitalSignature; let the CA issue no client certificate without it"),
	check("strength.rsa-1024", "strength", Must, "reject", "a client certificate with an RSA 1024-bit key is refused", "raise the minimum key size (OpenSSL security level 2 or higher)"),
	check("strength.rsa-1024-intermediate", "strength", Must, "reject", "a chain through an intermediate with an RSA 1024-bit key is refused", "the origin checks the leaf's key only: OpenSSL security level 2 covers the whole chain; Go and Caddy accept it, so keep weak intermediates out from under the roots you trust"),
	check("strength.sha1-signature", "strength", Must, "reject", "a client certificate signed with SHA-1 is refused", "refuse SHA-1 signatures (OpenSSL security level 2 or higher)"),
	check("identity.wrong-identity", "identity", Should, "reject", "a certificate from the trusted CA whose SAN is not the CloudFront identity is refused", "pin the CloudFront identity: the DNS SAN exactly (Apache %{SSL_CLIENT_SAN_DNS_0} == '…', Caddy {http.request.tls.client.san.dns_names.0} == '…'); nginx 1.22 and HAProxy 2.6 have no SAN variable: compare the whole subject DN exactly ($ssl_client_s_dn, ssl_c_s_dn(,0,rfc2253)), see docs/origins.md"),
	check("identity.lookalike-der-in-subject", "identity", Should, "reject", "a certificate whose subject holds the DER bytes of the identity's dNSName entry is refused", "the origin searches the raw certificate for the identity (HAProxy ssl_c_der,hex -m sub): match the DNS SAN, or the whole subject DN, exactly"),
	check("identity.lookalike-dn-comma", "identity", Should, "reject", "a certificate with the one-attribute subject `O=x\\,CN=<identity>` is refused", "the origin looks for the identity inside the subject DN string (an unanchored $ssl_client_s_dn match): compare the DNS SAN, or the whole DN, exactly"),
	check("identity.lookalike-multi-value-rdn", "identity", Should, "reject", "a certificate whose first RDN is multi-valued, `OU=x+CN=<identity>`, with `CN=someone else` after it, is refused", "the origin takes the identity from a subject CN, or from inside the DN string: pin the DNS SAN, or the whole DN, exactly"),
	check("identity.lookalike-uri-san", "identity", Should, "reject", "a certificate that names the identity only in a URI SAN is refused", "the origin matches SANs of every type (Envoy CVE-2022-21656, Node.js CVE-2021-44531): match DNS SANs only"),
	check("identity.lookalike-email-san", "identity", Should, "reject", "a certificate that names the identity only in an email SAN is refused", "the origin matches SANs of every type: match DNS SANs only"),
	check("identity.lookalike-suffix", "identity", Should, "reject", "a certificate for `<identity>.evil.test` is refused", "the identity rule is not anchored at its end: compare the whole DNS SAN (==, or ^…$ with escaped dots)"),
	check("identity.lookalike-prefix", "identity", Should, "reject", "a certificate for `x<identity>` is refused", "the identity rule is not anchored at its start: compare the whole DNS SAN (==, or ^…$ with escaped dots)"),
	check("identity.shared-cdn-certificate", "identity", Should, "no CDN-shared CA trusted", "the origin does not trust the CA of a client certificate a CDN shares with all its customers (Cloudflare's global Authenticated Origin Pulls)", "every account of that CDN gets in: use your own certificate (Cloudflare zone-level or per-hostname Authenticated Origin Pulls) and trust only its CA, or pin the certificate"),
	check("revocation.revoked-leaf", "revocation", Should, "reject", "a revoked client certificate is refused", "configure the CRL (nginx ssl_crl, HAProxy crl-file, Apache SSLCARevocationFile) and keep it fresh"),
	check("revocation.revoked-intermediate", "revocation", Should, "reject", "a good leaf under an intermediate that its root's CRL revokes is refused", "the origin looks up only the leaf in a CRL (Apache SSLCARevocationCheck leaf, Envoy only_verify_leaf_cert_crl): check the whole chain (SSLCARevocationCheck chain; nginx ssl_crl and HAProxy crl-file always do)"),
	check("revocation.crl-horizon", "revocation", Should, "CRLs valid 30+ days", "every CRL the origin is given (the PKI directory's) stays valid, by its nextUpdate, for at least 30 more days", "with a CRL for every CA in the chain one stale CRL locks every client out, CloudFront included: refresh the origin's CRLs before nextUpdate, from a job, or issue them with a longer nextUpdate"),
	check("rotation.current-accepted", "rotation", Must, "accept", "a certificate under the current root is accepted during the overlap", "the current root is missing from the bundle"),
	check("rotation.next-accepted", "rotation", Must, "accept", "a certificate under the next root is accepted during the overlap", "add the next root to the client CA bundle before re-importing the certificate into ACM"),
	check("rotation.reissued-accepted", "rotation", Must, "accept", "a certificate re-issued by the current CA with a new key is accepted", "the origin pins the key or serial: pin the identity (SAN) instead"),
	check("rotation.retired-rejected", "rotation", Must, "reject", "after rotation, a certificate under the retired root is refused", "remove the retired root from the client CA bundle"),
	check("rotation.under-load", "rotation", Must, "zero failed requests", "no request fails while the pools switch identity mid-run", "requests failed during the identity switch: trust both roots for the whole overlap"),
	check("resumption.after-expiry", "resumption", Should, "reject", "a TLS session made with a chain that has since expired does not resume into a served request", "the origin resumes sessions without re-checking the chain: disable session tickets and cache, or re-verify on resumption"),
	check("resumption.cross-host", "resumption", Should, "reject", "a session made with another server name on the origin's address (without a certificate, or with one only that name trusts) does not resume into a served request for the origin", "the origin resumes sessions across its virtual hosts (nginx CVE-2025-23419, Apache CVE-2025-23048, Go CVE-2025-68121): upgrade, turn session tickets and cache off, or give the origin an address of its own"),
	check("resumption.after-rotation", "resumption", Should, "reject", "a session made with the current root's certificate in the overlap phase does not resume into a served request once that root is retired (post phase)", "the origin keeps the old verification across the reload that retired the root: rotate the session ticket keys and clear the session cache with it, or turn resumption off"),
	check("protocol.legacy-refused", "protocol", Should, "reject", "TLS 1.0 and 1.1 are refused", "set the minimum protocol to TLS 1.2"),
	check("protocol.cloudfront-compatible", "protocol", Must, "negotiate", "the origin negotiates with CloudFront's TLS 1.2 and TLS 1.3 offers", "enable TLS 1.2 with ECDHE-AES-GCM suites on P-256/X25519 (CloudFront's offer)"),
	check("server-cert.trusted", "server-cert", Must, "trusted", "the server certificate chains to a trusted root", "use a certificate from a publicly trusted CA: CloudFront answers 502 otherwise"),
	check("server-cert.complete-chain", "server-cert", Must, "complete", "the server sends its full chain (CloudFront does no AIA fetching)", "serve the intermediate after the leaf (nginx ssl_certificate with the chain appended)"),
	check("server-cert.hostname", "server-cert", Must, "matches", "the server certificate names the origin domain", "issue the certificate for the origin domain CloudFront connects to (or the forwarded Host)"),
	check("server-cert.expiry-horizon", "server-cert", Must, "valid 30+ days", "the server certificate is valid now, and for at least 30 more days (warn)", "renew the server certificate"),
	check("server-cert.key-strength", "server-cert", Must, "RSA 2048+ or ECDSA P-256+", "the server key is strong enough", "use RSA 2048+ or ECDSA P-256+"),
	check("keepalive.persistent", "keepalive", Must, "connection reused", "an HTTP/1.1 connection carries a second request", "enable HTTP keep-alive on the origin"),
	check("keepalive.idle-compatible", "keepalive", Must, "survives keep-alive + 1 s", "an idle connection survives CloudFront's keep-alive timeout + 1 s", "raise the origin's idle timeout above CloudFront's origin keep-alive timeout (nginx keepalive_timeout, Apache KeepAliveTimeout)"),
	check("cloudfront-cert.profile", "cloudfront-cert", Must, "CloudFront profile", "the certificate for ACM follows CloudFront's rules: RSA 2048 or ECDSA P-256, SHA-256+, clientAuth EKU, depth <= 3", "re-issue the certificate within CloudFront's rules"),
	check("cloudfront-cert.expiry-horizon", "cloudfront-cert", Must, "valid 30+ days", "the certificate for ACM is valid for at least 30 more days (ACM does not renew imported certificates)", "re-issue and re-import the certificate before it expires"),
	check("cloudfront-cert.chain-expiry-horizon", "cloudfront-cert", Must, "valid 30+ days", "the intermediate and root of the certificate for ACM are valid for at least 30 more days (warn): when one expires the whole chain fails, and ACM warns about the leaf only", "renew the intermediate or root, re-issue the certificate under it and re-import it into ACM"),
	check("cloudfront-cert.accepted", "cloudfront-cert", Must, "accept", "the origin accepts the certificate CloudFront will present", "the origin refuses the real CloudFront certificate: trust its CA and identity"),
	// The distribution group judges the pair CloudFront distribution + origin (with --distribution-config).
	check("distribution.mtls-configured", "distribution", Must, "OriginMtlsConfig set", "the distribution's origin has OriginMtlsConfig.ClientCertificateArn", "set CustomOriginConfig.OriginMtlsConfig.ClientCertificateArn to the certificate imported into ACM in us-east-1"),
	check("distribution.https-only", "distribution", Must, "https-only", "the origin's OriginProtocolPolicy is https-only", "set OriginProtocolPolicy to https-only: with http-only or match-viewer CloudFront reaches the origin over plain HTTP, without a client certificate"),
	check("distribution.tls-versions", "distribution", Must, "a shared version, none below TLS 1.2", "the origin accepts a TLS version OriginSslProtocols allows (must); the distribution allows nothing below TLSv1.2 (warn)", "allow TLSv1.2 both in OriginSslProtocols and on the origin; remove SSLv3, TLSv1 and TLSv1.1 from OriginSslProtocols"),
	check("distribution.keepalive-vs-origin", "distribution", Must, "idle longer than OriginKeepaliveTimeout", "an idle connection stays open longer than the distribution's OriginKeepaliveTimeout (measured)", "raise the origin's idle timeout above OriginKeepaliveTimeout (nginx keepalive_timeout, Apache KeepAliveTimeout), or lower OriginKeepaliveTimeout"),
	check("distribution.read-timeout", "distribution", Must, "p99.9 below OriginReadTimeout", "under the scenario's load, time to first byte p99.9 stays below OriginReadTimeout and no request times out", "CloudFront answers 504 past OriginReadTimeout: speed up the slow responses or raise OriginReadTimeout"),
	check("distribution.unsupported-features", "distribution", Must, "none used", "no feature AWS documents as unsupported with origin mTLS: Lambda@Edge origin-request or origin-response triggers on a behaviour routed to the origin, a VPC origin, gRPC (WebSocket and embedded POPs do not show in the config)", "move origin-facing Lambda@Edge logic to viewer triggers or CloudFront Functions, use a custom origin instead of a VPC origin, keep gRPC off this origin"),
}

// check is a catalogue entry; fields not listed are set in init.
func check(id, group string, sev Severity, expected, rule, fix string) Check {
	return Check{ID: id, Group: group, Severity: sev, Expected: expected, Rule: rule, Fix: fix}
}

// Lookup returns the check with id.
func Lookup(id string) (Check, bool) {
	for _, c := range Catalogue {
		if c.ID == id {
			return c, true
		}
	}
	return Check{}, false
}

// IDs returns every check id, sorted.
func IDs() []string {
	out := make([]string, len(Catalogue))
	for i, c := range Catalogue {
		out[i] = c.ID
	}
	sort.Strings(out)
	return out
}

// Groups returns the groups in catalogue order.
func Groups() []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range Catalogue {
		if !seen[c.Group] {
			seen[c.Group] = true
			out = append(out, c.Group)
		}
	}
	return out
}

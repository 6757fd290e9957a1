package conformance

import (
	"context"
	"crypto/tls"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/originproof/originproof/cdn"
	"github.com/originproof/originproof/checks"
	"github.com/originproof/originproof/cloudfront"
	"github.com/originproof/originproof/probe"
)

// The distribution group judges the pair: a CloudFront distribution config
// and the origin it points at. Without a config every spec is skipped with
// the reason, so the checks stay in the report.

func noDistribution(id string) bool {
	if current.cfg.Distribution != nil {
		return false
	}
	finish(id, skipOutcome("no distribution config given: pass --distribution-config FILE (scenario: distribution.config) to judge the distribution and the origin as a pair"), time.Now())
	return true
}

var _ = Describe("distribution", Label("distribution"), func() {
	// MUST: the origin has OriginMtlsConfig, so CloudFront presents a certificate.
	It("distribution.mtls-configured", func() {
		start, d := time.Now(), current.cfg.Distribution
		if noDistribution("distribution.mtls-configured") {
			return
		}
		o := outcome{observed: "OriginMtlsConfig.ClientCertificateArn " + d.ClientCertificateARN, layer: checks.LayerNone}
		if d.ClientCertificateARN == "" {
			o = outcome{finding: true, observed: fmt.Sprintf("origin %s has no OriginMtlsConfig: CloudFront presents no client certificate", d.ID), layer: checks.LayerNone,
				detail: "an origin that requires a client certificate refuses every request CloudFront sends"}
		}
		finish("distribution.mtls-configured", o, start)
	})

	// MUST: OriginProtocolPolicy https-only: otherwise requests reach the
	// origin over plain HTTP, where no client certificate exists.
	It("distribution.https-only", func() {
		start, d := time.Now(), current.cfg.Distribution
		if noDistribution("distribution.https-only") {
			return
		}
		o := outcome{observed: "OriginProtocolPolicy " + d.ProtocolPolicy, layer: checks.LayerNone}
		switch d.ProtocolPolicy {
		case cloudfront.PolicyHTTPSOnly:
		case cloudfront.PolicyMatchViewer:
			o.finding, o.detail = true, "viewers that use HTTP reach the origin over plain HTTP, without TLS or a client certificate"
		default:
			o.finding, o.detail = true, "CloudFront never uses TLS to this origin"
		}
		finish("distribution.https-only", o, start)
	})

	// MUST: the origin accepts a version OriginSslProtocols allows; SHOULD:
	// the distribution allows nothing below TLS 1.2.
	It("distribution.tls-versions", func() {
		start, s, d := time.Now(), current, current.cfg.Distribution
		if noDistribution("distribution.tls-versions") {
			return
		}
		versions := d.AllowedVersions()
		if len(versions) == 0 {
			finish("distribution.tls-versions", skipOutcome("the distribution config lists no OriginSslProtocols"), start)
			return
		}
		var accepted, refused, legacy []string
		for _, v := range versions {
			name := tls.VersionName(v)
			if v < tls.VersionTLS12 {
				legacy = append(legacy, name)
			}
			if v < tls.VersionTLS10 {
				refused = append(refused, name+": not offered (the harness cannot speak SSL 3.0)")
				continue
			}
			r := s.do(s.cfg.goodIdentity(), func(o *probe.Options) {
				o.MinVersion, o.MaxVersion, o.CipherSuites, o.Curves = v, v, cloudfront.TLS12Compatible, cloudfront.Curves
			})
			if r.State != nil && r.State.Version == v {
				accepted = append(accepted, name)
			} else {
				refused = append(refused, name+": "+r.Describe())
			}
		}
		o := outcome{observed: "negotiated " + strings.Join(accepted, ", "), layer: checks.LayerTLS}
		switch {
		case len(accepted) == 0:
			o = outcome{finding: true, observed: fmt.Sprintf("the origin accepts none of the versions the distribution allows (%s): %s", strings.Join(d.SSLProtocols, ", "), strings.Join(refused, "; ")),
				layer: checks.LayerTLS, detail: "CloudFront cannot complete a handshake with the origin: viewers get 502"}
		case len(legacy) > 0:
			o.status = checks.StatusWarn
			o.observed += "; the distribution also allows " + strings.Join(legacy, ", ")
			o.detail = "remove them from OriginSslProtocols: CloudFront negotiates them with an origin that accepts them"
		}
		finish("distribution.tls-versions", o, start)
	})

	// MUST: an idle connection outlives the distribution's OriginKeepaliveTimeout (measured).
	It("distribution.keepalive-vs-origin", func() {
		start := time.Now()
		if noDistribution("distribution.keepalive-vs-origin") {
			return
		}
		finish("distribution.keepalive-vs-origin", current.distIdle.wait(current.ctx), start)
	})

	// MUST: under load, p99.9 stays below OriginReadTimeout (certify and load judge it).
	It("distribution.read-timeout", func() {
		if noDistribution("distribution.read-timeout") {
			return
		}
		finish("distribution.read-timeout", skipOutcome("measured under load: originproof certify with load phases, or originproof load --distribution-config"), time.Now())
	})

	// MUST: none of the features AWS documents as unsupported with origin mTLS.
	It("distribution.unsupported-features", func() {
		start, d := time.Now(), current.cfg.Distribution
		if noDistribution("distribution.unsupported-features") {
			return
		}
		var unseen []string
		for _, f := range cloudfront.NotInConfig() {
			unseen = append(unseen, f.Name)
		}
		o := outcome{observed: fmt.Sprintf("none in the config (%d behaviour(s) routed to origin %s)", len(d.Behaviors), d.ID), layer: checks.LayerNone,
			detail: "not visible in a distribution config, so confirm you do not use them: " + strings.Join(unseen, ", ")}
		if used := d.UnsupportedFeatures(); len(used) > 0 {
			o.finding, o.observed = true, strings.Join(used, "; ")
		}
		finish("distribution.unsupported-features", o, start)
	})
})

// keepaliveVsOrigin sends a request, idles up to keepalive + 1 s watching
// for the origin to close the connection, and sends another request when
// it did not: an early close fails at once, with when it happened.
func (s *state) keepaliveVsOrigin(keepalive time.Duration) outcome {
	c := s.cfg.goodIdentity().TLSCertificate()
	conn, res := probe.Open(s.ctx, s.cfg.Target, probe.Options{Cert: &c})
	if conn == nil {
		return outcome{status: checks.StatusError, observed: res.Describe()}
	}
	defer conn.Close()
	defer context.AfterFunc(s.ctx, func() { conn.Close() })()
	if r := conn.Request(s.ctx); r.Kind != probe.Response {
		return outcome{status: checks.StatusError, observed: "first request: " + r.Describe()}
	}
	wait := keepalive + time.Second
	open, closed := conn.Idle(wait)
	switch {
	case s.ctx.Err() != nil:
		return outcome{status: checks.StatusError, observed: "interrupted"}
	case closed:
		return outcome{finding: true, observed: fmt.Sprintf("the origin closed the idle connection after about %.1fs; the distribution keeps it %v (OriginKeepaliveTimeout)", open.Seconds(), keepalive),
			layer: checks.LayerTLS, detail: "CloudFront would send its next request on a connection the origin already closed"}
	}
	if r := conn.Request(s.ctx); r.Kind != probe.Response {
		return outcome{finding: true, observed: fmt.Sprintf("the connection idle %v did not carry another request: %s", wait, r.Describe()), layer: checks.LayerTLS}
	}
	return outcome{observed: fmt.Sprintf("an idle connection outlived OriginKeepaliveTimeout %v + 1 s and carried another request", keepalive), layer: checks.LayerNone}
}

// acceptableCAs are the distinguished names the origin's CertificateRequest listed.
func acceptableCAs(b probe.Result) []pkix.Name {
	var out []pkix.Name
	for _, raw := range b.AcceptableCAs {
		var rdn pkix.RDNSequence
		if _, err := asn1.Unmarshal(raw, &rdn); err == nil {
			var n pkix.Name
			n.FillFromRDNSequence(&rdn)
			out = append(out, n)
		}
	}
	return out
}

var _ = Describe("identity (CDN)", Label("identity"), func() {
	// SHOULD: the origin trusts no CA of a certificate a CDN shares with
	// all its customers (Cloudflare's global Authenticated Origin Pulls).
	It("identity.shared-cdn-certificate", func() {
		start, b := time.Now(), current.baseline
		var shared []string
		for _, p := range cdn.Shared() {
			shared = append(shared, p.Shared.Issuer.CommonName)
		}
		names := acceptableCAs(b)
		switch {
		case !b.CertRequested:
			finish("identity.shared-cdn-certificate", skipOutcome("the origin asks for no client certificate"), start)
			return
		case len(names) == 0:
			finish("identity.shared-cdn-certificate", skipOutcome("the origin's CertificateRequest lists no CA names, so the handshake does not show whether it trusts a CDN's shared CA ("+
				strings.Join(shared, ", ")+"): check its client CA bundle"), start)
			return
		}
		for _, p := range cdn.Shared() {
			for _, n := range names {
				if p.Shared.Matches(n) {
					finish("identity.shared-cdn-certificate", outcome{finding: true, layer: checks.LayerTLS,
						observed: fmt.Sprintf("the origin accepts client certificates from %s, the CA of %s's %s", n.CommonName, p.Title, p.Shared.Name),
						detail:   fmt.Sprintf("every %s account can present that certificate: %s (%s)", p.Title, p.Shared.Fix, p.Shared.Source)}, start)
					return
				}
			}
		}
		finish("identity.shared-cdn-certificate", outcome{observed: fmt.Sprintf("none of the %d CA name(s) the origin lists is a CDN's shared CA (%s)", len(names), strings.Join(shared, ", ")), layer: checks.LayerTLS}, start)
	})
})

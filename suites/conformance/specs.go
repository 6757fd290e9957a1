package conformance

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/originproof/originproof/checks"
	"github.com/originproof/originproof/cloudfront"
	"github.com/originproof/originproof/fixtures"
	"github.com/originproof/originproof/probe"
	"github.com/originproof/originproof/reports"
)

// report turns a recorded result into Ginkgo's terms: a failed must or an
// error fails the spec; a should finding is a report entry, never Fail().
func report(rc reports.Check) {
	switch rc.Status {
	case checks.StatusFail:
		Fail(fmt.Sprintf("%s: expected %s, observed %s", rc.ID, rc.Expected, rc.Observed))
	case checks.StatusError:
		Fail(fmt.Sprintf("%s errored: %s", rc.ID, rc.Observed))
	case checks.StatusWarn:
		AddReportEntry("warning", rc.Observed)
	case checks.StatusSkip:
		Skip(rc.Detail)
	}
}

// finish records and reports one check's outcome.
func finish(id string, o outcome, start time.Time) {
	report(current.record(id, o, start))
}

func skipOutcome(why string) outcome {
	return outcome{status: checks.StatusSkip, observed: "not run", detail: why}
}

// identityCase is one client identity of the catalogue.
type identityCase struct {
	id     string
	expect string
}

// identityEntries are the catalogue's client identities as table entries,
// one label per group, built from data (fixtures' catalogue), never guarded by if.
func identityEntries() []TableEntry {
	var out []TableEntry
	for _, id := range fixtures.Catalogue() {
		if id == "chain.valid" {
			continue // the baseline has its own spec
		}
		c, _ := checks.Lookup(id)
		expect, _, _ := fixtures.Expectation(id)
		out = append(out, Entry(id, Label(c.Group), identityCase{id: id, expect: expect}))
	}
	return out
}

var _ = Describe("client certificate identities", func() {
	// MUST (chain.valid): the good CloudFront certificate is accepted: it is
	// the baseline every rejection is compared with.
	It("chain.valid", Label("chain"), func() {
		start := time.Now()
		s := current
		b := s.baseline
		o := outcome{observed: "accepted: " + b.Describe(), layer: checks.LayerNone}
		switch {
		case b.Renegotiation || b.PostHandshakeAuth:
			o = outcome{finding: true, observed: b.Describe(), layer: checks.LayerTLS}
		case b.Kind == probe.Response && baselineRefusedStatus(b.Status) && !b.CertRequested:
			o = outcome{finding: true, observed: fmt.Sprintf("refused at http: HTTP %d, and no certificate was asked for in the handshake", b.Status), layer: checks.LayerHTTP,
				detail: "the origin wants the certificate after the handshake (renegotiation or TLS 1.3 post-handshake auth), which CloudFront never does"}
		case s.baselineBroken():
			o = outcome{status: checks.StatusError, observed: "the good certificate was not accepted: " + b.Describe(), layer: layerOf(b),
				detail: "the harness cannot attribute the refusal: check the origin's CA bundle, verify depth and identity rules; every client probe depends on this baseline"}
		}
		finish("chain.valid", o, start)
	})

	// MUST (each entry): the origin does with the identity what a correctly
	// configured CloudFront origin does (fixtures.Expectation).
	DescribeTable("catalogue",
		func(c identityCase) {
			start := time.Now()
			s := current
			id := s.cfg.PKI.Identity(c.id)
			switch {
			case id == nil:
				finish(c.id, skipOutcome("the PKI has no identity for "+c.id), start)
				return
			case id.Skipped != "":
				finish(c.id, skipOutcome(id.Skipped), start)
				return
			case s.cfg.RotationPhase == PhasePost && (c.id == "rotation.current-accepted" || c.id == "rotation.reissued-accepted"):
				finish(c.id, skipOutcome("post phase: the current root is retired"), start)
				return
			}
			finding, o := s.judgeIdentity(id, c.expect)
			if finding {
				o.finding = true
			}
			switch c.id {
			case "chain.pathlen-exceeded":
				o.detail = "the chain is also four deep: a rejection may be for depth rather than pathLen"
			case "identity.wrong-identity":
				o.detail = "presents SAN " + strings.Join(id.Leaf.DNSNames, ", ") + ", not the CloudFront identity " + s.cfg.PKI.CloudFrontIdentity
			}
			if strings.HasPrefix(c.id, "identity.lookalike-") {
				o.detail = "someone else's certificate (DNS SAN " + strings.Join(id.Leaf.DNSNames, ", ") + "): " + id.Description
			}
			finish(c.id, o, start)
		},
		identityEntries(),
	)

	// MUST (rotation.retired-rejected): after rotation the retired root no
	// longer lets anyone in.
	It("rotation.retired-rejected", Label("rotation"), func() {
		start := time.Now()
		s := current
		if s.cfg.RotationPhase != PhasePost {
			finish("rotation.retired-rejected", skipOutcome("overlap phase: both roots are still trusted (run with --rotation-phase post after retiring the current root)"), start)
			return
		}
		finding, o := s.judgeIdentity(s.cfg.PKI.Identity("chain.valid"), "reject")
		if finding {
			o.finding = true
		}
		finish("rotation.retired-rejected", o, start)
	})

	// rotation.under-load comes from the load generator.
	It("rotation.under-load", Label("rotation"), func() {
		finish("rotation.under-load", skipOutcome("measured by the load generator: originproof certify with a rotation-drill phase"), time.Now())
	})
})

func layerOf(r probe.Result) checks.Layer {
	switch r.Kind {
	case probe.TLSRejected:
		return checks.LayerTLS
	case probe.Response:
		return checks.LayerHTTP
	}
	return checks.LayerNone
}

var _ = Describe("client-auth", Label("client-auth"), func() {
	// MUST: a request without a client certificate is refused, at either layer.
	It("client-auth.required", func() {
		start := time.Now()
		s := current
		if s.baselineBroken() {
			finish("client-auth.required", s.notJudged(), start)
			return
		}
		v := probe.Judge(s.noCert, s.baseline)
		o := outcome{observed: v.Observed, layer: v.Layer, alert: s.noCert.Alert}
		switch {
		case v.Err != nil:
			o.status = checks.StatusError
		case v.Accepted:
			o.finding = true
			o.observed = "served without a client certificate: " + v.Observed
		}
		finish("client-auth.required", o, start)
	})

	// MUST: the certificate is requested in the initial handshake; CloudFront
	// neither renegotiates (TLS 1.2) nor does post-handshake auth (TLS 1.3).
	It("client-auth.in-initial-handshake", func() {
		start := time.Now()
		b := current.baseline
		var o outcome
		switch {
		case b.Renegotiation:
			o = outcome{finding: true, observed: "the origin sent a TLS 1.2 HelloRequest (renegotiation) to ask for the certificate", layer: checks.LayerTLS}
		case b.PostHandshakeAuth:
			o = outcome{finding: true, observed: "the origin sent a TLS 1.3 post-handshake CertificateRequest", layer: checks.LayerTLS}
		case !b.CertRequested && b.Kind == probe.Response && baselineRefusedStatus(b.Status):
			o = outcome{finding: true, observed: fmt.Sprintf("no certificate asked for in the handshake, and the good certificate got HTTP %d", b.Status), layer: checks.LayerHTTP,
				detail: "per-location/per-directory client auth asks after the handshake (renegotiation or post-handshake auth): CloudFront cannot answer"}
		case !b.CertRequested:
			o = outcome{finding: true, observed: "the origin never asks for a client certificate", layer: checks.LayerNone}
		default:
			o = outcome{observed: "CertificateRequest in the initial handshake (" + tlsVersion(b) + ")", layer: checks.LayerTLS}
		}
		finish("client-auth.in-initial-handshake", o, start)
	})

	// INFO: the CA names the CertificateRequest advertises.
	It("client-auth.ca-names", func() {
		start := time.Now()
		b := current.baseline
		var names []string
		for _, n := range acceptableCAs(b) {
			names = append(names, n.String())
		}
		o := outcome{observed: fmt.Sprintf("%d CA name(s) advertised", len(names)), layer: checks.LayerTLS, detail: strings.Join(names, "; ")}
		if !b.CertRequested {
			o.observed = "no CertificateRequest seen"
		}
		finish("client-auth.ca-names", o, start)
	})
})

var _ = Describe("protocol", Label("protocol"), func() {
	// SHOULD: TLS 1.0 and 1.1 are refused.
	It("protocol.legacy-refused", func() {
		start := time.Now()
		s := current
		var accepted []string
		for _, v := range []struct {
			name string
			ver  uint16
		}{{"TLS 1.0", tls.VersionTLS10}, {"TLS 1.1", tls.VersionTLS11}} {
			r := s.do(s.cfg.goodIdentity(), func(o *probe.Options) { o.MinVersion, o.MaxVersion = v.ver, v.ver })
			if r.State != nil && r.State.Version == v.ver {
				accepted = append(accepted, v.name)
			}
		}
		o := outcome{observed: "TLS 1.0 and TLS 1.1 refused", layer: checks.LayerTLS}
		if len(accepted) > 0 {
			o = outcome{finding: true, observed: strings.Join(accepted, " and ") + " negotiated", layer: checks.LayerNone}
		}
		finish("protocol.legacy-refused", o, start)
	})

	// MUST: the origin negotiates with CloudFront's documented TLS 1.2 and
	// TLS 1.3 offers (a TLS 1.3-only origin is a risk worth a warning).
	It("protocol.cloudfront-compatible", func() {
		start := time.Now()
		s := current
		r12 := s.do(s.cfg.goodIdentity(), func(o *probe.Options) {
			o.MinVersion, o.MaxVersion, o.CipherSuites, o.Curves = tls.VersionTLS12, tls.VersionTLS12, cloudfront.TLS12Compatible, cloudfront.Curves
		})
		r13 := s.do(s.cfg.goodIdentity(), func(o *probe.Options) {
			o.MinVersion, o.MaxVersion, o.Curves = tls.VersionTLS13, tls.VersionTLS13, cloudfront.Curves
		})
		ok12, ok13 := r12.State != nil, r13.State != nil
		var parts []string
		if ok12 {
			parts = append(parts, "TLS 1.2 "+tls.CipherSuiteName(r12.State.CipherSuite)+" "+r12.State.CurveID.String())
		}
		if ok13 {
			parts = append(parts, "TLS 1.3 "+tls.CipherSuiteName(r13.State.CipherSuite)+" "+r13.State.CurveID.String())
		}
		o := outcome{observed: "negotiated " + strings.Join(parts, "; "), layer: checks.LayerTLS}
		switch {
		case !ok12 && !ok13:
			o = outcome{finding: true, observed: "no handshake with CloudFront's offers: TLS 1.2 " + r12.Describe() + "; TLS 1.3 " + r13.Describe(), layer: checks.LayerTLS}
		case !ok12:
			o.status = checks.StatusWarn
			o.detail = "TLS 1.3 only: CloudFront supports it, but an origin that refuses CloudFront's TLS 1.2 offer is a risk"
		}
		finish("protocol.cloudfront-compatible", o, start)
	})
})

func tlsVersion(r probe.Result) string {
	if r.State == nil {
		return "no handshake"
	}
	return tls.VersionName(r.State.Version)
}

var _ = Describe("server-cert", Label("server-cert"), func() {
	chain := func() []*x509.Certificate { return current.baseline.ServerCerts }
	// verifyAt verifies the presented leaf inside its own validity window, so
	// trust and chain completeness are judged apart from expiry.
	verifyAt := func(extra []*x509.Certificate) error {
		certs := chain()
		leaf := certs[0]
		inter := x509.NewCertPool()
		for _, c := range certs[1:] {
			inter.AddCert(c)
		}
		for _, c := range extra {
			inter.AddCert(c)
		}
		mid := leaf.NotBefore.Add(leaf.NotAfter.Sub(leaf.NotBefore) / 2)
		_, err := leaf.Verify(x509.VerifyOptions{Roots: current.cfg.ServerRoots, Intermediates: inter, CurrentTime: mid, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
		return err
	}
	noChain := func(id string) bool {
		if len(chain()) == 0 {
			finish(id, outcome{status: checks.StatusError, observed: "no server certificate seen: " + current.baseline.Describe()}, time.Now())
			return true
		}
		return false
	}

	// MUST: the server certificate chains to a trusted root.
	It("server-cert.trusted", func() {
		start := time.Now()
		if noChain("server-cert.trusted") {
			return
		}
		o := outcome{observed: "chains to " + current.cfg.ServerRootsName + " roots", layer: checks.LayerTLS}
		if err := verifyAt(current.cfg.KnownIntermediates); err != nil {
			o = outcome{finding: true, observed: "not trusted: " + err.Error(), layer: checks.LayerTLS, detail: "CloudFront answers viewers 502 when the origin's certificate is not publicly trusted"}
		}
		finish("server-cert.trusted", o, start)
	})

	// MUST: the full chain is sent; CloudFront does no AIA fetching.
	It("server-cert.complete-chain", func() {
		start := time.Now()
		if noChain("server-cert.complete-chain") {
			return
		}
		o := outcome{observed: fmt.Sprintf("complete: %d certificate(s) sent", len(chain())), layer: checks.LayerTLS}
		if err := verifyAt(nil); err != nil {
			if verifyAt(current.cfg.KnownIntermediates) == nil {
				o = outcome{finding: true, observed: fmt.Sprintf("incomplete: %d certificate(s) sent, the intermediate is missing", len(chain())), layer: checks.LayerTLS}
			} else {
				o = outcome{finding: true, observed: "does not verify with what was sent: " + err.Error(), layer: checks.LayerTLS}
			}
		}
		finish("server-cert.complete-chain", o, start)
	})

	// MUST: the certificate names the origin domain CloudFront connects to.
	It("server-cert.hostname", func() {
		start := time.Now()
		if noChain("server-cert.hostname") {
			return
		}
		leaf := chain()[0]
		name := current.cfg.Target.ServerName
		o := outcome{observed: "names " + name, layer: checks.LayerTLS}
		if err := leaf.VerifyHostname(name); err != nil {
			o = outcome{finding: true, observed: fmt.Sprintf("does not name %s (names %s)", name, strings.Join(leaf.DNSNames, ", ")), layer: checks.LayerTLS}
		}
		finish("server-cert.hostname", o, start)
	})

	// MUST: unexpired (fail), and valid for 30 more days (warn).
	It("server-cert.expiry-horizon", func() {
		start := time.Now()
		if noChain("server-cert.expiry-horizon") {
			return
		}
		finish("server-cert.expiry-horizon", expiryOutcome(chain()[0], "server certificate"), start)
	})

	// MUST: RSA 2048+ or ECDSA P-256+.
	It("server-cert.key-strength", func() {
		start := time.Now()
		if noChain("server-cert.key-strength") {
			return
		}
		leaf := chain()[0]
		o := outcome{observed: cloudfront.DescribeKey(leaf.PublicKey), layer: checks.LayerTLS}
		if !strongKey(leaf) {
			o.finding = true
			o.observed += ": too weak"
		}
		finish("server-cert.key-strength", o, start)
	})
})

func strongKey(c *x509.Certificate) bool {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		return k.N.BitLen() >= 2048
	case *ecdsa.PublicKey:
		return k.Curve.Params().BitSize >= 256
	}
	return true
}

const expiryHorizon = 30 * 24 * time.Hour

func expiryOutcome(c *x509.Certificate, what string) outcome {
	left := time.Until(c.NotAfter)
	o := outcome{observed: fmt.Sprintf("%s expires %s (in %d days)", what, c.NotAfter.UTC().Format("2006-01-02"), int(left.Hours()/24)), layer: checks.LayerNone}
	switch {
	case left <= 0:
		o.finding = true
		o.observed = fmt.Sprintf("%s expired %s", what, c.NotAfter.UTC().Format(time.RFC3339))
	case time.Now().Before(c.NotBefore):
		o.finding = true
		o.observed = fmt.Sprintf("%s is not valid before %s", what, c.NotBefore.UTC().Format(time.RFC3339))
	case left < expiryHorizon:
		o.status = checks.StatusWarn
	}
	return o
}

var _ = Describe("keepalive", Label("keepalive"), func() {
	// MUST: an HTTP/1.1 connection carries a second request.
	It("keepalive.persistent", func() {
		start := time.Now()
		s := current
		c := s.cfg.goodIdentity().TLSCertificate()
		conn, res := probe.Open(s.ctx, s.cfg.Target, probe.Options{Cert: &c})
		if conn == nil {
			finish("keepalive.persistent", outcome{status: checks.StatusError, observed: res.Describe()}, start)
			return
		}
		defer conn.Close()
		first := conn.Request(s.ctx)
		second := conn.Request(s.ctx)
		o := outcome{observed: "second request served on the same connection", layer: checks.LayerNone}
		switch {
		case first.Kind != probe.Response:
			o = outcome{status: checks.StatusError, observed: "first request: " + first.Describe()}
		case second.Kind != probe.Response || second.Status != first.Status:
			o = outcome{finding: true, observed: "the connection did not carry a second request: " + second.Describe(), layer: checks.LayerHTTP}
		}
		finish("keepalive.persistent", o, start)
	})

	// MUST: an idle connection survives CloudFront's keep-alive + 1 s; the
	// origin's own idle close is reported up to a bound.
	It("keepalive.idle-compatible", func() {
		start := time.Now()
		o := current.idleSurvive.wait(current.ctx)
		closeAt := current.idleClose.wait(current.ctx)
		o.detail = strings.TrimSpace(o.detail + " " + closeAt.observed)
		finish("keepalive.idle-compatible", o, start)
	})
})

var _ = Describe("resumption", Label("resumption"), func() {
	// SHOULD: a session made with a chain that has since expired, the leaf's
	// or an intermediate's, does not resume into a served request.
	It("resumption.after-expiry", func() {
		start := time.Now()
		leaf := current.resumeLeaf.wait(current.ctx)
		inter := current.resumeInter.wait(current.ctx)
		o := outcome{observed: leaf.observed + "; " + inter.observed, layer: leaf.layer, detail: strings.TrimSpace(leaf.detail + " " + inter.detail)}
		switch {
		case leaf.finding || inter.finding:
			o.finding = true
		case leaf.status == checks.StatusError || inter.status == checks.StatusError:
			o.status = checks.StatusError
		case leaf.status == checks.StatusSkip && inter.status == checks.StatusSkip:
			o.status = checks.StatusSkip
		}
		finish("resumption.after-expiry", o, start)
	})
})

var _ = Describe("cloudfront-cert", Label("cloudfront-cert"), func() {
	cf := func() *fixtures.Identity { return current.cfg.CloudFrontCert }
	none := func(id string) bool {
		if cf() == nil {
			finish(id, skipOutcome("no --cloudfront-cert given: pass the certificate you will import into ACM"), time.Now())
			return true
		}
		return false
	}

	// MUST: the certificate for ACM follows CloudFront's rules.
	It("cloudfront-cert.profile", func() {
		start := time.Now()
		if none("cloudfront-cert.profile") {
			return
		}
		id, rules := cf(), current.cfg.CDN.Certificate
		if rules.Problems == nil { // the CDN documents no rules to check
			finish("cloudfront-cert.profile", skipOutcome(rules.Unconfirmed), start)
			return
		}
		problems := rules.Problems(id.Leaf, id.Chain, id.Key)
		o := outcome{observed: fmt.Sprintf("%s, %s, clientAuth, depth %d", cloudfront.DescribeKey(id.Leaf.PublicKey), id.Leaf.SignatureAlgorithm, cloudfront.ChainDepth(id.Leaf, id.Chain)), layer: checks.LayerNone}
		if len(problems) > 0 {
			o = outcome{finding: true, observed: strings.Join(problems, "; "), layer: checks.LayerNone}
		}
		o.detail = strings.TrimSuffix(current.cfg.CDN.Title+"'s rules: "+rules.Rules+". "+rules.Unconfirmed, " ")
		finish("cloudfront-cert.profile", o, start)
	})

	// MUST: valid for 30 more days (warn), ACM does not renew imported certificates.
	It("cloudfront-cert.expiry-horizon", func() {
		start := time.Now()
		if none("cloudfront-cert.expiry-horizon") {
			return
		}
		finish("cloudfront-cert.expiry-horizon", expiryOutcome(cf().Leaf, "CloudFront certificate"), start)
	})

	// MUST: the CAs above it are valid for 30 more days (warn); ACM warns
	// about the leaf only.
	It("cloudfront-cert.chain-expiry-horizon", func() {
		start := time.Now()
		if none("cloudfront-cert.chain-expiry-horizon") {
			return
		}
		finish("cloudfront-cert.chain-expiry-horizon", chainExpiry(cf().Leaf, cf().Chain, current.cfg.PKI.ClientRoots()), start)
	})

	// MUST: the origin accepts the certificate CloudFront will present.
	It("cloudfront-cert.accepted", func() {
		start := time.Now()
		if none("cloudfront-cert.accepted") {
			return
		}
		finding, o := current.judgeIdentity(cf(), "accept")
		if finding {
			o.finding = true
		}
		finish("cloudfront-cert.accepted", o, start)
	})
})

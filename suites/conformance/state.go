package conformance

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"sync"
	"time"

	"github.com/originproof/originproof/checks"
	"github.com/originproof/originproof/fixtures"
	"github.com/originproof/originproof/probe"
	"github.com/originproof/originproof/reports"
)

// state is the one run's configuration and what the specs found. It is set
// before RunSpecs and read by the spec bodies.
type state struct {
	cfg      *Config
	ctx      context.Context
	baseline probe.Result
	noCert   probe.Result
	started  time.Time

	mu      sync.Mutex
	results map[string]reports.Check

	// Slow probes run in the background from the start, so the whole
	// catalogue stays short; the specs wait for them.
	idleSurvive, idleClose, resumeLeaf, resumeInter *future
	distIdle                                        *future // distribution.keepalive-vs-origin (nil without a distribution)
}

var current *state

type future struct {
	done chan struct{}
	val  outcome
}

// outcome is what a probe found. finding says the origin did the wrong
// thing (the check's severity decides what that means); status, when set,
// overrides the judgement (error, skip, or warn for a lesser problem).
type outcome struct {
	finding       bool
	status        checks.Status
	observed      string
	layer         checks.Layer
	alert, detail string
}

func goFuture(f func() outcome) *future {
	fu := &future{done: make(chan struct{})}
	go func() {
		defer close(fu.done)
		fu.val = f()
	}()
	return fu
}

func (f *future) wait(ctx context.Context) outcome {
	select {
	case <-f.done:
		return f.val
	case <-ctx.Done():
		return outcome{status: checks.StatusError, observed: "interrupted"}
	}
}

// severity is the check's severity for this run, and why it differs from the catalogue's.
func (s *state) severity(c checks.Check) (checks.Severity, string) {
	if o, ok := s.cfg.Overrides[c.ID]; ok {
		return o.Severity, "override: " + o.Reason
	}
	switch {
	case c.MustWith == checks.ExpectIdentityPin && s.cfg.ExpectIdentityPin,
		c.MustWith == checks.ExpectCRL && s.cfg.ExpectCRL,
		c.MustWith == checks.SiblingSNI && s.cfg.SiblingSNI != "":
		return checks.Must, "must with --" + string(c.MustWith)
	}
	return c.Severity, ""
}

// record stores a check's result. A finding (the origin did the wrong
// thing) becomes fail for a must and warn for a should.
func (s *state) record(id string, o outcome, start time.Time) reports.Check {
	c, _ := checks.Lookup(id)
	sev, why := s.severity(c)
	status := o.status
	if status == "" {
		status = checks.Judge(o.finding, sev)
	}
	layer := o.layer
	if layer == "" {
		layer = checks.LayerNone
	}
	rc := reports.Check{
		ID: id, Group: c.Group, Severity: sev, Status: status, Expected: c.Expected,
		Observed: o.observed, Layer: layer, Alert: o.alert, Detail: o.detail, SeverityReason: why,
		DurationS: time.Since(start).Seconds(),
	}
	s.mu.Lock()
	s.results[id] = rc
	s.mu.Unlock()
	return rc
}

func (s *state) result(id string) (reports.Check, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.results[id]
	return r, ok
}

// do runs one fresh probe with the given identity (nil: no certificate).
func (s *state) do(id *fixtures.Identity, mod func(*probe.Options)) probe.Result {
	var o probe.Options
	if id != nil {
		c := id.TLSCertificate()
		o.Cert = &c
	}
	if mod != nil {
		mod(&o)
	}
	return probe.Do(s.ctx, s.cfg.Target, o)
}

// judgeIdentity probes with an identity and judges it against the
// baseline, expecting accept or reject.
func (s *state) judgeIdentity(id *fixtures.Identity, expect string) (bool, outcome) {
	if s.baselineBroken() {
		return false, s.notJudged()
	}
	r := s.do(id, nil)
	v := probe.Judge(r, s.baseline)
	if v.Err != nil {
		return false, outcome{status: checks.StatusError, observed: v.Observed}
	}
	o := outcome{observed: v.Observed, layer: v.Layer, alert: r.Alert}
	if expect == "accept" {
		return !v.Accepted, o
	}
	return v.Accepted, o
}

// offer sends one probe to t presenting cert (nil: none) and offering the
// session in cache; it returns the result, its verdict against the
// baseline, and whether the origin resumed the session.
func (s *state) offer(t probe.Target, cert *tls.Certificate, cache tls.ClientSessionCache) (probe.Result, probe.Verdict, bool) {
	r := probe.Do(s.ctx, t, probe.Options{Cert: cert, SessionCache: cache})
	return r, probe.Judge(r, s.baseline), r.State != nil && r.State.DidResume
}

// baselineBroken says the good certificate was not accepted, so the
// client-certificate probes cannot be judged against it.
func (s *state) baselineBroken() bool {
	return s.baseline.Kind != probe.Response || baselineRefusedStatus(s.baseline.Status)
}

// baselineAttributed says the good certificate was refused for a reason
// the harness can name: the origin asks for the certificate after the
// handshake (renegotiation, TLS 1.3 post-handshake auth, or per-location
// auth answering 4xx without a CertificateRequest), which CloudFront never
// answers. client-auth.in-initial-handshake fails then; the verdict is fail.
func (s *state) baselineAttributed() bool {
	b := s.baseline
	return b.Renegotiation || b.PostHandshakeAuth || (b.Kind == probe.Response && baselineRefusedStatus(b.Status) && !b.CertRequested)
}

// notJudged is the outcome of a client probe that cannot be compared with
// a refused baseline: skipped when the refusal is attributed (the verdict
// is decided by client-auth.in-initial-handshake), an error otherwise (the
// run is inconclusive).
func (s *state) notJudged() outcome {
	why := "not judged: the good certificate was not accepted (" + s.baseline.Describe() + ")"
	if s.baselineAttributed() {
		return outcome{status: checks.StatusSkip, observed: "not run", detail: why + "; see client-auth.in-initial-handshake"}
	}
	return outcome{status: checks.StatusError, observed: why}
}

// baselineRefusedStatus: statuses that mean "your certificate is not
// welcome" rather than content (nginx uses 400, 495 and 496).
func baselineRefusedStatus(code int) bool {
	switch code {
	case 400, 401, 403, 421, 495, 496:
		return true
	}
	return false
}

// serverChainInfo describes the presented server chain for the summary.
func serverChainInfo(certs []*x509.Certificate) ([]reports.CertInfo, []string) {
	var info []reports.CertInfo
	var fps []string
	for _, c := range certs {
		ci := reports.CertInfo{
			Subject: c.Subject.String(), Issuer: c.Issuer.String(), DNSNames: c.DNSNames,
			Key: fixtures.KeyDescription(c.PublicKey), Signature: c.SignatureAlgorithm.String(),
			NotBefore: c.NotBefore.UTC(), NotAfter: c.NotAfter.UTC(), Fingerprint: fixtures.Fingerprint(c),
		}
		for _, ip := range c.IPAddresses {
			ci.IPAddresses = append(ci.IPAddresses, ip.String())
		}
		info = append(info, ci)
		fps = append(fps, ci.Fingerprint)
	}
	return info, fps
}

// resumeAfterExpiry makes a session with a chain that expires in
// cfg.ShortLived (the leaf's or an intermediate's), waits past the expiry
// and tries to resume it into a served request.
func (s *state) resumeAfterExpiry(which string) outcome {
	cfg, p := s.cfg, s.cfg.PKI
	if s.baselineBroken() {
		return s.notJudged()
	}
	issuer := p.ClientIntermediate
	if cfg.RotationPhase == PhasePost {
		issuer = p.NextIntermediate
	}
	if issuer == nil || issuer.Key == nil {
		return outcome{status: checks.StatusSkip, observed: "not run", detail: "the PKI has no CA key under ca/ to mint short-lived identities"}
	}
	m := fixtures.NewMinter(time.Now())
	expiry := time.Now().Add(cfg.ShortLived)
	leafExpiry := time.Now().Add(time.Hour)
	if which == "intermediate" {
		if cfg.RotationPhase == PhasePost || p.ResumptionIntermediate == nil {
			return outcome{status: checks.StatusSkip, observed: "not run", detail: "the resumption intermediate sits under the current root, retired in the post phase"}
		}
		if p.ResumptionIntermediate.Key == nil || p.ResumptionIntermediate.Parent == nil || p.ResumptionIntermediate.Parent.Key == nil {
			return outcome{status: checks.StatusSkip, observed: "not run", detail: "the PKI has no key under ca/ for the resumption intermediate and its root, to re-certify it short-lived"}
		}
		short, err := m.Reissue(p.ResumptionIntermediate, expiry)
		if err != nil {
			return outcome{status: checks.StatusError, observed: err.Error()}
		}
		issuer = short
	} else {
		leafExpiry = expiry
	}
	id, err := m.ClientLeaf(issuer, p.CloudFrontIdentity, leafExpiry)
	if err != nil {
		return outcome{status: checks.StatusError, observed: err.Error()}
	}
	cache := tls.NewLRUClientSessionCache(8)
	cert := id.TLSCertificate()
	first := probe.Do(s.ctx, cfg.Target, probe.Options{Cert: &cert, SessionCache: cache})
	if v := probe.Judge(first, s.baseline); !v.Accepted {
		return outcome{status: checks.StatusError, observed: "the short-lived " + which + " chain was not accepted while valid: " + v.Observed,
			detail: "cannot test resumption: the origin refused a fresh, valid chain minted from the PKI's CAs"}
	}
	select {
	case <-time.After(time.Until(expiry.Truncate(time.Second).Add(1100 * time.Millisecond))):
	case <-s.ctx.Done():
		return outcome{status: checks.StatusError, observed: "interrupted"}
	}
	second, v, resumed := s.offer(cfg.Target, &cert, cache)
	switch {
	case v.Err != nil:
		return outcome{status: checks.StatusError, observed: v.Observed}
	case v.Accepted && resumed:
		return outcome{finding: true, observed: fmt.Sprintf("served a request on a session resumed after the %s expired", which), layer: checks.LayerNone,
			detail: "the origin restores the old verification result on resumption: disable session tickets and the session cache, or re-verify the chain on resumption"}
	case v.Accepted:
		return outcome{finding: true, observed: fmt.Sprintf("accepted the expired %s chain in a full handshake", which), layer: checks.LayerNone}
	}
	how := "full handshake"
	if resumed {
		how = "resumed session"
	}
	return outcome{observed: fmt.Sprintf("%s expired: %s (%s)", which, v.Observed, how), layer: v.Layer, alert: second.Alert}
}

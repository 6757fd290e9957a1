package conformance

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/originproof/originproof/checks"
	"github.com/originproof/originproof/fixtures"
	"github.com/originproof/originproof/probe"
)

var _ = Describe("resumption across hosts and rotations", Label("resumption"), func() {
	// SHOULD (MUST with --sibling-sni): a session made with another name the
	// origin's address serves does not resume into a served request for the
	// origin (nginx CVE-2025-23419, Apache CVE-2025-23048, Go CVE-2025-68121).
	It("resumption.cross-host", func() {
		start := time.Now()
		s := current
		if s.baselineBroken() {
			finish("resumption.cross-host", s.notJudged(), start)
			return
		}
		var parts []string
		var o outcome
		for _, v := range []struct {
			name string
			id   *fixtures.Identity
		}{{"without a certificate", nil}, {"with the untrusted-root certificate", s.cfg.PKI.Identity("chain.untrusted-root")}} {
			if v.id != nil && v.id.Leaf == nil {
				continue // not built under the user's CA
			}
			r := s.crossHost(v.id)
			parts = append(parts, v.name+": "+r.observed)
			switch {
			case r.finding:
				o.finding, o.layer, o.detail = true, checks.LayerNone, r.detail
			case r.status == checks.StatusError && !o.finding:
				o.status = checks.StatusError
			case o.layer == "" && !o.finding:
				o.layer, o.alert = r.layer, r.alert
			}
		}
		o.observed = strings.Join(parts, "; ")
		if o.detail == "" {
			o.detail = "sessions made with SNI " + s.cfg.siblingSNI() + " offered for " + s.cfg.Target.ServerName
		}
		finish("resumption.cross-host", o, start)
	})

	// SHOULD: a session made in the overlap phase with the current root's
	// certificate does not resume into a served request once the root is
	// retired. The overlap phase saves the session; the post phase offers it.
	It("resumption.after-rotation", func() {
		start := time.Now()
		s := current
		if s.baselineBroken() {
			finish("resumption.after-rotation", s.notJudged(), start)
			return
		}
		if s.cfg.PKIDir == "" {
			finish("resumption.after-rotation", skipOutcome("no PKI directory to keep the overlap phase's session in"), start)
			return
		}
		if s.cfg.RotationPhase == PhaseOverlap {
			finish("resumption.after-rotation", s.saveRotationSession(), start)
			return
		}
		finish("resumption.after-rotation", s.resumeRotationSession(), start)
	})
})

// crossHost makes a session with the sibling name, presenting id (nil:
// no certificate), and offers it for the origin's name with the same id.
// When the origin lets id in with a full handshake too, the fault is
// another check's (client-auth.required, chain.untrusted-root): not judged.
func (s *state) crossHost(id *fixtures.Identity) outcome {
	var cert *tls.Certificate
	if id != nil {
		c := id.TLSCertificate()
		cert = &c
	}
	direct := s.noCert
	if id != nil {
		direct = probe.Do(s.ctx, s.cfg.Target, probe.Options{Cert: cert})
	}
	if v := probe.Judge(direct, s.baseline); v.Accepted {
		return outcome{observed: "not judged: let in with a full handshake too (" + v.Observed + ")", layer: checks.LayerNone}
	}
	sibling := s.cfg.Target
	sibling.ServerName, sibling.Host = s.cfg.siblingSNI(), s.cfg.siblingSNI()
	cache := &probe.SessionCache{}
	first := probe.Do(s.ctx, sibling, probe.Options{Cert: cert, SessionCache: cache})
	if !cache.Has() {
		return outcome{observed: "no session from " + sibling.ServerName + " (" + first.Describe() + ")", layer: layerOf(first), alert: first.Alert}
	}
	second, v, resumed := s.offer(s.cfg.Target, cert, cache)
	switch {
	case v.Err != nil:
		return outcome{status: checks.StatusError, observed: v.Observed}
	case v.Accepted && resumed:
		return outcome{finding: true, observed: "served on the session made with " + sibling.ServerName,
			detail: "the origin resumed a session another of its hosts made and served the request: its virtual hosts share session tickets or cache and it does not re-check on resumption"}
	}
	return outcome{observed: v.Observed + how(second), layer: v.Layer, alert: second.Alert}
}

// how says whether a probe's handshake resumed the session it offered.
func how(r probe.Result) string {
	switch {
	case r.State == nil:
		return " (handshake not completed)"
	case r.State.DidResume:
		return " (resumed session)"
	}
	return " (full handshake)"
}

// rotationSessionFile is where the overlap phase keeps its session.
func (s *state) rotationSessionFile() string {
	return filepath.Join(s.cfg.PKIDir, fixtures.FileRotationSession)
}

// saveRotationSession makes a session with the current root's identity
// and writes it down for the post phase; the check itself is judged there.
func (s *state) saveRotationSession() outcome {
	id := s.cfg.PKI.Identity("chain.valid")
	c := id.TLSCertificate()
	cache := &probe.SessionCache{}
	r := probe.Do(s.ctx, s.cfg.Target, probe.Options{Cert: &c, SessionCache: cache})
	if v := probe.Judge(r, s.baseline); !v.Accepted || !cache.Has() {
		return skipOutcome(fmt.Sprintf("overlap phase: no session of the current root's identity to save (%s; session: %v)", v.Observed, cache.Has()))
	}
	saved, err := cache.Save(s.cfg.Target, time.Now())
	if err == nil {
		err = writeSession(s.rotationSessionFile(), saved)
	}
	if err != nil {
		return skipOutcome("overlap phase: the session could not be saved: " + err.Error())
	}
	return skipOutcome("overlap phase: a session of the current root's identity is saved in " + s.rotationSessionFile() +
		"; retire the current root and run --rotation-phase post within the origin's session lifetime")
}

// resumeRotationSession offers the saved session to the origin that has
// retired the current root.
func (s *state) resumeRotationSession() outcome {
	saved, err := readSession(s.rotationSessionFile())
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return skipOutcome("no session saved: run conform --rotation-phase overlap with this PKI directory before retiring the current root")
	case err != nil:
		return outcome{status: checks.StatusError, observed: err.Error()}
	case saved.Addr != s.cfg.Target.Addr || !strings.EqualFold(saved.ServerName, s.cfg.Target.ServerName):
		return skipOutcome(fmt.Sprintf("the saved session is for %s (SNI %s), not this target", saved.Addr, saved.ServerName))
	}
	cache, err := saved.Cache()
	if err != nil {
		return outcome{status: checks.StatusError, observed: err.Error()}
	}
	c := s.cfg.PKI.Identity("chain.valid").TLSCertificate()
	r, v, resumed := s.offer(s.cfg.Target, &c, cache)
	age := time.Since(saved.Saved).Round(time.Second)
	switch {
	case v.Err != nil:
		return outcome{status: checks.StatusError, observed: v.Observed}
	case v.Accepted && resumed:
		return outcome{finding: true, observed: fmt.Sprintf("served on the session saved in the overlap phase (%v ago) for the retired root's certificate", age), layer: checks.LayerNone,
			detail: "the origin kept its session ticket keys or cache across the reload that retired the root, and restores the old verification on resumption"}
	case v.Accepted:
		return outcome{status: checks.StatusSkip, observed: "not judged", detail: "the retired root's certificate is accepted in a full handshake: the root is not retired (see rotation.retired-rejected)"}
	}
	return outcome{observed: fmt.Sprintf("session saved %v ago: %s%s", age, v.Observed, how(r)), layer: v.Layer, alert: r.Alert}
}

// writeSession writes a saved session 0600, whole or not at all (runs
// against several origins may share a PKI directory).
func writeSession(path string, saved probe.SavedSession) error {
	data, err := json.MarshalIndent(saved, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".session-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(append(data, '\n')); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

func readSession(path string) (probe.SavedSession, error) {
	var saved probe.SavedSession
	data, err := os.ReadFile(path)
	if err != nil {
		return saved, err
	}
	if err := json.Unmarshal(data, &saved); err != nil {
		return saved, fmt.Errorf("%s: malformed saved session: %w", path, err)
	}
	return saved, nil
}

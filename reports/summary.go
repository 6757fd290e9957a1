package reports

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/originproof/originproof/checks"
	"github.com/originproof/originproof/loadgen"
)

// ClientAuth is what the TLS handshake demands of a client.
type ClientAuth string

// What the handshake demands: a certificate (refused without one), a
// certificate when the client has one, or none at all.
const (
	ClientAuthRequired ClientAuth = "required"
	ClientAuthOptional ClientAuth = "optional"
	ClientAuthDisabled ClientAuth = "disabled"
)

// Summary is summary.json (schema_version 1; the README documents its fields).
type Summary struct {
	SchemaVersion int            `json:"schema_version"`
	Tool          string         `json:"tool"`
	Version       string         `json:"version"`
	Target        string         `json:"target"`
	ServerName    string         `json:"server_name"`
	Verdict       checks.Verdict `json:"verdict"`
	// Shard is "i/N" when the summary covers one shard of a sharded run.
	Shard                string       `json:"shard,omitempty"`
	VerdictReason        string       `json:"verdict_reason,omitempty"`
	ClientAuth           ClientAuth   `json:"client_auth,omitempty"`
	ClientAuthEnforcedAt checks.Layer `json:"client_auth_enforced_at,omitempty"`
	ClockSkewS           *float64     `json:"clock_skew_s,omitempty"`
	// Server is the origin's server program, for server-specific fixes.
	Server   *ServerInfo `json:"server,omitempty"`
	Started  time.Time   `json:"started"`
	Finished time.Time   `json:"finished"`
	// Config is the resolved configuration the run used.
	Config       map[string]any    `json:"config,omitempty"`
	Fingerprints Fingerprints      `json:"fingerprints"`
	ServerChain  []CertInfo        `json:"server_chain,omitempty"`
	Warnings     []string          `json:"warnings,omitempty"`
	Checks       []Check           `json:"checks"`
	Thresholds   []ThresholdResult `json:"thresholds,omitempty"`
	Load         *loadgen.Summary  `json:"load,omitempty"`
}

// ServerInfo is what is known of the origin's server program: the Server
// header it sent, and the server whose recipe the report quotes (given with
// --server or the scenario's target.server, or guessed from the header).
type ServerInfo struct {
	Header  string        `json:"header,omitempty"`
	Name    checks.Server `json:"name,omitempty"`
	Guessed bool          `json:"guessed,omitempty"`
}

// SetServer records the origin's server program: given when set (from
// --server or the scenario), otherwise guessed from header (the Server
// header the origin sent). Nothing is recorded when neither says anything.
func (s *Summary) SetServer(given checks.Server, header string) {
	info := &ServerInfo{Header: header, Name: given}
	if given == "" {
		info.Name, info.Guessed = checks.GuessServer(header)
	}
	if info.Header == "" && info.Name == "" {
		return
	}
	s.Server = info
}

// Fingerprints of the certificates involved.
type Fingerprints struct {
	ServerChain    []string `json:"server_chain"`
	ClientCABundle []string `json:"client_ca_bundle"`
}

// CertInfo describes one certificate as presented (never a key).
type CertInfo struct {
	Subject     string    `json:"subject"`
	Issuer      string    `json:"issuer"`
	DNSNames    []string  `json:"dns_names,omitempty"`
	IPAddresses []string  `json:"ip_addresses,omitempty"`
	Key         string    `json:"key"`
	Signature   string    `json:"signature"`
	NotBefore   time.Time `json:"not_before"`
	NotAfter    time.Time `json:"not_after"`
	Fingerprint string    `json:"fingerprint"`
}

// Check is one conformance check's result.
type Check struct {
	ID       string          `json:"id"`
	Group    string          `json:"group"`
	Severity checks.Severity `json:"severity"`
	Status   checks.Status   `json:"status"`
	Expected string          `json:"expected"`
	Observed string          `json:"observed"`
	Layer    checks.Layer    `json:"layer"`
	Alert    string          `json:"alert,omitempty"`
	Detail   string          `json:"detail"`
	// SeverityReason says why the severity differs from the catalogue's (policy flags, overrides).
	SeverityReason string  `json:"severity_reason,omitempty"`
	DurationS      float64 `json:"duration_s"`
}

// ThresholdResult is one load threshold and whether it held.
type ThresholdResult struct {
	Name     string `json:"name"`
	Phase    string `json:"phase,omitempty"`
	Limit    string `json:"limit"`
	Observed string `json:"observed"`
	Held     bool   `json:"held"`
}

// New returns a Summary with the fixed fields set.
func New(version, target, serverName string) *Summary {
	return &Summary{SchemaVersion: 1, Tool: "originproof", Version: version, Target: target, ServerName: serverName,
		Checks: []Check{}, Fingerprints: Fingerprints{ServerChain: []string{}, ClientCABundle: []string{}}}
}

// Decide sets the verdict from the checks and thresholds: a must that
// errored makes it inconclusive, a failed must (or threshold, or a warn
// with failOnWarn) makes it fail.
func (s *Summary) Decide(failOnWarn bool) {
	verdict, reason := checks.VerdictPass, ""
	for _, c := range s.Checks {
		switch {
		case c.Status == checks.StatusError && c.Severity == checks.Must:
			if verdict != checks.VerdictInconclusive {
				verdict, reason = checks.VerdictInconclusive, c.ID+" errored: "+c.Observed
			}
		case c.Status == checks.StatusFail && verdict == checks.VerdictPass:
			verdict, reason = checks.VerdictFail, c.ID+": "+c.Observed
		case c.Status == checks.StatusWarn && failOnWarn && verdict == checks.VerdictPass:
			verdict, reason = checks.VerdictFail, c.ID+" (warn, --fail-on warn): "+c.Observed
		}
	}
	for _, t := range s.Thresholds {
		if !t.Held && verdict == checks.VerdictPass {
			verdict, reason = checks.VerdictFail, fmt.Sprintf("threshold %s: %s (limit %s)", t.Name, t.Observed, t.Limit)
		}
	}
	s.Verdict, s.VerdictReason = verdict, reason
}

// SetCheck replaces the check with c's id (a check measured outside the
// conformance suites, e.g. rotation.under-load from the load run).
func (s *Summary) SetCheck(c Check) {
	for i := range s.Checks {
		if s.Checks[i].ID == c.ID {
			s.Checks[i] = c
			return
		}
	}
	s.Checks = append(s.Checks, c)
}

// WriteOutputs writes summary.json, summary.md, junit.xml and report.html
// into dir.
func WriteOutputs(dir string, s *Summary) error {
	if err := WriteSummary(dir, s); err != nil {
		return err
	}
	if err := s.WriteJUnitFile(filepath.Join(dir, "junit.xml")); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Join(dir, "junit.xml"), err)
	}
	if _, err := RenderDir(dir); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Join(dir, "report.html"), err)
	}
	return nil
}

// Count returns how many checks have each status.
func (s *Summary) Count() map[checks.Status]int {
	out := map[checks.Status]int{}
	for _, c := range s.Checks {
		out[c.Status]++
	}
	return out
}

// WriteFile writes the summary as indented JSON, atomically.
func (s *Summary) WriteFile(path string) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(path, func(w io.Writer) error {
		_, err := w.Write(append(data, '\n'))
		return err
	})
}

// ReadSummary reads a summary.json.
func ReadSummary(path string) (*Summary, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s Summary
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("%s: malformed summary: %w", path, err)
	}
	if s.SchemaVersion != 1 {
		return nil, fmt.Errorf("%s: schema_version %d is not supported (want 1)", path, s.SchemaVersion)
	}
	return &s, nil
}

// writeAtomic writes path with write: into a temporary file beside it,
// made 0644 and renamed over path, so that a reader finds the old file or
// the whole new one, never part of it; on an error the temporary file is
// removed and path left as it was.
func writeAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	err = write(tmp)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}

package reports

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/originproof/originproof/loadgen"
)

// Verdicts.
const (
	VerdictPass         = "pass"
	VerdictFail         = "fail"
	VerdictInconclusive = "inconclusive"
)

// Check statuses.
const (
	StatusPass  = "pass"
	StatusFail  = "fail"
	StatusWarn  = "warn"
	StatusSkip  = "skip"
	StatusError = "error"
)

// Summary is summary.json (SPEC schema, schema_version 1).
type Summary struct {
	SchemaVersion        int       `json:"schema_version"`
	Tool                 string    `json:"tool"`
	Version              string    `json:"version"`
	Target               string    `json:"target"`
	ServerName           string    `json:"server_name"`
	Verdict              string    `json:"verdict"`
	VerdictReason        string    `json:"verdict_reason,omitempty"`
	ClientAuth           string    `json:"client_auth,omitempty"`
	ClientAuthEnforcedAt string    `json:"client_auth_enforced_at,omitempty"`
	ClockSkewS           *float64  `json:"clock_skew_s,omitempty"`
	Started              time.Time `json:"started"`
	Finished             time.Time `json:"finished"`
	// Config is the resolved configuration the run used.
	Config       map[string]any    `json:"config,omitempty"`
	Fingerprints Fingerprints      `json:"fingerprints"`
	ServerChain  []CertInfo        `json:"server_chain,omitempty"`
	Warnings     []string          `json:"warnings,omitempty"`
	Checks       []Check           `json:"checks"`
	Thresholds   []ThresholdResult `json:"thresholds,omitempty"`
	Load         *loadgen.Summary  `json:"load,omitempty"`
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
	ID       string `json:"id"`
	Group    string `json:"group"`
	Severity string `json:"severity"`
	Status   string `json:"status"`
	Expected string `json:"expected"`
	Observed string `json:"observed"`
	Layer    string `json:"layer"`
	Alert    string `json:"alert,omitempty"`
	Detail   string `json:"detail"`
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
	verdict, reason := VerdictPass, ""
	for _, c := range s.Checks {
		switch {
		case c.Status == StatusError && c.Severity == "must":
			if verdict != VerdictInconclusive {
				verdict, reason = VerdictInconclusive, c.ID+" errored: "+c.Observed
			}
		case c.Status == StatusFail && verdict == VerdictPass:
			verdict, reason = VerdictFail, c.ID+": "+c.Observed
		case c.Status == StatusWarn && failOnWarn && verdict == VerdictPass:
			verdict, reason = VerdictFail, c.ID+" (warn, --fail-on warn): "+c.Observed
		}
	}
	for _, t := range s.Thresholds {
		if !t.Held && verdict == VerdictPass {
			verdict, reason = VerdictFail, fmt.Sprintf("threshold %s: %s (limit %s)", t.Name, t.Observed, t.Limit)
		}
	}
	s.Verdict, s.VerdictReason = verdict, reason
}

// Count returns how many checks have each status.
func (s *Summary) Count() map[string]int {
	out := map[string]int{}
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
	return writeAtomic(path, append(data, '\n'))
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

func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}

package checks

// Severity of a check: a failed must fails the verdict, a failed should warns.
type Severity string

// Severities.
const (
	Must   Severity = "must"
	Should Severity = "should"
	Info   Severity = "info"
)

// Status is the result of one check in summary.json.
type Status string

// Statuses.
const (
	StatusPass  Status = "pass"
	StatusFail  Status = "fail"
	StatusWarn  Status = "warn"
	StatusSkip  Status = "skip"
	StatusError Status = "error"
)

// Statuses lists every status in report order.
var Statuses = []Status{StatusPass, StatusFail, StatusWarn, StatusSkip, StatusError}

// Verdict is a run's outcome: what the exit code and the report banner say.
type Verdict string

// Verdicts.
const (
	VerdictPass         Verdict = "pass"
	VerdictFail         Verdict = "fail"
	VerdictInconclusive Verdict = "inconclusive"
)

// Layer is where an origin refused a probe: in the TLS handshake (an alert,
// or the connection closed before any HTTP byte), with an HTTP response that
// is not the protected content, or nowhere (it accepted).
type Layer string

// Layers.
const (
	LayerTLS  Layer = "tls"
	LayerHTTP Layer = "http"
	LayerNone Layer = "none"
)

// Expectations: what a conforming origin does with a client identity.
const (
	Accept = "accept"
	Reject = "reject"
)

// Judge turns a finding (the origin did the wrong thing) into a status for
// a check of severity sev: fail for a must, warn for a should, pass for an
// info check (information never fails a run).
func Judge(finding bool, sev Severity) Status {
	if !finding {
		return StatusPass
	}
	switch sev {
	case Must:
		return StatusFail
	case Should:
		return StatusWarn
	}
	return StatusPass
}

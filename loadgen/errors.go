package loadgen

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/originproof/originproof/probe"
)

// ErrorClass names why a request failed: the keys of
// Summary.ErrorsByClass and the error_class field of results.json. A TLS
// alert from the origin is "tls_alert:<IANA name>" (e.g.
// tls_alert:bad_certificate, tls_alert:certificate_required), the names
// conform reports for the same alerts; an HTTP status outside 200-399 is
// "http_<code>".
type ErrorClass string

// Error classes that are not an alert or a status.
const (
	ErrDNS            ErrorClass = "dns"
	ErrConnectRefused ErrorClass = "connect_refused"
	ErrConnect        ErrorClass = "connect"
	ErrTimeout        ErrorClass = "timeout"
	ErrReset          ErrorClass = "reset"
	ErrClosed         ErrorClass = "closed" // closed without alert
	ErrServerCert     ErrorClass = "server_cert"
	ErrTLS            ErrorClass = "tls"
	ErrCanceled       ErrorClass = "canceled"
	ErrOther          ErrorClass = "other"
)

const alertPrefix = "tls_alert:"

// AlertClass is the class of a request refused with a TLS alert (IANA name).
func AlertClass(name string) ErrorClass { return ErrorClass(alertPrefix + name) }

// HTTPClass is the class of a request answered with a failing status.
func HTTPClass(code uint16) ErrorClass { return ErrorClass("http_" + strconv.Itoa(int(code))) }

// Alert returns the alert name of an alert class.
func (c ErrorClass) Alert() (string, bool) {
	return strings.CutPrefix(string(c), alertPrefix)
}

// Failed says whether a request failed: a transport error, or a status
// outside 200-399. It is the one definition the summary, the phase
// statistics of a scenario and the report's series use.
func Failed(code uint16, errText string) bool {
	return errText != "" || code < 200 || code >= 400
}

// ClassOf is the class of a failed request from what results.json holds:
// the recorded class (alert names written by earlier versions in Go's
// wording are read as their IANA names), or the status when none was
// recorded.
func ClassOf(recorded string, code uint16) ErrorClass {
	if recorded == "" {
		return HTTPClass(code)
	}
	if name, ok := strings.CutPrefix(recorded, alertPrefix); ok {
		return AlertClass(probe.CanonicalAlertName(name))
	}
	return ErrorClass(recorded)
}

// classify names the class of a request's failure: the error the transport
// returned (nil when none) or, failing that, the HTTP status; "" when the
// request did not fail.
func classify(err error, vegetaErr string, code uint16) ErrorClass {
	if err == nil && !Failed(code, vegetaErr) {
		return ""
	}
	if err != nil {
		return classifyErr(err)
	}
	if code != 0 && (code < 200 || code >= 400) {
		return HTTPClass(code)
	}
	return classifyText(vegetaErr)
}

// classifyText names the class of an error known only by its text.
func classifyText(msg string) ErrorClass {
	switch {
	case strings.Contains(msg, "Client.Timeout"), strings.Contains(msg, "timeout"):
		return ErrTimeout
	case strings.Contains(msg, "server closed idle connection"), strings.Contains(msg, "EOF"):
		return ErrClosed
	case strings.Contains(msg, "connection reset"):
		return ErrReset
	case strings.Contains(msg, "tls:"):
		return ErrTLS
	}
	return ErrOther
}

func classifyErr(err error) ErrorClass {
	var de *DialError
	if errors.As(err, &de) && de.Phase == "dns" {
		return ErrDNS
	}
	if name, ok := probe.AlertName(err); ok {
		return AlertClass(name)
	}
	var cve *tls.CertificateVerificationError
	var uae x509.UnknownAuthorityError
	var hne x509.HostnameError
	var cie x509.CertificateInvalidError
	if errors.As(err, &cve) || errors.As(err, &uae) || errors.As(err, &hne) || errors.As(err, &cie) {
		return ErrServerCert
	}
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled):
		return ErrCanceled
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return ErrTimeout
	case errors.Is(err, syscall.ECONNREFUSED):
		return ErrConnectRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return ErrReset
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		return ErrClosed
	}
	if errors.As(err, &de) {
		if de.Phase == "connect" {
			return ErrConnect
		}
		return ErrTLS
	}
	return classifyText(err.Error())
}

// ClassList is "class: n, …" sorted by class, for messages.
func ClassList(m map[ErrorClass]int64) string {
	parts := make([]string, 0, len(m))
	for k, v := range m {
		parts = append(parts, fmt.Sprintf("%s: %d", k, v))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

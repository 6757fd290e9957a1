package loadgen

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"syscall"
)

// Error classes of a failed request (the keys of Summary.ErrorsByClass).
// A TLS alert is "tls_alert:<name>" (e.g. tls_alert:bad_certificate,
// tls_alert:certificate_required); an HTTP status is "http_<code>".
const (
	ErrDNS            = "dns"
	ErrConnectRefused = "connect_refused"
	ErrConnect        = "connect"
	ErrTimeout        = "timeout"
	ErrReset          = "reset"
	ErrClosed         = "closed" // closed without alert
	ErrServerCert     = "server_cert"
	ErrTLS            = "tls"
	ErrCanceled       = "canceled"
	ErrOther          = "other"
)

// classify names the class of a request's failure: the error the transport
// returned (nil when none) or, failing that, the HTTP status.
func classify(err error, vegetaErr string, code uint16) string {
	if err == nil && vegetaErr == "" && code >= 200 && code < 400 {
		return ""
	}
	if err != nil {
		return classifyErr(err)
	}
	if code != 0 && (code < 200 || code >= 400) {
		return "http_" + strconv.Itoa(int(code))
	}
	switch {
	case strings.Contains(vegetaErr, "Client.Timeout"), strings.Contains(vegetaErr, "timeout"):
		return ErrTimeout
	case strings.Contains(vegetaErr, "connection reset"):
		return ErrReset
	case strings.Contains(vegetaErr, "EOF"):
		return ErrClosed
	}
	return ErrOther
}

func classifyErr(err error) string {
	var de *DialError
	if errors.As(err, &de) && de.Phase == "dns" {
		return ErrDNS
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "remote error" {
		// A TLS alert from the origin: "tls: bad certificate" → bad_certificate.
		name := strings.TrimPrefix(op.Err.Error(), "tls: ")
		return "tls_alert:" + strings.ReplaceAll(name, " ", "_")
	}
	var ae tls.AlertError
	if errors.As(err, &ae) {
		return "tls_alert:" + strings.ReplaceAll(strings.TrimPrefix(ae.Error(), "tls: "), " ", "_")
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
	msg := err.Error()
	switch {
	case strings.Contains(msg, "server closed idle connection"), strings.Contains(msg, "EOF"):
		return ErrClosed
	case strings.Contains(msg, "connection reset"):
		return ErrReset
	case strings.Contains(msg, "tls:"):
		return ErrTLS
	}
	return ErrOther
}

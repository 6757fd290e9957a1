package probe

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
)

// goAlertIANA maps the words Go's crypto/tls uses for TLS alerts to their
// IANA names (RFC 8446 section 6): Go wraps a received alert in a
// *net.OpError ("remote error: tls: bad certificate") with its own wording.
var goAlertIANA = map[string]string{
	"close notify":                    "close_notify",
	"unexpected message":              "unexpected_message",
	"bad record MAC":                  "bad_record_mac",
	"decryption failed":               "decryption_failed",
	"record overflow":                 "record_overflow",
	"decompression failure":           "decompression_failure",
	"handshake failure":               "handshake_failure",
	"bad certificate":                 "bad_certificate",
	"unsupported certificate":         "unsupported_certificate",
	"revoked certificate":             "certificate_revoked",
	"expired certificate":             "certificate_expired",
	"unknown certificate":             "certificate_unknown",
	"illegal parameter":               "illegal_parameter",
	"unknown certificate authority":   "unknown_ca",
	"access denied":                   "access_denied",
	"error decoding message":          "decode_error",
	"error decrypting message":        "decrypt_error",
	"export restriction":              "export_restriction",
	"protocol version not supported":  "protocol_version",
	"insufficient security level":     "insufficient_security",
	"internal error":                  "internal_error",
	"inappropriate fallback":          "inappropriate_fallback",
	"user canceled":                   "user_canceled",
	"no renegotiation":                "no_renegotiation",
	"missing extension":               "missing_extension",
	"unsupported extension":           "unsupported_extension",
	"certificate unobtainable":        "certificate_unobtainable",
	"unrecognized name":               "unrecognized_name",
	"bad certificate status response": "bad_certificate_status_response",
	"bad certificate hash value":      "bad_certificate_hash_value",
	"unknown PSK identity":            "unknown_psk_identity",
	"certificate required":            "certificate_required",
	"no application protocol":         "no_application_protocol",
	"encrypted client hello required": "ech_required",
}

// AlertName returns the IANA name of a TLS alert carried by err: one the
// peer sent (Go wraps it in a *net.OpError "remote error" with its own
// wording, e.g. "tls: bad certificate") or a tls.AlertError. conform's
// observations and load's error classes both name alerts with it, so the
// same alert has the same name everywhere.
func AlertName(err error) (string, bool) {
	var op *net.OpError
	for e := err; e != nil; e = errors.Unwrap(e) {
		if errors.As(e, &op) && op.Op == "remote error" {
			return alertNameOf(op.Err.Error()), true
		}
	}
	var ae tls.AlertError
	if errors.As(err, &ae) {
		return alertNameOf(ae.Error()), true
	}
	return "", false
}

// alertNameOf maps Go's text for an alert ("tls: bad certificate") to its IANA name.
func alertNameOf(text string) string {
	text = strings.TrimPrefix(text, "tls: ")
	if name, ok := goAlertIANA[text]; ok {
		return name
	}
	return strings.ReplaceAll(text, " ", "_")
}

// CanonicalAlertName returns the IANA name for an alert name written either
// way: IANA's (unchanged) or Go's wording with underscores, as results
// files of earlier versions recorded it ("unknown_certificate_authority"
// becomes "unknown_ca").
func CanonicalAlertName(name string) string {
	if name, ok := goAlertIANA[strings.ReplaceAll(name, "_", " ")]; ok {
		return name
	}
	return name
}

// IsClosed reports whether err is the peer closing or resetting the
// connection (no alert).
func IsClosed(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, net.ErrClosed)
}

// IsTimeout reports whether err is a deadline or timeout.
func IsTimeout(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

package probe

import (
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

// RemoteAlert returns the IANA name of a TLS alert the peer sent, if err
// carries one.
func RemoteAlert(err error) (string, bool) {
	var op *net.OpError
	for e := err; e != nil; e = errors.Unwrap(e) {
		if errors.As(e, &op) && op.Op == "remote error" {
			text := strings.TrimPrefix(op.Err.Error(), "tls: ")
			if name, ok := goAlertIANA[text]; ok {
				return name, true
			}
			return strings.ReplaceAll(text, " ", "_"), true
		}
	}
	return "", false
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

package loadgen

import (
	"strings"
	"testing"
)

func TestFailedAndClassOf(t *testing.T) {
	for _, tt := range []struct {
		code     uint16
		err      string
		recorded string
		failed   bool
		class    ErrorClass
	}{
		{200, "", "", false, ""},
		{304, "", "", false, ""},
		{403, "", "", true, "http_403"},
		{0, "remote error: tls: unknown certificate authority", "tls_alert:unknown_ca", true, "tls_alert:unknown_ca"},
		// Written by an earlier version, in Go's wording.
		{0, "remote error: tls: unknown certificate authority", "tls_alert:unknown_certificate_authority", true, "tls_alert:unknown_ca"},
		{0, "remote error: tls: expired certificate", "tls_alert:expired_certificate", true, "tls_alert:certificate_expired"},
		{0, "dial tcp: connection refused", "connect_refused", true, ErrConnectRefused},
		{200, "body read: unexpected EOF", "closed", true, ErrClosed},
	} {
		r := Record{Ext: Ext{ErrorClass: ErrorClass(tt.recorded)}}
		r.Code, r.Error = tt.code, tt.err
		if r.Failed() != tt.failed || r.Class() != tt.class {
			t.Errorf("code %d err %q recorded %q: failed %v class %q; want %v %q", tt.code, tt.err, tt.recorded, r.Failed(), r.Class(), tt.failed, tt.class)
		}
	}
}

// TestDecodeEarlierResults: a results line written before alert names were
// IANA's still reads, and its class reads as the IANA name.
func TestDecodeEarlierResults(t *testing.T) {
	line := `{"attack":"","seq":3,"code":0,"timestamp":"2026-01-02T03:04:05Z","latency":1200000,"bytes_out":0,"bytes_in":0,"error":"remote error: tls: unknown certificate authority","body":null,"method":"GET","url":"https://origin.test/","headers":null,"pop":1,"intended":"2026-01-02T03:04:05Z","latency_corrected":1200000,"send_lag":0,"conn_reused":false,"error_class":"tls_alert:unknown_certificate_authority"}` + "\n"
	var r Record
	if err := NewDecoder(strings.NewReader(line))(&r); err != nil {
		t.Fatal(err)
	}
	if r.Seq != 3 || r.Pop != 1 || r.Class() != "tls_alert:unknown_ca" {
		t.Errorf("seq %d pop %d class %q", r.Seq, r.Pop, r.Class())
	}
	if name, ok := r.Class().Alert(); !ok || name != "unknown_ca" {
		t.Errorf("alert %q %v", name, ok)
	}
}

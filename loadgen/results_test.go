package loadgen

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// TestResultLinesAreJSONWhateverTheNames: results.json stays JSON when a
// name it carries is not plain ASCII (an identity is named by a PKI's
// manifest, a class by the alert an origin sent).
func TestResultLinesAreJSONWhateverTheNames(t *testing.T) {
	rec := Record{Ext: Ext{Identity: "chain\x01valid\"\\", ErrorClass: ErrorClass("tls_alert:\x7f"), CfID: "\u2028é", TLSCurve: "<X25519>",
		Intended: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}}
	rec.Timestamp = rec.Intended
	var buf bytes.Buffer
	if err := NewEncoder(&buf)(&rec); err != nil {
		t.Fatal(err)
	}
	if !json.Valid(buf.Bytes()) {
		t.Fatalf("not JSON: %s", buf.Bytes())
	}
	var back Record
	if err := NewDecoder(&buf)(&back); err != nil {
		t.Fatal(err)
	}
	if back.Identity != rec.Identity || back.ErrorClass != rec.ErrorClass || back.CfID != rec.CfID || back.TLSCurve != rec.TLSCurve {
		t.Errorf("read back %+v, wrote %+v", back.Ext, rec.Ext)
	}
}

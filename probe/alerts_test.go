package probe

import (
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"testing"
)

// TestAlertNames: every alert Go knows reads as its IANA name, whether the
// peer sent it (a "remote error") or it is a tls.AlertError, and names
// written in Go's wording by earlier versions read back as IANA's.
func TestAlertNames(t *testing.T) {
	iana := map[string]bool{}
	for _, v := range goAlertIANA {
		iana[v] = true
	}
	for code := 0; code < 256; code++ {
		ae := tls.AlertError(code)
		if strings.HasPrefix(ae.Error(), "tls: alert(") {
			continue // a code Go has no name for
		}
		remote, ok1 := AlertName(&net.OpError{Op: "remote error", Err: ae})
		local, ok2 := AlertName(fmt.Errorf("handshake: %w", ae))
		if !ok1 || !ok2 || remote != local {
			t.Errorf("alert %d: remote %q, local %q", code, remote, local)
		}
		if !iana[remote] {
			t.Errorf("alert %d (%s) is named %q, not an IANA name", code, ae.Error(), remote)
		}
		goWording := strings.ReplaceAll(strings.TrimPrefix(ae.Error(), "tls: "), " ", "_")
		if got := CanonicalAlertName(goWording); got != remote {
			t.Errorf("CanonicalAlertName(%q) = %q, want %q", goWording, got, remote)
		}
		if got := CanonicalAlertName(remote); got != remote {
			t.Errorf("CanonicalAlertName(%q) = %q, want it unchanged", remote, got)
		}
	}
	if got, _ := AlertName(&net.OpError{Op: "remote error", Err: tls.AlertError(48)}); got != "unknown_ca" {
		t.Errorf("alert 48 = %q, want unknown_ca", got)
	}
	if _, ok := AlertName(fmt.Errorf("connection reset")); ok {
		t.Error("an error without an alert has an alert name")
	}
}

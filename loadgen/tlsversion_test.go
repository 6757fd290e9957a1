package loadgen

import (
	"crypto/tls"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/originproof/originproof/fixtures/origin"
)

// TestMaxTLSVersion: capped at TLS 1.2 the pools offer and negotiate TLS
// 1.2 only, and say so in the configuration; other caps are refused.
func TestMaxTLSVersion(t *testing.T) {
	srv := startOrigin(t, origin.Config{})
	rep := run(t, append(originOpts(t, srv, "chain.valid"), MaxTLSVersion(tls.VersionTLS12), Pops(1), Rate(20, 500*time.Millisecond))...)
	s := rep.Summary
	if s.Errors != 0 || len(s.Negotiated) == 0 {
		t.Fatalf("errors %d, negotiated %v", s.Errors, s.Negotiated)
	}
	for k := range s.Negotiated {
		if !strings.HasPrefix(k, tls.VersionName(tls.VersionTLS12)+" ") {
			t.Errorf("negotiated %q with the offer capped at TLS 1.2", k)
		}
	}
	if got := rep.Config.TLS.Versions; !slices.Equal(got, []string{tls.VersionName(tls.VersionTLS12)}) {
		t.Errorf("configuration offers %v, want TLS 1.2 alone", got)
	}
	_, err := New(Target("https://origin.test/"), MaxTLSVersion(tls.VersionTLS11))
	var oe *OptionError
	if !errors.As(err, &oe) || oe.Option != "max-tls-version" {
		t.Errorf("TLS 1.1 cap: %v, want an OptionError for max-tls-version", err)
	}
}

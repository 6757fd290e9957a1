package probe

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/originproof/originproof/checks"
	"github.com/originproof/originproof/fixtures/origin"
	"github.com/originproof/originproof/internal/testenv"
)

func start(t *testing.T, profile string) Target {
	t.Helper()
	srv, err := origin.Start(origin.Config{PKI: testenv.PKI(t), Profile: profile, Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return Target{Addr: srv.Addr(), ServerName: "origin.test", Timeout: 3 * time.Second}
}

func cert(t *testing.T, id string) *tls.Certificate {
	c := testenv.PKI(t).Identity(id).TLSCertificate()
	return &c
}

func TestJudgeAgainstReferenceOrigins(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		profile, identity string
		tls13             bool
		wantAccepted      bool
		wantLayer         checks.Layer
	}{
		{origin.Strict, "chain.valid", true, true, "none"},
		{origin.Strict, "chain.valid", false, true, "none"},
		// TLS 1.3: the client's handshake completes before the server judged
		// the certificate; the rejection arrives on the first read.
		{origin.Strict, "validity.expired", true, false, "tls"},
		{origin.Strict, "validity.expired", false, false, "tls"},
		{origin.Strict, "", true, false, "tls"},
		{origin.Strict, "", false, false, "tls"},
		{origin.HTTPLayerReject, "", true, false, "http"},
		{origin.HTTPLayerReject, "validity.expired", false, false, "http"},
		{origin.NoClientAuth, "", true, true, "none"},
		{origin.Strict, "client-auth.bad-proof", true, false, "tls"},
	}
	for _, tt := range tests {
		name := tt.profile + "/" + tt.identity
		t.Run(name, func(t *testing.T) {
			target := start(t, tt.profile)
			max := uint16(tls.VersionTLS12)
			if tt.tls13 {
				max = tls.VersionTLS13
			}
			base := Do(ctx, target, Options{Cert: cert(t, "chain.valid"), MaxVersion: max})
			if base.Kind != Response || base.Status != 200 {
				t.Fatalf("baseline: %s", base.Describe())
			}
			var c *tls.Certificate
			if tt.identity != "" {
				c = cert(t, tt.identity)
			}
			r := Do(ctx, target, Options{Cert: c, MaxVersion: max})
			v := Judge(r, base)
			if v.Accepted != tt.wantAccepted || v.Layer != tt.wantLayer || v.Err != nil {
				t.Errorf("got accepted=%v layer=%s (%s, err %v), want accepted=%v layer=%s", v.Accepted, v.Layer, v.Observed, v.Err, tt.wantAccepted, tt.wantLayer)
			}
			if tt.identity == "" && !r.CertRequested && tt.profile != origin.NoClientAuth {
				t.Error("CertificateRequest not observed")
			}
		})
	}
}

func TestAlertsAreNamedTheIANAWay(t *testing.T) {
	target := start(t, origin.Strict)
	r := Do(context.Background(), target, Options{MaxVersion: tls.VersionTLS13})
	if r.Kind != TLSRejected || r.Alert != "certificate_required" {
		t.Errorf("TLS 1.3 without certificate: %s (alert %q), want certificate_required", r.Describe(), r.Alert)
	}
	r = Do(context.Background(), target, Options{MaxVersion: tls.VersionTLS12, Cert: cert(t, "validity.expired")})
	if r.Kind != TLSRejected || r.Alert != "bad_certificate" {
		t.Errorf("TLS 1.2 expired: %s (alert %q), want bad_certificate", r.Describe(), r.Alert)
	}
}

func TestErrorsAreNotRejections(t *testing.T) {
	ctx := context.Background()
	// Nothing listens.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	if r := Do(ctx, Target{Addr: addr, ServerName: "x", Timeout: time.Second}, Options{}); r.Kind != Error || r.Stage != "dial" {
		t.Errorf("unreachable: %s", r.Describe())
	}
	// Accepts and never speaks: bounded.
	silent, _ := net.Listen("tcp", "127.0.0.1:0")
	defer silent.Close()
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	start := time.Now()
	r := Do(ctx, Target{Addr: silent.Addr().String(), ServerName: "x", Timeout: 500 * time.Millisecond}, Options{})
	if r.Kind != Error || !strings.Contains(r.Describe(), "no TLS handshake completed within 500ms") || time.Since(start) > 3*time.Second {
		t.Errorf("silent: %s after %v", r.Describe(), time.Since(start))
	}
	// Speaks garbage.
	garbage, _ := net.Listen("tcp", "127.0.0.1:0")
	defer garbage.Close()
	go func() {
		for {
			c, err := garbage.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("SSH-2.0-OpenSSH_9.2\r\n"))
			time.Sleep(100 * time.Millisecond)
			c.Close()
		}
	}()
	if r := Do(ctx, Target{Addr: garbage.Addr().String(), ServerName: "x", Timeout: time.Second}, Options{}); r.Kind != Error || !strings.Contains(r.Describe(), "does not speak TLS") {
		t.Errorf("garbage: %s", r.Describe())
	}
}

func TestKeepAliveAndIdle(t *testing.T) {
	target := start(t, origin.ShortIdleTimeout)
	c, res := Open(context.Background(), target, Options{Cert: cert(t, "chain.valid")})
	if c == nil {
		t.Fatal(res.Describe())
	}
	defer c.Close()
	if r := c.Request(context.Background()); r.Status != 200 || r.Reused {
		t.Fatalf("first: %s reused=%v", r.Describe(), r.Reused)
	}
	if r := c.Request(context.Background()); r.Status != 200 || !r.Reused {
		t.Fatalf("second: %s reused=%v", r.Describe(), r.Reused)
	}
	open, closed := c.Idle(5 * time.Second)
	if !closed || open < 1500*time.Millisecond || open > 3500*time.Millisecond {
		t.Errorf("idle close after %v (closed %v), want about 2s", open, closed)
	}
}

// TestServerHeaderIsRecorded: the response's Server header (which program
// answered) is in the result.
func TestServerHeaderIsRecorded(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Server", "nginx/1.22.1")
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	res := Do(context.Background(), Target{Addr: srv.Listener.Addr().String(), ServerName: "origin.test", Timeout: 3 * time.Second}, Options{})
	if res.Kind != Response || res.Status != http.StatusNoContent || res.Server != "nginx/1.22.1" {
		t.Errorf("result %s, Server %q; want HTTP 204 from nginx/1.22.1", res.Describe(), res.Server)
	}
}

package loadgen

import (
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/originproof/originproof/cdn"
	"github.com/originproof/originproof/internal/testenv"
)

// TestRequestsLookLikeTheCDN: with another CDN's preset the edges send its
// headers, not CloudFront's, and its ranges apply.
func TestRequestsLookLikeTheCDN(t *testing.T) {
	pki := testenv.PKI(t)
	var mu sync.Mutex
	var got []http.Header
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Header.Clone())
		mu.Unlock()
		_, _ = io.WriteString(w, "ok")
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pki.ServerCertificate()}, ClientAuth: tls.RequireAnyClientCert}
	srv.StartTLS()
	defer srv.Close()
	base := []Option{Target("https://origin.test/"), ConnectTo(srv.Listener.Addr().String()), RootCAs(pki.ServerRootPool(), "test"),
		ClientIdentity(identity(t, pki, "chain.valid")), CDN(cdn.Cloudflare), Pops(2), Rate(40, 250*time.Millisecond)}
	// Cloudflare keeps idle connections 900 s: beyond CloudFront's range, within the preset's.
	rep := run(t, append(base, KeepAlive(900*time.Second))...)
	if rep.Summary.Errors != 0 || rep.Config.CDN != "cloudflare" || len(got) != int(rep.Summary.Requests) {
		t.Fatalf("errors %d, cdn %q, %d requests seen", rep.Summary.Errors, rep.Config.CDN, len(got))
	}
	ray := regexp.MustCompile(`^[0-9a-f]{16}-[A-Z]{3}$`)
	rays := map[string]bool{}
	for i, h := range got {
		if !ray.MatchString(h.Get("CF-Ray")) || h.Get("CDN-Loop") != "cloudflare" || h.Get("X-Amz-Cf-Id") != "" || h.Get("Via") != "" {
			t.Errorf("request %d: %v", i, h)
		}
		rays[h.Get("CF-Ray")] = true
	}
	if len(rays) != len(got) {
		t.Errorf("%d distinct CF-Ray for %d requests", len(rays), len(got))
	}
	for _, tt := range []struct {
		opt  Option
		want string
	}{
		{KeepAlive(2 * time.Hour), "keepalive: 2h0m0s: the Cloudflare preset takes 1s-3600s"},
		{Header("CF-Ray", "x"), "header: Cf-Ray is set by the load generator as Cloudflare sets it"},
	} {
		_, err := New(append(base, tt.opt)...)
		var oe *OptionError
		if !errors.As(err, &oe) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("got %v, want %q", err, tt.want)
		}
	}
}

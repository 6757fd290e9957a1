package loadgen

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/originproof/originproof/fixtures"
	"github.com/originproof/originproof/fixtures/origin"
	"github.com/originproof/originproof/internal/testenv"
	"github.com/originproof/originproof/loadgen/latency"
)

func identity(t *testing.T, pki *fixtures.PKI, id string) Identity {
	t.Helper()
	i := pki.Identity(id)
	if i == nil || i.Skipped != "" {
		t.Fatalf("identity %s unavailable", id)
	}
	c := i.TLSCertificate()
	return Identity{Name: id, Certificate: &c}
}

func startOrigin(t *testing.T, cfg origin.Config) *origin.Server {
	t.Helper()
	if cfg.PKI == nil {
		cfg.PKI = testenv.PKI(t)
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	srv, err := origin.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

// originOpts are the options that point a run at a reference origin.
func originOpts(t *testing.T, srv *origin.Server, id string) []Option {
	pki := testenv.PKI(t)
	return []Option{
		Target(srv.URL()), ConnectTo(srv.Addr()), RootCAs(pki.ServerRootPool(), "test PKI"),
		ClientIdentity(identity(t, pki, id)),
	}
}

func run(t *testing.T, opts ...Option) *Report {
	t.Helper()
	e, err := New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := e.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// serverStats waits (bounded) for the origin's counters to settle.
func serverStats(srv *origin.Server, want func(origin.Stats) bool) origin.Stats {
	return srv.WaitStats(3*time.Second, want)
}

func TestOptionErrorsNameTheOption(t *testing.T) {
	ok := []Option{Target("https://origin.test:8443/"), Rate(10, time.Second)}
	tests := []struct {
		name string
		opts []Option
		want string
	}{
		{"no target", []Option{Rate(10, time.Second)}, "target"},
		{"http target", []Option{Target("http://origin.test/")}, "target"},
		{"IP as SNI", []Option{Target("https://127.0.0.1:8443/")}, "server-name"},
		{"bad path", append(ok, Path("nope")), "path"},
		{"bad connect-to", append(ok, ConnectTo("127.0.0.1")), "connect-to"},
		{"zero pops", append(ok, Pops(0)), "pops"},
		{"shield with pops", append(ok, Pops(3), OriginShield(true)), "origin-shield"},
		{"zero max conns", append(ok, MaxConns(0)), "max-conns"},
		{"keepalive too long", append(ok, KeepAlive(181*time.Second)), "keepalive"},
		{"keepalive too short", append(ok, KeepAlive(500*time.Millisecond)), "keepalive"},
		{"connect timeout", append(ok, ConnectTimeout(11*time.Second)), "connect-timeout"},
		{"connect attempts", append(ok, ConnectAttempts(4)), "connect-attempts"},
		{"read timeout", append(ok, ReadTimeout(0)), "read-timeout"},
		{"zero rate", append(ok, Rate(0, time.Second)), "rate"},
		{"shard", append(ok, Shard(3, 2)), "shard"},
		{"reserved header", append(ok, Header("Via", "x")), "header"},
		{"rotation window", append(ok, RotateTo(NoIdentity, 0, 2*time.Second)), "rotate"},
		{"phase past the run", append(ok, Phases(PhaseWindow{Name: "a", End: Duration(2 * time.Second)})), "phases"},
		{"overlapping phases", append(ok, Phases(PhaseWindow{Name: "a", End: Duration(time.Second / 2)}, PhaseWindow{Name: "b", Start: Duration(time.Second / 4), End: Duration(time.Second)})), "phases"},
		{"phase without a name", append(ok, Phases(PhaseWindow{End: Duration(time.Second)})), "phases"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.opts...)
			var oe *OptionError
			if !errors.As(err, &oe) || oe.Option != tt.want {
				t.Fatalf("New() error = %v, want an OptionError for %q", err, tt.want)
			}
		})
	}
	// Order does not matter, and the resolved configuration says what ran.
	e, err := New(Pops(1), OriginShield(true), Rate(20, 2*time.Second), Shard(1, 2), Target("https://origin.test:8443/x"), Path("/health?a=1"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := e.Config()
	if cfg.Pops != 1 || cfg.URL != "https://origin.test:8443/health?a=1" || cfg.ServerName != "origin.test" || cfg.Requests != 20 || cfg.Shard != "1/2" || cfg.PopRule != PopRule {
		t.Errorf("Config() = %+v", cfg)
	}
}

// recordingServer is a TLS server that records what each request looked like.
type seen struct {
	sni, proto string
	header     http.Header
}

func TestRequestsLookLikeCloudFront(t *testing.T) {
	pki := testenv.PKI(t)
	var mu sync.Mutex
	var got []seen
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, seen{sni: r.TLS.ServerName, proto: r.Proto, header: r.Header.Clone()})
		mu.Unlock()
		_, _ = io.WriteString(w, "ok")
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pki.ServerCertificate()}, ClientAuth: tls.RequireAnyClientCert}
	srv.StartTLS()
	defer srv.Close()

	rep := run(t,
		Target("https://origin.test/"), ConnectTo(srv.Listener.Addr().String()), RootCAs(pki.ServerRootPool(), "test"),
		ClientIdentity(identity(t, pki, "chain.valid")), Header("X-Origin-Verify", "secret"),
		Pops(2), Rate(40, 500*time.Millisecond),
	)
	if rep.Summary.Requests != 20 || rep.Summary.Errors != 0 {
		t.Fatalf("requests, errors = %d, %d; want 20, 0 (%v)", rep.Summary.Requests, rep.Summary.Errors, rep.Summary.ErrorsByClass)
	}
	cfID := regexp.MustCompile(`^[A-Za-z0-9_-]{56}$`)
	via := regexp.MustCompile(`^1\.1 [0-9a-f]{32}\.cloudfront\.net \(CloudFront\)$`)
	vias := map[string]bool{}
	ids := map[string]bool{}
	mu.Lock()
	defer mu.Unlock()
	for i, s := range got {
		h := s.header
		checks := []struct {
			what      string
			got, want string
		}{
			{"SNI", s.sni, "origin.test"},
			{"protocol", s.proto, "HTTP/1.1"},
			{"User-Agent", h.Get("User-Agent"), "Amazon CloudFront"},
			{"custom header", h.Get("X-Origin-Verify"), "secret"},
			{"X-Vegeta-Seq", h.Get("X-Vegeta-Seq"), ""},
			{"X-Vegeta-Attack", h.Get("X-Vegeta-Attack"), ""},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("request %d: %s = %q, want %q", i, c.what, c.got, c.want)
			}
		}
		if !cfID.MatchString(h.Get("X-Amz-Cf-Id")) {
			t.Errorf("request %d: X-Amz-Cf-Id = %q", i, h.Get("X-Amz-Cf-Id"))
		}
		if !via.MatchString(h.Get("Via")) {
			t.Errorf("request %d: Via = %q", i, h.Get("Via"))
		}
		vias[h.Get("Via")] = true
		ids[h.Get("X-Amz-Cf-Id")] = true
	}
	if len(vias) != 2 {
		t.Errorf("%d distinct Via headers, want one per pop (2)", len(vias))
	}
	if len(ids) != len(got) {
		t.Errorf("%d distinct X-Amz-Cf-Id for %d requests", len(ids), len(got))
	}
}

func TestResultsReadByVegetaDecoder(t *testing.T) {
	srv := startOrigin(t, origin.Config{})
	var results, hlog bytes.Buffer
	rep := run(t, append(originOpts(t, srv, "chain.valid"), Pops(3), Rate(100, time.Second), Results(&results), HistogramLog(&hlog))...)
	s := rep.Summary
	if s.Requests != 100 || s.Errors != 0 {
		t.Fatalf("requests, errors = %d, %d; want 100, 0 (%v)", s.Requests, s.Errors, s.ErrorsByClass)
	}

	// Vegeta's own decoder reads every line, and its metrics agree with ours.
	dec := vegeta.NewJSONDecoder(bytes.NewReader(results.Bytes()))
	var m vegeta.Metrics
	n := int64(0)
	for {
		var r vegeta.Result
		if err := dec.Decode(&r); err != nil {
			if err != io.EOF {
				t.Fatalf("vegeta decoder, line %d: %v", n+1, err)
			}
			break
		}
		m.Add(&r)
		n++
	}
	m.Close()
	if n != s.Requests || int64(m.Requests) != s.Requests {
		t.Errorf("vegeta decoded %d results (metrics %d), summary has %d", n, m.Requests, s.Requests)
	}
	if m.Success != 1 {
		t.Errorf("vegeta success ratio = %v, want 1", m.Success)
	}

	// Our decoder reads our fields back.
	ours := NewDecoder(bytes.NewReader(results.Bytes()))
	pops := map[int]int{}
	var newConns, withTLS int
	for {
		var r Record
		if err := ours(&r); err != nil {
			if err != io.EOF {
				t.Fatal(err)
			}
			break
		}
		pops[r.Pop]++
		if r.Pop != int(r.Seq%3) {
			t.Errorf("seq %d went to pop %d, want %d (round-robin by sequence)", r.Seq, r.Pop, r.Seq%3)
		}
		if r.LatencyCorrected < r.Latency || r.Intended.IsZero() || r.CfID == "" || r.TTFB <= 0 || r.ConnID == 0 || r.Body != nil || r.Headers != nil {
			t.Errorf("seq %d: record %+v", r.Seq, r)
		}
		if !r.ConnReused {
			newConns++
			if r.TLSHandshake > 0 && r.Connect > 0 && r.TLSVersion == "TLS 1.3" && r.TLSCurve != "" {
				withTLS++
			}
		}
	}
	if len(pops) != 3 || pops[0] != 34 || pops[1] != 33 || pops[2] != 33 {
		t.Errorf("requests per pop = %v, want 34/33/33", pops)
	}
	if newConns == 0 || withTLS != newConns {
		t.Errorf("%d requests on new connections, %d with connect/TLS timing", newConns, withTLS)
	}

	// The histogram log holds every request's total latency.
	ivs, err := latency.ReadLog(bytes.NewReader(hlog.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var totals int64
	for _, iv := range ivs {
		if iv.Key.Phase == PhaseTotal {
			totals += iv.Histogram.Count()
		}
	}
	if totals != s.Requests {
		t.Errorf("latency.hlog holds %d total latencies, want %d", totals, s.Requests)
	}
	for _, phase := range []string{PhaseConnect, PhaseTLSFull, PhaseTTFB, PhaseTotal, PhaseCorrected, PhaseSendLag} {
		if s.Latency[phase].Count == 0 {
			t.Errorf("summary has no %s latency", phase)
		}
	}
	if len(s.Pops) != 3 || s.Pops[0].Latency[PhaseTotal].Count != 34 {
		t.Errorf("per-pop summary = %+v", s.Pops)
	}
}

func TestAccountingMatchesTheOrigin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts []Option
		// what the client's counters must show
		check func(t *testing.T, s Summary)
	}{
		{
			name: "short gaps reuse connections",
			opts: []Option{Pops(2), MaxConns(4), Rate(50, 1500*time.Millisecond)},
			check: func(t *testing.T, s Summary) {
				if s.Connections > 2*4 {
					t.Errorf("connections = %d, more than pops × max-conns = 8", s.Connections)
				}
				if s.ReuseRatio < 0.8 {
					t.Errorf("reuse ratio = %v, want almost every request on a pooled connection", s.ReuseRatio)
				}
			},
		},
		{
			name: "gaps longer than the keep-alive handshake every time",
			// One request per burst, bursts 1.2 s apart, keep-alive 1 s.
			opts: []Option{Pops(1), KeepAlive(time.Second), Arrival(IdleGaps(10, 100*time.Millisecond, 1100*time.Millisecond, 3700*time.Millisecond))},
			check: func(t *testing.T, s Summary) {
				if s.Requests != 4 {
					t.Fatalf("requests = %d, want 4", s.Requests)
				}
				if hs := s.Handshakes.Full + s.Handshakes.Resumed; hs != s.Requests || s.Connections != s.Requests {
					t.Errorf("handshakes, connections = %d, %d; want one per request (%d)", hs, s.Connections, s.Requests)
				}
				if s.Handshakes.Resumed == 0 {
					t.Errorf("no resumed handshake: the pop's session cache was not used")
				}
				if s.ReuseRatio != 0 {
					t.Errorf("reuse ratio = %v, want 0", s.ReuseRatio)
				}
			},
		},
		{
			name: "reuse off: a connection per request, no resumption",
			opts: []Option{Pops(2), Reuse(false), Resumption(false), Rate(40, 500*time.Millisecond)},
			check: func(t *testing.T, s Summary) {
				if s.Connections != s.Requests || s.Handshakes.Full != s.Requests || s.Handshakes.Resumed != 0 {
					t.Errorf("connections, full, resumed = %d, %d, %d; want %d, %d, 0", s.Connections, s.Handshakes.Full, s.Handshakes.Resumed, s.Requests, s.Requests)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startOrigin(t, origin.Config{})
			rep := run(t, append(originOpts(t, srv, "chain.valid"), tt.opts...)...)
			s := rep.Summary
			if s.Errors != 0 || s.Requests != s.Scheduled {
				t.Fatalf("requests %d of %d, errors %v", s.Requests, s.Scheduled, s.ErrorsByClass)
			}
			st := serverStats(srv, func(st origin.Stats) bool {
				return st.Connections == s.Connections && st.FullHandshakes == s.Handshakes.Full && st.ResumedHandshakes == s.Handshakes.Resumed
			})
			if st.Connections != s.Connections || st.FullHandshakes != s.Handshakes.Full || st.ResumedHandshakes != s.Handshakes.Resumed || st.Requests != s.Requests {
				t.Errorf("origin saw %d connections, %d full + %d resumed handshakes, %d requests; client reports %d, %d + %d, %d",
					st.Connections, st.FullHandshakes, st.ResumedHandshakes, st.Requests, s.Connections, s.Handshakes.Full, s.Handshakes.Resumed, s.Requests)
			}
			if got := s.Latency[PhaseConnect].Count; got != s.Connections {
				t.Errorf("connect latency has %d samples for %d connections", got, s.Connections)
			}
			if got := s.Latency[PhaseTLSFull].Count + s.Latency[PhaseTLSResumed].Count; got != s.Handshakes.Full+s.Handshakes.Resumed {
				t.Errorf("TLS latency has %d samples for %d handshakes", got, s.Handshakes.Full+s.Handshakes.Resumed)
			}
			tt.check(t, s)
		})
	}
}

func TestCoordinatedOmissionIsVisible(t *testing.T) {
	t.Parallel()
	// Every response takes 100 ms; one worker can only send 10/s of the 40/s asked.
	srv := startOrigin(t, origin.Config{ResponseDelay: 100 * time.Millisecond})
	rep := run(t, append(originOpts(t, srv, "chain.valid"), Pops(1), Rate(40, time.Second), MaxWorkers(1))...)
	s := rep.Summary
	if !s.GeneratorLimited {
		t.Errorf("generator_limited = false with one worker for 40/s against a 100 ms origin")
	}
	unc, cor := s.Latency[PhaseTotal], s.Latency[PhaseCorrected]
	if unc.P99 > 300 {
		t.Errorf("uncorrected p99 = %v ms, want about 100 ms", unc.P99)
	}
	// Request n is sent at n·100 ms instead of n·25 ms: by the end of the
	// 1 s run the generator is 750 ms behind, and stops on time.
	if cor.Max < 500 || cor.P99 < 4*unc.P99 {
		t.Errorf("corrected p99, max = %v, %v ms; want the queueing (hundreds of ms) visible next to uncorrected p99 %v ms", cor.P99, cor.Max, unc.P99)
	}
	if s.BehindByMs < 500 || s.Requests >= s.Scheduled {
		t.Errorf("behind_by = %v ms, %d of %d requests sent; want hundreds of ms behind and fewer sent", s.BehindByMs, s.Requests, s.Scheduled)
	}
}

func TestInterruptStillReports(t *testing.T) {
	t.Parallel()
	srv := startOrigin(t, origin.Config{})
	var results bytes.Buffer
	e, err := New(append(originOpts(t, srv, "chain.valid"), Pops(2), Rate(50, 20*time.Second), Results(&results), StopGrace(200*time.Millisecond))...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	start := time.Now()
	rep, err := e.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("interrupted run took %v", d)
	}
	s := rep.Summary
	if !s.Interrupted || s.Requests < 10 || s.Requests >= s.Scheduled || s.GeneratorLimited {
		t.Errorf("interrupted, requests, scheduled, limited = %v, %d, %d, %v", s.Interrupted, s.Requests, s.Scheduled, s.GeneratorLimited)
	}
	if lines := int64(strings.Count(results.String(), "\n")); lines != s.Requests {
		t.Errorf("results.json has %d lines, summary %d requests", lines, s.Requests)
	}
}

func TestInterruptDuringIdleGapIsBounded(t *testing.T) {
	t.Parallel()
	srv := startOrigin(t, origin.Config{})
	e, err := New(append(originOpts(t, srv, "chain.valid"), Pops(1), StopGrace(100*time.Millisecond),
		Arrival(IdleGaps(20, 100*time.Millisecond, 30*time.Second, 40*time.Second)))...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	rep, err := e.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("run interrupted in a 30 s idle gap took %v", d)
	}
	if !rep.Summary.Interrupted || rep.Summary.Requests != 2 {
		t.Errorf("interrupted, requests = %v, %d; want true, 2", rep.Summary.Interrupted, rep.Summary.Requests)
	}
}

func TestErrorsAreClassified(t *testing.T) {
	t.Parallel()
	pki := testenv.PKI(t)
	strict := startOrigin(t, origin.Config{})
	// A port nobody listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	tests := []struct {
		name      string
		opts      []Option
		wantClass ErrorClass
	}{
		{"untrusted client certificate", []Option{Target(strict.URL()), ConnectTo(strict.Addr()), RootCAs(pki.ServerRootPool(), "t"), ClientIdentity(identity(t, pki, "chain.untrusted-root"))}, "tls_alert:"},
		{"no client certificate", []Option{Target(strict.URL()), ConnectTo(strict.Addr()), RootCAs(pki.ServerRootPool(), "t")}, "tls_alert:"},
		{"untrusted server", []Option{Target(strict.URL()), ConnectTo(strict.Addr()), RootCAs(pki.ClientRootPool(), "wrong"), ClientIdentity(identity(t, pki, "chain.valid"))}, ErrServerCert},
		{"server certificate for another name", []Option{Target(strict.URL()), ConnectTo(strict.Addr()), ServerName("other.test"), RootCAs(pki.ServerRootPool(), "t"), ClientIdentity(identity(t, pki, "chain.valid"))}, ErrServerCert},
		{"nothing listening", []Option{Target("https://origin.test/"), ConnectTo(closed), ConnectAttempts(2)}, ErrConnectRefused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := run(t, append(tt.opts, Pops(1), Rate(10, 300*time.Millisecond))...)
			s := rep.Summary
			if s.Errors != s.Requests || s.Requests == 0 {
				t.Fatalf("errors %d of %d requests", s.Errors, s.Requests)
			}
			for class, n := range s.ErrorsByClass {
				if !strings.HasPrefix(string(class), string(tt.wantClass)) {
					t.Errorf("%d errors of class %q, want %q…", n, class, tt.wantClass)
				}
			}
			if tt.wantClass == ErrConnectRefused && s.Dial.Retries != s.Requests {
				t.Errorf("retries = %d, want one per request (2 attempts)", s.Dial.Retries)
			}
		})
	}
}

// TestRotateTo: the pools switch identity one pop after another mid-run;
// an origin trusting both roots serves every request, one trusting only the
// current root refuses the requests made with the next identity.
func TestRotateTo(t *testing.T) {
	t.Parallel()
	pki := testenv.PKI(t)
	tests := []struct {
		profile    string
		wantErrors bool
	}{
		{origin.Strict, false},
		{origin.CurrentCAOnly, true},
	}
	for _, tt := range tests {
		t.Run(tt.profile, func(t *testing.T) {
			t.Parallel()
			srv := startOrigin(t, origin.Config{Profile: tt.profile})
			d := 2 * time.Second
			rep := run(t, Target(srv.URL()), ConnectTo(srv.Addr()), RootCAs(pki.ServerRootPool(), "test"), Pops(3), Rate(40, d),
				ClientIdentity(identity(t, pki, "chain.valid")), RotateTo(identity(t, pki, "rotation.next-accepted"), d/4, d*3/5))
			s := rep.Summary
			if s.Identities["chain.valid"] == 0 {
				t.Errorf("no request served with the current identity: %v", s.Identities)
			}
			if got := s.Errors > 0; got != tt.wantErrors {
				t.Errorf("errors %d (%v), want errors: %v", s.Errors, s.ErrorsByClass, tt.wantErrors)
			}
			if !tt.wantErrors && s.Identities["rotation.next-accepted"] == 0 {
				t.Errorf("no request served with the next identity: %v", s.Identities)
			}
			if rep.Config.RotateTo != "rotation.next-accepted" {
				t.Errorf("config rotate_to = %q", rep.Config.RotateTo)
			}
		})
	}
}

func TestMaxConnsCapsEachPop(t *testing.T) {
	t.Parallel()
	// 300/s against 20 ms responses needs 6 connections; 2 pops × 2 allowed.
	srv := startOrigin(t, origin.Config{ResponseDelay: 20 * time.Millisecond})
	rep := run(t, append(originOpts(t, srv, "chain.valid"), Pops(2), MaxConns(2), Rate(300, 500*time.Millisecond))...)
	s := rep.Summary
	if s.Errors != 0 || s.Requests != 150 {
		t.Fatalf("requests %d, errors %v", s.Requests, s.ErrorsByClass)
	}
	if s.Connections > 4 {
		t.Errorf("connections = %d, more than pops × max-conns = 4", s.Connections)
	}
	for _, p := range s.Pops {
		if p.Connections > 2 {
			t.Errorf("pop %d opened %d connections, max-conns is 2", p.Pop, p.Connections)
		}
	}
	// Requests queued for a free connection inside the pool: their latency
	// (from the send) is well above the origin's 20 ms, and TTFB shows it too.
	if unc := s.Latency[PhaseTotal]; unc.P50 < 40 {
		t.Errorf("total p50 = %v ms; want the wait for a connection visible (> 40 ms)", unc.P50)
	}
}

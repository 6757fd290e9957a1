package reports

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/originproof/originproof/checks"
	"github.com/originproof/originproof/loadgen"
	"github.com/originproof/originproof/loadgen/latency"
)

// runStart is fixed so the rendered report is the same on every run (golden).
var runStart = time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)

// writeRun writes a synthetic certify-style run directory: summary.json
// with every catalogue check, results.json with n requests over d, and a
// latency.hlog. hostile puts markup into every origin-controlled string.
func writeRun(t testing.TB, dir string, n int, d time.Duration, hostile bool) {
	t.Helper()
	evil := ""
	if hostile {
		evil = `<script>window.__xss=1</script><img src=x onerror="window.__xss=2">`
	}
	s := New("v1.0.0", "https://origin.example.com/"+evil, "origin.example.com")
	s.Started, s.Finished = runStart, runStart.Add(d+15*time.Second)
	s.ClientAuth, s.ClientAuthEnforcedAt = "required", "tls"
	s.SetServer("", "nginx/1.22.1"+evil)
	skew := 0.4
	s.ClockSkewS = &skew
	s.Config = map[string]any{"rotation_phase": "overlap", "header_names": "X-Origin-Verify" + evil}
	s.Fingerprints.ClientCABundle = []string{"sha256:aa", "sha256:bb"}
	s.ServerChain = []CertInfo{
		{Subject: "CN=origin.example.com" + evil, Issuer: "CN=Example CA", DNSNames: []string{"origin.example.com"}, Key: "ECDSA P-256", Signature: "ECDSA-SHA256",
			NotBefore: runStart.Add(-24 * time.Hour), NotAfter: runStart.Add(20 * 24 * time.Hour), Fingerprint: "sha256:cc"},
		{Subject: "CN=Example CA", Issuer: "CN=Example Root", Key: "ECDSA P-256", Signature: "ECDSA-SHA256",
			NotBefore: runStart.Add(-24 * time.Hour), NotAfter: runStart.Add(900 * 24 * time.Hour), Fingerprint: "sha256:dd"},
	}
	for i, c := range checks.Catalogue {
		st, obs := checks.StatusPass, "rejected at tls: bad_certificate"
		switch i % 9 {
		case 3:
			st, obs = checks.StatusFail, "accepted: HTTP 200, as the good certificate"+evil
		case 5:
			st = checks.StatusWarn
		case 7:
			st = checks.StatusSkip
		}
		if c.Severity == checks.Should && st == checks.StatusFail {
			st = checks.StatusWarn
		}
		s.Checks = append(s.Checks, Check{ID: c.ID, Group: c.Group, Severity: c.Severity, Status: st, Expected: c.Expected, Observed: obs, Layer: "tls", Alert: "bad_certificate", Detail: "detail" + evil})
	}
	s.Thresholds = []ThresholdResult{{Name: "request_p99", Phase: "steady", Limit: "<= 500ms", Observed: "12.00ms", Held: true},
		{Name: "handshake_p99", Phase: "idle-gap-storm", Limit: "<= 250ms", Observed: "1.00ms (4 samples)", Held: true},
		{Name: "error_rate", Limit: "<= 0.00%", Observed: "0.10%", Held: false}}
	s.Warnings = []string{"generator_limited: test warning" + evil}
	s.Decide(false)

	// The load: warm-up, steady, then an idle-gap storm whose burst opens a
	// new connection on every pop (resumed handshakes), as certify runs it.
	windows := []loadgen.PhaseWindow{
		{Name: "warm-up", Kind: "warm-up", End: loadgen.Duration(d / 5)},
		{Name: "steady", Kind: "steady", Start: loadgen.Duration(d / 5), End: loadgen.Duration(d * 3 / 5)},
		{Name: "idle-gap-storm", Kind: "idle-gap-storm", Start: loadgen.Duration(d * 3 / 5), End: loadgen.Duration(d)},
	}
	stats := make([]loadgen.PhaseStats, len(windows))
	rf, err := os.Create(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriterSize(rf, 1<<20)
	enc := loadgen.NewEncoder(bw)
	rng := rand.New(rand.NewSource(1))
	total, corrected := latency.New(), latency.New()
	step := d / time.Duration(n)
	for k, w := range windows {
		stats[k] = loadgen.NewPhaseStats(w, int64((time.Duration(w.End)-time.Duration(w.Start))/step))
	}
	used := map[uint64]bool{}
	var errs int64
	for i := 0; i < n; i++ {
		intended := runStart.Add(time.Duration(i) * step)
		lat := time.Duration(800+rng.Intn(400)) * time.Microsecond
		if i%997 == 0 {
			lat += 40 * time.Millisecond
		}
		phase := 0
		for phase < len(windows)-1 && time.Duration(i)*step >= time.Duration(windows[phase].End) {
			phase++
		}
		pop := i % 4
		conn := uint64(pop + 1)
		if phase == 2 {
			conn += 4
		}
		r := &loadgen.Record{Ext: loadgen.Ext{Pop: pop, Intended: intended, LatencyCorrected: lat + 50*time.Microsecond, ConnID: conn, ConnReused: used[conn], Identity: "chain.valid"}}
		r.Seq, r.Code, r.Timestamp, r.Latency, r.Method, r.URL, r.Attack = uint64(i), 200, intended.Add(50*time.Microsecond), lat, "GET", "https://origin.example.com/", "originproof"
		if !used[conn] {
			r.Connect, r.TLSHandshake, r.TLSResumed = 300*time.Microsecond, 2*time.Millisecond, phase == 2
			if r.TLSResumed {
				r.TLSHandshake = time.Millisecond
			}
			used[conn] = true
		}
		r.TTFB = lat - 100*time.Microsecond
		if i%1000 == 999 {
			r.Code, r.Error, r.ErrorClass = 0, "remote error: tls: bad certificate", "tls_alert:bad_certificate"
			errs++
		}
		if err := enc(r); err != nil {
			t.Fatal(err)
		}
		stats[phase].Add(r)
		total.Record(r.Latency)
		corrected.Record(r.LatencyCorrected)
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	rf.Close()
	hf, err := os.Create(filepath.Join(dir, "latency.hlog"))
	if err != nil {
		t.Fatal(err)
	}
	lw, err := latency.NewLogWriter(hf, runStart, "synthetic")
	if err != nil {
		t.Fatal(err)
	}
	if err := lw.Write(latency.Key{Phase: latency.PhaseTotal, Pop: latency.AllPops}.Tag(), total, runStart, runStart.Add(d)); err != nil {
		t.Fatal(err)
	}
	if err := lw.Write(latency.Key{Phase: latency.PhaseCorrected, Pop: latency.AllPops}.Tag(), corrected, runStart, runStart.Add(d)); err != nil {
		t.Fatal(err)
	}
	hf.Close()
	pct := func(h *latency.Histogram) latency.Percentiles { return h.Percentiles() }
	s.Load = &loadgen.Summary{Requests: int64(n), Scheduled: int64(n), Success: int64(n) - errs, Errors: errs, ErrorRate: float64(errs) / float64(n),
		ErrorsByClass: map[loadgen.ErrorClass]int64{loadgen.ErrorClass("tls_alert:bad_certificate" + evil): errs}, RateAsked: float64(n) / d.Seconds(), RateAchieved: float64(n) / d.Seconds(),
		Throughput: float64(n) / d.Seconds(), DurationS: d.Seconds(), WallS: d.Seconds(), Connections: 8, Handshakes: loadgen.Handshakes{Full: 4, Resumed: 4},
		ReuseRatio: 0.999, Negotiated: map[string]int64{"TLS 1.3 TLS_AES_128_GCM_SHA256 X25519": 8},
		Latency: map[string]latency.Percentiles{"total": pct(total), "total_corrected": pct(corrected)},
		Pops:    []loadgen.PopSummary{{Pop: 0, Requests: int64(n / 4), Connections: 2, Handshakes: loadgen.Handshakes{Full: 1, Resumed: 1}, ReuseRatio: 0.99}},
		Phases:  loadgen.PhaseSummaries(stats),
		Config: &loadgen.Config{Reuse: true, KeepAlive: loadgen.Duration(5 * time.Second), Phases: windows,
			Arrival: loadgen.Custom(loadgen.Segment{From: float64(n) / d.Seconds(), To: float64(n) / d.Seconds(), Duration: loadgen.Duration(d)})}}
	if err := s.WriteFile(filepath.Join(dir, "summary.json")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "run.json"), []byte(fmt.Sprintf(`{"schema_version":1,"tool":"originproof","started":%q}`, runStart.Format(time.RFC3339Nano))), 0o644); err != nil {
		t.Fatal(err)
	}
}

// readSummary reads dir's summary.json.
func readSummary(t *testing.T, dir string) *Summary {
	t.Helper()
	s, err := ReadSummary(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// checkGolden compares got with testdata/name (rewritten with -update).
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("output differs from %s (run with -update after checking the change)", golden)
	}
}

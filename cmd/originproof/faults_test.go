package main

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"testing"
	"time"

	"github.com/originproof/originproof/fixtures/origin"
	"github.com/originproof/originproof/internal/testenv"
	"github.com/originproof/originproof/loadgen"
	"github.com/originproof/originproof/reports"
)

// faultCase is one injected fault and what `load` must make of it.
type faultCase struct {
	name  string
	fault *origin.Fault
	args  []string // load flags beyond target, pki and out
	// warm opens a connection before the run, starting the restart
	// fault's clock, and waits until the origin has stopped.
	warm bool
	exit int
	// classes are the error classes allowed; main must be among them
	// ("" when the run has no error).
	classes []loadgen.ErrorClass
	main    loadgen.ErrorClass
	// check is the fault's own accounting: the client's summary against
	// what the origin counted during the run.
	check func(t *testing.T, s *loadgen.Summary, st origin.Stats)
}

// TestLoadUnderFaults drives `load` against a reference origin with each
// fault injected and holds it to account: the exit code, every request in
// results.json once and in its class exactly as the summary counts it, the
// client's connections and handshakes equal to what the origin counted
// (only requests in flight at a restart may differ), and the report's
// error series showing the fault.
func TestLoadUnderFaults(t *testing.T) {
	t.Parallel()
	pkiDir, _ := testenv.WritePKI(t)
	fast := []string{"--connect-timeout", "1s", "--connect-attempts", "1", "--read-timeout", "1s"}
	fault := func(s string) *origin.Fault {
		f, err := origin.ParseFault(s)
		if err != nil {
			t.Fatal(err)
		}
		return &f
	}
	tests := []faultCase{
		{name: "none", args: []string{"--rate", "20", "--duration", "1s"}, exit: exitPass,
			check: func(t *testing.T, s *loadgen.Summary, st origin.Stats) {
				if st.Requests != s.Requests || s.Success != s.Requests {
					t.Errorf("origin served %d, client %d of %d", st.Requests, s.Success, s.Requests)
				}
			}},
		{name: "reset", fault: fault("reset:4"), args: []string{"--rate", "40", "--duration", "1s", "--pops", "2"}, exit: exitFail,
			classes: []loadgen.ErrorClass{loadgen.ErrReset}, main: loadgen.ErrReset,
			check: func(t *testing.T, s *loadgen.Summary, st origin.Stats) {
				if st.Faults[origin.FaultReset] != s.Errors || st.Requests != s.Requests || st.Faults[origin.FaultReset] != s.Requests/4 {
					t.Errorf("origin reset %d of %d requests, client %d errors in %d", st.Faults[origin.FaultReset], st.Requests, s.Errors, s.Requests)
				}
			}},
		{name: "drip", fault: fault("drip:100ms"), args: append([]string{"--rate", "4", "--duration", "1s"}, fast...), exit: exitFail,
			// The exchange's bound is 3 s (connect timeout + 2 × read
			// timeout); the 50-byte body drips for 5 s.
			classes: []loadgen.ErrorClass{loadgen.ErrTimeout}, main: loadgen.ErrTimeout,
			check: func(t *testing.T, s *loadgen.Summary, st origin.Stats) {
				if st.Faults[origin.FaultDrip] != s.Requests || s.Errors != s.Requests {
					t.Errorf("origin dripped %d responses, client %d errors in %d", st.Faults[origin.FaultDrip], s.Errors, s.Requests)
				}
			}},
		{name: "tls-alert", fault: fault("tls-alert:10"), args: []string{"--rate", "40", "--duration", "1s", "--pops", "2"}, exit: exitFail,
			classes: []loadgen.ErrorClass{loadgen.AlertClass("internal_error")}, main: loadgen.AlertClass("internal_error"),
			check: func(t *testing.T, s *loadgen.Summary, st origin.Stats) {
				if st.Faults[origin.FaultTLSAlert] != s.Handshakes.Failed || st.Requests != s.Success || st.Requests < 10 {
					t.Errorf("origin refused %d handshakes and served %d requests; client %d failed handshakes, %d successes", st.Faults[origin.FaultTLSAlert], st.Requests, s.Handshakes.Failed, s.Success)
				}
			}},
		{name: "close-after", fault: fault("close-after:5"), args: []string{"--rate", "40", "--duration", "1s", "--pops", "2"}, exit: exitPass,
			check: func(t *testing.T, s *loadgen.Summary, st origin.Stats) {
				if st.Requests != s.Requests || s.Connections < (s.Requests+4)/5 || st.Faults[origin.FaultCloseAfter] != s.Requests/5 {
					t.Errorf("%d requests over %d connections, origin closed %d after 5: want a connection per 5 requests at least", s.Requests, s.Connections, st.Faults[origin.FaultCloseAfter])
				}
			}},
		{name: "stall-accept", fault: fault("stall-accept:1500ms"), args: append([]string{"--rate", "20", "--duration", "2500ms"}, fast...), exit: exitFail,
			classes: []loadgen.ErrorClass{loadgen.ErrTimeout}, main: loadgen.ErrTimeout,
			check: func(t *testing.T, s *loadgen.Summary, st origin.Stats) {
				if st.Requests != s.Success || s.Success == 0 || st.FailedHandshakes != s.Handshakes.Failed {
					t.Errorf("origin served %d, client %d; failed handshakes %d, client %d", st.Requests, s.Success, st.FailedHandshakes, s.Handshakes.Failed)
				}
			}},
		{name: "restart", fault: fault("restart:1s"), args: []string{"--rate", "20", "--duration", "3s", "--pops", "2"}, exit: exitFail,
			classes: []loadgen.ErrorClass{loadgen.ErrConnectRefused, loadgen.ErrReset, loadgen.ErrClosed}, main: loadgen.ErrConnectRefused,
			check: func(t *testing.T, s *loadgen.Summary, st origin.Stats) {
				// Requests in flight when the origin dropped its connections
				// were counted by the origin and failed for the client.
				inFlight := s.ErrorsByClass[loadgen.ErrReset] + s.ErrorsByClass[loadgen.ErrClosed]
				if lost := st.Requests - s.Success; lost < 0 || lost > inFlight || st.Faults[origin.FaultRestart] != 1 {
					t.Errorf("origin served %d, client %d successes, %d cut at the restart", st.Requests, s.Success, inFlight)
				}
				if s.Success < s.Requests/3 {
					t.Errorf("%d successes of %d: the origin did not come back", s.Success, s.Requests)
				}
			}},
		{name: "origin gone for the whole run", fault: fault("restart:4s"), warm: true,
			args: append([]string{"--rate", "10", "--duration", "1s"}, fast...), exit: exitInconclusive,
			classes: []loadgen.ErrorClass{loadgen.ErrConnectRefused}, main: loadgen.ErrConnectRefused,
			check: func(t *testing.T, s *loadgen.Summary, st origin.Stats) {
				if s.Connections != 0 || s.Errors != s.Requests {
					t.Errorf("%d connections, %d errors in %d requests", s.Connections, s.Errors, s.Requests)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			loadUnderFault(t, pkiDir, tt)
		})
	}
}

func loadUnderFault(t *testing.T, pkiDir string, tt faultCase) {
	cfg := origin.Config{PKI: testenv.PKI(t), Addr: "127.0.0.1:0"}
	if tt.fault != nil {
		cfg.Faults = []origin.Fault{*tt.fault}
	}
	srv, err := origin.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if tt.warm {
		warmUntilStopped(t, srv)
	}
	before := srv.Stats()
	out := t.TempDir()
	args := append([]string{"load", "--pki", pkiDir, "--target", srv.URL(), "--connect-to", srv.Addr(), "--out", out}, tt.args...)
	var stdout, stderr bytes.Buffer
	if code := run(args, &stdout, &stderr); code != tt.exit {
		t.Fatalf("exit %d, want %d\n%s%s", code, tt.exit, stdout.String(), stderr.String())
	}
	sum, err := reports.ReadSummary(filepath.Join(out, loadgen.SummaryFile))
	if err != nil || sum.Load == nil {
		t.Fatalf("summary.json: %v", err)
	}
	s := sum.Load

	// Every request once in results.json, in the class the summary counts it in.
	classes := resultClasses(t, filepath.Join(out, loadgen.ResultsFile), s)
	allowed := map[loadgen.ErrorClass]bool{}
	for _, c := range tt.classes {
		allowed[c] = true
	}
	for c, n := range s.ErrorsByClass {
		if !allowed[c] {
			t.Errorf("%d errors of class %s, allowed %v", n, c, tt.classes)
		}
	}
	if tt.main != "" && s.ErrorsByClass[tt.main] == 0 {
		t.Errorf("no error of class %s: %v", tt.main, s.ErrorsByClass)
	}
	if s.Requests != s.Success+s.Errors || s.Requests == 0 {
		t.Errorf("%d requests, %d successes, %d errors", s.Requests, s.Success, s.Errors)
	}

	// The client's connections and handshakes are the origin's.
	st := srv.WaitStats(5*time.Second, func(st origin.Stats) bool {
		d := delta(st, before)
		return d.Connections == s.Connections && d.FullHandshakes+d.ResumedHandshakes == s.Handshakes.Full+s.Handshakes.Resumed &&
			d.FailedHandshakes == s.Handshakes.Failed
	})
	d := delta(st, before)
	if d.Connections != s.Connections || d.FullHandshakes != s.Handshakes.Full || d.ResumedHandshakes != s.Handshakes.Resumed || d.FailedHandshakes != s.Handshakes.Failed {
		t.Errorf("origin: %d connections, %d full, %d resumed, %d failed handshakes; client: %d, %d, %d, %d",
			d.Connections, d.FullHandshakes, d.ResumedHandshakes, d.FailedHandshakes, s.Connections, s.Handshakes.Full, s.Handshakes.Resumed, s.Handshakes.Failed)
	}
	tt.check(t, s, d)

	// The report's error series shows each class, as many times as it occurred.
	run, err := reports.LoadRun(out)
	if err != nil || run.Series == nil {
		t.Fatalf("report: %v", err)
	}
	for c, n := range classes {
		total := 0.0
		for _, v := range run.Series.Errors[string(c)] {
			total += v
		}
		if int64(total) != n {
			t.Errorf("the report's %s series holds %v errors, results.json %d", c, total, n)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "report.html")); err != nil {
		t.Error(err)
	}
}

// resultClasses reads results.json and checks it against the summary: one
// line per request, each failed line's class counted as the summary does.
func resultClasses(t *testing.T, path string, s *loadgen.Summary) map[loadgen.ErrorClass]int64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := loadgen.NewDecoder(f)
	classes := map[loadgen.ErrorClass]int64{}
	var lines, failed int64
	seqs := map[uint64]bool{}
	for {
		var rec loadgen.Record
		if err := dec(&rec); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatal(err)
			}
			break
		}
		lines++
		if seqs[rec.Seq] {
			t.Errorf("request %d appears twice", rec.Seq)
		}
		seqs[rec.Seq] = true
		if c := rec.Class(); c != "" {
			failed++
			classes[c]++
		}
	}
	if lines != s.Requests || failed != s.Errors {
		t.Errorf("results.json: %d lines, %d failed; summary: %d requests, %d errors", lines, failed, s.Requests, s.Errors)
	}
	for c, n := range classes {
		if s.ErrorsByClass[c] != n {
			t.Errorf("class %s: %d lines in results.json, %d in the summary", c, n, s.ErrorsByClass[c])
		}
	}
	if len(classes) != len(s.ErrorsByClass) {
		t.Errorf("classes in results.json %v, in the summary %v", sortedClasses(classes), s.ErrorsByClass)
	}
	return classes
}

func sortedClasses(m map[loadgen.ErrorClass]int64) []string {
	var out []string
	for c := range m {
		out = append(out, string(c))
	}
	sort.Strings(out)
	return out
}

// delta is what the origin counted between two snapshots.
func delta(st, before origin.Stats) origin.Stats {
	d := st
	d.Connections -= before.Connections
	d.FullHandshakes -= before.FullHandshakes
	d.ResumedHandshakes -= before.ResumedHandshakes
	d.FailedHandshakes -= before.FailedHandshakes
	d.Requests -= before.Requests
	return d
}

// warmUntilStopped opens one connection (the restart fault's clock starts
// at the first), then waits until the origin has stopped and counted it.
func warmUntilStopped(t *testing.T, srv *origin.Server) {
	t.Helper()
	c, err := net.DialTimeout("tcp", srv.Addr(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	st := srv.WaitStats(5*time.Second, func(st origin.Stats) bool {
		return st.Faults[origin.FaultRestart] == 1 && st.Connections == 1 && st.FailedHandshakes == 1
	})
	if st.Faults[origin.FaultRestart] != 1 {
		t.Fatalf("the origin did not stop: %+v", st)
	}
	if _, err := net.DialTimeout("tcp", srv.Addr(), time.Second); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial while stopped: %v, want connection refused", err)
	}
}

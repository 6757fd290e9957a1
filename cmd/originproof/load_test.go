package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/originproof/originproof/fixtures/origin"
	"github.com/originproof/originproof/internal/testenv"
	"github.com/originproof/originproof/loadgen/latency"
)

func startLoadOrigin(t *testing.T, profile string) *origin.Server {
	t.Helper()
	srv, err := origin.Start(origin.Config{PKI: testenv.PKI(t), Profile: profile, Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

type loadSummaryDoc struct {
	SchemaVersion int    `json:"schema_version"`
	Tool          string `json:"tool"`
	Target        string `json:"target"`
	ServerName    string `json:"server_name"`
	Verdict       string `json:"verdict"`
	Load          struct {
		Requests    int64            `json:"requests"`
		Errors      int64            `json:"errors"`
		Interrupted bool             `json:"interrupted"`
		Connections int64            `json:"connections"`
		Errs        map[string]int64 `json:"errors_by_class"`
		Config      struct {
			Pops     int    `json:"pops"`
			Identity string `json:"identity"`
		} `json:"config"`
	} `json:"load"`
}

// readJSON decodes the JSON file at path into v and returns its bytes;
// the test stops when it cannot.
func readJSON(t *testing.T, path string, v any) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v\n%s", filepath.Base(path), err, data)
	}
	return data
}

func readSummary(t *testing.T, dir string) loadSummaryDoc {
	t.Helper()
	var doc loadSummaryDoc
	readJSON(t, filepath.Join(dir, "summary.json"), &doc)
	return doc
}

func TestLoadWritesEveryOutput(t *testing.T) {
	pkiDir, _ := testenv.WritePKI(t)
	srv := startLoadOrigin(t, origin.Strict)
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run([]string{"load", "--pki", pkiDir, "--target", srv.URL(), "--connect-to", srv.Addr(),
		"--rate", "30/1s", "--duration", "1s", "--pops", "3", "--header", "X-Origin-Verify: s3cret", "--out", out}, &stdout, &stderr)
	if code != exitPass {
		t.Fatalf("exit %d, want 0\nstdout: %s\nstderr: %s", code, stdout.String(), stderr.String())
	}
	doc := readSummary(t, out)
	if doc.SchemaVersion != 1 || doc.Tool != "originproof" || doc.Verdict != "pass" || doc.ServerName != "origin.test" ||
		doc.Load.Requests != 30 || doc.Load.Errors != 0 || doc.Load.Config.Pops != 3 || doc.Load.Config.Identity != "chain.valid" {
		t.Errorf("summary.json = %+v", doc)
	}

	// results.json: every line a Vegeta result.
	f, err := os.Open(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := vegeta.NewJSONDecoder(f)
	n := int64(0)
	for {
		var r vegeta.Result
		if err := dec.Decode(&r); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatal(err)
			}
			break
		}
		n++
	}
	if n != doc.Load.Requests {
		t.Errorf("results.json has %d Vegeta results, summary %d requests", n, doc.Load.Requests)
	}

	// run.json: the resolved configuration, version, machine.
	var ri struct {
		Version string `json:"version"`
		Machine struct {
			CPUs int `json:"cpus"`
		} `json:"machine"`
		Config struct {
			Headers map[string][]string `json:"headers"`
			Rate    float64             `json:"rate"`
		} `json:"config"`
	}
	data := readJSON(t, filepath.Join(out, "run.json"), &ri)
	if ri.Version == "" || ri.Machine.CPUs == 0 || ri.Config.Rate != 30 || ri.Config.Headers["X-Origin-Verify"][0] != "<redacted>" || bytes.Contains(data, []byte("s3cret")) {
		t.Errorf("run.json = %s", data)
	}

	// latency.hlog: readable interval log.
	hf, err := os.Open(filepath.Join(out, "latency.hlog"))
	if err != nil {
		t.Fatal(err)
	}
	defer hf.Close()
	ivs, err := latency.ReadLog(hf)
	if err != nil || len(ivs) == 0 {
		t.Errorf("latency.hlog: %d intervals, %v", len(ivs), err)
	}
}

func TestLoadExitCodes(t *testing.T) {
	pkiDir, _ := testenv.WritePKI(t)
	strict := startLoadOrigin(t, origin.Strict)
	base := func(extra ...string) []string {
		return append([]string{"load", "--pki", pkiDir, "--target", strict.URL(), "--connect-to", strict.Addr(), "--duration", "300ms", "--rate", "20"}, extra...)
	}
	tests := []struct {
		name     string
		args     []string
		want     int
		wantErr  string // in stderr
		noOutput bool
	}{
		{"rejected identity fails", base("--identity", "chain.untrusted-root"), exitFail, "requests failed", false},
		{"unreachable is inconclusive", []string{"load", "--pki", pkiDir, "--target", "https://origin.test/", "--connect-to", "127.0.0.1:1", "--duration", "200ms", "--rate", "10", "--connect-attempts", "1"}, exitInconclusive, "unreachable", false},
		{"missing pki", []string{"load", "--target", "https://origin.test/"}, exitUsage, "--pki is required", true},
		{"missing out", base(), exitUsage, "--out is required", true},
		{"bad rate", base("--rate", "fast"), exitUsage, "--rate", true},
		{"bad rate period", base("--rate", "10/never"), exitUsage, "--rate", true},
		{"unknown identity", base("--identity", "chain.nope"), exitUsage, "--identity", true},
		{"keepalive out of range", base("--keepalive", "200s"), exitUsage, "--keepalive", true},
		{"zero pops", base("--pops", "0"), exitUsage, "--pops", true},
		{"shield with pops", base("--origin-shield", "--pops", "2"), exitUsage, "--origin-shield", true},
		{"bad shard", base("--shard", "3/2"), exitUsage, "--shard", true},
		{"bad reuse", base("--reuse", "maybe"), exitUsage, "--reuse", true},
		{"bad header", base("--header", "novalue"), exitUsage, "--header", true},
		{"bad arrival", base("--arrival", "sine"), exitUsage, "--arrival", true},
		{"bad server roots", base("--server-roots", "/nonexistent.pem"), exitUsage, "--server-roots", true},
		{"http target", []string{"load", "--pki", pkiDir, "--target", "http://origin.test/"}, exitUsage, "--target", true},
		{"bad flag", base("--no-such-flag"), exitUsage, "no-such-flag", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			args := tt.args
			if tt.name != "missing out" && tt.name != "missing pki" {
				args = append(args, "--out", out)
			}
			var stdout, stderr bytes.Buffer
			code := run(args, &stdout, &stderr)
			if code != tt.want || !strings.Contains(stderr.String(), tt.wantErr) {
				t.Fatalf("exit %d, want %d; stderr %q should mention %q", code, tt.want, stderr.String(), tt.wantErr)
			}
			_, err := os.Stat(filepath.Join(out, "summary.json"))
			if tt.noOutput && err == nil {
				t.Errorf("summary.json written for an invalid invocation")
			}
			if !tt.noOutput && err != nil {
				t.Errorf("summary.json not written: %v", err)
			}
		})
	}
}

func TestLoadInterruptedStillWritesOutputs(t *testing.T) {
	pkiDir, _ := testenv.WritePKI(t)
	srv := startLoadOrigin(t, origin.Strict)
	out := t.TempDir()
	root := newRootCmd()
	var stdout, stderr bytes.Buffer
	root.SetOut(&stdout)
	root.SetErr(&stderr)
	root.SetArgs([]string{"load", "--pki", pkiDir, "--target", srv.URL(), "--connect-to", srv.Addr(), "--rate", "40", "--duration", "30s", "--out", out})
	ctx, cancel := context.WithTimeout(context.Background(), 800*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := root.ExecuteContext(ctx)
	if d := time.Since(start); d > 6*time.Second {
		t.Errorf("interrupted load took %v", d)
	}
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != exitInconclusive {
		t.Fatalf("error = %v, want an inconclusive (exit 3) error", err)
	}
	doc := readSummary(t, out)
	if doc.Verdict != "inconclusive" || !doc.Load.Interrupted || doc.Load.Requests == 0 {
		t.Errorf("summary.json = %+v", doc)
	}
	data, err := os.ReadFile(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if lines := int64(bytes.Count(data, []byte("\n"))); lines != doc.Load.Requests {
		t.Errorf("results.json has %d lines, summary %d requests", lines, doc.Load.Requests)
	}
	for _, name := range []string{"run.json", "latency.hlog"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

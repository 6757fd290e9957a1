package certify

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/originproof/originproof/fixtures"
	"github.com/originproof/originproof/fixtures/origin"
	"github.com/originproof/originproof/loadgen"
	"github.com/originproof/originproof/probe"
)

// strictEndpoint starts the strict reference origin for pki (closed when
// the test ends) and returns the endpoint that reaches it.
func strictEndpoint(t *testing.T, pki *fixtures.PKI) *Endpoint {
	t.Helper()
	srv, err := origin.Start(origin.Config{PKI: pki, Profile: origin.Strict, Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	ep, err := Target{URL: srv.URL(), ConnectTo: srv.Addr()}.Resolve(pki, "pki")
	if err != nil {
		t.Fatal(err)
	}
	return ep
}

// TestSameAlertNameInConformAndLoad: the same TLS alert from the origin
// carries the same IANA name in conform's observation (the probe) and in
// load's error class.
func TestSameAlertNameInConformAndLoad(t *testing.T) {
	pki := testPKI(t)
	ep := strictEndpoint(t, pki)
	ep.Timeout = 5 * time.Second
	seen := map[string]bool{}
	for _, name := range []string{"chain.untrusted-root", "validity.expired", "none"} {
		t.Run(name, func(t *testing.T) {
			id, err := LoadIdentity(pki, "pki", name)
			if err != nil {
				t.Fatal(err)
			}
			r := probe.Do(context.Background(), ep.Probe(), probe.Options{Cert: id.Certificate})
			if r.Kind != probe.TLSRejected || r.Alert == "" {
				t.Fatalf("probe: %s, want a TLS alert", r.Describe())
			}
			if probe.CanonicalAlertName(r.Alert) != r.Alert {
				t.Errorf("probe alert %q is not an IANA name", r.Alert)
			}
			rep, err := RunLoad(context.Background(), append(ep.LoadOptions(), loadgen.ClientIdentity(id), loadgen.Pops(1), loadgen.Rate(20, 200*time.Millisecond)),
				LoadOptions{Out: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			want := loadgen.AlertClass(r.Alert)
			for class, n := range rep.Summary.ErrorsByClass {
				if class != want {
					t.Errorf("load: %d requests of class %s, conform saw %s", n, class, want)
				}
			}
			if rep.Summary.ErrorsByClass[want] == 0 {
				t.Errorf("load: no request of class %s (%v)", want, rep.Summary.ErrorsByClass)
			}
			seen[r.Alert] = true
		})
	}
	t.Logf("alerts compared: %v", seen)
}

// TestResultsModes: full keeps results.json, gzip results.json.gz (the same
// lines), none no raw results; every mode writes latency.hlog, series.json
// and run.json.
func TestResultsModes(t *testing.T) {
	pki := testPKI(t)
	ep := strictEndpoint(t, pki)
	id, _ := LoadIdentity(pki, "pki", "chain.valid")
	for _, mode := range []loadgen.ResultsMode{loadgen.ResultsFull, loadgen.ResultsGzip, loadgen.ResultsNone} {
		t.Run(string(mode), func(t *testing.T) {
			dir := t.TempDir()
			rep, err := RunLoad(context.Background(), append(ep.LoadOptions(), loadgen.ClientIdentity(id), loadgen.Pops(1), loadgen.Rate(40, 250*time.Millisecond)),
				LoadOptions{Out: dir, Results: mode})
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range []string{loadgen.HlogFile, loadgen.SeriesFile, loadgen.RunFile} {
				if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
					t.Errorf("no %s", f)
				}
			}
			for _, m := range []loadgen.ResultsMode{loadgen.ResultsFull, loadgen.ResultsGzip} {
				_, err := os.Stat(filepath.Join(dir, m.File()))
				if (err == nil) != (m == mode) {
					t.Errorf("%s: %s exists: %v", mode, m.File(), err == nil)
				}
			}
			f, _, err := loadgen.OpenResults(dir)
			if mode == loadgen.ResultsNone {
				if !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("none: OpenResults = %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			dec := loadgen.NewDecoder(f)
			var rec loadgen.Record
			n := int64(0)
			for dec(&rec) == nil {
				n++
			}
			if n != rep.Summary.Requests || n == 0 {
				t.Errorf("%d results lines, %d requests", n, rep.Summary.Requests)
			}
		})
	}
	if _, err := RunLoad(context.Background(), ep.LoadOptions(), LoadOptions{Out: t.TempDir(), Results: "zip"}); !IsInputError(err) {
		t.Errorf("results zip: %v, want an input error", err)
	}
}

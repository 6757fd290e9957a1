package selftest

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/originproof/originproof/checks"
	"github.com/originproof/originproof/fixtures"
	"github.com/originproof/originproof/fixtures/origin"
	"github.com/originproof/originproof/internal/testenv"
	"github.com/originproof/originproof/loadgen"
	"github.com/originproof/originproof/loadgen/latency"
	"github.com/originproof/originproof/reports"
)

// shardScenario certifies the origin with one identity nothing else of the
// run presents (conformance leaves out the rotation group, the only one
// that probes with it), so the origin's count of requests served to that
// certificate is the load's own.
const shardScenario = `name: sharded
target: {url: %s, connect_to: %s}
pki: {dir: %s}
policy: {label_filter: "!rotation && !resumption && !keepalive"}
load:
  identity: rotation.reissued-accepted
  phases: [{kind: steady, rate: 60, duration: 3s}]
thresholds:
  - {error_rate: 0, min_achieved_rate: 95%%}
`

// exitCode runs the binary and returns its exit code and output.
func exitCode(t *testing.T, args ...string) (int, string) {
	t.Helper()
	out, err := exec.Command(binary, args...).CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, string(out)
	case errors.As(err, &ee):
		return ee.ExitCode(), string(out)
	}
	t.Fatalf("%v: %v", args, err)
	return 0, ""
}

// TestShardedCertify: three certify shards started together by --start-at
// send the scenario's load between them, shard 1 runs the conformance
// suites, and merge writes what one certify writes, judging the thresholds
// on the whole. The merged count equals the sum of the shards and the
// origin's own count; the merged latency histogram equals one histogram of
// every result. Merging two of the three breaks min_achieved_rate although
// each shard holds it; a shard that reaches --start-at too late is refused.
func TestShardedCertify(t *testing.T) {
	pkiDir, pki := testenv.WritePKI(t)
	srv := startOrigin(t, origin.Config{PKI: pki, Profile: origin.Strict})
	tmp := t.TempDir()
	scen := filepath.Join(tmp, "sharded.yaml")
	if err := os.WriteFile(scen, []byte(fmt.Sprintf(shardScenario, srv.URL(), srv.Addr(), pkiDir)), 0o644); err != nil {
		t.Fatal(err)
	}
	startAt := time.Now().Add(4 * time.Second).UTC().Format(time.RFC3339Nano)
	dirs := make([]string, 3)
	codes := make([]int, 3)
	outs := make([]string, 3)
	var wg sync.WaitGroup
	for i := range dirs {
		dirs[i] = filepath.Join(tmp, fmt.Sprintf("shard-%d", i))
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(binary, "certify", scen, "--shard", "auto", "--start-at", startAt, "--out", dirs[i])
			cmd.Env = append(os.Environ(), fmt.Sprintf("JOB_COMPLETION_INDEX=%d", i), "ORIGINPROOF_SHARDS=3")
			out, err := cmd.CombinedOutput()
			outs[i] = string(out)
			if err != nil {
				codes[i] = cmd.ProcessState.ExitCode()
			}
		}()
	}
	wg.Wait()
	for i := range dirs {
		if codes[i] != 0 {
			t.Fatalf("shard %d exited %d:\n%s", i, codes[i], outs[i])
		}
	}
	var sum int64
	for i, d := range dirs {
		s, err := reports.ReadSummary(filepath.Join(d, "summary.json"))
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("%d/3", i+1); s.Shard != want || s.Load == nil {
			t.Fatalf("shard %d: summary shard %q, load %v", i, s.Shard, s.Load != nil)
		}
		ran := countStatus(s, checks.StatusPass)
		if (i == 0) != (ran > 0) {
			t.Errorf("shard %d: %d checks passed; conformance runs on shard 1 only", i+1, ran)
		}
		for _, th := range s.Thresholds {
			if !th.Held {
				t.Errorf("shard %d: threshold %s breached on its share: %s", i+1, th.Name, th.Observed)
			}
		}
		sum += s.Load.Requests
	}

	merged := filepath.Join(tmp, "merged")
	code, out := exitCode(t, "merge", "--out", merged, dirs[0], dirs[1], dirs[2])
	if code != 0 {
		t.Fatalf("merge exited %d:\n%s", code, out)
	}
	m, err := reports.ReadSummary(filepath.Join(merged, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Verdict != checks.VerdictPass || m.Shard != "" || len(m.Thresholds) != 2 || countStatus(m, checks.StatusPass) == 0 {
		t.Fatalf("merged: verdict %s (%s), shard %q, %d thresholds", m.Verdict, m.VerdictReason, m.Shard, len(m.Thresholds))
	}
	served := srv.Stats().RequestsByClientCert[fixtures.Fingerprint(pki.Identity("rotation.reissued-accepted").Leaf)]
	if m.Load.Requests != sum || m.Load.Requests != served || m.Load.Requests < 170 {
		t.Errorf("merged requests %d, shards' sum %d, origin served %d to the load's certificate (scheduled 180)", m.Load.Requests, sum, served)
	}
	for _, f := range []string{"junit.xml", "report.html", "results.json", "latency.hlog", "run.json"} {
		if _, err := os.Stat(filepath.Join(merged, f)); err != nil {
			t.Errorf("merged run lacks %s", f)
		}
	}
	// run.json: each shard's barrier and clock against the origin's, and the start skew.
	var run loadgen.MergedRunInfo
	if data, err := os.ReadFile(filepath.Join(merged, "run.json")); err != nil || json.Unmarshal(data, &run) != nil {
		t.Fatalf("merged run.json: %v", err)
	}
	if len(run.Shards) != 3 || run.StartSkewS > 1 {
		t.Errorf("run.json: %d shards, start skew %vs", len(run.Shards), run.StartSkewS)
	}
	for _, sh := range run.Shards {
		if sh.StartAt == nil || sh.ClockOffsetS == nil || *sh.ClockOffsetS < -2 || *sh.ClockOffsetS > 2 {
			t.Errorf("shard %s: start_at %v, clock offset %v (the origin runs on this machine)", sh.Shard, sh.StartAt, sh.ClockOffsetS)
		}
	}
	// The merged histogram is one histogram of every result.
	all := latency.New()
	rf, err := os.Open(filepath.Join(merged, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	dec := loadgen.NewDecoder(rf)
	var rec loadgen.Record
	seqs := map[uint64]bool{}
	for dec(&rec) == nil {
		all.Record(rec.LatencyCorrected)
		seqs[rec.Seq] = true
	}
	rf.Close()
	if got, want := all.Percentiles(), m.Load.Latency[loadgen.PhaseCorrected]; got != want {
		t.Errorf("merged latency %+v, one histogram of every result %+v", want, got)
	}
	if int64(len(seqs)) != m.Load.Requests {
		t.Errorf("%d distinct sequence numbers for %d requests: the shards' requests must be numbered run-wide", len(seqs), m.Load.Requests)
	}

	// Two of three: each held min_achieved_rate, the whole does not.
	code, out = exitCode(t, "merge", "--out", filepath.Join(tmp, "two"), dirs[0], dirs[1])
	two, err := reports.ReadSummary(filepath.Join(tmp, "two", "summary.json"))
	if code != 1 || err != nil || two.Verdict != checks.VerdictFail || !strings.Contains(two.VerdictReason, "min_achieved_rate") {
		t.Errorf("merging 2 of 3 shards: exit %d, %v, verdict %v; want 1 with min_achieved_rate breached\n%s", code, err, two, out)
	}

	// A shard that never ran: refused, or left out with --allow-missing.
	never := filepath.Join(tmp, "never")
	if code, out := exitCode(t, "merge", "--out", filepath.Join(tmp, "refused"), dirs[0], dirs[1], never); code != 2 {
		t.Errorf("merging a directory without outputs: exit %d, want 2\n%s", code, out)
	}
	code, out = exitCode(t, "merge", "--allow-missing", "--out", filepath.Join(tmp, "allowed"), dirs[0], dirs[1], never)
	if code != 1 || !strings.Contains(out, never+": no outputs") {
		t.Errorf("merge --allow-missing: exit %d, want 1 (min_achieved_rate) and a warning naming %s\n%s", code, never, out)
	}

	// A shard that reaches the barrier late is refused.
	code, out = exitCode(t, "certify", scen, "--shard", "2/3", "--start-at", time.Now().Add(-time.Minute).UTC().Format(time.RFC3339), "--out", filepath.Join(tmp, "late"))
	if code != 3 || !strings.Contains(out, "late (tolerance 5s)") {
		t.Errorf("late shard: exit %d; want 3 and how late it was:\n%s", code, out)
	}
}

func countStatus(s *reports.Summary, st checks.Status) int {
	n := 0
	for _, c := range s.Checks {
		if c.Status == st {
			n++
		}
	}
	return n
}

package clitest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/originproof/originproof/checks"
)

// script is a stand-in for the binary: sh writes summary.json (when given
// one) into out, prints a line and exits with code.
func script(t *testing.T, summary string, code int) (out string, args []string) {
	t.Helper()
	out = t.TempDir()
	src := filepath.Join(t.TempDir(), "summary.json")
	if err := os.WriteFile(src, []byte(summary), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := fmt.Sprintf("echo printed; echo complained >&2; [ -n %q ] && cp %q %q; exit %d", summary, src, filepath.Join(out, "summary.json"), code)
	return out, []string{"-c", cmd}
}

const summary = `{"schema_version": 1, "verdict": "fail", "verdict_reason": "a must failed", "checks": [
	{"id": "b.two", "status": "fail"}, {"id": "a.one", "status": "fail"}, {"id": "c.warned", "status": "warn"},
	{"id": "d.broke", "status": "error", "observed": "timed out"}, {"id": "e.fine", "status": "pass"}, {"id": "f.skipped", "status": "skip"}]}`

func TestRun(t *testing.T) {
	out, args := script(t, summary, 1)
	r := Run(context.Background(), "/bin/sh", out, args...)
	if r.Code != 1 || r.Err != nil || r.Summary == nil || !strings.Contains(r.Output, "printed") || !strings.Contains(r.Output, "complained") || r.Took <= 0 {
		t.Fatalf("%+v", r)
	}
	if err := r.Check(); err != nil {
		t.Errorf("exit 1 with verdict fail: %v", err)
	}
	out, args = script(t, summary, 0)
	if err := Run(context.Background(), "/bin/sh", out, args...).Check(); err == nil || !strings.Contains(err.Error(), "exit code 0 for verdict fail") {
		t.Errorf("exit 0 with verdict fail: %v", err)
	}
	out, args = script(t, "", 2)
	r = Run(context.Background(), "/bin/sh", out, args...)
	if r.Code != 2 || r.Summary != nil || r.Err == nil || r.Check() == nil || !strings.Contains(r.Err.Error(), "exit status 2") {
		t.Errorf("no summary.json: %+v", r)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if r := Run(ctx, "/bin/sh", t.TempDir(), "-c", "exec sleep 10"); r.Code != -1 || r.Err == nil || r.Took > 5*time.Second {
		t.Errorf("killed: %+v", r)
	}
	if r := Run(context.Background(), filepath.Join(t.TempDir(), "missing"), t.TempDir()); r.Code != -1 || r.Err == nil {
		t.Errorf("no binary: %+v", r)
	}
}

func TestExitCode(t *testing.T) {
	for v, want := range map[checks.Verdict]int{checks.VerdictPass: 0, checks.VerdictFail: 1, checks.VerdictInconclusive: 3, "maybe": -1} {
		if got := ExitCode(v); got != want {
			t.Errorf("%s: %d, want %d", v, got, want)
		}
	}
}

// recorder is a testing.TB that keeps what Errorf was given.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func TestJudged(t *testing.T) {
	out, args := script(t, summary, 1)
	sum := Run(context.Background(), "/bin/sh", out, args...).Summary
	if sum == nil {
		t.Fatal("no summary")
	}
	got := JudgedBy(sum)
	want := Judged{Fail: []string{"b.two", "a.one"}, Warn: []string{"c.warned"}, Errored: []string{"d.broke"}, Verdict: checks.VerdictFail}
	if fmt.Sprint(got.Fail) != "[a.one b.two]" || !got.Same(want) || !want.Same(got) {
		t.Errorf("judged %+v, want %+v", got, want)
	}
	rec := &recorder{TB: t}
	Compare(rec, sum, want)
	if len(rec.errors) != 0 {
		t.Errorf("the same judgement compared unequal: %q", rec.errors)
	}
	for _, tt := range []struct {
		change func(*Judged)
		says   string
	}{
		{func(j *Judged) { j.Fail = j.Fail[:1] }, "failed checks\n got  [a.one b.two]\n want [b.two]"},
		{func(j *Judged) { j.Warn = nil }, "warned checks"},
		{func(j *Judged) { j.Errored = nil }, `observed ["d.broke: timed out"]`},
		{func(j *Judged) { j.Verdict = checks.VerdictPass }, "verdict fail (a must failed), want pass"},
	} {
		w := want
		tt.change(&w)
		if got.Same(w) {
			t.Errorf("%+v is the same as %+v", got, w)
		}
		rec := &recorder{TB: t}
		Compare(rec, sum, w)
		if len(rec.errors) != 1 || !strings.Contains(rec.errors[0], tt.says) {
			t.Errorf("compared with %+v: %q, want one error saying %q", w, rec.errors, tt.says)
		}
	}
}

func TestRunAll(t *testing.T) {
	passOut, passArgs := script(t, strings.Replace(summary, `"fail"`, `"pass"`, 1), 0)
	failOut, failArgs := script(t, summary, 1)
	start := time.Now()
	rs := RunAll("/bin/sh", 5*time.Second, []Call{
		{Out: failOut, Args: failArgs},
		{Out: t.TempDir(), Args: []string{"-c", "exec sleep 2"}},
		{Out: passOut, Args: passArgs},
		{Out: t.TempDir(), Args: []string{"-c", "exec sleep 2"}},
	})
	if took := time.Since(start); took > 3500*time.Millisecond {
		t.Errorf("two 2 s runs took %v: not at once", took)
	}
	if len(rs) != 4 || rs[0].Code != 1 || rs[0].Summary.Verdict != checks.VerdictFail || rs[1].Code != 0 || rs[1].Summary != nil || rs[2].Code != 0 || rs[2].Summary.Verdict != checks.VerdictPass {
		t.Errorf("results out of order: %+v", rs)
	}
	if rs := RunAll("/bin/sh", 100*time.Millisecond, []Call{{Out: t.TempDir(), Args: []string{"-c", "exec sleep 10"}}}); rs[0].Code != -1 {
		t.Errorf("not bounded by the timeout: %+v", rs[0])
	}
}

// stopper is a testing.TB whose Fatalf stops the caller as t.Fatalf does.
type stopper struct {
	recorder
	fatal string
}

func (s *stopper) Fatalf(format string, args ...any) {
	s.fatal = fmt.Sprintf(format, args...)
	panic(s)
}

func want(s *stopper, r Result, code int) (j Judged) {
	defer func() {
		if v := recover(); v != nil && v != any(s) {
			panic(v)
		}
	}()
	return r.Want(s, code)
}

func TestWant(t *testing.T) {
	out, args := script(t, summary, 1)
	r := Run(context.Background(), "/bin/sh", out, args...)
	s := &stopper{recorder: recorder{TB: t}}
	if j := want(s, r, 1); s.fatal != "" || j.Verdict != checks.VerdictFail || len(s.errors) != 1 || !strings.Contains(s.errors[0], "checks errored: [d.broke]") {
		t.Errorf("exit 1 as wanted: judged %+v, fatal %q, errors %q", j, s.fatal, s.errors)
	}
	s = &stopper{recorder: recorder{TB: t}}
	if want(s, r, 0); !strings.Contains(s.fatal, "exit 1, want 0") || !strings.Contains(s.fatal, "printed") {
		t.Errorf("exit 1, want 0: fatal %q", s.fatal)
	}
	out, args = script(t, "", 0)
	s = &stopper{recorder: recorder{TB: t}}
	if want(s, Run(context.Background(), "/bin/sh", out, args...), 0); !strings.Contains(s.fatal, "summary.json") {
		t.Errorf("no summary.json: fatal %q", s.fatal)
	}
}

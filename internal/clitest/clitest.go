// Package clitest runs the built originproof binary as the suites' tests
// do and reads what it wrote: the exit code held against summary.json's
// verdict, and the checks that failed, warned and errored. (It imports
// reports, so the tests of the packages reports is built on cannot use
// it; internal/testenv builds the binary.)
package clitest

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/originproof/originproof/checks"
	"github.com/originproof/originproof/reports"
)

// Result is one run of the binary that writes its reports to a directory.
type Result struct {
	// Code is the exit code; -1 when the binary did not start or was
	// killed (by the context, for one).
	Code int
	// Output is what it printed, stdout and stderr together.
	Output string
	Took   time.Duration
	// Summary is the summary.json it wrote, nil when none could be read;
	// Err then says why (with the run's own error, if it had one).
	Summary *reports.Summary
	Err     error
}

// Run runs binary with args, bounded by ctx, and reads summary.json from
// out, the directory the args name with --out.
func Run(ctx context.Context, binary, out string, args ...string) Result {
	cmd := exec.CommandContext(ctx, binary, args...)
	start := time.Now()
	b, runErr := cmd.CombinedOutput()
	r := Result{Code: cmd.ProcessState.ExitCode(), Output: string(b), Took: time.Since(start)}
	if r.Summary, r.Err = reports.ReadSummary(filepath.Join(out, "summary.json")); r.Err != nil && runErr != nil {
		r.Err = errors.Join(r.Err, runErr)
	}
	return r
}

// Call is one run of the binary: its arguments, and the directory they
// name with --out.
type Call struct {
	Out  string
	Args []string
}

// RunAll makes every call at once, each bounded by timeout, and returns
// their results in the calls' order.
func RunAll(binary string, timeout time.Duration, calls []Call) []Result {
	results := make([]Result, len(calls))
	var wg sync.WaitGroup
	for i, c := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			results[i] = Run(ctx, binary, c.Out, c.Args...)
		}()
	}
	wg.Wait()
	return results
}

// Want stops the test unless the run exited with code and wrote
// summary.json, and fails it if any check errored; it returns what the
// summary judged.
func (r Result) Want(t testing.TB, code int) Judged {
	t.Helper()
	if r.Code != code || r.Summary == nil {
		t.Fatalf("exit %d, want %d (%v)\n%s", r.Code, code, r.Err, r.Output)
	}
	j := JudgedBy(r.Summary)
	if len(j.Errored) > 0 {
		t.Errorf("checks errored: %v\n%s", j.Errored, r.Output)
	}
	return j
}

// ExitCode is the exit code the command line gives a verdict: 0 pass,
// 1 fail, 3 inconclusive (-1 for anything else, which no exit code matches).
func ExitCode(v checks.Verdict) int {
	switch v {
	case checks.VerdictPass:
		return 0
	case checks.VerdictFail:
		return 1
	case checks.VerdictInconclusive:
		return 3
	}
	return -1
}

// Check is nil when summary.json was read and the exit code is the one
// its verdict has.
func (r Result) Check() error {
	if r.Err != nil {
		return r.Err
	}
	if want := ExitCode(r.Summary.Verdict); r.Code != want {
		return fmt.Errorf("exit code %d for verdict %s (want %d)", r.Code, r.Summary.Verdict, want)
	}
	return nil
}

// Judged is what a run judged: the ids of the checks that failed, warned
// and errored, and the verdict.
type Judged struct {
	Fail, Warn, Errored []string
	Verdict             checks.Verdict
}

// JudgedBy is what sum judged, each list of ids sorted.
func JudgedBy(sum *reports.Summary) Judged {
	j := Judged{Verdict: sum.Verdict}
	for _, c := range sum.Checks {
		switch c.Status {
		case checks.StatusFail:
			j.Fail = append(j.Fail, c.ID)
		case checks.StatusWarn:
			j.Warn = append(j.Warn, c.ID)
		case checks.StatusError:
			j.Errored = append(j.Errored, c.ID)
		}
	}
	slices.Sort(j.Fail)
	slices.Sort(j.Warn)
	slices.Sort(j.Errored)
	return j
}

// Same says whether j and o judge alike, whatever the order of their ids.
func (j Judged) Same(o Judged) bool {
	return slices.Equal(sorted(j.Fail), sorted(o.Fail)) && slices.Equal(sorted(j.Warn), sorted(o.Warn)) &&
		slices.Equal(sorted(j.Errored), sorted(o.Errored)) && j.Verdict == o.Verdict
}

// Compare fails the test for each way in which what sum judged differs
// from want: the failed, warned and errored checks (an errored check with
// what it observed) and the verdict (with its reason).
func Compare(t testing.TB, sum *reports.Summary, want Judged) {
	t.Helper()
	got := JudgedBy(sum)
	if w := sorted(want.Fail); !slices.Equal(got.Fail, w) {
		t.Errorf("failed checks\n got  %v\n want %v", got.Fail, w)
	}
	if w := sorted(want.Warn); !slices.Equal(got.Warn, w) {
		t.Errorf("warned checks\n got  %v\n want %v", got.Warn, w)
	}
	if w := sorted(want.Errored); !slices.Equal(got.Errored, w) {
		var observed []string
		for _, c := range sum.Checks {
			if c.Status == checks.StatusError {
				observed = append(observed, c.ID+": "+c.Observed)
			}
		}
		t.Errorf("errored checks\n got  %v\n want %v\n observed %q", got.Errored, w, observed)
	}
	if got.Verdict != want.Verdict {
		t.Errorf("verdict %s (%s), want %s", got.Verdict, sum.VerdictReason, want.Verdict)
	}
}

func sorted(s []string) []string { return slices.Sorted(slices.Values(s)) }

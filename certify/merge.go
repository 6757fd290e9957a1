package certify

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"github.com/originproof/originproof/checks"
	"github.com/originproof/originproof/loadgen"
	"github.com/originproof/originproof/reports"
	"github.com/originproof/originproof/scenarios"
)

// Merge merges the outputs of shards run on several machines (`load
// --shard i/N` or `certify --shard i/N`) into out: results.json,
// latency.hlog, run.json, summary.json, summary.md and report.html. Load shards merge
// into one load run judged on its own; certify shards into what one certify
// writes: shard 1's conformance, the merged load, and the scenario's
// thresholds and rotation.under-load judged on the merged whole (junit.xml
// too). Bad shard directories, shards of different runs, or an out that is
// one of them are InputErrors; a merge that fails while writing is returned
// with the summary of what was merged when there is one.
//
// With allowMissing, a shard directory without outputs (a shard that never
// ran) is left out with a warning instead of refused; the merged run then
// says which shards it lacks, and the thresholds judge what the origin saw.
func Merge(out string, dirs []string, version string, args []string, allowMissing bool) (*reports.Summary, error) {
	if out == "" {
		return nil, inputErr(FieldOut, "the output directory is required")
	}
	if len(dirs) == 0 {
		return nil, inputErr("shards", "no shard directories given")
	}
	absOut, _ := filepath.Abs(out)
	var shards []*loadgen.ShardDir
	var skipped []string
	for _, d := range dirs {
		if abs, _ := filepath.Abs(d); abs == absOut {
			return nil, inputErr(FieldOut, "%q is both a shard and the output directory", d)
		}
		s, err := loadgen.OpenShard(d)
		if err != nil && allowMissing && noOutputs(d) {
			skipped = append(skipped, d)
			continue
		}
		if err != nil {
			return nil, &InputError{Field: "shards", Err: err}
		}
		shards = append(shards, s)
	}
	if len(shards) == 0 {
		return nil, inputErr("shards", "none of %d shard directories has a shard's outputs", len(dirs))
	}
	if err := loadgen.CheckShards(shards); err != nil {
		return nil, &InputError{Field: "shards", Err: err}
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, inputErr(FieldOut, "%q: %v", out, unwrapPath(err))
	}
	// Raw results merge only when every shard kept them (compressed if
	// any shard's were); otherwise the summaries' counts and histograms do.
	mode := loadgen.ResultsFull
	var notes []string
	for _, sh := range shards {
		switch kept := keptResults(sh.Dir); kept {
		case loadgen.ResultsNone:
			mode = loadgen.ResultsNone
		case loadgen.ResultsGzip:
			if mode != loadgen.ResultsNone {
				mode = loadgen.ResultsGzip
			}
		}
	}
	results, finishResults, err := loadgen.CreateResults(out, mode)
	if err != nil {
		return nil, &InputError{Field: FieldOut, Err: err}
	}
	defer finishResults()
	if mode == loadgen.ResultsNone {
		notes = append(notes, "not every shard kept its raw results: the merged run has none (its counts and histograms come from the shards' summaries)")
	}
	hlogF, err := os.Create(filepath.Join(out, loadgen.HlogFile))
	if err != nil {
		return nil, &InputError{Field: FieldOut, Err: err}
	}
	defer hlogF.Close()
	m, err := loadgen.Merge(shards, results, hlogF, version, args)
	if err != nil {
		var me *loadgen.MergeError
		if errors.As(err, &me) {
			return nil, &InputError{Field: "shards", Err: err}
		}
		return nil, err
	}
	writeErr := errors.Join(finishResults(), hlogF.Close(), loadgen.WriteJSONFile(filepath.Join(out, loadgen.RunFile), m.Run))
	if tl, err := loadgen.MergeSeries(shards); err != nil {
		writeErr = errors.Join(writeErr, err)
	} else if tl != nil {
		writeErr = errors.Join(writeErr, loadgen.WriteJSONFile(filepath.Join(out, loadgen.SeriesFile), tl))
	}
	merged := notes
	for _, d := range skipped {
		merged = append(merged, fmt.Sprintf("%s: no outputs (the shard did not run): left out", d))
	}
	if len(m.Run.Missing) > 0 {
		merged = append(merged, fmt.Sprintf("merged %d of %d shards (missing %v): the origin saw only part of the load", len(shards), shards[0].Count, m.Run.Missing))
	}
	if len(shards) > 1 {
		merged = append(merged, fmt.Sprintf("the shards started within %.3fs of each other", m.Run.StartSkewS))
	}
	var sum *reports.Summary
	if _, err := os.Stat(filepath.Join(shards[0].Dir, ScenarioFile)); err == nil {
		if sum, err = mergeCertify(shards, out, m); err != nil {
			return nil, err
		}
		sum.Warnings = append(sum.Warnings, merged...)
		if writeErr == nil {
			writeErr = reports.WriteOutputs(out, sum)
		}
		return sum, writeErr
	}
	sum = LoadSummary(&m.Summary, version, m.Run.Started, m.Run.Ended)
	sum.Warnings = append(sum.Warnings, merged...)
	if writeErr == nil {
		writeErr = reports.WriteSummary(out, sum)
	}
	if writeErr == nil {
		_, writeErr = reports.RenderDir(out)
	}
	return sum, writeErr
}

// mergeCertify is the summary of merged certify shards: shard 1's
// conformance results, the merged load, and the thresholds and
// rotation.under-load of the scenario judged on the merged results.
func mergeCertify(shards []*loadgen.ShardDir, out string, m *loadgen.Merged) (*reports.Summary, error) {
	load := &m.Summary
	scenarioPath := filepath.Join(shards[0].Dir, ScenarioFile)
	data, err := os.ReadFile(scenarioPath)
	if err != nil {
		return nil, &InputError{Field: "shards", Err: err}
	}
	s, err := scenarios.Parse(data, scenarioPath, scenarios.Options{})
	if err != nil {
		return nil, &InputError{Field: "shards", Err: err}
	}
	for _, sh := range shards[1:] {
		// Machines may reach the origin and keep the PKI their own way; the
		// load and how it is judged must be the same.
		path := filepath.Join(sh.Dir, ScenarioFile)
		other, err := scenarios.LoadFile(path, scenarios.Options{})
		if err != nil {
			return nil, inputErr("shards", "%s: %v", sh.Dir, err)
		}
		if !reflect.DeepEqual(other.Load, s.Load) || !reflect.DeepEqual(other.Pooling, s.Pooling) ||
			!reflect.DeepEqual(other.Thresholds, s.Thresholds) || other.Policy.FailOn != s.Policy.FailOn {
			return nil, inputErr("shards", "%s: not the same scenario as %s (load, pooling, thresholds or fail_on differ)", sh.Dir, shards[0].Dir)
		}
	}
	plan, err := s.Plan()
	if err != nil || plan == nil {
		return nil, inputErr("shards", "%s: the scenario has no load phases to merge", scenarioPath)
	}
	var sum *reports.Summary
	for _, sh := range shards {
		if sh.Index == 1 {
			if sum, err = reports.ReadSummary(filepath.Join(sh.Dir, loadgen.SummaryFile)); err != nil {
				return nil, &InputError{Field: "shards", Err: err}
			}
		}
	}
	if sum == nil {
		// Shard 1 ran the conformance suites: without it nothing was judged.
		sum = reports.New("", load.Config.Target, load.Config.ServerName)
		for _, c := range checks.Catalogue {
			sum.Checks = append(sum.Checks, reports.Check{ID: c.ID, Group: c.Group, Severity: c.Severity, Status: checks.StatusError,
				Expected: c.Expected, Observed: "not merged: shard 1, which ran the conformance suites, is missing", Layer: checks.LayerNone})
		}
	}
	sum.Shard, sum.Load, sum.Thresholds = "", load, nil
	sum.Warnings = slices.DeleteFunc(sum.Warnings, func(w string) bool { return strings.HasPrefix(w, "shard ") })
	if load.GeneratorLimited {
		sum.Warnings = append(sum.Warnings, generatorLimited(load))
	}
	thresholds, judged := judgeLoad(s, plan, m.Phases, load)
	sum.Thresholds = thresholds
	for _, c := range judged {
		sum.SetCheck(c)
	}
	sum.Decide(s.Policy.FailOn == "warn")
	if load.Interrupted {
		sum.Verdict, sum.VerdictReason = checks.VerdictInconclusive, "a shard was interrupted: the load is incomplete"
	}
	return sum, os.WriteFile(filepath.Join(out, ScenarioFile), data, 0o644)
}

// noOutputs says a shard directory holds no run: it is missing, or has no
// summary.json (a shard refused before it sent anything).
func noOutputs(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, loadgen.SummaryFile))
	return errors.Is(err, fs.ErrNotExist)
}

// keptResults is what a run directory kept of its raw results.
func keptResults(dir string) loadgen.ResultsMode {
	for _, m := range []loadgen.ResultsMode{loadgen.ResultsFull, loadgen.ResultsGzip} {
		if _, err := os.Stat(filepath.Join(dir, m.File())); err == nil {
			return m
		}
	}
	return loadgen.ResultsNone
}

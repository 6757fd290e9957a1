package certify

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/originproof/originproof/loadgen"
	"github.com/originproof/originproof/reports"
)

// Merge merges the outputs of load shards (`load --shard i/N` run on
// several machines) into out: results.json, latency.hlog, run.json,
// summary.json and summary.md (the merged load judged as one run) and
// report.html. Bad
// shard directories, shards of different runs, or an --out that is one of
// them are InputErrors; a merge that fails while writing is returned with
// the summary of what was merged when there is one.
func Merge(out string, dirs []string, version string, args []string) (*reports.Summary, error) {
	if out == "" {
		return nil, inputErr(FieldOut, "the output directory is required")
	}
	if len(dirs) == 0 {
		return nil, inputErr("shards", "no shard directories given")
	}
	absOut, _ := filepath.Abs(out)
	var shards []*loadgen.ShardDir
	for _, d := range dirs {
		if abs, _ := filepath.Abs(d); abs == absOut {
			return nil, inputErr(FieldOut, "%q is both a shard and the output directory", d)
		}
		s, err := loadgen.OpenShard(d)
		if err != nil {
			return nil, &InputError{Field: "shards", Err: err}
		}
		shards = append(shards, s)
	}
	if err := loadgen.CheckShards(shards); err != nil {
		return nil, &InputError{Field: "shards", Err: err}
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, inputErr(FieldOut, "%q: %v", out, unwrapPath(err))
	}
	resultsF, err := os.Create(filepath.Join(out, loadgen.ResultsFile))
	if err != nil {
		return nil, &InputError{Field: FieldOut, Err: err}
	}
	defer resultsF.Close()
	hlogF, err := os.Create(filepath.Join(out, loadgen.HlogFile))
	if err != nil {
		return nil, &InputError{Field: FieldOut, Err: err}
	}
	defer hlogF.Close()
	m, err := loadgen.Merge(shards, resultsF, hlogF, version, args)
	if err != nil {
		var me *loadgen.MergeError
		if errors.As(err, &me) {
			return nil, &InputError{Field: "shards", Err: err}
		}
		return nil, err
	}
	sum := LoadSummary(&m.Summary, version, m.Run.Started, m.Run.Ended)
	if len(m.Run.Missing) > 0 {
		sum.Warnings = append(sum.Warnings, fmt.Sprintf("merged %d of %d shards (missing %v): the origin saw only part of the load", len(shards), shards[0].Count, m.Run.Missing))
	}
	writeErr := errors.Join(resultsF.Close(), hlogF.Close(),
		loadgen.WriteJSONFile(filepath.Join(out, loadgen.RunFile), m.Run),
		reports.WriteSummary(out, sum))
	if writeErr == nil {
		_, writeErr = reports.RenderDir(out)
	}
	return sum, writeErr
}

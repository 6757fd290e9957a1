package certify

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/originproof/originproof/checks"
	"github.com/originproof/originproof/loadgen"
	"github.com/originproof/originproof/reports"
)

// LoadOptions say where a load run's outputs go and how it reports.
type LoadOptions struct {
	// Out is the directory for results.json, latency.hlog and run.json.
	Out string
	// Version and Args are recorded in run.json (Args with secrets redacted).
	Version string
	Args    []string
	// Progress is called every interval (nil: none).
	Progress func(loadgen.Progress)
	// Started is called once the engine is built, before traffic (nil: none).
	Started func(loadgen.Config)
	// StartAt, when set, is the start barrier: the run waits for it, and a
	// run that reaches it later than StartTolerance is refused (*LateError).
	StartAt        time.Time
	StartTolerance time.Duration
	// Waiting is called about every second while waiting for StartAt.
	Waiting func(left time.Duration)
}

// RunLoad runs one load engine writing results.json, latency.hlog and
// run.json under o.Out. The report is nil only when the engine could not be
// built (an InputError naming the option) or the outputs could not be
// created; otherwise whatever was measured is returned, with the run's or
// the writes' error.
func RunLoad(ctx context.Context, opts []loadgen.Option, o LoadOptions) (*loadgen.Report, error) {
	if _, err := loadgen.New(opts...); err != nil {
		return nil, optionError(err)
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return nil, inputErr(FieldOut, "%q: %v", o.Out, unwrapPath(err))
	}
	resultsF, err := os.Create(filepath.Join(o.Out, loadgen.ResultsFile))
	if err != nil {
		return nil, inputErr(FieldOut, "%v", err)
	}
	defer resultsF.Close()
	hlogF, err := os.Create(filepath.Join(o.Out, loadgen.HlogFile))
	if err != nil {
		return nil, inputErr(FieldOut, "%v", err)
	}
	defer hlogF.Close()
	opts = append(opts, loadgen.Results(resultsF), loadgen.HistogramLog(hlogF))
	if o.Progress != nil {
		opts = append(opts, loadgen.OnProgress(o.Progress))
	}
	e, err := loadgen.New(opts...)
	if err != nil {
		return nil, optionError(err)
	}
	if o.Started != nil {
		o.Started(e.Config())
	}
	if !o.StartAt.IsZero() {
		if o.StartTolerance <= 0 {
			o.StartTolerance = DefaultStartTolerance
		}
		if err := WaitUntil(ctx, o.StartAt, o.StartTolerance, o.Waiting); err != nil {
			return nil, err
		}
	}
	rep, runErr := e.Run(ctx)
	if rep == nil {
		return nil, runErr
	}
	info := loadgen.NewRunInfo(rep, o.Version, o.Args)
	if !o.StartAt.IsZero() {
		at := o.StartAt.UTC()
		info.StartAt, info.StartTolerance = &at, loadgen.Duration(o.StartTolerance)
	}
	return rep, errors.Join(runErr, resultsF.Close(), hlogF.Close(),
		loadgen.WriteJSONFile(filepath.Join(o.Out, loadgen.RunFile), info))
}

// optionError turns a loadgen option error into an InputError naming the option.
func optionError(err error) error {
	var oe *loadgen.OptionError
	if errors.As(err, &oe) {
		return &InputError{Field: oe.Option, Err: errors.New(oe.Reason)}
	}
	return err
}

// LoadVerdict judges a load run on its own: inconclusive when interrupted
// or when no request ever got a connection (an unreachable target), fail
// when any request failed, pass otherwise. The reason says why.
func LoadVerdict(s loadgen.Summary) (checks.Verdict, string) {
	switch {
	case s.Interrupted:
		return checks.VerdictInconclusive, fmt.Sprintf("interrupted after %d of %d requests", s.Requests, s.Scheduled)
	case s.Requests == 0:
		return checks.VerdictInconclusive, "no request was sent"
	case s.Connections == 0:
		return checks.VerdictInconclusive, "target unreachable: " + ClassList(s.ErrorsByClass)
	case s.Errors > 0:
		return checks.VerdictFail, fmt.Sprintf("%d of %d requests failed (%s)", s.Errors, s.Requests, ClassList(s.ErrorsByClass))
	}
	return checks.VerdictPass, ""
}

// LoadSummary is summary.json for a load run judged on its own (load,
// merge): the load section and its verdict.
func LoadSummary(s *loadgen.Summary, version string, started, ended time.Time) *reports.Summary {
	cfg := s.Config
	target, serverName := "", ""
	if cfg != nil {
		target, serverName = cfg.Target, cfg.ServerName
	}
	sum := reports.New(version, target, serverName)
	sum.Load = s
	sum.Verdict, sum.VerdictReason = LoadVerdict(*s)
	sum.Started, sum.Finished = started.UTC(), ended.UTC()
	if s.GeneratorLimited {
		sum.Warnings = append(sum.Warnings, generatorLimited(s))
	}
	return sum
}

func generatorLimited(s *loadgen.Summary) string {
	return fmt.Sprintf("generator_limited: the generator fell behind its schedule by up to %.0f ms (send lag p99 %.1f ms); the origin was under-driven", s.BehindByMs, s.SendLagP99Ms)
}

// ClassList is "class: n, …" sorted, for messages.
func ClassList(m map[loadgen.ErrorClass]int64) string { return loadgen.ClassList(m) }

// RedactArgs hides --header values in a command line recorded in run.json:
// origin custom headers are often shared secrets.
func RedactArgs(args []string) []string {
	out := append([]string(nil), args...)
	for i, a := range out {
		switch {
		case a == "--header" && i+1 < len(out):
			out[i+1] = redactHeader(out[i+1])
		case strings.HasPrefix(a, "--header="):
			out[i] = "--header=" + redactHeader(strings.TrimPrefix(a, "--header="))
		}
	}
	return out
}

func redactHeader(kv string) string {
	k, _, _ := strings.Cut(kv, ":")
	return k + ":" + loadgen.RedactedValue
}

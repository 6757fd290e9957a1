package loadgen

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/originproof/originproof/loadgen/latency"
	"github.com/originproof/originproof/loadgen/timeline"
)

// Files of a load output directory.
const (
	SummaryFile = "summary.json"
	ResultsFile = "results.json"
	RunFile     = "run.json"
	HlogFile    = "latency.hlog"
)

// ShardDir is one shard's load outputs (a `load --shard i/N --out DIR`
// directory), read by OpenShard.
type ShardDir struct {
	Dir string
	// Index and Count are the shard's i/N (1/1 for an unsharded run).
	Index, Count int
	Summary      Summary // the load section of summary.json
	Run          RunInfo // run.json
}

// MergeError says which shard directory could not be merged, and why.
type MergeError struct {
	Dir    string
	Reason string
}

func (e *MergeError) Error() string { return e.Dir + ": " + e.Reason }

func mergeErr(dir, format string, args ...any) error {
	return &MergeError{Dir: dir, Reason: fmt.Sprintf(format, args...)}
}

// OpenShard reads a shard directory's summary.json and run.json and checks
// that results.json and latency.hlog are there.
func OpenShard(dir string) (*ShardDir, error) {
	st, err := os.Stat(dir)
	switch {
	case err != nil:
		return nil, mergeErr(dir, "cannot read the directory: %v", errors.Unwrap(err))
	case !st.IsDir():
		return nil, mergeErr(dir, "not a directory")
	}
	var sum struct {
		Load *Summary `json:"load"`
	}
	data, err := os.ReadFile(filepath.Join(dir, SummaryFile))
	if err != nil {
		return nil, mergeErr(dir, "no readable %s (not a load output directory)", SummaryFile)
	}
	if err := json.Unmarshal(data, &sum); err != nil {
		return nil, mergeErr(dir, "malformed %s: %v", SummaryFile, err)
	}
	if sum.Load == nil {
		return nil, mergeErr(dir, "%s has no load section (not a load output directory)", SummaryFile)
	}
	s := &ShardDir{Dir: dir, Summary: *sum.Load}
	data, err = os.ReadFile(filepath.Join(dir, RunFile))
	if err != nil {
		return nil, mergeErr(dir, "no readable %s (not a load output directory)", RunFile)
	}
	if err := json.Unmarshal(data, &s.Run); err != nil {
		return nil, mergeErr(dir, "malformed %s: %v", RunFile, err)
	}
	if _, err := os.Stat(filepath.Join(dir, HlogFile)); err != nil {
		return nil, mergeErr(dir, "no %s (not a load output directory)", HlogFile)
	}
	s.Index, s.Count = 1, 1
	if sh := s.Run.Config.Shard; sh != "" {
		i, n, err := ParseShard(sh)
		if err != nil {
			return nil, mergeErr(dir, "%s: shard %v", RunFile, err)
		}
		s.Index, s.Count = i, n
	}
	if s.Run.Config.Pops < 1 {
		return nil, mergeErr(dir, "%s: config has no pops", RunFile)
	}
	return s, nil
}

// ShardRun is how run.json of a merged run notes one shard.
type ShardRun struct {
	Dir         string    `json:"dir"`
	Shard       string    `json:"shard"`
	Version     string    `json:"version"`
	Command     []string  `json:"command,omitempty"`
	Started     time.Time `json:"started"`
	Ended       time.Time `json:"ended"`
	Interrupted bool      `json:"interrupted"`
	Machine     Machine   `json:"machine"`
	ConnectTo   string    `json:"connect_to,omitempty"`
	Requests    int64     `json:"requests"`
	// FirstPop and LastPop are the shard's pops in the merged numbering.
	FirstPop int `json:"first_pop"`
	LastPop  int `json:"last_pop"`
	// StartAt and ClockOffsetS are the shard's barrier and its clock
	// against the origin's (see RunInfo).
	StartAt      *time.Time `json:"start_at,omitempty"`
	ClockOffsetS *float64   `json:"clock_offset_s,omitempty"`
}

// MergedRunInfo is run.json of a merged run: the merged configuration and
// the shards it was made of.
type MergedRunInfo struct {
	RunInfo
	Shards []ShardRun `json:"shards"`
	// Missing lists the shards (i of N) not merged.
	Missing []int `json:"missing_shards,omitempty"`
	// StartSkewS is the time between the first and the last shard's start.
	StartSkewS float64 `json:"start_skew_s"`
}

// Merged is the outcome of Merge.
type Merged struct {
	Summary Summary
	Run     MergedRunInfo
	// Phases are each phase's statistics over every shard (histograms
	// included, for thresholds judged on the merged whole).
	Phases []PhaseStats
}

// CheckShards checks that the shards are parts of one run: same shard
// count, distinct indexes, the same target, schedule and load model, and
// run times that overlap. It sorts shards by index.
func CheckShards(shards []*ShardDir) error {
	if len(shards) == 0 {
		return errors.New("loadgen: merge: no shard directories")
	}
	sort.SliceStable(shards, func(i, j int) bool { return shards[i].Index < shards[j].Index })
	first := shards[0]
	if len(shards) > 1 && first.Run.Config.Shard == "" {
		return mergeErr(first.Dir, "not a shard (run without --shard): only shards of one run merge")
	}
	for i, s := range shards[1:] {
		prev := shards[i]
		if s.Count != first.Count {
			return mergeErr(s.Dir, "shard %d/%d but %s is shard %d/%d: not the same run", s.Index, s.Count, first.Dir, first.Index, first.Count)
		}
		if s.Index == prev.Index {
			return mergeErr(s.Dir, "shard %d/%d again (also %s)", s.Index, s.Count, prev.Dir)
		}
		if d := configDiff(first.Run.Config, s.Run.Config); d != "" {
			return mergeErr(s.Dir, "not the same run as %s: %s", first.Dir, d)
		}
	}
	if early, late, skew := startSkew(shards); early != nil {
		if tol := time.Duration(late.Run.StartTolerance); late.Run.StartAt != nil && tol > 0 && skew > tol {
			return mergeErr(late.Dir, "started %v after %s (shards of one run started with --start-at must start within %v of each other: check the machines' clocks)",
				skew.Round(time.Millisecond), early.Dir, tol)
		}
	}
	for _, s := range shards[1:] {
		a, b := first.Run, s.Run
		if b.Started.After(a.Ended) || a.Started.After(b.Ended) {
			return mergeErr(s.Dir, "ran %s–%s, %s ran %s–%s: the runs do not overlap, not the same run",
				b.Started.UTC().Format(time.RFC3339), b.Ended.UTC().Format(time.RFC3339), first.Dir,
				a.Started.UTC().Format(time.RFC3339), a.Ended.UTC().Format(time.RFC3339))
		}
	}
	return nil
}

// startSkew is the spread of the shards' actual starts: the earliest and
// the latest shard and the time between them (nil for fewer than two).
func startSkew(shards []*ShardDir) (early, late *ShardDir, skew time.Duration) {
	if len(shards) < 2 {
		return nil, nil, 0
	}
	early, late = shards[0], shards[0]
	for _, s := range shards[1:] {
		if s.Run.Started.Before(early.Run.Started) {
			early = s
		}
		if s.Run.Started.After(late.Run.Started) {
			late = s
		}
	}
	return early, late, late.Run.Started.Sub(early.Run.Started)
}

// configDiff names the first difference between two shards' configurations
// that makes them different runs. The connect-to address and the server
// roots file may differ: each machine reaches the origin its own way.
func configDiff(a, b Config) string {
	type field struct {
		name string
		x, y any
	}
	fields := []field{
		{"target", a.Target, b.Target},
		{"url", a.URL, b.URL},
		{"server name", a.ServerName, b.ServerName},
		{"method", a.Method, b.Method},
		{"headers", headerNames(a.Headers), headerNames(b.Headers)},
		{"cdn", a.CDN, b.CDN},
		{"identity", a.Identity, b.Identity},
		{"rotate to", a.RotateTo, b.RotateTo},
		{"rotate from", a.RotateFrom, b.RotateFrom},
		{"rotate until", a.RotateUntil, b.RotateUntil},
		{"reuse", a.Reuse, b.Reuse},
		{"resumption", a.Resumption, b.Resumption},
		{"pops", a.Pops, b.Pops},
		{"origin shield", a.OriginShield, b.OriginShield},
		{"pop rule", a.PopRule, b.PopRule},
		{"max conns", a.MaxConns, b.MaxConns},
		{"keepalive", a.KeepAlive, b.KeepAlive},
		{"connect timeout", a.ConnectTimeout, b.ConnectTimeout},
		{"connect attempts", a.ConnectAttempts, b.ConnectAttempts},
		{"read timeout", a.ReadTimeout, b.ReadTimeout},
		{"arrival", a.Arrival.Whole().String(), b.Arrival.Whole().String()},
		{"arrival segments", a.Arrival.Segments, b.Arrival.Segments},
		{"phases", a.Phases, b.Phases},
		{"duration", a.Duration, b.Duration},
	}
	for _, f := range fields {
		if !reflect.DeepEqual(f.x, f.y) {
			return fmt.Sprintf("%s %v, not %v", f.name, show(f.y), show(f.x))
		}
	}
	return ""
}

func show(v any) any {
	if d, ok := v.(Duration); ok {
		return time.Duration(d)
	}
	return v
}

func headerNames(h map[string][]string) []string {
	out := []string{}
	for k := range h {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Merge merges shards (checked by CheckShards) into one run: it streams
// the interval histograms of every latency.hlog into hlog, in time order,
// and — when results is not nil (every shard kept its raw results) —
// every shard's results into results, in shard order; shard k's pop p
// (k = i−1) becomes pop k·pops+p in both, so each pool stays distinct
// (connection ids stay per shard: pop and conn_id together name a
// connection). Counts and rates are summed, percentiles recomputed from
// the merged histograms, and each phase's statistics recomputed from the
// merged results, or without them merged from the shards' summaries
// (their counts and encoded histograms: as exact). A shard whose results
// or latency.hlog disagree with its summary.json is refused.
func Merge(shards []*ShardDir, results, hlog io.Writer, version string, command []string) (*Merged, error) {
	if err := CheckShards(shards); err != nil {
		return nil, err
	}
	pops := shards[0].Run.Config.Pops
	m := &Merged{}
	var res mergedResults
	var err error
	if results != nil {
		res, err = mergeResults(shards, results, pops)
	} else {
		res, err = mergeSummaries(shards)
	}
	if err != nil {
		return nil, err
	}
	phases, err := mergeLogs(shards, hlog, pops)
	if err != nil {
		return nil, err
	}
	s := &m.Summary
	s.ErrorsByClass, s.StatusCodes = map[ErrorClass]int64{}, map[string]int64{}
	s.Negotiated, s.Identities = map[string]int64{}, map[string]int64{}
	s.Latency = map[string]latency.Percentiles{}
	run := &m.Run
	var started, ended time.Time
	for _, sh := range shards {
		x := sh.Summary
		s.Requests += x.Requests
		s.Scheduled += x.Scheduled
		s.Success += x.Success
		s.Errors += x.Errors
		for k, v := range x.ErrorsByClass {
			// Shards of earlier versions may name alerts in Go's words.
			s.ErrorsByClass[ClassOf(string(k), 0)] += v
		}
		addCounts(s.StatusCodes, x.StatusCodes)
		addCounts(s.Negotiated, x.Negotiated)
		addCounts(s.Identities, x.Identities)
		s.RateAsked += x.RateAsked
		s.RateAchieved += x.RateAchieved
		s.Throughput += x.Throughput
		s.DurationS = max(s.DurationS, x.DurationS)
		s.GeneratorLimited = s.GeneratorLimited || x.GeneratorLimited
		s.BehindByMs = max(s.BehindByMs, x.BehindByMs)
		s.Interrupted = s.Interrupted || x.Interrupted
		s.Connections += x.Connections
		s.Handshakes.Full += x.Handshakes.Full
		s.Handshakes.Resumed += x.Handshakes.Resumed
		s.Handshakes.Failed += x.Handshakes.Failed
		s.Dial.add(x.Dial)
		s.UnrecordedConnections += x.UnrecordedConnections
		off := (sh.Index - 1) * pops
		for _, p := range x.Pops {
			p.Pop += off
			s.Pops = append(s.Pops, p)
		}
		if started.IsZero() || sh.Run.Started.Before(started) {
			started = sh.Run.Started
		}
		if sh.Run.Ended.After(ended) {
			ended = sh.Run.Ended
		}
		run.Shards = append(run.Shards, ShardRun{
			Dir: sh.Dir, Shard: fmt.Sprintf("%d/%d", sh.Index, sh.Count), Version: sh.Run.Version, Command: sh.Run.Command,
			Started: sh.Run.Started, Ended: sh.Run.Ended, Interrupted: sh.Run.Interrupted, Machine: sh.Run.Machine,
			ConnectTo: sh.Run.Config.ConnectTo, Requests: x.Requests, FirstPop: off, LastPop: off + pops - 1,
			StartAt: sh.Run.StartAt, ClockOffsetS: sh.Run.ClockOffsetS,
		})
	}
	for _, phase := range sortedPhases(phases) {
		p := phases[phase].Percentiles()
		for _, sh := range shards {
			p.Clamped += sh.Summary.Latency[phase].Clamped
		}
		s.Latency[phase] = p
	}
	if lag := phases[PhaseSendLag]; lag != nil {
		s.SendLagP99Ms = lag.Percentiles().P99
	}
	s.ErrorRate = ratio(s.Errors, s.Requests)
	s.ReuseRatio = ratio(res.reused, res.withConn)
	if s.DurationS > 0 {
		// The shards send side by side: the run's rate is all its requests
		// over the longest span of sends, not the sum of each shard's.
		s.RateAchieved = float64(s.Requests) / s.DurationS
	}
	s.RateAsked, s.RateAchieved, s.Throughput = round4(s.RateAsked), round4(s.RateAchieved), round4(s.Throughput)
	s.WallS = round4(ended.Sub(started).Seconds())
	if len(s.Negotiated) == 0 {
		s.Negotiated = nil
	}
	if len(s.Identities) == 0 {
		s.Identities = nil
	}

	first := shards[0]
	cfg := first.Run.Config
	n := len(shards)
	cfg.Pops = pops * first.Count
	if cfg.Arrival.Shard != "" {
		cfg.Arrival = cfg.Arrival.Whole()
	} else {
		// Shards of earlier versions recorded their scaled-down schedule.
		cfg.Arrival = cfg.Arrival.Scale(float64(n))
	}
	cfg.Rate, cfg.Requests = cfg.Arrival.MeanRate(), cfg.Arrival.Requests()
	cfg.Shard = ""
	// What the whole run asked for, missing shards included: a merge
	// without them shows the load the origin never saw.
	s.Scheduled, s.RateAsked = cfg.Requests, round4(cfg.Rate)
	for i := range res.phases {
		p := &res.phases[i]
		p.Scheduled = cfg.Arrival.Before(p.End) - cfg.Arrival.Before(p.Start)
		if secs := (p.End - p.Start).Seconds(); secs > 0 {
			p.AskedRate = float64(p.Scheduled) / secs
		}
	}
	s.Phases, m.Phases = PhaseSummaries(res.phases), res.phases
	have := map[int]bool{}
	for _, sh := range shards {
		have[sh.Index] = true
	}
	for i := 1; i <= first.Count; i++ {
		if !have[i] {
			run.Missing = append(run.Missing, i)
		}
	}
	if len(run.Missing) > 0 {
		var got []string
		for _, sh := range shards {
			got = append(got, strconv.Itoa(sh.Index))
		}
		cfg.Shard = strings.Join(got, ",") + "/" + strconv.Itoa(first.Count)
	}
	s.Config = &cfg
	_, _, skew := startSkew(shards)
	run.StartSkewS = round4(skew.Seconds())
	run.RunInfo = RunInfo{
		SchemaVersion: 1, Tool: "originproof", Version: version, Command: command,
		Started: started.UTC(), Ended: ended.UTC(), Interrupted: s.Interrupted, Machine: ThisMachine(), Config: cfg,
	}
	return m, nil
}

func addCounts[K comparable](dst, src map[K]int64) {
	for k, v := range src {
		dst[k] += v
	}
}

func sortedPhases(m map[string]*latency.Histogram) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// mergedResults is what mergeResults counts while it streams.
type mergedResults struct {
	reused, withConn int64
	// phases are the run's phase statistics recomputed from every shard's
	// results (nil when the run has no phases).
	phases []PhaseStats
}

// mergeSummaries is mergeResults from the shards' summaries alone: the
// counts behind the reuse ratio and each phase's statistics.
func mergeSummaries(shards []*ShardDir) (mergedResults, error) {
	var m mergedResults
	for _, sh := range shards {
		m.reused += sh.Summary.RequestsReused
		m.withConn += sh.Summary.RequestsWithConnection
		if sh.Summary.Requests > 0 && sh.Summary.RequestsWithConnection == 0 && sh.Summary.Connections > 0 {
			return m, mergeErr(sh.Dir, "%s has no reuse counts (written by an earlier version): merge it with its %s", SummaryFile, ResultsFile)
		}
		if len(sh.Summary.Phases) != len(shards[0].Run.Config.Phases) {
			return m, mergeErr(sh.Dir, "%s has %d phases, the run %d", SummaryFile, len(sh.Summary.Phases), len(shards[0].Run.Config.Phases))
		}
		for i, ps := range sh.Summary.Phases {
			st, err := ps.Stats()
			if err != nil {
				return m, mergeErr(sh.Dir, "%s: %v", SummaryFile, err)
			}
			if m.phases == nil {
				m.phases = make([]PhaseStats, len(sh.Summary.Phases))
				for j, w := range shards[0].Run.Config.Phases {
					m.phases[j] = NewPhaseStats(w, 0)
				}
			}
			m.phases[i].Merge(&st)
		}
	}
	return m, nil
}

// mergeResults streams every shard's results.json into w with pops
// renumbered, counting connection reuse and each phase's statistics (a
// request's phase is its intended send time's offset from its own shard's
// start); each shard must hold as many lines as its summary says it sent.
func mergeResults(shards []*ShardDir, w io.Writer, pops int) (mergedResults, error) {
	var m mergedResults
	bw := bufio.NewWriterSize(w, 256<<10)
	enc := NewEncoder(bw)
	var rec Record
	for _, sh := range shards {
		tally := newPhaseTally(shards[0].Run.Config.Phases, sh.Run.Config.Arrival)
		f, _, err := OpenResults(sh.Dir)
		if err != nil {
			return m, mergeErr(sh.Dir, "cannot read its raw results: %v", err)
		}
		dec := NewDecoder(f)
		off := (sh.Index - 1) * pops
		var n int64
		for {
			err := dec(&rec)
			if err == io.EOF {
				break
			}
			if err != nil {
				f.Close()
				return m, mergeErr(sh.Dir, "%s: %v", ResultsFile, err)
			}
			n++
			if rec.Pop < 0 || rec.Pop >= pops {
				f.Close()
				return m, mergeErr(sh.Dir, "%s line %d: pop %d outside the run's 0–%d", ResultsFile, n, rec.Pop, pops-1)
			}
			rec.Pop += off
			if rec.ConnID != 0 {
				m.withConn++
				if rec.ConnReused {
					m.reused++
				}
			}
			if tally != nil {
				tally.add(rec.Intended.Sub(sh.Run.Started), &rec)
			}
			if err := enc(&rec); err != nil {
				f.Close()
				return m, fmt.Errorf("loadgen: merge: write results: %w", err)
			}
		}
		f.Close()
		if tally != nil {
			if m.phases == nil {
				m.phases = tally.stats
			} else {
				for i := range m.phases {
					m.phases[i].Merge(&tally.stats[i])
				}
			}
		}
		if n != sh.Summary.Requests {
			return m, mergeErr(sh.Dir, "%s has %d results but %s says %d requests: incomplete or from another run", ResultsFile, n, SummaryFile, sh.Summary.Requests)
		}
	}
	if err := bw.Flush(); err != nil {
		return m, fmt.Errorf("loadgen: merge: write results: %w", err)
	}
	return m, nil
}

// logCursor is one shard's log being merged, with its next interval.
type logCursor struct {
	sh     *ShardDir
	f      *os.File
	r      *latency.LogReader
	next   latency.Interval
	ok     bool
	counts map[string]int64
}

func (c *logCursor) advance() error {
	iv, ok, err := c.r.Next()
	if err != nil {
		return mergeErr(c.sh.Dir, "%s: %v", HlogFile, err)
	}
	c.next, c.ok = iv, ok
	return nil
}

// mergeLogs writes every shard's interval histograms into one log, in
// start-time order (one interval per shard in memory), and returns the
// merged histogram of each phase over every pop. Each shard's log must
// hold as many values per phase as its summary.
func mergeLogs(shards []*ShardDir, w io.Writer, pops int) (map[string]*latency.Histogram, error) {
	var start time.Time
	for _, sh := range shards {
		if start.IsZero() || sh.Run.Started.Before(start) {
			start = sh.Run.Started
		}
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	names := make([]string, len(shards))
	for i, sh := range shards {
		names[i] = fmt.Sprintf("%d/%d", sh.Index, sh.Count)
	}
	lw, err := latency.NewLogWriter(bw, start, "originproof merge of shards "+strings.Join(names, ","))
	if err != nil {
		return nil, err
	}
	cursors := make([]*logCursor, len(shards))
	defer func() {
		for _, c := range cursors {
			if c != nil {
				c.f.Close()
			}
		}
	}()
	for i, sh := range shards {
		f, err := os.Open(filepath.Join(sh.Dir, HlogFile))
		if err != nil {
			return nil, mergeErr(sh.Dir, "cannot read %s: %v", HlogFile, errors.Unwrap(err))
		}
		c := &logCursor{sh: sh, f: f, r: latency.NewLogReader(bufio.NewReader(f)), counts: map[string]int64{}}
		cursors[i] = c
		if err := c.advance(); err != nil {
			return nil, err
		}
	}
	phases := map[string]*latency.Histogram{}
	for {
		var c *logCursor
		for _, x := range cursors {
			if x.ok && (c == nil || x.next.Start.Before(c.next.Start)) {
				c = x
			}
		}
		if c == nil {
			break
		}
		iv := c.next
		k := iv.Key
		if k.Pop != latency.AllPops {
			if k.Pop >= pops {
				return nil, mergeErr(c.sh.Dir, "%s: %s outside the run's %d pops", HlogFile, k.Tag(), pops)
			}
			k.Pop += (c.sh.Index - 1) * pops
		}
		if err := lw.Write(k.Tag(), iv.Histogram, iv.Start, iv.End); err != nil {
			return nil, fmt.Errorf("loadgen: merge: %w", err)
		}
		h := phases[k.Phase]
		if h == nil {
			h = latency.New()
			phases[k.Phase] = h
		}
		h.Merge(iv.Histogram)
		c.counts[k.Phase] += iv.Histogram.Count()
		if err := c.advance(); err != nil {
			return nil, err
		}
	}
	for _, c := range cursors {
		for phase, p := range c.sh.Summary.Latency {
			if got := c.counts[phase]; got != p.Count {
				return nil, mergeErr(c.sh.Dir, "%s holds %d %s values but %s says %d: incomplete or from another run", HlogFile, got, phase, SummaryFile, p.Count)
			}
		}
	}
	if err := bw.Flush(); err != nil {
		return nil, fmt.Errorf("loadgen: merge: write latency log: %w", err)
	}
	return phases, nil
}

// MergeSeries merges the shards' series.json (see SeriesOut) into one
// series of the run, shard k's pop p renumbered k·pops+p as in Merge. The
// shards start within a second or so of each other; each one's intervals
// go to the merged interval nearest their time. A shard without
// series.json (written by an earlier version) makes the result nil.
func MergeSeries(shards []*ShardDir) (*timeline.Series, error) {
	pops := shards[0].Run.Config.Pops
	var out *timeline.Series
	for _, sh := range shards {
		data, err := os.ReadFile(filepath.Join(sh.Dir, SeriesFile))
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		if err != nil {
			return nil, mergeErr(sh.Dir, "%v", err)
		}
		var tl timeline.Series
		if err := json.Unmarshal(data, &tl); err != nil {
			return nil, mergeErr(sh.Dir, "%s: %v", SeriesFile, err)
		}
		off := (sh.Index - 1) * pops
		tl.Rename(func(name string) string {
			rest, ok := strings.CutPrefix(name, ColPopPrefix)
			if !ok {
				return name
			}
			p, col, ok := strings.Cut(rest, "/")
			n, err := strconv.Atoi(p)
			if !ok || err != nil {
				return name
			}
			return PopColumn(n+off, col)
		})
		if out == nil {
			out = &tl
			continue
		}
		if err := out.Merge(&tl); err != nil {
			return nil, mergeErr(sh.Dir, "%s: %v", SeriesFile, err)
		}
	}
	return out, nil
}

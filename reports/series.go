package reports

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/originproof/originproof/cloudfront"
	"github.com/originproof/originproof/loadgen"
	"github.com/originproof/originproof/loadgen/latency"
	"github.com/originproof/originproof/loadgen/timeline"
)

// maxBuckets bounds every time series: a run of any length is aggregated
// into at most this many buckets, so the report's size stays bounded.
const maxBuckets = timeline.MaxIntervals

// maxPopValues bounds the per-pop connection series: with many pops (a
// merged run of many shards) their buckets are made coarser so that pops ×
// buckets stays under it.
const maxPopValues = 24000

// Series are a load run's time series, aggregated per bucket, as the
// charts draw them.
type Series struct {
	BucketS float64   `json:"bucket_s"`
	T       []float64 `json:"t"` // bucket start, seconds since the run began
	// Asked is requests per second the schedule intended in the bucket;
	// Sent is what was sent (by actual send time).
	Asked []float64 `json:"asked"`
	Sent  []float64 `json:"sent"`
	// Mean latency per phase, milliseconds (null where no sample).
	Connect   []Value `json:"connect"`
	Handshake []Value `json:"handshake"`
	TTFB      []Value `json:"ttfb"`
	Total     []Value `json:"total"`
	// TotalMax is the slowest request (from intended send) in the bucket.
	TotalMax []Value `json:"total_max"`
	// Errors per class per bucket (requests).
	Errors map[string][]float64 `json:"errors"`
	Conns  ConnSeries           `json:"conns"`
	// Pops are the connection series of each pop (coarser buckets when
	// there are many pops).
	Pops *PopSeries `json:"pops,omitempty"`
}

// ConnSeries is what connections cost over time, all pops or one: per
// second, requests that opened a connection with a full and with a
// resumed handshake, connections opened, requests that never got a
// connection (refused, reset, timed out before or in the handshake); and
// the connections open at the end of each bucket. Open connections are an
// estimate from results.json: a connection is open from its first request
// to its last response plus the keep-alive (the pool closes it idle then;
// without reuse, right after the response).
type ConnSeries struct {
	Full    []float64 `json:"full"`
	Resumed []float64 `json:"resumed"`
	Opened  []float64 `json:"opened"`
	Failed  []float64 `json:"failed,omitempty"`
	Open    []float64 `json:"open"`
}

// PopSeries are the connection series per pop.
type PopSeries struct {
	BucketS float64   `json:"bucket_s"`
	T       []float64 `json:"t"`
	Pops    []PopLine `json:"pops"`
}

// PopLine is one pop's connection series.
type PopLine struct {
	Pop int `json:"pop"`
	ConnSeries
}

// ConnModel is what the open-connection estimate needs from the run's
// configuration: how long an idle connection stays in its pool.
type ConnModel struct {
	// KeepAlive is the pools' idle keep-alive; zero when connections are
	// not reused (closed after their response).
	KeepAlive time.Duration
}

// resultLine is the subset of a results.json line the report reads.
type resultLine = loadgen.Sample

// Timeline columns (loadgen's names).
const (
	colAsked, colSent                 = loadgen.ColAsked, loadgen.ColSent
	colConnSum, colConnN              = loadgen.ColConnectSum, loadgen.ColConnectN
	colHsSum, colHsN                  = loadgen.ColHandshakeSum, loadgen.ColHandshakeN
	colTTFBSum, colTTFBN              = loadgen.ColTTFBSum, loadgen.ColTTFBN
	colTotSum, colTotN, colTotMax     = loadgen.ColTotalSum, loadgen.ColTotalN, loadgen.ColTotalMax
	colFull, colResumed, colFailed    = loadgen.ColFull, loadgen.ColResumed, loadgen.ColConnFailed
	colOpenDelta, colErrors, colPopPf = loadgen.ColOpenDelta, loadgen.ColErrors, loadgen.ColPopPrefix
)

// ReadSeries aggregates a results.json stream into at most maxBuckets
// buckets over [start, start+span). It reads line by line and never holds
// the results in memory (only one small entry per connection, for the
// open-connection estimate); lines are decoded by a few workers in
// parallel (aggregation is order-independent), chunk by chunk.
func ReadSeries(r io.Reader, start time.Time, span time.Duration, model ConnModel) (*Series, error) {
	grid := timeline.New(start, span)
	type chunk struct {
		first int // line number of the chunk's first line
		lines [][]byte
	}
	workers := min(max(goruntime.GOMAXPROCS(0), 1), 4)
	chunks := make(chan chunk, 2*workers)
	readers := make([]*loadgen.SeriesBuilder, workers)
	errs := make([]error, workers)
	errLines := make([]int, workers)
	var wg sync.WaitGroup
	for w := range workers {
		readers[w] = loadgen.NewSeriesBuilder(grid.Start(), grid.Width(), grid.Len(), model.KeepAlive)
		wg.Add(1)
		go func() {
			defer wg.Done()
			rd := readers[w]
			for c := range chunks {
				if errs[w] != nil {
					continue // drain
				}
				for i, raw := range c.lines {
					var l resultLine
					if err := decodeLine(raw, &l); err != nil {
						errs[w], errLines[w] = fmt.Errorf("results line %d: %w", c.first+i, err), c.first+i
						break
					}
					rd.Add(&l)
				}
			}
		}()
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	const chunkLines = 2048
	line := 0
	cur := chunk{first: 1}
	for sc.Scan() {
		line++
		if len(sc.Bytes()) == 0 {
			continue
		}
		cur.lines = append(cur.lines, append([]byte(nil), sc.Bytes()...))
		if len(cur.lines) == chunkLines {
			chunks <- cur
			cur = chunk{first: line + 1}
		}
	}
	if len(cur.lines) > 0 {
		chunks <- cur
	}
	close(chunks)
	wg.Wait()
	if err := sc.Err(); err != nil {
		return nil, err
	}
	// Of the workers' errors, report the earliest line's.
	var firstErr error
	firstLine := 0
	for w, e := range errs {
		if e != nil && (firstErr == nil || errLines[w] < firstLine) {
			firstErr, firstLine = e, errLines[w]
		}
	}
	if firstErr != nil {
		return nil, firstErr
	}
	rd := readers[0]
	for _, o := range readers[1:] {
		if err := rd.Merge(o); err != nil {
			return nil, err
		}
	}
	return newSeries(rd.Timeline()), nil
}

// Value is a chart value; NaN (no sample in the bucket) is written as
// JSON null, which the charts draw as a gap rather than a dip to zero.
type Value float64

// MarshalJSON writes null for NaN.
func (v Value) MarshalJSON() ([]byte, error) {
	if math.IsNaN(float64(v)) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, float64(v), 'f', -1, 64), nil
}

// round3 keeps three decimals (chart values: the report stays small).
func round3(v float64) float64 { return math.Round(v*1e3) / 1e3 }

func newSeries(tl *timeline.Series) *Series {
	n, ws := tl.Len(), tl.Width().Seconds()
	s := &Series{BucketS: ws, Errors: map[string][]float64{}}
	mean := func(sum, cnt string) []Value {
		out := make([]Value, n)
		ss, cs := tl.Sum(sum), tl.Sum(cnt)
		for i := range out {
			out[i] = Value(math.NaN())
			if cs[i] > 0 {
				out[i] = Value(math.Round(ss[i]/cs[i]/1e3) / 1e3) // ns -> ms, 3 decimals
			}
		}
		return out
	}
	s.T = make([]float64, n)
	for i := range s.T {
		s.T[i] = round3(float64(i) * ws)
	}
	s.Asked, s.Sent = perSecond(tl.Sum(colAsked), ws), perSecond(tl.Sum(colSent), ws)
	s.Connect, s.Handshake, s.TTFB, s.Total = mean(colConnSum, colConnN), mean(colHsSum, colHsN), mean(colTTFBSum, colTTFBN), mean(colTotSum, colTotN)
	s.TotalMax = make([]Value, n)
	totN, totMax := tl.Sum(colTotN), tl.Max(colTotMax)
	for i := range s.TotalMax {
		s.TotalMax[i] = Value(math.NaN())
		if totN[i] > 0 {
			s.TotalMax[i] = Value(math.Round(totMax[i]/1e3) / 1e3)
		}
	}
	for _, name := range tl.SumNames() {
		if class, ok := strings.CutPrefix(name, colErrors); ok {
			s.Errors[class] = tl.Sum(name)
		}
	}
	s.Conns = connSeries(tl, "", ws)
	s.Pops = popSeries(tl)
	return s
}

func perSecond(c []float64, ws float64) []float64 {
	out := make([]float64, len(c))
	for i, v := range c {
		out[i] = round3(v / ws)
	}
	return out
}

// connSeries reads the connection columns of one pop (prefix "pop/N/") or
// of all pops (prefix "").
func connSeries(tl *timeline.Series, prefix string, ws float64) ConnSeries {
	full, resumed := tl.Sum(prefix+colFull), tl.Sum(prefix+colResumed)
	opened := make([]float64, len(full))
	for i := range opened {
		opened[i] = full[i] + resumed[i]
	}
	c := ConnSeries{Full: perSecond(full, ws), Resumed: perSecond(resumed, ws), Opened: perSecond(opened, ws),
		Open: timeline.Cumulative(tl.Sum(prefix + colOpenDelta))}
	if failed := tl.Sum(prefix + colFailed); slices.ContainsFunc(failed, func(v float64) bool { return v != 0 }) {
		c.Failed = perSecond(failed, ws)
	}
	return c
}

// popSeries are the connection series of every pop that served a request,
// on buckets coarse enough to keep pops × buckets under maxPopValues.
func popSeries(tl *timeline.Series) *PopSeries {
	var pops []int
	for _, name := range tl.SumNames() {
		rest, ok := strings.CutPrefix(name, colPopPf)
		if !ok {
			continue
		}
		var p int
		var col string
		if _, err := fmt.Sscanf(rest, "%d/%s", &p, &col); err == nil && col == colFull {
			pops = append(pops, p)
		}
	}
	if len(pops) == 0 {
		return nil
	}
	slices.Sort(pops)
	k := (len(pops)*tl.Len() + maxPopValues - 1) / maxPopValues
	if k > 1 {
		tl = tl.Rebin(k)
	}
	ws := tl.Width().Seconds()
	ps := &PopSeries{BucketS: ws, T: make([]float64, tl.Len())}
	for i := range ps.T {
		ps.T[i] = round3(float64(i) * ws)
	}
	for _, p := range pops {
		ps.Pops = append(ps.Pops, PopLine{Pop: p, ConnSeries: connSeries(tl, loadgen.PopColumn(p, ""), ws)})
	}
	return ps
}

// Distribution is the HdrHistogram percentile distribution of total
// latency, from the intended send (corrected) and from the actual send.
type Distribution struct {
	Percentiles []float64 `json:"percentiles"`
	Corrected   []float64 `json:"corrected_ms"`
	Uncorrected []float64 `json:"uncorrected_ms"`
	Count       int64     `json:"count"`
}

// distributionPercentiles run from the median to five nines.
var distributionPercentiles = []float64{50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 99.999}

// ReadDistribution merges the interval histograms of latency.hlog.
func ReadDistribution(r io.Reader) (*Distribution, error) {
	ivs, err := latency.ReadLog(r)
	if err != nil && len(ivs) == 0 {
		return nil, err
	}
	corr, unc := latency.New(), latency.New()
	for _, iv := range ivs {
		switch iv.Key.Phase {
		case latency.PhaseCorrected:
			corr.Merge(iv.Histogram)
		case latency.PhaseTotal:
			unc.Merge(iv.Histogram)
		}
	}
	d := &Distribution{Percentiles: distributionPercentiles, Count: corr.Count()}
	for _, p := range distributionPercentiles {
		d.Corrected = append(d.Corrected, float64(corr.Quantile(p))/1e6)
		d.Uncorrected = append(d.Uncorrected, float64(unc.Quantile(p))/1e6)
	}
	return d, nil
}

// Run is one run directory's outputs.
type Run struct {
	Dir          string
	Summary      *Summary
	Series       *Series
	Distribution *Distribution
	// RunInfo is run.json, kept as read (the resolved configuration).
	RunInfo json.RawMessage
}

// runInfo is what the report reads of run.json.
type runInfo struct {
	Started time.Time `json:"started"`
	Config  struct {
		KeepAlive loadgen.Duration `json:"keepalive"`
		Reuse     *bool            `json:"reuse"`
	} `json:"config"`
}

// LoadRun reads a run directory: summary.json (required), and for load
// runs results.json, latency.hlog and run.json.
func LoadRun(dir string) (*Run, error) {
	sum, err := ReadSummary(dir + "/summary.json")
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("%s: no summary.json (is it a conform, load or certify output directory?)", dir)
		}
		return nil, err
	}
	run := &Run{Dir: dir, Summary: sum}
	if sum.Load == nil {
		return run, nil
	}
	start := sum.Started
	span := time.Duration(sum.Load.WallS * float64(time.Second))
	model := ConnModel{KeepAlive: cloudfront.KeepaliveTimeout.Default}
	if cfg := sum.Load.Config; cfg != nil {
		model.KeepAlive = time.Duration(cfg.KeepAlive)
		if !cfg.Reuse {
			model.KeepAlive = 0
		}
	}
	if data, err := os.ReadFile(dir + "/run.json"); err == nil {
		run.RunInfo = data
		var ri runInfo
		if json.Unmarshal(data, &ri) == nil {
			if !ri.Started.IsZero() {
				start = ri.Started
			}
			if ri.Config.Reuse != nil {
				model.KeepAlive = time.Duration(ri.Config.KeepAlive)
				if !*ri.Config.Reuse {
					model.KeepAlive = 0
				}
			}
		}
	}
	if f, path, err := loadgen.OpenResults(dir); err == nil {
		if start.IsZero() {
			start = firstTimestamp(dir)
		}
		run.Series, err = ReadSeries(f, start, span, model)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	} else if data, err := os.ReadFile(filepath.Join(dir, loadgen.SeriesFile)); err == nil {
		// No raw results kept: the series the run wrote as it went.
		var tl timeline.Series
		if err := json.Unmarshal(data, &tl); err != nil {
			return nil, fmt.Errorf("%s/%s: %w", dir, loadgen.SeriesFile, err)
		}
		run.Series = newSeries(&tl)
	}
	if f, err := os.Open(dir + "/latency.hlog"); err == nil {
		run.Distribution, err = ReadDistribution(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s/latency.hlog: %w", dir, err)
		}
	}
	return run, nil
}

func firstTimestamp(dir string) time.Time {
	f, _, err := loadgen.OpenResults(dir)
	if err != nil {
		return time.Time{}
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	if sc.Scan() {
		var l resultLine
		if decodeLine(sc.Bytes(), &l) == nil {
			if !l.Intended.IsZero() {
				return l.Intended
			}
			return l.Timestamp
		}
	}
	return time.Time{}
}

func sortedKeys[K ~string, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

package reports

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
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
type resultLine struct {
	Timestamp        time.Time `json:"timestamp"`
	Intended         time.Time `json:"intended"`
	Latency          int64     `json:"latency"`
	LatencyCorrected int64     `json:"latency_corrected"`
	Connect          int64     `json:"connect"`
	TLSHandshake     int64     `json:"tls_handshake"`
	TLSResumed       bool      `json:"tls_resumed"`
	TTFB             int64     `json:"ttfb"`
	Code             uint16    `json:"code"`
	Error            string    `json:"error"`
	ErrorClass       string    `json:"error_class"`
	Pop              int       `json:"pop"`
	ConnID           uint64    `json:"conn_id"`
	ConnReused       bool      `json:"conn_reused"`
}

// Timeline columns.
const (
	colAsked, colSent                 = "asked", "sent"
	colConnSum, colConnN              = "connect_ns", "connect_n"
	colHsSum, colHsN                  = "handshake_ns", "handshake_n"
	colTTFBSum, colTTFBN              = "ttfb_ns", "ttfb_n"
	colTotSum, colTotN, colTotMax     = "total_ns", "total_n", "total_max_ns"
	colFull, colResumed, colFailed    = "full", "resumed", "conn_failed"
	colOpenDelta, colErrors, colPopPf = "open_delta", "errors/", "pop/"
)

// connSpan is one connection's buckets: where it opened and where it
// closed (the series' length when after the run's end).
type connSpan struct{ open, close int32 }

// connKey names a connection: pop and conn_id together (ids are per shard).
func connKey(pop int, id uint64) uint64 { return uint64(pop)<<40 | id&(1<<40-1) }

// reader is one worker's share of a results.json: its own timeline and
// connection spans.
type reader struct {
	tl    *timeline.Series
	model ConnModel
	conns map[uint64]connSpan
	cols  struct {
		asked, sent, connSum, connN, hsSum, hsN, ttfbSum, ttfbN, totSum, totN, totMax, full, resumed, failed []float64
	}
	pops [][3][]float64 // per pop: full, resumed, failed
}

func newReader(start time.Time, width time.Duration, n int, model ConnModel) *reader {
	r := &reader{tl: timeline.NewGrid(start, width, n), model: model, conns: map[uint64]connSpan{}}
	c, tl := &r.cols, r.tl
	c.asked, c.sent = tl.Sum(colAsked), tl.Sum(colSent)
	c.connSum, c.connN, c.hsSum, c.hsN = tl.Sum(colConnSum), tl.Sum(colConnN), tl.Sum(colHsSum), tl.Sum(colHsN)
	c.ttfbSum, c.ttfbN, c.totSum, c.totN, c.totMax = tl.Sum(colTTFBSum), tl.Sum(colTTFBN), tl.Sum(colTotSum), tl.Sum(colTotN), tl.Max(colTotMax)
	c.full, c.resumed, c.failed = tl.Sum(colFull), tl.Sum(colResumed), tl.Sum(colFailed)
	return r
}

func popCol(pop int, name string) string { return colPopPf + strconv.Itoa(pop) + "/" + name }

func (r *reader) pop(p int) *[3][]float64 {
	for len(r.pops) <= p {
		i := len(r.pops)
		r.pops = append(r.pops, [3][]float64{r.tl.Sum(popCol(i, colFull)), r.tl.Sum(popCol(i, colResumed)), r.tl.Sum(popCol(i, colFailed))})
	}
	return &r.pops[p]
}

// add counts one result.
func (r *reader) add(l *resultLine) {
	c, tl := &r.cols, r.tl
	if !l.Intended.IsZero() {
		c.asked[tl.Clamp(l.Intended)]++
	}
	i := tl.Clamp(l.Timestamp)
	c.sent[i]++
	if l.Connect > 0 {
		c.connN[i]++
		c.connSum[i] += float64(l.Connect)
	}
	if l.TLSHandshake > 0 {
		c.hsN[i]++
		c.hsSum[i] += float64(l.TLSHandshake)
	}
	if l.TTFB > 0 {
		c.ttfbN[i]++
		c.ttfbSum[i] += float64(l.TTFB)
	}
	lat := l.LatencyCorrected
	if lat == 0 {
		lat = l.Latency
	}
	c.totN[i]++
	c.totSum[i] += float64(lat)
	c.totMax[i] = math.Max(c.totMax[i], float64(lat))
	failed := loadgen.Failed(l.Code, l.Error)
	if failed {
		tl.Sum(colErrors + string(loadgen.ClassOf(l.ErrorClass, l.Code)))[i]++
	}
	if l.Pop < 0 || l.Pop >= 1<<20 {
		return
	}
	p := r.pop(l.Pop)
	switch {
	case l.ConnID == 0:
		if failed {
			c.failed[i]++
			p[2][i]++
		}
		return
	case !l.ConnReused && l.TLSResumed:
		c.resumed[i]++
		p[1][i]++
	case !l.ConnReused:
		c.full[i]++
		p[0][i]++
	}
	// The connection is open from this request's send until its response
	// plus the time it may idle in the pool (none once it failed: the
	// transport drops a connection that errored).
	tail := time.Duration(l.Latency)
	if !failed {
		tail += r.model.KeepAlive
	}
	closeAt, in := tl.Index(l.Timestamp.Add(tail))
	if !in && closeAt == tl.Len()-1 {
		closeAt = tl.Len()
	}
	k := connKey(l.Pop, l.ConnID)
	sp, ok := r.conns[k]
	if !ok {
		sp = connSpan{open: int32(i), close: int32(closeAt)}
	} else {
		sp.open, sp.close = min(sp.open, int32(i)), max(sp.close, int32(closeAt))
	}
	r.conns[k] = sp
}

// merge adds another worker's share into r.
func (r *reader) merge(o *reader) error {
	if err := r.tl.Merge(o.tl); err != nil {
		return err
	}
	for k, b := range o.conns {
		if a, ok := r.conns[k]; ok {
			b.open, b.close = min(a.open, b.open), max(a.close, b.close)
		}
		r.conns[k] = b
	}
	return nil
}

// spans turns the connections into +1/−1 deltas of the open column, over
// all pops and per pop.
func (r *reader) spans() {
	tl := r.tl
	all := tl.Sum(colOpenDelta)
	perPop := map[int][]float64{}
	for k, sp := range r.conns {
		pop := int(k >> 40)
		d, ok := perPop[pop]
		if !ok {
			d = tl.Sum(popCol(pop, colOpenDelta))
			perPop[pop] = d
		}
		all[sp.open]++
		d[sp.open]++
		if int(sp.close) < tl.Len() {
			all[sp.close]--
			d[sp.close]--
		}
	}
}

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
	readers := make([]*reader, workers)
	errs := make([]error, workers)
	errLines := make([]int, workers)
	var wg sync.WaitGroup
	for w := range workers {
		readers[w] = newReader(grid.Start(), grid.Width(), grid.Len(), model)
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
					rd.add(&l)
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
		if err := rd.merge(o); err != nil {
			return nil, err
		}
	}
	rd.spans()
	return newSeries(rd.tl), nil
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
		ps.Pops = append(ps.Pops, PopLine{Pop: p, ConnSeries: connSeries(tl, popCol(p, ""), ws)})
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
	if f, err := os.Open(dir + "/results.json"); err == nil {
		if start.IsZero() {
			start = firstTimestamp(dir + "/results.json")
		}
		run.Series, err = ReadSeries(f, start, span, model)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s/results.json: %w", dir, err)
		}
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

func firstTimestamp(path string) time.Time {
	f, err := os.Open(path)
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

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
	"sync"
	"time"

	"github.com/originproof/originproof/loadgen"
	"github.com/originproof/originproof/loadgen/latency"
)

// maxBuckets bounds every time series: a run of any length is aggregated
// into at most this many buckets, so the report's size stays bounded.
const maxBuckets = 600

// Series are a load run's time series, aggregated per bucket.
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
}

// resultLine is the subset of a results.json line the report reads.
type resultLine struct {
	Timestamp        time.Time `json:"timestamp"`
	Intended         time.Time `json:"intended"`
	Latency          int64     `json:"latency"`
	LatencyCorrected int64     `json:"latency_corrected"`
	Connect          int64     `json:"connect"`
	TLSHandshake     int64     `json:"tls_handshake"`
	TTFB             int64     `json:"ttfb"`
	Code             uint16    `json:"code"`
	Error            string    `json:"error"`
	ErrorClass       string    `json:"error_class"`
}

type bucket struct {
	asked, sent                             float64
	connN, hsN, ttfbN, totN                 float64
	connSum, hsSum, ttfbSum, totSum, totMax float64
	errs                                    map[string]float64
}

// ReadSeries aggregates a results.json stream into at most maxBuckets
// buckets over [start, start+span). It reads line by line and never holds
// the results in memory; lines are decoded by a few workers in parallel
// (aggregation is order-independent), chunk by chunk.
func ReadSeries(r io.Reader, start time.Time, span time.Duration) (*Series, error) {
	if span <= 0 {
		span = time.Second
	}
	width := bucketWidth(span)
	n := int((span + width - 1) / width)
	if n < 1 {
		n = 1
	}
	if n > maxBuckets {
		n = maxBuckets
	}
	idx := func(t time.Time) int {
		i := int(t.Sub(start) / width)
		if i < 0 {
			return 0
		}
		if i >= n {
			return n - 1
		}
		return i
	}

	type chunk struct {
		first int // line number of the chunk's first line
		lines [][]byte
	}
	workers := min(max(goruntime.GOMAXPROCS(0), 1), 4)
	chunks := make(chan chunk, 2*workers)
	partial := make([][]bucket, workers)
	errs := make([]error, workers)
	errLines := make([]int, workers)
	var wg sync.WaitGroup
	for w := range workers {
		partial[w] = make([]bucket, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			bs := partial[w]
			for c := range chunks {
				if errs[w] != nil {
					continue // drain
				}
				for i, raw := range c.lines {
					var l resultLine
					if err := json.Unmarshal(raw, &l); err != nil {
						errs[w], errLines[w] = fmt.Errorf("results line %d: %w", c.first+i, err), c.first+i
						break
					}
					add(bs, idx, &l)
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
	bs := partial[0]
	for _, p := range partial[1:] {
		for i := range bs {
			bs[i].merge(&p[i])
		}
	}
	return newSeries(bs, width), nil
}

// widths are the bucket widths a series may use.
var widths = []time.Duration{10 * time.Millisecond, 20 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond,
	200 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second,
	15 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute,
	30 * time.Minute, time.Hour}

// bucketWidth picks a round bucket width for a run of span: about 60
// buckets for a short run (buckets up to a second), one-second buckets up
// to ten minutes, and never more than maxBuckets.
func bucketWidth(span time.Duration) time.Duration {
	want := max(span/maxBuckets, min(time.Second, span/60))
	for _, w := range widths {
		if w >= want {
			return w
		}
	}
	return (want + time.Hour - 1) / time.Hour * time.Hour
}

// add counts one result into its buckets.
func add(bs []bucket, idx func(time.Time) int, l *resultLine) {
	if !l.Intended.IsZero() {
		bs[idx(l.Intended)].asked++
	}
	b := &bs[idx(l.Timestamp)]
	b.sent++
	if l.Connect > 0 {
		b.connN++
		b.connSum += float64(l.Connect)
	}
	if l.TLSHandshake > 0 {
		b.hsN++
		b.hsSum += float64(l.TLSHandshake)
	}
	if l.TTFB > 0 {
		b.ttfbN++
		b.ttfbSum += float64(l.TTFB)
	}
	lat := l.LatencyCorrected
	if lat == 0 {
		lat = l.Latency
	}
	b.totN++
	b.totSum += float64(lat)
	b.totMax = math.Max(b.totMax, float64(lat))
	if loadgen.Failed(l.Code, l.Error) {
		class := string(loadgen.ClassOf(l.ErrorClass, l.Code))
		if b.errs == nil {
			b.errs = map[string]float64{}
		}
		b.errs[class]++
	}
}

func (b *bucket) merge(o *bucket) {
	b.asked += o.asked
	b.sent += o.sent
	b.connN += o.connN
	b.hsN += o.hsN
	b.ttfbN += o.ttfbN
	b.totN += o.totN
	b.connSum += o.connSum
	b.hsSum += o.hsSum
	b.ttfbSum += o.ttfbSum
	b.totSum += o.totSum
	b.totMax = math.Max(b.totMax, o.totMax)
	for c, v := range o.errs {
		if b.errs == nil {
			b.errs = map[string]float64{}
		}
		b.errs[c] += v
	}
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

func newSeries(bs []bucket, width time.Duration) *Series {
	n := len(bs)
	s := &Series{BucketS: width.Seconds(), Errors: map[string][]float64{}}
	ws := width.Seconds()
	mean := func(sum, n float64) Value {
		if n == 0 {
			return Value(math.NaN())
		}
		return Value(math.Round(sum/n/1e3) / 1e3) // ns -> ms, 3 decimals
	}
	classes := map[string]bool{}
	for _, b := range bs {
		for c := range b.errs {
			classes[c] = true
		}
	}
	for c := range classes {
		s.Errors[c] = make([]float64, 0, n)
	}
	for i, b := range bs {
		s.T = append(s.T, float64(i)*ws)
		s.Asked = append(s.Asked, b.asked/ws)
		s.Sent = append(s.Sent, b.sent/ws)
		s.Connect = append(s.Connect, mean(b.connSum, b.connN))
		s.Handshake = append(s.Handshake, mean(b.hsSum, b.hsN))
		s.TTFB = append(s.TTFB, mean(b.ttfbSum, b.ttfbN))
		s.Total = append(s.Total, mean(b.totSum, b.totN))
		if b.totN == 0 {
			s.TotalMax = append(s.TotalMax, Value(math.NaN()))
		} else {
			s.TotalMax = append(s.TotalMax, Value(math.Round(b.totMax/1e3)/1e3))
		}
		for c := range classes {
			s.Errors[c] = append(s.Errors[c], b.errs[c])
		}
	}
	return s
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
	if data, err := os.ReadFile(dir + "/run.json"); err == nil {
		run.RunInfo = data
		var ri struct {
			Started time.Time `json:"started"`
		}
		if json.Unmarshal(data, &ri) == nil && !ri.Started.IsZero() {
			start = ri.Started
		}
	}
	if f, err := os.Open(dir + "/results.json"); err == nil {
		if start.IsZero() {
			start = firstTimestamp(dir + "/results.json")
		}
		run.Series, err = ReadSeries(f, start, span)
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
		if json.Unmarshal(sc.Bytes(), &l) == nil {
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

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
	"sort"
	"sync"
	"time"

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
	// Mean latency per phase, milliseconds (NaN-free: 0 where no sample).
	Connect   []float64 `json:"connect"`
	Handshake []float64 `json:"handshake"`
	TTFB      []float64 `json:"ttfb"`
	Total     []float64 `json:"total"`
	// TotalMax is the slowest request (from intended send) in the bucket.
	TotalMax []float64 `json:"total_max"`
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
	Code             int       `json:"code"`
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
// the results in memory.
func ReadSeries(r io.Reader, start time.Time, span time.Duration) (*Series, error) {
	if span <= 0 {
		span = time.Second
	}
	width := time.Second
	if span > maxBuckets*time.Second {
		width = (span + maxBuckets - 1) / maxBuckets
		width = width.Round(time.Second)
	}
	n := int(span/width) + 1
	if n > maxBuckets+1 {
		n = maxBuckets + 1
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
	// Decoding JSON is the cost: lines go in batches to one worker per
	// core, each aggregating into its own buckets, merged at the end.
	workers := goruntime.GOMAXPROCS(0)
	type batch struct {
		first int
		lines [][]byte
	}
	batches := make(chan batch, 2*workers)
	parts := make([][]bucket, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		parts[w] = make([]bucket, n)
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			bs := parts[w]
			for b := range batches {
				if errs[w] != nil {
					continue // drain
				}
				for i, raw := range b.lines {
					var l resultLine
					if err := json.Unmarshal(raw, &l); err != nil {
						errs[w] = fmt.Errorf("results line %d: %w", b.first+i, err)
						break
					}
					addLine(bs, &l, idx)
				}
			}
		}(w)
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	const batchSize = 2048
	cur := batch{first: 1}
	line := 0
	for sc.Scan() {
		line++
		cur.lines = append(cur.lines, append([]byte(nil), sc.Bytes()...))
		if len(cur.lines) == batchSize {
			batches <- cur
			cur = batch{first: line + 1}
		}
	}
	if len(cur.lines) > 0 {
		batches <- cur
	}
	close(batches)
	wg.Wait()
	if err := sc.Err(); err != nil {
		return nil, err
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	bs := parts[0]
	for _, p := range parts[1:] {
		for i := range bs {
			bs[i].merge(&p[i])
		}
	}
	s := &Series{BucketS: width.Seconds(), Errors: map[string][]float64{}}
	ws := width.Seconds()
	mean := func(sum, n float64) float64 {
		if n == 0 {
			return 0
		}
		return math.Round(sum/n/1e3) / 1e3 // ns -> ms, 3 decimals
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
		s.TotalMax = append(s.TotalMax, math.Round(b.totMax/1e3)/1e3)
		for c := range classes {
			s.Errors[c] = append(s.Errors[c], b.errs[c])
		}
	}
	return s, nil
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

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
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
	for k, v := range o.errs {
		if b.errs == nil {
			b.errs = map[string]float64{}
		}
		b.errs[k] += v
	}
}

// addLine aggregates one result into its buckets.
func addLine(bs []bucket, l *resultLine, idx func(time.Time) int) {
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
	if l.Error != "" || l.Code < 200 || l.Code >= 400 {
		class := l.ErrorClass
		if class == "" {
			class = fmt.Sprintf("http_%d", l.Code)
		}
		if b.errs == nil {
			b.errs = map[string]float64{}
		}
		b.errs[class]++
	}
}

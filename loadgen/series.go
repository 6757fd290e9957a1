package loadgen

import (
	"math"
	"strconv"
	"time"

	"github.com/originproof/originproof/loadgen/timeline"
)

// Sample is what a per-interval series counts of one request: the fields
// of a results.json line it reads (a report decodes just these), or of a
// Record while the run goes.
type Sample struct {
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

// Columns of a run's series (timeline.Series): sums per interval, but
// ColTotalMax (a maximum). ColErrors is followed by an error class,
// ColPopPrefix by "<pop>/" and a connection column.
const (
	ColAsked, ColSent                     = "asked", "sent"
	ColConnectSum, ColConnectN            = "connect_ns", "connect_n"
	ColHandshakeSum, ColHandshakeN        = "handshake_ns", "handshake_n"
	ColTTFBSum, ColTTFBN                  = "ttfb_ns", "ttfb_n"
	ColTotalSum, ColTotalN, ColTotalMax   = "total_ns", "total_n", "total_max_ns"
	ColFull, ColResumed, ColConnFailed    = "full", "resumed", "conn_failed"
	ColOpenDelta, ColErrors, ColPopPrefix = "open_delta", "errors/", "pop/"
)

// connSpan is one connection's buckets: where it opened and where it
// closed (the series' length when after the run's end).
type connSpan struct{ open, close int32 }

// connKey names a connection: pop and conn_id together (ids are per shard).
func connKey(pop int, id uint64) uint64 { return uint64(pop)<<40 | id&(1<<40-1) }

// SeriesBuilder builds a run's bounded per-interval series from its
// requests (Add): rates asked and sent, mean phase latencies, errors by
// class, full and resumed handshakes, connections that failed, and open
// connections (estimated: a connection is open from its first request to
// its last response plus the keep-alive). It keeps one small entry per
// connection, never the requests. Builders of one grid Merge.
type SeriesBuilder struct {
	tl        *timeline.Series
	keepAlive time.Duration
	conns     map[uint64]connSpan
	cols      struct {
		asked, sent, connSum, connN, hsSum, hsN, ttfbSum, ttfbN, totSum, totN, totMax, full, resumed, failed []float64
	}
	pops [][3][]float64 // per pop: full, resumed, failed
	errs map[ErrorClass][]float64
}

// NewSeriesBuilder returns a builder over n intervals of width from start;
// keepAlive is how long an idle connection stays in its pool (zero without
// reuse: a connection closes after its response).
func NewSeriesBuilder(start time.Time, width time.Duration, n int, keepAlive time.Duration) *SeriesBuilder {
	r := &SeriesBuilder{tl: timeline.NewGrid(start, width, n), keepAlive: keepAlive, conns: map[uint64]connSpan{}, errs: map[ErrorClass][]float64{}}
	c, tl := &r.cols, r.tl
	c.asked, c.sent = tl.Sum(ColAsked), tl.Sum(ColSent)
	c.connSum, c.connN, c.hsSum, c.hsN = tl.Sum(ColConnectSum), tl.Sum(ColConnectN), tl.Sum(ColHandshakeSum), tl.Sum(ColHandshakeN)
	c.ttfbSum, c.ttfbN, c.totSum, c.totN, c.totMax = tl.Sum(ColTTFBSum), tl.Sum(ColTTFBN), tl.Sum(ColTotalSum), tl.Sum(ColTotalN), tl.Max(ColTotalMax)
	c.full, c.resumed, c.failed = tl.Sum(ColFull), tl.Sum(ColResumed), tl.Sum(ColConnFailed)
	return r
}

// PopColumn is a pop's own column of name.
func PopColumn(pop int, name string) string { return ColPopPrefix + strconv.Itoa(pop) + "/" + name }

func (r *SeriesBuilder) pop(p int) *[3][]float64 {
	for len(r.pops) <= p {
		i := len(r.pops)
		r.pops = append(r.pops, [3][]float64{r.tl.Sum(PopColumn(i, ColFull)), r.tl.Sum(PopColumn(i, ColResumed)), r.tl.Sum(PopColumn(i, ColConnFailed))})
	}
	return &r.pops[p]
}

// errors is class's error column, looked up by name once.
func (r *SeriesBuilder) errors(class ErrorClass) []float64 {
	col, ok := r.errs[class]
	if !ok {
		col = r.tl.Sum(ColErrors + string(class))
		r.errs[class] = col
	}
	return col
}

// Add counts one request.
func (r *SeriesBuilder) Add(l *Sample) {
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
	failed := Failed(l.Code, l.Error)
	if failed {
		r.errors(ClassOf(l.ErrorClass, l.Code))[i]++
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
		tail += r.keepAlive
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

// Merge adds another builder of the same grid into r.
func (r *SeriesBuilder) Merge(o *SeriesBuilder) error {
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

// Timeline is the series: the columns, with the connections turned into
// +1/−1 deltas of the open column over all pops and per pop. Call it once,
// after the last Add or Merge.
func (r *SeriesBuilder) Timeline() *timeline.Series {
	tl := r.tl
	all := tl.Sum(ColOpenDelta)
	perPop := map[int][]float64{}
	for k, sp := range r.conns {
		pop := int(k >> 40)
		d, ok := perPop[pop]
		if !ok {
			d = tl.Sum(PopColumn(pop, ColOpenDelta))
			perPop[pop] = d
		}
		all[sp.open]++
		d[sp.open]++
		if int(sp.close) < tl.Len() {
			all[sp.close]--
			d[sp.close]--
		}
	}
	return tl
}

package loadgen

import (
	"context"
	"io"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// reqTrace is what the client learns about one request while it runs.
// Its fields are written by the transport's goroutines before RoundTrip
// returns and read by the result consumer after Vegeta hands the result on.
type reqTrace struct {
	seq       uint64
	pop       int
	cfID      string
	start     time.Time
	firstByte time.Time
	conn      *conn
	reused    bool
	err       error
	trace     httptrace.ClientTrace // hooks bound to this reqTrace, built once
}

// traces recycles reqTraces (and their hooks) between requests: the
// consumer returns each one once it has taken its result.
var traces = sync.Pool{New: func() any {
	t := &reqTrace{}
	t.trace = httptrace.ClientTrace{GotConn: t.gotConn, GotFirstResponseByte: t.gotFirstResponseByte}
	return t
}}

func newTrace() *reqTrace { return traces.Get().(*reqTrace) }

// release returns t to the pool; t must not be used afterwards.
func (t *reqTrace) release() {
	tr := t.trace
	*t = reqTrace{trace: tr}
	traces.Put(t)
}

func (t *reqTrace) gotConn(info httptrace.GotConnInfo) {
	c, _ := info.Conn.(*conn)
	t.conn, t.reused = c, info.Reused
	if c != nil {
		t.reused = !c.used.CompareAndSwap(false, true)
	}
}

func (t *reqTrace) gotFirstResponseByte() { t.firstByte = time.Now() }

// inflight maps sequence numbers to the traces of requests in flight,
// sharded to keep lock contention low at high rates.
type inflight struct {
	shards [64]struct {
		mu sync.Mutex
		m  map[uint64]*reqTrace
	}
}

func newInflight() *inflight {
	f := &inflight{}
	for i := range f.shards {
		f.shards[i].m = map[uint64]*reqTrace{}
	}
	return f
}

func (f *inflight) put(t *reqTrace) {
	s := &f.shards[t.seq%uint64(len(f.shards))]
	s.mu.Lock()
	s.m[t.seq] = t
	s.mu.Unlock()
}

func (f *inflight) take(seq uint64) *reqTrace {
	s := &f.shards[seq%uint64(len(f.shards))]
	s.mu.Lock()
	t := s.m[seq]
	delete(s.m, seq)
	s.mu.Unlock()
	return t
}

// edge is the http.RoundTripper Vegeta's client uses: it turns Vegeta's
// request into CloudFront's (headers, pop by sequence number) and traces it.
type edge struct {
	pops     []*pop
	inflight *inflight
	bound    time.Duration // on the whole exchange, body included; the read timeout applies to the headers
	clock    originClock
}

// originClock keeps the origin's clock offset from the first response that
// carries a Date header (one atomic load per request after that).
type originClock struct {
	seen   atomic.Bool
	mu     sync.Mutex
	offset time.Duration
	ok     bool
}

func (c *originClock) observe(resp *http.Response, received time.Time) {
	if c.seen.Load() {
		return
	}
	d, err := http.ParseTime(resp.Header.Get("Date"))
	if err != nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.ok {
		// Date has one-second resolution: centre it.
		c.offset, c.ok = d.Add(500*time.Millisecond).Sub(received), true
		c.seen.Store(true)
	}
}

// get returns the offset (origin minus this machine) and whether one was seen.
func (c *originClock) get() (time.Duration, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.offset, c.ok
}

// RoundTrip implements http.RoundTripper.
func (e *edge) RoundTrip(req *http.Request) (*http.Response, error) {
	h := req.Header
	seq, _ := strconv.ParseUint(h.Get("X-Vegeta-Seq"), 10, 64)
	// CloudFront sends no such headers.
	delete(h, "X-Vegeta-Seq")
	delete(h, "X-Vegeta-Attack")
	p := e.pops[seq%uint64(len(e.pops))]
	t := newTrace()
	// The CDN's headers (CloudFront's: User-Agent, Via, X-Amz-Cf-Id), the
	// fixed ones as shared read-only slices: the transport only reads them.
	t.seq, t.pop, t.cfID, t.start = seq, p.id, p.edge.Apply(h), time.Now()
	e.inflight.put(t)
	ctx, cancel := context.WithTimeout(httptrace.WithClientTrace(req.Context(), &t.trace), e.bound)
	resp, err := p.tr.RoundTrip(req.WithContext(ctx))
	if err != nil {
		t.err = err
		cancel()
		return resp, err
	}
	e.clock.observe(resp, time.Now())
	// The bound holds until the body is closed.
	resp.Body = &boundedBody{ReadCloser: resp.Body, cancel: cancel, t: t}
	return resp, nil
}

// boundedBody ends the exchange's deadline when the body is closed, and
// keeps the error that cut the body short (a reset, the bound) for the
// request's class: Vegeta keeps only its text.
type boundedBody struct {
	io.ReadCloser
	cancel context.CancelFunc
	t      *reqTrace
}

func (b *boundedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF && b.t.err == nil {
		b.t.err = err
	}
	return n, err
}

func (b *boundedBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

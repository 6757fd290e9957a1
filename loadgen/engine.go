package loadgen

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/originproof/originproof/loadgen/latency"
	"github.com/originproof/originproof/loadgen/timeline"
)

// Progress is a run's state at the end of an interval.
type Progress struct {
	Elapsed   time.Duration
	Requests  int64   // so far
	Errors    int64   // so far
	Rate      float64 // results per second over the interval
	P99       time.Duration
	Scheduled int64
}

// Report is the outcome of a run.
type Report struct {
	Config     Config
	Summary    Summary
	Histograms *latency.Set
	// Phases are the statistics of each phase window (Phases, or the
	// schedule's segments), in order; Summary.Phases summarises them.
	Phases  []PhaseStats
	Started time.Time
	Ended   time.Time
	// ClockOffset is the origin's clock minus this machine's, from the Date
	// header of the first response (ClockOffsetOK false: none had one).
	ClockOffset   time.Duration
	ClockOffsetOK bool
}

// Engine runs one CloudFront-shaped load run.
type Engine struct {
	r     *resolved
	pops  []*pop
	dials *dialQueue
	used  atomic.Bool
}

// New resolves the options and builds the pools (transports are built
// here, after every option is known).
func New(opts ...Option) (*Engine, error) {
	r, err := resolve(opts)
	if err != nil {
		return nil, err
	}
	e := &Engine{r: r, dials: newDialQueue(1 << 16)}
	ids := new(atomic.Uint64)
	for i := 0; i < r.pops; i++ {
		e.pops = append(e.pops, newPop(i, r, ids, e.dials))
	}
	return e, nil
}

// Config is the resolved configuration.
func (e *Engine) Config() Config { return e.r.cfg }

// Run sends the schedule and returns the report. Cancelling ctx stops the
// attack: requests in flight get StopGrace to finish, then their
// connections are closed; everything taken so far is summarised and
// flushed, and the report is marked interrupted. Output that cannot be
// written (results, latency log) stops the run the same way: the error
// says what failed and the report is still returned. When not even the
// latency log's header can be written, no request is sent and the report
// is nil.
func (e *Engine) Run(ctx context.Context) (*Report, error) {
	if !e.used.CompareAndSwap(false, true) {
		return nil, errors.New("loadgen: an Engine runs once")
	}
	r := e.r
	fl := newInflight()
	edge := &edge{pops: e.pops, inflight: fl, bound: time.Duration(r.connectAttempts)*r.connectTimeout + 2*r.readTimeout}
	client := &http.Client{
		// The edge bounds the whole exchange itself: a Client.Timeout on a
		// RoundTripper that is not an *http.Transport costs a goroutine and
		// a timer per request.
		Transport: edge,
		// CloudFront returns the origin's redirects to the viewer.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	maxWorkers := r.maxWorkers
	if maxWorkers == 0 {
		maxWorkers = math.MaxUint64
	}
	workers := min(r.workers, maxWorkers)
	// Only options that leave the transport alone: ours is built already.
	atk := vegeta.NewAttacker(
		vegeta.Client(client),
		vegeta.Workers(workers),
		vegeta.MaxWorkers(maxWorkers),
		vegeta.MaxBody(-1),
	)
	tgt := vegeta.Target{Method: r.method, URL: r.url.String(), Header: r.headers.Clone()}

	var resultsW *bufio.Writer
	var enc Encoder
	if r.results != nil {
		resultsW = bufio.NewWriterSize(r.results, 256<<10)
		enc = NewEncoder(resultsW)
	}
	began := time.Now()
	var lw *latency.LogWriter
	if r.hlog != nil {
		var err error
		lw, err = latency.NewLogWriter(r.hlog, began, fmt.Sprintf(" originproof load: %s, %s", r.url.Redacted(), r.schedule))
		if err != nil {
			return nil, err
		}
	}
	c := &consumer{
		e: e, began: began, set: latency.NewSet(began, lw), enc: enc, series: e.newSeries(began),
		tallies: make([]tally, len(e.pops)), progressHist: latency.New(), phases: newPhaseTally(r.phases, r.schedule),
		statuses: map[uint16]int64{}, negotiated: map[string]int64{}, identities: map[string]int64{},
	}

	// Bounded by the schedule's length: a generator that falls behind stops
	// on time with fewer requests sent, and the summary says so.
	stopPacing := make(chan struct{})
	results := atk.Attack(vegeta.NewStaticTargeter(tgt), pacer{r.schedule, stopPacing}, r.schedule.Duration(), "originproof")

	runCtx, endRun := context.WithCancel(context.Background())
	defer endRun()
	var interrupted atomic.Bool
	var forced sync.WaitGroup
	giveUp := make(chan struct{})
	// failed is closed when an output cannot be written: the run stops as
	// if interrupted, rather than send load that goes unrecorded.
	failed := make(chan struct{})
	forced.Add(1)
	go func() {
		defer forced.Done()
		select {
		case <-runCtx.Done():
			return
		case <-ctx.Done():
		case <-failed:
		}
		interrupted.Store(true)
		atk.Stop()
		close(stopPacing)
		grace := time.NewTimer(r.stopGrace)
		defer grace.Stop()
		select {
		case <-runCtx.Done():
			return
		case <-grace.C:
		}
		for _, p := range e.pops {
			p.closeAll()
		}
		// Vegeta's pacer may be asleep in an idle gap: do not wait for it.
		select {
		case <-runCtx.Done():
		case <-time.After(time.Second):
			close(giveUp)
		}
	}()
	if r.rotateTo != nil {
		e.startRotation(runCtx, began)
	}

	tick := time.NewTicker(r.interval)
	defer tick.Stop()
	var writeErr error
	fail := func(err error) {
		if err != nil && writeErr == nil {
			writeErr = err
			close(failed)
		}
	}
consume:
	for {
		select {
		case res, ok := <-results:
			if !ok {
				break consume
			}
			// The request's own connection, if new, is queued by now.
			c.drainDials()
			t := fl.take(res.Seq)
			fail(c.take(res, t))
			if t != nil {
				t.release()
			}
		case now := <-tick.C:
			c.drainDials()
			fail(c.flush(now, resultsW))
		case <-giveUp:
			go func() {
				for range results {
				}
			}()
			break consume
		}
	}
	ended := time.Now()
	endRun()
	forced.Wait()
	for _, p := range e.pops {
		p.tr.CloseIdleConnections()
	}
	c.drainDials()
	if err := c.flush(ended, resultsW); err != nil && writeErr == nil {
		writeErr = err
	}
	rep := &Report{
		Config:     r.cfg,
		Summary:    c.summary(ended, interrupted.Load()),
		Histograms: c.set,
		Started:    began,
		Ended:      ended,
	}
	rep.ClockOffset, rep.ClockOffsetOK = edge.clock.get()
	if c.series != nil {
		if err := json.NewEncoder(r.series).Encode(c.series.Timeline()); err != nil && writeErr == nil {
			writeErr = fmt.Errorf("loadgen: write series: %w", err)
		}
	}
	if c.phases != nil {
		rep.Phases = c.phases.stats
	}
	return rep, writeErr
}

// pacer is the schedule as Vegeta's pacer. Vegeta sleeps whatever Pace
// returns without looking at Stop, a whole idle gap of it, and its
// goroutines would outlive a stopped run by that long: a long wait is
// slept here instead, where stopping the run ends it.
type pacer struct {
	Schedule
	stop <-chan struct{}
}

// pacerSleepMax is the longest wait left to Vegeta's own sleep: shorter
// waits (every wait at rates above 20/s) cost no timer.
const pacerSleepMax = 50 * time.Millisecond

func (p pacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	wait, stop := p.Schedule.Pace(elapsed, hits)
	if stop || wait <= pacerSleepMax {
		return wait, stop
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return 0, false
	case <-p.stop:
		return 0, true
	}
}

// newSeries is the series builder of a run that writes series.json: over
// the schedule's length (later sends count in the last interval).
func (e *Engine) newSeries(began time.Time) *SeriesBuilder {
	r := e.r
	if r.series == nil {
		return nil
	}
	grid := timeline.New(began, r.schedule.Duration())
	keepAlive := r.keepAlive
	if !r.reuse {
		keepAlive = 0
	}
	return NewSeriesBuilder(grid.Start(), grid.Width(), grid.Len(), keepAlive)
}

// startRotation switches pop i to the next identity at
// from + i·(until−from)/(pops−1).
func (e *Engine) startRotation(ctx context.Context, began time.Time) {
	r := e.r
	n := len(e.pops)
	for i, p := range e.pops {
		at := r.rotateFrom
		if n > 1 {
			at += time.Duration(int64(r.rotateUntil-r.rotateFrom) * int64(i) / int64(n-1))
		}
		go func(p *pop, at time.Duration) {
			t := time.NewTimer(time.Until(began.Add(at)))
			defer t.Stop()
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			p.rotate(ctx, *r.rotateTo, r.keepAlive+r.readTimeout)
		}(p, at)
	}
}

// hotRecorders are the handles recorded for every request of a pop.
type hotRecorders struct {
	total, corrected, ttfb *latency.Recorder
}

func (c *consumer) recorders(pop int) *hotRecorders {
	if c.hot == nil {
		c.hot = make([]hotRecorders, len(c.e.pops))
		c.sendLag = c.set.Recorder(PhaseSendLag, latency.AllPops)
	}
	h := &c.hot[pop]
	if h.total == nil {
		h.total = c.set.Recorder(PhaseTotal, pop)
		h.corrected = c.set.Recorder(PhaseCorrected, pop)
		h.ttfb = c.set.Recorder(PhaseTTFB, pop)
	}
	return h
}

// consumer owns the histograms and tallies: one goroutine runs it.
type consumer struct {
	e            *Engine
	began        time.Time
	set          *latency.Set
	enc          Encoder
	rec          Record
	tallies      []tally
	phases       *phaseTally
	series       *SeriesBuilder
	statuses     map[uint16]int64
	negotiated   map[string]int64
	identities   map[string]int64
	requests     int64
	errors       int64
	success      int64
	firstSend    time.Time
	lastSend     time.Time
	lastEnd      time.Time
	maxLag       time.Duration
	progressN    int64
	progressHist *latency.Histogram
	hot          []hotRecorders
	sendLag      *latency.Recorder
	lastFlush    time.Time
	dialBuf      []*conn
}

func (c *consumer) take(res *vegeta.Result, t *reqTrace) error {
	r := c.e.r
	pop := int(res.Seq % uint64(len(c.e.pops)))
	due, _ := r.schedule.Intended(res.Seq)
	intended := c.began.Add(due)
	sent, end := res.Timestamp, res.End()
	lag := sent.Sub(intended)
	if lag < 0 {
		lag = 0
	}
	if lag > c.maxLag {
		c.maxLag = lag
	}
	hot := c.recorders(pop)
	c.sendLag.Record(lag)
	latency.RecordTotal(hot.total, hot.corrected, intended, sent, end)
	if c.e.r.progress != nil {
		c.progressHist.Record(res.Latency)
	}
	c.progressN++

	rec := &c.rec
	*rec = Record{Result: *res, Ext: Ext{Pop: pop, Intended: intended, LatencyCorrected: end.Sub(intended), SendLag: lag}}
	// results.json numbers requests run-wide: a shard's interleave with the others'.
	rec.Seq = r.schedule.Global(res.Seq)
	if rec.LatencyCorrected < res.Latency {
		rec.LatencyCorrected = res.Latency
	}
	if !r.keepBodies {
		// The same on every request of a run: kept only when asked for.
		rec.Body, rec.Headers = nil, nil
	}
	var tErr error
	gotConn, reused := false, false
	if t != nil {
		tErr = t.err
		rec.CfID = t.cfID
		if !t.firstByte.IsZero() {
			rec.TTFB = t.firstByte.Sub(t.start)
			hot.ttfb.Record(rec.TTFB)
		}
		if cn := t.conn; cn != nil {
			gotConn, reused = true, t.reused
			in := &cn.info
			rec.ConnID, rec.ConnReused, rec.Identity = in.id, t.reused, in.identity
			rec.TLSVersion, rec.TLSCipher, rec.TLSCurve, rec.TLSResumed = in.version, in.cipher, in.curve, in.resumed
			if !t.reused {
				rec.DNS, rec.Connect, rec.TLSHandshake, rec.ConnectAttempt = in.dns, in.connect, in.handshake, in.attempt
			}
		}
	}
	class := classify(tErr, res.Error, res.Code)
	rec.ErrorClass = class
	c.tallies[pop].add(class, gotConn, reused)
	c.requests++
	if class != "" {
		c.errors++
	} else {
		c.success++
		if t != nil && t.conn != nil {
			c.identities[t.conn.info.identity]++
		}
	}
	c.statuses[res.Code]++
	if c.phases != nil {
		c.phases.add(due, rec)
	}
	if c.series != nil {
		c.series.Add(&Sample{Timestamp: rec.Timestamp, Intended: rec.Intended, Latency: int64(rec.Latency), LatencyCorrected: int64(rec.LatencyCorrected),
			Connect: int64(rec.Connect), TLSHandshake: int64(rec.TLSHandshake), TLSResumed: rec.TLSResumed, TTFB: int64(rec.TTFB), Code: rec.Code,
			Error: rec.Error, ErrorClass: string(rec.ErrorClass), Pop: rec.Pop, ConnID: rec.ConnID, ConnReused: rec.ConnReused})
	}
	if c.firstSend.IsZero() || sent.Before(c.firstSend) {
		c.firstSend = sent
	}
	if sent.After(c.lastSend) {
		c.lastSend = sent
	}
	if end.After(c.lastEnd) {
		c.lastEnd = end
	}
	if c.enc != nil {
		return c.enc(rec)
	}
	return nil
}

// drainDials records the connections dialled since the last call.
func (c *consumer) drainDials() {
	c.dialBuf = c.e.dials.drain(c.dialBuf)
	for i, cn := range c.dialBuf {
		c.dialed(cn)
		c.dialBuf[i] = nil
	}
}

// dialed records a new connection's phases: every connection the dialer
// made, whether or not a request was waiting for it.
func (c *consumer) dialed(cn *conn) {
	in := &cn.info
	pop := cn.p.id
	if in.dns > 0 {
		c.set.Record(PhaseDNS, pop, in.dns)
	}
	c.set.Record(PhaseConnect, pop, in.connect)
	if in.resumed {
		c.set.Record(PhaseTLSResumed, pop, in.handshake)
	} else {
		c.set.Record(PhaseTLSFull, pop, in.handshake)
	}
	c.negotiated[in.version+" "+in.cipher+" "+in.curve]++
}

func (c *consumer) flush(now time.Time, w *bufio.Writer) error {
	err := c.set.Flush(now)
	if w != nil {
		if e := w.Flush(); e != nil && err == nil {
			err = fmt.Errorf("loadgen: write results: %w", e)
		}
	}
	if f := c.e.r.progress; f != nil {
		span := now.Sub(c.lastFlush)
		if c.lastFlush.IsZero() {
			span = now.Sub(c.began)
		}
		p := Progress{Elapsed: now.Sub(c.began), Requests: c.requests, Errors: c.errors, Scheduled: c.e.r.schedule.Requests()}
		if span > 0 {
			p.Rate = float64(c.progressN) / span.Seconds()
		}
		if c.progressHist.Count() > 0 {
			p.P99 = c.progressHist.Quantile(99)
		}
		f(p)
	}
	c.lastFlush = now
	c.progressN = 0
	c.progressHist.Reset()
	return err
}

func (c *consumer) summary(ended time.Time, interrupted bool) Summary {
	r := c.e.r
	s := Summary{
		Requests:      c.requests,
		Scheduled:     r.schedule.Requests(),
		Success:       c.success,
		Errors:        c.errors,
		ErrorRate:     ratio(c.errors, c.requests),
		ErrorsByClass: map[ErrorClass]int64{},
		StatusCodes:   map[string]int64{},
		RateAsked:     round4(r.schedule.MeanRate()),
		WallS:         round4(ended.Sub(c.began).Seconds()),
		Interrupted:   interrupted,
		Negotiated:    c.negotiated,
		Identities:    c.identities,
		Latency:       latencyOf(c.set, latency.AllPops),
		BehindByMs:    float64(c.maxLag.Microseconds()) / 1e3,
	}
	if span := c.lastSend.Sub(c.firstSend); span > 0 {
		s.DurationS = round4(span.Seconds())
		s.RateAchieved = round4(float64(c.requests) / span.Seconds())
	}
	if span := c.lastEnd.Sub(c.firstSend); span > 0 {
		s.Throughput = round4(float64(c.success) / span.Seconds())
	}
	if lag := c.set.Merged(PhaseSendLag); lag != nil {
		s.SendLagP99Ms = lag.Percentiles().P99
		s.GeneratorLimited = lag.Quantile(99) > r.lagLimit
	}
	if !interrupted && c.requests < s.Scheduled {
		s.GeneratorLimited = true
	}
	for code, n := range c.statuses {
		s.StatusCodes[statusKey(code)] = n
	}
	var reused, withConn int64
	for i, p := range c.e.pops {
		t := c.tallies[i]
		st := p.c.stats()
		s.Dial.add(st)
		s.UnrecordedConnections += p.c.unrecorded.Load()
		reused += t.reused
		withConn += t.withConn
		for k, v := range t.errorsByClass {
			s.ErrorsByClass[k] += v
		}
		s.Pops = append(s.Pops, PopSummary{
			Pop:           i,
			Requests:      t.requests,
			Errors:        t.errors,
			ErrorsByClass: t.errorsByClass,
			Connections:   st.Connections,
			Handshakes:    Handshakes{Full: st.FullHandshakes, Resumed: st.ResumedHandshakes, Failed: st.HandshakeFailures},
			ReuseRatio:    ratio(t.reused, t.withConn),
			Latency:       latencyOf(c.set, i),
		})
	}
	s.Connections = s.Dial.Connections
	s.Handshakes = Handshakes{Full: s.Dial.FullHandshakes, Resumed: s.Dial.ResumedHandshakes, Failed: s.Dial.HandshakeFailures}
	s.ReuseRatio, s.RequestsReused, s.RequestsWithConnection = ratio(reused, withConn), reused, withConn
	if c.phases != nil {
		s.Phases = PhaseSummaries(c.phases.stats)
	}
	cfg := r.cfg
	s.Config = &cfg
	return s
}

package loadgen

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/originproof/originproof/fixtures/origin"
)

// TestMain fails the package when a test leaves a goroutine behind: an
// engine's workers, pools and timers end with its run.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// failingWriter accepts limit bytes, then fails every write.
type failingWriter struct {
	mu    sync.Mutex
	n     int
	limit int
}

var errDiskFull = errors.New("no space left on device")

func (w *failingWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.n+len(p) > w.limit {
		return 0, errDiskFull
	}
	w.n += len(p)
	return len(p), nil
}

// TestWriteErrorStopsTheRun: results or a latency log that can no longer be
// written end the run within about an interval, as an interruption does,
// rather than send load nobody records.
func TestWriteErrorStopsTheRun(t *testing.T) {
	t.Parallel()
	for _, output := range []string{"results", "hlog"} {
		t.Run(output, func(t *testing.T) {
			t.Parallel()
			srv := startOrigin(t, origin.Config{})
			w := &failingWriter{limit: 600}
			var out Option = Results(w)
			if output == "hlog" {
				out = HistogramLog(w)
			}
			opts := append(originOpts(t, srv, "chain.valid"), Pops(2), Rate(50, 30*time.Second), StopGrace(200*time.Millisecond), out)
			e, err := New(opts...)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			rep, err := e.Run(context.Background())
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("the run went on %v after its output failed", took)
			}
			if !errors.Is(err, errDiskFull) {
				t.Fatalf("error %v, want the write error", err)
			}
			if rep == nil || !rep.Summary.Interrupted || rep.Summary.Requests == 0 || rep.Summary.Requests >= rep.Summary.Scheduled {
				t.Fatalf("report %+v, want an interrupted run", rep)
			}
		})
	}
	t.Run("hlog header", func(t *testing.T) {
		t.Parallel()
		srv := startOrigin(t, origin.Config{})
		e, err := New(append(originOpts(t, srv, "chain.valid"), Rate(50, 30*time.Second), HistogramLog(&failingWriter{}))...)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := e.Run(context.Background())
		if rep != nil || !errors.Is(err, errDiskFull) {
			t.Fatalf("report %v, error %v; want no run and the write error", rep != nil, err)
		}
		if st := srv.Stats(); st.Connections != 0 {
			t.Errorf("the origin saw %d connections from a run that could not record", st.Connections)
		}
	})
}

// TestBodyErrorsAreClassified: a response cut short while its body is read
// is classed by its cause (Vegeta keeps only the error's text): a reset
// mid-body is reset, a body still dripping at the exchange's bound is a
// timeout. Every request is accounted for once, as the origin counts it.
func TestBodyErrorsAreClassified(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fault origin.Fault
		opts  []Option
		class ErrorClass
		// errors wanted, from the summary and the origin's fault count
		want func(s Summary, faults int64) bool
	}{
		{origin.Fault{Name: origin.FaultReset, Count: 3}, []Option{Rate(30, time.Second)}, ErrReset,
			func(s Summary, faults int64) bool { return faults == s.Requests/3 && s.Errors == faults }},
		// The bound is connect timeout × attempts + 2 × read timeout = 3 s;
		// the 50-byte body drips for 5 s.
		{origin.Fault{Name: origin.FaultDrip, Wait: 100 * time.Millisecond},
			[]Option{Rate(4, time.Second), ConnectTimeout(time.Second), ConnectAttempts(1), ReadTimeout(time.Second)}, ErrTimeout,
			func(s Summary, faults int64) bool { return s.Errors == s.Requests && faults == s.Requests }},
	}
	for _, tt := range tests {
		t.Run(tt.fault.String(), func(t *testing.T) {
			t.Parallel()
			srv := startOrigin(t, origin.Config{Faults: []origin.Fault{tt.fault}})
			var results bytes.Buffer
			rep := run(t, append(originOpts(t, srv, "chain.valid"), append(tt.opts, Pops(2), Results(&results))...)...)
			s := rep.Summary
			faults := srv.Stats().Faults[tt.fault.Name]
			if s.ErrorsByClass[tt.class] != s.Errors || !tt.want(s, faults) {
				t.Errorf("%d requests, errors %v; the origin's %s acted %d times", s.Requests, s.ErrorsByClass, tt.fault.Name, faults)
			}
			if n := int64(strings.Count(results.String(), `"error_class":"`+string(tt.class)+`"`)); n != s.Errors {
				t.Errorf("results.json has %d %s lines, the summary %d errors", n, tt.class, s.Errors)
			}
		})
	}
}

// TestNoGoroutineOutlivesAnInterruptedIdleGap: a run stopped while Vegeta's
// pacer waits out a 30 s idle gap leaves nothing running (the pacer used to
// sleep the gap out after the run had returned).
func TestNoGoroutineOutlivesAnInterruptedIdleGap(t *testing.T) {
	srv := startOrigin(t, origin.Config{})
	opts := append(originOpts(t, srv, "chain.valid"), Pops(1), StopGrace(100*time.Millisecond),
		Arrival(IdleGaps(20, 100*time.Millisecond, 30*time.Second, 40*time.Second)))
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	e, err := New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if _, err := e.Run(ctx); err != nil {
		t.Fatal(err)
	}
}

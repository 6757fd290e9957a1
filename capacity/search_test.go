package capacity

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/originproof/originproof/loadgen"
)

// model is an origin and generator whose limits are known: steps above
// knee break the SLO, steps above genMax are generator-limited, every
// request fails when refused.
type model struct {
	knee, genMax float64
	refused      bool
	clock        time.Time
	rates        []float64
	cancelAt     int          // cancel (interrupt) during this step (1-based; 0: never)
	stalls       map[int]bool // these steps (1-based) are generator-limited: a busy machine
	cancel       context.CancelFunc
}

func (m *model) step(ctx context.Context, rate float64, d time.Duration) (*Step, error) {
	m.rates = append(m.rates, rate)
	m.clock = m.clock.Add(d)
	n := int64(rate * d.Seconds())
	st := &Step{Offered: rate, Requests: n, Success: n, Achieved: rate, P50: 1, P99: 2, Connections: 1, ErrorsByClass: map[loadgen.ErrorClass]int64{}}
	if len(m.rates) == m.cancelAt {
		m.cancel()
		st.interrupted = true
		return st, nil
	}
	switch {
	case m.refused:
		st.Success, st.Errors, st.Achieved, st.GeneratorLimited = 0, n, 0, rate > m.genMax
		st.ErrorsByClass["tls_alert:certificate_required"] = n
	case rate > m.genMax || m.stalls[len(m.rates)]:
		st.GeneratorLimited = true
	case rate > m.knee:
		st.P99, st.Achieved = 900, m.knee
	}
	st.WithinSLO, st.Broke = DefaultSLO.judge(st)
	return st, nil
}

func searchModel(t *testing.T, m *model, s Search) *Entry {
	t.Helper()
	m.clock = time.Unix(0, 0)
	if m.genMax == 0 {
		m.genMax = math.Inf(1)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m.cancel = cancel
	cfg := &Config{SLO: DefaultSLO, Search: s}
	sr := &searcher{cfg: cfg, subject: Subject{Workload: Handshakes, Identity: loadgen.NoIdentity},
		deadline: m.clock.Add(time.Duration(s.MaxDuration)), step: m.step, now: func() time.Time { return m.clock }}
	return sr.run(ctx, ctx)
}

func quick() Search {
	s := DefaultSearch
	s.StepDuration, s.MinSamples, s.Settle = loadgen.Duration(time.Second), 1, 0
	return s
}

func TestSearchFindsTheKnee(t *testing.T) {
	for _, knee := range []float64{450, 1840, 37, 20} {
		m := &model{knee: knee}
		e := searchModel(t, m, quick())
		if e.LimitedBy != LimitedByOrigin {
			t.Errorf("knee %v: limited by %s, want origin (rates %v)", knee, e.LimitedBy, m.rates)
		}
		if e.KneeRate > knee || e.KneeRate < knee/1.1-1 || e.FirstBad <= knee {
			t.Errorf("knee %v: found %v (first bad %v), want within 10 %% below (rates %v)", knee, e.KneeRate, e.FirstBad, m.rates)
		}
		if e.FirstBad-e.KneeRate > 0.1*e.KneeRate+1 {
			t.Errorf("knee %v: bracket %v–%v wider than the precision", knee, e.KneeRate, e.FirstBad)
		}
		if len(e.Steps) != len(m.rates) || e.Steps[0].Phase != "up" || e.Steps[len(e.Steps)-1].Phase != "bisect" && knee > 20 {
			t.Errorf("knee %v: steps %d for %d runs, phases %s…%s", knee, len(e.Steps), len(m.rates), e.Steps[0].Phase, e.Steps[len(e.Steps)-1].Phase)
		}
	}
}

func TestSearchStepsDownWhenTheStartBreaks(t *testing.T) {
	m := &model{knee: 4}
	e := searchModel(t, m, quick())
	if e.LimitedBy != LimitedByOrigin || e.KneeRate > 4 || e.KneeRate < 3.6 {
		t.Errorf("knee 4 from start 20: found %v, limited by %s (rates %v)", e.KneeRate, e.LimitedBy, m.rates)
	}
	if m.rates[1] != 10 || e.Steps[1].Phase != "down" {
		t.Errorf("second step %v (%s), want 10/s going down", m.rates[1], e.Steps[1].Phase)
	}
	m = &model{knee: 0.1}
	if e := searchModel(t, m, quick()); e.KneeRate != 0 || e.LimitedBy != LimitedByOrigin || slices.Min(m.rates) < minRate {
		t.Errorf("an origin that sustains nothing: knee %v, limited by %s, rates %v", e.KneeRate, e.LimitedBy, m.rates)
	}
}

// A step the generator could not drive ends the search: its rate is never
// taken for the origin's knee.
func TestSearchStopsAtTheGenerator(t *testing.T) {
	m := &model{knee: 5000, genMax: 300}
	e := searchModel(t, m, quick())
	if e.LimitedBy != LimitedByGenerator || e.KneeRate != 160 || e.FirstBad != 0 {
		t.Errorf("limited by %s, knee %v, first bad %v (rates %v); want generator, 160, none", e.LimitedBy, e.KneeRate, e.FirstBad, m.rates)
	}
	last := e.Steps[len(e.Steps)-1]
	if !last.GeneratorLimited || last.Offered != 320 {
		t.Errorf("last step %+v, want the generator-limited 320/s kept and marked", last)
	}
}

// A stall of a busy machine (one generator-limited step) is run again and
// the search goes on; a generator that keeps falling behind ends it.
func TestSearchRepeatsAStall(t *testing.T) {
	m := &model{knee: 450, stalls: map[int]bool{3: true, 8: true}}
	e := searchModel(t, m, quick())
	if e.LimitedBy != LimitedByOrigin || e.KneeRate != 440 || m.rates[2] != m.rates[3] {
		t.Errorf("knee %v limited by %s (rates %v): want 440 by the origin, the stalled step run again", e.KneeRate, e.LimitedBy, m.rates)
	}
	if !e.Steps[2].GeneratorLimited || len(e.Steps) != len(m.rates) {
		t.Errorf("the stalled step is not kept and marked: %d steps for %d runs", len(e.Steps), len(m.rates))
	}
	stalls := map[int]bool{}
	for i := 1; i <= 20; i++ {
		stalls[i] = i%2 == 0
	}
	m = &model{knee: 1e6, stalls: stalls}
	if e := searchModel(t, m, quick()); e.LimitedBy != LimitedByGenerator || len(m.rates) > 2*maxRepeats+2 {
		t.Errorf("a stall every other step: limited by %s after %d steps, want the generator after at most %d", e.LimitedBy, len(m.rates), 2*maxRepeats+2)
	}
}

func TestSearchBounds(t *testing.T) {
	s := quick()
	s.MaxRate = 500
	m := &model{knee: 1e6}
	if e := searchModel(t, m, s); e.LimitedBy != LimitedByMaxRate || e.KneeRate != 500 {
		t.Errorf("max rate 500: limited by %s, knee %v (rates %v)", e.LimitedBy, e.KneeRate, m.rates)
	}
	s = quick()
	s.MaxDuration = loadgen.Duration(3500 * time.Millisecond)
	m = &model{knee: 1e6}
	if e := searchModel(t, m, s); e.LimitedBy != LimitedByMaxDuration || len(e.Steps) != 3 || e.KneeRate != 80 {
		t.Errorf("3.5 s of 1 s steps: limited by %s, %d steps, knee %v", e.LimitedBy, len(e.Steps), e.KneeRate)
	}
	// Slow rates take longer steps: enough for the minimum sample count.
	s = quick()
	s.MinSamples = 100
	if d := s.stepDuration(20); d != 5*time.Second {
		t.Errorf("100 samples at 20/s: %v, want 5s", d)
	}
	if d := s.stepDuration(1000); d != time.Second {
		t.Errorf("100 samples at 1000/s: %v, want the step duration 1s", d)
	}
	if d := s.stepDuration(0.001); d != maxStep {
		t.Errorf("a tiny rate: %v, want the cap %v", d, maxStep)
	}
}

// An interrupt drops the step under way and keeps every finished one.
func TestSearchInterrupted(t *testing.T) {
	m := &model{knee: 1e6, cancelAt: 4}
	e := searchModel(t, m, quick())
	if e.LimitedBy != LimitedByInterrupted || len(e.Steps) != 3 || e.KneeRate != 80 {
		t.Errorf("interrupted in step 4: limited by %s, %d steps kept, knee %v", e.LimitedBy, len(e.Steps), e.KneeRate)
	}
}

func TestSearchRefused(t *testing.T) {
	// Refused is a verdict on the identity even when the generator lagged.
	m := &model{knee: 1e6, refused: true, genMax: 1}
	e := searchModel(t, m, quick())
	if e.LimitedBy != LimitedByOrigin || len(e.Steps) != 1 || e.KneeRate != 0 || !strings.Contains(e.Refused, "tls_alert:certificate_required") {
		t.Errorf("refused: limited by %s, %d steps, knee %v, refused %q", e.LimitedBy, len(e.Steps), e.KneeRate, e.Refused)
	}
}

func TestSLO(t *testing.T) {
	slo, err := ParseSLO("p99=100ms, errors=0.5%")
	if err != nil || slo.P99 != loadgen.Duration(100*time.Millisecond) || slo.MaxErrorRate != 0.005 || slo.MinAchieved != 0.95 {
		t.Fatalf("ParseSLO = %+v, %v", slo, err)
	}
	if got, want := DefaultSLO.String(), "no errors, p99 ≤ 250 ms, achieved ≥ 95 %"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	for _, bad := range []string{"p99=fast", "errors=100%", "achieved=0", "achieved=120%", "latency=1s", "p99", "errors=-1"} {
		if _, err := ParseSLO(bad); err == nil {
			t.Errorf("ParseSLO(%q) accepted", bad)
		}
	}
	tests := []struct {
		name string
		st   Step
		ok   bool
		word string
	}{
		{"within", Step{Offered: 100, Requests: 500, Achieved: 99, P99: 200}, true, ""},
		{"an error", Step{Offered: 100, Requests: 500, Errors: 1, Achieved: 99, P99: 200}, false, "1 of 500 requests failed"},
		{"slow", Step{Offered: 100, Requests: 500, Achieved: 99, P99: 251}, false, "p99 251.0 ms > 250ms"},
		{"behind", Step{Offered: 100, Requests: 500, Achieved: 94, P99: 20}, false, "achieved 94.0/s < 95 % of 100/s"},
		{"nothing", Step{Offered: 100}, false, "no request"},
	}
	for _, tt := range tests {
		ok, broke := DefaultSLO.judge(&tt.st)
		if ok != tt.ok || (tt.word != "" && !strings.Contains(strings.Join(broke, "; "), tt.word)) {
			t.Errorf("%s: judge = %v %q, want %v mentioning %q", tt.name, ok, broke, tt.ok, tt.word)
		}
	}
}

func TestParseWorkloads(t *testing.T) {
	if got, err := ParseWorkloads("requests, handshakes"); err != nil || !slices.Equal(got, []Workload{Requests, Handshakes}) {
		t.Errorf("ParseWorkloads = %v, %v", got, err)
	}
	for _, bad := range []string{"", "storms", "handshakes,handshakes"} {
		if _, err := ParseWorkloads(bad); err == nil {
			t.Errorf("ParseWorkloads(%q) accepted", bad)
		}
	}
}

func TestSearchValidate(t *testing.T) {
	for field, mutate := range map[string]func(*Search){
		"start-rate":    func(s *Search) { s.StartRate = 0 },
		"step-factor":   func(s *Search) { s.StepFactor = 1 },
		"precision":     func(s *Search) { s.Precision = 0 },
		"max-rate":      func(s *Search) { s.MaxRate = 5 },
		"max-duration":  func(s *Search) { s.MaxDuration = 0 },
		"step-duration": func(s *Search) { s.StepDuration = loadgen.Duration(time.Millisecond) },
		"min-samples":   func(s *Search) { s.MinSamples = 0 },
	} {
		s := DefaultSearch
		mutate(&s)
		err := s.Validate()
		ce, ok := err.(*ConfigError)
		if !ok || ce.Field != field {
			t.Errorf("%s: Validate() = %v, want a ConfigError for it", field, err)
		}
	}
	if err := DefaultSearch.Validate(); err != nil {
		t.Errorf("the default search: %v", err)
	}
}

// TestAchievedRate: answers counted over a window as long as the step,
// shifted by the median latency — an origin keeping up scores the offered
// rate, one answering at its own pace scores that pace.
func TestAchievedRate(t *testing.T) {
	tick := progressInterval
	build := func(answered func(t time.Duration) int64, until time.Duration) *series {
		s := &series{}
		for at := tick; at <= until; at += tick {
			s.add(loadgen.Progress{Elapsed: at, Requests: answered(at) + 3, Errors: 3})
		}
		return s
	}
	d := 2 * time.Second
	// 100/s offered, each answered 20 ms after it was sent.
	keepsUp := build(func(t time.Duration) int64 {
		if t < 20*time.Millisecond {
			return 0
		}
		return min(int64((t-20*time.Millisecond).Seconds()*100)+1, 200)
	}, 3*time.Second)
	if got := keepsUp.rate(20*time.Millisecond, d); math.Abs(got-100) > 2 {
		t.Errorf("an origin keeping up with 100/s: achieved %.1f", got)
	}
	// 100/s offered, answered at 60/s until all are done.
	queues := build(func(t time.Duration) int64 { return min(int64(t.Seconds()*60), 200) }, 4*time.Second)
	if got := queues.rate(900*time.Millisecond, d); math.Abs(got-60) > 2 {
		t.Errorf("an origin answering 60/s: achieved %.1f", got)
	}
	if got := (&series{}).rate(0, d); got != 0 {
		t.Errorf("no answers: achieved %.1f", got)
	}
}

package loadgen

import (
	"context"
	"slices"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/originproof/originproof/fixtures/origin"
)

func phaseWindow(name, kind string, from, to time.Duration) PhaseWindow {
	return PhaseWindow{Name: name, Kind: kind, Start: Duration(from), End: Duration(to)}
}

func TestSegmentPhases(t *testing.T) {
	s := time.Second
	many := make([]float64, MaxSegmentPhases+1)
	for i := range many {
		many[i] = 10
	}
	tests := []struct {
		name  string
		sched Schedule
		want  []PhaseWindow
	}{
		{"constant has none", Constant(50, 10*s), nil},
		{"ramp has none", Ramp(10, 50, 10*s), nil},
		{"steps: one phase per step", Steps(2*s, 20, 50, 12.5), []PhaseWindow{
			phaseWindow("1 · 20/s", "steady", 0, 2*s), phaseWindow("2 · 50/s", "steady", 2*s, 4*s), phaseWindow("3 · 12.5/s", "steady", 4*s, 6*s)}},
		{"idle gaps join the burst after them", IdleGaps(50, 2*s, 7*s, 20*s), []PhaseWindow{
			phaseWindow("1 · 50/s", "steady", 0, 2*s), phaseWindow("2 · 7s idle, then 50/s", "idle-gap-storm", 2*s, 11*s),
			phaseWindow("3 · 7s idle, then 50/s", "idle-gap-storm", 11*s, 20*s)}},
		{"a trailing gap joins the burst before it", Custom(Segment{From: 10, To: 20, Duration: Duration(s)}, Segment{From: 5, To: 5, Duration: Duration(s)}, Segment{Duration: Duration(3 * s)}), []PhaseWindow{
			phaseWindow("1 · 10→20/s", "ramp", 0, s), phaseWindow("2 · 5/s, then 3s idle", "steady", s, 5*s)}},
		{"too many segments: none", Steps(s, many...), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SegmentPhases(tt.sched)
			if !slices.Equal(got, tt.want) {
				t.Errorf("SegmentPhases =\n %+v\nwant\n %+v", got, tt.want)
			}
			if err := checkPhases(got, tt.sched.Duration()); err != nil {
				t.Errorf("the segment phases do not pass their own check: %v", err)
			}
		})
	}
}

func TestScheduleBefore(t *testing.T) {
	s := Steps(time.Second, 10, 0.5, 30)
	total := s.Requests()
	for _, at := range []time.Duration{0, 500 * time.Millisecond, time.Second, 1500 * time.Millisecond, 2 * time.Second, 2100 * time.Millisecond, 3 * time.Second, time.Hour} {
		var want int64
		for n := int64(0); n < total; n++ {
			if due, ok := s.Intended(uint64(n)); ok && due < at {
				want++
			}
		}
		if got := s.Before(at); got != want {
			t.Errorf("Before(%v) = %d, want %d", at, got, want)
		}
	}
}

func TestPhaseStats(t *testing.T) {
	rec := func(mut func(*Record)) *Record {
		r := &Record{Result: vegeta.Result{Code: 200}, Ext: Ext{LatencyCorrected: 2 * time.Millisecond, ConnID: 1, ConnReused: true, Identity: "chain.valid"}}
		mut(r)
		return r
	}
	a := NewPhaseStats(phaseWindow("storm", "idle-gap-storm", 0, 2*time.Second), 10)
	for _, r := range []*Record{
		rec(func(r *Record) { r.ConnReused, r.TLSHandshake = false, 5*time.Millisecond }),
		rec(func(r *Record) { r.ConnReused, r.TLSHandshake, r.TLSResumed = false, time.Millisecond, true }),
		rec(func(*Record) {}),
		rec(func(r *Record) {
			r.ConnID, r.Code, r.Error, r.ErrorClass = 0, 0, "remote error: tls: bad certificate", "tls_alert:bad_certificate"
		}),
		rec(func(r *Record) { r.Code = 503 }),
	} {
		a.Add(r)
	}
	b := NewPhaseStats(phaseWindow("storm", "idle-gap-storm", 0, 2*time.Second), 6)
	b.Add(rec(func(r *Record) { r.Identity = "rotation.next-accepted" }))
	a.Merge(&b)
	got := a.Summary()
	if got.Requests != 6 || got.Scheduled != 16 || got.Errors != 2 || got.NewConnections != 2 || got.Handshakes != (Handshakes{Full: 1, Resumed: 1}) {
		t.Errorf("summary %+v", got)
	}
	if got.RateAsked != 8 || got.RateAchieved != 3 || got.ReuseRatio != 0.5 || got.ErrorRate != 0.3333 {
		t.Errorf("rates asked %v achieved %v, reuse %v, error rate %v; want 8, 3, 0.5, 0.3333", got.RateAsked, got.RateAchieved, got.ReuseRatio, got.ErrorRate)
	}
	if got.ErrorsByClass["tls_alert:bad_certificate"] != 1 || got.ErrorsByClass["http_503"] != 1 || len(got.ErrorsByClass) != 2 {
		t.Errorf("errors by class %v", got.ErrorsByClass)
	}
	if got.Handshake.Count != 2 || got.Latency.Count != 6 || got.Handshake.Max < 4.9 {
		t.Errorf("handshake %+v, latency %+v", got.Handshake, got.Latency)
	}
	if a.Identities["chain.valid"] != 3 || a.Identities["rotation.next-accepted"] != 1 {
		t.Errorf("identities %v: successful requests by identity", a.Identities)
	}
}

// TestRunKeepsPhasesApart: a run of three steps reports each step as a
// phase that holds exactly the requests intended in it; explicit windows
// replace the segments, and Phases() with none turns them off.
func TestRunKeepsPhasesApart(t *testing.T) {
	// Not parallel: the package's timing tests run alone after it.
	srv := startOrigin(t, origin.Config{})
	sched := Steps(400*time.Millisecond, 20, 40, 10)
	for _, tt := range []struct {
		name   string
		phases []Option
		want   []string
	}{
		{"segments", nil, []string{"1 · 20/s", "2 · 40/s", "3 · 10/s"}},
		{"explicit", []Option{Phases(phaseWindow("warm-up", "warm-up", 0, 400*time.Millisecond), phaseWindow("rest", "steady", 400*time.Millisecond, 1200*time.Millisecond))}, []string{"warm-up", "rest"}},
		{"none", []Option{Phases()}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			opts := append(originOpts(t, srv, "chain.valid"), Pops(2), Arrival(sched))
			e, err := New(append(opts, tt.phases...)...)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := e.Run(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			s := rep.Summary
			var names []string
			var requests, scheduled int64
			for i, p := range s.Phases {
				names = append(names, p.Name)
				requests += p.Requests
				scheduled += p.Scheduled
				w := rep.Config.Phases[i]
				if want := sched.Before(time.Duration(w.End)) - sched.Before(time.Duration(w.Start)); p.Scheduled != want {
					t.Errorf("phase %s: %d scheduled, want %d", p.Name, p.Scheduled, want)
				}
				if p.Requests != rep.Phases[i].Requests || p.Latency.Count != p.Requests {
					t.Errorf("phase %s: %d requests, %d latencies; stats say %d", p.Name, p.Requests, p.Latency.Count, rep.Phases[i].Requests)
				}
			}
			if !slices.Equal(names, tt.want) {
				t.Fatalf("phases %v, want %v", names, tt.want)
			}
			if len(names) > 0 && (requests != s.Requests || scheduled != s.Scheduled) {
				t.Errorf("phases hold %d of %d requests, %d of %d scheduled", requests, s.Requests, scheduled, s.Scheduled)
			}
		})
	}
}

package loadgen

import (
	"encoding/json"
	"math"
	"testing"
	"time"
)

func TestScheduleIntendedAndCount(t *testing.T) {
	tests := []struct {
		name         string
		s            Schedule
		wantRequests int64
		wantDur      time.Duration
		// intended send time of chosen sequence numbers
		at map[uint64]time.Duration
	}{
		{
			name: "constant", s: Constant(100, 2*time.Second), wantRequests: 200, wantDur: 2 * time.Second,
			at: map[uint64]time.Duration{0: 0, 1: 10 * time.Millisecond, 150: 1500 * time.Millisecond, 199: 1990 * time.Millisecond},
		},
		{
			// Rate 0→100/s over 2 s: cumulative 25·t², so request n is due at sqrt(n/25).
			name: "ramp", s: Ramp(0, 100, 2*time.Second), wantRequests: 100, wantDur: 2 * time.Second,
			at: map[uint64]time.Duration{0: 0, 25: time.Second, 64: 1600 * time.Millisecond, 99: time.Duration(math.Sqrt(99.0/25) * float64(time.Second))},
		},
		{
			name: "steps", s: Steps(time.Second, 10, 100), wantRequests: 110, wantDur: 2 * time.Second,
			at: map[uint64]time.Duration{9: 900 * time.Millisecond, 10: time.Second, 60: 1500 * time.Millisecond},
		},
		{
			// Bursts of 5 requests (50/s for 100 ms), then 1 s of silence.
			name: "idle gaps", s: IdleGaps(50, 100*time.Millisecond, time.Second, 2300*time.Millisecond), wantRequests: 15, wantDur: 2300 * time.Millisecond,
			at: map[uint64]time.Duration{0: 0, 4: 80 * time.Millisecond, 5: 1100 * time.Millisecond, 10: 2200 * time.Millisecond, 14: 2280 * time.Millisecond},
		},
		{
			// A gap first: nothing is due before the first burst.
			name: "gap first", s: Custom(Segment{Duration: Duration(time.Second)}, Segment{From: 10, To: 10, Duration: Duration(time.Second)}), wantRequests: 10, wantDur: 2 * time.Second,
			at: map[uint64]time.Duration{0: time.Second, 9: 1900 * time.Millisecond},
		},
		{
			name: "fractional total rounds up", s: Constant(2.5, time.Second), wantRequests: 3, wantDur: time.Second,
			at: map[uint64]time.Duration{2: 800 * time.Millisecond},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.s.Validate(); err != nil {
				t.Fatal(err)
			}
			if got := tt.s.Requests(); got != tt.wantRequests {
				t.Errorf("Requests() = %d, want %d", got, tt.wantRequests)
			}
			if got := tt.s.Duration(); got != tt.wantDur {
				t.Errorf("Duration() = %v, want %v", got, tt.wantDur)
			}
			for n, want := range tt.at {
				got, ok := tt.s.Intended(n)
				if !ok || absDur(got-want) > time.Microsecond {
					t.Errorf("Intended(%d) = %v, %v; want %v, true", n, got, ok, want)
				}
			}
			if _, ok := tt.s.Intended(uint64(tt.wantRequests)); ok {
				t.Errorf("Intended(%d) is due; the schedule has only %d requests", tt.wantRequests, tt.wantRequests)
			}
			// Intended times never go backwards.
			prev := time.Duration(-1)
			for n := uint64(0); n < uint64(tt.wantRequests); n++ {
				got, _ := tt.s.Intended(n)
				if got < prev {
					t.Fatalf("Intended(%d) = %v is before Intended(%d) = %v", n, got, n-1, prev)
				}
				prev = got
			}
			// As a pacer: stop after the last request.
			if _, stop := tt.s.Pace(tt.wantDur, uint64(tt.wantRequests)); !stop {
				t.Errorf("Pace after the last request does not stop")
			}
		})
	}
}

func TestSchedulePace(t *testing.T) {
	s := Constant(10, time.Second)
	tests := []struct {
		elapsed  time.Duration
		hits     uint64
		wantWait time.Duration
		wantStop bool
	}{
		{0, 0, 0, false},
		{0, 1, 100 * time.Millisecond, false},
		{150 * time.Millisecond, 1, 0, false}, // behind: send now
		{150 * time.Millisecond, 2, 50 * time.Millisecond, false},
		{time.Second, 10, 0, true},
	}
	for _, tt := range tests {
		wait, stop := s.Pace(tt.elapsed, tt.hits)
		if absDur(wait-tt.wantWait) > time.Microsecond || stop != tt.wantStop {
			t.Errorf("Pace(%v, %d) = %v, %v; want %v, %v", tt.elapsed, tt.hits, wait, stop, tt.wantWait, tt.wantStop)
		}
	}
	if got := Ramp(0, 100, time.Second).Rate(500 * time.Millisecond); math.Abs(got-50) > 1e-9 {
		t.Errorf("ramp Rate(500ms) = %v, want 50", got)
	}
}

func TestScheduleValidateAndJSON(t *testing.T) {
	bad := []Schedule{
		{},
		Constant(0, time.Second),
		Constant(-1, time.Second),
		Constant(10, 0),
		Constant(math.NaN(), time.Second),
		Custom(Segment{Duration: Duration(time.Second)}),
	}
	for i, s := range bad {
		if err := s.Validate(); err == nil {
			t.Errorf("bad schedule %d (%+v) validated", i, s.Segments)
		}
	}
	s := Steps(500*time.Millisecond, 10, 20, 30)
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back Schedule
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Requests() != s.Requests() || back.Duration() != s.Duration() || back.Model != "steps" {
		t.Errorf("round trip: %d requests over %v (%s), want %d over %v (steps)", back.Requests(), back.Duration(), back.Model, s.Requests(), s.Duration())
	}
	if got, want := s.Scale(0.5).Requests(), int64(15); got != want {
		t.Errorf("Scale(0.5).Requests() = %d, want %d", got, want)
	}
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// TestShardsInterleave: N shards of a schedule together send exactly the
// whole schedule's requests at the whole schedule's times, each run-wide
// sequence number once (so the shards' arrivals interleave).
func TestShardsInterleave(t *testing.T) {
	whole := Custom(Segment{From: 10, To: 10, Duration: Duration(time.Second)}, Segment{Duration: Duration(time.Second)}, Segment{From: 5, To: 45, Duration: Duration(2 * time.Second)})
	for _, n := range []int{1, 2, 3, 7} {
		seen := map[uint64]time.Duration{}
		var total int64
		for i := 1; i <= n; i++ {
			sh := whole.OfShard(i, n)
			if err := sh.Validate(); err != nil {
				t.Fatalf("%d/%d: %v", i, n, err)
			}
			total += sh.Requests()
			for k := uint64(0); ; k++ {
				at, ok := sh.Intended(k)
				if !ok {
					if int64(k) != sh.Requests() {
						t.Errorf("%d/%d: %d intended times, Requests() = %d", i, n, k, sh.Requests())
					}
					break
				}
				g := sh.Global(k)
				if _, dup := seen[g]; dup {
					t.Fatalf("%d/%d: request %d sent twice", i, n, g)
				}
				seen[g] = at
			}
			if r := sh.Rate(500 * time.Millisecond); math.Abs(r-10/float64(n)) > 1e-9 {
				t.Errorf("%d/%d: rate %v, want %v", i, n, r, 10/float64(n))
			}
		}
		if total != whole.Requests() || int64(len(seen)) != whole.Requests() {
			t.Fatalf("%d shards: %d requests (%d distinct), whole schedule %d", n, total, len(seen), whole.Requests())
		}
		for g, at := range seen {
			if want, _ := whole.Intended(g); at != want {
				t.Fatalf("%d shards: request %d at %v, whole schedule %v", n, g, at, want)
			}
		}
	}
	if err := Constant(1, 2*time.Second).OfShard(3, 3).Validate(); err == nil {
		t.Error("a shard that sends nothing validated")
	}
	var back Schedule
	data, _ := json.Marshal(whole.OfShard(2, 3))
	if err := json.Unmarshal(data, &back); err != nil || back.Requests() != whole.OfShard(2, 3).Requests() || back.Global(1) != 4 {
		t.Errorf("round trip: %v, %d requests, global(1) = %d", err, back.Requests(), back.Global(1))
	}
}

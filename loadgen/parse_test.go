package loadgen

import (
	"testing"
	"time"
)

func TestParseRateAndArrival(t *testing.T) {
	rates := []struct {
		in   string
		want float64
	}{
		{"50", 50}, {"100/1s", 100}, {"10/100ms", 100}, {"1/2s", 0.5}, {"2.5", 2.5},
	}
	for _, tt := range rates {
		got, err := ParseRate(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseRate(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "0", "-1", "x/1s", "10/0s", "10/", "1e9"} {
		if _, err := ParseRate(bad); err == nil {
			t.Errorf("ParseRate(%q) accepted", bad)
		}
	}
	arrivals := []struct {
		in           string
		wantRequests int64
	}{
		{"constant", 100}, {"ramp:0", 50}, {"steps:10,30", 40}, {"idle-gaps:500ms,1500ms", 25},
	}
	for _, tt := range arrivals {
		s, err := ParseArrival(tt.in, 50, 2*time.Second)
		if err != nil || s.Requests() != tt.wantRequests {
			t.Errorf("ParseArrival(%q) = %d requests, %v; want %d", tt.in, s.Requests(), err, tt.wantRequests)
		}
	}
	for _, bad := range []string{"sine", "constant:1", "ramp:x", "steps:", "steps:1,x", "idle-gaps:1s", "idle-gaps:0s,1s"} {
		if _, err := ParseArrival(bad, 50, time.Second); err == nil {
			t.Errorf("ParseArrival(%q) accepted", bad)
		}
	}
}

func TestParseShard(t *testing.T) {
	for _, tt := range []struct {
		in   string
		i, n int
	}{{"1/1", 1, 1}, {"2/3", 2, 3}, {"10/10", 10, 10}} {
		i, n, err := ParseShard(tt.in)
		if err != nil || i != tt.i || n != tt.n {
			t.Errorf("ParseShard(%q) = %d, %d, %v; want %d, %d", tt.in, i, n, err, tt.i, tt.n)
		}
	}
	for _, bad := range []string{"", "1", "0/1", "2/1", "1/0", "a/b", "1/2/3", "-1/2"} {
		if _, _, err := ParseShard(bad); err == nil {
			t.Errorf("ParseShard(%q) accepted", bad)
		}
	}
}

// TestParseRefusesUnusableRates: a rate that is not a number, infinite, or
// above MaxRate once divided by its period is refused, not run.
func TestParseRefusesUnusableRates(t *testing.T) {
	for _, bad := range []string{"NaN", "Inf", "+Inf", "1e7/1ns", "5e-324/1h", "10000001"} {
		if r, err := ParseRate(bad); err == nil {
			t.Errorf("ParseRate(%q) = %v accepted", bad, r)
		}
	}
	for _, bad := range []string{"ramp:NaN", "ramp:Inf", "ramp:1e8", "steps:10,NaN", "steps:1e308"} {
		if s, err := ParseArrival(bad, 50, time.Second); err == nil {
			t.Errorf("ParseArrival(%q) = %v accepted", bad, s)
		}
	}
	if err := Custom(Segment{From: 1e300, To: 1e300, Duration: Duration(time.Second)}).Validate(); err == nil {
		t.Error("a schedule of 1e300 requests per second validates")
	}
}

package reports

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

func TestReadSeries(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	line := func(off time.Duration, code int, class string) string {
		ts := t0.Add(off).Format(time.RFC3339Nano)
		return fmt.Sprintf(`{"timestamp":%q,"intended":%q,"latency":2000000,"latency_corrected":3000000,"code":%d,"error":"","error_class":%q}`, ts, ts, code, class)
	}
	many := func(n int) string {
		var b strings.Builder
		for i := range n {
			b.WriteString(line(time.Duration(i)*time.Millisecond, 200, "") + "\n")
		}
		return b.String()
	}
	tests := []struct {
		name       string
		in         string
		span       time.Duration
		wantSent   float64 // total requests counted
		wantBucket int
		wantErrs   map[string]float64
		wantErr    string
	}{
		{name: "empty", in: "", span: 3 * time.Second, wantBucket: 60},
		{name: "one request", in: line(0, 200, "") + "\n", span: time.Second, wantSent: 1, wantBucket: 50},
		{name: "chunks across workers", in: many(10_000), span: 10 * time.Second, wantSent: 10_000, wantBucket: 50},
		{name: "errors by class", in: line(0, 0, "tls_alert:bad_certificate") + "\n" + line(time.Second, 503, "") + "\n", span: 2 * time.Second,
			wantSent: 2, wantBucket: 40, wantErrs: map[string]float64{"tls_alert:bad_certificate": 1, "http_503": 1}},
		{name: "long run stays bounded", in: line(0, 200, "") + "\n" + line(10*time.Hour, 200, "") + "\n", span: 10 * time.Hour, wantSent: 2, wantBucket: maxBuckets},
		{name: "bad line named", in: many(3000) + "{not json\n", span: 3 * time.Second, wantErr: "results line 3001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ReadSeries(strings.NewReader(tt.in), t0, tt.span)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := len(s.T); got != tt.wantBucket {
				t.Errorf("buckets = %d, want %d", got, tt.wantBucket)
			}
			var sent, asked float64
			for i := range s.Sent {
				sent += s.Sent[i] * s.BucketS
				asked += s.Asked[i] * s.BucketS
			}
			sent, asked = math.Round(sent), math.Round(asked)
			if sent != tt.wantSent || asked != tt.wantSent {
				t.Errorf("sent %v, asked %v, want %v", sent, asked, tt.wantSent)
			}
			for class, want := range tt.wantErrs {
				var got float64
				for _, v := range s.Errors[class] {
					got += v
				}
				if got != want {
					t.Errorf("errors %s = %v, want %v", class, got, want)
				}
			}
			if len(s.Errors) != len(tt.wantErrs) {
				t.Errorf("error classes %v, want %v", s.Errors, tt.wantErrs)
			}
			if tt.wantSent > 0 && s.Total[0] != 3 {
				t.Errorf("first bucket mean total = %v ms, want 3 (from the intended send)", s.Total[0])
			}
		})
	}
}

func TestBucketWidth(t *testing.T) {
	tests := []struct {
		span, want time.Duration
	}{
		{time.Second, 20 * time.Millisecond},
		{2 * time.Second, 50 * time.Millisecond},
		{30 * time.Second, 500 * time.Millisecond},
		{5 * time.Minute, time.Second},
		{10 * time.Minute, time.Second},
		{30 * time.Minute, 5 * time.Second},
		{24 * time.Hour, 5 * time.Minute},
		{1000 * time.Hour, 2 * time.Hour},
	}
	for _, tt := range tests {
		got := bucketWidth(tt.span)
		if got != tt.want {
			t.Errorf("bucketWidth(%v) = %v, want %v", tt.span, got, tt.want)
		}
		if n := (tt.span + got - 1) / got; n > maxBuckets {
			t.Errorf("bucketWidth(%v): %d buckets, want <= %d", tt.span, n, maxBuckets)
		}
	}
}

package loadgen

import (
	"testing"
	"time"
)

// BenchmarkSeriesAdd: what the series costs a request the engine takes,
// half of them failed (an origin that refuses the certificate).
func BenchmarkSeriesAdd(b *testing.B) {
	start := time.Unix(1700000000, 0)
	r := NewSeriesBuilder(start, time.Second, 60, 5*time.Second)
	ok := Sample{Timestamp: start.Add(time.Second), Intended: start.Add(time.Second), Latency: int64(time.Millisecond), Code: 200, ConnID: 1, ConnReused: true}
	bad := Sample{Timestamp: start.Add(2 * time.Second), Latency: int64(time.Millisecond), Error: "remote error: tls: bad certificate", ErrorClass: string(ErrTLS), Pop: 1}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if i%2 == 0 {
			r.Add(&ok)
		} else {
			r.Add(&bad)
		}
	}
}

package latency

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// FuzzLogReader reads latency.hlog as report and merge do: whatever the
// bytes, intervals come back with a key that round-trips, or an error.
func FuzzLogReader(f *testing.F) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 250e6, time.UTC)
	keys := []Key{{Phase: PhaseTotal, Pop: 0}, {Phase: PhaseCorrected, Pop: 3}, {Phase: "send_lag", Pop: AllPops}}
	log := writeLog(f, start, "fuzz seed", keys, func(i int, h *Histogram) {
		for j := 0; j <= 3*i; j++ {
			h.Record(time.Duration(j+1) * 7 * time.Millisecond)
		}
	})
	f.Add(log)
	lines := strings.SplitAfter(string(log), "\n")
	f.Add([]byte(lines[len(lines)-2]))
	f.Add([]byte("Tag=total.pop0,0.000,1.000,1.000,HISTFAKE\n"))
	f.Add([]byte("#[BaseTime: -1e309]\nTag=.all,1e308,-1,NaN,\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lr := NewLogReader(bytes.NewReader(data))
		all := New()
		for n := 0; n < 64; n++ {
			iv, ok, err := lr.Next()
			if err != nil || !ok {
				return
			}
			if back, err := ParseTag(iv.Key.Tag()); err != nil || back != iv.Key {
				t.Fatalf("interval %d: key %+v does not round-trip: %+v, %v", n+1, iv.Key, back, err)
			}
			_ = iv.Histogram.Percentiles()
			all.Merge(iv.Histogram)
		}
		_ = all.Percentiles()
	})
}

func FuzzParseTag(f *testing.F) {
	for _, s := range []string{"total.pop0", "total_corrected.all", "a.b.pop12", ".all", "x.pop-1", "x.pop01", "x.pop99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tag string) {
		k, err := ParseTag(tag)
		if err != nil {
			return
		}
		if k.Phase == "" || k.Pop < AllPops || k.Tag() != tag {
			t.Fatalf("ParseTag(%q) = %+v (tag %q)", tag, k, k.Tag())
		}
	})
}

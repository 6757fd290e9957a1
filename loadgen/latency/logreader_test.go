package latency

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// writeLog writes an interval log that starts at start: interval i is
// keys[i] over the i-th second, holding what fill records into it.
func writeLog(tb testing.TB, start time.Time, comment string, keys []Key, fill func(i int, h *Histogram)) []byte {
	tb.Helper()
	var buf bytes.Buffer
	lw, err := NewLogWriter(&buf, start, comment)
	if err != nil {
		tb.Fatal(err)
	}
	for i, k := range keys {
		h := New()
		fill(i, h)
		from := start.Add(time.Duration(i) * time.Second)
		if err := lw.Write(k.Tag(), h, from, from.Add(time.Second)); err != nil {
			tb.Fatal(err)
		}
	}
	return buf.Bytes()
}

func TestLogReaderStreamsWhatReadLogReads(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 250e6, time.UTC)
	keys := []Key{{Phase: PhaseTotal, Pop: 0}, {Phase: PhaseTotal, Pop: 7}, {Phase: "send_lag", Pop: AllPops}}
	log := writeLog(t, start, "test", keys, func(i int, h *Histogram) {
		for j := 0; j <= i; j++ {
			h.Record(time.Duration(j+1) * time.Millisecond)
		}
	})
	want, err := ReadLog(bytes.NewReader(log))
	if err != nil {
		t.Fatal(err)
	}
	lr := NewLogReader(bytes.NewReader(log))
	var got []Interval
	for {
		iv, ok, err := lr.Next()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		got = append(got, iv)
	}
	if len(got) != len(keys) || len(want) != len(keys) {
		t.Fatalf("LogReader read %d intervals, ReadLog %d, want %d", len(got), len(want), len(keys))
	}
	for i := range got {
		if got[i].Key != keys[i] || !got[i].Start.Equal(want[i].Start) || got[i].Histogram.Count() != int64(i+1) {
			t.Errorf("interval %d = %v from %v, %d values; want %v from %v, %d values", i, got[i].Key, got[i].Start, got[i].Histogram.Count(), keys[i], want[i].Start, i+1)
		}
	}

	bad := NewLogReader(strings.NewReader("Tag=nope,0.000,1.000,1.000,HISTFAKE\n"))
	if _, ok, err := bad.Next(); err == nil || ok {
		t.Errorf("a malformed interval: ok %v, err %v; want an error", ok, err)
	}
}

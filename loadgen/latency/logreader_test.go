package latency

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestLogReaderStreamsWhatReadLogReads(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 250e6, time.UTC)
	var buf bytes.Buffer
	lw, err := NewLogWriter(&buf, start, "test")
	if err != nil {
		t.Fatal(err)
	}
	keys := []Key{{Phase: PhaseTotal, Pop: 0}, {Phase: PhaseTotal, Pop: 7}, {Phase: "send_lag", Pop: AllPops}}
	for i, k := range keys {
		h := New()
		for j := 0; j <= i; j++ {
			h.Record(time.Duration(j+1) * time.Millisecond)
		}
		from := start.Add(time.Duration(i) * time.Second)
		if err := lw.Write(k.Tag(), h, from, from.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	want, err := ReadLog(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	lr := NewLogReader(bytes.NewReader(buf.Bytes()))
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

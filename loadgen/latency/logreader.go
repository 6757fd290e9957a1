package latency

import (
	"fmt"
	"io"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// LogReader reads the interval histograms of a log one at a time, so a
// long run's log never has to fit in memory (ReadLog reads them all).
type LogReader struct {
	r *hdrhistogram.HistogramLogReader
	n int
}

// NewLogReader reads a log written by LogWriter.
func NewLogReader(r io.Reader) *LogReader {
	return &LogReader{r: hdrhistogram.NewHistogramLogReader(r)}
}

// Next returns the next interval; ok is false at the end of the log.
func (lr *LogReader) Next() (iv Interval, ok bool, err error) {
	lr.n++
	hh, err := lr.r.NextIntervalHistogram()
	if err != nil {
		return Interval{}, false, fmt.Errorf("latency: read log interval %d: %w", lr.n, err)
	}
	if hh == nil {
		return Interval{}, false, nil
	}
	k, err := ParseTag(hh.Tag())
	if err != nil {
		return Interval{}, false, err
	}
	return Interval{Key: k, Start: time.UnixMilli(hh.StartTimeMs()), End: time.UnixMilli(hh.EndTimeMs()), Histogram: FromHDR(hh)}, true, nil
}

package latency

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Phases of a request's total latency: from the actual send, and from the
// send time the schedule intended (wrk2 style), which keeps coordinated
// omission visible when the generator or the origin falls behind.
const (
	PhaseTotal     = "total"
	PhaseCorrected = "total_corrected"
)

// RecordTotal records a request's latency both from its actual send and
// from its intended send time (never before the actual send).
func (s *Set) RecordTotal(pop int, intended, sent, end time.Time) {
	RecordTotal(s.Recorder(PhaseTotal, pop), s.Recorder(PhaseCorrected, pop), intended, sent, end)
}

// RecordTotal records into recorder handles: total from the actual send,
// corrected from the intended send (never before the actual send).
func RecordTotal(total, corrected *Recorder, intended, sent, end time.Time) {
	total.Record(end.Sub(sent))
	if intended.After(sent) {
		intended = sent
	}
	corrected.Record(end.Sub(intended))
}

// LogWriter writes interval histograms to an HdrHistogram log (format
// version 1.3, as hdrhistogram-go and the Java HdrHistogram tools read it).
// Interval timestamps are seconds relative to the log's base time, which is
// the start time rounded down to a whole second (the BaseTime header carries
// whole seconds only).
//
// Interval histograms are encoded here rather than by hdrhistogram-go's
// writer, which builds a new best-compression zlib writer (about a megabyte
// of state) for every histogram: the payload is the same V2 compressed
// encoding, compressed at zlib's best speed with one reused writer.
type LogWriter struct {
	w    io.Writer
	base int64 // ms since the epoch
	enc  encoder
	line []byte
}

// NewLogWriter writes the log's header: format version, start time, base
// time, an optional comment and the legend.
func NewLogWriter(w io.Writer, start time.Time, comment string) (*LogWriter, error) {
	startMs := start.UnixMilli()
	base := startMs - startMs%1000
	hw := hdrhistogram.NewHistogramLogWriter(w)
	hw.SetBaseTime(base)
	lw := &LogWriter{w: w, base: base}
	steps := []func() error{hw.OutputLogFormatVersion}
	if comment != "" {
		steps = append(steps, func() error {
			return hw.OutputComment(" " + strings.NewReplacer("\n", " ", "\r", " ").Replace(comment))
		})
	}
	steps = append(steps, func() error { return hw.OutputStartTime(startMs) }, func() error { return hw.OutputBaseTime(base) }, hw.OutputLegend)
	for _, step := range steps {
		// The first failure says it all: the next writes would fail alike.
		if err := step(); err != nil {
			return nil, fmt.Errorf("latency: write log header: %w", err)
		}
	}
	return lw, nil
}

// Write writes h as the interval [from, to) under tag (no commas, spaces
// or line breaks), in the log format hdrhistogram-go writes:
// "Tag=T,start,length,max_ms,payload".
func (lw *LogWriter) Write(tag string, h *Histogram, from, to time.Time) error {
	if strings.ContainsAny(tag, ", \r\n") {
		return fmt.Errorf("latency: tag %q contains a comma, space or line break", tag)
	}
	payload, err := lw.enc.encode(h.h)
	if err != nil {
		return fmt.Errorf("latency: encode interval %s: %w", tag, err)
	}
	start := float64(from.UnixMilli()-lw.base) / 1000
	length := float64(to.UnixMilli()-from.UnixMilli()) / 1000
	b := lw.line[:0]
	if tag != "" {
		b = append(b, "Tag="...)
		b = append(b, tag...)
		b = append(b, ',')
	}
	b = strconv.AppendFloat(b, start, 'f', 3, 64)
	b = append(b, ',')
	b = strconv.AppendFloat(b, length, 'f', 3, 64)
	b = append(b, ',')
	b = strconv.AppendFloat(b, float64(h.h.Max())/hdrhistogram.MsToNsRatio, 'f', 3, 64)
	b = append(b, ',')
	b = append(b, payload...)
	b = append(b, '\n')
	lw.line = b
	if _, err := lw.w.Write(b); err != nil {
		return fmt.Errorf("latency: write interval %s: %w", tag, err)
	}
	return nil
}

// Interval is one interval histogram read back from a log.
type Interval struct {
	Key        Key
	Start, End time.Time
	Histogram  *Histogram
}

// ReadLog reads every interval histogram of an HdrHistogram log written by
// LogWriter (tags must be Key tags).
func ReadLog(r io.Reader) ([]Interval, error) {
	lr := hdrhistogram.NewHistogramLogReader(r)
	var out []Interval
	for i := 0; ; i++ {
		hh, err := lr.NextIntervalHistogram()
		if err != nil {
			return out, fmt.Errorf("latency: read log interval %d: %w", i+1, err)
		}
		if hh == nil {
			return out, nil
		}
		k, err := ParseTag(hh.Tag())
		if err != nil {
			return out, err
		}
		out = append(out, Interval{
			Key:       k,
			Start:     time.UnixMilli(hh.StartTimeMs()),
			End:       time.UnixMilli(hh.EndTimeMs()),
			Histogram: FromHDR(hh),
		})
	}
}

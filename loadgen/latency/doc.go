// Package latency records per-phase latencies in HdrHistograms (one owner
// goroutine per histogram, merged at the end), clamps and counts values above
// the range, and streams interval histograms to an HdrHistogram log.
package latency

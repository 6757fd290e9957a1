package reports

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/originproof/originproof/checks"
	"github.com/originproof/originproof/loadgen"
)

// WriteText prints the short text summary of a run whose outputs are in
// out: the verdict, how the origin asks for certificates, every check that
// did not pass, the warnings and the thresholds.
func WriteText(w io.Writer, sum *Summary, out string) {
	fmt.Fprintf(w, "%s: %s\n", strings.ToUpper(string(sum.Verdict)), sum.Target)
	if sum.Verdict == checks.VerdictInconclusive {
		fmt.Fprintf(w, "  %s\n", sum.VerdictReason)
	}
	if sum.ClientAuth != "" {
		skew := "unknown"
		if sum.ClockSkewS != nil {
			skew = fmt.Sprintf("%.1fs", *sum.ClockSkewS)
		}
		fmt.Fprintf(w, "  client certificate %s, enforced at %s; origin clock skew %s\n", sum.ClientAuth, sum.ClientAuthEnforcedAt, skew)
	}
	for _, c := range sum.Checks {
		if c.Status == checks.StatusPass || (c.Status == checks.StatusSkip && c.ID != "chain.valid") {
			continue
		}
		fmt.Fprintf(w, "  %-5s %-34s %-6s %s\n", c.Status, c.ID, c.Severity, c.Observed)
	}
	for _, warn := range sum.Warnings {
		fmt.Fprintf(w, "  warning: %s\n", warn)
	}
	n := sum.Count()
	fmt.Fprintf(w, "  %d pass, %d fail, %d warn, %d skip, %d error\n", n[checks.StatusPass], n[checks.StatusFail], n[checks.StatusWarn], n[checks.StatusSkip], n[checks.StatusError])
	for _, t := range sum.Thresholds {
		mark := "held"
		if !t.Held {
			mark = "BREACHED"
		}
		phase := t.Phase
		if phase == "" {
			phase = "whole run"
		}
		fmt.Fprintf(w, "  threshold %-18s %-14s %-9s %s (limit %s)\n", t.Name, phase, mark, t.Observed, t.Limit)
	}
	fmt.Fprintf(w, "  wrote %s, %s, %s, %s\n", filepath.Join(out, "summary.json"), filepath.Join(out, "summary.md"), filepath.Join(out, "junit.xml"), filepath.Join(out, "report.html"))
}

// LoadLine is a load run's one-line result; what prefixes the counts
// (e.g. "2 shards, ").
func LoadLine(sum *Summary, what string) string {
	s := sum.Load
	return fmt.Sprintf("%s: %s%d requests (%.1f/s of %.1f/s asked), %d errors, p99 %.2f ms (from intended send %.2f ms), %d connections, %d full + %d resumed handshakes, reuse %.0f%%",
		sum.Verdict, what, s.Requests, s.RateAchieved, s.RateAsked, s.Errors, s.Latency[loadgen.PhaseTotal].P99, s.Latency[loadgen.PhaseCorrected].P99,
		s.Connections, s.Handshakes.Full, s.Handshakes.Resumed, 100*s.ReuseRatio)
}

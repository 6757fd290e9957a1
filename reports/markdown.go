package reports

import (
	"bufio"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"

	"github.com/originproof/originproof/checks"
	"github.com/originproof/originproof/loadgen"
)

// summary.md is the run in compact Markdown for a CI job page (a GitHub
// job summary, a GitLab merge-request note): the verdict, every failed and
// warned check with its fix (and the origin server's setting when known),
// the thresholds, and the key latencies per phase. Everything the origin
// controls is escaped: it cannot add links, markup or table cells.

// WriteSummary writes summary.json and summary.md into dir.
func WriteSummary(dir string, s *Summary) error {
	for name, write := range map[string]func(string) error{"summary.json": s.WriteFile, "summary.md": s.WriteMarkdownFile} {
		if err := write(filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("write %s: %w", filepath.Join(dir, name), err)
		}
	}
	return nil
}

// WriteMarkdownFile writes summary.md atomically.
func (s *Summary) WriteMarkdownFile(path string) error {
	return writeAtomic(path, s.WriteMarkdown)
}

var verdictMark = map[checks.Verdict]string{checks.VerdictPass: "✅", checks.VerdictFail: "❌", checks.VerdictInconclusive: "⚠️"}

var statusMark = map[checks.Status]string{checks.StatusFail: "❌", checks.StatusError: "⚠️", checks.StatusWarn: "🟡"}

// WriteMarkdown writes the run as summary.md.
func (s *Summary) WriteMarkdown(w io.Writer) error {
	bw := bufio.NewWriter(w)
	verdict := strings.ToUpper(string(s.Verdict))
	if verdict == "" {
		verdict = "NO VERDICT"
	}
	fmt.Fprintf(bw, "### %s originproof: %s — %s\n\n", or(verdictMark[s.Verdict], "•"), verdict, mdText(s.Target))
	if s.VerdictReason != "" {
		fmt.Fprintf(bw, "%s\n\n", mdText(s.VerdictReason))
	}
	var facts []string
	if s.ClientAuth != "" {
		facts = append(facts, fmt.Sprintf("client certificate %s, enforced at %s", s.ClientAuth, s.ClientAuthEnforcedAt))
	}
	if t := mdServer(s.Server); t != "" {
		facts = append(facts, t)
	}
	if len(s.Checks) > 0 {
		n := s.Count()
		facts = append(facts, fmt.Sprintf("%d pass, %d fail, %d warn, %d skip, %d error", n[checks.StatusPass], n[checks.StatusFail], n[checks.StatusWarn], n[checks.StatusSkip], n[checks.StatusError]))
	}
	if len(facts) > 0 {
		fmt.Fprintf(bw, "%s\n\n", strings.Join(facts, " · "))
	}
	s.markdownFindings(bw)
	s.markdownThresholds(bw)
	s.markdownLoad(bw)
	if len(s.Warnings) > 0 {
		bw.WriteString("**Warnings**\n\n")
		for _, warn := range s.Warnings {
			fmt.Fprintf(bw, "- %s\n", mdText(warn))
		}
		bw.WriteString("\n")
	}
	fmt.Fprintf(bw, "<sub>%s %s", mdText(s.Tool), mdText(s.Version))
	if !s.Started.IsZero() {
		fmt.Fprintf(bw, " · started %s", s.Started.UTC().Format("2006-01-02 15:04:05 MST"))
	}
	if len(s.Checks) > 0 {
		bw.WriteString(" · details in report.html, summary.json and junit.xml</sub>\n")
	} else {
		bw.WriteString(" · details in report.html and summary.json</sub>\n")
	}
	return bw.Flush()
}

func (s *Summary) markdownFindings(w *bufio.Writer) {
	var found []Check
	for _, c := range s.Checks {
		if severityRank(c) < 4 {
			found = append(found, c)
		}
	}
	if len(found) == 0 {
		return
	}
	sort.SliceStable(found, func(a, b int) bool { return severityRank(found[a]) < severityRank(found[b]) })
	unknown := false
	w.WriteString("#### Failed and warned checks\n\n| | check | severity | observed | how to fix |\n|---|---|---|---|---|\n")
	for _, c := range found {
		fix := ""
		if meta, ok := checks.Lookup(c.ID); ok {
			fix = mdText(meta.Fix)
		}
		if f, _ := serverFixes(s.Server, c.ID); f != nil {
			fix += "<br>**" + mdText(f.Server) + "**: " + mdSetting(f.Setting, f.Note)
		}
		fmt.Fprintf(w, "| %s %s | %s | %s | %s | %s |\n", statusMark[c.Status], c.Status, mdCode(c.ID), c.Severity, mdText(c.Observed), fix)
		if _, all := serverFixes(s.Server, c.ID); len(all) > 0 {
			unknown = true
		}
	}
	w.WriteString("\n")
	if unknown {
		w.WriteString("The origin's server is not known: name it with `--server` (nginx, haproxy, apache, caddy) to see its setting beside each check; report.html lists every server's.\n\n")
	}
}

// mdServer says which server's settings the fixes quote and how it is
// known; the header the origin sent is a code span (never a link).
func mdServer(si *ServerInfo) string {
	switch {
	case si == nil:
		return ""
	case si.Name != "" && si.Guessed:
		return fmt.Sprintf("origin server %s (guessed from the Server header %s)", si.Name, mdCode(si.Header))
	case si.Name != "":
		return fmt.Sprintf("origin server %s (given)", si.Name)
	}
	return fmt.Sprintf("origin server header %s: no recipe for it (name one with --server)", mdCode(si.Header))
}

// mdSetting is a server's setting as code spans, one per directive, then its note.
func mdSetting(setting, note string) string {
	var parts []string
	for _, l := range strings.Split(setting, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, mdCode(l))
		}
	}
	if note != "" {
		parts = append(parts, "("+mdText(note)+")")
	}
	return strings.Join(parts, " ")
}

func (s *Summary) markdownThresholds(w *bufio.Writer) {
	if len(s.Thresholds) == 0 {
		return
	}
	w.WriteString("#### Thresholds\n\n| threshold | phase | limit | observed | |\n|---|---|---|---|---|\n")
	for _, t := range s.Thresholds {
		mark := "✅ held"
		if !t.Held {
			mark = "❌ breached"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", mdCode(t.Name), or(mdText(t.Phase), "whole run"), mdText(t.Limit), mdText(t.Observed), mark)
	}
	w.WriteString("\n")
}

func (s *Summary) markdownLoad(w *bufio.Writer) {
	l := s.Load
	if l == nil {
		return
	}
	w.WriteString("#### Load\n\n")
	fmt.Fprintf(w, "%d of %d requests, %.1f/s of %.1f/s asked, %d failed (%.2f%%), %d connections (%d full + %d resumed handshakes), reuse %.1f%%",
		l.Requests, l.Scheduled, l.RateAchieved, l.RateAsked, l.Errors, 100*l.ErrorRate, l.Connections, l.Handshakes.Full, l.Handshakes.Resumed, 100*l.ReuseRatio)
	if l.GeneratorLimited {
		fmt.Fprintf(w, "; **generator limited** (behind by up to %.0f ms: latencies are a lower bound)", l.BehindByMs)
	}
	w.WriteString("\n\n| phase | requests | rate (achieved / asked) | p50 ms | p99 ms | p99.9 ms | handshake p99 ms | new connections | reuse | errors |\n|---|---|---|---|---|---|---|---|---|---|\n")
	for _, p := range l.Phases {
		fmt.Fprintf(w, "| %s | %d of %d | %.1f / %.1f | %.3f | %.3f | %.3f | %s | %d | %.1f%% | %s |\n", mdText(p.Name), p.Requests, p.Scheduled, p.RateAchieved, p.RateAsked,
			p.Latency.P50, p.Latency.P99, p.Latency.P999, handshakeP99(p.Handshake.Count, p.Handshake.P99), p.NewConnections, 100*p.ReuseRatio, or(mdText(loadgen.ClassList(p.ErrorsByClass)), "none"))
	}
	c, hs := l.Latency[loadgen.PhaseCorrected], l.Latency[loadgen.PhaseTLSFull]
	fmt.Fprintf(w, "| **whole run** | %d of %d | %.1f / %.1f | %.3f | %.3f | %.3f | %s | %d | %.1f%% | %s |\n\n", l.Requests, l.Scheduled, l.RateAchieved, l.RateAsked,
		c.P50, c.P99, c.P999, handshakeP99(hs.Count, hs.P99), l.Handshakes.Full+l.Handshakes.Resumed, 100*l.ReuseRatio, or(mdText(loadgen.ClassList(l.ErrorsByClass)), "none"))
	w.WriteString("<sub>Latency from the intended send time; the whole run's handshake p99 is of full handshakes.</sub>\n\n")
}

func handshakeP99(n int64, p99 float64) string {
	if n == 0 {
		return "–"
	}
	return fmt.Sprintf("%.3f", p99)
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// mdReplacer escapes text for a Markdown table cell: no markup, links,
// HTML or cell breaks, on one line.
var mdReplacer = strings.NewReplacer(
	`\`, `\\`, "|", `\|`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "<", "&lt;", ">", "&gt;", "&", "&amp;",
	"#", `\#`, "~", `\~`, "!", `\!`, "\r\n", " ", "\n", " ", "\r", " ")

func mdText(s string) string { return mdReplacer.Replace(s) }

// mdCode is s as a code span in a table cell (a pipe is escaped, which
// GitHub and GitLab allow inside code spans in tables).
func mdCode(s string) string {
	s = strings.NewReplacer("\n", " ", "\r", " ", "|", `\|`).Replace(s)
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}

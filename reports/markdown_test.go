package reports

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/originproof/originproof/checks"
)

// markdown renders a summary as summary.md.
func markdown(t *testing.T, s *Summary) string {
	t.Helper()
	var b strings.Builder
	if err := s.WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestMarkdownGolden: summary.md of a certify run (checks, thresholds,
// phases, the guessed server's settings) and of a load run alone.
func TestMarkdownGolden(t *testing.T) {
	dir := t.TempDir()
	writeRun(t, dir, 2000, 20*time.Second, false)
	certifyRun := readSummary(t, dir)
	loadRun := readSummary(t, dir)
	loadRun.Checks, loadRun.Thresholds, loadRun.Server, loadRun.ClientAuth = nil, nil, nil, ""
	loadRun.Verdict, loadRun.VerdictReason = checks.VerdictFail, "2 of 2000 requests failed (tls_alert:bad_certificate: 2)"
	for name, s := range map[string]*Summary{"summary.golden.md": certifyRun, "summary-load.golden.md": loadRun} {
		t.Run(name, func(t *testing.T) {
			checkGolden(t, name, []byte(markdown(t, s)))
		})
	}
}

// TestMarkdownContents: the verdict, every failed and warned check with
// its fix and the nginx setting, the thresholds and the phases are there;
// WriteOutputs writes summary.md beside summary.json.
func TestMarkdownContents(t *testing.T) {
	dir := t.TempDir()
	writeRun(t, dir, 500, 5*time.Second, false)
	s := readSummary(t, dir)
	if err := WriteSummary(dir, s); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "summary.md"))
	if err != nil {
		t.Fatal(err)
	}
	md := string(data)
	for _, want := range []string{
		"### ❌ originproof: FAIL — https://origin.example.com/",
		"origin server nginx (guessed from the Server header `nginx/1.22.1`)",
		"| `error_rate` | whole run | &lt;= 0.00% | 0.10% | ❌ breached |",
		"| `request_p99` | steady |",
		"| warm-up | 100 of 100 |", "| steady | 200 of 200 |", "| idle-gap-storm | 200 of 200 |", "| **whole run** | 500 of 500 |",
		"generator\\_limited: test warning",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("summary.md lacks %q", want)
		}
	}
	for _, c := range s.Checks {
		row := regexp.MustCompile("(?m)^\\| \\S+ " + string(c.Status) + " \\| `" + regexp.QuoteMeta(c.ID) + "` \\|.*$").FindString(md)
		switch {
		case c.Status == checks.StatusFail || c.Status == checks.StatusWarn || c.Status == checks.StatusError:
			if row == "" {
				t.Errorf("summary.md does not list %s %s", c.Status, c.ID)
				continue
			}
			meta, _ := checks.Lookup(c.ID)
			if !strings.Contains(row, mdText(meta.Fix)) {
				t.Errorf("%s: the row lacks the catalogue's fix: %s", c.ID, row)
			}
			if f, ok := checks.FixFor(checks.Nginx, c.ID); ok && !strings.Contains(row, "**nginx**: "+mdSetting(f.Setting, f.Note)) {
				t.Errorf("%s: the row lacks nginx's setting: %s", c.ID, row)
			}
		case row != "":
			t.Errorf("summary.md lists %s, which is %s", c.ID, c.Status)
		}
	}
	if strings.Contains(md, "The origin's server is not known") {
		t.Error("summary.md says the server is not known, but it was guessed")
	}
	s.Server = nil
	if md := markdown(t, s); !strings.Contains(md, "The origin's server is not known: name it with `--server`") || strings.Contains(md, "**nginx**") {
		t.Error("with the server not known, summary.md should say how to name it and quote no server")
	}
}

// TestMarkdownEscapesTheOrigin: what the origin controls cannot add HTML,
// links or table cells to summary.md.
func TestMarkdownEscapesTheOrigin(t *testing.T) {
	dir := t.TempDir()
	writeRun(t, dir, 200, 2*time.Second, true)
	s := readSummary(t, dir)
	s.Checks[0].Observed = "a | b [x](https://evil.example/) `code` **bold** <b>\nnext line"
	s.Checks[0].Status = checks.StatusFail
	md := markdown(t, s)
	// Code spans show their text literally (the Server header is one).
	text := regexp.MustCompile("`[^`]*`").ReplaceAllString(md, "")
	for _, bad := range []string{"<script", "<img", "<b>", "**bold**", "\\`code\\`"} {
		if strings.Contains(text, bad) {
			t.Errorf("summary.md holds %q unescaped", bad)
		}
	}
	if link := regexp.MustCompile(`(^|[^\\])\]\(`).FindString(md); link != "" {
		t.Errorf("summary.md holds a link: %q", link)
	}
	// Every row of a table has as many cells as its header.
	cells := func(line string) int { return len(regexp.MustCompile(`(^|[^\\])\|`).FindAllString(line, -1)) }
	want := 0
	for _, line := range strings.Split(md, "\n") {
		switch {
		case !strings.HasPrefix(line, "|"):
			want = 0
		case want == 0:
			want = cells(line)
		case cells(line) != want:
			t.Errorf("row has %d cells, want %d: %s", cells(line), want, line)
		}
	}
}

func TestServerFixesInTheView(t *testing.T) {
	tests := []struct {
		name      string
		server    *ServerInfo
		wantFix   string
		wantOther int
		wantText  string
	}{
		{"unknown: every server's setting", nil, "", 4, ""},
		{"header without a recipe", &ServerInfo{Header: "envoy"}, "", 4, `Server header "envoy": no recipe for it`},
		{"given", &ServerInfo{Name: checks.Apache}, "SSLVerifyClient require", 0, "apache (given)"},
		{"guessed", &ServerInfo{Name: checks.Caddy, Header: "Caddy", Guessed: true}, "mode require_and_verify", 0, `caddy (guessed from the Server header "Caddy")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fix, other := serverFixes(tt.server, "client-auth.required")
			if (fix == nil) != (tt.wantFix == "") || (fix != nil && (fix.Setting != tt.wantFix || fix.Guessed != (tt.server.Guessed))) {
				t.Errorf("fix %+v, want setting %q", fix, tt.wantFix)
			}
			if len(other) != tt.wantOther {
				t.Errorf("%d other servers' settings, want %d", len(other), tt.wantOther)
			}
			if got := serverText(tt.server); !strings.HasPrefix(got, tt.wantText) {
				t.Errorf("server text %q, want %q", got, tt.wantText)
			}
		})
	}
}

func TestSetServer(t *testing.T) {
	tests := []struct {
		given  checks.Server
		header string
		want   *ServerInfo
	}{
		{"", "", nil},
		{"", "nginx/1.22.1", &ServerInfo{Header: "nginx/1.22.1", Name: checks.Nginx, Guessed: true}},
		{checks.HAProxy, "nginx/1.22.1", &ServerInfo{Header: "nginx/1.22.1", Name: checks.HAProxy}},
		{checks.Caddy, "", &ServerInfo{Name: checks.Caddy}},
		{"", "envoy", &ServerInfo{Header: "envoy"}},
	}
	for _, tt := range tests {
		s := New("v", "https://o.test/", "o.test")
		s.SetServer(tt.given, tt.header)
		if (s.Server == nil) != (tt.want == nil) || (s.Server != nil && *s.Server != *tt.want) {
			t.Errorf("SetServer(%q, %q) = %+v, want %+v", tt.given, tt.header, s.Server, tt.want)
		}
	}
}

package checks

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestCatalogueWellFormed: ids are unique, prefixed by their group, and
// every check states its rule and its fix.
func TestCatalogueWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range Catalogue {
		if seen[c.ID] {
			t.Errorf("%s is listed twice", c.ID)
		}
		seen[c.ID] = true
		if !strings.HasPrefix(c.ID, c.Group+".") || c.Rule == "" || c.Fix == "" || c.Expected == "" {
			t.Errorf("%s: group %q, expected %q, rule %q, fix %q", c.ID, c.Group, c.Expected, c.Rule, c.Fix)
		}
		switch c.Severity {
		case Must, Should, Info:
		default:
			t.Errorf("%s: severity %q", c.ID, c.Severity)
		}
		if c.MustWith != "" && c.Severity != Should {
			t.Errorf("%s: a policy makes it must, but it is %s already", c.ID, c.Severity)
		}
	}
	for id := range mustWith {
		if !seen[id] {
			t.Errorf("mustWith names %s, which is not in the catalogue", id)
		}
	}
}

// TestDocsInSync: docs/checks.md is generated from the catalogue; a stale
// file fails here.
func TestDocsInSync(t *testing.T) {
	got, err := os.ReadFile("../docs/checks.md")
	if err != nil {
		t.Fatalf("%v (run go generate ./checks)", err)
	}
	if !bytes.Equal(got, Markdown()) {
		t.Fatal("docs/checks.md is out of date with checks/checks.go: run go generate ./checks")
	}
	for _, c := range Catalogue {
		if !bytes.Contains(got, []byte("`"+c.ID+"`")) {
			t.Errorf("docs/checks.md does not list %s", c.ID)
		}
	}
}

func TestJudge(t *testing.T) {
	for _, tt := range []struct {
		finding bool
		sev     Severity
		want    Status
	}{
		{false, Must, StatusPass}, {true, Must, StatusFail}, {true, Should, StatusWarn}, {true, Info, StatusPass}, {false, Should, StatusPass},
	} {
		if got := Judge(tt.finding, tt.sev); got != tt.want {
			t.Errorf("Judge(%v, %s) = %s, want %s", tt.finding, tt.sev, got, tt.want)
		}
	}
}

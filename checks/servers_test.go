package checks

import (
	"os"
	"strings"
	"testing"
)

// recipeSections are the headings of docs/origins.md whose code block is
// each server's recipe.
var recipeSections = map[Server]string{Nginx: "## nginx", HAProxy: "## HAProxy", Apache: "## Apache httpd", Caddy: "## Caddy"}

// recipeBlocks reads the fenced code block of each server's section.
func recipeBlocks(t *testing.T) map[Server][]string {
	t.Helper()
	data, err := os.ReadFile("../docs/origins.md")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	out := map[Server][]string{}
	for s, heading := range recipeSections {
		in, fenced := false, false
		for _, l := range lines {
			switch {
			case strings.HasPrefix(l, "## "):
				in = strings.HasPrefix(l, heading)
			case in && strings.HasPrefix(l, "```"):
				fenced = !fenced
				if !fenced {
					in = false // the first block is the recipe
				}
			case in && fenced:
				out[s] = append(out[s], strings.TrimSpace(l))
			}
		}
		if len(out[s]) == 0 {
			t.Fatalf("docs/origins.md: no recipe block under %q", heading)
		}
	}
	return out
}

// TestServerFixesAreTheRecipes: every directive a fix shows is in that
// server's recipe in docs/origins.md (so the two cannot drift), every fix
// names a catalogue check, and a server has at most one fix per check.
func TestServerFixesAreTheRecipes(t *testing.T) {
	blocks := recipeBlocks(t)
	seen := map[[2]string]bool{}
	for _, f := range AllServerFixes() {
		if _, ok := Lookup(f.Check); !ok {
			t.Errorf("%s: fix for %q, which is not a check", f.Server, f.Check)
		}
		key := [2]string{string(f.Server), f.Check}
		if seen[key] {
			t.Errorf("%s has two fixes for %s", f.Server, f.Check)
		}
		seen[key] = true
		if f.Setting == "" && f.Note == "" {
			t.Errorf("%s %s: neither a setting nor a note", f.Server, f.Check)
		}
		for _, want := range strings.Split(f.Setting, "\n") {
			want = strings.TrimSpace(want)
			if want == "" {
				continue
			}
			found := false
			for _, l := range blocks[f.Server] {
				found = found || strings.Contains(l, want)
			}
			if !found {
				t.Errorf("%s %s: %q is not in the %s recipe of docs/origins.md", f.Server, f.Check, want, f.Server)
			}
		}
	}
}

// TestEveryMatrixFindingHasAServerFix: for every failed or warned check
// of docs/origins.md's matrix (the real servers' planted mistakes), that
// server has a fix or a note.
func TestEveryMatrixFindingHasAServerFix(t *testing.T) {
	data, err := os.ReadFile("../docs/origins.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := 0
	for _, l := range strings.Split(string(data), "\n") {
		cells := strings.Split(l, "|")
		if len(cells) != 11 {
			continue
		}
		server, err := ParseServer(cells[1])
		if err != nil {
			continue // the header and the separator
		}
		rows++
		for _, id := range strings.Fields(cells[7] + " " + cells[8]) {
			if _, ok := FixFor(server, id); !ok {
				t.Errorf("matrix row %s %s: %s has no %s fix", strings.TrimSpace(cells[1]), strings.TrimSpace(cells[2]), id, server)
			}
		}
	}
	if rows < 30 {
		t.Fatalf("read %d matrix rows from docs/origins.md, want the whole matrix", rows)
	}
}

func TestParseAndGuessServer(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Server
	}{{"nginx", Nginx}, {"NGINX", Nginx}, {"apache2", Apache}, {"httpd", Apache}, {" caddy ", Caddy}, {"haproxy", HAProxy}} {
		if got, err := ParseServer(tt.in); err != nil || got != tt.want {
			t.Errorf("ParseServer(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if _, err := ParseServer("envoy"); err == nil || !strings.Contains(err.Error(), "nginx, haproxy, apache, caddy") {
		t.Errorf("ParseServer(envoy) error %v, want the list of servers", err)
	}
	for _, tt := range []struct {
		header string
		want   Server
		ok     bool
	}{
		{"nginx/1.22.1", Nginx, true}, {"nginx", Nginx, true}, {"Apache/2.4.57 (Debian)", Apache, true}, {"Apache", Apache, true},
		{"Caddy", Caddy, true}, {"HAProxy", HAProxy, true}, {"", "", false}, {"cloudflare", "", false}, {"Microsoft-IIS/10.0", "", false},
		{"openresty/1.21.4.1", "", false}, {"nginxx/1.0", "", false},
	} {
		got, ok := GuessServer(tt.header)
		if got != tt.want || ok != tt.ok {
			t.Errorf("GuessServer(%q) = %q, %v; want %q, %v", tt.header, got, ok, tt.want, tt.ok)
		}
	}
}

package checks

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestCatalogueMatchesSpec: every check id SPEC lists is here, and nothing else.
func TestCatalogueMatchesSpec(t *testing.T) {
	spec, err := os.ReadFile("../../shared/SPEC.md")
	if err != nil {
		t.Skip("SPEC.md not beside the repository")
	}
	i := strings.Index(string(spec), "## Conformance catalogue")
	j := strings.Index(string(spec), "## Load model")
	ids := regexp.MustCompile("`([a-z-]+\\.[a-z0-9.-]+)`").FindAllStringSubmatch(string(spec[i:j]), -1)
	want := map[string]bool{}
	for _, m := range ids {
		if _, ok := Lookup(m[1]); !ok {
			t.Errorf("SPEC check %s is not in the catalogue", m[1])
		}
		want[m[1]] = true
	}
	for _, c := range Catalogue {
		if !want[c.ID] {
			t.Errorf("catalogue check %s is not in SPEC", c.ID)
		}
		if !strings.HasPrefix(c.ID, c.Group+".") || c.Rule == "" || c.Fix == "" {
			t.Errorf("%s: group %q, rule %q, fix %q", c.ID, c.Group, c.Rule, c.Fix)
		}
	}
}

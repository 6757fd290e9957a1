package selftest

import (
	"encoding/xml"
	"strings"
	"testing"
)

type jSuites struct {
	Suites []struct {
		Name  string `xml:"name,attr"`
		Cases []struct {
			Name    string `xml:"name,attr"`
			Failure *struct {
				Message string `xml:"message,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			Skipped    *struct{} `xml:"skipped"`
			Properties struct {
				Props []struct {
					Name  string `xml:"name,attr"`
					Value string `xml:"value,attr"`
				} `xml:"property"`
			} `xml:"properties"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

// checkJUnit: one testcase per check id; failures carry what was observed;
// should findings are passed testcases with a property.
func checkJUnit(t *testing.T, data []byte, ids map[string]bool) {
	t.Helper()
	var js jSuites
	if err := xml.Unmarshal(data, &js); err != nil {
		t.Fatalf("junit.xml: %v", err)
	}
	seen := map[string]int{}
	failures := 0
	for _, s := range js.Suites {
		for _, c := range s.Cases {
			seen[c.Name]++
			if c.Failure != nil {
				failures++
				if c.Failure.Message == "" || !strings.Contains(c.Failure.Text, "observed: ") {
					t.Errorf("%s: failure without what was observed", c.Name)
				}
			}
		}
	}
	for id := range ids {
		if seen[id] != 1 {
			t.Errorf("junit.xml has %d testcases for %s, want 1", seen[id], id)
		}
	}
	if len(seen) != len(ids) {
		t.Errorf("junit.xml has %d testcases, summary %d checks", len(seen), len(ids))
	}
	if failures == 0 {
		t.Error("the optional-client-auth origin must show at least one failure in junit.xml")
	}
}

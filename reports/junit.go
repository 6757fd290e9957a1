package reports

import (
	"encoding/xml"
	"fmt"
	"io"

	"github.com/originproof/originproof/checks"
)

// JUnit XML (the de-facto schema CI systems read): one testsuite per check
// group, one testcase per check id, thresholds as a suite of their own. A
// failed must (or threshold) is a <failure> carrying what was observed; a
// must that errored is an <error>; a should finding is a passed testcase
// with a property, never a failure; skipped checks are <skipped>.

type junitSuites struct {
	XMLName xml.Name `xml:"testsuites"`
	Name    string   `xml:"name,attr"`
	junitCounts
	Suites []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name string `xml:"name,attr"`
	junitCounts
	Properties *junitProps     `xml:"properties,omitempty"`
	Cases      []junitTestCase `xml:"testcase"`
}

// junitCounts are the attributes a suite and the whole document both
// carry: the testcases, and how many failed, errored and were skipped.
type junitCounts struct {
	Tests    int     `xml:"tests,attr"`
	Failures int     `xml:"failures,attr"`
	Errors   int     `xml:"errors,attr"`
	Skipped  int     `xml:"skipped,attr"`
	Time     float64 `xml:"time,attr"`
}

func (c *junitCounts) add(o junitCounts) {
	c.Tests += o.Tests
	c.Failures += o.Failures
	c.Errors += o.Errors
	c.Skipped += o.Skipped
	c.Time += o.Time
}

type junitProps struct {
	Props []junitProp `xml:"property"`
}

type junitProp struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitTestCase struct {
	Name       string        `xml:"name,attr"`
	Classname  string        `xml:"classname,attr"`
	Time       float64       `xml:"time,attr"`
	Properties *junitProps   `xml:"properties,omitempty"`
	Failure    *junitProblem `xml:"failure,omitempty"`
	Error      *junitProblem `xml:"error,omitempty"`
	Skipped    *junitSkipped `xml:"skipped,omitempty"`
	SystemOut  string        `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

// WriteJUnit writes the summary as JUnit XML.
func (s *Summary) WriteJUnit(w io.Writer) error {
	out := junitSuites{Name: "originproof " + s.Target}
	var order []string
	byGroup := map[string]*junitSuite{}
	for _, c := range s.Checks {
		su := byGroup[c.Group]
		if su == nil {
			su = &junitSuite{Name: c.Group}
			byGroup[c.Group] = su
			order = append(order, c.Group)
		}
		tc := junitTestCase{Name: c.ID, Classname: "originproof." + c.Group, Time: c.DurationS}
		props := []junitProp{{"severity", string(c.Severity)}, {"status", string(c.Status)}, {"expected", c.Expected}, {"observed", c.Observed}, {"layer", string(c.Layer)}}
		if c.Alert != "" {
			props = append(props, junitProp{"alert", c.Alert})
		}
		text := fmt.Sprintf("expected: %s\nobserved: %s\nlayer: %s\n%s", c.Expected, c.Observed, c.Layer, c.Detail)
		switch c.Status {
		case checks.StatusFail:
			tc.Failure = &junitProblem{Message: c.Observed, Type: string(c.Severity), Text: text}
			su.Failures++
		case checks.StatusError:
			tc.Error = &junitProblem{Message: c.Observed, Type: "error", Text: text}
			su.Errors++
		case checks.StatusSkip:
			tc.Skipped = &junitSkipped{Message: c.Detail}
			su.Skipped++
		case checks.StatusWarn:
			props = append(props, junitProp{"warning", c.Observed})
		}
		tc.Properties = &junitProps{Props: props}
		if c.Detail != "" && tc.Failure == nil && tc.Error == nil {
			tc.SystemOut = c.Detail
		}
		su.Tests++
		su.Time += c.DurationS
		su.Cases = append(su.Cases, tc)
	}
	if len(s.Thresholds) > 0 {
		su := &junitSuite{Name: "thresholds"}
		for _, t := range s.Thresholds {
			name := t.Name
			if t.Phase != "" {
				name = t.Phase + "." + t.Name
			}
			tc := junitTestCase{Name: "threshold." + name, Classname: "originproof.thresholds",
				Properties: &junitProps{Props: []junitProp{{"limit", t.Limit}, {"observed", t.Observed}}}}
			if !t.Held {
				tc.Failure = &junitProblem{Message: fmt.Sprintf("%s, limit %s", t.Observed, t.Limit), Type: "threshold", Text: fmt.Sprintf("limit: %s\nobserved: %s\n", t.Limit, t.Observed)}
				su.Failures++
			}
			su.Tests++
			su.Cases = append(su.Cases, tc)
		}
		byGroup["thresholds"] = su
		order = append(order, "thresholds")
	}
	for _, g := range order {
		su := byGroup[g]
		su.Properties = &junitProps{Props: []junitProp{{"target", s.Target}, {"verdict", string(s.Verdict)}}}
		out.Suites = append(out.Suites, *su)
		out.add(su.junitCounts)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// WriteJUnitFile writes junit.xml atomically.
func (s *Summary) WriteJUnitFile(path string) error {
	return writeAtomic(path, s.WriteJUnit)
}

package kube

import (
	"path/filepath"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"
)

// Recommended labels (kubernetes.io/docs/concepts/overview/working-with-objects/common-labels).
const (
	LabelName      = "app.kubernetes.io/name"
	LabelInstance  = "app.kubernetes.io/instance"
	LabelComponent = "app.kubernetes.io/component"
	LabelPartOf    = "app.kubernetes.io/part-of"
	LabelManagedBy = "app.kubernetes.io/managed-by"
	LabelVersion   = "app.kubernetes.io/version"
)

// Components: the value of LabelComponent on each kind of object.
const (
	ComponentShard    = "shard"
	ComponentMerge    = "merge"
	ComponentScenario = "scenario"
	ComponentInputs   = "inputs"
	ComponentResults  = "results"
)

// Name lengths. A run's name is the Job's, and the Job controller names
// pods <job>-<index>-<5 random> and sets the pod hostname <job>-<index>,
// which must stay a DNS label (63): 30 + 1 + 15 (run time) + suffixes of at
// most 9 ("-scenario") stays under 63, and so does the pod hostname with
// an index of up to 3 digits.
const (
	maxBaseLen = 30
	runStamp   = "20060102-150405"
)

// baseName is the scenario's name (or its file's name) as a DNS-1123 label
// of at most maxBaseLen characters: lower case, every run of other
// characters one '-'.
func baseName(scenarioName, file string) string {
	s := scenarioName
	if s == "" {
		s = strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	}
	b := dnsLabel(s, maxBaseLen)
	if b == "" {
		b = "originproof"
	}
	return b
}

// dnsLabel maps s to [a-z0-9-], collapses dashes, trims them from both
// ends and cuts to max characters.
func dnsLabel(s string, max int) string {
	var sb strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			sb.WriteRune(r)
			dash = false
		case !dash && sb.Len() > 0:
			sb.WriteByte('-')
			dash = true
		}
	}
	out := sb.String()
	if len(out) > max {
		out = out[:max]
	}
	return strings.Trim(out, "-")
}

// runName names one rendered run: the base and the render time (UTC).
func runName(base string, now time.Time) string {
	return base + "-" + now.UTC().Format(runStamp)
}

// labelValue makes s a valid label value ("unknown" when nothing is left).
func labelValue(s string) string {
	var sb strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			sb.WriteRune(r)
		default:
			sb.WriteByte('-')
		}
	}
	out := sb.String()
	if len(out) > validation.LabelValueMaxLength {
		out = out[:validation.LabelValueMaxLength]
	}
	out = strings.TrimFunc(out, func(r rune) bool { return r == '-' || r == '_' || r == '.' })
	if out == "" || len(validation.IsValidLabelValue(out)) > 0 {
		return "unknown"
	}
	return out
}

package checks

import (
	"bytes"
	"fmt"
	"strings"
)

//go:generate go run ./internal/gendoc ../docs/checks.md

// Markdown renders the catalogue as docs/checks.md: per group, every check
// id with its severity, what a conforming origin does, the rule and the fix.
func Markdown() []byte {
	var b bytes.Buffer
	b.WriteString("<!-- Generated from checks/checks.go by `go generate ./checks`; do not edit. -->\n\n")
	b.WriteString("# The conformance catalogue\n\n")
	fmt.Fprintf(&b, "%d checks in %d groups. Check ids are stable: CI pipelines and severity overrides name them.\n", len(Catalogue), len(Groups()))
	b.WriteString("A failed **must** fails the verdict; a failed **should** warns (it fails with `--fail-on warn`);\n")
	b.WriteString("**info** never fails. Policies make some shoulds musts:\n\n")
	for _, p := range Policies {
		fmt.Fprintf(&b, "- `%s` (scenario `policy.%s`): %s\n", p.Flag(), strings.ReplaceAll(string(p), "-", "_"), codeList(MadeMust(p)))
	}
	for _, g := range Groups() {
		fmt.Fprintf(&b, "\n## %s\n\n", g)
		b.WriteString("| check | severity | a conforming origin | rule | when it fails |\n|---|---|---|---|---|\n")
		for _, c := range Catalogue {
			if c.Group != g {
				continue
			}
			sev := string(c.Severity)
			if c.MustWith != "" {
				sev += fmt.Sprintf(" (must with `%s`)", c.MustWith.Flag())
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", c.ID, sev, cell(c.Expected), cell(c.Rule), cell(c.Fix))
		}
	}
	return b.Bytes()
}

func codeList(ids []string) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = "`" + id + "`"
	}
	return strings.Join(out, ", ")
}

// cell escapes text for a Markdown table cell.
func cell(s string) string {
	return strings.ReplaceAll(s, "|", `\|`)
}

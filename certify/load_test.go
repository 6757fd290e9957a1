package certify

import (
	"strings"
	"testing"

	"github.com/originproof/originproof/checks"
	"github.com/originproof/originproof/loadgen"
)

func TestRedactArgs(t *testing.T) {
	got := strings.Join(RedactArgs([]string{"originproof", "load", "--header", "X-Origin-Verify: s3cret", "--header=X-A:b", "--path", "/"}), " ")
	want := "originproof load --header X-Origin-Verify:<redacted> --header=X-A:<redacted> --path /"
	if got != want {
		t.Errorf("RedactArgs = %q, want %q", got, want)
	}
}

func TestLoadVerdict(t *testing.T) {
	for _, tt := range []struct {
		name string
		s    loadgen.Summary
		want checks.Verdict
	}{
		{"all served", loadgen.Summary{Requests: 10, Scheduled: 10, Connections: 2}, checks.VerdictPass},
		{"some failed", loadgen.Summary{Requests: 10, Errors: 1, Connections: 2, ErrorsByClass: map[loadgen.ErrorClass]int64{"http_503": 1}}, checks.VerdictFail},
		{"interrupted", loadgen.Summary{Requests: 5, Scheduled: 10, Connections: 1, Interrupted: true}, checks.VerdictInconclusive},
		{"unreachable", loadgen.Summary{Requests: 10, Errors: 10, ErrorsByClass: map[loadgen.ErrorClass]int64{loadgen.ErrConnectRefused: 10}}, checks.VerdictInconclusive},
		{"nothing sent", loadgen.Summary{}, checks.VerdictInconclusive},
	} {
		got, why := LoadVerdict(tt.s)
		if got != tt.want || (got != checks.VerdictPass && why == "") {
			t.Errorf("%s: verdict %s (%q), want %s with a reason", tt.name, got, why, tt.want)
		}
	}
}

package scenarios

import (
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestCIDocs parses the CI examples in docs/ci and checks that each runs
// certify, keeps the report and JUnit whatever the outcome, shows
// summary.md on the CI page whatever the outcome (GitHub's job summary; the
// GitLab job log and a merge-request note), and lets the exit code fail the
// pipeline (no `|| true`, no allow_failure).
func TestCIDocs(t *testing.T) {
	t.Run("github-actions", func(t *testing.T) {
		var wf struct {
			Jobs map[string]struct {
				Steps []struct {
					Name            string            `yaml:"name"`
					If              string            `yaml:"if"`
					Uses            string            `yaml:"uses"`
					Run             string            `yaml:"run"`
					With            map[string]string `yaml:"with"`
					ContinueOnError bool              `yaml:"continue-on-error"`
				} `yaml:"steps"`
			} `yaml:"jobs"`
		}
		readYAML(t, "../docs/ci/github-actions.yml", &wf)
		job, ok := wf.Jobs["certify"]
		if !ok {
			t.Fatal("no certify job")
		}
		var certify, upload, junit, summary bool
		for _, s := range job.Steps {
			if s.If == "always()" && strings.Contains(s.Run, "originproof-out/summary.md >> \"$GITHUB_STEP_SUMMARY\"") {
				summary = true
			}
			if strings.Contains(s.Run, "originproof certify ") && strings.Contains(s.Run, "--out originproof-out") {
				certify = true
				if s.ContinueOnError || strings.Contains(s.Run, "|| true") {
					t.Error("certify step must fail the job on a non-zero exit")
				}
			}
			if strings.HasPrefix(s.Uses, "actions/upload-artifact@") && s.If == "always()" && strings.Contains(s.With["path"], "report.html") && strings.Contains(s.With["path"], "junit.xml") {
				upload = true
			}
			if s.If == "always()" && strings.Contains(s.With["report_paths"], "junit.xml") {
				junit = true
			}
		}
		if !certify || !upload || !junit || !summary {
			t.Errorf("certify %v, upload report+junit always %v, publish junit %v, summary.md to the job summary always %v", certify, upload, junit, summary)
		}
	})
	t.Run("gitlab-ci", func(t *testing.T) {
		var jobs map[string]struct {
			Script       []string `yaml:"script"`
			AfterScript  []string `yaml:"after_script"`
			AllowFailure bool     `yaml:"allow_failure"`
			Artifacts    struct {
				When    string   `yaml:"when"`
				Paths   []string `yaml:"paths"`
				Reports struct {
					JUnit string `yaml:"junit"`
				} `yaml:"reports"`
			} `yaml:"artifacts"`
		}
		readYAML(t, "../docs/ci/gitlab-ci.yml", &jobs)
		job, ok := jobs["origin-mtls-gate"]
		if !ok {
			t.Fatal("no origin-mtls-gate job")
		}
		script := strings.Join(job.Script, "\n")
		if !strings.Contains(script, "originproof certify ") || strings.Contains(script, "|| true") || job.AllowFailure {
			t.Errorf("the job must run certify and fail on its exit code: %q allow_failure=%v", script, job.AllowFailure)
		}
		if paths := strings.Join(job.Artifacts.Paths, " "); job.Artifacts.When != "always" || job.Artifacts.Reports.JUnit != "originproof-out/junit.xml" ||
			!strings.Contains(paths, "report.html") || !strings.Contains(paths, "summary.md") {
			t.Errorf("artifacts: %+v", job.Artifacts)
		}
		after := strings.Join(job.AfterScript, "\n")
		if !strings.Contains(after, "cat originproof-out/summary.md") || !strings.Contains(after, "body@originproof-out/summary.md") ||
			!strings.Contains(after, "/merge_requests/$CI_MERGE_REQUEST_IID/notes") {
			t.Errorf("after_script must print summary.md and post it as a merge-request note: %q", after)
		}
	})
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

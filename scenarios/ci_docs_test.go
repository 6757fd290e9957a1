package scenarios

import (
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestCIDocs parses the CI examples in docs/ci and checks that each runs
// certify, keeps the report and JUnit whatever the outcome, and lets the
// exit code fail the pipeline (no `|| true`, no allow_failure).
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
		var certify, upload, junit bool
		for _, s := range job.Steps {
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
		if !certify || !upload || !junit {
			t.Errorf("certify %v, upload report+junit always %v, publish junit %v", certify, upload, junit)
		}
	})
	t.Run("gitlab-ci", func(t *testing.T) {
		var jobs map[string]struct {
			Script       []string `yaml:"script"`
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
		if job.Artifacts.When != "always" || job.Artifacts.Reports.JUnit != "originproof-out/junit.xml" || !strings.Contains(strings.Join(job.Artifacts.Paths, " "), "report.html") {
			t.Errorf("artifacts: %+v", job.Artifacts)
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

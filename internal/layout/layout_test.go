// Package layout_test holds the repository's import rules: which packages
// may import the CLI library, the test framework and the suites, and that
// the facts packages depend on the standard library only (cdn on cloudfront
// besides), as does internal/testcert, which the facts packages' tests use.
package layout_test

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/originproof/originproof"

// TestImportRules checks every package's imports (tests included).
func TestImportRules(t *testing.T) {
	out, err := exec.Command("go", "list", "-test", "-f", `{{.ImportPath}}|{{join .Imports " "}}|{{join .TestImports " "}}|{{join .XTestImports " "}}`, module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		parts := strings.Split(line, "|")
		pkg := strings.TrimPrefix(parts[0], module)
		if strings.Contains(pkg, " [") || strings.HasSuffix(pkg, ".test") {
			continue // go list -test's variants repeat the package
		}
		prod := strings.Fields(parts[1])
		all := append(append(append([]string{}, prod...), strings.Fields(parts[2])...), strings.Fields(parts[3])...)
		checked++
		for _, imp := range prod {
			if strings.HasPrefix(imp, "github.com/spf13/cobra") && !strings.HasPrefix(pkg, "/cmd/") {
				t.Errorf("%s imports %s: only cmd/... may use cobra", pkg, imp)
			}
			if isTestFramework(imp) && !strings.HasPrefix(pkg, "/suites/") {
				t.Errorf("%s imports %s: only suites/... may use Ginkgo or Gomega", pkg, imp)
			}
		}
		for _, imp := range all {
			if strings.HasPrefix(imp, module+"/suites/") && !strings.HasPrefix(pkg, "/suites/") && !strings.HasPrefix(pkg, "/cmd/") && pkg != "/certify" {
				t.Errorf("%s imports %s: only cmd/ and certify/ may import the suites", pkg, imp)
			}
		}
		if pkg == "/cloudfront" || pkg == "/internal/testcert" {
			for _, imp := range prod {
				if strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") {
					t.Errorf("%s imports %s: it depends on the standard library only", strings.TrimPrefix(pkg, "/"), imp)
				}
			}
		}
		if pkg == "/cdn" {
			for _, imp := range prod {
				if strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") && imp != module+"/cloudfront" {
					t.Errorf("cdn imports %s: it depends on the standard library and cloudfront only", imp)
				}
			}
		}
	}
	if checked < 10 {
		t.Fatalf("only %d packages listed", checked)
	}
}

func isTestFramework(imp string) bool {
	return strings.HasPrefix(imp, "github.com/onsi/ginkgo") || strings.HasPrefix(imp, "github.com/onsi/gomega")
}

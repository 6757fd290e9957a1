// Command fuzzall runs every fuzz target of the module one after the other
// (make fuzz): go test -fuzz takes one target per run. A target that finds
// a failing input leaves it under its package's testdata/fuzz/<Target>/,
// where every later `go test` replays it; fuzzall goes on with the other
// targets and exits 1 at the end, naming the ones that failed.
package main

import (
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// target is one fuzz function and the package directory it is in.
type target struct{ dir, name string }

func main() {
	fuzztime := flag.Duration("fuzztime", 30*time.Second, "how long to fuzz each target")
	minimize := flag.Duration("minimize", 10*time.Second, "how long to minimize a failing input")
	run := flag.String("run", "", "fuzz only the targets whose package/name matches this regular expression")
	flag.Parse()
	os.Exit(fuzzAll(*fuzztime, *minimize, *run))
}

func fuzzAll(fuzztime, minimize time.Duration, run string) int {
	match, err := regexp.Compile(run)
	if err != nil {
		fmt.Fprintf(os.Stderr, "fuzzall: -run %q: %v\n", run, err)
		return 2
	}
	targets, err := findTargets(".")
	if err != nil {
		fmt.Fprintf(os.Stderr, "fuzzall: %v\n", err)
		return 2
	}
	var selected []target
	for _, t := range targets {
		if match.MatchString(t.dir + "/" + t.name) {
			selected = append(selected, t)
		}
	}
	if len(selected) == 0 {
		fmt.Fprintln(os.Stderr, "fuzzall: no fuzz target matches")
		return 2
	}
	var failed []string
	start := time.Now()
	for i, t := range selected {
		fmt.Printf("fuzzall: [%d/%d] %s %s for %v\n", i+1, len(selected), t.dir, t.name, fuzztime)
		cmd := exec.Command("go", "test", "-run", "^$", "-fuzz", "^"+t.name+"$",
			"-fuzztime", fuzztime.String(), "-fuzzminimizetime", minimize.String(), "./"+t.dir)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			failed = append(failed, fmt.Sprintf("%s %s (failing input under %s)", t.dir, t.name, filepath.Join(t.dir, "testdata", "fuzz", t.name)))
		}
	}
	fmt.Printf("fuzzall: %d targets in %v\n", len(selected), time.Since(start).Round(time.Second))
	if len(failed) > 0 {
		fmt.Fprintf(os.Stderr, "fuzzall: %d failed:\n  %s\n", len(failed), strings.Join(failed, "\n  "))
		return 1
	}
	return 0
}

// findTargets lists the Fuzz functions (func FuzzX(*testing.F)) of every
// _test.go file under root, sorted by package then name.
func findTargets(root string) ([]target, error) {
	var out []target
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if ok && fn.Recv == nil && strings.HasPrefix(fn.Name.Name, "Fuzz") && takesF(fn) {
				out = append(out, target{dir: filepath.ToSlash(filepath.Dir(path)), name: fn.Name.Name})
			}
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool {
		if out[i].dir != out[j].dir {
			return out[i].dir < out[j].dir
		}
		return out[i].name < out[j].name
	})
	return out, err
}

// takesF says whether fn's one parameter is a *testing.F.
func takesF(fn *ast.FuncDecl) bool {
	ps := fn.Type.Params.List
	if len(ps) != 1 || len(ps[0].Names) > 1 {
		return false
	}
	star, ok := ps[0].Type.(*ast.StarExpr)
	if !ok {
		return false
	}
	sel, ok := star.X.(*ast.SelectorExpr)
	return ok && sel.Sel.Name == "F"
}

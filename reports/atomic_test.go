package reports

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestWriteAtomic: an output is written whole, 0644, or not at all: a
// write that fails leaves the previous file as it was and no temporary
// file beside it.
func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	write := func(s string) func(io.Writer) error {
		return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
	}
	if err := writeAtomic(path, write("first\n")); err != nil {
		t.Fatal(err)
	}
	broken := errors.New("broken")
	err := writeAtomic(path, func(w io.Writer) error {
		io.WriteString(w, "half")
		return broken
	})
	if !errors.Is(err, broken) {
		t.Errorf("a failed write returned %v", err)
	}
	if data, _ := os.ReadFile(path); string(data) != "first\n" {
		t.Errorf("after a failed write the file holds %q", data)
	}
	if err := writeAtomic(filepath.Join(dir, "missing", "out.txt"), write("x")); err == nil {
		t.Error("a file in a missing directory was written")
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v (%v), want 0644", st.Mode().Perm(), err)
	}
	if names := dirNames(t, dir); !slices.Equal(names, []string{"out.txt"}) {
		t.Errorf("the directory holds %v", names)
	}

	// Every output of a run goes the same way.
	run := t.TempDir()
	writeRun(t, run, 500, 5*time.Second, false)
	s := readSummary(t, run)
	for name, write := range map[string]func(string) error{"summary.md": s.WriteMarkdownFile, "junit.xml": s.WriteJUnitFile, "summary.json": s.WriteFile} {
		if err := write(filepath.Join(run, name)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if _, err := RenderDir(run); err != nil {
		t.Fatal(err)
	}
	for _, n := range dirNames(t, run) {
		if n[0] == '.' {
			t.Errorf("temporary file %s left", n)
		}
	}
	for _, n := range []string{"summary.md", "junit.xml", "summary.json", "report.html"} {
		if st, err := os.Stat(filepath.Join(run, n)); err != nil || st.Mode().Perm() != 0o644 || st.Size() == 0 {
			t.Errorf("%s: %v", n, err)
		}
	}
	// So does a capacity run's page.
	capDir := t.TempDir()
	path, err = WriteCapacity(capDir, capacityResult())
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o644 || st.Size() == 0 {
		t.Errorf("capacity page %s: %v", path, err)
	}
	if names := dirNames(t, capDir); !slices.Equal(names, []string{CapacityFile}) {
		t.Errorf("the capacity directory holds %v", names)
	}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

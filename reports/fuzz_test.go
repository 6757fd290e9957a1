package reports

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// fuzzSeedRun is a small synthetic run directory's files, the seeds of the
// fuzz targets that read run directories.
func fuzzSeedRun(f *testing.F) (summary, results, hlog []byte) {
	dir := f.TempDir()
	writeRun(f, dir, 200, 2*time.Second, true)
	read := func(name string) []byte {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			f.Fatal(err)
		}
		return data
	}
	return read("summary.json"), read("results.json"), read("latency.hlog")
}

// FuzzReadSummary: a summary.json that reads writes back and reads again
// to the same document.
func FuzzReadSummary(f *testing.F) {
	sum, _, _ := fuzzSeedRun(f)
	f.Add(sum)
	f.Add([]byte(`{"schema_version":1,"load":{"requests":-1,"error_rate":1e308}}`))
	f.Add([]byte(`{"schema_version":2}`))
	dir := f.TempDir()
	path := filepath.Join(dir, "summary.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := ReadSummary(path)
		if err != nil {
			return
		}
		first, err := json.Marshal(s)
		if err != nil {
			t.Fatalf("a summary that reads does not write: %v", err)
		}
		if err := s.WriteFile(path); err != nil {
			t.Fatal(err)
		}
		again, err := ReadSummary(path)
		if err != nil {
			t.Fatalf("a summary written back does not read: %v", err)
		}
		if second, _ := json.Marshal(again); !bytes.Equal(first, second) {
			t.Fatalf("summary changed on the way back:\n%s\n%s", first, second)
		}
	})
}

// FuzzReadSeries: the parallel results decoder either fails naming a line
// or returns a bounded series that encodes as JSON for the charts.
func FuzzReadSeries(f *testing.F) {
	_, results, _ := fuzzSeedRun(f)
	f.Add(results, int64(2*time.Second))
	f.Add(results[:len(results)/3], int64(time.Hour))
	f.Add([]byte("{\"timestamp\":\"2026-11-24T08:00:00Z\",\"latency\":-5,\"code\":0,\"error\":\"x\"}\n\n{}\n"), int64(-1))
	f.Add([]byte("{\"intended\":\"9999-12-31T23:59:59Z\",\"latency_corrected\":9223372036854775807}\n"), int64(1))
	f.Fuzz(func(t *testing.T, data []byte, span int64) {
		s, err := ReadSeries(bytes.NewReader(data), runStart, time.Duration(span), ConnModel{KeepAlive: 5 * time.Second})
		if err != nil {
			return
		}
		if len(s.T) == 0 || len(s.T) > maxBuckets {
			t.Fatalf("%d buckets", len(s.T))
		}
		for class, v := range s.Errors {
			if len(v) != len(s.T) {
				t.Fatalf("class %q has %d buckets, the series %d", class, len(v), len(s.T))
			}
		}
		if _, err := json.Marshal(s); err != nil {
			t.Fatalf("series does not encode: %v", err)
		}
	})
}

// FuzzLoadRun reads a run directory whose summary.json and results.json
// are fuzzed, and renders the report of whatever reads.
func FuzzLoadRun(f *testing.F) {
	sum, results, hlog := fuzzSeedRun(f)
	f.Add(sum, results)
	f.Add([]byte(`{"schema_version":1,"load":{"wall_s":-1e308}}`), []byte("{}\n"))
	f.Add([]byte(`{"schema_version":1,"load":{"wall_s":1e300,"pops":[{"pop":-1}]},"started":"0001-01-01T00:00:00Z"}`), results)
	dir := f.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "latency.hlog"), hlog, 0o644); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, summary, results []byte) {
		for name, data := range map[string][]byte{"summary.json": summary, "results.json": results} {
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		run, err := LoadRun(dir)
		if err != nil {
			return
		}
		if err := Render(io.Discard, []*Run{run}, runStart); err != nil {
			t.Fatalf("a run that loads does not render: %v", err)
		}
	})
}

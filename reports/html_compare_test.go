package reports

import (
	"testing"

	"github.com/originproof/originproof/loadgen"
	"github.com/originproof/originproof/loadgen/latency"
)

func TestCompare(t *testing.T) {
	run := func(dir string, lat map[string]latency.Percentiles) *Run {
		s := &Summary{}
		if lat != nil {
			s.Load = &loadgen.Summary{Latency: lat}
		}
		return &Run{Dir: "/out/" + dir, Summary: s}
	}
	mtls := run("mtls", map[string]latency.Percentiles{
		"tls_full": {Count: 10, P50: 4, P99: 8},
		"total":    {Count: 100, P50: 1.5, P99: 3},
	})
	tlsOnly := run("tls-only", map[string]latency.Percentiles{
		"tls_full": {Count: 10, P50: 2, P99: 4},
		"total":    {Count: 100, P50: 1.5, P99: 2},
	})
	conformOnly := run("conform", nil)

	c := compare([]*Run{tlsOnly, mtls, conformOnly})
	if got, want := c.Names, []string{"tls-only", "mtls", "conform"}; len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("names = %v, want %v", got, want)
	}
	tests := []struct {
		phase, stat string
		wantUs      float64
		wantPct     float64
	}{
		{"TLS handshake (full)", "p50", 2000, 100},
		{"TLS handshake (full)", "p99", 4000, 100},
		{"total (from actual send)", "p50", 0, 0},
		{"total (from actual send)", "p99", 1000, 50},
	}
	if len(c.Rows) != len(tests) {
		t.Fatalf("%d rows, want %d (phases nobody measured are left out): %+v", len(c.Rows), len(tests), c.Rows)
	}
	for i, tt := range tests {
		row := c.Rows[i]
		if row.Phase != tt.phase || row.Stat != tt.stat {
			t.Errorf("row %d = %s %s, want %s %s", i, row.Phase, row.Stat, tt.phase, tt.stat)
			continue
		}
		if !row.Cells[0].Base || row.Cells[0].Missing {
			t.Errorf("%s %s: first cell %+v, want the base", tt.phase, tt.stat, row.Cells[0])
		}
		if got := row.Cells[1]; got.DeltaUs != tt.wantUs || got.DeltaPct != tt.wantPct {
			t.Errorf("%s %s: delta %v µs %v %%, want %v µs %v %%", tt.phase, tt.stat, got.DeltaUs, got.DeltaPct, tt.wantUs, tt.wantPct)
		}
		if !row.Cells[2].Missing {
			t.Errorf("%s %s: the conform-only run has a value %+v", tt.phase, tt.stat, row.Cells[2])
		}
	}
}

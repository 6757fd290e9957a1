package reports

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/originproof/originproof/capacity"
	"github.com/originproof/originproof/loadgen"
)

//go:embed capacity.html.tmpl
var capacityTemplate string

// CapacityFile is the capacity page's name beside capacity.json.
const CapacityFile = "report.html"

// CapacityView is what the capacity page renders.
type CapacityView struct {
	R         *capacity.Result
	Generated string
	Charts    []CapacityChart
	Entries   []CapacityEntry
}

// CapacityEntry is one search as its table shows it.
type CapacityEntry struct {
	ID    string
	Name  string
	Color string
	E     *capacity.Entry
	Steps []CapacityStep
}

// CapacityStep is one step's row.
type CapacityStep struct {
	capacity.Step
	ErrorsText string // classes, "" when none
}

// CapacityChart is latency against offered load for one workload: every
// search of the workload as a line, its knee marked, the SLO's p99 drawn.
// Coordinates are in SVG user units.
type CapacityChart struct {
	Workload                 string
	Unit                     string
	W, H                     float64
	Left, Right, Top, Bottom float64
	XTicks, YTicks           []ChartTick
	Series                   []CapacitySeries
	SLOY                     float64
	SLOLabel                 string
}

// ChartTick is an axis tick.
type ChartTick struct {
	Pos   float64
	Label string
}

// CapacitySeries is one search on a chart.
type CapacitySeries struct {
	Name   string
	Color  string
	Path   string
	Points []ChartPoint
	Knee   *ChartTick // where the knee is (Pos: x), nil when none
}

// ChartPoint is one step on a chart: within the SLO, beyond it, or not
// driven by the generator.
type ChartPoint struct {
	X, Y  float64
	Kind  string // ok, bad, generator
	Title string
}

var seriesColors = []string{"#1f6feb", "#d1242f", "#8250df", "#1a7f37", "#bc4c00", "#0a7ea4"}

// NewCapacityView lays out a capacity result.
func NewCapacityView(r *capacity.Result, now time.Time) *CapacityView {
	v := &CapacityView{R: r, Generated: now.UTC().Format(time.RFC3339)}
	for i := range r.Workloads {
		e := &r.Workloads[i]
		ce := CapacityEntry{ID: fmt.Sprintf("search%d", i), Name: entryName(e), Color: seriesColors[i%len(seriesColors)], E: e}
		for _, st := range e.Steps {
			ce.Steps = append(ce.Steps, CapacityStep{Step: st, ErrorsText: loadgen.ClassList(st.ErrorsByClass)})
		}
		v.Entries = append(v.Entries, ce)
	}
	for _, w := range capacity.Workloads {
		var es []CapacityEntry
		for _, ce := range v.Entries {
			if ce.E.Workload == w && len(ce.E.Steps) > 0 {
				es = append(es, ce)
			}
		}
		if len(es) > 0 {
			v.Charts = append(v.Charts, capacityChart(w, es, r.SLO))
		}
	}
	return v
}

func entryName(e *capacity.Entry) string {
	if e.KeyType == "" {
		return e.Identity + " (no client certificate)"
	}
	return e.Identity + " (" + e.KeyType + ")"
}

// capacityChart draws p99 (log) against offered rate (log).
func capacityChart(w capacity.Workload, es []CapacityEntry, slo capacity.SLO) CapacityChart {
	c := CapacityChart{Workload: string(w), Unit: es[0].E.Unit, W: 860, H: 360, Left: 64, Right: 840, Top: 16, Bottom: 316}
	sloMs := float64(time.Duration(slo.P99)) / float64(time.Millisecond)
	xMin, xMax, yMin, yMax := math.Inf(1), 0.0, sloMs, sloMs
	for _, ce := range es {
		for _, st := range ce.E.Steps {
			xMin, xMax = math.Min(xMin, st.Offered), math.Max(xMax, st.Offered)
			y := math.Max(st.P99, 0.01)
			yMin, yMax = math.Min(yMin, y), math.Max(yMax, y)
		}
	}
	xMin, xMax = xMin/1.25, xMax*1.25
	yMin, yMax = math.Pow(10, math.Floor(math.Log10(yMin))), math.Pow(10, math.Ceil(math.Log10(yMax*1.01)))
	x := func(v float64) float64 {
		return round2(c.Left + (c.Right-c.Left)*(math.Log(v)-math.Log(xMin))/(math.Log(xMax)-math.Log(xMin)))
	}
	y := func(v float64) float64 {
		v = math.Max(v, yMin)
		return round2(c.Bottom - (c.Bottom-c.Top)*(math.Log(v)-math.Log(yMin))/(math.Log(yMax)-math.Log(yMin)))
	}
	for d := math.Pow(10, math.Floor(math.Log10(xMin))); d <= xMax; d *= 10 {
		for _, m := range []float64{1, 2, 5} {
			if v := d * m; v >= xMin && v <= xMax {
				c.XTicks = append(c.XTicks, ChartTick{Pos: x(v), Label: rateLabel(v)})
			}
		}
	}
	for d := yMin; d <= yMax*1.0001; d *= 10 {
		c.YTicks = append(c.YTicks, ChartTick{Pos: y(d), Label: strconv.FormatFloat(d, 'f', -1, 64)})
	}
	c.SLOY, c.SLOLabel = y(sloMs), slo.P99Words()
	for _, ce := range es {
		steps := append([]capacity.Step(nil), ce.E.Steps...)
		sort.SliceStable(steps, func(i, j int) bool { return steps[i].Offered < steps[j].Offered })
		s := CapacitySeries{Name: ce.Name, Color: ce.Color}
		var path strings.Builder
		for i, st := range steps {
			p := ChartPoint{X: x(st.Offered), Y: y(st.P99), Kind: "ok",
				Title: fmt.Sprintf("%s: %s %s offered, achieved %s, p99 %s ms", ce.Name, rateLabel(st.Offered), c.Unit, rateLabel(st.Achieved), strconv.FormatFloat(st.P99, 'f', 1, 64))}
			switch {
			case st.GeneratorLimited:
				p.Kind, p.Title = "generator", p.Title+" — generator_limited"
			case !st.WithinSLO:
				p.Kind, p.Title = "bad", p.Title+" — "+strings.Join(st.Broke, "; ")
			}
			s.Points = append(s.Points, p)
			if i == 0 {
				fmt.Fprintf(&path, "M%g %g", p.X, p.Y)
			} else {
				fmt.Fprintf(&path, " L%g %g", p.X, p.Y)
			}
		}
		s.Path = path.String()
		if k := ce.E.KneeRate; k > 0 {
			s.Knee = &ChartTick{Pos: x(k), Label: "knee " + rateLabel(k)}
		}
		c.Series = append(c.Series, s)
	}
	return c
}

func rateLabel(r float64) string {
	if r < 10 {
		return strconv.FormatFloat(r, 'f', -1, 64)
	}
	s := strconv.FormatFloat(math.Round(r), 'f', 0, 64)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// arith is the template's arithmetic on layout numbers (ints or floats).
func arith(op func(a, b float64) float64) func(a, b any) (float64, error) {
	return func(a, b any) (float64, error) {
		var f [2]float64
		for i, v := range []any{a, b} {
			switch n := v.(type) {
			case int:
				f[i] = float64(n)
			case float64:
				f[i] = n
			default:
				return 0, fmt.Errorf("%T is not a number", v)
			}
		}
		return round2(op(f[0], f[1])), nil
	}
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

// RenderCapacity writes the capacity page: self-contained (no script, no
// request leaves it).
func RenderCapacity(w io.Writer, r *capacity.Result, now time.Time) error {
	t, err := template.New("capacity").Funcs(template.FuncMap{
		"ms":   func(f float64) string { return strconv.FormatFloat(f, 'f', 3, 64) },
		"num":  func(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) },
		"rate": rateLabel,
		"date": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"pct": func(p *float64) string {
			if p == nil {
				return "–"
			}
			return fmt.Sprintf("%+.1f %%", *p)
		},
		"signed": func(f float64) string { return fmt.Sprintf("%+.3f", f) },
		"dur":    func(d loadgen.Duration) string { return time.Duration(d).String() },
		"add":    arith(func(a, b float64) float64 { return a + b }),
		"sub":    arith(func(a, b float64) float64 { return a - b }),
		"mul":    arith(func(a, b float64) float64 { return a * b }),
		"div":    arith(func(a, b float64) float64 { return a / b }),
		"deref": func(p *float64) string {
			if p == nil {
				return "–"
			}
			return strconv.FormatFloat(*p, 'f', -1, 64)
		},
	}).Parse(capacityTemplate)
	if err != nil {
		return fmt.Errorf("reports: capacity template: %w", err)
	}
	if err := t.Execute(w, NewCapacityView(r, now)); err != nil {
		return fmt.Errorf("reports: capacity page: %w", err)
	}
	return nil
}

// RenderCapacityDir writes dir/report.html from dir/capacity.json.
func RenderCapacityDir(dir string) (string, error) {
	r, err := capacity.ReadFile(filepath.Join(dir, capacity.File))
	if err != nil {
		return "", err
	}
	return WriteCapacity(dir, r)
}

// WriteCapacity writes dir/report.html for a capacity result, atomically
// like the run report: a reader finds the old page or the whole new one.
func WriteCapacity(dir string, r *capacity.Result) (string, error) {
	path := filepath.Join(dir, CapacityFile)
	now := time.Now()
	err := writeAtomic(path, func(w io.Writer) error { return RenderCapacity(w, r, now) })
	if err != nil {
		return "", err
	}
	return path, nil
}

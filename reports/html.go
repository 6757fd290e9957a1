package reports

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/tsenart/vegeta/v12/lib/plot"

	"github.com/originproof/originproof/checks"
	"github.com/originproof/originproof/loadgen"
)

//go:embed report.html.tmpl
var reportTemplate string

// View is what the report template renders: one or more runs, and their
// comparison when there are several.
type View struct {
	Title     string
	Generated string
	Runs      []RunView
	Compare   *Comparison
	CSS       template.CSS
	JS        template.JS
	// ChartRuns is the chart data of every run that has some, embedded as
	// JSON (html/template escapes it for the script context).
	ChartRuns []ChartRun
}

// ChartRun is one run's chart data.
type ChartRun struct {
	ID     string     `json:"id"`
	Charts *ChartData `json:"charts"`
}

// RunView is one run as the report shows it.
type RunView struct {
	ID         string
	Name       string
	S          *Summary
	Findings   []CheckView
	Groups     []GroupView
	Chain      []CertView
	Config     []KV
	Load       *LoadView
	Thresholds []ThresholdView
	RunInfo    string
	Charts     *ChartData
	// Server says which server's recipe the fixes quote, and how it is known.
	Server string
}

// CheckView is a check with its catalogue text and, for a finding, the
// setting of the origin server's recipe (ServerFix) or, when the server
// is not known, every server's (OtherFixes).
type CheckView struct {
	Check
	Rule, Fix  string
	ServerFix  *ServerFixView
	OtherFixes []ServerFixView
}

// ServerFixView is one server's setting for a check.
type ServerFixView struct {
	Server  string
	Setting string
	Note    string
	Guessed bool
}

// ThresholdView is a threshold with the anchor of its phase's row.
type ThresholdView struct {
	ThresholdResult
	Anchor string
}

// GroupView is one check group of the matrix.
type GroupView struct {
	Name   string
	Checks []CheckView
}

// CertView is one certificate of the presented server chain.
type CertView struct {
	CertInfo
	DaysLeft int
	Expired  bool
}

// KV is a label and a value.
type KV struct{ K, V string }

// LoadView is the load part of a run.
type LoadView struct {
	S      *loadgen.Summary
	Phases []PhaseRow
	// Stages are the phases of the schedule (a scenario's, or a
	// multi-segment arrival's segments), each a row with an anchor.
	Stages []StageRow
	Pops   []loadgen.PopSummary
	Errors []KV
	TLS    []KV
}

// StageRow is one phase of the schedule in the per-phase table.
type StageRow struct {
	loadgen.PhaseSummary
	Anchor string
	Errors string // by class, "class: n, …"
	// Breached: a threshold on this phase did not hold.
	Breached bool
}

// PhaseRow is one latency phase's percentiles (ms).
type PhaseRow struct {
	Name                     string
	Count                    int64
	P50, P90, P99, P999, Max float64
}

// ChartData is embedded as JSON for the charts.
type ChartData struct {
	Series       *Series       `json:"series,omitempty"`
	Distribution *Distribution `json:"distribution,omitempty"`
	// Phases are drawn as shaded bands on every time-series chart.
	Phases []ChartPhase `json:"phases,omitempty"`
}

// ChartPhase is a phase's band: seconds since the load run began.
type ChartPhase struct {
	Name   string  `json:"name"`
	StartS float64 `json:"start_s"`
	EndS   float64 `json:"end_s"`
}

// Comparison is the side-by-side table of several runs.
type Comparison struct {
	Names []string
	Rows  []CompareRow
}

// CompareRow is one phase and percentile across runs, with differences
// against the first run.
type CompareRow struct {
	Phase, Stat string
	Cells       []CompareCell
}

// CompareCell is one run's value and its difference from the first run.
type CompareCell struct {
	Ms       float64
	DeltaUs  float64
	DeltaPct float64
	Base     bool
	Missing  bool
}

// phaseOrder is how latency phases are listed.
var phaseOrder = []string{"dns", "connect", "tls_full", "tls_resumed", "ttfb", "total", "total_corrected", "send_lag"}

var phaseLabels = map[string]string{
	"dns": "DNS", "connect": "TCP connect", "tls_full": "TLS handshake (full)", "tls_resumed": "TLS handshake (resumed)",
	"ttfb": "time to first byte", "total": "total (from actual send)", "total_corrected": "total (from intended send)", "send_lag": "send lag",
}

// NewView builds the view of one or more runs.
func NewView(runs []*Run, now time.Time) *View {
	v := &View{Generated: now.UTC().Format(time.RFC3339)}
	v.ChartRuns = []ChartRun{}
	for i, r := range runs {
		rv := newRunView(i, r)
		v.Runs = append(v.Runs, rv)
		if rv.Charts != nil {
			v.ChartRuns = append(v.ChartRuns, ChartRun{ID: rv.ID, Charts: rv.Charts})
		}
	}
	if len(runs) == 1 {
		v.Title = "originproof report: " + runs[0].Summary.Target
	} else {
		v.Title = fmt.Sprintf("originproof report: %d runs compared", len(runs))
		v.Compare = compare(runs)
	}
	return v
}

func severityRank(c Check) int {
	switch {
	case c.Status == checks.StatusFail && c.Severity == checks.Must:
		return 0
	case c.Status == checks.StatusError:
		return 1
	case c.Status == checks.StatusFail:
		return 2
	case c.Status == checks.StatusWarn:
		return 3
	}
	return 4
}

func newRunView(i int, r *Run) RunView {
	s := r.Summary
	rv := RunView{ID: fmt.Sprintf("run%d", i), Name: filepath.Base(r.Dir), S: s, Server: serverText(s.Server)}
	groups := map[string]*GroupView{}
	var order []string
	for _, c := range s.Checks {
		cv := CheckView{Check: c}
		if meta, ok := checks.Lookup(c.ID); ok {
			cv.Rule, cv.Fix = meta.Rule, meta.Fix
		}
		if severityRank(c) < 4 {
			cv.ServerFix, cv.OtherFixes = serverFixes(s.Server, c.ID)
			rv.Findings = append(rv.Findings, cv)
		}
		g := groups[c.Group]
		if g == nil {
			g = &GroupView{Name: c.Group}
			groups[c.Group] = g
			order = append(order, c.Group)
		}
		g.Checks = append(g.Checks, cv)
	}
	sort.SliceStable(rv.Findings, func(a, b int) bool { return severityRank(rv.Findings[a].Check) < severityRank(rv.Findings[b].Check) })
	for _, name := range order {
		g := groups[name]
		sort.SliceStable(g.Checks, func(a, b int) bool { return severityRank(g.Checks[a].Check) < severityRank(g.Checks[b].Check) })
		rv.Groups = append(rv.Groups, *g)
	}
	ref := s.Finished
	if ref.IsZero() {
		ref = time.Now()
	}
	for _, c := range s.ServerChain {
		left := c.NotAfter.Sub(ref)
		rv.Chain = append(rv.Chain, CertView{CertInfo: c, DaysLeft: int(math.Floor(left.Hours() / 24)), Expired: left <= 0})
	}
	for _, k := range sortedKeys(s.Config) {
		rv.Config = append(rv.Config, KV{k, fmt.Sprint(s.Config[k])})
	}
	if len(r.RunInfo) > 0 {
		rv.RunInfo = string(r.RunInfo)
	}
	anchors := map[string]string{}
	if s.Load != nil {
		lv := &LoadView{S: s.Load, Pops: s.Load.Pops}
		for _, p := range phaseOrder {
			if pc, ok := s.Load.Latency[p]; ok && pc.Count > 0 {
				lv.Phases = append(lv.Phases, PhaseRow{Name: phaseLabels[p], Count: pc.Count, P50: pc.P50, P90: pc.P90, P99: pc.P99, P999: pc.P999, Max: pc.Max})
			}
		}
		for j, p := range s.Load.Phases {
			anchor := fmt.Sprintf("%s-phase-%d", rv.ID, j)
			anchors[p.Name] = anchor
			lv.Stages = append(lv.Stages, StageRow{PhaseSummary: p, Anchor: anchor, Errors: loadgen.ClassList(p.ErrorsByClass)})
		}
		for _, k := range sortedKeys(s.Load.ErrorsByClass) {
			lv.Errors = append(lv.Errors, KV{string(k), fmt.Sprint(s.Load.ErrorsByClass[k])})
		}
		for _, k := range sortedKeys(s.Load.Negotiated) {
			lv.TLS = append(lv.TLS, KV{k, fmt.Sprint(s.Load.Negotiated[k])})
		}
		rv.Load = lv
	}
	for _, t := range s.Thresholds {
		rv.Thresholds = append(rv.Thresholds, ThresholdView{ThresholdResult: t, Anchor: anchors[t.Phase]})
		if !t.Held && rv.Load != nil {
			for j := range rv.Load.Stages {
				rv.Load.Stages[j].Breached = rv.Load.Stages[j].Breached || rv.Load.Stages[j].Name == t.Phase
			}
		}
	}
	if r.Series != nil || r.Distribution != nil {
		rv.Charts = &ChartData{Series: r.Series, Distribution: r.Distribution}
		if r.Series != nil && s.Load != nil {
			for _, p := range s.Load.Phases {
				rv.Charts.Phases = append(rv.Charts.Phases, ChartPhase{Name: p.Name, StartS: p.StartS, EndS: p.EndS})
			}
		}
	}
	return rv
}

// serverText says which server the fixes quote and how it is known.
func serverText(si *ServerInfo) string {
	switch {
	case si == nil:
		return ""
	case si.Name != "" && si.Guessed:
		return fmt.Sprintf("%s (guessed from the Server header %q)", si.Name, si.Header)
	case si.Name != "":
		return string(si.Name) + " (given)"
	}
	return fmt.Sprintf("Server header %q: no recipe for it (name one with --server)", si.Header)
}

// serverFixes is the origin server's recipe setting for a check, or every
// server's when the server is not known.
func serverFixes(si *ServerInfo, id string) (*ServerFixView, []ServerFixView) {
	view := func(f checks.ServerFix) ServerFixView {
		return ServerFixView{Server: string(f.Server), Setting: f.Setting, Note: f.Note}
	}
	if si != nil && si.Name != "" {
		f, ok := checks.FixFor(si.Name, id)
		if !ok {
			return nil, nil
		}
		v := view(f)
		v.Guessed = si.Guessed
		return &v, nil
	}
	var all []ServerFixView
	for _, f := range checks.ServerFixes(id) {
		all = append(all, view(f))
	}
	return nil, all
}

// compare lines up every run's per-phase p50 and p99 against the first run.
func compare(runs []*Run) *Comparison {
	c := &Comparison{}
	for _, r := range runs {
		c.Names = append(c.Names, filepath.Base(r.Dir))
	}
	for _, p := range phaseOrder {
		for _, stat := range []string{"p50", "p99"} {
			row := CompareRow{Phase: phaseLabels[p], Stat: stat}
			any := false
			var base float64
			for i, r := range runs {
				cell := CompareCell{Missing: true}
				if r.Summary.Load != nil {
					if pc, ok := r.Summary.Load.Latency[p]; ok && pc.Count > 0 {
						v := pc.P50
						if stat == "p99" {
							v = pc.P99
						}
						cell = CompareCell{Ms: v}
						any = true
					}
				}
				if i == 0 {
					cell.Base, base = true, cell.Ms
				} else if !cell.Missing && base > 0 {
					cell.DeltaUs = math.Round((cell.Ms - base) * 1000)
					cell.DeltaPct = math.Round((cell.Ms-base)/base*1000) / 10
				}
				row.Cells = append(row.Cells, cell)
			}
			if any {
				c.Rows = append(c.Rows, row)
			}
		}
	}
	return c
}

var funcs = template.FuncMap{
	"upper": func(s any) string { return strings.ToUpper(fmt.Sprint(s)) },
	"ms":    func(v float64) string { return fmt.Sprintf("%.3f", v) },
	"pct":   func(v float64) string { return fmt.Sprintf("%.1f%%", 100*v) },
	"date":  func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 MST") },
	"signed": func(v float64) string {
		return fmt.Sprintf("%+.0f", v)
	},
	"signedpct": func(v float64) string { return fmt.Sprintf("%+.1f%%", v) },
	"join":      strings.Join,
}

var tmpl = template.Must(template.New("report").Funcs(funcs).Parse(reportTemplate))

// assets are uPlot's script and style, inlined: the report needs no network.
func assets() (template.CSS, template.JS, error) {
	read := func(name string) (string, error) {
		f, err := plot.Assets.Open(name)
		if err != nil {
			return "", fmt.Errorf("reports: asset %s: %w", name, err)
		}
		defer f.Close()
		b, err := io.ReadAll(f)
		return string(b), err
	}
	css, err := read("uPlot.min.css")
	if err != nil {
		return "", "", err
	}
	js, err := read("uPlot.min.js")
	if err != nil {
		return "", "", err
	}
	// The assets are Vegeta's embedded files, not input: safe to inline as is.
	return template.CSS(css), template.JS(js), nil
}

// Render writes the self-contained HTML report of one or more runs.
func Render(w io.Writer, runs []*Run, now time.Time) error {
	if len(runs) == 0 {
		return fmt.Errorf("reports: no run to render")
	}
	v := NewView(runs, now)
	var err error
	if v.CSS, v.JS, err = assets(); err != nil {
		return err
	}
	return tmpl.Execute(w, v)
}

// RenderDirs reads run directories and writes report.html into out.
func RenderDirs(out string, dirs ...string) (string, error) {
	var runs []*Run
	for _, d := range dirs {
		r, err := LoadRun(d)
		if err != nil {
			return "", err
		}
		runs = append(runs, r)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(out, "report.html")
	if err := writeAtomic(path, func(w io.Writer) error { return Render(w, runs, time.Now()) }); err != nil {
		return "", err
	}
	return path, nil
}

// RenderDir writes dir/report.html from dir's own outputs (what conform,
// load and certify call at the end of a run).
func RenderDir(dir string) (string, error) { return RenderDirs(dir, dir) }

// Command bench measures the load generator against baselines, side by side
// in one run on loopback, and prints one table of ratios (make bench).
//
// The origin always runs in its own process (this program started again as
// a helper), so what is compared is the generator's own CPU time
// (getrusage): on a small machine the origin would dominate any wall-clock
// rate. Every section is bounded to a few seconds.
package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/originproof/originproof/certify"
	"github.com/originproof/originproof/cloudfront"
	"github.com/originproof/originproof/fixtures"
	"github.com/originproof/originproof/fixtures/origin"
	"github.com/originproof/originproof/loadgen"
	"github.com/originproof/originproof/loadgen/latency"
)

const serverName = "origin.test"

func main() {
	if len(os.Args) > 1 && strings.HasPrefix(os.Args[1], "helper-") {
		if err := helper(os.Args[1], os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "bench helper:", err)
			os.Exit(1)
		}
		return
	}
	quick := flag.Bool("quick", false, "shorter runs (for a smoke test)")
	only := flag.String("only", "", "run only the sections whose name contains this (keepalive, maxrate, handshake, omission, memory, disk)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of this process to FILE")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			_ = pprof.StartCPUProfile(f)
			defer pprof.StopCPUProfile()
		}
	}
	if err := bench(*quick, *only); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// row is one line of the result table.
type row struct {
	section, metric      string
	ours, base           float64
	ratio                float64
	target, verdict, why string
}

type env struct {
	dir    string
	pki    *fixtures.PKI
	cert   tls.Certificate
	roots  *x509.CertPool
	scale  float64
	helper []*exec.Cmd
}

func bench(quick bool, only string) error {
	dir, err := os.MkdirTemp("", "originproof-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	pki, err := fixtures.Generate(fixtures.Options{ServerName: serverName})
	if err != nil {
		return err
	}
	if err := pki.WriteDir(filepath.Join(dir, "pki"), false); err != nil {
		return err
	}
	e := &env{dir: dir, pki: pki, cert: pki.Identity("chain.valid").TLSCertificate(), roots: pki.ServerRootPool(), scale: 1}
	if quick {
		e.scale = 0.3
	}
	defer e.stopHelpers()

	host, _ := os.Hostname()
	fmt.Printf("originproof make bench — %s, %s/%s, %d CPUs, GOMAXPROCS %d, %s\n",
		host, runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version())
	fmt.Printf("command: %s   (origin: a separate process; generator CPU = getrusage user+sys of this process)\n\n", strings.Join(os.Args, " "))

	sections := []struct {
		name string
		f    func(*env) ([]row, error)
	}{
		{"keepalive", keepAliveCPU}, {"maxrate", maxRate}, {"handshake", handshakeCPU}, {"omission", coordinatedOmission}, {"memory", memory},
		{"disk", disk},
	}
	var rows []row
	for _, section := range sections {
		if !strings.Contains(section.name, only) {
			continue
		}
		rs, err := section.f(e)
		if err != nil {
			rs = []row{{section: section.name, metric: "error", verdict: "ERROR", why: err.Error()}}
		}
		rows = append(rows, rs...)
	}
	tw := tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "section\tmetric\toriginproof\tbaseline\tratio\ttarget\t\tbaseline / limits")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.3f\t%s\t%s\t%s\n", r.section, r.metric, num(r.ours), num(r.base), r.ratio, r.target, r.verdict, r.why)
	}
	return tw.Flush()
}

func num(f float64) string {
	switch {
	case f == 0:
		return "0"
	case math.Abs(f) >= 1000:
		return strconv.FormatFloat(f, 'f', 0, 64)
	case math.Abs(f) >= 10:
		return strconv.FormatFloat(f, 'f', 1, 64)
	}
	return strconv.FormatFloat(f, 'f', 3, 64)
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

// cpu is this process's user+system CPU time.
func cpu() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func measure(f func() error) (time.Duration, error) {
	runtime.GC()
	before := cpu()
	err := f()
	return cpu() - before, err
}

// startHelper starts this program again as an origin and returns its address.
func (e *env) startHelper(mode string, args ...string) (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	cmd := exec.Command(exe, append([]string{mode, "-pki", filepath.Join(e.dir, "pki")}, args...)...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return "", err
	}
	_ = stdin // closed when this process exits: the helper stops then
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", err
	}
	if err := cmd.Start(); err != nil {
		return "", err
	}
	e.helper = append(e.helper, cmd)
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("helper %s: %w", mode, err)
	}
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening ")
	if !ok {
		return "", fmt.Errorf("helper %s said %q", mode, line)
	}
	return addr, nil
}

func (e *env) stopHelpers() {
	for _, c := range e.helper {
		if c.Process != nil {
			_ = c.Process.Kill()
			_ = c.Wait()
		}
	}
	e.helper = nil
}

func targetURL(addr string) string {
	_, port, _ := net.SplitHostPort(addr)
	return "https://" + net.JoinHostPort(serverName, port) + "/"
}

func (e *env) ourOpts(addr string) []loadgen.Option {
	return []loadgen.Option{
		loadgen.Target(targetURL(addr)), loadgen.ConnectTo(addr), loadgen.RootCAs(e.roots, "bench"),
		loadgen.ClientIdentity(loadgen.Identity{Name: "chain.valid", Certificate: &e.cert}),
		loadgen.Results(io.Discard), loadgen.HistogramLog(io.Discard),
	}
}

func runOurs(opts ...loadgen.Option) (*loadgen.Report, error) {
	eng, err := loadgen.New(opts...)
	if err != nil {
		return nil, err
	}
	return eng.Run(context.Background())
}

// plainVegeta runs the Vegeta library as its README shows, with the same
// pool settings: one transport, keep-alive, HTTP/1.1, mTLS, max
// connections; results JSON-encoded like `vegeta attack -format json`.
func (e *env) plainVegeta(addr string, pacer vegeta.Pacer, d time.Duration, maxConns int, keepAlive bool, maxWorkers uint64, encode bool, each func(*vegeta.Result)) (int64, error) {
	tlsCfg := &tls.Config{Certificates: []tls.Certificate{e.cert}, RootCAs: e.roots, ServerName: serverName}
	opts := []func(*vegeta.Attacker){
		vegeta.TLSConfig(tlsCfg), vegeta.HTTP2(false), vegeta.KeepAlive(keepAlive),
		vegeta.Connections(maxConns), vegeta.MaxConnections(maxConns), vegeta.Proxy(nil),
		vegeta.ConnectTo(map[string][]string{net.JoinHostPort(serverName, portOf(addr)): {addr}}),
	}
	if maxWorkers > 0 {
		opts = append(opts, vegeta.MaxWorkers(maxWorkers))
	}
	atk := vegeta.NewAttacker(opts...)
	enc := vegeta.NewJSONEncoder(io.Discard)
	var n, failed int64
	for r := range atk.Attack(vegeta.NewStaticTargeter(vegeta.Target{Method: "GET", URL: targetURL(addr)}), pacer, d, "bench") {
		n++
		if r.Error != "" {
			failed++
		}
		if each != nil {
			each(r)
		}
		if encode {
			if err := enc.Encode(r); err != nil {
				return n, err
			}
		}
	}
	if failed > 0 {
		return n, fmt.Errorf("plain vegeta: %d of %d requests failed", failed, n)
	}
	return n, nil
}

func portOf(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

func (e *env) dur(d time.Duration) time.Duration { return time.Duration(float64(d) * e.scale) }

// keepAliveCPU: generator CPU per request at a fixed rate over pooled
// connections, originproof (tracing and histograms on) vs plain Vegeta;
// once with results discarded by both, once with both writing JSON results.
func keepAliveCPU(e *env) ([]row, error) {
	addr, err := e.startHelper("helper-origin")
	if err != nil {
		return nil, err
	}
	defer e.stopHelpers()
	const rate, pairs = 1000, 5
	d := e.dur(3 * time.Second)
	var rows []row
	for _, withResults := range []bool{false, true} {
		var oursPer, basePer, ratios []float64
		oursRun := func() error {
			var rep *loadgen.Report
			c, err := measure(func() error {
				var err error
				opts := []loadgen.Option{loadgen.Pops(1), loadgen.MaxConns(64), loadgen.Rate(rate, d)}
				if !withResults {
					opts = append(opts, loadgen.Results(nil))
				}
				rep, err = runOurs(append(e.ourOpts(addr), opts...)...)
				return err
			})
			if err != nil {
				return err
			}
			if rep.Summary.Errors > 0 {
				return fmt.Errorf("keep-alive run: %d errors %v", rep.Summary.Errors, rep.Summary.ErrorsByClass)
			}
			oursPer = append(oursPer, float64(c.Microseconds())/float64(rep.Summary.Requests))
			return nil
		}
		baseRun := func() error {
			var n int64
			c, err := measure(func() error {
				var err error
				n, err = e.plainVegeta(addr, vegeta.ConstantPacer{Freq: rate, Per: time.Second}, d, 64, true, 0, withResults, nil)
				return err
			})
			if err != nil {
				return err
			}
			basePer = append(basePer, float64(c.Microseconds())/float64(n))
			return nil
		}
		// Runs in pairs, alternating which goes first: the machine's state
		// drifts, and the two runs of a pair see the same state.
		for i := 0; i < pairs; i++ {
			first, second := oursRun, baseRun
			if i%2 == 1 {
				first, second = baseRun, oursRun
			}
			if err := first(); err != nil {
				return nil, err
			}
			if err := second(); err != nil {
				return nil, err
			}
			ratios = append(ratios, oursPer[i]/basePer[i])
		}
		o, b, q := median(oursPer), median(basePer), median(ratios)
		what := "results discarded by both; ours: histograms + latency.hlog on"
		if withResults {
			what = "both write JSON results; ours: + histograms + latency.hlog"
		}
		rows = append(rows, row{
			section: "keep-alive mTLS", metric: fmt.Sprintf("CPU µs/request @ %d/s, %v, %s", rate, d, map[bool]string{false: "no results file", true: "JSON results"}[withResults]),
			ours: o, base: b, ratio: q, target: "≤ 1.0", verdict: verdict(q <= 1.0),
			why: fmt.Sprintf("plain Vegeta lib, same pool (1 transport, 64 conns, HTTP/1.1, mTLS); %s; median of %d pairs (order alternated), pair ratios %.2f–%.2f", what, pairs, minOf(ratios), maxOf(ratios)),
		})
	}
	return rows, nil
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}

// maxRate: the highest rate each generator sustains, asked for far more
// than a 2-core machine can send.
func maxRate(e *env) ([]row, error) {
	addr, err := e.startHelper("helper-origin")
	if err != nil {
		return nil, err
	}
	defer e.stopHelpers()
	const ask = 50000
	d := e.dur(2 * time.Second)
	start := time.Now()
	rep, err := runOurs(append(e.ourOpts(addr), loadgen.Pops(1), loadgen.MaxConns(64), loadgen.Rate(ask, d))...)
	if err != nil {
		return nil, err
	}
	ours := float64(rep.Summary.Success) / time.Since(start).Seconds()
	start = time.Now()
	n, err := e.plainVegeta(addr, vegeta.ConstantPacer{Freq: ask, Per: time.Second}, d, 64, true, 0, true, nil)
	if err != nil {
		return nil, err
	}
	base := float64(n) / time.Since(start).Seconds()
	return []row{{
		section: "keep-alive mTLS", metric: fmt.Sprintf("highest rate sustained (asked %d/s), req/s", ask),
		ours: ours, base: base, ratio: ours / base, target: "(info)", verdict: "",
		why: "answered requests / wall time; origin shares the 2 cores, so this bounds the pair, not the generator",
	}}, nil
}

// handshakeCPU: full mTLS handshakes per generator CPU-second, no reuse,
// vs a bare crypto/tls dial loop with the same TLS settings: once paced at
// the same rate (both pay for sleeping and waking per request), once
// saturated with the same concurrency (4 workers vs 4 goroutines).
func handshakeCPU(e *env) ([]row, error) {
	addr, err := e.startHelper("helper-origin")
	if err != nil {
		return nil, err
	}
	defer e.stopHelpers()
	const rate = 250
	d := e.dur(3 * time.Second)
	type variant struct {
		name    string
		opts    []loadgen.Option
		paced   bool
		workers int
	}
	variants := []variant{
		{name: fmt.Sprintf("paced %d/s", rate), opts: []loadgen.Option{loadgen.Rate(rate, d)}, paced: true, workers: 4},
		{name: "saturated, 4 workers", opts: []loadgen.Option{loadgen.Rate(100000, d), loadgen.MaxWorkers(4)}, workers: 4},
	}
	const pairs = 3
	var rows []row
	for _, v := range variants {
		var ours, base, ratios []float64
		for i := 0; i < pairs; i++ {
			var rep *loadgen.Report
			c, err := measure(func() error {
				var err error
				opts := append(e.ourOpts(addr), loadgen.Pops(4), loadgen.Reuse(false), loadgen.Resumption(false))
				rep, err = runOurs(append(opts, v.opts...)...)
				return err
			})
			if err != nil {
				return nil, err
			}
			s := rep.Summary
			if s.Errors > 0 || s.Handshakes.Resumed > 0 {
				return nil, fmt.Errorf("handshake run: %d errors %v, %d resumed", s.Errors, s.ErrorsByClass, s.Handshakes.Resumed)
			}
			ours = append(ours, float64(s.Handshakes.Full)/c.Seconds())

			n := s.Handshakes.Full
			var done int64
			c, err = measure(func() error {
				var err error
				if v.paced {
					done, err = e.bareDialPaced(addr, n, rate, false)
				} else {
					done, err = e.bareDialLoop(addr, n, v.workers, false)
				}
				return err
			})
			if err != nil {
				return nil, err
			}
			base = append(base, float64(done)/c.Seconds())
			ratios = append(ratios, ours[i]/base[i])
		}
		o, b, q := median(ours), median(base), median(ratios)
		why := "bare crypto/tls dial+handshake+close, a goroutine per tick, same ciphers/curves"
		if !v.paced {
			why = "bare crypto/tls dial+handshake+close loop in 4 goroutines, same ciphers/curves"
		}
		why += fmt.Sprintf("; ours also sends a GET per connection; median of %d pairs, pair ratios %.2f–%.2f", pairs, minOf(ratios), maxOf(ratios))
		rows = append(rows, row{
			section: "full handshakes", metric: "mTLS handshakes per CPU-second, " + v.name,
			ours: o, base: b, ratio: q, target: "≥ 0.9", verdict: verdict(q >= 0.9), why: why,
		})
		// What the HTTP exchange itself costs: the same bare loop, plus one
		// GET read to the end on each connection.
		n := int64(float64(rate) * d.Seconds())
		var done int64
		c, err := measure(func() error {
			var err error
			if v.paced {
				done, err = e.bareDialPaced(addr, n, rate, true)
			} else {
				done, err = e.bareDialLoop(addr, n, v.workers, true)
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		g := float64(done) / c.Seconds()
		rows = append(rows, row{
			section: "full handshakes", metric: "… vs the same bare loop + one raw GET per connection",
			ours: o, base: g, ratio: o / g, target: "(info)",
			why: "the bare loop also writes a GET and reads the response: net/http, Vegeta and tracing are what remains",
		})
	}
	return rows, nil
}

func (e *env) bareConfig() *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{e.cert}, RootCAs: e.roots, ServerName: serverName,
		MinVersion: tls.VersionTLS12, CurvePreferences: cloudfront.Curves,
	}
}

func bareHandshake(addr string, cfg *tls.Config, get bool) error {
	raw, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return err
	}
	tc := tls.Client(raw, cfg)
	err = tc.Handshake()
	if err == nil && get {
		_ = tc.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err = io.WriteString(tc, "GET / HTTP/1.1\r\nHost: "+serverName+"\r\nConnection: close\r\n\r\n"); err == nil {
			_, err = io.Copy(io.Discard, tc)
		}
	}
	_ = tc.Close()
	return err
}

// bareDialPaced does n handshakes at rate per second, a goroutine each
// (with get, each also sends one GET and reads the response).
func (e *env) bareDialPaced(addr string, n int64, rate float64, get bool) (int64, error) {
	cfg := e.bareConfig()
	var done atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	start := time.Now()
	for i := int64(0); i < n; i++ {
		time.Sleep(time.Until(start.Add(time.Duration(float64(i) / rate * float64(time.Second)))))
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := bareHandshake(addr, cfg, get); err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
				return
			}
			done.Add(1)
		}()
	}
	wg.Wait()
	return done.Load(), firstErr
}

func (e *env) bareDialLoop(addr string, n int64, par int, get bool) (int64, error) {
	cfg := e.bareConfig()
	var next, done atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, par)
	for i := 0; i < par; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= n {
				if err := bareHandshake(addr, cfg, get); err != nil {
					errs <- err
					return
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	close(errs)
	return done.Load(), <-errs
}

// coordinatedOmission: the origin stalls every response for a known time;
// p99/p99.9 measured from the intended send vs the truth computed from the
// schedule, and vs Vegeta with a worker cap.
func coordinatedOmission(e *env) ([]row, error) {
	const rate = 200
	d := e.dur(4 * time.Second)
	stallAt, stallFor := d*3/8, d/4
	const workers = 4

	truth := func(base time.Duration) (p99, p999 time.Duration) {
		h := latency.New()
		n := int(float64(rate) * d.Seconds())
		for i := 0; i < n; i++ {
			at := time.Duration(float64(i) / rate * float64(time.Second))
			l := base
			if at >= stallAt && at < stallAt+stallFor {
				l += stallAt + stallFor - at
			}
			h.Record(l)
		}
		return h.Quantile(99), h.Quantile(99.9)
	}

	run := func(capped bool) (p99, p999, base time.Duration, err error) {
		addr, err := e.startHelper("helper-stall", "-after", stallAt.String(), "-for", stallFor.String())
		if err != nil {
			return 0, 0, 0, err
		}
		defer e.stopHelpers()
		opts := append(e.ourOpts(addr), loadgen.Pops(1), loadgen.MaxConns(256), loadgen.Rate(rate, d))
		if capped {
			opts = append(opts, loadgen.MaxWorkers(workers))
		}
		rep, err := runOurs(opts...)
		if err != nil {
			return 0, 0, 0, err
		}
		if rep.Summary.Errors > 0 {
			return 0, 0, 0, fmt.Errorf("stall run: %v", rep.Summary.ErrorsByClass)
		}
		h := rep.Histograms.Merged(loadgen.PhaseCorrected)
		return h.Quantile(99), h.Quantile(99.9), rep.Histograms.Merged(loadgen.PhaseTotal).Quantile(50), nil
	}
	o99, o999, base, err := run(true)
	if err != nil {
		return nil, err
	}
	u99, _, _, err := run(false)
	if err != nil {
		return nil, err
	}
	t99, t999 := truth(base)

	// Vegeta with the same worker cap measures from the actual send.
	addr, err := e.startHelper("helper-stall", "-after", stallAt.String(), "-for", stallFor.String())
	if err != nil {
		return nil, err
	}
	vh := latency.New()
	if _, err := e.plainVegeta(addr, vegeta.ConstantPacer{Freq: rate, Per: time.Second}, d, 256, true, workers, false, func(r *vegeta.Result) { vh.Record(r.Latency) }); err != nil {
		return nil, err
	}
	e.stopHelpers()
	v99, v999 := vh.Quantile(99), vh.Quantile(99.9)

	rel := func(a, b time.Duration) float64 { return float64(a) / float64(b) }
	within := func(r float64) bool { return math.Abs(r-1) <= 0.05 }
	ms := func(x time.Duration) float64 { return float64(x.Microseconds()) / 1e3 }
	why := fmt.Sprintf("truth from the schedule: %d/s for %v, all responses held %v–%v, base %v", rate, d, stallAt, stallAt+stallFor, base.Round(10*time.Microsecond))
	return []row{
		{section: "coordinated omission", metric: fmt.Sprintf("p99 ms, %d workers, vs truth", workers), ours: ms(o99), base: ms(t99), ratio: rel(o99, t99), target: "±5 %", verdict: verdict(within(rel(o99, t99))), why: why},
		{section: "coordinated omission", metric: fmt.Sprintf("p99.9 ms, %d workers, vs truth", workers), ours: ms(o999), base: ms(t999), ratio: rel(o999, t999), target: "±5 %", verdict: verdict(within(rel(o999, t999))), why: "same run"},
		{section: "coordinated omission", metric: "p99 ms, unbounded workers, vs truth", ours: ms(u99), base: ms(t99), ratio: rel(u99, t99), target: "±5 %", verdict: verdict(within(rel(u99, t99))), why: "Vegeta's default: workers grow during the stall"},
		{section: "coordinated omission", metric: fmt.Sprintf("p99 ms vs Vegeta, %d workers", workers), ours: ms(o99), base: ms(v99), ratio: rel(o99, v99), target: "(info)", why: fmt.Sprintf("Vegeta measures from the actual send: its p99 %.1f ms, p99.9 %.1f ms understate the stall", ms(v99), ms(v999))},
	}, nil
}

// memory: peak RSS of a generator process for N and 10·N requests.
func memory(e *env) ([]row, error) {
	addr, err := e.startHelper("helper-origin")
	if err != nil {
		return nil, err
	}
	defer e.stopHelpers()
	// N long enough (2 s) that the garbage collector has reached its
	// steady state in both runs: a shorter run ends before its first
	// collections and understates the small figure.
	const rate = 2000
	n := int64(float64(4000) * e.scale)
	sent := map[int64]int64{}
	rss := func(requests int64) (int64, error) {
		exe, err := os.Executable()
		if err != nil {
			return 0, err
		}
		d := time.Duration(float64(requests) / rate * float64(time.Second))
		cmd := exec.Command(exe, "helper-memory", "-pki", filepath.Join(e.dir, "pki"), "-addr", addr,
			"-rate", strconv.Itoa(rate), "-duration", d.String(), "-out", e.dir)
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			return 0, fmt.Errorf("memory child: %w", err)
		}
		var kb, got int64
		if _, err := fmt.Sscanf(string(out), "maxrss_kb %d requests %d", &kb, &got); err != nil {
			return 0, fmt.Errorf("memory child said %q", out)
		}
		sent[requests] = got
		return kb, nil
	}
	small, err := rss(n)
	if err != nil {
		return nil, err
	}
	large, err := rss(10 * n)
	if err != nil {
		return nil, err
	}
	r := float64(large) / float64(small)
	return []row{{
		section: "memory", metric: fmt.Sprintf("peak RSS MiB, %d vs %d requests sent", sent[10*n], sent[n]),
		ours: float64(large) / 1024, base: float64(small) / 1024, ratio: r, target: "< 1.2", verdict: verdict(r < 1.2),
		why: fmt.Sprintf("separate generator processes at %d/s, 4 pops, results.json and latency.hlog to files; /proc/self/status VmHWM", rate),
	}}, nil
}

// disk measures what a run leaves on disk per second of run, for each
// results mode: the raw results (results.json, results.json.gz or none)
// and what every run writes (latency.hlog, series.json, run.json).
func disk(e *env) ([]row, error) {
	addr, err := e.startHelper("helper-origin")
	if err != nil {
		return nil, err
	}
	defer e.stopHelpers()
	d := e.dur(3 * time.Second)
	var rows []row
	for _, rate := range []float64{1000, 5000} {
		var full float64
		for _, mode := range []loadgen.ResultsMode{loadgen.ResultsFull, loadgen.ResultsGzip, loadgen.ResultsNone} {
			out := filepath.Join(e.dir, fmt.Sprintf("disk-%g-%s", rate, mode))
			opts := []loadgen.Option{
				loadgen.Target(targetURL(addr)), loadgen.ConnectTo(addr), loadgen.RootCAs(e.roots, "bench"),
				loadgen.ClientIdentity(loadgen.Identity{Name: "chain.valid", Certificate: &e.cert}), loadgen.Pops(4), loadgen.Rate(rate, d),
			}
			rep, err := certify.RunLoad(context.Background(), opts, certify.LoadOptions{Out: out, Results: mode})
			if err != nil {
				return nil, err
			}
			var bytes int64
			entries, err := os.ReadDir(out)
			if err != nil {
				return nil, err
			}
			for _, en := range entries {
				if info, err := en.Info(); err == nil {
					bytes += info.Size()
				}
			}
			perS := float64(bytes) / d.Seconds()
			if mode == loadgen.ResultsFull {
				full = perS
			}
			s := rep.Summary
			rows = append(rows, row{
				section: "disk", metric: fmt.Sprintf("bytes on disk per second of run @ %g/s, results %s", rate, mode),
				ours: perS, base: full, ratio: perS / full, target: "(info)",
				why: fmt.Sprintf("%d requests sent (%.0f/s achieved), %.0f bytes/request; baseline: results full; latency.hlog + series.json + run.json included", s.Requests, s.RateAchieved, float64(bytes)/float64(max(s.Requests, 1))),
			})
		}
	}
	return rows, nil
}

func minOf(v []float64) float64 {
	m := math.Inf(1)
	for _, x := range v {
		m = math.Min(m, x)
	}
	return m
}

func maxOf(v []float64) float64 {
	m := math.Inf(-1)
	for _, x := range v {
		m = math.Max(m, x)
	}
	return m
}

// helper runs the program's child roles.
func helper(mode string, args []string) error {
	fs := flag.NewFlagSet(mode, flag.ContinueOnError)
	pkiDir := fs.String("pki", "", "PKI directory")
	after := fs.Duration("after", 0, "stall: hold responses from this long after the first request")
	hold := fs.Duration("for", 0, "stall: for this long")
	addr := fs.String("addr", "", "memory: origin address")
	rate := fs.Int("rate", 0, "memory: rate")
	d := fs.Duration("duration", 0, "memory: duration")
	out := fs.String("out", "", "memory: directory for results")
	if err := fs.Parse(args); err != nil {
		return err
	}
	pki, err := fixtures.LoadDir(*pkiDir)
	if err != nil {
		return err
	}
	switch mode {
	case "helper-origin":
		srv, err := origin.Start(origin.Config{PKI: pki, Profile: origin.Strict, Addr: "127.0.0.1:0"})
		if err != nil {
			return err
		}
		fmt.Printf("listening %s\n", srv.Addr())
		_, _ = io.Copy(io.Discard, os.Stdin) // until the parent goes away
		return srv.Close()
	case "helper-stall":
		return stallOrigin(pki, *after, *hold)
	case "helper-memory":
		cert := pki.Identity("chain.valid").TLSCertificate()
		rf, err := os.CreateTemp(*out, "results-*.json")
		if err != nil {
			return err
		}
		defer os.Remove(rf.Name())
		hf, err := os.CreateTemp(*out, "latency-*.hlog")
		if err != nil {
			return err
		}
		defer os.Remove(hf.Name())
		rep, err := runOurs(loadgen.Target(targetURL(*addr)), loadgen.ConnectTo(*addr), loadgen.RootCAs(pki.ServerRootPool(), "bench"),
			loadgen.ClientIdentity(loadgen.Identity{Name: "chain.valid", Certificate: &cert}),
			loadgen.Results(rf), loadgen.HistogramLog(hf), loadgen.Pops(4), loadgen.Rate(float64(*rate), *d))
		if err != nil {
			return err
		}
		if rep.Summary.Errors > 0 {
			return fmt.Errorf("%d errors: %v", rep.Summary.Errors, rep.Summary.ErrorsByClass)
		}
		// VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss over
		// from the parent across fork and exec.
		kb, err := vmHWM()
		if err != nil {
			return err
		}
		fmt.Printf("maxrss_kb %d requests %d\n", kb, rep.Summary.Requests)
		return errors.Join(rf.Close(), hf.Close())
	}
	return fmt.Errorf("unknown helper %s", mode)
}

// vmHWM is this process's peak resident set size in KiB.
func vmHWM() (int64, error) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		}
	}
	return 0, errors.New("no VmHWM in /proc/self/status")
}

// stallOrigin is an mTLS origin that holds every response arriving in
// [first request + after, + hold) until the end of that window.
func stallOrigin(pki *fixtures.PKI, after, hold time.Duration) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	var once sync.Once
	var first time.Time
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		once.Do(func() { first = now })
		from := first.Add(after)
		until := from.Add(hold)
		if !now.Before(from) && now.Before(until) {
			time.Sleep(time.Until(until))
		}
		_, _ = io.WriteString(w, "ok\n")
	})
	srv := &http.Server{
		Handler: h,
		TLSConfig: &tls.Config{
			Certificates: []tls.Certificate{pki.ServerCertificate()},
			ClientAuth:   tls.RequireAndVerifyClientCert,
			ClientCAs:    pki.ClientRootPool(),
		},
		TLSNextProto:      map[string]func(*http.Server, *tls.Conn, http.Handler){},
		ReadHeaderTimeout: 10 * time.Second,
	}
	fmt.Printf("listening %s\n", ln.Addr())
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		_ = srv.Close()
	}()
	if err := srv.ServeTLS(ln, "", ""); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

package main

import (
	"fmt"
	"io"
	"os"

	"github.com/originproof/originproof/loadgen"
)

// progressPrinter shows a live line on a terminal, plain lines every 5 s otherwise.
type progressPrinter struct {
	w    io.Writer
	tty  bool
	n    int
	live bool
}

func newProgressPrinter(w io.Writer) *progressPrinter {
	p := &progressPrinter{w: w}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

func (p *progressPrinter) print(pr loadgen.Progress) {
	p.n++
	line := fmt.Sprintf("%6.1fs  %d/%d requests  %.1f/s  p99 %.2f ms  errors %d",
		pr.Elapsed.Seconds(), pr.Requests, pr.Scheduled, pr.Rate, float64(pr.P99.Microseconds())/1e3, pr.Errors)
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s", line)
		p.live = true
		return
	}
	if p.n%5 == 0 {
		fmt.Fprintln(p.w, line)
	}
}

func (p *progressPrinter) done() {
	if p.live {
		fmt.Fprintln(p.w)
	}
}

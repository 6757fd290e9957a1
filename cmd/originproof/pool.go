package main

import (
	"time"

	"github.com/spf13/pflag"

	"github.com/originproof/originproof/cloudfront"
	"github.com/originproof/originproof/loadgen"
)

// poolFlags are the flags load and capacity share that shape the modelled
// edges: how many pops, each pop's connections and keep-alive, Origin
// Shield, and the cap on the generator's workers.
type poolFlags struct {
	pops, maxConns int
	keepalive      time.Duration
	originShield   bool
	maxWorkers     uint64
}

// register adds the flags; popsHelp is --pops' help text.
func (p *poolFlags) register(fl *pflag.FlagSet, popsHelp string) {
	fl.IntVar(&p.pops, "pops", loadgen.DefaultPops, popsHelp)
	fl.IntVar(&p.maxConns, "max-conns", loadgen.DefaultMaxConns, "connections per pop, at most")
	fl.DurationVar(&p.keepalive, "keepalive", cloudfront.KeepaliveTimeout.Default, "CloudFront's origin keep-alive (idle) timeout, "+cloudfront.KeepaliveTimeout.Range())
	fl.BoolVar(&p.originShield, "origin-shield", false, "funnel all traffic through one regional pool (not with --pops)")
	fl.Uint64Var(&p.maxWorkers, "max-workers", 0, "cap on Vegeta's workers (0: unbounded; a cap shows as generator_limited)")
}

// check refuses --origin-shield with --pops: a usage error.
func (p *poolFlags) check(cmd string, fl *pflag.FlagSet) error {
	if p.originShield && fl.Changed("pops") {
		return usageError("%s: --origin-shield funnels all traffic through one pool: do not combine it with --pops", cmd)
	}
	return nil
}

// options are the flags as loadgen options; with Origin Shield and no
// --pops they set no pop count (the shield is one pool).
func (p *poolFlags) options(fl *pflag.FlagSet) []loadgen.Option {
	opts := []loadgen.Option{loadgen.MaxConns(p.maxConns), loadgen.KeepAlive(p.keepalive), loadgen.OriginShield(p.originShield), loadgen.MaxWorkers(p.maxWorkers)}
	if fl.Changed("pops") || !p.originShield {
		opts = append(opts, loadgen.Pops(p.pops))
	}
	return opts
}

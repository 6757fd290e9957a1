package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/pflag"

	"github.com/originproof/originproof/certify"
)

// shardFlags are the flags that run one shard of a run on several machines.
type shardFlags struct {
	shard, startAt string
	tolerance      time.Duration
}

func (f *shardFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&f.shard, "shard", "", "i/N: run shard i of N (every N-th request of each phase); auto: from "+certify.EnvCompletionIndex+" (0-based, set in a Kubernetes Indexed Job) and "+certify.EnvShards)
	fl.StringVar(&f.startAt, "start-at", "", "RFC3339 instant at which every shard starts its load (a start barrier; the machines' clocks must agree)")
	fl.DurationVar(&f.tolerance, "start-tolerance", certify.DefaultStartTolerance, "a shard reaching --start-at later than this refuses to run (exit 3)")
}

// resolve checks the flags; every problem is a usage error naming its flag.
func (f *shardFlags) resolve(cmd string) (certify.Shard, time.Time, error) {
	sh, err := certify.ParseShard(f.shard, os.Getenv)
	if err != nil {
		return sh, time.Time{}, flagError(cmd, err)
	}
	var at time.Time
	if f.startAt != "" {
		if at, err = time.Parse(time.RFC3339, f.startAt); err != nil {
			return sh, at, usageError("%s: --start-at %q: want an RFC3339 instant, e.g. %s", cmd, f.startAt, time.Now().UTC().Add(time.Minute).Truncate(time.Second).Format(time.RFC3339))
		}
		if time.Until(at) > 24*time.Hour {
			return sh, at, usageError("%s: --start-at %s is more than a day away", cmd, f.startAt)
		}
	}
	if f.tolerance <= 0 {
		return sh, at, usageError("%s: --start-tolerance %v: want a positive duration", cmd, f.tolerance)
	}
	return sh, at, nil
}

// waiting shows the wait for the start barrier: a line every 10 s.
func waiting(w io.Writer, cmd string) func(time.Duration) {
	last := time.Duration(-1)
	return func(left time.Duration) {
		s := left.Round(time.Second)
		if last < 0 || last-s >= 10*time.Second {
			fmt.Fprintf(w, "%s: waiting %v for --start-at\n", cmd, s)
			last = s
		}
	}
}

package scenarios

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/originproof/originproof/cdn"
	"github.com/originproof/originproof/cloudfront"
	"github.com/originproof/originproof/loadgen"
)

// limit is the allowed range of a field named by its `limit` tag: from
// package cloudfront (CloudFront's documented settings) or from the pool
// model of package loadgen. The validator checks it and the JSON Schema and
// --dry-run descriptions state it, so neither restates a number.
type limit struct {
	ints  *[2]int                   // count fields: min, max
	durs  *cloudfront.DurationRange // duration fields
	extra string                    // said after the range
}

var limits = map[string]limit{
	"pops":             {ints: &[2]int{1, loadgen.MaxPops}},
	"max_conns":        {ints: &[2]int{1, loadgen.MaxConnsPerPop}},
	"connect_attempts": {ints: &[2]int{cloudfront.ConnectionAttempts.Min, cloudfront.ConnectionAttempts.Max}, extra: "only " + strings.Join(cloudfront.RetriedMethods, " and ") + " are retried"},
	"keepalive":        {durs: &cloudfront.KeepaliveTimeout},
	"connect_timeout":  {durs: &cloudfront.ConnectionTimeout},
	"read_timeout":     {durs: &cloudfront.ReadTimeout},
}

// text describes the range for documentation.
func (l limit) text() string {
	var s string
	switch {
	case l.ints != nil:
		s = fmt.Sprintf("%d-%d", l.ints[0], l.ints[1])
	case l.durs != nil:
		s = l.durs.Help()
	}
	if l.extra != "" {
		s += "; " + l.extra
	}
	return s
}

// limitEnum are the allowed values of a field whose `limit` tag names a
// list kept elsewhere (the CDN presets of package cdn).
func limitEnum(name string) []string {
	if name == "cdn" {
		return cdn.Names()
	}
	return nil
}

// limitText is what a field's `limit` tag adds to its description.
func limitText(name string) string {
	if name == "preset" {
		return presetText()
	}
	if l, ok := limits[name]; ok {
		return l.text()
	}
	return ""
}

// presetValues are the pooling settings a preset fills in.
type presetValues struct {
	pops, maxConns, attempts        int
	keepalive, connect, read        time.Duration
	originShield, resumption, reuse bool
}

// cloudFrontDefaults are CloudFront's documented defaults with the pool
// model's default number of pops and connections.
func cloudFrontDefaults() presetValues {
	return presetValues{
		pops: loadgen.DefaultPops, maxConns: loadgen.DefaultMaxConns, attempts: cloudfront.ConnectionAttempts.Default,
		keepalive: cloudfront.KeepaliveTimeout.Default, connect: cloudfront.ConnectionTimeout.Default, read: cloudfront.ReadTimeout.Default,
		resumption: true, reuse: true,
	}
}

// presets are the pooling presets, each CloudFront's defaults with one change.
var presets = func() map[string]presetValues {
	def := cloudFrontDefaults()
	shield := def
	shield.pops, shield.originShield = 1, true
	maxKeepalive := def
	maxKeepalive.keepalive = cloudfront.KeepaliveTimeout.APIMax
	return map[string]presetValues{
		"cloudfront-default":       def,
		"origin-shield":            shield,
		"cloudfront-max-keepalive": maxKeepalive,
	}
}()

func presetText() string {
	d := presets["cloudfront-default"]
	parts := []string{fmt.Sprintf("cloudfront-default: %gs keep-alive, %gs connect, %d attempts, %gs read, %d pops x %d connections",
		d.keepalive.Seconds(), d.connect.Seconds(), d.attempts, d.read.Seconds(), d.pops, d.maxConns)}
	names := make([]string, 0, len(presets))
	for n := range presets {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := presets[n]
		switch {
		case n == "cloudfront-default":
		case p.originShield:
			parts = append(parts, n+": the same through one regional pool (Origin Shield)")
		case p.keepalive != d.keepalive:
			parts = append(parts, fmt.Sprintf("%s: the same with a %gs keep-alive (the API's maximum)", n, p.keepalive.Seconds()))
		}
	}
	return strings.Join(parts, "; ")
}

package certify

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/originproof/originproof/cdn"
	"github.com/originproof/originproof/checks"
	"github.com/originproof/originproof/cloudfront"
	"github.com/originproof/originproof/loadgen"
	"github.com/originproof/originproof/reports"
)

// Fields of the distribution inputs, as InputError names them.
const (
	FieldDistribution = "distribution-config"
	FieldOriginID     = "origin-id"
)

// LookupCDN returns the preset named name ("" for CloudFront); an unknown
// name is an InputError.
func LookupCDN(name string) (*cdn.Preset, error) {
	if name == "" {
		return cdn.CloudFront, nil
	}
	p, err := cdn.Lookup(name)
	if err != nil {
		return nil, &InputError{Field: FieldCDN, Err: err}
	}
	return p, nil
}

// LoadDistribution reads a CloudFront distribution config (any of the shapes
// cloudfront.ParseDistributionConfig takes) and picks the origin to check:
// originID, or the only origin. Problems are InputErrors naming the file,
// or the origin id (with the distribution's origins) when it is missing or
// wrong.
func LoadDistribution(file, originID string) (*cloudfront.Origin, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, inputErr(FieldDistribution, "%q: %v", file, unwrapPath(err))
	}
	d, err := cloudfront.ParseDistributionConfig(data)
	if err != nil {
		return nil, inputErr(FieldDistribution, "%q: %v", file, err)
	}
	o, err := d.Origin(originID)
	var ce *cloudfront.OriginChoiceError
	switch {
	case errors.As(err, &ce):
		return nil, &InputError{Field: FieldOriginID, Err: err}
	case err != nil:
		return nil, inputErr(FieldDistribution, "%q: %v", file, err)
	}
	return o, nil
}

// ReadTimeoutCheck is distribution.read-timeout judged from a load run:
// no request timed out, and time to first byte p99.9 stayed below the
// distribution's OriginReadTimeout.
func ReadTimeoutCheck(s *loadgen.Summary, o *cloudfront.Origin) reports.Check {
	const id = "distribution.read-timeout"
	cat, _ := checks.Lookup(id)
	c := reports.Check{ID: id, Group: cat.Group, Severity: cat.Severity, Expected: cat.Expected, Layer: checks.LayerNone,
		Detail: "time to first byte counts from the request's start (a new connection's connect and handshake included), so it over-states the wait OriginReadTimeout bounds; CloudFront answers 504 past it"}
	ttfb := s.Latency[loadgen.PhaseTTFB]
	p999 := time.Duration(ttfb.P999 * float64(time.Millisecond))
	timedOut := s.ErrorsByClass[loadgen.ErrTimeout]
	switch {
	case s.Requests == 0:
		c.Status, c.Observed = checks.StatusError, "no request was sent"
	case timedOut > 0:
		c.Status, c.Observed = checks.Judge(true, cat.Severity), fmt.Sprintf("%d of %d requests timed out (OriginReadTimeout %v)", timedOut, s.Requests, o.ReadTimeout)
	case ttfb.Count == 0:
		c.Status, c.Observed = checks.StatusError, "no response was measured"
	default:
		c.Status = checks.Judge(p999 >= o.ReadTimeout, cat.Severity)
		c.Observed = fmt.Sprintf("time to first byte p99.9 %.1f ms over %d responses, OriginReadTimeout %v", ttfb.P999, ttfb.Count, o.ReadTimeout)
	}
	return c
}

// JudgeLoadWithDistribution adds distribution.read-timeout to a load run's
// summary and lets it fail the verdict.
func JudgeLoadWithDistribution(sum *reports.Summary, o *cloudfront.Origin) {
	if sum.Load == nil || o == nil {
		return
	}
	c := ReadTimeoutCheck(sum.Load, o)
	sum.SetCheck(c)
	if sum.Config == nil {
		sum.Config = map[string]any{}
	}
	sum.Config["distribution"] = o.Summary()
	if c.Status == checks.StatusFail && sum.Verdict == checks.VerdictPass {
		sum.Verdict, sum.VerdictReason = checks.VerdictFail, c.ID+": "+c.Observed
	}
}

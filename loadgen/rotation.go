package loadgen

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
)

// RotationCheckID is the conformance check the rotation run decides.
const RotationCheckID = "rotation.under-load"

// RotationResult is the outcome of RotationUnderLoad, for the suites to
// record as the rotation.under-load check.
type RotationResult struct {
	ID     string `json:"id"`
	Passed bool   `json:"passed"`
	// Inconclusive is set when the run could not decide: nothing was
	// sent, the run was interrupted, or no request was ever made with the
	// next identity.
	Inconclusive  bool             `json:"inconclusive"`
	From          string           `json:"from"`
	To            string           `json:"to"`
	Requests      int64            `json:"requests"`
	Failed        int64            `json:"failed"`
	FailedByClass map[string]int64 `json:"failed_by_class,omitempty"`
	// ServedWith counts successful requests by identity.
	ServedWith map[string]int64 `json:"served_with"`
	Detail     string           `json:"detail"`
	Summary    Summary          `json:"summary"`
}

// RotationUnderLoad runs load while the pools switch from current to next,
// one pop after another (as edges pick up a re-imported certificate at
// different times), between 25 % and 60 % of the run. The check passes
// only when no request failed and requests were served with the next
// identity. opts point the run at the origin (Target, ConnectTo, RootCAs,
// …) and may set the pools and the schedule (by default 4 pops, 40
// requests per second for 3 s).
func RotationUnderLoad(ctx context.Context, current, next Identity, opts ...Option) (*RotationResult, error) {
	probe := defaults()
	for _, o := range opts {
		o(&probe)
	}
	all := append([]Option{Rate(40, 3*time.Second)}, opts...)
	sched := Constant(40, 3*time.Second)
	if probe.schedule != nil {
		sched = *probe.schedule
		if sched.cum == nil {
			sched = newSchedule(sched.Model, sched.Segments...)
		}
	}
	d := sched.Duration()
	all = append(all, ClientIdentity(current), RotateTo(next, d/4, d*3/5))
	e, err := New(all...)
	if err != nil {
		return nil, err
	}
	rep, err := e.Run(ctx)
	if err != nil {
		return nil, err
	}
	s := rep.Summary
	res := &RotationResult{
		ID:            RotationCheckID,
		From:          current.Name,
		To:            next.Name,
		Requests:      s.Requests,
		Failed:        s.Errors,
		FailedByClass: s.ErrorsByClass,
		ServedWith:    s.Identities,
		Summary:       s,
	}
	switch {
	case s.Interrupted:
		res.Inconclusive = true
		res.Detail = "the run was interrupted before the rotation completed"
	case s.Requests == 0:
		res.Inconclusive = true
		res.Detail = "no request was sent"
	case s.Errors > 0:
		res.Detail = fmt.Sprintf("%d of %d requests failed while %d pools switched from %s to %s (%s)",
			s.Errors, s.Requests, len(s.Pops), current.Name, next.Name, classes(s.ErrorsByClass))
	case s.Identities[next.Name] == 0:
		res.Inconclusive = true
		res.Detail = fmt.Sprintf("no request was served with %s: the pools never switched", next.Name)
	default:
		res.Passed = true
		res.Detail = fmt.Sprintf("all %d requests served while %d pools switched from %s to %s (%d with the new identity)",
			s.Requests, len(s.Pops), current.Name, next.Name, s.Identities[next.Name])
	}
	return res, nil
}

func classes(m map[string]int64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s: %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

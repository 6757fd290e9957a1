package certify

import (
	"fmt"

	"github.com/originproof/originproof/checks"
	"github.com/originproof/originproof/loadgen"
	"github.com/originproof/originproof/reports"
	"github.com/originproof/originproof/scenarios"
)

// rotationNext is the identity the pools switch to in a rotation drill: a
// certificate under the next root, as an edge that picked up a re-imported one.
const rotationNext = "rotation.next-accepted"

// rotationUnderLoad turns the rotation drill into the rotation.under-load
// check: zero failed requests while the pools switched identity, and
// requests served with the next identity. It is nil when the scenario has
// no rotation-drill phase.
func rotationUnderLoad(plan *scenarios.LoadPlan, stats []scenarios.PhaseStats, next string) *reports.Check {
	idx := -1
	for i, w := range plan.Windows {
		if w.Kind == "rotation-drill" {
			idx = i
			break
		}
	}
	if idx < 0 {
		return nil
	}
	const id = "rotation.under-load"
	cat, _ := checks.Lookup(id)
	st := stats[idx]
	c := reports.Check{ID: id, Group: cat.Group, Severity: cat.Severity, Expected: cat.Expected, Layer: checks.LayerNone}
	served := st.Identities[next]
	switch {
	case st.Requests == 0:
		c.Status, c.Observed = checks.StatusError, "no request was sent in the rotation drill"
	case st.Errors > 0:
		c.Status, c.Observed = checks.Judge(true, cat.Severity), fmt.Sprintf("%d of %d requests failed while the pools switched identity (%s)", st.Errors, st.Requests, loadgen.ClassList(st.ErrorsByClass))
	case served == 0:
		c.Status, c.Observed = checks.StatusError, "no request was served with the next identity: the switch did not happen"
	default:
		c.Status, c.Observed = checks.StatusPass, fmt.Sprintf("0 of %d requests failed; %d served with the next identity", st.Requests, served)
	}
	c.Detail = fmt.Sprintf("phase %s: pools switched to %s one pop after another between %v and %v", st.Name, rotationNext, plan.RotateFrom, plan.RotateUntil)
	return &c
}

package capacity

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/originproof/originproof/fixtures/servers"
	"github.com/originproof/originproof/internal/testenv"
	"github.com/originproof/originproof/loadgen"
)

// TestOriginCPUOfNginx: --origin-pid on Debian's nginx. Its master does
// no TLS; the worker, its child, does every handshake: the sampler must
// count it, giving nginx's CPU per full handshake with a client
// certificate and without one. The verify-optional configuration verifies
// a certificate when one is given and serves requests without one, so the
// same server is measured both ways.
func TestOriginCPUOfNginx(t *testing.T) {
	if testing.Short() {
		t.Skip("starts nginx and searches for seconds")
	}
	nginx, _ := servers.Lookup("nginx")
	pkiDir, p := testenv.WritePKI(t)
	proc, err := nginx.Start(context.Background(), servers.Options{PKIDir: pkiDir, Variant: "verify-optional"})
	if errors.Is(err, servers.ErrMissing) && os.Getenv("ORIGINPROOF_REQUIRE_TOOLS") == "" {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer proc.Stop()
	sample, err := ProcessCPU("", proc.PID())
	if err != nil {
		t.Fatal(err)
	}
	subjects, err := Subjects(p, pkiDir, []Workload{Handshakes}, []string{"chain.valid", "none"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := groundTruthSearch(50)
	s.MaxRate, s.MaxDuration = 200, loadgen.Duration(40*time.Second)
	res, err := Run(context.Background(), Config{
		Load:     []loadgen.Option{loadgen.Target(proc.URL()), loadgen.ConnectTo(proc.Addr()), loadgen.RootCAs(p.ServerRootPool(), "test PKI"), loadgen.LagLimit(lagLimit)},
		Subjects: subjects, SLO: groundTruthSLO, Search: s, OriginCPU: sample, OriginPID: proc.PID(),
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range res.Workloads {
		if len(e.Steps) == 0 || e.Refused != "" {
			t.Fatalf("%s: %d steps, refused %q\n%s", e.Identity, len(e.Steps), e.Refused, proc.Output())
		}
		for _, st := range e.Steps {
			if st.OriginCPUMs == nil || st.Errors > 0 {
				t.Errorf("%s at %v/s: origin CPU %v, %d errors %v", e.Identity, st.Offered, st.OriginCPUMs, st.Errors, st.ErrorsByClass)
			}
		}
		// An ECDSA handshake costs nginx tens to hundreds of µs; 0 would
		// mean the worker was not counted, tens of ms a wrong unit.
		if c := e.OriginCPUPerHandshake; c == nil || *c <= 0 || *c > 20000 {
			t.Errorf("%s: nginx CPU per full handshake %v µs", e.Identity, c)
		} else {
			t.Logf("%s: nginx CPU %.0f µs per full handshake (knee %v, limited by %s)", e.Identity, *c, e.KneeRate, e.LimitedBy)
		}
	}
	if len(res.Deltas) != 1 || res.Deltas[0].OriginCPU == nil {
		t.Errorf("deltas %+v: want the origin CPU with and without mTLS", res.Deltas)
	}
}

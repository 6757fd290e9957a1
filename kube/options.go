package kube

import (
	"fmt"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/originproof/originproof/loadgen"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Options configures Render. ScenarioFile, Shards and Image are required.
type Options struct {
	// ScenarioFile is the scenario to run (a certify scenario file).
	ScenarioFile string
	// Shards is how many pods share the load (each sends 1/Shards of it).
	Shards int
	// Image is the originproof image the pods run (`make image` builds one).
	Image string
	// Namespace of every object; empty leaves it to kubectl's context.
	Namespace string
	// StartIn is how long after rendering the shards start their load
	// together (the command line's default is DefaultStartIn).
	StartIn time.Duration
	// ResultsClaim names an existing ReadWriteMany claim for the outputs;
	// empty renders one.
	ResultsClaim string
	// Merge adds the Job that merges the shards' outputs.
	Merge bool
	// PKIOut is where the PKI minted at render time is written when the
	// scenario has pki.generate or pki.ca_cert (required then).
	PKIOut string
	// Results is what the shards keep of their raw results (the scenario's
	// results: key in the pods): gzip unless set — a shard of a long run at
	// a high rate writes gigabytes of results.json otherwise.
	Results loadgen.ResultsMode
	// Version is the originproof version (label app.kubernetes.io/version).
	Version string
	// Now is the render time (time.Now when zero).
	Now time.Time
}

// Limits of the options.
const (
	DefaultStartIn = 2 * time.Minute
	MaxStartIn     = 24 * time.Hour
	// MaxShards bounds the Job; every shard still sends at least its share
	// of the peak rate.
	MaxShards = 1000
)

// OptionError is an option or input file with an unusable value; Option is
// what the command line calls it ("--shards", "pki.dir").
type OptionError struct {
	Option string
	Reason string
}

func (e *OptionError) Error() string { return e.Option + ": " + e.Reason }

func optErr(opt, format string, a ...any) error {
	return &OptionError{Option: opt, Reason: fmt.Sprintf(format, a...)}
}

// validate checks the options that need no file, and fills defaults.
func (o *Options) validate() error {
	if o.ScenarioFile == "" {
		return optErr("SCENARIO", "a scenario file is required")
	}
	if o.Shards < 1 || o.Shards > MaxShards {
		return optErr("--shards", "%d is out of range (1-%d)", o.Shards, MaxShards)
	}
	if o.Image == "" {
		return optErr("--image", "an image is required (build one with 'make image' and push it where the cluster pulls from)")
	}
	if _, err := name.ParseReference(o.Image); err != nil {
		return optErr("--image", "%q is not an image reference: %v", o.Image, err)
	}
	if o.Namespace != "" {
		if errs := validation.IsDNS1123Label(o.Namespace); len(errs) > 0 {
			return optErr("--namespace", "%q is not a namespace name: %s", o.Namespace, errs[0])
		}
	}
	if o.StartIn < time.Second || o.StartIn > MaxStartIn {
		return optErr("--start-in", "%v is out of range (1s-%v): the pods must be scheduled and started before it ends", o.StartIn, MaxStartIn)
	}
	if o.ResultsClaim != "" {
		if errs := validation.IsDNS1123Subdomain(o.ResultsClaim); len(errs) > 0 {
			return optErr("--results-claim", "%q is not a claim name: %s", o.ResultsClaim, errs[0])
		}
	}
	mode, err := loadgen.ParseResultsMode(string(o.Results))
	if err != nil || o.Results == "" {
		if o.Results != "" {
			return optErr("--results", "%v", err)
		}
		mode = loadgen.ResultsGzip
	}
	o.Results = mode
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	return nil
}

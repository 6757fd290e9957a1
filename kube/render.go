package kube

import (
	"fmt"
	"path"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/originproof/originproof/checks"
	"github.com/originproof/originproof/fixtures"
	"github.com/originproof/originproof/scenarios"
)

// Environment of the shard pods: `certify --shard auto` reads both.
const (
	EnvCompletionIndex = "JOB_COMPLETION_INDEX"
	EnvShards          = "ORIGINPROOF_SHARDS"
)

// Container names (pod failure rules name the container).
const (
	ShardContainer = "certify"
	MergeContainer = "merge"
)

// NonRootID is the user and group the pods run as (the image's user).
const NonRootID = 65532

// Exit codes of the command-line contract the Job's failure policy keys on.
const exitUsage = 2

// deadlineSlack is what a shard may take beyond its start delay and its
// load phases: scheduling, conformance on shard 1, writing the outputs.
// The Job's activeDeadlineSeconds keeps every run bounded in time.
const deadlineSlack = 15 * time.Minute

// Manifests is one rendered run, objects in the order they are applied.
type Manifests struct {
	// Run names the run: the shard Job, the instance label and the
	// directory under the results claim.
	Run       string
	Scenario  string // the scenario's name
	Namespace string
	Shards    int
	StartAt   time.Time
	JobName   string
	// MergeJobName is empty unless Options.Merge.
	MergeJobName string
	ClaimName    string
	// CAKeysSecret is the Secret a user may create with the PKI's CA keys
	// (CAKeys, file names under ca/) for the checks that mint identities
	// during the run; it is mounted optional, so the run goes on without.
	CAKeysSecret string
	CAKeys       []string
	// PKIDir is the PKI directory on this machine the material came from.
	PKIDir string
	// Sizing says how the shards' resources were worked out.
	Sizing string
	// Deadline is the shard Job's activeDeadlineSeconds.
	Deadline time.Duration
	Objects  []runtime.Object
}

// ShardDir is shard i's output directory on the results claim (0-based,
// as JOB_COMPLETION_INDEX).
func (m *Manifests) ShardDir(i string) string { return path.Join(ResultsMount, m.Run, "shard-"+i) }

// MergedDir is the merged run's output directory on the results claim.
func (m *Manifests) MergedDir() string { return path.Join(ResultsMount, m.Run, "merged") }

// Render reads the scenario and builds the objects that run it as
// opts.Shards pods. With pki.generate or pki.ca_cert it mints the PKI once,
// into opts.PKIOut, so every shard presents the same identities. Errors are
// about the input: an *OptionError naming the flag or scenario field,
// scenarios.Errors for a malformed scenario.
func Render(opts Options) (*Manifests, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	s, err := scenarios.LoadFile(opts.ScenarioFile, scenarios.Options{KnownChecks: checks.IDs()})
	if err != nil {
		if scenarios.IsScenarioError(err) {
			return nil, err
		}
		return nil, optErr(opts.ScenarioFile, "%v", unwrapPath(err))
	}
	plan, err := s.Plan()
	if err != nil {
		return nil, optErr(opts.ScenarioFile, "%v", err)
	}
	if plan == nil && opts.Shards > 1 {
		return nil, optErr("--shards", "%s has no load phases: there is no load to share between %d shards (use --shards 1)", opts.ScenarioFile, opts.Shards)
	}
	// The scenario's own files first: nothing is minted for a run that
	// cannot be rendered.
	podScenario, extra, err := scenarioInputs(s, opts.Results)
	if err != nil {
		return nil, err
	}
	pkiDir, err := resolvePKI(s, opts)
	if err != nil {
		return nil, err
	}
	in, err := pkiInputs(pkiDir)
	if err != nil {
		return nil, err
	}
	in.files = append(in.files, extra...)
	if err := refuseCAKeys(in.files); err != nil {
		return nil, optErr("pki", "%v", err)
	}
	groups, err := splitFiles(in.files, secretBudget)
	if err != nil {
		return nil, optErr("pki", "%v", err)
	}

	base := baseName(s.Name, opts.ScenarioFile)
	if podScenario.Name == "" {
		podScenario.Name = base
	}
	scenarioYAML, err := podScenario.YAML()
	if err != nil {
		return nil, fmt.Errorf("kube: scenario for the pods: %w", err)
	}
	var requests int64
	var loadTime time.Duration
	if plan != nil {
		requests, loadTime = plan.Schedule.Requests(), plan.Schedule.Duration()
	}
	load := estimate(s, opts.Shards)
	res := load.resources()
	r := &renderer{opts: opts, version: labelValue(opts.Version), base: base}
	m := &Manifests{
		Run: runName(base, opts.Now), Scenario: podScenario.Name, Namespace: opts.Namespace, Shards: opts.Shards,
		StartAt:      opts.Now.Add(opts.StartIn).UTC().Truncate(time.Second),
		CAKeysSecret: base + "-ca-keys", CAKeys: in.caKeys, PKIDir: pkiDir,
		Sizing:   load.describe(res),
		Deadline: (opts.StartIn + loadTime + deadlineSlack).Truncate(time.Second),
	}
	r.m = m
	m.JobName = m.Run
	m.ClaimName = opts.ResultsClaim
	if m.ClaimName == "" {
		m.ClaimName = m.Run + "-results"
		m.Objects = append(m.Objects, r.claim(claimSize(requests, opts.Shards)))
	}
	m.Objects = append(m.Objects, r.configMap(scenarioYAML))
	var secrets []*corev1.Secret
	for i, g := range groups {
		sec := r.secret(fmt.Sprintf("%s-inputs-%d", m.Run, i), g)
		secrets = append(secrets, sec)
		m.Objects = append(m.Objects, sec)
	}
	m.Objects = append(m.Objects, r.shardJob(secrets, groups, res))
	if opts.Merge {
		m.MergeJobName = m.Run + "-merge"
		m.Objects = append(m.Objects, r.mergeJob())
	}
	return m, nil
}

// resolvePKI returns the PKI directory whose material the shards get. A
// pki.dir is used as it is; pki.generate and pki.ca_cert are minted here,
// once, into opts.PKIOut: shards minting their own would each present
// different identities, and the origin must be configured from one PKI.
func resolvePKI(s *scenarios.Scenario, opts Options) (string, error) {
	if s.PKI.Dir != "" {
		if opts.PKIOut != "" {
			return "", optErr("--pki-out", "the scenario's PKI is pki.dir %s: nothing is minted at render time", s.PKI.Dir)
		}
		return s.PKI.Dir, nil
	}
	if opts.PKIOut == "" {
		return "", optErr("--pki-out", "the scenario has pki.generate or pki.ca_cert: the PKI is minted once, at render time, so that every shard presents the same identities; give --pki-out DIR to keep it (configure the origin from DIR/origin/; DIR/ca/ holds the CA keys, which stay out of the cluster)")
	}
	fopts := fixtures.Options{ServerName: s.Target.ServerName}
	if s.PKI.CACert != "" {
		ca, err := fixtures.LoadUserCA(s.PKI.CACert, s.PKI.CAKey)
		if err != nil {
			return "", optErr("pki.ca_cert", "%v", err)
		}
		fopts.UserCA = ca
	}
	p, err := fixtures.Generate(fopts)
	if err != nil {
		return "", optErr("pki", "%v", err)
	}
	if err := p.WriteDir(opts.PKIOut, false); err != nil {
		return "", optErr("--pki-out", "%v", err)
	}
	return opts.PKIOut, nil
}

type renderer struct {
	opts    Options
	m       *Manifests
	version string
	base    string
}

func ptr[T any](v T) *T { return &v }

// labels are the recommended labels of an object of the run.
func (r *renderer) labels(component string) map[string]string {
	return map[string]string{
		LabelName:      "originproof",
		LabelInstance:  r.m.Run,
		LabelComponent: component,
		LabelPartOf:    r.base,
		LabelManagedBy: "originproof",
		LabelVersion:   r.version,
	}
}

func (r *renderer) meta(name, component string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: r.opts.Namespace, Labels: r.labels(component)}
}

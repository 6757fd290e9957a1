package kube

import (
	"strconv"
	"time"

	"github.com/originproof/originproof/fixtures"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Volume names of the pods.
const (
	volInputs  = "inputs"
	volResults = "results"
	volTmp     = "tmp"
)

// inputsMode: owner and group may read; the pods' fsGroup makes the group
// theirs (the files are the kubelet's, the process is not root).
const inputsMode = 0o440

var (
	typeConfigMap = metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}
	typeSecret    = metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"}
	typeClaim     = metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"}
	typeJob       = metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"}
)

func (r *renderer) claim(size resource.Quantity) *corev1.PersistentVolumeClaim {
	return &corev1.PersistentVolumeClaim{
		TypeMeta:   typeClaim,
		ObjectMeta: r.meta(r.m.ClaimName, ComponentResults),
		Spec: corev1.PersistentVolumeClaimSpec{
			// Every shard writes its own directory from its own node.
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany},
			Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: size}},
		},
	}
}

func (r *renderer) configMap(scenarioYAML []byte) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		TypeMeta:   typeConfigMap,
		ObjectMeta: r.meta(r.m.Run+"-scenario", ComponentScenario),
		Immutable:  ptr(true),
		Data:       map[string]string{scenarioRel: string(scenarioYAML)},
	}
}

func (r *renderer) secret(name string, files []inputFile) *corev1.Secret {
	data := make(map[string][]byte, len(files))
	for _, f := range files {
		data[secretKey(f.rel)] = f.data
	}
	return &corev1.Secret{
		TypeMeta:   typeSecret,
		ObjectMeta: r.meta(name, ComponentInputs),
		Immutable:  ptr(true),
		Type:       corev1.SecretTypeOpaque,
		Data:       data,
	}
}

// inputsVolume projects the scenario, the rendered Secrets (each key to its
// path) and, when the user created it, the CA-keys Secret into one
// read-only directory laid out as the scenario expects: pki/ is a `pki
// init` directory without the keys the cluster must not hold.
func (r *renderer) inputsVolume(secrets []*corev1.Secret, groups [][]inputFile) corev1.Volume {
	sources := []corev1.VolumeProjection{{ConfigMap: &corev1.ConfigMapProjection{
		LocalObjectReference: corev1.LocalObjectReference{Name: r.m.Run + "-scenario"},
		Items:                []corev1.KeyToPath{{Key: scenarioRel, Path: scenarioRel}},
	}}}
	for i, sec := range secrets {
		var items []corev1.KeyToPath
		for _, f := range groups[i] {
			items = append(items, corev1.KeyToPath{Key: secretKey(f.rel), Path: f.rel})
		}
		sources = append(sources, corev1.VolumeProjection{Secret: &corev1.SecretProjection{
			LocalObjectReference: corev1.LocalObjectReference{Name: sec.Name}, Items: items,
		}})
	}
	if keys := r.m.mintingKeys(); len(keys) > 0 {
		var items []corev1.KeyToPath
		for _, k := range keys {
			items = append(items, corev1.KeyToPath{Key: k, Path: pkiRel + "/" + fixtures.DirCA + "/" + k})
		}
		// Optional: without it (or without some of its keys) the pods
		// start, and the checks that need a CA key are skipped with the
		// reason. Only the keys those checks use are mapped, whatever else
		// the Secret holds. Every pod of the Job mounts it (one pod
		// template); only shard 1 runs those checks.
		sources = append(sources, corev1.VolumeProjection{Secret: &corev1.SecretProjection{
			LocalObjectReference: corev1.LocalObjectReference{Name: r.m.CAKeysSecret}, Items: items, Optional: ptr(true),
		}})
	}
	return corev1.Volume{Name: volInputs, VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
		Sources: sources, DefaultMode: ptr(int32(inputsMode)),
	}}}
}

func (r *renderer) resultsVolume() corev1.Volume {
	return corev1.Volume{Name: volResults, VolumeSource: corev1.VolumeSource{
		PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: r.m.ClaimName},
	}}
}

// tmpVolume is the one writable place besides the results: the root
// filesystem is read-only.
func tmpVolume() corev1.Volume {
	limit := resource.MustParse("256Mi")
	return corev1.Volume{Name: volTmp, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{SizeLimit: &limit}}}
}

// podSecurity: non-root with the image's user, the kubelet's seccomp
// profile, and a group that owns the projected inputs and the claim.
func podSecurity() *corev1.PodSecurityContext {
	return &corev1.PodSecurityContext{
		RunAsNonRoot: ptr(true), RunAsUser: ptr(int64(NonRootID)), RunAsGroup: ptr(int64(NonRootID)),
		FSGroup: ptr(int64(NonRootID)), FSGroupChangePolicy: ptr(corev1.FSGroupChangeOnRootMismatch),
		SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
}

// containerSecurity: nothing to escalate to, nothing to write but the mounts.
func containerSecurity() *corev1.SecurityContext {
	return &corev1.SecurityContext{
		RunAsNonRoot: ptr(true), AllowPrivilegeEscalation: ptr(false), ReadOnlyRootFilesystem: ptr(true),
		Capabilities:   &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
}

func (r *renderer) podSpec(c corev1.Container, volumes ...corev1.Volume) corev1.PodSpec {
	c.Image = r.opts.Image
	c.ImagePullPolicy = corev1.PullIfNotPresent
	c.SecurityContext = containerSecurity()
	c.VolumeMounts = append(c.VolumeMounts,
		corev1.VolumeMount{Name: volResults, MountPath: ResultsMount},
		corev1.VolumeMount{Name: volTmp, MountPath: TmpMount})
	return corev1.PodSpec{
		// Never: a restarted container would send its load again.
		RestartPolicy:                corev1.RestartPolicyNever,
		AutomountServiceAccountToken: ptr(false),
		EnableServiceLinks:           ptr(false),
		SecurityContext:              podSecurity(),
		Containers:                   []corev1.Container{c},
		Volumes:                      append(volumes, r.resultsVolume(), tmpVolume()),
	}
}

// shardJob is the Indexed Job: pod i (JOB_COMPLETION_INDEX, 0-based) runs
// shard i+1 of N, all starting their load at StartAt.
//
// Retries: none, for any shard. A shard that failed may already have sent
// load (or, started again, would start after StartAt and its tolerance),
// so rerunning it would skew the merged run. restartPolicy Never keeps the
// kubelet from restarting the container; backoffLimitPerIndex 0 makes a
// failed pod fail its index without a replacement, while the other indexes
// run to the end (maxFailedIndexes unset: their outputs still merge, and
// merge reports the missing shard). The podFailurePolicy says it per
// cause: exit 2 (invalid input, which every shard shares) fails the whole
// Job at once; a pod disrupted by eviction or preemption fails its index.
// Everything else (exit 1: the origin failed; 3: inconclusive or late;
// OOM) counts against backoffLimitPerIndex 0: the index fails.
// Needs Kubernetes 1.29 or newer (backoffLimitPerIndex, FailIndex).
func (r *renderer) shardJob(secrets []*corev1.Secret, groups [][]inputFile, res corev1.ResourceRequirements) *batchv1.Job {
	n := int32(r.opts.Shards)
	c := corev1.Container{
		Name: ShardContainer,
		Args: []string{"certify", ScenarioPath, "--shard", "auto", "--start-at", r.m.StartAt.Format(time.RFC3339),
			"--out", r.m.ShardDir("$(" + EnvCompletionIndex + ")")},
		Env: []corev1.EnvVar{
			// Declared (the Job controller would also add it) so that
			// $(JOB_COMPLETION_INDEX) expands in args.
			{Name: EnvCompletionIndex, ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{
				FieldPath: "metadata.annotations['" + batchv1.JobCompletionIndexAnnotation + "']"}}},
			{Name: EnvShards, Value: strconv.Itoa(r.opts.Shards)},
		},
		Resources:    res,
		VolumeMounts: []corev1.VolumeMount{{Name: volInputs, MountPath: InputsMount, ReadOnly: true}},
	}
	spec := r.podSpec(c, r.inputsVolume(secrets, groups))
	// Shards on different nodes: one node's CPU, NIC and source ports are
	// what a shard is there to add to.
	spec.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
		PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{
			Weight: 100,
			PodAffinityTerm: corev1.PodAffinityTerm{
				LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{LabelInstance: r.m.Run, LabelComponent: ComponentShard}},
				TopologyKey:   corev1.LabelHostname,
			},
		}},
	}}
	return &batchv1.Job{
		TypeMeta:   typeJob,
		ObjectMeta: r.meta(r.m.JobName, ComponentShard),
		Spec: batchv1.JobSpec{
			CompletionMode:        ptr(batchv1.IndexedCompletion),
			Completions:           ptr(n),
			Parallelism:           ptr(n),
			BackoffLimitPerIndex:  ptr(int32(0)),
			ActiveDeadlineSeconds: ptr(int64(r.m.Deadline / time.Second)),
			PodFailurePolicy: &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{
				{Action: batchv1.PodFailurePolicyActionFailJob, OnExitCodes: &batchv1.PodFailurePolicyOnExitCodesRequirement{
					ContainerName: ptr(ShardContainer), Operator: batchv1.PodFailurePolicyOnExitCodesOpIn, Values: []int32{exitUsage}}},
				{Action: batchv1.PodFailurePolicyActionFailIndex, OnPodConditions: []batchv1.PodFailurePolicyOnPodConditionsPattern{
					{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue}}},
			}},
			TTLSecondsAfterFinished: ptr(int32(ttlAfterFinished / time.Second)),
			Template:                corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: r.labels(ComponentShard)}, Spec: spec},
		},
	}
}

// ttlAfterFinished keeps finished Jobs (and their pods' logs) a day, long
// enough to wait on them and merge; the outputs stay on the claim.
const ttlAfterFinished = 24 * time.Hour

// mergeJob merges the shards' outputs once they are complete. It sends no
// traffic, and merging the same directories again fails the same way: no
// retries either.
func (r *renderer) mergeJob() *batchv1.Job {
	// A shard that never ran (its index failed) is left out with a
	// warning: the merged run says so and its thresholds judge the rest.
	args := []string{"merge", "--allow-missing", "--out", r.m.MergedDir()}
	for i := 0; i < r.opts.Shards; i++ {
		args = append(args, r.m.ShardDir(strconv.Itoa(i)))
	}
	c := corev1.Container{Name: MergeContainer, Args: args, Resources: mergeResources()}
	return &batchv1.Job{
		TypeMeta:   typeJob,
		ObjectMeta: r.meta(r.m.MergeJobName, ComponentMerge),
		Spec: batchv1.JobSpec{
			Completions:             ptr(int32(1)),
			Parallelism:             ptr(int32(1)),
			BackoffLimit:            ptr(int32(0)),
			ActiveDeadlineSeconds:   ptr(int64(mergeDeadline / time.Second)),
			TTLSecondsAfterFinished: ptr(int32(ttlAfterFinished / time.Second)),
			Template:                corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: r.labels(ComponentMerge)}, Spec: r.podSpec(c)},
		},
	}
}

// mergeDeadline bounds the merge Job.
const mergeDeadline = 30 * time.Minute

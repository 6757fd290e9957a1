// Package kube renders the Kubernetes objects that run a scenario as N
// shards on a cluster: the scenario in a ConfigMap, the PKI material the
// shards need in Secrets (client identities and public material, never a CA
// private key), an Indexed Job whose pods run
// `originproof certify SCENARIO --shard auto --start-at …`, a ReadWriteMany
// claim for the shards' outputs and, on request, the Job that merges them.
// Objects are k8s.io/api types serialised as YAML; nothing is templated.
package kube

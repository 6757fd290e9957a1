package scenarios

import "embed"

// Examples are the example scenarios shipped with originproof:
// go-live.yaml (the full gate), rotation-drill.yaml, origin-shield.yaml and
// smoke.yaml (fast, for every pipeline run).
//
//go:embed *.yaml
var Examples embed.FS

// Package suites holds originproof's conformance catalogue as Ginkgo specs
// and the runner that executes them in-process.
package suites

// Package scenarios owns the scenario file format of `originproof certify`:
// its schema, strict parsing, validation and the example scenarios.
package scenarios

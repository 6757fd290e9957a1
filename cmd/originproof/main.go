// Command originproof certifies an origin server for CloudFront origin mTLS:
// conformance suites, CloudFront-shaped load, reports and a CI verdict.
package main

import (
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

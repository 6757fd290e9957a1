// Command gendoc writes the conformance catalogue as Markdown (docs/checks.md).
package main

import (
	"fmt"
	"os"

	"github.com/originproof/originproof/checks"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gendoc FILE")
		os.Exit(2)
	}
	if err := os.WriteFile(os.Args[1], checks.Markdown(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

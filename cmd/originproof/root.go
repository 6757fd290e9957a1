package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"

	"github.com/originproof/originproof/certify"
	"github.com/originproof/originproof/checks"
	"github.com/originproof/originproof/reports"
	"github.com/spf13/cobra"
)

// Exit codes of the command-line contract: stable, CI scripts depend on them.
const (
	exitPass         = 0
	exitFail         = 1
	exitUsage        = 2
	exitInconclusive = 3
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// exitError carries the exit code a failure maps to.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageError reports invalid invocation or input: exit 2.
func usageError(format string, a ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, a...)}
}

// inconclusiveError reports a run that could not reach a verdict: exit 3.
func inconclusiveError(format string, a ...any) error {
	return &exitError{code: exitInconclusive, err: fmt.Errorf(format, a...)}
}

// failedError reports an origin that failed the certification: exit 1.
func failedError(format string, a ...any) error {
	return &exitError{code: exitFail, err: fmt.Errorf(format, a...)}
}

// flagError turns a library's invalid-input error into a usage error
// naming the flag (certify.InputError fields are flag names); other errors
// pass through.
func flagError(cmd string, err error) error {
	var ie *certify.InputError
	if errors.As(err, &ie) {
		return usageError("%s: --%v", cmd, ie)
	}
	return err
}

// verdictError maps a run's verdict to the exit code: 3 inconclusive,
// 1 fail, 0 pass.
func verdictError(cmd string, sum *reports.Summary) error {
	return verdictExit(cmd, "inconclusive: ", "the origin failed: ", sum)
}

// verdictExit is verdictError with the words that introduce the reason.
func verdictExit(cmd, inconclusive, failed string, sum *reports.Summary) error {
	switch sum.Verdict {
	case checks.VerdictInconclusive:
		return inconclusiveError("%s: %s%s", cmd, inconclusive, sum.VerdictReason)
	case checks.VerdictFail:
		return failedError("%s: %s%s", cmd, failed, sum.VerdictReason)
	}
	return nil
}

// commandFactories are registered by each command's file (init), so every
// command lives in its own file and the root needs no edit to gain one.
var commandFactories = map[string]func() *cobra.Command{}

func register(name string, f func() *cobra.Command) { commandFactories[name] = f }

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "originproof",
		Short: "Certify an origin server for CloudFront origin mTLS before go-live",
		Long: `originproof certifies an origin server for CloudFront origin mTLS.

It proves the origin lets in the right client certificate and keeps out every
wrong one (conformance), and that it stays fast and error-free under
CloudFront-shaped traffic (load). Reports come out as summary.json, junit.xml
and a self-contained report.html.

Exit codes: 0 pass, 1 the origin failed a must check or a threshold,
2 invalid invocation or input, 3 inconclusive (unreachable target, interrupted
run, a must check that errored).`,
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetVersionTemplate("originproof {{.Version}}\n")
	names := make([]string, 0, len(commandFactories))
	for n := range commandFactories {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		root.AddCommand(commandFactories[n]())
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError("%s: %v (see '%s --help')", c.CommandPath(), err, c.CommandPath())
	})
	return root
}

// run executes the CLI and maps the outcome to an exit code; only main calls os.Exit.
func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitPass
	}
	fmt.Fprintf(stderr, "originproof: %v\n", err)
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	// Errors cobra raises itself (unknown command, bad args) are invocation errors.
	return exitUsage
}

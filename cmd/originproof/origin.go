package main

import (
	"errors"
	"fmt"
	"log"
	"math"
	"net"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/originproof/originproof/fixtures"
	"github.com/originproof/originproof/fixtures/origin"
)

func init() { register("origin", newOriginCmd) }

func newOriginCmd() *cobra.Command {
	var (
		pkiDir, profile, listen, admin string
		faultSpecs                     []string
		verbose                        bool
		maxHandshakes, maxRequests     float64
	)
	cmd := &cobra.Command{
		Use:   "origin --pki DIR --profile NAME --listen ADDR [--fault NAME[:ARG]]…",
		Short: "Run a reference HTTPS origin (strict, or a named misconfiguration)",
		Long: "Run a reference HTTPS origin on loopback until interrupted.\n\nProfiles:\n" + profileHelp() +
			"\nFaults (--fault, repeatable, on top of the profile):\n" + faultHelp() +
			"\nThe origin prints 'listening on https://ADDR' when ready and serves its counters\n(connections, handshakes, requests, rejections, faults) as JSON on GET http://ADMIN/stats.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if pkiDir == "" {
				return usageError("origin: --pki is required (a directory written by 'originproof pki init')")
			}
			if _, ok := origin.Describe(profile); !ok {
				return usageError("origin: --profile %q is not a known profile (known: %s)", profile, strings.Join(origin.Profiles(), ", "))
			}
			if _, _, err := net.SplitHostPort(listen); err != nil {
				return usageError("origin: --listen %q: %v", listen, err)
			}
			var faults []origin.Fault
			for _, spec := range faultSpecs {
				f, err := origin.ParseFault(spec)
				if err != nil {
					return usageError("origin: --fault %v", err)
				}
				faults = append(faults, f)
			}
			for flag, v := range map[string]float64{"max-handshake-rate": maxHandshakes, "max-request-rate": maxRequests} {
				if !(v >= 0) || math.IsInf(v, 0) {
					return usageError("origin: --%s %v: want a rate per second (0: no limit)", flag, v)
				}
			}
			pki, err := fixtures.LoadDir(pkiDir)
			if err != nil {
				return usageError("origin: --pki: %v", err)
			}
			cfg := origin.Config{PKI: pki, Profile: profile, Addr: listen, AdminAddr: admin, Faults: faults, MaxHandshakeRate: maxHandshakes, MaxRequestRate: maxRequests}
			if verbose {
				cfg.ErrorLog = log.New(cmd.ErrOrStderr(), "origin: ", log.LstdFlags)
			}
			srv, err := origin.Start(cfg)
			if err != nil {
				if errors.Is(err, syscall.EADDRINUSE) {
					return usageError("origin: --listen %s: address already in use", listen)
				}
				return usageError("%v", err)
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "listening on https://%s (profile %s%s, server name %s)\n", srv.Addr(), profile, faultList(faults), pki.ServerName)
			if a := srv.AdminAddr(); a != "" {
				fmt.Fprintf(out, "admin on http://%s/stats\n", a)
			}
			select {
			case <-cmd.Context().Done():
			case <-srv.Done():
			}
			err = srv.Close()
			st := srv.Stats()
			fmt.Fprintf(out, "stopped: %d connections, %d full and %d resumed handshakes, %d requests served, rejected %v\n",
				st.Connections, st.FullHandshakes, st.ResumedHandshakes, st.Requests, st.Rejected)
			if len(faults) > 0 {
				fmt.Fprintf(out, "faults acted: %v\n", st.Faults)
			}
			if err != nil {
				return inconclusiveError("origin: %v", err)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&pkiDir, "pki", "", "PKI directory written by 'originproof pki init'")
	f.StringVar(&profile, "profile", origin.Strict, "origin behaviour: strict or a misconfiguration (see above)")
	f.StringVar(&listen, "listen", "127.0.0.1:8443", "address to listen on (keep it on loopback)")
	f.StringVar(&admin, "admin", "127.0.0.1:0", "address of the counters endpoint ('' for none)")
	f.StringArrayVar(&faultSpecs, "fault", nil, "inject a fault NAME[:ARG] on top of the profile (repeatable; see above)")
	f.Float64Var(&maxHandshakes, "max-handshake-rate", 0, "TLS handshakes per second beyond which handshakes wait their turn: a known capacity (0: no limit)")
	f.Float64Var(&maxRequests, "max-request-rate", 0, "requests per second beyond which requests wait their turn: a known capacity (0: no limit)")
	f.BoolVar(&verbose, "verbose", false, "log the HTTP server's errors (handshake failures) to stderr")
	return cmd
}

func profileHelp() string {
	var b strings.Builder
	for _, p := range origin.Profiles() {
		d, _ := origin.Describe(p)
		fmt.Fprintf(&b, "  %-24s %s\n", p, d)
	}
	return b.String()
}

func faultHelp() string {
	var b strings.Builder
	for _, n := range origin.FaultNames() {
		syntax, d, _ := origin.DescribeFault(n)
		fmt.Fprintf(&b, "  %s\n      %s\n", syntax, d)
	}
	return b.String()
}

// faultList is ", faults a, b" for the listening line ("" without faults).
func faultList(fs []origin.Fault) string {
	if len(fs) == 0 {
		return ""
	}
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.String()
	}
	return ", faults " + strings.Join(names, ", ")
}

package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/originproof/originproof/fixtures"
	"github.com/originproof/originproof/fixtures/origin"
)

func init() { register("demo", newDemoCmd) }

// demoServerName is the origin domain the demo's PKI is made for; the
// origins listen on loopback and are dialled there with this SNI.
const demoServerName = "origin.originproof.test"

func newDemoCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "demo [--out DIR]",
		Short: "Embedded default: reference origins on loopback, a correct one and a broken one",
		Long: `Run originproof on its embedded default, with no arguments needed.

It writes a test PKI under DIR/pki, starts the strict reference origin and a
broken one (optional-client-auth: lets clients without a certificate in) on
loopback, and shows how each treats a good client certificate, an expired one
and none at all. It exits 0 when every origin behaved as expected: the broken
origin letting the certificate-less client in is the point.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDemo(cmd.Context(), cmd.OutOrStdout(), out)
		},
	}
	cmd.Flags().StringVar(&out, "out", "out/demo", "directory for the demo's PKI and outputs")
	return cmd
}

type demoProbe struct {
	identity string // check id, or "" for no certificate
	label    string
}

func runDemo(ctx context.Context, w io.Writer, out string) error {
	pkiDir := filepath.Join(out, "pki")
	if err := os.MkdirAll(out, 0o755); err != nil {
		return usageError("demo: --out %s: %v", out, unwrapPath(err))
	}
	pki, err := fixtures.Generate(fixtures.Options{ServerName: demoServerName})
	if err != nil {
		return inconclusiveError("demo: %v", err)
	}
	if err := pki.WriteDir(pkiDir, true); err != nil {
		return usageError("demo: %v", err)
	}
	fmt.Fprintf(w, "test PKI for %s written to %s\n\n", demoServerName, pkiDir)

	probes := []demoProbe{
		{"chain.valid", "good client certificate"},
		{"validity.expired", "expired client certificate"},
		{"", "no client certificate"},
	}
	cases := []struct {
		profile string
		want    []string // per probe: accept or reject
	}{
		{origin.Strict, []string{"accept", "reject", "reject"}},
		{origin.OptionalClientAuth, []string{"accept", "reject", "accept"}},
	}
	ok := true
	for _, c := range cases {
		srv, err := origin.Start(origin.Config{PKI: pki, Profile: c.profile, Addr: "127.0.0.1:0"})
		if err != nil {
			return inconclusiveError("demo: %v", err)
		}
		desc, _ := origin.Describe(c.profile)
		fmt.Fprintf(w, "origin %q on https://%s\n  %s\n", c.profile, srv.Addr(), desc)
		for i, p := range probes {
			if ctx.Err() != nil {
				srv.Close()
				return inconclusiveError("demo: interrupted")
			}
			got, detail := demoRequest(ctx, pki, srv.Addr(), p.identity)
			mark := "as expected"
			if got != c.want[i] {
				mark, ok = "UNEXPECTED", false
			}
			fmt.Fprintf(w, "  %-28s %-7s %-40s %s\n", p.label, got, detail, mark)
		}
		srv.Close()
		fmt.Fprintln(w)
	}
	if !ok {
		return failedError("demo: an origin did not behave as expected")
	}
	fmt.Fprintln(w, "every origin behaved as expected: the strict origin keeps out the expired and the")
	fmt.Fprintln(w, "certificate-less client; the broken one lets a client without a certificate in.")
	return nil
}

// demoRequest sends one request over a fresh connection with the identity's
// certificate and reports accept or reject with a short reason.
func demoRequest(ctx context.Context, pki *fixtures.PKI, addr, identity string) (string, string) {
	cfg := &tls.Config{ServerName: pki.ServerName, RootCAs: pki.ServerRootPool(), MinVersion: tls.VersionTLS12}
	if identity != "" {
		cert := pki.Identity(identity).TLSCertificate()
		cfg.Certificates = []tls.Certificate{cert}
	}
	tr := &http.Transport{
		TLSClientConfig:   cfg,
		DisableKeepAlives: true,
		Proxy:             nil,
		DialContext:       (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+pki.ServerName+"/", nil)
	if err != nil {
		return "error", err.Error()
	}
	req.URL.Host = addr
	req.Host = pki.ServerName
	resp, err := client.Do(req)
	if err != nil {
		return "reject", "refused in the TLS handshake"
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode == http.StatusOK {
		return "accept", "HTTP 200"
	}
	return "reject", fmt.Sprintf("HTTP %d", resp.StatusCode)
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

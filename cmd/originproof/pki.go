package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/originproof/originproof/fixtures"
)

func init() { register("pki", newPKICmd) }

func newPKICmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "pki",
		Short: "Test PKI for configuring a staging origin",
	}
	cmd.AddCommand(newPKIInitCmd())
	return cmd
}

func newPKIInitCmd() *cobra.Command {
	var (
		dir, serverName, caCert, caKey, identity, keyType string
		force                                             bool
	)
	cmd := &cobra.Command{
		Use:   "init --dir DIR --server-name NAME [--ca-cert F --ca-key F]",
		Short: "Write a complete test PKI: client CAs, CRLs, server identity, one client identity per check",
		Long: `Write a complete test PKI for configuring a staging origin.

Layout under --dir:
  origin/client-ca-bundle.pem  roots the origin trusts for client certificates (current + next,
                               and an expired one for validity.root-expired)
  origin/client-crl.pem        one CRL for every CA in every trusted chain (OpenSSL crl_check_all),
                               the expired root's included
  origin/client-ca-next.pem    the next root alone (post-rotation phase)
  origin/sibling-client-ca.pem the root a second host on the address trusts (resumption.cross-host)
  origin/server.crt, .key      a server identity for NAME (leaf then intermediate)
  origin/server-root.pem       the root that verifies it
  clients/<check-id>/          cert.pem (leaf, then the chain it presents) and key.pem
  ca/                          CA certificates and keys for minting identities during a run
  manifest.json                what each file is, fingerprints, validity, the CloudFront identity
  state/                       written by conform later: rotation-session.json, the overlap phase's
                               TLS session for resumption.after-rotation (0600)

With --ca-cert/--ca-key your own test CA becomes the current client root:
intermediates and leaves are minted under it. Private keys are written 0600.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if dir == "" {
				return usageError("pki init: --dir is required")
			}
			if serverName == "" {
				return usageError("pki init: --server-name is required (the origin domain name CloudFront connects to)")
			}
			if (caCert == "") != (caKey == "") {
				return usageError("pki init: --ca-cert and --ca-key go together")
			}
			opts := fixtures.Options{ServerName: serverName, CloudFrontIdentity: identity, ClientKeyType: fixtures.KeyType(keyType)}
			if caCert != "" {
				ca, err := fixtures.LoadUserCA(caCert, caKey)
				if err != nil {
					return usageError("pki init: %v", err)
				}
				opts.UserCA = ca
			}
			pki, err := fixtures.Generate(opts)
			if err != nil {
				return usageError("pki init: %v", strings.TrimPrefix(err.Error(), "fixtures: "))
			}
			if err := pki.WriteDir(dir, force); err != nil {
				return usageError("pki init: %v", err)
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "wrote test PKI for %s to %s\n", serverName, dir)
			fmt.Fprintf(out, "  origin trusts:   %s\n", filepath.Join(dir, fixtures.FileClientCABundle))
			fmt.Fprintf(out, "  origin CRLs:     %s\n", filepath.Join(dir, fixtures.FileClientCRL))
			fmt.Fprintf(out, "  origin identity: %s, %s\n", filepath.Join(dir, fixtures.FileServerCert), filepath.Join(dir, fixtures.FileServerKey))
			fmt.Fprintf(out, "  good client:     %s (SAN %s)\n", filepath.Join(dir, fixtures.ClientCertFile("chain.valid")), pki.CloudFrontIdentity)
			for _, id := range pki.Identities {
				if id.Skipped != "" {
					fmt.Fprintf(out, "  skipped %s: %s\n", id.CheckID, id.Skipped)
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&dir, "dir", "", "directory to write the PKI into (must be empty unless --force)")
	f.StringVar(&serverName, "server-name", "", "origin domain name the server certificate is for (the SNI CloudFront sends)")
	f.StringVar(&caCert, "ca-cert", "", "your own test CA certificate (PEM) to mint the client catalogue under")
	f.StringVar(&caKey, "ca-key", "", "private key of --ca-cert (PEM: PKCS#1, PKCS#8 or SEC1; RSA, ECDSA or Ed25519; not encrypted)")
	f.StringVar(&identity, "cloudfront-identity", fixtures.DefaultCloudFrontIdentity, "DNS SAN of the good client certificate (the identity an origin pins)")
	f.StringVar(&keyType, "key-type", string(fixtures.ECDSAP256), "key type of the good client certificate: ecdsa-p256 or rsa-2048 (CloudFront accepts both)")
	f.BoolVar(&force, "force", false, "write into a non-empty directory, replacing files")
	return cmd
}

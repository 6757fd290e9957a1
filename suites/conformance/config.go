// Package conformance is originproof's conformance catalogue as Ginkgo specs
// and the runner that executes them in-process: it proves an origin lets in
// the right client certificate, keeps out every wrong one, and presents a
// server certificate and TLS setup CloudFront accepts.
package conformance

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/originproof/originproof/cdn"
	"github.com/originproof/originproof/checks"
	"github.com/originproof/originproof/cloudfront"
	"github.com/originproof/originproof/fixtures"
	"github.com/originproof/originproof/probe"
)

// Rotation phases.
const (
	PhaseOverlap = "overlap"
	PhasePost    = "post"
)

// Override changes a check's severity, with the reason recorded.
type Override struct {
	Severity checks.Severity
	Reason   string
}

// Config is everything a run needs, validated once before RunSpecs: the
// spec tree never reads flags or the environment.
type Config struct {
	// PKI supplies the client identities and the CAs for run-time minting.
	PKI *fixtures.PKI
	// Target is where probes connect (address, SNI, Host, path, headers).
	Target probe.Target
	// URL is the target as the user gave it (reports).
	URL string
	// ServerRoots verify the origin's server certificate (the PKI's server root when nil).
	ServerRoots *x509.CertPool
	// ServerRootsName describes ServerRoots in reports ("pki", "system", a file).
	ServerRootsName string
	// KnownIntermediates may complete the server chain for server-cert.trusted
	// (never for server-cert.complete-chain).
	KnownIntermediates []*x509.Certificate
	// ExpectIdentityPin makes the checks of checks.ExpectIdentityPin musts.
	ExpectIdentityPin bool
	// ExpectCRL makes the checks of checks.ExpectCRL musts.
	ExpectCRL bool
	// SiblingSNI is another name the origin's address serves: cross-host
	// resumption is probed from it and is a must (DefaultSiblingSNI, a
	// name the origin does not serve, when empty: it reaches the default host).
	SiblingSNI string
	// PKIDir is the directory PKI was loaded from; the overlap phase keeps a
	// session there for the post phase (resumption.after-rotation).
	PKIDir string
	// RotationPhase is overlap (both roots trusted) or post (current root retired).
	RotationPhase string
	// Keepalive is CloudFront's origin keep-alive timeout (its default when zero).
	Keepalive time.Duration
	// IdleBound bounds the probe of when the origin closes idle connections.
	IdleBound time.Duration
	// ShortLived is how long the resumption checks' short-lived chains live.
	ShortLived time.Duration
	// CloudFrontCert is the real certificate for ACM (optional).
	CloudFrontCert *fixtures.Identity
	// FailOnWarn makes a failed should check fail the verdict.
	FailOnWarn bool
	// LabelFilter selects check groups (Ginkgo label filter syntax).
	LabelFilter string
	// Overrides change severities per check id.
	Overrides map[string]Override
	// Server is the origin's server program (--server, the scenario's
	// target.server); "" to guess it from the Server header.
	Server checks.Server
	// Version is the tool version written into the summary.
	Version string
	// Log receives progress and Ginkgo's own output (discarded when nil).
	Log io.Writer
	// CDN is the CDN whose edges are modelled: request headers, client
	// certificate rules, keep-alive range (cdn.CloudFront when nil).
	CDN *cdn.Preset
	// Distribution is the origin as a CloudFront distribution config
	// describes it, with its behaviours; nil skips the distribution checks.
	Distribution *cloudfront.Origin
}

// DefaultSiblingSNI is the server name cross-host resumption is probed
// from when the user names no sibling: no origin serves it, so it reaches
// the origin's default host.
const DefaultSiblingSNI = "originproof-sibling.invalid"

// Defaults for the bounded probes.
const (
	DefaultIdleBound  = 12 * time.Second
	DefaultShortLived = 2 * time.Second
)

// validate fills defaults and checks the configuration.
func (c *Config) validate() error {
	if c.PKI == nil {
		return errors.New("conformance: a PKI is required")
	}
	if c.Target.Addr == "" || c.Target.ServerName == "" {
		return errors.New("conformance: the target needs an address and a server name")
	}
	if c.RotationPhase == "" {
		c.RotationPhase = PhaseOverlap
	}
	if c.RotationPhase != PhaseOverlap && c.RotationPhase != PhasePost {
		return fmt.Errorf("conformance: rotation phase %q: want overlap or post", c.RotationPhase)
	}
	c.CDN = cdn.Or(c.CDN)
	c.Target.CDN = c.CDN
	if c.Keepalive == 0 {
		c.Keepalive = c.CDN.Pool.Keepalive.Default
	}
	if err := c.CDN.Pool.Keepalive.Check(c.Keepalive); err != nil {
		return fmt.Errorf("conformance: keep-alive %w", err)
	}
	if c.IdleBound == 0 {
		c.IdleBound = DefaultIdleBound
	}
	if c.IdleBound < c.Keepalive+time.Second {
		c.IdleBound = c.Keepalive + 2*time.Second
	}
	if c.ShortLived == 0 {
		c.ShortLived = DefaultShortLived
	}
	if err := ValidateSiblingSNI(c.SiblingSNI, c.Target.ServerName); err != nil {
		return fmt.Errorf("conformance: sibling SNI %w", err)
	}
	if c.ServerRoots == nil {
		c.ServerRoots = c.PKI.ServerRootPool()
		c.ServerRootsName = "pki"
		if c.PKI.ServerIntermediate != nil {
			c.KnownIntermediates = append(c.KnownIntermediates, c.PKI.ServerIntermediate.Cert)
		}
	}
	for id, o := range c.Overrides {
		if _, ok := checks.Lookup(id); !ok {
			return fmt.Errorf("conformance: severity override for unknown check %q", id)
		}
		if o.Severity != checks.Must && o.Severity != checks.Should && o.Severity != checks.Info {
			return fmt.Errorf("conformance: severity override for %s: %q is not must, should or info", id, o.Severity)
		}
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	return nil
}

// ValidateSiblingSNI checks a sibling name ("" for none) against the
// origin's server name: a DNS name, and another one.
func ValidateSiblingSNI(name, serverName string) error {
	switch {
	case name == "":
		return nil
	case net.ParseIP(name) != nil || strings.ContainsAny(name, "/: ") || strings.HasPrefix(name, ".") || strings.HasSuffix(name, "."):
		return fmt.Errorf("%q: want a DNS name (a TLS client sends names as SNI, never addresses)", name)
	case strings.EqualFold(name, serverName):
		return fmt.Errorf("%q is the origin's own server name: name another host its address serves", name)
	}
	return nil
}

// siblingSNI is the name cross-host resumption is probed from.
func (c *Config) siblingSNI() string {
	if c.SiblingSNI != "" {
		return c.SiblingSNI
	}
	return DefaultSiblingSNI
}

// goodIdentity is the baseline identity: chain.valid, or in the post phase
// the identity minted under the next root.
func (c *Config) goodIdentity() *fixtures.Identity {
	if c.RotationPhase == PhasePost {
		return c.PKI.Identity("rotation.next-accepted")
	}
	return c.PKI.Identity("chain.valid")
}

// Package cloudfront holds every fact about Amazon CloudFront that
// originproof models: how CloudFront connects to an origin (timeouts,
// attempts, keep-alive), the TLS it offers and the set an origin must be
// compatible with, the request headers it sends, the rules for the origin
// mTLS client certificate, and the features AWS documents as unsupported with
// origin mTLS. Flags, scenario validation, the load generator, probes and
// checks all read these facts from here, so each one is stated once, with its
// source. It depends on the standard library only.
package cloudfront

import (
	"fmt"
	"time"
)

// Sources, as named in the comments of this package.
const (
	// DocOriginSettings: "Values that you specify when you create or update a
	// distribution", section Origin settings.
	DocOriginSettings = "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/distribution-web-values-specify.html"
	// DocCustomOriginConfigAPI: the CustomOriginConfig type of the CloudFront API.
	DocCustomOriginConfigAPI = "https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CustomOriginConfig.html"
	// DocOriginCiphers: "Supported protocols and ciphers between CloudFront and the origin".
	DocOriginCiphers = "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/secure-connections-supported-ciphers-cloudfront-to-origin.html"
	// DocCustomOriginBehavior: "Request and response behavior for custom origins".
	DocCustomOriginBehavior = "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/RequestAndResponseBehaviorCustomOrigin.html"
	// DocOriginMTLS: "Mutual TLS (origin) with CloudFront".
	DocOriginMTLS = "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/origin-mtls-authentication.html"
	// DocOriginMTLSEnable: "Enable mutual TLS (origin) for CloudFront distributions".
	DocOriginMTLSEnable = "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/origin-enable-mtls-distributions.html"
	// DocOriginMTLSCertificates: "Certificate management with AWS Certificate Manager" (origin mTLS).
	DocOriginMTLSCertificates = "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/origin-certificate-management-certificate-manager.html"
)

// DurationRange is one of CloudFront's origin settings measured in time:
// its default and the range the API accepts.
type DurationRange struct {
	Name              string
	Default, Min, Max time.Duration
	// APIMax is the maximum today's API reference states, when Max is wider
	// (0 when they agree).
	APIMax time.Duration
	// Note says where the range comes from when AWS's documents differ.
	Note string
}

// Check returns an error when d is outside the range.
func (r DurationRange) Check(d time.Duration) error {
	if d < r.Min || d > r.Max {
		return fmt.Errorf("%v: CloudFront allows %s", d, r.Range())
	}
	return nil
}

// Range is "1s-180s".
func (r DurationRange) Range() string { return seconds(r.Min) + "-" + seconds(r.Max) }

// seconds writes whole seconds as "180s" rather than "3m0s".
func seconds(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return d.String()
}

// Help describes the range for flag help and docs: "1s-180s (120 s in
// today's API; …)".
func (r DurationRange) Help() string {
	if r.Note == "" {
		return r.Range()
	}
	return r.Range() + " (" + r.Note + ")"
}

// IntRange is one of CloudFront's origin settings that is a count.
type IntRange struct {
	Name              string
	Default, Min, Max int
}

// Check returns an error when n is outside the range.
func (r IntRange) Check(n int) error {
	if n < r.Min || n > r.Max {
		return fmt.Errorf("%d: CloudFront allows %s", n, r.Range())
	}
	return nil
}

// Range is "1-3".
func (r IntRange) Range() string { return fmt.Sprintf("%d-%d", r.Min, r.Max) }

// Origin connection settings (DocOriginSettings, DocCustomOriginConfigAPI).
var (
	// KeepaliveTimeout is how long CloudFront keeps an idle connection to the
	// origin open (OriginKeepaliveTimeout). Today's API reference says 1-120 s;
	// the developer guide has said "up to 60 s, more on request", and
	// distributions granted a quota increase run up to 180 s. The wider range
	// is accepted so that such a distribution can be modelled.
	KeepaliveTimeout = DurationRange{
		Name: "origin keep-alive timeout", Default: 5 * time.Second, Min: time.Second, Max: 180 * time.Second, APIMax: 120 * time.Second,
		Note: "120s in today's API; up to 180s where AWS raised the quota on request",
	}
	// ReadTimeout is how long CloudFront waits for the origin's response and,
	// after that, for each gap between packets (OriginReadTimeout, also called
	// the response timeout). The API says 1-120 s; a quota increase allows up
	// to 180 s, which is accepted for the same reason as KeepaliveTimeout.
	ReadTimeout = DurationRange{
		Name: "origin read timeout", Default: 30 * time.Second, Min: time.Second, Max: 180 * time.Second, APIMax: 120 * time.Second,
		Note: "120s in today's API; up to 180s where AWS raised the quota on request",
	}
	// ConnectionTimeout bounds one connection attempt to the origin.
	ConnectionTimeout = DurationRange{Name: "connection timeout", Default: 10 * time.Second, Min: time.Second, Max: 10 * time.Second}
	// ConnectionAttempts is how many times CloudFront tries to connect.
	ConnectionAttempts = IntRange{Name: "connection attempts", Default: 3, Min: 1, Max: 3}
)

// ResponseCompletionTimeoutRule: the optional ResponseCompletionTimeout,
// the bound on a whole response, must be at least the read timeout
// (DocCustomOriginConfigAPI).
func CheckResponseCompletionTimeout(completion, read time.Duration) error {
	if completion != 0 && completion < read {
		return fmt.Errorf("response completion timeout %v is shorter than the read timeout %v", completion, read)
	}
	return nil
}

// RetriedMethods are the methods CloudFront retries on another connection
// attempt when connecting fails; other methods are not retried
// (DocOriginSettings, "Connection attempts").
var RetriedMethods = []string{"GET", "HEAD"}

// Retried reports whether CloudFront retries method on a failed connection attempt.
func Retried(method string) bool {
	for _, m := range RetriedMethods {
		if m == method {
			return true
		}
	}
	return false
}

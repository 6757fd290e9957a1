package cloudfront

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"slices"
)

// Origin mTLS: CloudFront presents a client certificate imported into ACM
// in us-east-1 (OriginMtlsConfig.ClientCertificateArn). ACM-issued
// certificates lack the clientAuth EKU, so the certificate comes from AWS
// Private CA or the owner's own private CA and is imported; ACM does not
// renew imported certificates: the owner re-imports before expiry
// (DocOriginMTLSCertificates). CloudFront does no validity or revocation
// checking of the certificate and sends it only when the origin asks for it
// in the handshake (DocOriginMTLS).

// KeyType is a client key algorithm CloudFront accepts for the origin mTLS
// certificate.
type KeyType string

// The key types CloudFront accepts: RSA 2048 or ECDSA P-256 only
// (DocOriginMTLSCertificates).
const (
	KeyECDSAP256 KeyType = "ecdsa-p256"
	KeyRSA2048   KeyType = "rsa-2048"
)

// ClientKeyTypes lists the accepted key types.
var ClientKeyTypes = []KeyType{KeyECDSAP256, KeyRSA2048}

// KeyTypeOf names the accepted key type of a public key ("" when it is neither).
func KeyTypeOf(pub crypto.PublicKey) KeyType {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if k.Curve.Params().Name == "P-256" {
			return KeyECDSAP256
		}
	case *rsa.PublicKey:
		if k.N.BitLen() == 2048 {
			return KeyRSA2048
		}
	}
	return ""
}

// DescribeKey describes a public key ("ECDSA P-256", "RSA 2048", "Ed25519").
func DescribeKey(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d", k.N.BitLen())
	case ed25519.PublicKey:
		return "Ed25519"
	}
	return fmt.Sprintf("%T", pub)
}

// Limits of the origin mTLS certificate as imported (DocOriginMTLSCertificates).
const (
	// MaxChainDepth counts the leaf, the intermediate and the root.
	MaxChainDepth = 3
	// MaxChainBytes bounds the PEM chain imported beside the certificate.
	MaxChainBytes = 64 << 10
	// MaxCertificateBytes bounds the PEM certificate.
	MaxCertificateBytes = 96 << 10
	// MaxPrivateKeyBytes bounds the PEM private key.
	MaxPrivateKeyBytes = 5 << 10
)

// SignatureAlgorithms are the accepted certificate signatures: SHA-256,
// SHA-384 or SHA-512 with RSA (PKCS #1 v1.5 or PSS) or ECDSA.
var SignatureAlgorithms = []x509.SignatureAlgorithm{
	x509.SHA256WithRSA, x509.SHA384WithRSA, x509.SHA512WithRSA,
	x509.SHA256WithRSAPSS, x509.SHA384WithRSAPSS, x509.SHA512WithRSAPSS,
	x509.ECDSAWithSHA256, x509.ECDSAWithSHA384, x509.ECDSAWithSHA512,
}

// RequiredExtKeyUsage is the extended key usage the certificate must carry.
const RequiredExtKeyUsage = x509.ExtKeyUsageClientAuth

// ChainDepth counts the leaf, the chain presented after it and the root
// when the chain does not end in a self-issued certificate (the origin
// holds the root).
func ChainDepth(leaf *x509.Certificate, chain []*x509.Certificate) int {
	n := 1 + len(chain)
	last := leaf
	if len(chain) > 0 {
		last = chain[len(chain)-1]
	}
	if !bytes.Equal(last.RawIssuer, last.RawSubject) {
		n++
	}
	return n
}

// CertificateProblems checks a certificate meant for import into ACM as
// CloudFront's origin mTLS certificate against CloudFront's rules: key
// type, signature algorithm, clientAuth EKU, X.509 v3, chain depth and the
// import size limits. key may be nil (its size is then not checked).
// An empty result means it follows every rule.
func CertificateProblems(leaf *x509.Certificate, chain []*x509.Certificate, key crypto.PrivateKey) []string {
	var out []string
	if KeyTypeOf(leaf.PublicKey) == "" {
		out = append(out, DescribeKey(leaf.PublicKey)+" key (CloudFront takes RSA 2048 or ECDSA P-256)")
	}
	if !slices.Contains(SignatureAlgorithms, leaf.SignatureAlgorithm) {
		out = append(out, leaf.SignatureAlgorithm.String()+" signature (CloudFront takes SHA-256, SHA-384 or SHA-512 with RSA, RSASSA-PSS or ECDSA)")
	}
	if !slices.Contains(leaf.ExtKeyUsage, RequiredExtKeyUsage) {
		out = append(out, "no clientAuth extended key usage")
	}
	if leaf.Version != 3 {
		out = append(out, fmt.Sprintf("X.509 version %d (want 3)", leaf.Version))
	}
	if d := ChainDepth(leaf, chain); d > MaxChainDepth {
		out = append(out, fmt.Sprintf("chain depth %d (CloudFront allows %d)", d, MaxChainDepth))
	}
	if n := len(pemOf(leaf)); n > MaxCertificateBytes {
		out = append(out, fmt.Sprintf("certificate is %d bytes of PEM (CloudFront allows %d)", n, MaxCertificateBytes))
	}
	if n := len(pemOf(chain...)); n > MaxChainBytes {
		out = append(out, fmt.Sprintf("chain is %d bytes of PEM (CloudFront allows %d)", n, MaxChainBytes))
	}
	if key != nil {
		if der, err := x509.MarshalPKCS8PrivateKey(key); err == nil {
			if n := len(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})); n > MaxPrivateKeyBytes {
				out = append(out, fmt.Sprintf("private key is %d bytes of PEM (CloudFront allows %d)", n, MaxPrivateKeyBytes))
			}
		}
	}
	return out
}

func pemOf(certs ...*x509.Certificate) []byte {
	var buf bytes.Buffer
	for _, c := range certs {
		_ = pem.Encode(&buf, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
	return buf.Bytes()
}

// Feature is a CloudFront feature AWS documents as unsupported together
// with origin mTLS.
type Feature struct {
	ID   string
	Name string
}

// UnsupportedWithOriginMTLS lists the features AWS documents as not
// supported with mutual TLS (origin) (DocOriginMTLSEnable).
var UnsupportedWithOriginMTLS = []Feature{
	{"grpc", "gRPC traffic to the origin"},
	{"websocket", "WebSocket connections to the origin"},
	{"vpc-origin", "VPC origins"},
	{"lambda-edge-origin-request", "Lambda@Edge origin-request triggers"},
	{"lambda-edge-origin-response", "Lambda@Edge origin-response triggers"},
	{"embedded-pop", "embedded POPs"},
}

package cloudfront

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"net/http"
	"strings"
)

// Request headers CloudFront sends to a custom origin (DocCustomOriginBehavior).
const (
	// UserAgent is the User-Agent CloudFront sends when the viewer's is not forwarded.
	UserAgent = "Amazon CloudFront"
	// HeaderRequestID carries CloudFront's id of the request.
	HeaderRequestID = "X-Amz-Cf-Id"
	// HeaderVia names the edge server: "1.1 <id>.cloudfront.net (CloudFront)".
	HeaderVia = "Via"
	// HeaderUserAgent is the User-Agent header.
	HeaderUserAgent = "User-Agent"
)

// GeneratedHeaders are set on every request as CloudFront sets them (or by
// HTTP/1.1 itself): origin custom headers may not replace them.
var GeneratedHeaders = []string{"Host", HeaderVia, HeaderUserAgent, HeaderRequestID, "Connection", "Content-Length", "Transfer-Encoding"}

// IsGeneratedHeader reports whether name is one of GeneratedHeaders (any case).
func IsGeneratedHeader(name string) bool {
	c := http.CanonicalHeaderKey(name)
	for _, h := range GeneratedHeaders {
		if c == http.CanonicalHeaderKey(h) {
			return true
		}
	}
	return false
}

// NewRequestID returns a request id shaped like CloudFront's X-Amz-Cf-Id:
// 56 characters of URL-safe base64 (42 random bytes). It is cheap (no
// system call): the load generator makes one per request.
func NewRequestID() string {
	var b [42]byte
	for i := 0; i+8 <= 40; i += 8 {
		binary.LittleEndian.PutUint64(b[i:], rand.Uint64())
	}
	binary.LittleEndian.PutUint16(b[40:], uint16(rand.Uint32()))
	return base64.URLEncoding.EncodeToString(b[:])
}

// NewEdgeID returns the id of an edge server as it appears in Via: 32 hex digits.
func NewEdgeID() string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(b[8:], rand.Uint64())
	return hex.EncodeToString(b[:])
}

// Via is the Via header an edge server with edgeID sends.
func Via(edgeID string) string {
	var b strings.Builder
	b.Grow(len(edgeID) + 34)
	b.WriteString("1.1 ")
	b.WriteString(edgeID)
	b.WriteString(".cloudfront.net (CloudFront)")
	return b.String()
}

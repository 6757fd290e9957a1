package probe

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/originproof/originproof/internal/testenv"
)

// fuzzTarget is the probe's view of the fuzzed origin at the other end of
// a net.Pipe.
var fuzzTarget = Target{Addr: "pipe", ServerName: "origin.test", Timeout: 2 * time.Second}

// probeOver runs one probe (handshake, then a request if it completes)
// over the client end of a pipe whose origin end is served by origin, and
// waits for origin to finish.
func probeOver(t *testing.T, origin func(net.Conn)) Result {
	cli, srv := net.Pipe()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer srv.Close()
		origin(srv)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, res := open(ctx, cli, fuzzTarget, Options{})
	if c != nil {
		res = c.Request(ctx)
		c.Close()
	}
	cli.Close()
	wg.Wait()
	checkResult(t, res)
	return res
}

// checkResult holds for every probe result, whatever the origin sent.
func checkResult(t *testing.T, r Result) {
	t.Helper()
	switch r.Kind {
	case TLSRejected:
		if strings.ContainsAny(r.Alert, " :") {
			t.Fatalf("alert %q is not an IANA-style name", r.Alert)
		}
	case Response:
		if r.Status < 100 || r.Status > 999 || len(r.BodySHA256) != 64 {
			t.Fatalf("response with status %d, body hash %q", r.Status, r.BodySHA256)
		}
	case Error:
		if r.Err == nil {
			t.Fatalf("error at %s without an error", r.Stage)
		}
	default:
		t.Fatalf("result kind %q", r.Kind)
	}
	if r.Describe() == "" {
		t.Fatal("empty description")
	}
	v := Judge(r, Result{Kind: Response, Status: 200})
	if v.Accepted != (r.Kind == Response && r.Status == 200) || (r.Kind == Error) != (v.Err != nil) {
		t.Fatalf("judged %+v for %+v", v, r)
	}
}

// FuzzOriginHandshakeBytes: whatever bytes the origin answers a
// ClientHello with (alerts, plain HTTP, garbage, nothing), the probe
// classifies them without hanging or panicking.
func FuzzOriginHandshakeBytes(f *testing.F) {
	alert := func(level, desc byte) []byte { return []byte{0x15, 0x03, 0x03, 0x00, 0x02, level, desc} }
	for _, a := range []byte{40, 42, 45, 46, 48, 49, 70, 80, 116, 255} {
		f.Add(alert(2, a))
	}
	f.Add(alert(1, 0))
	f.Add([]byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"))
	f.Add([]byte("SSH-2.0-OpenSSH_9.6\r\n"))
	f.Add([]byte{})
	f.Add([]byte{0x16, 0x03, 0x03, 0xff, 0xff, 0x02})
	f.Fuzz(func(t *testing.T, data []byte) {
		res := probeOver(t, func(srv net.Conn) {
			go func() { _, _ = io.Copy(io.Discard, srv) }()
			_, _ = srv.Write(data)
		})
		if res.Kind == Response {
			t.Fatalf("a handshake that never happened gave a response: %+v", res)
		}
	})
}

// FuzzOriginResponseBytes: whatever an origin that completed the handshake
// answers a request with, the probe reads a response or reports why not.
func FuzzOriginResponseBytes(f *testing.F) {
	pki := testenv.PKI(f)
	cfg := &tls.Config{Certificates: []tls.Certificate{pki.ServerCertificate()}, ClientAuth: tls.RequestClientCert}
	for _, s := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nDate: Mon, 02 Jan 2006 15:04:05 GMT\r\n\r\nhello",
		"HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\ndenied",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
		"HTTP/1.0 999 X\r\n\r\n",
		"HTTP/1.1 2000 OK\r\n\r\n",
		"garbage\r\n\r\n",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		probeOver(t, func(srv net.Conn) {
			tc := tls.Server(srv, cfg)
			_ = tc.SetDeadline(time.Now().Add(5 * time.Second))
			if tc.Handshake() != nil {
				return
			}
			if _, err := http.ReadRequest(bufio.NewReader(tc)); err != nil {
				return
			}
			// Then the pipe closes under it: no close_notify, which on a
			// synchronous pipe would wait for a reader.
			_, _ = tc.Write(data)
		})
	})
}

// TestMalformedStatusIsAnError: a status below 100 (net/http reads "000")
// is no answer from the origin, so no verdict, not a rejection at http.
func TestMalformedStatusIsAnError(t *testing.T) {
	pki := testenv.PKI(t)
	cfg := &tls.Config{Certificates: []tls.Certificate{pki.ServerCertificate()}}
	for _, status := range []string{"000 Zero", "099 Low"} {
		res := probeOver(t, func(srv net.Conn) {
			tc := tls.Server(srv, cfg)
			if tc.Handshake() != nil {
				return
			}
			if _, err := http.ReadRequest(bufio.NewReader(tc)); err == nil {
				_, _ = io.WriteString(tc, "HTTP/1.1 "+status+"\r\nContent-Length: 0\r\n\r\n")
			}
		})
		if res.Kind != Error || !strings.Contains(res.Describe(), "malformed HTTP response") {
			t.Errorf("HTTP/1.1 %s: %s (%s)", status, res.Kind, res.Describe())
		}
	}
}

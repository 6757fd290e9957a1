package loadgen

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Record is one line of results.json: Vegeta's JSON result, unchanged (so
// `vegeta report` and `vegeta plot` read the file as it is), plus the
// per-request fields of the CloudFront pool model. Phase durations are in
// nanoseconds, as Vegeta's latency; DNS, Connect and TLSHandshake are set on
// the first request of a new connection only.
type Record struct {
	vegeta.Result

	Pop              int           `json:"pop"`
	Intended         time.Time     `json:"intended"`
	LatencyCorrected time.Duration `json:"latency_corrected"`
	SendLag          time.Duration `json:"send_lag"`
	CfID             string        `json:"cf_id,omitempty"`
	ConnID           uint64        `json:"conn_id,omitempty"`
	ConnReused       bool          `json:"conn_reused"`
	DNS              time.Duration `json:"dns,omitempty"`
	Connect          time.Duration `json:"connect,omitempty"`
	TLSHandshake     time.Duration `json:"tls_handshake,omitempty"`
	TLSResumed       bool          `json:"tls_resumed,omitempty"`
	TLSVersion       string        `json:"tls_version,omitempty"`
	TLSCipher        string        `json:"tls_cipher,omitempty"`
	TLSCurve         string        `json:"tls_curve,omitempty"`
	ConnectAttempt   int           `json:"connect_attempt,omitempty"`
	TTFB             time.Duration `json:"ttfb,omitempty"`
	Identity         string        `json:"identity,omitempty"`
	ErrorClass       string        `json:"error_class,omitempty"`
}

// ext is Record without the embedded Vegeta result, for decoding.
type ext struct {
	Pop              int           `json:"pop"`
	Intended         time.Time     `json:"intended"`
	LatencyCorrected time.Duration `json:"latency_corrected"`
	SendLag          time.Duration `json:"send_lag"`
	CfID             string        `json:"cf_id"`
	ConnID           uint64        `json:"conn_id"`
	ConnReused       bool          `json:"conn_reused"`
	DNS              time.Duration `json:"dns"`
	Connect          time.Duration `json:"connect"`
	TLSHandshake     time.Duration `json:"tls_handshake"`
	TLSResumed       bool          `json:"tls_resumed"`
	TLSVersion       string        `json:"tls_version"`
	TLSCipher        string        `json:"tls_cipher"`
	TLSCurve         string        `json:"tls_curve"`
	ConnectAttempt   int           `json:"connect_attempt"`
	TTFB             time.Duration `json:"ttfb"`
	Identity         string        `json:"identity"`
	ErrorClass       string        `json:"error_class"`
}

// Encoder writes Records as results.json lines.
type Encoder func(*Record) error

// NewEncoder returns an Encoder writing to w: Vegeta's own JSON encoding of
// the result, with our fields appended inside the same object.
func NewEncoder(w io.Writer) Encoder {
	var vbuf bytes.Buffer
	venc := vegeta.NewJSONEncoder(&vbuf)
	line := make([]byte, 0, 1024)
	return func(r *Record) error {
		vbuf.Reset()
		if err := venc.Encode(&r.Result); err != nil {
			return fmt.Errorf("loadgen: encode result %d: %w", r.Seq, err)
		}
		v := bytes.TrimRight(vbuf.Bytes(), "\n")
		if len(v) < 2 || v[len(v)-1] != '}' {
			return fmt.Errorf("loadgen: encode result %d: unexpected Vegeta encoding", r.Seq)
		}
		line = append(line[:0], v[:len(v)-1]...)
		line = r.appendExt(line)
		line = append(line, '}', '\n')
		_, err := w.Write(line)
		return err
	}
}

func appendStr(b []byte, key, v string) []byte {
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return strconv.AppendQuote(b, v)
}

func appendInt(b []byte, key string, v int64) []byte {
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return strconv.AppendInt(b, v, 10)
}

func (r *Record) appendExt(b []byte) []byte {
	b = appendInt(b, "pop", int64(r.Pop))
	b = append(b, `,"intended":"`...)
	b = r.Intended.AppendFormat(b, time.RFC3339Nano)
	b = append(b, '"')
	b = appendInt(b, "latency_corrected", int64(r.LatencyCorrected))
	b = appendInt(b, "send_lag", int64(r.SendLag))
	if r.CfID != "" {
		b = appendStr(b, "cf_id", r.CfID)
	}
	if r.ConnID != 0 {
		b = append(b, `,"conn_id":`...)
		b = strconv.AppendUint(b, r.ConnID, 10)
	}
	b = append(b, `,"conn_reused":`...)
	b = strconv.AppendBool(b, r.ConnReused)
	if r.DNS != 0 {
		b = appendInt(b, "dns", int64(r.DNS))
	}
	if r.Connect != 0 {
		b = appendInt(b, "connect", int64(r.Connect))
	}
	if r.TLSHandshake != 0 {
		b = appendInt(b, "tls_handshake", int64(r.TLSHandshake))
	}
	if r.TLSResumed {
		b = append(b, `,"tls_resumed":true`...)
	}
	if r.TLSVersion != "" {
		b = appendStr(b, "tls_version", r.TLSVersion)
	}
	if r.TLSCipher != "" {
		b = appendStr(b, "tls_cipher", r.TLSCipher)
	}
	if r.TLSCurve != "" {
		b = appendStr(b, "tls_curve", r.TLSCurve)
	}
	if r.ConnectAttempt != 0 {
		b = appendInt(b, "connect_attempt", int64(r.ConnectAttempt))
	}
	if r.TTFB != 0 {
		b = appendInt(b, "ttfb", int64(r.TTFB))
	}
	if r.Identity != "" {
		b = appendStr(b, "identity", r.Identity)
	}
	if r.ErrorClass != "" {
		b = appendStr(b, "error_class", r.ErrorClass)
	}
	return b
}

// Decoder reads Records from results.json; io.EOF at the end.
type Decoder func(*Record) error

// NewDecoder returns a Decoder reading results.json lines from r.
func NewDecoder(r io.Reader) Decoder {
	br := bufio.NewReaderSize(r, 64<<10)
	n := 0
	return func(rec *Record) error {
		line, err := br.ReadBytes('\n')
		if len(line) == 0 && err != nil {
			return err
		}
		n++
		if line[len(line)-1] != '\n' {
			line = append(line, '\n')
		}
		*rec = Record{}
		if err := vegeta.NewJSONDecoder(bytes.NewReader(line)).Decode(&rec.Result); err != nil {
			return fmt.Errorf("loadgen: results line %d: %w", n, err)
		}
		var e ext
		if err := json.Unmarshal(line, &e); err != nil {
			return fmt.Errorf("loadgen: results line %d: %w", n, err)
		}
		rec.Pop, rec.Intended, rec.LatencyCorrected, rec.SendLag = e.Pop, e.Intended, e.LatencyCorrected, e.SendLag
		rec.CfID, rec.ConnID, rec.ConnReused = e.CfID, e.ConnID, e.ConnReused
		rec.DNS, rec.Connect, rec.TLSHandshake, rec.TLSResumed = e.DNS, e.Connect, e.TLSHandshake, e.TLSResumed
		rec.TLSVersion, rec.TLSCipher, rec.TLSCurve = e.TLSVersion, e.TLSCipher, e.TLSCurve
		rec.ConnectAttempt, rec.TTFB, rec.Identity, rec.ErrorClass = e.ConnectAttempt, e.TTFB, e.Identity, e.ErrorClass
		return nil
	}
}

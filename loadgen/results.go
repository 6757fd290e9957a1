package loadgen

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Record is one line of results.json: Vegeta's JSON result, unchanged (so
// `vegeta report` and `vegeta plot` read the file as it is), plus the
// per-request fields of the CloudFront pool model (Ext).
type Record struct {
	vegeta.Result
	Ext
}

// Ext is what a results.json line adds to Vegeta's result. Phase durations
// are in nanoseconds, as Vegeta's latency; DNS, Connect and TLSHandshake are
// set on the first request of a new connection only.
type Ext struct {
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
	ErrorClass       ErrorClass    `json:"error_class,omitempty"`
}

// Failed says whether the request failed (see Failed).
func (r *Record) Failed() bool { return Failed(r.Code, r.Error) }

// Class is the class of a failed request (see ClassOf); "" when it did not fail.
func (r *Record) Class() ErrorClass {
	if !r.Failed() {
		return ""
	}
	return ClassOf(string(r.ErrorClass), r.Code)
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
	return appendJSONString(b, v)
}

// appendJSONString appends v as a JSON string. The values are nearly always
// plain ASCII (ids, TLS names, classes), written as they are; anything else
// (an identity named in a PKI's manifest, say) goes through encoding/json,
// as Go's own quoting (\x01) is not JSON.
func appendJSONString(b []byte, v string) []byte {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			q, _ := json.Marshal(v) // a string always marshals
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, v...)
	return append(b, '"')
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
		b = appendStr(b, "error_class", string(r.ErrorClass))
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
		if err := json.Unmarshal(line, &rec.Ext); err != nil {
			return fmt.Errorf("loadgen: results line %d: %w", n, err)
		}
		return nil
	}
}

// ResultsMode says what a run keeps of its raw results.
type ResultsMode string

// The results modes: every line in results.json (the default), the same
// lines gzip-compressed in results.json.gz (`zcat results.json.gz | vegeta
// report` reads them), or none. Every run writes its summary, latency.hlog
// and series.json whatever the mode, so reports, merge and thresholds work
// without raw results.
const (
	ResultsFull ResultsMode = "full"
	ResultsGzip ResultsMode = "gzip"
	ResultsNone ResultsMode = "none"
)

// Files of a run directory beside results.json.
const (
	ResultsGzipFile = "results.json.gz"
	SeriesFile      = "series.json"
)

// ParseResultsMode reads full, gzip or none ("" is full).
func ParseResultsMode(s string) (ResultsMode, error) {
	switch m := ResultsMode(s); m {
	case "":
		return ResultsFull, nil
	case ResultsFull, ResultsGzip, ResultsNone:
		return m, nil
	}
	return "", fmt.Errorf("%q: want full, gzip or none", s)
}

// File is the raw results file the mode writes ("" for none).
func (m ResultsMode) File() string {
	switch m {
	case ResultsGzip:
		return ResultsGzipFile
	case ResultsNone:
		return ""
	}
	return ResultsFile
}

// OpenResults opens the raw results a run directory kept, results.json or
// results.json.gz (decompressed), and names the file; the error wraps
// fs.ErrNotExist when it kept none.
func OpenResults(dir string) (io.ReadCloser, string, error) {
	path := filepath.Join(dir, ResultsFile)
	f, err := os.Open(path)
	if err == nil {
		return f, path, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, path, err
	}
	gzPath := filepath.Join(dir, ResultsGzipFile)
	gf, err := os.Open(gzPath)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, path, fmt.Errorf("%s: no %s or %s: %w", dir, ResultsFile, ResultsGzipFile, fs.ErrNotExist)
		}
		return nil, gzPath, err
	}
	zr, err := gzip.NewReader(bufio.NewReaderSize(gf, 64<<10))
	if err != nil {
		gf.Close()
		return nil, gzPath, fmt.Errorf("%s: %w", gzPath, err)
	}
	return gzipFile{zr, gf}, gzPath, nil
}

// gzipFile closes the decompressor and its file.
type gzipFile struct {
	*gzip.Reader
	f *os.File
}

func (g gzipFile) Close() error { return errors.Join(g.Reader.Close(), g.f.Close()) }

// CreateResults creates the raw results file of mode in dir and returns
// the writer to stream results.json lines into (nil for none) and the
// function that finishes it (flushes the compressor, closes the file;
// once: later calls return the first one's error, so it can be deferred).
func CreateResults(dir string, mode ResultsMode) (io.Writer, func() error, error) {
	name := mode.File()
	if name == "" {
		return nil, func() error { return nil }, nil
	}
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		return nil, nil, err
	}
	var w io.Writer = f
	finish := f.Close
	if mode == ResultsGzip {
		// BestSpeed: results are written as the run goes, on the generator's CPU.
		zw, _ := gzip.NewWriterLevel(f, gzip.BestSpeed)
		w, finish = zw, func() error { return errors.Join(zw.Close(), f.Close()) }
	}
	var once sync.Once
	var finishErr error
	return w, func() error {
		once.Do(func() { finishErr = finish() })
		return finishErr
	}, nil
}

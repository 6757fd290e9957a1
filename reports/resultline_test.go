package reports

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// sameAsJSON checks decodeLine against encoding/json on one line: the same
// error or not, the same fields.
func sameAsJSON(t *testing.T, line []byte) (fast bool) {
	t.Helper()
	var got, want resultLine
	gotErr := decodeLine(line, &got)
	wantErr := json.Unmarshal(line, &want)
	if (gotErr == nil) != (wantErr == nil) {
		t.Fatalf("%q: decodeLine error %v, encoding/json %v", line, gotErr, wantErr)
	}
	if wantErr == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("%q:\n decodeLine  %+v\n encoding/json %+v", line, got, want)
	}
	var scanned resultLine
	return scanLine(line, &scanned)
}

var lineCases = []struct {
	line string
	fast bool // read by the scanner, not encoding/json
}{
	{`{"attack":"originproof","seq":7,"code":200,"timestamp":"2026-11-24T08:00:00.00005Z","latency":1000000,"bytes_out":0,"bytes_in":10,"error":"","body":null,"method":"GET","url":"https://o.test/","headers":null,"pop":3,"intended":"2026-11-24T08:00:00Z","latency_corrected":1050000,"send_lag":50000,"conn_id":4,"conn_reused":true,"tls_handshake":2000000,"tls_resumed":true,"ttfb":900000,"identity":"chain.valid"}`, true},
	{`{"code":0,"error":"remote error: tls: bad certificate","error_class":"tls_alert:bad_certificate","pop":0,"conn_reused":false}`, true},
	{` { "code" : 503 , "headers" : {"Server":["nginx"],"X":["a\"}b"]} , "body":"aGk=" } `, true},
	{`{}`, true},
	{`{"error":"Get \"https://o.test/\": EOF"}`, false},                // escapes: encoding/json
	{`{"error":"caf\u00e9"}`, false},                                   // escapes
	{"{\"error\":\"bad \xff byte\"}", false},                           // invalid UTF-8 is replaced by encoding/json
	{`{"Code":404}`, false},                                            // names match without regard to case
	{`{"code":70000}`, false},                                          // out of range: an error
	{`{"code":-1}`, false},                                             // an error
	{`{"latency":1.5}`, false},                                         // an error
	{`{"latency":007}`, false},                                         // not JSON
	{`{"latency":+7}`, false},                                          // not JSON
	{`{"pop":null,"error":null}`, false},                               // null leaves the zero value
	{`{"timestamp":"yesterday"}`, false},                               // an error
	{`{"timestamp":"2026-11-24T24:00:00Z"}`, false},                    // an error
	{`{"seq":1e3,"bytes_in":-0.5E-2}`, true},                           // numbers skipped
	{`{"seq":1.}`, false},                                              // not JSON
	{`{"body":"a\qb"}`, false},                                         // bad escape
	{"{\"body\":\"a\tb\"}", false},                                     // control character
	{`{"conn_reused":1}`, false},                                       // an error
	{`{"code":200} x`, false},                                          // trailing data
	{`{"code":200,}`, false},                                           // not JSON
	{`[1,2]`, false},                                                   // not an object
	{`{"headers":{"a":[1,2}}`, false},                                  // not JSON
	{`{"tls_resumed":true,"tls_resumed":false,"pop":1,"pop":2}`, true}, // the last one wins
}

func TestDecodeLineAgreesWithJSON(t *testing.T) {
	for _, tt := range lineCases {
		if fast := sameAsJSON(t, []byte(tt.line)); fast != tt.fast {
			t.Errorf("%s: read by the scanner %v, want %v", tt.line, fast, tt.fast)
		}
	}
	// Every line the generator's encoder writes takes the fast path.
	dir := t.TempDir()
	writeRun(t, dir, 3000, 3*time.Second, true)
	f, err := os.Open(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		if !sameAsJSON(t, sc.Bytes()) {
			t.Fatalf("line %d is not read by the scanner: %s", n, sc.Bytes())
		}
	}
	if n != 3000 {
		t.Fatalf("read %d lines, want 3000", n)
	}
}

func FuzzDecodeLine(f *testing.F) {
	for _, tt := range lineCases {
		f.Add([]byte(tt.line))
	}
	f.Fuzz(func(t *testing.T, line []byte) { sameAsJSON(t, line) })
}

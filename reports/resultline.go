package reports

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// decodeLine reads the fields the report needs from one results.json
// line. The report reads every line of a run (a million for a long one),
// and encoding/json spends most of that time on fields it then drops: a
// line as the generator writes it (a flat object; headers, when kept, a
// nested one) is read by a small scanner, anything it does not expect by
// encoding/json, so both always agree (TestDecodeLineAgreesWithJSON).
func decodeLine(raw []byte, l *resultLine) error {
	*l = resultLine{}
	if scanLine(raw, l) {
		return nil
	}
	*l = resultLine{}
	return json.Unmarshal(raw, l)
}

// scanLine is decodeLine's fast path: false when the line holds anything
// it does not read exactly as encoding/json would.
func scanLine(b []byte, l *resultLine) bool {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return skipSpace(b, i+1) == len(b)
	}
	for {
		key, j, ok := plainString(b, i)
		if !ok || !lowerASCII(key) {
			return false // encoding/json matches names without regard to case
		}
		i = skipSpace(b, j)
		if i >= len(b) || b[i] != ':' {
			return false
		}
		i = skipSpace(b, i+1)
		if i, ok = scanField(b, i, string(key), l); !ok {
			return false
		}
		i = skipSpace(b, i)
		if i >= len(b) {
			return false
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return skipSpace(b, i+1) == len(b)
		default:
			return false
		}
	}
}

// scanField reads the value at b[i:] into the field named key (or skips
// it) and returns where the value ends.
func scanField(b []byte, i int, key string, l *resultLine) (int, bool) {
	switch key {
	case "timestamp", "intended":
		s, j, ok := plainString(b, i)
		if !ok {
			return 0, false
		}
		// The parser time.Time's UnmarshalJSON uses.
		t := &l.Timestamp
		if key == "intended" {
			t = &l.Intended
		}
		if err := t.UnmarshalText(s); err != nil {
			return 0, false
		}
		return j, true
	case "latency", "latency_corrected", "connect", "tls_handshake", "ttfb", "pop":
		tok, j := number(b, i)
		if !validNumber(tok) {
			return 0, false
		}
		v, err := strconv.ParseInt(string(tok), 10, 64)
		if err != nil {
			return 0, false
		}
		switch key {
		case "latency":
			l.Latency = v
		case "latency_corrected":
			l.LatencyCorrected = v
		case "connect":
			l.Connect = v
		case "tls_handshake":
			l.TLSHandshake = v
		case "ttfb":
			l.TTFB = v
		case "pop":
			if int64(int(v)) != v {
				return 0, false
			}
			l.Pop = int(v)
		}
		return j, true
	case "code", "conn_id":
		tok, j := number(b, i)
		bits := 64
		if key == "code" {
			bits = 16
		}
		if !validNumber(tok) {
			return 0, false
		}
		v, err := strconv.ParseUint(string(tok), 10, bits)
		if err != nil {
			return 0, false
		}
		if key == "code" {
			l.Code = uint16(v)
		} else {
			l.ConnID = v
		}
		return j, true
	case "error", "error_class":
		s, j, ok := plainString(b, i)
		if !ok || !utf8.Valid(s) {
			return 0, false // escapes, or bytes encoding/json would replace
		}
		if key == "error" {
			l.Error = string(s)
		} else {
			l.ErrorClass = string(s)
		}
		return j, true
	case "tls_resumed", "conn_reused":
		var v bool
		switch {
		case bytes.HasPrefix(b[i:], []byte("true")):
			v, i = true, i+4
		case bytes.HasPrefix(b[i:], []byte("false")):
			i += 5
		default:
			return 0, false
		}
		if key == "tls_resumed" {
			l.TLSResumed = v
		} else {
			l.ConnReused = v
		}
		return i, true
	}
	return skipValue(b, i)
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// plainString is the string at b[i:] when it has no escape and no
// control character (its bytes are its value), and where it ends.
func plainString(b []byte, i int) ([]byte, int, bool) {
	if i >= len(b) || b[i] != '"' {
		return nil, 0, false
	}
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return b[i+1 : j], j + 1, true
		case c == '\\' || c < 0x20:
			return nil, 0, false
		}
	}
	return nil, 0, false
}

// number is the token of a number at b[i:] and where it ends.
func number(b []byte, i int) ([]byte, int) {
	j := i
	for j < len(b) && (b[j] == '-' || b[j] == '+' || b[j] == '.' || b[j] == 'e' || b[j] == 'E' || (b[j] >= '0' && b[j] <= '9')) {
		j++
	}
	return b[i:j], j
}

// skipValue skips the value at b[i:] (any JSON value) and says where it
// ends; false when it is not one the scanner can skip safely.
func skipValue(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return 0, false
	}
	switch c := b[i]; {
	case c == '"':
		return stringEnd(b, i)
	case c == '{' || c == '[':
		// A nested value (response headers): check it whole, then skip it.
		end, ok := nestedEnd(b, i)
		if !ok || !json.Valid(b[i:end]) {
			return 0, false
		}
		return end, true
	case c == 'n' && bytes.HasPrefix(b[i:], []byte("null")):
		return i + 4, true
	case c == 't' && bytes.HasPrefix(b[i:], []byte("true")):
		return i + 4, true
	case c == 'f' && bytes.HasPrefix(b[i:], []byte("false")):
		return i + 5, true
	case c == '-' || (c >= '0' && c <= '9'):
		tok, j := number(b, i)
		return j, validNumber(tok)
	}
	return 0, false
}

// stringEnd is where the JSON string at b[i:] ends; false when it is not
// a valid one (a control character, a bad escape, no closing quote).
func stringEnd(b []byte, i int) (int, bool) {
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return j + 1, true
		case c < 0x20:
			return 0, false
		case c == '\\':
			j++
			if j >= len(b) {
				return 0, false
			}
			switch b[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if j+4 >= len(b) {
					return 0, false
				}
				for _, h := range b[j+1 : j+5] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return 0, false
					}
				}
				j += 4
			default:
				return 0, false
			}
		}
	}
	return 0, false
}

// validNumber says whether tok is a JSON number:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func validNumber(tok []byte) bool {
	i := 0
	if i < len(tok) && tok[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(tok) && tok[i] >= '0' && tok[i] <= '9' {
			i, n = i+1, n+1
		}
		return n
	}
	switch {
	case i < len(tok) && tok[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(tok) && tok[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(tok) && (tok[i] == 'e' || tok[i] == 'E') {
		i++
		if i < len(tok) && (tok[i] == '+' || tok[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(tok)
}

// lowerASCII says whether a name is lower-case ASCII (no letter
// encoding/json would fold to another).
func lowerASCII(s []byte) bool {
	for _, c := range s {
		if c >= 0x80 || (c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// nestedEnd is where the object or array at b[i:] ends.
func nestedEnd(b []byte, i int) (int, bool) {
	depth := 0
	for j := i; j < len(b); j++ {
		switch b[j] {
		case '"':
			for j++; j < len(b) && b[j] != '"'; j++ {
				if b[j] == '\\' {
					j++
				}
			}
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return j + 1, true
			}
		}
	}
	return 0, false
}

package latency

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"math"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// The V2 encoding's cookies (HdrHistogram's wire format, as hdrhistogram-go
// and the Java library read it).
const (
	v2EncodingCookie           = int32(0x1c849303 | 0x10)
	v2CompressedEncodingCookie = int32(0x1c849304 | 0x10)
)

// encoder writes HdrHistogram V2 compressed encodings, reusing its buffers
// and its zlib writer between histograms.
type encoder struct {
	raw, zbuf bytes.Buffer
	z         *zlib.Writer
	out       []byte
}

// encode returns h's base64 V2 compressed encoding; the result is valid
// until the next call.
func (e *encoder) encode(h *hdrhistogram.Histogram) ([]byte, error) {
	snap := h.Export()
	counts := snap.Counts
	limit := len(counts)
	for limit > 0 && counts[limit-1] == 0 {
		limit--
	}
	// Counts: ZigZag LEB128; a run of zeros is one negative count.
	var body []byte
	body = e.out[:0]
	for i := 0; i < limit; {
		c := counts[i]
		i++
		if c == 0 {
			zeros := int64(1)
			for i < limit && counts[i] == 0 {
				zeros++
				i++
			}
			if zeros > 1 {
				c = -zeros
			}
		}
		body = appendZigZag(body, c)
	}
	e.out = body

	ratio := snap.IntegerToDoubleConversionRatio
	if ratio == 0 {
		ratio = 1
	}
	e.raw.Reset()
	var hdr [40]byte
	binary.BigEndian.PutUint32(hdr[0:], uint32(v2EncodingCookie))
	binary.BigEndian.PutUint32(hdr[4:], uint32(len(body)))
	binary.BigEndian.PutUint32(hdr[8:], 0) // normalizing index offset: counts are stored unrotated
	binary.BigEndian.PutUint32(hdr[12:], uint32(snap.SignificantFigures))
	binary.BigEndian.PutUint64(hdr[16:], uint64(snap.LowestTrackableValue))
	binary.BigEndian.PutUint64(hdr[24:], uint64(snap.HighestTrackableValue))
	binary.BigEndian.PutUint64(hdr[32:], math.Float64bits(ratio))
	e.raw.Write(hdr[:])
	e.raw.Write(body)

	e.zbuf.Reset()
	var pre [8]byte
	e.zbuf.Write(pre[:]) // cookie and length, filled in below
	if e.z == nil {
		z, err := zlib.NewWriterLevel(&e.zbuf, zlib.BestSpeed)
		if err != nil {
			return nil, err
		}
		e.z = z
	} else {
		e.z.Reset(&e.zbuf)
	}
	if _, err := e.z.Write(e.raw.Bytes()); err != nil {
		return nil, err
	}
	if err := e.z.Close(); err != nil {
		return nil, err
	}
	zb := e.zbuf.Bytes()
	binary.BigEndian.PutUint32(zb[0:], uint32(v2CompressedEncodingCookie))
	binary.BigEndian.PutUint32(zb[4:], uint32(len(zb)-8))
	n := base64.StdEncoding.EncodedLen(len(zb))
	out := make([]byte, n)
	base64.StdEncoding.Encode(out, zb)
	return out, nil
}

func appendZigZag(b []byte, v int64) []byte {
	u := uint64((v << 1) ^ (v >> 63))
	// LEB128-64b9B: at most 9 bytes, the ninth carrying 8 bits.
	for i := 0; i < 8; i++ {
		if u>>7 == 0 {
			return append(b, byte(u))
		}
		b = append(b, byte(u&0x7f)|0x80)
		u >>= 7
	}
	return append(b, byte(u))
}

package sqltypes

import (
	"encoding/hex"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/tally-db/tally/pgerr"
	"gopkg.in/inf.v0"
)

// AppendText appends the Postgres text output of v (typoutput, with
// DateStyle ISO and TimeZone UTC) to buf. v must not be nil: NULL has no
// text form, the caller sends a NULL field instead.
func AppendText(buf []byte, oid OID, v any) ([]byte, error) {
	if elem, ok := elems[oid]; ok {
		return appendArrayText(buf, oid, elem, v)
	}
	switch oid {
	case Int2, Int4, Int8, OIDType:
		n, ok := asInt64(v)
		if !ok {
			return buf, errGoType(oid, v)
		}
		if !intInRange(oid, n) {
			return buf, errValueRange(oid)
		}
		return strconv.AppendInt(buf, n, 10), nil
	case Float4, Float8:
		f, ok := asFloat64(v)
		if !ok {
			return buf, errGoType(oid, v)
		}
		return appendFloat(buf, f, oid), nil
	case Bool:
		b, ok := asBool(v)
		if !ok {
			return buf, errGoType(oid, v)
		}
		if b {
			return append(buf, 't'), nil
		}
		return append(buf, 'f'), nil
	case Text, Varchar, Bpchar, Name, Unknown:
		s, ok := asString(v)
		if !ok {
			return buf, errGoType(oid, v)
		}
		return append(buf, s...), nil
	case Numeric:
		d, ok := asDec(v)
		if !ok {
			return buf, errGoType(oid, v)
		}
		return appendNumeric(buf, d), nil
	case UUID:
		u, ok := asUUID(v)
		if !ok {
			return buf, errGoType(oid, v)
		}
		return appendUUID(buf, u), nil
	case Bytea:
		b, ok := asBytes(v)
		if !ok {
			return buf, errGoType(oid, v)
		}
		buf = append(buf, `\x`...)
		return hex.AppendEncode(buf, b), nil
	case Date, Timestamp, Timestamptz:
		t, ok := asTime(v)
		if !ok {
			return buf, errGoType(oid, v)
		}
		return appendDateTime(buf, oid, t)
	}
	return appendCatalogText(buf, oid, v)
}

// appendFloat is float4out/float8out with extra_float_digits = 1 (the
// default since Postgres 12): the shortest string that reads back exactly,
// in %g style — fixed notation for decimal exponents -4 up to 14 (float8)
// or 5 (float4), else scientific with at least two exponent digits.
func appendFloat(buf []byte, f float64, oid OID) []byte {
	switch {
	case math.IsNaN(f):
		return append(buf, "NaN"...)
	case math.IsInf(f, 1):
		return append(buf, "Infinity"...)
	case math.IsInf(f, -1):
		return append(buf, "-Infinity"...)
	}
	bits, maxExp := 64, 15
	if oid == Float4 {
		bits, maxExp = 32, 6
		f = float64(float32(f))
	}
	sci := strconv.AppendFloat(nil, f, 'e', -1, bits)
	e := strings.LastIndexByte(string(sci), 'e')
	exp, _ := strconv.Atoi(string(sci[e+1:]))
	if exp >= -4 && exp < maxExp {
		return strconv.AppendFloat(buf, f, 'f', -1, bits)
	}
	return append(buf, sci...)
}

// appendNumeric prints d with its scale, as numeric_out does ("1.50");
// a negative inf scale (a multiple of a power of ten) prints as an integer.
func appendNumeric(buf []byte, d *inf.Dec) []byte {
	if d.Scale() < 0 {
		d = new(inf.Dec).Round(d, 0, inf.RoundExact)
	}
	return append(buf, d.String()...)
}

// appendUUID prints the canonical lower-case 8-4-4-4-12 form.
func appendUUID(buf []byte, u [16]byte) []byte {
	var out [36]byte
	hex.Encode(out[0:8], u[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], u[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], u[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], u[8:10])
	out[23] = '-'
	hex.Encode(out[24:], u[10:])
	return append(buf, out[:]...)
}

// appendDateTime prints a date, timestamp or timestamptz in DateStyle ISO
// with TimeZone UTC: "2026-12-03", "2026-12-03 13:36:33.5",
// "2026-12-03 13:36:33.123456+00", with " BC" for years before 1.
func appendDateTime(buf []byte, oid OID, t time.Time) ([]byte, error) {
	t = normalizeTime(oid, t)
	limit := maxTimestamp
	if oid == Date {
		limit = maxDate
	}
	if t.Before(minTimestamp) || !t.Before(limit) {
		if oid == Date {
			return buf, pgerr.New(pgerr.DatetimeFieldOverflow, "date out of range")
		}
		return buf, pgerr.New(pgerr.DatetimeFieldOverflow, "timestamp out of range")
	}
	year, month, day := t.Date()
	bc := year <= 0
	if bc {
		year = 1 - year
	}
	buf = appendPadded(buf, year, 4)
	buf = append(buf, '-')
	buf = appendPadded(buf, int(month), 2)
	buf = append(buf, '-')
	buf = appendPadded(buf, day, 2)
	if oid != Date {
		buf = appendClock(buf, t)
		if oid == Timestamptz {
			buf = append(buf, "+00"...)
		}
	}
	if bc {
		buf = append(buf, " BC"...)
	}
	return buf, nil
}

// appendClock prints " hh:mm:ss" and the fraction without trailing zeros.
func appendClock(buf []byte, t time.Time) []byte {
	h, m, s := t.Clock()
	buf = append(buf, ' ')
	buf = appendPadded(buf, h, 2)
	buf = append(buf, ':')
	buf = appendPadded(buf, m, 2)
	buf = append(buf, ':')
	buf = appendPadded(buf, s, 2)
	if us := t.Nanosecond() / 1000; us != 0 {
		frac := appendPadded(nil, us, 6)
		buf = append(buf, '.')
		buf = append(buf, strings.TrimRight(string(frac), "0")...)
	}
	return buf
}

// appendPadded prints n with at least width digits, zero padded.
func appendPadded(buf []byte, n, width int) []byte {
	s := strconv.Itoa(n)
	for i := len(s); i < width; i++ {
		buf = append(buf, '0')
	}
	return append(buf, s...)
}

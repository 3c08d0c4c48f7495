package sqltypes

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/tally-db/tally/pgerr"
	"gopkg.in/inf.v0"
)

// equalValue compares two sqltypes values, with the equality each Go type
// needs (numeric by value and scale, times by instant, NaN equal to NaN).
func equalValue(a, b any) bool {
	switch x := a.(type) {
	case *inf.Dec:
		y, ok := b.(*inf.Dec)
		return ok && x.Cmp(y) == 0 && x.Scale() == y.Scale()
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Equal(y) && y.Location() == time.UTC
	case []byte:
		y, ok := b.([]byte)
		return ok && bytes.Equal(x, y)
	case float64:
		y, ok := b.(float64)
		return ok && (x == y && math.Signbit(x) == math.Signbit(y) || math.IsNaN(x) && math.IsNaN(y))
	}
	return a == b
}

// roundTripValues holds values of every type in sqltypes' representation.
var roundTripValues = []struct {
	oid OID
	v   any
	bin string // Postgres' binary form (typsend), hex; "" = not asserted
}{
	{Int2, int64(-32768), "8000"},
	{Int4, int64(2147483647), "7fffffff"},
	{Int8, int64(-1), "ffffffffffffffff"},
	{OIDType, int64(4294967295), "ffffffff"},
	{Float4, float64(float32(0.1)), "3dcccccd"},
	{Float4, math.NaN(), "7fc00000"},
	{Float8, 1.5, "3ff8000000000000"},
	{Float8, math.Inf(-1), "fff0000000000000"},
	{Float8, math.Copysign(0, -1), "8000000000000000"},
	{Float8, math.NaN(), "7ff8000000000000"},
	{Bool, true, "01"},
	{Bool, false, "00"},
	{Text, "héllo", "68c3a96c6c6f"},
	{Varchar, "", ""},
	{Bpchar, "ab  ", "61622020"},
	{Name, "pg_class", "70675f636c617373"},
	{Unknown, "x", "78"},
	{Bytea, []byte{0, 1, 0xff}, "0001ff"},
	{Numeric, inf.NewDec(150, 2), "0002000000000002" + "00011388"},
	{Numeric, inf.NewDec(0, 2), "0000000000000002"},
	{Numeric, inf.NewDec(-1234567890123, 3), ""},
	{Numeric, inf.NewDec(1, 7), "0001fffe00000007" + "000a"},
	{UUID, [16]byte{0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8, 0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38, 0x0a, 0x11}, "a0eebc999c0b4ef8bb6d6bb9bd380a11"},
	{Date, time.Date(2000, 1, 2, 0, 0, 0, 0, time.UTC), "00000001"},
	{Date, time.Date(-43, 3, 15, 0, 0, 0, 0, time.UTC), ""},
	{Timestamp, time.Date(2000, 1, 1, 0, 0, 1, 500000000, time.UTC), "000000000016e360"},
	{Timestamp, time.Date(1999, 12, 31, 23, 59, 59, 999999000, time.UTC), "ffffffffffffffff"},
	{Timestamptz, time.Date(2026, 12, 3, 13, 36, 33, 123456000, time.UTC), ""},
	{Timestamptz, time.Date(294276, 12, 31, 23, 59, 59, 999999000, time.UTC), ""},
}

// TestRoundTrip checks text→value and binary→value round trips for every
// type, and the exact binary bytes where known.
func TestRoundTrip(t *testing.T) {
	for _, c := range roundTripValues {
		txt, err := AppendText(nil, c.oid, c.v)
		if err != nil {
			t.Errorf("AppendText(%d, %v): %v", c.oid, c.v, err)
			continue
		}
		back, err := DecodeText(c.oid, string(txt))
		if err != nil || !equalValue(c.v, back) {
			t.Errorf("text round trip %d %v via %q = %v, %v", c.oid, c.v, txt, back, err)
		}
		bin, err := AppendBinary([]byte("prefix"), c.oid, c.v)
		if err != nil || !bytes.HasPrefix(bin, []byte("prefix")) {
			t.Errorf("AppendBinary(%d, %v) = %x, %v", c.oid, c.v, bin, err)
			continue
		}
		bin = bin[len("prefix"):]
		if c.bin != "" && hex.EncodeToString(bin) != c.bin {
			t.Errorf("AppendBinary(%d, %v) = %x; want %s", c.oid, c.v, bin, c.bin)
		}
		back, err = DecodeBinary(c.oid, bin)
		if err != nil || !equalValue(c.v, back) {
			t.Errorf("binary round trip %d %v via %x = %v, %v", c.oid, c.v, bin, back, err)
		}
	}
}

// TestDecodeBinaryErrors checks that malformed binary input is 22P03 (or
// 0A000 for infinities tally cannot hold).
func TestDecodeBinaryErrors(t *testing.T) {
	cases := []struct {
		oid  OID
		in   string // hex
		code pgerr.Code
	}{
		{Int2, "000001", "22P03"},
		{Int4, "0001", "22P03"},
		{Int8, "", "22P03"},
		{Float4, "00", "22P03"},
		{Float8, "0000000000", "22P03"},
		{Bool, "0101", "22P03"},
		{UUID, "a0eebc99", "22P03"},
		{Date, "000000", "22P03"},
		{Timestamp, "00", "22P03"},
		{Numeric, "0001", "22P03"},
		{Numeric, "00010000000000002710", "22P03"}, // digit 10000
		{Numeric, "00010000123400000001", "22P03"}, // bad sign
		{Numeric, "000200000000000000", "22P03"},   // too short for ndigits
		{Numeric, "0000000000000000" + "00", "22P03"},
		{Numeric, "00000000c0000000", "0A000"}, // NaN
		{Numeric, "000000000000c000", "22P03"}, // negative dscale
		{Text, "ff", "22021"},
		{Timestamptz, "7fffffffffffffff", "0A000"},
		{Date, "80000000", "0A000"},
		{Timestamp, "7ffffffffffffffe", "22008"},
		{999, "00", "0A000"},
	}
	for _, c := range cases {
		b, _ := hex.DecodeString(c.in)
		v, err := DecodeBinary(c.oid, b)
		if got := pgerr.CodeOf(err); err == nil || got != c.code {
			t.Errorf("DecodeBinary(%d, %s) = %v, %v; want SQLSTATE %s", c.oid, c.in, v, err, c.code)
		}
	}
}

// TestAppendConvertible checks the other Go kinds the encoders accept and
// that a wrong kind is an internal (non-pgerr) error.
func TestAppendConvertible(t *testing.T) {
	ok := []struct {
		oid  OID
		v    any
		text string
	}{
		{Int4, int32(-5), "-5"},
		{Int8, 7, "7"},
		{Int2, uint8(9), "9"},
		{Float8, float32(0.5), "0.5"},
		{Float8, 3, "3"},
		{Float4, 0.1, "0.1"},
		{Text, []byte("hi"), "hi"},
		{Bytea, "hi", `\x6869`},
		{Numeric, int64(-12), "-12"},
		{Numeric, 0.1, "0.1"},
		{Numeric, inf.NewDec(15, -2), "1500"},
		{UUID, make([]byte, 16), "00000000-0000-0000-0000-000000000000"},
		{Timestamptz, time.Date(2026, 12, 3, 14, 36, 33, 0, time.FixedZone("", 3600)), "2026-12-03 13:36:33+00"},
		{Timestamp, time.Date(2026, 12, 3, 14, 36, 33, 0, time.FixedZone("", 3600)), "2026-12-03 14:36:33"},
		{Date, time.Date(2026, 12, 3, 23, 59, 0, 0, time.FixedZone("", -3600)), "2026-12-03"},
		{Timestamptz, time.Date(2026, 12, 3, 13, 36, 33, 1500, time.UTC), "2026-12-03 13:36:33.000002+00"},
	}
	for _, c := range ok {
		got, err := AppendText(nil, c.oid, c.v)
		if err != nil || string(got) != c.text {
			t.Errorf("AppendText(%d, %T %v) = %q, %v; want %q", c.oid, c.v, c.v, got, err, c.text)
		}
		if _, err := AppendBinary(nil, c.oid, c.v); err != nil {
			t.Errorf("AppendBinary(%d, %T %v): %v", c.oid, c.v, c.v, err)
		}
	}
	bad := []struct {
		oid OID
		v   any
	}{
		{Int4, "1"}, {Bool, 1}, {Text, 5}, {UUID, "x"}, {Date, "2026-01-01"}, {Numeric, math.NaN()}, {Float8, true},
	}
	for _, c := range bad {
		if _, err := AppendText(nil, c.oid, c.v); err == nil || pgerr.As(err) != nil {
			t.Errorf("AppendText(%d, %T): err = %v; want a non-pgerr error", c.oid, c.v, err)
		}
		if _, err := AppendBinary(nil, c.oid, c.v); err == nil || pgerr.As(err) != nil {
			t.Errorf("AppendBinary(%d, %T): err = %v; want a non-pgerr error", c.oid, c.v, err)
		}
	}
	for _, c := range []struct {
		oid OID
		v   any
	}{{Int2, int64(40000)}, {Int4, int64(1) << 40}, {OIDType, int64(-1)}} {
		_, err := AppendText(nil, c.oid, c.v)
		var pe *pgerr.Error
		if !errors.As(err, &pe) || pe.Code != pgerr.NumericValueOutOfRange {
			t.Errorf("AppendText(%d, %v) err = %v; want 22003", c.oid, c.v, err)
		}
		if _, err := AppendBinary(nil, c.oid, c.v); pgerr.CodeOf(err) != pgerr.NumericValueOutOfRange {
			t.Errorf("AppendBinary(%d, %v) err = %v; want 22003", c.oid, c.v, err)
		}
	}
}

// TestInfoLookup checks the type catalogue.
func TestInfoLookup(t *testing.T) {
	lookups := map[string]OID{
		"int2": Int2, "smallint": Int2, "int4": Int4, "int": Int4, "integer": Int4,
		"pg_catalog.int4": Int4, "int8": Int8, "bigint": Int8, "bool": Bool, "boolean": Bool,
		"text": Text, "varchar": Varchar, "character varying": Varchar, "pg_catalog.varchar": Varchar,
		"float8": Float8, "double precision": Float8, "float4": Float4, "real": Float4,
		"numeric": Numeric, "decimal": Numeric, "uuid": UUID, "timestamptz": Timestamptz,
		"pg_catalog.timestamptz": Timestamptz, "timestamp": Timestamp, "date": Date, "bytea": Bytea,
		"bpchar": Bpchar, "name": Name, "oid": OIDType,
	}
	for name, want := range lookups {
		if got, ok := Lookup(name); !ok || got != want {
			t.Errorf("Lookup(%q) = %d, %v; want %d", name, got, ok, want)
		}
	}
	for _, name := range []string{"jsonb", "INT4", "char", "", "pg_catalog."} {
		if got, ok := Lookup(name); ok {
			t.Errorf("Lookup(%q) = %d; want not found", name, got)
		}
	}
	infoCases := []TypeInfo{
		{Int8, "int8", "bigint", 8}, {Int4, "int4", "integer", 4}, {Int2, "int2", "smallint", 2},
		{Text, "text", "text", -1}, {Timestamptz, "timestamptz", "timestamp with time zone", 8},
		{UUID, "uuid", "uuid", 16}, {Bool, "bool", "boolean", 1}, {Float8, "float8", "double precision", 8},
		{Varchar, "varchar", "character varying", -1}, {Date, "date", "date", 4}, {Numeric, "numeric", "numeric", -1},
	}
	for _, want := range infoCases {
		if got, ok := Info(want.OID); !ok || got != want {
			t.Errorf("Info(%d) = %+v, %v; want %+v", want.OID, got, ok, want)
		}
	}
	if _, ok := Info(3802); ok {
		t.Error("Info(jsonb) found; want not supported")
	}
	for oid, want := range map[OID]bool{Int2: true, Int4: true, Int8: true, Numeric: false, OIDType: false, Float8: false} {
		if IsInteger(oid) != want {
			t.Errorf("IsInteger(%d) = %v", oid, !want)
		}
	}
}

package sqltypes

import (
	"errors"
	"testing"

	"github.com/tally-db/tally/pgerr"
)

// TestTextInOut reads each input with DecodeText and prints it with
// AppendText; every expectation is what Postgres 15 prints for
// 'input'::type (pgcompare_test.go re-checks them against a server).
func TestTextInOut(t *testing.T) {
	cases := []struct {
		oid     OID
		in, out string
	}{
		{Int2, "-32768", "-32768"},
		{Int4, " 12 ", "12"},
		{Int8, "+12", "12"},
		{Int8, "9223372036854775807", "9223372036854775807"},
		{OIDType, "-1", "4294967295"},
		{Float8, "1e15", "1e+15"},
		{Float8, "123456789012345", "123456789012345"},
		{Float8, "1234567890123456", "1.234567890123456e+15"},
		{Float8, "0.0001", "0.0001"},
		{Float8, "0.00001", "1e-05"},
		{Float8, "1.5e-7", "1.5e-07"},
		{Float8, "-0", "-0"},
		{Float8, "1.0", "1"},
		{Float8, "0.1", "0.1"},
		{Float8, "4.9e-324", "5e-324"},
		{Float8, "1e-310", "1e-310"},
		{Float8, "1.7976931348623157e308", "1.7976931348623157e+308"},
		{Float8, " inf", "Infinity"},
		{Float8, "-Infinity", "-Infinity"},
		{Float8, "NaN", "NaN"},
		{Float8, "0x1p3", "8"},
		{Float4, "1e5", "100000"},
		{Float4, "1e6", "1e+06"},
		{Float4, "1234567", "1.234567e+06"},
		{Float4, "0.1", "0.1"},
		{Float4, "3.4e38", "3.4e+38"},
		{Float4, "1e-45", "1e-45"},
		{Bool, "  TRU ", "t"},
		{Bool, "of", "f"},
		{Bool, "yes", "t"},
		{Bool, "n", "f"},
		{Bool, "1", "t"},
		{Bool, "0", "f"},
		{Text, "  sp  ", "  sp  "},
		{Varchar, "ünïcode", "ünïcode"},
		{Name, "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnop", "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijk"},
		{Numeric, "1.50", "1.50"},
		{Numeric, "-0.00", "0.00"},
		{Numeric, "1.5e3", "1500"},
		{Numeric, "1.500e1", "15.00"},
		{Numeric, ".5", "0.5"},
		{Numeric, "5.", "5"},
		{Numeric, "1e-3", "0.001"},
		{Numeric, "-12345678901234567890.123456789", "-12345678901234567890.123456789"},
		{UUID, "{a0eebc999c0b4ef8bb6d6bb9bd380a11}", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
		{UUID, "A0EE-BC99-9C0B-4EF8-BB6D-6BB9-BD38-0A11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
		{Bytea, `\x01 02`, `\x0102`},
		{Bytea, `\xDEADbeef`, `\xdeadbeef`},
		{Bytea, `ab\\c\001`, `\x61625c6301`},
		{Bytea, "", `\x`},
		{Date, " 2026-12-03 ", "2026-12-03"},
		{Date, "2026-12-03 13:36:33", "2026-12-03"},
		{Date, "0044-03-15 BC", "0044-03-15 BC"},
		{Date, "10000-01-01", "10000-01-01"},
		{Date, "4714-11-24 BC", "4714-11-24 BC"},
		{Date, "5874897-12-31", "5874897-12-31"},
		{Date, "20261203", "2026-12-03"},
		{Date, "12/03/2026", "2026-12-03"},
		{Date, "epoch", "1970-01-01"},
		{Timestamp, "2026-12-03 13:36:33.123456+05:30", "2026-12-03 13:36:33.123456"},
		{Timestamp, "2026-12-03 13:36:33.50", "2026-12-03 13:36:33.5"},
		{Timestamp, "2026-12-03 24:00:00", "2026-12-04 00:00:00"},
		{Timestamp, "2026-12-03 13:59:60", "2026-12-03 14:00:00"},
		{Timestamp, "2026-12-3 1:2:3", "2026-12-03 01:02:03"},
		{Timestamp, "2026-12-03 13:36:33.9999999", "2026-12-03 13:36:34"},
		{Timestamp, "2026-12-03 13:36:33.1234565", "2026-12-03 13:36:33.123456"},
		{Timestamp, "0044-03-15 13:00:01.5 BC", "0044-03-15 13:00:01.5 BC"},
		{Timestamp, "294276-12-31 23:59:59.999999", "294276-12-31 23:59:59.999999"},
		{Timestamptz, "2026-12-03 13:36:33.123456+05:30", "2026-12-03 08:06:33.123456+00"},
		{Timestamptz, "2026-12-03T13:36:33Z", "2026-12-03 13:36:33+00"},
		{Timestamptz, "2026-12-03 13:36", "2026-12-03 13:36:00+00"},
		{Timestamptz, "2026-12-03", "2026-12-03 00:00:00+00"},
		{Timestamptz, "2026-12-03 13:36:33-0800", "2026-12-03 21:36:33+00"},
		{Timestamptz, "2026-12-03 13:36:33 America/New_York", "2026-12-03 18:36:33+00"},
		{Timestamptz, "2026-07-01 12:00 Europe/Paris", "2026-07-01 10:00:00+00"},
		{Timestamptz, "2026-12-03 13:36:33+14:00:00", "2026-12-02 23:36:33+00"},
		{Timestamptz, "2026-12-03 13:36:33 utc", "2026-12-03 13:36:33+00"},
		{Timestamptz, "2026-12-03 13:36:33z", "2026-12-03 13:36:33+00"},
		{Timestamptz, "0044-03-15 13:00:01.5+00 BC", "0044-03-15 13:00:01.5+00 BC"},
	}
	for _, c := range cases {
		v, err := DecodeText(c.oid, c.in)
		if err != nil {
			t.Errorf("DecodeText(%d, %q): %v", c.oid, c.in, err)
			continue
		}
		got, err := AppendText(nil, c.oid, v)
		if err != nil || string(got) != c.out {
			t.Errorf("AppendText(DecodeText(%d, %q)) = %q, %v; want %q", c.oid, c.in, got, err, c.out)
		}
	}
}

// TestDecodeTextErrors checks SQLSTATE and message of bad input, exactly as
// Postgres 15 reports them.
func TestDecodeTextErrors(t *testing.T) {
	cases := []struct {
		oid  OID
		in   string
		code pgerr.Code
		msg  string
	}{
		{Int2, "99999", "22003", `value "99999" is out of range for type smallint`},
		{Int4, "abc", "22P02", `invalid input syntax for type integer: "abc"`},
		{Int4, "1.5", "22P02", `invalid input syntax for type integer: "1.5"`},
		{Int4, "", "22P02", `invalid input syntax for type integer: ""`},
		{Int4, "0x10", "22P02", `invalid input syntax for type integer: "0x10"`},
		{Int4, "3000000000", "22003", `value "3000000000" is out of range for type integer`},
		{Int8, "9223372036854775808", "22003", `value "9223372036854775808" is out of range for type bigint`},
		{OIDType, "4294967296", "22003", `value "4294967296" is out of range for type oid`},
		{Float8, "1e400", "22003", `"1e400" is out of range for type double precision`},
		{Float8, "1e-400", "22003", `"1e-400" is out of range for type double precision`},
		{Float8, "abc", "22P02", `invalid input syntax for type double precision: "abc"`},
		{Float8, "1_0", "22P02", `invalid input syntax for type double precision: "1_0"`},
		{Float4, "1e40", "22003", `"1e40" is out of range for type real`},
		{Float4, "1e-50", "22003", `"1e-50" is out of range for type real`},
		{Bool, "o", "22P02", `invalid input syntax for type boolean: "o"`},
		{Bool, "10", "22P02", `invalid input syntax for type boolean: "10"`},
		{Text, "a\xffb", "22021", `invalid byte sequence for encoding "UTF8": 0xff`},
		{Text, "a\x00b", "22021", `invalid byte sequence for encoding "UTF8": 0x00`},
		{Numeric, "abc", "22P02", `invalid input syntax for type numeric: "abc"`},
		{Numeric, "1.2.3", "22P02", `invalid input syntax for type numeric: "1.2.3"`},
		{Numeric, "1e", "22P02", `invalid input syntax for type numeric: "1e"`},
		{Numeric, "1e131072", "22003", `value overflows numeric format`},
		{Numeric, "NaN", "0A000", `numeric value "NaN" is not supported`},
		{UUID, " a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "22P02", `invalid input syntax for type uuid: " a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"`},
		{UUID, "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "22P02", `invalid input syntax for type uuid: "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"`},
		{Bytea, `\x0g`, "22023", `invalid hexadecimal digit: "g"`},
		{Bytea, `\x012`, "22023", `invalid hexadecimal data: odd number of digits`},
		{Bytea, `a\9`, "22P02", `invalid input syntax for type bytea`},
		{Date, "abc", "22007", `invalid input syntax for type date: "abc"`},
		{Date, "2026-02-30", "22008", `date/time field value out of range: "2026-02-30"`},
		{Date, "0000-01-01", "22008", `date/time field value out of range: "0000-01-01"`},
		{Date, "4714-11-23 BC", "22008", `date out of range: "4714-11-23 BC"`},
		{Date, "5874898-01-01", "22008", `date out of range: "5874898-01-01"`},
		{Timestamp, "2026-13-03", "22008", `date/time field value out of range: "2026-13-03"`},
		{Timestamp, "2026-12-03 25:00", "22008", `date/time field value out of range: "2026-12-03 25:00"`},
		{Timestamp, "2026-12-03 13:60:00", "22008", `date/time field value out of range: "2026-12-03 13:60:00"`},
		{Timestamp, "2026-12-03 13", "22007", `invalid input syntax for type timestamp: "2026-12-03 13"`},
		{Timestamp, "294277-01-01", "22008", `timestamp out of range: "294277-01-01"`},
		{Timestamp, "4714-11-23 23:00:00 BC", "22008", `timestamp out of range: "4714-11-23 23:00:00 BC"`},
		{Timestamptz, "abc", "22007", `invalid input syntax for type timestamp with time zone: "abc"`},
		{Timestamptz, "2026-12-03 13:36:33+16", "22009", `time zone displacement out of range: "2026-12-03 13:36:33+16"`},
		{Timestamptz, "2026-12-03 13:36:33 Foo/Bar", "22023", `time zone "foo/bar" not recognized`},
		{Timestamptz, "infinity", "0A000", `date/time value "infinity" is not supported`},
		{999, "x", "0A000", `type with OID 999 is not supported`},
	}
	for _, c := range cases {
		v, err := DecodeText(c.oid, c.in)
		var pe *pgerr.Error
		if !errors.As(err, &pe) {
			t.Errorf("DecodeText(%d, %q) = %v, %v; want *pgerr.Error %s", c.oid, c.in, v, err, c.code)
			continue
		}
		if pe.Code != c.code || pe.Message != c.msg {
			t.Errorf("DecodeText(%d, %q) error = %s %q; want %s %q", c.oid, c.in, pe.Code, pe.Message, c.code, c.msg)
		}
	}
}

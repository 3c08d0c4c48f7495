package sqltypes

// This test proves the expectations of the other tests against a real
// Postgres 15: it sends every input through the server's own input and
// output functions (text and binary) and compares. It runs only when
// TALLY_PG_COMPARE_DSN names a server, e.g.
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/tally-db/tally/pgerr"
)

// TestPGCompare compares DecodeText/AppendText/AppendBinary/DecodeBinary
// with the server's results for the same inputs.
func TestPGCompare(t *testing.T) {
	dsn := os.Getenv("TALLY_PG_COMPARE_DSN")
	if dsn == "" {
		t.Skip("TALLY_PG_COMPARE_DSN not set")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "set timezone = 'UTC'; set datestyle = 'ISO, MDY'; set extra_float_digits = 1"); err != nil {
		t.Fatal(err)
	}
	cases := map[string][]string{
		"int2":        {"1", "-32768", "32767", "32768", " 12 ", "+5", "abc", "", "1.5", "-"},
		"int4":        {"0", "2147483647", "2147483648", "-2147483648", "1e5", "  -7", "0x10"},
		"int8":        {"9223372036854775807", "9223372036854775808", "-9223372036854775808", "12a"},
		"oid":         {"-1", "4294967295", "4294967296", "-2147483649", "x", "17"},
		"float8":      {"1e15", "1e16", "123456789012345", "1234567890123456", "0.0001", "0.00001", "1.5e-7", "1e22", "-0", "3.14159265358979", "0.1", "1e-400", "1e400", "abc", "NaN", "inf", "-Infinity", " 1.5 ", "4.9e-324", "1e-310", "1.7976931348623157e308", "0x1p3", "1_0", "infinityx", "", "2.5e-300", "100", "1e308"},
		"float4":      {"1e5", "1e6", "123456", "1234567", "16777217", "0.1", "3.4e38", "3.5e38", "1e-45", "1e-50", "abc", "NaN", "-inf", "1.17549435e-38", "1e-40", "3.14159"},
		"bool":        {"t", "TRUE", " yes ", "on", "of", "o", "1", "0", "10", "f", "n", "nO", "x", "", "tr"},
		"text":        {"hello", "", "  sp  ", "ünïcode", "a\\b"},
		"name":        {"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz", "ééééééééééééééééééééééééééééééééééééééééééééééé"},
		"numeric":     {"1.5", "1.50", "-0.00", "1.5e3", "1.500e1", " 1.50 ", ".5", "5.", "1e-3", "abc", "1e", "1.2.3", "+3", "-12345678901234567890.123456789", "0", "0.0001", "100000000.0", "1e1001", "12e+2", ".", "0.0000001", "-0.00000012345", "123456789.000000001", "1e-20", "99999999", "10000", "0.00010000"},
		"uuid":        {"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "{a0eebc999c0b4ef8bb6d6bb9bd380a11}", "A0EE-BC99-9C0B-4EF8-BB6D-6BB9-BD38-0A11", " a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "x", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11-", "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
		"bytea":       {"\\x0102", "\\x0g", "\\x012", "\\x01 02", "ab\\\\c\\001", "a\\9", "plain", "\\xDEADbeef", "", "\\x", "\\400"},
		"date":        {"2026-12-03", " 2026-12-03 ", "2026-12-03 13:36:33", "2026-02-30", "2026-13-01", "abc", "0044-03-15 BC", "10000-01-01", "4714-11-24 BC", "4714-11-23 BC", "5874897-12-31", "5874898-01-01", "20261203", "12/03/2026", "epoch", "2024-02-29", "2023-02-29", "26-12-03", "12-03-2026", "2026-12-03T10:00Z", "0000-01-01"},
		"timestamp":   {"2026-12-03 13:36:33.123456+05:30", "2026-12-03 13:36:33.50", "2026-12-03 25:00", "2026-12-03 24:00:00", "2026-12-03 24:00:01", "2026-12-03 13:60:00", "2026-12-03 13:59:60", "abc", "2026-12-3 1:2:3", "2026-12-03 13:36:33.", "2026-12-03 13", "294277-01-01", "294276-12-31 23:59:59.999999", "2026-12-03 13:36:33.9999999", "0044-03-15 13:00:01.5 BC", "4714-11-24 00:00:00 BC", "4714-11-23 23:00:00 BC", "2026-12-03T13:36:33", "2026-12-03", "epoch", "2026-12-03 13:36:33.1234565", "1999-12-31 23:59:59.999999", "1900-01-01 00:00:00"},
		"timestamptz": {"2026-12-03 13:36:33.123456+05:30", "2026-12-03T13:36:33Z", "2026-12-03 13:36", "2026-12-03", "2026-12-03 13:36:33.1234567", "2026-12-03 13:36:33.5 UTC", "2026-12-03 13:36:33-0800", "2026-12-03 13:36:33 America/New_York", "2026-12-03 13:36:33+14:00:00", "2026-12-03 13:36:33+15", "2026-12-03 13:36:33+16", "2026-12-03 13:36:33 +05", "2026-12-03 13:36:33 Z", "2026-12-03 13:36:33z", "abc", "2026-12-03 13:36:33 Foo/Bar", "2026-12-03 13:36:33 utc", "0044-03-15 13:00:01.5 BC", "0044-03-15 13:00:01.5+00 BC", "0001-01-01 00:00:00+00", "2026-07-01 12:00 Europe/Paris", "2026-12-03 13:36:33 gmt", "2026-12-03 13:36:33+05:30:15", "2026-12-03 13:36:33 +0530", "1970-01-01 00:00:00-01"},
	}
	n := 0
	for typ, inputs := range cases {
		oid, ok := Lookup(typ)
		if !ok {
			t.Fatalf("lookup %s", typ)
		}
		for _, in := range inputs {
			n++
			want, wantErr := pgText(ctx, conn, typ, in)
			var got string
			var gotErr error
			v, err := DecodeText(oid, in)
			if err != nil {
				gotErr = err
			} else {
				b, err := AppendText(nil, oid, v)
				if err != nil {
					gotErr = err
				}
				got = string(b)
			}
			if describe(got, gotErr) != describe(want, wantErr) {
				t.Errorf("%s %q:\n got  %s\n want %s", typ, in, describe(got, gotErr), describe(want, wantErr))
				continue
			}
			if wantErr != nil {
				continue
			}
			// binary: PG's send of the value vs ours; and decode PG's bytes.
			res := conn.PgConn().ExecParams(ctx, "select ($1::text)::"+typ, [][]byte{[]byte(in)}, nil, nil, []int16{1}).Read()
			if res.Err != nil {
				t.Errorf("%s %q binary: %v", typ, in, res.Err)
				continue
			}
			pgBin := res.Rows[0][0]
			ours, err := AppendBinary(nil, oid, v)
			if err != nil || !bytes.Equal(ours, pgBin) {
				{
					t.Errorf("%s %q binary: ours %x (%v), pg %x", typ, in, ours, err, pgBin)
				}
			}
			v2, err := DecodeBinary(oid, pgBin)
			if err != nil {
				t.Errorf("%s %q decode pg binary: %v", typ, in, err)
				continue
			}
			b2, _ := AppendText(nil, oid, v2)
			if string(b2) != want {
				t.Errorf("%s %q decode pg binary then text: %q want %q", typ, in, b2, want)
			}
		}
	}
	t.Logf("%d cases", n)
}

// describe prints a result or error so that two can be compared.
func describe(s string, err error) string {
	if err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) {
			return fmt.Sprintf("ERROR %s %s", pe.Code, pe.Message)
		}
		if e := pgerr.As(err); e != nil {
			return fmt.Sprintf("ERROR %s %s", e.Code, e.Message)
		}
		return "ERROR ? " + err.Error()
	}
	return "OK " + s
}

// pgText asks the server for the text output of in read as typ.
func pgText(ctx context.Context, conn *pgx.Conn, typ, in string) (string, error) {
	res := conn.PgConn().ExecParams(ctx, "select ($1::text)::"+typ, [][]byte{[]byte(in)}, nil, nil, []int16{0}).Read()
	if res.Err != nil {
		return "", res.Err
	}
	return string(res.Rows[0][0]), nil
}

package sqltypes

import (
	"encoding/binary"
	"testing"
)

// arrayOIDs lists the array type of every supported type.
func arrayOIDs() []OID {
	var out []OID
	for _, e := range allOIDs {
		if a, ok := ArrayOf(e); ok {
			out = append(out, a)
		}
	}
	return out
}

// catalogOIDs are the output-only types of catalog query results.
var catalogOIDs = []OID{Char, Int2Vector, RegProc, TID, XID, CID, OIDVector, JSON, RegClass, RegType, RegNamespace, RegRole,
	BoolArray, CharArray, NameArray, Int2Array, Int4Array, TextArray, VarcharArray, Int8Array, Float8Array, OIDArray}

// equalItems compares two decoded arrays element by element.
func equalItems(a, b any) bool {
	x, ok1 := a.([]any)
	y, ok2 := b.([]any)
	if !ok1 || !ok2 || len(x) != len(y) {
		return false
	}
	for i := range x {
		if (x[i] == nil) != (y[i] == nil) || x[i] != nil && !equalValue(x[i], y[i]) {
			return false
		}
	}
	return true
}

// FuzzDecodeArray feeds arbitrary text and binary input to the decoder of
// every array type: none may panic, and an array that decodes must print
// and read back to the same elements, in text and in binary.
func FuzzDecodeArray(f *testing.F) {
	for _, s := range []string{`{1,2,NULL}`, `{"a b","c\"d",NULL,""}`, `{}`, `{ 1 , 2 }`, `{{1}}`, `[1:2]={1,2}`,
		`{2026-12-03 13:36:33+00}`, `{t,f}`, `{\x00ff}`, `{"\\x41"}`, `{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}`,
		"\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x17\x00\x00\x00\x02\x00\x00\x00\x01\x00\x00\x00\x04\x00\x00\x00\x07\xff\xff\xff\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, oid := range arrayOIDs() {
			if v, err := DecodeBinary(oid, []byte(s)); err == nil {
				bin, err := AppendBinary(nil, oid, v)
				if err != nil {
					t.Fatalf("AppendBinary(%d, DecodeBinary(%x)): %v", oid, s, err)
				}
				back, err := DecodeBinary(oid, bin)
				if err != nil || !equalItems(v, back) {
					t.Fatalf("binary round trip %d %x -> %x -> %v, %v", oid, s, bin, back, err)
				}
			}
			v, err := DecodeText(oid, s)
			if err != nil {
				continue
			}
			txt, err := AppendText(nil, oid, v)
			if err != nil {
				t.Fatalf("AppendText(%d, DecodeText(%q)): %v", oid, s, err)
			}
			back, err := DecodeText(oid, string(txt))
			if err != nil || !equalItems(v, back) {
				t.Fatalf("text round trip %d %q -> %q -> %v, %v", oid, s, txt, back, err)
			}
			bin, err := AppendBinary(nil, oid, v)
			if err != nil {
				t.Fatalf("AppendBinary(%d, DecodeText(%q)): %v", oid, s, err)
			}
			back, err = DecodeBinary(oid, bin)
			if err != nil || !equalItems(v, back) {
				t.Fatalf("binary round trip %d %q -> %x -> %v, %v", oid, s, bin, back, err)
			}
		}
	})
}

// FuzzCatalogTypes: decoding arbitrary input as a catalog type fails
// cleanly, and encoding values built from arbitrary input in every
// catalog type, text and binary, never panics.
func FuzzCatalogTypes(f *testing.F) {
	f.Add("pg_class", int64(1259), "{1,2}")
	f.Add("", int64(-1), "")
	f.Add("a\"b\\c{},", int64(1<<40), "\x00\x01")
	f.Fuzz(func(t *testing.T, s string, n int64, raw string) {
		values := []any{s, n, Reg{OID: uint32(n), Name: s}, []byte(raw), nil, true, float64(n),
			[]any{s, nil, n}, []any{n, n + 1}, []any{Reg{Name: s}}, []any{[]byte(raw)}}
		if len(raw) >= 4 {
			values = append(values, []any{int64(binary.BigEndian.Uint32([]byte(raw)))})
		}
		for _, oid := range catalogOIDs {
			_, _ = DecodeText(oid, raw)
			_, _ = DecodeBinary(oid, []byte(raw))
			for _, v := range values {
				_, _ = AppendText(nil, oid, v)
				_, _ = AppendBinary(nil, oid, v)
			}
		}
	})
}

package sqltypes

import (
	"bytes"
	"testing"
)

// FuzzDecodeArrays: array and "char" input never panics, and what decodes
// encodes back to the same value.
func FuzzDecodeArrays(f *testing.F) {
	f.Add([]byte(`{1,2,NULL}`))
	f.Add([]byte(`{"a b","c\"d",NULL,""}`))
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 20, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 7})
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, oid := range []OID{Int8Array, TextArray, NameArray, Int4Array, BoolArray, Char} {
			if v, err := DecodeText(oid, string(b)); err == nil {
				out, err := AppendText(nil, oid, v)
				if err != nil {
					t.Fatalf("%d %q: decoded %v, encode: %v", oid, b, v, err)
				}
				v2, err := DecodeText(oid, string(out))
				if err != nil {
					t.Fatalf("%d %q → %q: %v", oid, b, out, err)
				}
				out2, _ := AppendText(nil, oid, v2)
				if !bytes.Equal(out, out2) {
					t.Fatalf("%d: %q → %q → %q", oid, b, out, out2)
				}
			}
			if v, err := DecodeBinary(oid, b); err == nil {
				if _, err := AppendBinary(nil, oid, v); err != nil {
					t.Fatalf("%d %x: decoded %v, encode: %v", oid, b, v, err)
				}
			}
		}
	})
}

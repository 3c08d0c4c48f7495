package sqltypes

import "testing"

// allOIDs lists every supported type.
var allOIDs = []OID{Bool, Bytea, Name, Int8, Int2, Int4, Text, OIDType, Float4, Float8, Unknown, Bpchar, Varchar, Date, Timestamp, Timestamptz, Numeric, UUID}

// FuzzDecode feeds arbitrary input to every decoder: none may panic, and a
// value that decodes must print and read back to the same value, in text
// and in binary.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{"1", "-1.5e3", "t", "2026-12-03 13:36:33.5+05:30", `\x00ff`, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "0044-03-15 BC", "\x00\x01\x00\x00\x00\x00\x00\x02\x00\x01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, oid := range allOIDs {
			if _, err := DecodeBinary(oid, []byte(s)); err == nil {
				// binary input of the right size decodes; nothing more to check
				_ = err
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
			if err != nil || !equalValue(v, back) {
				t.Fatalf("text round trip %d %q -> %q -> %v, %v", oid, s, txt, back, err)
			}
			bin, err := AppendBinary(nil, oid, v)
			if err != nil {
				t.Fatalf("AppendBinary(%d, DecodeText(%q)): %v", oid, s, err)
			}
			back, err = DecodeBinary(oid, bin)
			if err != nil || !equalValue(v, back) {
				t.Fatalf("binary round trip %d %q -> %x -> %v, %v", oid, s, bin, back, err)
			}
		}
	})
}

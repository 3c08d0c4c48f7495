package sqltypes

import (
	"reflect"
	"testing"

	"github.com/tally-db/tally/pgerr"
)

func TestArrayText(t *testing.T) {
	int8s, _ := ArrayOf(Int8)
	texts, _ := ArrayOf(Text)
	cases := []struct {
		oid  OID
		in   string
		want []any
		out  string
	}{
		{int8s, "{1,2,3}", []any{int64(1), int64(2), int64(3)}, "{1,2,3}"},
		{int8s, " { 1 , NULL,-3 } ", []any{int64(1), nil, int64(-3)}, "{1,NULL,-3}"},
		{int8s, "{}", []any{}, "{}"},
		{texts, `{a,"b c","",NULL,"NULL","q\"uote",back\\slash}`, []any{"a", "b c", "", nil, "NULL", `q"uote`, `back\slash`}, `{a,"b c","",NULL,"NULL","q\"uote","back\\slash"}`},
	}
	for _, c := range cases {
		v, err := DecodeText(c.oid, c.in)
		if err != nil {
			t.Fatalf("DecodeText(%q): %v", c.in, err)
		}
		if !reflect.DeepEqual(v, c.want) {
			t.Errorf("DecodeText(%q) = %#v; want %#v", c.in, v, c.want)
		}
		out, err := AppendText(nil, c.oid, v)
		if err != nil || string(out) != c.out {
			t.Errorf("AppendText(%#v) = %q, %v; want %q", v, out, err, c.out)
		}
		bin, err := AppendBinary(nil, c.oid, v)
		if err != nil {
			t.Fatal(err)
		}
		back, err := DecodeBinary(c.oid, bin)
		if err != nil || !reflect.DeepEqual(back, c.want) {
			t.Errorf("binary round trip of %q = %#v, %v", c.in, back, err)
		}
	}
	for _, bad := range []string{"1,2", "{1,2", "{1,,2}", "{1,x}", `{"a}`} {
		if _, err := DecodeText(int8s, bad); pgerr.CodeOf(err) != pgerr.InvalidTextRepresentation {
			t.Errorf("DecodeText(%q): %v; want 22P02", bad, err)
		}
	}
	if _, err := DecodeText(int8s, "{{1,2},{3,4}}"); pgerr.CodeOf(err) != pgerr.FeatureNotSupported {
		t.Errorf("two dimensions: %v; want 0A000", err)
	}
}

// The bytes of int8[] {1,NULL} as Postgres 15's array_send writes them.
func TestArrayBinaryMatchesPostgres(t *testing.T) {
	want := []byte{0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 20, 0, 0, 0, 2, 0, 0, 0, 1,
		0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff}
	got, err := AppendBinary(nil, 1016, []any{int64(1), nil})
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("int8[] {1,NULL} = % x, %v; want % x", got, err, want)
	}
	for _, bad := range [][]byte{want[:10], append(append([]byte{}, want...), 0), {0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 23, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 1}} {
		if _, err := DecodeBinary(1016, bad); err == nil {
			t.Errorf("DecodeBinary(% x) accepted", bad)
		}
	}
}

package sqltypes

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/tally-db/tally/pgerr"
)

// Arrays of the supported types, one-dimensional, as parameters and
// results: `key = ANY($1)` with a list from the client, array_agg. Their Go
// representation is []any, nil for a NULL element.

// arrays maps each element type to its array type (pg_type.typarray).
var arrays = map[OID]OID{
	Bool: 1000, Bytea: 1001, Name: 1003, Int2: 1005, Int4: 1007, Text: 1009,
	OIDType: 1028, Bpchar: 1014, Varchar: 1015, Int8: 1016, Float4: 1021,
	Float8: 1022, Timestamp: 1115, Date: 1182, Timestamptz: 1185,
	Numeric: 1231, UUID: 2951, Char: CharArray,
}

// elems is arrays inverted, plus int2vector and oidvector: catalog arrays
// whose text form is space-separated and whose lower bound is 0. Those
// are results only, never parameters.
var elems = map[OID]OID{Int2Vector: Int2, OIDVector: OIDType}

func isVector(oid OID) bool { return oid == Int2Vector || oid == OIDVector }

func init() {
	for e, a := range arrays {
		elems[a] = e
		if ti, ok := infos[e]; ok { // catalog types stay out of infos
			infos[a] = TypeInfo{OID: a, Name: "_" + ti.Name, SQLName: ti.SQLName + "[]", Len: -1}
			names["_"+ti.Name] = a
		}
	}
}

// ArrayOf returns the array type of element type elem.
func ArrayOf(elem OID) (OID, bool) {
	a, ok := arrays[elem]
	return a, ok
}

// ElemOf returns the element type of array type arr (false if arr is not
// an array type).
func ElemOf(arr OID) (OID, bool) {
	e, ok := elems[arr]
	return e, ok
}

// decodeArrayText parses `{a,"b c",NULL}` (array_in), one dimension.
func decodeArrayText(arr, elem OID, s string) (any, error) {
	if isVector(arr) {
		return nil, errUnsupportedType(arr)
	}
	bad := func(detail string) error {
		return pgerr.New(pgerr.InvalidTextRepresentation, "malformed array literal: %q", s).WithDetail("%s", detail)
	}
	in := strings.TrimSpace(s)
	if len(in) < 2 || in[0] != '{' || in[len(in)-1] != '}' {
		return nil, bad(`Array value must start with "{" or dimension information.`)
	}
	body := in[1 : len(in)-1]
	out := []any{}
	if strings.TrimSpace(body) == "" {
		return out, nil
	}
	i := 0
	for {
		for i < len(body) && isArraySpace(body[i]) {
			i++
		}
		var tok strings.Builder
		quoted := false
		switch {
		case i < len(body) && body[i] == '{':
			return nil, pgerr.Unsupported("tally supports one-dimensional arrays only")
		case i < len(body) && body[i] == '"':
			quoted = true
			i++
			for ; i < len(body) && body[i] != '"'; i++ {
				if body[i] == '\\' && i+1 < len(body) {
					i++
				}
				tok.WriteByte(body[i])
			}
			if i >= len(body) {
				return nil, bad("Unexpected end of input.")
			}
			i++ // closing quote
			for i < len(body) && isArraySpace(body[i]) {
				i++
			}
		default:
			start := i
			for i < len(body) && body[i] != ',' {
				if body[i] == '"' || body[i] == '{' || body[i] == '}' {
					return nil, bad(fmt.Sprintf("Unexpected %q character.", body[i]))
				}
				if body[i] == '\\' && i+1 < len(body) {
					i++
				}
				i++
			}
			raw := strings.TrimRight(body[start:i], " \t\n\r\v\f")
			for j := 0; j < len(raw); j++ {
				if raw[j] == '\\' && j+1 < len(raw) {
					j++
				}
				tok.WriteByte(raw[j])
			}
			if raw == "" {
				return nil, bad("Unexpected \",\" character.")
			}
		}
		if !quoted && strings.EqualFold(tok.String(), "NULL") {
			out = append(out, nil)
		} else {
			v, err := DecodeText(elem, tok.String())
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		if i >= len(body) {
			return out, nil
		}
		if body[i] != ',' {
			return nil, bad(fmt.Sprintf("Unexpected %q character.", body[i]))
		}
		i++
	}
}

func isArraySpace(b byte) bool {
	return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\v' || b == '\f'
}

// appendArrayText appends the text form of a one-dimensional array
// (array_out): elements quoted when they would not read back as themselves.
func appendArrayText(buf []byte, arr, elem OID, v any) ([]byte, error) {
	list, ok := v.([]any)
	if !ok {
		return buf, errGoType(arr, v)
	}
	if isVector(arr) { // int2vector_out: "1 2 3"
		for i, e := range list {
			if i > 0 {
				buf = append(buf, ' ')
			}
			var err error
			if buf, err = AppendText(buf, elem, e); err != nil {
				return buf, err
			}
		}
		return buf, nil
	}
	buf = append(buf, '{')
	for i, e := range list {
		if i > 0 {
			buf = append(buf, ',')
		}
		if e == nil {
			buf = append(buf, "NULL"...)
			continue
		}
		txt, err := AppendText(nil, elem, e)
		if err != nil {
			return buf, err
		}
		if !needsArrayQuote(txt) {
			buf = append(buf, txt...)
			continue
		}
		buf = append(buf, '"')
		for _, c := range txt {
			if c == '"' || c == '\\' {
				buf = append(buf, '\\')
			}
			buf = append(buf, c)
		}
		buf = append(buf, '"')
	}
	return append(buf, '}'), nil
}

func needsArrayQuote(txt []byte) bool {
	if len(txt) == 0 || strings.EqualFold(string(txt), "NULL") {
		return true
	}
	for _, c := range txt {
		if c == '{' || c == '}' || c == ',' || c == '"' || c == '\\' || isArraySpace(c) {
			return true
		}
	}
	return false
}

// decodeArrayBinary parses array_recv's format: ndim, has-null flag,
// element type, (length, lower bound) per dimension, then each element as
// a length (-1 for NULL) and its binary form.
func decodeArrayBinary(arr, elem OID, b []byte) (any, error) {
	if isVector(arr) {
		return nil, errUnsupportedType(arr)
	}
	bad := func() error {
		return pgerr.New(pgerr.InvalidBinaryRepresentation, "invalid binary representation of %s", typeName(arr))
	}
	if len(b) < 12 {
		return nil, bad()
	}
	ndim := int32(binary.BigEndian.Uint32(b))
	got := binary.BigEndian.Uint32(b[8:])
	b = b[12:]
	switch {
	case ndim == 0:
		return []any{}, nil
	case ndim != 1:
		return nil, pgerr.Unsupported("tally supports one-dimensional arrays only")
	case got != elem:
		return nil, pgerr.New(pgerr.DatatypeMismatch, "binary data has array element type %d instead of expected %d", got, elem)
	case len(b) < 8:
		return nil, bad()
	}
	n := int32(binary.BigEndian.Uint32(b))
	b = b[8:]
	if n < 0 || int(n) > len(b)/4 {
		return nil, bad()
	}
	out := make([]any, n)
	for i := range out {
		if len(b) < 4 {
			return nil, bad()
		}
		l := int32(binary.BigEndian.Uint32(b))
		b = b[4:]
		if l < 0 {
			continue
		}
		if int(l) > len(b) {
			return nil, bad()
		}
		v, err := DecodeBinary(elem, b[:l])
		if err != nil {
			return nil, err
		}
		out[i] = v
		b = b[l:]
	}
	if len(b) != 0 {
		return nil, bad()
	}
	return out, nil
}

// appendArrayBinary appends array_send's format of a one-dimensional array
// (lower bound 1; 0 for the vectors, as Postgres stores them).
func appendArrayBinary(buf []byte, arr, elem OID, v any) ([]byte, error) {
	list, ok := v.([]any)
	if !ok {
		return buf, errGoType(arr, v)
	}
	lbound := uint32(1)
	if isVector(arr) {
		lbound = 0
	}
	hasNull := uint32(0)
	for _, e := range list {
		if e == nil {
			hasNull = 1
		}
	}
	if len(list) == 0 {
		buf = binary.BigEndian.AppendUint32(buf, 0)
		buf = binary.BigEndian.AppendUint32(buf, 0)
		return binary.BigEndian.AppendUint32(buf, elem), nil
	}
	buf = binary.BigEndian.AppendUint32(buf, 1)
	buf = binary.BigEndian.AppendUint32(buf, hasNull)
	buf = binary.BigEndian.AppendUint32(buf, elem)
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(list)))
	buf = binary.BigEndian.AppendUint32(buf, lbound)
	for _, e := range list {
		if e == nil {
			buf = binary.BigEndian.AppendUint32(buf, 0xffffffff)
			continue
		}
		at := len(buf)
		buf = append(buf, 0, 0, 0, 0)
		var err error
		if buf, err = AppendBinary(buf, elem, e); err != nil {
			return buf, err
		}
		binary.BigEndian.PutUint32(buf[at:], uint32(len(buf)-at-4))
	}
	return buf, nil
}

package sqltypes

import (
	"encoding/binary"
	"strings"

	"github.com/tally-db/tally/pgerr"
)

// decodeCatalogText is the input function of the catalog types a
// parameter may have: one-dimensional arrays ({1,2}, {"a b",NULL}) and
// "char".
func decodeCatalogText(oid OID, s string) (any, error) {
	if oid == Char {
		if s == "" {
			return "", nil
		}
		return s[:1], nil
	}
	elem, ok := arrayElems[oid]
	if !ok || oid == Int2Vector || oid == OIDVector {
		return nil, errUnsupportedType(oid)
	}
	items, err := splitArray(s)
	if err != nil {
		return nil, err
	}
	out := make([]any, len(items))
	for i, it := range items {
		if it == nil {
			continue
		}
		if out[i], err = DecodeText(elem, *it); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func errArray(s, detail string) error {
	return pgerr.New(pgerr.InvalidTextRepresentation, "malformed array literal: %q", s).WithDetail("%s", detail)
}

// splitArray reads the elements of a one-dimensional array literal; a nil
// element is NULL.
func splitArray(s string) ([]*string, error) {
	t := strings.TrimSpace(s)
	if len(t) < 2 || t[0] != '{' || t[len(t)-1] != '}' {
		return nil, errArray(s, `Array value must start with "{" or dimension information.`)
	}
	body := t[1 : len(t)-1]
	var out []*string
	if strings.TrimSpace(body) == "" {
		return out, nil
	}
	var cur strings.Builder
	quoted, inQuote := false, false
	flush := func() {
		item := cur.String()
		if !quoted {
			item = strings.TrimSpace(item)
		}
		if !quoted && strings.EqualFold(item, "NULL") {
			out = append(out, nil)
		} else {
			out = append(out, &item)
		}
		cur.Reset()
		quoted = false
	}
	for i := 0; i < len(body); i++ {
		switch c := body[i]; {
		case c == '\\' && i+1 < len(body):
			i++
			cur.WriteByte(body[i])
		case c == '"':
			inQuote, quoted = !inQuote, true
		case c == '{' && !inQuote:
			return nil, errArray(s, "tally takes one-dimensional arrays only.")
		case c == ',' && !inQuote:
			flush()
		default:
			cur.WriteByte(c)
		}
	}
	if inQuote {
		return nil, errArray(s, "Unexpected end of input.")
	}
	flush()
	return out, nil
}

// decodeCatalogBinary is array_recv for one-dimensional arrays, and
// "char"'s binary input.
func decodeCatalogBinary(oid OID, b []byte) (any, error) {
	if oid == Char {
		if len(b) != 1 {
			return nil, errBinaryLen(oid, 1, len(b))
		}
		if b[0] == 0 {
			return "", nil
		}
		return string(b), nil
	}
	elem, ok := arrayElems[oid]
	if !ok || oid == Int2Vector || oid == OIDVector {
		return nil, errUnsupportedType(oid)
	}
	if len(b) < 12 {
		return nil, errBinary(oid, "array header of %d bytes", len(b))
	}
	ndim := binary.BigEndian.Uint32(b)
	if got := OID(binary.BigEndian.Uint32(b[8:])); got != elem {
		return nil, pgerr.New(pgerr.DatatypeMismatch, "binary data has array element type %d instead of expected %d", got, elem)
	}
	switch ndim {
	case 0:
		return []any{}, nil
	case 1:
	default:
		return nil, errBinary(oid, "%d dimensions; tally takes one-dimensional arrays only", ndim)
	}
	if len(b) < 20 {
		return nil, errBinary(oid, "array header of %d bytes", len(b))
	}
	n := int(binary.BigEndian.Uint32(b[12:]))
	rest := b[20:]
	if n < 0 || n > len(rest)/4 {
		return nil, errBinary(oid, "array of %d elements in %d bytes", n, len(rest))
	}
	out := make([]any, n)
	for i := range out {
		if len(rest) < 4 {
			return nil, errBinary(oid, "truncated array")
		}
		l := int32(binary.BigEndian.Uint32(rest))
		rest = rest[4:]
		if l == -1 {
			continue
		}
		if l < 0 || int(l) > len(rest) {
			return nil, errBinary(oid, "element of %d bytes in %d", l, len(rest))
		}
		v, err := DecodeBinary(elem, rest[:l])
		if err != nil {
			return nil, err
		}
		out[i], rest = v, rest[l:]
	}
	return out, nil
}

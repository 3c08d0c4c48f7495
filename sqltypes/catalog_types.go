package sqltypes

import (
	"encoding/binary"
	"strings"
)

// The catalog types: they appear only in results of catalog queries
// (pg_catalog columns, casts to regclass), never as column types of a
// tally table, so they are not in infos and Lookup does not find them.
const (
	Char         OID = 18 // "char": one byte
	Int2Vector   OID = 22
	RegProc      OID = 24
	TID          OID = 27
	XID          OID = 28
	CID          OID = 29
	OIDVector    OID = 30
	JSON         OID = 114
	RegClass     OID = 2205
	RegType      OID = 2206
	RegNamespace OID = 4089
	RegRole      OID = 4096

	BoolArray    OID = 1000
	CharArray    OID = 1002
	NameArray    OID = 1003
	Int2Array    OID = 1005
	Int4Array    OID = 1007
	TextArray    OID = 1009
	VarcharArray OID = 1015
	Int8Array    OID = 1016
	Float8Array  OID = 1022
	OIDArray     OID = 1028
)

// Reg is a value of an object-identifier alias type (regclass, regtype,
// regproc, regnamespace): its text form is the object's name, its binary
// form the OID.
type Reg struct {
	OID  uint32
	Name string
}

// ArrayElem returns the element type of a catalog array type (int2vector
// and oidvector included), and false for any other type.
func ArrayElem(oid OID) (OID, bool) {
	e, ok := arrayElems[oid]
	return e, ok
}

var arrayElems = map[OID]OID{
	BoolArray: Bool, CharArray: Char, NameArray: Name, Int2Array: Int2, Int4Array: Int4,
	TextArray: Text, VarcharArray: Varchar, Int8Array: Int8, Float8Array: Float8, OIDArray: OIDType,
	Int2Vector: Int2, OIDVector: OIDType,
}

// appendCatalogText is the text output of the catalog types.
func appendCatalogText(buf []byte, oid OID, v any) ([]byte, error) {
	switch oid {
	case Char:
		s, ok := asString(v)
		if !ok {
			return buf, errGoType(oid, v)
		}
		return append(buf, s...), nil
	case RegProc, RegClass, RegType, RegNamespace, RegRole:
		switch r := v.(type) {
		case Reg:
			return append(buf, r.Name...), nil
		case int64:
			return AppendText(buf, OIDType, r)
		}
		return buf, errGoType(oid, v)
	case XID, CID:
		return AppendText(buf, Int8, v)
	case TID, JSON:
		return AppendText(buf, Text, v)
	}
	elem, ok := arrayElems[oid]
	if !ok {
		return buf, errUnsupportedType(oid)
	}
	items, ok := v.([]any)
	if !ok {
		return buf, errGoType(oid, v)
	}
	if oid == Int2Vector || oid == OIDVector {
		for i, it := range items {
			if i > 0 {
				buf = append(buf, ' ')
			}
			var err error
			if buf, err = AppendText(buf, elem, it); err != nil {
				return buf, err
			}
		}
		return buf, nil
	}
	buf = append(buf, '{')
	for i, it := range items {
		if i > 0 {
			buf = append(buf, ',')
		}
		if it == nil {
			buf = append(buf, "NULL"...)
			continue
		}
		s, err := AppendText(nil, elem, it)
		if err != nil {
			return buf, err
		}
		buf = appendArrayItem(buf, string(s))
	}
	return append(buf, '}'), nil
}

// appendArrayItem quotes an element as array_out does.
func appendArrayItem(buf []byte, s string) []byte {
	if s != "" && !strings.EqualFold(s, "NULL") && !strings.ContainsAny(s, "{},\"\\ \t\n\r\v\f") {
		return append(buf, s...)
	}
	buf = append(buf, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			buf = append(buf, '\\')
		}
		buf = append(buf, s[i])
	}
	return append(buf, '"')
}

// appendCatalogBinary is the binary output (typsend) of the catalog types.
func appendCatalogBinary(buf []byte, oid OID, v any) ([]byte, error) {
	switch oid {
	case Char:
		s, ok := asString(v)
		if !ok {
			return buf, errGoType(oid, v)
		}
		if s == "" {
			return append(buf, 0), nil // charsend of '\0'
		}
		return append(buf, s[0]), nil
	case RegProc, RegClass, RegType, RegNamespace, RegRole:
		switch r := v.(type) {
		case Reg:
			return binary.BigEndian.AppendUint32(buf, r.OID), nil
		case int64:
			return binary.BigEndian.AppendUint32(buf, uint32(r)), nil
		}
		return buf, errGoType(oid, v)
	case JSON:
		return AppendText(buf, Text, v)
	case XID, CID:
		n, ok := asInt64(v)
		if !ok {
			return buf, errGoType(oid, v)
		}
		return binary.BigEndian.AppendUint32(buf, uint32(n)), nil
	}
	elem, ok := arrayElems[oid]
	if !ok {
		return buf, errUnsupportedType(oid)
	}
	items, ok := v.([]any)
	if !ok {
		return buf, errGoType(oid, v)
	}
	// array_send: ndim, has-nulls flag, element type, then per dimension
	// its length and lower bound, then each element as length + bytes.
	hasNull := uint32(0)
	for _, it := range items {
		if it == nil {
			hasNull = 1
		}
	}
	lbound := uint32(1)
	if oid == Int2Vector || oid == OIDVector {
		lbound = 0
	}
	if len(items) == 0 {
		buf = binary.BigEndian.AppendUint32(buf, 0)
		buf = binary.BigEndian.AppendUint32(buf, 0)
		return binary.BigEndian.AppendUint32(buf, elem), nil
	}
	buf = binary.BigEndian.AppendUint32(buf, 1)
	buf = binary.BigEndian.AppendUint32(buf, hasNull)
	buf = binary.BigEndian.AppendUint32(buf, elem)
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(items)))
	buf = binary.BigEndian.AppendUint32(buf, lbound)
	for _, it := range items {
		if it == nil {
			buf = binary.BigEndian.AppendUint32(buf, 0xFFFFFFFF)
			continue
		}
		at := len(buf)
		buf = append(buf, 0, 0, 0, 0)
		var err error
		if buf, err = AppendBinary(buf, elem, it); err != nil {
			return buf, err
		}
		binary.BigEndian.PutUint32(buf[at:], uint32(len(buf)-at-4))
	}
	return buf, nil
}

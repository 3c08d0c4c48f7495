package sqltypes

import (
	"encoding/binary"
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

// ArrayElem returns the element type of an array type, int2vector and
// oidvector included, and false for any other type.
func ArrayElem(oid OID) (OID, bool) {
	e, ok := elems[oid]
	return e, ok
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
	return buf, errUnsupportedType(oid)
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
	return buf, errUnsupportedType(oid)
}

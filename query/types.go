package query

import (
	"fmt"
	"strings"

	"github.com/tally-db/tally/sqltypes"
)

// pgType is one row of pg_type (the built-in types, as Postgres 15's
// pg_type.dat has them).
type pgType struct {
	oid      uint32
	name     string
	len      int16
	byval    bool
	category string
	elem     uint32
	array    uint32
	sqlName  string // what format_type prints
}

// builtinTypes lists the types pg_type shows: those tally stores, the
// catalog's own types, and the common ones clients look up by name.
var builtinTypes = []pgType{
	{16, "bool", 1, true, "B", 0, 1000, "boolean"},
	{17, "bytea", -1, false, "U", 0, 1001, "bytea"},
	{18, "char", 1, true, "Z", 0, 1002, `"char"`},
	{19, "name", 64, false, "S", 18, 1003, "name"},
	{20, "int8", 8, true, "N", 0, 1016, "bigint"},
	{21, "int2", 2, true, "N", 0, 1005, "smallint"},
	{22, "int2vector", -1, false, "A", 21, 1006, "int2vector"},
	{23, "int4", 4, true, "N", 0, 1007, "integer"},
	{24, "regproc", 4, true, "N", 0, 1008, "regproc"},
	{25, "text", -1, false, "S", 0, 1009, "text"},
	{26, "oid", 4, true, "N", 0, 1028, "oid"},
	{27, "tid", 6, false, "U", 0, 1010, "tid"},
	{28, "xid", 4, true, "U", 0, 1011, "xid"},
	{29, "cid", 4, true, "U", 0, 1012, "cid"},
	{30, "oidvector", -1, false, "A", 26, 1013, "oidvector"},
	{114, "json", -1, false, "U", 0, 199, "json"},
	{142, "xml", -1, false, "U", 0, 143, "xml"},
	{700, "float4", 4, true, "N", 0, 1021, "real"},
	{701, "float8", 8, true, "N", 0, 1022, "double precision"},
	{705, "unknown", -2, false, "X", 0, 0, "unknown"},
	{790, "money", 8, true, "N", 0, 791, "money"},
	{1042, "bpchar", -1, false, "S", 0, 1014, "character"},
	{1043, "varchar", -1, false, "S", 0, 1015, "character varying"},
	{1082, "date", 4, true, "D", 0, 1182, "date"},
	{1083, "time", 8, true, "D", 0, 1183, "time without time zone"},
	{1114, "timestamp", 8, true, "D", 0, 1115, "timestamp without time zone"},
	{1184, "timestamptz", 8, true, "D", 0, 1185, "timestamp with time zone"},
	{1186, "interval", 16, false, "T", 0, 1187, "interval"},
	{1266, "timetz", 12, false, "D", 0, 1270, "time with time zone"},
	{1560, "bit", -1, false, "V", 0, 1561, "bit"},
	{1562, "varbit", -1, false, "V", 0, 1563, "bit varying"},
	{1700, "numeric", -1, false, "N", 0, 1231, "numeric"},
	{2205, "regclass", 4, true, "N", 0, 2210, "regclass"},
	{2206, "regtype", 4, true, "N", 0, 2211, "regtype"},
	{2950, "uuid", 16, false, "U", 0, 2951, "uuid"},
	{3802, "jsonb", -1, false, "U", 0, 3807, "jsonb"},
	{4089, "regnamespace", 4, true, "N", 0, 4090, "regnamespace"},
}

// typesByOID and typesByName index builtinTypes and their array types;
// read-only after init.
// (Variables, not init: package variables are ready before any init of
// another file registers relations typed by them.)
var typesByOID, typesByName, allTypes = indexTypes()

func indexTypes() (map[uint32]*pgType, map[string]*pgType, []*pgType) {
	typesByOID, typesByName := map[uint32]*pgType{}, map[string]*pgType{}
	var allTypes []*pgType
	for i := range builtinTypes {
		t := &builtinTypes[i]
		allTypes = append(allTypes, t)
		if t.array != 0 {
			elemLen := int16(-1)
			arr := &pgType{oid: t.array, name: "_" + t.name, len: elemLen, category: "A", elem: t.oid, sqlName: t.sqlName + "[]"}
			allTypes = append(allTypes, arr)
		}
	}
	for _, t := range allTypes {
		typesByOID[t.oid] = t
		typesByName[t.name] = t
	}
	// SQL spellings that name the same types.
	for alias, name := range map[string]string{
		"boolean": "bool", "bigint": "int8", "smallint": "int2", "integer": "int4", "int": "int4",
		"real": "float4", "double precision": "float8", "float": "float8", "character": "bpchar",
		"character varying": "varchar", "decimal": "numeric",
		"timestamp without time zone": "timestamp", "timestamp with time zone": "timestamptz",
		"time without time zone": "time", "time with time zone": "timetz", "bit varying": "varbit",
		`"char"`: "char",
	} {
		typesByName[alias] = typesByName[name]
	}
	return typesByOID, typesByName, allTypes
}

// lookupTypeName resolves a type name as a user writes it (in a cast or
// to_regtype): "integer", "int4", "pg_catalog.int4", "text[]",
// "character varying(20)".
func lookupTypeName(s string) *pgType {
	s = strings.TrimSpace(strings.ToLower(s))
	s = strings.TrimPrefix(s, "pg_catalog.")
	if i := strings.IndexByte(s, '('); i > 0 {
		if j := strings.IndexByte(s, ')'); j > i {
			s = strings.TrimSpace(s[:i] + s[j+1:])
		}
	}
	if strings.HasSuffix(s, "[]") {
		if t := lookupTypeName(strings.TrimSuffix(s, "[]")); t != nil && t.array != 0 {
			return typesByOID[t.array]
		}
		return nil
	}
	return typesByName[s]
}

// formatType is format_type(oid, typmod).
func formatType(oid uint32, typmod int32) string {
	if oid == 0 {
		return "-"
	}
	t := typesByOID[oid]
	if t == nil {
		return "???"
	}
	if t.category == "A" && t.elem != 0 && strings.HasPrefix(t.name, "_") {
		return formatType(t.elem, typmod) + "[]"
	}
	name := t.sqlName
	if typmod < 0 {
		return name
	}
	switch oid {
	case sqltypes.Varchar, sqltypes.Bpchar:
		return fmt.Sprintf("%s(%d)", name, typmod-4)
	case sqltypes.Numeric:
		m := typmod - 4
		return fmt.Sprintf("numeric(%d,%d)", (m>>16)&0xffff, m&0xffff)
	case sqltypes.Timestamp:
		return fmt.Sprintf("timestamp(%d) without time zone", typmod)
	case sqltypes.Timestamptz:
		return fmt.Sprintf("timestamp(%d) with time zone", typmod)
	}
	return name
}

// arrayOf returns the array type of elem, or 0.
func arrayOf(elem uint32) uint32 {
	if t := typesByOID[elem]; t != nil && !strings.HasPrefix(t.name, "_") {
		return t.array
	}
	return 0
}

// elemOf returns the element type of an array type (int2vector and
// oidvector included), or 0.
func elemOf(arr uint32) uint32 {
	if e, ok := sqltypes.ArrayElem(arr); ok {
		return e
	}
	if t := typesByOID[arr]; t != nil && t.category == "A" {
		return t.elem
	}
	return 0
}

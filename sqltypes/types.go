package sqltypes

import "strings"

// OID is a Postgres type OID (pg_type.oid).
type OID = uint32

// The type OIDs tally knows, as in Postgres' pg_type.dat.
const (
	Bool        OID = 16
	Bytea       OID = 17
	Name        OID = 19
	Int8        OID = 20
	Int2        OID = 21
	Int4        OID = 23
	Text        OID = 25
	OIDType     OID = 26
	Float4      OID = 700
	Float8      OID = 701
	Unknown     OID = 705
	Bpchar      OID = 1042
	Varchar     OID = 1043
	Date        OID = 1082
	Timestamp   OID = 1114
	Timestamptz OID = 1184
	Numeric     OID = 1700
	UUID        OID = 2950
)

// TypeInfo is what pg_type says about a type.
type TypeInfo struct {
	OID     OID
	Name    string // pg_type.typname, e.g. "int8"
	SQLName string // the SQL-standard spelling format_type prints, e.g. "bigint"
	Len     int16  // pg_type.typlen: the fixed size in bytes, -1 varlena, -2 C string
}

// infos lists every supported type; it is read-only after package init.
var infos = map[OID]TypeInfo{
	Bool:        {Bool, "bool", "boolean", 1},
	Bytea:       {Bytea, "bytea", "bytea", -1},
	Name:        {Name, "name", "name", 64},
	Int8:        {Int8, "int8", "bigint", 8},
	Int2:        {Int2, "int2", "smallint", 2},
	Int4:        {Int4, "int4", "integer", 4},
	Text:        {Text, "text", "text", -1},
	OIDType:     {OIDType, "oid", "oid", 4},
	Float4:      {Float4, "float4", "real", 4},
	Float8:      {Float8, "float8", "double precision", 8},
	Unknown:     {Unknown, "unknown", "unknown", -2},
	Bpchar:      {Bpchar, "bpchar", "character", -1},
	Varchar:     {Varchar, "varchar", "character varying", -1},
	Date:        {Date, "date", "date", 4},
	Timestamp:   {Timestamp, "timestamp", "timestamp without time zone", 8},
	Timestamptz: {Timestamptz, "timestamptz", "timestamp with time zone", 8},
	Numeric:     {Numeric, "numeric", "numeric", -1},
	UUID:        {UUID, "uuid", "uuid", 16},
}

// names maps the type names pg_query produces (and their common SQL
// spellings) to OIDs. Keys are lower case; read-only after package init.
var names = map[string]OID{
	"bool": Bool, "boolean": Bool,
	"bytea": Bytea,
	"name":  Name,
	"int8":  Int8, "bigint": Int8,
	"int2": Int2, "smallint": Int2,
	"int4": Int4, "int": Int4, "integer": Int4,
	"text":   Text,
	"oid":    OIDType,
	"float4": Float4, "real": Float4,
	"float8": Float8, "double precision": Float8, "float": Float8,
	"unknown": Unknown,
	"bpchar":  Bpchar, "character": Bpchar,
	"varchar": Varchar, "character varying": Varchar,
	"date":      Date,
	"timestamp": Timestamp, "timestamp without time zone": Timestamp,
	"timestamptz": Timestamptz, "timestamp with time zone": Timestamptz,
	"numeric": Numeric, "decimal": Numeric,
	"uuid": UUID,
}

// Info returns what pg_type says about oid, and false for a type tally does
// not support.
func Info(oid OID) (TypeInfo, bool) {
	ti, ok := infos[oid]
	return ti, ok
}

// Lookup resolves a SQL type name as pg_query spells it ("int4",
// "pg_catalog.int4", "integer", "character varying", ...) to its OID.
// Names are matched as given (pg_query has already folded unquoted
// identifiers to lower case), except that a "pg_catalog." prefix is
// dropped.
func Lookup(name string) (OID, bool) {
	name = strings.TrimPrefix(name, "pg_catalog.")
	oid, ok := names[name]
	return oid, ok
}

// IsInteger reports whether oid is one of the integer types (smallint,
// integer, bigint): the types a counter column may have.
func IsInteger(oid OID) bool {
	return oid == Int2 || oid == Int4 || oid == Int8
}

// typeName is the name Postgres uses for oid in error messages
// ("integer", "double precision", "timestamp with time zone").
func typeName(oid OID) string {
	switch oid {
	case Timestamp:
		return "timestamp" // Postgres' input errors say just "timestamp"
	}
	if ti, ok := infos[oid]; ok {
		return ti.SQLName
	}
	return "unknown"
}

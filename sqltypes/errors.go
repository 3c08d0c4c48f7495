package sqltypes

import (
	"fmt"

	"github.com/tally-db/tally/pgerr"
)

// The errors below carry Postgres' exact messages, so a client sees what a
// real server would have said for the same input.

// errSyntax is 22P02: `invalid input syntax for type integer: "abc"`.
func errSyntax(oid OID, s string) error {
	return pgerr.New(pgerr.InvalidTextRepresentation, "invalid input syntax for type %s: %q", typeName(oid), s)
}

// errRange is 22003 as the integer and oid input functions word it:
// `value "99999" is out of range for type smallint`.
func errRange(oid OID, s string) error {
	return pgerr.New(pgerr.NumericValueOutOfRange, "value %q is out of range for type %s", s, typeName(oid))
}

// errFloatRange is 22003 as float4in/float8in word it:
// `"1e400" is out of range for type double precision`.
func errFloatRange(oid OID, s string) error {
	return pgerr.New(pgerr.NumericValueOutOfRange, "%q is out of range for type %s", s, typeName(oid))
}

// errNumericOverflow is 22003 for a numeric beyond Postgres' format.
func errNumericOverflow() error {
	return pgerr.New(pgerr.NumericValueOutOfRange, "value overflows numeric format")
}

// errDateSyntax is 22007, Postgres' code for date/time syntax errors.
func errDateSyntax(oid OID, s string) error {
	return pgerr.New(pgerr.InvalidDatetimeFormat, "invalid input syntax for type %s: %q", typeName(oid), s)
}

// errValueRange is 22003 for a Go value that does not fit the column type:
// `smallint out of range`, as Postgres' arithmetic reports it.
func errValueRange(oid OID) error {
	return pgerr.New(pgerr.NumericValueOutOfRange, "%s out of range", typeName(oid))
}

// errBinary is 22P03: binary input of the wrong shape. The proxy adds which
// bind parameter it was.
func errBinary(oid OID, format string, args ...any) error {
	return pgerr.New(pgerr.InvalidBinaryRepresentation, "incorrect binary data format").
		WithDetail("%s: %s", typeName(oid), fmt.Sprintf(format, args...))
}

// errBinaryLen is 22P03 for a fixed-size binary value of the wrong length.
func errBinaryLen(oid OID, want, got int) error {
	return errBinary(oid, "expected %d bytes, got %d", want, got)
}

// errEncoding is 22021, what Postgres says for text that is not UTF-8.
func errEncoding(b byte) error {
	return pgerr.New(pgerr.CharacterNotInRepertoire, "invalid byte sequence for encoding \"UTF8\": 0x%02x", b)
}

// errUnsupportedType is 0A000 for an OID tally has no codec for.
func errUnsupportedType(oid OID) error {
	return pgerr.Unsupported("type with OID %d is not supported", oid)
}

// errGoType reports a Go value that cannot represent a value of type oid.
// It is a bug in the caller, not something a client caused, so it is not a
// *pgerr.Error and the proxy reports it as XX000.
func errGoType(oid OID, v any) error {
	return fmt.Errorf("sqltypes: cannot encode Go %T as %s", v, typeName(oid))
}

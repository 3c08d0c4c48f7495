// Package sqltypes is tally's representation of SQL values and their
// Postgres wire encodings. Every other package holds SQL values as the Go
// types below and converts them to and from the wire only through this
// package.
//
// Go representation (nil is NULL):
//
//	smallint, integer, bigint, oid        int64
//	real, double precision                float64
//	boolean                               bool
//	text, varchar, bpchar, name, unknown  string
//	numeric                               *inf.Dec (gopkg.in/inf.v0)
//	uuid                                  [16]byte
//	timestamptz                           time.Time in UTC
//	timestamp (without time zone)         time.Time in UTC whose wall clock is the value
//	date                                  time.Time at UTC midnight
//	bytea                                 []byte
//
// DecodeText and DecodeBinary implement Postgres' input and receive
// functions, returning *pgerr.Error with Postgres' SQLSTATE and message for
// bad input. AppendText and AppendBinary implement its output and send
// functions for a server with DateStyle ISO, TimeZone UTC and
// extra_float_digits 1. The encoders also accept convertible Go kinds
// (int32, int, float32, []byte for text, string for bytea, ...).
//
// Known limits: numeric NaN/±Infinity and infinite dates and timestamps
// have no Go representation here and are rejected with 0A000; date/time
// input covers ISO 8601 and the forms clients send, not Postgres' full
// free-form parser (see datetime_parse.go). The package is a leaf: it
// imports only pgtype, inf, pgerr and the standard library, and it must
// not learn about tables, sessions or the protocol.
package sqltypes

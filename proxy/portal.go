package proxy

import (
	"encoding/binary"
	"strings"

	"github.com/tally-db/tally/pgerr"
	"github.com/tally-db/tally/sqltypes"
)

// preparedStmt is a statement created by Parse.
type preparedStmt struct {
	name      string
	stmt      Statement // nil for the empty query string
	paramOIDs []uint32
	fields    []Field
}

// portalState is where a portal is in its life.
type portalState uint8

const (
	// portalReady: bound, not executed yet.
	portalReady portalState = iota
	// portalRunning: executed, some rows not sent yet (PortalSuspended).
	portalRunning
	// portalDone: completed or failed; it can't run again.
	portalDone
)

// portal is a statement bound to parameter values by Bind.
type portal struct {
	name    string
	stmt    *preparedStmt
	params  []any
	formats []int16 // one result format per column
	state   portalState
	result  *Result // while running: the rows to send
	sent    int     // rows of result sent so far
	tag     string  // the completed statement's tag
}

// doneTag is the tag of a completed row-returning portal executed again:
// its verb with a count of zero ("SELECT 0", "INSERT 0 0").
func (p *portal) doneTag() string {
	tag := p.tag
	if i := strings.LastIndexByte(tag, ' '); i >= 0 && strings.Trim(tag[i+1:], "0123456789") == "" {
		return tag[:i+1] + "0"
	}
	return tag
}

// decodeParams decodes Bind's parameter values by the statement's types
// and the format codes (none: all text; one: for all; else one each).
func decodeParams(ps *preparedStmt, formats []int16, raw [][]byte) ([]any, error) {
	if len(formats) > 1 && len(formats) != len(raw) {
		return nil, pgerr.New(pgerr.ProtocolViolation, "bind message has %d parameter formats but %d parameters", len(formats), len(raw))
	}
	if len(raw) != len(ps.paramOIDs) {
		return nil, pgerr.New(pgerr.ProtocolViolation, "bind message supplies %d parameters, but prepared statement %q requires %d", len(raw), ps.name, len(ps.paramOIDs))
	}
	params := make([]any, len(raw))
	for i, b := range raw {
		if b == nil {
			continue // NULL
		}
		format := textFormat
		if len(formats) == 1 {
			format = formats[0]
		} else if len(formats) > 1 {
			format = formats[i]
		}
		v, err := decodeParam(ps.paramOIDs[i], format, b, i+1)
		if err != nil {
			return nil, err
		}
		params[i] = v
	}
	return params, nil
}

// decodeParam decodes parameter $n.
func decodeParam(oid uint32, format int16, b []byte, n int) (any, error) {
	switch format {
	case textFormat:
		return sqltypes.DecodeText(oid, string(b))
	case binaryFormat:
		if shortBinary(oid, b) {
			return nil, pgerr.New(pgerr.ProtocolViolation, "insufficient data left in message")
		}
		v, err := sqltypes.DecodeBinary(oid, b)
		if pe := pgerr.As(err); pe != nil && pe.Code == pgerr.InvalidBinaryRepresentation {
			return nil, pgerr.Wrap(err, pe.Code, "incorrect binary data format in bind parameter %d", n).WithDetail("%s", pe.Detail)
		}
		return v, err
	}
	return nil, pgerr.New(pgerr.InvalidParameterValue, "unsupported format code: %d", format)
}

// shortBinary reports whether b is too short for a binary value of type
// oid. Postgres' receive functions then run out of message: 08P01
// "insufficient data left in message", where a value too long or
// otherwise malformed is 22P03 (postgres.c exec_bind_message).
func shortBinary(oid uint32, b []byte) bool {
	switch ti, ok := sqltypes.Info(oid); {
	case oid == sqltypes.Numeric:
		// ndigits, weight, sign, dscale, then ndigits base-10000 digits.
		return len(b) < 8 || len(b) < 8+2*int(binary.BigEndian.Uint16(b))
	case ok && ti.Len > 0 && oid != sqltypes.Name:
		return len(b) < int(ti.Len) // fixed size; name is sent as text
	}
	return false
}

// resultFormats expands Bind's result format codes to one per column.
func resultFormats(codes []int16, columns int) ([]int16, error) {
	if len(codes) > 1 && len(codes) != columns {
		return nil, pgerr.New(pgerr.ProtocolViolation, "bind message has %d result formats but query has %d columns", len(codes), columns)
	}
	for _, f := range codes {
		if f != textFormat && f != binaryFormat {
			return nil, pgerr.New(pgerr.InvalidParameterValue, "unsupported format code: %d", f)
		}
	}
	formats := make([]int16, columns)
	for i := range formats {
		switch len(codes) {
		case 0:
		case 1:
			formats[i] = codes[0]
		default:
			formats[i] = codes[i]
		}
	}
	return formats, nil
}

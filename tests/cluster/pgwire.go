package cluster

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
)

// The few Postgres v3 protocol facts the cut proxy needs
// (https://www.postgresql.org/docs/current/protocol-message-formats.html).
const (
	sslRequestCode    = 80877103 // StartupMessage-shaped; the server answers one byte, 'S' or 'N'
	gssEncRequestCode = 80877104 // likewise, 'G' or 'N'
	cancelRequestCode = 80877102 // the connection carries nothing else

	maxMessage = 64 << 20 // a test tool: refuse anything absurd rather than allocate it
)

// Frontend message types the proxy reads.
const (
	msgQuery   = 'Q' // simple query: the SQL text
	msgParse   = 'P' // statement name, SQL text, parameter types
	msgBind    = 'B' // portal name, statement name, ...
	msgExecute = 'E' // portal name, row limit
)

// isResult reports whether a backend message of type typ can only be sent
// once a statement has run: CommandComplete, DataRow, ErrorResponse,
// EmptyQueryResponse, PortalSuspended. (ParseComplete, BindComplete,
// RowDescription, NoData, ParameterStatus and notices may precede execution.)
func isResult(typ byte) bool {
	switch typ {
	case 'C', 'D', 'E', 'I', 's':
		return true
	}
	return false
}

// readUntyped reads a message without a type byte (the startup phase): the
// whole message, length included.
func readUntyped(r io.Reader) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n < 8 || n > maxMessage {
		return nil, fmt.Errorf("cluster: startup message of %d bytes", n)
	}
	msg := make([]byte, n)
	copy(msg, hdr[:])
	if _, err := io.ReadFull(r, msg[4:]); err != nil {
		return nil, err
	}
	return msg, nil
}

// startupCode is the request code of an untyped message.
func startupCode(msg []byte) uint32 { return binary.BigEndian.Uint32(msg[4:8]) }

// readBody reads the rest of a typed message whose type byte was read: the
// whole message, type and length included.
func readBody(r io.Reader, typ byte) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n < 4 || n > maxMessage {
		return nil, fmt.Errorf("cluster: message %q of %d bytes", typ, n)
	}
	msg := make([]byte, 1+n)
	msg[0] = typ
	copy(msg[1:], hdr[:])
	if _, err := io.ReadFull(r, msg[5:]); err != nil {
		return nil, err
	}
	return msg, nil
}

// cstrings splits the first n NUL-terminated strings of a typed message's
// body; missing ones are empty.
func cstrings(msg []byte, n int) []string {
	body := msg[5:]
	out := make([]string, n)
	for i := range out {
		j := bytes.IndexByte(body, 0)
		if j < 0 {
			break
		}
		out[i] = string(body[:j])
		body = body[j+1:]
	}
	return out
}

package proxy

import (
	"bytes"
	"encoding/binary"
	"io"
	"time"
)

// frameGate sits between the socket and pgproto3's Backend and keeps a
// client from making tally allocate memory it never sends. pgproto3
// allocates a message's whole body as soon as its 5-byte header arrives,
// so a client announcing a 60 MB message (under MaxMessageSize) and then
// trickling it would pin 60 MB per connection. The gate follows the
// message framing itself: small messages (up to gateThreshold) and
// messages over the current maximum (which pgproto3 refuses from the
// header, without allocating) pass straight through; any other message is
// read into a buffer that grows only as its bytes arrive, and handed to
// pgproto3 once complete. Memory then follows what a client has sent, not
// what it announced — as in Postgres, which grows its buffer as it reads.
//
// Framing (protocol-message-formats.html): until the StartupMessage,
// packets are an Int32 length (itself included) and a body whose first
// Int32 is a request code; SSLRequest, GSSENCRequest and CancelRequest
// keep the untyped framing, a StartupMessage ends it. After it, messages
// are a type byte, an Int32 length and a body.
type frameGate struct {
	r io.Reader
	// max is the body length pgproto3 currently accepts (Backend's
	// SetMaxBodyLen; the auth phase lowers it).
	max int
	// typed: the StartupMessage has passed.
	typed bool
	// broken: the framing made no sense; pass everything through and let
	// pgproto3 report it.
	broken bool
	// out is a complete frame, or a header, ready to hand out.
	out []byte
	// through is how many body bytes of the current frame pass straight
	// from r.
	through int
	// err ends the stream once out is drained.
	err error
}

// gateThreshold is the largest body passed through unbuffered.
const gateThreshold = 64 << 10

// maxStartupPacket is pgproto3's (and Postgres') bound on a startup
// packet.
const maxStartupPacket = 10000

// Request codes of the untyped startup-phase packets.
const (
	cancelRequestCode = 80877102
	sslRequestCode    = 80877103
	gssEncRequestCode = 80877104
)

// newFrameGate gates r from the start of a connection (or of its TLS
// stream, which begins with a StartupMessage).
func newFrameGate(r io.Reader, max int) *frameGate {
	return &frameGate{r: r, max: max}
}

// Read implements io.Reader.
func (g *frameGate) Read(p []byte) (int, error) {
	switch {
	case len(g.out) > 0:
		n := copy(p, g.out)
		g.out = g.out[n:]
		return n, nil
	case g.broken:
		return g.r.Read(p)
	case g.through > 0:
		n, err := g.r.Read(p[:min(len(p), g.through)])
		g.through -= n
		return n, err
	}
	if g.err != nil {
		return 0, g.err
	}
	// On an error, hand out the bytes that did arrive before it.
	g.err = g.nextFrame()
	if len(g.out) == 0 && g.err != nil {
		return 0, g.err
	}
	return g.Read(p)
}

// nextFrame reads the next frame's header and decides how its body goes.
// On an error, out holds the bytes read so far.
func (g *frameGate) nextFrame() error {
	hdrLen := 4
	if g.typed {
		hdrLen = 5
	}
	hdr := make([]byte, hdrLen)
	if n, err := io.ReadFull(g.r, hdr); err != nil {
		g.out = hdr[:n]
		return err
	}
	size := int(int32(binary.BigEndian.Uint32(hdr[hdrLen-4:]))) - 4 // body length
	g.out = hdr
	switch {
	case !g.typed:
		return g.startupPacket(size)
	case size < 0:
		g.broken = true
	case size <= gateThreshold || size > g.max:
		g.through = size
	default:
		var body bytes.Buffer
		_, err := io.CopyN(&body, g.r, int64(size))
		g.out = append(hdr, body.Bytes()...)
		return err
	}
	return nil
}

// startupPacket reads an untyped packet's body whole (it is small) and
// notes whether the framing turns typed after it.
func (g *frameGate) startupPacket(size int) error {
	if size < 4 || size > maxStartupPacket {
		g.broken = true
		return nil
	}
	body := make([]byte, size)
	n, err := io.ReadFull(g.r, body)
	g.out = append(g.out, body[:n]...)
	if err != nil {
		return err
	}
	switch binary.BigEndian.Uint32(body) {
	case cancelRequestCode, sslRequestCode, gssEncRequestCode:
	default:
		g.typed = true
	}
	return nil
}

// setMaxBody sets the longest message body the connection accepts.
func (c *conn) setMaxBody(n int) {
	c.be.SetMaxBodyLen(n)
	c.gate.max = n
}

// lingerClose runs before the socket closes after a FATAL error: it
// shuts the sending side (the client reads the error, then EOF) and
// discards what the client had already sent, for a moment, so that
// closing a socket with unread input doesn't make the kernel answer
// with a reset that can destroy the error before the client reads it
// (the gate leaves a refused message's body unread). Not at shutdown,
// which has its own grace period.
func (c *conn) lingerClose() {
	if c.fatal == nil || c.interrupted.Load() {
		return
	}
	if cw, ok := c.nc.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	_ = c.nc.SetReadDeadline(time.Now().Add(lingerTime))
	_, _ = io.CopyN(io.Discard, c.nc, lingerBytes)
}

// lingerTime and lingerBytes bound lingerClose.
const (
	lingerTime  = time.Second
	lingerBytes = 256 << 10
)

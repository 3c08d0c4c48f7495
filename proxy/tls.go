package proxy

import (
	"fmt"

	"crypto/tls"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/tally-db/tally/pgerr"
)

// SSL negotiation (protocol-flow.html#PROTOCOL-FLOW-SSL): the client sends
// SSLRequest; the server answers one unframed byte, 'S' to go on with a
// TLS handshake, 'N' to go on in the clear.

// handleSSLRequest answers an SSLRequest: 'N' without a certificate, else
// 'S' and the handshake, after which the connection reads and writes
// through TLS. A second SSLRequest (over TLS) is a protocol violation.
func (c *conn) handleSSLRequest() error {
	if c.tlsConn != nil {
		c.sendFatal(pgerr.New(pgerr.ProtocolViolation, "SSL negotiation requested over an SSL connection"))
		return c.endErr()
	}
	cur := c.srv.tls.Load()
	if cur == nil {
		return c.answerEncryption('N')
	}
	if err := c.answerEncryption('S'); err != nil {
		return err
	}
	tc := tls.Server(c.nc, cur.cfg)
	if err := tc.HandshakeContext(c.ctx); err != nil {
		return fmt.Errorf("proxy: TLS handshake: %w", err)
	}
	c.tlsConn, c.endPoint = tc, cur.endPoint
	// A new Backend over TLS: anything the client sent in the clear after
	// its SSLRequest, still buffered in the old one, is dropped rather than
	// taken as if it had come encrypted (CVE-2021-23214).
	c.gate = newFrameGate(tc, c.srv.cfg.MaxMessageSize)
	c.in = &readRecorder{r: c.gate}
	c.be = pgproto3.NewBackend(c.in, tc)
	c.setMaxBody(c.srv.cfg.MaxMessageSize)
	st := tc.ConnectionState()
	c.log.Debug("proxy: TLS established", "version", tls.VersionName(st.Version), "cipher", tls.CipherSuiteName(st.CipherSuite))
	return nil
}

// answerEncryption writes the one-byte answer to an encryption request.
func (c *conn) answerEncryption(b byte) error {
	if _, err := c.nc.Write([]byte{b}); err != nil {
		return fmt.Errorf("proxy: write encryption answer: %w", err)
	}
	return nil
}

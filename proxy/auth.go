package proxy

import (
	"github.com/jackc/pgx/v5/pgproto3"
)

// Authentication (protocol-flow.html#PROTOCOL-FLOW-START-UP): after the
// StartupMessage the server runs one method's exchange and ends it with
// AuthenticationOk or an ErrorResponse (28000/28P01).
//
// authMethod is the seam for methods: trust today; cleartext, md5 and
// SCRAM-SHA-256 implement the same interface, exchanging their messages
// over c.be (Backend.SetAuthType tells pgproto3 how to decode the
// client's 'p' replies).
type authMethod interface {
	// authenticate runs the exchange for c.info.User and returns nil when
	// the client is authenticated; it does not send AuthenticationOk.
	authenticate(c *conn) error
}

// trustAuth accepts every user, like Postgres' "trust" method.
type trustAuth struct{}

// authenticate accepts the client.
func (trustAuth) authenticate(*conn) error { return nil }

// authMethodFor picks the method for a connection. It is trust until the
// Config has credentials.
func (s *Server) authMethodFor(SessionInfo) authMethod { return trustAuth{} }

// authenticate runs the connection's method and sends AuthenticationOk.
func (c *conn) authenticate() error {
	if err := c.srv.authMethodFor(c.info).authenticate(c); err != nil {
		return err
	}
	c.be.Send(&pgproto3.AuthenticationOk{})
	// Later 'p' messages are not password replies any more.
	return c.be.SetAuthType(pgproto3.AuthTypeOk)
}

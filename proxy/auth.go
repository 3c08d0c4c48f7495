package proxy

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/tally-db/tally/pgerr"
	"github.com/tally-db/tally/users"
)

// Authentication (protocol-flow.html#PROTOCOL-FLOW-START-UP): after the
// StartupMessage the server runs one method's exchange and ends it with
// AuthenticationOk or an ErrorResponse (28000/28P01).
//
// authMethod is the seam for methods: trust, cleartext password, md5 and
// SCRAM-SHA-256 (scram.go), each exchanging its messages over c.be
// (Backend.SetAuthType tells pgproto3 how to decode the client's 'p'
// replies).
//
// A failed authentication is FATAL 28P01 `password authentication failed
// for user "x"`, the same whether the user is unknown or the password
// wrong (Postgres' message; the reason is only logged, with the client's
// address). Unknown users run the whole exchange against mock credentials,
// as Postgres does, so neither the messages nor the time they take tell
// which users exist.
type authMethod interface {
	// authenticate runs the exchange for c.info.User and returns nil when
	// the client is authenticated; it does not send AuthenticationOk.
	authenticate(c *conn) error
}

// AuthMethod names a password authentication method, as pg_hba.conf does.
type AuthMethod string

// The authentication methods.
const (
	// AuthTrust accepts every user without a password.
	AuthTrust AuthMethod = "trust"
	// AuthPassword asks for the password in cleartext (use it over TLS)
	// and checks it against the user's SCRAM verifier.
	AuthPassword AuthMethod = "password"
	// AuthMD5 runs Postgres' md5 challenge; it needs the user's md5 hash.
	AuthMD5 AuthMethod = "md5"
	// AuthSCRAM runs SCRAM-SHA-256 (and SCRAM-SHA-256-PLUS over TLS).
	AuthSCRAM AuthMethod = "scram-sha-256"
)

// AuthMethods lists the methods, for flags and errors.
var AuthMethods = []AuthMethod{AuthTrust, AuthPassword, AuthMD5, AuthSCRAM}

// Credentials looks up a user's stored credentials; users.Source
// implements it over the users file.
type Credentials interface {
	Lookup(name string) (users.User, bool)
}

// maxAuthMessage bounds a password/SASL message, like Postgres'
// PG_MAX_AUTH_TOKEN_LENGTH.
const maxAuthMessage = 65535

// trustAuth accepts every user, like Postgres' "trust" method.
type trustAuth struct{}

// authenticate accepts the client.
func (trustAuth) authenticate(*conn) error { return nil }

// authMethodFor picks the method for a connection: Config.Auth.
func (s *Server) authMethodFor(SessionInfo) authMethod {
	switch s.cfg.Auth {
	case AuthPassword:
		return passwordAuth{}
	case AuthMD5:
		return md5Auth{}
	case AuthSCRAM:
		return scramAuth{}
	default:
		return trustAuth{}
	}
}

// authenticate runs the connection's method and sends AuthenticationOk.
func (c *conn) authenticate() error {
	c.setMaxBody(maxAuthMessage)
	defer c.setMaxBody(c.srv.cfg.MaxMessageSize)
	if err := c.srv.authMethodFor(c.info).authenticate(c); err != nil {
		return err
	}
	c.be.Send(&pgproto3.AuthenticationOk{})
	// Later 'p' messages are not password replies any more.
	return c.be.SetAuthType(pgproto3.AuthTypeOk)
}

// clientGoneError is returned when the client hangs up (or times out) during
// the exchange: psql does so after the first request to prompt for a
// password. Nothing is sent and it is not a failed attempt.
type clientGoneError struct{ err error }

func (e clientGoneError) Error() string {
	return "proxy: client left during authentication: " + e.err.Error()
}
func (e clientGoneError) Unwrap() error { return e.err }

// authRequest sends req, whose 'p' reply pgproto3 decodes per authType,
// and returns the reply, which must be of type T.
func authRequest[T pgproto3.FrontendMessage](c *conn, authType uint32, req pgproto3.BackendMessage, want string) (T, error) {
	var zero T
	if err := c.be.SetAuthType(authType); err != nil {
		return zero, fmt.Errorf("proxy: auth type: %w", err)
	}
	c.be.Send(req)
	c.flush()
	if c.ioErr != nil {
		return zero, clientGoneError{c.ioErr}
	}
	msg, err := c.be.Receive()
	if err != nil {
		if c.in.err != nil {
			return zero, clientGoneError{c.in.err}
		}
		return zero, pgerr.Wrap(err, pgerr.ProtocolViolation, "invalid %s packet: %v", want, err)
	}
	m, ok := msg.(T)
	if !ok {
		return zero, pgerr.New(pgerr.ProtocolViolation, "expected %s, got message type %d", want, messageType(msg))
	}
	return m, nil
}

// messageType is msg's type byte, as Postgres names it in errors.
func messageType(msg pgproto3.FrontendMessage) int {
	b, err := msg.Encode(nil)
	if err != nil || len(b) == 0 {
		return 0
	}
	return int(b[0])
}

// authFailed logs why the attempt failed and returns the error the client
// sees, which never says why.
func (c *conn) authFailed(method AuthMethod, reason string) error {
	c.log.Warn("proxy: password authentication failed", "method", string(method), "reason", reason)
	return pgerr.New(pgerr.InvalidPassword, "password authentication failed for user %q", c.info.User)
}

// lookupUser returns the user's credentials, or mock ones (known false)
// for a user who doesn't exist.
func (c *conn) lookupUser() (u users.User, known bool) {
	if c.srv.cfg.Users != nil {
		if u, ok := c.srv.cfg.Users.Lookup(c.info.User); ok {
			return u, true
		}
	}
	return c.srv.mockUser(c.info.User), false
}

// mockUser makes credentials for an unknown user: a salt that is the same
// every time for that name (as Postgres' scram_mock_salt), and keys that
// no password matches.
func (s *Server) mockUser(name string) users.User {
	mac := hmac.New(sha256.New, s.mockSecret)
	mac.Write([]byte(name))
	sum := mac.Sum(nil)
	key := make([]byte, sha256.Size)
	_, _ = rand.Read(key)
	return users.User{Name: name, SCRAM: users.Verifier{
		Iterations: users.Iterations, Salt: sum[:users.SaltLen], StoredKey: key, ServerKey: key,
	}}
}

// passwordAuth is Postgres' "password" method: the client sends the
// password in cleartext and it is checked against the SCRAM verifier.
type passwordAuth struct{}

// authenticate runs the cleartext exchange.
func (passwordAuth) authenticate(c *conn) error {
	m, err := authRequest[*pgproto3.PasswordMessage](c, pgproto3.AuthTypeCleartextPassword, &pgproto3.AuthenticationCleartextPassword{}, "password response")
	if err != nil {
		return err
	}
	u, known := c.lookupUser()
	ok := u.SCRAM.Check(m.Password) // also for unknown users: same time taken
	switch {
	case m.Password == "":
		return c.authFailed(AuthPassword, "empty password")
	case !known:
		return c.authFailed(AuthPassword, "no such user in the users file")
	case !ok:
		return c.authFailed(AuthPassword, "wrong password")
	}
	return nil
}

// md5Auth is Postgres' md5 challenge-response. It needs the user's md5
// hash, which `tally users add --md5` stores.
type md5Auth struct{}

// authenticate runs the md5 exchange.
func (md5Auth) authenticate(c *conn) error {
	var salt [4]byte
	_, _ = rand.Read(salt[:])
	m, err := authRequest[*pgproto3.PasswordMessage](c, pgproto3.AuthTypeMD5Password, &pgproto3.AuthenticationMD5Password{Salt: salt}, "password response")
	if err != nil {
		return err
	}
	u, known := c.lookupUser()
	switch {
	case !known:
		return c.authFailed(AuthMD5, "no such user in the users file")
	case u.MD5 == "":
		return c.authFailed(AuthMD5, "the user has no md5 hash in the users file (store one with `tally users add --md5`)")
	case !hmac.Equal([]byte(users.MD5Response(u.MD5, salt)), []byte(m.Password)):
		return c.authFailed(AuthMD5, "wrong password")
	}
	return nil
}

// validAuthMethod reports an unknown method name.
func validAuthMethod(m AuthMethod) error {
	if m == "" || slices.Contains(AuthMethods, m) {
		return nil
	}
	names := make([]string, len(AuthMethods))
	for i, m := range AuthMethods {
		names[i] = string(m)
	}
	return fmt.Errorf("proxy: unknown auth method %q (want %s)", m, strings.Join(names, ", "))
}

// isClientGone reports whether err says the client left during startup.
func isClientGone(err error) bool {
	var gone clientGoneError
	return errors.As(err, &gone)
}

package proxy

import (
	"errors"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/tally-db/tally/pgerr"
)

// Startup (protocol-flow.html#PROTOCOL-FLOW-START-UP): the client may
// first ask for SSL encryption (answered 'S' and a TLS handshake when a
// certificate is configured, else 'N' and it goes on in the clear) or GSS
// encryption (always 'N'), or send a CancelRequest on a fresh connection;
// then comes the StartupMessage, authentication, the session,
// ParameterStatus, BackendKeyData and the first ReadyForQuery.

// maxStartupRounds bounds the SSLRequest/GSSENCRequest answers before the
// StartupMessage (a client asks each at most once).
const maxStartupRounds = 3

// startup runs the startup phase within Config.StartupTimeout. ok is
// false when the connection ended normally during it (a CancelRequest);
// err is set when it failed.
func (c *conn) startup() (ok bool, err error) {
	_ = c.nc.SetDeadline(time.Now().Add(c.srv.cfg.StartupTimeout))
	ok, err = c.startupMessages()
	_ = c.nc.SetDeadline(time.Time{})
	if c.interrupted.Load() {
		c.interrupt() // shutdown began during startup: keep its deadlines
	}
	return ok, err
}

// startupMessages reads the startup packets and completes the startup.
func (c *conn) startupMessages() (ok bool, err error) {
	for range maxStartupRounds {
		msg, err := c.be.ReceiveStartupMessage()
		if err != nil {
			if c.in.err != nil {
				return false, c.in.err
			}
			c.sendFatal(pgerr.Wrap(err, pgerr.ProtocolViolation, "unsupported frontend protocol or invalid startup packet: %v", err))
			return false, c.endErr()
		}
		switch m := msg.(type) {
		case *pgproto3.SSLRequest:
			if err := c.handleSSLRequest(); err != nil {
				return false, err
			}
		case *pgproto3.GSSEncRequest:
			if err := c.answerEncryption('N'); err != nil {
				return false, err
			}
		case *pgproto3.CancelRequest:
			c.handleCancelRequest(m)
			return false, nil
		case *pgproto3.StartupMessage:
			if c.lim.overLimit {
				c.log.Warn("proxy: refused a connection beyond max connections", "max", c.srv.cfg.MaxConnections)
				c.sendFatal(tooManyClients())
				return false, c.endErr()
			}
			if c.srv.cfg.TLSRequired && c.tlsConn == nil {
				c.log.Warn("proxy: refused a connection without TLS", "user", m.Parameters["user"])
				c.sendFatal(pgerr.New(pgerr.InvalidAuthorizationSpec, "SSL connection is required").
					WithHint("Connect with sslmode=require (or verify-ca, verify-full)."))
				return false, c.endErr()
			}
			return c.handleStartup(m)
		}
	}
	c.sendFatal(pgerr.New(pgerr.ProtocolViolation, "too many encryption requests before the startup packet"))
	return false, c.endErr()
}

// handleCancelRequest cancels the statement the target connection is
// running, if the key matches one; the requesting connection closes
// without a reply either way, as in Postgres.
func (c *conn) handleCancelRequest(m *pgproto3.CancelRequest) {
	var secret uint32
	if len(m.SecretKey) == 4 {
		secret = uint32(m.SecretKey[0])<<24 | uint32(m.SecretKey[1])<<16 | uint32(m.SecretKey[2])<<8 | uint32(m.SecretKey[3])
	}
	target := c.srv.keys.lookup(backendKey{pid: m.ProcessID, secret: secret})
	cancelled := target != nil && target.running.interrupt()
	c.log.Info("proxy: cancel request", "target_pid", m.ProcessID, "target_found", target != nil, "cancelled", cancelled)
}

// handleStartup checks the StartupMessage, authenticates, opens the
// session and sends the parameters, the key and ReadyForQuery.
func (c *conn) handleStartup(m *pgproto3.StartupMessage) (bool, error) {
	if m.ProtocolVersion != pgproto3.ProtocolVersion30 || hasProtocolOptions(m.Parameters) {
		// Postgres 15 answers a newer 3.x minor version, and _pq_.
		// options it doesn't know, with NegotiateProtocolVersion.
		c.be.Send(&pgproto3.NegotiateProtocolVersion{NewestMinorProtocol: 0, UnrecognizedOptions: protocolOptions(m.Parameters)})
	}
	info, err := sessionInfo(m.Parameters)
	if err != nil {
		c.sendFatal(err)
		return false, c.endErr()
	}
	info.PID, info.ClientAddr = c.id, c.nc.RemoteAddr()
	c.info = info
	c.log = c.log.With("user", info.User, "database", info.Database)
	if err := c.authenticate(); err != nil {
		if isClientGone(err) {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				c.log.Info("proxy: authentication timed out", "timeout", c.srv.cfg.StartupTimeout)
			} else {
				c.log.Debug("proxy: client left during authentication", "err", err)
			}
			return false, nil
		}
		if pe := pgerr.As(err); pe != nil && pe.Code == pgerr.InvalidPassword {
			c.throttleAuthFailure()
		}
		c.sendFatal(err)
		return false, c.endErr()
	}
	c.srv.authLimit.succeeded(clientIP(c.nc.RemoteAddr()))
	session, err := c.srv.engine.NewSession(c.ctx, info)
	if err != nil {
		c.sendFatal(err)
		return false, c.endErr()
	}
	c.session = session
	c.sendInitialParameters()
	c.key = c.srv.keys.issue(c)
	secret := []byte{byte(c.key.secret >> 24), byte(c.key.secret >> 16), byte(c.key.secret >> 8), byte(c.key.secret)}
	c.be.Send(&pgproto3.BackendKeyData{ProcessID: c.key.pid, SecretKey: secret})
	c.readyForQuery()
	c.log.Debug("proxy: session started", "application_name", info.ApplicationName)
	return c.ioErr == nil, c.ioErr
}

// hasProtocolOptions reports whether the client sent _pq_.* options.
func hasProtocolOptions(params map[string]string) bool {
	return len(protocolOptions(params)) > 0
}

// protocolOptions lists the _pq_.* protocol options, which tally does not
// support.
func protocolOptions(params map[string]string) []string {
	var opts []string
	for k := range params {
		if strings.HasPrefix(k, "_pq_.") {
			opts = append(opts, k)
		}
	}
	return opts
}

// sessionInfo reads the startup parameters: user is required, database
// defaults to the user name, and client_encoding must be UTF8.
func sessionInfo(params map[string]string) (SessionInfo, error) {
	info := SessionInfo{
		User:            params["user"],
		Database:        params["database"],
		ApplicationName: params["application_name"],
		Params:          make(map[string]string, len(params)),
	}
	for k, v := range params {
		if !strings.HasPrefix(k, "_pq_.") {
			info.Params[k] = v
		}
	}
	if info.User == "" {
		return info, pgerr.New(pgerr.InvalidAuthorizationSpec, "no PostgreSQL user name specified in startup packet")
	}
	if info.Database == "" {
		info.Database = info.User
	}
	if enc, ok := params["client_encoding"]; ok && !isUTF8(enc) {
		return info, pgerr.New(pgerr.InvalidParameterValue, "invalid value for parameter \"client_encoding\": %q", enc).
			WithHint("tally supports only the UTF8 client encoding.")
	}
	return info, nil
}

// isUTF8 reports whether an encoding name means UTF8, matching names as
// Postgres' clean_encoding_name does: only letters and digits count, case
// ignored ("unicode" is an alias). asyncpg sends 'utf-8' with the quotes.
func isUTF8(name string) bool {
	n := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return -1
	}, name)
	return n == "utf8" || n == "unicode"
}

// sendInitialParameters sends the ParameterStatus messages Postgres 15
// sends after authentication, then whatever the new session reports
// (e.g. a TimeZone from the startup parameters), in name order.
func (c *conn) sendInitialParameters() {
	params := map[string]string{
		"application_name":              c.info.ApplicationName,
		"client_encoding":               "UTF8",
		"DateStyle":                     "ISO, MDY",
		"default_transaction_read_only": "off",
		"in_hot_standby":                "off",
		"integer_datetimes":             "on",
		"IntervalStyle":                 "postgres",
		"is_superuser":                  "on",
		"server_encoding":               "UTF8",
		"server_version":                c.srv.cfg.ServerVersion,
		"session_authorization":         c.info.User,
		"standard_conforming_strings":   "on",
		"TimeZone":                      "UTC",
	}
	for name, value := range c.session.ParameterStatus() {
		params[name] = value
	}
	names := slices.SortedFunc(maps.Keys(params), func(a, b string) int {
		return strings.Compare(strings.ToLower(a), strings.ToLower(b))
	})
	for _, name := range names {
		c.be.Send(&pgproto3.ParameterStatus{Name: name, Value: params[name]})
	}
}

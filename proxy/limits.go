package proxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/tally-db/tally/pgerr"
)

// Limits a client can't talk its way past, each answered as Postgres
// answers it:
//
//   - Config.MaxConnections: a StartupMessage beyond it gets FATAL 53300
//     "sorry, too many clients already" (CancelRequests still pass).
//   - statement_timeout (TimeoutSession): a statement running longer is
//     cancelled, 57014 "canceling statement due to statement timeout" (a
//     write that may have landed answers 08007 instead).
//   - idle_in_transaction_session_timeout: a client that leaves a
//     transaction block open and sends nothing is disconnected with FATAL
//     25P03 "terminating connection due to idle-in-transaction timeout".
//   - Config.MaxMessageSize and Config.StartupTimeout (server.go).
//   - failed authentication: each failure from one address makes the
//     next failure's answer from that address wait longer (authThrottle).

// TimeoutSession is implemented by sessions that keep statement_timeout
// and idle_in_transaction_session_timeout; 0 means none. The proxy asks
// before each message it reads, so a SET takes effect from the next one.
type TimeoutSession interface {
	Timeouts() (statement, idleInTx time.Duration)
}

// connLimits is a connection's share of the limits.
type connLimits struct {
	// admitted: the connection counts against MaxConnections.
	admitted bool
	// overLimit: the connection arrived beyond MaxConnections; its
	// StartupMessage is answered with 53300.
	overLimit bool
	// idleStatus is the status of the ReadyForQuery last sent, until the
	// next message arrives; 0 while a query cycle is in progress.
	// Postgres arms idle_in_transaction_session_timeout only there.
	idleStatus byte
	// deadlineArmed: armIdleTimeout left a read deadline set.
	deadlineArmed bool
}

// admit counts c against MaxConnections, or marks it over the limit.
// s.mu is held.
func (s *Server) admit(c *conn) {
	if s.cfg.MaxConnections > 0 && s.admitted >= s.cfg.MaxConnections {
		c.lim.overLimit = true
		return
	}
	s.admitted++
	c.lim.admitted = true
}

// release undoes admit. s.mu is held.
func (s *Server) release(c *conn) {
	if c.lim.admitted {
		s.admitted--
		c.lim.admitted = false
	}
}

// tooManyClients is Postgres' answer beyond max_connections.
func tooManyClients() error {
	return pgerr.New(pgerr.TooManyConnections, "sorry, too many clients already")
}

// timeouts reads the session's timeouts (none before startup ends or for
// a session that keeps none).
func (c *conn) timeouts() (statement, idleInTx time.Duration) {
	if ts, ok := c.session.(TimeoutSession); ok {
		return ts.Timeouts()
	}
	return 0, 0
}

// armIdleTimeout sets the read deadline before the next Receive: idle
// (the idle-in-transaction timeout) when the last ReadyForQuery said 'T'
// or 'E', none otherwise. The common case, no deadline before and none
// now, costs nothing. A shutdown that began meanwhile keeps its deadline.
func (c *conn) armIdleTimeout(idle time.Duration) {
	var deadline time.Time
	if idle > 0 && (c.lim.idleStatus == 'T' || c.lim.idleStatus == 'E') {
		deadline = time.Now().Add(idle)
	}
	if deadline.IsZero() && !c.lim.deadlineArmed {
		return
	}
	c.lim.deadlineArmed = !deadline.IsZero()
	_ = c.nc.SetReadDeadline(deadline)
	if c.interrupted.Load() {
		_ = c.nc.SetReadDeadline(time.Now())
	}
}

// idleTimedOut reports whether a failed read was the idle-in-transaction
// timeout firing.
func (c *conn) idleTimedOut() bool {
	return (c.lim.idleStatus == 'T' || c.lim.idleStatus == 'E') &&
		!c.interrupted.Load() && errors.Is(c.in.err, os.ErrDeadlineExceeded)
}

// idleTimeoutError is the FATAL error Postgres sends when
// idle_in_transaction_session_timeout fires.
func idleTimeoutError() error {
	return pgerr.New(pgerr.IdleInTransactionTimeout, "terminating connection due to idle-in-transaction timeout")
}

// authThrottle slows down password guessing: each consecutive failed
// authentication from one client address doubles the delay before the
// next failure from it is answered (Config.AuthFailureDelay, capped at
// Config.AuthFailureDelayMax); a success from the address forgets it.
// Only failures wait, so a client with the right password never does.
// Addresses are IPs without the port; entries idle for longer than
// authForget are dropped.
type authThrottle struct {
	base, max time.Duration
	mu        sync.Mutex
	failures  map[string]*authFailures
}

// authFailures is one address's run of failures.
type authFailures struct {
	n    int
	last time.Time
}

// authForget is how long an address's failures are remembered.
const authForget = 15 * time.Minute

// maxThrottled bounds the addresses remembered; beyond it stale entries
// are dropped first.
const maxThrottled = 100000

// newAuthThrottle returns a throttle; base 0 disables it.
func newAuthThrottle(base, maxDelay time.Duration) *authThrottle {
	return &authThrottle{base: base, max: max(base, maxDelay), failures: make(map[string]*authFailures)}
}

// failed records a failure from addr and returns how long to wait before
// answering it.
func (t *authThrottle) failed(addr string, now time.Time) time.Duration {
	if t.base <= 0 {
		return 0
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	f := t.failures[addr]
	if f == nil || now.Sub(f.last) > authForget {
		if len(t.failures) >= maxThrottled {
			t.prune(now)
		}
		f = &authFailures{}
		t.failures[addr] = f
	}
	f.n++
	f.last = now
	d := t.base
	for i := 1; i < f.n && d < t.max; i++ {
		d *= 2
	}
	return min(d, t.max)
}

// succeeded forgets addr's failures.
func (t *authThrottle) succeeded(addr string) {
	t.mu.Lock()
	delete(t.failures, addr)
	t.mu.Unlock()
}

// prune drops stale entries, and all of them if none is stale (the map
// must stay bounded even under a flood of addresses). t.mu is held.
func (t *authThrottle) prune(now time.Time) {
	for a, f := range t.failures {
		if now.Sub(f.last) > authForget {
			delete(t.failures, a)
		}
	}
	if len(t.failures) >= maxThrottled {
		clear(t.failures)
	}
}

// clientIP is the address authThrottle keys by: the remote IP.
func clientIP(a net.Addr) string {
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}

// throttleAuthFailure waits before a failed authentication is answered,
// longer for each consecutive failure from the client's address. A
// shutdown ends the wait.
func (c *conn) throttleAuthFailure() {
	ip := clientIP(c.nc.RemoteAddr())
	d := c.srv.authLimit.failed(ip, time.Now())
	if d <= 0 {
		return
	}
	c.log.Warn("proxy: delaying the answer to a failed authentication", "client", ip, "delay", d)
	ctx, cancel := context.WithTimeout(c.ctx, d)
	defer cancel()
	<-ctx.Done()
}

// recoverPanic keeps a bug met while serving one connection (a panic in
// the engine, say) from ending the process and every other client's
// session: it logs the panic with its stack and ends this connection
// with FATAL XX000. Deferred by serve, after the socket's Close.
func (c *conn) recoverPanic() {
	r := recover()
	if r == nil {
		return
	}
	c.log.Error("proxy: panic serving connection", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
	if c.ioErr == nil && c.fatal == nil {
		_ = c.nc.SetWriteDeadline(time.Now().Add(time.Second))
		c.be.Send(&pgproto3.ErrorResponse{Severity: "FATAL", SeverityUnlocalized: "FATAL",
			Code: string(pgerr.InternalError), Message: "internal error"})
		_ = c.be.Flush()
	}
}

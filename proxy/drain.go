package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/tally-db/tally/pgerr"
)

// Graceful drain. Server.Drain stops accepting and lets every connection
// finish what it is doing: a connection ends (FATAL 57P01, as Postgres'
// smart shutdown ends an idle backend) at the first moment it is idle —
// outside a transaction block, right after ReadyForQuery, not in the
// middle of an extended-query pipeline. A statement that is running
// completes and is answered; an open transaction block may go on until
// COMMIT or ROLLBACK. What is still open when Drain's context ends is
// ended by cancelling Serve's context (shutdownConns).

// drainGate lets the server wake a connection that is blocked reading
// while idle, without disturbing one that is busy or in a transaction.
// Its mutex orders a connection's "about to read while idle" against the
// server's "draining has begun", so no idle reader is missed.
type drainGate struct {
	mu      sync.Mutex
	reading bool // blocked in Receive right after ReadyForQuery 'I'
	woken   bool // the server set a past read deadline to wake it
}

// enter is called before each Receive. idle says the connection is
// right after ReadyForQuery outside a transaction block. It returns true
// when the connection must end now: the server is draining and it is idle.
func (g *drainGate) enter(s *Server, idle bool) (end bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if idle && s.draining.Load() {
		return true
	}
	g.reading = idle
	return false
}

// leave is called after each Receive; it reports whether the server woke
// the read. A read woken that still returned a message goes on: its
// deadline is cleared unless a hard shutdown set one as well.
func (g *drainGate) leave(c *conn) (woken bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	woken, g.reading, g.woken = g.woken, false, false
	if woken && !c.interrupted.Load() {
		_ = c.nc.SetReadDeadline(time.Time{})
	}
	return woken
}

// wake ends the read of an idle connection blocked in Receive.
func (g *drainGate) wake(nc net.Conn) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.reading {
		g.woken = true
		_ = nc.SetReadDeadline(time.Now())
	}
}

// errAdminShutdown is the FATAL a connection ended by a shutdown gets.
func errAdminShutdown() error {
	return pgerr.New(pgerr.AdminShutdown, "terminating connection due to administrator command")
}

// Draining reports whether Drain has begun.
func (s *Server) Draining() bool { return s.draining.Load() }

// Drain stops accepting connections and ends each connection as soon as it
// is idle (outside a transaction block, between queries) with FATAL 57P01.
// It returns nil once every connection has ended, or ctx's error when ctx
// ends first; cancelling Serve's context then ends the rest (57P01, and
// running statements are cancelled).
func (s *Server) Drain(ctx context.Context) error {
	s.draining.Store(true)
	s.mu.Lock()
	ln := s.ln
	for c := range s.conns {
		c.drain.wake(c.nc)
	}
	s.mu.Unlock()
	if ln != nil {
		_ = ln.Close()
	}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if s.OpenConns() == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// OpenConns is how many client connections are open.
func (s *Server) OpenConns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// tlsState is the certificate in force: its TLS configuration and the
// channel-binding data of its certificate.
type tlsState struct {
	cfg      *tls.Config
	endPoint []byte // nil when SCRAM-SHA-256-PLUS can't be offered
}

func newTLSState(cfg *tls.Config) *tlsState {
	if cfg == nil {
		return nil
	}
	c := cfg.Clone()
	c.MinVersion = max(c.MinVersion, tls.VersionTLS12)
	return &tlsState{cfg: c, endPoint: serverEndPoint(c)}
}

// SetTLS replaces the TLS configuration (a reloaded certificate) for the
// connections that start from now on; open connections keep theirs. nil
// turns TLS off, which a server that requires TLS refuses.
func (s *Server) SetTLS(cfg *tls.Config) error {
	if cfg == nil && s.cfg.TLSRequired {
		return errors.New("proxy: TLS is required but no certificate is configured")
	}
	s.tls.Store(newTLSState(cfg))
	return nil
}

// Metrics receives the proxy's connection events. The zero Config uses a
// no-op.
type Metrics interface {
	// ConnAccepted: a client connection was accepted.
	ConnAccepted()
	// ConnClosed: a connection ended; refused means it never got a
	// session because startup ended with a FATAL error (authentication,
	// TLS required, protocol violation, shutdown).
	ConnClosed(refused bool)
}

type noMetrics struct{}

func (noMetrics) ConnAccepted()   {}
func (noMetrics) ConnClosed(bool) {}

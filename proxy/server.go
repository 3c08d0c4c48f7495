package proxy

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config is the proxy's configuration. The zero value is usable: New fills
// defaults.
type Config struct {
	// ServerVersion is reported as server_version; clients parse it to pick
	// features, so it must look like Postgres 15 ("15.x ..."). Default
	// "15.8 (tally)".
	ServerVersion string
	// MaxMessageSize bounds one client message body in bytes; a longer one
	// is a protocol violation that closes the connection. Default 64 MiB.
	MaxMessageSize int
	// StartupTimeout bounds the startup phase (up to the first
	// ReadyForQuery), like Postgres' authentication_timeout. Default 60s.
	StartupTimeout time.Duration
	// ShutdownGrace is how long Serve, once its context is cancelled, lets
	// connections finish their current message before closing them hard.
	// Default 5s.
	ShutdownGrace time.Duration

	// Auth is the authentication method; "" means AuthTrust.
	Auth AuthMethod
	// Users holds the credentials the password methods check; required
	// unless Auth is trust.
	Users Credentials
	// TLS, when set, makes the server answer SSLRequest with 'S' and run
	// the TLS handshake with it (at least TLS 1.2); nil answers 'N'.
	TLS *tls.Config
	// TLSRequired refuses a StartupMessage sent without TLS (28000).
	TLSRequired bool

	// MaxConnections bounds the connections served at once; a
	// StartupMessage beyond it gets FATAL 53300. 0: no limit.
	MaxConnections int
	// AuthFailureDelay is how long the answer to a failed authentication
	// waits; it doubles with each consecutive failure from the same client
	// address, up to AuthFailureDelayMax. 0: no delay.
	AuthFailureDelay    time.Duration
	AuthFailureDelayMax time.Duration
	// Metrics receives connection events; nil: none.
	Metrics Metrics
}

// DefaultServerVersion is the server_version tally reports.
const DefaultServerVersion = "15.8 (tally)"

// withDefaults returns cfg with zero fields set to their defaults.
func (cfg Config) withDefaults() Config {
	if cfg.ServerVersion == "" {
		cfg.ServerVersion = DefaultServerVersion
	}
	if cfg.MaxMessageSize <= 0 {
		cfg.MaxMessageSize = 64 << 20
	}
	if cfg.StartupTimeout <= 0 {
		cfg.StartupTimeout = time.Minute
	}
	if cfg.ShutdownGrace <= 0 {
		cfg.ShutdownGrace = 5 * time.Second
	}
	if cfg.Metrics == nil {
		cfg.Metrics = noMetrics{}
	}
	return cfg
}

// Validate reports a configuration the proxy cannot run with.
func (cfg Config) Validate() error {
	if !strings.HasPrefix(cfg.withDefaults().ServerVersion, "15.") {
		return fmt.Errorf("proxy: server version %q must start with \"15.\"", cfg.ServerVersion)
	}
	if err := validAuthMethod(cfg.Auth); err != nil {
		return err
	}
	if cfg.Auth != "" && cfg.Auth != AuthTrust && cfg.Users == nil {
		return fmt.Errorf("proxy: auth method %q needs users", cfg.Auth)
	}
	if cfg.TLSRequired && cfg.TLS == nil {
		return errors.New("proxy: TLS is required but no certificate is configured")
	}
	return nil
}

// Server accepts Postgres client connections and serves each with a
// Session of its Engine.
type Server struct {
	cfg    Config
	engine Engine
	log    *slog.Logger
	keys   *keyRegistry
	// tls is Config.TLS with tally's minimum version and its channel
	// binding data; nil without TLS. SetTLS replaces it (reload).
	tls atomic.Pointer[tlsState]
	// draining: Drain has begun; idle connections end.
	draining atomic.Bool
	// mockSecret derives the mock SCRAM salt of unknown users.
	mockSecret []byte

	// authLimit delays answers to failed authentications (limits.go).
	authLimit *authThrottle

	mu     sync.Mutex
	addr   net.Addr
	ln     net.Listener
	conns  map[*conn]struct{}
	nextID uint32
	// admitted counts connections within MaxConnections (limits.go).
	admitted int
}

// NewServer returns a server for engine. A nil log discards logs.
func NewServer(cfg Config, engine Engine, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		cfg:        cfg.withDefaults(),
		engine:     engine,
		log:        log,
		keys:       newKeyRegistry(),
		conns:      make(map[*conn]struct{}),
		mockSecret: make([]byte, 32),
	}
	s.authLimit = newAuthThrottle(s.cfg.AuthFailureDelay, s.cfg.AuthFailureDelayMax)
	_, _ = rand.Read(s.mockSecret)
	s.tls.Store(newTLSState(cfg.TLS))
	return s
}

// Addr returns the address Serve is listening on, or nil before Serve.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// ListenAndServe listens on the TCP address addr and calls Serve.
func (s *Server) ListenAndServe(ctx context.Context, addr string) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("proxy: listen %s: %w", addr, err)
	}
	return s.Serve(ctx, ln)
}

// Serve accepts connections on ln until ctx is cancelled (it then closes
// ln and every connection, and returns nil) or ln fails (it returns the
// error). Either way it waits for all connection goroutines to end.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if err := s.cfg.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	s.addr, s.ln = ln.Addr(), ln
	s.mu.Unlock()
	s.log.Info("proxy: listening", "addr", ln.Addr().String())

	var wg sync.WaitGroup
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	err := s.acceptLoop(ctx, ln, &wg)
	if s.draining.Load() && ctx.Err() == nil {
		// Drain closed the listener: connections end as they go idle,
		// unless ctx ends first.
		err = nil
		done := make(chan struct{})
		go func() {
			wg.Wait()
			close(done)
		}()
		select {
		case <-done:
		case <-ctx.Done():
		}
	}
	if ctx.Err() != nil {
		err = nil
		s.shutdownConns(&wg)
	}
	wg.Wait()
	return err
}

// acceptLoop accepts until the listener fails, retrying transient errors
// (e.g. out of file descriptors) with backoff.
func (s *Server) acceptLoop(ctx context.Context, ln net.Listener, wg *sync.WaitGroup) error {
	backoff := 5 * time.Millisecond
	for {
		nc, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil || s.draining.Load() || errors.Is(err, net.ErrClosed) {
				return fmt.Errorf("proxy: accept: %w", err)
			}
			s.log.Warn("proxy: accept failed, retrying", "err", err, "backoff", backoff)
			select {
			case <-time.After(backoff):
			case <-ctx.Done():
			}
			backoff = min(2*backoff, time.Second)
			continue
		}
		backoff = 5 * time.Millisecond
		c := s.newConn(ctx, nc)
		s.cfg.Metrics.ConnAccepted()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer s.forget(c)
			c.serve()
			s.cfg.Metrics.ConnClosed(c.session == nil && c.fatal != nil)
		}()
	}
}

// newConn registers a new connection.
func (s *Server) newConn(ctx context.Context, nc net.Conn) *conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	c := newConn(ctx, s, nc, s.nextID)
	s.conns[c] = struct{}{}
	s.admit(c)
	return c
}

// forget unregisters c once its goroutine ends.
func (s *Server) forget(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.release(c)
	s.mu.Unlock()
	s.keys.remove(c.key)
}

// shutdownConns asks every connection to stop at its next read (it sends
// the client 57P01 and closes), then closes the stragglers after the grace
// period.
func (s *Server) shutdownConns(wg *sync.WaitGroup) {
	s.mu.Lock()
	for c := range s.conns {
		c.interrupt()
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(s.cfg.ShutdownGrace):
		s.mu.Lock()
		for c := range s.conns {
			c.nc.Close()
		}
		s.mu.Unlock()
	}
}

package app

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"sync/atomic"
	"time"

	"github.com/tally-db/tally/activity"
	"github.com/tally-db/tally/cassandra"
	"github.com/tally-db/tally/metrics"
	"github.com/tally-db/tally/planner"
	"github.com/tally-db/tally/proxy"
	"github.com/tally-db/tally/users"
)

// Server is one tally process: the Cassandra store, the SQL engine, the
// Postgres listener, the registry of sessions (pg_stat_activity), the
// metrics and the admin HTTP handler. cmd/tally runs one and turns
// signals into Drain (SIGTERM) and Reload (SIGHUP).
type Server struct {
	cfg      Config
	log      *slog.Logger
	Store    *cassandra.Store
	Engine   *planner.Engine
	Proxy    *proxy.Server
	Metrics  *metrics.Metrics
	Activity *activity.Registry

	users         *users.Source // nil without a users file
	catalogLoaded atomic.Bool
}

// New connects to Cassandra and builds the server; Close it when done.
func New(cfg Config, log *slog.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	pc, err := ProxyConfig(cfg, log)
	if err != nil {
		return nil, err
	}
	m := metrics.New()
	reg := activity.NewRegistry()
	store, err := cassandra.Open(cassandra.Config{
		Hosts: splitHosts(cfg.Cassandra), ReadConsistency: cfg.ReadConsistency, WriteConsistency: cfg.WriteConsistency,
		Timeout: cfg.CassandraTimeout, Username: cfg.CassandraUsername, Password: cfg.CassandraPassword, Observer: m,
	}, log)
	if err != nil {
		return nil, err
	}
	engine := newEngine(cfg, store, log, reg.Backends)
	pc.Metrics = m
	s := &Server{cfg: cfg, log: log, Store: store, Engine: engine, Metrics: m, Activity: reg}
	s.users, _ = pc.Users.(*users.Source)
	s.Proxy = proxy.NewServer(pc, engineAdapter{e: engine, o: &observer{reg: reg, m: m, slow: cfg.SlowStatement, log: log}}, log)
	m.Sessions(reg)
	m.Watch(metrics.Engine{
		Rollups: engine.Rollups, Backlog: engine.RollupBacklog,
		IdempotencyHits: func() int64 { return engine.Stats().IdempotencyHits.Load() },
		Draining:        s.Proxy.Draining,
	})
	go func() { // in the background: clients may connect meanwhile; /readyz waits for it
		ctx, cancel := context.WithTimeout(context.Background(), 4*cfg.CassandraTimeout)
		defer cancel()
		if err := s.loadCatalogs(ctx); err != nil {
			log.Warn("catalogs not loaded yet; /readyz fails until they are", "err", err)
		}
	}()
	return s, nil
}

// Serve serves Postgres clients on ln until ctx ends (then every
// connection ends with 57P01) or, after Drain, the last connection ends.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	err := s.Proxy.Serve(ctx, ln)
	if errors.Is(err, context.Canceled) || errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// Drain stops accepting connections at once (and /readyz fails from then
// on), and waits until every connection has ended: each ends as soon as
// it is idle, so running statements are answered and open transactions
// may commit. It returns ctx's error if connections remain when ctx ends;
// cancelling Serve's context then ends them with 57P01.
func (s *Server) Drain(ctx context.Context) error {
	s.log.Info("draining: no new connections; connections end as they go idle", "open", s.Proxy.OpenConns())
	err := s.Proxy.Drain(ctx)
	if err != nil {
		s.log.Warn("drain deadline reached; ending the remaining connections (57P01)", "open", s.Proxy.OpenConns())
	}
	return err
}

// Reload reads the users file and the TLS certificate again (SIGHUP).
// Open connections are untouched; new ones use what was loaded. On an
// error the previous users or certificate stay in force.
func (s *Server) Reload() error {
	if s.users == nil && s.cfg.TLSCert == "" {
		s.log.Info("reload: no users file or certificate configured; nothing to reload")
		return nil
	}
	var errs []error
	if s.users != nil {
		if err := s.users.Reload(); err != nil {
			errs = append(errs, err)
		}
	}
	if s.cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(s.cfg.TLSCert, s.cfg.TLSKey)
		if err != nil {
			errs = append(errs, fmt.Errorf("tls: %w", err))
		} else if err := s.Proxy.SetTLS(&tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}); err != nil {
			errs = append(errs, err)
		} else {
			s.log.Info("tls: reloaded the certificate", "cert", s.cfg.TLSCert)
		}
	}
	return errors.Join(errs...)
}

// Close stops the engine and disconnects from Cassandra; call it after
// Serve returned.
func (s *Server) Close() {
	s.Engine.Close()
	s.Store.Close()
}

// loadCatalogs loads the catalog of every database tally serves. A
// database whose catalog fails to load is logged and skipped (it may have
// been dropped meanwhile, and other databases can still be served); the
// catalogs count as loaded when the list of databases could be read and
// at least one catalog loaded, or there is none.
func (s *Server) loadCatalogs(ctx context.Context) error {
	keyspaces, err := s.Store.CatalogKeyspaces(ctx)
	if err != nil {
		return err
	}
	var firstErr error
	loaded := 0
	for _, ks := range keyspaces {
		if err := s.Engine.LoadCatalogs(ctx, []string{ks}); err != nil {
			if ctx.Err() != nil {
				return err
			}
			s.log.Warn("catalog not loaded", "database", ks, "err", err)
			firstErr = cmp.Or(firstErr, err)
			continue
		}
		loaded++
	}
	if len(keyspaces) > 0 && loaded == 0 {
		return firstErr
	}
	s.catalogLoaded.Store(true)
	s.log.Info("catalogs loaded", "databases", loaded, "failed", len(keyspaces)-loaded)
	return nil
}

// Ready reports why the server should not get traffic, or nil: it is
// draining, the catalogs could not be loaded yet, or Cassandra does not
// answer a read at the configured read consistency (of a tally catalog
// when there is one).
func (s *Server) Ready(ctx context.Context) error {
	if s.Proxy.Draining() {
		return errors.New("draining")
	}
	if !s.catalogLoaded.Load() {
		if err := s.loadCatalogs(ctx); err != nil {
			return fmt.Errorf("catalog not loaded: %w", err)
		}
	}
	ks, err := s.Store.CatalogKeyspaces(ctx)
	if err != nil {
		return fmt.Errorf("cassandra: %w", err)
	}
	var probe string
	if len(ks) > 0 {
		probe = ks[0]
	}
	if err := s.Store.Ping(ctx, probe); err != nil {
		return fmt.Errorf("cassandra at %s: %w", s.cfg.ReadConsistency, err)
	}
	return nil
}

// AdminHandler serves /metrics, /healthz (the process answers), /readyz
// (Ready) and, with Pprof, /debug/pprof/.
func (s *Server) AdminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", s.Metrics.Handler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.CassandraTimeout)
		defer cancel()
		if err := s.Ready(ctx); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	if s.cfg.Pprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	return mux
}

// ServeAdmin serves AdminHandler on ln until ctx ends.
func (s *Server) ServeAdmin(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{Handler: s.AdminHandler(), ReadHeaderTimeout: 10 * time.Second}
	stop := context.AfterFunc(ctx, func() {
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
	})
	defer stop()
	if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("admin: %w", err)
	}
	return nil
}

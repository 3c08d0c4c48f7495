package harness

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tally-db/tally/app"
)

// Server is a whole tally process run in-process through app.Server, as
// cmd/tally runs it: metrics, the session registry, the admin handler,
// drain and reload. Its Cassandra session is its own (so its Cassandra
// metrics count only its requests).
type Server struct {
	*app.Server
	Addr     string
	Database string
	// AdminURL is the base URL of the admin handler (/metrics, /readyz, ...).
	AdminURL string

	cancel   context.CancelFunc
	done     chan error
	stopOnce sync.Once
	stopErr  error
}

// StartServer starts a tally for t on an ephemeral port, over the test's
// Cassandra and a database of its own; everything stops at t's end.
func StartServer(t testing.TB, configure func(*app.Config)) *Server {
	t.Helper()
	raw := openStore(t)
	cfg := app.Defaults()
	cfg.Cassandra = os.Getenv("TALLY_CASSANDRA")
	if cfg.Cassandra == "" {
		cfg.Cassandra = "127.0.0.1:9042"
	}
	cfg.Settle, cfg.RollupThreshold = 10*time.Second, 16
	if configure != nil {
		configure(&cfg)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("TALLY_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	srv, err := app.New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	db := "test_" + randomHex(6)
	t.Cleanup(func() {
		dctx, dcancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer dcancel()
		_ = raw.Schema(dctx, fmt.Sprintf("DROP KEYSPACE IF EXISTS %s", db))
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	admin := httptest.NewServer(srv.AdminHandler())
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{Server: srv, Addr: ln.Addr().String(), Database: db, AdminURL: admin.URL, cancel: cancel, done: make(chan error, 1)}
	go func() { s.done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		s.Stop()
		admin.Close()
		srv.Close()
	})
	return s
}

// Stop ends Serve (open connections get 57P01) and waits for it; it
// returns Serve's error, the same on every call.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		s.cancel()
		select {
		case s.stopErr = <-s.done:
		case <-time.After(30 * time.Second):
			s.stopErr = fmt.Errorf("harness: Serve did not return within 30s of its context's end")
		}
	})
	return s.stopErr
}

// Wait waits for Serve to return on its own (after Drain), up to d.
func (s *Server) Wait(d time.Duration) error {
	select {
	case err := <-s.done:
		s.done <- err // Stop still finds it
		return err
	case <-time.After(d):
		return fmt.Errorf("harness: Serve still running after %v", d)
	}
}

// DSN is a connection string for this tally and its database.
func (s *Server) DSN() string {
	host, port, _ := net.SplitHostPort(s.Addr)
	return fmt.Sprintf("postgres://tester@%s:%s/%s?sslmode=disable", host, port, s.Database)
}

// Connect opens a pgx connection, closed at t's end.
func (s *Server) Connect(t testing.TB) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.DSN())
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

// Get fetches path from the admin handler: status code and body.
func (s *Server) Get(t testing.TB, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(s.AdminURL + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return resp.StatusCode, string(body)
}

// Metric is the value of one sample of /metrics, given as it is printed
// ("tally_connections_accepted_total" or
// `tally_transactions_total{outcome="committed"}`); -1 when absent.
func (s *Server) Metric(t testing.TB, sample string) float64 {
	t.Helper()
	_, body := s.Get(t, "/metrics")
	for _, line := range strings.Split(body, "\n") {
		if rest, ok := strings.CutPrefix(line, sample+" "); ok {
			var v float64
			if _, err := fmt.Sscan(rest, &v); err != nil {
				t.Fatalf("metric %s: %q: %v", sample, rest, err)
			}
			return v
		}
	}
	return -1
}

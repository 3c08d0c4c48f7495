package proxy_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/tally-db/tally/proxy"
)

// testServer is a proxy on an ephemeral port backed by a fakeEngine.
type testServer struct {
	engine   *fakeEngine
	addr     string
	cancel   context.CancelFunc
	done     chan error // Serve's result
	stopOnce sync.Once
	stopErr  error
}

// startServer starts a server with the default Config; it is shut down
// when the test ends.
func startServer(t *testing.T) *testServer {
	t.Helper()
	return startServerConfig(t, proxy.Config{ShutdownGrace: 2 * time.Second})
}

// stop cancels Serve's context and returns Serve's result.
func (ts *testServer) stop() error {
	ts.stopOnce.Do(func() {
		ts.cancel()
		select {
		case ts.stopErr = <-ts.done:
		case <-time.After(10 * time.Second):
			ts.stopErr = errors.New("Serve did not return after cancel")
		}
	})
	return ts.stopErr
}

// startServerConfig starts a server with cfg.
func startServerConfig(t *testing.T, cfg proxy.Config) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	ts := &testServer{engine: &fakeEngine{}, addr: ln.Addr().String(), cancel: cancel, done: make(chan error, 1)}
	srv := proxy.NewServer(cfg, ts.engine, log)
	go func() { ts.done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		if err := ts.stop(); err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return ts
}

// connString returns a pgx connection string for the server.
func (ts *testServer) connString(extra string) string {
	host, port, _ := net.SplitHostPort(ts.addr)
	return fmt.Sprintf("postgres://alice@%s:%s/shop?sslmode=disable%s", host, port, extra)
}

// connect opens a pgx connection closed at the end of the test.
func (ts *testServer) connect(t *testing.T, extra string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, ts.connString(extra))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// pgCode returns the SQLSTATE of a pgx error, or "" if it is none.
func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// rawClient drives the server with pgproto3 messages.
type rawClient struct {
	t  *testing.T
	nc net.Conn
	fe *pgproto3.Frontend
}

// dialRaw connects without starting up.
func (ts *testServer) dialRaw(t *testing.T) *rawClient {
	t.Helper()
	nc, err := net.DialTimeout("tcp", ts.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	return &rawClient{t: t, nc: nc, fe: pgproto3.NewFrontend(nc, nc)}
}

// startRaw connects and completes startup as user alice.
func (ts *testServer) startRaw(t *testing.T) *rawClient {
	t.Helper()
	c := ts.dialRaw(t)
	c.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"user": "alice"}})
	got := c.untilReady()
	if got[0] != "AuthenticationOk" || got[len(got)-1] != "ReadyForQuery I" {
		t.Fatalf("startup: %q", got)
	}
	return c
}

// send sends msgs and flushes.
func (c *rawClient) send(msgs ...pgproto3.FrontendMessage) {
	c.t.Helper()
	for _, m := range msgs {
		c.fe.Send(m)
	}
	if err := c.fe.Flush(); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

// recv receives n messages, summarised.
func (c *rawClient) recv(n int) []string {
	c.t.Helper()
	var out []string
	for range n {
		m, err := c.fe.Receive()
		if err != nil {
			c.t.Fatalf("receive after %q: %v", out, err)
		}
		out = append(out, summary(m))
	}
	return out
}

// untilReady receives up to and including ReadyForQuery, skipping
// ParameterStatus and BackendKeyData.
func (c *rawClient) untilReady() []string {
	c.t.Helper()
	var out []string
	for {
		m, err := c.fe.Receive()
		if err != nil {
			c.t.Fatalf("receive after %q: %v", out, err)
		}
		switch m.(type) {
		case *pgproto3.ParameterStatus, *pgproto3.BackendKeyData:
			continue
		}
		out = append(out, summary(m))
		if _, ok := m.(*pgproto3.ReadyForQuery); ok {
			return out
		}
	}
}

// expectClosed asserts that the server closes the connection next.
func (c *rawClient) expectClosed() {
	c.t.Helper()
	if m, err := c.fe.Receive(); err == nil {
		c.t.Fatalf("got %s; want the connection closed", summary(m))
	}
}

// summary prints a backend message compactly for assertions.
func summary(m pgproto3.BackendMessage) string {
	switch m := m.(type) {
	case *pgproto3.AuthenticationOk:
		return "AuthenticationOk"
	case *pgproto3.ReadyForQuery:
		return "ReadyForQuery " + string(m.TxStatus)
	case *pgproto3.CommandComplete:
		return "CommandComplete " + string(m.CommandTag)
	case *pgproto3.ErrorResponse:
		return fmt.Sprintf("Error %s %s %s", m.Severity, m.Code, m.Message)
	case *pgproto3.DataRow:
		vals := make([]string, len(m.Values))
		for i, v := range m.Values {
			if v == nil {
				vals[i] = "NULL"
			} else {
				vals[i] = string(v)
			}
		}
		return "DataRow " + strings.Join(vals, "|")
	case *pgproto3.RowDescription:
		cols := make([]string, len(m.Fields))
		for i, f := range m.Fields {
			cols[i] = fmt.Sprintf("%s:%d:%d", f.Name, f.DataTypeOID, f.Format)
		}
		return "RowDescription " + strings.Join(cols, ",")
	case *pgproto3.ParameterDescription:
		return fmt.Sprintf("ParameterDescription %v", m.ParameterOIDs)
	case *pgproto3.ParameterStatus:
		return "ParameterStatus " + m.Name + "=" + m.Value
	}
	return strings.TrimPrefix(fmt.Sprintf("%T", m), "*pgproto3.")
}

// equalStrings reports whether two summaries are equal.
func equalStrings(a, b []string) bool {
	return strings.Join(a, "\n") == strings.Join(b, "\n")
}

// expectSeq sends msgs and asserts the messages up to ReadyForQuery.
func (c *rawClient) expectSeq(want []string, msgs ...pgproto3.FrontendMessage) {
	c.t.Helper()
	c.send(msgs...)
	if got := c.untilReady(); !equalStrings(got, want) {
		c.t.Errorf("got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

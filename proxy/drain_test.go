package proxy_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tally-db/tally/proxy"
)

// countingMetrics counts connection events.
type countingMetrics struct{ accepted, closed, refused atomic.Int64 }

func (m *countingMetrics) ConnAccepted() { m.accepted.Add(1) }
func (m *countingMetrics) ConnClosed(refused bool) {
	m.closed.Add(1)
	if refused {
		m.refused.Add(1)
	}
}

// drainServer is a server over a fakeEngine with its *proxy.Server, for
// Drain; cancel ends Serve, done yields its result.
type drainServer struct {
	*testServer
	srv *proxy.Server
	m   *countingMetrics
}

func startDrainServer(t *testing.T) *drainServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &countingMetrics{}
	ts := &testServer{engine: &fakeEngine{}, addr: ln.Addr().String(), cancel: cancel, done: make(chan error, 1)}
	srv := proxy.NewServer(proxy.Config{ShutdownGrace: 2 * time.Second, Metrics: m}, ts.engine, slog.New(slog.NewTextHandler(t.Output(), nil)))
	go func() { ts.done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		if err := ts.stop(); err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return &drainServer{testServer: ts, srv: srv, m: m}
}

// TestDrainEndsIdleConnectionsAndLetsTransactionsFinish: an idle
// connection is ended at once with 57P01; one inside a block goes on until
// COMMIT, then ends; Drain returns when both are gone, and the listener is
// closed from the start.
func TestDrainEndsIdleConnectionsAndLetsTransactionsFinish(t *testing.T) {
	ds := startDrainServer(t)
	ctx := context.Background()
	idle, inTx := ds.connect(t, ""), ds.connect(t, "")
	if _, err := inTx.Exec(ctx, "begin"); err != nil {
		t.Fatal(err)
	}
	drained := make(chan error, 1)
	go func() {
		dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		drained <- ds.srv.Drain(dctx)
	}()
	deadline := time.Now().Add(2 * time.Second)
	for !ds.srv.Draining() || ds.srv.OpenConns() != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("draining %v, open %d: the idle connection was not ended", ds.srv.Draining(), ds.srv.OpenConns())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := idle.Exec(ctx, "insert"); pgCode(err) != "57P01" {
		t.Fatalf("idle connection after Drain: %v, want 57P01", err)
	}
	if _, err := net.DialTimeout("tcp", ds.addr, time.Second); err == nil {
		t.Fatal("a connection was accepted while draining")
	}
	for _, sql := range []string{"insert", "insert", "commit"} {
		if _, err := inTx.Exec(ctx, sql); err != nil {
			t.Fatalf("%s inside the block while draining: %v", sql, err)
		}
	}
	if err := <-drained; err != nil {
		t.Fatalf("Drain: %v", err)
	}
	if _, err := inTx.Exec(ctx, "insert"); pgCode(err) != "57P01" && !inTx.IsClosed() {
		t.Fatalf("after COMMIT: %v, want the connection ended (57P01)", err)
	}
	if got := ds.engine.last().ran(); len(got) != 4 {
		t.Fatalf("statements run in the block: %v", got)
	}
	select {
	case err := <-ds.done:
		ds.done <- err
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Serve did not return after the drain")
	}
	if a, c, r := ds.m.accepted.Load(), ds.m.closed.Load(), ds.m.refused.Load(); a != 2 || c != 2 || r != 0 {
		t.Fatalf("metrics: accepted %d closed %d refused %d, want 2 2 0", a, c, r)
	}
}

// TestDrainDeadline: a block still open when Drain's context ends keeps
// its connection; ending Serve then sends it 57P01.
func TestDrainDeadline(t *testing.T) {
	ds := startDrainServer(t)
	ctx := context.Background()
	c := ds.connect(t, "")
	if _, err := c.Exec(ctx, "begin"); err != nil {
		t.Fatal(err)
	}
	dctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if err := ds.srv.Drain(dctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Drain: %v, want the deadline", err)
	}
	if ds.srv.OpenConns() != 1 {
		t.Fatalf("open connections %d, want 1", ds.srv.OpenConns())
	}
	if err := ds.stop(); err != nil {
		t.Fatal(err)
	}
	_, err := c.Exec(ctx, "commit")
	if pgCode(err) != "57P01" {
		t.Fatalf("commit after the hard stop: %v, want 57P01", err)
	}
}

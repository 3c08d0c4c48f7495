package cluster

import (
	"context"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"
)

// fakeServer is a minimal Postgres server: every statement "runs" (is
// counted) and answers UPDATE 1. It needs no Cassandra, so the proxy's
// message boundaries are checked in the plain `go test ./...`.
type fakeServer struct {
	ln    net.Listener
	execs atomic.Int64
	mu    sync.Mutex
	ran   []string // SQL of every executed statement
	wg    sync.WaitGroup
}

func startFake(t *testing.T) *fakeServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeServer{ln: ln}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer conn.Close()
				s.serve(conn)
			}()
		}
	}()
	t.Cleanup(func() { _ = ln.Close(); s.wg.Wait() })
	return s
}

func (s *fakeServer) executed(sql string) {
	s.execs.Add(1)
	s.mu.Lock()
	s.ran = append(s.ran, sql)
	s.mu.Unlock()
}

func (s *fakeServer) serve(conn net.Conn) {
	be := pgproto3.NewBackend(conn, conn)
	for {
		m, err := be.ReceiveStartupMessage()
		if err != nil {
			return
		}
		if _, ok := m.(*pgproto3.SSLRequest); ok {
			if _, err := conn.Write([]byte{'N'}); err != nil {
				return
			}
			continue
		}
		break
	}
	be.Send(&pgproto3.AuthenticationOk{})
	be.Send(&pgproto3.ReadyForQuery{TxStatus: 'I'})
	if be.Flush() != nil {
		return
	}
	stmts, portals := map[string]string{}, map[string]string{}
	for {
		m, err := be.Receive()
		if err != nil {
			return
		}
		switch m := m.(type) {
		case *pgproto3.Query:
			s.executed(m.String)
			be.Send(&pgproto3.CommandComplete{CommandTag: []byte("UPDATE 1")})
			be.Send(&pgproto3.ReadyForQuery{TxStatus: 'I'})
		case *pgproto3.Parse:
			stmts[m.Name] = m.Query
			be.Send(&pgproto3.ParseComplete{})
		case *pgproto3.Describe:
			if m.ObjectType == 'S' {
				oids := make([]uint32, strings.Count(stmts[m.Name], "$"))
				for i := range oids {
					oids[i] = 20 // int8
				}
				be.Send(&pgproto3.ParameterDescription{ParameterOIDs: oids})
			}
			be.Send(&pgproto3.NoData{})
		case *pgproto3.Bind:
			portals[m.DestinationPortal] = stmts[m.PreparedStatement]
			be.Send(&pgproto3.BindComplete{})
		case *pgproto3.Execute:
			s.executed(portals[m.Portal])
			be.Send(&pgproto3.CommandComplete{CommandTag: []byte("UPDATE 1")})
		case *pgproto3.Sync:
			be.Send(&pgproto3.ReadyForQuery{TxStatus: 'I'})
		case *pgproto3.Terminate:
			return
		}
		if be.Flush() != nil {
			return
		}
	}
}

func connect(t *testing.T, addr, params string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	dsn := strings.Replace(DSN(addr, "db"), "sslmode=disable", params, 1)
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect through proxy: %v", err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

func newProxy(t *testing.T, target string) *CutProxy {
	t.Helper()
	p, err := NewCutProxy(target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// run runs sql with a deadline and returns its error.
func run(c *pgx.Conn, sql string, args ...any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := c.Exec(ctx, sql, args...)
	return err
}

// A cut on reply: the server ran the statement, the client got an error and
// a dead connection; a resend on a new connection runs again.
func TestCutOnReply(t *testing.T) {
	for _, tc := range []struct {
		name, params string
		args         []any
	}{
		{"simple protocol", "sslmode=disable&default_query_exec_mode=simple_protocol", nil},
		{"extended protocol", "sslmode=disable", []any{int64(1)}},
		{"after SSLRequest", "sslmode=prefer&default_query_exec_mode=simple_protocol", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startFake(t)
			p := newProxy(t, srv.ln.Addr().String())
			sql := "UPDATE t SET n = n + 1 WHERE id = 1 /*idempotency_key='k-1'*/"
			if tc.args != nil {
				sql = "UPDATE t SET n = n + 1 WHERE id = $1 /*idempotency_key='k-1'*/"
			}
			c := connect(t, p.Addr(), tc.params)
			if err := run(c, "SELECT 'unrelated'"); err != nil {
				t.Fatalf("unarmed statement: %v", err)
			}
			cut := p.Arm("k-1", OnReply)
			if err := run(c, "SELECT 'not matching'"); err != nil {
				t.Fatalf("statement not matching the cut: %v", err)
			}
			if cut.Fired() {
				t.Fatal("cut fired on a statement that does not match")
			}
			if err := run(c, sql, tc.args...); err == nil {
				t.Fatal("the cut statement succeeded")
			} else {
				t.Logf("cut statement: %v", err)
			}
			if !cut.Fired() || p.Cuts() != 1 {
				t.Fatalf("cut fired=%v cuts=%d, want one", cut.Fired(), p.Cuts())
			}
			if got := srv.execs.Load(); got != 3 {
				t.Fatalf("server ran %d statements, want 3 (the cut one included)", got)
			}
			if err := run(c, "SELECT 1"); err == nil || !c.IsClosed() {
				t.Fatalf("the cut connection still works (err %v)", err)
			}
			c2 := connect(t, p.Addr(), tc.params)
			if err := run(c2, sql, tc.args...); err != nil {
				t.Fatalf("resend: %v", err)
			}
			if got := srv.execs.Load(); got != 4 {
				t.Fatalf("server ran %d statements, want 4", got)
			}
		})
	}
}

// A cut after send breaks the connection before any reply: the client
// can't know whether the server ran the statement.
func TestCutAfterSend(t *testing.T) {
	srv := startFake(t)
	p := newProxy(t, srv.ln.Addr().String())
	c := connect(t, p.Addr(), "sslmode=disable&default_query_exec_mode=simple_protocol")
	cut := p.Arm("k-2", AfterSend)
	if err := run(c, "UPDATE t SET n = n + 1 /*idempotency_key='k-2'*/"); err == nil {
		t.Fatal("the cut statement succeeded")
	}
	select {
	case <-cut.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("cut never fired")
	}
	if n := srv.execs.Load(); n > 1 {
		t.Fatalf("server ran the statement %d times", n)
	}
}

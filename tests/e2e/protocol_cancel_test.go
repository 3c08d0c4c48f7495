package e2e

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/tally-db/tally/app"
	"github.com/tally-db/tally/rewrite"
	"github.com/tally-db/tally/tests/harness"
)

// stallingStore holds back reads whose CQL contains match until the
// read's context ends: a Cassandra that takes its time, so that a
// statement is reliably running when the test cancels it.
type stallingStore struct {
	rewrite.Store
	match   atomic.Value  // string
	stalled chan struct{} // receives once per stalled read
}

// Query implements rewrite.Store.
func (s *stallingStore) Query(ctx context.Context, st rewrite.Stmt) ([][]any, error) {
	if m, _ := s.match.Load().(string); m != "" && strings.Contains(st.CQL, m) {
		select {
		case s.stalled <- struct{}{}:
		default:
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(30 * time.Second):
		}
	}
	return s.Store.Query(ctx, st)
}

// 7. A CancelRequest from another connection cancels the running
// statement with 57014, in the simple and the extended protocol, and the
// connection stays usable; a wrong secret cancels nothing.
func TestWireCancelRequest(t *testing.T) {
	tl := harness.Start(t)
	setup := tl.Connect(t)
	mustExec(t, setup, `CREATE TABLE wire_slow (id bigint PRIMARY KEY, hits bigint NOT NULL DEFAULT 0)`)
	mustExec(t, setup, `INSERT INTO wire_slow (id) VALUES (1)`)

	// A second tally over the same Cassandra and database, whose reads of
	// wire_slow stall.
	store := &stallingStore{Store: tl.Raw, stalled: make(chan struct{}, 1)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	cfg := app.Defaults()
	cfg.Settle = 10 * time.Second
	engine := app.NewEngine(cfg, store, log)
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan struct{})
	go func() {
		defer close(served)
		defer engine.Close()
		_ = app.Serve(ctx, engine, ln, log)
	}()
	t.Cleanup(func() { stop(); <-served })
	w := wireTarget{addr: ln.Addr().String(), user: "tester", db: tl.Database}

	c := w.raw(t)
	cancel := func(secret []byte) {
		t.Helper()
		nc, err := net.DialTimeout("tcp", w.addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		_ = nc.SetDeadline(time.Now().Add(5 * time.Second))
		fe := pgproto3.NewFrontend(nc, nc)
		fe.Send(&pgproto3.CancelRequest{ProcessID: c.pid, SecretKey: secret})
		if err := fe.Flush(); err != nil {
			t.Fatal(err)
		}
		// The server answers nothing and closes the connection.
		if _, err := nc.Read(make([]byte, 1)); err == nil {
			t.Fatal("the server answered a CancelRequest")
		}
	}
	// drain forgets stalls signalled by the reads of earlier statements
	// (a read of the row and of its deltas run in parallel).
	drain := func() {
		for {
			select {
			case <-store.stalled:
			default:
				return
			}
		}
	}
	waitStalled := func() {
		t.Helper()
		select {
		case <-store.stalled:
		case <-time.After(10 * time.Second):
			t.Fatal("the statement never reached Cassandra")
		}
	}
	const slow = `SELECT hits FROM wire_slow WHERE id = 1`

	// Planning reads the catalog, which this new tally has not loaded
	// yet: a cancel reaches a Parse stalled there.
	store.match.Store("tally_catalog")
	c.send(msgs(pbe(slow), &pgproto3.Sync{})...)
	waitStalled()
	cancel(c.secret)
	if got := c.untilReady(); strings.Join(got, ",") != "Error 57014,ReadyForQuery I" {
		t.Fatalf("Parse cancelled: %q; want 57014 then ReadyForQuery I", got)
	}
	store.match.Store("_wire_slow_")

	drain()
	c.send(&pgproto3.Query{String: slow})
	waitStalled()
	wrong := append([]byte(nil), c.secret...)
	wrong[0] ^= 0xff
	cancel(wrong)
	_ = c.nc.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if m, err := c.fe.Receive(); err == nil {
		t.Fatalf("a CancelRequest with a wrong secret cancelled: %s", summarize(m))
	}
	_ = c.nc.SetReadDeadline(time.Now().Add(30 * time.Second))
	cancel(c.secret)
	if got := c.untilReady(); strings.Join(got, ",") != "Error 57014,ReadyForQuery I" {
		t.Fatalf("simple query cancelled: %q; want 57014 then ReadyForQuery I", got)
	}

	drain()
	c.send(msgs(pbe(slow), &pgproto3.Sync{})...)
	waitStalled()
	cancel(c.secret)
	if got := c.untilReady(); strings.Join(got, ",") != "ParseComplete,BindComplete,Error 57014,ReadyForQuery I" {
		t.Fatalf("extended query cancelled: %q; want 57014 then ReadyForQuery I", got)
	}

	// In a block the cancelled statement fails it, as any error does.
	c.expect([]string{"CommandComplete BEGIN", "ReadyForQuery T"}, &pgproto3.Query{String: "BEGIN"})
	drain()
	c.send(&pgproto3.Query{String: slow})
	waitStalled()
	cancel(c.secret)
	if got := c.untilReady(); got[len(got)-2] != "Error 57014" || got[len(got)-1] != "ReadyForQuery E" {
		t.Fatalf("cancelled in a block: %q; want 57014 then ReadyForQuery E", got)
	}
	c.expect([]string{"CommandComplete ROLLBACK", "ReadyForQuery I"}, &pgproto3.Query{String: "ROLLBACK"})

	// The connection still works, and pgx's CancelRequest works too.
	c.expect([]string{"RowDescription ?column?:23:-1:0", `DataRow "1"`, "CommandComplete SELECT 1", "ReadyForQuery I"},
		&pgproto3.Query{String: "SELECT 1"})
	p := w.pgx(t)
	drain()
	cancelled := make(chan error, 1)
	go func() {
		select {
		case <-store.stalled:
			cancelled <- p.PgConn().CancelRequest(context.Background())
		case <-time.After(10 * time.Second):
			cancelled <- errors.New("the statement never reached Cassandra")
		}
	}()
	_, err = p.Exec(context.Background(), `SELECT hits FROM wire_slow WHERE id = $1`, 1)
	if cerr := <-cancelled; cerr != nil {
		t.Fatal(cerr)
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "57014" {
		t.Fatalf("pgx: %v; want 57014", err)
	}
	var n int64
	if err := p.QueryRow(context.Background(), `SELECT 41 + 1`).Scan(&n); err != nil || n != 42 {
		t.Fatalf("pgx after the cancel: %d %v", n, err)
	}
}

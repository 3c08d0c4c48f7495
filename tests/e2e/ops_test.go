package e2e

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tally-db/tally/app"
	"github.com/tally-db/tally/tests/harness"
)

// Issue 6: metrics, pg_stat_activity, readiness, graceful drain.

func createPosts(t *testing.T, c *pgx.Conn, ids ...int64) {
	t.Helper()
	mustExec(t, c, "CREATE TABLE posts (post_id bigint PRIMARY KEY, likes bigint NOT NULL DEFAULT 0)")
	for _, id := range ids {
		mustExec(t, c, "INSERT INTO posts (post_id) VALUES ($1)", id)
	}
}

// TestMetricsCountWhatHappened: each family of /metrics moves by exactly
// what the clients did.
func TestMetricsCountWhatHappened(t *testing.T) {
	s := harness.StartServer(t, nil)
	c := s.Connect(t)
	createPosts(t, c, 1)
	const n = 25
	for range n {
		expectTag(t, c, "UPDATE 1", "UPDATE posts SET likes = likes + 1 WHERE post_id = $1", int64(1))
	}
	for range 3 { // one claim, two hits
		expectTag(t, c, "UPDATE 1", "UPDATE posts SET likes = likes + 1 WHERE post_id = 1 /*idempotency_key='m-1'*/")
	}
	mustExec(t, c, "BEGIN")
	mustExec(t, c, "UPDATE posts SET likes = likes + 1 WHERE post_id = 1")
	mustExec(t, c, "COMMIT")
	mustExec(t, c, "BEGIN")
	mustExec(t, c, "UPDATE posts SET likes = likes + 1 WHERE post_id = 1")
	mustExec(t, c, "ROLLBACK")
	expectCode(t, c, "42P01", "SELECT * FROM nope WHERE id = 1")
	if got := likesOf(t, c, 1); got != n+2 {
		t.Fatalf("likes = %d, want %d", got, n+2)
	}

	for sample, want := range map[string]float64{
		`tally_statement_duration_seconds_count{kind="update",outcome="ok"}`: n + 3 + 2,
		`tally_statement_duration_seconds_count{kind="insert",outcome="ok"}`: 1,
		`tally_statement_duration_seconds_count{kind="ddl",outcome="ok"}`:    1,
		`tally_transactions_total{outcome="committed"}`:                      1,
		`tally_transactions_total{outcome="rolled_back"}`:                    1,
		`tally_idempotency_key_hits_total`:                                   2,
		`tally_sessions{state="active"}`:                                     0,
		`tally_sessions{state="idle"}`:                                       1,
		`tally_connections_open`:                                             1,
		`tally_draining`:                                                     0,
	} {
		if got := s.Metric(t, sample); got != want {
			t.Errorf("%s = %v, want %v", sample, got, want)
		}
	}
	if got := s.Metric(t, `tally_statement_duration_seconds_count{kind="select",outcome="error"}`); got < 1 {
		t.Errorf("select errors = %v, want >= 1", got)
	}
	// Every increment is at least one Cassandra write (keyed ones a batch or LWT too).
	if got := s.Metric(t, `tally_cassandra_request_duration_seconds_count{kind="write"}`); got < n {
		t.Errorf("cassandra writes = %v, want >= %d", got, n)
	}
	if got := s.Metric(t, `tally_cassandra_request_duration_seconds_count{kind="lwt"}`); got < 3 {
		t.Errorf("cassandra LWTs = %v, want >= 3 (idempotency claims)", got)
	}
	if got := s.Metric(t, "tally_connections_accepted_total"); got < 1 {
		t.Errorf("accepted = %v", got)
	}
	for _, family := range []string{"tally_cassandra_retries_total", "tally_cassandra_unknown_outcomes_total", "tally_rollup_backlog",
		"tally_rollup_lag_seconds", "tally_connections_refused_total", "go_goroutines", "process_open_fds"} {
		if _, body := s.Get(t, "/metrics"); !strings.Contains(body, family) {
			t.Errorf("/metrics lacks %s", family)
		}
	}
}

// TestRefusedConnectionsAreCounted: a failed startup counts as refused.
func TestRefusedConnectionsAreCounted(t *testing.T) {
	certs := makeCerts(t)
	s := harness.StartServer(t, func(c *app.Config) { c.TLSRequired, c.TLSCert, c.TLSKey = true, certs.cert, certs.key })
	_, err := pgx.Connect(context.Background(), s.DSN()) // sslmode=disable: refused 28000
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "28000" {
		t.Fatalf("connect without TLS: %v, want 28000", err)
	}
	waitFor(t, func() bool { return s.Metric(t, "tally_connections_refused_total") == 1 }, "refused = 1")
	if got := s.Metric(t, "tally_connections_open"); got != 0 {
		t.Fatalf("open = %v, want 0", got)
	}
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestPgStatActivity: psql's pg_stat_activity shows tally's client
// connections with user, database, application_name, client address,
// state, transaction and query start, and the current statement.
func TestPgStatActivity(t *testing.T) {
	s := harness.StartServer(t, nil)
	ctx := context.Background()
	cfg, _ := pgx.ParseConfig(s.DSN())
	cfg.RuntimeParams["application_name"] = "worker-7"
	other, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close(ctx)
	createPosts(t, other, 1)
	mustExec(t, other, "BEGIN")
	mustExec(t, other, "UPDATE posts SET likes = likes + 1 WHERE post_id = 1")

	c := s.Connect(t)
	mustExec(t, c, "SET application_name = 'psql-like'")
	rows, err := c.Query(ctx, `SELECT pid, usename, datname, application_name, client_addr, state, query,
		backend_start IS NOT NULL, xact_start IS NOT NULL, query_start IS NOT NULL, backend_type
		FROM pg_stat_activity ORDER BY pid`)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		pid                     int32
		user, db, app, addr     string
		state, query, btype     string
		started, inXact, hasQry bool
	}
	var got []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.pid, &r.user, &r.db, &r.app, &r.addr, &r.state, &r.query, &r.started, &r.inXact, &r.hasQry, &r.btype); err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("pg_stat_activity: %d rows, want 2: %+v", len(got), got)
	}
	idle, me := got[0], got[1]
	if idle.pid != int32(other.PgConn().PID()) || me.pid != int32(c.PgConn().PID()) {
		t.Fatalf("pids %d, %d; want %d, %d", idle.pid, me.pid, other.PgConn().PID(), c.PgConn().PID())
	}
	want := row{pid: idle.pid, user: "tester", db: s.Database, app: "worker-7", addr: "127.0.0.1", state: "idle in transaction",
		query: "UPDATE posts SET likes = likes + 1 WHERE post_id = 1", started: true, inXact: true, hasQry: true, btype: "client backend"}
	if idle != want {
		t.Errorf("the other session:\n got %+v\nwant %+v", idle, want)
	}
	if me.state != "active" || me.app != "psql-like" || !strings.HasPrefix(me.query, "SELECT pid, usename") || me.inXact {
		t.Errorf("this session: %+v", me)
	}
	mustExec(t, other, "COMMIT")
	var state string
	if err := c.QueryRow(ctx, "SELECT state FROM pg_stat_activity WHERE pid = $1", int32(other.PgConn().PID())).Scan(&state); err != nil || state != "idle" {
		t.Fatalf("after COMMIT: state %q, %v; want idle", state, err)
	}
	other.Close(ctx)
	waitFor(t, func() bool {
		var n int
		_ = c.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity").Scan(&n)
		return n == 1
	}, "the closed session to leave pg_stat_activity")
}

// TestHealthAndReadiness: /healthz answers; /readyz is ready, then fails
// as soon as draining starts.
func TestHealthAndReadiness(t *testing.T) {
	s := harness.StartServer(t, nil)
	waitFor(t, func() bool { code, _ := s.Get(t, "/readyz"); return code == 200 }, "/readyz 200")
	if code, body := s.Get(t, "/healthz"); code != 200 || body != "ok\n" {
		t.Fatalf("/healthz: %d %q", code, body)
	}
	if code, _ := s.Get(t, "/debug/pprof/"); code != 404 {
		t.Fatalf("pprof without --pprof: %d, want 404", code)
	}
	c := s.Connect(t)
	mustExec(t, c, "BEGIN") // keeps the drain waiting
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	drained := make(chan error, 1)
	go func() { drained <- s.Drain(ctx) }()
	waitFor(t, func() bool { return s.Proxy.Draining() }, "draining")
	code, body := s.Get(t, "/readyz")
	if code != 503 || !strings.Contains(body, "draining") {
		t.Fatalf("/readyz while draining: %d %q, want 503 draining", code, body)
	}
	if code, _ := s.Get(t, "/healthz"); code != 200 {
		t.Fatalf("/healthz while draining: %d", code)
	}
	if got := s.Metric(t, "tally_draining"); got != 1 {
		t.Fatalf("tally_draining = %v", got)
	}
	// New connections are refused: the listener is closed.
	if _, err := net.DialTimeout("tcp", s.Addr, time.Second); err == nil {
		t.Fatal("a new connection was accepted while draining")
	}
	mustExec(t, c, "COMMIT") // the open transaction may finish; then the connection ends
	if err := <-drained; err != nil {
		t.Fatalf("Drain: %v", err)
	}
	if err := s.Wait(5 * time.Second); err != nil {
		t.Fatal(err)
	}
}

func TestPprofBehindFlag(t *testing.T) {
	s := harness.StartServer(t, func(c *app.Config) { c.Pprof = true })
	if code, body := s.Get(t, "/debug/pprof/"); code != 200 || !strings.Contains(body, "goroutine") {
		t.Fatalf("/debug/pprof/: %d", code)
	}
}

// TestDrainLosesNoIncrement: clients increment (alone and in BEGIN ...
// COMMIT blocks) while the server drains. Every increment acknowledged is
// in the final value read through a fresh tally, none twice, and no
// statement is cut: the value is exactly the acknowledged count.
func TestDrainLosesNoIncrement(t *testing.T) {
	s := harness.StartServer(t, func(c *app.Config) { c.DrainTimeout = 20 * time.Second })
	setup := s.Connect(t)
	createPosts(t, setup, 1)
	setup.Close(context.Background())

	const clients = 8
	var acked, attempted atomic.Int64
	var shutdownErrs atomic.Int64
	var wg sync.WaitGroup
	started := make(chan struct{}, clients)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			c, err := pgx.Connect(ctx, s.DSN())
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close(ctx)
			started <- struct{}{}
			for j := 0; ; j++ {
				var err error
				if i%2 == 0 { // a transaction of two increments
					attempted.Add(2)
					err = pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
						for range 2 {
							if _, err := tx.Exec(ctx, "UPDATE posts SET likes = likes + 1 WHERE post_id = 1"); err != nil {
								return err
							}
							time.Sleep(2 * time.Millisecond) // stay inside the block a while
						}
						return nil
					})
					if err == nil {
						acked.Add(2)
					}
				} else {
					attempted.Add(1)
					_, err = c.Exec(ctx, "UPDATE posts SET likes = likes + 1 WHERE post_id = $1", int64(1))
					if err == nil {
						acked.Add(1)
					}
				}
				if err != nil {
					var pe *pgconn.PgError
					if errors.As(err, &pe) && pe.Code == "57P01" {
						shutdownErrs.Add(1)
					} else if !c.IsClosed() {
						t.Errorf("client %d: %v", i, err)
					}
					return
				}
			}
		}()
	}
	for range clients {
		<-started
	}
	time.Sleep(1500 * time.Millisecond) // load before the drain
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := s.Drain(ctx); err != nil {
		t.Fatalf("Drain: %v", err)
	}
	wg.Wait()
	if err := s.Wait(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	fresh := harness.StartServer(t, nil)
	fresh.Database = s.Database
	c := fresh.Connect(t)
	final := likesOf(t, c, 1)
	t.Logf("attempted %d, acknowledged %d, final %d, clients ended with 57P01: %d", attempted.Load(), acked.Load(), final, shutdownErrs.Load())
	if acked.Load() < 50 {
		t.Fatalf("only %d increments acknowledged: the load did not run", acked.Load())
	}
	if final != acked.Load() {
		t.Fatalf("final %d, acknowledged %d: the drain cut statements or lost acknowledged ones", final, acked.Load())
	}
	if shutdownErrs.Load() != clients {
		t.Fatalf("%d clients ended with 57P01, want %d", shutdownErrs.Load(), clients)
	}
}

// TestDrainDeadlineEndsOpenTransactions: a transaction still open at the
// deadline is ended with FATAL 57P01 and none of its writes apply; one
// that commits before the deadline commits.
func TestDrainDeadlineEndsOpenTransactions(t *testing.T) {
	s := harness.StartServer(t, nil)
	ctx := context.Background()
	setup := s.Connect(t)
	createPosts(t, setup, 1, 2)
	setup.Close(ctx)

	slow, quick := s.Connect(t), s.Connect(t)
	mustExec(t, slow, "BEGIN")
	mustExec(t, slow, "UPDATE posts SET likes = likes + 100 WHERE post_id = 1")
	mustExec(t, quick, "BEGIN")
	mustExec(t, quick, "UPDATE posts SET likes = likes + 1 WHERE post_id = 2")

	dctx, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
	defer cancel()
	drained := make(chan error, 1)
	go func() { drained <- s.Drain(dctx) }()
	waitFor(t, func() bool { return s.Proxy.Draining() }, "draining")
	mustExec(t, quick, "UPDATE posts SET likes = likes + 1 WHERE post_id = 2") // still usable inside its block
	mustExec(t, quick, "COMMIT")
	if err := <-drained; !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Drain: %v, want the deadline", err)
	}
	if err := s.Stop(); err != nil { // what cmd/tally does at the deadline
		t.Fatal(err)
	}
	_, err := slow.Exec(ctx, "COMMIT")
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "57P01" || pe.Severity != "FATAL" || pe.Message != "terminating connection due to administrator command" {
		t.Fatalf("COMMIT after the deadline: %v, want FATAL 57P01", err)
	}
	fresh := harness.StartServer(t, nil)
	fresh.Database = s.Database
	c := fresh.Connect(t)
	if got := likesOf(t, c, 1); got != 0 {
		t.Errorf("post 1: %d, want 0 (the ended transaction rolled back)", got)
	}
	if got := likesOf(t, c, 2); got != 2 {
		t.Errorf("post 2: %d, want 2 (committed during the drain)", got)
	}
}

// TestSlowStatementsAreCounted: statements over the threshold count (and
// are logged).
func TestSlowStatementsAreCounted(t *testing.T) {
	s := harness.StartServer(t, func(c *app.Config) { c.SlowStatement = time.Nanosecond })
	c := s.Connect(t)
	createPosts(t, c, 1)
	mustExec(t, c, "UPDATE posts SET likes = likes + 1 WHERE post_id = 1")
	if got := s.Metric(t, `tally_slow_statements_total{kind="update"}`); got != 1 {
		t.Fatalf("slow updates = %v, want 1", got)
	}
}

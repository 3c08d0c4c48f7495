package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/tally-db/tally/app"
	"github.com/tally-db/tally/tests/harness"
)

// codeOf is the SQLSTATE of err, or "" when it carries none.
func codeOf(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// showSetting reads one setting with SHOW.
func showSetting(t *testing.T, c *pgx.Conn, name string) string {
	t.Helper()
	var v string
	if err := c.QueryRow(context.Background(), "SHOW "+name).Scan(&v); err != nil {
		t.Fatalf("SHOW %s: %v", name, err)
	}
	return v
}

// TestMaxConnectionsLimit: beyond --max-connections a client gets FATAL
// 53300; once one leaves, another gets in.
func TestMaxConnectionsLimit(t *testing.T) {
	tl := harness.StartWith(t, func(c *app.Config) { c.MaxConnections = 3 })
	var conns []*pgx.Conn
	for range 3 {
		conns = append(conns, tl.Connect(t))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := pgx.Connect(ctx, tl.DSN())
	if codeOf(err) != "53300" || !strings.Contains(err.Error(), "sorry, too many clients already") {
		t.Fatalf("4th connection: %v; want FATAL 53300", err)
	}
	if err := conns[0].Close(ctx); err != nil {
		t.Fatal(err)
	}
	for {
		c, err := pgx.Connect(ctx, tl.DSN())
		if err == nil {
			_ = c.Close(ctx)
			break
		}
		if codeOf(err) != "53300" || ctx.Err() != nil {
			t.Fatalf("after one left: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestStatementTimeoutLimit: the server default statement_timeout shows
// in SHOW and cancels a statement that reads Cassandra for longer (57014);
// SET changes it per session and RESET returns to the default.
func TestStatementTimeoutLimit(t *testing.T) {
	tl := harness.StartWith(t, func(c *app.Config) { c.StatementTimeout = time.Millisecond })
	c := tl.Connect(t)
	if v := showSetting(t, c, "statement_timeout"); v != "1" {
		t.Fatalf("server default statement_timeout: SHOW says %q, want 1", v)
	}
	expectTag(t, c, "SET", "SET statement_timeout = 0")
	mustExec(t, c, "CREATE TABLE slow (id bigint PRIMARY KEY, n bigint NOT NULL DEFAULT 0)")
	for i := range 40 {
		mustExec(t, c, "INSERT INTO slow (id) VALUES ($1)", i)
		mustExec(t, c, "UPDATE slow SET n = n + 1 WHERE id = $1", i)
	}
	var sum int64
	if err := c.QueryRow(context.Background(), "SELECT sum(n) FROM slow").Scan(&sum); err != nil || sum != 40 {
		t.Fatalf("scan without a timeout: %d, %v", sum, err)
	}
	// A scan of 40 rows with their deltas takes well over 1 ms.
	expectTag(t, c, "SET", "SET statement_timeout = '1ms'")
	_, err := c.Exec(context.Background(), "SELECT sum(n) FROM slow")
	if codeOf(err) != "57014" || !strings.Contains(err.Error(), "canceling statement due to statement timeout") {
		t.Fatalf("scan beyond statement_timeout: %v; want 57014 canceling statement due to statement timeout", err)
	}
	// The session is still usable, and RESET returns to the default.
	expectTag(t, c, "SET", "SET statement_timeout = '30s'")
	if err := c.QueryRow(context.Background(), "SELECT sum(n) FROM slow").Scan(&sum); err != nil || sum != 40 {
		t.Fatalf("scan after the timeout: %d, %v", sum, err)
	}
	expectTag(t, c, "RESET", "RESET statement_timeout")
	if v := showSetting(t, c, "statement_timeout"); v != "1" {
		t.Fatalf("after RESET: %q", v)
	}
	expectCode(t, c, "22023", "SET statement_timeout = 'soon'")
}

// TestIdleInTransactionTimeoutLimit: a client idle inside BEGIN longer
// than the server default is disconnected with FATAL 25P03, and its
// buffered writes are never applied; SET … = 0 keeps a session open.
func TestIdleInTransactionTimeoutLimit(t *testing.T) {
	tl := harness.StartWith(t, func(c *app.Config) { c.IdleInTransactionTimeout = 300 * time.Millisecond })
	admin := tl.Connect(t)
	mustExec(t, admin, "CREATE TABLE idle (id bigint PRIMARY KEY, n bigint NOT NULL DEFAULT 0)")
	mustExec(t, admin, "INSERT INTO idle (id) VALUES (1)")
	if v := showSetting(t, admin, "idle_in_transaction_session_timeout"); v != "300" {
		t.Fatalf("server default: SHOW says %q, want 300", v)
	}
	time.Sleep(500 * time.Millisecond) // idle outside a block: kept
	c := tl.Connect(t)
	expectTag(t, c, "BEGIN", "BEGIN")
	expectTag(t, c, "UPDATE 1", "UPDATE idle SET n = n + 5 WHERE id = 1")
	time.Sleep(800 * time.Millisecond)
	_, err := c.Exec(context.Background(), "COMMIT")
	if codeOf(err) != "25P03" || !strings.Contains(err.Error(), "idle-in-transaction timeout") {
		t.Fatalf("COMMIT after idling in the block: %v; want FATAL 25P03", err)
	}
	if !c.IsClosed() {
		t.Error("connection still open after FATAL 25P03")
	}
	var n int64
	if err := admin.QueryRow(context.Background(), "SELECT n FROM idle WHERE id = 1").Scan(&n); err != nil || n != 0 {
		t.Fatalf("n = %d, %v; want 0 (the block never committed)", n, err)
	}

	k := tl.Connect(t)
	expectTag(t, k, "SET", "SET idle_in_transaction_session_timeout = 0")
	expectTag(t, k, "BEGIN", "BEGIN")
	expectTag(t, k, "UPDATE 1", "UPDATE idle SET n = n + 5 WHERE id = 1")
	time.Sleep(800 * time.Millisecond)
	expectTag(t, k, "COMMIT", "COMMIT")
	if err := admin.QueryRow(context.Background(), "SELECT n FROM idle WHERE id = 1").Scan(&n); err != nil || n != 5 {
		t.Fatalf("n = %d, %v; want 5", n, err)
	}
}

// TestReadAndKeyLimits: an IN list or ANY array of more than 1,000 keys,
// a scan of more rows than --max-scan-rows, and more than 100 writing
// statements in one block are each 54000, and the session stays usable.
func TestReadAndKeyLimits(t *testing.T) {
	tl := harness.StartWith(t, func(c *app.Config) { c.MaxScanRows = 5 })
	c := tl.Connect(t)
	mustExec(t, c, "CREATE TABLE lim (id bigint PRIMARY KEY, n bigint NOT NULL DEFAULT 0)")
	for i := range 6 {
		mustExec(t, c, "INSERT INTO lim (id) VALUES ($1)", i)
	}
	keys := make([]string, 1001)
	ids := make([]int64, 1001)
	for i := range keys {
		keys[i] = fmt.Sprint(i)
		ids[i] = int64(i)
	}
	expectCode(t, c, "54000", "SELECT n FROM lim WHERE id IN ("+strings.Join(keys, ",")+")")
	expectCode(t, c, "54000", "SELECT n FROM lim WHERE id = ANY($1)", ids)
	expectCode(t, c, "54000", "UPDATE lim SET n = n + 1 WHERE id = ANY($1)", ids)
	expectRows(t, c, 6, "SELECT n FROM lim WHERE id = ANY($1)", ids[:1000]) // 1,000 keys: fine
	expectCode(t, c, "54000", "SELECT count(*) FROM lim")
	expectCode(t, c, "54000", "SELECT * FROM lim WHERE n = 0")
	// A deleted row's partition still counts (its marker is a live cell);
	// a table of 5 partitions scans.
	mustExec(t, c, "CREATE TABLE few (id bigint PRIMARY KEY)")
	mustExec(t, c, "INSERT INTO few (id) VALUES (1), (2), (3), (4), (5)")
	var count int64
	if err := c.QueryRow(context.Background(), "SELECT count(*) FROM few").Scan(&count); err != nil || count != 5 {
		t.Fatalf("scan of 5 rows: %d, %v", count, err)
	}

	expectTag(t, c, "BEGIN", "BEGIN")
	for i := range 100 {
		expectTag(t, c, "UPDATE 1", "UPDATE lim SET n = n + 1 WHERE id = $1", int64(i%5))
	}
	expectCode(t, c, "54000", "UPDATE lim SET n = n + 1 WHERE id = 0")
	expectCode(t, c, "25P02", "SELECT 1")
	expectTag(t, c, "ROLLBACK", "COMMIT")
	var n int64
	if err := c.QueryRow(context.Background(), "SELECT n FROM lim WHERE id = 0").Scan(&n); err != nil || n != 0 {
		t.Fatalf("after the refused block: n = %d, %v; want 0", n, err)
	}
}

// TestStartupTimeoutLimit: a client that connects and sends nothing, or
// stops halfway through its startup packet, is dropped after
// --startup-timeout.
func TestStartupTimeoutLimit(t *testing.T) {
	tl := harness.StartWith(t, func(c *app.Config) { c.StartupTimeout = 300 * time.Millisecond })
	for _, sent := range [][]byte{nil, {0, 0, 0, 40, 0, 3}} {
		nc, err := net.DialTimeout("tcp", tl.Addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		if _, err := nc.Write(sent); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_ = nc.SetReadDeadline(start.Add(5 * time.Second))
		n, err := nc.Read(make([]byte, 1))
		if d := time.Since(start); err != io.EOF || n != 0 || d < 250*time.Millisecond || d > 3*time.Second {
			t.Errorf("after sending %x: read %d bytes, %v after %v; want EOF after about 300ms", sent, n, err, d)
		}
	}
	// A client that starts up in time is unaffected and stays afterwards.
	c := tl.Connect(t)
	time.Sleep(500 * time.Millisecond)
	expectTag(t, c, "SET", "SET application_name = 'still here'")
}

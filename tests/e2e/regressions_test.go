package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tally-db/tally/tests/harness"
)

// Inputs that once crashed tally or answered XX000 (found by trying to
// break it): each gets its SQLSTATE, or Postgres' answer, and the session
// and process stay up.
func TestRegressions(t *testing.T) {
	tl := harness.Start(t)
	c := tl.Connect(t)
	ctx := context.Background()
	mustExec(t, c, postsDDL)
	mustExec(t, c, `CREATE TABLE k2 (a int, b text, c smallint, v bigint, d date, PRIMARY KEY (a, b, c))`)
	mustExec(t, c, `INSERT INTO posts (post_id, title) VALUES (1, 'p')`)

	// Key values outside the key's type match no row, as in Postgres.
	expectRows(t, c, 0, `SELECT * FROM k2 WHERE a = 99999999999 AND b = 'x' AND c = 1`)
	expectRows(t, c, 0, `SELECT * FROM k2 WHERE a = 1 AND b = 'x' AND c IN (1, 70000)`)
	expectRows(t, c, 0, `SELECT * FROM posts WHERE post_id = 99999999999999999999`)
	expectTag(t, c, "DELETE 0", `DELETE FROM k2 WHERE a = 1 AND b = 'x' AND c = 99999`)
	cases := []struct{ code, sql string }{
		{"42883", `SELECT * FROM k2 WHERE a = 1 AND b = 1 AND c = 1`},
		{"42883", `SELECT * FROM k2 WHERE a = true AND b = 'x' AND c = 1`},
		{"42804", `SELECT 1 AND 2`},
		{"42804", `SELECT NOT 1`},
		{"42804", `SELECT * FROM k2 WHERE 1 AND a = 1 AND b = 'x' AND c = 1`},
		{"0A000", `UPDATE posts SET likes = likes + 1 WHERE post_id = 1 AND likes < 100`},
		{"0A000", `SELECT;`},
		{"54001", `SELECT ` + strings.Repeat("1 + ", 50000) + `1`},
	}
	for _, tc := range cases {
		expectCode(t, c, tc.code, tc.sql)
	}

	// Dates Postgres accepts, early ones included, round-trip.
	mustExec(t, c, `INSERT INTO k2 (a, b, c, d) VALUES (1, 'x', 1, '0001-01-01'), (2, 'x', 1, '1969-12-31')`)
	var d time.Time
	if err := c.QueryRow(ctx, `SELECT d FROM k2 WHERE a = 1 AND b = 'x' AND c = 1`).Scan(&d); err != nil || d.Year() != 1 {
		t.Fatalf("date: %v %v", d, err)
	}
	if err := c.QueryRow(ctx, `SELECT d FROM k2 WHERE a = 2 AND b = 'x' AND c = 1`).Scan(&d); err != nil || d.Format("2006-01-02") != "1969-12-31" {
		t.Fatalf("date: %v %v", d, err)
	}

	// Increments past bigint's range fail to read, never wrap.
	mustExec(t, c, `UPDATE posts SET likes = 9223372036854775807 WHERE post_id = 1`)
	mustExec(t, c, `UPDATE posts SET likes = likes + 1 WHERE post_id = 1`)
	expectCode(t, c, "22003", `SELECT likes FROM posts WHERE post_id = 1`)
	mustExec(t, c, `UPDATE posts SET likes = 0 WHERE post_id = 1`)
	if got := likesOf(t, c, 1); got != 0 {
		t.Fatalf("likes = %d", got)
	}

	// Writing too much in one atomic batch is 54000, not XX000.
	var rows []string
	for i := 0; i < 600; i++ {
		rows = append(rows, fmt.Sprintf("(%d, 'a fairly long title for row number %d')", 1000+i, i))
	}
	expectCode(t, c, "54000", `INSERT INTO posts (post_id, title) VALUES `+strings.Join(rows, ", "))
	expectCode(t, c, "54000", `INSERT INTO posts (post_id, title) VALUES (5, $1)`, strings.Repeat("x", 3<<20))

	// INSERT without a column list may leave trailing columns to their defaults.
	expectTag(t, c, "INSERT 0 1", `INSERT INTO posts VALUES (7, 'short')`)
	if got := likesOf(t, c, 7); got != 0 {
		t.Fatalf("default likes = %d", got)
	}
}

// numeric(p,s) rounds to its scale and refuses too many digits, as Postgres.
func TestNumericTypmod(t *testing.T) {
	tl := harness.Start(t)
	c := tl.Connect(t)
	mustExec(t, c, `CREATE TABLE m (id int PRIMARY KEY, price numeric(10,2))`)
	mustExec(t, c, `INSERT INTO m VALUES (1, 12345678.126)`)
	var s string
	if err := c.QueryRow(context.Background(), `SELECT price::text FROM m WHERE id = 1`).Scan(&s); err != nil || s != "12345678.13" {
		t.Fatalf("price = %q, %v", s, err)
	}
	expectCode(t, c, "22003", `INSERT INTO m VALUES (2, 123456789.999)`)
	expectCode(t, c, "22003", `UPDATE m SET price = 100000000 WHERE id = 1`)
}

// Session statements and functions drivers and poolers send on their own.
func TestSessionStatements(t *testing.T) {
	tl := harness.Start(t)
	c := tl.Connect(t)
	ctx := context.Background()
	expectTag(t, c, "UNLISTEN", `UNLISTEN *`)
	expectTag(t, c, "CLOSE CURSOR ALL", `CLOSE ALL`)
	expectCode(t, c, "34000", `CLOSE nope`)
	mustExec(t, c, `SELECT pg_advisory_unlock_all()`)
	var v, iso, app string
	if err := c.QueryRow(ctx, `SELECT set_config('application_name', 'tallytest', false)`).Scan(&v); err != nil || v != "tallytest" {
		t.Fatalf("set_config: %q %v", v, err)
	}
	if err := c.QueryRow(ctx, `SELECT current_setting('application_name')`).Scan(&app); err != nil || app != "tallytest" {
		t.Fatalf("current_setting: %q %v", app, err)
	}
	if err := c.QueryRow(ctx, `SHOW transaction isolation level`).Scan(&iso); err != nil || iso != "read committed" {
		t.Fatalf("isolation: %q %v", iso, err)
	}
	var missing *string
	if err := c.QueryRow(ctx, `SELECT current_setting('tally.nope', true)`).Scan(&missing); err != nil || missing != nil {
		t.Fatalf("missing_ok: %v %v", missing, err)
	}
	expectCode(t, c, "42704", `SELECT current_setting('nope')`)
	var n int64
	if err := c.QueryRow(ctx, `SELECT COALESCE(NULL, $1::int8, 3)`, 7).Scan(&n); err != nil || n != 7 {
		t.Fatalf("coalesce: %d %v", n, err)
	}
	// What Sequelize, psql scripts and Django's test runner send first.
	expectTag(t, c, "SET", `SET client_min_messages TO warning`)
	expectTag(t, c, "SET", `SET TIME ZONE INTERVAL '+00:00' HOUR TO MINUTE`)
	expectCode(t, c, "0A000", `SET TIME ZONE INTERVAL '+02:00' HOUR TO MINUTE`)
	var level, num string
	if err := c.QueryRow(ctx, `SELECT current_setting('client_min_messages'), current_setting('server_version_num')`).Scan(&level, &num); err != nil || level != "warning" || num[:2] != "15" || len(num) != 6 {
		t.Fatalf("settings: %q %q %v", level, num, err)
	}
}

// DEALLOCATE and DISCARD ALL drop the connection's prepared statements.
func TestDeallocate(t *testing.T) {
	tl := harness.Start(t)
	c := tl.Connect(t)
	ctx := context.Background()
	if _, err := c.Prepare(ctx, "one", `SELECT 1`); err != nil {
		t.Fatal(err)
	}
	expectTag(t, c, "DEALLOCATE", `DEALLOCATE one`)
	expectCode(t, c, "26000", `DEALLOCATE one`)
	if _, err := c.PgConn().Prepare(ctx, "two", `SELECT 2`, nil); err != nil {
		t.Fatal(err)
	}
	mustExec(t, c, `SET application_name = 'x'`)
	if _, err := c.PgConn().Exec(ctx, `DISCARD ALL`).ReadAll(); err != nil {
		t.Fatal(err)
	}
	// "two" is gone: preparing the name again is no duplicate (42P05).
	if _, err := c.PgConn().Prepare(ctx, "two", `SELECT 2`, nil); err != nil {
		t.Fatalf("after DISCARD ALL: %v", err)
	}
	var app string
	if err := c.QueryRow(ctx, `SHOW application_name`).Scan(&app); err != nil || app != "" {
		t.Fatalf("application_name after DISCARD ALL = %q, %v", app, err)
	}
	mustExec(t, c, `BEGIN`)
	expectCode(t, c, "25001", `DISCARD ALL`)
}

// A successful statement does not reload the catalog: CodeOf(nil) once
// read as XX000, so every statement rechecked its table against Cassandra
// under the keyspace's catalog lock and all statements queued behind it.
func TestSuccessDoesNotReloadCatalog(t *testing.T) {
	tl := harness.Start(t)
	c := tl.Connect(t)
	mustExec(t, c, `CREATE TABLE posts (id bigint PRIMARY KEY, likes bigint NOT NULL DEFAULT 0)`)
	mustExec(t, c, `INSERT INTO posts (id) VALUES (1)`)
	before := len(tl.Store.Reads("tally_catalog"))
	for i := 0; i < 50; i++ {
		mustExec(t, c, `UPDATE posts SET likes = likes + 1 WHERE id = $1`, 1)
	}
	// The cache's TTL (1 s) may reload it once or twice meanwhile; a reload
	// per statement would be 50.
	if n := len(tl.Store.Reads("tally_catalog")) - before; n > 5 {
		t.Fatalf("%d catalog reads for 50 increments", n)
	}
}

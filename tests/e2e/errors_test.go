package e2e

import (
	"context"
	"testing"

	"github.com/tally-db/tally/tests/harness"
)

// Unsupported statements and bad values get an ErrorResponse with the
// right SQLSTATE, and the session stays usable after each.
func TestErrorsKeepSessionUsable(t *testing.T) {
	tl := harness.Start(t)
	c := tl.Connect(t)
	mustExec(t, c, postsDDL)
	mustExec(t, c, `INSERT INTO posts (post_id, title) VALUES (1, 'p')`)
	cases := []struct{ code, sql string }{
		{"42601", `SELEC 1`},
		{"42P01", `SELECT * FROM nope WHERE id = 1`},
		{"42P01", `UPDATE nope SET likes = likes + 1 WHERE post_id = 1`},
		{"42703", `SELECT nope FROM posts WHERE post_id = 1`},
		{"42703", `UPDATE posts SET nope = 1 WHERE post_id = 1`},
		{"42703", `INSERT INTO posts (post_id, nope) VALUES (2, 1)`},
		{"22P02", `INSERT INTO posts (post_id, title, likes) VALUES (2, 'x', 'many')`},
		{"22P02", `SELECT * FROM posts WHERE post_id = 'abc'`},
		{"22P02", `INSERT INTO posts (post_id, title, author) VALUES (2, 'x', 'not-a-uuid')`},
		{"22007", `INSERT INTO posts (post_id, title, created_at) VALUES (2, 'x', 'yesterday-ish')`},
		{"22003", `INSERT INTO posts (post_id, title, shares) VALUES (2, 'x', 99999999999)`},
		{"42804", `INSERT INTO posts (post_id, title, published) VALUES (2, 'x', 42)`},
		{"23502", `INSERT INTO posts (post_id, likes) VALUES (2, 1)`},
		{"23502", `INSERT INTO posts (title) VALUES ('no key')`},
		{"23502", `UPDATE posts SET title = NULL WHERE post_id = 1`},
		{"23505", `INSERT INTO posts (post_id, title) VALUES (1, 'dup')`},
		{"42P07", `CREATE TABLE posts (id int PRIMARY KEY)`},
		{"42701", `CREATE TABLE t2 (id int PRIMARY KEY, id text)`},
		{"0A000", `CREATE TABLE nokey (id int)`},
		{"0A000", `UPDATE posts SET likes = shares + 1 WHERE post_id = 1`},
		{"0A000", `SELECT * FROM posts FOR UPDATE`},
		{"0A000", `SELECT count(*) OVER () FROM posts`},
		{"0A000", `CREATE INDEX ON posts (title)`},
		{"0A000", `CREATE TABLE s (id bigint PRIMARY KEY, tags text[])`},
		{"42P01", `DROP TABLE nope`},
		{"42704", `CREATE TABLE s (id int PRIMARY KEY, v nosuchtype)`},
		{"42883", `SELECT nosuchfunc()`},
	}
	for _, tc := range cases {
		expectCode(t, c, tc.code, tc.sql)
		if got := likesOf(t, c, 1); got != 0 {
			t.Fatalf("after %q: likes = %d", tc.sql, got)
		}
	}
	expectTag(t, c, "DROP TABLE", `DROP TABLE IF EXISTS nope`)
}

// No table in tally's keyspaces has a column of CQL type counter.
func TestNoCounterColumns(t *testing.T) {
	tl := harness.Start(t)
	c := tl.Connect(t)
	mustExec(t, c, postsDDL)
	rows, err := tl.Raw.Query(context.Background(), harness.Stmt(
		`SELECT keyspace_name, table_name, column_name, type FROM system_schema.columns`))
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, r := range rows {
		if r[0] != tl.Database {
			continue
		}
		seen++
		if r[3] == "counter" {
			t.Errorf("%s.%s.%s is a counter", r[0], r[1], r[2])
		}
	}
	if seen == 0 {
		t.Fatal("found no columns in the test keyspace: the check checked nothing")
	}
}

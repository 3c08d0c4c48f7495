package e2e

import (
	"context"
	"testing"

	"github.com/tally-db/tally/tests/harness"
)

// UPDATE and DELETE without the primary key in WHERE scan the table, as
// migration tools need: Knex takes its migration lock with
// `UPDATE knex_migrations_lock SET is_locked = 1 WHERE is_locked = 0` and
// counts on `UPDATE 1`.
func TestUpdateDeleteWithoutKey(t *testing.T) {
	tl := harness.Start(t)
	c := tl.Connect(t)
	ctx := context.Background()
	mustExec(t, c, `CREATE TABLE knex_migrations_lock ("index" serial PRIMARY KEY, is_locked integer)`)
	mustExec(t, c, `INSERT INTO knex_migrations_lock (is_locked) VALUES (0)`)
	mustExec(t, c, `BEGIN`)
	expectTag(t, c, "UPDATE 1", `UPDATE knex_migrations_lock SET is_locked = 1 WHERE is_locked = 0`)
	mustExec(t, c, `COMMIT`)
	expectTag(t, c, "UPDATE 0", `UPDATE knex_migrations_lock SET is_locked = 1 WHERE is_locked = 0`)
	expectTag(t, c, "UPDATE 1", `UPDATE knex_migrations_lock SET is_locked = 0`)

	mustExec(t, c, `CREATE TABLE migrations (app text, name text, applied timestamptz DEFAULT now(), PRIMARY KEY (app, name))`)
	mustExec(t, c, `INSERT INTO migrations (app, name) VALUES ('blog', '0001'), ('blog', '0002'), ('auth', '0001')`)
	expectTag(t, c, "DELETE 2", `DELETE FROM migrations WHERE app = 'blog'`)
	expectTag(t, c, "DELETE 0", `DELETE FROM migrations WHERE name = '0002'`)
	rows, err := c.Query(ctx, `DELETE FROM migrations WHERE name LIKE '0%' RETURNING app`)
	if err != nil {
		t.Fatal(err)
	}
	var apps []string
	for rows.Next() {
		var a string
		_ = rows.Scan(&a)
		apps = append(apps, a)
	}
	if rows.Err() != nil || len(apps) != 1 || apps[0] != "auth" {
		t.Fatalf("DELETE ... RETURNING: %v, %v; want [auth]", apps, rows.Err())
	}
	expectTag(t, c, "DELETE 0", `DELETE FROM migrations`)

	// Counters: an increment of every row is fine, a conditional one is not
	// (the condition could not be checked atomically with the add).
	mustExec(t, c, `CREATE TABLE posts (id bigint PRIMARY KEY, likes bigint NOT NULL DEFAULT 0, title text)`)
	mustExec(t, c, `INSERT INTO posts (id, title) VALUES (1, 'a'), (2, 'b')`)
	expectTag(t, c, "UPDATE 2", `UPDATE posts SET likes = likes + 3`)
	expectCode(t, c, "0A000", `UPDATE posts SET likes = likes + 1 WHERE title = 'a'`)
	expectTag(t, c, "UPDATE 1", `UPDATE posts SET likes = 10 WHERE title = 'a'`)
	var a, b int64
	if err := c.QueryRow(ctx, `SELECT likes FROM posts WHERE id = 1`).Scan(&a); err != nil {
		t.Fatal(err)
	}
	if err := c.QueryRow(ctx, `SELECT likes FROM posts WHERE id = 2`).Scan(&b); err != nil {
		t.Fatal(err)
	}
	if a != 10 || b != 3 {
		t.Fatalf("likes %d, %d; want 10, 3", a, b)
	}
}

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

// UPDATE of a primary key column moves the row (Alembic's version bump:
// UPDATE alembic_version SET version_num = '0002' WHERE version_num = '0001').
func TestUpdatePrimaryKey(t *testing.T) {
	tl := harness.Start(t)
	c := tl.Connect(t)
	ctx := context.Background()
	mustExec(t, c, `CREATE TABLE alembic_version (version_num varchar(32) NOT NULL PRIMARY KEY)`)
	mustExec(t, c, `INSERT INTO alembic_version (version_num) VALUES ('0001')`)
	expectTag(t, c, "UPDATE 1", `UPDATE alembic_version SET version_num='0002' WHERE alembic_version.version_num = '0001'`)
	expectRows(t, c, 1, `SELECT version_num FROM alembic_version`)
	var v string
	if err := c.QueryRow(ctx, `SELECT version_num FROM alembic_version`).Scan(&v); err != nil || v != "0002" {
		t.Fatalf("version %q, %v; want 0002", v, err)
	}
	expectTag(t, c, "UPDATE 0", `UPDATE alembic_version SET version_num='0003' WHERE version_num = '0001'`)

	mustExec(t, c, `CREATE TABLE posts (id bigint PRIMARY KEY, title text, likes bigint NOT NULL DEFAULT 0)`)
	mustExec(t, c, `INSERT INTO posts (id, title) VALUES (1, 'a'), (2, 'b')`)
	mustExec(t, c, `UPDATE posts SET likes = likes + 5 WHERE id = 1`)
	var id, likes int64
	if err := c.QueryRow(ctx, `UPDATE posts SET id = 10, likes = likes + 1 WHERE id = 1 RETURNING id, likes`).Scan(&id, &likes); err != nil || id != 10 || likes != 6 {
		t.Fatalf("moved row: %d %d, %v; want 10 6", id, likes, err)
	}
	expectRows(t, c, 0, `SELECT * FROM posts WHERE id = 1`)
	expectCode(t, c, "23505", `UPDATE posts SET id = 2 WHERE id = 10`)
	// Increments after the move count from the moved value.
	mustExec(t, c, `UPDATE posts SET likes = likes + 1 WHERE id = 10`)
	if err := c.QueryRow(ctx, `SELECT likes FROM posts WHERE id = 10`).Scan(&likes); err != nil || likes != 7 {
		t.Fatalf("likes after the move: %d, %v; want 7", likes, err)
	}
	// Inside a block the move is seen, and ROLLBACK undoes it.
	mustExec(t, c, `BEGIN`)
	expectTag(t, c, "UPDATE 1", `UPDATE posts SET id = 20 WHERE id = 10`)
	expectRows(t, c, 1, `SELECT * FROM posts WHERE id = 20`)
	mustExec(t, c, `ROLLBACK`)
	expectRows(t, c, 1, `SELECT * FROM posts WHERE id = 10`)
}

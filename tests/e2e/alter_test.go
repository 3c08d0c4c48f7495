package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/tally-db/tally/tests/harness"
)

// ALTER TABLE ADD COLUMN: existing rows read the new column's DEFAULT, as
// Postgres fills them, and a new counter counts from there.
func TestAlterTableAddColumn(t *testing.T) {
	tl := harness.Start(t)
	c := tl.Connect(t)
	ctx := context.Background()
	mustExec(t, c, `CREATE TABLE posts (id bigint PRIMARY KEY, title text)`)
	mustExec(t, c, `INSERT INTO posts (id, title) VALUES (1, 'old'), (2, 'old')`)
	// A prepared statement planned before the ALTER is planned again after it.
	if _, err := c.Prepare(ctx, "ins", `INSERT INTO posts VALUES ($1, $2)`); err != nil {
		t.Fatal(err)
	}
	expectTag(t, c, "ALTER TABLE", `ALTER TABLE posts ADD COLUMN likes bigint NOT NULL DEFAULT 0, ADD COLUMN note text`)
	expectTag(t, c, "ALTER TABLE", `ALTER TABLE posts ADD COLUMN IF NOT EXISTS likes bigint`)
	expectCode(t, c, "42701", `ALTER TABLE posts ADD COLUMN likes bigint`)
	expectCode(t, c, "23502", `ALTER TABLE posts ADD COLUMN must bigint NOT NULL`)
	expectTag(t, c, "UPDATE 1", `UPDATE posts SET likes = likes + 5 WHERE id = 1`)
	mustExec(t, c, `INSERT INTO posts (id, title) VALUES (3, 'new')`)
	mustExec(t, c, `UPDATE posts SET likes = likes + 1 WHERE id = 3`)
	expectTag(t, c, "INSERT 0 1", "ins", 4, "prepared")
	for id, want := range map[int64]int64{1: 5, 2: 0, 3: 1, 4: 0} {
		var likes int64
		var note *string
		if err := c.QueryRow(ctx, `SELECT likes, note FROM posts WHERE id = $1`, id).Scan(&likes, &note); err != nil || likes != want || note != nil {
			t.Errorf("post %d: likes %d note %v, %v; want %d NULL", id, likes, note, err, want)
		}
	}
	// Defaults and NOT NULL change; the type stays (ORM migrators re-send it).
	expectTag(t, c, "ALTER TABLE", `ALTER TABLE posts ALTER COLUMN title SET DEFAULT 'untitled'`)
	mustExec(t, c, `INSERT INTO posts (id) VALUES (5)`)
	var title string
	if err := c.QueryRow(ctx, `SELECT title FROM posts WHERE id = 5`).Scan(&title); err != nil || title != "untitled" {
		t.Fatalf("default after SET DEFAULT: %q %v", title, err)
	}
	expectTag(t, c, "ALTER TABLE", `ALTER TABLE posts ALTER COLUMN likes TYPE bigint`)
	expectCode(t, c, "0A000", `ALTER TABLE posts ALTER COLUMN likes TYPE text`)
	expectCode(t, c, "23502", `ALTER TABLE posts ALTER COLUMN note SET NOT NULL`)
	expectTag(t, c, "ALTER TABLE", `ALTER TABLE posts ALTER COLUMN title SET NOT NULL`)
	expectCode(t, c, "23502", `INSERT INTO posts (id, title) VALUES (6, NULL)`)
	expectCode(t, c, "42P16", `ALTER TABLE posts ALTER COLUMN id DROP NOT NULL`)
	expectCode(t, c, "42703", `ALTER TABLE posts ALTER COLUMN nope SET DEFAULT 1`)
	expectCode(t, c, "0A000", `ALTER TABLE posts RENAME COLUMN title TO name`)
	expectCode(t, c, "0A000", `ALTER TABLE posts ADD CONSTRAINT posts_title_uniq UNIQUE (title)`)
	_, err := c.Exec(ctx, `ALTER TABLE posts DROP COLUMN note`)
	if err == nil || !strings.Contains(err.Error(), "ALTER TABLE ... DROP COLUMN") {
		t.Fatalf("DROP COLUMN: %v; want 0A000 naming DROP COLUMN", err)
	}
	// Knex runs a migration inside its lock transaction: writes, then ALTER.
	mustExec(t, c, `BEGIN`)
	mustExec(t, c, `INSERT INTO posts (id, title) VALUES (7, 'in block')`)
	expectTag(t, c, "ALTER TABLE", `ALTER TABLE posts ADD COLUMN shares bigint NOT NULL DEFAULT 0`)
	mustExec(t, c, `UPDATE posts SET shares = shares + 3 WHERE id = 7`)
	mustExec(t, c, `COMMIT`)
	var shares int64
	if err := c.QueryRow(ctx, `SELECT shares FROM posts WHERE id = 7`).Scan(&shares); err != nil || shares != 3 {
		t.Fatalf("shares after ALTER in a block: %d, %v; want 3", shares, err)
	}
	expectTag(t, c, "ALTER TABLE", `ALTER TABLE IF EXISTS nope ADD COLUMN x int`)
	expectCode(t, c, "42P01", `ALTER TABLE nope ADD COLUMN x int`)
}

package e2e

import (
	"context"
	"testing"

	"github.com/tally-db/tally/tests/harness"
)

// Savepoints mark the transaction's buffer: ROLLBACK TO discards what came
// after the mark, and recovers a failed block, as psycopg and SQLAlchemy's
// nested transactions use them.
func TestSavepoints(t *testing.T) {
	tl := harness.Start(t)
	c := tl.Connect(t)
	ctx := context.Background()
	mustExec(t, c, `CREATE TABLE posts (id bigint PRIMARY KEY, likes bigint NOT NULL DEFAULT 0)`)
	status := func(want byte) {
		t.Helper()
		if got := c.PgConn().TxStatus(); got != want {
			t.Fatalf("transaction status %q; want %q", got, want)
		}
	}
	expectCode(t, c, "25P01", `SAVEPOINT s1`)
	expectCode(t, c, "25P01", `ROLLBACK TO SAVEPOINT s1`)
	mustExec(t, c, `BEGIN`)
	mustExec(t, c, `INSERT INTO posts (id) VALUES (1)`)
	expectTag(t, c, "SAVEPOINT", `SAVEPOINT s1`)
	mustExec(t, c, `INSERT INTO posts (id) VALUES (2)`)
	mustExec(t, c, `UPDATE posts SET likes = likes + 5 WHERE id = 1`)
	expectRows(t, c, 2, `SELECT id FROM posts WHERE id IN (1, 2)`)
	expectTag(t, c, "ROLLBACK", `ROLLBACK TO SAVEPOINT s1`)
	expectRows(t, c, 1, `SELECT id FROM posts WHERE id IN (1, 2)`)
	mustExec(t, c, `UPDATE posts SET likes = likes + 1 WHERE id = 1`)
	mustExec(t, c, `SAVEPOINT "_pg3_1"`)
	expectCode(t, c, "42P01", `SELECT * FROM nope WHERE id = 1`)
	status('E')
	expectCode(t, c, "25P02", `INSERT INTO posts (id) VALUES (3)`)
	expectTag(t, c, "ROLLBACK", `ROLLBACK TO "_pg3_1"`)
	status('T')
	mustExec(t, c, `INSERT INTO posts (id) VALUES (3)`)
	expectTag(t, c, "RELEASE", `RELEASE "_pg3_1"`)
	expectCode(t, c, "3B001", `RELEASE "_pg3_1"`)
	status('E')
	expectTag(t, c, "ROLLBACK", `ROLLBACK TO s1`) // s1 is still set: this drops 3 and the +1
	mustExec(t, c, `INSERT INTO posts (id) VALUES (4)`)
	mustExec(t, c, `UPDATE posts SET likes = likes + 7 WHERE id = 1`)
	expectTag(t, c, "RELEASE", `RELEASE SAVEPOINT s1`)
	expectTag(t, c, "COMMIT", `COMMIT`)
	status('I')
	// 1 (with +7 only) and 4 committed; 2 and 3 were rolled back.
	expectRows(t, c, 2, `SELECT id FROM posts WHERE id IN (1, 2, 3, 4)`)
	var likes int64
	if err := c.QueryRow(ctx, `SELECT likes FROM posts WHERE id = 1`).Scan(&likes); err != nil || likes != 7 {
		t.Fatalf("likes %d, %v; want 7", likes, err)
	}
}

package e2e

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/tally-db/tally/tests/harness"
)

// BEGIN with two increments then ROLLBACK adds nothing; the same with
// COMMIT adds both. Reads inside the block see its own writes.
func TestTransactionCommitRollback(t *testing.T) {
	tl := harness.Start(t)
	c := tl.Connect(t)
	mustExec(t, c, postsDDL)
	mustExec(t, c, `INSERT INTO posts (post_id, title, likes) VALUES (1, 'p', 10)`)

	mustExec(t, c, `BEGIN`)
	mustExec(t, c, `UPDATE posts SET likes = likes + 1 WHERE post_id = 1`)
	mustExec(t, c, `UPDATE posts SET likes = likes + 1 WHERE post_id = 1`)
	if got := likesOf(t, c, 1); got != 12 {
		t.Fatalf("inside the block: likes = %d, want 12", got)
	}
	other := tl.Connect(t)
	if got := likesOf(t, other, 1); got != 10 {
		t.Fatalf("another session sees uncommitted likes = %d, want 10", got)
	}
	expectTag(t, c, "ROLLBACK", `ROLLBACK`)
	if got := likesOf(t, c, 1); got != 10 {
		t.Fatalf("after ROLLBACK: likes = %d, want 10", got)
	}

	mustExec(t, c, `BEGIN`)
	mustExec(t, c, `UPDATE posts SET likes = likes + 1 WHERE post_id = 1`)
	mustExec(t, c, `UPDATE posts SET likes = likes + 1 WHERE post_id = 1`)
	mustExec(t, c, `INSERT INTO posts (post_id, title) VALUES (2, 'new')`)
	mustExec(t, c, `UPDATE posts SET likes = 100 WHERE post_id = 2`)
	mustExec(t, c, `UPDATE posts SET likes = likes + 1 WHERE post_id = 2`)
	expectTag(t, c, "COMMIT", `COMMIT`)
	if got := likesOf(t, other, 1); got != 12 {
		t.Fatalf("after COMMIT: likes = %d, want 12", got)
	}
	if got := likesOf(t, other, 2); got != 101 {
		t.Fatalf("after COMMIT: likes of 2 = %d, want 101 (set then increment keep their order)", got)
	}
}

// After an error the block is failed: further statements get 25P02 and
// COMMIT answers ROLLBACK; nothing of the block is applied.
func TestFailedTransaction(t *testing.T) {
	tl := harness.Start(t)
	c := tl.Connect(t)
	mustExec(t, c, postsDDL)
	mustExec(t, c, `INSERT INTO posts (post_id, title) VALUES (1, 'p')`)
	mustExec(t, c, `BEGIN`)
	mustExec(t, c, `UPDATE posts SET likes = likes + 1 WHERE post_id = 1`)
	expectCode(t, c, "23505", `INSERT INTO posts (post_id, title) VALUES (1, 'dup')`)
	expectCode(t, c, "25P02", `UPDATE posts SET likes = likes + 1 WHERE post_id = 1`)
	expectCode(t, c, "25P02", `SELECT 1`)
	expectCode(t, c, "42601", `SELEC 1`) // parsing comes first, as in Postgres
	expectTag(t, c, "ROLLBACK", `COMMIT`)
	if got := likesOf(t, c, 1); got != 0 {
		t.Fatalf("likes = %d, want 0", got)
	}
	expectCode(t, c, "25P01", `SAVEPOINT s1`) // outside a block
}

// pgx's own transaction API (extended protocol, ReadyForQuery status).
func TestPgxTransaction(t *testing.T) {
	tl := harness.Start(t)
	c := tl.Connect(t)
	ctx := context.Background()
	mustExec(t, c, postsDDL)
	mustExec(t, c, `INSERT INTO posts (post_id, title) VALUES (1, 'p')`)
	err := pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
		for i := 0; i < 5; i++ {
			if _, err := tx.Exec(ctx, `UPDATE posts SET likes = likes + $1 WHERE post_id = $2`, 2, 1); err != nil {
				return err
			}
		}
		var n int64
		if err := tx.QueryRow(ctx, `SELECT likes FROM posts WHERE post_id = $1`, 1).Scan(&n); err != nil {
			return err
		}
		if n != 10 {
			t.Errorf("inside: %d", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := likesOf(t, c, 1); got != 10 {
		t.Fatalf("likes = %d, want 10", got)
	}
	if c.PgConn().TxStatus() != 'I' {
		t.Fatalf("status %c after commit", c.PgConn().TxStatus())
	}
}

// Several statements in one simple query run as one implicit transaction:
// an error in the middle undoes the statements before it.
func TestMultiStatementQueryIsAtomic(t *testing.T) {
	tl := harness.Start(t)
	c := tl.Connect(t)
	ctx := context.Background()
	_, err := c.PgConn().Exec(ctx, postsDDL+`; INSERT INTO posts (post_id, title) VALUES (1, 'p'); UPDATE posts SET likes = likes + 1 WHERE post_id = 1`).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.PgConn().Exec(ctx, `UPDATE posts SET likes = likes + 1 WHERE post_id = 1; SELECT bogus FROM posts WHERE post_id = 1; UPDATE posts SET likes = likes + 100 WHERE post_id = 1`).ReadAll()
	if err == nil {
		t.Fatal("no error")
	}
	if got := likesOf(t, c, 1); got != 1 {
		t.Fatalf("likes = %d, want 1: the statement before the error was kept", got)
	}
	if c.PgConn().TxStatus() != 'I' {
		t.Fatalf("status %c", c.PgConn().TxStatus())
	}
	res, err := c.PgConn().Exec(ctx, `UPDATE posts SET likes = likes + 1 WHERE post_id = 1; SELECT likes FROM posts WHERE post_id = 1`).ReadAll()
	if err != nil || string(res[1].Rows[0][0]) != "2" {
		t.Fatalf("read inside the implicit block: %v %v", res, err)
	}
}

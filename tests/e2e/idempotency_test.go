package e2e

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/tally-db/tally/catalog"
	"github.com/tally-db/tally/tests/harness"
)

// The same statement with the same idempotency key, sent three times,
// adds once; a retry gets the first attempt's tag and RETURNING rows.
func TestIdempotencyKeyComment(t *testing.T) {
	tl := harness.Start(t)
	c := tl.Connect(t)
	ctx := context.Background()
	mustExec(t, c, postsDDL)
	mustExec(t, c, `INSERT INTO posts (post_id, title) VALUES (1, 'p')`)
	const inc = `UPDATE posts SET likes = likes + 1 WHERE post_id = 1 RETURNING likes /*idempotency_key='k1'*/`
	for i := 0; i < 3; i++ {
		var likes int64
		if err := c.QueryRow(ctx, inc).Scan(&likes); err != nil {
			t.Fatal(err)
		}
		if likes != 1 {
			t.Fatalf("attempt %d returned likes = %d, want 1", i+1, likes)
		}
	}
	mustExec(t, c, `UPDATE posts SET likes = likes + 10 WHERE post_id = 1`)
	if got := likesOf(t, c, 1); got != 11 {
		t.Fatalf("likes = %d, want 11", got)
	}
	// The same key with another statement is refused.
	expectCode(t, c, "22023", `UPDATE posts SET likes = likes + 2 WHERE post_id = 1 /*idempotency_key='k1'*/`)
	// A keyed INSERT resent is not a duplicate key: it is the same insert.
	for i := 0; i < 2; i++ {
		expectTag(t, c, "INSERT 0 1", `INSERT INTO posts (post_id, title) VALUES (2, 'q') /*idempotency_key='ins-2'*/`)
	}
	// Parameters are part of the statement: a key reused with other values is refused.
	expectTag(t, c, "UPDATE 1", `UPDATE posts SET likes = likes + $1 WHERE post_id = 2 /*idempotency_key='p1'*/`, 5)
	expectTag(t, c, "UPDATE 1", `UPDATE posts SET likes = likes + $1 WHERE post_id = 2 /*idempotency_key='p1'*/`, 5)
	expectCode(t, c, "22023", `UPDATE posts SET likes = likes + $1 WHERE post_id = 2 /*idempotency_key='p1'*/`, 6)
	if got := likesOf(t, c, 2); got != 5 {
		t.Fatalf("likes of 2 = %d, want 5", got)
	}
}

// SET tally.idempotency_key applies to the next writing statement.
func TestIdempotencyKeySetting(t *testing.T) {
	tl := harness.Start(t)
	c := tl.Connect(t)
	mustExec(t, c, postsDDL)
	mustExec(t, c, `INSERT INTO posts (post_id, title) VALUES (1, 'p')`)
	for i := 0; i < 3; i++ {
		mustExec(t, c, `SET tally.idempotency_key = 'k-set'`)
		expectTag(t, c, "UPDATE 1", `UPDATE posts SET likes = likes + 1 WHERE post_id = 1`)
	}
	// The key was used up: this one counts.
	mustExec(t, c, `UPDATE posts SET likes = likes + 1 WHERE post_id = 1`)
	if got := likesOf(t, c, 1); got != 2 {
		t.Fatalf("likes = %d, want 2", got)
	}
}

// Eight connections racing with the same keyed statement add once.
func TestIdempotencyKeyConcurrentResends(t *testing.T) {
	tl := harness.Start(t)
	c := tl.Connect(t)
	mustExec(t, c, postsDDL)
	mustExec(t, c, `INSERT INTO posts (post_id, title) VALUES (1, 'p')`)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		conn := tl.Connect(t)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := conn.Exec(context.Background(), `UPDATE posts SET likes = likes + 1 WHERE post_id = 1 /*idempotency_key='race'*/`); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got := likesOf(t, c, 1); got != 1 {
		t.Fatalf("likes = %d, want 1", got)
	}
}

// A resend whose first attempt claimed the key but never recorded a result
// (it died, or still runs) runs again with the first attempt's stamp.
func TestIdempotencyKeyResumesPendingClaim(t *testing.T) {
	tl := harness.Start(t)
	c := tl.Connect(t)
	ctx := context.Background()
	mustExec(t, c, postsDDL)
	mustExec(t, c, `INSERT INTO posts (post_id, title) VALUES (1, 'p')`)
	const stmt = `UPDATE posts SET likes = likes + 1 WHERE post_id = 1 /*idempotency_key='pending'*/`
	ts := time.Now().UnixMicro()
	txid := [16]byte{0x10, 0, 0, 0, 0, 0, 0x10, 0, 0x80, 0, 1, 2, 3, 4, 5, 6}
	defs, err := tl.Raw.Query(ctx, harness.Stmt(`SELECT def FROM `+tl.Database+`.tally_catalog WHERE name = 'posts'`))
	if err != nil || len(defs) != 1 {
		t.Fatalf("catalog row: %v %v", defs, err)
	}
	table, err := catalog.Unmarshal(defs[0][0].(string))
	if err != nil {
		t.Fatal(err)
	}
	if err := tl.Raw.Exec(ctx, harness.Stmt(
		`INSERT INTO `+tl.Database+`.tally_idempotency (key, fingerprint, ts, txid) VALUES (?, ?, ?, ?)`,
		"pending", stmt+" /* table "+table.ID+" */ []", ts, txid)); err != nil {
		t.Fatal(err)
	}
	expectTag(t, c, "UPDATE 1", stmt)
	expectTag(t, c, "UPDATE 1", stmt)
	if got := likesOf(t, c, 1); got != 1 {
		t.Fatalf("likes = %d, want 1", got)
	}
	rows, err := tl.Raw.Query(ctx, harness.Stmt(`SELECT ts FROM `+tl.Database+`.`+deltaTable(t, tl)+` WHERE c1_post_id = 1 AND shard IN (0, 1, 2, 3)`))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0][0] != ts {
		t.Fatalf("delta rows %v, want one stamped %d (the claim's)", rows, ts)
	}
}

// A key reused after its table was dropped and created again is not a
// replay: the earlier result belongs to another table.
func TestIdempotencyKeyAfterRecreate(t *testing.T) {
	tl := harness.Start(t)
	c := tl.Connect(t)
	ddl := `CREATE TABLE posts (post_id bigint PRIMARY KEY, likes bigint NOT NULL DEFAULT 0)`
	mustExec(t, c, ddl)
	mustExec(t, c, `INSERT INTO posts (post_id) VALUES (2)`)
	inc := `UPDATE posts SET likes = likes + 1 WHERE post_id = 2 /*idempotency_key='like-42'*/`
	expectTag(t, c, "UPDATE 1", inc)
	mustExec(t, c, `DROP TABLE posts`)
	mustExec(t, c, ddl)
	mustExec(t, c, `INSERT INTO posts (post_id) VALUES (2)`)
	expectCode(t, c, "22023", inc)
}

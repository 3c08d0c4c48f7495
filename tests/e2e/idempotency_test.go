package e2e

import (
	"context"
	"sync"
	"testing"

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

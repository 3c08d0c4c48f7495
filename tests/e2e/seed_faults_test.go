package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/tally-db/tally/tests/harness"
)

const postsDDL = `CREATE TABLE posts (
	post_id bigint PRIMARY KEY,
	title text NOT NULL,
	published boolean DEFAULT false,
	created_at timestamptz DEFAULT now(),
	author uuid,
	likes bigint NOT NULL DEFAULT 0,
	shares integer DEFAULT 0
)`

// Fault 1: a Cassandra table with a counter may hold only counters. A tally
// table mixes text, boolean, timestamptz, uuid and two counters.
func TestMixedColumnsWithCounters(t *testing.T) {
	tl := harness.Start(t)
	c := tl.Connect(t)
	ctx := context.Background()
	mustExec(t, c, postsDDL)
	mustExec(t, c, `INSERT INTO posts (post_id, title, published, created_at, author, likes, shares)
		VALUES (1, 'hello', true, '2026-12-03 10:00:00+00', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 5, 1)`)
	mustExec(t, c, `UPDATE posts SET likes = likes + 1, shares = shares + 2, title = 'hello, world' WHERE post_id = 1`)
	mustExec(t, c, `UPDATE posts SET likes = likes - 3 WHERE post_id = $1`, 1)

	var title, author string
	var published bool
	var created time.Time
	var likes int64
	var shares int32
	err := c.QueryRow(ctx, `SELECT title, published, created_at, author::text, likes, shares FROM posts WHERE post_id = 1`).
		Scan(&title, &published, &created, &author, &likes, &shares)
	if err != nil {
		t.Fatal(err)
	}
	if title != "hello, world" || !published || !created.Equal(time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)) ||
		author != "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11" || likes != 3 || shares != 3 {
		t.Fatalf("got %q %v %v %q likes=%d shares=%d", title, published, created, author, likes, shares)
	}
}

// Fault 2: a deleted counter row comes back. In tally, DELETE is final: a
// delta written before the delete and delivered again afterwards (a replica
// or hint delivering it late) stays invisible, and a re-inserted row counts
// from its new value.
func TestDeleteIsFinal(t *testing.T) {
	tl := harness.Start(t)
	c := tl.Connect(t)
	ctx := context.Background()
	mustExec(t, c, postsDDL)
	mustExec(t, c, `INSERT INTO posts (post_id, title, likes) VALUES (1, 'p', 100)`)
	mustExec(t, c, `UPDATE posts SET likes = likes + 1 WHERE post_id = 1`)
	deltas := tl.Store.Writes(".d_posts_")
	late := deltas[len(deltas)-1] // the delta row of that increment
	if late.Timestamp == 0 {
		t.Fatalf("delta write carries no timestamp: %v", late)
	}
	expectTag(t, c, "DELETE 1", `DELETE FROM posts WHERE post_id = 1`)
	expectRows(t, c, 0, `SELECT * FROM posts WHERE post_id = 1`)

	// The old delta arrives again, with its original timestamp.
	if err := tl.Raw.Exec(ctx, late); err != nil {
		t.Fatal(err)
	}
	expectRows(t, c, 0, `SELECT * FROM posts WHERE post_id = 1`)
	expectTag(t, c, "UPDATE 0", `UPDATE posts SET likes = likes + 1 WHERE post_id = 1`)
	expectTag(t, c, "DELETE 0", `DELETE FROM posts WHERE post_id = 1`)

	mustExec(t, c, `INSERT INTO posts (post_id, title, likes) VALUES (1, 'again', 7)`)
	if err := tl.Raw.Exec(ctx, late); err != nil {
		t.Fatal(err)
	}
	if got := likesOf(t, c, 1); got != 7 {
		t.Fatalf("re-inserted row: likes = %d, want 7", got)
	}
	mustExec(t, c, `UPDATE posts SET likes = likes + 1 WHERE post_id = 1`)
	if got := likesOf(t, c, 1); got != 8 {
		t.Fatalf("after increment: likes = %d, want 8", got)
	}
}

// Fault 3: increments are not idempotent. In tally the same delta write
// sent twice (an internal retry) counts once.
func TestRetriedDeltaCountsOnce(t *testing.T) {
	tl := harness.Start(t)
	c := tl.Connect(t)
	ctx := context.Background()
	mustExec(t, c, postsDDL)
	mustExec(t, c, `INSERT INTO posts (post_id, title) VALUES (1, 'p')`)
	mustExec(t, c, `UPDATE posts SET likes = likes + 5 WHERE post_id = 1`)
	writes := tl.Store.Writes(".d_posts_")
	delta := writes[len(writes)-1]
	for i := 0; i < 3; i++ {
		if err := tl.Raw.Exec(ctx, delta); err != nil {
			t.Fatal(err)
		}
	}
	if got := likesOf(t, c, 1); got != 5 {
		t.Fatalf("likes = %d after the same delta was written 4 times, want 5", got)
	}
}

// Absolute sets and increments: SET likes = 0 wins over older deltas, and
// later increments count from it.
func TestAbsoluteSet(t *testing.T) {
	tl := harness.Start(t)
	c := tl.Connect(t)
	mustExec(t, c, postsDDL)
	mustExec(t, c, `INSERT INTO posts (post_id, title, likes) VALUES (1, 'p', 10)`)
	mustExec(t, c, `UPDATE posts SET likes = likes + 1 WHERE post_id = 1`)
	expectTag(t, c, "UPDATE 1", `UPDATE posts SET likes = 0 WHERE post_id = 1`)
	if got := likesOf(t, c, 1); got != 0 {
		t.Fatalf("likes = %d, want 0", got)
	}
	mustExec(t, c, `UPDATE posts SET likes = likes + 2 WHERE post_id = 1`)
	if got := likesOf(t, c, 1); got != 2 {
		t.Fatalf("likes = %d, want 2", got)
	}
}

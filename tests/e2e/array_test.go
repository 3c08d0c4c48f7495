package e2e

import (
	"context"
	"testing"

	"github.com/tally-db/tally/tests/harness"
)

// `key = ANY($1)` with a list from the client (asyncpg and pgx users pass
// lists this way) names each element's row, like an IN list.
func TestKeyEqualsAnyArray(t *testing.T) {
	tl := harness.Start(t)
	c := tl.Connect(t)
	ctx := context.Background()
	mustExec(t, c, `CREATE TABLE posts (id bigint PRIMARY KEY, title text, likes bigint NOT NULL DEFAULT 0)`)
	mustExec(t, c, `INSERT INTO posts (id, title) VALUES (1, 'a'), (2, 'b'), (3, 'c')`)
	expectTag(t, c, "UPDATE 2", `UPDATE posts SET likes = likes + 1 WHERE id = ANY($1)`, []int64{1, 3, 99})
	expectRows(t, c, 3, `SELECT id FROM posts WHERE id = ANY($1::bigint[])`, []int64{1, 2, 3, 2})
	expectRows(t, c, 2, `SELECT id FROM posts WHERE id = ANY('{1,2}')`)
	expectRows(t, c, 2, `SELECT id FROM posts WHERE id = ANY(ARRAY[1, 3])`)
	expectRows(t, c, 1, `SELECT id FROM posts WHERE id = ANY($1) AND title = ANY($2)`, []int64{1, 2}, []string{"b", "z"})
	expectRows(t, c, 0, `SELECT id FROM posts WHERE id = ANY($1)`, []int64{})
	var sum int64
	if err := c.QueryRow(ctx, `SELECT likes FROM posts WHERE id = ANY($1)`, []int32{3}).Scan(&sum); err != nil || sum != 1 {
		t.Fatalf("likes of 3: %d, %v; want 1", sum, err)
	}
	var in, all, null *bool
	if err := c.QueryRow(ctx, `SELECT 2 = ANY('{1,2}'::int[]), 2 > ALL('{1,2}'::int[]), 3 = ANY('{1,NULL}'::int[])`).Scan(&in, &all, &null); err != nil {
		t.Fatal(err)
	}
	if in == nil || !*in || all == nil || *all || null != nil {
		t.Fatalf("ANY/ALL: %v %v %v; want true false NULL", in, all, null)
	}
	var arr []int64
	if err := c.QueryRow(ctx, `SELECT $1::bigint[]`, []int64{5, 6}).Scan(&arr); err != nil || len(arr) != 2 || arr[1] != 6 {
		t.Fatalf("array round trip: %v, %v", arr, err)
	}
	expectCode(t, c, "22P02", `SELECT id FROM posts WHERE id = ANY('{1,x}')`)
	expectCode(t, c, "0A000", `CREATE TABLE tags (id bigint PRIMARY KEY, names text[])`)
}

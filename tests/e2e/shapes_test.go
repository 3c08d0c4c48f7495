package e2e

import (
	"context"
	"testing"

	"github.com/tally-db/tally/tests/harness"
)

// The increment shapes ORMs emit, each applied once to a fresh row: the
// counters must end at exactly what each statement added.
func TestIncrementShapes(t *testing.T) {
	tl := harness.Start(t)
	c := tl.Connect(t)
	mustExec(t, c, `CREATE TABLE "Posts" (post_id bigint PRIMARY KEY, title text, likes bigint NOT NULL DEFAULT 0, shares integer NOT NULL DEFAULT 0, maybe bigint)`)
	cases := []struct {
		sql           string
		args          []any
		likes, shares int64
	}{
		{`UPDATE "Posts" SET likes = likes + $1 WHERE post_id = $2`, []any{2, 1}, 2, 0},
		{`UPDATE "Posts" SET likes = ("Posts".likes + 1) WHERE post_id = $1`, []any{1}, 1, 0},
		{`UPDATE public."Posts" SET "likes" = public."Posts"."likes" + 1 WHERE public."Posts"."post_id" = $1`, []any{1}, 1, 0},
		{`UPDATE "Posts" SET likes = 1 + likes WHERE post_id = $1`, []any{1}, 1, 0},
		{`UPDATE "Posts" SET likes = likes - 1 WHERE post_id = $1`, []any{1}, -1, 0},
		{`UPDATE "Posts" SET likes = COALESCE(likes, 0) + 3 WHERE post_id = $1`, []any{1}, 3, 0},
		{`UPDATE "Posts" AS p SET likes = COALESCE(p.likes, 0) + $1, shares = p.shares + 2 WHERE p.post_id = $2`, []any{4, 1}, 4, 2},
		{`UPDATE "Posts" SET likes = likes + 1, title = 'mixed', shares = 5 + shares WHERE post_id = $1 AND 1=1`, []any{1}, 1, 5},
		{`UPDATE "Posts" SET likes = likes + 1 WHERE (post_id = $1) AND true`, []any{1}, 1, 0},
		{`UPDATE "Posts" SET likes = likes + 1 + 2 WHERE post_id = $1`, []any{1}, 3, 0},
	}
	for i, tc := range cases {
		id := int64(100 + i)
		mustExec(t, c, `INSERT INTO "Posts" (post_id, title) VALUES ($1, 'x')`, id)
		args := append([]any{}, tc.args...)
		args[len(args)-1] = id
		expectTag(t, c, "UPDATE 1", tc.sql, args...)
		var likes, shares int64
		if err := c.QueryRow(context.Background(), `SELECT likes, shares FROM "Posts" WHERE post_id = $1`, id).Scan(&likes, &shares); err != nil {
			t.Fatal(err)
		}
		if likes != tc.likes || shares != tc.shares {
			t.Errorf("%s: likes %d shares %d; want %d %d", tc.sql, likes, shares, tc.likes, tc.shares)
		}
	}
	// COALESCE on a nullable counter would turn NULL into n, which needs a read.
	expectCode(t, c, "0A000", `UPDATE "Posts" SET maybe = COALESCE(maybe, 0) + 1 WHERE post_id = 100`)
}

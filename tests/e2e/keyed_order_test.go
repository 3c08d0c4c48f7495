package e2e

import (
	"context"
	"testing"

	"github.com/tally-db/tally/tests/harness"
)

// ORDER BY, LIMIT and OFFSET on a read by key are applied to the rows read,
// without a scan; what Postgres returns for the same statements.
func TestKeyedOrderLimit(t *testing.T) {
	tl := harness.Start(t)
	c := tl.Connect(t)
	ctx := context.Background()
	mustExec(t, c, `CREATE TABLE posts (id bigint PRIMARY KEY, likes bigint, title text)`)
	mustExec(t, c, `INSERT INTO posts (id, likes, title) VALUES (1, 5, 'a'), (2, NULL, 'b'), (3, 7, 'c'), (4, 5, 'd')`)
	ids := func(sql string, args ...any) []int64 {
		t.Helper()
		rows, err := c.Query(ctx, sql, args...)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			out = append(out, id)
		}
		if rows.Err() != nil {
			t.Fatalf("%s: %v", sql, rows.Err())
		}
		return out
	}
	same := func(got []int64, want ...int64) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("got %v, want %v", got, want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("got %v, want %v", got, want)
			}
		}
	}
	same(ids(`SELECT id FROM posts WHERE "posts"."id" = $1 ORDER BY "posts"."id" LIMIT $2`, 3, 1), 3)
	same(ids(`SELECT id FROM posts WHERE id = $1 LIMIT '1'`, 3), 3)
	same(ids(`SELECT id FROM posts WHERE id IN (1, 2, 3, 4) ORDER BY likes DESC, id`), 2, 3, 1, 4)
	same(ids(`SELECT id FROM posts WHERE id IN (1, 2, 3, 4) ORDER BY likes NULLS FIRST, id DESC`), 2, 4, 1, 3)
	same(ids(`SELECT id FROM (SELECT id, likes AS n FROM posts WHERE id = ANY($1) ORDER BY n, 1 LIMIT 2 OFFSET 1) s`, []int64{1, 2, 3, 4}), 4, 3)
	same(ids(`SELECT id FROM posts WHERE id IN (1, 2) ORDER BY id LIMIT ALL`), 1, 2)
	same(ids(`SELECT id FROM posts WHERE id IN (1, 2) ORDER BY id OFFSET 5`))
	expectCode(t, c, "2201W", `SELECT id FROM posts WHERE id = 1 LIMIT -1`)
	expectCode(t, c, "42P10", `SELECT id FROM posts WHERE id = 1 ORDER BY 3`)
}

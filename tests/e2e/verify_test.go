package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tally-db/tally/app"
	"github.com/tally-db/tally/cassandra"
	"github.com/tally-db/tally/rewrite"
	"github.com/tally-db/tally/tests/harness"
)

// tally verify finds no difference on a table after increments, sets,
// deletes and rollups; and it does find one when a read misses deltas.
func TestVerify(t *testing.T) {
	tl := harness.StartWith(t, func(c *app.Config) {
		c.Settle = time.Second
		c.RollupThreshold = 4
	})
	c := tl.Connect(t)
	mustExec(t, c, postsDDL)
	for id := 1; id <= 5; id++ {
		mustExec(t, c, `INSERT INTO posts (post_id, title) VALUES ($1, 'p')`, id)
		for i := 0; i < 10*id; i++ {
			mustExec(t, c, `UPDATE posts SET likes = likes + 1, shares = shares + 2 WHERE post_id = $1`, id)
		}
	}
	mustExec(t, c, `UPDATE posts SET likes = 1000 WHERE post_id = 2`)
	mustExec(t, c, `DELETE FROM posts WHERE post_id = 3`)
	time.Sleep(1200 * time.Millisecond) // settle, then reads trigger rollups
	for id := 1; id <= 5; id++ {
		expectRows(t, c, map[bool]int{true: 0, false: 1}[id == 3], `SELECT * FROM posts WHERE post_id = $1`, id)
	}
	time.Sleep(300 * time.Millisecond)
	if tl.Engine.Rollups() == 0 {
		t.Fatal("no rollup ran")
	}
	ctx := context.Background()
	rep, err := rewrite.Verify(ctx, rewrite.VerifyEnv(tl.Raw, tl.Database), tl.Raw, "posts", nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rows != 5 || rep.Live != 4 || len(rep.Diffs) != 0 {
		t.Fatalf("verify: %d rows, %d live, diffs %v", rep.Rows, rep.Live, rep.Diffs)
	}
	// A read path that misses deltas (a stale replica, a bug) is caught.
	mustExec(t, c, `UPDATE posts SET likes = likes + 7 WHERE post_id = 1`)
	rep, err = rewrite.Verify(ctx, rewrite.VerifyEnv(dropDeltas{tl.Raw}, tl.Database), tl.Raw, "posts", [][]string{{"1"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Diffs) != 1 {
		t.Fatalf("verify missed a read without deltas: %+v", rep)
	}
	t.Log(rep.Diffs[0])
}

// dropDeltas is a store whose reads see no delta rows.
type dropDeltas struct{ *cassandra.Store }

func (d dropDeltas) Query(ctx context.Context, st cassandra.Stmt) ([][]any, error) {
	rows, err := d.Store.Query(ctx, st)
	if strings.Contains(st.CQL, ".d_posts_") {
		var kept [][]any
		for _, r := range rows {
			r[len(r)-3] = nil // ts of the delta row: it reads as statics only
			kept = append(kept, r)
		}
		return kept, err
	}
	return rows, err
}

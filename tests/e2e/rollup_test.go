package e2e

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tally-db/tally/app"
	"github.com/tally-db/tally/tests/harness"
)

// Rollups fold settled deltas while clients increment and read. Every
// read must lie within acknowledged-before-it <= value <= attempted-by-its-
// end: a reader that saw a snapshot without the deltas after it would read
// too little, one that saw a snapshot and the deltas it folded, too much.
func TestRollupsKeepReadsExact(t *testing.T) {
	tl := harness.StartWith(t, func(c *app.Config) {
		c.Settle = time.Second
		c.RollupThreshold = 8
		c.Shards = 4
	})
	c := tl.Connect(t)
	mustExec(t, c, postsDDL)
	mustExec(t, c, `INSERT INTO posts (post_id, title) VALUES (1, 'p')`)

	var attempted, acked atomic.Int64
	ctx, stop := context.WithTimeout(context.Background(), 8*time.Second)
	defer stop()
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		conn := tl.Connect(t)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				attempted.Add(1)
				if _, err := conn.Exec(context.Background(), `UPDATE posts SET likes = likes + 1 WHERE post_id = 1`); err != nil {
					t.Error(err)
					return
				}
				acked.Add(1)
			}
		}()
	}
	reader := tl.Connect(t)
	reads, violations := 0, 0
	for ctx.Err() == nil {
		lo := acked.Load()
		v := likesOf(t, reader, 1)
		hi := attempted.Load()
		reads++
		if v < lo || v > hi {
			violations++
			t.Errorf("read %d: likes = %d outside [%d, %d]", reads, v, lo, hi)
		}
	}
	wg.Wait()
	// Let the last deltas settle and be folded, then read once more.
	time.Sleep(1500 * time.Millisecond)
	_ = likesOf(t, reader, 1)
	time.Sleep(500 * time.Millisecond)
	if got := likesOf(t, reader, 1); got != acked.Load() {
		t.Fatalf("final likes = %d, want %d", got, acked.Load())
	}
	if tl.Engine.Rollups() == 0 {
		t.Fatal("no rollup ran: the test proved nothing")
	}
	rows, err := tl.Raw.Query(context.Background(), harness.Stmt(
		fmt.Sprintf(`SELECT COUNT(*) FROM %s.%s`, tl.Database, deltaTable(t, tl))))
	if err != nil {
		t.Fatal(err)
	}
	left := rows[0][0].(int64)
	t.Logf("%d increments, %d reads, %d rollups, %d delta rows left, %d violations",
		acked.Load(), reads, tl.Engine.Rollups(), left, violations)
	if left >= acked.Load() {
		t.Fatalf("%d delta rows left of %d increments: nothing was folded", left, acked.Load())
	}
}

// deltaTable finds the CQL delta table of posts.
func deltaTable(t *testing.T, tl *harness.Tally) string {
	rows, err := tl.Raw.Query(context.Background(), harness.Stmt(
		`SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?`, tl.Database))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if name := r[0].(string); len(name) > 8 && name[:8] == "d_posts_" {
			return name
		}
	}
	t.Fatal("no delta table for posts")
	return ""
}

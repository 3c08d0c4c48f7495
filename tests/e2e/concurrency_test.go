package e2e

import (
	"context"
	"sync"
	"testing"

	"github.com/tally-db/tally/tests/harness"
)

// 8 clients × 250 increments of one row through tally = exactly 2000.
func TestConcurrentIncrementsExact(t *testing.T) {
	tl := harness.Start(t)
	c := tl.Connect(t)
	mustExec(t, c, postsDDL)
	mustExec(t, c, `INSERT INTO posts (post_id, title) VALUES (1, 'hot')`)
	const clients, each = 8, 250
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := 0; i < clients; i++ {
		conn := tl.Connect(t)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < each; j++ {
				tag, err := conn.Exec(context.Background(), `UPDATE posts SET likes = likes + 1 WHERE post_id = $1`, 1)
				if err != nil {
					errs <- err
					return
				}
				if tag.String() != "UPDATE 1" {
					t.Errorf("tag %q", tag)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := likesOf(t, c, 1); got != clients*each {
		t.Fatalf("likes = %d, want %d", got, clients*each)
	}
}

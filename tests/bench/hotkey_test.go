// Package bench measures tally against the real Cassandra. Run with
// `make bench-hotkey`; benchmarks report, tests never time anything.
package bench

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tally-db/tally/app"
	"github.com/tally-db/tally/tests/harness"
)

const clients = 64

// BenchmarkHotKey: 64 clients incrementing one row (hot) against 64
// clients incrementing 64 rows (uniform). The hot row's deltas spread
// over shards, so hot/uniform should stay near 1; compare the ns/op of
// the two sub-benchmarks, run side by side.
func BenchmarkHotKey(b *testing.B) {
	shards := app.Defaults().Shards
	if v, err := strconv.Atoi(os.Getenv("TALLY_BENCH_SHARDS")); err == nil {
		shards = v
	}
	tl := harness.StartWith(b, func(c *app.Config) { c.Shards = shards })
	b.Logf("%d shards", shards)
	pool, err := pgxpool.New(context.Background(), tl.DSN()+"&pool_max_conns=64")
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `CREATE TABLE posts (post_id bigint PRIMARY KEY, likes bigint NOT NULL DEFAULT 0)`); err != nil {
		b.Fatal(err)
	}
	for id := 0; id < clients; id++ {
		if _, err := pool.Exec(ctx, `INSERT INTO posts (post_id) VALUES ($1)`, id); err != nil {
			b.Fatal(err)
		}
	}
	for _, mode := range []string{"uniform", "hot", "uniform2", "hot2"} {
		b.Run(mode, func(b *testing.B) {
			var next atomic.Int64
			b.SetParallelism(max(1, clients/runtime.GOMAXPROCS(0))) // 64 client goroutines
			b.RunParallel(func(pb *testing.PB) {
				id := next.Add(1) % clients
				if mode[:3] == "hot" {
					id = 0
				}
				for pb.Next() {
					if _, err := pool.Exec(ctx, `UPDATE posts SET likes = likes + 1 WHERE post_id = $1`, id); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "incr/s")
		})
	}
	var total int64
	if err := pool.QueryRow(ctx, `SELECT likes FROM posts WHERE post_id = 0`).Scan(&total); err != nil {
		b.Fatal(err)
	}
	fmt.Printf("hot row after the run: %d likes\n", total)
}

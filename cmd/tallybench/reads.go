package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/jackc/pgx/v5"

	"github.com/tally-db/tally/cassandra"
	"github.com/tally-db/tally/catalog"
	"github.com/tally-db/tally/rewrite"
)

// giveHistory gives row key of tally's table `table` (already INSERTed
// through tally) a history of n increments of +1, without sending n
// statements: it writes n delta rows directly in tally's CQL layout (as
// rewrite/update.go's updateCQL writes them: shard = ts mod shards, one
// time-stamped row per increment, USING TIMESTAMP ts), stamped after the
// row's base cell, and folds them with rewrite.RollUp after every chunk of
// n/rollups rows, as tally's background rollups would while the row was
// being liked. The read afterwards sees per shard one snapshot, the range
// tombstones of its rollups, and no unsettled delta.
func giveHistory(ctx context.Context, s *gocql.Session, store *cassandra.Store, ks, table string, key int64, n, rollups int) error {
	var def string
	if err := s.Query(fmt.Sprintf(`SELECT def FROM %q.tally_catalog WHERE name = ?`, ks), table).
		ScanContext(ctx, &def); err != nil {
		return fmt.Errorf("history: catalog of %s: %w", table, err)
	}
	t, err := catalog.Unmarshal(def)
	if err != nil {
		return err
	}
	if len(t.Counters()) != 1 || len(t.PrimaryKey) != 1 {
		return fmt.Errorf("history: %s must have one key and one counter column", table)
	}
	keyCol, likes := t.KeyColumns()[0].CQLName(), t.Counters()[0].CQLName()
	var w int64 // the base cell's write time: deltas count after it
	if err := s.Query(fmt.Sprintf(`SELECT WRITETIME(%s) FROM %q.%s WHERE %s = ?`, likes, ks, t.BaseTable(), keyCol), key).
		ScanContext(ctx, &w); err != nil {
		return fmt.Errorf("history: base row %d: %w", key, err)
	}
	insert := fmt.Sprintf(`INSERT INTO %q.%s (%s, shard, ts, txid, %s) VALUES (?, ?, ?, ?, 1) USING TIMESTAMP ?`,
		ks, t.DeltaTable(), keyCol, likes)
	chunk := max(n/max(rollups, 1), 1)
	for from := 0; from < n; from += chunk {
		to := min(from+chunk, n)
		if err := writeDeltas(ctx, s, insert, key, w+1+int64(from), w+int64(to), t.Shards); err != nil {
			return err
		}
		for shard := 0; shard < t.Shards; shard++ {
			if err := rewrite.RollUp(ctx, store, ks, t, []any{key}, shard, w+int64(to)); err != nil {
				return fmt.Errorf("history: %w", err)
			}
		}
	}
	return nil
}

// writeDeltas writes the delta rows stamped first..last in single-partition
// unlogged batches, several at a time.
func writeDeltas(ctx context.Context, s *gocql.Session, insert string, key, first, last int64, shards int) error {
	const perBatch, workers = 50, 16
	n := int64(shards)
	jobs := make(chan []int64)
	go func() {
		defer close(jobs)
		for sh := int64(0); sh < n; sh++ {
			ts := first + ((sh-first%n)%n+n)%n // the first stamp of shard sh
			for ts <= last {
				var tss []int64
				for ; ts <= last && len(tss) < perBatch; ts += n {
					tss = append(tss, ts)
				}
				select {
				case jobs <- tss:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for tss := range jobs {
				if errs[i] != nil {
					continue // drain
				}
				b := s.Batch(gocql.UnloggedBatch).Consistency(gocql.Quorum)
				for _, ts := range tss {
					b = b.Query(insert, key, int(ts%n), ts, gocql.UUIDFromTime(time.UnixMicro(ts)), ts)
				}
				if err := b.ExecContext(ctx); err != nil {
					errs[i] = fmt.Errorf("history: write deltas: %w", err)
				}
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// tallyRead reads one counter through tally (SQL over pgx).
func tallyRead(c *pgx.Conn) opFunc {
	return func(ctx context.Context, key int64) error {
		var v int64
		return c.QueryRow(ctx, `SELECT likes FROM posts WHERE post_id = $1`, key).Scan(&v)
	}
}

// cqlRead is the plain single-row CQL read tally's read is compared with.
func cqlRead(s *gocql.Session, ks string, cl gocql.Consistency) opFunc {
	cql := fmt.Sprintf(`SELECT likes FROM %s.plain WHERE id = ?`, ks)
	return func(ctx context.Context, key int64) error {
		var v int64
		return s.Query(cql, key).Consistency(cl).ScanContext(ctx, &v)
	}
}

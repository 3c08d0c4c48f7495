package rewrite

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tally-db/tally/catalog"
)

// Roller folds settled deltas into shard snapshots in the background, so
// a counter read costs O(recent deltas). Reads ask for a rollup when they
// meet at least Threshold settled deltas in a shard. Any tally process may
// roll up any shard, and two doing it at once is harmless: each writes a
// snapshot stamped with its fold point, the latest wins, and the deltas
// both delete were folded by both.
type Roller struct {
	Store     Store
	Settle    time.Duration
	Threshold int
	Log       *slog.Logger

	queue   chan rollupJob
	mu      sync.Mutex
	pending map[string]time.Time // queued or running jobs: when queued
	done    chan struct{}
	wg      sync.WaitGroup
	// Rollups counts completed rollups (for tests and metrics).
	Rollups atomic.Int64
	// Failures counts rollups that failed (a later read asks again).
	Failures atomic.Int64
}

// Backlog is how many rollups are queued or running, and how long the
// oldest of them has waited (0 when none): the rollup lag.
func (r *Roller) Backlog() (n int, lag time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	for _, at := range r.pending {
		lag = max(lag, now.Sub(at))
	}
	return len(r.pending), lag
}

type rollupJob struct {
	ks    string
	table *catalog.Table
	key   []any
	shard int
}

func (j rollupJob) id() string { return fmt.Sprintf("%s|%s|%#v|%d", j.ks, j.table.ID, j.key, j.shard) }

// NewRoller starts workers rolling up shards until Close.
func NewRoller(store Store, settle time.Duration, threshold, workers int, log *slog.Logger) *Roller {
	r := &Roller{Store: store, Settle: settle, Threshold: threshold, Log: log,
		queue: make(chan rollupJob, 1024), pending: map[string]time.Time{}, done: make(chan struct{})}
	for i := 0; i < workers; i++ {
		r.wg.Add(1)
		go r.work()
	}
	return r
}

// Close stops the workers; queued rollups are dropped (a later read asks
// again).
func (r *Roller) Close() {
	close(r.done)
	r.wg.Wait()
}

// maybeRollUp queues a rollup of each shard holding many settled deltas.
func (e *Env) maybeRollUp(t *catalog.Table, key []any, shards []shardState) {
	r := e.Roller
	if r == nil {
		return
	}
	settled := time.Now().Add(-r.Settle).UnixMicro()
	for _, s := range shards {
		n := 0
		for _, d := range s.deltas {
			if d.ts <= settled {
				n++
			}
		}
		if n >= r.Threshold {
			r.enqueue(rollupJob{ks: e.Keyspace, table: t, key: key, shard: s.shard})
		}
	}
}

func (r *Roller) enqueue(j rollupJob) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.pending[j.id()]; ok {
		return
	}
	select {
	case r.queue <- j:
		r.pending[j.id()] = time.Now()
	default: // full: a later read asks again
	}
}

func (r *Roller) work() {
	defer r.wg.Done()
	for {
		select {
		case <-r.done:
			return
		case j := <-r.queue:
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			if err := RollUp(ctx, r.Store, j.ks, j.table, j.key, j.shard, time.Now().Add(-r.Settle).UnixMicro()); err != nil {
				r.Failures.Add(1)
				r.Log.Warn("rollup failed", "table", j.table.Name, "shard", j.shard, "err", err)
			} else {
				r.Rollups.Add(1)
			}
			cancel()
			r.mu.Lock()
			delete(r.pending, j.id())
			r.mu.Unlock()
		}
	}
}

// RollUp folds the deltas of one shard of one row with ts <= upTo into
// its snapshot, in one single-partition batch stamped upTo. upTo must be
// settled: no write stamped at or before it may still be in flight.
func RollUp(ctx context.Context, s Store, ks string, t *catalog.Table, key []any, shard int, upTo int64) error {
	counters := t.Counters()
	if len(counters) == 0 {
		return nil
	}
	// The base cells' write times: a snapshot sums deltas against one.
	var b strings.Builder
	b.WriteString("SELECT tally_born")
	for _, c := range counters {
		fmt.Fprintf(&b, ", WRITETIME(%s)", c.CQLName())
	}
	fmt.Fprintf(&b, " FROM %s.%s WHERE %s", quoteIdent(ks), t.BaseTable(), keyWhere(t))
	base, err := s.Query(ctx, Stmt{CQL: b.String(), Args: cqlKey(t, key)})
	if err != nil {
		return fmt.Errorf("rollup: read base: %w", err)
	}
	ws := make([]int64, len(counters))
	if len(base) > 0 {
		for j := range counters {
			ws[j], _ = base[0][1+j].(int64)
		}
	}
	rd := deltaRead(ks, t, key)
	rd.CQL = strings.Replace(rd.CQL, fmt.Sprintf("shard IN (%s)", shardList(t.Shards)), "shard = ?", 1)
	rd.Args = append(rd.Args, shard)
	rows, err := s.Query(ctx, rd)
	if err != nil {
		return fmt.Errorf("rollup: read deltas: %w", err)
	}
	shards := parseShards(t, rows)
	if len(shards) == 0 || shards[0].through >= upTo {
		return nil
	}
	old := shards[0]
	sets := []string{"s_through = ?"}
	args := []any{upTo, upTo}
	for j, c := range counters {
		var sum int64
		if old.through > 0 && old.afters[j] == ws[j] {
			sum = old.sums[j]
		}
		lower := max(ws[j], old.through)
		for _, d := range old.deltas {
			if v, ok := d.vals[j].(int64); ok && d.ts > lower && d.ts <= upTo {
				sum += v
			}
		}
		sets = append(sets, "s_"+c.CQLName()+" = ?", "a_"+c.CQLName()+" = ?")
		args = append(args, sum, ws[j])
	}
	ckey := cqlKey(t, key)
	snapshot := Stmt{
		CQL:       fmt.Sprintf("UPDATE %s.%s USING TIMESTAMP ? SET %s WHERE %s AND shard = ?", quoteIdent(ks), t.DeltaTable(), strings.Join(sets, ", "), keyWhere(t)),
		Args:      append(append(args, ckey...), shard),
		Timestamp: upTo,
	}
	fold := Stmt{
		CQL:       fmt.Sprintf("DELETE FROM %s.%s USING TIMESTAMP ? WHERE %s AND shard = ? AND ts <= ?", quoteIdent(ks), t.DeltaTable(), keyWhere(t)),
		Args:      append(append([]any{upTo}, ckey...), shard, upTo),
		Timestamp: upTo,
	}
	if err := s.Batch(ctx, []Stmt{snapshot, fold}); err != nil {
		return fmt.Errorf("rollup: write: %w", err)
	}
	return nil
}

package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/jackc/pgx/v5"
)

// incrementSQL is the statement every SQL system runs, through pgx's
// extended protocol (a prepared statement cached per connection).
const incrementSQL = `UPDATE posts SET likes = likes + 1 WHERE post_id = $1`

// pgxClients opens n pgx connections to dsn (in parallel, a few at a time).
func pgxClients(ctx context.Context, dsn string, n int, params map[string]string) ([]*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	for k, v := range params {
		cfg.RuntimeParams[k] = v
	}
	conns := make([]*pgx.Conn, n)
	errs := make([]error, n)
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for i := range conns {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			conns[i], errs[i] = pgx.ConnectConfig(cctx, cfg.Copy())
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			closeAll(conns)
			return nil, fmt.Errorf("connect %s: %w", cfg.Host, err)
		}
	}
	return conns, nil
}

func closeAll(conns []*pgx.Conn) {
	for _, c := range conns {
		if c != nil {
			_ = c.Close(context.Background())
		}
	}
}

// sqlIncrements is one opFunc per connection running incrementSQL; an
// UPDATE that finds no row is an error (the rows were not seeded).
func sqlIncrements(conns []*pgx.Conn) []opFunc {
	ops := make([]opFunc, len(conns))
	for i, c := range conns {
		ops[i] = func(ctx context.Context, key int64) error {
			tag, err := c.Exec(ctx, incrementSQL, key)
			if err != nil {
				return err
			}
			if tag.RowsAffected() != 1 {
				return fmt.Errorf("%s: %s for post %d", incrementSQL, tag, key)
			}
			return nil
		}
	}
	return ops
}

// nativeIncrements are Cassandra counter increments through one shared
// gocql session (as an application would use the driver).
func nativeIncrements(s *gocql.Session, ks string, cl gocql.Consistency, n int) []opFunc {
	cql := fmt.Sprintf("UPDATE %s.counters SET likes = likes + 1 WHERE post_id = ?", ks)
	ops := make([]opFunc, n)
	for i := range ops {
		ops[i] = func(ctx context.Context, key int64) error {
			return s.Query(cql, key).Consistency(cl).ExecContext(ctx)
		}
	}
	return ops
}

// floorWrites is the write path's floor: one plain INSERT of a delta-sized
// row (key, shard, ts, txid, amount) per increment, spread over shards as
// tally spreads deltas, with the timestamp set by the client as tally does.
func floorWrites(s *gocql.Session, ks string, cl gocql.Consistency, shards, n int) []opFunc {
	cql := fmt.Sprintf("INSERT INTO %s.floor (post_id, shard, ts, txid, likes) VALUES (?, ?, ?, ?, 1) USING TIMESTAMP ?", ks)
	var last atomic.Int64
	stamp := func() int64 { // max(now, last+1), like tally's clock
		for {
			now, l := time.Now().UnixMicro(), last.Load()
			next := max(now, l+1)
			if last.CompareAndSwap(l, next) {
				return next
			}
		}
	}
	ops := make([]opFunc, n)
	for i := range ops {
		ops[i] = func(ctx context.Context, key int64) error {
			ts := stamp()
			return s.Query(cql, key, int(ts%int64(shards)), ts, gocql.TimeUUID(), ts).
				Consistency(cl).Idempotent(true).ExecContext(ctx)
		}
	}
	return ops
}

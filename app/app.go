// Package app wires tally together: the Cassandra store, the planner engine
// and the proxy server. cmd/tally and the test harness both start tally
// through it. It is the one package that imports proxy and planner alike.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/tally-db/tally/cassandra"
	"github.com/tally-db/tally/planner"
	"github.com/tally-db/tally/proxy"
	"github.com/tally-db/tally/rewrite"
)

// compile-time check that the Cassandra store is what rewrite needs.
var _ rewrite.Store = (*cassandra.Store)(nil)

// Config is tally's configuration.
type Config struct {
	Listen           string // client address, e.g. 127.0.0.1:5432
	Cassandra        string // contact points, comma-separated host[:port]
	Replication      string // CQL replication map for keyspaces tally creates
	ReadConsistency  string
	WriteConsistency string
	Shards           int           // delta partitions per row for new tables
	GCGraceSeconds   int           // gc_grace_seconds of new CQL tables; 0: Cassandra's default
	CassandraTimeout time.Duration // per request
	// Settle: writes older than this are settled; rollups fold them and
	// a write gives up (08007) after half of it.
	Settle            time.Duration
	RollupThreshold   int           // settled deltas in a shard that trigger a rollup; 0: off
	IdempotencyWindow time.Duration // how long idempotency keys are remembered
}

// Defaults returns the default configuration.
func Defaults() Config {
	return Config{
		Listen:            "127.0.0.1:5432",
		Cassandra:         "127.0.0.1:9042",
		Replication:       "{'class': 'SimpleStrategy', 'replication_factor': 1}",
		ReadConsistency:   "QUORUM",
		WriteConsistency:  "QUORUM",
		Shards:            4,
		CassandraTimeout:  5 * time.Second,
		Settle:            2 * time.Minute,
		RollupThreshold:   64,
		IdempotencyWindow: 24 * time.Hour,
	}
}

// Validate checks the settings that depend on each other.
func (c Config) Validate() error {
	switch {
	case c.Shards < 1 || c.Shards > 256:
		return fmt.Errorf("shards: %d is not in 1..256", c.Shards)
	case c.Settle < 2*c.CassandraTimeout:
		return fmt.Errorf("settle: %v must be at least twice the cassandra timeout (%v): a write still in flight must not be folded", c.Settle, c.CassandraTimeout)
	case c.RollupThreshold < 0:
		return fmt.Errorf("rollup-threshold: %d is negative", c.RollupThreshold)
	}
	return nil
}

// OpenStore connects to Cassandra as cfg says.
func OpenStore(cfg Config, log *slog.Logger) (*cassandra.Store, error) {
	return cassandra.Open(cassandra.Config{
		Hosts:            strings.Split(cfg.Cassandra, ","),
		ReadConsistency:  cfg.ReadConsistency,
		WriteConsistency: cfg.WriteConsistency,
		Timeout:          cfg.CassandraTimeout,
	}, log)
}

// NewEngine builds the SQL engine over store; Close it when done.
func NewEngine(cfg Config, store rewrite.Store, log *slog.Logger) *planner.Engine {
	return planner.NewEngine(planner.Config{
		ServerVersion:   proxy.DefaultServerVersion,
		RollupThreshold: cfg.RollupThreshold,
		Tables: rewrite.Options{
			Replication: cfg.Replication, Shards: cfg.Shards, GCGraceSeconds: cfg.GCGraceSeconds,
			Settle: cfg.Settle, IdempotencyWindow: cfg.IdempotencyWindow,
		},
	}, store, log)
}

// Serve runs tally over engine on ln until ctx ends.
func Serve(ctx context.Context, engine *planner.Engine, ln net.Listener, log *slog.Logger) error {
	srv := proxy.NewServer(proxy.Config{ServerVersion: proxy.DefaultServerVersion}, Adapt(engine), log)
	err := srv.Serve(ctx, ln)
	if errors.Is(err, context.Canceled) || errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

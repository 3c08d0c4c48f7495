// Package app wires tally together: the Cassandra store, the planner engine
// and the proxy server. cmd/tally and the test harness both start tally
// through it. It is the one package that imports proxy and planner alike.
package app

import (
	"context"
	"errors"
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
}

// Defaults returns the default configuration.
func Defaults() Config {
	return Config{
		Listen:           "127.0.0.1:5432",
		Cassandra:        "127.0.0.1:9042",
		Replication:      "{'class': 'SimpleStrategy', 'replication_factor': 1}",
		ReadConsistency:  "QUORUM",
		WriteConsistency: "QUORUM",
		Shards:           1,
		CassandraTimeout: 5 * time.Second,
	}
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

// NewServer builds the proxy server over store.
func NewServer(cfg Config, store rewrite.Store, log *slog.Logger) *proxy.Server {
	engine := planner.NewEngine(planner.Config{
		ServerVersion: proxy.DefaultServerVersion,
		Tables: rewrite.Options{
			Replication: cfg.Replication, Shards: cfg.Shards, GCGraceSeconds: cfg.GCGraceSeconds,
		},
	}, store, log)
	return proxy.NewServer(proxy.Config{ServerVersion: proxy.DefaultServerVersion}, Adapt(engine), log)
}

// Serve runs tally on ln until ctx ends.
func Serve(ctx context.Context, cfg Config, store rewrite.Store, ln net.Listener, log *slog.Logger) error {
	err := NewServer(cfg, store, log).Serve(ctx, ln)
	if errors.Is(err, context.Canceled) || errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

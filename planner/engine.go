package planner

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/tally-db/tally/activity"
	"github.com/tally-db/tally/rewrite"
)

// Config is what the planner needs to know of the deployment.
type Config struct {
	// ServerVersion is reported by version() and SHOW server_version.
	ServerVersion string
	// Tables shapes the keyspaces and tables tally creates.
	Tables rewrite.Options
	// CatalogTTL is how long a cached table definition is trusted.
	CatalogTTL time.Duration
	// RollupThreshold is how many settled deltas in one shard make a read
	// ask for a rollup; 0 turns rollups off.
	RollupThreshold int
	// Settings are server defaults of session settings, by lower-case
	// name, over Postgres' own: statement_timeout and
	// idle_in_transaction_session_timeout ("30s", "0" for none). SHOW
	// reports them and RESET returns to them.
	Settings map[string]string
	// Activity lists the live sessions for pg_stat_activity; nil: none.
	Activity func() []activity.Backend
}

// Engine plans and runs SQL for many sessions over one store.
type Engine struct {
	cfg     Config
	store   rewrite.Store
	clock   *rewrite.Clock
	catalog *rewrite.Catalog
	roller  *rewrite.Roller
	stats   rewrite.Stats
	log     *slog.Logger
}

// NewEngine returns an engine over store.
func NewEngine(cfg Config, store rewrite.Store, log *slog.Logger) *Engine {
	if cfg.CatalogTTL <= 0 {
		cfg.CatalogTTL = time.Second
	}
	if cfg.Tables.Shards < 1 {
		cfg.Tables.Shards = 1
	}
	if cfg.Tables.IdempotencyWindow <= 0 {
		cfg.Tables.IdempotencyWindow = 24 * time.Hour
	}
	if cfg.Tables.Settle <= 0 {
		cfg.Tables.Settle = 2 * time.Minute
	}
	e := &Engine{cfg: cfg, store: store, clock: rewrite.NewClock(), catalog: rewrite.NewCatalog(cfg.CatalogTTL), log: log}
	if cfg.RollupThreshold > 0 {
		e.roller = rewrite.NewRoller(store, cfg.Tables.Settle, cfg.RollupThreshold, 2, log)
	}
	return e
}

// Close stops background work (rollups).
func (e *Engine) Close() {
	if e.roller != nil {
		e.roller.Close()
	}
}

// Rollups is how many rollups this engine has completed.
func (e *Engine) Rollups() int64 {
	if e.roller == nil {
		return 0
	}
	return e.roller.Rollups.Load()
}

// Stats are the engine's operation counters.
func (e *Engine) Stats() *rewrite.Stats { return &e.stats }

// RollupBacklog is how many rollups are queued or running and how long
// the oldest has waited; failed counts the rollups that failed.
func (e *Engine) RollupBacklog() (n int, lag time.Duration, failed int64) {
	if e.roller == nil {
		return 0, 0, 0
	}
	n, lag = e.roller.Backlog()
	return n, lag, e.roller.Failures.Load()
}

// LoadCatalogs reads the catalog of each keyspace into the cache, so the
// first statements don't wait for it and a readiness check knows the
// catalogs can be read.
func (e *Engine) LoadCatalogs(ctx context.Context, keyspaces []string) error {
	for _, ks := range keyspaces {
		if _, err := e.catalog.Tables(ctx, e.store, ks); err != nil {
			return fmt.Errorf("planner: load the catalog of %s: %w", ks, err)
		}
	}
	return nil
}

// NewSession starts the session of one client on database (its keyspace).
func (e *Engine) NewSession(_ context.Context, database, user string, params map[string]string) *Session {
	info := &rewrite.SessionInfo{Database: database, User: user, Version: e.cfg.ServerVersion}
	s := &Session{
		env: &rewrite.Env{
			Store: e.store, Clock: e.clock, Catalog: e.catalog, Keyspace: database,
			Info: info, Log: e.log.With("db", database, "user", user),
			Options: e.cfg.Tables, Roller: e.roller, Stats: &e.stats, Activity: e.cfg.Activity,
		},
		changed:   map[string]string{},
		tx:        TxIdle,
		version:   e.cfg.ServerVersion,
		overrides: e.cfg.Settings,
	}
	s.settings = s.defaults()
	for k, v := range params {
		if _, ok := s.settings[k]; ok {
			s.settings[k] = v
		}
	}
	return s
}

package rewrite

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/tally-db/tally/catalog"
	"github.com/tally-db/tally/pgerr"
)

// catalogTable is the CQL table, in each keyspace, holding that keyspace's
// SQL tables. Its rows are only ever written with lightweight transactions.
const catalogTable = "tally_catalog"

// Catalog caches each keyspace's table definitions. Entries are reloaded
// when older than TTL, and at once on a miss, so a table created by another
// tally process is seen by the next statement and a dropped one within TTL.
type Catalog struct {
	TTL time.Duration

	mu   sync.Mutex
	keys map[string]*ksCatalog

	idemReady sync.Map // keyspaces whose idempotency table exists
	seqs      sequences
}

type ksCatalog struct {
	mu     sync.Mutex
	loaded time.Time
	exists bool // the keyspace and its catalog table exist
	tables map[string]*catalog.Table
}

// NewCatalog returns an empty cache.
func NewCatalog(ttl time.Duration) *Catalog {
	return &Catalog{TTL: ttl, keys: map[string]*ksCatalog{}}
}

func (c *Catalog) ks(name string) *ksCatalog {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := c.keys[name]
	if k == nil {
		k = &ksCatalog{}
		c.keys[name] = k
	}
	return k
}

// Table returns the table named name in keyspace ks, or nil if there is none.
func (c *Catalog) Table(ctx context.Context, s Store, ks, name string) (*catalog.Table, error) {
	k := c.ks(ks)
	k.mu.Lock()
	defer k.mu.Unlock()
	fresh := time.Since(k.loaded) < c.TTL
	if t := k.tables[name]; t != nil && fresh {
		return t, nil
	}
	if err := k.load(ctx, s, ks); err != nil {
		return nil, err
	}
	return k.tables[name], nil
}

// Invalidate forgets what is cached for ks.
func (c *Catalog) Invalidate(ks string) {
	k := c.ks(ks)
	k.mu.Lock()
	k.loaded = time.Time{}
	k.mu.Unlock()
}

// KeyspaceReady reports whether ks and its catalog table are known to exist.
func (c *Catalog) keyspaceReady(ks string) bool {
	k := c.ks(ks)
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.exists
}

func (k *ksCatalog) load(ctx context.Context, s Store, ks string) error {
	rows, err := s.Query(ctx, Stmt{
		CQL:  "SELECT table_name FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?",
		Args: []any{ks, catalogTable},
	})
	if err != nil {
		return fmt.Errorf("load catalog: %w", err)
	}
	tables := map[string]*catalog.Table{}
	if len(rows) > 0 {
		rows, err = s.Query(ctx, Stmt{CQL: fmt.Sprintf("SELECT name, def, truncated_at FROM %s.%s", quoteIdent(ks), catalogTable)})
		if err != nil {
			return fmt.Errorf("load catalog: %w", err)
		}
		for _, r := range rows {
			def, _ := r[1].(string)
			t, err := catalog.Unmarshal(def)
			if err != nil {
				return err
			}
			t.TruncatedAt, _ = r[2].(int64)
			tables[t.Name] = t
		}
	}
	k.exists = len(rows) > 0 || k.exists
	k.tables = tables
	k.loaded = time.Now()
	return nil
}

// ensureKeyspace creates the keyspace and its catalog table if needed.
func ensureKeyspace(ctx context.Context, env *Env) error {
	if env.Catalog.keyspaceReady(env.Keyspace) {
		return nil
	}
	if err := checkKeyspace(env.Keyspace); err != nil {
		return err
	}
	ks := quoteIdent(env.Keyspace)
	if err := env.Store.Schema(ctx, fmt.Sprintf("CREATE KEYSPACE IF NOT EXISTS %s WITH replication = %s", ks, env.Options.Replication)); err != nil {
		return fmt.Errorf("create keyspace: %w", err)
	}
	cql := fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s.%s (name text PRIMARY KEY, def text, truncated_at bigint)", ks, catalogTable)
	if err := env.Store.Schema(ctx, cql); err != nil {
		return fmt.Errorf("create catalog: %w", err)
	}
	if err := env.Store.Schema(ctx, idemTableCQL(env.Keyspace)); err != nil {
		return fmt.Errorf("create idempotency table: %w", err)
	}
	env.Catalog.Invalidate(env.Keyspace)
	return nil
}

// lookup returns the current definition of the table t was planned with:
// the same ID, with its current truncation mark. A table dropped (and maybe
// recreated) since planning is gone for this plan.
func lookup(ctx context.Context, env *Env, t *catalog.Table) (*catalog.Table, error) {
	cur, err := env.Catalog.Table(ctx, env.Store, env.Keyspace, t.Name)
	if err != nil {
		return nil, err
	}
	if cur == nil {
		return nil, errUndefinedTable(t.Name)
	}
	if cur.ID != t.ID {
		return nil, pgerr.Wrap(ErrStalePlan, pgerr.UndefinedTable, "relation %q was dropped and created again", t.Name)
	}
	if cur.Version != t.Version {
		return nil, pgerr.Wrap(ErrStalePlan, pgerr.FeatureNotSupported, "relation %q was altered since the statement was planned", t.Name)
	}
	return cur, nil
}

// tableOp is an operation on one table.
type tableOp interface{ table() *catalog.Table }

func (op *Insert) table() *catalog.Table { return op.Table }
func (op *Update) table() *catalog.Table { return op.Table }
func (op *Delete) table() *catalog.Table { return op.Table }
func (op *Select) table() *catalog.Table { return op.Table }

// Recheck is called after op failed inside Cassandra: if its table was
// dropped (42P01) or replaced (ErrStalePlan) by another tally process
// since this one cached the catalog, it says so; otherwise it returns nil.
func Recheck(ctx context.Context, env *Env, op Op) error {
	top, ok := op.(tableOp)
	if !ok {
		return nil
	}
	env.Catalog.Invalidate(env.Keyspace)
	_, err := lookup(ctx, env, top.table())
	return err
}

// OpTable returns the table an operation writes or reads, or nil.
func OpTable(op Op) *catalog.Table {
	if top, ok := op.(tableOp); ok {
		return top.table()
	}
	return nil
}

// Tables returns the tables of keyspace ks, sorted by name, reloading the
// cache when it is older than TTL.
func (c *Catalog) Tables(ctx context.Context, s Store, ks string) ([]*catalog.Table, error) {
	k := c.ks(ks)
	k.mu.Lock()
	defer k.mu.Unlock()
	if time.Since(k.loaded) >= c.TTL || k.tables == nil {
		if err := k.load(ctx, s, ks); err != nil {
			return nil, err
		}
	}
	out := make([]*catalog.Table, 0, len(k.tables))
	for _, t := range k.tables {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

package rewrite

import (
	"context"
	"fmt"
	"strings"

	"github.com/tally-db/tally/catalog"
	"github.com/tally-db/tally/pgerr"
)

// MaxScanRows is the default bound (Options.MaxScanRows) of the rows a
// full-table scan may visit. A scan reads
// every partition of the base table and then each live row with its
// deltas; beyond this it is refused with 54000 rather than run for minutes.
const MaxScanRows = 100000

// ScanKeys returns the primary keys (in key column order, Go values as the
// rest of rewrite uses them) of every row of t that may be live: rows whose
// markers say deleted or truncated are left out. Inside a transaction block
// the keys of rows the block inserted are added; ScanRows applies the rest
// of the block's overlay. More than MaxScanRows partitions is 54000.
func ScanKeys(ctx context.Context, env *Env, t *catalog.Table) ([][]any, error) {
	t, err := lookup(ctx, env, t)
	if err != nil {
		return nil, err
	}
	cols := make([]string, 0, len(t.PrimaryKey)+2)
	for _, c := range t.KeyColumns() {
		cols = append(cols, c.CQLName())
	}
	cols = append(cols, "tally_born", "tally_deleted")
	rows, err := env.Store.Query(ctx, Stmt{CQL: fmt.Sprintf("SELECT %s FROM %s.%s LIMIT %d",
		strings.Join(cols, ", "), quoteIdent(env.Keyspace), t.BaseTable(), env.Options.maxScanRows()+1)})
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", t.Name, err)
	}
	if limit := env.Options.maxScanRows(); len(rows) > limit {
		return nil, pgerr.New(pgerr.ProgramLimitExceeded, "a scan of table %q may visit at most %d rows", t.Name, limit).
			WithHint("Name the rows by their primary key.")
	}
	n := len(t.PrimaryKey)
	seen := map[string]bool{}
	var keys [][]any
	for _, r := range rows {
		born, _ := r[n].(int64)
		deleted, _ := r[n+1].(int64)
		key := make([]any, n)
		for i, c := range t.KeyColumns() {
			key[i] = fromCQL(c, r[i])
		}
		id := overlayID(t, key)
		if env.tx == nil || len(env.tx.overlay[id]) == 0 {
			if r[n] == nil || born <= deleted || born <= t.TruncatedAt {
				continue
			}
		}
		seen[id] = true
		keys = append(keys, key)
	}
	if env.tx != nil {
		for oid, changes := range env.tx.overlay {
			if !strings.HasPrefix(oid, t.ID+"|") {
				continue
			}
			for _, ch := range changes {
				if ch.insert == nil {
					continue
				}
				key := make([]any, n)
				for i, k := range t.PrimaryKey {
					key[i] = ch.insert[k]
				}
				if id := overlayID(t, key); !seen[id] && len(env.tx.overlay[id]) > 0 {
					seen[id] = true
					keys = append(keys, key)
				}
			}
		}
	}
	return keys, nil
}

// ScanRows returns the live rows of t, each in table column order with its
// counters summed (base + deltas), and the block's own writes applied when
// a transaction is open. Order is Cassandra's token order.
func ScanRows(ctx context.Context, env *Env, t *catalog.Table) ([][]any, error) {
	t, err := lookup(ctx, env, t)
	if err != nil {
		return nil, err
	}
	keys, err := ScanKeys(ctx, env, t)
	if err != nil || len(keys) == 0 {
		return nil, err
	}
	states, err := readRowsBounded(ctx, env, t, keys)
	if err != nil {
		return nil, err
	}
	return liveValues(states), nil
}

// scanParallel bounds the row reads a scan runs at once.
const scanParallel = 32

// readRowsBounded is readRows with at most scanParallel reads in flight.
func readRowsBounded(ctx context.Context, env *Env, t *catalog.Table, keys [][]any) ([]rowState, error) {
	out := make([]rowState, 0, len(keys))
	for start := 0; start < len(keys); start += scanParallel {
		end := min(start+scanParallel, len(keys))
		rs, err := readRows(ctx, env, t, keys[start:end], latest)
		if err != nil {
			return nil, err
		}
		out = append(out, rs...)
	}
	return out, nil
}

// ReadRows returns the live rows of t among those with the given primary
// keys (in key column order; keys with a NULL part match nothing), each in
// table column order with counters summed and the open block's writes
// applied. It is a scan's cheap case: a query that names its keys.
func ReadRows(ctx context.Context, env *Env, t *catalog.Table, keys [][]any) ([][]any, error) {
	t, err := lookup(ctx, env, t)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var want [][]any
	for _, k := range keys {
		id := overlayID(t, k)
		null := false
		for _, v := range k {
			null = null || v == nil
		}
		if !null && !seen[id] {
			seen[id] = true
			want = append(want, k)
		}
	}
	if len(want) == 0 {
		return nil, nil
	}
	states, err := readRowsBounded(ctx, env, t, want)
	if err != nil {
		return nil, err
	}
	return liveValues(states), nil
}

// statementKeys returns the keys an UPDATE or DELETE names: its planned
// keys, or with scan every row's (its filter then picks among them). A
// scanning statement may change at most MaxKeys rows, as an IN list may
// name at most that many.
func statementKeys(ctx context.Context, env *Env, t *catalog.Table, ev *Eval, keys [][]Expr, scan bool) ([][]any, error) {
	if !scan {
		return evalKeys(ev, keys)
	}
	all, err := ScanKeys(ctx, env, t)
	if err != nil {
		return nil, err
	}
	if len(all) > MaxKeys {
		return nil, pgerr.New(pgerr.ProgramLimitExceeded, "an UPDATE or DELETE without the primary key in WHERE may visit at most %d rows; table %q has more", MaxKeys, t.Name).
			WithHint("Name the rows by their primary key.")
	}
	return all, nil
}

// liveValues keeps the values of the live rows.
func liveValues(states []rowState) [][]any {
	var out [][]any
	for _, r := range states {
		if r.live {
			out = append(out, r.values)
		}
	}
	return out
}

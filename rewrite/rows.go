package rewrite

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/tally-db/tally/catalog"
	"github.com/tally-db/tally/sqltypes"
)

// rowState is one row rebuilt from Cassandra: whether it is live and its
// values in table column order.
type rowState struct {
	live   bool
	values []any
}

// readRows reads the rows with the given keys as of timestamp asOf (deltas
// stamped after it are left out: a RETURNING sees the value its own
// statement produced). Reads run in parallel, one per key.
func readRows(ctx context.Context, env *Env, t *catalog.Table, keys [][]any, asOf int64) ([]rowState, error) {
	out := make([]rowState, len(keys))
	err := perKey(keys, func(i int, key []any) error {
		r, err := readRow(ctx, env, t, key, asOf)
		out[i] = env.overlayRow(t, key, r)
		return err
	})
	return out, err
}

// liveness is what the markers of one row say.
type liveness struct {
	born, deleted int64 // write times; 0 when absent
}

// live reports whether the row exists. mine is the stamp of the statement
// asking: its own earlier attempt (a retry with an idempotency key) neither
// created nor deleted the row as far as the answer is concerned.
func (l liveness) live(t *catalog.Table, mine int64) bool {
	born, deleted := l.born, l.deleted
	if deleted == mine {
		deleted = 0 // our own delete, written by an earlier attempt
	}
	if born == mine {
		return false // our own insert: the row did not exist before us
	}
	return born > deleted && born > t.TruncatedAt
}

// readLive returns, for each key, its row's markers. It reads only the
// markers: deciding `UPDATE 1` or `UPDATE 0` must not cost a delta scan.
func readLive(ctx context.Context, env *Env, t *catalog.Table, keys [][]any) ([]liveness, error) {
	out := make([]liveness, len(keys))
	err := perKey(keys, func(i int, key []any) error {
		rows, err := env.Store.Query(ctx, Stmt{
			CQL:  fmt.Sprintf("SELECT tally_born, tally_deleted FROM %s.%s WHERE %s", quoteIdent(env.Keyspace), t.BaseTable(), keyWhere(t)),
			Args: cqlKey(t, key),
		})
		if len(rows) > 0 {
			out[i].born, _ = rows[0][0].(int64)
			out[i].deleted, _ = rows[0][1].(int64)
		}
		out[i] = env.overlayLive(t, key, out[i])
		if err != nil {
			return fmt.Errorf("read %s: %w", t.Name, err)
		}
		return nil
	})
	return out, err
}

// perKey runs fn for every key in parallel and returns the first error.
func perKey(keys [][]any, fn func(i int, key []any) error) error {
	if len(keys) == 1 {
		return fn(0, keys[0])
	}
	errs := make([]error, len(keys))
	var wg sync.WaitGroup
	for i, key := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn(i, key)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// readRow reads the base row and, in parallel, its deltas.
func readRow(ctx context.Context, env *Env, t *catalog.Table, key []any, asOf int64) (rowState, error) {
	counters := t.Counters()
	var deltas [][]any
	var derr error
	var wg sync.WaitGroup
	if len(counters) > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			deltas, derr = env.Store.Query(ctx, deltaRead(env.Keyspace, t, key))
		}()
	}
	base, err := env.Store.Query(ctx, baseRead(env.Keyspace, t, key))
	wg.Wait()
	if err != nil {
		return rowState{}, fmt.Errorf("read %s: %w", t.Name, err)
	}
	if derr != nil {
		return rowState{}, fmt.Errorf("read %s deltas: %w", t.Name, derr)
	}
	shards := parseShards(t, deltas)
	env.maybeRollUp(t, key, shards)
	return assemble(t, key, base, shards, asOf)
}

// baseRead selects tally_born, tally_deleted, then each value column and
// its write time.
func baseRead(ks string, t *catalog.Table, key []any) Stmt {
	var b strings.Builder
	b.WriteString("SELECT tally_born, tally_deleted")
	for _, c := range t.ValueColumns() {
		fmt.Fprintf(&b, ", %s, WRITETIME(%s)", c.CQLName(), c.CQLName())
	}
	fmt.Fprintf(&b, " FROM %s.%s WHERE %s", quoteIdent(ks), t.BaseTable(), keyWhere(t))
	return Stmt{CQL: b.String(), Args: cqlKey(t, key)}
}

// assemble applies the visibility rules of the package doc.
func assemble(t *catalog.Table, key []any, base [][]any, shards []shardState, asOf int64) (rowState, error) {
	if len(base) == 0 {
		return rowState{}, nil
	}
	r := base[0]
	born, _ := r[0].(int64)
	deleted, _ := r[1].(int64)
	if r[0] == nil || born <= deleted || born <= t.TruncatedAt || born > asOf {
		return rowState{}, nil
	}
	values := make([]any, len(t.Columns))
	for i, k := range t.PrimaryKey {
		values[k] = key[i]
	}
	j := -1 // c's position among the counters, which are the integer value columns in order
	for i, c := range t.ValueColumns() {
		isCounter := t.IsCounter(c)
		if isCounter {
			j++
		}
		v, wt := r[2+2*i], r[3+2*i]
		w, _ := wt.(int64)
		if (v == nil || wt == nil || w < born) && c.AddedAt > born && c.Default != nil && c.Default.Const != nil {
			// The row is older than the column: it reads the column's
			// DEFAULT, and a counter counts its deltas from there.
			d, err := sqltypes.DecodeText(c.Type, *c.Default.Const)
			if err != nil {
				return rowState{}, err
			}
			v, wt, w = toCQL(c, d), born, born
		}
		if v == nil || wt == nil || w < born || w > asOf {
			continue
		}
		if isCounter {
			n, err := addCounter(c, v.(int64), sumDeltas(shards, j, w, asOf))
			if err != nil {
				return rowState{}, err
			}
			v = n
		}
		values[c.Num-1] = fromCQL(c, v)
	}
	return rowState{live: true, values: values}, nil
}

func shardList(n int) string {
	s := make([]string, n)
	for i := range s {
		s[i] = fmt.Sprint(i)
	}
	return strings.Join(s, ", ")
}

// keyWhere is "k1 = ? AND k2 = ?" over the key columns.
func keyWhere(t *catalog.Table) string {
	parts := make([]string, len(t.PrimaryKey))
	for i, c := range t.KeyColumns() {
		parts[i] = c.CQLName() + " = ?"
	}
	return strings.Join(parts, " AND ")
}

// quoteIdent double-quotes a CQL identifier.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

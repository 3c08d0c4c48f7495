package rewrite

import (
	"context"
	"fmt"

	"github.com/tally-db/tally/catalog"
)

// Delete removes rows named by their full primary key. It writes the delete
// marker tally_deleted = T as a live cell (Cassandra never purges it, unlike
// a tombstone), so a replica that missed the delete can never bring the row
// back; then it range-deletes the row's older deltas to free space (cleanup
// only: reads ignore deltas older than tally_born anyway).
type Delete struct {
	Table     *catalog.Table
	Keys      [][]Expr
	Scan      bool // no key in WHERE: every row of the table, filtered
	Filter    Expr
	Returning []Expr
}

func (op *Delete) String() string {
	s := fmt.Sprintf("Delete %s keys %s", op.Table.Name, keysString(op.Keys))
	if op.Scan {
		s = "Delete " + op.Table.Name + " scan"
	}
	if op.Filter != nil {
		s += " filter " + op.Filter.String()
	}
	if op.Returning != nil {
		s += " returning " + exprsString(op.Returning)
	}
	return s
}

// Execute deletes.
func (op *Delete) Execute(ctx context.Context, env *Env, params []any) (*Result, error) {
	t, err := lookup(ctx, env, op.Table)
	if err != nil {
		return nil, err
	}
	st := env.stamp()
	keys, err := statementKeys(ctx, env, t, env.eval(params, nil, st.ts), op.Keys, op.Scan)
	if err != nil {
		return nil, err
	}
	res := &Result{}
	if op.Filter == nil && op.Returning == nil {
		n, err := deleteRows(ctx, env, t, keys, st, true)
		if err != nil {
			return nil, err
		}
		res.Tag = fmt.Sprintf("DELETE %d", n)
		return res, nil
	}
	// Rows are read first: the filter picks them, RETURNING shows them.
	before, err := readRows(ctx, env, t, keys, latest)
	if err != nil {
		return nil, err
	}
	var kept [][]any
	for i, r := range before {
		ev := env.eval(params, r.values, st.ts)
		if ok, err := matches(ev, op.Filter); err != nil || !r.live || !ok {
			if err != nil {
				return nil, err
			}
			continue
		}
		kept = append(kept, keys[i])
		if op.Returning != nil {
			row, err := project(ev, op.Returning)
			if err != nil {
				return nil, err
			}
			res.Rows = append(res.Rows, row)
		}
	}
	if _, err := deleteRows(ctx, env, t, kept, st, false); err != nil {
		return nil, err
	}
	res.Tag = fmt.Sprintf("DELETE %d", len(kept))
	return res, nil
}

// deleteRows writes the markers of keys and, when countLive, first reads
// how many of them are live (first: the marker it writes would hide what
// the row was before); then it cleans up old deltas.
func deleteRows(ctx context.Context, env *Env, t *catalog.Table, keys [][]any, st stamp, countLive bool) (int, error) {
	var live []liveness
	if countLive && len(keys) > 0 {
		var err error
		if live, err = readLive(ctx, env, t, keys); err != nil {
			return 0, err
		}
	}
	markers := make([]Stmt, len(keys))
	for i, key := range keys {
		markers[i] = deleteMarker(env.Keyspace, t, key, st.ts)
	}
	if err := env.write(ctx, markers); err != nil {
		return 0, fmt.Errorf("delete from %s: %w", t.Name, err)
	}
	for _, key := range keys {
		env.record(t, key, rowChange{ts: st.ts, delete: true})
	}
	n := 0
	for _, l := range live {
		if l.live(t, st.ts) {
			n++
		}
	}
	if len(t.Counters()) > 0 && !env.InTx() {
		for _, key := range keys {
			for shard := 0; shard < t.Shards; shard++ {
				err := env.Store.Exec(ctx, Stmt{
					CQL:       fmt.Sprintf("DELETE FROM %s.%s USING TIMESTAMP ? WHERE %s AND shard = ? AND ts <= ?", quoteIdent(env.Keyspace), t.DeltaTable(), keyWhere(t)),
					Args:      append(append([]any{st.ts}, cqlKey(t, key)...), shard, st.ts),
					Timestamp: st.ts,
				})
				if err != nil {
					env.Log.Warn("delete: cleanup of old deltas failed; they stay invisible", "table", t.Name, "err", err)
				}
			}
		}
	}
	return n, nil
}

// deleteMarker writes a row's delete marker, tally_deleted = ts, as a live
// cell stamped ts.
func deleteMarker(ks string, t *catalog.Table, key []any, ts int64) Stmt {
	return Stmt{
		CQL:       fmt.Sprintf("UPDATE %s.%s USING TIMESTAMP ? SET tally_deleted = ? WHERE %s", quoteIdent(ks), t.BaseTable(), keyWhere(t)),
		Args:      append([]any{ts, ts}, cqlKey(t, key)...),
		Timestamp: ts,
	}
}

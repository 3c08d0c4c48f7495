package rewrite

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/tally-db/tally/catalog"
	"github.com/tally-db/tally/pgerr"
)

// Assign is one `SET col = expr`: an absolute value, or (in Update.Adds)
// the signed amount added to a counter.
type Assign struct {
	Col  *catalog.Column
	Expr Expr
}

func (a Assign) String() string { return a.Col.Name + "=" + a.Expr.String() }

// Update changes rows named by their full primary key. Absolute sets write
// base cells stamped T; increments write one delta row keyed by (T, txid)
// per row, so a retried write is the same write. Without a filter the
// liveness read that decides the command tag runs in parallel with the
// writes; a delta that lands on a missing row is invisible (it is older than
// any later INSERT's tally_born).
type Update struct {
	Table     *catalog.Table
	Keys      [][]Expr
	Scan      bool // no key in WHERE: every row of the table, filtered
	Sets      []Assign
	Adds      []Assign
	Filter    Expr // non-key predicates over the row, or nil
	Returning []Expr
}

func (op *Update) String() string {
	s := fmt.Sprintf("Update %s keys %s set %v add %v", op.Table.Name, keysString(op.Keys), op.Sets, op.Adds)
	if op.Scan {
		s = fmt.Sprintf("Update %s scan set %v add %v", op.Table.Name, op.Sets, op.Adds)
	}
	if op.Filter != nil {
		s += " filter " + op.Filter.String()
	}
	if op.Returning != nil {
		s += " returning " + exprsString(op.Returning)
	}
	return s
}

// Execute updates.
func (op *Update) Execute(ctx context.Context, env *Env, params []any) (*Result, error) {
	t, err := lookup(ctx, env, op.Table)
	if err != nil {
		return nil, err
	}
	st := env.stamp()
	ev := env.eval(params, nil, st.ts)
	keys, err := statementKeys(ctx, env, t, ev, op.Keys, op.Scan)
	if err != nil {
		return nil, err
	}
	sets, adds, err := op.values(ev, t)
	if err != nil {
		return nil, err
	}
	if op.Filter != nil {
		// A filter needs the row before the write: only matching rows change.
		before, err := readRows(ctx, env, t, keys, latest)
		if err != nil {
			return nil, err
		}
		keys, err = filterKeys(env, params, st.ts, op.Filter, keys, before)
		if err != nil {
			return nil, err
		}
	}
	var writes []Stmt
	for _, key := range keys {
		writes = append(writes, updateCQL(env.Keyspace, t, key, sets, adds, st)...)
	}
	var live []liveness
	var rerr error
	var wg sync.WaitGroup
	if len(keys) > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			live, rerr = readLive(ctx, env, t, keys)
		}()
	}
	werr := env.write(ctx, writes)
	wg.Wait()
	if werr != nil {
		return nil, fmt.Errorf("update %s: %w", t.Name, werr)
	}
	if rerr != nil {
		// The write is applied; only the count is missing. Ask once more.
		if live, rerr = readLive(ctx, env, t, keys); rerr != nil {
			return nil, pgerr.Wrap(rerr, pgerr.TransactionResolutionUnknown,
				"the update was written but whether its rows exist could not be read")
		}
	}
	for _, key := range keys {
		env.record(t, key, rowChange{ts: st.ts, sets: sets, adds: adds})
	}
	var liveKeys, missing [][]any
	for i, l := range live {
		if l.live(t, st.ts) {
			liveKeys = append(liveKeys, keys[i])
		} else {
			missing = append(missing, keys[i])
		}
	}
	if len(adds) > 0 && !env.InTx() {
		cancelDeltas(ctx, env, t, missing, st)
	}
	res := &Result{Tag: fmt.Sprintf("UPDATE %d", len(liveKeys))}
	if op.Returning != nil && len(liveKeys) > 0 {
		if res.Rows, err = returning(ctx, env, t, liveKeys, params, st.ts, op.Returning); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// colValue is an evaluated Assign.
type colValue struct {
	col *catalog.Column
	v   any
}

// values evaluates the absolute sets and the increments. A NULL increment
// makes the counter NULL, as `c + NULL` is NULL in SQL: it becomes a set.
func (op *Update) values(ev *Eval, t *catalog.Table) (sets, adds []colValue, err error) {
	for _, a := range op.Sets {
		v, err := a.Expr.Eval(ev)
		if err != nil {
			return nil, nil, err
		}
		if err := checkNotNull(t, a.Col, v); err != nil {
			return nil, nil, err
		}
		sets = append(sets, colValue{a.Col, v})
	}
	for _, a := range op.Adds {
		v, err := a.Expr.Eval(ev)
		if err != nil {
			return nil, nil, err
		}
		if v == nil {
			if err := checkNotNull(t, a.Col, v); err != nil {
				return nil, nil, err
			}
			sets = append(sets, colValue{a.Col, nil})
			continue
		}
		adds = append(adds, colValue{a.Col, v})
	}
	return sets, adds, nil
}

// cancelDeltas deletes the delta rows this statement wrote for keys it
// answers as missing (UPDATE 0). Such a delta is normally invisible anyway
// (older than any later INSERT), but an INSERT racing the statement could
// be born before it: deleting the delta, with a timestamp just after its
// own, keeps "UPDATE 0 changed nothing" true. Best effort: a failure is
// logged.
func cancelDeltas(ctx context.Context, env *Env, t *catalog.Table, keys [][]any, st stamp) {
	for _, key := range keys {
		err := env.Store.Exec(ctx, Stmt{
			CQL: fmt.Sprintf("DELETE FROM %s.%s USING TIMESTAMP ? WHERE %s AND shard = ? AND ts = ? AND txid = ?",
				quoteIdent(env.Keyspace), t.DeltaTable(), keyWhere(t)),
			Args:      append(append([]any{st.ts + 1}, cqlKey(t, key)...), int(st.ts%int64(t.Shards)), st.ts, st.txid),
			Timestamp: st.ts + 1,
		})
		if err != nil && env.Log != nil {
			env.Log.Warn("update: cancelling the delta of a missing row failed", "table", t.Name, "err", err)
		}
	}
}

// filterKeys keeps the keys whose live row passes filter.
func filterKeys(env *Env, params []any, ts int64, filter Expr, keys [][]any, rows []rowState) ([][]any, error) {
	var out [][]any
	for i, r := range rows {
		if !r.live {
			continue
		}
		ok, err := matches(env.eval(params, r.values, ts), filter)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, keys[i])
		}
	}
	return out, nil
}

// returning reads the rows as of the statement's own timestamp and
// evaluates the RETURNING list over them.
func returning(ctx context.Context, env *Env, t *catalog.Table, keys [][]any, params []any, ts int64, targets []Expr) ([][]any, error) {
	after, err := readRows(ctx, env, t, keys, ts)
	if err != nil {
		return nil, err
	}
	var out [][]any
	for _, r := range after {
		if !r.live {
			continue
		}
		row, err := project(env.eval(params, r.values, ts), targets)
		if err != nil {
			return nil, err
		}
		out = append(out, row)
	}
	return out, nil
}

// updateCQL is the writes of one row: base cells for absolute sets, one
// delta row for increments.
func updateCQL(ks string, t *catalog.Table, key []any, sets, adds []colValue, st stamp) []Stmt {
	var out []Stmt
	ckey := cqlKey(t, key)
	if len(sets) > 0 {
		var assigns []string
		var args []any
		for _, s := range sets {
			assigns = append(assigns, s.col.CQLName()+" = ?")
			args = append(args, toCQL(s.col, s.v))
		}
		out = append(out, Stmt{
			CQL:       fmt.Sprintf("UPDATE %s.%s USING TIMESTAMP ? SET %s WHERE %s", quoteIdent(ks), t.BaseTable(), strings.Join(assigns, ", "), keyWhere(t)),
			Args:      append(append([]any{st.ts}, args...), ckey...),
			Timestamp: st.ts,
		})
	}
	if len(adds) > 0 {
		cols := []string{}
		for _, c := range t.KeyColumns() {
			cols = append(cols, c.CQLName())
		}
		cols = append(cols, "shard", "ts", "txid")
		args := append(append([]any{}, ckey...), int(st.ts%int64(t.Shards)), st.ts, st.txid)
		for _, a := range adds {
			cols = append(cols, a.col.CQLName())
			args = append(args, a.v)
		}
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ")
		out = append(out, Stmt{
			CQL:       fmt.Sprintf("INSERT INTO %s.%s (%s) VALUES (%s) USING TIMESTAMP ?", quoteIdent(ks), t.DeltaTable(), strings.Join(cols, ", "), marks),
			Args:      append(args, st.ts),
			Timestamp: st.ts,
		})
	}
	return out
}

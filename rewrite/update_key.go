package rewrite

import (
	"context"
	"fmt"

	"github.com/tally-db/tally/pgerr"
)

// UpdateKey is an UPDATE that changes primary key columns (Alembic bumps
// its version row with UPDATE alembic_version SET version_num = ...). In
// Cassandra a key is where a row lives, so each row moves: one logged
// batch deletes it at its old key (the delete marker) and inserts it, with
// the statement's sets and increments applied, at its new key, both at the
// statement's timestamp. An increment of the old row racing the move is
// lost with the old row, as if it had run before the UPDATE and been
// deleted by it; the README lists this.
type UpdateKey struct {
	Update
}

func (op *UpdateKey) String() string { return "Move" + op.Update.String() }

// Execute moves the rows.
func (op *UpdateKey) Execute(ctx context.Context, env *Env, params []any) (*Result, error) {
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
	before, err := readRows(ctx, env, t, keys, latest)
	if err != nil {
		return nil, err
	}
	var oldKeys, newKeys, newRows [][]any
	seen := map[string]bool{}
	for i, r := range before {
		if !r.live {
			continue
		}
		if ok, err := matches(env.eval(params, r.values, st.ts), op.Filter); err != nil || !ok {
			if err != nil {
				return nil, err
			}
			continue
		}
		row := append([]any(nil), r.values...)
		for _, s := range sets {
			row[s.col.Num-1] = s.v
		}
		for _, a := range adds {
			if cur, ok := row[a.col.Num-1].(int64); ok {
				sum := cur + a.v.(int64)
				if (a.v.(int64) > 0) != (sum > cur) || checkIntRange(sum, a.col.Type) != nil {
					return nil, pgerr.New(pgerr.NumericValueOutOfRange, "%s out of range", typeName(a.col.Type))
				}
				row[a.col.Num-1] = sum
			}
		}
		for _, c := range t.Columns {
			if err := checkNotNull(t, c, row[c.Num-1]); err != nil {
				return nil, err
			}
		}
		nk := keyOf(t, row)
		id := fmt.Sprintf("%#v", nk)
		if seen[id] {
			return nil, duplicateKey(t, nk)
		}
		seen[id] = true
		oldKeys, newKeys, newRows = append(oldKeys, keys[i]), append(newKeys, nk), append(newRows, row)
	}
	// A new key may not be live, unless it is one of the rows moving away.
	moving := map[string]bool{}
	for _, k := range oldKeys {
		moving[fmt.Sprintf("%#v", k)] = true
	}
	live, err := readLive(ctx, env, t, newKeys)
	if err != nil {
		return nil, err
	}
	for i, l := range live {
		if l.live(t, st.ts) && !moving[fmt.Sprintf("%#v", newKeys[i])] {
			return nil, duplicateKey(t, newKeys[i])
		}
	}
	var writes []Stmt
	for i := range oldKeys {
		writes = append(writes, deleteMarker(env.Keyspace, t, oldKeys[i], st.ts))
	}
	for _, row := range newRows {
		writes = append(writes, insertCQL(env.Keyspace, t, row, st.ts+1)) // born after the old key's delete
	}
	if len(writes) > 0 {
		if err := env.write(ctx, writes); err != nil {
			return nil, fmt.Errorf("update %s: %w", t.Name, err)
		}
	}
	for i := range oldKeys {
		env.record(t, oldKeys[i], rowChange{ts: st.ts, delete: true})
	}
	for i := range newKeys {
		env.record(t, newKeys[i], rowChange{ts: st.ts + 1, insert: newRows[i]})
	}
	res := &Result{Tag: fmt.Sprintf("UPDATE %d", len(newRows))}
	for _, row := range newRows {
		if op.Returning == nil {
			break
		}
		out, err := project(env.eval(params, row, st.ts), op.Returning)
		if err != nil {
			return nil, err
		}
		res.Rows = append(res.Rows, out)
	}
	return res, nil
}

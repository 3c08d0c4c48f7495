package query

import (
	"context"

	"github.com/tally-db/tally/catalog"
	"github.com/tally-db/tally/rewrite"
)

// execCtx is one execution of a query: the session's env, the statement's
// parameters, and what the query read so far (each relation is read once).
type execCtx struct {
	ctx    context.Context
	env    *rewrite.Env
	params []any
	snap   *snapshot
	cache  map[*Relation][][]any
}

// ectx is the context an expression is evaluated in: the current row, the
// aggregate results of its group, and the enclosing query's context.
type ectx struct {
	x     *execCtx
	row   []any
	aggs  []any
	outer *ectx
}

// rows reads a relation, once per execution.
func (x *execCtx) rows(r *Relation) ([][]any, error) {
	if rows, ok := x.cache[r]; ok {
		return rows, nil
	}
	rows, err := r.rows(x)
	if err != nil {
		return nil, err
	}
	x.cache[r] = rows
	return rows, nil
}

// snapshot is the user tables of the session's database as the catalog
// relations show them, loaded once per execution.
type snapshot struct {
	db     string
	tables []*catalog.Table
	byOID  map[int64]*catalog.Table
}

func (x *execCtx) snapshot() (*snapshot, error) {
	if x.snap != nil {
		return x.snap, nil
	}
	tables, err := x.env.Catalog.Tables(x.ctx, x.env.Store, x.env.Keyspace)
	if err != nil {
		return nil, err
	}
	s := &snapshot{db: x.env.Keyspace, tables: tables, byOID: map[int64]*catalog.Table{}}
	for _, t := range tables {
		s.byOID[tableOID(t)] = t
	}
	x.snap = s
	return s, nil
}

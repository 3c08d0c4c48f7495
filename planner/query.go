package planner

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/tally-db/tally/pgerr"
	"github.com/tally-db/tally/query"
	"github.com/tally-db/tally/rewrite"
)

// needsEngine reports whether a SELECT reads something only the query
// engine can: a catalog relation, a join, a subquery or function in FROM.
func needsEngine(ss *pg_query.SelectStmt) bool {
	if ss.Op != pg_query.SetOperation_SETOP_NONE || ss.WithClause != nil {
		return true
	}
	for _, f := range ss.FromClause {
		rv := f.GetRangeVar()
		if rv == nil || rv.Schemaname == "pg_catalog" || rv.Schemaname == "information_schema" ||
			query.IsCatalogRelation(rv.Schemaname, rv.Relname) {
			return true
		}
	}
	return false
}

// engineFallback reports whether an error of the keyed SELECT path means
// the query engine should plan the statement instead: a shape the keyed
// path refuses (no full key, ORDER BY, aggregates, ...) or a function
// only the engine knows.
func engineFallback(err error) bool {
	switch pgerr.CodeOf(err) {
	case pgerr.FeatureNotSupported, pgerr.UndefinedFunction:
		return true
	}
	return false
}

// query plans a SELECT with the query engine: catalog queries, and scans
// of user tables.
func (p *planCtx) query(ss *pg_query.SelectStmt) (rewrite.Op, []Field, error) {
	op, qf, err := query.Plan(p.ctx, p.sess.env, ss, func(n int, want uint32) (*rewrite.Param, error) {
		e, err := p.params.ref(n, want)
		if err != nil {
			return nil, err
		}
		return e.(*rewrite.Param), nil
	})
	if err != nil {
		return nil, nil, err
	}
	fields := make([]Field, len(qf))
	for i, f := range qf {
		fields[i] = Field{Name: f.Name, OID: f.OID, Size: f.Size, TypMod: f.TypMod}
	}
	return op, fields, nil
}

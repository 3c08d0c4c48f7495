package query

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/tally-db/tally/pgerr"
	"github.com/tally-db/tally/sqltypes"
)

func (p *planner) setop(ss *pg_query.SelectStmt, outer *scope) (node, error) {
	l, err := p.planSelect(ss.Larg, outer)
	if err != nil {
		return nil, err
	}
	r, err := p.planSelect(ss.Rarg, outer)
	if err != nil {
		return nil, err
	}
	lc, rc := l.columns(), r.columns()
	if len(lc) != len(rc) {
		return nil, pgerr.New(pgerr.SyntaxError, "each %s query must have the same number of columns", strings.ToUpper(setopName(ss.Op)))
	}
	out := make([]column, len(lc))
	for i := range lc {
		out[i] = column{name: lc[i].name, typ: lc[i].typ, typmod: lc[i].typmod}
		if out[i].typ == sqltypes.Unknown || out[i].typ == sqltypes.Text && rc[i].typ != sqltypes.Text && rc[i].typ != sqltypes.Unknown {
			out[i].typ = rc[i].typ
		}
	}
	n := &setopNode{op: setopName(ss.Op), all: ss.All, left: l, right: r, out: out}
	if n.sorts, err = p.sorts(ss.SortClause, outer, out, nil, false); err != nil {
		return nil, err
	}
	if n.limit, n.offset, err = p.limits(ss, outer); err != nil {
		return nil, err
	}
	return n, nil
}

func setopName(op pg_query.SetOperation) string {
	switch op {
	case pg_query.SetOperation_SETOP_INTERSECT:
		return "intersect"
	case pg_query.SetOperation_SETOP_EXCEPT:
		return "except"
	}
	return "union"
}

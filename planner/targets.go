package planner

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/tally-db/tally/pgerr"
	"github.com/tally-db/tally/rewrite"
	"github.com/tally-db/tally/sqltypes"
)

// targets plans a select list or RETURNING list over scope sc: expressions,
// `*` and `t.*`, with the column names Postgres gives them.
func (p *planCtx) targets(list []*pg_query.Node, sc *scope) ([]rewrite.Expr, []Field, error) {
	var exprs []rewrite.Expr
	var names []string
	var typmods []int32
	for _, n := range list {
		rt := n.GetResTarget()
		if cr := rt.Val.GetColumnRef(); cr != nil && isStar(cr) {
			if sc == nil {
				return nil, nil, unsupported("SELECT * without FROM")
			}
			if len(cr.Fields) > 1 {
				if qual := cr.Fields[len(cr.Fields)-2].GetString_().GetSval(); qual != sc.alias {
					return nil, nil, pgerr.New(pgerr.UndefinedTable, "missing FROM-clause entry for table %q", qual)
				}
			}
			for _, c := range sc.table.Columns {
				exprs = append(exprs, sc.ref(c))
				names = append(names, c.Name)
				typmods = append(typmods, c.TypMod)
			}
			continue
		}
		e, err := p.expr(rt.Val, sc, 0)
		if err != nil {
			return nil, nil, err
		}
		if e.Type() == sqltypes.Unknown {
			if e, err = coerce(e, sqltypes.Text, false); err != nil {
				return nil, nil, err
			}
		}
		exprs = append(exprs, e)
		names = append(names, targetName(rt))
		typmods = append(typmods, typmodOf(e, sc))
	}
	return exprs, fieldsOf(names, exprs, typmods), nil
}

func isStar(cr *pg_query.ColumnRef) bool {
	return cr.Fields[len(cr.Fields)-1].GetAStar() != nil
}

// targetName is the result column name Postgres picks: the alias, the
// column, the function, the cast's type, or ?column?.
func targetName(rt *pg_query.ResTarget) string {
	if rt.Name != "" {
		return rt.Name
	}
	n := rt.Val
	for n.GetTypeCast() != nil {
		if inner := n.GetTypeCast().Arg; inner.GetColumnRef() != nil || inner.GetFuncCall() != nil {
			n = inner
			continue
		}
		names := n.GetTypeCast().TypeName.Names
		return names[len(names)-1].GetString_().GetSval()
	}
	switch {
	case n.GetColumnRef() != nil:
		parts := nameParts(n.GetColumnRef())
		return parts[len(parts)-1]
	case n.GetFuncCall() != nil:
		names := n.GetFuncCall().Funcname
		return names[len(names)-1].GetString_().GetSval()
	case n.GetSqlvalueFunction() != nil:
		return map[pg_query.SQLValueFunctionOp]string{
			pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP: "current_timestamp",
			pg_query.SQLValueFunctionOp_SVFOP_CURRENT_DATE:      "current_date",
			pg_query.SQLValueFunctionOp_SVFOP_CURRENT_USER:      "current_user",
			pg_query.SQLValueFunctionOp_SVFOP_SESSION_USER:      "session_user",
			pg_query.SQLValueFunctionOp_SVFOP_CURRENT_SCHEMA:    "current_schema",
			pg_query.SQLValueFunctionOp_SVFOP_CURRENT_CATALOG:   "current_catalog",
		}[n.GetSqlvalueFunction().Op]
	}
	return "?column?"
}

// typmodOf is the typmod of a plain column reference, -1 otherwise.
func typmodOf(e rewrite.Expr, sc *scope) int32 {
	if cr, ok := e.(*rewrite.ColumnRef); ok && sc != nil {
		return sc.table.Columns[cr.Index].TypMod
	}
	return -1
}

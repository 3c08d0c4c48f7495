package planner

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/tally-db/tally/catalog"
	"github.com/tally-db/tally/rewrite"
	"github.com/tally-db/tally/sqltypes"
)

// term is one signed operand of a chain of + and -.
type term struct {
	neg  bool
	node *pg_query.Node
}

// terms flattens a chain of + and - (parentheses are already gone).
func terms(n *pg_query.Node, neg bool) []term {
	a := n.GetAExpr()
	if a == nil || a.Kind != pg_query.A_Expr_Kind_AEXPR_OP {
		return []term{{neg, n}}
	}
	switch op := opName(a); {
	case op == "+" && a.Lexpr != nil:
		return append(terms(a.Lexpr, neg), terms(a.Rexpr, neg)...)
	case op == "-" && a.Lexpr != nil:
		return append(terms(a.Lexpr, neg), terms(a.Rexpr, !neg)...)
	case op == "-":
		return terms(a.Rexpr, !neg)
	}
	return []term{{neg, n}}
}

// increment recognises an increment of counter c — `c + n`, `n + c`,
// `c - n`, `t.c + $1`, `c + 1 + 2` — where the other terms are integers
// that read no column. It returns the signed delta.
func (p *planCtx) increment(t *catalog.Table, c *catalog.Column, n *pg_query.Node, sc *scope) (rewrite.Expr, bool, error) {
	return p.incrementFrom(t, c, n, sc, nil)
}

// incrementFrom is increment where the added terms may read the columns of
// another row, values (ON CONFLICT's EXCLUDED): `c = t.c + EXCLUDED.c`.
func (p *planCtx) incrementFrom(t *catalog.Table, c *catalog.Column, n *pg_query.Node, sc, values *scope) (rewrite.Expr, bool, error) {
	if !t.IsCounter(c) {
		return nil, false, nil
	}
	var self int
	var rest []term
	for _, tm := range terms(n, false) {
		if isSelf, err := coalescedSelf(c, tm, sc); err != nil || isSelf {
			if err != nil {
				return nil, false, err
			}
			self++
			continue
		}
		if cr := tm.node.GetColumnRef(); cr != nil && !isStar(cr) && !(values != nil && qualifiedBy(cr, values.alias)) {
			ref, err := sc.column(nameParts(cr))
			if err != nil {
				return nil, false, err
			}
			if ref == c && !tm.neg {
				self++
				continue
			}
			return nil, false, nil
		}
		if values != nil {
			onlyValues := true
			walkColumnRefs(tm.node, func(parts []string) {
				onlyValues = onlyValues && len(parts) > 1 && parts[len(parts)-2] == values.alias
			})
			if !onlyValues {
				return nil, false, nil
			}
		} else if readsColumns(tm.node) {
			return nil, false, nil
		}
		rest = append(rest, tm)
	}
	if self != 1 {
		return nil, false, nil
	}
	var delta rewrite.Expr = &rewrite.Const{Value: int64(0), Typ: sqltypes.Int8}
	for _, tm := range rest {
		e, err := p.expr(tm.node, values, c.Type)
		if err != nil {
			return nil, false, err
		}
		if !sqltypes.IsInteger(e.Type()) && e.Type() != sqltypes.Unknown {
			return nil, false, unsupported("adding a %s to integer column %q: increments must be integers", typeName(e.Type()), c.Name)
		}
		if e, err = coerce(e, sqltypes.Int8, true); err != nil {
			return nil, false, err
		}
		op := "+"
		if tm.neg {
			op = "-"
		}
		if k, ok := delta.(*rewrite.Const); ok && k.Value == int64(0) && op == "+" {
			delta = e
			continue
		}
		delta = &rewrite.BinOp{Op: op, L: delta, R: e, Typ: sqltypes.Int8}
	}
	return delta, true, nil
}

// coalescedSelf recognises `COALESCE(c, 0)`, the term ORMs (Rails'
// update_counters, Sequelize) write so that an increment of a NULL counter
// starts from 0. On a NOT NULL column it is just c. On a nullable column
// tally refuses it: an increment of a NULL counter stays NULL in tally, as
// `c + 1` does in Postgres, and turning NULL into n would need a read.
func coalescedSelf(c *catalog.Column, tm term, sc *scope) (bool, error) {
	ce := tm.node.GetCoalesceExpr()
	if ce == nil || tm.neg || len(ce.Args) != 2 {
		return false, nil
	}
	cr := ce.Args[0].GetColumnRef()
	if cr == nil || isStar(cr) {
		return false, nil
	}
	ref, err := sc.column(nameParts(cr))
	if err != nil || ref != c {
		return false, err
	}
	if k := ce.Args[1].GetAConst(); k == nil || k.GetIval() == nil || k.GetIval().Ival != 0 {
		return false, nil
	}
	if !c.NotNull {
		return false, unsupported("SET %s = COALESCE(%s, 0) + n on the nullable column %q", c.Name, c.Name, c.Name).
			WithHint("Declare the counter NOT NULL DEFAULT 0 (then COALESCE is not needed, and tally accepts it), or write %s = %s + n.", c.Name, c.Name)
	}
	return true, nil
}

// qualifiedBy reports whether a column reference is qualified by alias.
func qualifiedBy(cr *pg_query.ColumnRef, alias string) bool {
	parts := nameParts(cr)
	return len(parts) > 1 && parts[len(parts)-2] == alias
}

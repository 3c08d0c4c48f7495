package planner

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/tally-db/tally/catalog"
	"github.com/tally-db/tally/pgerr"
	"github.com/tally-db/tally/rewrite"
	"github.com/tally-db/tally/sqltypes"
)

// maxKeys bounds how many rows one statement may name through IN lists.
const maxKeys = 1000

// where splits a WHERE clause into the primary keys it names (equalities
// and IN lists on every key column, ANDed) and a filter over the rest.
// SELECT's keyed path needs the whole key; other SELECTs go to the query
// engine.
func (p *planCtx) where(n *pg_query.Node, sc *scope, verb string) ([][]rewrite.Expr, rewrite.Expr, error) {
	keys, filter, err := p.dmlWhere(n, sc, verb, false)
	if err == nil && keys == nil {
		t := sc.table
		return nil, nil, unsupported("%s on %q without the whole primary key in WHERE (%s = ...): scans are not supported",
			verb, t.Name, t.KeyColumns()[0].Name).
			WithHint("Name every primary key column with = or IN.")
	}
	return keys, filter, err
}

// dmlWhere is where for UPDATE and DELETE, which may also go without the
// whole key: then keys is nil and the statement scans the table, its
// filter deciding each row. A condition on columns outside the key is
// refused with increments: checking it and then adding is not atomic in
// Cassandra, so `used < 100` could let concurrent updates past it. For
// absolute sets and deletes the condition is checked on a read just
// before the write (see README, "Known limits").
func (p *planCtx) dmlWhere(n *pg_query.Node, sc *scope, verb string, increments bool) ([][]rewrite.Expr, rewrite.Expr, error) {
	t := sc.table
	perCol := make([][]rewrite.Expr, len(t.PrimaryKey))
	var conds []*pg_query.Node
	for _, conj := range conjuncts(n) {
		col, values, err := p.keyPredicate(conj, sc)
		if err != nil {
			return nil, nil, err
		}
		if col >= 0 && perCol[col] == nil {
			perCol[col] = values
			continue
		}
		if increments && readsColumns(conj) {
			return nil, nil, unsupported("%s adding to a counter with a condition on columns outside the primary key (it could not be checked atomically)", verb)
		}
		conds = append(conds, conj)
	}
	whole := true
	for _, vals := range perCol {
		whole = whole && vals != nil
	}
	if !whole {
		// Every condition, the key's among them, filters the scanned rows.
		conds = conjuncts(n)
	}
	var rest []rewrite.Expr
	for _, conj := range conds {
		e, err := p.boolean(conj, sc, "WHERE")
		if err != nil {
			return nil, nil, err
		}
		rest = append(rest, e)
	}
	var filter rewrite.Expr
	switch len(rest) {
	case 0:
	case 1:
		filter = rest[0]
	default:
		filter = &rewrite.BoolOp{Op: "AND", Args: rest}
	}
	if !whole {
		return nil, filter, nil
	}
	keys := [][]rewrite.Expr{{}}
	for _, vals := range perCol {
		var next [][]rewrite.Expr
		for _, k := range keys {
			for _, v := range vals {
				next = append(next, append(append([]rewrite.Expr{}, k...), v))
			}
		}
		keys = next
		if len(keys) > maxKeys {
			return nil, nil, pgerr.New(pgerr.ProgramLimitExceeded, "a statement may name at most %d keys", maxKeys)
		}
	}
	return keys, filter, nil
}

// conjuncts flattens ANDs.
func conjuncts(n *pg_query.Node) []*pg_query.Node {
	if n == nil {
		return nil
	}
	if b := n.GetBoolExpr(); b != nil && b.Boolop == pg_query.BoolExprType_AND_EXPR {
		var out []*pg_query.Node
		for _, a := range b.Args {
			out = append(out, conjuncts(a)...)
		}
		return out
	}
	return []*pg_query.Node{n}
}

// keyPredicate recognises `key = value`, `value = key` and `key IN (...)`
// where value reads no column; it returns the key's position in the
// primary key (-1 if n is something else) and the values, coerced to the
// key's type.
func (p *planCtx) keyPredicate(n *pg_query.Node, sc *scope) (int, []rewrite.Expr, error) {
	a := n.GetAExpr()
	if a == nil || opName(a) != "=" {
		return -1, nil, nil
	}
	colSide, valSide := a.Lexpr, a.Rexpr
	if colSide.GetColumnRef() == nil {
		colSide, valSide = valSide, colSide
	}
	cr := colSide.GetColumnRef()
	if cr == nil || isStar(cr) {
		return -1, nil, nil
	}
	c, err := sc.column(nameParts(cr))
	if err != nil {
		return -1, nil, err
	}
	pos := -1
	for i, k := range sc.table.PrimaryKey {
		if k == c.Num-1 {
			pos = i
		}
	}
	var items []*pg_query.Node
	switch {
	case pos < 0:
		return -1, nil, nil
	case a.Kind == pg_query.A_Expr_Kind_AEXPR_OP:
		items = []*pg_query.Node{valSide}
	case a.Kind == pg_query.A_Expr_Kind_AEXPR_IN && colSide == a.Lexpr:
		items = valSide.GetList().GetItems()
	case a.Kind == pg_query.A_Expr_Kind_AEXPR_OP_ANY && colSide == a.Lexpr && valSide.GetAArrayExpr() != nil:
		items = valSide.GetAArrayExpr().Elements
	case a.Kind == pg_query.A_Expr_Kind_AEXPR_OP_ANY && colSide == a.Lexpr:
		return p.keyArray(pos, c, valSide)
	default:
		return -1, nil, nil
	}
	var values []rewrite.Expr
	for _, it := range items {
		if readsColumns(it) {
			return -1, nil, nil
		}
		e, err := p.expr(it, nil, c.Type)
		if err != nil {
			return -1, nil, err
		}
		v, err := coerce(e, c.Type, false)
		switch {
		case err != nil && pgerr.CodeOf(err) == pgerr.NumericValueOutOfRange:
			// A number outside the key's type equals no key: no row.
			v = &rewrite.Const{Typ: c.Type}
		case err != nil:
			return -1, nil, pgerr.New(pgerr.UndefinedFunction, "operator does not exist: %s = %s", typeName(c.Type), typeName(e.Type())).
				WithHint("No operator matches the given name and argument types. You might need to add explicit type casts.")
		}
		values = append(values, v)
	}
	return pos, values, nil
}

// keyArray plans `key = ANY(array)`: the keys are the array's elements,
// known when the statement runs (a parameter list from the client).
func (p *planCtx) keyArray(pos int, c *catalog.Column, n *pg_query.Node) (int, []rewrite.Expr, error) {
	if readsColumns(n) {
		return -1, nil, nil
	}
	arrType, ok := sqltypes.ArrayOf(c.Type)
	if !ok {
		return -1, nil, nil
	}
	e, err := p.expr(n, nil, arrType)
	if err != nil {
		return -1, nil, err
	}
	if e, err = coerce(e, arrType, false); err != nil {
		return -1, nil, pgerr.New(pgerr.UndefinedFunction, "operator does not exist: %s = %s", typeName(c.Type), typeName(e.Type())).
			WithHint("No operator matches the given name and argument types. You might need to add explicit type casts.")
	}
	return pos, []rewrite.Expr{&rewrite.Elements{Array: e}}, nil
}

// readsColumns reports whether an expression names any column.
func readsColumns(n *pg_query.Node) bool {
	found := false
	walkColumnRefs(n, func([]string) { found = true })
	return found
}

// walkColumnRefs calls fn with the name parts of each column an expression
// names (nil parts for `*`), through the node kinds planned expressions
// may hold.
func walkColumnRefs(n *pg_query.Node, fn func(parts []string)) {
	var walk func(m *pg_query.Node)
	walk = func(m *pg_query.Node) {
		if m == nil {
			return
		}
		if cr := m.GetColumnRef(); cr != nil {
			fn(nameParts(cr))
			return
		}
		var kids []*pg_query.Node
		switch {
		case m.GetAExpr() != nil:
			kids = []*pg_query.Node{m.GetAExpr().Lexpr, m.GetAExpr().Rexpr}
		case m.GetTypeCast() != nil:
			kids = []*pg_query.Node{m.GetTypeCast().Arg}
		case m.GetBoolExpr() != nil:
			kids = m.GetBoolExpr().Args
		case m.GetFuncCall() != nil:
			kids = m.GetFuncCall().Args
		case m.GetList() != nil:
			kids = m.GetList().Items
		case m.GetCoalesceExpr() != nil:
			kids = m.GetCoalesceExpr().Args
		case m.GetNullTest() != nil:
			kids = []*pg_query.Node{m.GetNullTest().Arg}
		case m.GetCaseExpr() != nil:
			ce := m.GetCaseExpr()
			kids = []*pg_query.Node{ce.Arg, ce.Defresult}
			for _, w := range ce.Args {
				kids = append(kids, w.GetCaseWhen().GetExpr(), w.GetCaseWhen().GetResult())
			}
		}
		for _, k := range kids {
			walk(k)
		}
	}
	walk(n)
}

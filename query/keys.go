package query

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/tally-db/tally/rewrite"
)

// keyNode reads the rows of a user table named by their primary keys: a
// SELECT whose WHERE pins every key column (= or IN, to constants or
// parameters) reads those rows, not the whole table. The WHERE is still
// evaluated on them.
type keyNode struct {
	rel  *Relation
	cols []column
	keys [][]*expr // per key column, the values it may take
}

func (n *keyNode) columns() []column { return n.cols }

func (n *keyNode) run(e *ectx) ([][]any, error) {
	c := &ectx{x: e.x, outer: e}
	combos := [][]any{{}}
	for i, opts := range n.keys {
		typ := n.rel.Table.KeyColumns()[i].Type
		var next [][]any
		for _, x := range opts {
			v, err := x.eval(c)
			if err != nil {
				return nil, err
			}
			vals := []any{v}
			if items, ok := v.([]any); ok && elemOf(x.typ) != 0 {
				vals = items // = ANY(array)
			}
			for _, v := range vals {
				if v == nil {
					continue
				}
				if v, err = castValue(e.x, v, elemOrSelf(x.typ), typ); err != nil {
					return nil, err
				}
				for _, prefix := range combos {
					next = append(next, append(append([]any(nil), prefix...), v))
				}
			}
		}
		combos = next
	}
	if len(combos) == 0 {
		return nil, nil
	}
	return rewrite.ReadRows(e.x.ctx, e.x.env, n.rel.Table, combos)
}

// pushKeys replaces the scan of a SELECT's one user table by a key read
// when the WHERE names every primary key column's values.
func (p *planner) pushKeys(ss *pg_query.SelectStmt, n *selectNode, outer *scope) {
	al, ok := n.from.(*aliasNode)
	if !ok || len(al.cols) == 0 || ss.WhereClause == nil {
		return
	}
	rn, ok := al.in.(*relNode)
	if !ok || rn.rel.Table == nil {
		return
	}
	t := rn.rel.Table
	alias := al.cols[0].qual
	keys := make([][]*expr, len(t.PrimaryKey))
	for _, c := range conjuncts(ss.WhereClause) {
		a := c.GetAExpr()
		if a == nil {
			continue
		}
		var colNode *pg_query.Node
		var values []*pg_query.Node
		switch {
		case a.Kind == pg_query.A_Expr_Kind_AEXPR_OP && opName(a.Name) == "=":
			if isValue(a.Rexpr) {
				colNode, values = a.Lexpr, []*pg_query.Node{a.Rexpr}
			} else if isValue(a.Lexpr) {
				colNode, values = a.Rexpr, []*pg_query.Node{a.Lexpr}
			}
		case a.Kind == pg_query.A_Expr_Kind_AEXPR_OP_ANY && opName(a.Name) == "=" && isValue(a.Rexpr):
			colNode, values = a.Lexpr, []*pg_query.Node{a.Rexpr}
		case a.Kind == pg_query.A_Expr_Kind_AEXPR_IN && opName(a.Name) == "=":
			colNode, values = a.Lexpr, a.Rexpr.GetList().GetItems()
			for _, v := range values {
				if !isValue(v) {
					colNode = nil
				}
			}
		}
		name := ownColumn(colNode, alias)
		col := t.Column(name)
		if col == nil || !t.IsKey(col) {
			continue
		}
		pos := 0
		for i, k := range t.KeyColumns() {
			if k == col {
				pos = i
			}
		}
		if keys[pos] != nil {
			continue // already pinned by an earlier conjunct
		}
		want := col.Type
		if a.Kind == pg_query.A_Expr_Kind_AEXPR_OP_ANY {
			want = arrayOf(col.Type)
		}
		var xs []*expr
		for _, v := range values {
			x, err := p.compile(v, &scope{parent: outer}, want)
			if err != nil {
				return
			}
			if x.lit != nil {
				x = castExpr(x, want, -1)
			}
			xs = append(xs, x)
		}
		keys[pos] = xs
	}
	for _, k := range keys {
		if k == nil {
			return
		}
	}
	al.in = &keyNode{rel: rn.rel, cols: rn.cols, keys: keys}
}

// conjuncts flattens a WHERE's top-level ANDs.
func conjuncts(n *pg_query.Node) []*pg_query.Node {
	if b := n.GetBoolExpr(); b != nil && b.Boolop == pg_query.BoolExprType_AND_EXPR {
		var out []*pg_query.Node
		for _, a := range b.Args {
			out = append(out, conjuncts(a)...)
		}
		return out
	}
	return []*pg_query.Node{n}
}

// isValue accepts what a key lookup may use: a constant or parameter,
// maybe cast.
func isValue(n *pg_query.Node) bool {
	switch {
	case n == nil:
		return false
	case n.GetAConst() != nil:
		return !n.GetAConst().Isnull
	case n.GetParamRef() != nil:
		return true
	case n.GetTypeCast() != nil:
		return isValue(n.GetTypeCast().Arg)
	}
	return false
}

// ownColumn returns the column a ColumnRef names if it is unqualified or
// qualified by the table's alias, else "".
func ownColumn(n *pg_query.Node, alias string) string {
	cr := n.GetColumnRef()
	if cr == nil {
		return ""
	}
	var parts []string
	for _, f := range cr.Fields {
		if f.GetString_() == nil {
			return ""
		}
		parts = append(parts, f.GetString_().Sval)
	}
	switch len(parts) {
	case 1:
		return parts[0]
	case 2:
		if parts[0] == alias {
			return parts[1]
		}
	case 3:
		if parts[0] == "public" && parts[1] == alias {
			return parts[2]
		}
	}
	return ""
}

// elemOrSelf is an array type's element type, or the type itself.
func elemOrSelf(t uint32) uint32 {
	if e := elemOf(t); e != 0 {
		return e
	}
	return t
}

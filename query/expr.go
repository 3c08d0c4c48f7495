package query

import (
	"strconv"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"gopkg.in/inf.v0"

	"github.com/tally-db/tally/pgerr"
	"github.com/tally-db/tally/sqltypes"
)

// expr is a compiled expression.
type expr struct {
	typ    uint32
	typmod int32
	eval   func(e *ectx) (any, error)
	// lit is set for an untyped string literal ('posts'): it takes the
	// type its context expects, as Postgres' unknown type does.
	lit  *string
	name string // the column name a target list gives it
}

func constExpr(v any, typ uint32) *expr {
	return &expr{typ: typ, typmod: -1, eval: func(*ectx) (any, error) { return v, nil }}
}

// scope is what names an expression may use: the columns of the FROM
// items, the enclosing queries' scopes, and (in a grouped select) where
// aggregates go.
type scope struct {
	cols   []column
	parent *scope
	aggs   *[]*aggCall // nil: aggregates not allowed here
	outs   []column    // output columns, for ORDER BY names
}

// lookup resolves a column reference: how many scopes up, and where.
func (s *scope) lookup(qual, name string) (int, int, column, error) {
	depth := 0
	for sc := s; sc != nil; sc, depth = sc.parent, depth+1 {
		found := -1
		for i, c := range sc.cols {
			if c.name != name || (qual != "" && c.qual != qual) || (qual == "" && c.merged) {
				continue
			}
			if found >= 0 {
				return 0, 0, column{}, pgerr.New(pgerr.AmbiguousColumn, "column reference %q is ambiguous", name)
			}
			found = i
		}
		if found >= 0 {
			return depth, found, sc.cols[found], nil
		}
	}
	if qual != "" && !s.hasQual(qual) {
		return 0, 0, column{}, pgerr.New(pgerr.UndefinedTable, "missing FROM-clause entry for table %q", qual)
	}
	if qual != "" {
		return 0, 0, column{}, pgerr.New(pgerr.UndefinedColumn, "column %s.%s does not exist", qual, name)
	}
	return 0, 0, column{}, pgerr.New(pgerr.UndefinedColumn, "column %q does not exist", name)
}

func (s *scope) hasQual(q string) bool {
	for sc := s; sc != nil; sc = sc.parent {
		for _, c := range sc.cols {
			if c.qual == q {
				return true
			}
		}
	}
	return false
}

// compile compiles n in scope s. want is the type the context expects
// (0: none); it types parameters.
func (p *planner) compile(n *pg_query.Node, s *scope, want uint32) (*expr, error) {
	if n == nil {
		return constExpr(nil, sqltypes.Unknown), nil
	}
	switch {
	case n.GetAConst() != nil:
		return aConst(n.GetAConst())
	case n.GetColumnRef() != nil:
		return p.columnRef(n.GetColumnRef(), s)
	case n.GetParamRef() != nil:
		return p.param(int(n.GetParamRef().Number), want)
	case n.GetAExpr() != nil:
		return p.aExpr(n.GetAExpr(), s)
	case n.GetBoolExpr() != nil:
		return p.boolExpr(n.GetBoolExpr(), s)
	case n.GetNullTest() != nil:
		nt := n.GetNullTest()
		arg, err := p.compile(nt.Arg, s, 0)
		if err != nil {
			return nil, err
		}
		isNull := nt.Nulltesttype == pg_query.NullTestType_IS_NULL
		return &expr{typ: sqltypes.Bool, typmod: -1, eval: func(e *ectx) (any, error) {
			v, err := arg.eval(e)
			return (v == nil) == isNull, err
		}}, nil
	case n.GetBooleanTest() != nil:
		return p.booleanTest(n.GetBooleanTest(), s)
	case n.GetFuncCall() != nil:
		return p.funcCall(n.GetFuncCall(), s)
	case n.GetTypeCast() != nil:
		return p.typeCast(n.GetTypeCast(), s)
	case n.GetSubLink() != nil:
		return p.subLink(n.GetSubLink(), s)
	case n.GetCaseExpr() != nil:
		return p.caseExpr(n.GetCaseExpr(), s)
	case n.GetCoalesceExpr() != nil:
		return p.coalesce(n.GetCoalesceExpr().Args, s, "coalesce")
	case n.GetMinMaxExpr() != nil:
		mm := n.GetMinMaxExpr()
		name := "greatest"
		if mm.Op == pg_query.MinMaxOp_IS_LEAST {
			name = "least"
		}
		return p.coalesce(mm.Args, s, name)
	case n.GetAArrayExpr() != nil:
		return p.arrayExpr(n.GetAArrayExpr().Elements, s, want)
	case n.GetSqlvalueFunction() != nil:
		return p.sqlValueFunction(n.GetSqlvalueFunction())
	case n.GetCollateClause() != nil:
		return p.compile(n.GetCollateClause().Arg, s, want)
	case n.GetAIndirection() != nil:
		return p.indirection(n.GetAIndirection(), s)
	case n.GetRowExpr() != nil:
		return nil, pgerr.Unsupported("tally does not support row constructors in catalog queries yet")
	}
	return nil, pgerr.Unsupported("tally does not support this expression in queries yet: %s", nodeName(n))
}

func nodeName(n *pg_query.Node) string {
	m := n.ProtoReflect()
	if f := m.WhichOneof(m.Descriptor().Oneofs().Get(0)); f != nil {
		return string(f.Name())
	}
	return "?"
}

func aConst(c *pg_query.A_Const) (*expr, error) {
	if c.Isnull {
		return constExpr(nil, sqltypes.Unknown), nil
	}
	switch v := c.Val.(type) {
	case *pg_query.A_Const_Ival:
		return constExpr(int64(v.Ival.Ival), sqltypes.Int4), nil
	case *pg_query.A_Const_Fval:
		if n, err := strconv.ParseInt(v.Fval.Fval, 10, 64); err == nil {
			return constExpr(n, sqltypes.Int8), nil
		}
		d, ok := new(inf.Dec).SetString(v.Fval.Fval)
		if !ok {
			return nil, pgerr.New(pgerr.InvalidTextRepresentation, "invalid input syntax for type numeric: %q", v.Fval.Fval)
		}
		return constExpr(d, sqltypes.Numeric), nil
	case *pg_query.A_Const_Sval:
		s := v.Sval.Sval
		e := constExpr(s, sqltypes.Unknown)
		e.lit = &s
		return e, nil
	case *pg_query.A_Const_Boolval:
		return constExpr(v.Boolval.Boolval, sqltypes.Bool), nil
	case *pg_query.A_Const_Bsval:
		return constExpr(v.Bsval.Bsval, sqltypes.Text), nil
	}
	return nil, pgerr.Unsupported("tally does not support this constant")
}

func (p *planner) columnRef(cr *pg_query.ColumnRef, s *scope) (*expr, error) {
	var parts []string
	for _, f := range cr.Fields {
		if f.GetAStar() != nil {
			return nil, pgerr.New(pgerr.SyntaxError, "row expansion via \"*\" is not supported here")
		}
		parts = append(parts, f.GetString_().GetSval())
	}
	name, qual := parts[len(parts)-1], ""
	if len(parts) > 1 {
		qual = parts[len(parts)-2]
	}
	if s != nil && s.outs != nil && qual == "" {
		// ORDER BY an output column name.
		for i, c := range s.outs {
			if c.name == name {
				idx := i
				return &expr{typ: c.typ, typmod: c.typmod, name: name, eval: func(e *ectx) (any, error) {
					return e.row[idx], nil
				}}, nil
			}
		}
	}
	depth, idx, c, err := s.lookup(qual, name)
	if err != nil {
		return nil, err
	}
	return &expr{typ: c.typ, typmod: c.typmod, name: name, eval: func(e *ectx) (any, error) {
		for i := 0; i < depth; i++ {
			e = e.outer
		}
		if idx >= len(e.row) {
			return nil, nil
		}
		return e.row[idx], nil
	}}, nil
}

// param compiles $n. Its type is the client's declaration, else what the
// context wants if the wire codecs know it, else text (cast at run time).
func (p *planner) param(n int, want uint32) (*expr, error) {
	if !paramType(want) {
		want = 0
	}
	if p.params == nil {
		return nil, pgerr.New(pgerr.UndefinedParameter, "there is no parameter $%d", n)
	}
	ref, err := p.params(n, want)
	if err != nil {
		return nil, err
	}
	typ := ref.Typ
	if typ == 0 || typ == sqltypes.Unknown {
		typ = sqltypes.Text
	}
	idx := ref.Index
	return &expr{typ: typ, typmod: -1, name: "?column?", eval: func(e *ectx) (any, error) {
		if idx >= len(e.x.params) {
			return nil, pgerr.New(pgerr.UndefinedParameter, "there is no parameter $%d", idx+1)
		}
		return e.x.params[idx], nil
	}}, nil
}

// pair compiles the operands of a binary operator: a parameter takes the
// other side's type, and an untyped literal is cast to it.
func (p *planner) pair(ln, rn *pg_query.Node, s *scope) (*expr, *expr, error) {
	var l, r *expr
	var err error
	if ln.GetParamRef() != nil && rn.GetParamRef() == nil {
		if r, err = p.compile(rn, s, 0); err != nil {
			return nil, nil, err
		}
		if l, err = p.compile(ln, s, r.typ); err != nil {
			return nil, nil, err
		}
	} else {
		if l, err = p.compile(ln, s, 0); err != nil {
			return nil, nil, err
		}
		if r, err = p.compile(rn, s, l.typ); err != nil {
			return nil, nil, err
		}
	}
	l, r = unify(l, r)
	return l, r, nil
}

// unify casts an untyped literal to the other operand's type.
func unify(l, r *expr) (*expr, *expr) {
	switch {
	case l.lit != nil && r.lit == nil && r.typ != sqltypes.Unknown:
		l = castExpr(l, r.typ, -1)
	case r.lit != nil && l.lit == nil && l.typ != sqltypes.Unknown:
		r = castExpr(r, l.typ, -1)
	}
	return l, r
}

func opName(names []*pg_query.Node) string {
	return names[len(names)-1].GetString_().GetSval()
}

func (p *planner) aExpr(a *pg_query.A_Expr, s *scope) (*expr, error) {
	switch a.Kind {
	case pg_query.A_Expr_Kind_AEXPR_OP:
		if a.Lexpr == nil {
			return p.unary(opName(a.Name), a.Rexpr, s)
		}
		if opName(a.Name) == "||" {
			return p.concat(a, s)
		}
		l, r, err := p.pair(a.Lexpr, a.Rexpr, s)
		if err != nil {
			return nil, err
		}
		return binary(opName(a.Name), l, r)
	case pg_query.A_Expr_Kind_AEXPR_LIKE, pg_query.A_Expr_Kind_AEXPR_ILIKE:
		l, r, err := p.pair(a.Lexpr, a.Rexpr, s)
		if err != nil {
			return nil, err
		}
		return binary(opName(a.Name), l, r)
	case pg_query.A_Expr_Kind_AEXPR_DISTINCT, pg_query.A_Expr_Kind_AEXPR_NOT_DISTINCT:
		l, r, err := p.pair(a.Lexpr, a.Rexpr, s)
		if err != nil {
			return nil, err
		}
		distinct := a.Kind == pg_query.A_Expr_Kind_AEXPR_DISTINCT
		return &expr{typ: sqltypes.Bool, typmod: -1, eval: func(e *ectx) (any, error) {
			x, err := l.eval(e)
			if err != nil {
				return nil, err
			}
			y, err := r.eval(e)
			if err != nil {
				return nil, err
			}
			same := (x == nil && y == nil) || (x != nil && y != nil && compare(x, y) == 0)
			return same != distinct, nil
		}}, nil
	case pg_query.A_Expr_Kind_AEXPR_NULLIF:
		l, r, err := p.pair(a.Lexpr, a.Rexpr, s)
		if err != nil {
			return nil, err
		}
		return &expr{typ: l.typ, typmod: l.typmod, name: "nullif", eval: func(e *ectx) (any, error) {
			x, err := l.eval(e)
			if err != nil || x == nil {
				return x, err
			}
			y, err := r.eval(e)
			if err != nil {
				return nil, err
			}
			if y != nil && compare(x, y) == 0 {
				return nil, nil
			}
			return x, nil
		}}, nil
	case pg_query.A_Expr_Kind_AEXPR_IN:
		return p.inList(a, s)
	case pg_query.A_Expr_Kind_AEXPR_OP_ANY, pg_query.A_Expr_Kind_AEXPR_OP_ALL:
		l, err := p.compile(a.Lexpr, s, 0)
		if err != nil {
			return nil, err
		}
		want := uint32(0)
		if at := arrayOf(l.typ); at != 0 {
			want = at
		}
		r, err := p.compile(a.Rexpr, s, want)
		if err != nil {
			return nil, err
		}
		if r.lit != nil && want != 0 {
			r = castExpr(r, want, -1)
		}
		return anyAll(opName(a.Name), l, r, a.Kind == pg_query.A_Expr_Kind_AEXPR_OP_ALL)
	case pg_query.A_Expr_Kind_AEXPR_BETWEEN, pg_query.A_Expr_Kind_AEXPR_NOT_BETWEEN:
		bounds := a.Rexpr.GetList().GetItems()
		x, lo, err := p.pair(a.Lexpr, bounds[0], s)
		if err != nil {
			return nil, err
		}
		_, hi, err := p.pair(a.Lexpr, bounds[1], s)
		if err != nil {
			return nil, err
		}
		ge, _ := binary(">=", x, lo)
		le, _ := binary("<=", x, hi)
		both := and(ge, le)
		if a.Kind == pg_query.A_Expr_Kind_AEXPR_NOT_BETWEEN {
			return not(both), nil
		}
		return both, nil
	}
	return nil, pgerr.Unsupported("tally does not support the operator kind %s in queries yet", a.Kind)
}

func (p *planner) unary(op string, n *pg_query.Node, s *scope) (*expr, error) {
	x, err := p.compile(n, s, 0)
	if err != nil {
		return nil, err
	}
	if x.lit != nil {
		x = castExpr(x, sqltypes.Int8, -1)
	}
	switch op {
	case "+":
		return x, nil
	case "-":
		return &expr{typ: x.typ, typmod: -1, eval: func(e *ectx) (any, error) {
			v, err := x.eval(e)
			switch n := v.(type) {
			case int64:
				return -n, err
			case float64:
				return -n, err
			case *inf.Dec:
				return new(inf.Dec).Neg(n), err
			}
			return v, err
		}}, nil
	}
	return nil, pgerr.New(pgerr.UndefinedFunction, "operator does not exist: %s %s", op, formatType(x.typ, -1))
}

package query

import (
	"math"
	"regexp"
	"strconv"
	"strings"

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

// binary builds a binary operator over compiled operands.
func binary(op string, l, r *expr) (*expr, error) {
	boolOp := func(f func(x, y any) (any, error)) *expr {
		return &expr{typ: sqltypes.Bool, typmod: -1, eval: strict2(l, r, f)}
	}
	switch op {
	case "=", "<>", "!=", "<", ">", "<=", ">=":
		if !comparable(l.typ, r.typ) {
			return nil, pgerr.New(pgerr.UndefinedFunction, "operator does not exist: %s %s %s", formatType(l.typ, -1), op, formatType(r.typ, -1)).
				WithHint("No operator matches the given name and argument types. You might need to add explicit type casts.")
		}
		return boolOp(func(x, y any) (any, error) {
			c := compare(x, y)
			switch op {
			case "=":
				return c == 0, nil
			case "<>", "!=":
				return c != 0, nil
			case "<":
				return c < 0, nil
			case ">":
				return c > 0, nil
			case "<=":
				return c <= 0, nil
			}
			return c >= 0, nil
		}), nil
	case "~", "!~", "~*", "!~*":
		return boolOp(func(x, y any) (any, error) {
			pat := plainText(y)
			if strings.HasSuffix(op, "*") {
				pat = "(?i)" + pat
			}
			re, err := regexp.Compile(pat)
			if err != nil {
				return nil, pgerr.New(invalidRegularExpression, "invalid regular expression: %v", err)
			}
			return re.MatchString(plainText(x)) != strings.HasPrefix(op, "!"), nil
		}), nil
	case "~~", "!~~", "~~*", "!~~*":
		return boolOp(func(x, y any) (any, error) {
			re, err := likeRegexp(plainText(y), strings.HasSuffix(op, "*"))
			if err != nil {
				return nil, err
			}
			return re.MatchString(plainText(x)) != strings.HasPrefix(op, "!"), nil
		}), nil
	case "||":
		typ := uint32(sqltypes.Text)
		if elemOf(l.typ) != 0 {
			typ = l.typ
		} else if elemOf(r.typ) != 0 {
			typ = r.typ
		}
		return &expr{typ: typ, typmod: -1, eval: strict2(l, r, func(x, y any) (any, error) {
			xa, xok := x.([]any)
			ya, yok := y.([]any)
			switch {
			case xok && yok:
				return append(append([]any{}, xa...), ya...), nil
			case xok:
				return append(append([]any{}, xa...), y), nil
			case yok:
				return append([]any{x}, ya...), nil
			}
			return plainText(x) + plainText(y), nil
		})}, nil
	case "+", "-", "*", "/", "%":
		return arith(op, l, r)
	case "&", "|":
		if !isIntType(l.typ) && l.lit == nil || !isIntType(r.typ) && r.lit == nil {
			break
		}
		l, r = castExpr(l, sqltypes.Int8, -1), castExpr(r, sqltypes.Int8, -1)
		return &expr{typ: sqltypes.Int8, typmod: -1, eval: strict2(l, r, func(x, y any) (any, error) {
			a, ok1 := x.(int64)
			b, ok2 := y.(int64)
			if !ok1 || !ok2 {
				return nil, pgerr.New(pgerr.InvalidTextRepresentation, "invalid input syntax for type bigint")
			}
			if op == "&" {
				return a & b, nil
			}
			return a | b, nil
		})}, nil
	}
	return nil, pgerr.New(pgerr.UndefinedFunction, "operator does not exist: %s %s %s", formatType(l.typ, -1), op, formatType(r.typ, -1)).
		WithHint("No operator matches the given name and argument types. You might need to add explicit type casts.")
}

// strict2 evaluates both operands and returns NULL if either is NULL.
func strict2(l, r *expr, f func(x, y any) (any, error)) func(e *ectx) (any, error) {
	return func(e *ectx) (any, error) {
		x, err := l.eval(e)
		if err != nil {
			return nil, err
		}
		y, err := r.eval(e)
		if err != nil || x == nil || y == nil {
			return nil, err
		}
		return f(x, y)
	}
}

func arith(op string, l, r *expr) (*expr, error) {
	if l.lit != nil {
		l = castExpr(l, sqltypes.Int8, -1)
	}
	if r.lit != nil {
		r = castExpr(r, sqltypes.Int8, -1)
	}
	typ := uint32(sqltypes.Int8)
	switch {
	case l.typ == sqltypes.Float8 || r.typ == sqltypes.Float8 || l.typ == sqltypes.Float4 || r.typ == sqltypes.Float4:
		typ = sqltypes.Float8
	case l.typ == sqltypes.Numeric || r.typ == sqltypes.Numeric:
		typ = sqltypes.Numeric
	case l.typ == sqltypes.Int4 && (r.typ == sqltypes.Int4 || r.typ == sqltypes.Int2):
		typ = sqltypes.Int4
	case !isNumericType(l.typ) || !isNumericType(r.typ):
		return nil, pgerr.New(pgerr.UndefinedFunction, "operator does not exist: %s %s %s", formatType(l.typ, -1), op, formatType(r.typ, -1))
	}
	return &expr{typ: typ, typmod: -1, eval: strict2(l, r, func(x, y any) (any, error) {
		xi, xok := x.(int64)
		yi, yok := y.(int64)
		if xok && yok && typ != sqltypes.Float8 && typ != sqltypes.Numeric {
			return intArith(op, typ, xi, yi)
		}
		if typ == sqltypes.Numeric {
			return decArith(op, toDec(x), toDec(y))
		}
		xf, _ := strconv.ParseFloat(plainText(x), 64)
		yf, _ := strconv.ParseFloat(plainText(y), 64)
		var v float64
		switch op {
		case "+":
			v = xf + yf
		case "-":
			v = xf - yf
		case "*":
			v = xf * yf
		case "/", "%":
			if yf == 0 {
				return nil, pgerr.New(pgerr.DivisionByZero, "division by zero")
			}
			v = xf / yf
		}
		return v, nil
	})}, nil
}

// likeRegexp translates a LIKE pattern (backslash escapes) to a regexp.
func likeRegexp(pat string, fold bool) (*regexp.Regexp, error) {
	var b strings.Builder
	if fold {
		b.WriteString("(?is)^")
	} else {
		b.WriteString("(?s)^")
	}
	for i := 0; i < len(pat); i++ {
		switch c := pat[i]; c {
		case '%':
			b.WriteString(".*")
		case '_':
			b.WriteString(".")
		case '\\':
			if i+1 < len(pat) {
				i++
				b.WriteString(regexp.QuoteMeta(pat[i : i+1]))
			}
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}

func (p *planner) boolExpr(b *pg_query.BoolExpr, s *scope) (*expr, error) {
	args := make([]*expr, len(b.Args))
	for i, a := range b.Args {
		x, err := p.compile(a, s, sqltypes.Bool)
		if err != nil {
			return nil, err
		}
		if x.lit != nil {
			x = castExpr(x, sqltypes.Bool, -1)
		}
		args[i] = x
	}
	switch b.Boolop {
	case pg_query.BoolExprType_NOT_EXPR:
		return not(args[0]), nil
	case pg_query.BoolExprType_AND_EXPR:
		out := args[0]
		for _, a := range args[1:] {
			out = and(out, a)
		}
		return out, nil
	}
	out := args[0]
	for _, a := range args[1:] {
		out = or(out, a)
	}
	return out, nil
}

// and, or and not follow SQL's three-valued logic.
func and(l, r *expr) *expr {
	return &expr{typ: sqltypes.Bool, typmod: -1, eval: func(e *ectx) (any, error) {
		x, err := l.eval(e)
		if err != nil {
			return nil, err
		}
		if x == false {
			return false, nil
		}
		y, err := r.eval(e)
		if err != nil {
			return nil, err
		}
		switch {
		case y == false:
			return false, nil
		case x == nil || y == nil:
			return nil, nil
		}
		return true, nil
	}}
}

func or(l, r *expr) *expr {
	return &expr{typ: sqltypes.Bool, typmod: -1, eval: func(e *ectx) (any, error) {
		x, err := l.eval(e)
		if err != nil {
			return nil, err
		}
		if x == true {
			return true, nil
		}
		y, err := r.eval(e)
		if err != nil {
			return nil, err
		}
		switch {
		case y == true:
			return true, nil
		case x == nil || y == nil:
			return nil, nil
		}
		return false, nil
	}}
}

func not(x *expr) *expr {
	return &expr{typ: sqltypes.Bool, typmod: -1, eval: func(e *ectx) (any, error) {
		v, err := x.eval(e)
		if err != nil || v == nil {
			return nil, err
		}
		return !truthy(v), nil
	}}
}

func (p *planner) booleanTest(bt *pg_query.BooleanTest, s *scope) (*expr, error) {
	arg, err := p.compile(bt.Arg, s, sqltypes.Bool)
	if err != nil {
		return nil, err
	}
	return &expr{typ: sqltypes.Bool, typmod: -1, eval: func(e *ectx) (any, error) {
		v, err := arg.eval(e)
		if err != nil {
			return nil, err
		}
		switch bt.Booltesttype {
		case pg_query.BoolTestType_IS_TRUE:
			return v == true, nil
		case pg_query.BoolTestType_IS_NOT_TRUE:
			return v != true, nil
		case pg_query.BoolTestType_IS_FALSE:
			return v == false, nil
		case pg_query.BoolTestType_IS_NOT_FALSE:
			return v != false, nil
		case pg_query.BoolTestType_IS_UNKNOWN:
			return v == nil, nil
		}
		return v != nil, nil
	}}, nil
}

// inList is x IN (a, b, ...) and x NOT IN (...).
func (p *planner) inList(a *pg_query.A_Expr, s *scope) (*expr, error) {
	l, err := p.compile(a.Lexpr, s, 0)
	if err != nil {
		return nil, err
	}
	var items []*expr
	for _, n := range a.Rexpr.GetList().GetItems() {
		x, err := p.compile(n, s, l.typ)
		if err != nil {
			return nil, err
		}
		_, x = unify(l, x)
		items = append(items, x)
	}
	negate := opName(a.Name) == "<>"
	return &expr{typ: sqltypes.Bool, typmod: -1, eval: func(e *ectx) (any, error) {
		v, err := l.eval(e)
		if err != nil || v == nil {
			return nil, err
		}
		sawNull := false
		for _, it := range items {
			w, err := it.eval(e)
			if err != nil {
				return nil, err
			}
			if w == nil {
				sawNull = true
			} else if compare(v, w) == 0 {
				return !negate, nil
			}
		}
		if sawNull {
			return nil, nil
		}
		return negate, nil
	}}, nil
}

// anyAll is x op ANY(array) and x op ALL(array).
func anyAll(op string, l, r *expr, all bool) (*expr, error) {
	elem := &expr{typ: elemOf(r.typ), typmod: -1}
	if elem.typ == 0 {
		elem.typ = l.typ
	}
	var cur any
	elem.eval = func(*ectx) (any, error) { return cur, nil }
	lhs := l
	if l.lit != nil {
		lhs = castExpr(l, elem.typ, -1)
	}
	cmp, err := binary(op, lhs, elem)
	if err != nil {
		return nil, err
	}
	return &expr{typ: sqltypes.Bool, typmod: -1, eval: func(e *ectx) (any, error) {
		arr, err := r.eval(e)
		if err != nil || arr == nil {
			return nil, err
		}
		items, _ := arr.([]any)
		sawNull := false
		for _, it := range items {
			cur = it
			v, err := cmp.eval(e)
			if err != nil {
				return nil, err
			}
			switch {
			case v == nil:
				sawNull = true
			case truthy(v) && !all:
				return true, nil
			case !truthy(v) && all:
				return false, nil
			}
		}
		if sawNull {
			return nil, nil
		}
		return all, nil
	}}, nil
}

func (p *planner) caseExpr(c *pg_query.CaseExpr, s *scope) (*expr, error) {
	var arg *expr
	var err error
	if c.Arg != nil {
		if arg, err = p.compile(c.Arg, s, 0); err != nil {
			return nil, err
		}
	}
	type when struct{ cond, res *expr }
	var whens []when
	typ, typmod := uint32(sqltypes.Unknown), int32(-1)
	for _, n := range c.Args {
		w := n.GetCaseWhen()
		var cond *expr
		if arg != nil {
			v, err := p.compile(w.Expr, s, arg.typ)
			if err != nil {
				return nil, err
			}
			a, v := unify(arg, v)
			if cond, err = binary("=", a, v); err != nil {
				return nil, err
			}
		} else if cond, err = p.compile(w.Expr, s, sqltypes.Bool); err != nil {
			return nil, err
		}
		res, err := p.compile(w.Result, s, 0)
		if err != nil {
			return nil, err
		}
		if typ == sqltypes.Unknown && res.typ != sqltypes.Unknown {
			typ, typmod = res.typ, res.typmod
		}
		whens = append(whens, when{cond, res})
	}
	var def *expr
	if c.Defresult != nil {
		if def, err = p.compile(c.Defresult, s, 0); err != nil {
			return nil, err
		}
		if typ == sqltypes.Unknown && def.typ != sqltypes.Unknown {
			typ = def.typ
		}
	}
	if typ == sqltypes.Unknown {
		typ = sqltypes.Text
	}
	return &expr{typ: typ, typmod: typmod, name: "case", eval: func(e *ectx) (any, error) {
		for _, w := range whens {
			v, err := w.cond.eval(e)
			if err != nil {
				return nil, err
			}
			if truthy(v) {
				return w.res.eval(e)
			}
		}
		if def != nil {
			return def.eval(e)
		}
		return nil, nil
	}}, nil
}

// coalesce is COALESCE, GREATEST and LEAST.
func (p *planner) coalesce(nodes []*pg_query.Node, s *scope, name string) (*expr, error) {
	var args []*expr
	typ := uint32(sqltypes.Unknown)
	for _, n := range nodes {
		x, err := p.compile(n, s, typ)
		if err != nil {
			return nil, err
		}
		if typ == sqltypes.Unknown && x.typ != sqltypes.Unknown {
			typ = x.typ
		}
		args = append(args, x)
	}
	if typ == sqltypes.Unknown {
		typ = sqltypes.Text
	}
	for i, a := range args {
		if a.lit != nil {
			args[i] = castExpr(a, typ, -1)
		}
	}
	return &expr{typ: typ, typmod: -1, name: name, eval: func(e *ectx) (any, error) {
		var best any
		for _, a := range args {
			v, err := a.eval(e)
			if err != nil {
				return nil, err
			}
			if v == nil {
				continue
			}
			switch {
			case name == "coalesce":
				return v, nil
			case best == nil, name == "greatest" && compare(v, best) > 0, name == "least" && compare(v, best) < 0:
				best = v
			}
		}
		return best, nil
	}}, nil
}

func (p *planner) arrayExpr(elems []*pg_query.Node, s *scope, want uint32) (*expr, error) {
	et := elemOf(want)
	var items []*expr
	for _, n := range elems {
		x, err := p.compile(n, s, et)
		if err != nil {
			return nil, err
		}
		if et == 0 && x.typ != sqltypes.Unknown {
			et = x.typ
		}
		items = append(items, x)
	}
	if et == 0 {
		et = sqltypes.Text
	}
	for i, x := range items {
		if x.lit != nil || x.typ == sqltypes.Unknown {
			items[i] = castExpr(x, et, -1)
		}
	}
	typ := arrayOf(et)
	if typ == 0 {
		typ = sqltypes.TextArray
	}
	return &expr{typ: typ, typmod: -1, name: "array", eval: func(e *ectx) (any, error) {
		out := make([]any, len(items))
		for i, x := range items {
			v, err := x.eval(e)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	}}, nil
}

// indirection is arr[i] (1-based; 0-based for int2vector and oidvector).
func (p *planner) indirection(ind *pg_query.A_Indirection, s *scope) (*expr, error) {
	x, err := p.compile(ind.Arg, s, 0)
	if err != nil {
		return nil, err
	}
	for _, n := range ind.Indirection {
		ai := n.GetAIndices()
		if ai == nil || ai.IsSlice {
			return nil, pgerr.Unsupported("tally does not support field selection or array slices yet")
		}
		idx, err := p.compile(ai.Uidx, s, sqltypes.Int4)
		if err != nil {
			return nil, err
		}
		base := x
		lower := int64(1)
		if base.typ == sqltypes.Int2Vector || base.typ == sqltypes.OIDVector {
			lower = 0
		}
		et := elemOf(base.typ)
		if et == 0 {
			et = sqltypes.Text
		}
		x = &expr{typ: et, typmod: -1, eval: strict2(base, idx, func(a, i any) (any, error) {
			items, _ := a.([]any)
			k, ok := i.(int64)
			if !ok {
				return nil, nil
			}
			k -= lower
			if k < 0 || k >= int64(len(items)) {
				return nil, nil
			}
			return items[k], nil
		})}
	}
	return x, nil
}

func (p *planner) sqlValueFunction(f *pg_query.SQLValueFunction) (*expr, error) {
	switch f.Op {
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_USER, pg_query.SQLValueFunctionOp_SVFOP_USER,
		pg_query.SQLValueFunctionOp_SVFOP_SESSION_USER, pg_query.SQLValueFunctionOp_SVFOP_CURRENT_ROLE:
		return p.call("current_user", nil)
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_CATALOG:
		return p.call("current_database", nil)
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_SCHEMA:
		return p.call("current_schema", nil)
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP, pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP_N:
		return p.call("now", nil)
	}
	return nil, pgerr.Unsupported("tally does not support %s in catalog queries yet", f.Op)
}

// category is the comparison family of a type: values compare only within
// one (Postgres has no bigint = boolean operator).
func category(t uint32) byte {
	switch {
	case t == sqltypes.Unknown:
		return 0
	case isNumericType(t):
		return 'N'
	case isTextType(t):
		return 'S'
	case t == sqltypes.Bool:
		return 'B'
	case t == sqltypes.Date || t == sqltypes.Timestamp || t == sqltypes.Timestamptz:
		return 'D'
	case elemOf(t) != 0:
		return 'A'
	}
	return 'U'
}

func comparable(a, b uint32) bool {
	ca, cb := category(a), category(b)
	return ca == 0 || cb == 0 || ca == cb || ca == 'U' || cb == 'U'
}

func toDec(v any) *inf.Dec {
	switch n := v.(type) {
	case *inf.Dec:
		return n
	case int64:
		return inf.NewDec(n, 0)
	}
	d, _ := new(inf.Dec).SetString(plainText(v))
	if d == nil {
		d = new(inf.Dec)
	}
	return d
}

// decArith is numeric arithmetic; a quotient keeps 16 digits after the
// point at least, as Postgres' numeric division does for short operands.
func decArith(op string, x, y *inf.Dec) (any, error) {
	switch op {
	case "+":
		return new(inf.Dec).Add(x, y), nil
	case "-":
		return new(inf.Dec).Sub(x, y), nil
	case "*":
		return new(inf.Dec).Mul(x, y), nil
	}
	if y.Sign() == 0 {
		return nil, pgerr.New(pgerr.DivisionByZero, "division by zero")
	}
	if op == "%" {
		q := new(inf.Dec).QuoRound(x, y, 0, inf.RoundDown)
		return new(inf.Dec).Sub(x, new(inf.Dec).Mul(q, y)), nil
	}
	scale := max(16, x.Scale(), y.Scale())
	return new(inf.Dec).QuoRound(x, y, scale, inf.RoundHalfUp), nil
}

// concat compiles ||: an untyped literal beside a non-array is text (text
// || anynonarray), beside an array it is an element or an array.
func (p *planner) concat(a *pg_query.A_Expr, s *scope) (*expr, error) {
	l, err := p.compile(a.Lexpr, s, 0)
	if err != nil {
		return nil, err
	}
	r, err := p.compile(a.Rexpr, s, 0)
	if err != nil {
		return nil, err
	}
	if elemOf(l.typ) != 0 || elemOf(r.typ) != 0 {
		l, r = unify(l, r)
	} else {
		if l.lit != nil || l.typ == sqltypes.Unknown {
			l = castExpr(l, sqltypes.Text, -1)
		}
		if r.lit != nil || r.typ == sqltypes.Unknown {
			r = castExpr(r, sqltypes.Text, -1)
		}
	}
	return binary("||", l, r)
}

// intArith is integer arithmetic with Postgres' overflow errors.
func intArith(op string, typ uint32, x, y int64) (any, error) {
	var v int64
	overflow := false
	switch op {
	case "+":
		v = x + y
		overflow = (y > 0 && v < x) || (y < 0 && v > x)
	case "-":
		v = x - y
		overflow = (y < 0 && v < x) || (y > 0 && v > x)
	case "*":
		v = x * y
		overflow = x != 0 && (v/x != y || (x == -1 && y == math.MinInt64) || (y == -1 && x == math.MinInt64))
	case "/", "%":
		if y == 0 {
			return nil, pgerr.New(pgerr.DivisionByZero, "division by zero")
		}
		if y == -1 {
			if op == "%" {
				return int64(0), nil
			}
			overflow = x == math.MinInt64
			v = -x
		} else if op == "/" {
			v = x / y
		} else {
			v = x % y
		}
	}
	if typ == sqltypes.Int4 && (v < math.MinInt32 || v > math.MaxInt32) {
		overflow = true
	}
	if overflow {
		name := "bigint"
		if typ == sqltypes.Int4 {
			name = "integer"
		}
		return nil, pgerr.New(pgerr.NumericValueOutOfRange, "%s out of range", name)
	}
	return v, nil
}

// paramType reports the types a parameter may take from its context: those
// the wire codecs decode (arrays of them too, for = ANY($1)).
func paramType(t uint32) bool {
	if e, ok := sqltypes.ArrayElem(t); ok && t != sqltypes.Int2Vector && t != sqltypes.OIDVector {
		t = e
	}
	_, ok := sqltypes.Info(t)
	return ok
}

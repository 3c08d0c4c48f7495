package planner

import (
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/tally-db/tally/pgerr"
	"github.com/tally-db/tally/rewrite"
	"github.com/tally-db/tally/sqltypes"
)

// expr plans a scalar expression in scope sc (nil: no columns) where a
// value of type want is expected (0: none). want only guides literals and
// parameters; callers coerce the result where a type is required.
func (p *planCtx) expr(n *pg_query.Node, sc *scope, want sqltypes.OID) (rewrite.Expr, error) {
	switch {
	case n.GetAConst() != nil:
		return constant(n.GetAConst(), want)
	case n.GetParamRef() != nil:
		return p.params.ref(int(n.GetParamRef().Number), want)
	case n.GetColumnRef() != nil:
		parts := nameParts(n.GetColumnRef())
		if parts == nil {
			return nil, pgerr.New(pgerr.SyntaxError, "* is not allowed here")
		}
		c, err := sc.column(parts)
		if err != nil {
			return nil, err
		}
		return sc.ref(c), nil
	case n.GetTypeCast() != nil:
		return p.cast(n.GetTypeCast(), sc)
	case n.GetAExpr() != nil:
		return p.aExpr(n.GetAExpr(), sc, want)
	case n.GetBoolExpr() != nil:
		return p.boolExpr(n.GetBoolExpr(), sc)
	case n.GetNullTest() != nil:
		arg, err := p.expr(n.GetNullTest().Arg, sc, 0)
		if err != nil {
			return nil, err
		}
		return &rewrite.IsNull{Arg: arg, Not: n.GetNullTest().Nulltesttype == pg_query.NullTestType_IS_NOT_NULL}, nil
	case n.GetFuncCall() != nil:
		return p.funcCall(n.GetFuncCall(), sc)
	case n.GetCoalesceExpr() != nil:
		return p.coalesce(n.GetCoalesceExpr(), sc, want)
	case n.GetSqlvalueFunction() != nil:
		return sqlValueFunction(n.GetSqlvalueFunction())
	}
	return nil, unsupported("the expression %s", strings.ToLower(stmtName(n)))
}

// constant plans a literal. Strings stay "unknown" until a context types them.
func constant(c *pg_query.A_Const, want sqltypes.OID) (rewrite.Expr, error) {
	var e rewrite.Expr
	switch v := c.Val.(type) {
	case nil:
		e = &rewrite.Const{Value: nil, Typ: sqltypes.Unknown}
	case *pg_query.A_Const_Ival:
		e = &rewrite.Const{Value: int64(v.Ival.Ival), Typ: sqltypes.Int4}
	case *pg_query.A_Const_Fval:
		if n, err := strconv.ParseInt(v.Fval.Fval, 10, 64); err == nil {
			e = &rewrite.Const{Value: n, Typ: sqltypes.Int8}
		} else {
			d, err := sqltypes.DecodeText(sqltypes.Numeric, v.Fval.Fval)
			if err != nil {
				return nil, err
			}
			e = &rewrite.Const{Value: d, Typ: sqltypes.Numeric}
		}
	case *pg_query.A_Const_Boolval:
		e = &rewrite.Const{Value: v.Boolval.Boolval, Typ: sqltypes.Bool}
	case *pg_query.A_Const_Sval:
		e = &rewrite.Const{Value: v.Sval.Sval, Typ: sqltypes.Unknown}
	default:
		return nil, unsupported("bit string literals")
	}
	if c.Isnull {
		e = &rewrite.Const{Value: nil, Typ: sqltypes.Unknown}
	}
	if want != 0 && e.Type() == sqltypes.Unknown {
		return coerce(e, want, true)
	}
	return e, nil
}

// cast plans `x::type` and CAST(x AS type).
func (p *planCtx) cast(tc *pg_query.TypeCast, sc *scope) (rewrite.Expr, error) {
	to, typmod, err := typeOf(tc.TypeName)
	if err != nil {
		return nil, err
	}
	arg, err := p.expr(tc.Arg, sc, to)
	if err != nil {
		return nil, err
	}
	if arg, err = coerceExplicit(arg, to); err != nil {
		return nil, err
	}
	return limitLength(arg, to, typmod)
}

// aExpr plans operators: arithmetic, comparisons, IN lists.
func (p *planCtx) aExpr(a *pg_query.A_Expr, sc *scope, want sqltypes.OID) (rewrite.Expr, error) {
	op := opName(a)
	switch {
	case a.Kind == pg_query.A_Expr_Kind_AEXPR_IN:
		return p.inList(a, sc, op)
	case a.Kind == pg_query.A_Expr_Kind_AEXPR_OP_ANY || a.Kind == pg_query.A_Expr_Kind_AEXPR_OP_ALL:
		return p.anyAll(a, sc, op)
	case a.Kind == pg_query.A_Expr_Kind_AEXPR_LIKE || a.Kind == pg_query.A_Expr_Kind_AEXPR_ILIKE:
		l, r, _, err := p.operands(a.Lexpr, a.Rexpr, sc, sqltypes.Text)
		if err != nil {
			return nil, err
		}
		if !isText(l.Type()) || !isText(r.Type()) {
			return nil, pgerr.New(pgerr.UndefinedFunction, "operator does not exist: %s %s %s", typeName(l.Type()), op, typeName(r.Type()))
		}
		return &rewrite.Like{L: l, Pattern: r, Fold: a.Kind == pg_query.A_Expr_Kind_AEXPR_ILIKE, Not: strings.HasPrefix(op, "!")}, nil
	case a.Kind != pg_query.A_Expr_Kind_AEXPR_OP:
		return nil, unsupported("the operator kind %s", strings.TrimPrefix(a.Kind.String(), "AEXPR_"))
	case a.Lexpr == nil && op == "-": // unary minus
		a = &pg_query.A_Expr{Kind: a.Kind, Name: a.Name, Lexpr: zeroNode, Rexpr: a.Rexpr}
	case a.Lexpr == nil && op == "+":
		return p.expr(a.Rexpr, sc, want)
	}
	switch op {
	case "+", "-", "*", "/", "%":
		l, r, typ, err := p.operands(a.Lexpr, a.Rexpr, sc, want)
		if err != nil {
			return nil, err
		}
		if !isNumber(typ) {
			return nil, pgerr.New(pgerr.UndefinedFunction, "operator does not exist: %s %s %s", typeName(l.Type()), op, typeName(r.Type()))
		}
		return &rewrite.BinOp{Op: op, L: l, R: r, Typ: typ}, nil
	case "=", "<>", "!=", "<", "<=", ">", ">=":
		l, r, _, err := p.operands(a.Lexpr, a.Rexpr, sc, 0)
		if err != nil {
			return nil, err
		}
		return &rewrite.BinOp{Op: op, L: l, R: r, Typ: sqltypes.Bool}, nil
	}
	return nil, unsupported("the operator %s", op)
}

var zeroNode = &pg_query.Node{Node: &pg_query.Node_AConst{AConst: &pg_query.A_Const{Val: &pg_query.A_Const_Ival{Ival: &pg_query.Integer{Ival: 0}}}}}

// operands plans both sides of a binary operator and brings them to one
// type: an untyped side (literal string, parameter) takes the other side's.
func (p *planCtx) operands(ln, rn *pg_query.Node, sc *scope, want sqltypes.OID) (l, r rewrite.Expr, typ sqltypes.OID, err error) {
	if untyped(ln) && !untyped(rn) {
		if r, err = p.expr(rn, sc, want); err != nil {
			return
		}
		l, err = p.expr(ln, sc, r.Type())
	} else {
		if l, err = p.expr(ln, sc, want); err != nil {
			return
		}
		r, err = p.expr(rn, sc, l.Type())
	}
	if err != nil {
		return
	}
	typ, err = common(l.Type(), r.Type())
	if err != nil {
		return
	}
	if l, err = coerce(l, typ, false); err != nil {
		return
	}
	r, err = coerce(r, typ, false)
	return
}

// untyped reports whether a node takes its type from its context.
func untyped(n *pg_query.Node) bool {
	if n.GetParamRef() != nil {
		return true
	}
	if c := n.GetAConst(); c != nil {
		_, isString := c.Val.(*pg_query.A_Const_Sval)
		return isString || c.Isnull
	}
	return false
}

// inList plans `x IN (a, b)` as a chain of ORs (NOT IN: ANDs of <>).
func (p *planCtx) inList(a *pg_query.A_Expr, sc *scope, op string) (rewrite.Expr, error) {
	items := a.Rexpr.GetList().GetItems()
	or := &rewrite.BoolOp{Op: "OR"}
	if op == "<>" {
		or.Op = "AND"
	}
	for _, it := range items {
		l, r, _, err := p.operands(a.Lexpr, it, sc, 0)
		if err != nil {
			return nil, err
		}
		or.Args = append(or.Args, &rewrite.BinOp{Op: op, L: l, R: r, Typ: sqltypes.Bool})
	}
	return or, nil
}

// anyAll plans `x op ANY (array)` and `x op ALL (array)`. ARRAY[a, b] is
// planned as `x op a OR x op b` (AND for ALL); any other array (a
// parameter, a cast literal) is compared element by element when it runs.
func (p *planCtx) anyAll(a *pg_query.A_Expr, sc *scope, op string) (rewrite.Expr, error) {
	all := a.Kind == pg_query.A_Expr_Kind_AEXPR_OP_ALL
	switch op {
	case "=", "<>", "!=", "<", "<=", ">", ">=":
	default:
		return nil, unsupported("the operator %s with ANY/ALL", op)
	}
	if arr := a.Rexpr.GetAArrayExpr(); arr != nil {
		out := &rewrite.BoolOp{Op: "OR"}
		if all {
			out.Op = "AND"
		}
		for _, it := range arr.Elements {
			l, r, _, err := p.operands(a.Lexpr, it, sc, 0)
			if err != nil {
				return nil, err
			}
			out.Args = append(out.Args, &rewrite.BinOp{Op: op, L: l, R: r, Typ: sqltypes.Bool})
		}
		if len(out.Args) == 0 {
			return &rewrite.Const{Value: all, Typ: sqltypes.Bool}, nil
		}
		return out, nil
	}
	l, err := p.expr(a.Lexpr, sc, 0)
	if err != nil {
		return nil, err
	}
	if l.Type() == sqltypes.Unknown {
		if l, err = coerce(l, sqltypes.Text, false); err != nil {
			return nil, err
		}
	}
	arrType, ok := sqltypes.ArrayOf(l.Type())
	if !ok {
		return nil, unsupported("arrays of %s", typeName(l.Type()))
	}
	r, err := p.expr(a.Rexpr, sc, arrType)
	if err != nil {
		return nil, err
	}
	elem, isArr := sqltypes.ElemOf(r.Type())
	if !isArr && r.Type() != sqltypes.Unknown {
		return nil, pgerr.New(pgerr.DatatypeMismatch, "op ANY/ALL (array) requires array on right side")
	}
	if r.Type() == sqltypes.Unknown {
		elem = l.Type()
	}
	typ, err := common(l.Type(), elem)
	if err != nil {
		return nil, pgerr.New(pgerr.UndefinedFunction, "operator does not exist: %s %s %s", typeName(l.Type()), op, typeName(r.Type()))
	}
	if l, err = coerce(l, typ, false); err != nil {
		return nil, err
	}
	arrType, _ = sqltypes.ArrayOf(typ)
	if r, err = coerce(r, arrType, false); err != nil {
		return nil, err
	}
	return &rewrite.AnyAll{Op: op, All: all, L: l, R: r}, nil
}

func (p *planCtx) boolExpr(b *pg_query.BoolExpr, sc *scope) (rewrite.Expr, error) {
	op := map[pg_query.BoolExprType]string{pg_query.BoolExprType_AND_EXPR: "AND", pg_query.BoolExprType_OR_EXPR: "OR", pg_query.BoolExprType_NOT_EXPR: "NOT"}[b.Boolop]
	out := &rewrite.BoolOp{Op: op}
	for _, a := range b.Args {
		e, err := p.boolean(a, sc, op)
		if err != nil {
			return nil, err
		}
		out.Args = append(out.Args, e)
	}
	return out, nil
}

// boolean plans an expression that must be boolean (an argument of
// AND/OR/NOT, a WHERE condition); an untyped parameter becomes boolean.
func (p *planCtx) boolean(n *pg_query.Node, sc *scope, what string) (rewrite.Expr, error) {
	e, err := p.expr(n, sc, sqltypes.Bool)
	if err != nil {
		return nil, err
	}
	b, err := coerce(e, sqltypes.Bool, false)
	if err != nil {
		if pgerr.CodeOf(err) != pgerr.DatatypeMismatch {
			return nil, err // a bad literal: 22P02
		}
		return nil, pgerr.New(pgerr.DatatypeMismatch, "argument of %s must be type boolean, not type %s", what, typeName(e.Type()))
	}
	return b, nil
}

// opName is the operator of an A_Expr ("=", "+", ...).
func opName(a *pg_query.A_Expr) string {
	if len(a.Name) == 0 {
		return ""
	}
	return a.Name[len(a.Name)-1].GetString_().GetSval()
}

package query

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/tally-db/tally/pgerr"
	"github.com/tally-db/tally/sqltypes"
)

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

package query

import (
	"sort"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/tally-db/tally/pgerr"
	"github.com/tally-db/tally/sqltypes"
)

// rangeFunction plans a set-returning function in FROM.
// rangeFunction plans a function in FROM. left is the scope of the FROM
// items before it (nil: none): a function in FROM may read them, as
// Postgres makes such functions LATERAL.
func (p *planner) rangeFunction(rf *pg_query.RangeFunction, outer, left *scope) (node, error) {
	if len(rf.Functions) != 1 {
		return nil, pgerr.Unsupported("tally does not support ROWS FROM yet")
	}
	f := rf.Functions[0].GetList().GetItems()[0].GetFuncCall()
	if f == nil {
		return nil, pgerr.Unsupported("tally does not support this function in FROM")
	}
	name, err := funcName(f.Funcname)
	if err != nil {
		return nil, err
	}
	in := &scope{parent: outer}
	if left != nil {
		in = left
	}
	var args []*expr
	for _, a := range f.Args {
		x, err := p.compile(a, in, 0)
		if err != nil {
			return nil, err
		}
		args = append(args, x)
	}
	n := &funcNode{name: name, args: args, lateral: left != nil}
	switch name {
	case "unnest":
		if len(args) == 0 {
			return nil, pgerr.New(pgerr.UndefinedFunction, "function unnest() does not exist")
		}
		for i, a := range args {
			et := elemOf(a.typ)
			if a.lit != nil {
				args[i] = castExpr(a, sqltypes.TextArray, -1)
				et = sqltypes.Text
			}
			if et == 0 {
				et = sqltypes.Text
			}
			n.cols = append(n.cols, column{name: "unnest", typ: et, typmod: -1})
		}
		n.fn = func(_ *ectx, a []any) ([][]any, error) {
			// Several arrays unnest side by side, the shorter ones padded
			// with NULLs.
			var out [][]any
			for j, v := range a {
				items, _ := v.([]any)
				for i, it := range items {
					for len(out) <= i {
						out = append(out, make([]any, len(a)))
					}
					out[i][j] = it
				}
			}
			return out, nil
		}
	case "generate_series":
		if len(args) < 2 || len(args) > 3 {
			return nil, pgerr.New(pgerr.UndefinedFunction, "function generate_series() does not exist")
		}
		typ := uint32(sqltypes.Int4)
		for i := range args {
			if args[i].typ == sqltypes.Int8 {
				typ = sqltypes.Int8
			}
			args[i] = castExpr(args[i], sqltypes.Int8, -1)
		}
		n.cols = []column{{name: "generate_series", typ: typ, typmod: -1}}
		n.fn = func(_ *ectx, a []any) ([][]any, error) {
			lo, ok1 := a[0].(int64)
			hi, ok2 := a[1].(int64)
			step := int64(1)
			if len(a) > 2 {
				step, _ = a[2].(int64)
			}
			if !ok1 || !ok2 {
				return nil, nil
			}
			if step == 0 {
				return nil, pgerr.New(pgerr.InvalidParameterValue, "step size cannot equal zero")
			}
			var out [][]any
			for v := lo; (step > 0 && v <= hi) || (step < 0 && v >= hi); v += step {
				if len(out) > 1_000_000 {
					return nil, pgerr.New(pgerr.ProgramLimitExceeded, "generate_series may produce at most 1000000 rows in tally")
				}
				out = append(out, []any{v})
			}
			return out, nil
		}
	case "pg_get_keywords":
		n.cols = []column{{name: "word", typ: sqltypes.Text, typmod: -1}, {name: "catcode", typ: sqltypes.Char, typmod: -1},
			{name: "barelabel", typ: sqltypes.Bool, typmod: -1}, {name: "catdesc", typ: sqltypes.Text, typmod: -1},
			{name: "baredesc", typ: sqltypes.Text, typmod: -1}}
		n.fn = func(*ectx, []any) ([][]any, error) {
			words := make([]string, 0, len(reservedWords))
			for w := range reservedWords {
				words = append(words, w)
			}
			sort.Strings(words)
			out := make([][]any, len(words))
			for i, w := range words {
				out[i] = []any{w, "R", true, "reserved", "can be bare label"}
			}
			return out, nil
		}
	default:
		// A scalar function in FROM yields one row.
		x, err := p.call(name, args)
		if err != nil {
			return nil, err
		}
		n.cols = []column{{name: name, typ: x.typ, typmod: x.typmod}}
		n.fn = func(e *ectx, _ []any) ([][]any, error) {
			v, err := x.eval(n.argCtx(e))
			return [][]any{{v}}, err
		}
	}
	if rf.Ordinality {
		n.cols = append(n.cols, column{name: "ordinality", typ: sqltypes.Int8, typmod: -1})
		fn := n.fn
		n.fn = func(e *ectx, a []any) ([][]any, error) {
			rows, err := fn(e, a)
			for i := range rows {
				rows[i] = append(rows[i], int64(i+1))
			}
			return rows, err
		}
	}
	alias, colnames := name, []*pg_query.Node(nil)
	if rf.Alias != nil {
		alias, colnames = rf.Alias.Aliasname, rf.Alias.Colnames
		if len(colnames) == 0 && len(n.cols) == 1 {
			n.cols[0].name = alias
		}
	}
	return renamed(n, alias, colnames), nil
}

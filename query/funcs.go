package query

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/tally-db/tally/pgerr"
	"github.com/tally-db/tally/sqltypes"
)

// fn is a scalar function: its result type given the argument types, and
// its body. Strict functions return NULL when an argument is NULL.
type fn struct {
	min, max int
	ret      func(args []*expr) uint32
	strict   bool
	body     func(e *ectx, args []any, types []uint32) (any, error)
}

func ret(t uint32) func([]*expr) uint32 { return func([]*expr) uint32 { return t } }

// functions are the scalar functions catalog queries call; read-only
// after init.
var functions map[string]fn

func init() {
	functions = map[string]fn{
		"version": {0, 0, ret(sqltypes.Text), false, func(e *ectx, _ []any, _ []uint32) (any, error) {
			v := "15.8"
			if e.x.env.Info != nil && e.x.env.Info.Version != "" {
				v = e.x.env.Info.Version
			}
			return "PostgreSQL " + v + " on x86_64-pc-linux-gnu, tally proxy over Apache Cassandra", nil
		}},
		"current_database": {0, 0, ret(sqltypes.Name), false, func(e *ectx, _ []any, _ []uint32) (any, error) { return e.x.env.Keyspace, nil }},
		"current_schema":   {0, 0, ret(sqltypes.Name), false, func(*ectx, []any, []uint32) (any, error) { return "public", nil }},
		"current_user":     {0, 0, ret(sqltypes.Name), false, func(e *ectx, _ []any, _ []uint32) (any, error) { return userName(e.x), nil }},
		"session_user":     {0, 0, ret(sqltypes.Name), false, func(e *ectx, _ []any, _ []uint32) (any, error) { return userName(e.x), nil }},
		"now":              {0, 0, ret(sqltypes.Timestamptz), false, func(*ectx, []any, []uint32) (any, error) { return time.Now().UTC(), nil }},
		"pg_backend_pid":   {0, 0, ret(sqltypes.Int4), false, func(*ectx, []any, []uint32) (any, error) { return int64(os.Getpid()), nil }},
		"current_schemas": {1, 1, ret(sqltypes.NameArray), true, func(_ *ectx, a []any, _ []uint32) (any, error) {
			if truthy(a[0]) {
				return []any{"pg_catalog", "public"}, nil
			}
			return []any{"public"}, nil
		}},
		"pg_table_is_visible": {1, 1, ret(sqltypes.Bool), true, func(e *ectx, a []any, _ []uint32) (any, error) {
			oid, _ := a[0].(int64)
			cls, err := classRows(e.x)
			if err != nil {
				return nil, err
			}
			for _, c := range cls {
				if c.oid == oid {
					return c.nsp == nspCatalog || c.nsp == nspPublic, nil
				}
			}
			return nil, nil
		}},
		"pg_type_is_visible":         {1, 1, ret(sqltypes.Bool), true, constBody(true)},
		"pg_function_is_visible":     {1, 1, ret(sqltypes.Bool), true, constBody(true)},
		"has_table_privilege":        {2, 3, ret(sqltypes.Bool), true, constBody(true)},
		"has_schema_privilege":       {2, 3, ret(sqltypes.Bool), true, constBody(true)},
		"has_database_privilege":     {2, 3, ret(sqltypes.Bool), true, constBody(true)},
		"has_column_privilege":       {3, 4, ret(sqltypes.Bool), true, constBody(true)},
		"pg_relation_is_publishable": {1, 1, ret(sqltypes.Bool), true, constBody(false)},
		"format_type": {2, 2, ret(sqltypes.Text), false, func(_ *ectx, a []any, _ []uint32) (any, error) {
			oid, ok := a[0].(int64)
			if !ok {
				return nil, nil
			}
			mod, ok := a[1].(int64)
			if !ok {
				mod = -1
			}
			return formatType(uint32(oid), int32(mod)), nil
		}},
		"to_regtype": {1, 1, ret(sqltypes.RegType), true, func(_ *ectx, a []any, _ []uint32) (any, error) {
			if t := lookupTypeName(plainText(a[0])); t != nil {
				return int64(t.oid), nil
			}
			return nil, nil
		}},
		"to_regclass": {1, 1, ret(sqltypes.RegClass), true, func(e *ectx, a []any, _ []uint32) (any, error) {
			oid, err := relOID(e.x, plainText(a[0]))
			if err != nil || oid == 0 {
				return nil, err
			}
			return oid, nil
		}},
		"to_regnamespace": {1, 1, ret(sqltypes.RegNamespace), true, func(_ *ectx, a []any, _ []uint32) (any, error) {
			for _, n := range namespaces {
				if n.name == plainText(a[0]) {
					return n.oid, nil
				}
			}
			return nil, nil
		}},
		"pg_get_expr": {2, 3, ret(sqltypes.Text), false, func(_ *ectx, a []any, _ []uint32) (any, error) {
			return a[0], nil // tally stores expressions in their rendered form
		}},
		"pg_get_indexdef": {1, 3, ret(sqltypes.Text), true, func(e *ectx, a []any, _ []uint32) (any, error) {
			snap, err := e.x.snapshot()
			if err != nil {
				return nil, err
			}
			oid, _ := a[0].(int64)
			if t := snap.byOID[oid-1]; t != nil {
				if len(a) > 1 {
					if col, _ := a[1].(int64); col > 0 {
						if int(col) > len(t.PrimaryKey) {
							return "", nil
						}
						return quoteIdent(t.KeyColumns()[col-1].Name), nil
					}
				}
				return indexDef(t), nil
			}
			return nil, nil
		}},
		"pg_get_constraintdef": {1, 2, ret(sqltypes.Text), true, func(e *ectx, a []any, _ []uint32) (any, error) {
			snap, err := e.x.snapshot()
			if err != nil {
				return nil, err
			}
			oid, _ := a[0].(int64)
			if t := snap.byOID[oid-2]; t != nil {
				return "PRIMARY KEY (" + keyList(t) + ")", nil
			}
			return nil, nil
		}},
		"pg_get_userbyid": {1, 1, ret(sqltypes.Name), true, func(e *ectx, a []any, _ []uint32) (any, error) {
			if oid, _ := a[0].(int64); oid == owner {
				return userName(e.x), nil
			}
			return "unknown (OID=" + plainText(a[0]) + ")", nil
		}},
		"obj_description":                    {1, 2, ret(sqltypes.Text), false, constBody(nil)},
		"col_description":                    {2, 2, ret(sqltypes.Text), false, constBody(nil)},
		"shobj_description":                  {2, 2, ret(sqltypes.Text), false, constBody(nil)},
		"pg_get_serial_sequence":             {2, 2, ret(sqltypes.Text), false, constBody(nil)},
		"pg_get_viewdef":                     {1, 2, ret(sqltypes.Text), false, constBody(nil)},
		"pg_get_statisticsobjdef_columns":    {1, 1, ret(sqltypes.Text), false, constBody(nil)},
		"pg_get_function_result":             {1, 1, ret(sqltypes.Text), true, procResult},
		"pg_get_function_arguments":          {1, 1, ret(sqltypes.Text), true, constBody("")},
		"pg_get_function_identity_arguments": {1, 1, ret(sqltypes.Text), true, constBody("")},
		"pg_get_partkeydef":                  {1, 1, ret(sqltypes.Text), false, constBody(nil)},
		"pg_encoding_to_char": {1, 1, ret(sqltypes.Name), true, func(_ *ectx, a []any, _ []uint32) (any, error) {
			if n, _ := a[0].(int64); n == 6 {
				return "UTF8", nil
			}
			return "SQL_ASCII", nil
		}},
		"pg_table_size":          {1, 1, ret(sqltypes.Int8), true, constBody(int64(0))},
		"pg_total_relation_size": {1, 1, ret(sqltypes.Int8), true, constBody(int64(0))},
		"pg_relation_size":       {1, 2, ret(sqltypes.Int8), true, constBody(int64(0))},
		"pg_size_pretty": {1, 1, ret(sqltypes.Text), true, func(_ *ectx, a []any, _ []uint32) (any, error) {
			return plainText(a[0]) + " bytes", nil
		}},
		"quote_ident": {1, 1, ret(sqltypes.Text), true, func(_ *ectx, a []any, _ []uint32) (any, error) { return quoteIdent(plainText(a[0])), nil }},
		"lower":       {1, 1, ret(sqltypes.Text), true, func(_ *ectx, a []any, _ []uint32) (any, error) { return strings.ToLower(plainText(a[0])), nil }},
		"upper":       {1, 1, ret(sqltypes.Text), true, func(_ *ectx, a []any, _ []uint32) (any, error) { return strings.ToUpper(plainText(a[0])), nil }},
		"length":      {1, 1, ret(sqltypes.Int4), true, func(_ *ectx, a []any, _ []uint32) (any, error) { return int64(len([]rune(plainText(a[0])))), nil }},
		"btrim":       {1, 2, ret(sqltypes.Text), true, trimBody(strings.Trim)},
		"ltrim":       {1, 2, ret(sqltypes.Text), true, trimBody(strings.TrimLeft)},
		"rtrim":       {1, 2, ret(sqltypes.Text), true, trimBody(strings.TrimRight)},
		"replace": {3, 3, ret(sqltypes.Text), true, func(_ *ectx, a []any, _ []uint32) (any, error) {
			return strings.ReplaceAll(plainText(a[0]), plainText(a[1]), plainText(a[2])), nil
		}},
		"concat": {0, 100, ret(sqltypes.Text), false, func(e *ectx, a []any, t []uint32) (any, error) {
			var b strings.Builder
			for i, v := range a {
				if v != nil {
					s, err := textOf(e.x, v, t[i])
					if err != nil {
						return nil, err
					}
					b.WriteString(s)
				}
			}
			return b.String(), nil
		}},
		"array_upper": {2, 2, ret(sqltypes.Int4), true, func(_ *ectx, a []any, t []uint32) (any, error) {
			items, _ := a[0].([]any)
			if len(items) == 0 || a[1] != int64(1) {
				return nil, nil
			}
			if t[0] == sqltypes.Int2Vector || t[0] == sqltypes.OIDVector {
				return int64(len(items) - 1), nil
			}
			return int64(len(items)), nil
		}},
		"array_lower": {2, 2, ret(sqltypes.Int4), true, func(_ *ectx, a []any, t []uint32) (any, error) {
			items, _ := a[0].([]any)
			if len(items) == 0 || a[1] != int64(1) {
				return nil, nil
			}
			if t[0] == sqltypes.Int2Vector || t[0] == sqltypes.OIDVector {
				return int64(0), nil
			}
			return int64(1), nil
		}},
		"array_length": {2, 2, ret(sqltypes.Int4), true, func(_ *ectx, a []any, _ []uint32) (any, error) {
			items, _ := a[0].([]any)
			if len(items) == 0 || a[1] != int64(1) {
				return nil, nil
			}
			return int64(len(items)), nil
		}},
		"cardinality": {1, 1, ret(sqltypes.Int4), true, func(_ *ectx, a []any, _ []uint32) (any, error) {
			items, _ := a[0].([]any)
			return int64(len(items)), nil
		}},
		"array_to_string": {2, 3, ret(sqltypes.Text), false, func(e *ectx, a []any, t []uint32) (any, error) {
			if a[0] == nil || a[1] == nil {
				return nil, nil
			}
			items, _ := a[0].([]any)
			var parts []string
			for _, it := range items {
				if it == nil {
					if len(a) > 2 && a[2] != nil {
						parts = append(parts, plainText(a[2]))
					}
					continue
				}
				s, err := textOf(e.x, it, elemOf(t[0]))
				if err != nil {
					return nil, err
				}
				parts = append(parts, s)
			}
			return strings.Join(parts, plainText(a[1])), nil
		}},
		"json_build_object": {0, 100, ret(114), false, func(e *ectx, a []any, t []uint32) (any, error) {
			var b strings.Builder
			b.WriteString("{")
			for i := 0; i+1 < len(a); i += 2 {
				if i > 0 {
					b.WriteString(", ")
				}
				fmt.Fprintf(&b, "%q : ", plainText(a[i]))
				switch v := a[i+1].(type) {
				case nil:
					b.WriteString("null")
				case int64, float64, bool:
					b.WriteString(plainText(v))
				default:
					s, err := textOf(e.x, v, t[i+1])
					if err != nil {
						return nil, err
					}
					fmt.Fprintf(&b, "%q", s)
				}
			}
			b.WriteString("}")
			return b.String(), nil
		}},
		"set_config": {3, 3, ret(sqltypes.Text), false, func(_ *ectx, a []any, _ []uint32) (any, error) { return a[1], nil }},
		"current_setting": {1, 2, ret(sqltypes.Text), true, func(e *ectx, a []any, _ []uint32) (any, error) {
			rows, err := e.x.rows(virtuals["pg_catalog"]["pg_settings"])
			if err != nil {
				return nil, err
			}
			for _, r := range rows {
				if strings.EqualFold(plainText(r[0]), plainText(a[0])) {
					return r[1], nil
				}
			}
			if len(a) > 1 && truthy(a[1]) {
				return nil, nil
			}
			return nil, pgerr.New(pgerr.UndefinedObject, "unrecognized configuration parameter %q", plainText(a[0]))
		}},
	}
}

func constBody(v any) func(*ectx, []any, []uint32) (any, error) {
	return func(*ectx, []any, []uint32) (any, error) { return v, nil }
}

func trimBody(f func(string, string) string) func(*ectx, []any, []uint32) (any, error) {
	return func(_ *ectx, a []any, _ []uint32) (any, error) {
		cut := " "
		if len(a) > 1 {
			cut = plainText(a[1])
		}
		return f(plainText(a[0]), cut), nil
	}
}

// funcName splits a function's name; only pg_catalog may qualify it.
func funcName(names []*pg_query.Node) (string, error) {
	var parts []string
	for _, n := range names {
		parts = append(parts, n.GetString_().GetSval())
	}
	if len(parts) > 1 && parts[0] != "pg_catalog" && parts[0] != "information_schema" {
		return "", pgerr.New(pgerr.UndefinedFunction, "function %s does not exist", strings.Join(parts, "."))
	}
	return parts[len(parts)-1], nil
}

func (p *planner) funcCall(f *pg_query.FuncCall, s *scope) (*expr, error) {
	name, err := funcName(f.Funcname)
	if err != nil {
		return nil, err
	}
	if f.Over != nil {
		return nil, pgerr.Unsupported("tally does not support window functions yet")
	}
	if aggregates[name] {
		return p.aggregate(name, f, s)
	}
	args := make([]*expr, len(f.Args))
	for i, a := range f.Args {
		if args[i], err = p.compile(a, s, 0); err != nil {
			return nil, err
		}
	}
	return p.call(name, args)
}

// call builds a call of the scalar function name.
func (p *planner) call(name string, args []*expr) (*expr, error) {
	def, ok := functions[name]
	if !ok || len(args) < def.min || len(args) > def.max {
		types := make([]string, len(args))
		for i, a := range args {
			types[i] = formatType(a.typ, -1)
		}
		return nil, pgerr.New(pgerr.UndefinedFunction, "function %s(%s) does not exist", name, strings.Join(types, ", ")).
			WithHint("No function matches the given name and argument types. You might need to add explicit type casts.")
	}
	types := make([]uint32, len(args))
	for i, a := range args {
		if a.lit != nil {
			args[i] = castExpr(a, sqltypes.Text, -1)
		}
		types[i] = args[i].typ
	}
	return &expr{typ: def.ret(args), typmod: -1, name: name, eval: func(e *ectx) (any, error) {
		vals := make([]any, len(args))
		for i, a := range args {
			v, err := a.eval(e)
			if err != nil {
				return nil, err
			}
			if v == nil && def.strict {
				return nil, nil
			}
			vals[i] = v
		}
		return def.body(e, vals, types)
	}}, nil
}

// aggregate compiles an aggregate call into a slot of the grouped select.
func (p *planner) aggregate(name string, f *pg_query.FuncCall, s *scope) (*expr, error) {
	if s == nil || s.aggs == nil {
		return nil, pgerr.New(pgerr.GroupingError, "aggregate functions are not allowed here")
	}
	in := &scope{cols: s.cols, parent: s.parent}
	a := &aggCall{name: name, star: f.AggStar, distinct: f.AggDistinct}
	for _, n := range f.Args {
		x, err := p.compile(n, in, 0)
		if err != nil {
			return nil, err
		}
		if x.lit != nil {
			x = castExpr(x, sqltypes.Text, -1)
		}
		a.args = append(a.args, x)
	}
	if !a.star && len(a.args) == 0 || name == "string_agg" && len(a.args) != 2 {
		return nil, pgerr.New(pgerr.UndefinedFunction, "function %s() does not exist", name)
	}
	if f.AggFilter != nil {
		x, err := p.compile(f.AggFilter, in, sqltypes.Bool)
		if err != nil {
			return nil, err
		}
		a.filter = x
	}
	if len(f.AggOrder) > 0 {
		keys, err := p.sorts(f.AggOrder, in, nil, nil, true)
		if err != nil {
			return nil, err
		}
		a.order = keys
	}
	if a.star {
		a.typ = sqltypes.Int8
	} else {
		a.typ = aggType(name, a.args)
	}
	*s.aggs = append(*s.aggs, a)
	idx := len(*s.aggs) - 1
	return &expr{typ: a.typ, typmod: -1, name: name, eval: func(e *ectx) (any, error) {
		if idx >= len(e.aggs) {
			return nil, pgerr.New(pgerr.GroupingError, "aggregate functions are not allowed here")
		}
		return e.aggs[idx], nil
	}}, nil
}

// reservedWords are Postgres' reserved key words (quote_ident quotes them).
var reservedWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`all analyse analyze and any array as asc asymmetric both case cast check collate column
constraint create current_catalog current_date current_role current_time current_timestamp current_user default
deferrable desc distinct do else end except false fetch for foreign from grant group having in initially intersect
into lateral leading limit localtime localtimestamp not null offset on only or order placing primary references
returning select session_user some symmetric table then to trailing true union unique user using variadic when where
window with authorization binary collation concurrently cross current_schema freeze full ilike inner is isnull join
left like natural notnull outer overlaps right similar tablesample verbose`) {
		reservedWords[w] = true
	}
}

// proc is one row of the small pg_proc tally shows: the functions it runs.
type proc struct {
	oid  int64
	name string
	kind string
	ret  uint32
}

// procs lists the engine's functions with stable OIDs.
func procs() []proc {
	names := make([]string, 0, len(functions)+len(aggregates))
	for n := range functions {
		names = append(names, n)
	}
	for n := range aggregates {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]proc, len(names), len(names)+len(ioProcs))
	for i, n := range names {
		kind, ret := "f", uint32(sqltypes.Text)
		if aggregates[n] {
			kind = "a"
		} else if f := functions[n]; f.min == 0 {
			ret = f.ret(nil)
		}
		out[i] = proc{oid: int64(8000 + i), name: n, kind: kind, ret: ret}
	}
	return append(out, ioProcs...)
}

// ioProcs are type I/O functions clients compare typinput with
// (typinput = 'array_in'::regproc), with Postgres' OIDs.
var ioProcs = []proc{{oid: 750, name: "array_in", kind: "f", ret: 2277}, {oid: 751, name: "array_out", kind: "f", ret: 2275}}

// procResult is pg_get_function_result over tally's small pg_proc.
func procResult(_ *ectx, a []any, _ []uint32) (any, error) {
	oid, _ := a[0].(int64)
	for _, f := range procs() {
		if f.oid == oid {
			return formatType(f.ret, -1), nil
		}
	}
	return nil, nil
}

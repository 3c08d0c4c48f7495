package query

import (
	"context"
	"fmt"
	"sync"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/tally-db/tally/pgerr"
	"github.com/tally-db/tally/rewrite"
	"github.com/tally-db/tally/sqltypes"
)

// Field is one result column of a planned query.
type Field struct {
	Name   string
	OID    uint32
	Size   int16
	TypMod int32
}

// Op runs a planned query; it implements rewrite.Op.
type Op struct {
	root node
	stmt *pg_query.SelectStmt
}

// Plan plans ss against the session's database. params types $n.
func Plan(ctx context.Context, env *rewrite.Env, ss *pg_query.SelectStmt, params ParamFunc) (_ *Op, _ []Field, err error) {
	defer contain(&err)
	p := &planner{ctx: ctx, env: env, params: params, ctes: map[string]node{}}
	root, err := p.planSelect(ss, nil)
	if err != nil {
		return nil, nil, err
	}
	cols := root.columns()
	fields := make([]Field, len(cols))
	for i, c := range cols {
		typ := c.typ
		if typ == sqltypes.Unknown {
			typ = sqltypes.Text
		}
		size := int16(-1)
		if t := typesByOID[typ]; t != nil {
			size = t.len
		}
		fields[i] = Field{Name: c.name, OID: typ, Size: size, TypMod: c.typmod}
	}
	return &Op{root: root, stmt: ss}, fields, nil
}

// String renders the plan for golden tests.
func (op *Op) String() string {
	text, err := pg_query.Deparse(&pg_query.ParseResult{Version: treeVersion(), Stmts: []*pg_query.RawStmt{{Stmt: &pg_query.Node{Node: &pg_query.Node_SelectStmt{SelectStmt: op.stmt}}}}})
	if err != nil {
		return "Query ?"
	}
	return "Query " + text
}

// Execute runs the query.
func (op *Op) Execute(ctx context.Context, env *rewrite.Env, params []any) (_ *rewrite.Result, err error) {
	defer contain(&err)
	x := &execCtx{ctx: ctx, env: env, params: params, cache: map[*Relation][][]any{}}
	rows, err := op.root.run(&ectx{x: x})
	if err != nil {
		return nil, err
	}
	cols := op.root.columns()
	for _, r := range rows {
		for i, c := range cols {
			if r[i] == nil {
				continue
			}
			if r[i], err = wireValue(x, r[i], c.typ); err != nil {
				return nil, err
			}
		}
	}
	if rows == nil {
		rows = [][]any{}
	}
	return &rewrite.Result{Tag: fmt.Sprintf("SELECT %d", len(rows)), Rows: rows}, nil
}

// wireValue turns an engine value into what the wire codecs expect for
// typ: reg* types become sqltypes.Reg (name for text, OID for binary),
// untyped literals text.
func wireValue(x *execCtx, v any, typ uint32) (any, error) {
	switch typ {
	case sqltypes.RegClass, sqltypes.RegType, sqltypes.RegNamespace, sqltypes.RegProc:
		n, ok := v.(int64)
		if !ok {
			return v, nil
		}
		name, err := textOf(x, n, typ)
		if err != nil {
			return nil, err
		}
		return sqltypes.Reg{OID: uint32(n), Name: name}, nil
	case sqltypes.Unknown, sqltypes.Text, sqltypes.Name, sqltypes.Varchar, sqltypes.Bpchar, sqltypes.Char:
		if _, ok := v.(string); !ok {
			return textOf(x, v, typ)
		}
	}
	return v, nil
}

// treeVersion is the parse tree version Deparse requires: the one Parse
// stamps on its trees.
var treeVersion = sync.OnceValue(func() int32 {
	tree, err := pg_query.Parse("SELECT 1")
	if err != nil {
		return 0
	}
	return tree.Version
})

// contain turns a panic of the engine (a bug: a query shape it planned
// but can't evaluate) into an error for this statement, so one catalog
// query can't take the process and every other connection down.
func contain(err *error) {
	if r := recover(); r != nil {
		*err = pgerr.New(pgerr.InternalError, "query engine: internal error: %v", r)
	}
}

package rewrite

import (
	"context"
	"fmt"

	"github.com/tally-db/tally/catalog"
)

// Select reads rows named by their full primary key (one key, or IN lists),
// keeps the live ones that pass the filter, and projects the targets.
type Select struct {
	Table   *catalog.Table
	Keys    [][]Expr
	Filter  Expr
	Targets []Expr
}

func (op *Select) String() string {
	s := fmt.Sprintf("Select %s keys %s targets %s", op.Table.Name, keysString(op.Keys), exprsString(op.Targets))
	if op.Filter != nil {
		s += " filter " + op.Filter.String()
	}
	return s
}

// Execute reads.
func (op *Select) Execute(ctx context.Context, env *Env, params []any) (*Result, error) {
	t, err := lookup(ctx, env, op.Table)
	if err != nil {
		return nil, err
	}
	ts := env.Clock.Now()
	keys, err := evalKeys(env.eval(params, nil, ts), op.Keys)
	if err != nil {
		return nil, err
	}
	rows, err := readRows(ctx, env, t, keys, latest)
	if err != nil {
		return nil, err
	}
	res := &Result{}
	for _, r := range rows {
		if !r.live {
			continue
		}
		ev := env.eval(params, r.values, ts)
		ok, err := matches(ev, op.Filter)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		out, err := project(ev, op.Targets)
		if err != nil {
			return nil, err
		}
		res.Rows = append(res.Rows, out)
	}
	res.Tag = fmt.Sprintf("SELECT %d", len(res.Rows))
	return res, nil
}

// Values is a SELECT without FROM: one row of expressions.
type Values struct {
	Targets []Expr
}

func (op *Values) String() string { return "Values " + exprsString(op.Targets) }

// Execute evaluates the row.
func (op *Values) Execute(_ context.Context, env *Env, params []any) (*Result, error) {
	row, err := project(env.eval(params, nil, env.Clock.Now()), op.Targets)
	if err != nil {
		return nil, err
	}
	return &Result{Tag: "SELECT 1", Rows: [][]any{row}}, nil
}

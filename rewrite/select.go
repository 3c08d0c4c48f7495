package rewrite

import (
	"context"
	"fmt"
	"sort"

	"github.com/tally-db/tally/catalog"
	"github.com/tally-db/tally/pgerr"
)

// Select reads rows named by their full primary key (one key, or IN lists),
// keeps the live ones that pass the filter, and projects the targets.
type Select struct {
	Table   *catalog.Table
	Keys    [][]Expr
	Filter  Expr
	Targets []Expr
	// Order, Limit and Offset apply to the rows read (ORDER BY/LIMIT on a
	// keyed read, as ORMs add to point reads: GORM's First, Knex's first).
	Order         []SortKey
	Limit, Offset Expr // nil: none
}

// SortKey is one ORDER BY item: an expression over the row, or (Target >=
// 0) a result column by position or name.
type SortKey struct {
	Expr       Expr
	Target     int
	Desc       bool
	NullsFirst bool
}

func (op *Select) String() string {
	s := fmt.Sprintf("Select %s keys %s targets %s", op.Table.Name, keysString(op.Keys), exprsString(op.Targets))
	if op.Filter != nil {
		s += " filter " + op.Filter.String()
	}
	for _, k := range op.Order {
		if k.Target >= 0 {
			s += fmt.Sprintf(" order #%d desc=%v", k.Target+1, k.Desc)
		} else {
			s += fmt.Sprintf(" order %s desc=%v", k.Expr, k.Desc)
		}
	}
	if op.Limit != nil {
		s += " limit " + op.Limit.String()
	}
	if op.Offset != nil {
		s += " offset " + op.Offset.String()
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
	var sortVals [][]any
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
		if len(op.Order) > 0 {
			vals := make([]any, len(op.Order))
			for i, k := range op.Order {
				if k.Target >= 0 {
					vals[i] = out[k.Target]
				} else if vals[i], err = k.Expr.Eval(ev); err != nil {
					return nil, err
				}
			}
			sortVals = append(sortVals, vals)
		}
	}
	if len(op.Order) > 0 {
		idx := make([]int, len(res.Rows))
		for i := range idx {
			idx[i] = i
		}
		var serr error
		sort.SliceStable(idx, func(a, b int) bool {
			c, err := compareSort(op.Order, sortVals[idx[a]], sortVals[idx[b]])
			if err != nil && serr == nil {
				serr = err
			}
			return c < 0
		})
		if serr != nil {
			return nil, serr
		}
		sorted := make([][]any, len(idx))
		for i, j := range idx {
			sorted[i] = res.Rows[j]
		}
		res.Rows = sorted
	}
	ev := env.eval(params, nil, ts)
	if res.Rows, err = limitRows(ev, res.Rows, op.Limit, op.Offset); err != nil {
		return nil, err
	}
	res.Tag = fmt.Sprintf("SELECT %d", len(res.Rows))
	return res, nil
}

// compareSort orders two rows' sort values. NullsFirst is the effective
// placement of NULLs (the planner fills in Postgres' default: last
// ascending, first descending); DESC does not move them again.
func compareSort(keys []SortKey, a, b []any) (int, error) {
	for i, k := range keys {
		x, y := a[i], b[i]
		switch {
		case x == nil && y == nil:
			continue
		case x == nil || y == nil:
			c := 1 // x is NULL and goes after y
			if y == nil {
				c = -1
			}
			if k.NullsFirst {
				c = -c
			}
			return c, nil
		}
		c, err := compare(x, y)
		if err != nil {
			return 0, err
		}
		if k.Desc {
			c = -c
		}
		if c != 0 {
			return c, nil
		}
	}
	return 0, nil
}

// limitRows applies OFFSET and LIMIT (NULL means none; negative is 2201W
// and 2201X, as in Postgres).
func limitRows(ev *Eval, rows [][]any, limit, offset Expr) ([][]any, error) {
	if offset != nil {
		v, err := offset.Eval(ev)
		if err != nil {
			return nil, err
		}
		if n, ok := v.(int64); ok {
			if n < 0 {
				return nil, pgerr.New("2201X", "OFFSET must not be negative")
			}
			rows = rows[min(int64(len(rows)), n):]
		}
	}
	if limit != nil {
		v, err := limit.Eval(ev)
		if err != nil {
			return nil, err
		}
		if n, ok := v.(int64); ok {
			if n < 0 {
				return nil, pgerr.New("2201W", "LIMIT must not be negative")
			}
			rows = rows[:min(int64(len(rows)), n)]
		}
	}
	return rows, nil
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

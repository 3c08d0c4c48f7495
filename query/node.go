package query

import (
	"fmt"
	"sort"
	"strings"

	"github.com/tally-db/tally/pgerr"
)

// column is one column a FROM item (or a query) produces.
type column struct {
	qual, name string
	typ        uint32
	typmod     int32
	// merged: the right-hand copy of a JOIN ... USING column; unqualified
	// references and * see only the left one.
	merged bool
}

// node produces rows. e is the context of the enclosing query (nil at the
// top): correlated subqueries read the outer row through it.
type node interface {
	columns() []column
	run(e *ectx) ([][]any, error)
}

// oneRow is the FROM of a SELECT without FROM: one row of no columns.
type oneRow struct{}

func (oneRow) columns() []column          { return nil }
func (oneRow) run(*ectx) ([][]any, error) { return [][]any{{}}, nil }

// relNode scans a relation.
type relNode struct {
	rel  *Relation
	cols []column
}

func (n *relNode) columns() []column { return n.cols }
func (n *relNode) run(e *ectx) ([][]any, error) {
	return e.x.rows(n.rel)
}

// aliasNode renames the columns of its input (subqueries in FROM, CTEs).
type aliasNode struct {
	in   node
	cols []column
}

func (n *aliasNode) columns() []column            { return n.cols }
func (n *aliasNode) run(e *ectx) ([][]any, error) { return n.in.run(e) }

// joinKind is the kind of a JoinExpr.
type joinKind int

const (
	joinInner joinKind = iota
	joinLeft
	joinRight
	joinFull
)

// joinNode is a nested-loop join; a cross join has no condition.
type joinNode struct {
	kind        joinKind
	left, right node
	on          *expr // nil: true
}

func (n *joinNode) columns() []column {
	return append(append([]column(nil), n.left.columns()...), n.right.columns()...)
}

func (n *joinNode) run(e *ectx) ([][]any, error) {
	ls, err := n.left.run(e)
	if err != nil {
		return nil, err
	}
	rs, err := n.right.run(e)
	if err != nil {
		return nil, err
	}
	nl, nr := len(n.left.columns()), len(n.right.columns())
	var out [][]any
	rightUsed := make([]bool, len(rs))
	for _, l := range ls {
		matched := false
		for j, r := range rs {
			row := make([]any, 0, nl+nr)
			row = append(append(row, l...), r...)
			if n.on != nil {
				v, err := n.on.eval(&ectx{x: e.x, row: row, outer: e})
				if err != nil {
					return nil, err
				}
				if !truthy(v) {
					continue
				}
			}
			matched, rightUsed[j] = true, true
			out = append(out, row)
		}
		if !matched && (n.kind == joinLeft || n.kind == joinFull) {
			out = append(out, append(append(make([]any, 0, nl+nr), l...), make([]any, nr)...))
		}
	}
	if n.kind == joinRight || n.kind == joinFull {
		for j, r := range rs {
			if !rightUsed[j] {
				out = append(out, append(make([]any, nl, nl+nr), r...))
			}
		}
	}
	return out, nil
}

// funcNode is a set-returning function in FROM.
type funcNode struct {
	name    string
	args    []*expr
	cols    []column
	fn      func(e *ectx, args []any) ([][]any, error)
	lateral bool // args read the FROM items before it: e.row is their row
}

func (n *funcNode) columns() []column { return n.cols }

// argCtx is the context the arguments are evaluated in.
func (n *funcNode) argCtx(e *ectx) *ectx {
	if n.lateral {
		return e
	}
	return &ectx{x: e.x, outer: e}
}

func (n *funcNode) run(e *ectx) ([][]any, error) {
	args := make([]any, len(n.args))
	for i, a := range n.args {
		v, err := a.eval(n.argCtx(e))
		if err != nil {
			return nil, err
		}
		args[i] = v
	}
	return n.fn(e, args)
}

// sortKey is one ORDER BY item: an output column (out >= 0) or an
// expression over the input row.
type sortKey struct {
	out        int
	e          *expr
	desc       bool
	nullsFirst bool
}

// selectNode is one SELECT: filter, group, project, distinct, sort, limit.
type selectNode struct {
	from     node
	where    *expr
	grouped  bool
	groups   []*expr
	aggs     []*aggCall
	having   *expr
	targets  []*expr
	out      []column
	distinct bool
	// distinctOn: DISTINCT ON (exprs) keeps the first row, in ORDER BY
	// order, of each distinct value of the exprs.
	distinctOn []*expr
	sorts      []sortKey
	limit      *expr
	offset     *expr
}

func (n *selectNode) columns() []column { return n.out }

func (n *selectNode) run(e *ectx) ([][]any, error) {
	in, err := n.from.run(e)
	if err != nil {
		return nil, err
	}
	var ctxs []*ectx
	for _, row := range in {
		c := &ectx{x: e.x, row: row, outer: e}
		if n.where != nil {
			v, err := n.where.eval(c)
			if err != nil {
				return nil, err
			}
			if !truthy(v) {
				continue
			}
		}
		ctxs = append(ctxs, c)
	}
	if n.grouped {
		if ctxs, err = n.group(e, ctxs); err != nil {
			return nil, err
		}
	}
	type outRow struct {
		vals []any
		keys []any
		on   string
	}
	rows := make([]outRow, 0, len(ctxs))
	seen := map[string]bool{}
	for _, c := range ctxs {
		vals := make([]any, len(n.targets))
		for i, t := range n.targets {
			if vals[i], err = t.eval(c); err != nil {
				return nil, err
			}
		}
		on := ""
		if len(n.distinctOn) > 0 {
			onVals := make([]any, len(n.distinctOn))
			for i, x := range n.distinctOn {
				if onVals[i], err = x.eval(c); err != nil {
					return nil, err
				}
			}
			on = rowKey(onVals)
		} else if n.distinct {
			k := rowKey(vals)
			if seen[k] {
				continue
			}
			seen[k] = true
		}
		keys := make([]any, len(n.sorts))
		for i, s := range n.sorts {
			if s.out >= 0 {
				keys[i] = vals[s.out]
			} else if keys[i], err = s.e.eval(c); err != nil {
				return nil, err
			}
		}
		rows = append(rows, outRow{vals, keys, on})
	}
	if len(n.sorts) > 0 {
		sort.SliceStable(rows, func(i, j int) bool { return lessKeys(n.sorts, rows[i].keys, rows[j].keys) })
	}
	out := make([][]any, 0, len(rows))
	for _, r := range rows {
		if len(n.distinctOn) > 0 {
			if seen[r.on] {
				continue
			}
			seen[r.on] = true
		}
		out = append(out, r.vals)
	}
	return limitRows(e, out, n.limit, n.offset)
}

// group forms the groups of the filtered rows and evaluates the aggregates;
// each group is one context whose row is the group's first (columns of
// the GROUP BY read it) and whose aggs are the aggregate results.
func (n *selectNode) group(e *ectx, in []*ectx) ([]*ectx, error) {
	type grp struct {
		first *ectx
		rows  []*ectx
	}
	var order []string
	groups := map[string]*grp{}
	for _, c := range in {
		key := make([]any, len(n.groups))
		for i, g := range n.groups {
			v, err := g.eval(c)
			if err != nil {
				return nil, err
			}
			key[i] = v
		}
		k := rowKey(key)
		g := groups[k]
		if g == nil {
			g = &grp{first: c}
			groups[k] = g
			order = append(order, k)
		}
		g.rows = append(g.rows, c)
	}
	if len(n.groups) == 0 && len(order) == 0 {
		// An aggregate without GROUP BY yields one row even over no rows.
		groups[""] = &grp{first: &ectx{x: e.x, row: make([]any, len(n.from.columns())), outer: e}}
		order = append(order, "")
	}
	var out []*ectx
	for _, k := range order {
		g := groups[k]
		aggs := make([]any, len(n.aggs))
		for i, a := range n.aggs {
			v, err := a.compute(g.rows)
			if err != nil {
				return nil, err
			}
			aggs[i] = v
		}
		c := &ectx{x: e.x, row: g.first.row, aggs: aggs, outer: e}
		if n.having != nil {
			v, err := n.having.eval(c)
			if err != nil {
				return nil, err
			}
			if !truthy(v) {
				continue
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// lessKeys orders two rows by their sort keys; NULLs sort as larger than
// any value (last ascending, first descending) unless told otherwise.
func lessKeys(sorts []sortKey, a, b []any) bool {
	for i, s := range sorts {
		x, y := a[i], b[i]
		var c int
		switch {
		case x == nil && y == nil:
			continue
		case x == nil:
			c = 1
			if s.nullsFirst != s.desc {
				c = -1
			}
		case y == nil:
			c = -1
			if s.nullsFirst != s.desc {
				c = 1
			}
		default:
			c = compare(x, y)
		}
		if s.desc {
			c = -c
		}
		if c != 0 {
			return c < 0
		}
	}
	return false
}

// rowKey is a string identifying a row's values, for DISTINCT, GROUP BY
// and UNION.
func rowKey(vals []any) string {
	var b strings.Builder
	for _, v := range vals {
		if v == nil {
			b.WriteString("\x00N")
		} else {
			fmt.Fprintf(&b, "\x00%T:%s", v, plainText(v))
		}
	}
	return b.String()
}

// limitRows applies OFFSET and LIMIT.
func limitRows(e *ectx, rows [][]any, limit, offset *expr) ([][]any, error) {
	c := e
	if offset != nil {
		v, err := offset.eval(c)
		if err != nil {
			return nil, err
		}
		if n, ok := v.(int64); ok {
			if n < 0 {
				return nil, pgerr.New("2201X", "OFFSET must not be negative")
			}
			rows = rows[min(int(min(n, int64(len(rows)))), len(rows)):]
		}
	}
	if limit != nil {
		v, err := limit.eval(c)
		if err != nil {
			return nil, err
		}
		if n, ok := v.(int64); ok {
			if n < 0 {
				return nil, pgerr.New("2201W", "LIMIT must not be negative")
			}
			if n < int64(len(rows)) {
				rows = rows[:n]
			}
		}
	}
	return rows, nil
}

// setopNode is UNION [ALL], INTERSECT, EXCEPT, with the ORDER BY and
// LIMIT written after the last branch.
type setopNode struct {
	op          string // "union", "intersect", "except"
	all         bool
	left, right node
	out         []column
	sorts       []sortKey
	limit       *expr
	offset      *expr
}

func (n *setopNode) columns() []column { return n.out }

func (n *setopNode) run(e *ectx) ([][]any, error) {
	ls, err := n.left.run(e)
	if err != nil {
		return nil, err
	}
	rs, err := n.right.run(e)
	if err != nil {
		return nil, err
	}
	var rows [][]any
	switch n.op {
	case "union":
		rows = append(ls, rs...)
		if !n.all {
			rows = dedupe(rows)
		}
	case "intersect", "except":
		inRight := map[string]int{}
		for _, r := range rs {
			inRight[rowKey(r)]++
		}
		for _, l := range ls {
			k := rowKey(l)
			if (inRight[k] > 0) == (n.op == "intersect") {
				rows = append(rows, l)
				if n.op == "intersect" && n.all {
					inRight[k]--
				}
			}
		}
		if !n.all {
			rows = dedupe(rows)
		}
	}
	if len(n.sorts) > 0 {
		sort.SliceStable(rows, func(i, j int) bool {
			a, b := make([]any, len(n.sorts)), make([]any, len(n.sorts))
			for k, s := range n.sorts {
				a[k], b[k] = rows[i][s.out], rows[j][s.out]
			}
			return lessKeys(n.sorts, a, b)
		})
	}
	return limitRows(e, rows, n.limit, n.offset)
}

func dedupe(rows [][]any) [][]any {
	seen := map[string]bool{}
	out := rows[:0:0]
	for _, r := range rows {
		k := rowKey(r)
		if !seen[k] {
			seen[k] = true
			out = append(out, r)
		}
	}
	return out
}

// valuesNode is VALUES (...), (...).
type valuesNode struct {
	rows [][]*expr
	cols []column
}

func (n *valuesNode) columns() []column { return n.cols }
func (n *valuesNode) run(e *ectx) ([][]any, error) {
	out := make([][]any, len(n.rows))
	for i, r := range n.rows {
		out[i] = make([]any, len(r))
		for j, x := range r {
			v, err := x.eval(&ectx{x: e.x, outer: e})
			if err != nil {
				return nil, err
			}
			out[i][j] = v
		}
	}
	return out, nil
}

// lateralNode joins each row of left with the rows right produces for it
// (a function in FROM reading the items before it, or LATERAL subquery).
type lateralNode struct {
	left, right node
}

func (n *lateralNode) columns() []column {
	return append(append([]column(nil), n.left.columns()...), n.right.columns()...)
}

func (n *lateralNode) run(e *ectx) ([][]any, error) {
	ls, err := n.left.run(e)
	if err != nil {
		return nil, err
	}
	var out [][]any
	for _, l := range ls {
		rs, err := n.right.run(&ectx{x: e.x, row: l, outer: e})
		if err != nil {
			return nil, err
		}
		for _, r := range rs {
			out = append(out, append(append(make([]any, 0, len(l)+len(r)), l...), r...))
		}
	}
	return out, nil
}

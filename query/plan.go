package query

import (
	"context"
	"fmt"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/tally-db/tally/pgerr"
	"github.com/tally-db/tally/rewrite"
	"github.com/tally-db/tally/sqltypes"
)

// ParamFunc returns the parameter $n, typed by the client's declaration or
// else by want (0: no expectation); the planner owns parameter types.
type ParamFunc func(n int, want uint32) (*rewrite.Param, error)

// planner plans one query.
type planner struct {
	ctx    context.Context
	env    *rewrite.Env
	params ParamFunc
	ctes   map[string]node
}

// planSelect plans a SELECT (or set operation, or VALUES) in the scope of
// the enclosing query (nil at the top).
func (p *planner) planSelect(ss *pg_query.SelectStmt, outer *scope) (node, error) {
	if ss.WithClause != nil {
		saved := p.ctes
		p.ctes = map[string]node{}
		for k, v := range saved {
			p.ctes[k] = v
		}
		defer func() { p.ctes = saved }()
		for _, n := range ss.WithClause.Ctes {
			cte := n.GetCommonTableExpr()
			sub := cte.Ctequery.GetSelectStmt()
			if sub == nil {
				return nil, pgerr.Unsupported("tally does not support data-modifying WITH")
			}
			if ss.WithClause.Recursive && sub.Op == pg_query.SetOperation_SETOP_UNION && mentions(sub.Rarg, cte.Ctename) {
				rec, err := p.recursiveCTE(sub, cte, outer)
				if err != nil {
					return nil, err
				}
				p.ctes[cte.Ctename] = rec
				continue
			}
			in, err := p.planSelect(sub, outer)
			if err != nil {
				return nil, err
			}
			p.ctes[cte.Ctename] = renamed(in, cte.Ctename, cte.Aliascolnames)
		}
	}
	switch {
	case ss.IntoClause != nil:
		return nil, pgerr.Unsupported("tally does not support SELECT INTO")
	case ss.LockingClause != nil:
		return nil, pgerr.Unsupported("tally does not support FOR UPDATE/SHARE yet")
	case ss.WindowClause != nil:
		return nil, pgerr.Unsupported("tally does not support window functions yet")
	case ss.Op != pg_query.SetOperation_SETOP_NONE:
		return p.setop(ss, outer)
	case ss.ValuesLists != nil:
		return p.values(ss, outer)
	}
	if len(ss.TargetList) == 0 {
		// Postgres returns rows of no columns; clients can't take a
		// DataRow without a RowDescription field.
		return nil, pgerr.Unsupported("tally does not support SELECT without result columns yet")
	}
	n := &selectNode{from: oneRow{}}
	var err error
	where := ss.WhereClause
	hasLateral := false
	for i, item := range ss.FromClause {
		hasLateral = hasLateral || i > 0 && lateral(item)
	}
	if hasLateral {
		// A lateral item reads the items before it: join in order.
		for _, item := range ss.FromClause {
			_, empty := n.from.(oneRow)
			if lateral(item) && !empty {
				f, err := p.lateralItem(item, outer, &scope{cols: n.from.columns(), parent: outer})
				if err != nil {
					return nil, err
				}
				n.from = &lateralNode{left: n.from, right: f}
				continue
			}
			f, err := p.fromItem(item, outer)
			if err != nil {
				return nil, err
			}
			if empty {
				n.from = f
			} else {
				n.from = &joinNode{kind: joinInner, left: n.from, right: f}
			}
		}
	} else if len(ss.FromClause) > 0 {
		var items []node
		for _, item := range ss.FromClause {
			f, err := p.fromItem(item, outer)
			if err != nil {
				return nil, err
			}
			items = append(items, f)
		}
		if n.from, where, err = p.joinItems(items, where, outer); err != nil {
			return nil, err
		}
	}
	s := &scope{cols: n.from.columns(), parent: outer}
	if where != nil {
		if n.where, err = p.compile(where, s, sqltypes.Bool); err != nil {
			return nil, err
		}
		if where == ss.WhereClause {
			p.pushKeys(ss, n, outer)
		}
	}
	agg := &scope{cols: s.cols, parent: outer, aggs: &n.aggs}
	// GROUP BY 1 and GROUP BY <output name> (when no input column has
	// that name) name output columns: resolved after the targets.
	var byOutput []*pg_query.Node
	for _, g := range ss.GroupClause {
		if c := g.GetAConst(); c != nil {
			byOutput = append(byOutput, g)
			continue
		}
		x, err := p.compile(g, s, 0)
		if pgerr.CodeOf(err) == pgerr.UndefinedColumn && bareName(g) != "" {
			byOutput = append(byOutput, g)
			continue
		}
		if err != nil {
			return nil, err
		}
		n.groups = append(n.groups, x)
	}
	if err := p.targets(ss.TargetList, agg, n); err != nil {
		return nil, err
	}
	for _, g := range byOutput {
		if name := bareName(g); name != "" {
			i := indexOf(n.out, name)
			if i < 0 {
				return nil, pgerr.New(pgerr.UndefinedColumn, "column %q does not exist", name)
			}
			n.groups = append(n.groups, n.targets[i])
			continue
		}
		i := int(g.GetAConst().GetIval().GetIval())
		if i < 1 || i > len(n.targets) {
			return nil, pgerr.New(pgerr.InvalidColumnReference, "GROUP BY position %d is not in select list", i)
		}
		n.groups = append(n.groups, n.targets[i-1])
	}
	if ss.HavingClause != nil {
		if n.having, err = p.compile(ss.HavingClause, agg, sqltypes.Bool); err != nil {
			return nil, err
		}
	}
	n.distinct = len(ss.DistinctClause) > 0
	for _, d := range ss.DistinctClause {
		if d == nil || d.Node == nil {
			continue // plain DISTINCT
		}
		x, err := p.compile(d, agg, 0)
		if err != nil {
			return nil, err
		}
		n.distinctOn = append(n.distinctOn, x)
	}
	if n.sorts, err = p.sorts(ss.SortClause, &scope{cols: s.cols, parent: outer, aggs: &n.aggs}, n.out, n.targets, true); err != nil {
		return nil, err
	}
	n.grouped = len(n.groups) > 0 || len(n.aggs) > 0 || n.having != nil
	if n.limit, n.offset, err = p.limits(ss, outer); err != nil {
		return nil, err
	}
	return n, nil
}

// targets plans the select list into n.targets and n.out.
func (p *planner) targets(list []*pg_query.Node, s *scope, n *selectNode) error {
	for _, t := range list {
		rt := t.GetResTarget()
		if cr := rt.Val.GetColumnRef(); cr != nil && cr.Fields[len(cr.Fields)-1].GetAStar() != nil {
			qual := ""
			if len(cr.Fields) > 1 {
				qual = cr.Fields[len(cr.Fields)-2].GetString_().GetSval()
			}
			found := false
			for i, c := range s.cols {
				if (qual == "" && !c.merged) || (qual != "" && c.qual == qual) {
					found = true
					idx := i
					n.targets = append(n.targets, &expr{typ: c.typ, typmod: c.typmod, eval: func(e *ectx) (any, error) { return e.row[idx], nil }})
					n.out = append(n.out, column{name: c.name, typ: c.typ, typmod: c.typmod})
				}
			}
			if qual != "" && !found {
				return pgerr.New(pgerr.UndefinedTable, "missing FROM-clause entry for table %q", qual)
			}
			if qual == "" && len(s.cols) == 0 && len(list) == 1 {
				return pgerr.New(pgerr.SyntaxError, "SELECT * with no tables specified is not valid")
			}
			continue
		}
		x, err := p.compile(rt.Val, s, 0)
		if err != nil {
			return err
		}
		if x.typ == sqltypes.Unknown {
			x = castExpr(x, sqltypes.Text, -1)
		}
		name := rt.Name
		if name == "" {
			name = x.name
		}
		if name == "" {
			name = "?column?"
		}
		n.targets = append(n.targets, x)
		n.out = append(n.out, column{name: name, typ: x.typ, typmod: x.typmod})
	}
	return nil
}

// sorts plans ORDER BY: output column names and positions first, then
// expressions over the input (input false: outputs only, as after UNION).
func (p *planner) sorts(list []*pg_query.Node, s *scope, outs []column, targets []*expr, input bool) ([]sortKey, error) {
	var keys []sortKey
	for _, n := range list {
		sb := n.GetSortBy()
		k := sortKey{out: -1, desc: sb.SortbyDir == pg_query.SortByDir_SORTBY_DESC}
		k.nullsFirst = k.desc
		switch sb.SortbyNulls {
		case pg_query.SortByNulls_SORTBY_NULLS_FIRST:
			k.nullsFirst = true
		case pg_query.SortByNulls_SORTBY_NULLS_LAST:
			k.nullsFirst = false
		}
		node := sb.Node
		if cc := node.GetCollateClause(); cc != nil {
			node = cc.Arg
		}
		if c := node.GetAConst(); c != nil && c.GetIval() != nil {
			i := int(c.GetIval().Ival)
			if i < 1 || i > len(outs) {
				return nil, pgerr.New(pgerr.InvalidColumnReference, "ORDER BY position %d is not in select list", i)
			}
			k.out = i - 1
		} else if cr := node.GetColumnRef(); cr != nil && len(cr.Fields) == 1 && cr.Fields[0].GetString_() != nil {
			name := cr.Fields[0].GetString_().Sval
			for i, o := range outs {
				if o.name == name {
					k.out = i
					break
				}
			}
		}
		if k.out < 0 {
			if !input {
				return nil, pgerr.New(pgerr.FeatureNotSupported, "invalid UNION/INTERSECT/EXCEPT ORDER BY clause").
					WithDetail("Only result column names can be used, not expressions or functions.")
			}
			x, err := p.compile(node, s, 0)
			if err != nil {
				return nil, err
			}
			k.e = x
		}
		keys = append(keys, k)
	}
	return keys, nil
}

func (p *planner) limits(ss *pg_query.SelectStmt, outer *scope) (*expr, *expr, error) {
	var limit, offset *expr
	var err error
	if ss.LimitCount != nil {
		if limit, err = p.compile(ss.LimitCount, outer, sqltypes.Int8); err != nil {
			return nil, nil, err
		}
		limit = castExpr(limit, sqltypes.Int8, -1)
	}
	if ss.LimitOffset != nil {
		if offset, err = p.compile(ss.LimitOffset, outer, sqltypes.Int8); err != nil {
			return nil, nil, err
		}
		offset = castExpr(offset, sqltypes.Int8, -1)
	}
	return limit, offset, nil
}

func (p *planner) values(ss *pg_query.SelectStmt, outer *scope) (node, error) {
	n := &valuesNode{}
	for _, l := range ss.ValuesLists {
		var row []*expr
		for _, it := range l.GetList().GetItems() {
			x, err := p.compile(it, &scope{parent: outer}, 0)
			if err != nil {
				return nil, err
			}
			row = append(row, x)
		}
		if len(n.rows) > 0 && len(row) != len(n.rows[0]) {
			return nil, pgerr.New(pgerr.SyntaxError, "VALUES lists must all be the same length")
		}
		n.rows = append(n.rows, row)
	}
	for i, x := range n.rows[0] {
		typ := x.typ
		if typ == sqltypes.Unknown {
			typ = sqltypes.Text
		}
		n.cols = append(n.cols, column{name: fmt.Sprintf("column%d", i+1), typ: typ, typmod: -1})
	}
	for _, row := range n.rows {
		for j, x := range row {
			if x.typ != n.cols[j].typ {
				row[j] = castExpr(x, n.cols[j].typ, -1)
			}
		}
	}
	if len(ss.SortClause) > 0 || ss.LimitCount != nil || ss.LimitOffset != nil {
		return nil, pgerr.Unsupported("tally does not support ORDER BY or LIMIT on VALUES yet")
	}
	return n, nil
}

// renamed gives a FROM item its alias and column aliases.
func renamed(in node, alias string, colnames []*pg_query.Node) node {
	cols := make([]column, len(in.columns()))
	for i, c := range in.columns() {
		cols[i] = column{qual: alias, name: c.name, typ: c.typ, typmod: c.typmod}
		if i < len(colnames) {
			cols[i].name = colnames[i].GetString_().GetSval()
		}
	}
	return &aliasNode{in: in, cols: cols}
}

// fromItem plans one FROM item.
func (p *planner) fromItem(n *pg_query.Node, outer *scope) (node, error) {
	switch {
	case n.GetRangeVar() != nil:
		rv := n.GetRangeVar()
		var in node
		if cte, ok := p.ctes[rv.Relname]; ok && rv.Schemaname == "" {
			in = cte
		} else {
			rel, err := resolve(p.ctx, p.env, rv.Catalogname, rv.Schemaname, rv.Relname)
			if err != nil {
				return nil, err
			}
			in = &relNode{rel: rel, cols: rel.Cols}
		}
		alias := rv.Relname
		var colnames []*pg_query.Node
		if rv.Alias != nil {
			alias, colnames = rv.Alias.Aliasname, rv.Alias.Colnames
		}
		return renamed(in, alias, colnames), nil
	case n.GetJoinExpr() != nil:
		return p.join(n.GetJoinExpr(), outer)
	case n.GetRangeSubselect() != nil:
		rs := n.GetRangeSubselect()
		in, err := p.planSelect(rs.Subquery.GetSelectStmt(), outer)
		if err != nil {
			return nil, err
		}
		if rs.Alias == nil {
			return renamed(in, "", nil), nil
		}
		return renamed(in, rs.Alias.Aliasname, rs.Alias.Colnames), nil
	case n.GetRangeFunction() != nil:
		return p.rangeFunction(n.GetRangeFunction(), outer, nil)
	}
	return nil, pgerr.Unsupported("tally does not support this FROM item yet: %s", nodeName(n))
}

func (p *planner) join(j *pg_query.JoinExpr, outer *scope) (node, error) {
	l, err := p.fromItem(j.Larg, outer)
	if err != nil {
		return nil, err
	}
	r, err := p.fromItem(j.Rarg, outer)
	if err != nil {
		return nil, err
	}
	n := &joinNode{left: l, right: r}
	switch j.Jointype {
	case pg_query.JoinType_JOIN_LEFT:
		n.kind = joinLeft
	case pg_query.JoinType_JOIN_RIGHT:
		n.kind = joinRight
	case pg_query.JoinType_JOIN_FULL:
		n.kind = joinFull
	}
	cols := n.columns()
	s := &scope{cols: cols, parent: outer}
	switch {
	case len(j.UsingClause) > 0 || j.IsNatural:
		var names []string
		for _, u := range j.UsingClause {
			names = append(names, u.GetString_().GetSval())
		}
		if j.IsNatural {
			for _, lc := range l.columns() {
				for _, rc := range r.columns() {
					if lc.name == rc.name {
						names = append(names, lc.name)
					}
				}
			}
		}
		nl := len(l.columns())
		for _, name := range names {
			li, ri := indexOf(l.columns(), name), indexOf(r.columns(), name)
			if li < 0 || ri < 0 {
				return nil, pgerr.New(pgerr.UndefinedColumn, "column %q specified in USING clause does not exist in %s table", name, map[bool]string{true: "left", false: "right"}[li < 0])
			}
			cols[nl+ri].merged = true
			lx := &expr{typ: cols[li].typ, eval: colAt(li)}
			rx := &expr{typ: cols[nl+ri].typ, eval: colAt(nl + ri)}
			eq, err := binary("=", lx, rx)
			if err != nil {
				return nil, err
			}
			if n.on == nil {
				n.on = eq
			} else {
				n.on = and(n.on, eq)
			}
		}
		return &usingNode{joinNode: n, cols: cols}, nil
	case j.Quals != nil:
		if n.on, err = p.compile(j.Quals, s, sqltypes.Bool); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// usingNode is a join whose USING columns are merged.
type usingNode struct {
	*joinNode
	cols []column
}

func (n *usingNode) columns() []column { return n.cols }

func indexOf(cols []column, name string) int {
	for i, c := range cols {
		if c.name == name && !c.merged {
			return i
		}
	}
	return -1
}

func colAt(i int) func(e *ectx) (any, error) {
	return func(e *ectx) (any, error) { return e.row[i], nil }
}

// subLink compiles EXISTS, scalar, IN/ANY and ARRAY subqueries.
func (p *planner) subLink(sl *pg_query.SubLink, s *scope) (*expr, error) {
	sub, err := p.planSelect(sl.Subselect.GetSelectStmt(), s)
	if err != nil {
		return nil, err
	}
	cols := sub.columns()
	run := sub.run
	switch sl.SubLinkType {
	case pg_query.SubLinkType_EXISTS_SUBLINK:
		return &expr{typ: sqltypes.Bool, typmod: -1, name: "exists", eval: func(e *ectx) (any, error) {
			rows, err := run(e)
			return len(rows) > 0, err
		}}, nil
	case pg_query.SubLinkType_EXPR_SUBLINK:
		if len(cols) != 1 {
			return nil, pgerr.New(pgerr.SyntaxError, "subquery must return only one column")
		}
		return &expr{typ: cols[0].typ, typmod: cols[0].typmod, name: cols[0].name, eval: func(e *ectx) (any, error) {
			rows, err := run(e)
			switch {
			case err != nil || len(rows) == 0:
				return nil, err
			case len(rows) > 1:
				return nil, pgerr.New(pgerr.CardinalityViolation, "more than one row returned by a subquery used as an expression")
			}
			return rows[0][0], nil
		}}, nil
	case pg_query.SubLinkType_ARRAY_SUBLINK:
		if len(cols) != 1 {
			return nil, pgerr.New(pgerr.SyntaxError, "subquery must return only one column")
		}
		typ := arrayOf(cols[0].typ)
		if typ == 0 {
			typ = sqltypes.TextArray
		}
		return &expr{typ: typ, typmod: -1, name: "array", eval: func(e *ectx) (any, error) {
			rows, err := run(e)
			out := make([]any, len(rows))
			for i, r := range rows {
				out[i] = r[0]
			}
			return out, err
		}}, nil
	case pg_query.SubLinkType_ANY_SUBLINK, pg_query.SubLinkType_ALL_SUBLINK:
		if len(cols) != 1 {
			return nil, pgerr.New(pgerr.SyntaxError, "subquery has too many columns")
		}
		l, err := p.compile(sl.Testexpr, s, 0)
		if err != nil {
			return nil, err
		}
		op := "="
		if len(sl.OperName) > 0 {
			op = opName(sl.OperName)
		}
		arr := &expr{typ: arrayOf(cols[0].typ), typmod: -1, eval: func(e *ectx) (any, error) {
			rows, err := run(e)
			out := make([]any, len(rows))
			for i, r := range rows {
				out[i] = r[0]
			}
			return out, err
		}}
		if arr.typ == 0 {
			arr.typ = sqltypes.TextArray
		}
		return anyAll(op, l, arr, sl.SubLinkType == pg_query.SubLinkType_ALL_SUBLINK)
	}
	return nil, pgerr.Unsupported("tally does not support this kind of subquery yet")
}

// lateral reports FROM items that may read the items before them.
func lateral(n *pg_query.Node) bool {
	return n.GetRangeFunction() != nil || (n.GetRangeSubselect() != nil && n.GetRangeSubselect().Lateral)
}

// lateralItem plans a function or LATERAL subquery in FROM that reads
// the items before it (left).
func (p *planner) lateralItem(n *pg_query.Node, outer, left *scope) (node, error) {
	if rf := n.GetRangeFunction(); rf != nil {
		return p.rangeFunction(rf, outer, left)
	}
	rs := n.GetRangeSubselect()
	in, err := p.planSelect(rs.Subquery.GetSelectStmt(), left)
	if err != nil {
		return nil, err
	}
	if rs.Alias == nil {
		return renamed(in, "", nil), nil
	}
	return renamed(in, rs.Alias.Aliasname, rs.Alias.Colnames), nil
}

// bareName is the name of an unqualified column reference, or "".
func bareName(n *pg_query.Node) string {
	cr := n.GetColumnRef()
	if cr == nil || len(cr.Fields) != 1 || cr.Fields[0].GetString_() == nil {
		return ""
	}
	return cr.Fields[0].GetString_().Sval
}

package planner

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/tally-db/tally/catalog"
	"github.com/tally-db/tally/pgerr"
	"github.com/tally-db/tally/rewrite"
	"github.com/tally-db/tally/sqltypes"
)

// insert plans INSERT ... VALUES [RETURNING].
func (p *planCtx) insert(is *pg_query.InsertStmt) (rewrite.Op, []Field, error) {
	if is.WithClause != nil {
		return nil, nil, unsupported("WITH")
	}
	t, err := p.table(is.Relation)
	if err != nil {
		return nil, nil, err
	}
	sc := newScope(t, is.Relation)
	cols := t.Columns
	if len(is.Cols) > 0 {
		cols = nil
		seen := map[string]bool{}
		for _, n := range is.Cols {
			rt := n.GetResTarget()
			c := t.Column(rt.Name)
			if c == nil {
				return nil, nil, pgerr.New(pgerr.UndefinedColumn, "column %q of relation %q does not exist", rt.Name, t.Name)
			}
			if seen[rt.Name] {
				return nil, nil, pgerr.New(pgerr.DuplicateColumn, "column %q specified more than once", rt.Name)
			}
			if len(rt.Indirection) > 0 {
				return nil, nil, unsupported("assignment to subfields or array elements")
			}
			seen[rt.Name] = true
			cols = append(cols, c)
		}
	}
	var lists []*pg_query.Node
	switch sel := is.SelectStmt.GetSelectStmt(); {
	case is.SelectStmt == nil: // DEFAULT VALUES
		lists = []*pg_query.Node{{Node: &pg_query.Node_List{List: &pg_query.List{}}}}
		cols = nil
	case sel != nil && sel.ValuesLists != nil:
		lists = sel.ValuesLists
	default:
		return p.insertSelect(is, t, cols, sc)
	}
	op := &rewrite.Insert{Table: t}
	for _, l := range lists {
		items := l.GetList().GetItems()
		if len(items) > len(cols) {
			return nil, nil, pgerr.New(pgerr.SyntaxError, "INSERT has more expressions than target columns")
		}
		if len(items) < len(cols) && len(is.Cols) == 0 {
			cols = cols[:len(items)] // the rest take their defaults
		}
		if len(items) < len(cols) {
			return nil, nil, pgerr.New(pgerr.SyntaxError, "INSERT has more target columns than expressions")
		}
		row := make([]rewrite.Expr, len(t.Columns))
		for i, it := range items {
			if it.GetSetToDefault() != nil {
				continue
			}
			if cols[i].Identity == "a" && is.Override != pg_query.OverridingKind_OVERRIDING_SYSTEM_VALUE {
				return nil, nil, errIdentityAlways(cols[i])
			}
			if row[cols[i].Num-1], err = p.assign(t, cols[i], it, nil); err != nil {
				return nil, nil, err
			}
		}
		op.Rows = append(op.Rows, row)
	}
	return p.insertClauses(op, is, sc)
}

// insertClauses plans what INSERT ... VALUES and INSERT ... SELECT share:
// ON CONFLICT and RETURNING.
func (p *planCtx) insertClauses(op *rewrite.Insert, is *pg_query.InsertStmt, sc *scope) (rewrite.Op, []Field, error) {
	var err error
	if is.OnConflictClause != nil {
		if op.OnConflict, err = p.onConflict(op.Table, is.OnConflictClause, sc); err != nil {
			return nil, nil, err
		}
	}
	var fields []Field
	if is.ReturningList != nil {
		if op.Returning, fields, err = p.targets(is.ReturningList, sc); err != nil {
			return nil, nil, err
		}
	}
	return op, fields, nil
}

// insertSelect plans INSERT ... SELECT: the SELECT runs first (by key or in
// the query engine), then its rows are inserted in the order it returns
// them, so RETURNING comes back in that order (SQLAlchemy's
// insertmanyvalues sorts its VALUES by a counter to rely on this).
func (p *planCtx) insertSelect(is *pg_query.InsertStmt, t *catalog.Table, cols []*catalog.Column, sc *scope) (rewrite.Op, []Field, error) {
	src, srcFields, err := p.selectStmt(is.SelectStmt.GetSelectStmt())
	if err != nil {
		return nil, nil, err
	}
	if len(srcFields) > len(cols) {
		return nil, nil, pgerr.New(pgerr.SyntaxError, "INSERT has more expressions than target columns")
	}
	if len(srcFields) < len(cols) && len(is.Cols) > 0 {
		return nil, nil, pgerr.New(pgerr.SyntaxError, "INSERT has more target columns than expressions")
	}
	row := make([]rewrite.Expr, len(t.Columns))
	for i, f := range srcFields {
		c := cols[i]
		if c.Identity == "a" && is.Override != pg_query.OverridingKind_OVERRIDING_SYSTEM_VALUE {
			return nil, nil, errIdentityAlways(c)
		}
		var e rewrite.Expr = &rewrite.ColumnRef{Index: i, Name: f.Name, Typ: f.OID}
		conv, err := coerce(e, c.Type, true)
		if err != nil {
			return nil, nil, pgerr.New(pgerr.DatatypeMismatch, "column %q is of type %s but expression is of type %s", c.Name, typeName(c.Type), typeName(f.OID)).
				WithHint("You will need to rewrite or cast the expression.")
		}
		row[c.Num-1] = typmodLimit(conv, c.Type, c.TypMod, false)
	}
	// Django's bulk_create(update_conflicts=True) adds ON CONFLICT.
	return p.insertClauses(&rewrite.Insert{Table: t, Rows: [][]rewrite.Expr{row}, Source: src}, is, sc)
}

// onConflict plans ON CONFLICT [(key columns) | ON CONSTRAINT <t>_pkey]
// DO NOTHING | DO UPDATE SET ...: the only unique constraint a tally table
// has is its primary key. In DO UPDATE, EXCLUDED.c is the proposed row's
// value; a counter may be incremented (c = t.c + EXCLUDED.c, c = c + 1),
// other columns set from EXCLUDED or constants.
func (p *planCtx) onConflict(t *catalog.Table, oc *pg_query.OnConflictClause, sc *scope) (*rewrite.OnConflict, error) {
	if inf := oc.Infer; inf != nil {
		if inf.WhereClause != nil {
			return nil, unsupported("ON CONFLICT ... WHERE (partial unique indexes)")
		}
		if inf.Conname != "" && inf.Conname != t.Name+"_pkey" {
			return nil, pgerr.New(pgerr.UndefinedObject, "constraint %q for table %q does not exist", inf.Conname, t.Name)
		}
		if inf.Conname == "" && !namesPrimaryKey(t, inf.IndexElems) {
			return nil, pgerr.New("42P10", "there is no unique or exclusion constraint matching the ON CONFLICT specification")
		}
	} else if oc.Action == pg_query.OnConflictAction_ONCONFLICT_UPDATE {
		return nil, pgerr.New("42601", "ON CONFLICT DO UPDATE requires inference specification or constraint name").
			WithHint("For example, ON CONFLICT (column_name).")
	}
	if oc.Action == pg_query.OnConflictAction_ONCONFLICT_NOTHING {
		return &rewrite.OnConflict{DoNothing: true}, nil
	}
	if oc.WhereClause != nil {
		return nil, unsupported("ON CONFLICT DO UPDATE ... WHERE")
	}
	excluded := &scope{table: t, alias: "excluded"}
	out := &rewrite.OnConflict{}
	seen := map[string]bool{}
	for _, n := range oc.TargetList {
		rt := n.GetResTarget()
		c := t.Column(rt.Name)
		switch {
		case c == nil:
			return nil, pgerr.New(pgerr.UndefinedColumn, "column %q of relation %q does not exist", rt.Name, t.Name)
		case seen[rt.Name]:
			return nil, pgerr.New(pgerr.SyntaxError, "multiple assignments to same column %q", rt.Name)
		case len(rt.Indirection) > 0:
			return nil, unsupported("assignment to subfields or array elements")
		case t.IsKey(c):
			return nil, unsupported("updating primary key column %q in ON CONFLICT DO UPDATE", c.Name)
		}
		seen[rt.Name] = true
		var ambiguous string
		walkColumnRefs(rt.Val, func(parts []string) {
			if len(parts) == 1 && ambiguous == "" {
				ambiguous = parts[0]
			}
		})
		if ambiguous != "" { // it could be the existing row's or EXCLUDED's
			return nil, pgerr.New("42702", "column reference %q is ambiguous", ambiguous)
		}
		delta, isInc, err := p.incrementFrom(t, c, rt.Val, sc, excluded)
		if err != nil {
			return nil, err
		}
		if isInc {
			out.Adds = append(out.Adds, rewrite.Assign{Col: c, Expr: delta})
			continue
		}
		if readsTarget(rt.Val, sc.alias) {
			return nil, unsupported("SET %s = <expression reading the existing row> in ON CONFLICT DO UPDATE: only %s = %s.%s + n (n may read EXCLUDED) reads it", c.Name, c.Name, sc.alias, c.Name)
		}
		e, err := p.assign(t, c, rt.Val, excluded)
		if err != nil {
			return nil, err
		}
		out.Sets = append(out.Sets, rewrite.Assign{Col: c, Expr: e})
	}
	return out, nil
}

// namesPrimaryKey reports whether index elements name exactly t's key columns.
func namesPrimaryKey(t *catalog.Table, elems []*pg_query.Node) bool {
	if len(elems) != len(t.PrimaryKey) {
		return false
	}
	want := map[string]bool{}
	for _, c := range t.KeyColumns() {
		want[c.Name] = true
	}
	for _, n := range elems {
		ie := n.GetIndexElem()
		if ie == nil || ie.Name == "" || !want[ie.Name] {
			return false
		}
		delete(want, ie.Name)
	}
	return len(want) == 0
}

// readsTarget reports whether an expression names a column other than
// through EXCLUDED (unqualified names are the target row's).
func readsTarget(n *pg_query.Node, alias string) bool {
	found := false
	walkColumnRefs(n, func(parts []string) {
		if len(parts) < 2 || parts[len(parts)-2] != "excluded" {
			found = true
		}
	})
	return found
}

// assign plans a value stored into column c: typed by the column, with
// Postgres' assignment conversions and varchar(n) check.
func (p *planCtx) assign(t *catalog.Table, c *catalog.Column, n *pg_query.Node, sc *scope) (rewrite.Expr, error) {
	e, err := p.expr(n, sc, c.Type)
	if err != nil {
		return nil, err
	}
	conv, err := coerce(e, c.Type, true)
	if err != nil {
		if pe := pgerr.As(err); pe != nil && pe.Code == pgerr.DatatypeMismatch {
			return nil, pgerr.New(pgerr.DatatypeMismatch, "column %q is of type %s but expression is of type %s", c.Name, typeName(c.Type), typeName(e.Type())).
				WithHint("You will need to rewrite or cast the expression.")
		}
		return nil, err
	}
	return typmodLimit(conv, c.Type, c.TypMod, false), nil
}

// update plans UPDATE ... SET ... WHERE <key> [RETURNING].
func (p *planCtx) update(us *pg_query.UpdateStmt) (rewrite.Op, []Field, error) {
	if us.WithClause != nil || len(us.FromClause) > 0 {
		return nil, nil, unsupported("UPDATE with WITH or FROM")
	}
	t, err := p.table(us.Relation)
	if err != nil {
		return nil, nil, err
	}
	sc := newScope(t, us.Relation)
	op := &rewrite.Update{Table: t}
	seen := map[string]bool{}
	movesKey := false
	for _, n := range us.TargetList {
		rt := n.GetResTarget()
		c := t.Column(rt.Name)
		switch {
		case c == nil:
			return nil, nil, pgerr.New(pgerr.UndefinedColumn, "column %q of relation %q does not exist", rt.Name, t.Name)
		case seen[rt.Name]:
			return nil, nil, pgerr.New(pgerr.SyntaxError, "multiple assignments to same column %q", rt.Name)
		case len(rt.Indirection) > 0:
			return nil, nil, unsupported("assignment to subfields or array elements")
		case t.IsKey(c):
			movesKey = true
		}
		seen[rt.Name] = true
		delta, isInc, err := p.increment(t, c, rt.Val, sc)
		if err != nil {
			return nil, nil, err
		}
		if isInc {
			op.Adds = append(op.Adds, rewrite.Assign{Col: c, Expr: delta})
			continue
		}
		if readsColumns(rt.Val) {
			return nil, nil, unsupported("SET %s = <expression reading columns>: only %s = %s + n and %s = %s - n read the row", c.Name, c.Name, c.Name, c.Name, c.Name)
		}
		e, err := p.assign(t, c, rt.Val, nil)
		if err != nil {
			return nil, nil, err
		}
		op.Sets = append(op.Sets, rewrite.Assign{Col: c, Expr: e})
	}
	if op.Keys, op.Filter, err = p.dmlWhere(us.WhereClause, sc, "UPDATE", len(op.Adds) > 0); err != nil {
		return nil, nil, err
	}
	op.Scan = op.Keys == nil
	var fields []Field
	if us.ReturningList != nil {
		if op.Returning, fields, err = p.targets(us.ReturningList, sc); err != nil {
			return nil, nil, err
		}
	}
	if movesKey { // a row whose key changes moves (rewrite.UpdateKey)
		return &rewrite.UpdateKey{Update: *op}, fields, nil
	}
	return op, fields, nil
}

// delete plans DELETE FROM ... WHERE <key> [RETURNING].
func (p *planCtx) delete(ds *pg_query.DeleteStmt) (rewrite.Op, []Field, error) {
	if ds.WithClause != nil || len(ds.UsingClause) > 0 {
		return nil, nil, unsupported("DELETE with WITH or USING")
	}
	t, err := p.table(ds.Relation)
	if err != nil {
		return nil, nil, err
	}
	sc := newScope(t, ds.Relation)
	op := &rewrite.Delete{Table: t}
	if op.Keys, op.Filter, err = p.dmlWhere(ds.WhereClause, sc, "DELETE", false); err != nil {
		return nil, nil, err
	}
	op.Scan = op.Keys == nil
	var fields []Field
	if ds.ReturningList != nil {
		if op.Returning, fields, err = p.targets(ds.ReturningList, sc); err != nil {
			return nil, nil, err
		}
	}
	return op, fields, nil
}

// selectStmt plans SELECT <targets> [FROM t WHERE <key> [AND filter]] on
// the keyed fast path, and every other SELECT with the query engine.
func (p *planCtx) selectStmt(ss *pg_query.SelectStmt) (rewrite.Op, []Field, error) {
	if needsEngine(ss) {
		return p.query(ss)
	}
	op, fields, err := p.keyedSelect(ss)
	if err != nil && engineFallback(err) {
		return p.query(ss)
	}
	return op, fields, err
}

// keyedSelect plans SELECT <targets> [FROM t WHERE <key> [AND filter]].
func (p *planCtx) keyedSelect(ss *pg_query.SelectStmt) (rewrite.Op, []Field, error) {
	switch {
	case ss.Op != pg_query.SetOperation_SETOP_NONE:
		return nil, nil, unsupported("UNION, INTERSECT and EXCEPT")
	case ss.ValuesLists != nil:
		return nil, nil, unsupported("VALUES lists as queries")
	case ss.WithClause != nil:
		return nil, nil, unsupported("WITH")
	case ss.IntoClause != nil:
		return nil, nil, unsupported("SELECT INTO")
	case ss.DistinctClause != nil, ss.GroupClause != nil, ss.HavingClause != nil, ss.WindowClause != nil:
		return nil, nil, unsupported("DISTINCT, GROUP BY, HAVING and window functions")
	case (ss.SortClause != nil || ss.LimitCount != nil || ss.LimitOffset != nil) && len(ss.FromClause) == 0:
		return nil, nil, unsupported("ORDER BY, LIMIT and OFFSET without FROM")
	case ss.LimitOption == pg_query.LimitOption_LIMIT_OPTION_WITH_TIES:
		return nil, nil, unsupported("FETCH ... WITH TIES")
	case ss.LockingClause != nil:
		return nil, nil, unsupported("FOR UPDATE/SHARE")
	case len(ss.FromClause) > 1:
		return nil, nil, unsupported("joins")
	}
	if len(ss.TargetList) == 0 {
		return nil, nil, unsupported("SELECT without result columns")
	}
	if len(ss.FromClause) == 0 {
		if ss.WhereClause != nil {
			return nil, nil, unsupported("WHERE without FROM")
		}
		exprs, fields, err := p.targets(ss.TargetList, nil)
		if err != nil {
			return nil, nil, err
		}
		return &rewrite.Values{Targets: exprs}, fields, nil
	}
	rv := ss.FromClause[0].GetRangeVar()
	if rv == nil {
		return nil, nil, unsupported("joins and subqueries in FROM")
	}
	t, err := p.table(rv)
	if err != nil {
		return nil, nil, err
	}
	sc := newScope(t, rv)
	op := &rewrite.Select{Table: t}
	var fields []Field
	if op.Targets, fields, err = p.targets(ss.TargetList, sc); err != nil {
		return nil, nil, err
	}
	if op.Keys, op.Filter, err = p.where(ss.WhereClause, sc, "SELECT"); err != nil {
		return nil, nil, err
	}
	if op.Order, err = p.orderBy(ss, sc, fields); err != nil {
		return nil, nil, err
	}
	if op.Limit, err = p.limit(ss.LimitCount, "LIMIT"); err != nil {
		return nil, nil, err
	}
	if op.Offset, err = p.limit(ss.LimitOffset, "OFFSET"); err != nil {
		return nil, nil, err
	}
	return op, fields, nil
}

// orderBy plans ORDER BY over a keyed read: result columns by position or
// name, or expressions over the row.
func (p *planCtx) orderBy(ss *pg_query.SelectStmt, sc *scope, fields []Field) ([]rewrite.SortKey, error) {
	var out []rewrite.SortKey
	for _, n := range ss.SortClause {
		sb := n.GetSortBy()
		if sb.UseOp != nil {
			return nil, unsupported("ORDER BY ... USING")
		}
		k := rewrite.SortKey{Target: -1, Desc: sb.SortbyDir == pg_query.SortByDir_SORTBY_DESC}
		k.NullsFirst = k.Desc
		switch sb.SortbyNulls {
		case pg_query.SortByNulls_SORTBY_NULLS_FIRST:
			k.NullsFirst = true
		case pg_query.SortByNulls_SORTBY_NULLS_LAST:
			k.NullsFirst = false
		}
		if c := sb.Node.GetAConst(); c != nil && c.GetIval() != nil {
			pos := int(c.GetIval().Ival)
			if pos < 1 || pos > len(fields) {
				return nil, pgerr.New(pgerr.InvalidColumnReference, "ORDER BY position %d is not in select list", pos)
			}
			k.Target = pos - 1
		} else if cr := sb.Node.GetColumnRef(); cr != nil && len(cr.Fields) == 1 && sc.table.Column(nameParts(cr)[0]) == nil {
			name := nameParts(cr)[0]
			for i, f := range fields {
				if f.Name == name {
					k.Target = i
					break
				}
			}
		}
		if k.Target < 0 {
			e, err := p.expr(sb.Node, sc, 0)
			if err != nil {
				return nil, err
			}
			k.Expr = e
		}
		out = append(out, k)
	}
	return out, nil
}

// limit plans a LIMIT or OFFSET count: a bigint, NULL (LIMIT ALL) for none.
func (p *planCtx) limit(n *pg_query.Node, what string) (rewrite.Expr, error) {
	if n == nil {
		return nil, nil
	}
	if c := n.GetAConst(); c != nil && c.Isnull {
		return nil, nil
	}
	if readsColumns(n) {
		return nil, pgerr.New(pgerr.InvalidColumnReference, "argument of %s must not contain variables", what)
	}
	e, err := p.expr(n, nil, sqltypes.Int8)
	if err != nil {
		return nil, err
	}
	return coerce(e, sqltypes.Int8, true)
}

// errIdentityAlways is Postgres' error for a value given to a GENERATED
// ALWAYS identity column without OVERRIDING SYSTEM VALUE.
func errIdentityAlways(c *catalog.Column) error {
	return pgerr.New("428C9", "cannot insert a non-DEFAULT value into column %q", c.Name).
		WithDetail("Column %q is an identity column defined as GENERATED ALWAYS.", c.Name).
		WithHint("Use OVERRIDING SYSTEM VALUE to override.")
}

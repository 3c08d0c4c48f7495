package query

import (
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/tally-db/tally/sqltypes"
)

// joinItems joins the FROM items (a comma list is a chain of inner joins)
// and places each AND-ed condition of WHERE as early as it can run: a
// condition on one item filters that item before any join, one on several
// becomes the ON of the join that brings the last of them in. Catalog
// queries join four or five relations of hundreds to thousands of rows
// (psql's \d, Sequelize's index list); filtering only after the whole
// cross product took tens of seconds. It returns what is left for WHERE.
func (p *planner) joinItems(items []node, where *pg_query.Node, outer *scope) (node, *pg_query.Node, error) {
	if len(items) == 1 || where == nil {
		cur := items[0]
		for _, f := range items[1:] {
			cur = &joinNode{kind: joinInner, left: cur, right: f}
		}
		return cur, where, nil
	}
	conjs := conjuncts(where)
	type placed struct {
		at     int  // the item after which the condition can run
		single bool // it reads that item only
	}
	place := make([]placed, len(conjs))
	for i, c := range conjs {
		place[i] = placed{at: -1}
		if used, ok := itemsUsed(c, items); ok && len(used) > 0 {
			lo, hi := len(items), -1
			for k := range used {
				lo, hi = min(lo, k), max(hi, k)
			}
			place[i] = placed{at: hi, single: lo == hi}
		}
	}
	filter := func(in node, cols []column, at int, single bool) (node, error) {
		var cond []*pg_query.Node
		for i, c := range conjs {
			if place[i].at == at && place[i].single == single {
				cond = append(cond, c)
			}
		}
		if len(cond) == 0 {
			return in, nil
		}
		x, err := p.compile(andNode(cond), &scope{cols: cols, parent: outer}, sqltypes.Bool)
		if err != nil {
			return nil, err
		}
		if j, ok := in.(*joinNode); ok && !single {
			j.on = x
			return j, nil
		}
		return &filterNode{in: in, cond: x}, nil
	}
	var cur node
	for k, it := range items {
		f, err := filter(it, it.columns(), k, true)
		if err != nil {
			return nil, nil, err
		}
		if cur == nil {
			cur = f
			continue
		}
		j := &joinNode{kind: joinInner, left: cur, right: f}
		if cur, err = filter(j, j.columns(), k, false); err != nil {
			return nil, nil, err
		}
	}
	var rest []*pg_query.Node
	for i, c := range conjs {
		if place[i].at < 0 {
			rest = append(rest, c)
		}
	}
	if len(rest) == 0 {
		return cur, nil, nil
	}
	return cur, andNode(rest), nil
}

func andNode(conds []*pg_query.Node) *pg_query.Node {
	if len(conds) == 1 {
		return conds[0]
	}
	return &pg_query.Node{Node: &pg_query.Node_BoolExpr{BoolExpr: &pg_query.BoolExpr{Boolop: pg_query.BoolExprType_AND_EXPR, Args: conds}}}
}

// itemsUsed returns the FROM items whose columns a condition reads. ok is
// false when that can't be known from the names alone (a subquery, a
// `*`, an ambiguous name): such a condition stays in WHERE. Names no item
// has are the enclosing query's, constant here.
func itemsUsed(n *pg_query.Node, items []node) (map[int]bool, bool) {
	used := map[int]bool{}
	ok := true
	walkTree(n, func(m proto.Message) bool {
		if !ok {
			return false
		}
		switch v := m.(type) {
		case *pg_query.SubLink, *pg_query.A_Star:
			ok = false
			return false
		case *pg_query.ColumnRef:
			var parts []string
			for _, f := range v.Fields {
				if f.GetString_() == nil {
					ok = false
					return false
				}
				parts = append(parts, f.GetString_().Sval)
			}
			name, qual := parts[len(parts)-1], ""
			if len(parts) > 1 {
				qual = parts[len(parts)-2]
			}
			found := -1
			for k, it := range items {
				for _, c := range it.columns() {
					if c.name == name && (qual == "" && !c.merged || qual != "" && c.qual == qual) {
						if found >= 0 && found != k {
							ok = false // ambiguous: let WHERE report it
							return false
						}
						found = k
					}
				}
			}
			if found >= 0 {
				used[found] = true
			}
			return false
		}
		return true
	})
	return used, ok
}

// walkTree visits m and, depth first, every message below it; visit
// returns whether to look below the message it was given.
func walkTree(m proto.Message, visit func(proto.Message) bool) {
	if m == nil || !visit(m) {
		return
	}
	m.ProtoReflect().Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList() && fd.Message() != nil:
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				walkTree(l.Get(i).Message().Interface(), visit)
			}
		case fd.Message() != nil && !fd.IsMap():
			walkTree(v.Message().Interface(), visit)
		}
		return true
	})
}

// filterNode keeps the rows of its input that pass cond (a WHERE condition
// pushed down to one FROM item).
type filterNode struct {
	in   node
	cond *expr
}

func (n *filterNode) columns() []column { return n.in.columns() }

func (n *filterNode) run(e *ectx) ([][]any, error) {
	rows, err := n.in.run(e)
	if err != nil {
		return nil, err
	}
	var out [][]any
	for _, r := range rows {
		v, err := n.cond.eval(&ectx{x: e.x, row: r, outer: e})
		if err != nil {
			return nil, err
		}
		if truthy(v) {
			out = append(out, r)
		}
	}
	return out, nil
}

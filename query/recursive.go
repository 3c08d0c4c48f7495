package query

import (
	"google.golang.org/protobuf/proto"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/tally-db/tally/pgerr"
)

// recursiveCTE plans `WITH RECURSIVE name AS (init UNION [ALL] step)`:
// step, which names the CTE, reads the rows the previous round produced,
// until a round produces none (asyncpg's type introspection is one).
func (p *planner) recursiveCTE(sub *pg_query.SelectStmt, cte *pg_query.CommonTableExpr, outer *scope) (node, error) {
	if mentions(sub.Larg, cte.Ctename) {
		return nil, pgerr.Unsupported("tally does not support a recursive reference in the non-recursive term of %q", cte.Ctename)
	}
	init, err := p.planSelect(sub.Larg, outer)
	if err != nil {
		return nil, err
	}
	cols := renamed(init, cte.Ctename, cte.Aliascolnames).columns()
	work := &workNode{cols: cols}
	p.ctes[cte.Ctename] = work
	step, err := p.planSelect(sub.Rarg, outer)
	if err != nil {
		return nil, err
	}
	if len(step.columns()) != len(cols) {
		return nil, pgerr.New(pgerr.SyntaxError, "each UNION query must have the same number of columns")
	}
	return &recursiveNode{init: init, step: step, work: work, all: sub.All, cols: cols}, nil
}

// mentions reports whether a statement names relation name anywhere.
func mentions(ss *pg_query.SelectStmt, name string) bool {
	found := false
	walkTree(ss, func(m proto.Message) bool {
		if rv, ok := m.(*pg_query.RangeVar); ok && rv.Schemaname == "" && rv.Relname == name {
			found = true
		}
		return !found
	})
	return found
}

// workNode is the self-reference of a recursive CTE: the rows of the
// previous round.
type workNode struct {
	cols []column
	rows [][]any
}

func (n *workNode) columns() []column          { return n.cols }
func (n *workNode) run(*ectx) ([][]any, error) { return n.rows, nil }

// maxRecursiveRows bounds what a recursive CTE may produce.
const maxRecursiveRows = 100000

// recursiveNode evaluates WITH RECURSIVE: init, then step over the last
// round's rows until it yields none; UNION (not ALL) drops rows seen
// before, which also ends cycles.
type recursiveNode struct {
	init, step node
	work       *workNode
	all        bool
	cols       []column
}

func (n *recursiveNode) columns() []column { return n.cols }

func (n *recursiveNode) run(e *ectx) ([][]any, error) {
	round, err := n.init.run(e)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	keep := func(rows [][]any) [][]any {
		if n.all {
			return rows
		}
		var out [][]any
		for _, r := range rows {
			if k := rowKey(r); !seen[k] {
				seen[k] = true
				out = append(out, r)
			}
		}
		return out
	}
	round = keep(round)
	out := append([][]any(nil), round...)
	saved := n.work.rows
	defer func() { n.work.rows = saved }()
	for len(round) > 0 {
		n.work.rows = round
		next, err := n.step.run(e)
		if err != nil {
			return nil, err
		}
		round = keep(next)
		out = append(out, round...)
		if len(out) > maxRecursiveRows {
			return nil, pgerr.New(pgerr.ProgramLimitExceeded, "a recursive query may produce at most %d rows in tally", maxRecursiveRows)
		}
	}
	return out, nil
}

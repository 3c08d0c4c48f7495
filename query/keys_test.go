package query

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/tally-db/tally/catalog"
	"github.com/tally-db/tally/rewrite"
	"github.com/tally-db/tally/sqltypes"
)

// tableStore serves one table, posts(post_id bigint key, title text),
// with rows 1 → "one" and 2 → "two", and records the reads.
type tableStore struct {
	emptyStore
	def   string
	mu    sync.Mutex
	reads []string
}

func (s *tableStore) Query(_ context.Context, st rewrite.Stmt) ([][]any, error) {
	s.mu.Lock()
	s.reads = append(s.reads, st.CQL)
	s.mu.Unlock()
	switch {
	case strings.Contains(st.CQL, "system_schema.tables"):
		return [][]any{{"tally_catalog"}}, nil
	case strings.Contains(st.CQL, "tally_catalog"):
		return [][]any{{"posts", s.def, nil}}, nil
	case strings.Contains(st.CQL, "LIMIT"):
		return [][]any{{int64(1), int64(5), nil}, {int64(2), int64(5), nil}}, nil
	case strings.Contains(st.CQL, "WRITETIME"):
		title, ok := map[int64]string{1: "one", 2: "two"}[st.Args[0].(int64)]
		if !ok {
			return nil, nil
		}
		return [][]any{{int64(5), nil, title, int64(6)}}, nil
	}
	return nil, nil
}

func (s *tableStore) scanned() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.reads {
		if strings.Contains(r, "LIMIT") {
			return true
		}
	}
	return false
}

func TestKeyLookupInsteadOfScan(t *testing.T) {
	tbl := &catalog.Table{Name: "posts", ID: "abc", Shards: 1, PrimaryKey: []int{0}, Columns: []*catalog.Column{
		{Name: "post_id", Type: sqltypes.Int8, TypMod: -1, Num: 1}, {Name: "title", Type: sqltypes.Text, TypMod: -1, Num: 2}}}
	def, err := tbl.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		sql    string
		want   string
		params []any
		scan   bool
	}{
		{`SELECT title FROM posts WHERE post_id = 1 ORDER BY post_id LIMIT 1`, "one", nil, false},
		{`SELECT p.title FROM posts p WHERE p.post_id = $1 AND title <> 'x' LIMIT 1`, "two", []any{int64(2)}, false},
		{`SELECT title FROM posts WHERE post_id IN (2, 1, 3) ORDER BY title`, "one\ntwo", nil, false},
		{`SELECT title FROM posts WHERE post_id = ANY($1) ORDER BY title`, "one\ntwo", []any{[]any{int64(1), int64(2), nil}}, false},
		{`SELECT title FROM posts WHERE post_id = ANY('{2}')`, "two", nil, false},
		{`SELECT title FROM posts WHERE post_id = '1'`, "one", nil, false},
		{`SELECT title FROM posts WHERE post_id = 1 OR post_id = 2 ORDER BY title DESC`, "two\none", nil, true},
		{`SELECT count(*) FROM posts`, "2", nil, true},
	} {
		st := &tableStore{def: def}
		env := &rewrite.Env{Store: st, Keyspace: "db", Catalog: rewrite.NewCatalog(time.Minute), Clock: rewrite.NewClock(),
			Info: &rewrite.SessionInfo{Database: "db", User: "tester"}}
		tree, err := pg_query.Parse(c.sql)
		if err != nil {
			t.Fatal(err)
		}
		var params paramList
		op, fields, err := Plan(context.Background(), env, tree.Stmts[0].Stmt.GetSelectStmt(), params.ref)
		if err != nil {
			t.Fatalf("%s: %v", c.sql, err)
		}
		res, err := op.Execute(context.Background(), env, c.params)
		if err != nil {
			t.Fatalf("%s: %v", c.sql, err)
		}
		var lines []string
		for _, r := range res.Rows {
			b, _ := sqltypes.AppendText(nil, fields[0].OID, r[0])
			lines = append(lines, string(b))
		}
		if got := strings.Join(lines, "\n"); got != c.want {
			t.Errorf("%s: got %q, want %q", c.sql, got, c.want)
		}
		if st.scanned() != c.scan {
			t.Errorf("%s: scanned = %v, want %v", c.sql, st.scanned(), c.scan)
		}
	}
}

// paramList types parameters for tests as the planner does.
type paramList []*rewrite.Param

func (l *paramList) ref(n int, want uint32) (*rewrite.Param, error) {
	for len(*l) < n {
		*l = append(*l, &rewrite.Param{Index: len(*l)})
	}
	p := (*l)[n-1]
	if p.Typ == 0 {
		p.Typ = want
	}
	return p, nil
}

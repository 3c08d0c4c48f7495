package planner

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tally-db/tally/pgerr"
)

// FuzzPrepare plans arbitrary SQL against a catalog-only store, then runs
// what planned (catalog queries and the query engine run for real; data
// reads and writes fail with errNoData). Nothing may panic, every error
// must be a *pgerr.Error, and planning must never answer XX000: whatever
// a client sends, Prepare either plans it or says what is wrong.
func FuzzPrepare(f *testing.F) {
	for _, s := range []string{
		"SELECT post_id, likes FROM posts WHERE post_id = $1",
		"UPDATE posts SET likes = likes + 1 WHERE post_id = 1 RETURNING likes",
		"INSERT INTO posts (post_id, title) VALUES (1, 'x') ON CONFLICT (post_id) DO UPDATE SET likes = posts.likes + EXCLUDED.likes",
		"DELETE FROM posts WHERE post_id IN (1, 2, 3)",
		"BEGIN; UPDATE posts SET likes = 0 WHERE post_id = 1; COMMIT",
		"SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r'",
		"SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'posts' ORDER BY ordinal_position",
		"SELECT count(*), sum(x) FROM generate_series(1, 10) AS g(x) WHERE x % 2 = 0",
		"SELECT '{1,2}'::int[] @> ARRAY[1], 'abc' LIKE 'a%', COALESCE(NULL, 1)",
		"CREATE TABLE \"we;ird\" (\"id\" bigint PRIMARY KEY, \"c'\" text)",
		"SET statement_timeout = '5s'; SHOW statement_timeout; RESET ALL",
		"SELECT * FROM posts /*idempotency_key='k'*/",
		"WITH t AS (SELECT 1 AS a) SELECT a FROM t UNION ALL SELECT 2",
	} {
		f.Add(s)
	}
	s := testSession(f)
	f.Fuzz(func(t *testing.T, sql string) {
		if len(sql) > 4096 {
			t.Skip("long queries are the size limits' business")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		stmts, err := s.Prepare(ctx, sql, nil)
		if err != nil {
			pe := pgerr.As(err)
			if pe == nil {
				t.Fatalf("Prepare(%q): %T %v is not a pgerr.Error", sql, err, err)
			}
			if pe.Code == pgerr.InternalError {
				t.Fatalf("Prepare(%q): XX000 %v", sql, err)
			}
		}
		for _, st := range stmts {
			if len(st.ParamOIDs()) > 0 {
				continue
			}
			if strings.Contains(strings.ToLower(sql), "generate_series") {
				continue // a million rows is allowed, and slow
			}
			if _, err := st.Execute(ctx, nil); err != nil && pgerr.As(err) == nil {
				t.Fatalf("Execute(%q): %T %v is not a pgerr.Error", sql, err, err)
			}
		}
		// Leave no transaction open for the next input.
		if s.TxStatus() != TxIdle {
			s.Fail()
			if r, err := s.Prepare(ctx, "ROLLBACK", nil); err == nil {
				_, _ = r[0].Execute(ctx, nil)
			}
		}
	})
}

// FuzzCommentInLiteral: a sqlcommenter comment written inside a string
// literal or a quoted identifier is data, never a tag.
func FuzzCommentInLiteral(f *testing.F) {
	f.Add("k1")
	f.Add("x'*/ /*idempotency_key='y")
	f.Fuzz(func(t *testing.T, v string) {
		body := "/*idempotency_key='" + url.QueryEscape(v) + "'*/"
		lit := "'" + strings.ReplaceAll(body, "'", "''") + "'"
		ident := `"` + strings.ReplaceAll(body, `"`, `""`) + `"`
		for _, sql := range []string{"SELECT " + lit, "SELECT 1 AS " + ident, "SELECT E" + strings.ReplaceAll(lit, `\`, `\\`)} {
			if got := tagFor(comments(sql), 0, -1, idempotencyTag); got != "" {
				t.Fatalf("%s: found tag %q inside a literal", sql, got)
			}
		}
		// And the same comment outside any literal is found.
		if got := tagFor(comments("SELECT 1 "+body), 0, -1, idempotencyTag); got != v {
			t.Fatalf("SELECT 1 %s: tag %q, want %q", body, got, v)
		}
	})
}

package query

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/tally-db/tally/pgerr"
	"github.com/tally-db/tally/rewrite"
	"github.com/tally-db/tally/sqltypes"
)

// emptyStore is a Store with no tables: the engine's own relations only.
type emptyStore struct{}

func (emptyStore) Exec(context.Context, rewrite.Stmt) error             { return nil }
func (emptyStore) Batch(context.Context, []rewrite.Stmt) error          { return nil }
func (emptyStore) Query(context.Context, rewrite.Stmt) ([][]any, error) { return nil, nil }
func (emptyStore) Schema(context.Context, string) error                 { return nil }
func (emptyStore) CAS(context.Context, rewrite.Stmt) (bool, map[string]any, error) {
	return false, nil, nil
}

// The tables the cases read, as CTEs over VALUES.
const fixtures = `WITH t(a, b) AS (VALUES (1, 'x'), (2, 'y'), (3, NULL), (NULL, 'z')),
u(a, c) AS (VALUES (1, 10), (1, 11), (3, 30), (4, 40)) `

// engineCases are query → rows ("|" between columns, NULL as NULL, rows
// one per line). TestEngineCasesPostgres proves them against Postgres.
var engineCases = []struct{ query, want string }{
	// joins
	{fixtures + `SELECT t.a, b, c FROM t JOIN u ON t.a = u.a ORDER BY 1, 3`, "1|x|10\n1|x|11\n3|NULL|30"},
	{fixtures + `SELECT t.a, c FROM t LEFT JOIN u ON t.a = u.a ORDER BY 1, 2`, "1|10\n1|11\n2|NULL\n3|30\nNULL|NULL"},
	{fixtures + `SELECT t.a, u.a, c FROM t RIGHT JOIN u ON t.a = u.a ORDER BY 2, 3`, "1|1|10\n1|1|11\n3|3|30\nNULL|4|40"},
	{fixtures + `SELECT t.a, u.a FROM t FULL JOIN u ON t.a = u.a ORDER BY 1 NULLS FIRST, 2`, "NULL|4\nNULL|NULL\n1|1\n1|1\n2|NULL\n3|3"},
	{fixtures + `SELECT count(*) FROM t, u`, "16"},
	{fixtures + `SELECT a, b, c FROM t JOIN u USING (a) ORDER BY c`, "1|x|10\n1|x|11\n3|NULL|30"},
	{fixtures + `SELECT * FROM t JOIN u USING (a) ORDER BY c`, "1|x|10\n1|x|11\n3|NULL|30"},
	// subqueries
	{fixtures + `SELECT a, (SELECT max(c) FROM u WHERE u.a = t.a) FROM t ORDER BY a`, "1|11\n2|NULL\n3|30\nNULL|NULL"},
	{fixtures + `SELECT a FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.a = t.a) ORDER BY a`, "1\n3"},
	{fixtures + `SELECT a FROM t WHERE a IN (SELECT a FROM u) ORDER BY a`, "1\n3"},
	{fixtures + `SELECT a FROM t WHERE a NOT IN (SELECT a FROM u) ORDER BY a`, "2"},
	{fixtures + `SELECT count(*) FROM u WHERE a NOT IN (SELECT a FROM t)`, "0"},
	{fixtures + `SELECT ARRAY(SELECT c FROM u WHERE u.a = t.a ORDER BY c DESC) FROM t WHERE a = 1`, "{11,10}"},
	{fixtures + `SELECT x.s FROM (SELECT a * 2 AS s FROM t) x WHERE x.s > 2 ORDER BY 1`, "4\n6"},
	// aggregates
	{fixtures + `SELECT count(*), count(a), count(b), sum(a), min(b), max(b) FROM t`, "4|3|3|6|x|z"},
	{fixtures + `SELECT a, count(*), sum(c), array_agg(c ORDER BY c) FROM u GROUP BY a ORDER BY a`, "1|2|21|{10,11}\n3|1|30|{30}\n4|1|40|{40}"},
	{fixtures + `SELECT a FROM u GROUP BY a HAVING count(*) > 1`, "1"},
	{fixtures + `SELECT a % 2 AS parity, count(*) FROM u GROUP BY parity ORDER BY parity`, "0|1\n1|3"},
	{fixtures + `SELECT a % 2, count(*) FROM u GROUP BY 1 ORDER BY 1 DESC`, "1|3\n0|1"},
	{`SELECT count(*), max(g) FROM generate_series(1, 3000000000::bigint, 1000000000) g`, "3|2000000001"},
	{fixtures + `SELECT count(*), sum(a), bool_and(a > 0), string_agg(b, ',') FROM t WHERE a > 10`, "0|NULL|NULL|NULL"},
	{fixtures + `SELECT string_agg(b, '-' ORDER BY b DESC), bool_or(a = 2), bool_and(a > 0) FROM t`, "z-y-x|t|t"},
	{fixtures + `SELECT count(DISTINCT a) FROM u`, "3"},
	// ordering, limits, distinct, set operations
	{fixtures + `SELECT a FROM t ORDER BY a DESC`, "NULL\n3\n2\n1"},
	{fixtures + `SELECT a FROM t ORDER BY a DESC NULLS LAST LIMIT 2 OFFSET 1`, "2\n1"},
	{fixtures + `SELECT b FROM t ORDER BY a + 0 NULLS FIRST`, "z\nx\ny\nNULL"},
	{fixtures + `SELECT DISTINCT a FROM u ORDER BY a`, "1\n3\n4"},
	{fixtures + `SELECT DISTINCT ON (a) a, c FROM u ORDER BY a, c DESC`, "1|11\n3|30\n4|40"},
	{fixtures + `SELECT a FROM t UNION SELECT a FROM u ORDER BY 1`, "1\n2\n3\n4\nNULL"},
	{fixtures + `SELECT a FROM t UNION ALL SELECT a FROM u ORDER BY a LIMIT 3`, "1\n1\n1"},
	{fixtures + `SELECT a FROM t INTERSECT SELECT a FROM u ORDER BY 1`, "1\n3"},
	{fixtures + `SELECT a FROM t EXCEPT SELECT a FROM u ORDER BY 1`, "2\nNULL"},
	// NULL semantics and expressions
	{`SELECT NULL = NULL, NULL IS DISTINCT FROM NULL, 1 IS DISTINCT FROM NULL, NULL::int IS NULL`, "NULL|f|t|t"},
	{`SELECT COALESCE(NULL, 2, 3), NULLIF(1, 1), NULLIF(1, 2), NULL OR true, NULL AND false, NOT NULL::bool`, "2|NULL|1|t|f|NULL"},
	{`SELECT CASE WHEN 1 > 2 THEN 'a' WHEN 2 > 1 THEN 'b' END, CASE 3 WHEN 1 THEN 'one' ELSE 'other' END, CASE WHEN false THEN 1 END`, "b|other|NULL"},
	{`SELECT 'abc' LIKE 'a%', 'abc' ILIKE 'A_C', 'abc' ~ '^a.c$', 'abc' !~ 'b', 'ab' || 'cd', 'a' || NULL`, "t|t|t|f|abcd|NULL"},
	{`SELECT 2 = ANY(ARRAY[1, 2]), 3 = ANY(ARRAY[1, NULL]), 1 IN (1, NULL), 2 NOT IN (1, NULL), 5 BETWEEN 1 AND 5`, "t|NULL|t|NULL|t"},
	{`SELECT array_upper(ARRAY['a', 'b'], 1), array_to_string(ARRAY['a', NULL, 'c'], ','), (ARRAY[10, 20])[2]`, "2|a,c|20"},
	{`SELECT 7 / 2, 7 % 2, -3 + 1, 2 * 3.5`, "3|1|-2|7.0"},
	// functions and casts over the catalog
	{`SELECT 'pg_class'::regclass::oid, 'pg_catalog.pg_type'::regclass, 'pg_namespace'::regclass::text`, "1259|pg_type|pg_namespace"},
	{`SELECT 'integer'::regtype::oid, 'character varying'::regtype, 25::regtype::text, to_regtype('nope')`, "23|character varying|text|NULL"},
	{`SELECT format_type(1043, 24), format_type(1700, 655366), format_type(1007, -1), format_type(16, NULL)`, "character varying(20)|numeric(10,2)|integer[]|boolean"},
	{`SELECT quote_ident('abc'), quote_ident('Abc'), quote_ident('select'), lower('AbC'), upper('aBc')`, `abc|"Abc"|"select"|abc|ABC`},
	{`SELECT current_schemas(true), current_schemas(false), current_schema()`, "{pg_catalog,public}|{public}|public"},
	{`SELECT s, s * 2 FROM generate_series(1, 3) s ORDER BY s DESC`, "3|6\n2|4\n1|2"},
	{`SELECT x FROM unnest(ARRAY['b', 'a']) AS x ORDER BY x`, "a\nb"},
	{`WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 4) SELECT sum(n) FROM t`, "10"},
	{`WITH RECURSIVE t(n) AS (SELECT 1 UNION SELECT (n % 3) + 1 FROM t) SELECT n FROM t ORDER BY n`, "1\n2\n3"},
	{`SELECT * FROM unnest(ARRAY[1, 2], ARRAY['a']) WITH ORDINALITY AS k(n, s, i)`, "1|a|1\n2|NULL|2"},
	{fixtures + `SELECT t.a, g FROM t, generate_series(1, t.a) g WHERE t.a < 3 ORDER BY 1, 2`, "1|1\n2|1\n2|2"},
	{fixtures + `SELECT t.a, m.c FROM t, LATERAL (SELECT max(c) AS c FROM u WHERE u.a = t.a) m ORDER BY 1`, "1|11\n2|NULL\n3|30\nNULL|NULL"},
	{`SELECT 5 & 1, 4 | 1, CASE (6 & 1) WHEN 1 THEN 'DESC' ELSE 'ASC' END`, "1|5|ASC"},
	{`SELECT nspname FROM pg_namespace WHERE nspname OPERATOR(pg_catalog.~) '^pg_c' COLLATE pg_catalog.default`, "pg_catalog"},
	{`SELECT typname, typlen, typcategory, typelem, typarray FROM pg_type WHERE oid IN (19, 1003, 22) ORDER BY oid`, "name|64|S|18|1003\nint2vector|-1|A|21|1006\n_name|-1|A|19|0"},
	{`SELECT count(*) > 0 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'pg_catalog' AND c.relname = 'pg_attribute'`, "t"},
}

// engineErrors are queries the engine refuses, with their SQLSTATE.
var engineErrors = []struct {
	query string
	code  pgerr.Code
}{
	{`SELECT * FROM no_such_table`, pgerr.UndefinedTable},
	{`SELECT * FROM pg_catalog.no_such_table`, pgerr.UndefinedTable},
	{`SELECT nope FROM pg_class`, pgerr.UndefinedColumn},
	{`SELECT c.nope FROM pg_class c`, pgerr.UndefinedColumn},
	{`SELECT x.relname FROM pg_class`, pgerr.UndefinedTable},
	{`SELECT no_such_function(1)`, pgerr.UndefinedFunction},
	{`SELECT oid FROM pg_class, pg_type`, pgerr.AmbiguousColumn},
	{`SELECT (SELECT oid FROM pg_namespace)`, pgerr.CardinalityViolation},
	{`SELECT 'nope'::regclass`, pgerr.UndefinedTable},
	{`SELECT 1 / 0`, pgerr.DivisionByZero},
	{`SELECT oid FROM pg_class WHERE oid = true`, pgerr.UndefinedFunction},
	{`SELECT 'x'::nosuchtype`, pgerr.UndefinedObject},
	{`SELECT 1 ORDER BY 2`, pgerr.InvalidColumnReference},
	{`SELECT 9223372036854775807 + 1`, pgerr.NumericValueOutOfRange},
	{`SELECT 2147483647 + 1`, pgerr.NumericValueOutOfRange},
	{`SELECT (-9223372036854775807 - 1) / -1`, pgerr.NumericValueOutOfRange},
}

func testEnv() *rewrite.Env {
	return &rewrite.Env{Store: emptyStore{}, Keyspace: "db", Catalog: rewrite.NewCatalog(time.Minute),
		Info: &rewrite.SessionInfo{Database: "db", User: "tester", Version: "15.8 (tally)"}}
}

// run plans and executes sql and renders its rows.
func run(t *testing.T, sql string) (string, error) {
	t.Helper()
	tree, err := pg_query.Parse(sql)
	if err != nil {
		t.Fatalf("parse %s: %v", sql, err)
	}
	env := testEnv()
	op, _, err := Plan(context.Background(), env, tree.Stmts[0].Stmt.GetSelectStmt(), nil)
	if err != nil {
		return "", err
	}
	res, err := op.Execute(context.Background(), env, nil)
	if err != nil {
		return "", err
	}
	x := &execCtx{ctx: context.Background(), env: env, cache: map[*Relation][][]any{}}
	cols := op.root.columns()
	var lines []string
	for _, r := range res.Rows {
		parts := make([]string, len(r))
		for i, v := range r {
			switch {
			case v == nil:
				parts[i] = "NULL"
			default:
				s, err := wireText(x, v, cols[i].typ)
				if err != nil {
					t.Fatalf("%s: render: %v", sql, err)
				}
				parts[i] = s
			}
		}
		lines = append(lines, strings.Join(parts, "|"))
	}
	return strings.Join(lines, "\n"), nil
}

func TestEngineCases(t *testing.T) {
	for _, c := range engineCases {
		got, err := run(t, c.query)
		if err != nil {
			t.Errorf("%s: %v", c.query, err)
			continue
		}
		if got != c.want {
			t.Errorf("%s:\ngot:\n%s\nwant:\n%s", c.query, got, c.want)
		}
	}
}

func TestEngineErrors(t *testing.T) {
	for _, c := range engineErrors {
		_, err := run(t, c.query)
		if pgerr.CodeOf(err) != c.code {
			t.Errorf("%s: error %v (%s), want %s", c.query, err, pgerr.CodeOf(err), c.code)
		}
	}
}

// TestEngineCasesPostgres runs the cases on a real Postgres 15
// (TALLY_PG_COMPARE_DSN) to prove the expectations themselves.
func TestEngineCasesPostgres(t *testing.T) {
	dsn := os.Getenv("TALLY_PG_COMPARE_DSN")
	if dsn == "" {
		t.Skip("TALLY_PG_COMPARE_DSN not set")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, c := range engineCases {
		rows, err := conn.Query(ctx, c.query, pgx.QueryExecModeSimpleProtocol)
		if err != nil {
			t.Errorf("%s: %v", c.query, err)
			continue
		}
		var lines []string
		for rows.Next() {
			var parts []string
			for _, raw := range rows.RawValues() {
				if raw == nil {
					parts = append(parts, "NULL")
				} else {
					parts = append(parts, string(raw))
				}
			}
			lines = append(lines, strings.Join(parts, "|"))
		}
		if err := rows.Err(); err != nil {
			t.Errorf("%s: %v", c.query, err)
			continue
		}
		if got := strings.Join(lines, "\n"); got != c.want {
			t.Errorf("postgres %s:\ngot:\n%s\nwant:\n%s", c.query, got, c.want)
		}
	}
	for _, c := range engineErrors {
		_, err := conn.Exec(ctx, c.query, pgx.QueryExecModeSimpleProtocol)
		if got := pgerr.Code(pgCode(err)); got != c.code {
			t.Errorf("postgres %s: %v, want %s", c.query, err, c.code)
		}
	}
}

// wireText is the text a client receives for v of type typ.
func wireText(x *execCtx, v any, typ uint32) (string, error) {
	b, err := sqltypes.AppendText(nil, typ, v)
	return string(b), err
}

func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// TestEngineOddInputs: odd queries get an error with a SQLSTATE a client
// can act on, or rows; never an internal error (a contained panic).
func TestEngineOddInputs(t *testing.T) {
	for _, q := range []string{
		`SELECT (SELECT 1, 2)`, `SELECT 1 = ANY(SELECT 1, 2)`, `SELECT 1 IN (SELECT 1, 2)`,
		`SELECT * FROM generate_series(1)`, `SELECT * FROM generate_series('a', 'b')`, `SELECT * FROM unnest(1)`,
		`SELECT (NULL::int[])[1]`, `SELECT ('{1,2}'::int[])[5]`, `SELECT '{1,"a b",NULL}'::text[]`, `SELECT '{1,'::int[]`,
		`SELECT 'x' ~ '('`, `SELECT 1 LIMIT -1`, `SELECT 1 OFFSET 'a'`, `SELECT sum('a')`, `SELECT max(ARRAY[1])`,
		`SELECT count(*) FROM pg_class GROUP BY 1`, `SELECT 1 & 'x'`, `SELECT 'a' & 1`, `SELECT now() & 1`,
		`SELECT CASE WHEN 1 THEN 2 END`, `SELECT NULL || NULL`, `SELECT ARRAY[]::int[]`, `SELECT ARRAY[NULL]`,
		`SELECT * FROM (VALUES (1), (2, 3)) v`, `SELECT 1 UNION SELECT 1, 2`, `SELECT 1 ORDER BY foo`,
		`SELECT relname FROM pg_class ORDER BY relname COLLATE "C" LIMIT 1`, `SELECT format_type(NULL, NULL)`,
		`SELECT 'abc'::regclass`, `SELECT 'a.b.c'::regclass`, `SELECT '"'::regclass`, `SELECT 99999999::regclass::text`,
		`SELECT pg_get_expr(NULL, 0)`, `SELECT to_regclass('')`, `SELECT quote_ident('')`, `SELECT array_to_string(NULL, ',')`,
		`SELECT 9223372036854775807 + 1`, `SELECT -9223372036854775808 / -1`, `SELECT 1.5 % 0`, `SELECT 2 ^ 3`,
		`SELECT x FROM (SELECT 1 AS x, 2 AS x) s`, `WITH w AS (SELECT 1) SELECT * FROM w, w`, `SELECT t.* FROM pg_am`,
		`SELECT string_agg(1, 2)`, `SELECT array_agg(DISTINCT amname ORDER BY amname) FROM pg_am`,
		`SELECT count(*) FILTER (WHERE amtype = 'i') FROM pg_am`, `SELECT DISTINCT ON (1) amname FROM pg_am`,
		`SELECT EXISTS (SELECT)`, `SELECT current_setting('nope')`, `SELECT current_setting('nope', true)`,
	} {
		_, err := run(t, q)
		if err != nil && pgerr.CodeOf(err) == pgerr.InternalError {
			t.Errorf("%s: %v", q, err)
		}
	}
}

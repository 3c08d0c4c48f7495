package e2e

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/tally-db/tally/tests/harness"
)

// The introspection queries below are copied from the ORMs' and drivers'
// sources (placeholders turned into $n); they are test inputs only.

// SQLAlchemy 2.0 PGDialect.has_table, as compiled for PostgreSQL 15.
const sqlalchemyHasTable = `SELECT pg_catalog.pg_class.relname 
FROM pg_catalog.pg_class JOIN pg_catalog.pg_namespace ON pg_catalog.pg_namespace.oid = pg_catalog.pg_class.relnamespace 
WHERE pg_catalog.pg_class.relname = $1 AND pg_catalog.pg_class.relkind = ANY (ARRAY[$2, $3, $4, $5, $6]) AND pg_catalog.pg_table_is_visible(pg_catalog.pg_class.oid) AND pg_catalog.pg_namespace.nspname != $7`

// SQLAlchemy 2.0 PGDialect.get_multi_columns (behind get_columns), as
// compiled for PostgreSQL 15.
const sqlalchemyGetColumns = `SELECT pg_catalog.pg_attribute.attname AS name, pg_catalog.format_type(pg_catalog.pg_attribute.atttypid, pg_catalog.pg_attribute.atttypmod) AS format_type, (SELECT pg_catalog.pg_get_expr(pg_catalog.pg_attrdef.adbin, pg_catalog.pg_attrdef.adrelid) AS pg_get_expr_1 
FROM pg_catalog.pg_attrdef 
WHERE pg_catalog.pg_attrdef.adrelid = pg_catalog.pg_attribute.attrelid AND pg_catalog.pg_attrdef.adnum = pg_catalog.pg_attribute.attnum AND pg_catalog.pg_attribute.atthasdef) AS "default", pg_catalog.pg_attribute.attnotnull AS not_null, pg_catalog.pg_class.relname AS table_name, pg_catalog.pg_description.description AS comment, pg_catalog.pg_attribute.attgenerated AS generated, (SELECT json_build_object($1::VARCHAR, pg_catalog.pg_attribute.attidentity = $2, $3::VARCHAR, pg_catalog.pg_sequence.seqstart, $4::VARCHAR, pg_catalog.pg_sequence.seqincrement, $5::VARCHAR, pg_catalog.pg_sequence.seqmin, $6::VARCHAR, pg_catalog.pg_sequence.seqmax, $7::VARCHAR, pg_catalog.pg_sequence.seqcache, $8::VARCHAR, pg_catalog.pg_sequence.seqcycle) AS json_build_object_1 
FROM pg_catalog.pg_sequence 
WHERE pg_catalog.pg_attribute.attidentity != $9 AND pg_catalog.pg_sequence.seqrelid = CAST(CAST(pg_catalog.pg_get_serial_sequence(CAST(CAST(pg_catalog.pg_attribute.attrelid AS REGCLASS) AS TEXT), pg_catalog.pg_attribute.attname) AS REGCLASS) AS OID)) AS identity_options 
FROM pg_catalog.pg_class LEFT OUTER JOIN pg_catalog.pg_attribute ON pg_catalog.pg_class.oid = pg_catalog.pg_attribute.attrelid AND pg_catalog.pg_attribute.attnum > $10 AND NOT pg_catalog.pg_attribute.attisdropped LEFT OUTER JOIN pg_catalog.pg_description ON pg_catalog.pg_description.objoid = pg_catalog.pg_attribute.attrelid AND pg_catalog.pg_description.objsubid = pg_catalog.pg_attribute.attnum JOIN pg_catalog.pg_namespace ON pg_catalog.pg_namespace.oid = pg_catalog.pg_class.relnamespace 
WHERE pg_catalog.pg_class.relkind = ANY (ARRAY[$11, $12, $13, $14, $15]) AND pg_catalog.pg_table_is_visible(pg_catalog.pg_class.oid) AND pg_catalog.pg_namespace.nspname != $16 AND pg_catalog.pg_class.relname IN ($17) ORDER BY pg_catalog.pg_class.relname, pg_catalog.pg_attribute.attnum`

// GORM postgres Migrator.HasTable, HasColumn and ColumnTypes
// (CURRENT_SCHEMA() is what GORM writes for an unqualified table).
const (
	gormHasTable    = `SELECT count(*) FROM information_schema.tables WHERE table_schema = CURRENT_SCHEMA() AND table_name = $1 AND table_type = $2`
	gormHasColumn   = `SELECT count(*) FROM INFORMATION_SCHEMA.columns WHERE table_schema = CURRENT_SCHEMA() AND table_name = $1 AND column_name = $2`
	gormColumnTypes = `SELECT column_name, is_nullable, udt_name, character_maximum_length, numeric_precision, numeric_precision_radix, numeric_scale, datetime_precision, 8 * typlen FROM information_schema.columns AS cols JOIN pg_type AS pgt ON cols.udt_name = pgt.typname WHERE table_catalog = $1 AND table_schema = CURRENT_SCHEMA() AND table_name = $2`
)

// Django 5 DatabaseIntrospection.get_table_list and get_table_description.
const (
	djangoTableList = `
            SELECT
                c.relname,
                CASE
                    WHEN c.relispartition THEN 'p'
                    WHEN c.relkind IN ('m', 'v') THEN 'v'
                    ELSE 't'
                END
            FROM pg_catalog.pg_class c
            LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('f', 'm', 'p', 'r', 'v')
                AND n.nspname NOT IN ('pg_catalog', 'pg_toast')
                AND pg_catalog.pg_table_is_visible(c.oid)
        `
	djangoTableDescription = `
            SELECT
                a.attname AS column_name,
                NOT (a.attnotnull OR (t.typtype = 'd' AND t.typnotnull)) AS is_nullable,
                pg_get_expr(ad.adbin, ad.adrelid) AS column_default,
                CASE WHEN collname = 'default' THEN NULL ELSE collname END AS collation,
                a.attidentity != '' AS is_autofield
            FROM pg_attribute a
            LEFT JOIN pg_attrdef ad ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum
            LEFT JOIN pg_collation co ON a.attcollation = co.oid
            JOIN pg_type t ON a.atttypid = t.oid
            JOIN pg_class c ON a.attrelid = c.oid
            JOIN pg_namespace n ON c.relnamespace = n.oid
            WHERE c.relkind IN ('f', 'm', 'p', 'r', 'v')
                AND c.relname = $1
                AND n.nspname NOT IN ('pg_catalog', 'pg_toast')
                AND pg_catalog.pg_table_is_visible(c.oid)
        `
)

// Django 5 DatabaseIntrospection.get_constraints: constraints, then indexes.
const (
	djangoConstraints = `
            SELECT
                c.conname,
                array(
                    SELECT attname
                    FROM unnest(c.conkey) WITH ORDINALITY cols(colid, arridx)
                    JOIN pg_attribute AS ca ON cols.colid = ca.attnum
                    WHERE ca.attrelid = c.conrelid
                    ORDER BY cols.arridx
                ),
                c.contype,
                (SELECT fkc.relname || '.' || fka.attname
                FROM pg_attribute AS fka
                JOIN pg_class AS fkc ON fka.attrelid = fkc.oid
                WHERE fka.attrelid = c.confrelid AND fka.attnum = c.confkey[1]),
                cl.reloptions
            FROM pg_constraint AS c
            JOIN pg_class AS cl ON c.conrelid = cl.oid
            WHERE cl.relname = $1 AND pg_catalog.pg_table_is_visible(cl.oid)
        `
	djangoIndexes = `
            SELECT
                indexname,
                array_agg(attname ORDER BY arridx),
                indisunique,
                indisprimary,
                array_agg(ordering ORDER BY arridx),
                amname,
                exprdef,
                s2.attoptions
            FROM (
                SELECT
                    c2.relname as indexname, idx.*, attr.attname, am.amname,
                    CASE
                        WHEN idx.indexprs IS NOT NULL THEN
                            pg_get_indexdef(idx.indexrelid)
                    END AS exprdef,
                    CASE am.amname
                        WHEN $1 THEN
                            CASE (option & 1)
                                WHEN 1 THEN 'DESC' ELSE 'ASC'
                            END
                    END as ordering,
                    c2.reloptions as attoptions
                FROM (
                    SELECT *
                    FROM
                        pg_index i,
                        unnest(i.indkey, i.indoption)
                            WITH ORDINALITY koi(key, option, arridx)
                ) idx
                LEFT JOIN pg_class c ON idx.indrelid = c.oid
                LEFT JOIN pg_class c2 ON idx.indexrelid = c2.oid
                LEFT JOIN pg_am am ON c2.relam = am.oid
                LEFT JOIN
                    pg_attribute attr ON attr.attrelid = c.oid AND attr.attnum = idx.key
                WHERE c.relname = $2 AND pg_catalog.pg_table_is_visible(c.oid)
            ) s2
            GROUP BY indexname, indisunique, indisprimary, amname, exprdef, attoptions;
        `
)

// Sequelize 6 PostgresQueryGenerator.describeTableQuery (table and schema
// inlined as Sequelize does).
const sequelizeDescribe = `SELECT pk.constraint_type as "Constraint",c.column_name as "Field", c.column_default as "Default",c.is_nullable as "Null", (CASE WHEN c.udt_name = 'hstore' THEN c.udt_name ELSE c.data_type END) || (CASE WHEN c.character_maximum_length IS NOT NULL THEN '(' || c.character_maximum_length || ')' ELSE '' END) as "Type", (SELECT array_agg(e.enumlabel) FROM pg_catalog.pg_type t JOIN pg_catalog.pg_enum e ON t.oid=e.enumtypid WHERE t.typname=c.udt_name) AS "special", (SELECT pgd.description FROM pg_catalog.pg_statio_all_tables AS st INNER JOIN pg_catalog.pg_description pgd on (pgd.objoid=st.relid) WHERE c.ordinal_position=pgd.objsubid AND c.table_name=st.relname) AS "Comment" FROM information_schema.columns c LEFT JOIN (SELECT tc.table_schema, tc.table_name, cu.column_name, tc.constraint_type FROM information_schema.TABLE_CONSTRAINTS tc JOIN information_schema.KEY_COLUMN_USAGE  cu ON tc.table_schema=cu.table_schema and tc.table_name=cu.table_name and tc.constraint_name=cu.constraint_name and tc.constraint_type='PRIMARY KEY') pk ON pk.table_schema=c.table_schema AND pk.table_name=c.table_name AND pk.column_name=c.column_name WHERE c.table_name = 'posts' AND c.table_schema = 'public'`

// psycopg 3 TypeInfo.fetch.
const psycopgTypeInfo = `SELECT
    typname AS name, oid, typarray AS array_oid,
    oid::regtype::text AS regtype, typdelim AS delimiter
FROM pg_type t
WHERE t.oid = to_regtype($1)
ORDER BY t.oid`

// Knex SchemaCompiler_PG.hasTable.
const knexHasTable = `select * from information_schema.tables where table_name = $1 and table_schema = current_schema()`

// pgjdbc TypeInfoCache: the OID of a type by name, and whether it is an array.
const (
	pgjdbcTypeOID  = `SELECT pg_type.oid, typname   FROM pg_catalog.pg_type   LEFT   JOIN (select ns.oid as nspoid, ns.nspname, r.r           from pg_namespace as ns           join ( select s.r, (current_schemas(false))[s.r] as nspname                    from generate_series(1, array_upper(current_schemas(false), 1)) as s(r) ) as r          using ( nspname )        ) as sp     ON sp.nspoid = typnamespace  WHERE typname = $1  ORDER BY sp.r, pg_type.oid DESC LIMIT 1`
	pgjdbcTypeInfo = `SELECT typinput='array_in'::regproc as is_array, typtype, typname   FROM pg_catalog.pg_type   LEFT JOIN (select ns.oid as nspoid, ns.nspname, r.r           from pg_namespace as ns           join ( select s.r, (current_schemas(false))[s.r] as nspname                    from generate_series(1, array_upper(current_schemas(false), 1)) as s(r) ) as r          using ( nspname )        ) as sp     ON sp.nspoid = typnamespace  WHERE typname = $1  ORDER BY sp.r, pg_type.oid DESC`
)

// table renders every row of a query as "a|b|c" lines, NULL as "<nil>".
func table(t *testing.T, c *pgx.Conn, sql string, args ...any) string {
	t.Helper()
	rows, err := c.Query(context.Background(), sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", firstLine(sql), err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatalf("%s: %v", firstLine(sql), err)
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			parts[i] = fmt.Sprint(v)
		}
		lines = append(lines, strings.Join(parts, "|"))
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", firstLine(sql), err)
	}
	return strings.Join(lines, "\n")
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i > 0 {
		return s[:i]
	}
	return s
}

func expectTable(t *testing.T, c *pgx.Conn, want, sql string, args ...any) {
	t.Helper()
	if got := table(t, c, sql, args...); got != want {
		t.Fatalf("%s:\ngot:\n%s\nwant:\n%s", firstLine(sql), got, want)
	}
}

func TestORMIntrospection(t *testing.T) {
	tl := harness.Start(t)
	c := tl.Connect(t)
	mustExec(t, c, catalogPostsDDL)
	ormIntrospection(t, c, tl.Database)
}

// TestORMIntrospectionPostgres proves the expectations above against a
// real Postgres 15 (TALLY_PG_COMPARE_DSN, e.g. postgres://postgres@127.0.0.1:5432/postgres).
func TestORMIntrospectionPostgres(t *testing.T) {
	dsn := os.Getenv("TALLY_PG_COMPARE_DSN")
	if dsn == "" {
		t.Skip("TALLY_PG_COMPARE_DSN not set")
	}
	c, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	mustExec(t, c, `DROP TABLE IF EXISTS posts`)
	mustExec(t, c, catalogPostsDDL)
	ormIntrospection(t, c, c.Config().Database)
}

func ormIntrospection(t *testing.T, c *pgx.Conn, database string) {

	// SQLAlchemy
	expectTable(t, c, "posts", sqlalchemyHasTable, "posts", "r", "p", "f", "v", "m", "pg_catalog")
	expectTable(t, c, "", sqlalchemyHasTable, "nope", "r", "p", "f", "v", "m", "pg_catalog")
	expectTable(t, c, strings.Join([]string{
		"post_id|bigint|<nil>|true|posts|<nil>|0|<nil>",
		"title|text|<nil>|true|posts|<nil>|0|<nil>",
		"published|boolean|false|false|posts|<nil>|0|<nil>",
		"created_at|timestamp with time zone|now()|false|posts|<nil>|0|<nil>",
		"price|numeric(10,2)|<nil>|false|posts|<nil>|0|<nil>",
		"slug|character varying(20)|<nil>|false|posts|<nil>|0|<nil>",
		"likes|bigint|0|false|posts|<nil>|0|<nil>",
	}, "\n"), sqlalchemyGetColumns, "always", "a", "start", "increment", "minvalue", "maxvalue", "cache", "cycle", "",
		0, "r", "p", "f", "v", "m", "pg_catalog", "posts")

	// GORM
	expectTable(t, c, "1", gormHasTable, "posts", "BASE TABLE")
	expectTable(t, c, "0", gormHasTable, "nope", "BASE TABLE")
	expectTable(t, c, "1", gormHasColumn, "posts", "likes")
	expectTable(t, c, "0", gormHasColumn, "posts", "dislikes")
	expectTable(t, c, strings.Join([]string{
		"post_id|NO|int8|<nil>|64|2|0|<nil>|64",
		"title|NO|text|<nil>|<nil>|<nil>|<nil>|<nil>|-8",
		"published|YES|bool|<nil>|<nil>|<nil>|<nil>|<nil>|8",
		"created_at|YES|timestamptz|<nil>|<nil>|<nil>|<nil>|6|64",
		"price|YES|numeric|<nil>|10|10|2|<nil>|-8",
		"slug|YES|varchar|20|<nil>|<nil>|<nil>|<nil>|-8",
		"likes|YES|int8|<nil>|64|2|0|<nil>|64",
	}, "\n"), gormColumnTypes+" ORDER BY ordinal_position", database, "posts")

	// Django
	expectTable(t, c, "posts|t", djangoTableList)
	// Django reads these rows into a dict: compare them in name order.
	got := strings.Split(table(t, c, djangoTableDescription, "posts"), "\n")
	sort.Strings(got)
	want := []string{
		"cmax|false|<nil>|<nil>|false",
		"cmin|false|<nil>|<nil>|false",
		"created_at|true|now()|<nil>|false",
		"ctid|false|<nil>|<nil>|false",
		"likes|true|0|<nil>|false",
		"post_id|false|<nil>|<nil>|false",
		"price|true|<nil>|<nil>|false",
		"published|true|false|<nil>|false",
		"slug|true|<nil>|<nil>|false",
		"tableoid|false|<nil>|<nil>|false",
		"title|false|<nil>|<nil>|false",
		"xmax|false|<nil>|<nil>|false",
		"xmin|false|<nil>|<nil>|false",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("django get_table_description:\n%s", strings.Join(got, "\n"))
	}
	expectRows(t, c, 0, `SELECT * FROM "posts" LIMIT 1`)
	expectTable(t, c, "posts_pkey|[post_id]|112|<nil>|<nil>", djangoConstraints, "posts")
	expectTable(t, c, "posts_pkey|[post_id]|true|true|[ASC]|btree|<nil>|<nil>", djangoIndexes, "btree", "posts")

	// Sequelize (rows in column order: the query has no ORDER BY and
	// information_schema.columns lists a table's columns in order)
	expectTable(t, c, strings.Join([]string{
		"PRIMARY KEY|post_id|<nil>|NO|bigint|<nil>|<nil>",
		"<nil>|title|<nil>|NO|text|<nil>|<nil>",
		"<nil>|published|false|YES|boolean|<nil>|<nil>",
		"<nil>|created_at|now()|YES|timestamp with time zone|<nil>|<nil>",
		"<nil>|price|<nil>|YES|numeric|<nil>|<nil>",
		"<nil>|slug|<nil>|YES|character varying(20)|<nil>|<nil>",
		"<nil>|likes|0|YES|bigint|<nil>|<nil>",
	}, "\n"), sequelizeDescribe)

	// psycopg 3
	expectTable(t, c, "int4|23|1007|integer|44", psycopgTypeInfo, "int4")
	expectTable(t, c, "varchar|1043|1015|character varying|44", psycopgTypeInfo, "character varying")
	expectTable(t, c, "", psycopgTypeInfo, "hstore")

	// Knex
	expectRows(t, c, 1, knexHasTable, "posts")
	expectRows(t, c, 0, knexHasTable, "nope")

	// asyncpg: the WITH RECURSIVE type introspection it runs for an int8[]
	// parameter (asyncpg 0.32.0, introspection.INTRO_LOOKUP_TYPES).
	intro, err := os.ReadFile("testdata/asyncpg_introspect.sql")
	if err != nil {
		t.Fatal(err)
	}
	expectTable(t, c, strings.Join([]string{
		"20|pg_catalog|int8|98|<nil>|0|<nil>|<nil>|<nil>|<nil>|1|<nil>|-|<nil>", // 98: "char" 'b'
		"1016|pg_catalog|_int8|98|<nil>|20|44|<nil>|<nil>|<nil>|0|<nil>|bigint|<nil>",
	}, "\n"), string(intro), []uint32{1016})

	// pgjdbc
	expectTable(t, c, "1043|varchar", pgjdbcTypeOID, "varchar")
	expectTable(t, c, "1003|_name", pgjdbcTypeOID, "_name")
	expectTable(t, c, "true|98|_int4", pgjdbcTypeInfo, "_int4")
	expectTable(t, c, "false|98|int4", pgjdbcTypeInfo, "int4")
}

// TestCatalogDescribe checks that a catalog query reports its parameter
// and column types at Describe, before Bind, and that the catalog types
// travel in binary (pgx asks for binary when it knows a type).
func TestCatalogDescribe(t *testing.T) {
	tl := harness.Start(t)
	c := tl.Connect(t)
	ctx := context.Background()
	mustExec(t, c, catalogPostsDDL)
	sd, err := c.Prepare(ctx, "cat", `SELECT c.oid, c.relname, c.relkind, c.oid::regclass, n.nspname, i.indkey, c.relnatts
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_index i ON i.indrelid = c.oid WHERE c.relname = $1`)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(sd.ParamOIDs) != "[19]" {
		t.Fatalf("param OIDs %v, want [19] (name)", sd.ParamOIDs)
	}
	var oids []uint32
	for _, f := range sd.Fields {
		oids = append(oids, f.DataTypeOID)
	}
	if fmt.Sprint(oids) != "[26 19 18 2205 19 22 21]" {
		t.Fatalf("column OIDs %v", oids)
	}
	var (
		oid     uint32
		relname string
		relkind rune
		nsp     string
		natts   int16
	)
	if err := c.QueryRow(ctx, "cat", "posts").Scan(&oid, &relname, &relkind, nil, &nsp, nil, &natts); err != nil {
		t.Fatal(err)
	}
	if oid < 16384 || relname != "posts" || relkind != 'r' || nsp != "public" || natts != 7 {
		t.Fatalf("got %d %q %q %q %d", oid, relname, relkind, nsp, natts)
	}
	var text string
	if err := c.QueryRow(ctx, `SELECT c.oid::regclass::text FROM pg_class c WHERE c.oid = $1`, oid).Scan(&text); err != nil || text != "posts" {
		t.Fatalf("regclass text = %q, %v", text, err)
	}
	var schemas []string
	if err := c.QueryRow(ctx, `SELECT current_schemas(true)`).Scan(&schemas); err != nil || fmt.Sprint(schemas) != "[pg_catalog public]" {
		t.Fatalf("current_schemas = %v, %v", schemas, err)
	}
	var keys []int16
	if err := c.QueryRow(ctx, `SELECT conkey FROM pg_constraint WHERE conrelid = $1 AND contype = 'p'`, oid).Scan(&keys); err != nil || fmt.Sprint(keys) != "[1]" {
		t.Fatalf("conkey = %v, %v", keys, err)
	}
	var names []string
	rows, err := c.Query(ctx, `SELECT relname FROM pg_class WHERE relname = ANY($1) ORDER BY 1`, []string{"posts", "pg_type", "nope"})
	if err == nil {
		names, err = pgx.CollectRows(rows, pgx.RowTo[string])
	}
	if err != nil || fmt.Sprint(names) != "[pg_type posts]" {
		t.Fatalf("relname = ANY($1) = %v, %v", names, err)
	}
	// Unknown names get Postgres' errors.
	expectCode(t, c, "42P01", `SELECT * FROM pg_catalog.pg_nothing`)
	expectCode(t, c, "42703", `SELECT relnope FROM pg_class`)
	expectCode(t, c, "42883", `SELECT pg_nothing(1)`)
	expectCode(t, c, "42P01", `SELECT * FROM missing ORDER BY 1`)
}

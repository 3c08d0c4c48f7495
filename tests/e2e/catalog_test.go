package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/tally-db/tally/tests/harness"
)

const catalogPostsDDL = `CREATE TABLE posts (post_id bigint PRIMARY KEY, title text NOT NULL, published boolean DEFAULT false,
	created_at timestamptz DEFAULT now(), price numeric(10,2), slug varchar(20), likes bigint DEFAULT 0)`

// psql runs the psql 15 client against tally and returns its output.
func psql(t *testing.T, tl *harness.Tally, args ...string) string {
	t.Helper()
	if _, err := os.Stat("/usr/bin/psql"); err != nil {
		t.Skip("no psql client at /usr/bin/psql (apt-get install postgresql-client-15)")
	}
	host, port, _ := strings.Cut(tl.Addr, ":")
	cmd := exec.Command("/usr/bin/psql", append([]string{"-X", "-h", host, "-p", port, "-U", "tally", "-d", tl.Database}, args...)...)
	cmd.Env = append(cmd.Environ(), "PGSSLMODE=disable", "PGCONNECT_TIMEOUT=10", "PAGER=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("psql %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func TestPsqlDescribe(t *testing.T) {
	tl := harness.Start(t)
	c := tl.Connect(t)
	mustExec(t, c, catalogPostsDDL)
	got := psql(t, tl, "-c", `\d posts`)
	want := `                          Table "public.posts"
   Column   |           Type           | Collation | Nullable | Default 
------------+--------------------------+-----------+----------+---------
 post_id    | bigint                   |           | not null | 
 title      | text                     |           | not null | 
 published  | boolean                  |           |          | false
 created_at | timestamp with time zone |           |          | now()
 price      | numeric(10,2)            |           |          | 
 slug       | character varying(20)    |           |          | 
 likes      | bigint                   |           |          | 0
Indexes:
    "posts_pkey" PRIMARY KEY, btree (post_id)

`
	if got != want {
		t.Fatalf("\\d posts:\n%s\nwant:\n%s", got, want)
	}
	got = psql(t, tl, "-c", `\dt`)
	if !strings.Contains(got, " public | posts | table | ") || !strings.Contains(got, "(1 row)") {
		t.Fatalf("\\dt:\n%s", got)
	}
	for _, cmd := range []string{`\d`, `\dt+`} {
		if got := psql(t, tl, "-c", cmd); !strings.Contains(got, " posts ") {
			t.Fatalf("%s:\n%s", cmd, got)
		}
	}
}

func TestScans(t *testing.T) {
	tl := harness.Start(t)
	c := tl.Connect(t)
	ctx := context.Background()
	mustExec(t, c, catalogPostsDDL)
	for i := 1; i <= 5; i++ {
		mustExec(t, c, `INSERT INTO posts (post_id, title, likes) VALUES ($1, $2, 10)`, int64(i), "post "+string(rune('a'+i-1)))
	}
	mustExec(t, c, `UPDATE posts SET likes = likes + 5 WHERE post_id = 2`)
	mustExec(t, c, `UPDATE posts SET likes = likes + 1 WHERE post_id = 2`)
	mustExec(t, c, `DELETE FROM posts WHERE post_id = 3`)

	rows, err := c.Query(ctx, `SELECT post_id, likes FROM posts ORDER BY post_id LIMIT 2`)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([2]int64, error) {
		var a [2]int64
		err := r.Scan(&a[0], &a[1])
		return a, err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != [2]int64{1, 10} || got[1] != [2]int64{2, 16} {
		t.Fatalf("ORDER BY post_id LIMIT 2 = %v", got)
	}
	var n int64
	if err := c.QueryRow(ctx, `SELECT count(*) FROM posts`).Scan(&n); err != nil || n != 4 {
		t.Fatalf("count(*) = %d, %v; want 4", n, err)
	}
	var sum int64
	if err := c.QueryRow(ctx, `SELECT sum(likes) FROM posts WHERE post_id <> 1`).Scan(&sum); err != nil || sum != 36 {
		t.Fatalf("sum(likes) = %d, %v; want 36", sum, err)
	}
	rows, err = c.Query(ctx, `SELECT * FROM posts ORDER BY post_id DESC LIMIT 1`)
	if err != nil {
		t.Fatal(err)
	}
	maps, err := pgx.CollectRows(rows, pgx.RowToMap)
	if err != nil {
		t.Fatal(err)
	}
	if len(maps) != 1 || maps[0]["post_id"] != int64(5) || maps[0]["title"] != "post e" || maps[0]["likes"] != int64(10) {
		t.Fatalf("SELECT * ... DESC LIMIT 1 = %v", maps)
	}

	rows, err = c.Query(ctx, `SELECT post_id FROM posts WHERE likes >= $1 ORDER BY post_id LIMIT $2 OFFSET $3`, 10, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil || fmt.Sprint(ids) != "[2 4]" {
		t.Fatalf("LIMIT $2 OFFSET $3 = %v, %v; want [2 4]", ids, err)
	}
	// GORM's First: a key lookup with ORDER BY and LIMIT.
	var title string
	if err := c.QueryRow(ctx, `SELECT title FROM "posts" WHERE "posts"."post_id" = $1 ORDER BY "posts"."post_id" LIMIT 1`, int64(4)).Scan(&title); err != nil || title != "post d" {
		t.Fatalf("First = %q, %v", title, err)
	}
	// = ANY($1) with an array parameter: a key read of each element.
	rows, err = c.Query(ctx, `SELECT post_id, likes FROM posts WHERE post_id = ANY($1) ORDER BY post_id`, []int64{2, 3, 5, 9})
	if err != nil {
		t.Fatal(err)
	}
	got, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) ([2]int64, error) {
		var a [2]int64
		err := r.Scan(&a[0], &a[1])
		return a, err
	})
	if err != nil || fmt.Sprint(got) != "[[2 16] [5 10]]" {
		t.Fatalf("= ANY($1) = %v, %v", got, err)
	}
	if err := c.QueryRow(ctx, `SELECT count(*) FROM posts WHERE post_id = 3`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("count of a deleted row = %d, %v", n, err)
	}

	mustExec(t, c, `CREATE TABLE migrations (id integer PRIMARY KEY, name varchar(255), batch integer)`)
	for i, name := range []string{"003_c", "001_a", "002_b"} {
		mustExec(t, c, `INSERT INTO migrations (id, name, batch) VALUES ($1, $2, 1)`, int64(i+1), name)
	}
	rows, err = c.Query(ctx, `SELECT name FROM migrations ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(names, ",") != "001_a,002_b,003_c" {
		t.Fatalf("names = %v", names)
	}
	// A scan inside a transaction block sees the block's own writes.
	tx, err := c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, tx.Conn(), `INSERT INTO migrations (id, name, batch) VALUES (9, '009_z', 2)`)
	mustExec(t, tx.Conn(), `DELETE FROM migrations WHERE id = 1`)
	if err := tx.Conn().QueryRow(ctx, `SELECT string_agg(name, ',' ORDER BY name) FROM migrations`).Scan(new(string)); err != nil {
		t.Fatal(err)
	}
	var agg string
	_ = tx.Conn().QueryRow(ctx, `SELECT string_agg(name, ',' ORDER BY name) FROM migrations`).Scan(&agg)
	if agg != "001_a,002_b,009_z" {
		t.Fatalf("in block: %q", agg)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
}

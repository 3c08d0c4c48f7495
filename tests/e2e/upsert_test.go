package e2e

import (
	"context"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tally-db/tally/tests/harness"
)

// INSERT ... ON CONFLICT, checked against what PostgreSQL 15 answers for the
// same statements.
func TestOnConflict(t *testing.T) {
	tl := harness.Start(t)
	c := tl.Connect(t)
	ctx := context.Background()
	mustExec(t, c, `CREATE TABLE up (k text PRIMARY KEY, n bigint NOT NULL DEFAULT 0, title text, views int NOT NULL DEFAULT 0)`)
	expectTag(t, c, "INSERT 0 1", `INSERT INTO up (k, n, title) VALUES ('a', 1, 'A') ON CONFLICT (k) DO NOTHING`)
	// The conflicting row is skipped, the new one inserted and returned.
	rows, err := c.Query(ctx, `INSERT INTO up (k, n, title) VALUES ('a', 5, 'B'), ('b', 2, 'b') ON CONFLICT (k) DO NOTHING RETURNING k, n`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var k string
		var n int64
		if err := rows.Scan(&k, &n); err != nil {
			t.Fatal(err)
		}
		got = append(got, k)
		if k != "b" || n != 2 {
			t.Errorf("returned %s %d; want b 2", k, n)
		}
	}
	if rows.Err() != nil || len(got) != 1 || rows.CommandTag().String() != "INSERT 0 1" {
		t.Fatalf("DO NOTHING returned %v, tag %q, err %v", got, rows.CommandTag(), rows.Err())
	}
	var n int64
	var title string
	var views int32
	err = c.QueryRow(ctx, `INSERT INTO up AS t (k, n, title) VALUES ('a', 5, 'C')
		ON CONFLICT (k) DO UPDATE SET n = t.n + EXCLUDED.n, title = EXCLUDED.title, views = t.views + 1 RETURNING n, title, views`).Scan(&n, &title, &views)
	if err != nil || n != 6 || title != "C" || views != 1 {
		t.Fatalf("DO UPDATE: %d %q %d, %v; want 6 C 1", n, title, views, err)
	}
	// The new key of an upsert is inserted with the proposed values.
	if err := c.QueryRow(ctx, `INSERT INTO up (k, n) VALUES ('z', 7) ON CONFLICT (k) DO UPDATE SET n = up.n + excluded.n RETURNING n`).Scan(&n); err != nil || n != 7 {
		t.Fatalf("upsert of a new key: %d, %v; want 7", n, err)
	}
	if err := c.QueryRow(ctx, `INSERT INTO up (k, n) VALUES ('z', 1) ON CONFLICT ON CONSTRAINT up_pkey DO UPDATE SET n = EXCLUDED.n * 10 RETURNING n`).Scan(&n); err != nil || n != 10 {
		t.Fatalf("ON CONSTRAINT: %d, %v; want 10", n, err)
	}
	expectCode(t, c, "21000", `INSERT INTO up (k, n) VALUES ('a', 1), ('a', 2) ON CONFLICT (k) DO UPDATE SET n = up.n + excluded.n`)
	expectCode(t, c, "42P10", `INSERT INTO up (k, n) VALUES ('c', 1) ON CONFLICT (title) DO NOTHING`)
	expectCode(t, c, "42601", `INSERT INTO up (k, n) VALUES ('c', 1) ON CONFLICT DO UPDATE SET n = 3`)
	expectCode(t, c, "42702", `INSERT INTO up (k) VALUES ('a') ON CONFLICT (k) DO UPDATE SET views = views + 1`)
	expectCode(t, c, "0A000", `INSERT INTO up (k, n) VALUES ('a', 1) ON CONFLICT (k) DO UPDATE SET n = up.n * 2`)
	// Rejected statements changed nothing.
	if err := c.QueryRow(ctx, `SELECT n, views FROM up WHERE k = 'a'`).Scan(&n, &views); err != nil || n != 6 || views != 1 {
		t.Fatalf("a after rejected statements: %d %d, %v; want 6 1", n, views, err)
	}

	// Upserts that increment an existing row from many clients add up exactly.
	pool, err := pgxpool.New(ctx, tl.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				if _, err := pool.Exec(ctx, `INSERT INTO up (k, n) VALUES ($1, 1) ON CONFLICT (k) DO UPDATE SET n = up.n + EXCLUDED.n`, "a"); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := c.QueryRow(ctx, `SELECT n FROM up WHERE k = 'a'`).Scan(&n); err != nil || n != 6+200 {
		t.Fatalf("after 200 concurrent upserts: %d, %v; want 206", n, err)
	}
}

// Django's bulk_create(update_conflicts=True): INSERT ... SELECT FROM
// UNNEST ... ON CONFLICT DO UPDATE.
func TestInsertSelectOnConflict(t *testing.T) {
	tl := harness.Start(t)
	c := tl.Connect(t)
	ctx := context.Background()
	mustExec(t, c, `CREATE TABLE posts (id bigint PRIMARY KEY, title text, likes bigint NOT NULL DEFAULT 0)`)
	mustExec(t, c, `INSERT INTO posts (id, title, likes) VALUES (1, 'old', 5)`)
	expectTag(t, c, "INSERT 0 2", `INSERT INTO "posts" ("id", "title", "likes") SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::bigint[])
		ON CONFLICT("id") DO UPDATE SET "title" = EXCLUDED."title", "likes" = EXCLUDED."likes" RETURNING "posts"."id"`,
		[]int64{1, 2}, []string{"new", "two"}, []int64{7, 8})
	var title string
	var likes int64
	if err := c.QueryRow(ctx, `SELECT title, likes FROM posts WHERE id = 1`).Scan(&title, &likes); err != nil || title != "new" || likes != 7 {
		t.Fatalf("row 1: %q %d, %v; want new 7", title, likes, err)
	}
	if err := c.QueryRow(ctx, `SELECT title, likes FROM posts WHERE id = 2`).Scan(&title, &likes); err != nil || title != "two" || likes != 8 {
		t.Fatalf("row 2: %q %d, %v; want two 8", title, likes, err)
	}
}

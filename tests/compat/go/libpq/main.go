// Command libpq is the lib/pq scenario: database/sql as most Go services still use it, with
// a connection pool, a statement prepared once and reused (a named server-side statement),
// db.Exec/QueryRow with parameters, 10 concurrent increments and sql.Tx.
package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	_ "github.com/lib/pq"

	"github.com/tally-db/tally/tests/compat/go/internal/scenario"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	run := scenario.New("lib/pq")
	var db *sql.DB

	run.Step("connect with password (database/sql pool)", func() error {
		var err error
		if db, err = sql.Open("postgres", scenario.DSN()); err != nil {
			return scenario.Errf(err, "sql.Open")
		}
		db.SetMaxOpenConns(10)
		if err := db.PingContext(ctx); err != nil {
			return scenario.Errf(err, "db.Ping")
		}
		var user string
		if err := db.QueryRowContext(ctx, "SELECT current_user").Scan(&user); err != nil {
			return scenario.Errf(err, "SELECT current_user")
		}
		return scenario.Expect("SELECT current_user", "compat", user)
	})
	defer func() {
		if db != nil {
			db.Close()
		}
	}()

	exec := func(rows int64, query string, args ...any) error {
		res, err := db.ExecContext(ctx, query, args...)
		if err != nil {
			return scenario.Errf(err, "db.Exec(%q, %v)", query, args)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return scenario.Errf(err, "RowsAffected of %q", query)
		}
		return scenario.Expect(fmt.Sprintf("db.Exec(%q, %v).RowsAffected()", query, args), rows, n)
	}
	expectLikes := func(q interface {
		QueryRowContext(context.Context, string, ...any) *sql.Row
	}, id, want int64) error {
		var n int64
		if err := q.QueryRowContext(ctx, "SELECT likes FROM posts WHERE id = $1", id).Scan(&n); err != nil {
			return scenario.Errf(err, "SELECT likes FROM posts WHERE id = $1 [%d]", id)
		}
		return scenario.Expect(fmt.Sprintf("SELECT likes FROM posts WHERE id = %d", id), want, n)
	}

	run.Step("create table", func() error {
		return exec(0, `CREATE TABLE posts (
			id bigint PRIMARY KEY,
			title text NOT NULL,
			likes bigint NOT NULL DEFAULT 0)`)
	})
	run.Step("create table again (IF NOT EXISTS)", func() error {
		return exec(0, `CREATE TABLE IF NOT EXISTS posts (
			id bigint PRIMARY KEY,
			title text NOT NULL,
			likes bigint NOT NULL DEFAULT 0)`)
	})

	run.Step("insert two rows", func() error {
		return exec(2, "INSERT INTO posts (id, title) VALUES ($1, $2), ($3, $4)", 1, "hello", 2, "second")
	})
	run.Step("read the default", func() error { return expectLikes(db, 1, 0) })

	run.Step("list the posts", func() error {
		rows, err := db.QueryContext(ctx, "SELECT id, title FROM posts ORDER BY id")
		if err != nil {
			return scenario.Errf(err, "db.Query(SELECT id, title FROM posts ORDER BY id)")
		}
		defer rows.Close()
		var got []string
		for rows.Next() {
			var id int64
			var title string
			if err := rows.Scan(&id, &title); err != nil {
				return scenario.Errf(err, "rows.Scan")
			}
			got = append(got, fmt.Sprintf("%d %s", id, title))
		}
		if err := rows.Err(); err != nil {
			return scenario.Errf(err, "rows.Err")
		}
		return scenario.Expect("posts ORDER BY id", []string{"1 hello", "2 second"}, got)
	})

	run.Step("increment 50 times with one prepared statement", func() error {
		stmt, err := db.PrepareContext(ctx, "UPDATE posts SET likes = likes + $1 WHERE id = $2")
		if err != nil {
			return scenario.Errf(err, "db.Prepare(UPDATE posts SET likes = likes + $1 WHERE id = $2)")
		}
		defer stmt.Close()
		for i := 0; i < 50; i++ {
			res, err := stmt.ExecContext(ctx, 1, 1)
			if err != nil {
				return scenario.Errf(err, "stmt.Exec(1, 1) #%d", i+1)
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return scenario.Expect(fmt.Sprintf("stmt.Exec(1, 1) #%d RowsAffected", i+1), int64(1), n)
			}
		}
		return expectLikes(db, 1, 50)
	})

	run.Step("10 concurrent increments over the pool", func() error {
		var wg sync.WaitGroup
		errs := make([]error, 10)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = exec(1, "UPDATE posts SET likes = likes + 1 WHERE id = $1", 1)
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return err
		}
		return expectLikes(db, 1, 60)
	})

	run.Step("read back the row", func() error {
		var id, n int64
		var title string
		err := db.QueryRowContext(ctx, "SELECT id, title, likes FROM posts WHERE id = $1", 1).Scan(&id, &title, &n)
		if err != nil {
			return scenario.Errf(err, "SELECT id, title, likes")
		}
		return scenario.Expect("SELECT id, title, likes", []any{int64(1), "hello", int64(60)}, []any{id, title, n})
	})

	run.Step("set an absolute value", func() error {
		if err := exec(1, "UPDATE posts SET likes = $1 WHERE id = $2", 7, 1); err != nil {
			return err
		}
		return expectLikes(db, 1, 7)
	})

	run.Step("transaction that commits", func() error {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return scenario.Errf(err, "db.BeginTx")
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, "UPDATE posts SET likes = likes + $1 WHERE id = $2", 5, 1); err != nil {
			return scenario.Errf(err, "tx.Exec(UPDATE likes + 5)")
		}
		if _, err := tx.ExecContext(ctx, "UPDATE posts SET title = $1 WHERE id = $2", "edited", 1); err != nil {
			return scenario.Errf(err, "tx.Exec(UPDATE title)")
		}
		if err := tx.Commit(); err != nil {
			return scenario.Errf(err, "tx.Commit")
		}
		var title string
		var n int64
		if err := db.QueryRowContext(ctx, "SELECT title, likes FROM posts WHERE id = $1", 1).Scan(&title, &n); err != nil {
			return scenario.Errf(err, "SELECT title, likes")
		}
		return scenario.Expect("SELECT title, likes after COMMIT", []any{"edited", int64(12)}, []any{title, n})
	})

	run.Step("transaction that rolls back", func() error {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return scenario.Errf(err, "db.BeginTx")
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, "UPDATE posts SET likes = likes + $1 WHERE id = $2", 100, 1); err != nil {
			return scenario.Errf(err, "tx.Exec(UPDATE likes + 100)")
		}
		if err := expectLikes(tx, 1, 112); err != nil {
			return err
		}
		if err := tx.Rollback(); err != nil {
			return scenario.Errf(err, "tx.Rollback")
		}
		return expectLikes(db, 1, 12)
	})

	run.Step("delete the row", func() error {
		if err := exec(1, "DELETE FROM posts WHERE id = $1", 1); err != nil {
			return err
		}
		var n int64
		err := db.QueryRowContext(ctx, "SELECT likes FROM posts WHERE id = $1", 1).Scan(&n)
		if !errors.Is(err, sql.ErrNoRows) {
			return scenario.Expect("SELECT likes of the deleted row: error", sql.ErrNoRows.Error(), fmt.Sprint(err))
		}
		if err := exec(0, "UPDATE posts SET likes = likes + 1 WHERE id = $1", 1); err != nil {
			return err
		}
		return expectLikes(db, 2, 0)
	})

	run.Done()
}

// Command pgx is the pgx v5 scenario: a pgxpool as services use it, parameterised
// statements in the extended protocol with binary results, 10 concurrent increments over
// the pool, a pgx.Batch (pipelined statements, one Sync), and transactions.
package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tally-db/tally/tests/compat/go/internal/scenario"
)

const createPosts = `CREATE TABLE IF NOT EXISTS posts (
	id bigint PRIMARY KEY,
	title text NOT NULL,
	likes bigint NOT NULL DEFAULT 0)`

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	run := scenario.New("pgx")
	var pool *pgxpool.Pool

	run.Step("connect with password (pgxpool, 10 connections)", func() error {
		cfg, err := pgxpool.ParseConfig(scenario.DSN() + " pool_max_conns=10")
		if err != nil {
			return scenario.Errf(err, "pgxpool.ParseConfig")
		}
		if pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
			return scenario.Errf(err, "pgxpool.NewWithConfig")
		}
		var user string
		if err := pool.QueryRow(ctx, "SELECT current_user").Scan(&user); err != nil {
			return scenario.Errf(err, "SELECT current_user")
		}
		return scenario.Expect("SELECT current_user", cfg.ConnConfig.User, user)
	})
	defer func() {
		if pool != nil {
			pool.Close()
		}
	}()

	exec := func(want string, sql string, args ...any) error {
		tag, err := pool.Exec(ctx, sql, args...)
		if err != nil {
			return scenario.Errf(err, "pool.Exec(%q, %v)", sql, args)
		}
		return scenario.Expect(fmt.Sprintf("pool.Exec(%q, %v) command tag", sql, args), want, tag.String())
	}
	likes := func(id int64) (int64, error) {
		var n int64
		err := pool.QueryRow(ctx, "SELECT likes FROM posts WHERE id = $1", id).Scan(&n)
		if err != nil {
			return 0, scenario.Errf(err, "SELECT likes FROM posts WHERE id = $1 [%d]", id)
		}
		return n, nil
	}
	expectLikes := func(id, want int64) error {
		n, err := likes(id)
		if err != nil {
			return err
		}
		return scenario.Expect(fmt.Sprintf("SELECT likes FROM posts WHERE id = %d", id), want, n)
	}

	run.Step("create table", func() error { return exec("CREATE TABLE", createPosts) })
	run.Step("create table again (IF NOT EXISTS)", func() error { return exec("CREATE TABLE", createPosts) })

	run.Step("insert", func() error {
		return exec("INSERT 0 1", "INSERT INTO posts (id, title) VALUES ($1, $2)", int64(1), "hello")
	})
	run.Step("insert RETURNING the default", func() error {
		var id, n int64
		err := pool.QueryRow(ctx, "INSERT INTO posts (id, title) VALUES ($1, $2) RETURNING id, likes", int64(2), "second").Scan(&id, &n)
		if err != nil {
			return scenario.Errf(err, "INSERT ... RETURNING id, likes")
		}
		return scenario.Expect("INSERT ... RETURNING id, likes", [2]int64{2, 0}, [2]int64{id, n})
	})

	run.Step("list the posts (pgx.CollectRows into structs)", func() error {
		type post struct {
			ID    int64
			Title string
			Likes int64
		}
		rows, _ := pool.Query(ctx, "SELECT id, title, likes FROM posts ORDER BY id")
		posts, err := pgx.CollectRows(rows, pgx.RowToStructByName[post])
		if err != nil {
			return scenario.Errf(err, "pgx.CollectRows(SELECT id, title, likes FROM posts ORDER BY id)")
		}
		return scenario.Expect("posts ORDER BY id", []post{{1, "hello", 0}, {2, "second", 0}}, posts)
	})

	run.Step("increment 50 times", func() error {
		for i := 0; i < 50; i++ {
			if err := exec("UPDATE 1", "UPDATE posts SET likes = likes + $1 WHERE id = $2", int64(1), int64(1)); err != nil {
				return err
			}
		}
		return expectLikes(1, 50)
	})

	run.Step("10 concurrent increments over the pool", func() error {
		var wg sync.WaitGroup
		errs := make([]error, 10)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = exec("UPDATE 1", "UPDATE posts SET likes = likes + 1 WHERE id = $1", int64(1))
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return err
		}
		return expectLikes(1, 60)
	})

	run.Step("read back the row", func() error {
		var id, n int64
		var title string
		err := pool.QueryRow(ctx, "SELECT id, title, likes FROM posts WHERE id = $1", int64(1)).Scan(&id, &title, &n)
		if err != nil {
			return scenario.Errf(err, "SELECT id, title, likes")
		}
		return scenario.Expect("SELECT id, title, likes", []any{int64(1), "hello", int64(60)}, []any{id, title, n})
	})

	run.Step("pgx.Batch: two increments and a read in one pipeline", func() error {
		b := &pgx.Batch{}
		b.Queue("UPDATE posts SET likes = likes + $1 WHERE id = $2", int64(1), int64(1))
		b.Queue("UPDATE posts SET likes = likes + $1 WHERE id = $2", int64(2), int64(1))
		b.Queue("SELECT likes FROM posts WHERE id = $1", int64(1))
		br := pool.SendBatch(ctx, b)
		for i := 0; i < 2; i++ {
			tag, err := br.Exec()
			if err != nil {
				br.Close()
				return scenario.Errf(err, "batch statement %d: UPDATE ... likes + n", i+1)
			}
			if err := scenario.Expect(fmt.Sprintf("batch statement %d tag", i+1), "UPDATE 1", tag.String()); err != nil {
				br.Close()
				return err
			}
		}
		var n int64
		if err := br.QueryRow().Scan(&n); err != nil {
			br.Close()
			return scenario.Errf(err, "batch statement 3: SELECT likes")
		}
		if err := br.Close(); err != nil {
			return scenario.Errf(err, "BatchResults.Close")
		}
		if err := scenario.Expect("batch statement 3: SELECT likes", int64(63), n); err != nil {
			return err
		}
		return expectLikes(1, 63)
	})

	run.Step("pgx.Batch is one implicit transaction: an error undoes the whole batch", func() error {
		b := &pgx.Batch{}
		b.Queue("UPDATE posts SET likes = likes + $1 WHERE id = $2", int64(1000), int64(1))
		b.Queue("INSERT INTO posts (id, title) VALUES ($1, $2)", int64(2), "duplicate key")
		err := pool.SendBatch(ctx, b).Close()
		if err == nil {
			return scenario.Expect("SendBatch(UPDATE +1000, INSERT duplicate).Close()", "unique_violation 23505", "no error")
		}
		var pgErr interface{ SQLState() string }
		if !errors.As(err, &pgErr) || pgErr.SQLState() != "23505" {
			return scenario.Errf(err, "SendBatch(UPDATE +1000, INSERT duplicate).Close(): want SQLSTATE 23505")
		}
		return expectLikes(1, 63)
	})

	run.Step("simple protocol (QueryExecModeSimpleProtocol, as behind PgBouncer)", func() error {
		cfg, err := pgx.ParseConfig(scenario.DSN() + " default_query_exec_mode=simple_protocol")
		if err != nil {
			return scenario.Errf(err, "pgx.ParseConfig")
		}
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			return scenario.Errf(err, "pgx.ConnectConfig(simple_protocol)")
		}
		defer conn.Close(ctx)
		var n int64
		err = conn.QueryRow(ctx, "UPDATE posts SET likes = likes + $1 WHERE id = $2 RETURNING likes", int64(2), int64(1)).Scan(&n)
		if err != nil {
			return scenario.Errf(err, "simple protocol: UPDATE ... likes + $1 ... RETURNING likes")
		}
		return scenario.Expect("simple protocol: RETURNING likes", int64(65), n)
	})

	run.Step("upsert increment (INSERT ... ON CONFLICT DO UPDATE)", func() error {
		const upsert = `INSERT INTO posts AS p (id, title, likes) VALUES ($1, $2, $3)
			ON CONFLICT (id) DO UPDATE SET likes = p.likes + EXCLUDED.likes RETURNING likes`
		var n int64
		if err := pool.QueryRow(ctx, upsert, int64(1), "ignored", int64(5)).Scan(&n); err != nil {
			return scenario.Errf(err, "QueryRow(%q, 1, 'ignored', 5)", upsert)
		}
		if err := scenario.Expect("upsert of an existing row: RETURNING likes", int64(70), n); err != nil {
			return err
		}
		if err := pool.QueryRow(ctx, upsert, int64(3), "third", int64(5)).Scan(&n); err != nil {
			return scenario.Errf(err, "QueryRow(%q, 3, 'third', 5)", upsert)
		}
		if err := scenario.Expect("upsert of a new row: RETURNING likes", int64(5), n); err != nil {
			return err
		}
		return expectLikes(1, 70)
	})

	run.Step("set an absolute value", func() error {
		var n int64
		err := pool.QueryRow(ctx, "UPDATE posts SET likes = $1 WHERE id = $2 RETURNING likes", int64(7), int64(1)).Scan(&n)
		if err != nil {
			return scenario.Errf(err, "UPDATE posts SET likes = $1 ... RETURNING likes")
		}
		if err := scenario.Expect("UPDATE ... RETURNING likes", int64(7), n); err != nil {
			return err
		}
		return expectLikes(1, 7)
	})

	run.Step("transaction that commits (pgx.BeginFunc)", func() error {
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, "UPDATE posts SET likes = likes + $1 WHERE id = $2", int64(5), int64(1)); err != nil {
				return scenario.Errf(err, "tx.Exec(UPDATE likes + 5)")
			}
			if _, err := tx.Exec(ctx, "UPDATE posts SET title = $1 WHERE id = $2", "edited", int64(1)); err != nil {
				return scenario.Errf(err, "tx.Exec(UPDATE title)")
			}
			return nil
		})
		if err != nil {
			return err
		}
		var title string
		var n int64
		if err := pool.QueryRow(ctx, "SELECT title, likes FROM posts WHERE id = $1", int64(1)).Scan(&title, &n); err != nil {
			return scenario.Errf(err, "SELECT title, likes")
		}
		return scenario.Expect("SELECT title, likes after COMMIT", []any{"edited", int64(12)}, []any{title, n})
	})

	run.Step("transaction that rolls back", func() error {
		tx, err := pool.Begin(ctx)
		if err != nil {
			return scenario.Errf(err, "pool.Begin")
		}
		defer tx.Rollback(ctx)
		if _, err := tx.Exec(ctx, "UPDATE posts SET likes = likes + $1 WHERE id = $2", int64(100), int64(1)); err != nil {
			return scenario.Errf(err, "tx.Exec(UPDATE likes + 100)")
		}
		var inside int64
		if err := tx.QueryRow(ctx, "SELECT likes FROM posts WHERE id = $1", int64(1)).Scan(&inside); err != nil {
			return scenario.Errf(err, "tx: SELECT likes")
		}
		if err := scenario.Expect("SELECT likes inside the transaction", int64(112), inside); err != nil {
			return err
		}
		if err := tx.Rollback(ctx); err != nil {
			return scenario.Errf(err, "tx.Rollback")
		}
		return expectLikes(1, 12)
	})

	run.Step("delete the row", func() error {
		if err := exec("DELETE 1", "DELETE FROM posts WHERE id = $1", int64(1)); err != nil {
			return err
		}
		_, err := likes(1)
		if !errors.Is(err, pgx.ErrNoRows) {
			return scenario.Expect("SELECT likes of the deleted row: error", pgx.ErrNoRows.Error(), fmt.Sprint(err))
		}
		return expectLikes(2, 0)
	})

	run.Done()
}

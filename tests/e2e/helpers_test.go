// Package e2e runs tally end to end: pgx against an in-process tally over
// the real Cassandra.
package e2e

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

func mustExec(t *testing.T, c *pgx.Conn, sql string, args ...any) pgconn.CommandTag {
	t.Helper()
	tag, err := c.Exec(context.Background(), sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return tag
}

func expectTag(t *testing.T, c *pgx.Conn, want, sql string, args ...any) {
	t.Helper()
	if tag := mustExec(t, c, sql, args...); tag.String() != want {
		t.Fatalf("%s: tag %q, want %q", sql, tag.String(), want)
	}
}

func expectRows(t *testing.T, c *pgx.Conn, want int, sql string, args ...any) {
	t.Helper()
	rows, err := c.Query(context.Background(), sql, args...)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		n++
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	if n != want {
		t.Fatalf("%s: %d rows, want %d", sql, n, want)
	}
}

// expectCode runs sql and asserts it fails with SQLSTATE code.
func expectCode(t *testing.T, c *pgx.Conn, code, sql string, args ...any) {
	t.Helper()
	_, err := c.Exec(context.Background(), sql, args...)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		t.Fatalf("%s: err = %v, want SQLSTATE %s", sql, err, code)
	}
	if pe.Code != code {
		t.Fatalf("%s: SQLSTATE %s (%s), want %s", sql, pe.Code, pe.Message, code)
	}
}

func likesOf(t *testing.T, c *pgx.Conn, id int64) int64 {
	t.Helper()
	var n int64
	if err := c.QueryRow(context.Background(), `SELECT likes FROM posts WHERE post_id = $1`, id).Scan(&n); err != nil {
		t.Fatalf("read likes of %d: %v", id, err)
	}
	return n
}

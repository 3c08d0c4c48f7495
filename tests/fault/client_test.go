//go:build fault

package fault

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tally-db/tally/tests/cluster"
)

// opTimeout bounds one statement. tally's own Cassandra timeout is 5 s with
// driver retries, so a statement may legitimately take ~20 s under faults;
// past this the client gives up and the outcome is unknown.
const opTimeout = 15 * time.Second

// pgx query modes the workloads use.
const (
	modePrepared = "cache_statement" // pgx's default: Parse once, then Bind/Execute
	modeExec     = "exec"            // extended protocol, unnamed statement, one round trip
	modeSimple   = "simple_protocol" // Query messages, arguments inlined by pgx
)

// client is one workload client: a pgx connection to a tally, re-opened
// after any error that may have broken it, to its preferred tally first and
// then to the others (so a killed tally's clients fail over).
type client struct {
	id    int
	addrs []string
	db    string
	mode  string
	conn  *pgx.Conn
	errs  *counts // error classes seen, shared by a workload's clients
}

// newClient returns client id of database db, preferring tallies[id % n].
func newClient(id int, tallies []*cluster.Tally, db, mode string, errs *counts) *client {
	c := &client{id: id, db: db, mode: mode, errs: errs}
	for i := range tallies {
		c.addrs = append(c.addrs, tallies[(id+i)%len(tallies)].Addr)
	}
	return c
}

// newClientAt returns a client of database db at one address (a tally or a
// cut proxy).
func newClientAt(addr, db, mode string, errs *counts) *client {
	return &client{addrs: []string{addr}, db: db, mode: mode, errs: errs}
}

func (c *client) connect(ctx context.Context) (*pgx.Conn, error) {
	if c.conn != nil && !c.conn.IsClosed() {
		return c.conn, nil
	}
	var last error
	for _, a := range c.addrs {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		dsn := strings.Replace(cluster.DSN(a, c.db), "sslmode=disable", "sslmode=disable&default_query_exec_mode="+c.mode, 1)
		conn, err := pgx.Connect(cctx, dsn)
		cancel()
		if err == nil {
			c.conn = conn
			return conn, nil
		}
		last = err
	}
	return nil, fmt.Errorf("connect: %w", last)
}

// exec runs one statement and returns its command tag.
func (c *client) exec(sql string, args ...any) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	conn, err := c.connect(ctx)
	if err != nil {
		return "", c.fail(err)
	}
	tag, err := conn.Exec(ctx, sql, args...)
	if err != nil {
		return "", c.fail(err)
	}
	return tag.String(), nil
}

// value runs a query returning at most one row of one bigint column, plus
// the command tag (the tag tells a RETURNING update's row count).
func (c *client) value(sql string, args ...any) (v int64, found bool, tag string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	conn, err := c.connect(ctx)
	if err != nil {
		return 0, false, "", c.fail(err)
	}
	rows, err := conn.Query(ctx, sql, args...)
	if err != nil {
		return 0, false, "", c.fail(err)
	}
	n := 0
	for rows.Next() {
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return 0, false, "", c.fail(err)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return 0, false, "", c.fail(err)
	}
	if n > 1 {
		return 0, false, "", fmt.Errorf("%s: %d rows, want at most 1", sql, n)
	}
	return v, n == 1, rows.CommandTag().String(), nil
}

// fail records err's class and drops the connection unless the server
// answered with an ErrorResponse (then the session is still usable).
func (c *client) fail(err error) error {
	c.errs.inc(errClass(err))
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		c.close()
	}
	return err
}

func (c *client) close() {
	if c.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = c.conn.Close(ctx)
		c.conn = nil
	}
}

// errClass names an error for the figures: its SQLSTATE, "timeout" (the
// client gave up) or "conn" (no connection, or it broke).
func errClass(err error) string {
	var pe *pgconn.PgError
	switch {
	case errors.As(err, &pe):
		return pe.Code
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	default:
		return "conn"
	}
}

// sqlstate is err's SQLSTATE, or "" when the server sent none.
func sqlstate(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// untilOK runs f until it succeeds or d passes, and returns the last error.
func untilOK(d time.Duration, f func() error) error {
	deadline := time.Now().Add(d)
	for {
		err := f()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(300 * time.Millisecond)
	}
}

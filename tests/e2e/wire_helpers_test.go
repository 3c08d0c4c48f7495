package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/tally-db/tally/tests/harness"
)

// wireTarget is the server a protocol test talks to: an in-process tally
// over the real Cassandra, or — with TALLY_E2E_PG_ADDR=host:port — a real
// Postgres (user postgres, trust auth, database postgres), which proves
// the tests' expectations themselves:
//
//	TALLY_E2E_PG_ADDR=127.0.0.1:55503 go test -run 'TestWire' ./tests/e2e
type wireTarget struct {
	addr, user, db string
	postgres       bool
	tally          *harness.Tally // nil against Postgres
}

// startWire starts a tally (or picks the Postgres) and runs setup, one
// statement at a time, on a fresh pgx connection. Against Postgres the
// tables setup creates are dropped first.
func startWire(t *testing.T, setup ...string) wireTarget {
	t.Helper()
	var w wireTarget
	if addr := os.Getenv("TALLY_E2E_PG_ADDR"); addr != "" {
		w = wireTarget{addr: addr, user: "postgres", db: "postgres", postgres: true}
	} else {
		tl := harness.Start(t)
		w = wireTarget{addr: tl.Addr, user: "tester", db: tl.Database, tally: tl}
	}
	c := w.pgx(t)
	for _, sql := range setup {
		if w.postgres && strings.HasPrefix(sql, "CREATE TABLE ") {
			name := strings.Fields(sql)[2]
			mustExec(t, c, "DROP TABLE IF EXISTS "+name)
		}
		mustExec(t, c, sql)
	}
	return w
}

// dsn is a pgx connection string for the target.
func (w wireTarget) dsn(extra string) string {
	host, port, _ := net.SplitHostPort(w.addr)
	return fmt.Sprintf("postgres://%s@%s:%s/%s?sslmode=disable%s", w.user, host, port, w.db, extra)
}

// pgx opens a pgx connection closed at the test's end.
func (w wireTarget) pgx(t *testing.T) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, w.dsn(""))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

// wire is a raw protocol connection: the test sends frontend messages and
// asserts the backend's answers.
type wire struct {
	t      *testing.T
	nc     net.Conn
	fe     *pgproto3.Frontend
	pid    uint32
	secret []byte
}

// raw connects and completes startup.
func (w wireTarget) raw(t *testing.T) *wire {
	t.Helper()
	nc, err := net.DialTimeout("tcp", w.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(60 * time.Second))
	c := &wire{t: t, nc: nc, fe: pgproto3.NewFrontend(nc, nc)}
	c.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30,
		Parameters: map[string]string{"user": w.user, "database": w.db}})
	for {
		m, err := c.fe.Receive()
		if err != nil {
			t.Fatalf("startup: %v", err)
		}
		switch m := m.(type) {
		case *pgproto3.ErrorResponse:
			t.Fatalf("startup: %s %s", m.Code, m.Message)
		case *pgproto3.BackendKeyData:
			c.pid, c.secret = m.ProcessID, append([]byte(nil), m.SecretKey...)
		case *pgproto3.ReadyForQuery:
			return c
		}
	}
}

// send sends msgs in one write.
func (c *wire) send(msgs ...pgproto3.FrontendMessage) {
	c.t.Helper()
	for _, m := range msgs {
		c.fe.Send(m)
	}
	if err := c.fe.Flush(); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

// recv receives the next n messages, summarised (ParameterStatus and
// notices skipped).
func (c *wire) recv(n int) []string {
	c.t.Helper()
	var out []string
	for len(out) < n {
		m := c.next(&out)
		if m != "" {
			out = append(out, m)
		}
	}
	return out
}

// untilReady receives messages up to and including ReadyForQuery.
func (c *wire) untilReady() []string {
	c.t.Helper()
	return c.untilNthReady(1)
}

// untilNthReady receives messages up to and including the nth
// ReadyForQuery.
func (c *wire) untilNthReady(n int) []string {
	c.t.Helper()
	var out []string
	for n > 0 {
		m := c.next(&out)
		if m == "" {
			continue
		}
		out = append(out, m)
		if strings.HasPrefix(m, "ReadyForQuery") {
			n--
		}
	}
	return out
}

// next receives one message and summarises it; "" for one to skip.
func (c *wire) next(sofar *[]string) string {
	c.t.Helper()
	m, err := c.fe.Receive()
	if err != nil {
		c.t.Fatalf("receive after %q: %v", *sofar, err)
	}
	switch m.(type) {
	case *pgproto3.ParameterStatus, *pgproto3.NoticeResponse:
		return ""
	}
	return summarize(m)
}

// expect sends msgs and asserts the answers up to the last
// ReadyForQuery of want.
func (c *wire) expect(want []string, msgs ...pgproto3.FrontendMessage) {
	c.t.Helper()
	c.send(msgs...)
	n := 0
	for _, m := range want {
		if strings.HasPrefix(m, "ReadyForQuery") {
			n++
		}
	}
	if got := c.untilNthReady(max(n, 1)); strings.Join(got, "\n") != strings.Join(want, "\n") {
		c.t.Errorf("got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// query runs a simple query and returns its answers.
func (c *wire) query(sql string) []string {
	c.t.Helper()
	c.send(&pgproto3.Query{String: sql})
	return c.untilReady()
}

// summarize prints a backend message compactly: errors by SQLSTATE only
// (message texts differ between tally and Postgres), DataRow values as Go
// quoted strings, RowDescription as name:oid:typmod:format.
func summarize(m pgproto3.BackendMessage) string {
	switch m := m.(type) {
	case *pgproto3.ReadyForQuery:
		return "ReadyForQuery " + string(m.TxStatus)
	case *pgproto3.CommandComplete:
		return "CommandComplete " + string(m.CommandTag)
	case *pgproto3.ErrorResponse:
		return "Error " + m.Code + msgIfVerbose(m)
	case *pgproto3.DataRow:
		vals := make([]string, len(m.Values))
		for i, v := range m.Values {
			if v == nil {
				vals[i] = "NULL"
			} else {
				vals[i] = fmt.Sprintf("%q", v)
			}
		}
		return "DataRow " + strings.Join(vals, "|")
	case *pgproto3.RowDescription:
		cols := make([]string, len(m.Fields))
		for i, f := range m.Fields {
			cols[i] = fmt.Sprintf("%s:%d:%d:%d", f.Name, f.DataTypeOID, f.TypeModifier, f.Format)
		}
		return "RowDescription " + strings.Join(cols, ",")
	case *pgproto3.ParameterDescription:
		return fmt.Sprintf("ParameterDescription %v", m.ParameterOIDs)
	}
	return strings.TrimPrefix(fmt.Sprintf("%T", m), "*pgproto3.")
}

// rowsOf runs a simple query on a new raw connection and returns its
// DataRows, for checking what was applied.
func rowsOf(t *testing.T, w wireTarget, sql string) []string {
	t.Helper()
	var rows []string
	for _, m := range w.raw(t).query(sql) {
		if strings.HasPrefix(m, "DataRow ") || strings.HasPrefix(m, "Error ") {
			rows = append(rows, m)
		}
	}
	return rows
}

// msgIfVerbose adds the error's message with WIRE_VERBOSE=1.
func msgIfVerbose(m *pgproto3.ErrorResponse) string {
	if os.Getenv("WIRE_VERBOSE") == "" {
		return ""
	}
	return " " + m.Message
}

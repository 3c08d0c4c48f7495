package e2e

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
)

// These tests drive tally with raw protocol messages, as drivers send
// them, over the real Cassandra. Every expectation was checked against
// PostgreSQL 15 (TALLY_E2E_PG_ADDR, see wireTarget).

const wireItemsDDL = `CREATE TABLE wire_items (
	id bigint PRIMARY KEY,
	title varchar(40),
	qty integer,
	hits bigint NOT NULL DEFAULT 0
)`

// pbe is Parse, Bind and Execute of sql through the unnamed statement and
// portal, with text parameters.
func pbe(sql string, params ...string) []pgproto3.FrontendMessage {
	vals := make([][]byte, len(params))
	for i, p := range params {
		vals[i] = []byte(p)
	}
	return []pgproto3.FrontendMessage{&pgproto3.Parse{Query: sql}, &pgproto3.Bind{Parameters: vals}, &pgproto3.Execute{}}
}

// msgs flattens messages and slices of messages into one sequence.
func msgs(parts ...any) []pgproto3.FrontendMessage {
	var out []pgproto3.FrontendMessage
	for _, p := range parts {
		switch p := p.(type) {
		case pgproto3.FrontendMessage:
			out = append(out, p)
		case []pgproto3.FrontendMessage:
			out = append(out, p...)
		}
	}
	return out
}

var pbeOK = []string{"ParseComplete", "BindComplete"}

// ok is the answer to a pbe that succeeds with tag.
func ok(tag string) []string { return append(append([]string(nil), pbeOK...), "CommandComplete "+tag) }

// seqOf concatenates expected answers.
func seqOf(parts ...any) []string {
	var out []string
	for _, p := range parts {
		switch p := p.(type) {
		case string:
			out = append(out, p)
		case []string:
			out = append(out, p...)
		}
	}
	return out
}

// 1. Describe of a statement before any Bind: exact parameter types,
// inferred from the columns they meet, and RowDescription or NoData.
func TestWireDescribeStatement(t *testing.T) {
	w := startWire(t, wireItemsDDL)
	c := w.raw(t)
	cases := []struct{ sql, params, rows string }{
		{`UPDATE wire_items SET title = $1 WHERE id = $2`, "[1043 20]", "NoData"},
		{`UPDATE wire_items SET hits = hits + $1 WHERE id = $2`, "[20 20]", "NoData"},
		{`UPDATE wire_items SET qty = $1 WHERE id = $2 RETURNING hits, title`, "[23 20]", "RowDescription hits:20:-1:0,title:1043:44:0"},
		{`SELECT title, qty FROM wire_items WHERE id = $1`, "[20]", "RowDescription title:1043:44:0,qty:23:-1:0"},
		{`INSERT INTO wire_items (id, title, qty) VALUES ($1, $2, $3)`, "[20 1043 23]", "NoData"},
		{`INSERT INTO wire_items (id) VALUES ($1) RETURNING hits`, "[20]", "RowDescription hits:20:-1:0"},
		{`DELETE FROM wire_items WHERE id = $1`, "[20]", "NoData"},
		{`SET application_name = 'wire'`, "[]", "NoData"},
		{`BEGIN`, "[]", "NoData"},
		{`COMMIT`, "[]", "NoData"},
	}
	for _, tc := range cases {
		c.expect([]string{"ParseComplete", "ParameterDescription " + tc.params, tc.rows, "CloseComplete", "ReadyForQuery I"},
			&pgproto3.Parse{Name: "d", Query: tc.sql}, &pgproto3.Describe{ObjectType: 'S', Name: "d"},
			&pgproto3.Close{ObjectType: 'S', Name: "d"}, &pgproto3.Sync{})
	}
	// Describe of a portal reports the result formats Bind chose.
	c.expect([]string{"ParseComplete", "BindComplete", "RowDescription title:1043:44:0,qty:23:-1:1", "ReadyForQuery I"},
		&pgproto3.Parse{Query: `SELECT title, qty FROM wire_items WHERE id = $1`},
		&pgproto3.Bind{Parameters: [][]byte{[]byte("1")}, ResultFormatCodes: []int16{0, 1}},
		&pgproto3.Describe{ObjectType: 'P'}, &pgproto3.Sync{})
	// pgx prepares with the same Describe and encodes its arguments by
	// the types it learns.
	p := w.pgx(t)
	ctx := context.Background()
	sd, err := p.Prepare(ctx, "upd", `UPDATE wire_items SET title = $1 WHERE id = $2`)
	if err != nil || fmt.Sprint(sd.ParamOIDs) != "[1043 20]" || len(sd.Fields) != 0 {
		t.Fatalf("pgx Prepare: %v %v", sd, err)
	}
	sd, err = p.Prepare(ctx, "sel", `SELECT title, qty FROM wire_items WHERE id = $1`)
	if err != nil || fmt.Sprint(sd.ParamOIDs) != "[20]" || len(sd.Fields) != 2 || sd.Fields[0].DataTypeOID != 1043 || sd.Fields[1].DataTypeOID != 23 {
		t.Fatalf("pgx Prepare: %v %v", sd, err)
	}
	mustExec(t, p, `INSERT INTO wire_items (id, qty) VALUES ($1, $2)`, 1, 3)
	expectTag(t, p, "UPDATE 1", "upd", "héllo", 1)
	var title string
	var qty int32
	if err := p.QueryRow(ctx, "sel", 1).Scan(&title, &qty); err != nil || title != "héllo" || qty != 3 {
		t.Fatalf("read back: %q %d %v", title, qty, err)
	}
	// A type the client declares wins over the inferred one.
	c.expect([]string{"ParseComplete", "ParameterDescription [23]", "NoData", "ReadyForQuery I"},
		&pgproto3.Parse{Query: `DELETE FROM wire_items WHERE id = $1`, ParameterOIDs: []uint32{23}},
		&pgproto3.Describe{ObjectType: 'S'}, &pgproto3.Sync{})
}

// 3. Flush without Sync writes out the answers so far (asyncpg sends
// Parse/Describe/Flush and waits); a write executed before a Flush is not
// committed until Sync.
func TestWireFlushWithoutSync(t *testing.T) {
	w := startWire(t, wireItemsDDL)
	c := w.raw(t)
	c.send(&pgproto3.Parse{Name: "q", Query: `SELECT hits FROM wire_items WHERE id = $1`},
		&pgproto3.Describe{ObjectType: 'S', Name: "q"}, &pgproto3.Flush{})
	if got, want := c.recv(3), []string{"ParseComplete", "ParameterDescription [20]", "RowDescription hits:20:-1:0"}; strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("after Flush: %q, want %q", got, want)
	}
	c.send(msgs(pbe(`INSERT INTO wire_items (id, hits) VALUES (1, 7)`), &pgproto3.Flush{})...)
	if got, want := c.recv(3), ok("INSERT 0 1"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("after Execute and Flush: %q, want %q", got, want)
	}
	// Nothing else is sent before Sync.
	_ = c.nc.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if m, err := c.fe.Receive(); err == nil {
		t.Fatalf("got %s before Sync", summarize(m))
	}
	_ = c.nc.SetReadDeadline(time.Now().Add(60 * time.Second))
	if got := rowsOf(t, w, `SELECT hits FROM wire_items WHERE id = 1`); len(got) != 0 {
		t.Fatalf("another session sees %q before Sync; want nothing", got)
	}
	c.expect([]string{"BindComplete", `DataRow "7"`, "CommandComplete SELECT 1", "ReadyForQuery I"},
		&pgproto3.Bind{PreparedStatement: "q", Parameters: [][]byte{[]byte("1")}}, &pgproto3.Execute{}, &pgproto3.Sync{})
	if got := rowsOf(t, w, `SELECT hits FROM wire_items WHERE id = 1`); strings.Join(got, ",") != `DataRow "7"` {
		t.Fatalf("after Sync another session sees %q; want 7", got)
	}
}

// 4. pgjdbc writes a simple-protocol BEGIN and the extended messages of
// its statements in one go. An error skips everything up to Sync: one
// ErrorResponse, then ReadyForQuery 'E' in the block ('I' outside).
func TestWirePipelineErrors(t *testing.T) {
	w := startWire(t, wireItemsDDL, `INSERT INTO wire_items (id, title) VALUES (1, 'one')`)
	c := w.raw(t)
	c.expect(seqOf("CommandComplete BEGIN", "ReadyForQuery T",
		ok("UPDATE 1"), pbeOK, "Error 23505", "ReadyForQuery E"),
		msgs(&pgproto3.Query{String: "BEGIN"},
			pbe(`UPDATE wire_items SET hits = hits + 1 WHERE id = $1`, "1"),
			pbe(`INSERT INTO wire_items (id, title) VALUES ($1, 'dup')`, "1"),
			pbe(`UPDATE wire_items SET hits = hits + 100 WHERE id = 1`), // skipped
			&pgproto3.Query{String: "COMMIT"},                           // skipped too
			&pgproto3.Sync{})...)
	c.expect([]string{"Error 25P02", "ReadyForQuery E"}, msgs(pbe(`SELECT 1`), &pgproto3.Sync{})...)
	c.expect([]string{"CommandComplete ROLLBACK", "ReadyForQuery I"}, &pgproto3.Query{String: "COMMIT"})
	if got := rowsOf(t, w, `SELECT hits FROM wire_items WHERE id = 1`); strings.Join(got, ",") != `DataRow "0"` {
		t.Fatalf("hits: %q; want 0", got)
	}
	// Outside a block: the error ends the pipeline with 'I'.
	c.expect(seqOf("ParseComplete", "Error 22P02", "ReadyForQuery I"),
		msgs(pbe(`UPDATE wire_items SET hits = hits + 1 WHERE id = $1`, "x"), pbe(`SELECT 1`), &pgproto3.Sync{})...)
	// An error in Bind fails an explicit block too.
	c.expect(seqOf("CommandComplete BEGIN", "ReadyForQuery T", "ParseComplete", "Error 22P02", "ReadyForQuery E"),
		msgs(&pgproto3.Query{String: "BEGIN"}, pbe(`SELECT title FROM wire_items WHERE id = $1`, "one"), &pgproto3.Sync{})...)
	c.expect([]string{"CommandComplete ROLLBACK", "ReadyForQuery I"}, &pgproto3.Query{String: "ROLLBACK"})
	// So does an unknown portal.
	c.expect([]string{"CommandComplete BEGIN", "ReadyForQuery T", "Error 34000", "ReadyForQuery E"},
		&pgproto3.Query{String: "BEGIN"}, &pgproto3.Execute{Portal: "nope"}, &pgproto3.Sync{})
	c.expect([]string{"CommandComplete ROLLBACK", "ReadyForQuery I"}, &pgproto3.Query{String: "ROLLBACK"})
}

// 5. A pipeline of several statements and one Sync (pgx.Batch) runs as
// one implicit transaction: all applied, or none when one fails. Reads in
// it see its earlier writes.
func TestWireBatchIsAtomic(t *testing.T) {
	w := startWire(t, wireItemsDDL, `INSERT INTO wire_items (id, title) VALUES (1, 'one')`)
	c := w.pgx(t)
	ctx := context.Background()

	b := &pgx.Batch{}
	b.Queue(`INSERT INTO wire_items (id, title, hits) VALUES ($1, $2, $3)`, 2, "two", 5)
	b.Queue(`UPDATE wire_items SET hits = hits + $1 WHERE id = $2`, 10, 1)
	b.Queue(`INSERT INTO wire_items (id, title) VALUES ($1, $2)`, 1, "dup") // 23505
	b.Queue(`UPDATE wire_items SET hits = hits + 1000 WHERE id = 1`)
	err := c.SendBatch(ctx, b).Close()
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "23505" {
		t.Fatalf("failing batch: %v; want 23505", err)
	}
	if got := rowsOf(t, w, `SELECT id, hits FROM wire_items WHERE id IN (1, 2)`); strings.Join(got, ",") != `DataRow "1"|"0"` {
		t.Fatalf("after the failed batch: %q; want only row 1 with 0 hits", got)
	}
	if c.PgConn().TxStatus() != 'I' {
		t.Fatalf("status %c after the failed batch", c.PgConn().TxStatus())
	}

	b = &pgx.Batch{}
	b.Queue(`INSERT INTO wire_items (id, title, hits) VALUES ($1, $2, $3)`, 2, "two", 5)
	b.Queue(`UPDATE wire_items SET hits = hits + $1 WHERE id = $2`, 10, 2)
	b.Queue(`SELECT hits FROM wire_items WHERE id = $1`, 2)
	b.Queue(`UPDATE wire_items SET hits = hits + $1 WHERE id = $2 RETURNING hits`, 1, 1)
	br := c.SendBatch(ctx, b)
	for i, want := range []string{"INSERT 0 1", "UPDATE 1"} {
		if tag, err := br.Exec(); err != nil || tag.String() != want {
			t.Fatalf("batch statement %d: %q %v; want %s", i+1, tag, err, want)
		}
	}
	var inBlock, returned int64
	if err := br.QueryRow().Scan(&inBlock); err != nil || inBlock != 15 {
		t.Fatalf("read inside the batch: %d %v; want 15", inBlock, err)
	}
	if err := br.QueryRow().Scan(&returned); err != nil || returned != 1 {
		t.Fatalf("RETURNING inside the batch: %d %v; want 1", returned, err)
	}
	if err := br.Close(); err != nil {
		t.Fatal(err)
	}
	if got := rowsOf(t, w, `SELECT id, hits FROM wire_items WHERE id IN (1, 2)`); strings.Join(got, ",") != `DataRow "1"|"1",DataRow "2"|"15"` {
		t.Fatalf("after the batch: %q", got)
	}

	// A lone statement applies at once.
	if _, err := c.Exec(ctx, `UPDATE wire_items SET hits = hits + $1 WHERE id = $2`, 4, 1); err != nil {
		t.Fatal(err)
	}
	if got := rowsOf(t, w, `SELECT hits FROM wire_items WHERE id = 1`); strings.Join(got, ",") != `DataRow "5"` {
		t.Fatalf("after a lone statement: %q; want 5", got)
	}
}

// 5. The implicit transaction meets explicit ones: BEGIN inside it makes
// it explicit (what ran before BEGIN belongs to the block), COMMIT inside
// it commits what ran before, and an Execute left without Sync by a client
// that goes away is never applied.
func TestWireImplicitMeetsExplicit(t *testing.T) {
	w := startWire(t, wireItemsDDL)
	c := w.raw(t)
	c.expect(seqOf(ok("INSERT 0 1"), ok("BEGIN"), ok("INSERT 0 1"), "ReadyForQuery T"),
		msgs(pbe(`INSERT INTO wire_items (id) VALUES (1)`), pbe(`BEGIN`), pbe(`INSERT INTO wire_items (id) VALUES (2)`), &pgproto3.Sync{})...)
	c.expect([]string{"CommandComplete ROLLBACK", "ReadyForQuery I"}, &pgproto3.Query{String: "ROLLBACK"})
	if got := rowsOf(t, w, `SELECT id FROM wire_items WHERE id IN (1, 2)`); len(got) != 0 {
		t.Fatalf("after ROLLBACK: %q; want no rows", got)
	}

	c.expect(seqOf(ok("INSERT 0 1"), ok("COMMIT"), ok("INSERT 0 1"), pbeOK, "Error 23505", "ReadyForQuery I"),
		msgs(pbe(`INSERT INTO wire_items (id) VALUES (3)`), pbe(`COMMIT`), pbe(`INSERT INTO wire_items (id) VALUES (4)`),
			pbe(`INSERT INTO wire_items (id) VALUES (3)`), &pgproto3.Sync{})...)
	if got := rowsOf(t, w, `SELECT id FROM wire_items WHERE id IN (3, 4)`); strings.Join(got, ",") != `DataRow "3"` {
		t.Fatalf("COMMIT inside a pipeline: %q; want row 3 only", got)
	}

	c.send(msgs(pbe(`INSERT INTO wire_items (id) VALUES (5)`), &pgproto3.Terminate{})...)
	_ = c.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		if _, err := c.fe.Receive(); err != nil {
			break // closed
		}
	}
	if got := rowsOf(t, w, `SELECT id FROM wire_items WHERE id = 5`); len(got) != 0 {
		t.Fatalf("Execute without Sync before Terminate: %q; want no row", got)
	}
}

// 6. Execute with a row limit: n DataRows then PortalSuspended; the next
// Execute goes on; the last one completes with the rows it sent.
func TestWireExecuteMaxRows(t *testing.T) {
	w := startWire(t, wireItemsDDL, `INSERT INTO wire_items (id, hits) VALUES (1, 10), (2, 20), (3, 30), (4, 40), (5, 50)`)
	c := w.raw(t)
	c.expect([]string{"CommandComplete BEGIN", "ReadyForQuery T"}, &pgproto3.Query{String: "BEGIN"})
	c.expect([]string{
		"ParseComplete", "BindComplete",
		`DataRow "1"|"10"`, `DataRow "2"|"20"`, "PortalSuspended",
		"ReadyForQuery T",
	},
		&pgproto3.Parse{Name: "scan", Query: `SELECT id, hits FROM wire_items WHERE id IN (1, 2, 3, 4, 5)`},
		&pgproto3.Bind{PreparedStatement: "scan", DestinationPortal: "cur"},
		&pgproto3.Execute{Portal: "cur", MaxRows: 2}, &pgproto3.Sync{})
	c.expect([]string{`DataRow "3"|"30"`, `DataRow "4"|"40"`, "PortalSuspended",
		`DataRow "5"|"50"`, "CommandComplete SELECT 1", "CommandComplete SELECT 0", "ReadyForQuery T"},
		&pgproto3.Execute{Portal: "cur", MaxRows: 2}, &pgproto3.Execute{Portal: "cur", MaxRows: 2},
		&pgproto3.Execute{Portal: "cur", MaxRows: 2}, &pgproto3.Sync{})
	c.expect([]string{"CommandComplete COMMIT", "ReadyForQuery I"}, &pgproto3.Query{String: "COMMIT"})
	// The portal ended with the transaction.
	c.expect([]string{"Error 34000", "ReadyForQuery I"}, &pgproto3.Execute{Portal: "cur"}, &pgproto3.Sync{})
	// Outside a block, within one Sync.
	c.expect([]string{"BindComplete", `DataRow "1"|"10"`, `DataRow "2"|"20"`, `DataRow "3"|"30"`, "PortalSuspended",
		`DataRow "4"|"40"`, `DataRow "5"|"50"`, "CommandComplete SELECT 2", "ReadyForQuery I"},
		&pgproto3.Bind{PreparedStatement: "scan"}, &pgproto3.Execute{MaxRows: 3}, &pgproto3.Execute{}, &pgproto3.Sync{})
}

// 7. Statement and portal names: a duplicate name is 42P05 (the unnamed
// statement may be redefined), unknown names are 26000 / 34000, Close of
// an unknown name is no error.
func TestWireNames(t *testing.T) {
	w := startWire(t, wireItemsDDL)
	c := w.raw(t)
	c.expect([]string{"ParseComplete", "Error 42P05", "ReadyForQuery I"},
		&pgproto3.Parse{Name: "s", Query: `SELECT 1`}, &pgproto3.Parse{Name: "s", Query: `SELECT 2`}, &pgproto3.Sync{})
	c.expect([]string{"ParseComplete", "ParseComplete", "BindComplete", `DataRow "2"`, "CommandComplete SELECT 1", "ReadyForQuery I"},
		&pgproto3.Parse{Query: `SELECT 1`}, &pgproto3.Parse{Query: `SELECT 2`}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{})
	c.expect([]string{"Error 26000", "ReadyForQuery I"}, &pgproto3.Bind{PreparedStatement: "nope"}, &pgproto3.Sync{})
	c.expect([]string{"Error 26000", "ReadyForQuery I"}, &pgproto3.Describe{ObjectType: 'S', Name: "nope"}, &pgproto3.Sync{})
	c.expect([]string{"Error 34000", "ReadyForQuery I"}, &pgproto3.Describe{ObjectType: 'P', Name: "nope"}, &pgproto3.Sync{})
	c.expect([]string{"Error 34000", "ReadyForQuery I"}, &pgproto3.Execute{Portal: "nope"}, &pgproto3.Sync{})
	c.expect([]string{"CloseComplete", "CloseComplete", "CloseComplete", "ParseComplete", "ReadyForQuery I"},
		&pgproto3.Close{ObjectType: 'S', Name: "nope"}, &pgproto3.Close{ObjectType: 'P', Name: "nope"},
		&pgproto3.Close{ObjectType: 'S', Name: "s"}, &pgproto3.Parse{Name: "s", Query: `SELECT 3`}, &pgproto3.Sync{})
	// SQL DEALLOCATE shares the namespace.
	c.expect([]string{"CommandComplete DEALLOCATE", "ReadyForQuery I"}, &pgproto3.Query{String: "DEALLOCATE s"})
	c.expect([]string{"Error 26000", "ReadyForQuery I"}, &pgproto3.Query{String: "DEALLOCATE s"})
}

// 8. ReadyForQuery reports the exact transaction status on every path,
// in the simple protocol.
func TestWireStatusSimple(t *testing.T) {
	w := startWire(t, wireItemsDDL)
	c := w.raw(t)
	steps := []struct {
		sql  string
		want []string
	}{
		{"BEGIN", []string{"CommandComplete BEGIN", "ReadyForQuery T"}},
		{"INSERT INTO wire_items (id) VALUES (1)", []string{"CommandComplete INSERT 0 1", "ReadyForQuery T"}},
		{"SELECT nope FROM wire_items", []string{"Error 42703", "ReadyForQuery E"}},
		{"SELECT 1", []string{"Error 25P02", "ReadyForQuery E"}},
		{"ROLLBACK", []string{"CommandComplete ROLLBACK", "ReadyForQuery I"}},
		{"BEGIN", []string{"CommandComplete BEGIN", "ReadyForQuery T"}},
		{"DEALLOCATE nope", []string{"Error 26000", "ReadyForQuery E"}},
		{"COMMIT", []string{"CommandComplete ROLLBACK", "ReadyForQuery I"}},
		{"BEGIN; INSERT INTO wire_items (id) VALUES (2)", []string{"CommandComplete BEGIN", "CommandComplete INSERT 0 1", "ReadyForQuery T"}},
		{"SELECT id FROM wire_items WHERE id = 2", []string{"RowDescription id:20:-1:0", `DataRow "2"`, "CommandComplete SELECT 1", "ReadyForQuery T"}},
		{"COMMIT", []string{"CommandComplete COMMIT", "ReadyForQuery I"}},
		{"INSERT INTO wire_items (id) VALUES (3); BEGIN; INSERT INTO wire_items (id) VALUES (2)", []string{"CommandComplete INSERT 0 1", "CommandComplete BEGIN", "Error 23505", "ReadyForQuery E"}},
		// BEGIN took the INSERT before it into the block, which failed.
		{"END", []string{"CommandComplete ROLLBACK", "ReadyForQuery I"}},
		{"BEGIN", []string{"CommandComplete BEGIN", "ReadyForQuery T"}},
		{"SELECT 1/0", []string{"Error 22012", "ReadyForQuery E"}},
		{"SELECT 2; ROLLBACK", []string{"Error 25P02", "ReadyForQuery E"}},
		{"ROLLBACK; SELECT 2", []string{"CommandComplete ROLLBACK", "RowDescription ?column?:23:-1:0", `DataRow "2"`, "CommandComplete SELECT 1", "ReadyForQuery I"}},
		{"BEGIN; SELECT 1/0", []string{"CommandComplete BEGIN", "Error 22012", "ReadyForQuery E"}},
		{"COMMIT; INSERT INTO wire_items (id) VALUES (4)", []string{"CommandComplete ROLLBACK", "CommandComplete INSERT 0 1", "ReadyForQuery I"}},
		{"BEGIN; SELECT 1; COMMIT", []string{"CommandComplete BEGIN", "RowDescription ?column?:23:-1:0", `DataRow "1"`, "CommandComplete SELECT 1", "CommandComplete COMMIT", "ReadyForQuery I"}},
		{"COMMIT", []string{"CommandComplete COMMIT", "ReadyForQuery I"}},
	}
	for _, s := range steps {
		if got := c.query(s.sql); strings.Join(got, "\n") != strings.Join(s.want, "\n") {
			t.Errorf("%s:\n  got  %q\n  want %q", s.sql, got, s.want)
		}
	}
	if got := rowsOf(t, w, `SELECT id FROM wire_items WHERE id IN (1, 2, 3, 4)`); strings.Join(got, ",") != `DataRow "2",DataRow "4"` {
		t.Fatalf("applied: %q; want rows 2 and 4", got)
	}
}

// 8. The same in the extended protocol.
func TestWireStatusExtended(t *testing.T) {
	w := startWire(t, wireItemsDDL)
	c := w.raw(t)
	sync := &pgproto3.Sync{}
	c.expect(seqOf(ok("BEGIN"), "ReadyForQuery T"), msgs(pbe("BEGIN"), sync)...)
	c.expect(seqOf(ok("INSERT 0 1"), "ReadyForQuery T"), msgs(pbe(`INSERT INTO wire_items (id) VALUES ($1)`, "1"), sync)...)
	c.expect([]string{"Error 42703", "ReadyForQuery E"}, msgs(pbe(`SELECT nope FROM wire_items`), sync)...)
	// Even Parse fails in a failed block.
	c.expect([]string{"Error 25P02", "ReadyForQuery E"}, msgs(pbe(`SELECT 1`), sync)...)
	c.expect(seqOf(ok("ROLLBACK"), "ReadyForQuery I"), msgs(pbe("ROLLBACK"), sync)...)
	c.expect(seqOf(ok("BEGIN"), ok("INSERT 0 1"), pbeOK, "Error 23505", "ReadyForQuery E"),
		msgs(pbe("BEGIN"), pbe(`INSERT INTO wire_items (id) VALUES (2)`), pbe(`INSERT INTO wire_items (id) VALUES (2)`), sync)...)
	c.expect(seqOf(ok("ROLLBACK"), "ReadyForQuery I"), msgs(pbe("COMMIT"), sync)...)
	c.expect(seqOf(ok("BEGIN"), ok("INSERT 0 1"), ok("COMMIT"), ok("BEGIN"), "ReadyForQuery T"),
		msgs(pbe("BEGIN"), pbe(`INSERT INTO wire_items (id) VALUES (3)`), pbe("COMMIT"), pbe("BEGIN"), sync)...)
	c.expect(seqOf(ok("COMMIT"), "ReadyForQuery I"), msgs(pbe("COMMIT"), sync)...)
	if got := rowsOf(t, w, `SELECT id FROM wire_items WHERE id IN (1, 2, 3)`); strings.Join(got, ",") != `DataRow "3"` {
		t.Fatalf("applied: %q; want row 3 only", got)
	}
}

// 5. A pipeline is bounded like any transaction (decided on purpose, see
// the README): 100 writing statements commit together; a 101st fails the
// whole pipeline with 54000 and nothing of it is applied.
func TestWireBatchBound(t *testing.T) {
	w := startWire(t, wireItemsDDL)
	if w.postgres {
		t.Skip("a tally limit: Postgres applies any batch")
	}
	c := w.pgx(t)
	ctx := context.Background()
	b := &pgx.Batch{}
	for i := 1; i <= 101; i++ {
		b.Queue(`INSERT INTO wire_items (id) VALUES ($1)`, i)
	}
	err := c.SendBatch(ctx, b).Close()
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "54000" {
		t.Fatalf("101 writes in one pipeline: %v; want 54000", err)
	}
	if got := rowsOf(t, w, `SELECT id FROM wire_items WHERE id IN (1, 50, 100, 101)`); len(got) != 0 {
		t.Fatalf("after the refused pipeline: %q; want none of its rows", got)
	}
	b = &pgx.Batch{}
	for i := 1; i <= 100; i++ {
		b.Queue(`INSERT INTO wire_items (id) VALUES ($1)`, i)
	}
	if err := c.SendBatch(ctx, b).Close(); err != nil {
		t.Fatalf("100 writes in one pipeline: %v", err)
	}
	if got := rowsOf(t, w, `SELECT id FROM wire_items WHERE id IN (1, 50, 100, 101)`); strings.Join(got, ",") != `DataRow "1",DataRow "50",DataRow "100"` {
		t.Fatalf("after the pipeline: %q; want rows 1, 50 and 100", got)
	}
}

// 5. A keyed statement in a pipeline of several statements is refused
// (0A000) rather than run with its key ignored, and nothing of the
// pipeline is applied; the same statement sent on its own is applied once
// however often it is sent.
func TestWireBatchIdempotencyKey(t *testing.T) {
	w := startWire(t, wireItemsDDL, `INSERT INTO wire_items (id) VALUES (1)`)
	if w.postgres {
		t.Skip("idempotency keys are tally's")
	}
	c := w.pgx(t)
	ctx := context.Background()
	const keyed = `UPDATE wire_items SET hits = hits + 1 WHERE id = $1 /*idempotency_key='wire-k1'*/`
	b := &pgx.Batch{}
	b.Queue(`UPDATE wire_items SET hits = hits + 10 WHERE id = $1`, 1)
	b.Queue(keyed, 1)
	err := c.SendBatch(ctx, b).Close()
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "0A000" {
		t.Fatalf("keyed statement in a batch: %v; want 0A000", err)
	}
	for range 3 {
		expectTag(t, c, "UPDATE 1", keyed, 1)
	}
	if got := rowsOf(t, w, `SELECT hits FROM wire_items WHERE id = 1`); strings.Join(got, ",") != `DataRow "1"` {
		t.Fatalf("hits: %q; want 1", got)
	}
}

package proxy_test

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/big"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/tally-db/tally/sqltypes"
)

// TestPgxSimpleProtocol reads every type in text format through pgx's
// simple protocol, and runs a multi-statement query.
func TestPgxSimpleProtocol(t *testing.T) {
	ts := startServer(t)
	conn := ts.connect(t, "&default_query_exec_mode=simple_protocol")
	ctx := context.Background()
	checkTypesRow(t, conn)

	var n int64
	var count int
	rows, err := conn.Query(ctx, "series 3")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		count++
	}
	if rows.Err() != nil || count != 3 || n != 3 || rows.CommandTag().String() != "SELECT 3" {
		t.Errorf("series 3: %d rows, last %d, tag %q, err %v", count, n, rows.CommandTag(), rows.Err())
	}

	results, err := conn.PgConn().Exec(ctx, "a; insert; b").ReadAll()
	if err != nil || len(results) != 3 {
		t.Fatalf("a; insert; b: %d results, %v", len(results), err)
	}
	for i, want := range []string{"A", "INSERT 0 1", "B"} {
		if got := results[i].CommandTag.String(); got != want {
			t.Errorf("result %d tag %q; want %q", i, got, want)
		}
	}

	// The first error stops the query; later statements don't run.
	before := len(ts.engine.last().ran())
	_, err = conn.PgConn().Exec(ctx, "insert; fail; insert").ReadAll()
	if pgCode(err) != "22012" {
		t.Errorf("insert; fail; insert: err %v; want 22012", err)
	}
	if got := ts.engine.last().ran()[before:]; !equalStrings(got, []string{"insert", "fail"}) {
		t.Errorf("executed %q; want insert, fail", got)
	}
	// Parameters have no place in a simple query.
	if _, err := conn.PgConn().Exec(ctx, "echo int4").ReadAll(); pgCode(err) != "42P02" {
		t.Errorf("simple query with a parameter: %v; want 42P02", err)
	}
	// Rows from a statement that describes no columns are an engine bug.
	if _, err := conn.PgConn().Exec(ctx, "echo").ReadAll(); pgCode(err) != "XX000" {
		t.Errorf("rows without columns: %v; want XX000", err)
	}
	// The connection is still usable.
	if err := conn.QueryRow(ctx, "series 1").Scan(&n); err != nil || n != 1 {
		t.Errorf("after errors: %d, %v", n, err)
	}
}

// checkTypesRow scans the "types" row into Go values with pgx's own codecs.
func checkTypesRow(t *testing.T, conn *pgx.Conn) {
	t.Helper()
	var (
		i2, i4, i8     int64
		f4, f8         float64
		b              bool
		txt, vc        string
		num            pgtype.Numeric
		uuid           [16]byte
		tstz, ts, date time.Time
		bytea          []byte
		null           *int32
	)
	err := conn.QueryRow(context.Background(), "types").Scan(&i2, &i4, &i8, &f4, &f8, &b, &txt, &vc, &num, &uuid, &tstz, &ts, &date, &bytea, &null)
	if err != nil {
		t.Fatalf("types: %v", err)
	}
	if i2 != -2 || i4 != 40000 || i8 != 1<<40 || f4 != 1.5 || f8 != 0.1 || !b || txt != "héllo" || vc != "" {
		t.Errorf("types: scalars %v %v %v %v %v %v %q %q", i2, i4, i8, f4, f8, b, txt, vc)
	}
	if num.Int.Cmp(big.NewInt(-12345)) != 0 || num.Exp != -2 {
		t.Errorf("types: numeric %v e%d; want -12345e-2", num.Int, num.Exp)
	}
	if uuid != [16]byte{0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8, 0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38, 0x0a, 0x11} {
		t.Errorf("types: uuid %x", uuid)
	}
	if !tstz.Equal(time.Date(2026, 12, 3, 13, 36, 33, 123456000, time.UTC)) {
		t.Errorf("types: timestamptz %v", tstz)
	}
	if !ts.Equal(time.Date(2026, 12, 3, 13, 36, 33, 500000000, time.UTC)) || !date.Equal(time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("types: timestamp %v date %v", ts, date)
	}
	if !bytes.Equal(bytea, []byte{1, 2}) || null != nil {
		t.Errorf("types: bytea %x null %v", bytea, null)
	}
}

// TestPgxExtended uses pgx's default mode (named statements with
// Describe, binary formats where pgx prefers them).
func TestPgxExtended(t *testing.T) {
	ts := startServer(t)
	conn := ts.connect(t, "")
	ctx := context.Background()
	checkTypesRow(t, conn)

	var (
		i8  int64
		s   string
		f8  float64
		tm  time.Time
		num pgtype.Numeric
	)
	when := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)
	err := conn.QueryRow(ctx, "echo int8 text float8 timestamptz numeric", int64(-42), "ünï", math.Inf(-1), when, "12.50").Scan(&i8, &s, &f8, &tm, &num)
	if err != nil {
		t.Fatal(err)
	}
	if i8 != -42 || s != "ünï" || !math.IsInf(f8, -1) || !tm.Equal(when) || num.Int.Int64() != 1250 || num.Exp != -2 {
		t.Errorf("echo: %v %q %v %v %v", i8, s, f8, tm, num)
	}
	// The same statement again comes from pgx's statement cache (no Parse).
	if err := conn.QueryRow(ctx, "echo int8 text float8 timestamptz numeric", int64(7), nil, 0.5, when, "1").Scan(&i8, &s, &f8, &tm, &num); err == nil {
		t.Error("scanning NULL into string succeeded")
	}
	var ps *string
	if err := conn.QueryRow(ctx, "echo int8 text", int64(7), nil).Scan(&i8, &ps); err != nil || i8 != 7 || ps != nil {
		t.Errorf("echo with NULL: %v %v %v", i8, ps, err)
	}
	// A parameter the engine can't decode is the client's error.
	if _, err := conn.Exec(ctx, "echo int2", "70000"); pgCode(err) != "22003" {
		t.Errorf("out-of-range parameter: %v; want 22003", err)
	}
	if _, err := conn.Exec(ctx, "badsyntax"); pgCode(err) != "42601" {
		t.Errorf("bad syntax: %v; want 42601", err)
	}
	if _, err := conn.Exec(ctx, "internal"); pgCode(err) != "XX000" {
		t.Errorf("internal error: %v; want XX000", err)
	}
}

// TestPgxExecParamsBinary sends parameters and reads results in binary for
// every type; values come back byte for byte.
func TestPgxExecParamsBinary(t *testing.T) {
	ts := startServer(t)
	conn := ts.connect(t, "")
	ctx := context.Background()
	var names string
	var params [][]byte
	var oids []uint32
	for _, v := range typesRow {
		if v.v == nil {
			continue
		}
		info, _ := sqltypes.Info(v.oid)
		names += " " + info.Name
		b, err := sqltypes.AppendBinary(nil, v.oid, v.v)
		if err != nil {
			t.Fatal(err)
		}
		params = append(params, b)
		oids = append(oids, v.oid)
	}
	res := conn.PgConn().ExecParams(ctx, "echo"+names, params, oids, []int16{1}, []int16{1}).Read()
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if len(res.Rows) != 1 || len(res.Rows[0]) != len(params) {
		t.Fatalf("got %d rows", len(res.Rows))
	}
	for i, got := range res.Rows[0] {
		if !bytes.Equal(got, params[i]) {
			t.Errorf("column %d (oid %d): got %x; want %x", i, oids[i], got, params[i])
		}
		if res.FieldDescriptions[i].Format != 1 || res.FieldDescriptions[i].DataTypeOID != oids[i] {
			t.Errorf("column %d described as %+v", i, res.FieldDescriptions[i])
		}
	}
	// Text parameters, binary results.
	res = conn.PgConn().ExecParams(ctx, "echo date uuid bool", [][]byte{[]byte("2026-12-03"), []byte("{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}"), []byte("yes")}, nil, nil, []int16{0, 1, 1}).Read()
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	want := [][]byte{[]byte("2026-12-03"), {0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8, 0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38, 0x0a, 0x11}, {1}}
	for i := range want {
		if !bytes.Equal(res.Rows[0][i], want[i]) {
			t.Errorf("column %d: got %x; want %x", i, res.Rows[0][i], want[i])
		}
	}
}

// TestPgxBatch sends a pipelined batch with a failing statement in the
// middle: later queries of the batch fail with it (Postgres skips to
// Sync), and the connection stays usable.
func TestPgxBatch(t *testing.T) {
	ts := startServer(t)
	conn := ts.connect(t, "")
	ctx := context.Background()
	b := &pgx.Batch{}
	b.Queue("series 2")
	b.Queue("insert")
	b.Queue("echo int4", int32(5))
	br := conn.SendBatch(ctx, b)
	rows, err := br.Query()
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil || len(got) != 2 || got[1] != 2 {
		t.Errorf("series 2 in batch: %v, %v", got, err)
	}
	tag, err := br.Exec()
	if err != nil || tag.String() != "INSERT 0 1" {
		t.Errorf("insert in batch: %q, %v", tag, err)
	}
	var n int32
	if err := br.QueryRow().Scan(&n); err != nil || n != 5 {
		t.Errorf("echo in batch: %d, %v", n, err)
	}
	if err := br.Close(); err != nil {
		t.Fatal(err)
	}

	b = &pgx.Batch{}
	b.Queue("insert")
	b.Queue("fail")
	b.Queue("series 1")
	before := len(ts.engine.last().ran())
	err = conn.SendBatch(ctx, b).Close()
	if pgCode(err) != "22012" {
		t.Errorf("failing batch: %v; want 22012", err)
	}
	// One Sync ends the batch, so the statement after the error was skipped.
	if got := ts.engine.last().ran()[before:]; !equalStrings(got, []string{"insert", "fail"}) {
		t.Errorf("batch executed %q; want insert, fail", got)
	}
	if err := conn.QueryRow(ctx, "echo int4", int32(9)).Scan(&n); err != nil || n != 9 {
		t.Errorf("after failed batch: %d, %v", n, err)
	}
}

// TestPgconnPipeline drives pgconn's pipeline API: prepare and execute
// without waiting, with a Sync in the middle and at the end.
func TestPgconnPipeline(t *testing.T) {
	conn := startServer(t).connect(t, "")
	ctx := context.Background()
	p := conn.PgConn().StartPipeline(ctx)
	p.SendPrepare("pp", "echo int8", nil)
	p.SendQueryPrepared("pp", [][]byte{[]byte("11")}, nil, nil)
	if err := p.Sync(); err != nil {
		t.Fatal(err)
	}
	p.SendQueryParams("series 2", nil, nil, nil, nil)
	if err := p.Sync(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		res, err := p.GetResults()
		if err != nil {
			t.Fatal(err)
		}
		switch r := res.(type) {
		case nil:
			t.Fatalf("pipeline ended early after %q", got)
		case *pgconn.StatementDescription:
			got = append(got, fmt.Sprintf("described %v", r.ParamOIDs))
		case *pgconn.ResultReader:
			rr := r.Read()
			got = append(got, fmt.Sprintf("%s %d rows", rr.CommandTag, len(rr.Rows)))
		case *pgconn.PipelineSync:
			got = append(got, "sync")
		}
		if len(got) == 5 {
			break
		}
	}
	want := []string{"described [20]", "SELECT 1 1 rows", "sync", "SELECT 2 2 rows", "sync"}
	if !equalStrings(got, want) {
		t.Errorf("got %q; want %q", got, want)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
}

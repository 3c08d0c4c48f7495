package proxy_test

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
)

// TestErrorSkipsUntilSync: after an error every message up to Sync is
// discarded, then the connection works again.
func TestErrorSkipsUntilSync(t *testing.T) {
	c := startServer(t).startRaw(t)
	c.expectSeq([]string{
		"ParseComplete",
		`Error ERROR 26000 prepared statement "nope" does not exist`,
		"ReadyForQuery I",
	},
		&pgproto3.Parse{Name: "s1", Query: "insert"},
		&pgproto3.Bind{PreparedStatement: "nope"},
		&pgproto3.Execute{},                          // skipped
		&pgproto3.Parse{Name: "s2", Query: "insert"}, // skipped
		&pgproto3.Query{String: "insert"},            // skipped too, as in Postgres
		&pgproto3.Sync{},
	)
	c.expectSeq([]string{"BindComplete", "CommandComplete INSERT 0 1", "ReadyForQuery I"},
		&pgproto3.Bind{PreparedStatement: "s1"}, &pgproto3.Execute{}, &pgproto3.Sync{})
	// s2 was never parsed.
	c.expectSeq([]string{`Error ERROR 26000 prepared statement "s2" does not exist`, "ReadyForQuery I"},
		&pgproto3.Describe{ObjectType: 'S', Name: "s2"}, &pgproto3.Sync{})
	// An Execute failure also skips to Sync.
	c.expectSeq([]string{"ParseComplete", "BindComplete", "Error ERROR 22012 division by zero", "ReadyForQuery I"},
		&pgproto3.Parse{Query: "fail"}, &pgproto3.Bind{}, &pgproto3.Execute{},
		&pgproto3.Parse{Query: "insert"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{})
}

// TestExecuteMaxRows: a row limit suspends the portal; the next Execute
// resumes it; the final CommandComplete counts the last part's rows (as
// Postgres 15 does: SELECT 1 after 2+2+1), and a completed portal returns
// no more rows.
func TestExecuteMaxRows(t *testing.T) {
	ts := startServer(t)
	c := ts.startRaw(t)
	c.expectSeq([]string{
		"ParseComplete", "BindComplete",
		"DataRow 1", "DataRow 2", "PortalSuspended",
		"DataRow 3", "DataRow 4", "PortalSuspended",
		"DataRow 5", "CommandComplete SELECT 1",
		"CommandComplete SELECT 0",
		"ReadyForQuery I",
	},
		&pgproto3.Parse{Query: "series 5"}, &pgproto3.Bind{},
		&pgproto3.Execute{MaxRows: 2}, &pgproto3.Execute{MaxRows: 2}, &pgproto3.Execute{MaxRows: 2},
		&pgproto3.Execute{MaxRows: 2}, &pgproto3.Sync{})
	// A completed portal of a statement without rows can't run again.
	c.expectSeq([]string{"ParseComplete", "BindComplete", "CommandComplete INSERT 0 1",
		`Error ERROR 55000 portal "" cannot be run`, "ReadyForQuery I"},
		&pgproto3.Parse{Query: "insert"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Execute{}, &pgproto3.Sync{})
	// Each statement ran once, however many Executes fetched it.
	if got := ts.engine.last().ran(); !equalStrings(got, []string{"series", "insert"}) {
		t.Errorf("executed %q; want series, insert", got)
	}
}

// TestFlushWithoutSync: Flush writes out pending results without ending
// the cycle; no ReadyForQuery until Sync.
func TestFlushWithoutSync(t *testing.T) {
	c := startServer(t).startRaw(t)
	c.send(&pgproto3.Parse{Name: "f", Query: "series 1"}, &pgproto3.Describe{ObjectType: 'S', Name: "f"}, &pgproto3.Flush{})
	want := []string{"ParseComplete", "ParameterDescription []", "RowDescription n:20:0"}
	if got := c.recv(3); !equalStrings(got, want) {
		t.Fatalf("after Flush got %q; want %q", got, want)
	}
	// Nothing else is pending: a read times out.
	_ = c.nc.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if m, err := c.fe.Receive(); err == nil {
		t.Fatalf("got %s before Sync", summary(m))
	}
	_ = c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	c.expectSeq([]string{"ReadyForQuery I"}, &pgproto3.Sync{})

	// An error is written at once, even though the Flush after it is
	// skipped.
	c.send(&pgproto3.Parse{Query: "badsyntax"}, &pgproto3.Flush{})
	if got := c.recv(1); got[0] != `Error ERROR 42601 syntax error at or near "badsyntax"` {
		t.Fatalf("got %q", got)
	}
	c.expectSeq([]string{"ReadyForQuery I"}, &pgproto3.Sync{})
}

// TestDuplicateStatement: a named statement can't be parsed twice (42P05);
// the unnamed one is replaced silently; Close makes the name free again.
func TestDuplicateStatement(t *testing.T) {
	c := startServer(t).startRaw(t)
	c.expectSeq([]string{"ParseComplete", `Error ERROR 42P05 prepared statement "x" already exists`, "ReadyForQuery I"},
		&pgproto3.Parse{Name: "x", Query: "insert"}, &pgproto3.Parse{Name: "x", Query: "insert"}, &pgproto3.Sync{})
	c.expectSeq([]string{"ParseComplete", "ParseComplete", "BindComplete", "RowDescription n:20:0", "ReadyForQuery I"},
		&pgproto3.Parse{Query: "insert"}, &pgproto3.Parse{Query: "series 1"}, &pgproto3.Bind{},
		&pgproto3.Describe{ObjectType: 'P'}, &pgproto3.Sync{})
	c.expectSeq([]string{"CloseComplete", "CloseComplete", "CloseComplete", "ParseComplete", "ReadyForQuery I"},
		&pgproto3.Close{ObjectType: 'S', Name: "x"}, &pgproto3.Close{ObjectType: 'S', Name: "never"},
		&pgproto3.Close{ObjectType: 'P', Name: "never"}, &pgproto3.Parse{Name: "x", Query: "insert"}, &pgproto3.Sync{})
}

// TestUnknownNames: unknown statements are 26000, unknown portals 34000.
func TestUnknownNames(t *testing.T) {
	c := startServer(t).startRaw(t)
	c.expectSeq([]string{`Error ERROR 26000 prepared statement "nope" does not exist`, "ReadyForQuery I"},
		&pgproto3.Bind{PreparedStatement: "nope"}, &pgproto3.Sync{})
	c.expectSeq([]string{`Error ERROR 26000 prepared statement "nope" does not exist`, "ReadyForQuery I"},
		&pgproto3.Describe{ObjectType: 'S', Name: "nope"}, &pgproto3.Sync{})
	c.expectSeq([]string{`Error ERROR 34000 portal "nope" does not exist`, "ReadyForQuery I"},
		&pgproto3.Describe{ObjectType: 'P', Name: "nope"}, &pgproto3.Sync{})
	c.expectSeq([]string{`Error ERROR 34000 portal "nope" does not exist`, "ReadyForQuery I"},
		&pgproto3.Execute{Portal: "nope"}, &pgproto3.Sync{})
}

// TestEmptyQuery: an empty query answers EmptyQueryResponse in both
// protocols.
func TestEmptyQuery(t *testing.T) {
	c := startServer(t).startRaw(t)
	c.expectSeq([]string{"EmptyQueryResponse", "ReadyForQuery I"}, &pgproto3.Query{String: ""})
	c.expectSeq([]string{"EmptyQueryResponse", "ReadyForQuery I"}, &pgproto3.Query{String: " ; "})
	c.expectSeq([]string{"ParseComplete", "ParameterDescription []", "NoData", "BindComplete", "NoData", "EmptyQueryResponse", "ReadyForQuery I"},
		&pgproto3.Parse{Query: ""}, &pgproto3.Describe{ObjectType: 'S'}, &pgproto3.Bind{},
		&pgproto3.Describe{ObjectType: 'P'}, &pgproto3.Execute{}, &pgproto3.Sync{})
}

// TestParseMultipleStatements: Parse accepts at most one statement.
func TestParseMultipleStatements(t *testing.T) {
	c := startServer(t).startRaw(t)
	c.expectSeq([]string{"Error ERROR 42601 cannot insert multiple commands into a prepared statement", "ReadyForQuery I"},
		&pgproto3.Parse{Query: "a; b"}, &pgproto3.Sync{})
}

// TestBindErrors: parameter and format counts, decoding errors.
func TestBindErrors(t *testing.T) {
	c := startServer(t).startRaw(t)
	c.send(&pgproto3.Parse{Name: "e", Query: "echo int4 text"}, &pgproto3.Sync{})
	c.untilReady()
	cases := []struct {
		bind *pgproto3.Bind
		want string
	}{
		{&pgproto3.Bind{PreparedStatement: "e", Parameters: [][]byte{[]byte("1")}},
			`Error ERROR 08P01 bind message supplies 1 parameters, but prepared statement "e" requires 2`},
		{&pgproto3.Bind{PreparedStatement: "e", ParameterFormatCodes: []int16{0, 0, 0}, Parameters: [][]byte{[]byte("1"), nil}},
			"Error ERROR 08P01 bind message has 3 parameter formats but 2 parameters"},
		{&pgproto3.Bind{PreparedStatement: "e", ParameterFormatCodes: []int16{2}, Parameters: [][]byte{[]byte("1"), nil}},
			"Error ERROR 22023 unsupported format code: 2"},
		{&pgproto3.Bind{PreparedStatement: "e", Parameters: [][]byte{[]byte("x1"), nil}},
			`Error ERROR 22P02 invalid input syntax for type integer: "x1"`},
		{&pgproto3.Bind{PreparedStatement: "e", ParameterFormatCodes: []int16{1}, Parameters: [][]byte{{0, 1}, nil}},
			"Error ERROR 08P01 insufficient data left in message"},
		{&pgproto3.Bind{PreparedStatement: "e", ParameterFormatCodes: []int16{1}, Parameters: [][]byte{{0, 0, 0, 1, 0}, nil}},
			"Error ERROR 22P03 incorrect binary data format in bind parameter 1"},
		{&pgproto3.Bind{PreparedStatement: "e", Parameters: [][]byte{nil, nil}, ResultFormatCodes: []int16{0, 0, 0}},
			"Error ERROR 08P01 bind message has 3 result formats but query has 2 columns"},
		{&pgproto3.Bind{PreparedStatement: "e", Parameters: [][]byte{nil, nil}, ResultFormatCodes: []int16{7}},
			"Error ERROR 22023 unsupported format code: 7"},
		{&pgproto3.Bind{PreparedStatement: "e", Parameters: [][]byte{nil, []byte("a\xffb")}},
			`Error ERROR 22021 invalid byte sequence for encoding "UTF8": 0xff`},
	}
	for _, tc := range cases {
		c.expectSeq([]string{tc.want, "ReadyForQuery I"}, tc.bind, &pgproto3.Execute{}, &pgproto3.Sync{})
	}
	// Mixed formats per parameter and per column; NULLs pass through.
	c.expectSeq([]string{"BindComplete", "RowDescription p1:23:1,p2:25:0", "DataRow \x00\x00\x01\x00|NULL", "CommandComplete SELECT 1", "ReadyForQuery I"},
		&pgproto3.Bind{PreparedStatement: "e", ParameterFormatCodes: []int16{1, 0}, Parameters: [][]byte{{0, 0, 1, 0}, nil}, ResultFormatCodes: []int16{1, 0}},
		&pgproto3.Describe{ObjectType: 'P'}, &pgproto3.Execute{}, &pgproto3.Sync{})
}

// TestDescribeStatement: ParameterDescription and RowDescription of a
// statement, with the types the statement resolved (including ones the
// client declared).
func TestDescribeStatement(t *testing.T) {
	c := startServer(t).startRaw(t)
	c.expectSeq([]string{"ParseComplete", "ParameterDescription [20 25]", "RowDescription p1:20:0,p2:25:0", "ReadyForQuery I"},
		&pgproto3.Parse{Name: "d", Query: "echo int8 text"}, &pgproto3.Describe{ObjectType: 'S', Name: "d"}, &pgproto3.Sync{})
	c.expectSeq([]string{"ParseComplete", "ParameterDescription [1700]", "RowDescription p1:1700:0", "ReadyForQuery I"},
		&pgproto3.Parse{Query: "echo", ParameterOIDs: []uint32{1700}}, &pgproto3.Describe{ObjectType: 'S'}, &pgproto3.Sync{})
	c.expectSeq([]string{"ParseComplete", "ParameterDescription []", "NoData", "ReadyForQuery I"},
		&pgproto3.Parse{Query: "insert"}, &pgproto3.Describe{ObjectType: 'S'}, &pgproto3.Sync{})
}

// TestPortalLifetime: portals end at Sync outside a transaction block but
// survive it inside one; the unnamed portal is replaced by the next Bind;
// a named portal can't be bound twice.
func TestPortalLifetime(t *testing.T) {
	c := startServer(t).startRaw(t)
	c.expectSeq([]string{"ParseComplete", "BindComplete", "ReadyForQuery I"},
		&pgproto3.Parse{Name: "s", Query: "series 2"}, &pgproto3.Bind{PreparedStatement: "s", DestinationPortal: "p"}, &pgproto3.Sync{})
	c.expectSeq([]string{`Error ERROR 34000 portal "p" does not exist`, "ReadyForQuery I"},
		&pgproto3.Execute{Portal: "p"}, &pgproto3.Sync{})

	c.expectSeq([]string{"CommandComplete BEGIN", "ReadyForQuery T"}, &pgproto3.Query{String: "begin"})
	c.expectSeq([]string{"BindComplete", "DataRow 1", "PortalSuspended", "ReadyForQuery T"},
		&pgproto3.Bind{PreparedStatement: "s", DestinationPortal: "p"}, &pgproto3.Execute{Portal: "p", MaxRows: 1}, &pgproto3.Sync{})
	c.expectSeq([]string{"DataRow 2", "CommandComplete SELECT 1", "ReadyForQuery T"},
		&pgproto3.Execute{Portal: "p"}, &pgproto3.Sync{})
	// An error the proxy finds itself fails the block, as any error does
	// in Postgres.
	c.expectSeq([]string{`Error ERROR 42P03 cursor "p" already exists`, "ReadyForQuery E"},
		&pgproto3.Bind{PreparedStatement: "s", DestinationPortal: "p"}, &pgproto3.Sync{})
	c.expectSeq([]string{"CommandComplete ROLLBACK", "ReadyForQuery I"}, &pgproto3.Query{String: "rollback"})
	c.expectSeq([]string{"ParseComplete", "BindComplete", "BindComplete", "DataRow 1", "CommandComplete SELECT 1", "ReadyForQuery I"},
		&pgproto3.Parse{Query: "series 1"}, &pgproto3.Bind{PreparedStatement: "s"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{})
	// A failed transaction is reported as 'E'.
	c.expectSeq([]string{"CommandComplete BEGIN", "Error ERROR 25P02 current transaction is aborted, commands ignored until end of transaction block", "ReadyForQuery E"},
		&pgproto3.Query{String: "begin; abort"})
}

// TestPipeline: several cycles sent at once are answered in order.
func TestPipeline(t *testing.T) {
	c := startServer(t).startRaw(t)
	c.send(
		&pgproto3.Parse{Name: "a", Query: "series 1"}, &pgproto3.Parse{Name: "b", Query: "insert"}, &pgproto3.Sync{},
		&pgproto3.Bind{PreparedStatement: "a"}, &pgproto3.Execute{}, &pgproto3.Bind{PreparedStatement: "b"}, &pgproto3.Execute{}, &pgproto3.Sync{},
		&pgproto3.Query{String: "series 2"},
	)
	want := [][]string{
		{"ParseComplete", "ParseComplete", "ReadyForQuery I"},
		{"BindComplete", "DataRow 1", "CommandComplete SELECT 1", "BindComplete", "CommandComplete INSERT 0 1", "ReadyForQuery I"},
		{"RowDescription n:20:0", "DataRow 1", "DataRow 2", "CommandComplete SELECT 2", "ReadyForQuery I"},
	}
	for _, w := range want {
		if got := c.untilReady(); !equalStrings(got, w) {
			t.Errorf("got %q; want %q", got, w)
		}
	}
}

// TestImplicitTransaction: a pipeline of several Executes before Sync
// runs in one implicit transaction, committed at Sync or rolled back by an
// error; a lone Execute before Sync (the hot path) runs without one, as
// does an Execute inside a transaction block; an Execute followed by
// Terminate never runs.
func TestImplicitTransaction(t *testing.T) {
	ts := startServer(t)
	c := ts.startRaw(t)
	s := ts.engine.last()
	check := func(what string, wantRan, wantEnds []string) {
		t.Helper()
		if got := s.ran(); !equalStrings(got, wantRan) {
			t.Errorf("%s: ran %q; want %q", what, got, wantRan)
		}
		if got := s.implicitEnds(); !equalStrings(got, wantEnds) {
			t.Errorf("%s: implicit transactions ended %q; want %q", what, got, wantEnds)
		}
	}
	c.expectSeq([]string{"ParseComplete", "BindComplete", "CommandComplete INSERT 0 1", "ReadyForQuery I"},
		&pgproto3.Parse{Query: "insert"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{})
	check("lone Execute", []string{"insert"}, nil)

	c.expectSeq([]string{"BindComplete", "CommandComplete INSERT 0 1", "BindComplete", "CommandComplete INSERT 0 1", "ReadyForQuery I"},
		&pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{})
	check("two Executes", []string{"insert", "insert", "insert"}, []string{"commit"})

	c.expectSeq([]string{"BindComplete", "CommandComplete INSERT 0 1", "ParseComplete", "BindComplete", "Error ERROR 22012 division by zero", "ReadyForQuery I"},
		&pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Parse{Query: "fail"}, &pgproto3.Bind{}, &pgproto3.Execute{},
		&pgproto3.Parse{Query: "insert"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{})
	check("a failing Execute", []string{"insert", "insert", "insert", "insert", "fail"}, []string{"commit", "rollback"})

	// A Flush after the Execute: it runs at once, in the implicit
	// transaction that Sync commits.
	c.send(&pgproto3.Parse{Query: "insert"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Flush{})
	if got := c.recv(3); !equalStrings(got, []string{"ParseComplete", "BindComplete", "CommandComplete INSERT 0 1"}) {
		t.Fatalf("after Flush: %q", got)
	}
	c.expectSeq([]string{"ReadyForQuery I"}, &pgproto3.Sync{})
	check("Execute, Flush", []string{"insert", "insert", "insert", "insert", "fail", "insert"}, []string{"commit", "rollback", "commit"})

	// Inside a transaction block statements run at once, in it.
	c.expectSeq([]string{"CommandComplete BEGIN", "ReadyForQuery T"}, &pgproto3.Query{String: "begin"})
	c.expectSeq([]string{"ParseComplete", "BindComplete", "CommandComplete INSERT 0 1", "BindComplete", "CommandComplete INSERT 0 1", "ReadyForQuery T"},
		&pgproto3.Parse{Name: "ins", Query: "insert"}, &pgproto3.Bind{PreparedStatement: "ins"}, &pgproto3.Execute{},
		&pgproto3.Bind{PreparedStatement: "ins"}, &pgproto3.Execute{}, &pgproto3.Sync{})
	c.expectSeq([]string{"CommandComplete COMMIT", "ReadyForQuery I"}, &pgproto3.Query{String: "commit"})
	check("in a block", []string{"insert", "insert", "insert", "insert", "fail", "insert", "begin", "insert", "insert", "commit"},
		[]string{"commit", "rollback", "commit"})

	// A client that leaves without Sync: the Execute never runs.
	c.send(&pgproto3.Bind{PreparedStatement: "ins"}, &pgproto3.Execute{}, &pgproto3.Terminate{})
	c.expectClosed()
	waitClosed(t, s)
	check("Execute, Terminate", []string{"insert", "insert", "insert", "insert", "fail", "insert", "begin", "insert", "insert", "commit"},
		[]string{"commit", "rollback", "commit"})
}

package proxy_test

import (
	"context"
	"encoding/binary"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/tally-db/tally/proxy"
)

// TestParameterStatus checks what a client learns at startup and what the
// session is told.
func TestParameterStatus(t *testing.T) {
	ts := startServer(t)
	conn := ts.connect(t, "&application_name=billing")
	pc := conn.PgConn()
	want := map[string]string{
		"client_encoding": "UTF8", "server_encoding": "UTF8", "DateStyle": "ISO, MDY",
		"IntervalStyle": "postgres", "integer_datetimes": "on", "standard_conforming_strings": "on",
		"TimeZone": "UTC", "application_name": "billing", "is_superuser": "on",
		"session_authorization": "alice", "in_hot_standby": "off", "server_version": proxy.DefaultServerVersion,
	}
	for name, v := range want {
		if got := pc.ParameterStatus(name); got != v {
			t.Errorf("ParameterStatus(%s) = %q; want %q", name, got, v)
		}
	}
	if pc.PID() == 0 || len(pc.SecretKey()) != 4 {
		t.Errorf("BackendKeyData: pid %d, secret %x", pc.PID(), pc.SecretKey())
	}
	info := ts.engine.last().info
	if info.User != "alice" || info.Database != "shop" || info.ApplicationName != "billing" || info.Params["application_name"] != "billing" {
		t.Errorf("SessionInfo = %+v", info)
	}
	// A setting the session changes is relayed.
	if _, err := conn.Exec(context.Background(), "settz Asia/Tokyo"); err != nil {
		t.Fatal(err)
	}
	if got := pc.ParameterStatus("TimeZone"); got != "Asia/Tokyo" {
		t.Errorf("TimeZone after settz = %q", got)
	}
	// Two connections get different keys.
	other := ts.connect(t, "")
	if other.PgConn().PID() == pc.PID() {
		t.Error("two connections share a backend pid")
	}
}

// TestDatabaseDefaultsToUser: without a database, the user name is used.
func TestDatabaseDefaultsToUser(t *testing.T) {
	ts := startServer(t)
	c := ts.dialRaw(t)
	c.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"user": "bob", "client_encoding": "unicode"}})
	c.untilReady()
	if info := ts.engine.last().info; info.Database != "bob" {
		t.Errorf("database = %q; want bob", info.Database)
	}
}

// TestStartupErrors: each bad startup gets a FATAL with its SQLSTATE and
// the connection closes.
func TestStartupErrors(t *testing.T) {
	ts := startServer(t)
	cases := []struct {
		name   string
		params map[string]string
		want   string
	}{
		{"no user", map[string]string{"database": "x"}, "Error FATAL 28000 no PostgreSQL user name specified in startup packet"},
		{"latin1", map[string]string{"user": "a", "client_encoding": "LATIN1"}, `Error FATAL 22023 invalid value for parameter "client_encoding": "LATIN1"`},
		{"no database", map[string]string{"user": "a", "database": "nodb"}, `Error FATAL 3D000 database "nodb" does not exist`},
	}
	for _, tc := range cases {
		c := ts.dialRaw(t)
		c.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: tc.params})
		got := c.recv(1)[0]
		if got == "AuthenticationOk" {
			got = c.recv(1)[0]
		}
		if got != tc.want {
			t.Errorf("%s: got %s; want %s", tc.name, got, tc.want)
		}
		c.expectClosed()
	}
	// pgx sees the SQLSTATE.
	_, err := pgx.Connect(context.Background(), strings.Replace(ts.connString(""), "/shop", "/nodb", 1))
	if pgCode(err) != "3D000" {
		t.Errorf("pgx connect to nodb: %v; want 3D000", err)
	}
}

// TestBadProtocolVersion: protocol 2.0 is refused with 08P01.
func TestBadProtocolVersion(t *testing.T) {
	c := startServer(t).dialRaw(t)
	pkt := binary.BigEndian.AppendUint32(nil, 8+5)
	pkt = binary.BigEndian.AppendUint32(pkt, 2<<16)
	pkt = append(pkt, "user\x00"...)
	if _, err := c.nc.Write(pkt); err != nil {
		t.Fatal(err)
	}
	if got := c.recv(1)[0]; !strings.HasPrefix(got, "Error FATAL 08P01 ") {
		t.Errorf("got %s; want FATAL 08P01", got)
	}
	c.expectClosed()
}

// TestProtocol32Negotiated: a 3.2 client is told the server speaks 3.0,
// as Postgres 15 does, and carries on.
func TestProtocol32Negotiated(t *testing.T) {
	c := startServer(t).dialRaw(t)
	c.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion32, Parameters: map[string]string{"user": "a", "_pq_.x": "1"}})
	m, err := c.fe.Receive()
	if err != nil {
		t.Fatal(err)
	}
	npv, ok := m.(*pgproto3.NegotiateProtocolVersion)
	if !ok || npv.NewestMinorProtocol != 0 || len(npv.UnrecognizedOptions) != 1 || npv.UnrecognizedOptions[0] != "_pq_.x" {
		t.Fatalf("got %s %+v; want NegotiateProtocolVersion 0 [_pq_.x]", summary(m), m)
	}
	if got := c.untilReady(); got[0] != "AuthenticationOk" {
		t.Errorf("then %q", got)
	}
}

// TestEncryptionRequestsDeclined: SSLRequest and GSSENCRequest are
// answered 'N' and the startup continues in the clear.
func TestEncryptionRequestsDeclined(t *testing.T) {
	ts := startServer(t)
	for _, req := range []pgproto3.FrontendMessage{&pgproto3.SSLRequest{}, &pgproto3.GSSEncRequest{}} {
		c := ts.dialRaw(t)
		c.send(req)
		var b [1]byte
		if _, err := io.ReadFull(c.nc, b[:]); err != nil || b[0] != 'N' {
			t.Fatalf("%T: answer %q, %v; want N", req, b[0], err)
		}
		c.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"user": "a"}})
		if got := c.untilReady(); got[0] != "AuthenticationOk" {
			t.Errorf("%T then startup: %q", req, got)
		}
		c.expectSeq([]string{"CommandComplete INSERT 0 1", "ReadyForQuery I"}, &pgproto3.Query{String: "insert"})
	}
	// pgx with sslmode=prefer falls back to plain text.
	conn, err := pgx.Connect(context.Background(), strings.Replace(ts.connString(""), "sslmode=disable", "sslmode=prefer", 1))
	if err != nil {
		t.Fatalf("sslmode=prefer: %v", err)
	}
	conn.Close(context.Background())
}

// TestCancelRequest: a CancelRequest is accepted and its connection closed
// without a reply; the idle target connection is unaffected.
func TestCancelRequest(t *testing.T) {
	ts := startServer(t)
	conn := ts.connect(t, "")
	c := ts.dialRaw(t)
	c.send(&pgproto3.CancelRequest{ProcessID: conn.PgConn().PID(), SecretKey: conn.PgConn().SecretKey()})
	c.expectClosed()
	if _, err := conn.Exec(context.Background(), "insert"); err != nil {
		t.Errorf("target after cancel: %v", err)
	}
}

// TestMalformedMessage: an unknown message type is a FATAL 08P01, the
// connection closes and the session with it.
func TestMalformedMessage(t *testing.T) {
	ts := startServer(t)
	c := ts.startRaw(t)
	if _, err := c.nc.Write([]byte{'Z', 0, 0, 0, 4}); err != nil {
		t.Fatal(err)
	}
	if got := c.recv(1)[0]; !strings.HasPrefix(got, "Error FATAL 08P01 ") {
		t.Errorf("got %s; want FATAL 08P01", got)
	}
	c.expectClosed()
	waitClosed(t, ts.engine.last())

	// A Bind whose body is cut short is malformed too.
	c = ts.startRaw(t)
	if _, err := c.nc.Write([]byte{'B', 0, 0, 0, 6, 'x', 0}); err != nil {
		t.Fatal(err)
	}
	if got := c.recv(1)[0]; !strings.HasPrefix(got, "Error FATAL 08P01 ") {
		t.Errorf("short Bind: got %s; want FATAL 08P01", got)
	}
	c.expectClosed()
}

// TestOversizedMessage: a message longer than MaxMessageSize is refused.
func TestOversizedMessage(t *testing.T) {
	ts := startServerConfig(t, proxy.Config{MaxMessageSize: 1024})
	c := ts.startRaw(t)
	c.send(&pgproto3.Query{String: strings.Repeat("x", 2000)})
	if got := c.recv(1)[0]; got != "Error FATAL 08P01 invalid message length" {
		t.Errorf("got %s", got)
	}
	c.expectClosed()
}

// TestStartupTimeout: a client that never finishes startup is dropped.
func TestStartupTimeout(t *testing.T) {
	ts := startServerConfig(t, proxy.Config{StartupTimeout: 100 * time.Millisecond})
	c := ts.dialRaw(t)
	start := time.Now()
	c.expectClosed()
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("closed after %v", d)
	}
}

// TestDisconnectClosesSession: a client that vanishes ends its session.
func TestDisconnectClosesSession(t *testing.T) {
	ts := startServer(t)
	c := ts.startRaw(t)
	c.send(&pgproto3.Parse{Query: "series 1"}) // mid-cycle, no Sync
	c.nc.Close()
	waitClosed(t, ts.engine.last())
}

// waitClosed waits for s.Close.
func waitClosed(t *testing.T, s *fakeSession) {
	t.Helper()
	select {
	case <-s.closed:
	case <-time.After(5 * time.Second):
		t.Fatal("session not closed")
	}
}

// TestShutdown: cancelling Serve's context tells idle clients 57P01,
// cancels running statements, closes sessions and returns nil.
func TestShutdown(t *testing.T) {
	ts := startServer(t)
	idle := ts.startRaw(t)
	busyConn := ts.connect(t, "")
	busySession := ts.engine.last()
	errc := make(chan error, 1)
	go func() {
		_, err := busyConn.Exec(context.Background(), "sleep")
		errc <- err
	}()
	time.Sleep(100 * time.Millisecond) // let "sleep" start
	if err := ts.stop(); err != nil {
		t.Fatalf("Serve returned %v", err)
	}
	if got := idle.recv(1)[0]; got != "Error FATAL 57P01 terminating connection due to administrator command" {
		t.Errorf("idle client got %s", got)
	}
	idle.expectClosed()
	select {
	case err := <-errc:
		if code := pgCode(err); code != "57P01" {
			t.Errorf("running statement: %v; want 57P01", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("running statement not cancelled")
	}
	waitClosed(t, busySession)
}

// TestLargeResult: a result bigger than the output buffer streams out
// completely.
func TestLargeResult(t *testing.T) {
	conn := startServer(t).connect(t, "")
	rows, err := conn.Query(context.Background(), "series 50000")
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil || len(got) != 50000 || got[49999] != 50000 {
		t.Errorf("got %d rows, %v", len(got), err)
	}
}

// TestCancelRunningStatement: a CancelRequest cancels the statement its
// target is running, which answers 57014; the target stays usable.
func TestCancelRunningStatement(t *testing.T) {
	ts := startServer(t)
	conn := ts.connect(t, "")
	errc := make(chan error, 1)
	go func() {
		_, err := conn.Exec(context.Background(), "sleep")
		errc <- err
	}()
	time.Sleep(100 * time.Millisecond) // let "sleep" start
	if err := conn.PgConn().CancelRequest(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if code := pgCode(err); code != "57014" {
			t.Fatalf("err = %v (SQLSTATE %q), want 57014", err, code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the statement was not cancelled")
	}
	if _, err := conn.Exec(context.Background(), "insert"); err != nil {
		t.Fatalf("after cancel: %v", err)
	}
}

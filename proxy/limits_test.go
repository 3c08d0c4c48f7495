package proxy_test

import (
	"encoding/binary"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/tally-db/tally/proxy"
)

// TestMaxConnections: a StartupMessage beyond MaxConnections gets FATAL
// 53300, as Postgres answers beyond max_connections; once a connection
// ends, its place is free again.
func TestMaxConnections(t *testing.T) {
	ts := startServerConfig(t, proxy.Config{ShutdownGrace: 2 * time.Second, MaxConnections: 2})
	a := ts.startRaw(t)
	ts.startRaw(t)
	c := ts.dialRaw(t)
	c.startup("alice")
	c.expectFatal("53300", "sorry, too many clients already")

	a.send(&pgproto3.Terminate{})
	a.expectClosed()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c := ts.dialRaw(t)
		c.startup("alice")
		got := summary(c.receive())
		if got == "AuthenticationOk" {
			break
		}
		if got != "Error FATAL 53300 sorry, too many clients already" || time.Now().After(deadline) {
			t.Fatalf("after a connection ended: %s", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestStatementTimeout: a statement running past the session's
// statement_timeout is cancelled with 57014, and the session goes on.
func TestStatementTimeout(t *testing.T) {
	ts := startServer(t)
	c := ts.startRaw(t)
	c.expectSeq([]string{"CommandComplete SET", "ReadyForQuery I"}, &pgproto3.Query{String: "timeouts 100 0"})
	start := time.Now()
	c.expectSeq([]string{"Error ERROR 57014 canceling statement due to statement timeout", "ReadyForQuery I"},
		&pgproto3.Query{String: "sleep"})
	if d := time.Since(start); d < 100*time.Millisecond || d > 3*time.Second {
		t.Errorf("cancelled after %v, want about 100ms", d)
	}
	// The extended protocol too.
	c.expectSeq([]string{"ParseComplete", "BindComplete", "Error ERROR 57014 canceling statement due to statement timeout", "ReadyForQuery I"},
		&pgproto3.Parse{Query: "sleep"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{})
	c.expectSeq([]string{"CommandComplete INSERT 0 1", "ReadyForQuery I"}, &pgproto3.Query{String: "insert"})
}

// TestIdleInTransactionTimeout: a session idle inside a transaction block
// longer than idle_in_transaction_session_timeout is closed with FATAL
// 25P03; idle outside a block, or in the middle of a pipeline, it is not.
func TestIdleInTransactionTimeout(t *testing.T) {
	ts := startServer(t)
	c := ts.startRaw(t)
	c.expectSeq([]string{"CommandComplete SET", "ReadyForQuery I"}, &pgproto3.Query{String: "timeouts 0 150"})
	time.Sleep(400 * time.Millisecond) // idle, not in a block: kept
	c.expectSeq([]string{"CommandComplete BEGIN", "ReadyForQuery T"}, &pgproto3.Query{String: "begin"})
	time.Sleep(50 * time.Millisecond) // each message restarts the timer
	c.expectSeq([]string{"CommandComplete INSERT 0 1", "ReadyForQuery T"}, &pgproto3.Query{String: "insert"})
	start := time.Now()
	c.expectFatal("25P03", "terminating connection due to idle-in-transaction timeout")
	if d := time.Since(start); d < 150*time.Millisecond || d > 3*time.Second {
		t.Errorf("closed after %v, want about 150ms", d)
	}
	if s := ts.engine.last(); s != nil {
		waitClosed(t, s)
	}

	// A failed block ('E') counts as in a transaction too.
	c = ts.startRaw(t)
	c.expectSeq([]string{"CommandComplete SET", "ReadyForQuery I"}, &pgproto3.Query{String: "timeouts 0 150"})
	c.expectSeq([]string{"CommandComplete BEGIN", "ReadyForQuery T"}, &pgproto3.Query{String: "begin"})
	c.expectSeq([]string{"Error ERROR 25P02 current transaction is aborted, commands ignored until end of transaction block", "ReadyForQuery E"},
		&pgproto3.Query{String: "abort"})
	c.expectFatal("25P03", "terminating connection due to idle-in-transaction timeout")

	// Between Parse and Sync the timer is off (Postgres arms it at
	// ReadyForQuery only).
	c = ts.startRaw(t)
	c.expectSeq([]string{"CommandComplete SET", "ReadyForQuery I"}, &pgproto3.Query{String: "timeouts 0 150"})
	c.expectSeq([]string{"CommandComplete BEGIN", "ReadyForQuery T"}, &pgproto3.Query{String: "begin"})
	c.send(&pgproto3.Parse{Query: "insert"})
	time.Sleep(50 * time.Millisecond)
	c.send(&pgproto3.Bind{}, &pgproto3.Execute{})
	time.Sleep(300 * time.Millisecond)
	if got := c.untilReadyAfter(&pgproto3.Sync{}); !equalStrings(got, []string{"ParseComplete", "BindComplete", "CommandComplete INSERT 0 1", "ReadyForQuery T"}) {
		t.Errorf("pipeline with pauses: %q", got)
	}
}

// untilReadyAfter sends msg and returns the messages up to ReadyForQuery.
func (c *rawClient) untilReadyAfter(msg pgproto3.FrontendMessage) []string {
	c.t.Helper()
	c.send(msg)
	return c.untilReady()
}

// TestAuthFailureDelay: consecutive failed authentications from one
// address are answered later and later (doubling, capped); a success
// resets the delay. The right password is never delayed.
func TestAuthFailureDelay(t *testing.T) {
	cfg := proxy.Config{ShutdownGrace: 2 * time.Second, Auth: proxy.AuthPassword, Users: testUsers(t),
		AuthFailureDelay: 200 * time.Millisecond, AuthFailureDelayMax: 800 * time.Millisecond}
	ts := startServerConfig(t, cfg)
	login := func(password string) (string, time.Duration) {
		c := ts.dialRaw(t)
		c.startup("alice")
		c.receive() // AuthenticationCleartextPassword
		start := time.Now()
		c.send(&pgproto3.PasswordMessage{Password: password})
		got := summary(c.receive())
		return got, time.Since(start)
	}
	const failed = `Error FATAL 28P01 password authentication failed for user "alice"`
	for i, want := range []time.Duration{200, 400, 800, 800} {
		want *= time.Millisecond
		got, d := login("wrong")
		if got != failed {
			t.Fatalf("failure %d: %s", i+1, got)
		}
		if d < want || d > want+time.Second {
			t.Errorf("failure %d answered after %v, want %v", i+1, d, want)
		}
	}
	got, d := login("pw")
	if got != "AuthenticationOk" || d >= 200*time.Millisecond {
		t.Errorf("right password: %s after %v, want AuthenticationOk at once", got, d)
	}
	if _, d := login("wrong"); d < 200*time.Millisecond || d >= 400*time.Millisecond {
		t.Errorf("first failure after a success answered after %v, want 200ms", d)
	}
}

// TestPanicEndsOnlyItsConnection: a bug that panics while serving one
// connection ends that connection with FATAL XX000; the server and other
// sessions go on.
func TestPanicEndsOnlyItsConnection(t *testing.T) {
	ts := startServer(t)
	other := ts.startRaw(t)
	c := ts.startRaw(t)
	c.send(&pgproto3.Query{String: "panic"})
	c.expectFatal("XX000", "internal error")
	other.expectSeq([]string{"CommandComplete INSERT 0 1", "ReadyForQuery I"}, &pgproto3.Query{String: "insert"})
	ts.startRaw(t)
}

// TestSlowLargeMessages: 100 sessions each send 4 KB of a message
// announced at 32 MB (under MaxMessageSize); the server holds what
// arrived, not what was announced, and then serves the rest normally.
func TestSlowLargeMessages(t *testing.T) {
	const clients, announced = 100, 32 << 20
	ts := startServerConfig(t, proxy.Config{ShutdownGrace: 2 * time.Second, MaxMessageSize: 64 << 20})
	var cs []*rawClient
	for range clients {
		cs = append(cs, ts.startRaw(t))
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	msg := make([]byte, 5+4096)
	msg[0] = 'Q'
	binary.BigEndian.PutUint32(msg[1:5], announced)
	for _, c := range cs {
		if _, err := c.nc.Write(msg); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(500 * time.Millisecond)
	runtime.ReadMemStats(&after)
	growth := int64(after.HeapInuse) - int64(before.HeapInuse)
	t.Logf("%d sessions 4 KB into %d MB messages: heap in use grew %.1f MB", clients, announced>>20, float64(growth)/(1<<20))
	if growth > 64<<20 {
		t.Errorf("heap grew by %.1f MB: announced bodies are allocated before they arrive", float64(growth)/(1<<20))
	}
	// A client that completes a large message is served.
	c := ts.startRaw(t)
	c.expectSeq([]string{"CommandComplete " + strings.ToUpper(strings.Repeat("x", 200<<10)), "ReadyForQuery I"},
		&pgproto3.Query{String: strings.Repeat("x", 200<<10)})
}

package proxy_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/tally-db/tally/proxy"
)

// pipeListener hands the server connections made with net.Pipe.
type pipeListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

// Accept implements net.Listener.
func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close implements net.Listener.
func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

// Addr implements net.Listener.
func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "127.0.0.1:1" }

// dial makes a connection the server accepts.
func (l *pipeListener) dial() net.Conn {
	client, server := net.Pipe()
	l.conns <- wrapAddr{server}
	return client
}

// wrapAddr gives a pipe end a TCP-like remote address (the proxy logs it
// and keys the auth throttle by its host).
type wrapAddr struct{ net.Conn }

func (wrapAddr) RemoteAddr() net.Addr { return pipeAddr{} }

// startupBytes is a valid StartupMessage for user alice.
func startupBytes() []byte {
	b, _ := (&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30,
		Parameters: map[string]string{"user": "alice", "database": "shop"}}).Encode(nil)
	return b
}

// encodeAll concatenates encoded frontend messages.
func encodeAll(msgs ...pgproto3.FrontendMessage) []byte {
	var out []byte
	for _, m := range msgs {
		out, _ = m.Encode(out)
	}
	return out
}

// FuzzConnection feeds arbitrary bytes to a proxy connection over the fake
// engine: as the first bytes of a connection (startup packets), or after a
// valid StartupMessage (the message loop, simple and extended protocol).
// The server must never panic, must answer or close within the timeouts,
// and must keep serving other connections.
func FuzzConnection(f *testing.F) {
	seeds := [][]byte{
		encodeAll(&pgproto3.Query{String: "echo; series 3; fail; types"}),
		encodeAll(&pgproto3.Parse{Name: "s", Query: "echo int4 text", ParameterOIDs: []uint32{23, 25}},
			&pgproto3.Bind{PreparedStatement: "s", ParameterFormatCodes: []int16{1, 0}, Parameters: [][]byte{{0, 0, 0, 7}, []byte("x")}, ResultFormatCodes: []int16{1}},
			&pgproto3.Describe{ObjectType: 'P'}, &pgproto3.Execute{MaxRows: 1}, &pgproto3.Sync{}),
		encodeAll(&pgproto3.Parse{Query: "echo _int4"}, &pgproto3.Bind{Parameters: [][]byte{[]byte("{1,NULL}")}}, &pgproto3.Execute{}, &pgproto3.Close{ObjectType: 'S'}, &pgproto3.Flush{}, &pgproto3.Sync{}),
		encodeAll(&pgproto3.Query{String: "begin"}, &pgproto3.Query{String: "abort"}, &pgproto3.Sync{}, &pgproto3.Terminate{}),
		{'Q', 0, 0, 0, 3},
		{'Q', 0x7f, 0xff, 0xff, 0xff, 'x'},
		{'P', 0, 0, 0, 8, 0, 0, 0xff, 0xff},
		{'B', 0, 0, 0, 12, 0, 0, 0, 1, 0, 2, 0, 0},
	}
	for _, s := range seeds {
		f.Add(true, s)
	}
	f.Add(false, startupBytes())
	f.Add(false, []byte{0, 0, 0, 8, 4, 210, 22, 47})                                // SSLRequest
	f.Add(false, []byte{0, 0, 0, 16, 4, 210, 22, 46, 0, 0, 0, 1, 0, 0, 0, 2})       // CancelRequest
	f.Add(false, []byte{0, 0, 0, 9, 0, 3, 0, 0, 0})                                 // no user
	f.Add(false, []byte{0x7f, 0xff, 0xff, 0xff, 0, 3, 0, 0})                        // huge startup
	f.Add(false, []byte{0, 0, 0, 8, 4, 210, 22, 48, 0, 0, 0, 8, 4, 210, 22, 47, 0}) // GSSENC then SSL

	ln := newPipeListener()
	ctx, cancel := context.WithCancel(context.Background())
	panics := &panicCounter{}
	srv := proxy.NewServer(proxy.Config{StartupTimeout: 2 * time.Second, MaxMessageSize: 1 << 20, ShutdownGrace: time.Second},
		&fakeEngine{}, slog.New(panics))
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	f.Cleanup(func() {
		cancel()
		<-done
	})

	f.Fuzz(func(t *testing.T, started bool, data []byte) {
		if bytes.Contains(data, []byte("sleep")) || bytes.Contains(data, []byte("panic")) {
			t.Skip("sleep blocks until the server stops; panic is the fake engine's own")
		}
		input := data
		if started {
			input = append(startupBytes(), data...)
		}
		nc := ln.dial()
		defer nc.Close()
		_ = nc.SetDeadline(time.Now().Add(5 * time.Second))
		readDone := make(chan error, 1)
		go func() {
			_, err := io.Copy(io.Discard, nc)
			readDone <- err
		}()
		_, _ = nc.Write(input) // the server may close before reading it all
		// Whatever it was sent, the server must still answer a fresh
		// client: it neither died nor wedged.
		probe := ln.dial()
		defer probe.Close()
		_ = probe.SetDeadline(time.Now().Add(5 * time.Second))
		fe := pgproto3.NewFrontend(probe, probe)
		fe.Send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"user": "probe"}})
		if err := fe.Flush(); err != nil {
			t.Fatalf("probe: %v", err)
		}
		for {
			m, err := fe.Receive()
			if err != nil {
				t.Fatalf("probe: %v", err)
			}
			if _, ok := m.(*pgproto3.ReadyForQuery); ok {
				break
			}
		}
		nc.Close()
		<-readDone
		if n := panics.n.Load(); n > 0 {
			t.Fatalf("%d panics while serving %q (the proxy recovered them; see the log with TALLY_TEST_LOG)", n, input)
		}
	})
}

// panicCounter is a slog handler counting the proxy's panic reports.
type panicCounter struct{ n atomic.Int64 }

func (h *panicCounter) Enabled(context.Context, slog.Level) bool { return true }
func (h *panicCounter) Handle(_ context.Context, r slog.Record) error {
	if strings.Contains(r.Message, "panic") {
		h.n.Add(1)
	}
	return nil
}
func (h *panicCounter) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *panicCounter) WithGroup(string) slog.Handler      { return h }

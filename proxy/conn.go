package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"slices"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/tally-db/tally/pgerr"
)

// syncState says whether messages are being processed or skipped after an
// error in the extended query protocol: "When an error is detected while
// processing any extended-query message, the backend issues ErrorResponse,
// then reads and discards messages until a Sync is reached"
// (protocol-flow.html#PROTOCOL-FLOW-EXT-QUERY).
type syncState uint8

const (
	// processing: handle every message.
	processing syncState = iota
	// ignoreUntilSync: an extended-query message failed; discard
	// everything up to the next Sync.
	ignoreUntilSync
)

// flushThreshold is how many bytes of DataRows conn buffers before it
// writes them out mid-result.
const flushThreshold = 64 << 10

// conn is one client connection. Its goroutine is the only one that reads
// or writes nc after startup, except interrupt, which only sets deadlines.
type conn struct {
	srv *Server
	nc  net.Conn
	id  uint32
	ctx context.Context // cancelled when the server shuts down
	in  *readRecorder
	be  *pgproto3.Backend
	// gate frames what be reads so that memory follows bytes received
	// (framegate.go); setMaxBody keeps its limit and be's in step.
	gate *frameGate
	log  *slog.Logger
	key  backendKey
	info SessionInfo
	// tlsConn is the TLS layer over nc once the client asked for SSL (be
	// then reads and writes through it); nil in the clear.
	tlsConn *tls.Conn
	// endPoint is the channel-binding data of the certificate tlsConn
	// was established with.
	endPoint []byte

	// session is the SQL session; nil until startup has completed.
	session Session
	// running lets a CancelRequest cancel the statement being executed.
	running running

	// stmts are the prepared statements by name; "" is the unnamed one,
	// which the next Parse to "" (or a simple Query) replaces
	// (protocol-flow.html#PROTOCOL-FLOW-EXT-QUERY).
	stmts map[string]*preparedStmt
	// portals are the bound portals by name; "" is the unnamed one, which
	// the next Bind to "" replaces. Portals end with the transaction: at
	// ReadyForQuery 'I' (readyForQuery).
	portals map[string]*portal
	// sync is the error-recovery state of the extended protocol.
	sync syncState
	// deferred is an Execute that arrived while no transaction block was
	// open, held until the next message says what it belongs to: a Sync
	// (or a Query) right after it makes it a lone statement that commits
	// on its own, the hot path, with no transaction around it; any other
	// message means a pipeline, and it runs first inside the implicit
	// transaction that lasts until Sync (Session.BeginImplicit). Postgres
	// commits such a pipeline at Sync (protocol-flow.html#PROTOCOL-FLOW-
	// PIPELINING), and a client sees nothing of an Execute before a Sync
	// or Flush, so holding it back is invisible.
	deferred *pgproto3.Execute

	// scratch, offsets and values are reused to encode each DataRow;
	// pending counts bytes buffered since the last flush.
	scratch []byte
	offsets []int
	values  [][]byte
	pending int

	// ioErr is the first write failure; fatal the FATAL error sent. Either
	// ends the connection.
	ioErr error
	fatal error

	interrupted atomic.Bool

	// lim is the connection's share of the limits (limits.go).
	lim connLimits
	// readyIdle: the last message sent was ReadyForQuery 'I' (the client
	// is between queries, outside a transaction); drain ends it there.
	readyIdle bool
	drain     drainGate
}

// newConn prepares a connection; serve runs it.
func newConn(ctx context.Context, s *Server, nc net.Conn, id uint32) *conn {
	gate := newFrameGate(nc, s.cfg.MaxMessageSize)
	in := &readRecorder{r: gate}
	be := pgproto3.NewBackend(in, nc)
	be.SetMaxBodyLen(s.cfg.MaxMessageSize)
	return &conn{
		srv:     s,
		nc:      nc,
		id:      id,
		ctx:     ctx,
		in:      in,
		be:      be,
		gate:    gate,
		log:     s.log.With("conn", id, "remote", nc.RemoteAddr().String()),
		stmts:   make(map[string]*preparedStmt),
		portals: make(map[string]*portal),
	}
}

// readRecorder remembers the last error of the underlying reader, so that
// a failed Receive can be told apart: a network error (the client is gone)
// or a malformed message (a protocol violation to report).
type readRecorder struct {
	r   io.Reader
	err error
}

// Read implements io.Reader.
func (rr *readRecorder) Read(p []byte) (int, error) {
	n, err := rr.r.Read(p)
	if err != nil {
		rr.err = err
	}
	return n, err
}

// interrupt makes the connection stop at its next read: called from the
// server's goroutine at shutdown.
func (c *conn) interrupt() {
	c.interrupted.Store(true)
	now := time.Now()
	_ = c.nc.SetReadDeadline(now)
	_ = c.nc.SetWriteDeadline(now.Add(time.Second))
}

// serve runs the connection to its end: startup, then the message loop.
// Every path out closes the session and the socket.
func (c *conn) serve() {
	defer c.nc.Close()
	defer c.lingerClose()
	defer c.recoverPanic()
	defer func() {
		if c.session != nil {
			c.session.Close()
		}
	}()
	ok, err := c.startup()
	if err != nil {
		c.logEnd(err)
		return
	}
	if !ok {
		return
	}
	c.logEnd(c.loop())
}

// logEnd logs why the connection ended; a client going away is normal.
func (c *conn) logEnd(err error) {
	switch {
	case err == nil || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed):
		c.log.Debug("proxy: connection closed")
	default:
		c.log.Info("proxy: connection closed", "err", err)
	}
}

// loop reads and handles messages until the client terminates, the
// connection fails or a fatal error is sent. It returns why it ended.
func (c *conn) loop() error {
	for {
		if c.drain.enter(c.srv, c.readyIdle) {
			c.sendFatal(errAdminShutdown())
			return c.endErr()
		}
		stmtTimeout, idleTimeout := c.timeouts()
		c.armIdleTimeout(idleTimeout)
		msg, err := c.be.Receive()
		woken := c.drain.leave(c)
		c.readyIdle = false
		if err != nil {
			if woken {
				c.interrupted.Store(true)
			}
			c.deferred = nil // never committed, as in Postgres
			c.receiveFailed(err)
			return c.endErr()
		}
		c.lim.idleStatus = 0
		c.running.timeout = stmtTimeout
		if c.deferred != nil {
			c.runDeferred(msg)
		}
		if c.sync == ignoreUntilSync {
			switch msg.(type) {
			case *pgproto3.Sync:
				c.sync = processing
			case *pgproto3.Terminate:
				return nil
			default:
				continue
			}
		}
		done := c.dispatch(msg)
		if done || c.ioErr != nil {
			return c.endErr()
		}
	}
}

// endErr is why the connection ends: a write failure, the fatal error
// sent, or nil.
func (c *conn) endErr() error {
	if c.ioErr != nil {
		return c.ioErr
	}
	return c.fatal
}

// receiveFailed handles a failed Receive: shutdown (57P01), the client
// gone (nothing to send), or a malformed message (08P01, FATAL: the stream
// can't be resynchronised).
func (c *conn) receiveFailed(err error) {
	switch {
	case c.interrupted.Load():
		c.sendFatal(pgerr.New(pgerr.AdminShutdown, "terminating connection due to administrator command"))
	case c.idleTimedOut():
		c.sendFatal(idleTimeoutError())
	case c.in.err != nil:
		c.ioErr = c.in.err
	default:
		var tooBig *pgproto3.ExceededMaxBodyLenErr
		if errors.As(err, &tooBig) {
			c.sendFatal(pgerr.Wrap(err, pgerr.ProtocolViolation, "invalid message length"))
			return
		}
		c.sendFatal(pgerr.Wrap(err, pgerr.ProtocolViolation, "invalid frontend message: %v", err))
	}
}

// dispatch handles one message. It returns true when the connection must
// close: Terminate, or a fatal error was sent.
func (c *conn) dispatch(msg pgproto3.FrontendMessage) (done bool) {
	switch m := msg.(type) {
	case *pgproto3.Query:
		c.handleQuery(m.String)
	case *pgproto3.Parse:
		c.extended(c.handleParse(m))
	case *pgproto3.Bind:
		c.extended(c.handleBind(m))
	case *pgproto3.Describe:
		c.extended(c.handleDescribe(m))
	case *pgproto3.Execute:
		c.extended(c.handleExecute(m))
	case *pgproto3.Close:
		c.extended(c.handleClose(m))
	case *pgproto3.Sync:
		c.handleSync()
	case *pgproto3.Flush:
		c.flush()
	case *pgproto3.Terminate:
		return true
	case *pgproto3.CopyData, *pgproto3.CopyDone, *pgproto3.CopyFail:
		// "the backend will ignore CopyData, CopyDone and CopyFail
		// messages" outside COPY (protocol-flow.html#PROTOCOL-COPY).
	case *pgproto3.FunctionCall:
		c.sendError(pgerr.Unsupported("the function call protocol is not supported"))
		c.session.Fail()
		c.readyForQuery()
	default:
		c.sendFatal(pgerr.New(pgerr.ProtocolViolation, "unexpected message type %T", msg))
		return true
	}
	return false
}

// readyForQuery ends a query cycle — after a simple Query or a Sync — with
// the session's transaction status, and flushes. It is the only place
// that sends ReadyForQuery. Outside a transaction block no portal
// survives: portals end with their transaction, whether a Sync or a
// COMMIT in a simple Query ended it.
func (c *conn) readyForQuery() {
	status := c.txStatus()
	c.readyIdle = status == 'I'
	if status == 'I' {
		clear(c.portals)
	}
	c.be.Send(&pgproto3.ReadyForQuery{TxStatus: status})
	c.flush()
	c.lim.idleStatus = status
}

// txStatus is the session's transaction status ('I', 'T' or 'E').
func (c *conn) txStatus() byte {
	if c.session == nil {
		return 'I'
	}
	switch s := c.session.TxStatus(); s {
	case 'I', 'T', 'E':
		return s
	default:
		c.log.Error("proxy: session reported an invalid transaction status", "status", s)
		return 'E'
	}
}

// flush writes everything buffered to the client. A write failure is kept
// in ioErr and ends the connection after the current message.
func (c *conn) flush() {
	c.pending = 0
	if c.ioErr != nil {
		return
	}
	if err := c.be.Flush(); err != nil {
		c.ioErr = fmt.Errorf("proxy: write: %w", err)
	}
}

// sent accounts n buffered bytes and flushes once a big buffer fills.
func (c *conn) sent(n int) {
	c.pending += n
	if c.pending >= flushThreshold {
		c.flush()
	}
}

// sendParameterStatus relays the settings the session changed, in name
// order.
func (c *conn) sendParameterStatus() {
	changed := c.session.ParameterStatus()
	for _, name := range slices.Sorted(maps.Keys(changed)) {
		c.be.Send(&pgproto3.ParameterStatus{Name: name, Value: changed[name]})
	}
}

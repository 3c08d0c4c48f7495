package cluster

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
)

// CutPoint is where in a statement's round trip a Cut breaks the connection.
type CutPoint int

const (
	// OnReply cuts at the first byte of the server's reply to the statement
	// (CommandComplete, DataRow, ErrorResponse, EmptyQueryResponse or
	// PortalSuspended: messages a server sends only once the statement has
	// run). That byte and everything after it are dropped, so the server
	// has applied the statement and the client never learns it.
	OnReply CutPoint = iota
	// AfterSend cuts as soon as the statement is forwarded to the server:
	// the server may or may not run it.
	AfterSend
)

func (w CutPoint) String() string {
	if w == AfterSend {
		return "after-send"
	}
	return "on-reply"
}

// Cut is one armed cut: the next statement whose SQL text contains Match,
// on any connection through the proxy, loses its connection at When.
type Cut struct {
	Match string
	When  CutPoint

	once sync.Once
	done chan struct{}
}

// Done is closed once the cut has happened.
func (c *Cut) Done() <-chan struct{} { return c.done }

// Fired reports whether the cut has happened.
func (c *Cut) Fired() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

func (c *Cut) fire() { c.once.Do(func() { close(c.done) }) }

// CutProxy is a TCP proxy in front of a Postgres server (a tally) that reads
// the protocol on both sides and breaks a client connection at an exact
// message boundary when armed. Statements are matched by SQL text: a simple
// Query, or an Execute of a portal bound to a Parsed statement.
type CutProxy struct {
	target string
	ln     net.Listener

	mu    sync.Mutex
	arms  []*Cut
	conns map[*proxyConn]struct{}
	wg    sync.WaitGroup
	cuts  atomic.Int64
	conn  atomic.Int64 // connections accepted
}

// NewCutProxy listens on a free 127.0.0.1 port and forwards to target.
func NewCutProxy(target string) (*CutProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("cluster: cut proxy: %w", err)
	}
	p := &CutProxy{target: target, ln: ln, conns: map[*proxyConn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the address clients connect to instead of the target.
func (p *CutProxy) Addr() string { return p.ln.Addr().String() }

// Arm arms a cut of the next statement containing match and returns it.
// Cuts fire in the order they were armed.
func (p *CutProxy) Arm(match string, when CutPoint) *Cut {
	c := &Cut{Match: match, When: when, done: make(chan struct{})}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.arms = append(p.arms, c)
	return c
}

// Cuts is how many connections the proxy has cut so far.
func (p *CutProxy) Cuts() int { return int(p.cuts.Load()) }

// Conns is how many client connections the proxy has accepted.
func (p *CutProxy) Conns() int { return int(p.conn.Load()) }

// Close stops accepting, closes every connection and waits for them.
func (p *CutProxy) Close() error {
	err := p.ln.Close()
	p.mu.Lock()
	conns := make([]*proxyConn, 0, len(p.conns))
	for c := range p.conns {
		conns = append(conns, c)
	}
	p.mu.Unlock()
	for _, c := range conns {
		c.close()
	}
	p.wg.Wait()
	return err
}

// take removes and returns the first armed cut matching sql, or nil.
func (p *CutProxy) take(sql string) *Cut {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, c := range p.arms {
		if strings.Contains(sql, c.Match) {
			p.arms = append(p.arms[:i:i], p.arms[i+1:]...)
			return c
		}
	}
	return nil
}

func (p *CutProxy) accept() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		p.conn.Add(1)
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = client.Close() // the client sees the target's refusal as a closed connection
			continue
		}
		c := &proxyConn{p: p, client: client, server: server, stmts: map[string]string{}, portals: map[string]string{}}
		p.mu.Lock()
		p.conns[c] = struct{}{}
		p.mu.Unlock()
		p.wg.Add(2)
		go c.frontend()
		go c.backend()
	}
}

// proxyConn is one client connection and its server connection.
type proxyConn struct {
	p              *CutProxy
	client, server net.Conn

	stmts   map[string]string // prepared statement name -> SQL (frontend goroutine only)
	portals map[string]string // portal name -> SQL (frontend goroutine only)

	mu       sync.Mutex
	pending  *Cut // a matched statement was forwarded: cut at its first result byte
	muted    bool // an after-send cut is under way: forward nothing more to the client
	rawBytes int  // unframed one-byte answers due (SSLRequest, GSSENCRequest)

	closeOnce sync.Once
}

func (c *proxyConn) close() {
	c.closeOnce.Do(func() {
		_ = c.client.Close()
		_ = c.server.Close()
		c.p.mu.Lock()
		delete(c.p.conns, c)
		c.p.mu.Unlock()
	})
}

// cut breaks the connection for cut k.
// It counts and fires first, so a client that sees its connection die
// already sees the cut as done.
func (c *proxyConn) cut(k *Cut) {
	c.p.cuts.Add(1)
	k.fire()
	c.close()
}

// frontend forwards client -> server, watching for armed statements.
func (c *proxyConn) frontend() {
	defer c.p.wg.Done()
	defer c.close()
	r := bufio.NewReader(c.client)
	if err := c.startup(r); err != nil {
		return
	}
	for {
		typ, err := r.ReadByte()
		if err != nil {
			return
		}
		msg, err := readBody(r, typ)
		if err != nil {
			return
		}
		k := c.match(typ, msg)
		if k != nil {
			c.mu.Lock()
			if k.When == OnReply {
				c.pending = k // set before the server can possibly answer
			} else {
				c.muted = true // a fast reply must not slip through before the cut
			}
			c.mu.Unlock()
		}
		if _, err := c.server.Write(msg); err != nil {
			return
		}
		if k != nil && k.When == AfterSend {
			c.cut(k)
			return
		}
	}
}

// startup forwards the untyped messages that open a connection: SSL and
// GSS encryption requests (declined by the server with one byte, then the
// client goes on) and the StartupMessage or a CancelRequest.
func (c *proxyConn) startup(r *bufio.Reader) error {
	for {
		msg, err := readUntyped(r)
		if err != nil {
			return err
		}
		code := startupCode(msg)
		if code == sslRequestCode || code == gssEncRequestCode {
			c.mu.Lock()
			c.rawBytes++
			c.mu.Unlock()
		}
		if _, err := c.server.Write(msg); err != nil {
			return err
		}
		if code != sslRequestCode && code != gssEncRequestCode {
			if code == cancelRequestCode {
				_, _ = io.Copy(c.server, r)
				return io.EOF
			}
			return nil
		}
	}
}

// match tracks statements and portals and returns the armed cut, if any,
// that the client message msg of type typ triggers.
func (c *proxyConn) match(typ byte, msg []byte) *Cut {
	switch typ {
	case msgQuery:
		return c.p.take(cstrings(msg, 1)[0])
	case msgParse:
		s := cstrings(msg, 2)
		c.stmts[s[0]] = s[1]
	case msgBind:
		s := cstrings(msg, 2)
		c.portals[s[0]] = c.stmts[s[1]]
	case msgExecute:
		if sql, ok := c.portals[cstrings(msg, 1)[0]]; ok {
			return c.p.take(sql)
		}
	}
	return nil
}

// backend forwards server -> client, cutting at the first result byte of a
// pending statement.
func (c *proxyConn) backend() {
	defer c.p.wg.Done()
	defer c.close()
	r := bufio.NewReader(c.server)
	for {
		b, err := r.ReadByte()
		if err != nil {
			return
		}
		c.mu.Lock()
		if c.muted {
			c.mu.Unlock()
			return // the frontend is cutting the connection after its send
		}
		raw := c.rawBytes > 0
		if raw {
			c.rawBytes--
		}
		k := c.pending
		if k != nil && !raw && isResult(b) {
			c.pending = nil
		} else {
			k = nil
		}
		c.mu.Unlock()
		if k != nil {
			c.cut(k) // drop b and everything after it
			return
		}
		msg := []byte{b}
		if !raw {
			if msg, err = readBody(r, b); err != nil {
				return
			}
		}
		if _, err := c.client.Write(msg); err != nil {
			return
		}
	}
}

package proxy

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"sync"
	"time"
)

// backendKey is what BackendKeyData tells a client and what a
// CancelRequest sends back: the "process ID" (tally's connection id) and a
// random secret (protocol 3.0: four bytes).
type backendKey struct {
	pid    uint32
	secret uint32
}

// running is the cancel function of the statement a connection is
// executing, for a CancelRequest from another connection.
type running struct {
	mu     sync.Mutex
	cancel context.CancelFunc
	// timeout is the session's statement_timeout (0: none), set by the
	// connection's goroutine before each message (limits.go).
	timeout time.Duration
	// timedOut: the last statement started ran out of timeout; its 57014
	// then says so (errors.go). Used by the connection's goroutine only.
	timedOut bool
}

// start derives the context of one statement execution from ctx; done
// must be called when it returns.
func (r *running) start(ctx context.Context) (stmtCtx context.Context, done func()) {
	stmtCtx, cancel := context.WithCancel(ctx)
	if r.timeout > 0 {
		stmtCtx, cancel = context.WithTimeout(ctx, r.timeout)
	}
	r.timedOut = false
	r.mu.Lock()
	r.cancel = cancel
	r.mu.Unlock()
	return stmtCtx, func() {
		r.mu.Lock()
		r.cancel = nil
		r.mu.Unlock()
		r.timedOut = r.timeout > 0 && errors.Is(stmtCtx.Err(), context.DeadlineExceeded)
		cancel()
	}
}

// interrupt cancels the running statement, if any. A statement that
// already wrote may have been applied: tally reports such writes as 08007,
// never as cancelled.
func (r *running) interrupt() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cancel == nil {
		return false
	}
	r.cancel()
	return true
}

// keyRegistry maps the keys of live connections to them, so that a
// CancelRequest arriving on another connection can find its target.
type keyRegistry struct {
	mu   sync.Mutex
	byID map[backendKey]*conn
}

// newKeyRegistry returns an empty registry.
func newKeyRegistry() *keyRegistry {
	return &keyRegistry{byID: make(map[backendKey]*conn)}
}

// issue creates and records a key for c.
func (r *keyRegistry) issue(c *conn) backendKey {
	var b [4]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	k := backendKey{pid: c.id, secret: binary.BigEndian.Uint32(b[:])}
	r.mu.Lock()
	r.byID[k] = c
	r.mu.Unlock()
	return k
}

// remove forgets k.
func (r *keyRegistry) remove(k backendKey) {
	r.mu.Lock()
	delete(r.byID, k)
	r.mu.Unlock()
}

// lookup returns the connection holding k, or nil. A wrong secret finds
// nothing, which is what makes cancel keys safe to expose to clients.
func (r *keyRegistry) lookup(k backendKey) *conn {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.byID[k]
}

package proxy

import (
	"crypto/rand"
	"encoding/binary"
	"sync"
)

// backendKey is what BackendKeyData tells a client and what a
// CancelRequest sends back: the "process ID" (tally's connection id) and a
// random secret (protocol 3.0: four bytes).
type backendKey struct {
	pid    uint32
	secret uint32
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

package rewrite

import (
	"crypto/rand"
	"encoding/binary"
	"sync/atomic"
	"time"
)

// Clock hands out write timestamps in microseconds that never go backwards
// and never repeat within a process: max(wall clock, last + 1). Timestamps of
// different processes are ordered by their wall clocks, so the skew between
// tally hosts bounds how far "later" can be misjudged (NTP keeps it to
// milliseconds).
type Clock struct {
	last atomic.Int64
	node [6]byte // random per process, for transaction ids
	now  func() time.Time
}

// NewClock returns a clock reading the wall clock.
func NewClock() *Clock {
	c := &Clock{now: time.Now}
	_, _ = rand.Read(c.node[:])
	c.node[0] |= 0x01 // multicast bit: a random node id, per RFC 4122 §4.5
	return c
}

// Now returns the next timestamp.
func (c *Clock) Now() int64 {
	wall := c.now().UnixMicro()
	for {
		last := c.last.Load()
		next := wall
		if next <= last {
			next = last + 1
		}
		if c.last.CompareAndSwap(last, next) {
			return next
		}
	}
}

// TxID returns the time-based (version 1) UUID of the transaction stamped
// ts: its time is ts and its node is this process's, so ids are unique
// across processes.
func (c *Clock) TxID(ts int64) [16]byte {
	// 100 ns intervals since 1582-10-15.
	const gregorianOffset = 122192928000000000
	t := uint64(ts)*10 + gregorianOffset
	var u [16]byte
	binary.BigEndian.PutUint32(u[0:4], uint32(t))
	binary.BigEndian.PutUint16(u[4:6], uint16(t>>32))
	binary.BigEndian.PutUint16(u[6:8], uint16(t>>48)&0x0fff|0x1000)
	seq := uint16(ts) // low bits of ts; the node makes it unique across processes
	binary.BigEndian.PutUint16(u[8:10], seq&0x3fff|0x8000)
	copy(u[10:], c.node[:])
	return u
}

//go:build fault

package fault

import (
	"fmt"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"
)

type opKind int

const (
	opAdd  opKind = iota // an increment by 1
	opRead               // a read of the counter
)

// op is one completed operation of a workload, as Jepsen's counter test
// records them: when the client invoked it, when the outcome came back, and
// whether it was acknowledged.
type op struct {
	client           int
	kind             opKind
	row              int64  // the counter's primary key
	key              string // what counts at most once: the idempotency key, or a unique id per attempt without keys
	invoke, complete time.Time
	ok               bool   // acknowledged (adds: UPDATE 1; reads: a value came back)
	tag              string // the command tag, when ok
	class            string // error class, when not ok
	value            int64  // reads
	found            bool   // reads: the row exists
}

// history is every operation of one workload run.
type history struct {
	mu  sync.Mutex
	ops []op
}

func (h *history) add(o op) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ops = append(h.ops, o)
}

func (h *history) snapshot() []op {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.ops)
}

// bounds answers, for an instant t, how many distinct keys were surely
// counted by then (acknowledged before t) and how many may have been
// (invoked before t, whatever their outcome).
type bounds struct {
	firstAck    []time.Time // per acknowledged key, its first acknowledgement, sorted
	firstInvoke []time.Time // per key, its first invocation, sorted
}

func newBounds(ops []op) *bounds {
	ack, inv := map[string]time.Time{}, map[string]time.Time{}
	for _, o := range ops {
		if o.kind != opAdd {
			continue
		}
		if t, seen := inv[o.key]; !seen || o.invoke.Before(t) {
			inv[o.key] = o.invoke
		}
		if o.ok {
			if t, seen := ack[o.key]; !seen || o.complete.Before(t) {
				ack[o.key] = o.complete
			}
		}
	}
	b := &bounds{}
	for _, t := range ack {
		b.firstAck = append(b.firstAck, t)
	}
	for _, t := range inv {
		b.firstInvoke = append(b.firstInvoke, t)
	}
	less := func(a, b time.Time) int { return a.Compare(b) }
	slices.SortFunc(b.firstAck, less)
	slices.SortFunc(b.firstInvoke, less)
	return b
}

// countBefore is how many of the sorted times are before t.
func countBefore(sorted []time.Time, t time.Time) int {
	return sort.Search(len(sorted), func(i int) bool { return !sorted[i].Before(t) })
}

func (b *bounds) acked(before time.Time) int     { return countBefore(b.firstAck, before) }
func (b *bounds) attempted(before time.Time) int { return countBefore(b.firstInvoke, before) }
func (b *bounds) ackedKeys() int                 { return len(b.firstAck) }
func (b *bounds) keys() int                      { return len(b.firstInvoke) }

// checkReads checks every acknowledged read against Jepsen's counter bounds:
// the keys acknowledged before the read began <= value <= the keys invoked
// before it ended. It returns how many reads it checked and the violations.
func checkReads(ops []op) (checked int, violations []string) {
	b := newBounds(ops)
	for _, o := range ops {
		if o.kind != opRead || !o.ok {
			continue
		}
		checked++
		lo, hi := b.acked(o.invoke), b.attempted(o.complete)
		if !o.found {
			violations = append(violations, fmt.Sprintf("client %d read at %s: no row, want %d..%d",
				o.client, o.invoke.Format("15:04:05.000"), lo, hi))
			continue
		}
		if o.value < int64(lo) || o.value > int64(hi) {
			violations = append(violations, fmt.Sprintf("client %d read at %s: %d, want %d..%d",
				o.client, o.invoke.Format("15:04:05.000"), o.value, lo, hi))
		}
	}
	return checked, violations
}

// The checker itself, on a history small enough to work out by hand (no
// cluster needed: go test -tags fault -run TestCheckReads ./tests/fault).
func TestCheckReads(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	add := func(key string, inv, comp int, ok bool) op {
		return op{kind: opAdd, key: key, invoke: at(inv), complete: at(comp), ok: ok}
	}
	read := func(inv, comp int, v int64) op {
		return op{kind: opRead, invoke: at(inv), complete: at(comp), ok: true, found: true, value: v}
	}
	base := []op{
		add("a", 0, 1, true),   // surely counted from t=1
		add("b", 2, 5, false),  // may count from t=2
		add("c", 6, 7, false),  // a resend of c, acknowledged at 9:
		add("c", 8, 9, true),   // c counts once
		add("d", 10, 11, true), // invoked after every read below
	}
	for _, tc := range []struct {
		read op
		bad  bool
	}{
		{read(3, 4, 1), false}, // a acked; b may or may not count: 1..2
		{read(3, 4, 2), false},
		{read(3, 4, 0), true},    // a was acknowledged before the read: lost
		{read(3, 4, 3), true},    // only a and b were ever invoked: a double count
		{read(10, 10, 3), false}, // a and c acknowledged, b unknown, d not yet invoked: 2..3
		{read(10, 10, 2), false},
		{read(10, 10, 1), true}, // c's acknowledgement lost
		{read(10, 10, 4), true}, // c counted twice (or d before its invocation)
		{op{kind: opRead, invoke: at(3), complete: at(4), ok: true}, true}, // the row vanished
	} {
		checked, bad := checkReads(append(slices.Clone(base), tc.read))
		if checked != 1 || (len(bad) > 0) != tc.bad {
			t.Errorf("read %d at %v: checked %d, violations %v, want violation=%v",
				tc.read.value, tc.read.invoke.Sub(t0), checked, bad, tc.bad)
		}
	}
	b := newBounds(base)
	if b.keys() != 4 || b.ackedKeys() != 3 {
		t.Errorf("keys %d acked %d, want 4 and 3", b.keys(), b.ackedKeys())
	}
}

//go:build fault

package fault

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Figures of a workload run.
const (
	workloadClients = 16
	readShare       = 8                // one op in readShare is a read
	keyAttempts     = 30               // a client resends one key at most this often...
	keyTime         = 30 * time.Second // ...and this long, then leaves it to the settle phase
	settleTime      = 90 * time.Second // the settle phase resends every key left unresolved
)

// runDuration is the length of one nemesis run: FAULT_DURATION, default 60s.
func runDuration(t *testing.T) time.Duration {
	d := 60 * time.Second
	if v := os.Getenv("FAULT_DURATION"); v != "" {
		var err error
		if d, err = time.ParseDuration(v); err != nil {
			t.Fatalf("FAULT_DURATION: %v", err)
		}
	}
	return d
}

// workload is one run of the counter workload, after Jepsen's counter test:
// clients spread over both tallies add 1 to one counter or read it, while a
// nemesis kills Cassandra nodes and one tally.
type workload struct {
	s     *suite
	db    string
	keyed bool // each add carries a unique idempotency key and is resent until acknowledged

	h          history
	errs       counts
	resends    atomic.Int64
	wrongTags  atomic.Int64
	mu         sync.Mutex
	unresolved []string // keys given up on during the run
}

const (
	addSQL   = `UPDATE counters SET n = n + 1 WHERE id = $1`
	keyedSQL = `UPDATE counters SET n = n + 1 WHERE id = $1 /*idempotency_key='%s'*/`
	readSQL  = `SELECT n FROM counters WHERE id = $1`
)

func (w *workload) mode() string {
	if w.keyed {
		return modeExec // every keyed statement's text is new: don't prepare each one
	}
	return modePrepared
}

// run creates the counter, runs clients and nemesis for d, and, with keys,
// resends what was left unresolved once the cluster is whole again.
func (w *workload) run(t *testing.T, d time.Duration) *nemesis {
	admin := newClientAt(w.s.tallies[0].Addr, w.db, modePrepared, &counts{})
	defer admin.close()
	mustTag(t, admin, "CREATE TABLE", `CREATE TABLE counters (id bigint PRIMARY KEY, n bigint NOT NULL DEFAULT 0)`)
	mustTag(t, admin, "INSERT 0 1", `INSERT INTO counters (id) VALUES (1)`)

	nem := &nemesis{
		nodes: w.s.nodes, tally: w.s.tallies[1], order: []int{3, 2, 1},
		firstKill: 2 * time.Second, downFor: 10 * time.Second, gap: 2 * time.Second,
		tallyAt: d / 3, tallyDown: 3 * time.Second,
	}
	if w.keyed {
		nem.order = []int{1, 2, 3} // the two runs between them kill every node
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	runID := randomHex(3)
	var wg sync.WaitGroup
	for i := 0; i < workloadClients; i++ {
		c := newClient(i, w.s.tallies, w.db, w.mode(), &w.errs)
		wg.Go(func() {
			defer c.close()
			w.client(ctx, c, runID)
		})
	}
	wg.Go(func() { nem.run(ctx) })
	wg.Wait()
	for _, err := range nem.errs {
		t.Errorf("nemesis: %v", err)
	}
	if w.keyed {
		w.settle()
	}
	return nem
}

// client runs one client's operations until ctx ends.
func (w *workload) client(ctx context.Context, c *client, runID string) {
	for seq := 0; ctx.Err() == nil; seq++ {
		if rand.IntN(readShare) == 0 {
			w.h.add(w.read(c))
			continue
		}
		if !w.keyed {
			w.h.add(w.add(c, fmt.Sprintf("c%d-%d", c.id, seq), addSQL))
			continue
		}
		key := fmt.Sprintf("%s-c%d-%d", runID, c.id, seq)
		if !w.resend(ctx, c, key, keyAttempts, keyTime) {
			w.mu.Lock()
			w.unresolved = append(w.unresolved, key)
			w.mu.Unlock()
		}
	}
}

// resend sends key's add until acknowledged, at most attempts times and for
// d (and, with a live ctx, not past its end); it reports whether it was.
func (w *workload) resend(ctx context.Context, c *client, key string, attempts int, d time.Duration) bool {
	t0 := time.Now()
	for i := 0; ; i++ {
		if i > 0 {
			w.resends.Add(1)
		}
		o := w.add(c, key, fmt.Sprintf(keyedSQL, key))
		w.h.add(o)
		if o.ok {
			return true
		}
		if i+1 >= attempts || time.Since(t0) > d || ctx.Err() != nil {
			return false
		}
		time.Sleep(time.Duration(100+rand.IntN(200)) * time.Millisecond)
	}
}

// add sends one increment of counter 1 and records it.
func (w *workload) add(c *client, key, sql string) op {
	o := op{client: c.id, kind: opAdd, row: 1, key: key, invoke: time.Now()}
	tag, err := c.exec(sql, int64(1))
	o.complete, o.tag = time.Now(), tag
	switch {
	case err != nil:
		o.class = errClass(err)
	case tag != "UPDATE 1":
		// The counter always exists: anything else is wrong. Counted as
		// attempted, not acknowledged.
		w.wrongTags.Add(1)
		o.class = fmt.Sprintf("tag %q", tag)
		w.errs.inc(o.class)
	default:
		o.ok = true
	}
	return o
}

// read reads counter 1 and records it.
func (w *workload) read(c *client) op {
	o := op{client: c.id, kind: opRead, row: 1, invoke: time.Now()}
	v, found, _, err := c.value(readSQL, int64(1))
	o.complete, o.value, o.found, o.ok = time.Now(), v, found, err == nil
	if err != nil {
		o.class = errClass(err)
	}
	return o
}

// settle resends every key left unresolved, now that the nemesis is over.
func (w *workload) settle() {
	w.mu.Lock()
	keys := w.unresolved
	w.unresolved = nil
	w.mu.Unlock()
	if len(keys) > 0 {
		progress("settling %d unresolved keys", len(keys))
	}
	c := newClient(0, w.s.tallies, w.db, w.mode(), &w.errs)
	defer c.close()
	deadline := time.Now().Add(settleTime)
	for _, key := range keys {
		if !w.resend(context.Background(), c, key, 1000, time.Until(deadline)) {
			w.mu.Lock()
			w.unresolved = append(w.unresolved, key)
			w.mu.Unlock()
		}
	}
}

// final reads the counter once the run is over, recording the read.
func (w *workload) final(t *testing.T) int64 {
	c := newClient(0, w.s.tallies, w.db, modePrepared, &counts{})
	defer c.close()
	var o op
	if err := untilOK(time.Minute, func() error {
		o = w.read(c)
		if !o.ok {
			return fmt.Errorf("final read: %s", o.class)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	w.h.add(o)
	if !o.found {
		t.Fatal("final read: the counter's row is gone")
	}
	return o.value
}

// figures reports the run's operations and checks every read against
// Jepsen's bounds.
func (w *workload) figures(t *testing.T, r *report, nem *nemesis, d time.Duration) *bounds {
	ops := w.h.snapshot()
	reads, readsOK, adds, addsOK := 0, 0, 0, 0
	for _, o := range ops {
		switch {
		case o.kind == opRead:
			reads++
			if o.ok {
				readsOK++
			}
		default:
			adds++
			if o.ok {
				addsOK++
			}
		}
	}
	b := newBounds(ops)
	checked, bad := checkReads(ops)
	r.add("ops", "%d clients over 2 tallies for %s: %d ops (%.0f/s): %d adds (%d acknowledged), %d reads (%d answered)",
		workloadClients, d, len(ops), float64(len(ops))/d.Seconds(), adds, addsOK, reads, readsOK)
	if w.keyed {
		r.add("keys", "%d distinct, %d acknowledged; %d resends; %d unresolved after settling", b.keys(), b.ackedKeys(), w.resends.Load(), len(w.unresolved))
	}
	r.add("errors", "%s (wrong tags: %d)", &w.errs, w.wrongTags.Load())
	r.add("faults", "%s", nem.summary())
	r.add("reads", "%d checked against acked-before ≤ value ≤ attempted-before: %d violations", checked, len(bad))
	for i, v := range bad {
		if i == 5 {
			t.Errorf("... and %d more read violations", len(bad)-5)
			break
		}
		t.Errorf("read outside Jepsen's bounds: %s", v)
	}
	if n := w.wrongTags.Load(); n > 0 {
		t.Errorf("%d increments of an existing row answered a tag other than UPDATE 1", n)
	}
	return b
}

// testCounterBounds: no keys, no resends. Every read, and the final value,
// must lie within acknowledged ≤ value ≤ attempted.
func testCounterBounds(t *testing.T, s *suite) {
	r := s.newReport(t, "CounterBounds: counter workload with a nemesis, no keys, no resends")
	d := runDuration(t)
	w := &workload{s: s, db: database("bounds")}
	nem := w.run(t, d)
	v := w.final(t)
	b := w.figures(t, r, nem, d)
	r.add("final", "%d; bounds %d (acknowledged) ≤ value ≤ %d (attempted)", v, b.ackedKeys(), b.keys())
	if v < int64(b.ackedKeys()) || v > int64(b.keys()) {
		t.Errorf("final value %d outside %d..%d", v, b.ackedKeys(), b.keys())
	}
	s.verify(t, r, w.db, "counters", "1")
}

// testCounterExact: every add carries a unique idempotency key and is resent
// until acknowledged. The final value must equal the number of distinct
// acknowledged keys, exactly.
func testCounterExact(t *testing.T, s *suite) {
	r := s.newReport(t, "CounterExact: counter workload with a nemesis, idempotency keys, resends")
	d := runDuration(t)
	w := &workload{s: s, db: database("exact"), keyed: true}
	nem := w.run(t, d)
	v := w.final(t)
	b := w.figures(t, r, nem, d)
	r.add("final", "%d; expected %d (distinct acknowledged keys); difference %+d", v, b.ackedKeys(), v-int64(b.ackedKeys()))
	if len(w.unresolved) > 0 {
		t.Errorf("%d keys never acknowledged, even after the cluster healed (first: %s)", len(w.unresolved), w.unresolved[0])
	}
	if v != int64(b.ackedKeys()) {
		t.Errorf("final value %d, want exactly %d (distinct acknowledged keys)", v, b.ackedKeys())
	}
	s.verify(t, r, w.db, "counters", "1")
}

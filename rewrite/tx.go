package rewrite

import (
	"context"
	"fmt"

	"github.com/tally-db/tally/catalog"
	"github.com/tally-db/tally/pgerr"
)

// MaxTxStatements bounds the writes one transaction may buffer: they are
// committed in one logged batch, and Cassandra refuses batches over 50 KiB.
const MaxTxStatements = 100

// Tx is an open BEGIN ... COMMIT block. Its writes are buffered, and
// committed together in one logged batch: all or nothing, and a retried
// batch writes the same cells again. Every statement in it has its own
// timestamp (so a set then an increment of the same counter keep their
// order) and shares the transaction's id. Reads inside the transaction see
// its writes through an overlay on what Cassandra returns.
type Tx struct {
	txid    [16]byte
	writes  []Stmt
	n       int                    // statements buffered
	overlay map[string][]rowChange // by table ID and key, in statement order
	saved   []savepoint            // open savepoints, oldest first
}

// savepoint is how much of the buffer existed when it was set: rolling
// back to it cuts the buffer and the overlay back to that.
type savepoint struct {
	name    string
	writes  int
	n       int
	overlay map[string]int
}

// rowChange is what one statement did to one row.
type rowChange struct {
	ts     int64
	insert []any      // the inserted row, or nil
	delete bool       // the row was deleted
	sets   []colValue // absolute sets
	adds   []colValue // increments
}

// Begin opens a transaction.
func (e *Env) Begin() {
	ts := e.Clock.Now()
	e.tx = &Tx{txid: e.Clock.TxID(ts), overlay: map[string][]rowChange{}}
}

// InTx reports whether a transaction is open.
func (e *Env) InTx() bool { return e.tx != nil }

// Rollback discards the open transaction.
func (e *Env) Rollback() { e.tx = nil }

// Savepoint marks the buffer under name (SAVEPOINT); names may repeat,
// the newest wins.
func (e *Env) Savepoint(name string) {
	sp := savepoint{name: name, writes: len(e.tx.writes), n: e.tx.n, overlay: make(map[string]int, len(e.tx.overlay))}
	for id, chs := range e.tx.overlay {
		sp.overlay[id] = len(chs)
	}
	e.tx.saved = append(e.tx.saved, sp)
}

// findSavepoint returns the position of the newest savepoint named name.
func (e *Env) findSavepoint(name string) (int, error) {
	for i := len(e.tx.saved) - 1; i >= 0; i-- {
		if e.tx.saved[i].name == name {
			return i, nil
		}
	}
	return 0, pgerr.New("3B001", "savepoint %q does not exist", name)
}

// Release forgets the savepoint named name and every later one (RELEASE);
// their writes stay in the transaction.
func (e *Env) Release(name string) error {
	i, err := e.findSavepoint(name)
	if err != nil {
		return err
	}
	e.tx.saved = e.tx.saved[:i]
	return nil
}

// RollbackTo discards what the transaction buffered since the savepoint
// named name, which stays set (ROLLBACK TO).
func (e *Env) RollbackTo(name string) error {
	i, err := e.findSavepoint(name)
	if err != nil {
		return err
	}
	sp := e.tx.saved[i]
	e.tx.saved = e.tx.saved[:i+1]
	e.tx.writes = e.tx.writes[:sp.writes]
	e.tx.n = sp.n
	for id, chs := range e.tx.overlay {
		if keep, ok := sp.overlay[id]; ok {
			e.tx.overlay[id] = chs[:keep]
		} else {
			delete(e.tx.overlay, id)
		}
	}
	return nil
}

// Commit writes the transaction's buffered writes in one logged batch.
func (e *Env) Commit(ctx context.Context) error {
	tx := e.tx
	e.tx = nil
	if tx == nil || len(tx.writes) == 0 {
		return nil
	}
	ctx, cancel := e.writeDeadline(ctx)
	defer cancel()
	if err := e.Store.Batch(ctx, tx.writes); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// writeDeadline bounds a write, retries included, to half the settle
// window: a write still in flight when a rollup folds its timestamp could
// be lost, so tally gives up on it first and reports 08007.
func (e *Env) writeDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if e.Options.Settle <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, e.Options.Settle/2)
}

// Limits of what one statement (or one transaction) may write, below
// Cassandra's: a batch over batch_size_fail_threshold (50 KiB) and a
// message over native_transport_max_message_size (4 MiB here) are refused.
const (
	maxBatchBytes = 40 << 10
	maxWriteBytes = 2 << 20
)

// checkSize refuses writes Cassandra would refuse, with 54000.
func checkSize(writes []Stmt) error {
	total := 0
	for _, w := range writes {
		for _, a := range w.Args {
			switch v := a.(type) {
			case string:
				total += len(v)
			case []byte:
				total += len(v)
			default:
				total += 8
			}
		}
	}
	switch {
	case total > maxWriteBytes:
		return pgerr.New(pgerr.ProgramLimitExceeded, "a statement may write at most %d bytes at once (this one: %d)", maxWriteBytes, total)
	case len(writes) > 1 && total > maxBatchBytes:
		return pgerr.New(pgerr.ProgramLimitExceeded,
			"a statement or transaction writing several rows may write at most %d bytes (this one: %d)", maxBatchBytes, total).
			WithHint("Rows written together go in one atomic Cassandra batch; write fewer rows per statement.")
	}
	return nil
}

// write applies writes now, or buffers them in the open transaction.
func (e *Env) write(ctx context.Context, writes []Stmt) error {
	if err := checkSize(writes); err != nil {
		return err
	}
	if e.tx != nil {
		if err := checkSize(append(append([]Stmt(nil), e.tx.writes...), writes...)); err != nil {
			return err
		}
	}
	if e.tx == nil {
		ctx, cancel := e.writeDeadline(ctx)
		defer cancel()
		return e.Store.Batch(ctx, writes)
	}
	if e.tx.n >= MaxTxStatements {
		return pgerr.New(pgerr.ProgramLimitExceeded, "a transaction may buffer at most %d writing statements", MaxTxStatements)
	}
	e.tx.n++
	e.tx.writes = append(e.tx.writes, writes...)
	return nil
}

// record notes a statement's change to a row for reads in the transaction.
func (e *Env) record(t *catalog.Table, key []any, ch rowChange) {
	if e.tx == nil {
		return
	}
	id := overlayID(t, key)
	e.tx.overlay[id] = append(e.tx.overlay[id], ch)
}

func overlayID(t *catalog.Table, key []any) string { return fmt.Sprintf("%s|%#v", t.ID, key) }

// overlayRow applies the transaction's changes to a row read from Cassandra.
func (e *Env) overlayRow(t *catalog.Table, key []any, r rowState) rowState {
	if e.tx == nil {
		return r
	}
	for _, ch := range e.tx.overlay[overlayID(t, key)] {
		switch {
		case ch.delete:
			r = rowState{}
		case ch.insert != nil:
			r = rowState{live: true, values: append([]any(nil), ch.insert...)}
		case r.live:
			r.values = append([]any(nil), r.values...)
			for _, s := range ch.sets {
				r.values[s.col.Num-1] = s.v
			}
			for _, a := range ch.adds {
				if cur, ok := r.values[a.col.Num-1].(int64); ok {
					r.values[a.col.Num-1] = cur + a.v.(int64)
				}
			}
		}
	}
	return r
}

// overlayLive applies the transaction's inserts and deletes to markers.
func (e *Env) overlayLive(t *catalog.Table, key []any, l liveness) liveness {
	if e.tx == nil {
		return l
	}
	for _, ch := range e.tx.overlay[overlayID(t, key)] {
		switch {
		case ch.delete:
			l.deleted = ch.ts
		case ch.insert != nil:
			l.born = ch.ts
		}
	}
	return l
}

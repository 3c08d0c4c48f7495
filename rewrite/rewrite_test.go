package rewrite

import (
	"context"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tally-db/tally/catalog"
	"github.com/tally-db/tally/pgerr"
	"github.com/tally-db/tally/sqltypes"
)

// recorder is a Store that knows one table, reads no rows, and records
// every write in order.
type recorder struct {
	table  *catalog.Table
	mu     sync.Mutex
	writes []Stmt
	base   [][]any // what base-row reads return
}

func (r *recorder) Exec(_ context.Context, st Stmt) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writes = append(r.writes, st)
	return nil
}

func (r *recorder) Batch(ctx context.Context, sts []Stmt) error {
	for _, st := range sts {
		_ = r.Exec(ctx, st)
	}
	return nil
}

func (r *recorder) Query(_ context.Context, st Stmt) ([][]any, error) {
	switch {
	case strings.Contains(st.CQL, "system_schema.tables"):
		return [][]any{{"tally_catalog"}}, nil
	case strings.Contains(st.CQL, "tally_catalog"):
		def, _ := r.table.Marshal()
		return [][]any{{r.table.Name, def, nil}}, nil
	case strings.Contains(st.CQL, "tally_born"):
		return r.base, nil
	}
	return nil, nil
}

func (r *recorder) CAS(context.Context, Stmt) (bool, map[string]any, error) {
	return true, nil, nil
}
func (r *recorder) Schema(context.Context, string) error { return nil }

func postsTable() *catalog.Table {
	return &catalog.Table{Name: "posts", ID: "x1", Shards: 4, PrimaryKey: []int{0}, Columns: []*catalog.Column{
		{Name: "post_id", Type: sqltypes.Int8, Num: 1},
		{Name: "title", Type: sqltypes.Text, Num: 2},
		{Name: "likes", Type: sqltypes.Int8, Num: 3},
	}}
}

func testEnv(store Store) *Env {
	c := NewClock()
	c.now = func() time.Time { return time.UnixMicro(1_000_000) }
	return &Env{Store: store, Clock: c, Catalog: NewCatalog(time.Hour), Keyspace: "ks",
		Info: &SessionInfo{}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

// An increment is exactly one delta row keyed by the statement's timestamp
// and transaction id, written with that timestamp: writing it again
// changes nothing.
func TestIncrementWritesOneKeyedDelta(t *testing.T) {
	t.Parallel()
	rec := &recorder{table: postsTable(), base: [][]any{{int64(1), nil}}} // a live row
	env := testEnv(rec)
	likes := rec.table.Columns[2]
	op := &Update{
		Table: rec.table,
		Keys:  [][]Expr{{&Param{Index: 0, Typ: sqltypes.Int8}}},
		Adds:  []Assign{{Col: likes, Expr: &Const{Value: int64(3), Typ: sqltypes.Int8}}},
	}
	res, err := op.Execute(context.Background(), env, []any{int64(42)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Tag != "UPDATE 1" {
		t.Errorf("tag %q", res.Tag)
	}
	const ts = 1_000_000
	want := []Stmt{{
		CQL:       `INSERT INTO "ks".d_posts_x1 (c1_post_id, shard, ts, txid, c3_likes) VALUES (?, ?, ?, ?, ?) USING TIMESTAMP ?`,
		Args:      []any{int64(42), int(ts % 4), int64(ts), env.Clock.TxID(ts), int64(3), int64(ts)},
		Timestamp: ts,
	}}
	if !reflect.DeepEqual(rec.writes, want) {
		t.Fatalf("writes:\n got  %v\n want %v", rec.writes, want)
	}
}

// A DELETE writes the marker as a live cell stamped with its time, then
// range-deletes the old deltas of every shard.
func TestDeleteWritesMarker(t *testing.T) {
	t.Parallel()
	rec := &recorder{table: postsTable()}
	env := testEnv(rec)
	op := &Delete{Table: rec.table, Keys: [][]Expr{{&Const{Value: int64(7), Typ: sqltypes.Int8}}}}
	if _, err := op.Execute(context.Background(), env, nil); err != nil {
		t.Fatal(err)
	}
	const ts = 1_000_000
	if len(rec.writes) != 1+4 {
		t.Fatalf("writes: %v", rec.writes)
	}
	marker := Stmt{CQL: `UPDATE "ks".t_posts_x1 USING TIMESTAMP ? SET tally_deleted = ? WHERE c1_post_id = ?`, Args: []any{int64(ts), int64(ts), int64(7)}, Timestamp: ts}
	if !reflect.DeepEqual(rec.writes[0], marker) {
		t.Fatalf("marker:\n got  %v\n want %v", rec.writes[0], marker)
	}
	for shard := 0; shard < 4; shard++ {
		got := rec.writes[1+shard]
		if !strings.HasPrefix(got.CQL, `DELETE FROM "ks".d_posts_x1 USING TIMESTAMP ? WHERE c1_post_id = ? AND shard = ? AND ts <= ?`) ||
			!reflect.DeepEqual(got.Args, []any{int64(ts), int64(7), shard, int64(ts)}) || got.Timestamp != ts {
			t.Errorf("cleanup %d: %v", shard, got)
		}
	}
}

// assemble: the visibility rules of the package doc.
func TestAssembleVisibility(t *testing.T) {
	t.Parallel()
	tbl := postsTable()
	key := []any{int64(1)}
	// born 100, deleted 50; title written at 100; likes base 10 written at 120.
	base := [][]any{{int64(100), int64(50), "hi", int64(100), int64(10), int64(120)}}
	deltas := []shardState{{sums: []int64{0}, afters: []int64{0}, deltas: []delta{
		{90, []any{int64(1000)}}, // before the base: not counted
		{121, []any{int64(1)}},
		{130, []any{int64(2)}},
		{140, []any{nil}}, // a delta of another counter
	}}}
	must := func(r rowState, err error) rowState {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	r := must(assemble(tbl, key, base, deltas, latest))
	if !r.live || r.values[1] != "hi" || r.values[2] != int64(13) {
		t.Fatalf("got %+v", r)
	}
	if r := must(assemble(tbl, key, base, deltas, 125)); r.values[2] != int64(11) {
		t.Fatalf("as of 125: %+v", r)
	}
	deleted := [][]any{{int64(100), int64(150), "hi", int64(100), int64(10), int64(120)}}
	if r := must(assemble(tbl, key, deleted, deltas, latest)); r.live {
		t.Fatalf("deleted row is live: %+v", r)
	}
	// A value written before the row was (re)born is not visible.
	stale := [][]any{{int64(200), int64(150), "old", int64(100), int64(10), int64(120)}}
	if r := must(assemble(tbl, key, stale, deltas, latest)); !r.live || r.values[1] != nil || r.values[2] != nil {
		t.Fatalf("stale cells visible: %+v", r)
	}
	tbl.TruncatedAt = 100
	if r := must(assemble(tbl, key, base, deltas, latest)); r.live {
		t.Fatalf("truncated row is live: %+v", r)
	}
	tbl.TruncatedAt = 0
	// Increments past the type's range fail to read (22003), never wrap.
	big := []shardState{{sums: []int64{0}, afters: []int64{0}, deltas: []delta{{121, []any{int64(9223372036854775807)}}}}}
	if _, err := assemble(tbl, key, base, big, latest); pgerr.CodeOf(err) != pgerr.NumericValueOutOfRange {
		t.Fatalf("overflow: err = %v", err)
	}
}

func TestClockNeverRepeats(t *testing.T) {
	t.Parallel()
	c := NewClock()
	c.now = func() time.Time { return time.UnixMicro(5) } // a stuck wall clock
	a, b := c.Now(), c.Now()
	if b <= a {
		t.Fatalf("%d then %d", a, b)
	}
	if c.TxID(a) == c.TxID(b) {
		t.Fatal("equal transaction ids")
	}
}

// A snapshot counts when it was summed against the current base, and the
// deltas it folded never count twice.
func TestSumDeltasWithSnapshots(t *testing.T) {
	t.Parallel()
	shards := []shardState{
		{through: 200, sums: []int64{50}, afters: []int64{120}, deltas: []delta{{210, []any{int64(1)}}}},
		{through: 150, sums: []int64{7}, afters: []int64{120}, deltas: []delta{{160, []any{int64(2)}}, {300, []any{int64(4)}}}},
		{deltas: []delta{{130, []any{int64(8)}}}}, // never rolled up
	}
	if got := sumDeltas(shards, 0, 120, latest).Int64(); got != 50+1+7+2+4+8 {
		t.Fatalf("base at 120: %d", got)
	}
	// A newer absolute set at 250: only deltas after it count.
	if got := sumDeltas(shards, 0, 250, latest).Int64(); got != 4 {
		t.Fatalf("base at 250: %d", got)
	}
	if got := sumDeltas(shards, 0, 120, 205).Int64(); got != 50+7+2+8 {
		t.Fatalf("as of 205: %d", got)
	}
}

// RollUp folds only settled deltas, against the base's write time, and
// writes the snapshot and the range delete in one batch stamped upTo.
func TestRollUpWritesOneBatch(t *testing.T) {
	t.Parallel()
	tbl := postsTable()
	st := &rollupStore{
		base:   [][]any{{int64(100), int64(120)}},
		deltas: [][]any{{0, nil, nil, nil, int64(110), int64(9)}, {0, nil, nil, nil, int64(130), int64(1)}, {0, nil, nil, nil, int64(140), int64(2)}, {0, nil, nil, nil, int64(500), int64(4)}},
	}
	if err := RollUp(context.Background(), st, "ks", tbl, []any{int64(1)}, 0, 200); err != nil {
		t.Fatal(err)
	}
	if len(st.batches) != 1 || len(st.batches[0]) != 2 {
		t.Fatalf("batches: %v", st.batches)
	}
	snap, fold := st.batches[0][0], st.batches[0][1]
	wantSnap := []any{int64(200), int64(200), int64(3), int64(120), int64(1), 0}
	if !reflect.DeepEqual(snap.Args, wantSnap) || !strings.Contains(snap.CQL, "SET s_through = ?, s_c3_likes = ?, a_c3_likes = ?") {
		t.Fatalf("snapshot: %v", snap)
	}
	if !reflect.DeepEqual(fold.Args, []any{int64(200), int64(1), 0, int64(200)}) {
		t.Fatalf("fold: %v", fold)
	}
}

type rollupStore struct {
	recorder
	base, deltas [][]any
	batches      [][]Stmt
}

func (r *rollupStore) Query(_ context.Context, st Stmt) ([][]any, error) {
	if strings.Contains(st.CQL, "WRITETIME") {
		return r.base, nil
	}
	return r.deltas, nil
}

func (r *rollupStore) Batch(_ context.Context, sts []Stmt) error {
	r.batches = append(r.batches, sts)
	return nil
}

// An increment of a missing row answers UPDATE 0 and deletes its own
// delta row just after writing it, so a racing INSERT can't reveal it.
func TestIncrementOfMissingRowIsCancelled(t *testing.T) {
	t.Parallel()
	rec := &recorder{table: postsTable()}
	env := testEnv(rec)
	op := &Update{
		Table: rec.table,
		Keys:  [][]Expr{{&Const{Value: int64(9), Typ: sqltypes.Int8}}},
		Adds:  []Assign{{Col: rec.table.Columns[2], Expr: &Const{Value: int64(1), Typ: sqltypes.Int8}}},
	}
	res, err := op.Execute(context.Background(), env, nil)
	if err != nil || res.Tag != "UPDATE 0" {
		t.Fatalf("%v %v", res, err)
	}
	const ts = 1_000_000
	if len(rec.writes) != 2 {
		t.Fatalf("writes: %v", rec.writes)
	}
	cancel := rec.writes[1]
	want := []any{int64(ts + 1), int64(9), int(ts % 4), int64(ts), env.Clock.TxID(ts)}
	if !strings.HasPrefix(cancel.CQL, `DELETE FROM "ks".d_posts_x1 USING TIMESTAMP ?`) || !reflect.DeepEqual(cancel.Args, want) {
		t.Fatalf("cancel: %v", cancel)
	}
}

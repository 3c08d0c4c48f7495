package rewrite

import (
	"fmt"
	"math/big"
	"strings"

	"github.com/tally-db/tally/catalog"
	"github.com/tally-db/tally/pgerr"
)

// A counter's deltas live in the delta table, spread over shards (delta
// partitions) so one hot row does not load one partition. Each shard
// partition holds, besides its delta rows, a snapshot in static columns:
//
//	s_through          every delta with ts <= s_through is folded in
//	s_<col>, a_<col>   the sum of the folded deltas of col whose ts is
//	                   after a_<col>, the base cell's write time they
//	                   were summed against
//
// A rollup (rollup.go) writes a new snapshot and range-deletes the deltas
// it folded in one single-partition batch, which Cassandra applies
// atomically and in isolation, so a reader sees either the old snapshot
// and all the deltas after it or the new one and the deltas after that.

// shardState is what one delta partition holds.
type shardState struct {
	shard   int
	through int64
	sums    []int64 // per counter column: the snapshot's sum
	afters  []int64 // per counter column: the base write time it assumed
	deltas  []delta
}

// delta is one delta row: its timestamp and a value per counter (nil for
// counters it does not change).
type delta struct {
	ts   int64
	vals []any
}

// deltaRead selects every shard's snapshot and deltas.
func deltaRead(ks string, t *catalog.Table, key []any) Stmt {
	var b strings.Builder
	b.WriteString("SELECT shard, s_through")
	for _, c := range t.Counters() {
		fmt.Fprintf(&b, ", s_%s, a_%s", c.CQLName(), c.CQLName())
	}
	b.WriteString(", ts")
	for _, c := range t.Counters() {
		b.WriteString(", " + c.CQLName())
	}
	fmt.Fprintf(&b, " FROM %s.%s WHERE %s AND shard IN (%s)", quoteIdent(ks), t.DeltaTable(), keyWhere(t), shardList(t.Shards))
	return Stmt{CQL: b.String(), Args: cqlKey(t, key)}
}

// parseShards groups the rows of deltaRead by shard.
func parseShards(t *catalog.Table, rows [][]any) []shardState {
	n := len(t.Counters())
	var out []shardState
	for _, r := range rows {
		shard, _ := r[0].(int)
		if len(out) == 0 || out[len(out)-1].shard != shard {
			s := shardState{shard: shard, sums: make([]int64, n), afters: make([]int64, n)}
			s.through, _ = r[1].(int64)
			for j := 0; j < n; j++ {
				s.sums[j], _ = r[2+2*j].(int64)
				s.afters[j], _ = r[3+2*j].(int64)
			}
			out = append(out, s)
		}
		if ts, ok := r[2+2*n].(int64); ok { // nil when the partition has statics only
			out[len(out)-1].deltas = append(out[len(out)-1].deltas, delta{ts: ts, vals: r[3+2*n:]})
		}
	}
	return out
}

// sumDeltas is what counter j gains over its base cell written at w, as
// of asOf: each shard's snapshot when it was summed against that same base,
// plus the deltas after both the base and the snapshot.
// The sum is big enough for any int64 sum; addCounter checks the result.
func sumDeltas(shards []shardState, j int, w, asOf int64) *big.Int {
	sum := new(big.Int)
	for _, s := range shards {
		lower := max(w, s.through)
		if s.through > 0 && s.afters[j] == w {
			sum.Add(sum, big.NewInt(s.sums[j]))
		}
		for _, d := range s.deltas {
			if v, ok := d.vals[j].(int64); ok && d.ts > lower && d.ts <= asOf {
				sum.Add(sum, big.NewInt(v))
			}
		}
	}
	return sum
}

// addCounter is base + deltas, or 22003 when it leaves the column's type:
// increments are written blind, so an overflow shows when the value is read.
func addCounter(c *catalog.Column, base int64, deltas *big.Int) (int64, error) {
	v := deltas.Add(deltas, big.NewInt(base))
	if !v.IsInt64() {
		return 0, pgerr.New(pgerr.NumericValueOutOfRange, "bigint out of range").
			WithDetail("The increments of column %q add up past the range of its type.", c.Name)
	}
	return v.Int64(), checkIntRange(v.Int64(), c.Type)
}

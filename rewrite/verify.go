package rewrite

import (
	"context"
	"fmt"
	"math/big"
	"reflect"
	"strings"
	"time"

	"github.com/tally-db/tally/catalog"
	"github.com/tally-db/tally/pgerr"
	"github.com/tally-db/tally/sqltypes"
)

// Diff is one row where the raw data and a read disagree.
type Diff struct {
	Key      []any
	Expected rowState // recomputed from the raw cells
	Got      rowState // what a SELECT reads
}

func (d Diff) String() string {
	return fmt.Sprintf("key %v: raw data gives %s, SELECT gives %s", d.Key, d.Expected, d.Got)
}

func (r rowState) String() string {
	if !r.live {
		return "no row"
	}
	return fmt.Sprint(r.values)
}

// VerifyReport is what Verify found.
type VerifyReport struct {
	Rows  int // keys checked
	Live  int // of which live
	Diffs []Diff
}

// Verify recomputes rows of a table from the raw markers, cells, snapshots
// and deltas — read through raw, ideally at consistency ALL — with code of
// its own, and compares each with what a SELECT returns through env. keys
// are primary keys in text form; none means every row of the table.
func Verify(ctx context.Context, env *Env, raw Store, table string, keys [][]string) (*VerifyReport, error) {
	t, err := env.Catalog.Table(ctx, env.Store, env.Keyspace, table)
	if err != nil {
		return nil, err
	}
	if t == nil {
		return nil, errUndefinedTable(table)
	}
	var ks [][]any
	if len(keys) == 0 {
		if ks, err = allKeys(ctx, raw, env.Keyspace, t); err != nil {
			return nil, err
		}
	}
	for _, k := range keys {
		key, err := parseKey(t, k)
		if err != nil {
			return nil, err
		}
		ks = append(ks, key)
	}
	rep := &VerifyReport{}
	for _, key := range ks {
		want, err := recompute(ctx, raw, env.Keyspace, t, key)
		if err != nil {
			return nil, err
		}
		got, err := readRow(ctx, env, t, key, latest)
		if err != nil {
			return nil, err
		}
		rep.Rows++
		if want.live {
			rep.Live++
		}
		if want.live != got.live || !reflect.DeepEqual(want.values, got.values) {
			rep.Diffs = append(rep.Diffs, Diff{Key: key, Expected: want, Got: got})
		}
	}
	return rep, nil
}

func parseKey(t *catalog.Table, parts []string) ([]any, error) {
	cols := t.KeyColumns()
	if len(parts) != len(cols) {
		return nil, pgerr.New(pgerr.InvalidParameterValue, "key %v: table %s has %d key columns", parts, t.Name, len(cols))
	}
	key := make([]any, len(cols))
	for i, c := range cols {
		v, err := sqltypes.DecodeText(c.Type, parts[i])
		if err != nil {
			return nil, err
		}
		key[i] = v
	}
	return key, nil
}

// allKeys lists every key of the base table (live or deleted).
func allKeys(ctx context.Context, s Store, ks string, t *catalog.Table) ([][]any, error) {
	var names []string
	for _, c := range t.KeyColumns() {
		names = append(names, c.CQLName())
	}
	rows, err := s.Query(ctx, Stmt{CQL: fmt.Sprintf("SELECT %s FROM %s.%s", strings.Join(names, ", "), quoteIdent(ks), t.BaseTable())})
	if err != nil {
		return nil, err
	}
	out := make([][]any, len(rows))
	for i, r := range rows {
		out[i] = make([]any, len(r))
		for j, c := range t.KeyColumns() {
			out[i][j] = fromCQL(c, r[j])
		}
	}
	return out, nil
}

// recompute rebuilds one row from raw cells: the definition of a row's
// value, written out plainly and separately from the read path.
func recompute(ctx context.Context, s Store, ks string, t *catalog.Table, key []any) (rowState, error) {
	base, err := s.Query(ctx, baseRead(ks, t, key))
	if err != nil || len(base) == 0 {
		return rowState{}, err
	}
	r := base[0]
	born, _ := r[0].(int64)
	deleted, _ := r[1].(int64)
	if born == 0 || born <= deleted || born <= t.TruncatedAt {
		return rowState{}, nil
	}
	values := make([]any, len(t.Columns))
	for i, k := range t.PrimaryKey {
		values[k] = key[i]
	}
	for i, c := range t.ValueColumns() {
		v := r[2+2*i]
		w, ok := r[3+2*i].(int64)
		if v == nil || !ok || w < born {
			continue
		}
		if t.IsCounter(c) {
			total := big.NewInt(v.(int64))
			for shard := 0; shard < t.Shards; shard++ {
				part, err := shardRaw(ctx, s, ks, t, key, shard, c)
				if err != nil {
					return rowState{}, err
				}
				total.Add(total, part.value(w))
			}
			n, err := addCounter(c, 0, total)
			if err != nil {
				return rowState{}, err
			}
			v = n
		}
		values[c.Num-1] = fromCQL(c, v)
	}
	return rowState{live: true, values: values}, nil
}

// rawShard is one shard partition's cells for one counter column.
type rawShard struct {
	through, sum, after int64
	deltas              map[int64]int64 // ts -> sum of the deltas at ts
}

// value is what the shard adds to a base cell written at w.
func (p rawShard) value(w int64) *big.Int {
	total := new(big.Int)
	if p.through > 0 && p.after == w {
		total.SetInt64(p.sum)
	}
	for ts, d := range p.deltas {
		if ts > w && ts > p.through {
			total.Add(total, big.NewInt(d))
		}
	}
	return total
}

func shardRaw(ctx context.Context, s Store, ks string, t *catalog.Table, key []any, shard int, c *catalog.Column) (rawShard, error) {
	name := c.CQLName()
	rows, err := s.Query(ctx, Stmt{
		CQL: fmt.Sprintf("SELECT s_through, s_%s, a_%s, ts, %s FROM %s.%s WHERE %s AND shard = ?",
			name, name, name, quoteIdent(ks), t.DeltaTable(), keyWhere(t)),
		Args: append(cqlKey(t, key), shard),
	})
	p := rawShard{deltas: map[int64]int64{}}
	if err != nil {
		return p, err
	}
	for _, r := range rows {
		p.through, _ = r[0].(int64)
		p.sum, _ = r[1].(int64)
		p.after, _ = r[2].(int64)
		if ts, ok := r[3].(int64); ok {
			d, _ := r[4].(int64)
			p.deltas[ts] += d
		}
	}
	return p, nil
}

// VerifyEnv is an Env for Verify outside a client session.
func VerifyEnv(store Store, keyspace string) *Env {
	return &Env{Store: store, Clock: NewClock(), Catalog: NewCatalog(time.Second), Keyspace: keyspace, Info: &SessionInfo{}}
}

package rewrite

import (
	"context"
	"fmt"
	"sync"

	"github.com/tally-db/tally/catalog"
	"github.com/tally-db/tally/pgerr"
	"github.com/tally-db/tally/sqltypes"
)

// seqTable holds, per keyspace, the next free value of each sequence (the
// nextval default of serial and identity columns). Its rows are written
// only with lightweight transactions: two tally processes never hand out
// the same value.
const seqTable = "tally_sequences"

// seqBlock is how many values one process claims per lightweight
// transaction, like a Postgres sequence's CACHE: values are unique and
// increase within one process, but two processes interleave, and values a
// process claimed and did not use before it stopped are skipped.
const seqBlock = 16

// sequences caches each sequence's claimed block, per process.
type sequences struct {
	mu     sync.Mutex
	blocks map[string]*seqRange
	ready  sync.Map // keyspaces whose sequence table exists
}

type seqRange struct {
	mu       sync.Mutex
	next, hi int64 // values next..hi-1 are claimed and unused
}

func (s *sequences) block(name string) *seqRange {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.blocks == nil {
		s.blocks = map[string]*seqRange{}
	}
	b := s.blocks[name]
	if b == nil {
		b = &seqRange{}
		s.blocks[name] = b
	}
	return b
}

// nextval returns the next value of column c's sequence. The sequence is
// keyed by the table's id, so a table dropped and created again starts
// from 1.
func (env *Env) nextval(ctx context.Context, t *catalog.Table, c *catalog.Column) (int64, error) {
	key := t.ID + "." + c.Default.Seq
	b := env.Catalog.seqs.block(env.Keyspace + "." + key)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.next >= b.hi {
		lo, err := claimBlock(ctx, env, key)
		if err != nil {
			return 0, err
		}
		b.next, b.hi = lo, lo+seqBlock
	}
	v := b.next
	if !sqltypes.IntInRange(c.Type, v) {
		return 0, pgerr.New("2200H", "nextval: reached maximum value of sequence %q", c.Default.Seq)
	}
	b.next++
	return v, nil
}

// claimBlock claims seqBlock values of sequence key and returns the first.
func claimBlock(ctx context.Context, env *Env, key string) (int64, error) {
	if err := ensureSeqTable(ctx, env); err != nil {
		return 0, err
	}
	ks := quoteIdent(env.Keyspace)
	applied, prev, err := env.Store.CAS(ctx, Stmt{
		CQL:  fmt.Sprintf("INSERT INTO %s.%s (name, next) VALUES (?, ?) IF NOT EXISTS", ks, seqTable),
		Args: []any{key, int64(1 + seqBlock)},
	})
	for attempt := 0; err == nil && !applied; attempt++ {
		cur, _ := prev["next"].(int64)
		if attempt == 100 {
			return 0, pgerr.New("40001", "could not claim values of sequence %q: too much contention", key)
		}
		applied, prev, err = env.Store.CAS(ctx, Stmt{
			CQL:  fmt.Sprintf("UPDATE %s.%s SET next = ? WHERE name = ? IF next = ?", ks, seqTable),
			Args: []any{cur + seqBlock, key, cur},
		})
		if err == nil && applied {
			return cur, nil
		}
	}
	if err != nil {
		return 0, fmt.Errorf("claim sequence values: %w", err)
	}
	return 1, nil
}

// ensureSeqTable creates the keyspace's sequence table the first time a
// process needs it.
func ensureSeqTable(ctx context.Context, env *Env) error {
	if _, done := env.Catalog.seqs.ready.Load(env.Keyspace); done {
		return nil
	}
	err := env.Store.Schema(ctx, fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s.%s (name text PRIMARY KEY, next bigint)", quoteIdent(env.Keyspace), seqTable))
	if err != nil {
		return fmt.Errorf("create sequence table: %w", err)
	}
	env.Catalog.seqs.ready.Store(env.Keyspace, true)
	return nil
}

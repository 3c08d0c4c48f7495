package rewrite

import (
	"context"
	"fmt"

	"github.com/tally-db/tally/catalog"
)

// Truncate empties tables. It records the truncation time in the catalog
// row — every row born before it is invisible from then on, whatever a
// replica later brings back — and then truncates the CQL tables to free
// the space (best effort: CQL TRUNCATE needs every node up).
type Truncate struct {
	Tables []*catalog.Table
}

func (op *Truncate) String() string {
	names := make([]string, len(op.Tables))
	for i, t := range op.Tables {
		names[i] = t.Name
	}
	return fmt.Sprintf("Truncate %v", names)
}

// Execute truncates.
func (op *Truncate) Execute(ctx context.Context, env *Env, _ []any) (*Result, error) {
	st := env.stamp()
	for _, planned := range op.Tables {
		t, err := lookup(ctx, env, planned)
		if err != nil {
			return nil, err
		}
		_, _, err = env.Store.CAS(ctx, Stmt{
			CQL:  fmt.Sprintf("UPDATE %s.%s SET truncated_at = ? WHERE name = ? IF EXISTS", quoteIdent(env.Keyspace), catalogTable),
			Args: []any{st.ts, t.Name},
		})
		if err != nil {
			return nil, fmt.Errorf("truncate %s: %w", t.Name, err)
		}
		env.Catalog.Invalidate(env.Keyspace)
		for _, name := range []string{t.BaseTable(), t.DeltaTable()} {
			if err := env.Store.Schema(ctx, fmt.Sprintf("TRUNCATE %s.%s", quoteIdent(env.Keyspace), name)); err != nil {
				env.Log.Warn("truncate: CQL TRUNCATE failed; rows stay hidden by the truncation mark", "table", t.Name, "err", err)
			}
		}
	}
	return &Result{Tag: "TRUNCATE TABLE"}, nil
}

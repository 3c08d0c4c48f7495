package rewrite

import (
	"context"

	"github.com/tally-db/tally/cassandra"
)

// Store is what rewrite needs from Cassandra; *cassandra.Store implements it
// and tests may record instead.
type Store interface {
	// Exec runs one idempotent write.
	Exec(ctx context.Context, st cassandra.Stmt) error
	// Batch runs writes in one logged batch (all or nothing).
	Batch(ctx context.Context, sts []cassandra.Stmt) error
	// Query runs a read; NULL cells are nil.
	Query(ctx context.Context, st cassandra.Stmt) ([][]any, error)
	// CAS runs a lightweight transaction, used only for rows never written
	// without one (catalog, idempotency records). When it did not apply it
	// returns the existing row.
	CAS(ctx context.Context, st cassandra.Stmt) (bool, map[string]any, error)
	// Schema runs a schema change and waits for agreement.
	Schema(ctx context.Context, cql string) error
}

// Stmt is a CQL statement (an alias so callers need not import cassandra).
type Stmt = cassandra.Stmt

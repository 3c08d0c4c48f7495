package rewrite

import (
	"context"
	"fmt"

	"github.com/tally-db/tally/pgerr"
)

// DropTable removes a SQL table: first its catalog row, so no statement
// reaches it any more, then its CQL tables.
type DropTable struct {
	Names    []string
	IfExists bool
}

func (op *DropTable) String() string {
	return fmt.Sprintf("DropTable %v ifExists=%v", op.Names, op.IfExists)
}

// Execute drops the tables.
func (op *DropTable) Execute(ctx context.Context, env *Env, _ []any) (*Result, error) {
	res := &Result{Tag: "DROP TABLE"}
	for _, name := range op.Names {
		t, err := env.Catalog.Table(ctx, env.Store, env.Keyspace, name)
		if err != nil {
			return nil, err
		}
		if t == nil {
			if op.IfExists {
				res.Notices = append(res.Notices, pgerr.Notice("NOTICE", pgerr.SuccessfulCompletion, "table %q does not exist, skipping", name))
				continue
			}
			return nil, pgerr.New(pgerr.UndefinedTable, "table %q does not exist", name)
		}
		_, _, err = env.Store.CAS(ctx, Stmt{
			CQL:  fmt.Sprintf("DELETE FROM %s.%s WHERE name = ? IF EXISTS", quoteIdent(env.Keyspace), catalogTable),
			Args: []any{name},
		})
		if err != nil {
			return nil, fmt.Errorf("drop table %s: %w", name, err)
		}
		env.Catalog.Invalidate(env.Keyspace)
		for _, cql := range []string{
			fmt.Sprintf("DROP TABLE IF EXISTS %s.%s", quoteIdent(env.Keyspace), t.BaseTable()),
			fmt.Sprintf("DROP TABLE IF EXISTS %s.%s", quoteIdent(env.Keyspace), t.DeltaTable()),
		} {
			if err := env.Store.Schema(ctx, cql); err != nil {
				return nil, fmt.Errorf("drop table %s: %w", name, err)
			}
		}
	}
	return res, nil
}

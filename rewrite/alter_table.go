package rewrite

import (
	"context"
	"fmt"
	"strings"

	"github.com/tally-db/tally/catalog"
	"github.com/tally-db/tally/pgerr"
)

// AlterTable changes a table's definition: the planner gives the new one
// (columns added, defaults and NOT NULL changed). New columns get their CQL
// columns first; then the catalog row is swapped with a lightweight
// transaction that applies only if the definition is still the one planned
// against, so two processes altering at once can't lose a change.
type AlterTable struct {
	Table *catalog.Table // as planned
	New   *catalog.Table // the definition after the change; Version is set here
	// Checks are NOT NULL columns every existing row must have a value in
	// (SET NOT NULL, ADD COLUMN ... NOT NULL without a DEFAULT).
	Checks []*catalog.Column
}

func (op *AlterTable) String() string {
	var cols []string
	for _, c := range op.New.Columns {
		s := fmt.Sprintf("%s %s", c.Name, typeName(c.Type))
		if c.NotNull {
			s += " not null"
		}
		if c.Default != nil && c.Default.Const != nil {
			s += " default " + *c.Default.Const
		}
		cols = append(cols, s)
	}
	return fmt.Sprintf("AlterTable %s (%s)", op.New.Name, strings.Join(cols, ", "))
}

// Execute alters the table.
func (op *AlterTable) Execute(ctx context.Context, env *Env, _ []any) (*Result, error) {
	cur, err := lookup(ctx, env, op.Table)
	if err != nil {
		return nil, err
	}
	next, err := op.New.Clone() // the plan's definition is shared by every execution
	if err != nil {
		return nil, err
	}
	next.Version = cur.Version + 1
	ts := env.Clock.Now()
	var added []*catalog.Column
	for _, c := range next.Columns {
		if cur.Column(c.Name) == nil {
			c.AddedAt = ts
			added = append(added, c)
		}
	}
	if len(op.Checks) > 0 {
		rows, err := ScanRows(ctx, env, cur)
		if err != nil {
			return nil, err
		}
		for _, c := range op.Checks {
			old := cur.Column(c.Name)
			for _, r := range rows {
				if old == nil || r[old.Num-1] == nil {
					return nil, pgerr.New(pgerr.NotNullViolation, "column %q of relation %q contains null values", c.Name, cur.Name)
				}
			}
		}
	}
	if len(added) > 0 {
		var base, delta []string
		for _, c := range added {
			typ, _ := catalog.CQLType(c.Type)
			base = append(base, c.CQLName()+" "+typ)
			if next.IsCounter(c) {
				delta = append(delta, c.CQLName()+" bigint", "s_"+c.CQLName()+" bigint static", "a_"+c.CQLName()+" bigint static")
			}
		}
		ks := quoteIdent(env.Keyspace)
		alters := []string{fmt.Sprintf("ALTER TABLE %s.%s ADD IF NOT EXISTS (%s)", ks, cur.BaseTable(), strings.Join(base, ", "))}
		if len(delta) > 0 {
			alters = append(alters, fmt.Sprintf("ALTER TABLE %s.%s ADD IF NOT EXISTS (%s)", ks, cur.DeltaTable(), strings.Join(delta, ", ")))
		}
		for _, cql := range alters {
			if err := env.Store.Schema(ctx, cql); err != nil {
				return nil, fmt.Errorf("alter table %s: %w", cur.Name, err)
			}
		}
	}
	was := cur.Stored()
	def, err := next.Marshal()
	if err != nil {
		return nil, err
	}
	applied, _, err := env.Store.CAS(ctx, Stmt{
		CQL:  fmt.Sprintf("UPDATE %s.%s SET def = ? WHERE name = ? IF def = ?", quoteIdent(env.Keyspace), catalogTable),
		Args: []any{def, cur.Name, was},
	})
	if err != nil {
		return nil, fmt.Errorf("alter table %s: %w", cur.Name, err)
	}
	env.Catalog.Invalidate(env.Keyspace)
	if !applied {
		return nil, pgerr.New("40001", "relation %q was altered concurrently", cur.Name).
			WithHint("Run the ALTER TABLE again.")
	}
	return &Result{Tag: "ALTER TABLE"}, nil
}

package rewrite

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/tally-db/tally/catalog"
	"github.com/tally-db/tally/pgerr"
)

// CreateTable creates a SQL table: its catalog row (a lightweight
// transaction, so two processes racing to create it agree on one) and its
// two CQL tables.
type CreateTable struct {
	Table       *catalog.Table // ID is filled in at execution
	IfNotExists bool
}

func (op *CreateTable) String() string {
	var cols []string
	for _, c := range op.Table.Columns {
		cols = append(cols, fmt.Sprintf("%s %s", c.Name, typeName(c.Type)))
	}
	return fmt.Sprintf("CreateTable %s (%s) key=%v ifNotExists=%v", op.Table.Name, strings.Join(cols, ", "), op.Table.PrimaryKey, op.IfNotExists)
}

// Execute creates the table.
func (op *CreateTable) Execute(ctx context.Context, env *Env, _ []any) (*Result, error) {
	if err := ensureKeyspace(ctx, env); err != nil {
		return nil, err
	}
	t := *op.Table
	t.ID = newID()
	t.Shards = max(env.Options.Shards, 1)
	def, err := t.Marshal()
	if err != nil {
		return nil, err
	}
	claim := Stmt{
		CQL:  fmt.Sprintf("INSERT INTO %s.%s (name, def) VALUES (?, ?) IF NOT EXISTS", quoteIdent(env.Keyspace), catalogTable),
		Args: []any{t.Name, def},
	}
	applied, prev, err := env.Store.CAS(ctx, claim)
	for attempt := 1; pgerr.CodeOf(err) == pgerr.TransactionResolutionUnknown && attempt < 4 && ctx.Err() == nil; attempt++ {
		// The claim may have landed: claiming again tells, since a row
		// holding our own definition (its random id) is ours. Without this
		// a timed-out CREATE left a catalog row without its CQL tables.
		applied, prev, err = env.Store.CAS(ctx, claim)
	}
	if err != nil {
		return nil, fmt.Errorf("create table %s: %w", t.Name, err)
	}
	if !applied && prev["def"] == def {
		applied = true // our own earlier attempt
	}
	env.Catalog.Invalidate(env.Keyspace)
	target := &t
	if !applied {
		existing, err := env.Catalog.Table(ctx, env.Store, env.Keyspace, t.Name)
		if err != nil {
			return nil, err
		}
		if !op.IfNotExists || existing == nil {
			return nil, pgerr.New(pgerr.DuplicateTable, "relation %q already exists", t.Name)
		}
		// The creator may have died between its catalog row and its CQL
		// tables: creating them again is harmless.
		target = existing
	}
	res := &Result{Tag: "CREATE TABLE"}
	if !applied {
		res.Notices = append(res.Notices, pgerr.Notice("NOTICE", pgerr.DuplicateTable, "relation %q already exists, skipping", t.Name))
	}
	for _, cql := range createCQL(env.Keyspace, target, env.Options.GCGraceSeconds) {
		if err := env.Store.Schema(ctx, cql); err != nil {
			return nil, fmt.Errorf("create table %s: %w", t.Name, err)
		}
	}
	return res, nil
}

// createCQL is the CQL creating t's base and delta tables.
func createCQL(ks string, t *catalog.Table, gcGrace int) []string {
	var key, base []string
	for _, c := range t.KeyColumns() {
		typ, _ := catalog.CQLType(c.Type)
		key = append(key, c.CQLName())
		base = append(base, c.CQLName()+" "+typ)
	}
	delta := append([]string{}, base...)
	base = append(base, "tally_born bigint", "tally_deleted bigint")
	for _, c := range t.ValueColumns() {
		typ, _ := catalog.CQLType(c.Type)
		base = append(base, c.CQLName()+" "+typ)
	}
	delta = append(delta, "shard int", "ts bigint", "txid uuid", "s_through bigint static")
	for _, c := range t.Counters() {
		delta = append(delta, c.CQLName()+" bigint", "s_"+c.CQLName()+" bigint static", "a_"+c.CQLName()+" bigint static")
	}
	k := strings.Join(key, ", ")
	with := ""
	if gcGrace > 0 {
		with = fmt.Sprintf(" WITH gc_grace_seconds = %d", gcGrace)
	}
	return []string{
		fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s.%s (%s, PRIMARY KEY ((%s)))%s",
			quoteIdent(ks), t.BaseTable(), strings.Join(base, ", "), k, with),
		fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s.%s (%s, PRIMARY KEY ((%s, shard), ts, txid))%s",
			quoteIdent(ks), t.DeltaTable(), strings.Join(delta, ", "), k, with),
	}
}

func newID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

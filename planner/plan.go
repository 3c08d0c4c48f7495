package planner

import (
	"context"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/tally-db/tally/catalog"
	"github.com/tally-db/tally/pgerr"
	"github.com/tally-db/tally/rewrite"
	"github.com/tally-db/tally/sqltypes"
)

// planCtx plans one statement.
type planCtx struct {
	ctx    context.Context
	sess   *Session
	params *params
}

// plan dispatches on the statement kind.
func (p *planCtx) plan(n *pg_query.Node) (rewrite.Op, []Field, error) {
	switch {
	case n.GetCreateStmt() != nil:
		op, err := p.createTable(n.GetCreateStmt())
		return op, nil, err
	case n.GetAlterTableStmt() != nil:
		op, err := p.alterTable(n.GetAlterTableStmt())
		return op, nil, err
	case n.GetDropStmt() != nil:
		op, err := p.dropTable(n.GetDropStmt())
		return op, nil, err
	case n.GetTruncateStmt() != nil:
		op, err := p.truncate(n.GetTruncateStmt())
		return op, nil, err
	case n.GetInsertStmt() != nil:
		return p.insert(n.GetInsertStmt())
	case n.GetUpdateStmt() != nil:
		return p.update(n.GetUpdateStmt())
	case n.GetDeleteStmt() != nil:
		return p.delete(n.GetDeleteStmt())
	case n.GetSelectStmt() != nil:
		return p.selectStmt(n.GetSelectStmt())
	case n.GetVariableSetStmt() != nil:
		op, err := p.set(n.GetVariableSetStmt())
		return op, nil, err
	case n.GetVariableShowStmt() != nil:
		return p.show(n.GetVariableShowStmt())
	case n.GetDeallocateStmt() != nil:
		d := n.GetDeallocateStmt()
		return &deallocateOp{name: d.Name, all: d.Isall || d.Name == ""}, nil, nil
	case n.GetDiscardStmt() != nil:
		if n.GetDiscardStmt().Target != pg_query.DiscardMode_DISCARD_ALL {
			// PLANS, SEQUENCES, TEMP: tally keeps none of them.
			return &sessionOp{desc: "Discard", tag: "DISCARD " + strings.TrimPrefix(n.GetDiscardStmt().Target.String(), "DISCARD_"), sess: p.sess, run: noRows}, nil, nil
		}
		return &deallocateOp{all: true, discard: true, sess: p.sess}, nil, nil
	case n.GetUnlistenStmt() != nil:
		// tally has no LISTEN, so there is never anything to stop listening to.
		return &sessionOp{desc: "Unlisten", tag: "UNLISTEN", sess: p.sess, run: noRows}, nil, nil
	case n.GetClosePortalStmt() != nil:
		if name := n.GetClosePortalStmt().Portalname; name != "" {
			return nil, nil, pgerr.New(pgerr.InvalidCursorName, "cursor %q does not exist", name)
		}
		return &sessionOp{desc: "CloseAll", tag: "CLOSE CURSOR ALL", sess: p.sess, run: noRows}, nil, nil
	case n.GetTransactionStmt() != nil:
		op, err := p.transaction(n.GetTransactionStmt())
		return op, nil, err
	}
	return nil, nil, unsupported("%s statements", stmtName(n))
}

// stmtName names a statement node for error messages: "AlterTableStmt"
// becomes "ALTER TABLE".
func stmtName(n *pg_query.Node) string {
	name := string(n.ProtoReflect().WhichOneof(n.ProtoReflect().Descriptor().Oneofs().Get(0)).Name())
	name = strings.TrimSuffix(name, "_stmt")
	return strings.ToUpper(strings.ReplaceAll(name, "_", " "))
}

// table resolves a table reference: 42P01 if it does not exist.
func (p *planCtx) table(rv *pg_query.RangeVar) (*catalog.Table, error) {
	if err := p.checkSchema(rv); err != nil {
		return nil, err
	}
	t, err := p.sess.env.Catalog.Table(p.ctx, p.sess.env.Store, p.sess.env.Keyspace, rv.Relname)
	if err != nil {
		return nil, err
	}
	if t == nil {
		return nil, pgerr.New(pgerr.UndefinedTable, "relation %q does not exist", rv.Relname)
	}
	return t, nil
}

// checkSchema accepts the public schema only (tally has one per database).
func (p *planCtx) checkSchema(rv *pg_query.RangeVar) error {
	if rv.Catalogname != "" && rv.Catalogname != p.sess.env.Keyspace {
		return pgerr.Unsupported("cross-database references are not implemented: %s.%s.%s", rv.Catalogname, rv.Schemaname, rv.Relname)
	}
	if rv.Schemaname != "" && rv.Schemaname != "public" {
		return pgerr.New("3F000", "schema %q does not exist", rv.Schemaname)
	}
	return nil
}

// fieldsOf describes the result columns of a target list.
func fieldsOf(names []string, exprs []rewrite.Expr, typmods []int32) []Field {
	out := make([]Field, len(exprs))
	for i, e := range exprs {
		oid := e.Type()
		if oid == sqltypes.Unknown || oid == 0 {
			oid = sqltypes.Text
		}
		ti, _ := sqltypes.Info(oid)
		out[i] = Field{Name: names[i], OID: oid, Size: ti.Len, TypMod: typmods[i]}
	}
	return out
}

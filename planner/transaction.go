package planner

import (
	"context"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/tally-db/tally/pgerr"
	"github.com/tally-db/tally/rewrite"
)

// transaction plans BEGIN / START TRANSACTION, COMMIT / END and ROLLBACK /
// ABORT, and SAVEPOINT / RELEASE / ROLLBACK TO (marks in the buffer).
// Two-phase commit is refused.
func (p *planCtx) transaction(ts *pg_query.TransactionStmt) (rewrite.Op, error) {
	switch ts.Kind {
	case pg_query.TransactionStmtKind_TRANS_STMT_BEGIN, pg_query.TransactionStmtKind_TRANS_STMT_START:
		tag := "BEGIN"
		if ts.Kind == pg_query.TransactionStmtKind_TRANS_STMT_START {
			tag = "START TRANSACTION"
		}
		return &txOp{desc: tag, run: func(ctx context.Context, s *Session) (string, error) {
			if s.tx == TxIdle {
				s.env.Begin()
				s.tx = TxActive
			} else if !s.implicit {
				s.notices = append(s.notices, pgerr.Notice("WARNING", pgerr.ActiveSQLTransaction, "there is already a transaction in progress"))
			}
			// An implicit block becomes an explicit one, keeping what it
			// did so far (Postgres: BeginTransactionBlock in
			// TBLOCK_IMPLICIT_INPROGRESS). In a block already, Postgres
			// warns and carries on.
			s.implicit = false
			return tag, nil
		}, sess: p.sess}, nil
	case pg_query.TransactionStmtKind_TRANS_STMT_COMMIT:
		return &txOp{desc: "COMMIT", run: func(ctx context.Context, s *Session) (string, error) {
			if s.tx == TxFailed {
				s.endTx()
				return "ROLLBACK", nil // COMMIT of a failed block rolls back
			}
			if s.tx == TxIdle {
				s.notices = append(s.notices, pgerr.Notice("WARNING", pgerr.NoActiveSQLTransaction, "there is no transaction in progress"))
			}
			err := s.env.Commit(ctx)
			s.tx, s.implicit = TxIdle, false
			return "COMMIT", err
		}, sess: p.sess}, nil
	case pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK:
		return &txOp{desc: "ROLLBACK", run: func(ctx context.Context, s *Session) (string, error) {
			if s.tx == TxIdle {
				s.notices = append(s.notices, pgerr.Notice("WARNING", pgerr.NoActiveSQLTransaction, "there is no transaction in progress"))
			}
			s.endTx()
			return "ROLLBACK", nil
		}, sess: p.sess}, nil
	case pg_query.TransactionStmtKind_TRANS_STMT_SAVEPOINT:
		return &txOp{desc: "SAVEPOINT", run: func(ctx context.Context, s *Session) (string, error) {
			if s.tx == TxIdle {
				return "", pgerr.New(pgerr.NoActiveSQLTransaction, "SAVEPOINT can only be used in transaction blocks")
			}
			s.env.Savepoint(ts.SavepointName)
			return "SAVEPOINT", nil
		}, sess: p.sess}, nil
	case pg_query.TransactionStmtKind_TRANS_STMT_RELEASE:
		return &txOp{desc: "RELEASE", run: func(ctx context.Context, s *Session) (string, error) {
			if s.tx == TxIdle {
				return "", pgerr.New(pgerr.NoActiveSQLTransaction, "RELEASE SAVEPOINT can only be used in transaction blocks")
			}
			return "RELEASE", s.env.Release(ts.SavepointName)
		}, sess: p.sess}, nil
	case pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK_TO:
		return &txOp{desc: "ROLLBACK TO", run: func(ctx context.Context, s *Session) (string, error) {
			if s.tx == TxIdle {
				return "", pgerr.New(pgerr.NoActiveSQLTransaction, "ROLLBACK TO SAVEPOINT can only be used in transaction blocks")
			}
			if err := s.env.RollbackTo(ts.SavepointName); err != nil {
				return "", err
			}
			s.tx = TxActive // the block is usable again
			return "ROLLBACK", nil
		}, sess: p.sess}, nil
	}
	return nil, unsupported("two-phase commit")
}

// endTx leaves the transaction block, discarding what was not committed.
func (s *Session) endTx() {
	s.tx, s.implicit = TxIdle, false
	s.env.Rollback()
}

// txOp is a transaction control statement.
type txOp struct {
	desc string
	run  func(ctx context.Context, s *Session) (string, error)
	sess *Session
}

func (o *txOp) String() string { return o.desc }

// Execute runs it.
func (o *txOp) Execute(ctx context.Context, _ *rewrite.Env, _ []any) (*rewrite.Result, error) {
	tag, err := o.run(ctx, o.sess)
	if err != nil {
		return nil, err
	}
	return &rewrite.Result{Tag: tag}, nil
}

// endsTx reports whether a statement may run in a failed block: only
// COMMIT, ROLLBACK and ROLLBACK TO.
func endsTx(n *pg_query.Node) bool {
	ts := n.GetTransactionStmt()
	if ts == nil {
		return false
	}
	switch ts.Kind {
	case pg_query.TransactionStmtKind_TRANS_STMT_COMMIT, pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK,
		pg_query.TransactionStmtKind_TRANS_STMT_ROLLBACK_TO:
		return true
	}
	return false
}

// errAborted is the error of any other statement in a failed block.
func errAborted() error {
	return pgerr.New(pgerr.InFailedSQLTransaction, "current transaction is aborted, commands ignored until end of transaction block")
}

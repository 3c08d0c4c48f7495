package planner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"github.com/pganalyze/pg_query_go/v6/parser"

	"github.com/tally-db/tally/pgerr"
	"github.com/tally-db/tally/rewrite"
)

// Transaction status as reported in ReadyForQuery
// (https://www.postgresql.org/docs/15/protocol-message-formats.html).
const (
	TxIdle   byte = 'I' // not in a transaction block
	TxActive byte = 'T' // in a transaction block
	TxFailed byte = 'E' // in a failed transaction block
)

// Session is one client's SQL session. One goroutine uses it at a time.
type Session struct {
	env      *rewrite.Env
	settings map[string]string // SET/SHOW values, by lower-case name
	changed  map[string]string // reported settings changed since last asked
	tx       byte
	// implicit: the open block is an implicit one, not a BEGIN: that of a
	// multi-statement simple query (it commits after the query's last
	// statement) or that of an extended-query pipeline (BeginImplicit; it
	// commits at Sync, EndImplicit). It rolls back at its first error.
	implicit bool
	// version and overrides make the defaults RESET returns to
	// (Session.defaults): Postgres' with Config.Settings over them.
	version   string
	overrides map[string]string
	// notices are what the running statement's session-level work warns
	// of (BEGIN inside a block, COMMIT outside one); Execute sends them.
	notices []*pgerr.Error
}

// noticeLevels orders the severities client_min_messages compares.
var noticeLevels = map[string]int{"debug5": 0, "debug4": 1, "debug3": 2, "debug2": 3, "debug1": 4, "debug": 4,
	"log": 5, "info": 6, "notice": 7, "warning": 8, "error": 9}

// withNotices adds the session's pending notices to res and drops those
// below client_min_messages, as Postgres does.
func (s *Session) withNotices(res *rewrite.Result) {
	all := append(s.notices, res.Notices...)
	s.notices = nil
	res.Notices = nil
	min, ok := noticeLevels[strings.ToLower(s.settings["client_min_messages"])]
	if !ok {
		min = noticeLevels["notice"]
	}
	for _, n := range all {
		if noticeLevels[strings.ToLower(n.Severity)] >= min {
			res.Notices = append(res.Notices, n)
		}
	}
}

// TxStatus is the transaction status for ReadyForQuery.
func (s *Session) TxStatus() byte { return s.tx }

// ParameterStatus returns (and forgets) the reported settings that changed.
func (s *Session) ParameterStatus() map[string]string {
	if len(s.changed) == 0 {
		return nil
	}
	out := s.changed
	s.changed = map[string]string{}
	return out
}

// Close ends the session; an open transaction is rolled back.
func (s *Session) Close() { s.endTx() }

// Prepare parses sql and plans each statement in it. paramOIDs are the
// client's declared parameter types (0 = infer).
func (s *Session) Prepare(ctx context.Context, sql string, paramOIDs []uint32) ([]*Statement, error) {
	stmts, err := s.prepare(ctx, sql, paramOIDs)
	if err != nil {
		s.Fail()
	}
	return stmts, err
}

// fail marks an open transaction block failed, as any error in it does.
func (s *Session) fail() {
	if s.tx == TxActive {
		s.tx = TxFailed
	}
}

// Fail records an error found outside a statement's execution (a parse
// error, or one the proxy found in Bind or Describe): as in Postgres, any
// error fails an explicit block ('E') and rolls an implicit one back.
func (s *Session) Fail() {
	if s.implicit {
		s.endTx()
		return
	}
	s.fail()
}

// BeginImplicit opens the implicit transaction of an extended-query
// pipeline when no block is open: the statements executed up to Sync
// commit together at Sync (EndImplicit) and the first error rolls them all
// back, as Postgres runs everything between two Syncs in one transaction
// (protocol-flow.html#PROTOCOL-FLOW-PIPELINING). A BEGIN inside it makes it
// an explicit block; a COMMIT or ROLLBACK inside it ends it.
func (s *Session) BeginImplicit() {
	if s.tx == TxIdle {
		s.env.Begin()
		s.tx, s.implicit = TxActive, true
	}
}

// EndImplicit commits the implicit transaction at Sync; without one open
// (none began, a BEGIN made it explicit, or an error rolled it back) it
// does nothing.
func (s *Session) EndImplicit(ctx context.Context) error {
	if !s.implicit {
		return nil
	}
	s.tx, s.implicit = TxIdle, false
	return s.env.Commit(ctx)
}

func (s *Session) prepare(ctx context.Context, sql string, paramOIDs []uint32) ([]*Statement, error) {
	if err := checkDepth(sql); err != nil {
		return nil, err
	}
	tree, err := pg_query.Parse(sql)
	if err != nil {
		return nil, syntaxError(err)
	}
	out := make([]*Statement, 0, len(tree.Stmts))
	cs := comments(sql)
	// Several statements in one query run in implicit transactions, as in
	// Postgres (exec_simple_query): a statement run outside a block opens
	// one, a BEGIN makes it explicit (keeping the statements before it),
	// COMMIT or ROLLBACK end it, and the query's end commits it.
	implicit := len(tree.Stmts) > 1
	for i, raw := range tree.Stmts {
		start, next := int(raw.StmtLocation), -1
		if i+1 < len(tree.Stmts) {
			next = int(tree.Stmts[i+1].StmtLocation)
		}
		text := sql[start:]
		if raw.StmtLen > 0 {
			text = sql[start : start+int(raw.StmtLen)]
		}
		st := &Statement{node: raw.Stmt, declared: paramOIDs, sess: s, text: text,
			idemKey: tagFor(cs, start, next, idempotencyTag),
			inBlock: implicit, closesBlock: implicit && i == len(tree.Stmts)-1}
		// A statement after the first of a multi-statement query is planned
		// when it runs, after the ones before it (CREATE TABLE t; INSERT
		// INTO t ...), as Postgres analyses each statement in turn.
		if i == 0 {
			// In a failed block only COMMIT or ROLLBACK may come first;
			// later statements are checked when they run, after it.
			if s.tx == TxFailed && !endsTx(raw.Stmt) {
				return nil, errAborted()
			}
			if err := st.planNow(ctx); err != nil {
				return nil, err
			}
		}
		out = append(out, st)
	}
	return out, nil
}

// idempotencyTag is the sqlcommenter tag, and idempotencySetting the
// session setting, that carry a statement's idempotency key.
const (
	idempotencyTag     = "idempotency_key"
	idempotencySetting = "tally.idempotency_key"
)

// Statement is one planned statement.
type Statement struct {
	text    string // the statement's SQL
	idemKey string // from a sqlcommenter comment
	// inBlock: a statement of a multi-statement query, which runs in an
	// implicit transaction when no block is open; closesBlock: the last
	// one, which commits it.
	inBlock, closesBlock bool
	node                 *pg_query.Node
	declared             []uint32 // parameter types the client declared
	op                   rewrite.Op
	fields               []Field
	params               []uint32
	sess                 *Session
}

// planNow plans the statement.
func (st *Statement) planNow(ctx context.Context) error {
	p := &planCtx{ctx: ctx, sess: st.sess, params: newParams(st.declared)}
	op, fields, err := p.plan(st.node)
	if err != nil {
		return err
	}
	st.op, st.fields, st.params = op, fields, p.params.final()
	return nil
}

// replan plans a statement whose table was dropped and created again. As
// in Postgres, the new plan may not change the parameter or result types.
func (st *Statement) replan(ctx context.Context) error {
	params, fields := st.params, st.fields
	if err := st.planNow(ctx); err != nil {
		return err
	}
	if !slices.Equal(params, st.params) || !slices.Equal(fields, st.fields) {
		return pgerr.Unsupported("cached plan must not change result type")
	}
	return nil
}

// Field describes one result column.
type Field struct {
	Name   string
	OID    uint32
	Size   int16
	TypMod int32
}

// ParamOIDs are the resolved types of $1..$n.
func (st *Statement) ParamOIDs() []uint32 { return st.params }

// Fields describe the returned rows (nil: none).
func (st *Statement) Fields() []Field { return st.fields }

// Plan is the stable rendering of the plan, for golden tests and EXPLAIN.
func (st *Statement) Plan() string { return st.op.String() }

// Execute runs the statement, planning it first if it was deferred, and
// planning it again if its table was replaced since. An error inside a
// transaction block fails the block.
func (st *Statement) Execute(ctx context.Context, params []any) (*rewrite.Result, error) {
	s := st.sess
	if st.inBlock {
		s.BeginImplicit()
	}
	res, err := st.execute(ctx, params)
	switch {
	case err != nil:
		s.Fail() // the rest of the query does not run
	case st.closesBlock:
		err = s.EndImplicit(ctx)
	}
	if err != nil {
		s.notices = nil
		return nil, err
	}
	s.withNotices(res)
	return res, nil
}

func (st *Statement) execute(ctx context.Context, params []any) (*rewrite.Result, error) {
	if st.sess.tx == TxFailed && !endsTx(st.node) {
		return nil, errAborted()
	}
	if st.op == nil {
		if err := st.planNow(ctx); err != nil {
			return nil, err
		}
	}
	if len(params) < len(st.params) {
		return nil, pgerr.New(pgerr.ProtocolViolation, "statement requires %d parameters, got %d", len(st.params), len(params))
	}
	res, err := st.run(ctx, params)
	if pgerr.CodeOf(err) == pgerr.InternalError {
		// The table may be gone: another tally process dropped it.
		if rerr := rewrite.Recheck(ctx, st.sess.env, st.op); rerr != nil {
			err = rerr
		}
	}
	if errors.Is(err, rewrite.ErrStalePlan) {
		if err := st.replan(ctx); err != nil {
			return nil, err
		}
		res, err = st.run(ctx, params)
	}
	return res, err
}

// run executes the plan, at most once per idempotency key for statements
// that write. The key comes from the statement's comment or, failing that,
// from SET tally.idempotency_key, which the next writing statement uses up.
func (st *Statement) run(ctx context.Context, params []any) (*rewrite.Result, error) {
	op := st.op
	switch op.(type) {
	case *rewrite.Insert, *rewrite.Update, *rewrite.UpdateKey, *rewrite.Delete:
		if st.sess.implicit && (st.idemKey != "" || st.sess.settings[idempotencySetting] != "") {
			// A key can't be honoured in a block yet (its result would be
			// recorded before the block commits). In a BEGIN block it is
			// ignored, as documented; a pipeline or multi-statement query
			// used to apply each keyed statement on its own, so ignoring
			// the key there would silently lose retry safety: refuse.
			return nil, pgerr.Unsupported("idempotency keys are not supported in a pipeline or multi-statement query").
				WithHint("Send each keyed statement on its own, followed by Sync.")
		}
		if st.sess.tx != TxIdle {
			break // keys inside a block are not supported yet; the block commits once
		}
		key := st.idemKey
		if key == "" {
			key = st.sess.settings[idempotencySetting]
			delete(st.sess.settings, idempotencySetting)
		}
		if key != "" {
			types := make([]uint32, len(st.fields))
			for i, f := range st.fields {
				types[i] = f.OID
			}
			opts := st.sess.env.Options
			// The fingerprint names the table's incarnation: a key reused
			// after the table was dropped and created again is another
			// statement (22023), not a replay that would write nothing.
			fp := st.text
			if t := rewrite.OpTable(op); t != nil {
				fp += " /* table " + t.ID + " */"
			}
			op = &rewrite.Idempotent{Key: key, Fingerprint: fp, Types: types, Op: op,
				Window: opts.IdempotencyWindow, Settle: opts.Settle}
		}
	}
	return op.Execute(ctx, st.sess.env, params)
}

// syntaxError maps a parser error to 42601 with its position. Any other
// error of the parser comes from decoding a tree nested too deeply.
func syntaxError(err error) error {
	var pe *parser.Error
	if errors.As(err, &pe) {
		return &pgerr.Error{Code: pgerr.SyntaxError, Message: pe.Message, Position: int32(pe.Cursorpos), Err: err}
	}
	return pgerr.Wrap(err, stackDepthExceeded, "stack depth limit exceeded")
}

// stackDepthExceeded is Postgres' SQLSTATE for expressions nested too deep.
const stackDepthExceeded pgerr.Code = "54001"

// maxOperators bounds the operators of one query. The parser's C code
// recurses over the tree it builds and can overflow its stack on a query
// like 1+1+...+1 with tens of thousands of terms, taking the process down;
// such a query is refused before it is parsed, as Postgres refuses it
// with 54001.
const maxOperators = 10000

// checkDepth refuses queries with more operators than maxOperators.
// Short queries can't hold that many and are not scanned.
func checkDepth(sql string) error {
	if len(sql) < 2*maxOperators {
		return nil
	}
	scan, err := pg_query.Scan(sql)
	if err != nil {
		return nil // the parser reports it
	}
	n := 0
	for _, tok := range scan.Tokens {
		switch tok.Token {
		case pg_query.Token_ASCII_43, pg_query.Token_ASCII_45, pg_query.Token_ASCII_42, pg_query.Token_ASCII_47,
			pg_query.Token_ASCII_40, pg_query.Token_AND, pg_query.Token_OR, pg_query.Token_NOT, pg_query.Token_Op:
			n++
		}
	}
	if n > maxOperators {
		return pgerr.New(stackDepthExceeded, "stack depth limit exceeded").
			WithDetail("The query has %d operators; tally accepts at most %d.", n, maxOperators)
	}
	return nil
}

func unsupported(what string, args ...any) *pgerr.Error {
	return pgerr.Unsupported("tally does not support %s yet", fmt.Sprintf(what, args...))
}

// Text is the statement's SQL, as the client sent it.
func (st *Statement) Text() string { return st.text }

// Kind names the statement's kind for metrics: select, insert, update,
// delete, transaction, ddl or utility.
func (st *Statement) Kind() string {
	switch {
	case st.node.GetSelectStmt() != nil:
		return "select"
	case st.node.GetInsertStmt() != nil:
		return "insert"
	case st.node.GetUpdateStmt() != nil:
		return "update"
	case st.node.GetDeleteStmt() != nil:
		return "delete"
	case st.node.GetTransactionStmt() != nil:
		return "transaction"
	case st.node.GetCreateStmt() != nil, st.node.GetDropStmt() != nil, st.node.GetAlterTableStmt() != nil,
		st.node.GetTruncateStmt() != nil:
		return "ddl"
	}
	return "utility"
}

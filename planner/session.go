package planner

import (
	"context"
	"errors"
	"fmt"

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

// Close ends the session.
func (s *Session) Close() {}

// Prepare parses sql and plans each statement in it. paramOIDs are the
// client's declared parameter types (0 = infer).
func (s *Session) Prepare(ctx context.Context, sql string, paramOIDs []uint32) ([]*Statement, error) {
	tree, err := pg_query.Parse(sql)
	if err != nil {
		return nil, syntaxError(err)
	}
	out := make([]*Statement, 0, len(tree.Stmts))
	for _, raw := range tree.Stmts {
		p := &planCtx{ctx: ctx, sess: s, params: newParams(paramOIDs)}
		op, fields, err := p.plan(raw.Stmt)
		if err != nil {
			return nil, err
		}
		out = append(out, &Statement{op: op, fields: fields, params: p.params.final(), sess: s})
	}
	return out, nil
}

// Statement is one planned statement.
type Statement struct {
	op     rewrite.Op
	fields []Field
	params []uint32
	sess   *Session
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

// Execute runs the statement.
func (st *Statement) Execute(ctx context.Context, params []any) (*rewrite.Result, error) {
	if len(params) < len(st.params) {
		return nil, pgerr.New(pgerr.ProtocolViolation, "statement requires %d parameters, got %d", len(st.params), len(params))
	}
	return st.op.Execute(ctx, st.sess.env, params)
}

// syntaxError maps a parser error to 42601 with its position.
func syntaxError(err error) error {
	e := &pgerr.Error{Code: pgerr.SyntaxError, Message: err.Error(), Err: err}
	var pe *parser.Error
	if errors.As(err, &pe) {
		e.Message = pe.Message
		e.Position = int32(pe.Cursorpos)
	}
	return e
}

func unsupported(what string, args ...any) *pgerr.Error {
	return pgerr.Unsupported("tally does not support %s yet", fmt.Sprintf(what, args...))
}

package proxy_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tally-db/tally/pgerr"
	"github.com/tally-db/tally/proxy"
	"github.com/tally-db/tally/sqltypes"
	"gopkg.in/inf.v0"
)

// fakeEngine is a tiny SQL layer for the protocol tests. Its "SQL" is one
// command word per statement, statements separated by ';':
//
//	echo T1 T2 ...  params $1.. typed T1.. (sqltypes names); one row echoing them
//	echo            params typed by the client's Parse; one row echoing them
//	insert          "INSERT 0 1", no rows
//	series N        rows 1..N of one int8 column n, "SELECT N"
//	types           one row holding a value of every supported type
//	fail            Execute fails with 22012
//	internal        Execute fails with a plain Go error (XX000)
//	badsyntax       Prepare fails with 42601
//	begin/commit/rollback/abort   change the transaction status
//	settz ZONE      reports TimeZone=ZONE through ParameterStatus
//	sleep           blocks until its context is cancelled
//	panic           panics (a bug in the engine)
//	timeouts S I    sets statement_timeout S and idle_in_transaction_session_timeout I (ms)
//	anything else   a statement with no rows whose tag is the word upper-cased
type fakeEngine struct {
	mu       sync.Mutex
	sessions []*fakeSession
}

// NewSession implements proxy.Engine; database "nodb" fails with 3D000.
func (e *fakeEngine) NewSession(_ context.Context, info proxy.SessionInfo) (proxy.Session, error) {
	if info.Database == "nodb" {
		return nil, pgerr.New(pgerr.InvalidCatalogName, "database %q does not exist", info.Database)
	}
	s := &fakeSession{info: info, tx: 'I', closed: make(chan struct{})}
	if tz := info.Params["TimeZone"]; tz != "" {
		s.changed = map[string]string{"TimeZone": tz}
	}
	e.mu.Lock()
	e.sessions = append(e.sessions, s)
	e.mu.Unlock()
	return s, nil
}

// last returns the newest session.
func (e *fakeEngine) last() *fakeSession {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.sessions) == 0 {
		return nil
	}
	return e.sessions[len(e.sessions)-1]
}

// fakeSession is one fake session; executed records what ran, implicit
// how the implicit transactions of pipelines ended ("commit" or
// "rollback").
type fakeSession struct {
	info       proxy.SessionInfo
	mu         sync.Mutex
	tx         byte
	inImplicit bool
	implicit   []string
	changed    map[string]string
	executed   []string
	closed     chan struct{}
	once       sync.Once
	// stmtTimeout and idleTimeout are what Timeouts reports ("timeouts").
	stmtTimeout, idleTimeout time.Duration
}

// Timeouts implements proxy.TimeoutSession.
func (s *fakeSession) Timeouts() (statement, idleInTx time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stmtTimeout, s.idleTimeout
}

// Prepare implements proxy.Session.
func (s *fakeSession) Prepare(_ context.Context, sql string, paramOIDs []uint32) ([]proxy.Statement, error) {
	var out []proxy.Statement
	for _, part := range strings.Split(sql, ";") {
		words := strings.Fields(part)
		if len(words) == 0 {
			continue
		}
		st, err := s.plan(words, paramOIDs)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

// plan makes one statement.
func (s *fakeSession) plan(words []string, paramOIDs []uint32) (*fakeStmt, error) {
	st := &fakeStmt{s: s, cmd: strings.ToLower(words[0]), args: words[1:]}
	switch st.cmd {
	case "badsyntax":
		return nil, &pgerr.Error{Code: pgerr.SyntaxError, Message: `syntax error at or near "badsyntax"`, Position: 1}
	case "echo":
		if len(st.args) == 0 {
			st.params = paramOIDs
		}
		for _, name := range st.args {
			oid, ok := sqltypes.Lookup(name)
			if !ok {
				return nil, pgerr.New(pgerr.UndefinedObject, "type %q does not exist", name)
			}
			st.params = append(st.params, oid)
		}
		for i, oid := range st.params {
			st.fields = append(st.fields, proxy.Field{Name: fmt.Sprintf("p%d", i+1), DataTypeOID: oid, TypeModifier: -1})
		}
	case "series":
		st.fields = []proxy.Field{{Name: "n", DataTypeOID: sqltypes.Int8, DataTypeSize: 8, TypeModifier: -1}}
	case "types":
		for i, v := range typesRow {
			st.fields = append(st.fields, proxy.Field{Name: fmt.Sprintf("c%d", i), DataTypeOID: v.oid})
		}
	}
	return st, nil
}

// typesRow is the row of "types": one value of every type.
var typesRow = []struct {
	oid sqltypes.OID
	v   any
}{
	{sqltypes.Int2, int64(-2)},
	{sqltypes.Int4, int64(40000)},
	{sqltypes.Int8, int64(1) << 40},
	{sqltypes.Float4, 1.5},
	{sqltypes.Float8, 0.1},
	{sqltypes.Bool, true},
	{sqltypes.Text, "héllo"},
	{sqltypes.Varchar, ""},
	{sqltypes.Numeric, inf.NewDec(-12345, 2)},
	{sqltypes.UUID, [16]byte{0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8, 0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38, 0x0a, 0x11}},
	{sqltypes.Timestamptz, time.Date(2026, 12, 3, 13, 36, 33, 123456000, time.UTC)},
	{sqltypes.Timestamp, time.Date(2026, 12, 3, 13, 36, 33, 500000000, time.UTC)},
	{sqltypes.Date, time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)},
	{sqltypes.Bytea, []byte{1, 2}},
	{sqltypes.Int4, nil},
}

// TxStatus implements proxy.Session.
func (s *fakeSession) TxStatus() byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tx
}

// BeginImplicit implements proxy.Session.
func (s *fakeSession) BeginImplicit() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tx == 'I' {
		s.tx, s.inImplicit = 'T', true
	}
}

// EndImplicit implements proxy.Session.
func (s *fakeSession) EndImplicit(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inImplicit {
		s.tx, s.inImplicit = 'I', false
		s.implicit = append(s.implicit, "commit")
	}
	return nil
}

// Fail implements proxy.Session.
func (s *fakeSession) Fail() {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.inImplicit:
		s.tx, s.inImplicit = 'I', false
		s.implicit = append(s.implicit, "rollback")
	case s.tx == 'T':
		s.tx = 'E'
	}
}

// implicitEnds returns how the implicit transactions ended so far.
func (s *fakeSession) implicitEnds() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.implicit...)
}

// ParameterStatus implements proxy.Session.
func (s *fakeSession) ParameterStatus() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.changed
	s.changed = nil
	return c
}

// Close implements proxy.Session.
func (s *fakeSession) Close() { s.once.Do(func() { close(s.closed) }) }

// ran returns the commands executed so far.
func (s *fakeSession) ran() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.executed...)
}

// fakeStmt is one planned fake statement.
type fakeStmt struct {
	s      *fakeSession
	cmd    string
	args   []string
	params []uint32
	fields []proxy.Field
}

// ParamOIDs implements proxy.Statement.
func (st *fakeStmt) ParamOIDs() []uint32 { return st.params }

// Fields implements proxy.Statement.
func (st *fakeStmt) Fields() []proxy.Field { return st.fields }

// Execute implements proxy.Statement.
func (st *fakeStmt) Execute(ctx context.Context, params []any) (*proxy.Result, error) {
	s := st.s
	s.mu.Lock()
	s.executed = append(s.executed, st.cmd)
	s.mu.Unlock()
	switch st.cmd {
	case "echo":
		return &proxy.Result{Tag: "SELECT 1", Rows: [][]any{params}}, nil
	case "insert":
		return &proxy.Result{Tag: "INSERT 0 1"}, nil
	case "series":
		var n int
		if len(st.args) > 0 {
			n, _ = strconv.Atoi(st.args[0])
		}
		res := &proxy.Result{Tag: fmt.Sprintf("SELECT %d", n)}
		for i := 1; i <= n; i++ {
			res.Rows = append(res.Rows, []any{int64(i)})
		}
		return res, nil
	case "types":
		row := make([]any, len(typesRow))
		for i, v := range typesRow {
			row[i] = v.v
		}
		return &proxy.Result{Tag: "SELECT 1", Rows: [][]any{row}}, nil
	case "fail":
		return nil, pgerr.New(pgerr.DivisionByZero, "division by zero")
	case "internal":
		return nil, errors.New("cassandra: node 10.0.0.7 unreachable")
	case "sleep":
		<-ctx.Done()
		return nil, ctx.Err()
	case "panic":
		panic("fake engine bug")
	case "timeouts":
		stmt, _ := strconv.Atoi(st.args[0])
		idle, _ := strconv.Atoi(st.args[1])
		s.mu.Lock()
		s.stmtTimeout, s.idleTimeout = time.Duration(stmt)*time.Millisecond, time.Duration(idle)*time.Millisecond
		s.mu.Unlock()
		return &proxy.Result{Tag: "SET"}, nil
	case "settz":
		s.mu.Lock()
		s.changed = map[string]string{"TimeZone": st.args[0]}
		s.mu.Unlock()
		return &proxy.Result{Tag: "SET"}, nil
	}
	return st.txCommand()
}

// txCommand runs begin/commit/rollback/abort, or any other word.
func (st *fakeStmt) txCommand() (*proxy.Result, error) {
	s := st.s
	s.mu.Lock()
	defer s.mu.Unlock()
	switch st.cmd {
	case "begin":
		s.tx, s.inImplicit = 'T', false
	case "commit", "rollback":
		s.tx, s.inImplicit = 'I', false
	case "abort":
		s.tx = 'E'
		return nil, pgerr.New(pgerr.InFailedSQLTransaction, "current transaction is aborted, commands ignored until end of transaction block")
	}
	return &proxy.Result{Tag: strings.ToUpper(st.cmd)}, nil
}

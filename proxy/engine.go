package proxy

import (
	"context"
	"net"

	"github.com/tally-db/tally/sqltypes"
)

// Engine is what the proxy needs from the SQL layer: one Session per client
// connection. The proxy owns this interface; cmd/tally wires planner's
// implementation into it.
type Engine interface {
	// NewSession starts the SQL session of one connection, after startup and
	// authentication: database is the Postgres database name (= the Cassandra
	// keyspace), user the authenticated role, params the startup parameters.
	NewSession(ctx context.Context, info SessionInfo) (Session, error)
}

// SessionInfo is what the proxy learnt at startup.
type SessionInfo struct {
	Database        string
	User            string
	ApplicationName string
	Params          map[string]string // every startup parameter the client sent
	// PID is the connection's id, sent as BackendKeyData's process id.
	PID uint32
	// ClientAddr is the client's address.
	ClientAddr net.Addr
}

// Session is one client's SQL session. It is used by one goroutine at a
// time. It owns the transaction state; the proxy owns statements and portals.
type Session interface {
	// Prepare parses and plans sql, which may hold zero or more statements
	// (the simple query protocol sends several; the extended protocol must
	// hold at most one, which the proxy checks: 42601 "cannot insert multiple
	// commands into a prepared statement"). paramOIDs are the types the
	// client declared for $1..$n; 0 or missing means "infer". An empty query
	// string returns zero statements.
	Prepare(ctx context.Context, sql string, paramOIDs []uint32) ([]Statement, error)
	// BeginImplicit opens the implicit transaction of an extended-query
	// pipeline, when no block is open: the statements executed until Sync
	// commit together (EndImplicit) and an error rolls them all back. A
	// BEGIN inside it makes it explicit; COMMIT or ROLLBACK end it.
	BeginImplicit()
	// EndImplicit commits the implicit transaction at Sync (or before a
	// simple Query), if one is open; otherwise it does nothing.
	EndImplicit(ctx context.Context) error
	// Fail reports an error the proxy found itself (Bind, Describe,
	// Execute of an unknown portal, ...): as any error in Postgres, it
	// fails an explicit block ('E') and rolls an implicit one back.
	// Errors of Prepare and Execute need no Fail: the session saw them.
	Fail()
	// TxStatus is the transaction status for ReadyForQuery:
	// 'I' idle, 'T' in a transaction block, 'E' in a failed transaction block.
	TxStatus() byte
	// ParameterStatus returns settings changed by the last statements that
	// the client must be told about with ParameterStatus (e.g. after
	// SET TimeZone / SET application_name); the proxy sends and forgets them.
	ParameterStatus() map[string]string
	// Close ends the session (connection closed); open transactions roll back.
	Close()
}

// Statement is one planned statement.
type Statement interface {
	// ParamOIDs are the types of $1..$n, all resolved (never 0) — exact OIDs
	// for ParameterDescription.
	ParamOIDs() []uint32
	// Fields describe the rows the statement returns; nil or empty means it
	// returns no rows (NoData).
	Fields() []Field
	// Execute runs the statement with parameter values already decoded to
	// sqltypes' Go representation (nil = NULL). A statement that returns
	// rows returns them all; the proxy applies row limits of Execute.
	Execute(ctx context.Context, params []any) (*Result, error)
}

// Field describes one result column (RowDescription).
type Field struct {
	Name         string
	TableOID     uint32
	ColumnAttr   uint16
	DataTypeOID  sqltypes.OID
	DataTypeSize int16
	TypeModifier int32
}

// Result is the outcome of one Execute: the command tag
// ("INSERT 0 1", "UPDATE 3", "SELECT 2", "CREATE TABLE", ...) and the rows,
// each a slice of sqltypes values in Fields order.
type Result struct {
	Tag  string
	Rows [][]any
	// Deallocate names a prepared statement the statement dropped (SQL
	// DEALLOCATE name: 26000 if there is none); DeallocateAll drops every
	// prepared statement and portal (DEALLOCATE ALL, DISCARD ALL).
	Deallocate    string
	DeallocateAll bool
	// Notices go to the client as NoticeResponse before the result: errors
	// (*pgerr.Error) whose Severity is NOTICE or WARNING.
	Notices []error
}

package rewrite

import (
	"context"
	"log/slog"
	"math"
	"time"

	"github.com/tally-db/tally/activity"
	"github.com/tally-db/tally/pgerr"
)

// Op is one executable operation of a plan.
type Op interface {
	// Execute runs the operation with the statement's parameters.
	Execute(ctx context.Context, env *Env, params []any) (*Result, error)
	// String is a stable rendering for golden plan tests.
	String() string
}

// Result is what an operation returns: a command tag and rows.
type Result struct {
	Tag  string
	Rows [][]any
	// Deallocate names prepared statements the client's connection drops
	// (DEALLOCATE name); DeallocateAll drops them all (DEALLOCATE ALL,
	// DISCARD ALL). The proxy owns prepared statements and applies it.
	Deallocate    string
	DeallocateAll bool
	// Notices are sent before the result (NoticeResponse): NOTICE or
	// WARNING severity, as Postgres sends for IF [NOT] EXISTS skips.
	Notices []*pgerr.Error
}

// Env is what operations run against: the store, the clock, the catalog and
// the session's keyspace.
type Env struct {
	Store    Store
	Clock    *Clock
	Catalog  *Catalog
	Keyspace string
	Info     *SessionInfo
	Log      *slog.Logger
	Options  Options
	Roller   *Roller // nil: no rollups
	Stats    *Stats  // nil: not counted
	// Activity lists the live sessions (pg_stat_activity); nil: none.
	Activity func() []activity.Backend

	// fixed, when set, is the stamp every write of this execution uses: a
	// statement resent with an idempotency key reuses its first stamp.
	fixed *stamp
	// tx is the open transaction block, or nil.
	tx *Tx
}

// Options shape the keyspaces and tables tally creates.
type Options struct {
	// Replication is the CQL replication map used when tally creates a
	// keyspace, e.g. {'class': 'SimpleStrategy', 'replication_factor': 1}.
	Replication string
	// Shards is how many delta partitions a new table spreads each row over.
	Shards int
	// GCGraceSeconds is the gc_grace_seconds of the CQL tables (0: Cassandra's
	// default). tally's correctness never depends on it: delete markers are
	// live cells, not tombstones.
	GCGraceSeconds int
	// IdempotencyWindow is how long an idempotency key is remembered.
	IdempotencyWindow time.Duration
	// Settle is how old a write must be before it is settled: no write
	// older than it can still be in flight (it exceeds every write deadline
	// with retries). Rollups fold only settled deltas.
	Settle time.Duration
	// MaxScanRows bounds the rows one table scan may visit (54000
	// beyond); 0 means the default, MaxScanRows.
	MaxScanRows int
}

// maxScanRows is Options.MaxScanRows or its default.
func (o Options) maxScanRows() int {
	if o.MaxScanRows > 0 {
		return o.MaxScanRows
	}
	return MaxScanRows
}

// stamp is one statement's write timestamp and transaction id.
type stamp struct {
	ts   int64
	txid [16]byte
}

func (e *Env) stamp() stamp {
	if e.fixed != nil {
		return *e.fixed
	}
	ts := e.Clock.Now()
	if e.tx != nil {
		return stamp{ts: ts, txid: e.tx.txid}
	}
	return stamp{ts: ts, txid: e.Clock.TxID(ts)}
}

func (e *Env) eval(params []any, row []any, ts int64) *Eval {
	return &Eval{Params: params, Row: row, Now: time.UnixMicro(ts), Info: e.Info}
}

// latest is the as-of bound of a read that sees every delta.
const latest = math.MaxInt64

// checkKeyspace refuses a database name Cassandra can't hold as a keyspace.
func checkKeyspace(ks string) error {
	if ks == "" || len(ks) > 48 {
		return pgerr.New(pgerr.InvalidCatalogName, "database name %q can't be a Cassandra keyspace (1 to 48 letters, digits or _)", ks)
	}
	for _, r := range ks {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
			return pgerr.New(pgerr.InvalidCatalogName, "database name %q can't be a Cassandra keyspace (1 to 48 letters, digits or _)", ks)
		}
	}
	switch ks {
	case "system", "system_auth", "system_schema", "system_distributed", "system_traces", "system_views", "system_virtual_schema":
		return pgerr.New(pgerr.InvalidCatalogName, "database %q is a Cassandra system keyspace", ks)
	}
	return nil
}

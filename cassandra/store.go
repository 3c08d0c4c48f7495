package cassandra

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/tally-db/tally/pgerr"
)

// Stmt is one CQL statement with its bound values. Timestamp, when not 0, is
// the write timestamp in microseconds (sent as the protocol's default
// timestamp, so a retried write carries the same one).
type Stmt struct {
	CQL       string
	Args      []any
	Timestamp int64
}

func (s Stmt) String() string {
	if s.Timestamp != 0 {
		return fmt.Sprintf("%s %v @%d", s.CQL, s.Args, s.Timestamp)
	}
	return fmt.Sprintf("%s %v", s.CQL, s.Args)
}

// Config is how to reach Cassandra.
type Config struct {
	Hosts            []string      // host or host:port
	ReadConsistency  string        // e.g. "QUORUM"
	WriteConsistency string        // e.g. "QUORUM"
	Timeout          time.Duration // per request
	ConnectTimeout   time.Duration
	// Username and Password, when set, log in with Cassandra's
	// PasswordAuthenticator.
	Username, Password string
	// Observer receives every request's outcome; nil: none.
	Observer Observer
}

// Observer is told about Cassandra requests, for metrics. Kind is read,
// write, batch, lwt or schema; err is the request's error as the store
// returns it (a *pgerr.Error: 08007 for an unknown outcome), nil on success.
type Observer interface {
	Request(kind string, d time.Duration, err error)
	// Retry: a request was sent again, by the driver (kind query or
	// batch, attempt > 0) or by the store (schema).
	Retry(kind string)
}

type noObserver struct{}

func (noObserver) Request(string, time.Duration, error) {}
func (noObserver) Retry(string)                         {}

// retryObserver tells the Observer about the driver's own retries.
type retryObserver struct{ o Observer }

func (r retryObserver) ObserveQuery(_ context.Context, q gocql.ObservedQuery) {
	if q.Attempt > 0 {
		r.o.Retry("query")
	}
}

func (r retryObserver) ObserveBatch(_ context.Context, b gocql.ObservedBatch) {
	if b.Attempt > 0 {
		r.o.Retry("batch")
	}
}

// observe reports a request that started at start.
func (s *Store) observe(kind string, start time.Time, err error) error {
	s.obs.Request(kind, time.Since(start), err)
	return err
}

// Store runs CQL against one Cassandra cluster.
type Store struct {
	session *gocql.Session
	read    gocql.Consistency
	write   gocql.Consistency
	obs     Observer
}

// Open connects to the cluster.
func Open(cfg Config, log *slog.Logger) (*Store, error) {
	read, err := parseConsistency(cfg.ReadConsistency)
	if err != nil {
		return nil, err
	}
	write, err := parseConsistency(cfg.WriteConsistency)
	if err != nil {
		return nil, err
	}
	cluster := gocql.NewCluster(cfg.Hosts...)
	cluster.Timeout = orDefault(cfg.Timeout, 5*time.Second)
	cluster.ConnectTimeout = orDefault(cfg.ConnectTimeout, 5*time.Second)
	cluster.PoolConfig.HostSelectionPolicy = gocql.TokenAwareHostPolicy(gocql.RoundRobinHostPolicy())
	cluster.RetryPolicy = &gocql.SimpleRetryPolicy{NumRetries: 3}
	cluster.Consistency = read
	if cfg.Username != "" {
		cluster.Authenticator = gocql.PasswordAuthenticator{Username: cfg.Username, Password: cfg.Password}
	}
	obs := cfg.Observer
	if obs == nil {
		obs = noObserver{}
	}
	cluster.QueryObserver, cluster.BatchObserver = retryObserver{obs}, retryObserver{obs}
	session, err := cluster.CreateSession()
	if err != nil {
		return nil, fmt.Errorf("cassandra: connect %v: %w", cfg.Hosts, err)
	}
	return &Store{session: session, read: read, write: write, obs: obs}, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

func parseConsistency(s string) (gocql.Consistency, error) {
	if s == "" {
		return gocql.Quorum, nil
	}
	c, err := gocql.ParseConsistencyWrapper(strings.ToUpper(s))
	if err != nil {
		return 0, fmt.Errorf("cassandra: consistency %q: %w", s, err)
	}
	return c, nil
}

// Close closes the session.
func (s *Store) Close() { s.session.Close() }

// Exec runs one write. Writes tally sends are idempotent by construction, so
// the driver may retry them.
func (s *Store) Exec(ctx context.Context, st Stmt) error {
	start := time.Now()
	q := s.session.Query(st.CQL, st.Args...).Consistency(s.write).Idempotent(true)
	if st.Timestamp != 0 {
		q = q.WithTimestamp(st.Timestamp)
	}
	if err := q.ExecContext(ctx); err != nil {
		return s.observe("write", start, classify(err, "write"))
	}
	return s.observe("write", start, nil)
}

// Batch runs statements in one logged batch: all or nothing. The batch's
// timestamp is the first statement's Timestamp.
func (s *Store) Batch(ctx context.Context, sts []Stmt) error {
	if len(sts) == 0 {
		return nil
	}
	if len(sts) == 1 {
		return s.Exec(ctx, sts[0])
	}
	start := time.Now()
	b := s.session.Batch(gocql.LoggedBatch).Consistency(s.write)
	for _, st := range sts {
		b = b.Query(st.CQL, st.Args...)
	}
	if sts[0].Timestamp != 0 {
		b = b.WithTimestamp(sts[0].Timestamp)
	}
	for i := range b.Entries {
		b.Entries[i].Idempotent = true
	}
	if err := b.ExecContext(ctx); err != nil {
		return s.observe("batch", start, classify(err, "batch"))
	}
	return s.observe("batch", start, nil)
}

// Query runs a read and returns every row; NULL cells are nil and values are
// plain Go values (int64, float64, bool, string, []byte, [16]byte,
// time.Time, *inf.Dec).
func (s *Store) Query(ctx context.Context, st Stmt) ([][]any, error) {
	start := time.Now()
	iter := s.session.Query(st.CQL, st.Args...).Consistency(s.read).Idempotent(true).IterContext(ctx)
	cols := iter.Columns()
	dest := make([]any, len(cols))
	for i, c := range cols {
		dest[i] = reflect.New(reflect.PointerTo(reflect.TypeOf(c.TypeInfo.Zero()))).Interface()
	}
	var rows [][]any
	for iter.Scan(dest...) {
		row := make([]any, len(cols))
		for i, d := range dest {
			p := reflect.ValueOf(d).Elem() // *T
			if !p.IsNil() {
				row[i] = plain(p.Elem().Interface())
				p.Set(reflect.Zero(p.Type()))
			}
		}
		rows = append(rows, row)
	}
	if err := iter.Close(); err != nil {
		return nil, s.observe("read", start, classify(err, "read"))
	}
	return rows, s.observe("read", start, nil)
}

// plain turns driver types into the plain Go values tally uses.
func plain(v any) any {
	if u, ok := v.(gocql.UUID); ok {
		return [16]byte(u)
	}
	return v
}

// CAS runs a lightweight transaction (used only for rows that are never
// written without one: catalog and idempotency records) and reports
// whether it applied; if not, it returns the existing row's columns.
func (s *Store) CAS(ctx context.Context, st Stmt) (bool, map[string]any, error) {
	start := time.Now()
	q := s.session.Query(st.CQL, st.Args...).Consistency(s.write).SerialConsistency(gocql.Serial)
	m := map[string]any{}
	applied, err := q.MapScanCASContext(ctx, m)
	if err != nil {
		return false, nil, s.observe("lwt", start, classify(err, "lightweight transaction"))
	}
	s.obs.Request("lwt", time.Since(start), nil)
	for k, v := range m {
		m[k] = plain(v)
	}
	return applied, m, nil
}

// schemaAttempts is how often a schema change that timed out on the client
// is sent again. A schema change on a busy node can take longer than the
// per-request timeout; every one tally sends is idempotent (IF [NOT]
// EXISTS, TRUNCATE), so sending it again is safe.
const schemaAttempts = 4

// Schema runs a schema change and waits until every node agrees on it.
func (s *Store) Schema(ctx context.Context, cql string) error {
	start := time.Now()
	var err error
	for attempt := 1; attempt <= schemaAttempts; attempt++ {
		err = s.session.Query(cql).Consistency(gocql.One).ExecContext(ctx)
		if err == nil || ctx.Err() != nil || !errors.Is(err, gocql.ErrTimeoutNoResponse) {
			break
		}
		s.obs.Retry("schema")
	}
	if err != nil {
		return s.observe("schema", start, classify(err, "schema change"))
	}
	if err := s.session.AwaitSchemaAgreement(ctx); err != nil {
		return s.observe("schema", start, classify(err, "schema agreement"))
	}
	return s.observe("schema", start, nil)
}

// Ping reads one row at the read consistency, for readiness checks: from
// the catalog of keyspace ks when given (tally's own replicated data),
// else from system.local (the node answers at all).
func (s *Store) Ping(ctx context.Context, ks string) error {
	cql := "SELECT key FROM system.local"
	if ks != "" {
		cql = fmt.Sprintf("SELECT name FROM %q.tally_catalog LIMIT 1", ks)
	}
	iter := s.session.Query(cql).Consistency(s.read).Idempotent(true).IterContext(ctx)
	if err := iter.Close(); err != nil {
		return classify(err, "read")
	}
	return nil
}

// CatalogKeyspaces lists the keyspaces that hold a tally catalog (the
// databases tally serves), from the schema the driver keeps.
func (s *Store) CatalogKeyspaces(ctx context.Context) ([]string, error) {
	iter := s.session.Query("SELECT keyspace_name FROM system_schema.tables WHERE table_name = 'tally_catalog' ALLOW FILTERING").
		Consistency(gocql.One).IterContext(ctx)
	var out []string
	var ks string
	for iter.Scan(&ks) {
		out = append(out, ks)
	}
	if err := iter.Close(); err != nil {
		return nil, classify(err, "read")
	}
	return out, nil
}

// classify maps a driver error to a SQLSTATE: a write whose outcome can't be
// known is 08007, an unreachable cluster 08006, anything else XX000.
func classify(err error, what string) error {
	var wt *gocql.RequestErrWriteTimeout
	var unavailable *gocql.RequestErrUnavailable
	var invalid *gocql.RequestErrInvalid
	var syntax *gocql.RequestErrSyntax
	var readTimeout *gocql.RequestErrReadTimeout
	write := what == "write" || what == "batch"
	switch {
	case errors.As(err, &invalid), errors.As(err, &syntax):
		// Refused before anything was written (a dropped table, a bug).
		return pgerr.Wrap(err, pgerr.InternalError, "cassandra refused the %s", what)
	case errors.As(err, &wt):
		return pgerr.Wrap(err, pgerr.TransactionResolutionUnknown,
			"cassandra %s timed out: the write may or may not have been applied", what)
	case (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)) && write:
		// Cancelled or out of time after the write may have reached a
		// replica: tally can't take it back, so it can't call it failed.
		return pgerr.Wrap(err, pgerr.TransactionResolutionUnknown,
			"cassandra %s did not finish in time: the write may or may not have been applied", what)
	case errors.Is(err, context.Canceled):
		return pgerr.Wrap(err, pgerr.QueryCanceled, "canceling statement due to user request")
	case !write && (errors.As(err, &readTimeout) || errors.Is(err, gocql.ErrTimeoutNoResponse) || errors.Is(err, context.DeadlineExceeded)):
		// A read that timed out changed nothing; the client may retry.
		return pgerr.Wrap(err, pgerr.QueryCanceled, "canceling statement: cassandra %s timed out", what)
	case errors.As(err, &unavailable), errors.Is(err, gocql.ErrNoConnections), errors.Is(err, gocql.ErrUnavailable):
		// The coordinator refused before writing anything.
		return pgerr.Wrap(err, "08006", "cassandra %s failed: not enough replicas available", what)
	case write:
		// Anything else may have happened after the write reached a replica.
		return pgerr.Wrap(err, pgerr.TransactionResolutionUnknown,
			"cassandra %s failed: the write may or may not have been applied", what)
	}
	return pgerr.Wrap(err, pgerr.InternalError, "cassandra %s failed", what)
}

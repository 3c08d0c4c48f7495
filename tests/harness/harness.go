// Package harness starts tally in-process, on an ephemeral port, over the
// real Cassandra the test run started (TALLY_CASSANDRA, default
// 127.0.0.1:9042), and gives tests pgx connections to it. Each test gets a
// database (= keyspace) of its own, dropped when the test ends.
package harness

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tally-db/tally/app"
	"github.com/tally-db/tally/cassandra"
	"github.com/tally-db/tally/planner"
	"github.com/tally-db/tally/rewrite"
)

// Tally is one running tally over the real Cassandra.
type Tally struct {
	Addr     string
	Database string
	Store    *Recorder // every statement tally sent to Cassandra
	Raw      *cassandra.Store
	Engine   *planner.Engine

	cfg app.Config
	log *slog.Logger
}

// Start starts tally for t and returns it; everything stops at t's end.
func Start(t testing.TB) *Tally {
	t.Helper()
	return StartWith(t, nil)
}

// StartWith is Start with configuration changes.
func StartWith(t testing.TB, configure func(*app.Config)) *Tally {
	t.Helper()
	raw := openStore(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("TALLY_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	cfg := app.Defaults()
	cfg.Shards = 4 // exercise the gather over several delta partitions
	// Rollups run within the tests: deltas settle after 10 s.
	cfg.Settle = 10 * time.Second
	cfg.RollupThreshold = 16
	if configure != nil {
		configure(&cfg)
	}
	db := "test_" + randomHex(6)
	t.Cleanup(func() { // runs after the engines stop (cleanups run last first)
		dctx, dcancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer dcancel()
		_ = raw.Schema(dctx, fmt.Sprintf("DROP KEYSPACE IF EXISTS %s", db))
	})
	tl := serve(t, cfg, raw, log)
	tl.Database = db
	return tl
}

// Peer starts a second tally process over the same Cassandra and database,
// as a deployment runs several behind a load balancer. It stops at t's end,
// before tl's database is dropped.
func (tl *Tally) Peer(t testing.TB) *Tally {
	t.Helper()
	p := serve(t, tl.cfg, tl.Raw, tl.log)
	p.Database = tl.Database
	return p
}

// serve runs one tally engine on an ephemeral port until t's end.
func serve(t testing.TB, cfg app.Config, raw *cassandra.Store, log *slog.Logger) *Tally {
	t.Helper()
	rec := &Recorder{Store: raw}
	pc, err := app.ProxyConfig(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	engine := app.NewEngine(cfg, rec, log)
	go func() {
		defer close(done)
		defer engine.Close()
		_ = app.ServeProxy(ctx, pc, engine, ln, log)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return &Tally{Addr: ln.Addr().String(), Store: rec, Raw: raw, Engine: engine, cfg: cfg, log: log}
}

// DSN is a connection string for this tally and the test's database.
func (tl *Tally) DSN() string {
	host, port, _ := net.SplitHostPort(tl.Addr)
	return fmt.Sprintf("postgres://tester@%s:%s/%s?sslmode=disable", host, port, tl.Database)
}

// Connect opens a pgx connection, closed at t's end.
func (tl *Tally) Connect(t testing.TB) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, tl.DSN())
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

var (
	storeOnce sync.Once
	shared    *cassandra.Store
	storeErr  error
)

// openStore connects once per test binary.
func openStore(t testing.TB) *cassandra.Store {
	storeOnce.Do(func() {
		hosts := os.Getenv("TALLY_CASSANDRA")
		if hosts == "" {
			hosts = "127.0.0.1:9042"
		}
		shared, storeErr = cassandra.Open(cassandra.Config{
			Hosts: strings.Split(hosts, ","), Timeout: 20 * time.Second,
		}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	})
	if storeErr != nil {
		t.Fatalf("cassandra is not reachable (start it with `make cassandra`): %v", storeErr)
	}
	return shared
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Recorder passes statements to the real store and remembers the writes,
// and the text of every statement (reads, LWTs and schema changes too).
type Recorder struct {
	rewrite.Store
	mu     sync.Mutex
	writes []cassandra.Stmt
	reads  []cassandra.Stmt
	texts  []string
}

// Query records and runs a read.
func (r *Recorder) Query(ctx context.Context, st cassandra.Stmt) ([][]any, error) {
	r.mu.Lock()
	r.reads = append(r.reads, st)
	r.texts = append(r.texts, st.CQL)
	r.mu.Unlock()
	return r.Store.Query(ctx, st)
}

// Reads returns the recorded reads whose CQL contains substr.
func (r *Recorder) Reads(substr string) []cassandra.Stmt {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []cassandra.Stmt
	for _, st := range r.reads {
		if strings.Contains(st.CQL, substr) {
			out = append(out, st)
		}
	}
	return out
}

// CAS records the text of a lightweight transaction and runs it.
func (r *Recorder) CAS(ctx context.Context, st cassandra.Stmt) (bool, map[string]any, error) {
	r.recordText(st.CQL)
	return r.Store.CAS(ctx, st)
}

// Schema records a schema change and runs it.
func (r *Recorder) Schema(ctx context.Context, cql string) error {
	r.recordText(cql)
	return r.Store.Schema(ctx, cql)
}

func (r *Recorder) recordText(cql string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.texts = append(r.texts, cql)
}

// Texts returns the CQL text of every statement tally sent, in order.
func (r *Recorder) Texts() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.texts...)
}

// Exec records and runs one write.
func (r *Recorder) Exec(ctx context.Context, st cassandra.Stmt) error {
	r.record(st)
	return r.Store.Exec(ctx, st)
}

// Batch records and runs a batch.
func (r *Recorder) Batch(ctx context.Context, sts []cassandra.Stmt) error {
	for _, st := range sts {
		r.record(st)
	}
	return r.Store.Batch(ctx, sts)
}

func (r *Recorder) record(st cassandra.Stmt) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writes = append(r.writes, st)
	r.texts = append(r.texts, st.CQL)
}

// Writes returns the recorded writes whose CQL contains substr.
func (r *Recorder) Writes(substr string) []cassandra.Stmt {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []cassandra.Stmt
	for _, st := range r.writes {
		if strings.Contains(st.CQL, substr) {
			out = append(out, st)
		}
	}
	return out
}

// Stmt is a CQL statement without arguments.
func Stmt(cql string, args ...any) cassandra.Stmt { return cassandra.Stmt{CQL: cql, Args: args} }

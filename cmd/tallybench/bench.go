package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/jackc/pgx/v5"

	"github.com/tally-db/tally/cassandra"
)

// results is everything one run measured.
type results struct {
	Started  time.Time
	Cfg      config
	Cells    []cell
	TallyCPU map[string]float64 // cell id → tally CPU seconds per 10,000 increments (warm-up included)
	Reads    []cell             // "tally read", "plain CQL read"
	History  int                // increments behind the read row
	RSSBase  int64              // tally's RSS before the idle connections
	RSSIdle  int64              // with cfg.Idle idle connections
	ScaleOne float64            // increments/s, 64 clients, uniform, one tally
	ScaleTwo float64            // the same clients split over two tallies
	ScaleN   int                // clients of the scale-out figure
	Profile  string             // top of the CPU profile
	Notes    []string
	// LoadStart is /proc/loadavg when the run began: other work on the
	// machine skews every figure.
	LoadStart string
}

func cellID(system string, clients int, keys string) string {
	return fmt.Sprintf("%s/%d/%s", system, clients, keys)
}

// bench runs everything and writes the reports.
func bench(ctx context.Context, cfg config) error {
	if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		return err
	}
	res := &results{Started: time.Now().UTC(), Cfg: cfg, TallyCPU: map[string]float64{}, LoadStart: loadavg()}
	cl, err := gocql.ParseConsistencyWrapper(cfg.Consistent)
	if err != nil {
		return err
	}
	hosts := strings.Split(cfg.Cassandra, ",")
	cluster := gocql.NewCluster(hosts...)
	cluster.Timeout = 10 * time.Second
	cluster.Consistency = cl
	cluster.PoolConfig.HostSelectionPolicy = gocql.TokenAwareHostPolicy(gocql.RoundRobinHostPolicy())
	session, err := cluster.CreateSession()
	if err != nil {
		return fmt.Errorf("cassandra %s: %w (start it with `make cassandra`)", cfg.Cassandra, err)
	}
	defer session.Close()
	logf("setting up keyspaces %s and %s", cfg.Keyspace, cfg.NativeKS)
	if err := setupNative(ctx, session, cfg); err != nil {
		return err
	}
	if !cfg.Keep {
		defer dropKeyspaces(session, cfg)
	}

	// tally, as a process of its own.
	tl, err := launchTally(ctx, cfg, "tally.log")
	if err != nil {
		return err
	}
	defer tl.Stop()
	admin, err := pgx.Connect(ctx, tallyDSN(cfg, tl.Addr))
	if err != nil {
		return fmt.Errorf("connect to tally: %w", err)
	}
	defer admin.Close(context.Background())
	logf("seeding %d rows through tally (multi-row INSERT)", cfg.Rows+1)
	if err := seedTally(ctx, cfg, tl.Addr, admin); err != nil {
		return err
	}

	var pg *postgres
	if cfg.Systems["pg-sync"] || cfg.Systems["pg-async"] {
		logf("starting PostgreSQL 15 on port %d", cfg.PGPort)
		if pg, err = startPostgres(ctx, cfg.PGBin, cfg.PGDir, cfg.PGPort); err != nil {
			return err
		}
		defer pg.Stop()
		if err := pg.seed(ctx, cfg.Rows); err != nil {
			return err
		}
	}

	// Clients, opened once per system for the largest count.
	maxClients := 0
	for _, n := range cfg.Clients {
		maxClients = max(maxClients, n)
	}
	ops := map[string][]opFunc{}
	if cfg.Systems["tally"] {
		conns, err := pgxClients(ctx, tallyDSN(cfg, tl.Addr), maxClients, nil)
		if err != nil {
			return err
		}
		defer closeAll(conns)
		ops["tally"] = sqlIncrements(conns)
	}
	if cfg.Systems["native"] {
		ops["native"] = nativeIncrements(session, cfg.NativeKS, cl, maxClients)
	}
	if cfg.Systems["floor"] {
		ops["floor"] = floorWrites(session, cfg.NativeKS, cl, cfg.Shards, maxClients)
	}
	for sys, sc := range map[string]string{"pg-sync": "on", "pg-async": "off"} {
		if !cfg.Systems[sys] {
			continue
		}
		conns, err := pgxClients(ctx, pg.DSN(), maxClients, map[string]string{"synchronous_commit": sc})
		if err != nil {
			return err
		}
		defer closeAll(conns)
		ops[sys] = sqlIncrements(conns)
	}

	// The write cells, systems interleaved per (clients, keys) so drift in
	// the machine's load affects every system alike.
	for _, n := range cfg.Clients {
		for _, keys := range []string{"uniform", "hot"} {
			pick := uniformKeys(cfg.Rows)
			if keys == "hot" {
				pick = hotKey(1)
			}
			for _, sys := range systemOrder {
				if ops[sys] == nil {
					continue
				}
				cpu0, _ := tl.CPUSeconds()
				c := run(ctx, ops[sys][:n], pick, cfg.Warmup, cfg.Duration)
				if ctx.Err() != nil {
					return ctx.Err()
				}
				c.System, c.Clients, c.Keys = sys, n, keys
				if sys == "tally" && c.Total > 0 {
					cpu1, _ := tl.CPUSeconds()
					res.TallyCPU[cellID(sys, n, keys)] = (cpu1 - cpu0) / float64(c.Total) * 10_000
				}
				res.Cells = append(res.Cells, c)
				logCell(c)
			}
		}
	}

	if cfg.Systems["tally"] && !cfg.SkipScale {
		if err := scaleOut(ctx, cfg, tl, ops["tally"], res); err != nil {
			return err
		}
	}
	if !cfg.SkipReads {
		if err := reads(ctx, cfg, session, cl, tl, admin, res); err != nil {
			return err
		}
	}
	if !cfg.SkipIdle {
		if err := idle(ctx, cfg, tl, res); err != nil {
			return err
		}
	}
	tl.Stop() // before reading the profile, which tally writes as it stops
	if cfg.Profile {
		res.Profile = topOfProfile(filepath.Join(cfg.Out, "tally-cpu.pprof"))
		if err := os.WriteFile(filepath.Join(cfg.Out, "profile.txt"), []byte(res.Profile), 0o644); err != nil {
			return err
		}
	}
	return writeReports(cfg, res)
}

// launchTally starts bin/tally serve (or, with --profile, this binary's
// serve-profiled) over the benchmark's Cassandra.
func launchTally(ctx context.Context, cfg config, logName string) (*tallyProc, error) {
	argv := []string{cfg.TallyBin, "serve"}
	extra := []string{}
	if cfg.Profile {
		self, err := os.Executable()
		if err != nil {
			return nil, err
		}
		argv = []string{self, "serve-profiled"}
		extra = append(extra, "--cpuprofile", filepath.Join(cfg.Out, "tally-cpu.pprof"),
			"--mutexprofile", filepath.Join(cfg.Out, "tally-mutex.pprof"))
	}
	extra = append(extra, "--cassandra", cfg.Cassandra, "--shards", fmt.Sprint(cfg.Shards),
		"--read-consistency", cfg.Consistent, "--write-consistency", cfg.Consistent, "--log-level", "warn")
	if !cfg.Profile {
		// The idle test opens --idle connections beside the workload's:
		// above tally's default max_connections (1,000).
		extra = append(extra, "--max-connections", fmt.Sprint(cfg.Idle+1000))
	}
	logf("starting %s on a free port", strings.Join(argv, " "))
	return startTally(ctx, argv, filepath.Join(cfg.Out, logName), extra...)
}

func tallyDSN(cfg config, addr string) string {
	return fmt.Sprintf("postgres://bench@%s/%s?sslmode=disable", addr, cfg.Keyspace)
}

// setupNative drops both keyspaces and creates the native one: a counter
// table, the floor's delta-sized table and a plain table for the read test.
func setupNative(ctx context.Context, s *gocql.Session, cfg config) error {
	dropKeyspaces(s, cfg)
	for _, cql := range []string{
		fmt.Sprintf(`CREATE KEYSPACE %s WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`, cfg.NativeKS),
		fmt.Sprintf(`CREATE TABLE %s.counters (post_id bigint PRIMARY KEY, likes counter)`, cfg.NativeKS),
		fmt.Sprintf(`CREATE TABLE %s.floor (post_id bigint, shard int, ts bigint, txid uuid, likes bigint, PRIMARY KEY ((post_id, shard), ts, txid))`, cfg.NativeKS),
		fmt.Sprintf(`CREATE TABLE %s.plain (id bigint PRIMARY KEY, likes bigint)`, cfg.NativeKS),
	} {
		if err := s.Query(cql).Consistency(gocql.One).ExecContext(ctx); err != nil {
			return fmt.Errorf("cassandra: %s: %w", cql, err)
		}
		if err := s.AwaitSchemaAgreement(ctx); err != nil {
			return err
		}
	}
	return nil
}

func dropKeyspaces(s *gocql.Session, cfg config) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, ks := range []string{cfg.Keyspace, cfg.NativeKS} {
		if err := s.Query(fmt.Sprintf(`DROP KEYSPACE IF EXISTS %s`, ks)).Consistency(gocql.One).ExecContext(ctx); err != nil {
			logf("drop keyspace %s: %v", ks, err)
		}
	}
	_ = s.AwaitSchemaAgreement(ctx)
}

// seedTally creates posts through tally and inserts rows 0..cfg.Rows with
// multi-row INSERTs from a few connections.
func seedTally(ctx context.Context, cfg config, addr string, admin *pgx.Conn) error {
	if _, err := admin.Exec(ctx, `CREATE TABLE posts (post_id bigint PRIMARY KEY, likes bigint NOT NULL DEFAULT 0)`); err != nil {
		return fmt.Errorf("tally: create table: %w", err)
	}
	conns, err := pgxClients(ctx, tallyDSN(cfg, addr), 8, nil)
	if err != nil {
		return err
	}
	defer closeAll(conns)
	const perStmt = 250
	next := make(chan int64)
	go func() {
		defer close(next)
		for from := int64(0); from <= cfg.Rows; from += perStmt {
			select {
			case next <- from:
			case <-ctx.Done():
				return
			}
		}
	}()
	errs := make([]error, len(conns))
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for from := range next {
				if errs[i] != nil {
					continue
				}
				var b strings.Builder
				b.WriteString("INSERT INTO posts (post_id) VALUES ")
				for k := from; k < from+perStmt && k <= cfg.Rows; k++ {
					if k > from {
						b.WriteString(", ")
					}
					fmt.Fprintf(&b, "(%d)", k)
				}
				if _, err := c.Exec(ctx, b.String()); err != nil {
					errs[i] = fmt.Errorf("tally: seed rows from %d: %w", from, err)
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return ctx.Err()
}

// scaleOut measures 64 clients (or the largest count) on uniform keys
// against one tally, then split evenly over two tally processes.
func scaleOut(ctx context.Context, cfg config, tl *tallyProc, one []opFunc, res *results) error {
	n := len(one)
	logf("scale-out: %d clients on one tally, then split over two", n)
	c := run(ctx, one, uniformKeys(cfg.Rows), cfg.Warmup, cfg.Duration)
	res.ScaleOne, res.ScaleN = c.PerSec(), n
	second, err := launchTally(ctx, config{TallyBin: cfg.TallyBin, Cassandra: cfg.Cassandra, Shards: cfg.Shards,
		Consistent: cfg.Consistent, Out: cfg.Out}, "tally2.log")
	if err != nil {
		return err
	}
	defer second.Stop()
	conns, err := pgxClients(ctx, tallyDSN(cfg, second.Addr), n-n/2, nil)
	if err != nil {
		return err
	}
	defer closeAll(conns)
	split := append(append([]opFunc{}, one[:n/2]...), sqlIncrements(conns)...)
	c2 := run(ctx, split, uniformKeys(cfg.Rows), cfg.Warmup, cfg.Duration)
	res.ScaleTwo = c2.PerSec()
	logf("scale-out: one tally %.0f/s, two %.0f/s (errors %d, %d)", res.ScaleOne, res.ScaleTwo, c.Errors, c2.Errors)
	return ctx.Err()
}

// reads builds the long-history row and times single-client reads of it
// through tally against a plain single-row CQL read.
func reads(ctx context.Context, cfg config, s *gocql.Session, cl gocql.Consistency, tl *tallyProc, admin *pgx.Conn, res *results) error {
	const key = 0 // seeded, outside the uniform range 1..rows
	store, err := cassandra.Open(cassandra.Config{Hosts: strings.Split(cfg.Cassandra, ","),
		ReadConsistency: cfg.Consistent, WriteConsistency: cfg.Consistent, Timeout: 20 * time.Second}, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer store.Close()
	t0 := time.Now()
	logf("reads: writing a history of %d increments for post %d, folded by %d rollups per shard", cfg.History, key, cfg.Rollups)
	if err := giveHistory(ctx, s, store, cfg.Keyspace, "posts", key, cfg.History, cfg.Rollups); err != nil {
		return err
	}
	logf("reads: history written and rolled up in %.1f s", time.Since(t0).Seconds())
	var got int64
	if err := admin.QueryRow(ctx, `SELECT likes FROM posts WHERE post_id = $1`, key).Scan(&got); err != nil {
		return fmt.Errorf("tally: read the history row: %w", err)
	}
	if got != int64(cfg.History) {
		return fmt.Errorf("tally reads %d likes on the history row, want %d", got, cfg.History)
	}
	res.History = cfg.History
	if err := s.Query(fmt.Sprintf(`INSERT INTO %s.plain (id, likes) VALUES (?, ?)`, cfg.NativeKS), int64(key), got).
		Consistency(cl).ExecContext(ctx); err != nil {
		return err
	}
	warm := min(cfg.Warmup, time.Second)
	tr := run(ctx, []opFunc{tallyRead(admin)}, hotKey(key), warm, cfg.ReadFor)
	tr.System, tr.Clients, tr.Keys = "tally", 1, fmt.Sprintf("%d-increment row", cfg.History)
	pr := run(ctx, []opFunc{cqlRead(s, cfg.NativeKS, cl)}, hotKey(key), warm, cfg.ReadFor)
	pr.System, pr.Clients, pr.Keys = "plain CQL", 1, "single row"
	// For scale: tally reading a row of the same table no increment ever
	// touched (row rows+1, seeded by INSERT only) shows tally's fixed cost.
	if _, err := admin.Exec(ctx, `INSERT INTO posts (post_id) VALUES ($1)`, cfg.Rows+1); err != nil {
		return fmt.Errorf("tally: insert the fresh row: %w", err)
	}
	fr := run(ctx, []opFunc{tallyRead(admin)}, hotKey(cfg.Rows+1), warm, cfg.ReadFor)
	fr.System, fr.Clients, fr.Keys = "tally", 1, "row without increments"
	res.Reads = []cell{tr, pr, fr}
	logCell(tr)
	logCell(pr)
	logCell(fr)
	if cfg.Nodetool != "" {
		// Right after the burst the folded deltas still sit, shadowed by
		// the rollups' range deletes, in memtables and sstables that no
		// compaction has merged yet; a row whose history came over hours
		// would have been compacted in between.
		logf("reads: flushing and compacting keyspace %s (%s)", cfg.Keyspace, cfg.Nodetool)
		for _, args := range [][]string{{"flush", cfg.Keyspace}, {"compact", cfg.Keyspace}} {
			if err := nodetool(ctx, cfg.Nodetool, args...); err != nil {
				res.Notes = append(res.Notes, fmt.Sprintf("nodetool %s failed, no read after compaction: %v", args[0], err))
				return ctx.Err()
			}
		}
		cr := run(ctx, []opFunc{tallyRead(admin)}, hotKey(key), warm, cfg.ReadFor)
		cr.System, cr.Clients, cr.Keys = "tally", 1, fmt.Sprintf("%d-increment row, compacted", cfg.History)
		res.Reads = append(res.Reads, cr)
		logCell(cr)
	}
	return ctx.Err()
}

// idle opens cfg.Idle connections to tally, leaves them idle and reads
// tally's resident memory.
func idle(ctx context.Context, cfg config, tl *tallyProc, res *results) error {
	var err error
	if res.RSSBase, err = tl.RSS(); err != nil {
		return err
	}
	logf("idle: opening %d connections to tally (RSS before: %.1f MB)", cfg.Idle, mb(res.RSSBase))
	conns, err := pgxClients(ctx, tallyDSN(cfg, tl.Addr), cfg.Idle, nil)
	if err != nil {
		return fmt.Errorf("idle connections (raise `ulimit -n`?): %w", err)
	}
	defer closeAll(conns)
	sleep(ctx, 2*time.Second)
	if res.RSSIdle, err = tl.RSS(); err != nil {
		return err
	}
	logf("idle: RSS with %d idle connections: %.1f MB", cfg.Idle, mb(res.RSSIdle))
	return ctx.Err()
}

// nodetool runs the --nodetool command with args.
func nodetool(ctx context.Context, prefix string, args ...string) error {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(cctx, "sh", "-c", prefix+" "+strings.Join(args, " "))
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%w: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s %s\n", time.Now().UTC().Format("15:04:05"), fmt.Sprintf(format, args...))
}

func logCell(c cell) {
	e := ""
	if c.Errors > 0 {
		e = fmt.Sprintf("  errors %d (first: %s)", c.Errors, c.FirstErr)
	}
	logf("%-9s %3d clients %-22s %9.0f ops/s  p50 %6.2f ms  p99 %7.2f ms%s",
		c.System, c.Clients, c.Keys, c.PerSec(), ms(c.P50), ms(c.P99), e)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// Command tallybench is issue 5's benchmark: tally's increments against
// Cassandra's native counters, the write path's floor (one plain CQL
// INSERT per increment) and PostgreSQL 15, at 1, 16 and 64 clients over
// uniform and hot keys; reads of a row with a long history; tally's CPU
// and memory; and two tally processes against one. It writes results.md,
// results.csv and throughput.svg into --out and prints the table.
// Run it with `make bench` (QUICK=1 for the short version).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// config is the benchmark's settings.
type config struct {
	Quick      bool
	Out        string
	TallyBin   string
	Cassandra  string
	Shards     int
	PGBin      string
	PGPort     int
	PGDir      string
	Rows       int64
	Clients    []int
	Systems    map[string]bool
	Warmup     time.Duration
	Duration   time.Duration
	History    int // increments behind the read row
	Rollups    int // rollups folding that history
	ReadFor    time.Duration
	Idle       int
	Profile    bool
	SkipReads  bool
	SkipIdle   bool
	SkipScale  bool
	Keep       bool
	Keyspace   string // tally's database
	NativeKS   string // native counters, floor and the plain read table
	Consistent string // consistency of every Cassandra request, tally's included
	Nodetool   string // command prefix running nodetool against the node; empty: skip
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "serve-profiled" {
		if err := serveProfiled(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "tallybench serve-profiled:", err)
			os.Exit(1)
		}
		return
	}
	cfg, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tallybench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := bench(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "tallybench:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (config, error) {
	cfg := config{}
	fs := flag.NewFlagSet("tallybench", flag.ContinueOnError)
	fs.BoolVar(&cfg.Quick, "quick", false, "fewer samples: short cells, a shorter history (under 3 minutes)")
	fs.StringVar(&cfg.Out, "out", ".bench", "directory for results.md, results.csv, throughput.svg and logs")
	fs.StringVar(&cfg.TallyBin, "tally", "bin/tally", "the tally binary (run as `<tally> serve`)")
	fs.StringVar(&cfg.Cassandra, "cassandra", "127.0.0.1:9042", "Cassandra contact points")
	fs.IntVar(&cfg.Shards, "shards", 4, "tally --shards (delta partitions per row); the floor spreads its rows the same way")
	fs.StringVar(&cfg.PGBin, "pg-bin", "/usr/lib/postgresql/15/bin", "PostgreSQL server binaries (initdb, pg_ctl); empty: skip PostgreSQL")
	fs.IntVar(&cfg.PGPort, "pg-port", 55530, "port of the benchmark's PostgreSQL")
	fs.StringVar(&cfg.PGDir, "pg-dir", "/tmp/tallybench-pg", "PostgreSQL data directory (wiped at start and end)")
	fs.Int64Var(&cfg.Rows, "rows", 100_000, "rows the uniform keys spread over")
	clients := fs.String("clients", "1,16,64", "client counts")
	systems := fs.String("systems", "tally,native,floor,pg-sync,pg-async", "systems to measure")
	fs.DurationVar(&cfg.Warmup, "warmup", 0, "warm-up per cell (default 3s, quick 0.5s)")
	fs.DurationVar(&cfg.Duration, "duration", 0, "measured time per cell (default 15s, quick 2s)")
	fs.IntVar(&cfg.History, "history", 0, "increments behind the row the read test reads (default 1,000,000, quick 100,000)")
	fs.IntVar(&cfg.Rollups, "rollups", 20, "rollups per shard folding that history as it is written")
	fs.DurationVar(&cfg.ReadFor, "read-duration", 0, "measured time of each read test (default 10s, quick 2s)")
	fs.IntVar(&cfg.Idle, "idle", 1000, "idle client connections for the memory figure")
	fs.BoolVar(&cfg.Profile, "profile", false, "run tally in-process in a child (tallybench serve-profiled) with a CPU profile; writes tally-cpu.pprof and profile.txt")
	fs.BoolVar(&cfg.SkipReads, "skip-reads", false, "skip the read test")
	fs.BoolVar(&cfg.SkipIdle, "skip-idle", false, "skip the idle-connections memory test")
	fs.BoolVar(&cfg.SkipScale, "skip-scale", false, "skip the two-tally scale-out figure")
	fs.BoolVar(&cfg.Keep, "keep", false, "keep the benchmark keyspaces afterwards")
	fs.StringVar(&cfg.Keyspace, "keyspace", "tallybench", "tally's database (keyspace); dropped and recreated")
	fs.StringVar(&cfg.NativeKS, "native-keyspace", "tallybench_native", "keyspace of the native counter, floor and plain read tables; dropped and recreated")
	fs.StringVar(&cfg.Consistent, "consistency", "QUORUM", "consistency of every write and read, tally's and the native ones")
	fs.StringVar(&cfg.Nodetool, "nodetool", "", "command running nodetool against the node (e.g. 'bash scripts/cassandra/ctl.sh nodetool 1'): "+
		"the history row is read again after flushing and compacting tally's keyspace; empty: skip")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	for _, s := range strings.Split(*clients, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return cfg, fmt.Errorf("--clients: %q", s)
		}
		cfg.Clients = append(cfg.Clients, n)
	}
	cfg.Systems = map[string]bool{}
	for _, s := range strings.Split(*systems, ",") {
		s = strings.TrimSpace(s)
		if !knownSystem(s) {
			return cfg, fmt.Errorf("--systems: unknown %q (tally, native, floor, pg-sync, pg-async)", s)
		}
		cfg.Systems[s] = true
	}
	if cfg.PGBin == "" {
		delete(cfg.Systems, "pg-sync")
		delete(cfg.Systems, "pg-async")
	}
	def := func(d *time.Duration, full, quick time.Duration) {
		if *d == 0 {
			*d = full
			if cfg.Quick {
				*d = quick
			}
		}
	}
	def(&cfg.Warmup, 3*time.Second, 500*time.Millisecond)
	def(&cfg.Duration, 15*time.Second, 2*time.Second)
	def(&cfg.ReadFor, 10*time.Second, 2*time.Second)
	if cfg.History == 0 {
		cfg.History = 1_000_000
		if cfg.Quick {
			cfg.History = 100_000
		}
	}
	return cfg, nil
}

// systemOrder is the order of systems in tables and charts.
var systemOrder = []string{"tally", "native", "floor", "pg-sync", "pg-async"}

// systemName describes each system in the report.
var systemName = map[string]string{
	"tally":    "tally (pgx → tally → Cassandra)",
	"native":   "Cassandra counter (gocql)",
	"floor":    "write floor: 1 CQL INSERT (gocql)",
	"pg-sync":  "PostgreSQL 15, synchronous_commit=on",
	"pg-async": "PostgreSQL 15, synchronous_commit=off",
}

func knownSystem(s string) bool {
	_, ok := systemName[s]
	return ok
}

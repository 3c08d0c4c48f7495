// Command tally is the Postgres wire-protocol proxy in front of Apache
// Cassandra. main only parses flags, handles signals and wires packages.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/tally-db/tally/app"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	err := run(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return // -h: the flag package printed the help
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tally:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	} else if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		cmd = "help"
	}
	switch cmd {
	case "serve":
		return serve(args)
	case "verify":
		return verify(args)
	case "users":
		return usersCmd(args, os.Stdin, os.Stdout)
	case "version":
		fmt.Println("tally", version)
		return nil
	case "help":
		usage()
		return nil
	}
	usage()
	return fmt.Errorf("unknown command %q", cmd)
}

func usage() {
	fmt.Fprint(os.Stderr, `tally — a Postgres wire-protocol proxy over Apache Cassandra

usage:
  tally serve [flags]   serve Postgres clients (default command; tally serve -h for flags)
  tally verify [flags]  recompute rows from raw deltas and markers and compare with SELECT
  tally users ...       add, list and remove the users password authentication checks (tally users -h)
  tally version         print the version
`)
}

func serve(args []string) error {
	cfg := app.Defaults()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.StringVar(&cfg.Listen, "listen", cfg.Listen, "address Postgres clients connect to")
	fs.StringVar(&cfg.Cassandra, "cassandra", cfg.Cassandra, "Cassandra contact points, comma-separated host[:port]")
	fs.StringVar(&cfg.Replication, "replication", cfg.Replication, "CQL replication map for keyspaces tally creates")
	fs.StringVar(&cfg.ReadConsistency, "read-consistency", cfg.ReadConsistency, "consistency level of reads")
	fs.StringVar(&cfg.WriteConsistency, "write-consistency", cfg.WriteConsistency, "consistency level of writes")
	fs.IntVar(&cfg.Shards, "shards", cfg.Shards, "delta partitions per row for new tables (hot keys)")
	fs.IntVar(&cfg.GCGraceSeconds, "gc-grace-seconds", cfg.GCGraceSeconds, "gc_grace_seconds of new CQL tables (0: Cassandra's default)")
	fs.DurationVar(&cfg.CassandraTimeout, "cassandra-timeout", cfg.CassandraTimeout, "timeout of one Cassandra request")
	fs.DurationVar(&cfg.Settle, "settle", cfg.Settle, "age at which writes are settled: rollups fold them, and a write gives up (08007) after half of it")
	fs.IntVar(&cfg.RollupThreshold, "rollup-threshold", cfg.RollupThreshold, "settled deltas in one shard that make a read ask for a rollup (0: no rollups)")
	fs.DurationVar(&cfg.IdempotencyWindow, "idempotency-window", cfg.IdempotencyWindow, "how long idempotency keys are remembered")
	fs.StringVar(&cfg.Auth, "auth", "", "client authentication: trust, password (cleartext), md5 or scram-sha-256 (default: scram-sha-256 with --users-file, else trust)")
	fs.StringVar(&cfg.UsersFile, "users-file", "", "users file written by `tally users add`; reloaded when it changes")
	fs.StringVar(&cfg.TLSCert, "tls-cert", "", "PEM certificate (chain) for TLS; with --tls-key, SSLRequest gets TLS 1.2+")
	fs.StringVar(&cfg.TLSKey, "tls-key", "", "PEM private key of --tls-cert")
	fs.BoolVar(&cfg.TLSRequired, "tls-required", false, "refuse clients that don't use TLS (28000)")
	fs.IntVar(&cfg.MaxConnections, "max-connections", cfg.MaxConnections, "client connections served at once; more get 53300 (0: no limit)")
	fs.IntVar(&cfg.MaxMessageSize, "max-message-size", cfg.MaxMessageSize, "bytes of one client message; a longer one is refused (08P01) before it is read")
	fs.IntVar(&cfg.MaxScanRows, "max-scan-rows", cfg.MaxScanRows, "rows one table scan may visit; more is 54000")
	fs.DurationVar(&cfg.StatementTimeout, "statement-timeout", cfg.StatementTimeout, "default statement_timeout: a longer statement is cancelled (57014); 0: none")
	fs.DurationVar(&cfg.IdleInTransactionTimeout, "idle-in-transaction-timeout", cfg.IdleInTransactionTimeout, "default idle_in_transaction_session_timeout: a session idle in a transaction block longer is closed (25P03); 0: none")
	fs.DurationVar(&cfg.StartupTimeout, "startup-timeout", cfg.StartupTimeout, "time a client has to start up and authenticate")
	fs.DurationVar(&cfg.AuthFailureDelay, "auth-failure-delay", cfg.AuthFailureDelay, "delay before answering a failed authentication, doubled per consecutive failure from one address (0: none)")
	fs.DurationVar(&cfg.AuthFailureDelayMax, "auth-failure-delay-max", cfg.AuthFailureDelayMax, "cap of --auth-failure-delay")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	pc, err := app.ProxyConfig(cfg, log)
	if err != nil {
		return err
	}
	store, err := app.OpenStore(cfg, log)
	if err != nil {
		return err
	}
	defer store.Close()
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log.Info("tally listening", "addr", ln.Addr().String(), "cassandra", cfg.Cassandra, "version", version,
		"auth", cfg.AuthMethod(), "tls", cfg.TLSCert != "", "tls_required", cfg.TLSRequired)
	engine := app.NewEngine(cfg, store, log)
	defer engine.Close()
	err = app.ServeProxy(ctx, pc, engine, ln, log)
	log.Info("tally stopped")
	return err
}

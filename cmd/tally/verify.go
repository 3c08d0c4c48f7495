package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/tally-db/tally/app"
	"github.com/tally-db/tally/rewrite"
)

// errDiffs makes `tally verify` exit non-zero when it found differences.
var errDiffs = errors.New("differences found")

// multiFlag collects a repeated flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, " ") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func verify(args []string) error {
	cfg := app.Defaults()
	var db, table, consistency string
	var keys multiFlag
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.StringVar(&cfg.Cassandra, "cassandra", cfg.Cassandra, "Cassandra contact points, comma-separated host[:port]")
	fs.StringVar(&db, "database", "", "database (keyspace) of the table")
	fs.StringVar(&table, "table", "", "table to verify")
	fs.Var(&keys, "key", "primary key to verify, in text form, comma-separated for composite keys (repeatable; none: every row)")
	fs.StringVar(&consistency, "consistency", "ALL", "consistency level of the raw reads")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if db == "" || table == "" {
		return errors.New("verify: --database and --table are required")
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	store, err := app.OpenStore(cfg, log)
	if err != nil {
		return err
	}
	defer store.Close()
	rawCfg := cfg
	rawCfg.ReadConsistency = consistency
	raw, err := app.OpenStore(rawCfg, log)
	if err != nil {
		return err
	}
	defer raw.Close()
	var parsed [][]string
	for _, k := range keys {
		parsed = append(parsed, strings.Split(k, ","))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	rep, err := rewrite.Verify(ctx, rewrite.VerifyEnv(store, db), raw, table, parsed)
	if err != nil {
		return err
	}
	for _, d := range rep.Diffs {
		fmt.Println("DIFF", d)
	}
	fmt.Printf("verify %s.%s: %d rows checked, %d live, %d differences\n", db, table, rep.Rows, rep.Live, len(rep.Diffs))
	if len(rep.Diffs) > 0 {
		return errDiffs
	}
	return nil
}

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"

	"github.com/tally-db/tally/app"
)

// serveProfiled is tally's serve, wired the way cmd/tally wires it, under
// a CPU profile written when it stops (SIGTERM). tally itself has no pprof
// endpoint; this is the benchmark's fallback to see what limits it.
func serveProfiled(args []string) error {
	cfg := app.Defaults()
	fs := flag.NewFlagSet("serve-profiled", flag.ContinueOnError)
	fs.StringVar(&cfg.Listen, "listen", cfg.Listen, "client address")
	fs.StringVar(&cfg.Cassandra, "cassandra", cfg.Cassandra, "Cassandra contact points")
	fs.IntVar(&cfg.Shards, "shards", cfg.Shards, "delta partitions per row")
	fs.StringVar(&cfg.ReadConsistency, "read-consistency", cfg.ReadConsistency, "read consistency")
	fs.StringVar(&cfg.WriteConsistency, "write-consistency", cfg.WriteConsistency, "write consistency")
	level := fs.String("log-level", "warn", "log level")
	out := fs.String("cpuprofile", "tally-cpu.pprof", "CPU profile written at exit")
	mutexOut := fs.String("mutexprofile", "", "mutex contention profile written at exit (empty: none)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(*level)); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lv}))
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	defer f.Close()
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
	if *mutexOut != "" {
		// Where 64 clients wait on each other inside tally, not only
		// where it burns CPU.
		runtime.SetMutexProfileFraction(1)
		defer writeProfile("mutex", *mutexOut)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		return err
	}
	defer pprof.StopCPUProfile()
	engine := app.NewEngine(cfg, store, log)
	defer engine.Close()
	err = app.Serve(ctx, engine, ln, log)
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}

// writeProfile writes the named runtime profile to path, best effort.
func writeProfile(name, path string) {
	f, err := os.Create(path)
	if err != nil {
		return
	}
	defer f.Close()
	_ = pprof.Lookup(name).WriteTo(f, 0)
}

// topOfProfile is `go tool pprof -top` of the profile, or a note saying why
// it is missing.
func topOfProfile(path string) string {
	out, err := exec.Command("go", "tool", "pprof", "-top", "-nodecount=35", path).CombinedOutput()
	if err != nil {
		return fmt.Sprintf("go tool pprof -top %s: %v\n%s", path, err, out)
	}
	text := string(out)
	if cum, err := exec.Command("go", "tool", "pprof", "-top", "-cum", "-nodecount=35", path).CombinedOutput(); err == nil {
		text += "\n--- by cumulative time ---\n" + string(cum)
	}
	mutex := strings.TrimSuffix(path, "tally-cpu.pprof") + "tally-mutex.pprof"
	if m, err := exec.Command("go", "tool", "pprof", "-top", "-cum", "-nodecount=20", mutex).CombinedOutput(); err == nil {
		text += "\n--- mutex contention (delay), by cumulative ---\n" + string(m)
	}
	return text
}

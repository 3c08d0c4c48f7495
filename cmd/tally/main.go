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
	case "config":
		return configCmd(args, os.Stdout)
	case "version":
		if err := noFlags("version", "print the version", args); err != nil {
			return err
		}
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
  tally config print    print the effective configuration (flags, TALLY_* environment, --config file), secrets redacted
  tally version         print the version
`)
}

func serve(args []string) error {
	cfg, err := app.Load("serve", args, os.LookupEnv, nil)
	if err != nil {
		return err
	}
	level, _ := cfg.Level() // Validate checked it
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	srv, err := app.New(cfg, log)
	if err != nil {
		return err
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	if cfg.AdminListen != "" && cfg.AdminListen != "off" {
		aln, err := net.Listen("tcp", cfg.AdminListen)
		switch {
		case err != nil && cfg.AdminListen != app.Defaults().AdminListen:
			return fmt.Errorf("admin_listen: %w", err)
		case err != nil:
			// The default address is taken (another tally on this host):
			// serve clients all the same, without the admin listener.
			log.Error("admin listener not started: /metrics, /healthz and /readyz are unavailable; set --admin-listen", "addr", cfg.AdminListen, "err", err)
		default:
			log.Info("admin listening", "addr", aln.Addr().String(), "pprof", cfg.Pprof)
			go func() {
				if err := srv.ServeAdmin(ctx, aln); err != nil {
					log.Error("admin listener failed", "err", err)
				}
			}()
		}
	}
	log.Info("tally listening", "addr", ln.Addr().String(), "cassandra", cfg.Cassandra, "version", version,
		"auth", cfg.AuthMethod(), "tls", cfg.TLSCert != "", "tls_required", cfg.TLSRequired)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	err = handleSignals(srv, cfg, log, stop, served)
	log.Info("tally stopped")
	return err
}

// handleSignals runs until Serve returns: SIGHUP reloads the users file
// and the certificate; the first SIGTERM or SIGINT drains for at most
// DrainTimeout and then ends what is left (stop); a second one stops at
// once.
func handleSignals(srv *app.Server, cfg app.Config, log *slog.Logger, stop context.CancelFunc, served <-chan error) error {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	draining := false
	for {
		select {
		case err := <-served:
			return err
		case sig := <-sigs:
			switch {
			case sig == syscall.SIGHUP:
				if err := srv.Reload(); err != nil {
					log.Error("reload failed; the previous users and certificate stay in force", "err", err)
				}
			case draining:
				log.Warn("second signal: stopping now", "signal", sig.String())
				stop()
			default:
				draining = true
				log.Info("draining", "signal", sig.String(), "deadline", cfg.DrainTimeout)
				go func() {
					ctx, cancel := context.WithTimeout(context.Background(), cfg.DrainTimeout)
					defer cancel()
					_ = srv.Drain(ctx)
					stop()
				}()
			}
		}
	}
}

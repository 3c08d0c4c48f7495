package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// postgres is a PostgreSQL server the benchmark initialised and started
// from the installed server binaries, in a data directory of its own.
type postgres struct {
	bin, dir string
	port     int
	asUser   string // "postgres" when we run as root (initdb refuses root)
}

// startPostgres runs initdb in a fresh dir and starts the server on port.
// Durability settings are the defaults (fsync on); synchronous_commit is
// chosen per connection.
func startPostgres(ctx context.Context, bin, dir string, port int) (*postgres, error) {
	if _, err := os.Stat(filepath.Join(bin, "pg_ctl")); err != nil {
		return nil, fmt.Errorf("postgres: no pg_ctl in %s: %w", bin, err)
	}
	p := &postgres{bin: bin, dir: dir, port: port}
	if os.Geteuid() == 0 {
		p.asUser = "postgres"
	}
	data := filepath.Join(dir, "data")
	if _, err := os.Stat(filepath.Join(data, "postmaster.pid")); err == nil {
		// A server left running by an interrupted run: stop it first.
		_ = p.run(ctx, "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
	}
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if p.asUser != "" {
		u, err := user.Lookup(p.asUser)
		if err != nil {
			return nil, fmt.Errorf("postgres: running as root needs a %q user: %w", p.asUser, err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
	}
	if err := p.run(ctx, "initdb", "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"); err != nil {
		return nil, err
	}
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=200 -c shared_buffers=256MB", port, dir)
	if err := p.run(ctx, "pg_ctl", "-D", data, "-o", opts, "-l", filepath.Join(dir, "server.log"), "-w", "-t", "60", "start"); err != nil {
		return nil, err
	}
	return p, nil
}

// DSN connects as postgres to database postgres.
func (p *postgres) DSN() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", p.port)
}

// Stop stops the server (fast shutdown) and removes its directory.
func (p *postgres) Stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_ = p.run(ctx, "pg_ctl", "-D", filepath.Join(p.dir, "data"), "-m", "fast", "-w", "stop")
	_ = os.RemoveAll(p.dir)
}

// seed creates posts with rows 0..rows.
func (p *postgres) seed(ctx context.Context, rows int64) error {
	c, err := pgx.Connect(ctx, p.DSN())
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	for _, sql := range []string{
		`DROP TABLE IF EXISTS posts`,
		`CREATE TABLE posts (post_id bigint PRIMARY KEY, likes bigint NOT NULL DEFAULT 0)`,
		fmt.Sprintf(`INSERT INTO posts (post_id) SELECT generate_series(0, %d)`, rows),
		`VACUUM ANALYZE posts`,
	} {
		if _, err := c.Exec(ctx, sql); err != nil {
			return fmt.Errorf("postgres: %s: %w", sql, err)
		}
	}
	return nil
}

func (p *postgres) run(ctx context.Context, prog string, args ...string) error {
	path := filepath.Join(p.bin, prog)
	var cmd *exec.Cmd
	if p.asUser != "" {
		quoted := []string{shellQuote(path)}
		for _, a := range args {
			quoted = append(quoted, shellQuote(a))
		}
		cmd = exec.CommandContext(ctx, "su", p.asUser, "-s", "/bin/sh", "-c", strings.Join(quoted, " "))
	} else {
		cmd = exec.CommandContext(ctx, path, args...)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("postgres: %s: %w\n%s", prog, err, out)
	}
	return nil
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// BuildTally builds cmd/tally into root/bin/tally and returns its path.
func BuildTally(root string) (string, error) {
	bin := filepath.Join(root, "bin", "tally")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/tally")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("cluster: go build ./cmd/tally: %w\n%s", err, out)
	}
	return bin, nil
}

// TallyConfig is how to run one tally process (the flags of `tally serve`).
type TallyConfig struct {
	Bin              string // the tally binary (BuildTally)
	Cassandra        string // contact points, comma-separated
	Replication      string // CQL replication map of keyspaces tally creates
	ReadConsistency  string
	WriteConsistency string
	Shards           int
	GCGraceSeconds   int
	LogPath          string   // stderr of every run is appended here; empty: discarded
	ExtraArgs        []string // more `tally serve` flags
}

func (cfg TallyConfig) args(listen string) []string {
	args := []string{"serve", "--listen", listen, "--cassandra", cfg.Cassandra}
	if cfg.Replication != "" {
		args = append(args, "--replication", cfg.Replication)
	}
	if cfg.ReadConsistency != "" {
		args = append(args, "--read-consistency", cfg.ReadConsistency)
	}
	if cfg.WriteConsistency != "" {
		args = append(args, "--write-consistency", cfg.WriteConsistency)
	}
	if cfg.Shards > 0 {
		args = append(args, "--shards", strconv.Itoa(cfg.Shards))
	}
	if cfg.GCGraceSeconds > 0 {
		args = append(args, "--gc-grace-seconds", strconv.Itoa(cfg.GCGraceSeconds))
	}
	return append(args, cfg.ExtraArgs...)
}

// tallyReadyTimeout bounds how long a starting tally may take to listen (it
// connects to Cassandra first).
const tallyReadyTimeout = time.Minute

// Tally is one tally server process on a fixed 127.0.0.1 port, kept across
// restarts so clients reconnect to the same address.
type Tally struct {
	Addr string // host:port clients connect to

	cfg  TallyConfig
	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
	runs int           // processes started so far
}

// StartTally starts tally on a free port and waits until it accepts
// connections.
func StartTally(cfg TallyConfig) (*Tally, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	t := &Tally{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), cfg: cfg}
	if err := t.start(); err != nil {
		return nil, err
	}
	return t, nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("cluster: free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func (t *Tally) start() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done != nil {
		select {
		case <-t.done:
		default:
			return fmt.Errorf("cluster: tally on %s is already running", t.Addr)
		}
	}
	cmd := exec.Command(t.cfg.Bin, t.cfg.args(t.Addr)...)
	cmd.SysProcAttr = dieWithParent()
	if t.cfg.LogPath != "" {
		f, err := os.OpenFile(t.cfg.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("cluster: tally log: %w", err)
		}
		defer f.Close() // the child holds its own descriptor
		fmt.Fprintf(f, "---- tally run %d on %s at %s\n", t.runs+1, t.Addr, time.Now().Format(time.RFC3339Nano))
		cmd.Stdout, cmd.Stderr = f, f
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("cluster: start tally: %w", err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	t.cmd, t.done = cmd, done
	t.runs++
	return t.waitReady(done)
}

// waitReady waits until the port accepts a TCP connection or the process
// exits.
func (t *Tally) waitReady(done chan struct{}) error {
	deadline := time.Now().Add(tallyReadyTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			return fmt.Errorf("cluster: tally on %s exited during startup (log: %s)", t.Addr, t.cfg.LogPath)
		default:
		}
		conn, err := net.DialTimeout("tcp", t.Addr, time.Second)
		if err == nil {
			_ = conn.Close()
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("cluster: tally on %s not listening after %s (log: %s)", t.Addr, tallyReadyTimeout, t.cfg.LogPath)
}

// Kill kills the process with SIGKILL and waits until it is gone: in-flight
// statements get no reply and nothing is flushed.
func (t *Tally) Kill() error { return t.signal(syscall.SIGKILL, 0) }

// Stop sends SIGTERM and waits up to 10 s, then SIGKILL.
func (t *Tally) Stop() error { return t.signal(syscall.SIGTERM, 10*time.Second) }

func (t *Tally) signal(sig syscall.Signal, grace time.Duration) error {
	t.mu.Lock()
	cmd, done := t.cmd, t.done
	t.mu.Unlock()
	if cmd == nil {
		return nil
	}
	if err := cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("cluster: signal tally: %w", err)
	}
	if grace > 0 {
		select {
		case <-done:
			return nil
		case <-time.After(grace):
			_ = cmd.Process.Kill()
		}
	}
	<-done
	return nil
}

// Restart kills the process if it runs, then starts a new one on the same
// address.
func (t *Tally) Restart() error {
	if err := t.Kill(); err != nil {
		return err
	}
	return t.start()
}

// Running reports whether the process is alive.
func (t *Tally) Running() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done == nil {
		return false
	}
	select {
	case <-t.done:
		return false
	default:
		return true
	}
}

// Runs is how many processes have been started on this address.
func (t *Tally) Runs() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.runs
}

// DSN is a pgx connection string for database db (= keyspace) on this tally.
func (t *Tally) DSN(db string) string { return DSN(t.Addr, db) }

// DSN is a pgx connection string for database db at addr (a tally or a
// CutProxy in front of one).
func DSN(addr, db string) string {
	host, port, _ := net.SplitHostPort(addr)
	return fmt.Sprintf("postgres://fault@%s:%s/%s?sslmode=disable&connect_timeout=10", host, port, db)
}

// ErrNoVerify means the tally binary has no `verify` command yet.
var ErrNoVerify = errors.New("cluster: this tally binary has no verify command")

// Verify runs `tally verify` on table of database db (rows keys, or the
// whole table) and returns its output. A non-zero exit (differences found,
// or verify failed) is an error carrying the output.
func Verify(bin, cassandra, db, table string, keys ...string) (string, error) {
	args := []string{"verify", "--cassandra", cassandra, "--database", db, "--table", table}
	for _, k := range keys {
		args = append(args, "--key", k)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	if err != nil {
		// Probed through the CLI: main reports an unknown command by name
		// and exits 1 before doing anything.
		if bytes.Contains(out, []byte(`unknown command "verify"`)) {
			return string(out), ErrNoVerify
		}
		return string(out), fmt.Errorf("cluster: tally verify %s.%s: %w\n%s", db, table, err, out)
	}
	return string(out), nil
}

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tally-db/tally/tests/harness"
)

// freeAddr is a 127.0.0.1 address with a port nobody listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// buildTally builds cmd/tally into a temporary directory.
func buildTally(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "tally")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/tally-db/tally/cmd/tally").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func httpStatus(url string) int {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// TestSIGTERMDuringPgbench runs bin/tally as a process, with pgbench
// incrementing one counter through it. SIGHUP in the middle reloads
// without dropping anyone; SIGTERM then drains: /readyz fails at once,
// the process exits 0, and the counter, read through a fresh tally, holds
// exactly the transactions pgbench reports as processed.
func TestSIGTERMDuringPgbench(t *testing.T) {
	pgbench := tool(t, "pgbench")
	bin := buildTally(t)
	fresh := harness.Start(t) // for the final read; also owns (and drops) the database
	addr, admin := freeAddr(t), freeAddr(t)
	var logs bytes.Buffer
	cmd := exec.Command(bin, "serve", "--listen", addr, "--admin-listen", admin, "--drain-timeout", "20s", "--settle", "20s")
	cmd.Env = append(os.Environ(), "TALLY_SLOW_STATEMENT=0")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		if t.Failed() {
			t.Logf("tally's log:\n%s", logs.String())
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for httpStatus("http://"+admin+"/readyz") != 200 {
		if time.Now().After(deadline) {
			t.Fatalf("/readyz never 200\n%s", logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	host, port, _ := net.SplitHostPort(addr)
	ctx := context.Background()
	c, err := pgx.Connect(ctx, fmt.Sprintf("postgres://bench@%s:%s/%s?sslmode=disable", host, port, fresh.Database))
	if err != nil {
		t.Fatal(err)
	}
	createPosts(t, c, 1)
	c.Close(ctx)

	script := filepath.Join(t.TempDir(), "inc.sql")
	if err := os.WriteFile(script, []byte("UPDATE posts SET likes = likes + 1 WHERE post_id = 1;\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var benchOut bytes.Buffer
	bench := exec.Command(pgbench, "-n", "-M", "prepared", "-c", "8", "-j", "2", "-T", "60", "-f", script,
		"-h", host, "-p", port, "-U", "bench", fresh.Database)
	bench.Stdout, bench.Stderr = &benchOut, &benchOut
	if err := bench.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1000 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// /readyz fails while the drain runs (0: the process is already gone).
	notReady := time.Now().Add(2 * time.Second)
	for httpStatus("http://"+admin+"/readyz") == 200 {
		if time.Now().After(notReady) {
			t.Errorf("/readyz still answers 200 2s after SIGTERM")
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	_ = bench.Wait() // pgbench reports the run aborted: its clients got 57P01
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("tally exited with %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("tally did not exit after SIGTERM")
	}
	m := regexp.MustCompile(`number of transactions actually processed: (\d+)`).FindStringSubmatch(benchOut.String())
	if m == nil {
		t.Fatalf("pgbench output:\n%s", benchOut.String())
	}
	processed, _ := strconv.ParseInt(m[1], 10, 64)
	got := likesOf(t, fresh.Connect(t), 1)
	t.Logf("pgbench processed %d; counter %d; 57P01 sent to %d clients", processed, got, strings.Count(logs.String(), "code=57P01"))
	if processed < 50 {
		t.Fatalf("pgbench processed only %d transactions:\n%s", processed, benchOut.String())
	}
	if got != processed {
		t.Fatalf("counter %d, pgbench acknowledged %d", got, processed)
	}
	if n := strings.Count(logs.String(), "code=57P01"); n != 8 {
		t.Errorf("%d connections ended with 57P01, want 8 (one per pgbench client)", n)
	}
}

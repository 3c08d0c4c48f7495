package e2e

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tally-db/tally/tests/harness"
)

// pgbench, unchanged, drives increments through tally in each query mode:
// 8 clients × 250 transactions add exactly 2000.
func TestPgbenchIncrements(t *testing.T) {
	bin := tool(t, "pgbench")
	tl := harness.Start(t)
	c := tl.Connect(t)
	mustExec(t, c, postsDDL)
	mustExec(t, c, `INSERT INTO posts (post_id, title) VALUES (1, 'bench')`)
	script := filepath.Join(t.TempDir(), "inc.sql")
	if err := os.WriteFile(script, []byte("UPDATE posts SET likes = likes + 1 WHERE post_id = 1;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(tl.Addr)
	want := int64(0)
	for _, mode := range []string{"simple", "extended", "prepared"} {
		cmd := exec.Command(bin, "-n", "-M", mode, "-c", "8", "-j", "2", "-t", "250", "-f", script,
			"-h", host, "-p", port, "-U", "bench", tl.Database)
		cmd.Env = append(os.Environ(), "PGSSLMODE=disable")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("pgbench -M %s: %v\n%s", mode, err, out)
		}
		want += 2000
		if got := likesOf(t, c, 1); got != want {
			t.Fatalf("after pgbench -M %s: likes = %d, want %d\n%s", mode, got, want, out)
		}
		t.Logf("pgbench -M %s: %s", mode, tpsLine(string(out)))
	}
}

// psql, unchanged: the README's session.
func TestPsqlSession(t *testing.T) {
	bin := tool(t, "psql")
	tl := harness.Start(t)
	host, port, _ := net.SplitHostPort(tl.Addr)
	run := func(sql string) string {
		cmd := exec.Command(bin, "-X", "-v", "ON_ERROR_STOP=1", "-h", host, "-p", port, "-U", "demo", "-d", tl.Database, "-c", sql)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("psql -c %q: %v\n%s", sql, err, out)
		}
		return string(out)
	}
	run(postsDDL)
	run(`INSERT INTO posts (post_id, title, published) VALUES (1, 'Hello, tally', true)`)
	run(`UPDATE posts SET likes = likes + 1 WHERE post_id = 1`)
	if out := run(`SELECT post_id, title, likes FROM posts WHERE post_id = 1`); !strings.Contains(out, "Hello, tally |     1") {
		t.Fatalf("unexpected output:\n%s", out)
	}
	run(`UPDATE posts SET likes = 0 WHERE post_id = 1`)
	if out := run(`SELECT likes FROM posts WHERE post_id = 1`); !strings.Contains(out, "     0\n(1 row)") {
		t.Fatalf("unexpected output:\n%s", out)
	}
	// Issue 3's psql checks: a keyed increment sent three times adds 1;
	// BEGIN, two increments, ROLLBACK adds nothing; with COMMIT, both.
	for i := 0; i < 3; i++ {
		run(`UPDATE posts SET likes = likes + 1 WHERE post_id = 1 /*idempotency_key='k1'*/`)
	}
	if out := run(`SELECT likes FROM posts WHERE post_id = 1`); !strings.Contains(out, "     1\n(1 row)") {
		t.Fatalf("after a keyed increment sent 3 times:\n%s", out)
	}
	run(`BEGIN; UPDATE posts SET likes = likes + 1 WHERE post_id = 1; UPDATE posts SET likes = likes + 1 WHERE post_id = 1; ROLLBACK`)
	if out := run(`SELECT likes FROM posts WHERE post_id = 1`); !strings.Contains(out, "     1\n(1 row)") {
		t.Fatalf("after ROLLBACK:\n%s", out)
	}
	run(`BEGIN; UPDATE posts SET likes = likes + 1 WHERE post_id = 1; UPDATE posts SET likes = likes + 1 WHERE post_id = 1; COMMIT`)
	if out := run(`SELECT likes FROM posts WHERE post_id = 1`); !strings.Contains(out, "     3\n(1 row)") {
		t.Fatalf("after COMMIT:\n%s", out)
	}
	if out := run(`DELETE FROM posts WHERE post_id = 1`); !strings.Contains(out, "DELETE 1") {
		t.Fatalf("unexpected output:\n%s", out)
	}
	if out := run(`SELECT * FROM posts WHERE post_id = 1`); !strings.Contains(out, "(0 rows)") {
		t.Fatalf("unexpected output:\n%s", out)
	}
}

// tool finds a Postgres client program; CI installs them (.ci/run).
func tool(t *testing.T, name string) string {
	for _, p := range []string{"/usr/lib/postgresql/15/bin/" + name, name} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is not installed", name)
	}
	t.Skipf("%s is not installed", name)
	return ""
}

func tpsLine(out string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "tps") {
			return l
		}
	}
	return fmt.Sprintf("(no tps line in %d bytes)", len(out))
}

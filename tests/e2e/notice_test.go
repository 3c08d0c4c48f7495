package e2e

import (
	"context"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tally-db/tally/tests/harness"
)

// The notices and warnings Postgres sends for skipped IF [NOT] EXISTS and
// misplaced transaction statements, filtered by client_min_messages.
func TestNotices(t *testing.T) {
	tl := harness.Start(t)
	cfg, err := pgx.ParseConfig(tl.DSN())
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []string
	cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) {
		mu.Lock()
		got = append(got, n.Severity+" "+n.Code+" "+n.Message)
		mu.Unlock()
	}
	c, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	expect := func(want ...string) {
		t.Helper()
		mu.Lock()
		defer mu.Unlock()
		if len(got) != len(want) {
			t.Fatalf("notices %q; want %q", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("notices %q; want %q", got, want)
			}
		}
		got = nil
	}
	mustExec(t, c, `CREATE TABLE posts (id bigint PRIMARY KEY)`)
	expect()
	mustExec(t, c, `CREATE TABLE IF NOT EXISTS posts (id bigint PRIMARY KEY)`)
	expect(`NOTICE 42P07 relation "posts" already exists, skipping`)
	mustExec(t, c, `DROP TABLE IF EXISTS nope`)
	expect(`NOTICE 00000 table "nope" does not exist, skipping`)
	mustExec(t, c, `COMMIT`)
	expect(`WARNING 25P01 there is no transaction in progress`)
	mustExec(t, c, `BEGIN`)
	mustExec(t, c, `BEGIN`)
	expect(`WARNING 25001 there is already a transaction in progress`)
	mustExec(t, c, `ROLLBACK`)
	mustExec(t, c, `SET client_min_messages = warning`)
	mustExec(t, c, `CREATE TABLE IF NOT EXISTS posts (id bigint PRIMARY KEY)`)
	mustExec(t, c, `ROLLBACK`)
	expect(`WARNING 25P01 there is no transaction in progress`)
}

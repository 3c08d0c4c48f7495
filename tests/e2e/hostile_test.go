package e2e

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/tally-db/tally/tests/harness"
)

// hostileNames are table and column names that would change a CQL
// statement if tally pasted them into it: quotes, semicolons, comment
// markers, Unicode, reserved words, the longest identifier Postgres keeps.
var hostileNames = []string{
	`we"ird`, `it's`, `semi;colon`, `dash--comment`, `/*c*/x`, `"; DROP KEYSPACE system; --`,
	`ünï cødé 表 🎉`, `select`, `from`, `table`, `key`, `token`, `ALLOW FILTERING`, strings.Repeat("n", 60),
}

// hostileValues are text values that would do damage if pasted into CQL.
var hostileValues = []string{
	`'; DROP TABLE tally_catalog; --`, `"quoted" and 'quoted'`, `/* not a comment */ -- nor this`,
	`$$ dollar $$`, `\x00 is not a NUL`, "tab\tnew\nline\r", `héllo 世界 🎉`, `{"json": [1, "a'b"]}`,
	strings.Repeat(`'";-- `, 5000), // 30 KB: within one statement's write limit
}

// specialChars says whether name has a character CQL would need quoting
// for: such a name must never appear in the CQL tally sends.
func specialChars(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == ' ')
	})
}

// TestHostileIdentifiersAndValues: tables and columns with hostile names,
// holding hostile values, sent as bound parameters and as literals in the
// simple protocol, round-trip exactly over the real Cassandra; the CQL
// tally sent never contains a hostile name or value (names are derived and
// quoted, values are always bound).
func TestHostileIdentifiersAndValues(t *testing.T) {
	tl := harness.Start(t)
	c := tl.Connect(t)
	ctx := context.Background()
	simple := pgx.QueryExecModeSimpleProtocol
	for i, name := range hostileNames {
		tbl := pgx.Identifier{name}.Sanitize()
		key := pgx.Identifier{name}.Sanitize()
		val := pgx.Identifier{name + "_v"}.Sanitize()
		cnt := pgx.Identifier{"n " + name}.Sanitize()
		if len(name) > 58 {
			key, val, cnt = pgx.Identifier{name}.Sanitize(), pgx.Identifier{name[:58] + "_v"}.Sanitize(), pgx.Identifier{name[:58] + "_n"}.Sanitize()
		}
		mustExec(t, c, fmt.Sprintf("CREATE TABLE %s (%s bigint PRIMARY KEY, %s text, %s bigint NOT NULL DEFAULT 0)", tbl, key, val, cnt))
		for j, v := range hostileValues {
			id := int64(i*100 + j)
			// Half bound (extended protocol), half as literals (simple
			// protocol: pgx writes the value into the SQL text).
			if j%2 == 0 {
				expectTag(t, c, "INSERT 0 1", fmt.Sprintf("INSERT INTO %s (%s, %s) VALUES ($1, $2)", tbl, key, val), id, v)
			} else {
				if _, err := c.Exec(ctx, fmt.Sprintf("INSERT INTO %s (%s, %s) VALUES ($1, $2)", tbl, key, val), simple, id, v); err != nil {
					t.Fatalf("%s: literal insert of value %d: %v", name, j, err)
				}
			}
			expectTag(t, c, "UPDATE 1", fmt.Sprintf("UPDATE %s SET %s = %s + 2 WHERE %s = $1", tbl, cnt, cnt, key), id)
			expectTag(t, c, "UPDATE 1", fmt.Sprintf("UPDATE %s SET %s = $2 WHERE %s = $1 AND %s = $2", tbl, val, key, val), id, v)
			var got string
			var n int64
			err := c.QueryRow(ctx, fmt.Sprintf("SELECT %s, %s FROM %s WHERE %s = $1", val, cnt, tbl, key), simple, id).Scan(&got, &n)
			if err != nil || got != v || n != 2 {
				t.Fatalf("%s: value %d read back as %q, %d, %v", name, j, trunc(got), n, err)
			}
		}
		// The catalog answers with the name as created.
		var found string
		if err := c.QueryRow(ctx, "SELECT table_name FROM information_schema.tables WHERE table_name = $1", name).Scan(&found); err != nil || found != name {
			t.Fatalf("information_schema.tables for %q: %q, %v", name, found, err)
		}
		var count int64
		if err := c.QueryRow(ctx, fmt.Sprintf("SELECT count(*) FROM %s WHERE %s LIKE '%%'", tbl, val)).Scan(&count); err != nil || count != int64(len(hostileValues)) {
			t.Fatalf("%s: scan counted %d, %v", name, count, err)
		}
	}

	texts := tl.Store.Texts()
	schema := 0
	for _, text := range texts {
		if strings.HasPrefix(text, "CREATE TABLE") {
			schema++
		}
	}
	if schema < 2*len(hostileNames) { // a base and a delta table each
		t.Fatalf("the recorder saw %d CREATE TABLE of %d statements: it does not see schema changes", schema, len(texts))
	}
	for _, text := range texts {
		for _, name := range hostileNames {
			if specialChars(name) && strings.Contains(text, name) {
				t.Errorf("CQL contains the identifier %q: %s", name, trunc(text))
			}
		}
		for _, v := range hostileValues {
			if strings.Contains(text, v) || strings.Contains(text, strings.ReplaceAll(v, "'", "''")) {
				t.Errorf("CQL contains the value %q: %s", trunc(v), trunc(text))
			}
		}
	}
}

// TestHostileValueEdges: a NUL byte in text is refused as Postgres refuses
// it (22021) and bytea carries it; a 64 KB string of quotes and comment
// markers round-trips as a parameter, a literal and a stored value; two
// rows of it in one statement exceed the batch bound (54000) cleanly.
func TestHostileValueEdges(t *testing.T) {
	tl := harness.Start(t)
	c := tl.Connect(t)
	ctx := context.Background()
	mustExec(t, c, `CREATE TABLE edge (id bigint PRIMARY KEY, t text, b bytea)`)
	expectCode(t, c, "22021", `INSERT INTO edge (id, t) VALUES (1, $1)`, "a\x00b")
	blob := []byte("\x00'\";--\x00/*")
	expectTag(t, c, "INSERT 0 1", `INSERT INTO edge (id, b) VALUES (2, $1)`, blob)
	var got []byte
	if err := c.QueryRow(ctx, `SELECT b FROM edge WHERE id = 2`).Scan(&got); err != nil || !bytes.Equal(got, blob) {
		t.Fatalf("bytea with NULs: %x, %v", got, err)
	}
	big := strings.Repeat("'; DROP KEYSPACE system; --", 64<<10/27+1)[:64<<10]
	var echo string
	if err := c.QueryRow(ctx, `SELECT $1::text`, big).Scan(&echo); err != nil || echo != big {
		t.Fatalf("64 KB parameter echoed as %d bytes, %v", len(echo), err)
	}
	if err := c.QueryRow(ctx, `SELECT $1::text`, pgx.QueryExecModeSimpleProtocol, big).Scan(&echo); err != nil || echo != big {
		t.Fatalf("64 KB literal echoed as %d bytes, %v", len(echo), err)
	}
	expectRows(t, c, 0, `SELECT id FROM edge WHERE t = $1`, big)
	expectTag(t, c, "INSERT 0 1", `INSERT INTO edge (id, t) VALUES (3, $1)`, big)
	if _, err := c.Exec(ctx, `UPDATE edge SET t = $1 WHERE id = 2`, pgx.QueryExecModeSimpleProtocol, big); err != nil {
		t.Fatal(err)
	}
	expectRows(t, c, 2, `SELECT id FROM edge WHERE t = $1`, big)
	expectCode(t, c, "54000", `INSERT INTO edge (id, t) VALUES (4, $1), (5, $1)`, big)
	expectRows(t, c, 2, `SELECT id FROM edge WHERE id IN (2, 3, 4, 5)`)
	for _, text := range tl.Store.Texts() {
		if strings.Contains(text, "DROP KEYSPACE system") {
			t.Fatalf("CQL contains the 64 KB value: %s", trunc(text))
		}
	}
}

// trunc shortens s for a failure message.
func trunc(s string) string {
	if len(s) > 80 {
		return s[:80] + fmt.Sprintf("…(%d bytes)", len(s))
	}
	return s
}

//go:build fault

package fault

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// mustTag runs sql on c and fails t unless it answers the command tag want.
func mustTag(t *testing.T, c *client, want, sql string, args ...any) {
	t.Helper()
	tag, err := c.exec(sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	if tag != want {
		t.Fatalf("%s: tag %q, want %q", sql, tag, want)
	}
}

// likes reads one post's likes and reports it as the figures show it.
func likes(t *testing.T, c *client, id int64) (v int64, found bool, shown string) {
	t.Helper()
	var err error
	if err := untilOK(30*time.Second, func() error {
		v, found, _, err = c.value(`SELECT likes FROM posts WHERE post_id = $1`, id)
		return err
	}); err != nil {
		t.Fatalf("read post %d: %v", id, err)
	}
	if !found {
		return 0, false, "no row"
	}
	return v, true, fmt.Sprint(v)
}

// testSeed is the scenario of the seed fault: a deleted counter comes back.
//
// Post 1 has 100 likes; node 2 is down (killed, and seen DN by its peers);
// DELETE at QUORUM succeeds. Beyond the steps, while node 2 is down
// the nodes that saw the delete drop their hints for node 2, gc_grace_seconds
// passes and they compact: the tombstones are purged, as when a node stays
// down past gc_grace_seconds. Then node 2 comes back, repair runs,
// gc_grace_seconds passes again and every node flushes and compacts. tally
// must show no row, and a re-inserted post 1 must count from its new value.
// A native counter table goes through the same steps beside it; what it
// shows is printed, not asserted.
func testSeed(t *testing.T, s *suite) {
	r := s.newReport(t, "Seed: DELETE while node2 is down; node2 back, repair, gc_grace, compaction")
	db := database("seed")
	c := newClientAt(s.tallies[0].Addr, db, modePrepared, &counts{})
	defer c.close()
	mustTag(t, c, "CREATE TABLE", `CREATE TABLE posts (post_id bigint PRIMARY KEY, title text NOT NULL, likes bigint NOT NULL DEFAULT 0)`)
	mustTag(t, c, "INSERT 0 1", `INSERT INTO posts (post_id, title) VALUES (1, 'seed')`)
	nat, err := newNative(s)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := nat.drop(); err != nil {
			t.Errorf("drop the native counter keyspace: %v", err)
		}
	}()
	for i := 0; i < 100; i++ {
		mustTag(t, c, "UPDATE 1", `UPDATE posts SET likes = likes + 1 WHERE post_id = $1`, 1)
		if err := nat.add(1, 1); err != nil {
			t.Fatal(err)
		}
	}
	tally := []string{}
	native := []string{}
	if v, _, shown := likes(t, c, 1); v != 100 {
		t.Fatalf("after 100 increments: likes %s, want 100", shown)
	}
	tally = append(tally, "100 likes")
	native = append(native, nat.read(s.cql, 1)+" likes")

	t0 := time.Now()
	if err := s.nodes.Kill(2); err != nil {
		t.Fatal(err)
	}
	if err := s.nodes.WaitDown(2, 90*time.Second); err != nil {
		t.Fatal(err)
	}
	r.add("faults", "kill -9 node2; its peers saw it DN after %s", time.Since(t0).Round(time.Second))

	mustTag(t, c, "DELETE 1", `DELETE FROM posts WHERE post_id = 1`)
	deleted := time.Now()
	if err := nat.del(1); err != nil {
		t.Fatal(err)
	}
	if _, found, shown := likes(t, c, 1); found {
		t.Fatalf("after DELETE: likes %s, want no row", shown)
	}
	tally = append(tally, "DELETE 1 (node2 down): no row")
	native = append(native, "DELETE (node2 down): "+nat.read(s.cql, 1))

	// Node 2 stays down past gc_grace_seconds: the others forget it missed
	// the delete (no hints) and purge the delete's tombstones.
	for _, n := range []int{1, 3} {
		if _, err := s.nodes.Nodetool(n, "truncatehints"); err != nil {
			t.Fatal(err)
		}
	}
	waitPast(deleted, (gcGraceSeconds+1)*time.Second)
	if err := s.flushCompact([]int{1, 3}, db, nat.ks); err != nil {
		t.Fatal(err)
	}
	r.add("faults", "node1,node3: hints for node2 truncated, gc_grace_seconds=%d passed, flush+compact (tombstones purged) before node2 returns", gcGraceSeconds)

	if err := s.nodes.Start(2); err != nil {
		t.Fatal(err)
	}
	if _, found, shown := likes(t, c, 1); found {
		t.Fatalf("node2 back, before repair: likes %s, want no row", shown)
	}
	tally = append(tally, "node2 back: no row")
	native = append(native, "node2 back: "+nat.read(s.cql, 1))

	for _, ks := range []string{db, nat.ks} {
		if err := s.nodes.Repair(1, ks); err != nil {
			t.Fatal(err)
		}
	}
	repaired := time.Now()
	waitPast(repaired, (gcGraceSeconds+1)*time.Second)
	if err := s.flushCompact([]int{1, 2, 3}, db, nat.ks); err != nil {
		t.Fatal(err)
	}
	r.add("steps", "repair -full (node1) of both keyspaces; gc_grace_seconds passed; flush+compact on node1..3")
	_, found, shown := likes(t, c, 1)
	tally = append(tally, "repair+gc_grace+compaction: "+shown)
	native = append(native, "repair+gc_grace+compaction: "+nat.read(s.cql, 1))
	if found {
		t.Errorf("after repair, gc_grace and compaction: likes %s, want no row (the deleted post came back)", shown)
	}

	mustTag(t, c, "INSERT 0 1", `INSERT INTO posts (post_id, title, likes) VALUES (1, 'again', 7)`)
	mustTag(t, c, "UPDATE 1", `UPDATE posts SET likes = likes + 1 WHERE post_id = $1`, 1)
	v, _, shown := likes(t, c, 1)
	tally = append(tally, "re-insert 7, +1: "+shown+" (want 8)")
	if v != 8 {
		t.Errorf("re-inserted post 1 with 7 likes, +1: likes %s, want 8", shown)
	}
	if err := nat.add(1, 7); err != nil {
		t.Fatal(err)
	}
	if err := nat.add(1, 1); err != nil {
		t.Fatal(err)
	}
	native = append(native, "re-insert (+7), +1: "+nat.read(s.cql, 1)+" (a clean counter: 8)")

	r.add("tally", "%s", strings.Join(tally, " → "))
	r.add("native", "%s", strings.Join(native, " → "))
	s.verify(t, r, db, "posts", "1")
}

//go:build fault

package fault

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// margin absorbs the gap between the test's clock readings and the stamp a
// tally on the same host takes inside the same interval (its clock may run
// a few microseconds ahead: max(now, last+1)).
const margin = 2 * time.Millisecond

// window is when a statement, with its resends, may have taken effect:
// from its first invocation to its final answer.
type window struct {
	from, to time.Time
	tag      string // the final answer: a command tag or a SQLSTATE
	attempts int
}

// settle sends sql until done accepts the answer (or a minute passes) and
// returns its window. A resend after an unknown outcome may find the first
// attempt applied (DELETE 0, or 23505 for an INSERT): done decides.
func settle(c *client, done func(tag string, err error) bool, sql string, args ...any) (window, error) {
	w := window{from: time.Now()}
	deadline := w.from.Add(time.Minute)
	for {
		tag, err := c.exec(sql, args...)
		w.attempts++
		if done(tag, err) {
			w.to, w.tag = time.Now(), tag
			if err != nil {
				w.tag = sqlstate(err)
			}
			return w, nil
		}
		if time.Now().After(deadline) {
			return w, fmt.Errorf("%s: no final answer after %d attempts: %v (tag %q)", sql, w.attempts, err, tag)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// raceCheck is what one row's increments say about a DELETE (and maybe a
// re-INSERT) they raced.
type raceCheck struct {
	lower, upper int      // bounds on the re-inserted row's value
	strictUpper  int      // upper, without increments that answered UPDATE 0
	violations   []string // read-your-writes of the DELETE and INSERT
	afterDelete  int      // increments sent after the DELETE's answer (and before the INSERT)
}

// checkRace checks the increments of row against the DELETE window del and
// the re-INSERT window ins (nil: the row was not re-inserted). Increments
// acknowledged before the DELETE was sent found the row (UPDATE 1); those
// sent after its answer and answered before the INSERT was sent found none
// (UPDATE 0). The re-inserted row holds only increments stamped after the
// INSERT: at least those sent after its answer and acknowledged, at most
// those not acknowledged before it was sent.
func checkRace(ops []op, row int64, del window, ins *window) raceCheck {
	var rc raceCheck
	for _, o := range ops {
		if o.kind != opAdd || o.row != row {
			continue
		}
		beforeDel := o.ok && o.complete.Before(del.from.Add(-margin))
		afterDel := o.invoke.After(del.to.Add(margin)) && (ins == nil || o.complete.Before(ins.from.Add(-margin)))
		switch {
		case beforeDel && o.tag != "UPDATE 1":
			rc.violations = append(rc.violations, fmt.Sprintf("post %d: increment answered %q before the DELETE was sent", row, o.tag))
		case afterDel:
			rc.afterDelete++
			if o.ok && o.tag != "UPDATE 0" {
				rc.violations = append(rc.violations, fmt.Sprintf("post %d: increment sent %s after the DELETE's answer got %q, want UPDATE 0",
					row, o.invoke.Sub(del.to).Round(time.Millisecond), o.tag))
			}
		}
		if ins == nil {
			continue
		}
		if o.invoke.After(ins.to.Add(margin)) {
			if o.ok && o.tag != "UPDATE 1" {
				rc.violations = append(rc.violations, fmt.Sprintf("post %d: increment sent after the INSERT's answer got %q, want UPDATE 1", row, o.tag))
			}
			if o.ok {
				rc.lower++
			}
		}
		if !(o.ok && o.complete.Before(ins.from.Add(-margin))) {
			rc.upper++
			if !(o.ok && o.tag == "UPDATE 0") {
				rc.strictUpper++
			}
		}
	}
	return rc
}

// testDeleteRace: 8 clients over both tallies increment posts 1 and 2
// while node 3 is down (killed at the start); both posts are deleted mid-way
// and post 1 is inserted again later. Afterwards post 2 is absent and post 1
// holds only increments stamped after its re-insert — and both stay so
// once node 3 is back, after repair, and after gc_grace_seconds and
// compaction.
func testDeleteRace(t *testing.T, s *suite) {
	r := s.newReport(t, "DeleteRace: DELETE racing increments (node3 down), then repair, gc_grace, compaction")
	db := database("race")
	errs := &counts{}
	admin := newClientAt(s.tallies[0].Addr, db, modePrepared, errs)
	defer admin.close()
	mustTag(t, admin, "CREATE TABLE", `CREATE TABLE posts (post_id bigint PRIMARY KEY, likes bigint NOT NULL DEFAULT 0)`)
	mustTag(t, admin, "INSERT 0 2", `INSERT INTO posts (post_id) VALUES (1), (2)`)

	if err := s.nodes.Kill(3); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	h := &history{}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		c := newClient(i, s.tallies, db, modePrepared, errs)
		wg.Go(func() {
			defer c.close()
			for seq := 0; ctx.Err() == nil; seq++ {
				o := op{client: i, kind: opAdd, row: int64(1 + seq%2), key: fmt.Sprintf("c%d-%d", i, seq), invoke: time.Now()}
				tag, err := c.exec(`UPDATE posts SET likes = likes + 1 WHERE post_id = $1`, o.row)
				o.complete, o.ok, o.tag = time.Now(), err == nil, tag
				if err != nil {
					o.class = errClass(err)
				}
				h.add(o)
			}
		})
	}
	actor := newClientAt(s.tallies[1].Addr, db, modePrepared, errs)
	defer actor.close()
	deleted := func(tag string, err error) bool { return tag == "DELETE 1" || tag == "DELETE 0" }
	inserted := func(tag string, err error) bool { return tag == "INSERT 0 1" || sqlstate(err) == "23505" }

	time.Sleep(1500 * time.Millisecond)
	del := map[int64]window{}
	for _, row := range []int64{1, 2} {
		w, err := settle(actor, deleted, `DELETE FROM posts WHERE post_id = $1`, row)
		if err != nil {
			cancel()
			wg.Wait()
			t.Fatal(err)
		}
		del[row] = w
		if _, found, shown := likes(t, actor, row); found {
			t.Errorf("post %d right after its DELETE: likes %s, want no row", row, shown)
		}
	}
	time.Sleep(1500 * time.Millisecond)
	ins, err := settle(actor, inserted, `INSERT INTO posts (post_id) VALUES (1)`)
	if err != nil {
		cancel()
		wg.Wait()
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	cancel()
	wg.Wait()

	ops := h.snapshot()
	c1, c2 := checkRace(ops, 1, del[1], &ins), checkRace(ops, 2, del[2], nil)
	for _, v := range append(c1.violations, c2.violations...) {
		t.Error(v)
	}
	acked, zero := 0, 0
	for _, o := range ops {
		if o.ok {
			acked++
			if o.tag == "UPDATE 0" {
				zero++
			}
		}
	}
	r.add("ops", "8 clients on 2 tallies, %d increments: %d answered (%d of them UPDATE 0), %d errors (%s)",
		len(ops), acked, zero, len(ops)-acked, errs)
	r.add("statements", "DELETE post 1 %s (%d attempts), DELETE post 2 %s (%d), re-INSERT post 1 %s (%d)",
		del[1].tag, del[1].attempts, del[2].tag, del[2].attempts, ins.tag, ins.attempts)

	// An increment whose outcome the client never learned may still land
	// (tally gives up only after half its settle window): then post 1 may
	// change between checkpoints, within the bounds.
	unknown := false
	for _, o := range ops {
		unknown = unknown || (o.row == 1 && !o.ok)
	}
	// checkpoint reads both posts and checks them against the bounds, and
	// once node3 is back, that post 1 no longer changes.
	var shown []string
	var first int64 = -1
	checkpoint := func(name string) {
		v, found1, s1 := likes(t, admin, 1)
		_, found2, s2 := likes(t, admin, 2)
		shown = append(shown, fmt.Sprintf("%s: post1 %s, post2 %s", name, s1, s2))
		if found2 {
			t.Errorf("%s: deleted post 2 has likes %s, want no row", name, s2)
		}
		switch {
		case !found1:
			t.Errorf("%s: re-inserted post 1 has no row", name)
		case v < int64(c1.lower) || v > int64(c1.upper):
			t.Errorf("%s: post 1 likes %d, want %d..%d (increments stamped after its re-insert)", name, v, c1.lower, c1.upper)
		case first >= 0 && v != first && !unknown:
			t.Errorf("%s: post 1 likes %d, was %d once node3 was back", name, v, first)
		}
		if name != "race over" && first < 0 {
			first = v
		}
	}
	checkpoint("race over")
	if err := s.nodes.Start(3); err != nil {
		t.Fatal(err)
	}
	r.add("faults", "kill -9 node3 before the race, back %s later", time.Since(killed).Round(time.Second))
	checkpoint("node3 back")
	if err := s.nodes.Repair(1, db); err != nil {
		t.Fatal(err)
	}
	checkpoint("repair")
	waitPast(del[2].to, (gcGraceSeconds+1)*time.Second)
	if err := s.flushCompact([]int{1, 2, 3}, db); err != nil {
		t.Fatal(err)
	}
	checkpoint("gc_grace+compaction")
	r.add("post 2", "deleted; %d increments sent after the DELETE's answer; must stay absent", c2.afterDelete)
	r.add("post 1", "deleted, re-inserted; want likes in %d..%d (%d..%d excluding increments answered UPDATE 0)",
		c1.lower, c1.upper, c1.lower, c1.strictUpper)
	for _, line := range shown {
		r.add("final", "%s", line)
	}
	overlap := 0 // UPDATE 0 answers to increments that overlapped the re-INSERT
	for _, o := range ops {
		if o.row == 1 && o.ok && o.tag == "UPDATE 0" && !o.complete.Before(ins.from.Add(-margin)) {
			overlap++
		}
	}
	if first > int64(c1.strictUpper) {
		r.add("anomaly", "post 1 holds %d, above the %d increments not answered UPDATE 0: at least %d of the %d increments answered UPDATE 0 while the re-INSERT ran were counted",
			first, c1.strictUpper, first-int64(c1.strictUpper), overlap)
	}
	r.add("read-your-writes", "%d violations", len(c1.violations)+len(c2.violations))
	s.verify(t, r, db, "posts", "1", "2")
}

// The race checker on a history worked out by hand (no cluster needed).
func TestCheckRace(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	add := func(inv, comp int, ok bool, tag string) op {
		return op{kind: opAdd, row: 1, invoke: at(inv), complete: at(comp), ok: ok, tag: tag}
	}
	del := window{from: at(100), to: at(110)}
	ins := window{from: at(200), to: at(210)}
	ops := []op{
		add(0, 10, true, "UPDATE 1"),    // before the delete: hidden by it
		add(95, 120, true, "UPDATE 1"),  // overlaps the delete: either way, hidden by the insert
		add(150, 160, true, "UPDATE 0"), // between: row absent
		add(190, 205, true, "UPDATE 0"), // overlaps the insert: may count
		add(195, 215, false, ""),        // unknown outcome overlapping the insert: may count
		add(220, 230, true, "UPDATE 1"), // after the insert: counts
		add(240, 250, false, ""),        // unknown outcome after the insert: may count
	}
	rc := checkRace(ops, 1, del, &ins)
	if rc.lower != 1 || rc.upper != 4 || rc.strictUpper != 3 || rc.afterDelete != 1 || len(rc.violations) != 0 {
		t.Fatalf("got %+v, want lower 1, upper 4, strict 3, 1 after delete, no violations", rc)
	}
	bad := append(ops, add(150, 160, true, "UPDATE 1"), add(220, 230, true, "UPDATE 0"), add(0, 20, true, "UPDATE 0"))
	if rc := checkRace(bad, 1, del, &ins); len(rc.violations) != 3 {
		t.Fatalf("violations %q, want 3", rc.violations)
	}
}

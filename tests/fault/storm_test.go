//go:build fault

package fault

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tally-db/tally/tests/cluster"
)

// storm is a cut proxy in front of tally a and the counters of one database.
type storm struct {
	proxy      *cluster.CutProxy
	db         string
	errs       counts
	onReply    int
	afterSend  int
	resends    int
	unexpected []string
}

// args are the statement's parameters: id 1 when it has a $1.
func args(sql string) []any {
	if strings.Contains(sql, "$1") {
		return []any{int64(1)}
	}
	return nil
}

// cutOnce sends sql on a new connection through the proxy with a cut armed
// on match, and checks that the connection was cut and the client got no
// answer.
func (st *storm) cutOnce(t *testing.T, mode, match string, when cluster.CutPoint, sql string) {
	t.Helper()
	c := newClientAt(st.proxy.Addr(), st.db, mode, &st.errs)
	defer c.close()
	if _, err := c.exec("SELECT 1"); err != nil { // connected before the cut is armed
		t.Fatalf("connect through the cut proxy: %v", err)
	}
	cut := st.proxy.Arm(match, when)
	tag, err := c.exec(sql, args(sql)...)
	if err == nil {
		t.Fatalf("%s: answered %q through an armed cut", sql, tag)
	}
	select {
	case <-cut.Done():
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: failed (%v) but the cut never fired", sql, err)
	}
	if when == cluster.OnReply {
		st.onReply++
	} else {
		st.afterSend++
	}
}

// resend sends sql on a new connection through the proxy (no cut armed)
// and returns its tag and the value of a RETURNING n, resending on errors
// for up to 30 s (an AfterSend cut may leave the first attempt running).
func (st *storm) resend(t *testing.T, mode, sql string) (tag string, v int64) {
	t.Helper()
	c := newClientAt(st.proxy.Addr(), st.db, mode, &st.errs)
	defer c.close()
	err := untilOK(30*time.Second, func() error {
		st.resends++
		var err error
		v, _, tag, err = c.value(sql, args(sql)...)
		return err
	})
	if err != nil {
		t.Fatalf("resend %s: %v", sql, err)
	}
	return tag, v
}

func (st *storm) counter(t *testing.T, c *client, id int64) int64 {
	t.Helper()
	var v int64
	if err := untilOK(30*time.Second, func() error {
		var err error
		v, _, _, err = c.value(`SELECT n FROM counters WHERE id = $1`, id)
		return err
	}); err != nil {
		t.Fatalf("read counter %d: %v", id, err)
	}
	return v
}

// testRetryStorm: connections cut after the statement is sent and before
// its reply, then the statement resent with its idempotency key on a new
// connection: counted once, and the resend gets the first success's answer.
func testRetryStorm(t *testing.T, s *suite) {
	r := s.newReport(t, "RetryStorm: connection cut between statement and reply, resent with its key")
	st := &storm{db: database("storm")}
	admin := newClientAt(s.tallies[0].Addr, st.db, modePrepared, &counts{})
	defer admin.close()
	mustTag(t, admin, "CREATE TABLE", `CREATE TABLE counters (id bigint PRIMARY KEY, n bigint NOT NULL DEFAULT 0)`)
	mustTag(t, admin, "INSERT 0 4", `INSERT INTO counters (id) VALUES (1), (2), (3), (4)`)
	var err error
	if st.proxy, err = cluster.NewCutProxy(s.tallies[0].Addr); err != nil {
		t.Fatal(err)
	}
	defer st.proxy.Close()
	runID := randomHex(3)

	// Control, without a key: the cut statement ran, so a resend counts
	// again. This proves the cut falls after execution, not before.
	const controlRounds = 3
	control := `/*control*/ UPDATE counters SET n = n + 1 WHERE id = 2`
	for i := 0; i < controlRounds; i++ {
		st.cutOnce(t, modeSimple, "/*control*/", cluster.OnReply, control)
		if tag, _ := st.resend(t, modeSimple, control); tag != "UPDATE 1" {
			t.Errorf("control resend: tag %q, want UPDATE 1", tag)
		}
	}
	got := st.counter(t, admin, 2)
	r.add("control", "no key: %d × (cut on reply + resend) → %d (want %d: the cut comes after the statement ran)", controlRounds, got, 2*controlRounds)
	if got != 2*controlRounds {
		t.Fatalf("control counter %d, want %d: the proxy does not cut after execution", got, 2*controlRounds)
	}

	// The storm: each key cut 1-3 times in a row, then answered, then sent
	// once more. Three shapes of the comment and all three pgx query modes.
	shapes := []struct{ mode, sql string }{
		{modeSimple, `UPDATE counters SET n = n + 1 WHERE id = 1 /*idempotency_key='%s'*/`},
		{modeExec, `/*application='fault',idempotency_key='%s',route='storm'*/ UPDATE counters SET n = n + 1 WHERE id = $1`},
		{modePrepared, `UPDATE counters SET n = n + 1 /*idempotency_key='%s'*/ WHERE id = $1`},
	}
	const keys = 12
	firstKey := ""
	for i := 0; i < keys; i++ {
		key := fmt.Sprintf("storm-%s-%d", runID, i)
		if i == 0 {
			firstKey = key
		}
		shape := shapes[i%len(shapes)]
		sql := fmt.Sprintf(shape.sql, key)
		for j := 0; j <= i%3; j++ {
			when := cluster.OnReply
			if i%4 == 3 && j == 0 {
				when = cluster.AfterSend // the first attempt may or may not have run
			}
			st.cutOnce(t, shape.mode, key, when, sql)
		}
		for j := 0; j < 2; j++ { // the answered resend, and a duplicate after it
			if tag, _ := st.resend(t, shape.mode, sql); tag != "UPDATE 1" {
				t.Errorf("key %s resend %d: tag %q, want UPDATE 1", key, j+1, tag)
			}
		}
	}
	got = st.counter(t, admin, 1)
	r.add("keys", "%d keys, %d cuts on reply + %d after send, %d resends → %d (want %d)", keys, st.onReply-controlRounds, st.afterSend, st.resends-controlRounds, got, keys)
	if got != keys {
		t.Errorf("counter after the storm: %d, want %d (one per key)", got, keys)
	}

	// RETURNING: the resend gets the rows of the first success.
	var returned []string
	for i := 0; i < 4; i++ {
		key := fmt.Sprintf("storm-%s-ret-%d", runID, i)
		sql := fmt.Sprintf(`UPDATE counters SET n = n + 1 WHERE id = 3 RETURNING n /*idempotency_key='%s'*/`, key)
		st.cutOnce(t, modeSimple, key, cluster.OnReply, sql)
		_, v1 := st.resend(t, modeSimple, sql)
		_, v2 := st.resend(t, modeSimple, sql)
		returned = append(returned, fmt.Sprintf("%d/%d", v1, v2))
		if v1 != int64(i+1) || v2 != v1 {
			t.Errorf("key %s: RETURNING n gave %d then %d, want %d both times", key, v1, v2, i+1)
		}
	}
	got = st.counter(t, admin, 3)
	r.add("returning", "4 keys, each cut then resent twice: RETURNING %s → %d (want 1/1 2/2 3/3 4/4 → 4)", strings.Join(returned, " "), got)
	if got != 4 {
		t.Errorf("RETURNING counter: %d, want 4", got)
	}

	// The same key with a different statement is refused; nothing applies.
	c := newClientAt(s.tallies[0].Addr, st.db, modeSimple, &st.errs)
	defer c.close()
	_, err = c.exec(fmt.Sprintf(`UPDATE counters SET n = n + 2 WHERE id = 1 /*idempotency_key='%s'*/`, firstKey))
	got = st.counter(t, admin, 1)
	r.add("key reuse", "same key, other statement: SQLSTATE %q, counter %d (want an error and %d)", sqlstate(err), got, keys)
	if sqlstate(err) == "" || got != keys {
		t.Errorf("key %s reused for another statement: err %v, counter %d; want an ErrorResponse and %d", firstKey, err, got, keys)
	}
	killed, inflight, got := st.killMidFlight(t, s, runID)
	r.add("tally kill", "tally a killed -9 amid 8 clients' keyed increments: %d keys, %d in flight, resent via tally b → %d (want %d)",
		killed, inflight, got, killed)
	if got != int64(killed) {
		t.Errorf("after a tally kill and resends: counter %d, want %d (one per key)", got, killed)
	}
	r.add("errors", "%s (the cuts and the kill show as conn)", &st.errs)
	s.verify(t, r, st.db, "counters", "1", "2", "3", "4")
}

// killMidFlight: 8 clients send keyed increments of counter 4 to tally a,
// which is killed with -9 after a second; each client then resends the key
// it had in flight through tally b until answered UPDATE 1. Some of those
// statements died between claiming their key and writing their delta: the
// resend must apply them, once. It returns the keys sent, how many were in
// flight at the kill, and the counter.
func (st *storm) killMidFlight(t *testing.T, s *suite, runID string) (keys, inflight int, got int64) {
	t.Helper()
	type pending struct{ key, sql string }
	var (
		mu    sync.Mutex
		left  []pending
		total int
		wg    sync.WaitGroup
	)
	for i := 0; i < 8; i++ {
		c := newClientAt(s.tallies[0].Addr, st.db, modeExec, &st.errs)
		wg.Go(func() {
			defer c.close()
			for seq := 0; ; seq++ {
				key := fmt.Sprintf("storm-%s-kill-c%d-%d", runID, i, seq)
				sql := fmt.Sprintf(`UPDATE counters SET n = n + 1 WHERE id = 4 /*idempotency_key='%s'*/`, key)
				mu.Lock()
				total++
				mu.Unlock()
				if tag, err := c.exec(sql); err != nil || tag != "UPDATE 1" {
					mu.Lock()
					left = append(left, pending{key, sql})
					mu.Unlock()
					return // tally a is gone
				}
			}
		})
	}
	time.Sleep(time.Second)
	if err := s.tallies[0].Kill(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if err := s.tallies[0].Restart(); err != nil {
		t.Fatal(err)
	}
	b := newClientAt(s.tallies[1].Addr, st.db, modeExec, &st.errs)
	defer b.close()
	for _, p := range left {
		err := untilOK(30*time.Second, func() error {
			tag, err := b.exec(p.sql)
			if err == nil && tag != "UPDATE 1" {
				return fmt.Errorf("tag %q", tag)
			}
			return err
		})
		if err != nil {
			t.Errorf("resend of %s, in flight when tally a was killed: %v", p.key, err)
		}
	}
	admin := newClientAt(s.tallies[1].Addr, st.db, modePrepared, &counts{})
	defer admin.close()
	return total, len(left), st.counter(t, admin, 4)
}

//go:build fault

package fault

import (
	"context"
	"errors"
	"fmt"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// native is a table of Cassandra's own counter type, driven directly with
// gocql, to show beside tally what Cassandra counters do under the same
// faults. It is the only place the CQL counter type may appear (DESIGN.md
// invariant 1): test code, in a keyspace of its own that tally never uses,
// dropped when the scenario ends.
type native struct {
	s  *suite
	ks string
}

func newNative(s *suite) (*native, error) {
	n := &native{s: s, ks: "fault_native_" + randomHex(4)}
	for _, cql := range []string{
		fmt.Sprintf("CREATE KEYSPACE %s WITH replication = %s", n.ks, replication),
		fmt.Sprintf("CREATE TABLE %s.posts (post_id bigint PRIMARY KEY, likes counter) WITH gc_grace_seconds = %d", n.ks, gcGraceSeconds),
	} {
		if err := n.exec(s.cql, cql); err != nil {
			return nil, err
		}
	}
	return n, nil
}

func (n *native) exec(sess *gocql.Session, cql string, args ...any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := sess.Query(cql, args...).ExecContext(ctx); err != nil {
		return fmt.Errorf("native: %s: %w", cql, err)
	}
	return nil
}

// add increments post id's likes by d, at QUORUM.
func (n *native) add(id, d int64) error {
	return n.exec(n.s.cql, fmt.Sprintf("UPDATE %s.posts SET likes = likes + ? WHERE post_id = ?", n.ks), d, id)
}

// del deletes post id, at QUORUM.
func (n *native) del(id int64) error {
	return n.exec(n.s.cql, fmt.Sprintf("DELETE FROM %s.posts WHERE post_id = ?", n.ks), id)
}

// read returns post id's likes through sess at its consistency, as text:
// the value, "no row", or the error.
func (n *native) read(sess *gocql.Session, id int64) string {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var likes int64
	err := sess.Query(fmt.Sprintf("SELECT likes FROM %s.posts WHERE post_id = ?", n.ks), id).ScanContext(ctx, &likes)
	switch {
	case errors.Is(err, gocql.ErrNotFound):
		return "no row"
	case err != nil:
		return "error: " + err.Error()
	}
	return fmt.Sprint(likes)
}

func (n *native) drop() error { return n.s.dropKeyspace(n.ks) }

//go:build fault

package fault

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/tally-db/tally/tests/cluster"
)

// The cluster the suite expects and the tally processes it runs over it.
const (
	nodeCount      = 3
	replication    = "{'class': 'SimpleStrategy', 'replication_factor': 3}"
	gcGraceSeconds = 10 // tally's --gc-grace-seconds, and the native counter table's
	shards         = 4
)

// suite is what every scenario shares: the cluster, two tally processes
// ("a" and "b") and a raw CQL session. It is set up on first use, so tests
// that need no cluster (the checkers' own tests) run without one.
type suite struct {
	root    string
	nodes   *cluster.Nodes
	bin     string
	logDir  string
	tallies []*cluster.Tally
	cql     *gocql.Session // raw access: the native counter table, keyspace drops
	started time.Time

	mu      sync.Mutex
	reports []*report
}

var (
	setupOnce sync.Once
	shared    *suite
	setupErr  error
)

// getSuite returns the shared suite, setting it up on first call.
func getSuite(t *testing.T) *suite {
	t.Helper()
	setupOnce.Do(func() { shared, setupErr = setup() })
	if setupErr != nil {
		t.Fatalf("fault suite setup: %v", setupErr)
	}
	return shared
}

func setup() (*suite, error) {
	root, err := cluster.FindRoot()
	if err != nil {
		return nil, err
	}
	s := &suite{root: root, nodes: cluster.NewNodes(root, nodeCount), started: time.Now()}
	s.nodes.Logf = progress
	if err := s.nodes.CheckUp(); err != nil {
		return nil, err
	}
	progress("building bin/tally")
	if s.bin, err = cluster.BuildTally(root); err != nil {
		return nil, err
	}
	if s.logDir, err = os.MkdirTemp("", "tally-fault-"); err != nil {
		return nil, err
	}
	for _, name := range []string{"a", "b"} {
		tl, err := cluster.StartTally(cluster.TallyConfig{
			Bin: s.bin, Cassandra: s.nodes.Hosts(), Replication: replication,
			ReadConsistency: "QUORUM", WriteConsistency: "QUORUM",
			Shards: shards, GCGraceSeconds: gcGraceSeconds,
			LogPath: fmt.Sprintf("%s/tally-%s.log", s.logDir, name),
		})
		if err != nil {
			s.close()
			return nil, err
		}
		progress("tally %s on %s (log %s/tally-%s.log)", name, tl.Addr, s.logDir, name)
		s.tallies = append(s.tallies, tl)
	}
	cc := gocql.NewCluster(strings.Split(s.nodes.Hosts(), ",")...)
	cc.Consistency = gocql.Quorum
	cc.Timeout = 15 * time.Second
	cc.ConnectTimeout = 10 * time.Second
	cc.RetryPolicy = &gocql.SimpleRetryPolicy{NumRetries: 2}
	if s.cql, err = cc.CreateSession(); err != nil {
		s.close()
		return nil, fmt.Errorf("raw cql session: %w", err)
	}
	return s, nil
}

func (s *suite) close() {
	for _, tl := range s.tallies {
		_ = tl.Stop()
	}
	if s.cql != nil {
		s.cql.Close()
	}
}

// heal brings every node and both tallies back, whatever a failed scenario
// left behind, so the next scenario starts from a whole cluster.
func (s *suite) heal(t *testing.T) {
	t.Helper()
	running, err := s.nodes.Running()
	if err != nil {
		t.Errorf("heal: %v", err)
		return
	}
	for n := 1; n <= nodeCount; n++ {
		if !running[n] {
			if err := s.nodes.Start(n); err != nil {
				t.Errorf("heal: %v", err)
			}
		}
	}
	for _, tl := range s.tallies {
		if !tl.Running() {
			if err := tl.Restart(); err != nil {
				t.Errorf("heal: %v", err)
			}
		}
	}
}

// database returns a fresh database (keyspace) name for scenario name.
func database(name string) string { return "fault_" + name + "_" + randomHex(4) }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// progress prints a timestamped progress line (visible without -v too, so
// a slow cluster step is never silent).
func progress(format string, a ...any) {
	fmt.Fprintf(os.Stdout, "  %s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, a...))
}

// verify runs `tally verify` on table and records the outcome in r. A tally
// without the command yet is skipped with a note; a difference fails t.
func (s *suite) verify(t *testing.T, r *report, db, table string, keys ...string) {
	t.Helper()
	out, err := cluster.Verify(s.bin, s.nodes.Hosts(), db, table, keys...)
	switch {
	case errors.Is(err, cluster.ErrNoVerify):
		r.add("verify", "skipped: bin/tally has no verify command yet")
	case err != nil:
		r.add("verify", "%s.%s: DIFFERENCES (see log)", db, table)
		t.Errorf("tally verify %s.%s: %v", db, table, err)
	default:
		r.add("verify", "%s.%s: no difference", db, table)
		t.Logf("tally verify %s.%s:\n%s", db, table, out)
	}
}

// forEachNode runs f on every node in parallel and returns the first error.
func (s *suite) forEachNode(nodes []int, f func(n int) error) error {
	errs := make([]error, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Go(func() { errs[i] = f(n) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// flushCompact flushes then major-compacts keyspaces on nodes.
func (s *suite) flushCompact(nodes []int, keyspaces ...string) error {
	return s.forEachNode(nodes, func(n int) error {
		for _, ks := range keyspaces {
			if err := s.nodes.Flush(n, ks); err != nil {
				return err
			}
			if err := s.nodes.Compact(n, ks); err != nil {
				return err
			}
		}
		return nil
	})
}

// waitPast sleeps until d has passed since t0 (gc_grace_seconds waits).
func waitPast(t0 time.Time, d time.Duration) {
	if left := time.Until(t0.Add(d)); left > 0 {
		progress("waiting %s for gc_grace_seconds to pass", left.Round(time.Second))
		time.Sleep(left)
	}
}

// dropKeyspace drops ks through the raw session (test-owned keyspaces only).
func (s *suite) dropKeyspace(ks string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return s.cql.Query("DROP KEYSPACE IF EXISTS " + ks).ExecContext(ctx)
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared != nil {
		shared.close()
		shared.printSummary()
	}
	os.Exit(code)
}

// TestFault runs the scenarios of issue 3 item 9 in a fixed order: those
// that need only today's features first, then those that need idempotency
// keys.
func TestFault(t *testing.T) {
	s := getSuite(t)
	for _, sc := range []struct {
		name string
		run  func(*testing.T, *suite)
	}{
		{"Seed", testSeed},
		{"DeleteRace", testDeleteRace},
		{"CounterBounds", testCounterBounds},
		{"RetryStorm", testRetryStorm},
		{"CounterExact", testCounterExact},
	} {
		t.Run(sc.name, func(t *testing.T) {
			defer s.heal(t)
			sc.run(t, s)
		})
	}
}

package cluster

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Timeouts of the ctl.sh commands. startnode waits for the node and for the
// ring (ctl.sh's own limit is 180 s per node); repair and compaction of the
// suite's small tables take seconds, but share two cores with three JVMs.
const (
	killTimeout     = time.Minute
	startTimeout    = 5 * time.Minute
	nodetoolTimeout = 10 * time.Minute
	pollInterval    = 2 * time.Second
)

// Nodes drives the local Cassandra nodes that scripts/cassandra/ctl.sh runs:
// node n listens on 127.0.0.n:9042, its JMX on 127.0.0.1:7199+n.
type Nodes struct {
	Root  string                        // repository root, holding scripts/cassandra/ctl.sh
	Count int                           // nodes in the cluster (3 after `make cluster`)
	Logf  func(format string, a ...any) // progress lines; nil to stay silent
}

// NewNodes returns the controller of an n-node cluster started from root.
func NewNodes(root string, n int) *Nodes {
	return &Nodes{Root: root, Count: n}
}

// IP is node n's address.
func (c *Nodes) IP(n int) string { return fmt.Sprintf("127.0.0.%d", n) }

// Hosts is every node's address, comma-separated (tally's --cassandra).
func (c *Nodes) Hosts() string {
	ips := make([]string, c.Count)
	for i := range ips {
		ips[i] = c.IP(i + 1)
	}
	return strings.Join(ips, ",")
}

func (c *Nodes) logf(format string, a ...any) {
	if c.Logf != nil {
		c.Logf(format, a...)
	}
}

// ctl runs ctl.sh with args and returns its combined output.
func (c *Nodes) ctl(timeout time.Duration, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", append([]string{filepath.Join(c.Root, "scripts/cassandra/ctl.sh")}, args...)...)
	cmd.Dir = c.Root
	cmd.WaitDelay = 5 * time.Second // a node launched by startnode must never hold our pipes open
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("cluster: ctl.sh %s: %w\n%s", strings.Join(args, " "), err, tail(string(out), 20))
	}
	return string(out), nil
}

// Kill kills node n with SIGKILL (no drain) and waits until the process is
// gone. Its peers notice only later: see WaitDown.
//
// ctl.sh runs nodes with -Dcassandra.unsafesystem=true (a test speed-up):
// system tables skip the commit log, so a node killed with -9 would forget
// every schema change since its last flush, and answer "keyspace does not
// exist" or INCOMPATIBLE_SCHEMA for tens of seconds after it restarts. A
// real node never loses its schema, so Kill flushes system_schema first.
// User data stays in the commit log and memtables, as kill -9 leaves it.
func (c *Nodes) Kill(n int) error {
	if _, err := c.Nodetool(n, "flush", "system_schema"); err != nil {
		c.logf("node%d: flush system_schema before kill: %v", n, err)
	}
	c.logf("kill -9 node%d", n)
	_, err := c.ctl(killTimeout, "kill", strconv.Itoa(n))
	return err
}

// Start starts node n again and waits until it serves CQL and every live
// node sees it UP.
func (c *Nodes) Start(n int) error {
	c.logf("start node%d", n)
	t0 := time.Now()
	_, err := c.ctl(startTimeout, "startnode", strconv.Itoa(n))
	if err == nil {
		c.logf("node%d up after %s", n, time.Since(t0).Round(time.Second))
	}
	return err
}

// Stop stops node n cleanly (drain, then exit) and waits until its process
// is gone. ctl.sh stops only whole prefixes of the cluster, so the node is
// asked to stop itself.
func (c *Nodes) Stop(n int) error {
	c.logf("stop node%d", n)
	_, err := c.Nodetool(n, "stopdaemon")
	deadline := time.Now().Add(killTimeout)
	for time.Now().Before(deadline) {
		running, serr := c.Running()
		if serr != nil {
			return serr
		}
		if !running[n] {
			return nil
		}
		time.Sleep(pollInterval / 4)
	}
	if err != nil {
		return err
	}
	return fmt.Errorf("cluster: node%d still runs %s after stopdaemon", n, killTimeout)
}

// Nodetool runs nodetool against node n and returns its output.
func (c *Nodes) Nodetool(n int, args ...string) (string, error) {
	return c.ctl(nodetoolTimeout, append([]string{"nodetool", strconv.Itoa(n)}, args...)...)
}

// Repair runs a full (not incremental) repair of keyspace from node n. With
// replication factor = node count, every node holds every range, so one
// repair covers all the keyspace's data. It fails while a replica is down.
func (c *Nodes) Repair(n int, keyspace string) error {
	c.logf("repair -full %s on node%d", keyspace, n)
	_, err := c.Nodetool(n, "repair", "-full", keyspace)
	return err
}

// Flush writes node n's memtables of keyspace (or of its tables) to sstables.
func (c *Nodes) Flush(n int, keyspace string, tables ...string) error {
	_, err := c.Nodetool(n, append([]string{"flush", keyspace}, tables...)...)
	return err
}

// Compact runs a major compaction of keyspace (or of its tables) on node n:
// tombstones older than gc_grace_seconds are purged with what they shadow.
func (c *Nodes) Compact(n int, keyspace string, tables ...string) error {
	_, err := c.Nodetool(n, append([]string{"compact", keyspace}, tables...)...)
	return err
}

// Running reports which nodes have a live process (ctl.sh status), whether or
// not their CQL port is open yet.
func (c *Nodes) Running() (map[int]bool, error) {
	out, err := c.ctl(killTimeout, "status")
	if err != nil {
		return nil, err
	}
	running := map[int]bool{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text()) // node2 127.0.0.2 UP (pid ...)
		if len(f) < 3 || !strings.HasPrefix(f[0], "node") {
			continue
		}
		n, err := strconv.Atoi(strings.TrimPrefix(f[0], "node"))
		if err != nil {
			continue
		}
		running[n] = f[2] == "UP" || f[2] == "STARTING"
	}
	return running, nil
}

var statusLine = regexp.MustCompile(`^([UD][NLJM])\s+(\d+\.\d+\.\d+\.\d+)\s`)

// Ring returns each node's state ("UN", "DN", ...) as node observer's
// `nodetool status` shows it.
func (c *Nodes) Ring(observer int) (map[int]string, error) {
	out, err := c.Nodetool(observer, "status")
	if err != nil {
		return nil, err
	}
	ring := map[int]string{}
	for _, line := range strings.Split(out, "\n") {
		m := statusLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		for n := 1; n <= c.Count; n++ {
			if m[2] == c.IP(n) {
				ring[n] = m[1]
			}
		}
	}
	if len(ring) == 0 {
		return nil, fmt.Errorf("cluster: no node in node%d's nodetool status:\n%s", observer, out)
	}
	return ring, nil
}

// observer picks a running node other than n to ask about n, or n itself
// when self is allowed and no other node runs.
func (c *Nodes) observer(n int, self bool) (int, error) {
	running, err := c.Running()
	if err != nil {
		return 0, err
	}
	for m := 1; m <= c.Count; m++ {
		if m != n && running[m] {
			return m, nil
		}
	}
	if self && running[n] {
		return n, nil
	}
	return 0, errors.New("cluster: no other node is running")
}

// WaitDown waits until a live peer's nodetool status shows node n as DN.
// After kill -9 the failure detector takes ~10-20 s to convict a node; until
// then coordinators still send it writes and wait for their timeouts.
func (c *Nodes) WaitDown(n int, timeout time.Duration) error {
	return c.waitState(n, "D", false, timeout)
}

// WaitUp waits until a live peer's nodetool status shows node n as UN.
func (c *Nodes) WaitUp(n int, timeout time.Duration) error {
	return c.waitState(n, "UN", true, timeout)
}

func (c *Nodes) waitState(n int, prefix string, self bool, timeout time.Duration) error {
	t0 := time.Now()
	var last map[int]string
	for {
		obs, err := c.observer(n, self)
		if err != nil {
			return err
		}
		ring, err := c.Ring(obs)
		if err == nil && strings.HasPrefix(ring[n], prefix) {
			c.logf("node%d is %s as node%d sees it (after %s)", n, ring[n], obs, time.Since(t0).Round(time.Second))
			return nil
		}
		last = ring
		if time.Since(t0) > timeout {
			return fmt.Errorf("cluster: node%d not %s after %s (ring %v, err %v)", n, prefix, timeout, last, err)
		}
		time.Sleep(pollInterval)
	}
}

// CheckUp returns an error unless all Count nodes run and node 1 sees every
// one of them UN. The suite calls it first: it never starts the cluster
// itself (`make cluster` does), because that wipes the single-node data.
func (c *Nodes) CheckUp() error {
	running, err := c.Running()
	if err != nil {
		return err
	}
	for n := 1; n <= c.Count; n++ {
		if !running[n] {
			return fmt.Errorf("cluster: node%d is not running (start the cluster with `make cluster`)", n)
		}
	}
	ring, err := c.Ring(1)
	if err != nil {
		return err
	}
	for n := 1; n <= c.Count; n++ {
		if ring[n] != "UN" {
			return fmt.Errorf("cluster: node%d is %q in node1's ring, want UN", n, ring[n])
		}
	}
	return nil
}

// FindRoot returns the repository root: the nearest directory above the
// working directory holding go.mod.
func FindRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("cluster: no go.mod above the working directory")
		}
		dir = parent
	}
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

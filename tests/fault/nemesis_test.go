//go:build fault

package fault

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/tally-db/tally/tests/cluster"
)

// nemesis injects the faults of a workload run (after Jepsen's): Cassandra
// nodes killed with -9 and started again, one at a time, and one tally
// process killed with -9 and restarted once.
type nemesis struct {
	nodes     *cluster.Nodes
	tally     *cluster.Tally // killed once; nil: never
	order     []int          // nodes to kill, in turn
	firstKill time.Duration  // from the run's start to the first node kill
	downFor   time.Duration  // a killed node stays down this long, then starts
	gap       time.Duration  // from a node's return to the next kill
	tallyAt   time.Duration  // from the run's start to the tally kill
	tallyDown time.Duration  // the tally stays down this long

	mu         sync.Mutex
	t0         time.Time
	events     []string
	nodeKills  int
	tallyKills int
	errs       []error
}

// run injects faults until ctx ends, then returns once every node and the
// tally it killed are back.
func (n *nemesis) run(ctx context.Context) {
	n.t0 = time.Now()
	var wg sync.WaitGroup
	if n.tally != nil {
		wg.Go(func() { n.killTally(ctx) })
	}
	n.killNodes(ctx)
	wg.Wait()
}

func (n *nemesis) killNodes(ctx context.Context) {
	order := n.order
	wait := n.firstKill
	for i := 0; ; i++ {
		if !sleepCtx(ctx, wait) {
			return
		}
		node := order[i%len(order)]
		if !n.do(fmt.Sprintf("kill -9 node%d", node), func() error { return n.nodes.Kill(node) }) {
			return
		}
		n.mu.Lock()
		n.nodeKills++
		n.mu.Unlock()
		sleepCtx(ctx, n.downFor) // a killed node always comes back, even at the end
		if !n.do(fmt.Sprintf("node%d back", node), func() error { return n.nodes.Start(node) }) {
			return
		}
		wait = n.gap
	}
}

func (n *nemesis) killTally(ctx context.Context) {
	if !sleepCtx(ctx, n.tallyAt) {
		return
	}
	if !n.do("kill -9 tally "+n.tally.Addr, n.tally.Kill) {
		return
	}
	n.mu.Lock()
	n.tallyKills++
	n.mu.Unlock()
	sleepCtx(ctx, n.tallyDown)
	n.do("tally "+n.tally.Addr+" restarted", n.tally.Restart)
}

// do runs one fault step and records it (with the time it finished).
func (n *nemesis) do(what string, f func() error) bool {
	err := f()
	n.mu.Lock()
	defer n.mu.Unlock()
	at := time.Since(n.t0).Seconds()
	if err != nil {
		n.errs = append(n.errs, fmt.Errorf("%s: %w", what, err))
		n.events = append(n.events, fmt.Sprintf("%s FAILED @%.0fs", what, at))
		return false
	}
	n.events = append(n.events, fmt.Sprintf("%s @%.0fs", what, at))
	progress("nemesis: %s", what)
	return true
}

// summary is the faults injected, for the figures.
func (n *nemesis) summary() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return fmt.Sprintf("cassandra kill -9 ×%d, tally kill -9 ×%d; %s",
		n.nodeKills, n.tallyKills, strings.Join(n.events, ", "))
}

// sleepCtx sleeps d or until ctx ends; it reports whether ctx is still live.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

// Package fault is tally's fault suite: it runs on the 3-node cluster
// (`make cluster`), kills Cassandra nodes with -9, kills tally processes,
// cuts client connections between a statement and its reply, and checks
// that counts stay exact (issue 3, DESIGN.md invariants 2-7).
//
// Its tests carry the build tag `fault`, so the single-node `go test ./...`
// never runs them. Run it with `make test-fault`, or on a cluster that is
// already up:
//
//	go test -tags fault -count=1 -v -timeout 25m ./tests/fault
//	go test -tags fault -count=1 -v -run 'TestFault/Seed' ./tests/fault
//
// The scenarios (TestFault's subtests, in this order):
//
//   - Seed: post 1 has 100 likes; node 2 is killed; DELETE at QUORUM; the
//     other nodes drop their hints and purge tombstones past
//     gc_grace_seconds; node 2 returns; repair; gc_grace_seconds; flush and
//     compaction everywhere. tally shows no row and a re-insert counts from
//     its new value. A native Cassandra counter table goes through the same
//     steps and what it shows is printed beside tally's (not asserted).
//   - DeleteRace: 8 clients increment two rows while both are deleted (node 3
//     down) and one is inserted again: the deleted row stays absent, the
//     re-inserted one holds only increments stamped after its re-insert,
//     through node 3's return, repair, gc_grace_seconds and compaction.
//   - CounterBounds: 16 clients over two tallies, no keys, no resends, while
//     nodes are killed -9 and restarted and one tally is killed: every read
//     within acknowledged <= value <= attempted (Jepsen's counter bounds).
//   - RetryStorm: connections cut between statement and reply, statements
//     resent with their idempotency key: counted once, same tag and
//     RETURNING rows; and a tally killed -9 amid keyed statements whose
//     keys are resent through the other tally: counted once.
//   - CounterExact: CounterBounds with a unique key per increment, resent
//     until acknowledged: the final value equals the acknowledged keys.
//
// Each scenario prints its figures (operations, acknowledged, faults
// injected, final versus expected) as a block, and the suite repeats every
// block in a summary at the end. FAULT_DURATION (default 60s) sets the
// length of each nemesis run.
//
// The suite never starts or stops the cluster as a whole: `make cluster`
// wipes a single node's data, so that is the Makefile's decision.
package fault

// Package cluster controls the processes the fault suite (tests/fault) breaks
// on purpose: the local Cassandra nodes that scripts/cassandra/ctl.sh runs on
// 127.0.0.1..3, tally server processes built from cmd/tally, and a TCP proxy
// that cuts a client's connection at an exact Postgres message boundary.
//
// It owns no Cassandra data and knows nothing of tally's CQL layout: nodes are
// driven through ctl.sh and nodetool only, tally through its command line and
// the Postgres wire protocol. It must not be imported by tally itself.
//
// Known limits: ctl.sh has no "stop one node", so Stop asks the node to stop
// itself (nodetool stopdaemon); a node's liveness as its peers see it comes
// from `nodetool status`, which costs a JVM start (~2 s of CPU) per call.
package cluster

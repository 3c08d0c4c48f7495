// Package rewrite turns planned SQL operations into Cassandra operations:
// idempotent writes stamped with one transaction timestamp, and reads that
// rebuild a row's values from its base cells, counter deltas and markers.
//
// Each operation (CreateTable, DropTable, Truncate, Insert, Update, Delete,
// Select, Values) is a type in its own file implementing Op. rewrite declares
// the Store it needs (store.go); package cassandra implements it. rewrite
// never parses SQL (planner does) and never speaks the wire protocol.
//
// # CQL layout
//
// Each SQL table T with ID x becomes two CQL tables in the keyspace named
// like the database:
//
//	t_<name>_<x>: PRIMARY KEY ((k1, k2, ...)), tally_born bigint,
//	              tally_deleted bigint, one column per value column
//	d_<name>_<x>: PRIMARY KEY ((k1, k2, ..., shard), ts, txid),
//	              one bigint column per counter column
//
// and a row in tally_catalog(name, def, truncated_at). A row is live when
// tally_born > tally_deleted and tally_born > truncated_at. A value cell is
// visible only if its write time is at least tally_born. A counter's value
// is its base cell plus every delta whose ts is after the base cell's write
// time. Every write carries the statement's timestamp T, and a delta row is
// keyed by (ts=T, txid), so writing it again changes nothing.
package rewrite

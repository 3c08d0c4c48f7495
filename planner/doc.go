// Package planner turns SQL text into executable plans. It parses with the
// Postgres server's own grammar (pg_query_go), resolves names against the
// catalog, checks and infers types (including the types of $n parameters),
// and builds rewrite operations. It owns the SQL session: settings and the
// transaction status.
//
// It never talks to Cassandra directly (rewrite does) and never encodes wire
// messages (proxy does).
package planner

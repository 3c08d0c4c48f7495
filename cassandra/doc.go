// Package cassandra owns tally's connection to Apache Cassandra: the gocql
// session, consistency levels, timestamps and idempotency flags on every
// request, retries, and the mapping of driver errors to SQLSTATEs.
//
// It executes CQL it is given; it does not build CQL for SQL statements
// (that is rewrite's job) and it never imports a package above it.
package cassandra

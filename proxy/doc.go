// Package proxy speaks the Postgres v3 wire protocol to clients (psql,
// pgx, JDBC, ...) and hands the SQL to an Engine. It owns the protocol:
// startup and authentication, the simple and extended query flows
// (https://www.postgresql.org/docs/15/protocol-flow.html), prepared
// statements and portals, row encoding through sqltypes, and the single
// place where an error becomes an ErrorResponse (errors.go).
//
// It must not parse or plan SQL, know about Cassandra, or hold transaction
// state: the Session owns transactions and reports their status, which the
// proxy only relays in ReadyForQuery.
//
// Authentication (auth.go, scram.go) is trust, cleartext password, md5 or
// SCRAM-SHA-256, checked against Config.Users; it must never log or send a
// password or say why a login failed. TLS (tls.go) answers SSLRequest when
// Config.TLS is set and offers SCRAM-SHA-256-PLUS over it.
//
// Known limits: one method for all users and databases (no pg_hba rules),
// no client certificates, GSS encryption requests are declined;
// COPY and the function-call sub-protocol are not supported; only UTF8
// client encoding is accepted. A portal run in parts by Execute's row
// limit completes with the count of its last part, as in Postgres 15.
//
// Pipelines: an extended-query Execute outside a transaction block is held
// until the next message (conn.deferred). Followed by Sync it runs on its
// own; followed by anything else it opens the session's implicit
// transaction, which Sync commits, as Postgres commits everything between
// two Syncs together.
//
// Shutdown (drain.go): Server.Drain closes the listener and ends each
// connection with FATAL 57P01 at its first idle moment (right after
// ReadyForQuery 'I'), so running statements are answered and open blocks
// may commit; cancelling Serve's context ends the rest. SetTLS swaps the
// certificate for new connections. Connection events go to Config.Metrics.
package proxy

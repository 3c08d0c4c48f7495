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
// CancelRequest is accepted and ignored (the key registry exists for it);
// COPY and the function-call sub-protocol are not supported; only UTF8
// client encoding is accepted. A portal suspended by Execute's row limit
// reports the statement's full command tag when it completes (Postgres
// reports the rows of the last batch).
package proxy

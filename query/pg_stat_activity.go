package query

import (
	"hash/fnv"
	"time"
)

// pgStatActivitySpec is Postgres 15's pg_stat_activity column list;
// client_addr is text (tally has no inet type).
const pgStatActivitySpec = "datid:oid datname:name pid:int4 leader_pid:int4 usesysid:oid usename:name application_name:text " +
	"client_addr:text client_hostname:text client_port:int4 backend_start:timestamptz xact_start:timestamptz " +
	"query_start:timestamptz state_change:timestamptz wait_event_type:text wait_event:text state:text " +
	"backend_xid:xid backend_xmin:xid query_id:int8 query:text backend_type:text"

// pgStatActivity lists tally's client sessions, from every database, as
// Postgres lists its backends: user, database, application_name, client
// address, state, when the transaction, the query and the state began,
// and the running (or last) statement. Columns tally has no notion of
// (wait events, xids, query_id) are NULL.
func pgStatActivity(x *execCtx, b *rowBuilder) error {
	if x.env.Activity == nil {
		return nil
	}
	for _, s := range x.env.Activity() {
		b.add(map[string]any{
			"datid": databaseOID(s.Database, x.env.Keyspace), "datname": s.Database, "pid": s.PID,
			"leader_pid": nil, "usesysid": owner, "usename": s.User, "application_name": s.ApplicationName,
			"client_addr": nullIfEmpty(s.ClientAddr), "client_port": s.ClientPort,
			"backend_start": timeOrNull(s.BackendStart), "xact_start": timeOrNull(s.XactStart),
			"query_start": timeOrNull(s.QueryStart), "state_change": timeOrNull(s.StateChange),
			"state": string(s.State), "backend_xid": nil, "backend_xmin": nil, "query_id": nil,
			"query": s.Query, "backend_type": "client backend",
		})
	}
	return nil
}

// databaseOID is a database's OID: pg_database's 16383 for the session's
// own, a stable number derived from the name for the others.
func databaseOID(name, current string) int64 {
	if name == current {
		return 16383
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(name))
	return 16384 + int64(h.Sum32()%(1<<28))
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func timeOrNull(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

package metrics

import (
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tally-db/tally/activity"
	"github.com/tally-db/tally/pgerr"
)

func TestOutcome(t *testing.T) {
	for err, want := range map[error]string{
		nil: "ok",
		pgerr.New(pgerr.TransactionResolutionUnknown, "x"): "unknown",
		pgerr.New(pgerr.QueryCanceled, "x"):                "canceled",
		pgerr.New(pgerr.AdminShutdown, "x"):                "shutdown",
		pgerr.New(pgerr.UndefinedTable, "x"):               "error",
		errors.New("plain"):                                "error",
	} {
		if got := Outcome(err); got != want {
			t.Errorf("Outcome(%v) = %q, want %q", err, got, want)
		}
	}
}

func TestCountsAndExposition(t *testing.T) {
	m := New()
	reg := activity.NewRegistry()
	m.Sessions(reg)
	m.Watch(Engine{Rollups: func() int64 { return 5 }, Backlog: func() (int, time.Duration, int64) { return 2, 3 * time.Second, 1 },
		IdempotencyHits: func() int64 { return 4 }, Draining: func() bool { return true }})
	m.ConnAccepted()
	m.ConnAccepted()
	m.ConnClosed(true)
	m.Request("write", time.Millisecond, nil)
	m.Request("write", time.Second, pgerr.New(pgerr.TransactionResolutionUnknown, "timeout"))
	m.Retry("query")
	m.Statement("update", time.Millisecond, nil, true)
	m.Transaction("committed")
	reg.Start(1, "d", "u", "", nil).Begin("SELECT 1")
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, line := range []string{
		`tally_sessions{state="active"} 1`, `tally_sessions{state="idle"} 0`,
		"tally_rollups_total 5", "tally_rollup_backlog 2", "tally_rollup_lag_seconds 3", "tally_rollup_failures_total 1",
		"tally_idempotency_key_hits_total 4", "tally_draining 1", `tally_cassandra_retries_total{kind="query"} 1`,
		`tally_statement_duration_seconds_count{kind="update",outcome="ok"} 1`, `tally_slow_statements_total{kind="update"} 1`,
		`tally_transactions_total{outcome="committed"} 1`, `tally_transactions_total{outcome="failed"} 0`,
		`tally_cassandra_request_duration_seconds_count{kind="write"} 2`, "tally_connections_accepted_total 2",
		"tally_connections_open 1", "tally_connections_refused_total 1",
		`tally_cassandra_unknown_outcomes_total{kind="write"} 1`, `tally_cassandra_errors_total{code="08007",kind="write"} 1`,
	} {
		if !strings.Contains(body, "\n"+line+"\n") {
			t.Errorf("exposition lacks %q", line)
		}
	}
	if t.Failed() {
		fmt.Println(body)
	}
}

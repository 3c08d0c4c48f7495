// Package metrics is tally's Prometheus instrumentation: one Metrics per
// process (a registry of its own, no global state) that implements the
// small observer interfaces the other packages declare — proxy.Metrics
// (connections), cassandra.Observer (requests) — and the statement and
// transaction counters app's adapter feeds. Gauges that other packages
// already keep (sessions by state, rollup backlog) are read at scrape
// time through functions, so nothing is counted twice.
//
// It must not import proxy, planner, rewrite or cassandra: they know
// nothing of Prometheus, and it knows them only through the functions it
// is given.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tally-db/tally/activity"
	"github.com/tally-db/tally/pgerr"
)

// latencyBuckets span 0.5 ms to 10 s: a single-node write takes about a
// millisecond, a timed-out one the Cassandra timeout (5 s by default).
var latencyBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// Metrics holds every metric tally exports.
type Metrics struct {
	reg *prometheus.Registry

	connAccepted prometheus.Counter
	connRefused  prometheus.Counter
	connOpen     prometheus.Gauge

	statements   *prometheus.HistogramVec // kind, outcome
	slow         *prometheus.CounterVec   // kind
	transactions *prometheus.CounterVec   // outcome

	casDuration *prometheus.HistogramVec // kind
	casErrors   *prometheus.CounterVec   // kind, code
	casRetries  *prometheus.CounterVec   // kind
	casUnknown  *prometheus.CounterVec   // kind
}

// New returns the metrics, registered in a registry of their own with
// the Go runtime and process collectors.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := &Metrics{
		reg: reg,
		connAccepted: prometheus.NewCounter(prometheus.CounterOpts{Name: "tally_connections_accepted_total",
			Help: "Client connections accepted."}),
		connRefused: prometheus.NewCounter(prometheus.CounterOpts{Name: "tally_connections_refused_total",
			Help: "Client connections ended by a FATAL error before their session began (authentication, TLS required, protocol, shutdown)."}),
		connOpen: prometheus.NewGauge(prometheus.GaugeOpts{Name: "tally_connections_open",
			Help: "Client connections open now, including those still starting up."}),
		statements: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "tally_statement_duration_seconds",
			Help:    "Statements executed, by kind (select, insert, update, delete, transaction, ddl, utility) and outcome (ok, error, unknown = 08007, canceled, shutdown), and their latency.",
			Buckets: latencyBuckets}, []string{"kind", "outcome"}),
		slow: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tally_slow_statements_total",
			Help: "Statements that took at least the slow-statement threshold (each is logged)."}, []string{"kind"}),
		transactions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tally_transactions_total",
			Help: "Transaction blocks (BEGIN ... COMMIT/ROLLBACK) ended, by outcome: committed, rolled_back, failed (COMMIT returned an error)."}, []string{"outcome"}),
		casDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "tally_cassandra_request_duration_seconds",
			Help:    "Cassandra requests, by kind (read, write, batch, lwt, schema), and their latency including driver retries.",
			Buckets: latencyBuckets}, []string{"kind"}),
		casErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tally_cassandra_errors_total",
			Help: "Cassandra requests that failed, by kind and the SQLSTATE tally maps the failure to."}, []string{"kind", "code"}),
		casRetries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tally_cassandra_retries_total",
			Help: "Cassandra requests sent again: by the driver (kind query or batch) or by tally (schema changes that timed out)."}, []string{"kind"}),
		casUnknown: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tally_cassandra_unknown_outcomes_total",
			Help: "Cassandra writes whose outcome is unknown (timed out or cut after they may have been applied; SQLSTATE 08007)."}, []string{"kind"}),
	}
	reg.MustRegister(m.connAccepted, m.connRefused, m.connOpen, m.statements, m.slow, m.transactions,
		m.casDuration, m.casErrors, m.casRetries, m.casUnknown)
	// Export zeros, so a dashboard sees the series before the first event.
	for _, o := range []string{"committed", "rolled_back", "failed"} {
		m.transactions.WithLabelValues(o)
	}
	for _, k := range []string{"query", "batch"} {
		m.casRetries.WithLabelValues(k)
	}
	for _, k := range []string{"write", "batch"} {
		m.casUnknown.WithLabelValues(k)
	}
	return m
}

// Handler serves the metrics in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Registry is the registry the metrics are in (for tests and extra collectors).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// ConnAccepted implements proxy.Metrics.
func (m *Metrics) ConnAccepted() {
	m.connAccepted.Inc()
	m.connOpen.Inc()
}

// ConnClosed implements proxy.Metrics.
func (m *Metrics) ConnClosed(refused bool) {
	m.connOpen.Dec()
	if refused {
		m.connRefused.Inc()
	}
}

// Request implements cassandra.Observer.
func (m *Metrics) Request(kind string, d time.Duration, err error) {
	m.casDuration.WithLabelValues(kind).Observe(d.Seconds())
	if err == nil {
		return
	}
	code := string(pgerr.CodeOf(err)) // XX000 for an error without a SQLSTATE
	m.casErrors.WithLabelValues(kind, code).Inc()
	if pgerr.CodeOf(err) == pgerr.TransactionResolutionUnknown {
		m.casUnknown.WithLabelValues(kind).Inc()
	}
}

// Retry implements cassandra.Observer.
func (m *Metrics) Retry(kind string) { m.casRetries.WithLabelValues(kind).Inc() }

// Statement records one executed statement.
func (m *Metrics) Statement(kind string, d time.Duration, err error, slow bool) {
	m.statements.WithLabelValues(kind, Outcome(err)).Observe(d.Seconds())
	if slow {
		m.slow.WithLabelValues(kind).Inc()
	}
}

// Transaction records the end of a transaction block: committed,
// rolled_back or failed.
func (m *Metrics) Transaction(outcome string) { m.transactions.WithLabelValues(outcome).Inc() }

// Outcome names a statement's outcome for the outcome label.
func Outcome(err error) string {
	if err == nil {
		return "ok"
	}
	switch pgerr.CodeOf(err) {
	case pgerr.TransactionResolutionUnknown:
		return "unknown"
	case pgerr.QueryCanceled:
		return "canceled"
	case pgerr.AdminShutdown:
		return "shutdown"
	}
	return "error"
}

// Sessions exports the live sessions by state (pg_stat_activity's state).
func (m *Metrics) Sessions(reg *activity.Registry) {
	m.reg.MustRegister(&sessionCollector{reg: reg, desc: prometheus.NewDesc("tally_sessions",
		"Client sessions by state (active, idle, idle in transaction, idle in transaction (aborted)).", []string{"state"}, nil)})
}

type sessionCollector struct {
	reg  *activity.Registry
	desc *prometheus.Desc
}

func (c *sessionCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *sessionCollector) Collect(ch chan<- prometheus.Metric) {
	counts := c.reg.CountByState()
	for _, st := range activity.States {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(counts[st]), string(st))
	}
}

// Engine is what the metrics read from the SQL engine at scrape time.
type Engine struct {
	// Rollups is how many rollups completed.
	Rollups func() int64
	// Backlog is the rollups queued or running, the age of the oldest,
	// and how many failed.
	Backlog func() (n int, lag time.Duration, failed int64)
	// IdempotencyHits is how many statements found their key claimed.
	IdempotencyHits func() int64
	// Draining reports whether the server is draining.
	Draining func() bool
}

// Watch exports the engine's counters and gauges.
func (m *Metrics) Watch(e Engine) {
	m.reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "tally_rollups_total",
			Help: "Rollups completed (settled deltas folded into a shard snapshot)."}, func() float64 { return float64(e.Rollups()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "tally_rollup_failures_total",
			Help: "Rollups that failed (a later read asks again)."}, func() float64 { _, _, f := e.Backlog(); return float64(f) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tally_rollup_backlog",
			Help: "Rollups queued or running."}, func() float64 { n, _, _ := e.Backlog(); return float64(n) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tally_rollup_lag_seconds",
			Help: "How long the oldest queued rollup has waited (0 when none)."}, func() float64 { _, l, _ := e.Backlog(); return l.Seconds() }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "tally_idempotency_key_hits_total",
			Help: "Statements whose idempotency key an earlier attempt had claimed (answered from the record, or replayed with the first stamp)."},
			func() float64 { return float64(e.IdempotencyHits()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tally_draining",
			Help: "1 while the server drains (SIGTERM): no new connections, /readyz fails."}, func() float64 {
			if e.Draining() {
				return 1
			}
			return 0
		}),
	)
}

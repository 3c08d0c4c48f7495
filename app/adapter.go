package app

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/tally-db/tally/activity"
	"github.com/tally-db/tally/metrics"
	"github.com/tally-db/tally/planner"
	"github.com/tally-db/tally/proxy"
	"github.com/tally-db/tally/rewrite"
)

// Adapt presents a planner engine as the proxy's Engine.
func Adapt(e *planner.Engine) proxy.Engine { return engineAdapter{e: e} }

// engineAdapter presents the planner to the proxy. The proxy owns the
// interface it consumes and the planner does not import the proxy, so the
// few type conversions live here, in the wiring. With an observer it also
// keeps each session in the activity registry (pg_stat_activity) and
// records statement metrics and the slow-statement log.
type engineAdapter struct {
	e *planner.Engine
	o *observer // nil: no observation
}

// observer is where the adapter reports sessions and statements.
type observer struct {
	reg  *activity.Registry
	m    *metrics.Metrics
	slow time.Duration // 0: no slow-statement log
	log  *slog.Logger
}

func (a engineAdapter) NewSession(ctx context.Context, info proxy.SessionInfo) (proxy.Session, error) {
	s := &sessionAdapter{s: a.e.NewSession(ctx, info.Database, info.User, info.Params), o: a.o}
	if a.o != nil {
		s.act = a.o.reg.Start(info.PID, info.Database, info.User, info.ApplicationName, info.ClientAddr)
		s.log = a.o.log.With("conn", info.PID, "user", info.User, "database", info.Database)
	}
	return s, nil
}

type sessionAdapter struct {
	s   *planner.Session
	o   *observer
	act *activity.Session // nil without an observer
	log *slog.Logger
}

func (a *sessionAdapter) Prepare(ctx context.Context, sql string, oids []uint32) ([]proxy.Statement, error) {
	start := time.Now()
	stmts, err := a.s.Prepare(ctx, sql, oids)
	if err != nil {
		if a.o != nil { // refused before it ran: parse or planning errors
			a.o.m.Statement(kindOf(sql), time.Since(start), err, false)
		}
		return nil, err
	}
	out := make([]proxy.Statement, len(stmts))
	for i, st := range stmts {
		out[i] = stmtAdapter{st: st, sess: a}
	}
	return out, nil
}

func (a *sessionAdapter) BeginImplicit()                        { a.s.BeginImplicit() }
func (a *sessionAdapter) EndImplicit(ctx context.Context) error { return a.s.EndImplicit(ctx) }
func (a *sessionAdapter) Fail()                                 { a.s.Fail() }
func (a *sessionAdapter) TxStatus() byte                        { return a.s.TxStatus() }

func (a *sessionAdapter) ParameterStatus() map[string]string {
	changed := a.s.ParameterStatus()
	if name, ok := changed["application_name"]; ok && a.act != nil {
		a.act.SetApplicationName(name)
	}
	return changed
}

func (a *sessionAdapter) Close() {
	if a.o != nil {
		if a.s.TxStatus() != 'I' {
			a.o.m.Transaction("rolled_back") // the connection ended inside a block
		}
		a.act.End()
	}
	a.s.Close()
}

// Timeouts implements proxy.TimeoutSession.
func (a *sessionAdapter) Timeouts() (statement, idleInTx time.Duration) { return a.s.Timeouts() }

type stmtAdapter struct {
	st   *planner.Statement
	sess *sessionAdapter
}

func (a stmtAdapter) ParamOIDs() []uint32 { return a.st.ParamOIDs() }

func (a stmtAdapter) Fields() []proxy.Field {
	fs := a.st.Fields()
	if fs == nil {
		return nil
	}
	out := make([]proxy.Field, len(fs))
	for i, f := range fs {
		out[i] = proxy.Field{Name: f.Name, DataTypeOID: f.OID, DataTypeSize: f.Size, TypeModifier: f.TypMod}
	}
	return out
}

func (a stmtAdapter) Execute(ctx context.Context, params []any) (*proxy.Result, error) {
	res, err := a.execute(ctx, params)
	if err != nil {
		return nil, err
	}
	out := &proxy.Result{Tag: res.Tag, Rows: res.Rows, Deallocate: res.Deallocate, DeallocateAll: res.DeallocateAll}
	for _, n := range res.Notices {
		out.Notices = append(out.Notices, n)
	}
	return out, nil
}

// execute runs the statement, observed when the session has an observer.
func (a stmtAdapter) execute(ctx context.Context, params []any) (*rewrite.Result, error) {
	o := a.sess.o
	if o == nil {
		return a.st.Execute(ctx, params)
	}
	before := a.sess.s.TxStatus()
	a.sess.act.Begin(a.st.Text())
	start := time.Now()
	res, err := a.st.Execute(ctx, params)
	d := time.Since(start)
	after := a.sess.s.TxStatus()
	a.sess.act.Finish(after)
	kind := a.st.Kind()
	slow := o.slow > 0 && d >= o.slow
	o.m.Statement(kind, d, err, slow)
	if slow {
		a.sess.log.Warn("slow statement", "duration", d, "kind", kind, "outcome", metrics.Outcome(err), "statement", a.st.Text())
	}
	if kind == "transaction" && before != 'I' && after == 'I' {
		switch {
		case err != nil:
			o.m.Transaction("failed")
		case res.Tag == "COMMIT":
			o.m.Transaction("committed")
		default:
			o.m.Transaction("rolled_back")
		}
	}
	return res, err
}

// kindOf guesses the kind of a statement that could not be planned from
// its first word, for the metrics' kind label.
func kindOf(sql string) string {
	word, _, _ := strings.Cut(strings.TrimLeft(sql, " \t\r\n("), " ")
	switch w := strings.ToLower(strings.TrimRight(word, ";")); w {
	case "select", "insert", "update", "delete":
		return w
	case "with", "values", "table":
		return "select"
	case "begin", "start", "commit", "end", "rollback", "savepoint", "release", "abort":
		return "transaction"
	case "create", "drop", "alter", "truncate":
		return "ddl"
	}
	return "utility"
}

package app

import (
	"context"
	"time"

	"github.com/tally-db/tally/planner"
	"github.com/tally-db/tally/proxy"
)

// Adapt presents a planner engine as the proxy's Engine.
func Adapt(e *planner.Engine) proxy.Engine { return engineAdapter{e} }

// engineAdapter presents the planner to the proxy. The proxy owns the
// interface it consumes and the planner does not import the proxy, so the
// few type conversions live here, in the wiring.
type engineAdapter struct{ e *planner.Engine }

func (a engineAdapter) NewSession(ctx context.Context, info proxy.SessionInfo) (proxy.Session, error) {
	return sessionAdapter{a.e.NewSession(ctx, info.Database, info.User, info.Params)}, nil
}

type sessionAdapter struct{ s *planner.Session }

func (a sessionAdapter) Prepare(ctx context.Context, sql string, oids []uint32) ([]proxy.Statement, error) {
	stmts, err := a.s.Prepare(ctx, sql, oids)
	if err != nil {
		return nil, err
	}
	out := make([]proxy.Statement, len(stmts))
	for i, st := range stmts {
		out[i] = stmtAdapter{st}
	}
	return out, nil
}

func (a sessionAdapter) BeginImplicit()                        { a.s.BeginImplicit() }
func (a sessionAdapter) EndImplicit(ctx context.Context) error { return a.s.EndImplicit(ctx) }
func (a sessionAdapter) Fail()                                 { a.s.Fail() }
func (a sessionAdapter) TxStatus() byte                        { return a.s.TxStatus() }
func (a sessionAdapter) ParameterStatus() map[string]string    { return a.s.ParameterStatus() }
func (a sessionAdapter) Close()                                { a.s.Close() }

// Timeouts implements proxy.TimeoutSession.
func (a sessionAdapter) Timeouts() (statement, idleInTx time.Duration) { return a.s.Timeouts() }

type stmtAdapter struct{ st *planner.Statement }

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
	res, err := a.st.Execute(ctx, params)
	if err != nil {
		return nil, err
	}
	out := &proxy.Result{Tag: res.Tag, Rows: res.Rows, Deallocate: res.Deallocate, DeallocateAll: res.DeallocateAll}
	for _, n := range res.Notices {
		out.Notices = append(out.Notices, n)
	}
	return out, nil
}

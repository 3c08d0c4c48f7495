// Package activity keeps the registry of live client sessions that
// pg_stat_activity shows and the metrics count by state: who is connected
// (user, database, application_name, client address), what each session
// is doing (state, current or last statement, when it started).
//
// It is a leaf: the wiring (app) updates it as sessions start, run
// statements and end; the query engine reads it. It must not import any
// other tally package.
package activity

import (
	"net"
	"slices"
	"sync"
	"time"
)

// State is a session's state as pg_stat_activity.state names it.
type State string

// The states of pg_stat_activity
// (https://www.postgresql.org/docs/15/monitoring-stats.html#MONITORING-PG-STAT-ACTIVITY-VIEW).
const (
	Active       State = "active"
	Idle         State = "idle"
	IdleInTx     State = "idle in transaction"
	IdleInFailed State = "idle in transaction (aborted)"
)

// States lists every state, in a stable order.
var States = []State{Active, Idle, IdleInTx, IdleInFailed}

// Backend is one session as pg_stat_activity shows it.
type Backend struct {
	PID             int32 // the connection id, the BackendKeyData process id
	Database        string
	User            string
	ApplicationName string
	ClientAddr      string // IP address, "" when not TCP
	ClientPort      int32
	BackendStart    time.Time
	XactStart       time.Time // zero outside a transaction block
	QueryStart      time.Time // zero before the first statement
	StateChange     time.Time
	State           State
	Query           string // the running statement, or the last one
}

// Registry is the set of live sessions. The zero value is not usable;
// use NewRegistry. It is safe for concurrent use.
type Registry struct {
	mu       sync.Mutex
	sessions map[*Session]struct{}
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{sessions: map[*Session]struct{}{}}
}

// Session is one registered session; its owner (one goroutine) updates it.
type Session struct {
	reg *Registry
	mu  sync.Mutex
	b   Backend
}

// Start registers a session that has just completed its startup.
func (r *Registry) Start(pid uint32, database, user, applicationName string, client net.Addr) *Session {
	now := time.Now()
	b := Backend{PID: int32(pid), Database: database, User: user, ApplicationName: applicationName,
		BackendStart: now, StateChange: now, State: Idle}
	if tcp, ok := client.(*net.TCPAddr); ok {
		b.ClientAddr, b.ClientPort = tcp.IP.String(), int32(tcp.Port)
	}
	s := &Session{reg: r, b: b}
	r.mu.Lock()
	r.sessions[s] = struct{}{}
	r.mu.Unlock()
	return s
}

// End unregisters the session.
func (s *Session) End() {
	s.reg.mu.Lock()
	delete(s.reg.sessions, s)
	s.reg.mu.Unlock()
}

// Begin records that the session started running query.
func (s *Session) Begin(query string) {
	now := time.Now()
	s.mu.Lock()
	s.b.Query, s.b.QueryStart, s.b.State, s.b.StateChange = query, now, Active, now
	s.mu.Unlock()
}

// Finish records that the statement ended, leaving the session with the
// transaction status txStatus ('I', 'T' or 'E', as in ReadyForQuery).
func (s *Session) Finish(txStatus byte) {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	switch txStatus {
	case 'T':
		s.b.State = IdleInTx
		if s.b.XactStart.IsZero() {
			s.b.XactStart = s.b.QueryStart
		}
	case 'E':
		s.b.State = IdleInFailed
	default:
		s.b.State, s.b.XactStart = Idle, time.Time{}
	}
	s.b.StateChange = now
}

// SetApplicationName records SET application_name.
func (s *Session) SetApplicationName(name string) {
	s.mu.Lock()
	s.b.ApplicationName = name
	s.mu.Unlock()
}

// Backends returns a copy of every live session, by PID.
func (r *Registry) Backends() []Backend {
	r.mu.Lock()
	out := make([]Backend, 0, len(r.sessions))
	for s := range r.sessions {
		s.mu.Lock()
		out = append(out, s.b)
		s.mu.Unlock()
	}
	r.mu.Unlock()
	slices.SortFunc(out, func(a, b Backend) int { return int(a.PID) - int(b.PID) })
	return out
}

// CountByState returns how many sessions are in each state.
func (r *Registry) CountByState() map[State]int {
	counts := make(map[State]int, len(States))
	for _, st := range States {
		counts[st] = 0
	}
	for _, b := range r.Backends() {
		counts[b.State]++
	}
	return counts
}

package planner

import (
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/tally-db/tally/pgerr"
)

// The timeout settings the proxy enforces (it reads them with
// Session.Timeouts): statement_timeout cancels a statement that runs
// longer (57014), idle_in_transaction_session_timeout ends a session left
// idle inside a transaction block (25P03). Their server defaults come from
// Config.Settings; SET, RESET and startup parameters change them per
// session, as in Postgres.
const (
	statementTimeout = "statement_timeout"
	idleInTxTimeout  = "idle_in_transaction_session_timeout"
)

// maxTimeoutMillis is Postgres' upper bound of a time setting (INT_MAX ms).
const maxTimeoutMillis = 1<<31 - 1

// timeoutUnits are the units Postgres accepts for time settings
// (guc.c memory_units/time_units); a bare number is milliseconds.
var timeoutUnits = []struct {
	suffix string
	unit   time.Duration
}{
	{"min", time.Minute}, {"ms", time.Millisecond}, {"us", time.Microsecond},
	{"s", time.Second}, {"h", time.Hour}, {"d", 24 * time.Hour},
}

// ParseTimeout reads a time setting as Postgres does: "0" (off), "250"
// (milliseconds), "5s", "1.5min", "2 h". ok is false for anything else,
// a negative value, or one beyond INT_MAX milliseconds.
func ParseTimeout(v string) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	unit := time.Millisecond
	for _, u := range timeoutUnits {
		if num, found := strings.CutSuffix(v, u.suffix); found {
			v, unit = strings.TrimSpace(num), u.unit
			break
		}
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 || f != f {
		return 0, false
	}
	ms := f * float64(unit) / float64(time.Millisecond)
	if ms > maxTimeoutMillis {
		return 0, false
	}
	return time.Duration(ms * float64(time.Millisecond)), true
}

// checkTimeout refuses a SET of a timeout to a value Postgres would
// refuse, with 22023.
func checkTimeout(name, v string) error {
	if name != statementTimeout && name != idleInTxTimeout {
		return nil
	}
	if _, ok := ParseTimeout(v); !ok {
		return pgerr.New(pgerr.InvalidParameterValue, "invalid value for parameter %q: %q", name, v).
			WithHint("Valid units for this parameter are \"us\", \"ms\", \"s\", \"min\", \"h\", and \"d\".")
	}
	return nil
}

// Timeouts returns the session's statement_timeout and
// idle_in_transaction_session_timeout; 0 means none. A value that does
// not parse (only a startup parameter can hold one) counts as the
// server default.
func (s *Session) Timeouts() (statement, idleInTx time.Duration) {
	return s.timeout(statementTimeout), s.timeout(idleInTxTimeout)
}

func (s *Session) timeout(name string) time.Duration {
	if d, ok := ParseTimeout(s.settings[name]); ok {
		return d
	}
	d, _ := ParseTimeout(s.defaults()[name])
	return d
}

// defaults are the settings RESET returns to: Postgres' defaults with
// the server's own (Config.Settings) over them.
func (s *Session) defaults() map[string]string {
	d := defaultSettings(s.version)
	maps.Copy(d, s.overrides)
	return d
}

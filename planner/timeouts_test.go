package planner

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/tally-db/tally/pgerr"
)

// TestParseTimeout: Postgres' time setting syntax, bare numbers in ms.
func TestParseTimeout(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"0", 0, true}, {"250", 250 * time.Millisecond, true}, {"5s", 5 * time.Second, true},
		{"1.5min", 90 * time.Second, true}, {" 2 h ", 2 * time.Hour, true}, {"1d", 24 * time.Hour, true},
		{"500us", 500 * time.Microsecond, true}, {"10ms", 10 * time.Millisecond, true},
		{"2147483647", 2147483647 * time.Millisecond, true},
		{"2147483648", 0, false}, {"-1", 0, false}, {"abc", 0, false}, {"", 0, false},
		{"5 weeks", 0, false}, {"NaN", 0, false}, {"1e400", 0, false}, {"25d", 0, false},
	} {
		got, ok := ParseTimeout(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseTimeout(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// TestTimeoutSettings: the server defaults show in SHOW and come back
// with RESET; SET changes them and refuses nonsense with 22023.
func TestTimeoutSettings(t *testing.T) {
	e := NewEngine(Config{ServerVersion: "15.8", Settings: map[string]string{"statement_timeout": "30000"}},
		catalogStore{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	s := e.NewSession(context.Background(), "db", "u", nil)
	run := func(sql string) ([][]any, error) {
		t.Helper()
		stmts, err := s.Prepare(context.Background(), sql, nil)
		if err != nil {
			return nil, err
		}
		res, err := stmts[0].Execute(context.Background(), nil)
		if err != nil {
			return nil, err
		}
		return res.Rows, nil
	}
	check := func(stmt, idle time.Duration) {
		t.Helper()
		if gs, gi := s.Timeouts(); gs != stmt || gi != idle {
			t.Errorf("Timeouts() = %v, %v; want %v, %v", gs, gi, stmt, idle)
		}
	}
	check(30*time.Second, 0)
	if rows, err := run("SHOW statement_timeout"); err != nil || rows[0][0] != "30000" {
		t.Errorf("SHOW statement_timeout: %v %v", rows, err)
	}
	if _, err := run("SET statement_timeout = '2s'"); err != nil {
		t.Fatal(err)
	}
	if _, err := run("SET idle_in_transaction_session_timeout = 1500"); err != nil {
		t.Fatal(err)
	}
	check(2*time.Second, 1500*time.Millisecond)
	for _, bad := range []string{"SET statement_timeout = 'forever'", "SET statement_timeout = -5", "SET idle_in_transaction_session_timeout = '3 weeks'"} {
		_, err := run(bad)
		if pe := pgerr.As(err); pe == nil || pe.Code != pgerr.InvalidParameterValue {
			t.Errorf("%s: %v, want 22023", bad, err)
		}
	}
	check(2*time.Second, 1500*time.Millisecond)
	if _, err := run("RESET statement_timeout"); err != nil {
		t.Fatal(err)
	}
	check(30*time.Second, 1500*time.Millisecond)
	if _, err := run("RESET ALL"); err != nil {
		t.Fatal(err)
	}
	check(30*time.Second, 0)
}

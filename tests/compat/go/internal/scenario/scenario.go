// Package scenario runs the steps of one compatibility scenario: it prints each step,
// and on the first failure prints the step, the call, what was expected, what came back and
// the server's error (SQLSTATE and message), then exits 1.
package scenario

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
)

// Run is one scenario's run; Step calls run in order and stop at the first failure, or,
// with COMPAT_KEEP_GOING=1 in the environment, go on to the next step (to see every gap
// at once) and exit 1 at Done.
type Run struct {
	name      string
	keepGoing bool
	failed    int
}

// New starts the named scenario.
func New(name string) *Run {
	fmt.Printf("%s scenario against %s:%s database %s\n", name, os.Getenv("PGHOST"), os.Getenv("PGPORT"), os.Getenv("PGDATABASE"))
	return &Run{name: name, keepGoing: os.Getenv("COMPAT_KEEP_GOING") != ""}
}

// Step runs fn; an error ends the scenario with exit status 1.
func (r *Run) Step(name string, fn func() error) {
	if err := fn(); err != nil {
		fmt.Printf("FAIL step %q\n%s\n", name, describe(err))
		r.failed++
		if !r.keepGoing {
			os.Exit(1)
		}
		return
	}
	fmt.Printf("ok   %s\n", name)
}

// Done reports that every step passed.
func (r *Run) Done() {
	if r.failed > 0 {
		fmt.Printf("%s scenario: %d steps failed\n", r.name, r.failed)
		os.Exit(1)
	}
	fmt.Printf("%s scenario: all steps passed\n", r.name)
}

// Failure is a step that got the wrong value or an error from the client.
type Failure struct {
	Call     string // the client call, as written in the scenario
	Expected string
	Actual   string
	Err      error // the client's error, if any
}

func (f *Failure) Error() string { return describe(f) }
func (f *Failure) Unwrap() error { return f.Err }

// Errf reports an error returned by call.
func Errf(err error, call string, args ...any) error {
	return &Failure{Call: fmt.Sprintf(call, args...), Expected: "no error", Actual: "error", Err: err}
}

// Expect returns nil when got equals want (reflect.DeepEqual), else a Failure for call.
func Expect(call string, want, got any) error {
	if reflect.DeepEqual(want, got) {
		return nil
	}
	return &Failure{Call: call, Expected: fmt.Sprintf("%#v", want), Actual: fmt.Sprintf("%#v", got)}
}

// sqlStater is implemented by pgconn.PgError and pq.Error.
type sqlStater interface{ SQLState() string }

func describe(err error) string {
	var b strings.Builder
	var f *Failure
	if errors.As(err, &f) {
		fmt.Fprintf(&b, "  call:     %s\n  expected: %s\n  actual:   %s\n", f.Call, f.Expected, f.Actual)
		err = f.Err
	}
	if err != nil {
		var s sqlStater
		if errors.As(err, &s) {
			fmt.Fprintf(&b, "  server error: SQLSTATE %s: %v\n", s.SQLState(), err)
		} else {
			fmt.Fprintf(&b, "  error: %v\n", err)
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// DSN is the libpq key/value connection string from PGHOST, PGPORT, PGUSER, PGPASSWORD and
// PGDATABASE, with the password written out (every scenario authenticates with one).
func DSN() string {
	return fmt.Sprintf("host=%s port=%s user=%s password=%s dbname=%s sslmode=disable",
		os.Getenv("PGHOST"), os.Getenv("PGPORT"), os.Getenv("PGUSER"), os.Getenv("PGPASSWORD"), os.Getenv("PGDATABASE"))
}

package rewrite

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"time"

	"gopkg.in/inf.v0"

	"github.com/tally-db/tally/pgerr"
	"github.com/tally-db/tally/sqltypes"
)

// Expr is a typed scalar expression the planner built. It is evaluated with
// the statement's parameters and, where it reads columns, one table row
// (values in table column order).
type Expr interface {
	// Type is the Postgres type of the result.
	Type() sqltypes.OID
	// Eval computes the value (nil = NULL).
	Eval(ev *Eval) (any, error)
	// String is a stable rendering for golden plan tests.
	String() string
}

// Eval is what an expression may read.
type Eval struct {
	Params []any
	Row    []any
	Now    time.Time // the statement's timestamp, for now()
	Info   *SessionInfo
}

// SessionInfo is what session functions report.
type SessionInfo struct {
	Database string
	User     string
	Version  string
}

// Const is a constant value.
type Const struct {
	Value any
	Typ   sqltypes.OID
}

func (c *Const) Type() sqltypes.OID             { return c.Typ }
func (c *Const) Eval(*Eval) (any, error)        { return c.Value, nil }
func (c *Const) String() string                 { return fmt.Sprintf("%v::%s", show(c.Value), typeName(c.Typ)) }
func (p *Param) Type() sqltypes.OID             { return p.Typ }
func (p *Param) String() string                 { return fmt.Sprintf("$%d::%s", p.Index+1, typeName(p.Typ)) }
func (c *ColumnRef) Type() sqltypes.OID         { return c.Typ }
func (c *ColumnRef) String() string             { return c.Name }
func (c *ColumnRef) Eval(ev *Eval) (any, error) { return ev.Row[c.Index], nil }

// Param is $n (Index n-1). The proxy already decoded it to Typ.
type Param struct {
	Index int
	Typ   sqltypes.OID
}

// Eval returns the bound value.
func (p *Param) Eval(ev *Eval) (any, error) {
	if p.Index >= len(ev.Params) {
		return nil, pgerr.New(pgerr.UndefinedParameter, "there is no parameter $%d", p.Index+1)
	}
	return ev.Params[p.Index], nil
}

// ColumnRef reads column Index of the row.
type ColumnRef struct {
	Index int
	Name  string
	Typ   sqltypes.OID
}

// Coerce converts its argument to another type (an assignment or explicit
// cast) through the text form, as Postgres' I/O conversion casts do.
type Coerce struct {
	Arg Expr
	To  sqltypes.OID
}

func (c *Coerce) Type() sqltypes.OID { return c.To }
func (c *Coerce) String() string     { return fmt.Sprintf("(%s)::%s", c.Arg, typeName(c.To)) }

// Eval converts the value.
func (c *Coerce) Eval(ev *Eval) (any, error) {
	v, err := c.Arg.Eval(ev)
	if err != nil || v == nil {
		return v, err
	}
	return Convert(v, c.Arg.Type(), c.To)
}

// Convert converts v of type from to type to.
func Convert(v any, from, to sqltypes.OID) (any, error) {
	if from == to || v == nil {
		return v, nil
	}
	if sqltypes.IsInteger(from) && sqltypes.IsInteger(to) {
		return v, checkIntRange(v.(int64), to)
	}
	if from == sqltypes.Bool && sqltypes.IsInteger(to) {
		if v.(bool) {
			return int64(1), nil
		}
		return int64(0), nil
	}
	txt, err := sqltypes.AppendText(nil, from, v)
	if err != nil {
		return nil, err
	}
	if (from == sqltypes.Float8 || from == sqltypes.Float4 || from == sqltypes.Numeric) && sqltypes.IsInteger(to) {
		return roundToInt(v, from, to)
	}
	return sqltypes.DecodeText(to, string(txt))
}

// roundToInt rounds a float or numeric half away from zero, as Postgres'
// casts to integer do.
func roundToInt(v any, from, to sqltypes.OID) (any, error) {
	f, err := Convert(v, from, sqltypes.Float8)
	if err != nil {
		return nil, err
	}
	x := f.(float64)
	if x != x || x > 9.2e18 || x < -9.2e18 {
		return nil, pgerr.New(pgerr.NumericValueOutOfRange, "%s out of range", typeName(to))
	}
	var n int64
	if x < 0 {
		n = -int64(-x + 0.5)
	} else {
		n = int64(x + 0.5)
	}
	return n, checkIntRange(n, to)
}

func checkIntRange(n int64, to sqltypes.OID) error {
	switch {
	case to == sqltypes.Int2 && (n < -32768 || n > 32767):
		return pgerr.New(pgerr.NumericValueOutOfRange, "smallint out of range")
	case to == sqltypes.Int4 && (n < -2147483648 || n > 2147483647):
		return pgerr.New(pgerr.NumericValueOutOfRange, "integer out of range")
	}
	return nil
}

// Func is a built-in function without arguments.
type Func struct {
	Name string
	Typ  sqltypes.OID
}

func (f *Func) Type() sqltypes.OID { return f.Typ }
func (f *Func) String() string     { return f.Name + "()" }

// Eval computes the function.
func (f *Func) Eval(ev *Eval) (any, error) {
	switch f.Name {
	case "now", "current_timestamp", "localtimestamp", "transaction_timestamp", "statement_timestamp", "clock_timestamp":
		return ev.Now.UTC(), nil
	case "current_date":
		y, m, d := ev.Now.UTC().Date()
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), nil
	case "gen_random_uuid":
		var u [16]byte
		_, _ = rand.Read(u[:])
		u[6] = u[6]&0x0f | 0x40
		u[8] = u[8]&0x3f | 0x80
		return u, nil
	case "version":
		return "PostgreSQL " + ev.Info.Version + " on x86_64-pc-linux-gnu, tally proxy over Apache Cassandra", nil
	case "current_database", "current_catalog":
		return ev.Info.Database, nil
	case "current_user", "session_user", "user", "current_role":
		return ev.Info.User, nil
	case "current_schema":
		return "public", nil
	case "pg_advisory_unlock_all":
		return nil, nil
	}
	return nil, pgerr.New(pgerr.UndefinedFunction, "function %s() does not exist", f.Name)
}

func typeName(oid sqltypes.OID) string {
	if ti, ok := sqltypes.Info(oid); ok {
		return ti.Name
	}
	return fmt.Sprint(oid)
}

func show(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case string:
		return fmt.Sprintf("%q", x)
	}
	return fmt.Sprint(v)
}

// CheckLength enforces varchar(n): an assignment of a longer value fails
// with 22001, an explicit cast truncates, as in Postgres.
type CheckLength struct {
	Arg      Expr
	Max      int
	Truncate bool
}

func (c *CheckLength) Type() sqltypes.OID { return c.Arg.Type() }
func (c *CheckLength) String() string     { return fmt.Sprintf("%s(len<=%d)", c.Arg, c.Max) }

// Eval checks the length in characters.
func (c *CheckLength) Eval(ev *Eval) (any, error) {
	v, err := c.Arg.Eval(ev)
	s, ok := v.(string)
	if err != nil || !ok {
		return v, err
	}
	runes := []rune(s)
	if len(runes) <= c.Max {
		return v, nil
	}
	if c.Truncate {
		return string(runes[:c.Max]), nil
	}
	return nil, pgerr.New(pgerr.StringDataRightTruncation, "value too long for type character varying(%d)", c.Max)
}

// NumericLimit enforces numeric(p,s): round to s places (half away from
// zero) and refuse more than p-s digits before the point (22003).
type NumericLimit struct {
	Arg              Expr
	Precision, Scale int
}

func (n *NumericLimit) Type() sqltypes.OID { return n.Arg.Type() }
func (n *NumericLimit) String() string {
	return fmt.Sprintf("%s(numeric(%d,%d))", n.Arg, n.Precision, n.Scale)
}

// Eval rounds and checks.
func (n *NumericLimit) Eval(ev *Eval) (any, error) {
	v, err := n.Arg.Eval(ev)
	d, ok := v.(*inf.Dec)
	if err != nil || !ok {
		return v, err
	}
	r := new(inf.Dec).Round(d, inf.Scale(n.Scale), inf.RoundHalfUp)
	digits := len(new(big.Int).Abs(r.UnscaledBig()).String()) - int(r.Scale())
	if r.UnscaledBig().Sign() != 0 && digits > n.Precision-n.Scale {
		return nil, pgerr.New(pgerr.NumericValueOutOfRange, "numeric field overflow").
			WithDetail("A field with precision %d, scale %d must round to an absolute value less than 10^%d.", n.Precision, n.Scale, n.Precision-n.Scale)
	}
	return r, nil
}

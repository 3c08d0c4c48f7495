package planner

import (
	"fmt"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/tally-db/tally/pgerr"
	"github.com/tally-db/tally/rewrite"
	"github.com/tally-db/tally/sqltypes"
)

// settingFunc is current_setting(name [, missing_ok]) or
// set_config(name, value, is_local): they read or change the session's
// settings, as SHOW and SET do.
type settingFunc struct {
	name string // current_setting or set_config
	args []rewrite.Expr
	sess *Session
}

func (f *settingFunc) Type() sqltypes.OID { return sqltypes.Text }
func (f *settingFunc) String() string {
	parts := make([]string, len(f.args))
	for i, a := range f.args {
		parts[i] = a.String()
	}
	return fmt.Sprintf("%s(%s)", f.name, strings.Join(parts, ", "))
}

// Eval reads or sets the setting.
func (f *settingFunc) Eval(ev *rewrite.Eval) (any, error) {
	vals := make([]any, len(f.args))
	for i, a := range f.args {
		v, err := a.Eval(ev)
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	name, _ := vals[0].(string)
	name = strings.ToLower(name)
	if f.name == "set_config" {
		value, _ := vals[1].(string)
		if err := f.sess.setting(name, value); err != nil {
			return nil, err
		}
		return value, nil
	}
	v, ok := f.sess.settings[name]
	if !ok {
		if missingOK, _ := vals[len(vals)-1].(bool); len(vals) == 2 && missingOK {
			return nil, nil
		}
		return nil, pgerr.New(pgerr.UndefinedObject, "unrecognized configuration parameter %q", name)
	}
	return v, nil
}

// settingCall plans current_setting and set_config; ok is false for other
// functions.
func (p *planCtx) settingCall(name string, f *pg_query.FuncCall, sc *scope) (rewrite.Expr, bool, error) {
	var types []sqltypes.OID
	switch {
	case name == "current_setting" && len(f.Args) == 1:
		types = []sqltypes.OID{sqltypes.Text}
	case name == "current_setting" && len(f.Args) == 2:
		types = []sqltypes.OID{sqltypes.Text, sqltypes.Bool}
	case name == "set_config" && len(f.Args) == 3:
		types = []sqltypes.OID{sqltypes.Text, sqltypes.Text, sqltypes.Bool}
	case name == "current_setting" || name == "set_config":
		return nil, true, pgerr.New(pgerr.UndefinedFunction, "function %s with %d arguments does not exist", name, len(f.Args))
	default:
		return nil, false, nil
	}
	out := &settingFunc{name: name, sess: p.sess}
	for i, a := range f.Args {
		e, err := p.expr(a, sc, types[i])
		if err != nil {
			return nil, true, err
		}
		if e, err = coerce(e, types[i], false); err != nil {
			return nil, true, err
		}
		out.args = append(out.args, e)
	}
	return out, true, nil
}

// coalesce plans COALESCE(a, b, ...): the first argument that is not NULL.
func (p *planCtx) coalesce(c *pg_query.CoalesceExpr, sc *scope, want sqltypes.OID) (rewrite.Expr, error) {
	var args []rewrite.Expr
	typ := sqltypes.Unknown
	for _, a := range c.Args {
		e, err := p.expr(a, sc, want)
		if err != nil {
			return nil, err
		}
		if e.Type() != sqltypes.Unknown { // NULL and '...' take the others' type
			if typ, err = common(typ, e.Type()); err != nil {
				return nil, err
			}
		}
		args = append(args, e)
	}
	if typ == sqltypes.Unknown {
		typ = sqltypes.Text
	}
	for i, e := range args {
		conv, err := coerce(e, typ, false)
		if err != nil {
			return nil, err
		}
		args[i] = conv
	}
	return &rewrite.Coalesce{Args: args, Typ: typ}, nil
}

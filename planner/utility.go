package planner

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/tally-db/tally/pgerr"
	"github.com/tally-db/tally/rewrite"
	"github.com/tally-db/tally/sqltypes"
)

// defaultSettings are the settings SHOW knows, with Postgres' defaults.
func defaultSettings(version string) map[string]string {
	return map[string]string{
		"server_version": version, "server_encoding": "UTF8", "client_encoding": "UTF8",
		"datestyle": "ISO, MDY", "timezone": "UTC", "intervalstyle": "postgres",
		"integer_datetimes": "on", "standard_conforming_strings": "on", "application_name": "",
		"search_path": `"$user", public`, "transaction_isolation": "read committed",
		"default_transaction_isolation": "read committed", "statement_timeout": "0",
		"lock_timeout": "0", "extra_float_digits": "1", "max_identifier_length": "63",
		// Settings ORMs, drivers and migration tools set or read; tally
		// keeps their values for SHOW and current_setting, and the ones
		// that matter are honoured elsewhere.
		"client_min_messages": "notice", "idle_in_transaction_session_timeout": "0",
		"idle_session_timeout": "0", "default_transaction_read_only": "off",
		"transaction_read_only": "off", "default_transaction_deferrable": "off",
		"transaction_deferrable": "off", "synchronous_commit": "on", "bytea_output": "hex",
		"lc_messages": "C", "lc_monetary": "C", "lc_numeric": "C", "lc_time": "C",
		"row_security": "on", "check_function_bodies": "on", "xmloption": "content",
		"session_replication_role": "origin", "jit": "off", "plan_cache_mode": "auto",
		"escape_string_warning": "on", "array_nulls": "on", "backslash_quote": "safe_encoding",
		"default_tablespace": "", "temp_tablespaces": "", "is_superuser": "off", "session_authorization": "", "work_mem": "4MB",
		"maintenance_work_mem": "64MB", "max_connections": "100", "block_size": "8192",
		"server_version_num": versionNum(version), "max_index_keys": "32", "ssl": "off",
	}
}

// versionNum is server_version_num for a version like "15.8": "150008".
func versionNum(version string) string {
	var major, minor int
	fmt.Sscanf(version, "%d.%d", &major, &minor)
	return strconv.Itoa(major*10000 + minor)
}

// reported are the settings a client is told about when they change.
var reported = map[string]string{
	"application_name": "application_name", "timezone": "TimeZone", "datestyle": "DateStyle",
	"client_encoding": "client_encoding", "intervalstyle": "IntervalStyle",
}

// set plans SET / RESET.
func (p *planCtx) set(vs *pg_query.VariableSetStmt) (rewrite.Op, error) {
	name := strings.ToLower(vs.Name)
	switch vs.Kind {
	case pg_query.VariableSetKind_VAR_SET_VALUE, pg_query.VariableSetKind_VAR_SET_CURRENT, pg_query.VariableSetKind_VAR_SET_DEFAULT, pg_query.VariableSetKind_VAR_RESET:
	case pg_query.VariableSetKind_VAR_RESET_ALL:
		return &sessionOp{desc: "ResetAll", tag: "RESET", sess: p.sess, run: func(s *Session) ([][]any, error) {
			s.settings = s.defaults()
			return nil, nil
		}}, nil
	default: // SET TRANSACTION, SET SESSION CHARACTERISTICS ...
		return nil, unsupported("SET %s", strings.ToUpper(strings.TrimPrefix(name, "transaction_")))
	}
	var parts []string
	for _, a := range vs.Args {
		c := a.GetAConst()
		if tc := a.GetTypeCast(); tc != nil && name == "timezone" {
			// SET TIME ZONE INTERVAL '+00:00' HOUR TO MINUTE (Sequelize):
			// an offset, which isUTC checks like any other value.
			c = tc.Arg.GetAConst()
		}
		if c == nil {
			return nil, unsupported("SET %s to an expression", name)
		}
		switch v := c.Val.(type) {
		case *pg_query.A_Const_Sval:
			parts = append(parts, v.Sval.Sval)
		case *pg_query.A_Const_Ival:
			parts = append(parts, strconv.Itoa(int(v.Ival.Ival)))
		case *pg_query.A_Const_Fval:
			parts = append(parts, v.Fval.Fval)
		case *pg_query.A_Const_Boolval:
			parts = append(parts, map[bool]string{true: "on", false: "off"}[v.Boolval.Boolval])
		}
	}
	value := strings.Join(parts, ", ")
	tag := "SET"
	if vs.Kind == pg_query.VariableSetKind_VAR_RESET {
		tag = "RESET"
	}
	reset := vs.Kind != pg_query.VariableSetKind_VAR_SET_VALUE
	return &sessionOp{desc: "Set " + name + "=" + value, tag: tag, sess: p.sess, run: func(s *Session) ([][]any, error) {
		v := value
		if reset {
			v = s.defaults()[name]
		}
		return nil, s.setting(name, v)
	}}, nil
}

// setting sets a setting, as SET and set_config() do. Settings with a dot
// in their name are custom ones (tally.idempotency_key among them).
func (s *Session) setting(name, v string) error {
	if _, known := defaultSettings("")[name]; !known && !strings.Contains(name, ".") {
		return pgerr.New(pgerr.UndefinedObject, "unrecognized configuration parameter %q", name)
	}
	if err := checkTimeout(name, v); err != nil {
		return err
	}
	if name == "timezone" && !isUTC(v) {
		return pgerr.Unsupported("tally runs in UTC only; TimeZone %q is not supported", v)
	}
	if name == "client_encoding" && !strings.EqualFold(strings.ReplaceAll(v, "-", ""), "utf8") {
		return pgerr.Unsupported("client_encoding %q: tally speaks UTF8 only", v)
	}
	s.settings[name] = v
	if r, ok := reported[name]; ok {
		s.changed[r] = v
	}
	return nil
}

func isUTC(v string) bool {
	switch strings.ToUpper(v) {
	case "UTC", "ETC/UTC", "GMT", "Z", "ZULU", "UCT", "0", "+00", "+00:00":
		return true
	}
	return false
}

// show plans SHOW name.
func (p *planCtx) show(vs *pg_query.VariableShowStmt) (rewrite.Op, []Field, error) {
	name := strings.ToLower(vs.Name)
	if name == "all" {
		return nil, nil, unsupported("SHOW ALL")
	}
	if name == "transaction isolation level" {
		name = "transaction_isolation"
	}
	header := name
	if r, ok := reported[name]; ok {
		header = r // SHOW TimeZone's column is "TimeZone", as in Postgres
	}
	fields := fieldsOf([]string{header}, []rewrite.Expr{&rewrite.Const{Typ: sqltypes.Text}}, []int32{-1})
	op := &sessionOp{desc: "Show " + name, tag: "SHOW", sess: p.sess, run: func(s *Session) ([][]any, error) {
		v, ok := s.settings[name]
		if !ok {
			return nil, pgerr.New(pgerr.UndefinedObject, "unrecognized configuration parameter %q", name)
		}
		return [][]any{{v}}, nil
	}}
	return op, fields, nil
}

// noRows is a sessionOp's run that does nothing.
func noRows(*Session) ([][]any, error) { return nil, nil }

// sessionOp is a statement that changes or reads the session, not the data.
type sessionOp struct {
	desc string
	tag  string
	run  func(s *Session) ([][]any, error)
	sess *Session
}

func (o *sessionOp) String() string { return o.desc }

// Execute runs it against the session the env belongs to.
func (o *sessionOp) Execute(context.Context, *rewrite.Env, []any) (*rewrite.Result, error) {
	rows, err := o.run(o.sess)
	if err != nil {
		return nil, err
	}
	return &rewrite.Result{Tag: o.tag, Rows: rows}, nil
}

// deallocateOp is DEALLOCATE [ALL] name, or DISCARD ALL, which also
// resets the session's settings. The proxy drops the prepared statements.
type deallocateOp struct {
	name    string
	all     bool
	discard bool
	sess    *Session
}

func (o *deallocateOp) String() string {
	return fmt.Sprintf("Deallocate name=%q all=%v discard=%v", o.name, o.all, o.discard)
}

// Execute reports what to drop.
func (o *deallocateOp) Execute(context.Context, *rewrite.Env, []any) (*rewrite.Result, error) {
	if !o.discard {
		tag := "DEALLOCATE"
		if o.all {
			tag = "DEALLOCATE ALL"
		}
		return &rewrite.Result{Tag: tag, Deallocate: o.name, DeallocateAll: o.all}, nil
	}
	if o.sess.tx != TxIdle {
		return nil, pgerr.New(pgerr.ActiveSQLTransaction, "DISCARD ALL cannot run inside a transaction block")
	}
	o.sess.settings = o.sess.defaults()
	return &rewrite.Result{Tag: "DISCARD ALL", DeallocateAll: true}, nil
}

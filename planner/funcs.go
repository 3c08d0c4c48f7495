package planner

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/tally-db/tally/pgerr"
	"github.com/tally-db/tally/rewrite"
	"github.com/tally-db/tally/sqltypes"
)

// builtins are the functions without arguments tally evaluates itself.
var builtins = map[string]sqltypes.OID{
	"now": sqltypes.Timestamptz, "transaction_timestamp": sqltypes.Timestamptz,
	"statement_timestamp": sqltypes.Timestamptz, "clock_timestamp": sqltypes.Timestamptz,
	"gen_random_uuid": sqltypes.UUID, "version": sqltypes.Text,
	"pg_advisory_unlock_all": sqltypes.Text, // void in Postgres; tally takes no advisory locks
	"current_database":       sqltypes.Name, "current_schema": sqltypes.Name, "current_user": sqltypes.Name,
	"session_user": sqltypes.Name,
}

// funcCall plans a call of a built-in function.
func (p *planCtx) funcCall(f *pg_query.FuncCall, sc *scope) (rewrite.Expr, error) {
	var parts []string
	for _, n := range f.Funcname {
		parts = append(parts, n.GetString_().GetSval())
	}
	name := parts[len(parts)-1]
	if len(parts) > 1 && parts[0] != "pg_catalog" {
		return nil, pgerr.New(pgerr.UndefinedFunction, "function %s does not exist", strings.Join(parts, "."))
	}
	if e, ok, err := p.settingCall(name, f, sc); ok {
		return e, err
	}
	typ, ok := builtins[name]
	if !ok {
		if aggregates[name] {
			return nil, unsupported("aggregate functions (%s)", name)
		}
		return nil, pgerr.New(pgerr.UndefinedFunction, "function %s() does not exist", name)
	}
	if len(f.Args) > 0 || f.AggStar {
		return nil, pgerr.New(pgerr.UndefinedFunction, "function %s with arguments does not exist", name)
	}
	return &rewrite.Func{Name: name, Typ: typ}, nil
}

var aggregates = map[string]bool{"count": true, "sum": true, "min": true, "max": true, "avg": true}

// sqlValueFunction plans CURRENT_TIMESTAMP, CURRENT_DATE, CURRENT_USER and
// their kin.
func sqlValueFunction(f *pg_query.SQLValueFunction) (rewrite.Expr, error) {
	switch f.Op {
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP, pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP_N:
		return &rewrite.Func{Name: "now", Typ: sqltypes.Timestamptz}, nil
	case pg_query.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP, pg_query.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP_N:
		return &rewrite.Func{Name: "now", Typ: sqltypes.Timestamp}, nil
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_DATE:
		return &rewrite.Func{Name: "current_date", Typ: sqltypes.Date}, nil
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_USER, pg_query.SQLValueFunctionOp_SVFOP_USER,
		pg_query.SQLValueFunctionOp_SVFOP_SESSION_USER, pg_query.SQLValueFunctionOp_SVFOP_CURRENT_ROLE:
		return &rewrite.Func{Name: "current_user", Typ: sqltypes.Name}, nil
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_CATALOG:
		return &rewrite.Func{Name: "current_database", Typ: sqltypes.Name}, nil
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_SCHEMA:
		return &rewrite.Func{Name: "current_schema", Typ: sqltypes.Name}, nil
	}
	return nil, unsupported("%s", strings.ToLower(strings.TrimPrefix(f.Op.String(), "SVFOP_")))
}

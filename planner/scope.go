package planner

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/tally-db/tally/catalog"
	"github.com/tally-db/tally/pgerr"
	"github.com/tally-db/tally/rewrite"
)

// scope is the table whose columns an expression may name.
type scope struct {
	table *catalog.Table
	alias string // the name the query gives it (alias or table name)
}

func newScope(t *catalog.Table, rv *pg_query.RangeVar) *scope {
	alias := t.Name
	if rv.Alias != nil && rv.Alias.Aliasname != "" {
		alias = rv.Alias.Aliasname
	}
	return &scope{table: t, alias: alias}
}

// column resolves a ColumnRef's name parts: col, tbl.col or schema.tbl.col.
func (s *scope) column(fields []string) (*catalog.Column, error) {
	if s == nil {
		return nil, pgerr.New(pgerr.UndefinedColumn, "column %q does not exist", joinDots(fields))
	}
	name := fields[len(fields)-1]
	if len(fields) > 1 {
		qual := fields[len(fields)-2]
		if qual != s.alias {
			return nil, pgerr.New(pgerr.UndefinedTable, "missing FROM-clause entry for table %q", qual)
		}
		if len(fields) > 2 && fields[len(fields)-3] != "public" {
			return nil, pgerr.New("3F000", "schema %q does not exist", fields[len(fields)-3])
		}
	}
	c := s.table.Column(name)
	if c == nil {
		return nil, pgerr.New(pgerr.UndefinedColumn, "column %q does not exist", joinDots(fields))
	}
	return c, nil
}

// ref is the expression reading column c of the scope's row.
func (s *scope) ref(c *catalog.Column) rewrite.Expr {
	return &rewrite.ColumnRef{Index: c.Num - 1, Name: c.Name, Typ: c.Type}
}

func joinDots(parts []string) string {
	out := ""
	for i, p := range parts {
		if i > 0 {
			out += "."
		}
		out += p
	}
	return out
}

// nameParts returns the string parts of a ColumnRef (nil if one is `*`).
func nameParts(cr *pg_query.ColumnRef) []string {
	out := make([]string, 0, len(cr.Fields))
	for _, f := range cr.Fields {
		if f.GetString_() == nil {
			return nil
		}
		out = append(out, f.GetString_().Sval)
	}
	return out
}

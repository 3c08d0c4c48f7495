package query

import (
	"context"
	"hash/fnv"
	"strings"

	"github.com/tally-db/tally/catalog"
	"github.com/tally-db/tally/pgerr"
	"github.com/tally-db/tally/rewrite"
	"github.com/tally-db/tally/sqltypes"
)

// Relation is a table a query can read: a user table (scanned) or a
// virtual catalog relation built from tally's catalog.
type Relation struct {
	Name, Schema string
	OID          int64
	Cols         []column
	Table        *catalog.Table // user tables only
	rows         func(x *execCtx) ([][]any, error)
}

// Namespace OIDs, as in Postgres (information_schema's varies by install).
const (
	nspCatalog = 11
	nspToast   = 99
	nspPublic  = 2200
	nspInfo    = 13000
)

type namespace struct {
	oid  int64
	name string
}

var namespaces = []namespace{{nspCatalog, "pg_catalog"}, {nspToast, "pg_toast"}, {nspPublic, "public"}, {nspInfo, "information_schema"}}

func nspName(oid int64) string {
	for _, n := range namespaces {
		if n.oid == oid {
			return n.name
		}
	}
	return ""
}

// virtual is a catalog relation definition.
type virtual struct {
	schema, name string
	oid          int64
	spec         string // "col:type col:type ..."
	rows         func(x *execCtx, b *rowBuilder) error
}

// virtuals lists the catalog relations by schema and name; read-only after init.
var virtuals = map[string]map[string]*Relation{}

// virtualList is every catalog relation in a stable order.
var virtualList []*Relation

func register(vs []virtual) {
	for _, v := range vs {
		v := v
		cols := parseSpec(v.spec, v.name)
		rel := &Relation{Name: v.name, Schema: v.schema, OID: v.oid, Cols: cols}
		gen := v.rows
		rel.rows = func(x *execCtx) ([][]any, error) {
			b := &rowBuilder{cols: cols, nulls: v.schema == "information_schema"}
			if gen != nil {
				if err := gen(x, b); err != nil {
					return nil, err
				}
			}
			return b.rows, nil
		}
		if virtuals[v.schema] == nil {
			virtuals[v.schema] = map[string]*Relation{}
		}
		virtuals[v.schema][v.name] = rel
		virtualList = append(virtualList, rel)
	}
}

func parseSpec(spec, rel string) []column {
	var cols []column
	for _, f := range strings.Fields(spec) {
		name, typ, _ := strings.Cut(f, ":")
		t := lookupTypeName(typ)
		if t == nil {
			panic("query: relation " + rel + ": unknown type " + typ) // a typo in a spec above; caught by every test
		}
		cols = append(cols, column{qual: rel, name: name, typ: t.oid, typmod: -1})
	}
	return cols
}

// rowBuilder fills rows by column name; a column not given takes its
// type's zero (false, 0, "") or NULL for text and arrays, so `NOT
// attisdropped` holds on every row.
type rowBuilder struct {
	cols  []column
	rows  [][]any
	nulls bool // a column not given is NULL (information_schema)
}

func (b *rowBuilder) add(vals map[string]any) {
	row := make([]any, len(b.cols))
	for i, c := range b.cols {
		v, ok := vals[c.name]
		if !ok && !b.nulls {
			v = zeroOf(c.typ)
		}
		switch n := v.(type) {
		case int:
			v = int64(n)
		case int16:
			v = int64(n)
		case int32:
			v = int64(n)
		case uint32:
			v = int64(n)
		}
		row[i] = v
	}
	b.rows = append(b.rows, row)
}

func zeroOf(typ uint32) any {
	switch {
	case typ == sqltypes.Bool:
		return false
	case isIntType(typ):
		return int64(0)
	case typ == sqltypes.Float4 || typ == sqltypes.Float8:
		return float64(0)
	case typ == sqltypes.Name:
		return ""
	case typ == sqltypes.Char:
		return ""
	}
	return nil
}

// resolve finds a relation as Postgres' search_path would: an unqualified
// name is looked up in pg_catalog first, then public.
func resolve(ctx context.Context, env *rewrite.Env, db, schema, name string) (*Relation, error) {
	if db != "" && db != env.Keyspace {
		return nil, pgerr.Unsupported("cross-database references are not implemented: %s.%s.%s", db, schema, name)
	}
	switch schema {
	case "":
		if r := virtuals["pg_catalog"][name]; r != nil {
			return r, nil
		}
	case "pg_catalog", "information_schema":
		if r := virtuals[schema][name]; r != nil {
			return r, nil
		}
		return nil, pgerr.New(pgerr.UndefinedTable, "relation \"%s.%s\" does not exist", schema, name)
	case "public":
	default:
		return nil, pgerr.New(pgerr.UndefinedTable, "relation \"%s.%s\" does not exist", schema, name)
	}
	t, err := env.Catalog.Table(ctx, env.Store, env.Keyspace, name)
	if err != nil {
		return nil, err
	}
	if t == nil {
		if schema != "" {
			return nil, pgerr.New(pgerr.UndefinedTable, "relation \"%s.%s\" does not exist", schema, name)
		}
		return nil, pgerr.New(pgerr.UndefinedTable, "relation %q does not exist", name)
	}
	return userRelation(t), nil
}

// userRelation is a tally table as a relation: its rows come from a scan.
func userRelation(t *catalog.Table) *Relation {
	cols := make([]column, len(t.Columns))
	for i, c := range t.Columns {
		cols[i] = column{qual: t.Name, name: c.Name, typ: c.Type, typmod: c.TypMod}
	}
	return &Relation{Name: t.Name, Schema: "public", OID: tableOID(t), Cols: cols, Table: t,
		rows: func(x *execCtx) ([][]any, error) { return rewrite.ScanRows(x.ctx, x.env, t) }}
}

// tableOID is a user table's OID: derived from the table's catalog ID, so
// every tally process gives the same one, and at least 16384 (Postgres'
// first user OID). Its primary key index is tableOID+1, the constraint
// +2 and its row type +3.
func tableOID(t *catalog.Table) int64 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(t.ID))
	return 16384 + int64(h.Sum32()%(1<<28))*4
}

// classRow is what regclass needs of a pg_class row.
type classRow struct {
	oid  int64
	name string
	nsp  int64
}

// classRows lists every relation: catalogs, user tables and their indexes.
func classRows(x *execCtx) ([]classRow, error) {
	snap, err := x.snapshot()
	if err != nil {
		return nil, err
	}
	var out []classRow
	for _, r := range virtualList {
		nsp := int64(nspCatalog)
		if r.Schema == "information_schema" {
			nsp = nspInfo
		}
		out = append(out, classRow{r.OID, r.Name, nsp})
	}
	for _, t := range snap.tables {
		oid := tableOID(t)
		out = append(out, classRow{oid, t.Name, nspPublic}, classRow{oid + 1, t.Name + "_pkey", nspPublic})
	}
	return out, nil
}

// IsCatalogRelation reports whether a table reference names one of the
// catalog relations (pg_catalog's are found unqualified too, as on
// Postgres' search path).
func IsCatalogRelation(schema, name string) bool {
	switch schema {
	case "", "pg_catalog":
		return virtuals["pg_catalog"][name] != nil
	case "information_schema":
		return virtuals["information_schema"][name] != nil
	}
	return false
}

// Package catalog defines the SQL schema of a tally table — its columns, their
// Postgres types, the primary key — and how each maps onto Cassandra tables
// and columns. It is a leaf: it describes, it never reads or writes Cassandra
// (rewrite stores catalog entries; planner resolves names against them).
package catalog

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/tally-db/tally/sqltypes"
)

// Table is one SQL table.
type Table struct {
	Name       string    `json:"name"`        // SQL name, as the client spells it after folding
	ID         string    `json:"id"`          // random hex, fixed at CREATE; names the CQL tables
	Columns    []*Column `json:"columns"`     // in attnum order
	PrimaryKey []int     `json:"primary_key"` // indexes into Columns, in key order
	Shards     int       `json:"shards"`      // delta partitions per row (hot keys)
	// Version counts the ALTER TABLEs applied: a plan made against another
	// version is stale.
	Version int `json:"version,omitempty"`
	// TruncatedAt is the write timestamp (µs) of the latest TRUNCATE: rows
	// born at or before it are invisible. Kept in the catalog row, not here
	// in the JSON definition.
	TruncatedAt int64 `json:"-"`

	// valueCols and counters are derived once when a definition is loaded
	// (every read and write asks for them); nil means "derive on demand".
	valueCols, counters []*Column
	// stored is the JSON text this definition was loaded from.
	stored string
}

// Stored is the catalog text the definition was loaded from ("" for one
// built by the planner): ALTER TABLE swaps it only if it is unchanged.
func (t *Table) Stored() string { return t.stored }

// Column is one SQL column.
type Column struct {
	Name    string       `json:"name"`
	Type    sqltypes.OID `json:"type"`
	TypMod  int32        `json:"typmod"` // varchar(n): n+4, as Postgres; -1 otherwise
	NotNull bool         `json:"not_null"`
	Default *Default     `json:"default,omitempty"`
	Num     int          `json:"num"` // attnum, 1-based, stable for the table's life
	// Identity is Postgres' attidentity: "a" for GENERATED ALWAYS AS
	// IDENTITY, "d" for BY DEFAULT, "" otherwise. Identity and serial
	// columns have a nextval Default.
	Identity string `json:"identity,omitempty"`
	// AddedAt is the write timestamp (µs) of the ALTER TABLE ADD COLUMN that
	// added the column (0 for columns of CREATE TABLE). Rows born before it
	// read the column's constant DEFAULT, as Postgres fills existing rows.
	AddedAt int64 `json:"added_at,omitempty"`
}

// Default is a column's DEFAULT: a constant (its text form) or one of the
// functions tally evaluates per row.
type Default struct {
	Const *string `json:"const,omitempty"` // text form of the value; nil with Func
	Func  string  `json:"func,omitempty"`  // "now", "current_date", "gen_random_uuid", "nextval"
	// Seq names the sequence of a nextval default (serial and identity
	// columns): "<table>_<column>_seq", as Postgres names it.
	Seq string `json:"seq,omitempty"`
}

// SeqDefault is the default of a serial or identity column of table t.
func SeqDefault(t, column string) *Default {
	return &Default{Func: "nextval", Seq: t + "_" + column + "_seq"}
}

// DefaultFuncs are the functions a DEFAULT may call, and the type each returns.
var DefaultFuncs = map[string]sqltypes.OID{
	"now":               sqltypes.Timestamptz,
	"current_timestamp": sqltypes.Timestamptz,
	"current_date":      sqltypes.Date,
	"gen_random_uuid":   sqltypes.UUID,
}

// Column returns the column named name, or nil.
func (t *Table) Column(name string) *Column {
	for _, c := range t.Columns {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// IsKey reports whether c is part of the primary key.
func (t *Table) IsKey(c *Column) bool {
	for _, i := range t.PrimaryKey {
		if t.Columns[i] == c {
			return true
		}
	}
	return false
}

// KeyColumns returns the primary key columns in key order.
func (t *Table) KeyColumns() []*Column {
	out := make([]*Column, len(t.PrimaryKey))
	for i, k := range t.PrimaryKey {
		out[i] = t.Columns[k]
	}
	return out
}

// ValueColumns returns the columns outside the primary key.
func (t *Table) ValueColumns() []*Column {
	if t.valueCols != nil {
		return t.valueCols
	}
	var out []*Column
	for _, c := range t.Columns {
		if !t.IsKey(c) {
			out = append(out, c)
		}
	}
	return out
}

// Counters returns the value columns that can be incremented: every integer
// column outside the key. They are stored as a base value plus deltas.
func (t *Table) Counters() []*Column {
	if t.counters != nil {
		return t.counters
	}
	var out []*Column
	for _, c := range t.ValueColumns() {
		if sqltypes.IsInteger(c.Type) {
			out = append(out, c)
		}
	}
	return out
}

// IsCounter reports whether c is stored as base + deltas.
func (t *Table) IsCounter(c *Column) bool {
	return sqltypes.IsInteger(c.Type) && !t.IsKey(c)
}

// Marshal returns the JSON definition stored in the catalog.
func (t *Table) Marshal() (string, error) {
	b, err := json.Marshal(t)
	if err != nil {
		return "", fmt.Errorf("catalog: marshal %q: %w", t.Name, err)
	}
	return string(b), nil
}

// Clone returns a deep copy of t, its derived column lists computed anew
// (ALTER TABLE plans change a copy, never the cached definition).
func (t *Table) Clone() (*Table, error) {
	def, err := t.Marshal()
	if err != nil {
		return nil, err
	}
	c, err := Unmarshal(def)
	if err != nil {
		return nil, err
	}
	c.TruncatedAt, c.stored = t.TruncatedAt, ""
	return c, nil
}

// Unmarshal parses a stored JSON definition.
func Unmarshal(def string) (*Table, error) {
	var t Table
	if err := json.Unmarshal([]byte(def), &t); err != nil {
		return nil, fmt.Errorf("catalog: unmarshal: %w", err)
	}
	if t.Shards < 1 {
		t.Shards = 1
	}
	t.stored = def
	t.valueCols, t.counters = t.ValueColumns(), t.Counters()
	if t.valueCols == nil {
		t.valueCols = []*Column{}
	}
	if t.counters == nil {
		t.counters = []*Column{}
	}
	return &t, nil
}

// CQL names. SQL names may hold any character and any case; CQL names here
// never do: tables are named by the random ID and columns by their attnum,
// each with a sanitized hint of the SQL name for people reading cqlsh.

// BaseTable is the CQL table holding key, values, counter bases and markers.
func (t *Table) BaseTable() string { return "t_" + hint(t.Name) + "_" + t.ID }

// DeltaTable is the CQL table holding counter deltas.
func (t *Table) DeltaTable() string { return "d_" + hint(t.Name) + "_" + t.ID }

// CQLName is the CQL column name of c.
func (c *Column) CQLName() string { return fmt.Sprintf("c%d_%s", c.Num, hint(c.Name)) }

// hint keeps the [a-z0-9_] characters of name, at most 12 of them.
func hint(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if b.Len() >= 12 {
			break
		}
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '_' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// CQLType is the Cassandra type that stores values of a Postgres type.
// Integers of every width are bigint (counters sum in 64 bits); timestamps
// are bigint microseconds since 1970 (Postgres precision; CQL timestamp only
// keeps milliseconds); dates are int days since 1970 (the driver's date
// encoding fails on early dates Postgres accepts).
func CQLType(oid sqltypes.OID) (string, bool) {
	switch oid {
	case sqltypes.Int2, sqltypes.Int4, sqltypes.Int8, sqltypes.Timestamp, sqltypes.Timestamptz:
		return "bigint", true
	case sqltypes.Float4, sqltypes.Float8:
		return "double", true
	case sqltypes.Bool:
		return "boolean", true
	case sqltypes.Text, sqltypes.Varchar, sqltypes.Bpchar:
		return "text", true
	case sqltypes.Numeric:
		return "decimal", true
	case sqltypes.UUID:
		return "uuid", true
	case sqltypes.Date:
		return "int", true
	case sqltypes.Bytea:
		return "blob", true
	}
	return "", false
}

package planner

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/tally-db/tally/catalog"
	"github.com/tally-db/tally/pgerr"
	"github.com/tally-db/tally/rewrite"
	"github.com/tally-db/tally/sqltypes"
)

// createTable plans CREATE TABLE.
func (p *planCtx) createTable(cs *pg_query.CreateStmt) (rewrite.Op, error) {
	rv := cs.Relation
	if err := p.checkSchema(rv); err != nil {
		return nil, err
	}
	switch {
	case rv.Relpersistence == "t":
		return nil, unsupported("temporary tables")
	case len(cs.InhRelations) > 0 || cs.Partspec != nil || cs.Partbound != nil:
		return nil, unsupported("inheritance and partitioned tables")
	case cs.OfTypename != nil:
		return nil, unsupported("typed tables")
	}
	t := &catalog.Table{Name: rv.Relname}
	var key []string
	for _, elt := range cs.TableElts {
		switch {
		case elt.GetColumnDef() != nil:
			c, isKey, err := p.column(t, elt.GetColumnDef())
			if err != nil {
				return nil, err
			}
			if isKey {
				if key != nil {
					return nil, pgerr.New(pgerr.InvalidTableDefinition, "multiple primary keys for table %q are not allowed", t.Name)
				}
				key = []string{c.Name}
			}
		case elt.GetConstraint() != nil:
			con := elt.GetConstraint()
			if con.Contype != pg_query.ConstrType_CONSTR_PRIMARY {
				return nil, unsupported("%s constraints", constraintName(con.Contype))
			}
			if key != nil {
				return nil, pgerr.New(pgerr.InvalidTableDefinition, "multiple primary keys for table %q are not allowed", t.Name)
			}
			for _, k := range con.Keys {
				key = append(key, k.GetString_().GetSval())
			}
		default:
			return nil, unsupported("LIKE in CREATE TABLE")
		}
	}
	if key == nil {
		return nil, unsupported("tables without a PRIMARY KEY: rows are found by their key").
			WithHint("Add PRIMARY KEY (...) to the table definition.")
	}
	seen := map[string]bool{}
	for _, name := range key {
		c := t.Column(name)
		if c == nil {
			return nil, pgerr.New(pgerr.UndefinedColumn, "column %q named in key does not exist", name)
		}
		if seen[name] {
			return nil, pgerr.New(pgerr.DuplicateColumn, "column %q appears twice in primary key constraint", name)
		}
		seen[name] = true
		c.NotNull = true
		t.PrimaryKey = append(t.PrimaryKey, c.Num-1)
	}
	return &rewrite.CreateTable{Table: t, IfNotExists: cs.IfNotExists}, nil
}

// column adds a column definition to t and reports whether it declared
// itself the primary key.
func (p *planCtx) column(t *catalog.Table, cd *pg_query.ColumnDef) (*catalog.Column, bool, error) {
	if t.Column(cd.Colname) != nil {
		return nil, false, pgerr.New(pgerr.DuplicateColumn, "column %q specified more than once", cd.Colname)
	}
	oid, serial := serialType(cd.TypeName)
	typmod := int32(-1)
	if !serial {
		var err error
		if oid, typmod, err = typeOf(cd.TypeName); err != nil {
			return nil, false, err
		}
	}
	if _, ok := catalog.CQLType(oid); !ok {
		return nil, false, unsupported("columns of type %s", typeName(oid))
	}
	c := &catalog.Column{Name: cd.Colname, Type: oid, TypMod: typmod, NotNull: cd.IsNotNull || serial, Num: len(t.Columns) + 1}
	if serial {
		c.Default = catalog.SeqDefault(t.Name, c.Name)
	}
	isKey := false
	for _, n := range cd.Constraints {
		con := n.GetConstraint()
		switch con.Contype {
		case pg_query.ConstrType_CONSTR_NOTNULL:
			c.NotNull = true
		case pg_query.ConstrType_CONSTR_NULL:
		case pg_query.ConstrType_CONSTR_PRIMARY:
			isKey = true
		case pg_query.ConstrType_CONSTR_DEFAULT:
			if c.Default != nil {
				return nil, false, pgerr.New(pgerr.SyntaxError, "multiple default values specified for column %q of table %q", c.Name, t.Name)
			}
			var err error
			if c.Default, err = p.defaultOf(c, con.RawExpr); err != nil {
				return nil, false, err
			}
		case pg_query.ConstrType_CONSTR_IDENTITY:
			if !sqltypes.IsInteger(oid) {
				return nil, false, pgerr.New(pgerr.InvalidParameterValue, "identity column type must be smallint, integer, or bigint")
			}
			if c.Default != nil {
				return nil, false, pgerr.New(pgerr.SyntaxError, "both default and identity specified for column %q of table %q", c.Name, t.Name)
			}
			c.NotNull, c.Identity = true, con.GeneratedWhen
			c.Default = catalog.SeqDefault(t.Name, c.Name)
		default:
			return nil, false, unsupported("%s constraints", constraintName(con.Contype))
		}
	}
	t.Columns = append(t.Columns, c)
	return c, isKey, nil
}

// defaultOf plans a DEFAULT: a constant, or a function tally evaluates per row.
func (p *planCtx) defaultOf(c *catalog.Column, n *pg_query.Node) (*catalog.Default, error) {
	e, err := p.expr(n, nil, c.Type)
	if _, session := e.(*settingFunc); session {
		return nil, unsupported("DEFAULT expressions reading settings")
	}
	if err != nil {
		return nil, err
	}
	if f, ok := e.(*rewrite.Func); ok {
		if _, ok := catalog.DefaultFuncs[f.Name]; ok {
			return &catalog.Default{Func: f.Name}, nil
		}
	}
	e, err = coerce(e, c.Type, true)
	if err != nil {
		return nil, err
	}
	k, ok := e.(*rewrite.Const)
	if !ok {
		return nil, unsupported("DEFAULT expressions other than constants, now(), current_date and gen_random_uuid()")
	}
	if k.Value == nil {
		return nil, nil
	}
	txt, err := sqltypes.AppendText(nil, c.Type, k.Value)
	if err != nil {
		return nil, err
	}
	s := string(txt)
	return &catalog.Default{Const: &s}, nil
}

func constraintName(t pg_query.ConstrType) string {
	return map[pg_query.ConstrType]string{
		pg_query.ConstrType_CONSTR_CHECK: "CHECK", pg_query.ConstrType_CONSTR_UNIQUE: "UNIQUE",
		pg_query.ConstrType_CONSTR_FOREIGN: "FOREIGN KEY", pg_query.ConstrType_CONSTR_EXCLUSION: "EXCLUDE",
		pg_query.ConstrType_CONSTR_IDENTITY: "GENERATED AS IDENTITY", pg_query.ConstrType_CONSTR_GENERATED: "GENERATED",
	}[t]
}

// alterTable plans ALTER TABLE [IF EXISTS] t with ADD COLUMN [IF NOT
// EXISTS], ALTER COLUMN SET/DROP DEFAULT, SET/DROP NOT NULL, and ALTER
// COLUMN TYPE to the type it already has (ORM migrators send it when they
// re-check a column). Other changes are refused: a column's type and name
// are part of how its cells are stored.
func (p *planCtx) alterTable(as *pg_query.AlterTableStmt) (rewrite.Op, error) {
	if as.Objtype != pg_query.ObjectType_OBJECT_TABLE {
		return nil, unsupported("ALTER %s", strings.TrimPrefix(as.Objtype.String(), "OBJECT_"))
	}
	t, err := p.table(as.Relation)
	if err != nil {
		if as.MissingOk && pgerr.CodeOf(err) == pgerr.UndefinedTable {
			return &sessionOp{desc: "AlterTableMissing", tag: "ALTER TABLE", sess: p.sess, run: noRows}, nil
		}
		return nil, err
	}
	next, err := t.Clone()
	if err != nil {
		return nil, err
	}
	var checks []*catalog.Column
	for _, n := range as.Cmds {
		cmd := n.GetAlterTableCmd()
		var c *catalog.Column
		switch cmd.Subtype {
		case pg_query.AlterTableType_AT_ColumnDefault, pg_query.AlterTableType_AT_DropNotNull,
			pg_query.AlterTableType_AT_SetNotNull, pg_query.AlterTableType_AT_AlterColumnType:
			if c = next.Column(cmd.Name); c == nil {
				return nil, pgerr.New(pgerr.UndefinedColumn, "column %q of relation %q does not exist", cmd.Name, t.Name)
			}
		}
		switch cmd.Subtype {
		case pg_query.AlterTableType_AT_AddColumn:
			cd := cmd.Def.GetColumnDef()
			if next.Column(cd.Colname) != nil {
				if cmd.MissingOk {
					continue // Postgres notes "already exists, skipping"
				}
				return nil, pgerr.New(pgerr.DuplicateColumn, "column %q of relation %q already exists", cd.Colname, t.Name)
			}
			c, isKey, err := p.column(next, cd)
			if err != nil {
				return nil, err
			}
			switch {
			case isKey:
				return nil, unsupported("adding a PRIMARY KEY column: a table's key is fixed at CREATE TABLE")
			case c.Default != nil && c.Default.Func != "":
				return nil, unsupported("ADD COLUMN with DEFAULT %s(): existing rows would each need their own value", c.Default.Func)
			case c.NotNull && c.Default == nil:
				checks = append(checks, c) // only an empty table can take it
			}
		case pg_query.AlterTableType_AT_ColumnDefault:
			if cmd.Def == nil {
				c.Default = nil
				continue
			}
			if c.Default, err = p.defaultOf(c, cmd.Def); err != nil {
				return nil, err
			}
		case pg_query.AlterTableType_AT_DropNotNull:
			if next.IsKey(c) {
				return nil, pgerr.New(pgerr.InvalidTableDefinition, "column %q is in a primary key", c.Name)
			}
			c.NotNull = false
		case pg_query.AlterTableType_AT_SetNotNull:
			if !c.NotNull {
				c.NotNull = true
				checks = append(checks, c)
			}
		case pg_query.AlterTableType_AT_AlterColumnType:
			cd := cmd.Def.GetColumnDef()
			oid, typmod, err := typeOf(cd.TypeName)
			if err != nil {
				return nil, err
			}
			if oid != c.Type || typmod != c.TypMod {
				return nil, unsupported("changing the type of column %q (%s to %s)", c.Name, typeName(c.Type), typeName(oid))
			}
		default:
			return nil, unsupported("ALTER TABLE ... %s", alterName(cmd.Subtype))
		}
	}
	if next, err = next.Clone(); err != nil { // derive the column lists anew
		return nil, err
	}
	return &rewrite.AlterTable{Table: t, New: next, Checks: checks}, nil
}

// alterName spells an ALTER TABLE subcommand as SQL does: AT_DropColumn
// is "DROP COLUMN", AT_AddConstraint "ADD CONSTRAINT".
func alterName(t pg_query.AlterTableType) string {
	var b strings.Builder
	for i, r := range strings.TrimPrefix(t.String(), "AT_") {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return strings.ToUpper(b.String())
}

// dropTable plans DROP TABLE.
func (p *planCtx) dropTable(ds *pg_query.DropStmt) (rewrite.Op, error) {
	if ds.RemoveType != pg_query.ObjectType_OBJECT_TABLE {
		return nil, unsupported("DROP %s", ds.RemoveType.String()[len("OBJECT_"):])
	}
	op := &rewrite.DropTable{IfExists: ds.MissingOk}
	for _, obj := range ds.Objects {
		var parts []string
		for _, it := range obj.GetList().GetItems() {
			parts = append(parts, it.GetString_().GetSval())
		}
		rv := &pg_query.RangeVar{Relname: parts[len(parts)-1]}
		if len(parts) > 1 {
			rv.Schemaname = parts[len(parts)-2]
		}
		if err := p.checkSchema(rv); err != nil {
			return nil, err
		}
		op.Names = append(op.Names, rv.Relname)
	}
	return op, nil
}

// truncate plans TRUNCATE.
func (p *planCtx) truncate(ts *pg_query.TruncateStmt) (rewrite.Op, error) {
	op := &rewrite.Truncate{}
	for _, n := range ts.Relations {
		t, err := p.table(n.GetRangeVar())
		if err != nil {
			return nil, err
		}
		op.Tables = append(op.Tables, t)
	}
	return op, nil
}

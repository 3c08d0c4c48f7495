package query

import (
	"github.com/tally-db/tally/catalog"
	"github.com/tally-db/tally/sqltypes"
)

// The information_schema views over tally's tables. The domains the SQL
// standard gives their columns (sql_identifier, character_data,
// yes_or_no, cardinal_number) are reported as their base types (name,
// varchar, int4). Only the user tables of the public schema are listed.
func init() {
	register([]virtual{
		{"information_schema", "schemata", 13001, "catalog_name:name schema_name:name schema_owner:name default_character_set_catalog:name default_character_set_schema:name default_character_set_name:name sql_path:varchar", isSchemata},
		{"information_schema", "tables", 13002, "table_catalog:name table_schema:name table_name:name table_type:varchar self_referencing_column_name:name reference_generation:varchar user_defined_type_catalog:name user_defined_type_schema:name user_defined_type_name:name is_insertable_into:varchar is_typed:varchar commit_action:varchar", isTables},
		{"information_schema", "columns", 13003, "table_catalog:name table_schema:name table_name:name column_name:name ordinal_position:int4 column_default:varchar is_nullable:varchar data_type:varchar character_maximum_length:int4 character_octet_length:int4 numeric_precision:int4 numeric_precision_radix:int4 numeric_scale:int4 datetime_precision:int4 interval_type:varchar interval_precision:int4 character_set_catalog:name character_set_schema:name character_set_name:name collation_catalog:name collation_schema:name collation_name:name domain_catalog:name domain_schema:name domain_name:name udt_catalog:name udt_schema:name udt_name:name scope_catalog:name scope_schema:name scope_name:name maximum_cardinality:int4 dtd_identifier:name is_self_referencing:varchar is_identity:varchar identity_generation:varchar identity_start:varchar identity_increment:varchar identity_maximum:varchar identity_minimum:varchar identity_cycle:varchar is_generated:varchar generation_expression:varchar is_updatable:varchar", isColumns},
		{"information_schema", "table_constraints", 13004, "constraint_catalog:name constraint_schema:name constraint_name:name table_catalog:name table_schema:name table_name:name constraint_type:varchar is_deferrable:varchar initially_deferred:varchar enforced:varchar nulls_distinct:varchar", isTableConstraints},
		{"information_schema", "key_column_usage", 13005, "constraint_catalog:name constraint_schema:name constraint_name:name table_catalog:name table_schema:name table_name:name column_name:name ordinal_position:int4 position_in_unique_constraint:int4", isKeyColumnUsage},
		{"information_schema", "constraint_column_usage", 13006, "table_catalog:name table_schema:name table_name:name column_name:name constraint_catalog:name constraint_schema:name constraint_name:name", isConstraintColumnUsage},
		{"information_schema", "referential_constraints", 13007, "constraint_catalog:name constraint_schema:name constraint_name:name unique_constraint_catalog:name unique_constraint_schema:name unique_constraint_name:name match_option:varchar update_rule:varchar delete_rule:varchar", nil},
		{"information_schema", "views", 13008, "table_catalog:name table_schema:name table_name:name view_definition:varchar check_option:varchar is_updatable:varchar is_insertable_into:varchar is_trigger_updatable:varchar is_trigger_deletable:varchar is_trigger_insertable_into:varchar", nil},
		{"information_schema", "sequences", 13009, "sequence_catalog:name sequence_schema:name sequence_name:name data_type:varchar numeric_precision:int4 numeric_precision_radix:int4 numeric_scale:int4 start_value:varchar minimum_value:varchar maximum_value:varchar increment:varchar cycle_option:varchar", nil},
		{"information_schema", "check_constraints", 13010, "constraint_catalog:name constraint_schema:name constraint_name:name check_clause:varchar", nil},
	})
}

func isSchemata(x *execCtx, b *rowBuilder) error {
	for _, n := range []string{"information_schema", "pg_catalog", "pg_toast", "public"} {
		b.add(map[string]any{"catalog_name": x.env.Keyspace, "schema_name": n, "schema_owner": userName(x)})
	}
	return nil
}

func isTables(x *execCtx, b *rowBuilder) error {
	snap, err := x.snapshot()
	if err != nil {
		return err
	}
	for _, t := range snap.tables {
		b.add(map[string]any{"table_catalog": snap.db, "table_schema": "public", "table_name": t.Name,
			"table_type": "BASE TABLE", "self_referencing_column_name": nil, "user_defined_type_catalog": nil,
			"user_defined_type_schema": nil, "user_defined_type_name": nil, "is_insertable_into": "YES", "is_typed": "NO"})
	}
	return nil
}

// dataType is information_schema's data_type of a column type.
func dataType(typ uint32) string {
	if elemOf(typ) != 0 {
		return "ARRAY"
	}
	if t := typesByOID[typ]; t != nil {
		return t.sqlName
	}
	return "USER-DEFINED"
}

func isColumns(x *execCtx, b *rowBuilder) error {
	snap, err := x.snapshot()
	if err != nil {
		return err
	}
	for _, t := range snap.tables {
		for _, c := range t.Columns {
			row := map[string]any{"table_catalog": snap.db, "table_schema": "public", "table_name": t.Name,
				"column_name": c.Name, "ordinal_position": c.Num, "is_nullable": "YES", "data_type": dataType(c.Type),
				"character_set_catalog": nil, "character_set_schema": nil, "character_set_name": nil,
				"collation_catalog": nil, "collation_schema": nil, "collation_name": nil,
				"domain_catalog": nil, "domain_schema": nil, "domain_name": nil,
				"udt_catalog": snap.db, "udt_schema": "pg_catalog", "udt_name": typesByOID[c.Type].name,
				"scope_catalog": nil, "scope_schema": nil, "scope_name": nil,
				"dtd_identifier": itoa(c.Num), "is_self_referencing": "NO", "is_identity": "NO", "identity_cycle": "NO",
				"is_generated": "NEVER", "is_updatable": "YES"}
			if c.NotNull || t.IsKey(c) {
				row["is_nullable"] = "NO"
			}
			switch {
			case c.Identity != "":
				row["is_identity"], row["identity_start"], row["identity_increment"], row["identity_minimum"] = "YES", "1", "1", "1"
				row["identity_generation"] = map[string]string{"a": "ALWAYS", "d": "BY DEFAULT"}[c.Identity]
				row["identity_maximum"] = map[uint32]string{sqltypes.Int2: "32767", sqltypes.Int4: "2147483647", sqltypes.Int8: "9223372036854775807"}[c.Type]
			case c.Default != nil:
				row["column_default"] = defaultExpr(c)
			}
			sizeOf(c, row)
			b.add(row)
		}
	}
	return nil
}

// sizeOf fills the length, precision and scale columns.
func sizeOf(c *catalog.Column, row map[string]any) {
	switch c.Type {
	case sqltypes.Varchar, sqltypes.Bpchar, sqltypes.Text:
		if c.TypMod > 4 {
			row["character_maximum_length"] = int64(c.TypMod - 4)
			row["character_octet_length"] = int64(c.TypMod-4) * 4
		} else {
			row["character_octet_length"] = int64(1073741824)
		}
	case sqltypes.Int2, sqltypes.Int4, sqltypes.Int8:
		row["numeric_precision"] = map[uint32]int64{sqltypes.Int2: 16, sqltypes.Int4: 32, sqltypes.Int8: 64}[c.Type]
		row["numeric_precision_radix"], row["numeric_scale"] = int64(2), int64(0)
	case sqltypes.Float4, sqltypes.Float8:
		row["numeric_precision"] = map[uint32]int64{sqltypes.Float4: 24, sqltypes.Float8: 53}[c.Type]
		row["numeric_precision_radix"] = int64(2)
	case sqltypes.Numeric:
		row["numeric_precision_radix"] = int64(10)
		if c.TypMod > 4 {
			m := int64(c.TypMod - 4)
			row["numeric_precision"], row["numeric_scale"] = (m>>16)&0xffff, m&0xffff
		}
	case sqltypes.Date:
		row["datetime_precision"] = int64(0)
	case sqltypes.Timestamp, sqltypes.Timestamptz:
		row["datetime_precision"] = int64(6)
	}
}

func itoa(n int) string {
	b, _ := sqltypes.AppendText(nil, sqltypes.Int8, int64(n))
	return string(b)
}

func isTableConstraints(x *execCtx, b *rowBuilder) error {
	snap, err := x.snapshot()
	if err != nil {
		return err
	}
	for _, t := range snap.tables {
		b.add(map[string]any{"constraint_catalog": snap.db, "constraint_schema": "public", "constraint_name": t.Name + "_pkey",
			"table_catalog": snap.db, "table_schema": "public", "table_name": t.Name, "constraint_type": "PRIMARY KEY",
			"is_deferrable": "NO", "initially_deferred": "NO", "enforced": "YES"})
	}
	return nil
}

func isKeyColumnUsage(x *execCtx, b *rowBuilder) error {
	snap, err := x.snapshot()
	if err != nil {
		return err
	}
	for _, t := range snap.tables {
		for i, c := range t.KeyColumns() {
			b.add(map[string]any{"constraint_catalog": snap.db, "constraint_schema": "public", "constraint_name": t.Name + "_pkey",
				"table_catalog": snap.db, "table_schema": "public", "table_name": t.Name, "column_name": c.Name,
				"ordinal_position": i + 1, "position_in_unique_constraint": nil})
		}
	}
	return nil
}

func isConstraintColumnUsage(x *execCtx, b *rowBuilder) error {
	snap, err := x.snapshot()
	if err != nil {
		return err
	}
	for _, t := range snap.tables {
		for _, c := range t.KeyColumns() {
			b.add(map[string]any{"constraint_catalog": snap.db, "constraint_schema": "public", "constraint_name": t.Name + "_pkey",
				"table_catalog": snap.db, "table_schema": "public", "table_name": t.Name, "column_name": c.Name})
		}
	}
	return nil
}

package rewrite

import (
	"time"

	"github.com/tally-db/tally/catalog"
	"github.com/tally-db/tally/sqltypes"
)

// toCQL converts a SQL value of column c to what its CQL column stores.
func toCQL(c *catalog.Column, v any) any {
	if v == nil {
		return nil
	}
	switch c.Type {
	case sqltypes.Timestamp, sqltypes.Timestamptz:
		return v.(time.Time).UnixMicro()
	case sqltypes.Date:
		return int(v.(time.Time).Unix() / 86400)
	}
	return v
}

// fromCQL converts a CQL value back to column c's SQL value.
func fromCQL(c *catalog.Column, v any) any {
	if v == nil {
		return nil
	}
	switch c.Type {
	case sqltypes.Timestamp, sqltypes.Timestamptz:
		return time.UnixMicro(v.(int64)).UTC()
	case sqltypes.Date:
		return time.Unix(int64(v.(int))*86400, 0).UTC()
	}
	return v
}

// cqlKey converts a primary key's SQL values to CQL arguments.
func cqlKey(t *catalog.Table, key []any) []any {
	out := make([]any, len(key))
	for i, c := range t.KeyColumns() {
		out[i] = toCQL(c, key[i])
	}
	return out
}

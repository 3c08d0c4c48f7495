package query

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"time"

	"gopkg.in/inf.v0"

	"github.com/tally-db/tally/pgerr"
	"github.com/tally-db/tally/sqltypes"
)

// Values inside the engine are the Go values of sqltypes (int64 for every
// integer, oid and reg* type; float64; string for text, name, varchar and
// "char"; bool; *inf.Dec; [16]byte; []byte; time.Time) plus []any for
// arrays. nil is NULL.

// isIntType reports the types held as int64.
func isIntType(t uint32) bool {
	switch t {
	case sqltypes.Int2, sqltypes.Int4, sqltypes.Int8, sqltypes.OIDType, sqltypes.RegClass, sqltypes.RegType,
		sqltypes.RegProc, sqltypes.RegNamespace, sqltypes.RegRole, sqltypes.XID, sqltypes.CID:
		return true
	}
	return false
}

func isTextType(t uint32) bool {
	switch t {
	case sqltypes.Text, sqltypes.Name, sqltypes.Varchar, sqltypes.Bpchar, sqltypes.Char, sqltypes.Unknown:
		return true
	}
	return false
}

func isNumericType(t uint32) bool {
	return isIntType(t) || t == sqltypes.Float4 || t == sqltypes.Float8 || t == sqltypes.Numeric
}

// compare orders two non-NULL values: -1, 0 or 1.
func compare(a, b any) int {
	switch x := a.(type) {
	case int64:
		switch y := b.(type) {
		case int64:
			return cmpInt(x, y)
		case float64:
			return cmpFloat(float64(x), y)
		case *inf.Dec:
			return inf.NewDec(x, 0).Cmp(y)
		}
	case float64:
		switch y := b.(type) {
		case int64:
			return cmpFloat(x, float64(y))
		case float64:
			return cmpFloat(x, y)
		case *inf.Dec:
			f, _ := strconv.ParseFloat(y.String(), 64)
			return cmpFloat(x, f)
		}
	case *inf.Dec:
		switch y := b.(type) {
		case int64:
			return x.Cmp(inf.NewDec(y, 0))
		case float64:
			f, _ := strconv.ParseFloat(x.String(), 64)
			return cmpFloat(f, y)
		case *inf.Dec:
			return x.Cmp(y)
		}
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y)
		}
	case bool:
		if y, ok := b.(bool); ok {
			switch {
			case x == y:
				return 0
			case !x:
				return -1
			}
			return 1
		}
	case time.Time:
		if y, ok := b.(time.Time); ok {
			return x.Compare(y)
		}
	case [16]byte:
		if y, ok := b.([16]byte); ok {
			return bytes.Compare(x[:], y[:])
		}
	case []byte:
		if y, ok := b.([]byte); ok {
			return bytes.Compare(x, y)
		}
	case []any:
		if y, ok := b.([]any); ok {
			for i := 0; i < len(x) && i < len(y); i++ {
				switch {
				case x[i] == nil && y[i] == nil:
					continue
				case x[i] == nil:
					return 1
				case y[i] == nil:
					return -1
				}
				if c := compare(x[i], y[i]); c != 0 {
					return c
				}
			}
			return cmpInt(int64(len(x)), int64(len(y)))
		}
	}
	// Different kinds: compare text forms, so the order is at least stable.
	return strings.Compare(plainText(a), plainText(b))
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpFloat(a, b float64) int {
	switch {
	case math.IsNaN(a) && math.IsNaN(b):
		return 0
	case math.IsNaN(a): // NaN sorts above everything, as in Postgres
		return 1
	case math.IsNaN(b):
		return -1
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// plainText is the text form of a value whose type is not at hand.
func plainText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		b, _ := sqltypes.AppendText(nil, sqltypes.Float8, x)
		return string(b)
	case bool:
		if x {
			return "true"
		}
		return "false"
	case *inf.Dec:
		return x.String()
	case []any:
		b, _ := sqltypes.AppendText(nil, sqltypes.TextArray, textItems(x))
		return string(b)
	case time.Time:
		b, _ := sqltypes.AppendText(nil, sqltypes.Timestamptz, x)
		return string(b)
	case [16]byte:
		b, _ := sqltypes.AppendText(nil, sqltypes.UUID, x)
		return string(b)
	case []byte:
		b, _ := sqltypes.AppendText(nil, sqltypes.Bytea, x)
		return string(b)
	}
	return ""
}

func textItems(items []any) []any {
	out := make([]any, len(items))
	for i, it := range items {
		if it != nil {
			out[i] = plainText(it)
		}
	}
	return out
}

// truthy reads a boolean result: NULL and false are not true.
func truthy(v any) bool {
	b, _ := v.(bool)
	return b
}

// parseBool is boolin.
func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "t", "true", "y", "yes", "on", "1":
		return true, nil
	case "f", "false", "n", "no", "off", "0":
		return false, nil
	}
	return false, pgerr.New(pgerr.InvalidTextRepresentation, "invalid input syntax for type boolean: %q", s)
}

// parseArray reads the text form of a one-dimensional array: {a,"b c",NULL}.
func parseArray(s string) ([]any, error) {
	s = strings.TrimSpace(s)
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return nil, pgerr.New(pgerr.InvalidTextRepresentation, "malformed array literal: %q", s)
	}
	body := s[1 : len(s)-1]
	out := []any{}
	if strings.TrimSpace(body) == "" {
		return out, nil
	}
	var cur strings.Builder
	quoted, inQuote, esc := false, false, false
	flush := func() {
		item := cur.String()
		if !quoted {
			item = strings.TrimSpace(item)
		}
		if !quoted && strings.EqualFold(item, "NULL") {
			out = append(out, nil)
		} else {
			out = append(out, item)
		}
		cur.Reset()
		quoted = false
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case esc:
			cur.WriteByte(c)
			esc = false
		case c == '\\':
			esc = true
		case c == '"':
			inQuote = !inQuote
			quoted = true
		case c == ',' && !inQuote:
			flush()
		default:
			cur.WriteByte(c)
		}
	}
	flush()
	return out, nil
}

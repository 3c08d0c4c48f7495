package query

import (
	"math"
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"gopkg.in/inf.v0"

	"github.com/tally-db/tally/pgerr"
	"github.com/tally-db/tally/sqltypes"
)

// typeCast compiles x::type and CAST(x AS type).
func (p *planner) typeCast(tc *pg_query.TypeCast, s *scope) (*expr, error) {
	to, typmod, err := resolveTypeName(tc.TypeName)
	if err != nil {
		return nil, err
	}
	x, err := p.compile(tc.Arg, s, to)
	if err != nil {
		return nil, err
	}
	return castExpr(x, to, typmod), nil
}

// resolveTypeName resolves a TypeName node to an OID and typmod.
func resolveTypeName(tn *pg_query.TypeName) (uint32, int32, error) {
	var parts []string
	for _, n := range tn.Names {
		parts = append(parts, n.GetString_().GetSval())
	}
	name := strings.Join(parts, ".")
	t := lookupTypeName(name)
	if t == nil {
		return 0, 0, pgerr.New(pgerr.UndefinedObject, "type %q does not exist", parts[len(parts)-1])
	}
	oid := t.oid
	typmod := int32(-1)
	var mods []int32
	for _, m := range tn.Typmods {
		if c := m.GetAConst(); c != nil {
			if iv, ok := c.Val.(*pg_query.A_Const_Ival); ok {
				mods = append(mods, iv.Ival.Ival)
			}
		}
	}
	switch {
	case len(mods) > 0 && (oid == sqltypes.Varchar || oid == sqltypes.Bpchar):
		typmod = mods[0] + 4
	case len(mods) > 0 && oid == sqltypes.Numeric:
		sc := int32(0)
		if len(mods) > 1 {
			sc = mods[1]
		}
		typmod = (mods[0]<<16 | sc) + 4
	}
	if len(tn.ArrayBounds) > 0 {
		if a := arrayOf(oid); a != 0 {
			oid = a
		}
	}
	return oid, typmod, nil
}

// castExpr converts x's value to type to at run time.
func castExpr(x *expr, to uint32, typmod int32) *expr {
	from := x.typ
	if from == to && x.lit == nil {
		return &expr{typ: to, typmod: typmod, eval: x.eval, name: x.name}
	}
	name := x.name
	if x.lit != nil || name == "" || name == "?column?" {
		if t := typesByOID[to]; t != nil {
			name = t.name
		}
	}
	return &expr{typ: to, typmod: typmod, name: name, eval: func(e *ectx) (any, error) {
		v, err := x.eval(e)
		if err != nil || v == nil {
			return nil, err
		}
		return castValue(e.x, v, from, to)
	}}
}

// castValue converts v of type from to type to.
func castValue(x *execCtx, v any, from, to uint32) (any, error) {
	if v == nil {
		return nil, nil
	}
	if isTextType(to) {
		s, err := textOf(x, v, from)
		if err != nil {
			return nil, err
		}
		if to == sqltypes.Char && len(s) > 1 {
			s = s[:1]
		}
		return s, nil
	}
	str, isStr := v.(string)
	switch {
	case to == sqltypes.RegClass || to == sqltypes.RegType || to == sqltypes.RegNamespace || to == sqltypes.RegProc:
		if isStr {
			if n, err := strconv.ParseInt(strings.TrimSpace(str), 10, 64); err == nil {
				return n, nil
			}
			return regIn(x, str, to)
		}
		return asInt(v)
	case isIntType(to):
		if isStr {
			n, err := strconv.ParseInt(strings.TrimSpace(str), 10, 64)
			if err != nil {
				return nil, pgerr.New(pgerr.InvalidTextRepresentation, "invalid input syntax for type %s: %q", formatType(to, -1), str)
			}
			return n, nil
		}
		return asInt(v)
	case to == sqltypes.Bool:
		if isStr {
			return parseBool(str)
		}
		if n, ok := v.(int64); ok {
			return n != 0, nil
		}
		return v, nil
	case to == sqltypes.Float4 || to == sqltypes.Float8:
		f, err := strconv.ParseFloat(strings.TrimSpace(plainText(v)), 64)
		if err != nil {
			return nil, pgerr.New(pgerr.InvalidTextRepresentation, "invalid input syntax for type double precision: %q", plainText(v))
		}
		return f, nil
	case to == sqltypes.Numeric:
		d, ok := new(inf.Dec).SetString(strings.TrimSpace(plainText(v)))
		if !ok {
			return nil, pgerr.New(pgerr.InvalidTextRepresentation, "invalid input syntax for type numeric: %q", plainText(v))
		}
		return d, nil
	case to == sqltypes.Int2Vector || to == sqltypes.OIDVector:
		if isStr {
			var out []any
			for _, f := range strings.Fields(str) {
				n, err := strconv.ParseInt(f, 10, 64)
				if err != nil {
					return nil, pgerr.New(pgerr.InvalidTextRepresentation, "invalid input syntax for type %s: %q", formatType(to, -1), str)
				}
				out = append(out, n)
			}
			return out, nil
		}
		return v, nil
	case elemOf(to) != 0:
		et := elemOf(to)
		items, ok := v.([]any)
		fromElem := elemOf(from)
		if !ok {
			if !isStr {
				return nil, pgerr.New(cannotCoerce, "cannot cast type %s to %s", formatType(from, -1), formatType(to, -1))
			}
			var err error
			if items, err = parseArray(str); err != nil {
				return nil, err
			}
			fromElem = sqltypes.Text
		}
		out := make([]any, len(items))
		for i, it := range items {
			c, err := castValue(x, it, fromElem, et)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	}
	if isStr {
		if _, ok := sqltypes.Info(to); ok {
			return sqltypes.DecodeText(to, str)
		}
	}
	return v, nil
}

func asInt(v any) (any, error) {
	switch n := v.(type) {
	case int64:
		return n, nil
	case float64:
		return int64(math.RoundToEven(n)), nil
	case *inf.Dec:
		r := new(inf.Dec).Round(n, 0, inf.RoundHalfUp)
		i, _ := strconv.ParseInt(r.String(), 10, 64)
		return i, nil
	case bool:
		if n {
			return int64(1), nil
		}
		return int64(0), nil
	}
	return v, nil
}

// regIn is the input function of regclass, regtype, regnamespace and
// regproc: a name to its OID.
func regIn(x *execCtx, s string, to uint32) (any, error) {
	switch to {
	case sqltypes.RegType:
		t := lookupTypeName(s)
		if t == nil {
			return nil, pgerr.New(pgerr.UndefinedObject, "type %q does not exist", s)
		}
		return int64(t.oid), nil
	case sqltypes.RegNamespace:
		for _, n := range namespaces {
			if n.name == s {
				return n.oid, nil
			}
		}
		return nil, pgerr.New(undefinedSchema, "schema %q does not exist", s)
	case sqltypes.RegProc:
		for _, f := range procs() {
			if f.name == s {
				return f.oid, nil
			}
		}
		return nil, pgerr.New(pgerr.UndefinedFunction, "function %q does not exist", s)
	}
	oid, err := relOID(x, s)
	if err != nil {
		return nil, err
	}
	if oid == 0 {
		return nil, pgerr.New(pgerr.UndefinedTable, "relation %q does not exist", s)
	}
	return oid, nil
}

// relOID resolves a relation name (maybe schema-qualified, maybe quoted)
// to its OID, 0 if there is none.
func relOID(x *execCtx, s string) (int64, error) {
	schema, name := splitQualified(s)
	cls, err := classRows(x)
	if err != nil {
		return 0, err
	}
	for _, c := range cls {
		if c.name != name {
			continue
		}
		if schema == "" && c.nsp == nspInfo {
			continue // not on the search path
		}
		if schema == "" || nspName(c.nsp) == schema {
			return c.oid, nil
		}
	}
	return 0, nil
}

// splitQualified splits "schema.name" with Postgres' identifier rules:
// unquoted parts fold to lower case.
func splitQualified(s string) (string, string) {
	var parts []string
	var cur strings.Builder
	quoted := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' && quoted && i+1 < len(s) && s[i+1] == '"':
			cur.WriteByte('"')
			i++
		case c == '"':
			quoted = !quoted
		case c == '.' && !quoted:
			parts = append(parts, cur.String())
			cur.Reset()
		case !quoted:
			cur.WriteString(strings.ToLower(string(c)))
		default:
			cur.WriteByte(c)
		}
	}
	parts = append(parts, cur.String())
	if len(parts) == 1 {
		return "", parts[0]
	}
	return parts[len(parts)-2], parts[len(parts)-1]
}

// textOf is the text output of v of type typ.
func textOf(x *execCtx, v any, typ uint32) (string, error) {
	n, isInt := v.(int64)
	switch {
	case isInt && n == 0 && (typ == sqltypes.RegClass || typ == sqltypes.RegType || typ == sqltypes.RegNamespace || typ == sqltypes.RegProc):
		return "-", nil // InvalidOid prints as "-", as regclassout and its kin do
	case typ == sqltypes.RegClass && isInt:
		cls, err := classRows(x)
		if err != nil {
			return "", err
		}
		for _, c := range cls {
			if c.oid == n {
				return quoteIdent(c.name), nil
			}
		}
		return strconv.FormatInt(n, 10), nil
	case typ == sqltypes.RegType && isInt:
		if t := typesByOID[uint32(n)]; t != nil {
			return formatType(t.oid, -1), nil
		}
		return strconv.FormatInt(n, 10), nil
	case typ == sqltypes.RegNamespace && isInt:
		if name := nspName(n); name != "" {
			return name, nil
		}
		return strconv.FormatInt(n, 10), nil
	case typ == sqltypes.RegProc && isInt:
		if n == 0 {
			return "-", nil
		}
		for _, f := range procs() {
			if f.oid == n {
				return f.name, nil
			}
		}
		return strconv.FormatInt(n, 10), nil
	}
	if items, ok := v.([]any); ok {
		et := elemOf(typ)
		if et == 0 {
			return plainText(v), nil
		}
		conv := make([]any, len(items))
		for i, it := range items {
			if it == nil {
				continue
			}
			s, err := textOf(x, it, et)
			if err != nil {
				return "", err
			}
			conv[i] = s
		}
		arr := uint32(sqltypes.TextArray)
		if typ == sqltypes.Int2Vector || typ == sqltypes.OIDVector {
			arr = typ
			conv = items
		}
		b, err := sqltypes.AppendText(nil, arr, conv)
		return string(b), err
	}
	if _, ok := sqltypes.Info(typ); ok && typ != sqltypes.Unknown {
		if b, err := sqltypes.AppendText(nil, typ, v); err == nil {
			return string(b), nil
		}
	}
	return plainText(v), nil
}

// quoteIdent quotes an identifier when Postgres would.
func quoteIdent(s string) string {
	safe := s != ""
	for i, r := range s {
		if !(r >= 'a' && r <= 'z' || r == '_' || (i > 0 && (r >= '0' && r <= '9' || r == '$'))) {
			safe = false
		}
	}
	if safe && !reservedWords[s] {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

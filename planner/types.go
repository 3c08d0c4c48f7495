package planner

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/tally-db/tally/pgerr"
	"github.com/tally-db/tally/rewrite"
	"github.com/tally-db/tally/sqltypes"
)

// serialTypes are the serial pseudo-types and the integer type each stands for.
var serialTypes = map[string]sqltypes.OID{
	"smallserial": sqltypes.Int2, "serial2": sqltypes.Int2,
	"serial": sqltypes.Int4, "serial4": sqltypes.Int4,
	"bigserial": sqltypes.Int8, "serial8": sqltypes.Int8,
}

// serialType reports the integer type of a serial column type (ok false
// for every other type).
func serialType(tn *pg_query.TypeName) (sqltypes.OID, bool) {
	if len(tn.Names) == 0 || len(tn.ArrayBounds) > 0 {
		return 0, false
	}
	oid, ok := serialTypes[tn.Names[len(tn.Names)-1].GetString_().GetSval()]
	return oid, ok
}

// typeOf resolves a type name to its OID and typmod (varchar(n): n+4).
func typeOf(tn *pg_query.TypeName) (sqltypes.OID, int32, error) {
	var parts []string
	for _, n := range tn.Names {
		parts = append(parts, n.GetString_().GetSval())
	}
	name := parts[len(parts)-1]
	if len(tn.ArrayBounds) > 0 {
		elem, _, err := typeOf(&pg_query.TypeName{Names: tn.Names})
		if err != nil {
			return 0, 0, err
		}
		if len(tn.ArrayBounds) > 1 {
			return 0, 0, unsupported("arrays of more than one dimension")
		}
		arr, ok := sqltypes.ArrayOf(elem)
		if !ok {
			return 0, 0, unsupported("arrays of %s", typeName(elem))
		}
		return arr, -1, nil
	}
	if len(parts) > 1 && parts[0] != "pg_catalog" && parts[0] != "public" {
		return 0, 0, pgerr.New(pgerr.UndefinedObject, "type %q does not exist", strings.Join(parts, "."))
	}
	if oid, ok := serialTypes[name]; ok {
		return 0, 0, pgerr.New(pgerr.UndefinedObject, "type %q does not exist", name).
			WithHint("%s is only a column type in CREATE TABLE (an integer with a sequence): use %s here.", name, typeName(oid))
	}
	oid, ok := sqltypes.Lookup(name)
	if !ok {
		if _, known := knownTypes[name]; known {
			return 0, 0, unsupported("the type %s", name)
		}
		return 0, 0, pgerr.New(pgerr.UndefinedObject, "type %q does not exist", name)
	}
	typmod := int32(-1)
	if oid == sqltypes.Numeric && len(tn.Typmods) > 0 {
		p := tn.Typmods[0].GetAConst().GetIval().GetIval()
		var s int32
		if len(tn.Typmods) > 1 {
			s = tn.Typmods[1].GetAConst().GetIval().GetIval()
		}
		if p < 1 || p > 1000 {
			return 0, 0, pgerr.New(pgerr.InvalidParameterValue, "NUMERIC precision %d must be between 1 and 1000", p)
		}
		if s < 0 || s > p {
			return 0, 0, pgerr.New(pgerr.InvalidParameterValue, "NUMERIC scale %d must be between 0 and precision %d", s, p)
		}
		typmod = (p<<16 | s) + 4
	}
	if oid == sqltypes.Varchar || oid == sqltypes.Bpchar {
		if len(tn.Typmods) > 0 {
			n := tn.Typmods[0].GetAConst().GetIval().GetIval()
			if n < 1 {
				return 0, 0, pgerr.New(pgerr.InvalidParameterValue, "length for type %s must be at least 1", name)
			}
			typmod = n + 4
		} else if oid == sqltypes.Bpchar {
			typmod = 5 // char means char(1)
		}
	}
	return oid, typmod, nil
}

// knownTypes are Postgres types tally does not store yet.
var knownTypes = map[string]bool{
	"json": true, "jsonb": true, "interval": true, "time": true, "timetz": true, "inet": true,
	"cidr": true, "macaddr": true, "money": true, "xml": true, "bit": true, "varbit": true,
	"point": true, "tsvector": true, "oid": true,
}

// limitLength adds the varchar(n) check, or numeric(p,s) rounding, to an
// explicit cast or an assignment.
func limitLength(e rewrite.Expr, to sqltypes.OID, typmod int32) (rewrite.Expr, error) {
	return typmodLimit(e, to, typmod, true), nil
}

// typmodLimit applies a column's or cast's typmod: varchar(n) refuses
// (assignment) or truncates (cast) longer strings; numeric(p,s) rounds to
// s places and refuses more than p digits.
func typmodLimit(e rewrite.Expr, to sqltypes.OID, typmod int32, cast bool) rewrite.Expr {
	switch {
	case typmod <= 4:
		return e
	case to == sqltypes.Varchar || to == sqltypes.Bpchar:
		return &rewrite.CheckLength{Arg: e, Max: int(typmod - 4), Truncate: cast}
	case to == sqltypes.Numeric:
		return &rewrite.NumericLimit{Arg: e, Precision: int((typmod - 4) >> 16), Scale: int((typmod - 4) & 0xffff)}
	}
	return e
}

func isNumber(oid sqltypes.OID) bool {
	return sqltypes.IsInteger(oid) || oid == sqltypes.Float4 || oid == sqltypes.Float8 || oid == sqltypes.Numeric
}

func isText(oid sqltypes.OID) bool {
	return oid == sqltypes.Text || oid == sqltypes.Varchar || oid == sqltypes.Bpchar || oid == sqltypes.Name || oid == sqltypes.Unknown
}

func isTime(oid sqltypes.OID) bool {
	return oid == sqltypes.Date || oid == sqltypes.Timestamp || oid == sqltypes.Timestamptz
}

// numRank orders the numeric types by how wide a result they give.
var numRank = map[sqltypes.OID]int{
	sqltypes.Int2: 1, sqltypes.Int4: 2, sqltypes.Int8: 3, sqltypes.Numeric: 4, sqltypes.Float4: 5, sqltypes.Float8: 6,
}

// common is the type two operands are brought to.
func common(a, b sqltypes.OID) (sqltypes.OID, error) {
	switch {
	case a == b:
		if a == sqltypes.Unknown {
			return sqltypes.Text, nil
		}
		return a, nil
	case a == sqltypes.Unknown:
		return b, nil
	case b == sqltypes.Unknown:
		return a, nil
	case isNumber(a) && isNumber(b):
		if numRank[a] > numRank[b] {
			return a, nil
		}
		return b, nil
	case isText(a) && isText(b):
		return sqltypes.Text, nil
	case isTime(a) && isTime(b):
		return sqltypes.Timestamptz, nil
	}
	return 0, pgerr.New(pgerr.UndefinedFunction, "operator does not exist: %s = %s", typeName(a), typeName(b)).
		WithHint("No operator matches the given name and argument types. You might need to add explicit type casts.")
}

// coerce converts e to type to where Postgres does so implicitly (or, with
// assignment, in an INSERT/UPDATE): numbers to numbers, anything to text,
// dates and timestamps among themselves, untyped literals to anything.
// Constants are converted now, so bad literals fail at planning.
func coerce(e rewrite.Expr, to sqltypes.OID, assignment bool) (rewrite.Expr, error) {
	from := e.Type()
	if from == to || to == 0 {
		return e, nil
	}
	fromElem, fromArr := sqltypes.ElemOf(from)
	toElem, toArr := sqltypes.ElemOf(to)
	ok := from == sqltypes.Unknown ||
		(fromArr && toArr && (fromElem == toElem || isNumber(fromElem) && isNumber(toElem) || isText(fromElem) && isText(toElem))) ||
		(isNumber(from) && isNumber(to)) ||
		(isText(from) && isText(to)) ||
		(isTime(from) && isTime(to)) ||
		(assignment && isText(to))
	if !ok {
		return nil, pgerr.New(pgerr.DatatypeMismatch, "expression is of type %s, expected %s", typeName(from), typeName(to))
	}
	return coerceExplicit(e, to)
}

// coerceExplicit converts e to type to unconditionally (a CAST). A
// constant is converted now, so a bad literal fails at planning with the
// conversion's SQLSTATE (22P02 and friends).
func coerceExplicit(e rewrite.Expr, to sqltypes.OID) (rewrite.Expr, error) {
	if e.Type() == to {
		return e, nil
	}
	if c, ok := e.(*rewrite.Const); ok {
		if c.Value == nil {
			return &rewrite.Const{Typ: to}, nil
		}
		v, err := rewrite.Convert(c.Value, c.Typ, to)
		if err != nil {
			return nil, err
		}
		return &rewrite.Const{Value: v, Typ: to}, nil
	}
	if p, ok := e.(*rewrite.Param); ok && (p.Typ == 0 || p.Typ == sqltypes.Unknown) {
		p.Typ = to
		return p, nil
	}
	return &rewrite.Coerce{Arg: e, To: to}, nil
}

func typeName(oid sqltypes.OID) string {
	if ti, ok := sqltypes.Info(oid); ok {
		return ti.SQLName
	}
	return "unknown"
}

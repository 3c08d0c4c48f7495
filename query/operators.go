package query

import (
	"math"
	"regexp"
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"gopkg.in/inf.v0"

	"github.com/tally-db/tally/pgerr"
	"github.com/tally-db/tally/sqltypes"
)

// binary builds a binary operator over compiled operands.
func binary(op string, l, r *expr) (*expr, error) {
	boolOp := func(f func(x, y any) (any, error)) *expr {
		return &expr{typ: sqltypes.Bool, typmod: -1, eval: strict2(l, r, f)}
	}
	switch op {
	case "=", "<>", "!=", "<", ">", "<=", ">=":
		if !comparable(l.typ, r.typ) {
			return nil, pgerr.New(pgerr.UndefinedFunction, "operator does not exist: %s %s %s", formatType(l.typ, -1), op, formatType(r.typ, -1)).
				WithHint("No operator matches the given name and argument types. You might need to add explicit type casts.")
		}
		return boolOp(func(x, y any) (any, error) {
			c := compare(x, y)
			switch op {
			case "=":
				return c == 0, nil
			case "<>", "!=":
				return c != 0, nil
			case "<":
				return c < 0, nil
			case ">":
				return c > 0, nil
			case "<=":
				return c <= 0, nil
			}
			return c >= 0, nil
		}), nil
	case "~", "!~", "~*", "!~*":
		return boolOp(func(x, y any) (any, error) {
			pat := plainText(y)
			if strings.HasSuffix(op, "*") {
				pat = "(?i)" + pat
			}
			re, err := regexp.Compile(pat)
			if err != nil {
				return nil, pgerr.New(invalidRegularExpression, "invalid regular expression: %v", err)
			}
			return re.MatchString(plainText(x)) != strings.HasPrefix(op, "!"), nil
		}), nil
	case "~~", "!~~", "~~*", "!~~*":
		return boolOp(func(x, y any) (any, error) {
			re, err := likeRegexp(plainText(y), strings.HasSuffix(op, "*"))
			if err != nil {
				return nil, err
			}
			return re.MatchString(plainText(x)) != strings.HasPrefix(op, "!"), nil
		}), nil
	case "||":
		typ := uint32(sqltypes.Text)
		if elemOf(l.typ) != 0 {
			typ = l.typ
		} else if elemOf(r.typ) != 0 {
			typ = r.typ
		}
		return &expr{typ: typ, typmod: -1, eval: strict2(l, r, func(x, y any) (any, error) {
			xa, xok := x.([]any)
			ya, yok := y.([]any)
			switch {
			case xok && yok:
				return append(append([]any{}, xa...), ya...), nil
			case xok:
				return append(append([]any{}, xa...), y), nil
			case yok:
				return append([]any{x}, ya...), nil
			}
			return plainText(x) + plainText(y), nil
		})}, nil
	case "+", "-", "*", "/", "%":
		return arith(op, l, r)
	case "&", "|":
		if !isIntType(l.typ) && l.lit == nil || !isIntType(r.typ) && r.lit == nil {
			break
		}
		l, r = castExpr(l, sqltypes.Int8, -1), castExpr(r, sqltypes.Int8, -1)
		return &expr{typ: sqltypes.Int8, typmod: -1, eval: strict2(l, r, func(x, y any) (any, error) {
			a, ok1 := x.(int64)
			b, ok2 := y.(int64)
			if !ok1 || !ok2 {
				return nil, pgerr.New(pgerr.InvalidTextRepresentation, "invalid input syntax for type bigint")
			}
			if op == "&" {
				return a & b, nil
			}
			return a | b, nil
		})}, nil
	}
	return nil, pgerr.New(pgerr.UndefinedFunction, "operator does not exist: %s %s %s", formatType(l.typ, -1), op, formatType(r.typ, -1)).
		WithHint("No operator matches the given name and argument types. You might need to add explicit type casts.")
}

// strict2 evaluates both operands and returns NULL if either is NULL.
func strict2(l, r *expr, f func(x, y any) (any, error)) func(e *ectx) (any, error) {
	return func(e *ectx) (any, error) {
		x, err := l.eval(e)
		if err != nil {
			return nil, err
		}
		y, err := r.eval(e)
		if err != nil || x == nil || y == nil {
			return nil, err
		}
		return f(x, y)
	}
}

func arith(op string, l, r *expr) (*expr, error) {
	if l.lit != nil {
		l = castExpr(l, sqltypes.Int8, -1)
	}
	if r.lit != nil {
		r = castExpr(r, sqltypes.Int8, -1)
	}
	typ := uint32(sqltypes.Int8)
	switch {
	case l.typ == sqltypes.Float8 || r.typ == sqltypes.Float8 || l.typ == sqltypes.Float4 || r.typ == sqltypes.Float4:
		typ = sqltypes.Float8
	case l.typ == sqltypes.Numeric || r.typ == sqltypes.Numeric:
		typ = sqltypes.Numeric
	case l.typ == sqltypes.Int4 && (r.typ == sqltypes.Int4 || r.typ == sqltypes.Int2):
		typ = sqltypes.Int4
	case !isNumericType(l.typ) || !isNumericType(r.typ):
		return nil, pgerr.New(pgerr.UndefinedFunction, "operator does not exist: %s %s %s", formatType(l.typ, -1), op, formatType(r.typ, -1))
	}
	return &expr{typ: typ, typmod: -1, eval: strict2(l, r, func(x, y any) (any, error) {
		xi, xok := x.(int64)
		yi, yok := y.(int64)
		if xok && yok && typ != sqltypes.Float8 && typ != sqltypes.Numeric {
			return intArith(op, typ, xi, yi)
		}
		if typ == sqltypes.Numeric {
			return decArith(op, toDec(x), toDec(y))
		}
		xf, _ := strconv.ParseFloat(plainText(x), 64)
		yf, _ := strconv.ParseFloat(plainText(y), 64)
		var v float64
		switch op {
		case "+":
			v = xf + yf
		case "-":
			v = xf - yf
		case "*":
			v = xf * yf
		case "/", "%":
			if yf == 0 {
				return nil, pgerr.New(pgerr.DivisionByZero, "division by zero")
			}
			v = xf / yf
		}
		return v, nil
	})}, nil
}

// likeRegexp translates a LIKE pattern (backslash escapes) to a regexp.
func likeRegexp(pat string, fold bool) (*regexp.Regexp, error) {
	var b strings.Builder
	if fold {
		b.WriteString("(?is)^")
	} else {
		b.WriteString("(?s)^")
	}
	for i := 0; i < len(pat); i++ {
		switch c := pat[i]; c {
		case '%':
			b.WriteString(".*")
		case '_':
			b.WriteString(".")
		case '\\':
			if i+1 < len(pat) {
				i++
				b.WriteString(regexp.QuoteMeta(pat[i : i+1]))
			}
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}

// category is the comparison family of a type: values compare only within
// one (Postgres has no bigint = boolean operator).
func category(t uint32) byte {
	switch {
	case t == sqltypes.Unknown:
		return 0
	case isNumericType(t):
		return 'N'
	case isTextType(t):
		return 'S'
	case t == sqltypes.Bool:
		return 'B'
	case t == sqltypes.Date || t == sqltypes.Timestamp || t == sqltypes.Timestamptz:
		return 'D'
	case elemOf(t) != 0:
		return 'A'
	}
	return 'U'
}

func comparable(a, b uint32) bool {
	ca, cb := category(a), category(b)
	return ca == 0 || cb == 0 || ca == cb || ca == 'U' || cb == 'U'
}

func toDec(v any) *inf.Dec {
	switch n := v.(type) {
	case *inf.Dec:
		return n
	case int64:
		return inf.NewDec(n, 0)
	}
	d, _ := new(inf.Dec).SetString(plainText(v))
	if d == nil {
		d = new(inf.Dec)
	}
	return d
}

// decArith is numeric arithmetic; a quotient keeps 16 digits after the
// point at least, as Postgres' numeric division does for short operands.
func decArith(op string, x, y *inf.Dec) (any, error) {
	switch op {
	case "+":
		return new(inf.Dec).Add(x, y), nil
	case "-":
		return new(inf.Dec).Sub(x, y), nil
	case "*":
		return new(inf.Dec).Mul(x, y), nil
	}
	if y.Sign() == 0 {
		return nil, pgerr.New(pgerr.DivisionByZero, "division by zero")
	}
	if op == "%" {
		q := new(inf.Dec).QuoRound(x, y, 0, inf.RoundDown)
		return new(inf.Dec).Sub(x, new(inf.Dec).Mul(q, y)), nil
	}
	scale := max(16, x.Scale(), y.Scale())
	return new(inf.Dec).QuoRound(x, y, scale, inf.RoundHalfUp), nil
}

// concat compiles ||: an untyped literal beside a non-array is text (text
// || anynonarray), beside an array it is an element or an array.
func (p *planner) concat(a *pg_query.A_Expr, s *scope) (*expr, error) {
	l, err := p.compile(a.Lexpr, s, 0)
	if err != nil {
		return nil, err
	}
	r, err := p.compile(a.Rexpr, s, 0)
	if err != nil {
		return nil, err
	}
	if elemOf(l.typ) != 0 || elemOf(r.typ) != 0 {
		l, r = unify(l, r)
	} else {
		if l.lit != nil || l.typ == sqltypes.Unknown {
			l = castExpr(l, sqltypes.Text, -1)
		}
		if r.lit != nil || r.typ == sqltypes.Unknown {
			r = castExpr(r, sqltypes.Text, -1)
		}
	}
	return binary("||", l, r)
}

// intArith is integer arithmetic with Postgres' overflow errors.
func intArith(op string, typ uint32, x, y int64) (any, error) {
	var v int64
	overflow := false
	switch op {
	case "+":
		v = x + y
		overflow = (y > 0 && v < x) || (y < 0 && v > x)
	case "-":
		v = x - y
		overflow = (y < 0 && v < x) || (y > 0 && v > x)
	case "*":
		v = x * y
		overflow = x != 0 && (v/x != y || (x == -1 && y == math.MinInt64) || (y == -1 && x == math.MinInt64))
	case "/", "%":
		if y == 0 {
			return nil, pgerr.New(pgerr.DivisionByZero, "division by zero")
		}
		if y == -1 {
			if op == "%" {
				return int64(0), nil
			}
			overflow = x == math.MinInt64
			v = -x
		} else if op == "/" {
			v = x / y
		} else {
			v = x % y
		}
	}
	if typ == sqltypes.Int4 && (v < math.MinInt32 || v > math.MaxInt32) {
		overflow = true
	}
	if overflow {
		name := "bigint"
		if typ == sqltypes.Int4 {
			name = "integer"
		}
		return nil, pgerr.New(pgerr.NumericValueOutOfRange, "%s out of range", name)
	}
	return v, nil
}

// paramType reports the types a parameter may take from its context: those
// the wire codecs decode (arrays of them too, for = ANY($1)).
func paramType(t uint32) bool {
	if e, ok := sqltypes.ArrayElem(t); ok && t != sqltypes.Int2Vector && t != sqltypes.OIDVector {
		t = e
	}
	_, ok := sqltypes.Info(t)
	return ok
}

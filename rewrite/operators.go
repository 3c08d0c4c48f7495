package rewrite

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"time"

	"gopkg.in/inf.v0"

	"github.com/tally-db/tally/pgerr"
	"github.com/tally-db/tally/sqltypes"
)

// BinOp is an arithmetic or comparison operator over two operands of one
// type (the planner coerces them first). Comparisons return bool.
type BinOp struct {
	Op   string // + - * / % = <> < <= > >=
	L, R Expr
	Typ  sqltypes.OID
}

func (b *BinOp) Type() sqltypes.OID { return b.Typ }
func (b *BinOp) String() string     { return fmt.Sprintf("(%s %s %s)", b.L, b.Op, b.R) }

// Eval applies the operator; NULL in gives NULL out.
func (b *BinOp) Eval(ev *Eval) (any, error) {
	l, err := b.L.Eval(ev)
	if err != nil {
		return nil, err
	}
	r, err := b.R.Eval(ev)
	if err != nil || l == nil || r == nil {
		return nil, err
	}
	switch b.Op {
	case "=", "<>", "!=", "<", "<=", ">", ">=":
		c, err := compare(l, r)
		if err != nil {
			return nil, err
		}
		return map[string]bool{"=": c == 0, "<>": c != 0, "!=": c != 0, "<": c < 0, "<=": c <= 0, ">": c > 0, ">=": c >= 0}[b.Op], nil
	}
	return arith(b.Op, l, r, b.Typ)
}

// AnyAll is `L op ANY (R)` or `L op ALL (R)` over an array R, with SQL's
// three-valued logic: NULL when no element decides and one compared NULL.
type AnyAll struct {
	Op   string
	All  bool
	L, R Expr
}

func (a *AnyAll) Type() sqltypes.OID { return sqltypes.Bool }
func (a *AnyAll) String() string {
	q := "ANY"
	if a.All {
		q = "ALL"
	}
	return fmt.Sprintf("(%s %s %s(%s))", a.L, a.Op, q, a.R)
}

// Eval compares L with each element.
func (a *AnyAll) Eval(ev *Eval) (any, error) {
	l, err := a.L.Eval(ev)
	if err != nil {
		return nil, err
	}
	r, err := a.R.Eval(ev)
	if err != nil || r == nil {
		return nil, err
	}
	sawNull := false
	for _, e := range r.([]any) {
		if l == nil || e == nil {
			sawNull = true
			continue
		}
		c, err := compare(l, e)
		if err != nil {
			return nil, err
		}
		ok := map[string]bool{"=": c == 0, "<>": c != 0, "!=": c != 0, "<": c < 0, "<=": c <= 0, ">": c > 0, ">=": c >= 0}[a.Op]
		if ok != a.All { // a true decides ANY, a false decides ALL
			return ok, nil
		}
	}
	if sawNull {
		return nil, nil
	}
	return a.All, nil
}

// Like is `L [NOT] LIKE pattern` and ILIKE (Fold): % matches any run of
// characters, _ one character, \ escapes the next.
type Like struct {
	L, Pattern Expr
	Fold, Not  bool
}

func (l *Like) Type() sqltypes.OID { return sqltypes.Bool }
func (l *Like) String() string {
	op := "LIKE"
	if l.Fold {
		op = "ILIKE"
	}
	if l.Not {
		op = "NOT " + op
	}
	return fmt.Sprintf("(%s %s %s)", l.L, op, l.Pattern)
}

// Eval matches.
func (l *Like) Eval(ev *Eval) (any, error) {
	s, err := l.L.Eval(ev)
	if err != nil || s == nil {
		return nil, err
	}
	p, err := l.Pattern.Eval(ev)
	if err != nil || p == nil {
		return nil, err
	}
	str, pat := []rune(s.(string)), []rune(p.(string))
	if l.Fold {
		str, pat = []rune(strings.ToLower(string(str))), []rune(strings.ToLower(string(pat)))
	}
	ok, err := likeMatch(str, pat)
	if err != nil {
		return nil, err
	}
	return ok != l.Not, nil
}

// likeMatch matches s against a LIKE pattern in O(len(s)·len(p)): only the
// latest % is ever backtracked to (a hostile pattern can't blow up).
func likeMatch(s, p []rune) (bool, error) {
	type tok struct {
		kind byte // '%', '_' or 'c' (a literal r)
		r    rune
	}
	var toks []tok
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '%', '_':
			toks = append(toks, tok{kind: byte(p[i])})
		case '\\':
			if i+1 == len(p) {
				return false, pgerr.New("22025", "LIKE pattern must not end with escape character")
			}
			i++
			toks = append(toks, tok{kind: 'c', r: p[i]})
		default:
			toks = append(toks, tok{kind: 'c', r: p[i]})
		}
	}
	si, ti := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case ti < len(toks) && (toks[ti].kind == '_' || toks[ti].kind == 'c' && toks[ti].r == s[si]):
			si, ti = si+1, ti+1
		case ti < len(toks) && toks[ti].kind == '%':
			star, mark = ti, si
			ti++
		case star >= 0:
			mark++
			si, ti = mark, star+1
		default:
			return false, nil
		}
	}
	for ti < len(toks) && toks[ti].kind == '%' {
		ti++
	}
	return ti == len(toks), nil
}

// compare orders two values of the same Go type.
func compare(l, r any) (int, error) {
	switch x := l.(type) {
	case int64:
		return cmp3(x < r.(int64), x > r.(int64)), nil
	case float64:
		return cmp3(x < r.(float64), x > r.(float64)), nil
	case string:
		return strings.Compare(x, r.(string)), nil
	case bool:
		return cmp3(!x && r.(bool), x && !r.(bool)), nil
	case time.Time:
		return x.Compare(r.(time.Time)), nil
	case [16]byte:
		y := r.([16]byte)
		return bytes.Compare(x[:], y[:]), nil
	case []byte:
		return bytes.Compare(x, r.([]byte)), nil
	case *inf.Dec:
		return x.Cmp(r.(*inf.Dec)), nil
	}
	return 0, pgerr.New(pgerr.UndefinedFunction, "operator does not exist for %T", l)
}

func cmp3(less, more bool) int {
	switch {
	case less:
		return -1
	case more:
		return 1
	}
	return 0
}

// arith computes l op r for numbers.
func arith(op string, l, r any, typ sqltypes.OID) (any, error) {
	switch x := l.(type) {
	case int64:
		y := r.(int64)
		var v int64
		switch op {
		case "+":
			v = x + y
			if (v > x) != (y > 0) {
				return nil, pgerr.New(pgerr.NumericValueOutOfRange, "bigint out of range")
			}
		case "-":
			v = x - y
			if (v < x) != (y > 0) {
				return nil, pgerr.New(pgerr.NumericValueOutOfRange, "bigint out of range")
			}
		case "*":
			v = x * y
			if x != 0 && (v/x != y || (x == -1 && y == math.MinInt64)) {
				return nil, pgerr.New(pgerr.NumericValueOutOfRange, "bigint out of range")
			}
		case "/", "%":
			if y == 0 {
				return nil, pgerr.New(pgerr.DivisionByZero, "division by zero")
			}
			if op == "/" {
				v = x / y
			} else {
				v = x % y
			}
		}
		return v, checkIntRange(v, typ)
	case float64:
		y := r.(float64)
		switch op {
		case "+":
			return x + y, nil
		case "-":
			return x - y, nil
		case "*":
			return x * y, nil
		case "/":
			if y == 0 {
				return nil, pgerr.New(pgerr.DivisionByZero, "division by zero")
			}
			return x / y, nil
		}
	case *inf.Dec:
		y := r.(*inf.Dec)
		switch op {
		case "+":
			return new(inf.Dec).Add(x, y), nil
		case "-":
			return new(inf.Dec).Sub(x, y), nil
		case "*":
			return new(inf.Dec).Mul(x, y), nil
		}
	}
	return nil, pgerr.Unsupported("operator %s on %s is not supported", op, typeName(typ))
}

// BoolOp is AND, OR or NOT with SQL's three-valued logic.
type BoolOp struct {
	Op   string // AND OR NOT
	Args []Expr
}

func (b *BoolOp) Type() sqltypes.OID { return sqltypes.Bool }
func (b *BoolOp) String() string     { return b.Op + exprsString(b.Args) }

// Eval combines the arguments.
func (b *BoolOp) Eval(ev *Eval) (any, error) {
	sawNull := false
	for _, a := range b.Args {
		v, err := a.Eval(ev)
		if err != nil {
			return nil, err
		}
		if v == nil {
			sawNull = true
			continue
		}
		switch x := v.(bool); {
		case b.Op == "NOT":
			return !x, nil
		case b.Op == "AND" && !x:
			return false, nil
		case b.Op == "OR" && x:
			return true, nil
		}
	}
	if sawNull {
		return nil, nil
	}
	return b.Op == "AND", nil
}

// IsNull is `x IS [NOT] NULL`.
type IsNull struct {
	Arg Expr
	Not bool
}

func (n *IsNull) Type() sqltypes.OID { return sqltypes.Bool }
func (n *IsNull) String() string     { return fmt.Sprintf("isnull(%s, not=%v)", n.Arg, n.Not) }

// Eval tests the argument.
func (n *IsNull) Eval(ev *Eval) (any, error) {
	v, err := n.Arg.Eval(ev)
	if err != nil {
		return nil, err
	}
	return (v == nil) != n.Not, nil
}

// Coalesce is COALESCE(a, b, ...): the first non-NULL argument.
type Coalesce struct {
	Args []Expr
	Typ  sqltypes.OID
}

func (c *Coalesce) Type() sqltypes.OID { return c.Typ }
func (c *Coalesce) String() string     { return "coalesce" + exprsString(c.Args) }

// Eval returns the first non-NULL argument, evaluating no further.
func (c *Coalesce) Eval(ev *Eval) (any, error) {
	for _, a := range c.Args {
		v, err := a.Eval(ev)
		if err != nil || v != nil {
			return v, err
		}
	}
	return nil, nil
}

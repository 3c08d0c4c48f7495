package rewrite

import (
	"fmt"
	"strings"

	"github.com/tally-db/tally/catalog"
	"github.com/tally-db/tally/pgerr"
	"github.com/tally-db/tally/sqltypes"
)

// evalKeys evaluates the primary keys a statement names (one per IN-list
// combination), dropping duplicates and keys with a NULL part (they match
// no row, as `= NULL` matches nothing in SQL).
func evalKeys(ev *Eval, keys [][]Expr) ([][]any, error) {
	seen := map[string]bool{}
	var out [][]any
	for _, exprs := range keys {
		partial := [][]any{make([]any, 0, len(exprs))}
		for _, e := range exprs {
			v, err := e.Eval(ev)
			if pgerr.CodeOf(err) == pgerr.NumericValueOutOfRange {
				v, err = nil, nil // a number outside the key's type equals no key
			}
			if err != nil {
				return nil, err
			}
			vals := []any{v}
			if _, ok := e.(*Elements); ok {
				vals, _ = v.([]any) // a NULL array names no key
			}
			var next [][]any
			for _, k := range partial {
				for _, v := range vals {
					if v != nil {
						next = append(next, append(append([]any(nil), k...), v))
					}
				}
			}
			partial = next
		}
		for _, key := range partial {
			id := fmt.Sprintf("%#v", key)
			if seen[id] {
				continue
			}
			seen[id] = true
			out = append(out, key)
			if len(out) > MaxKeys {
				return nil, pgerr.New(pgerr.ProgramLimitExceeded, "a statement may name at most %d keys", MaxKeys)
			}
		}
	}
	return out, nil
}

// MaxKeys bounds how many rows one statement may name by key (IN lists,
// ANY arrays).
const MaxKeys = 1000

// keysString renders planned keys for golden tests.
func keysString(keys [][]Expr) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = exprsString(k)
	}
	return strings.Join(parts, " | ")
}

func exprsString(es []Expr) string {
	parts := make([]string, len(es))
	for i, e := range es {
		if e == nil {
			parts[i] = "DEFAULT"
		} else {
			parts[i] = e.String()
		}
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// project evaluates a RETURNING or select list over a row.
func project(ev *Eval, targets []Expr) ([]any, error) {
	out := make([]any, len(targets))
	for i, e := range targets {
		v, err := e.Eval(ev)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// matches evaluates a WHERE filter: only true passes (NULL does not).
func matches(ev *Eval, filter Expr) (bool, error) {
	if filter == nil {
		return true, nil
	}
	v, err := filter.Eval(ev)
	if err != nil {
		return false, err
	}
	b, _ := v.(bool)
	return b, nil
}

func notNullViolation(t *catalog.Table, c *catalog.Column) error {
	return &pgerr.Error{
		Code:    pgerr.NotNullViolation,
		Message: fmt.Sprintf("null value in column %q of relation %q violates not-null constraint", c.Name, t.Name),
	}
}

// checkNotNull refuses a NULL in a NOT NULL or key column.
func checkNotNull(t *catalog.Table, c *catalog.Column, v any) error {
	if v == nil && (c.NotNull || t.IsKey(c)) {
		return notNullViolation(t, c)
	}
	return nil
}

// Elements stands, in a planned key, for the elements of an array known
// only when the statement runs (`key = ANY($1)`): each element is a key.
type Elements struct {
	Array Expr
}

func (e *Elements) Type() sqltypes.OID {
	elem, _ := sqltypes.ElemOf(e.Array.Type())
	return elem
}
func (e *Elements) String() string { return "elements(" + e.Array.String() + ")" }

// Eval returns the array ([]any, or nil for a NULL array).
func (e *Elements) Eval(ev *Eval) (any, error) { return e.Array.Eval(ev) }

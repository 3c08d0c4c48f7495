package rewrite

import (
	"fmt"
	"strings"

	"github.com/tally-db/tally/catalog"
	"github.com/tally-db/tally/pgerr"
)

// evalKeys evaluates the primary keys a statement names (one per IN-list
// combination), dropping duplicates and keys with a NULL part (they match
// no row, as `= NULL` matches nothing in SQL).
func evalKeys(ev *Eval, keys [][]Expr) ([][]any, error) {
	seen := map[string]bool{}
	var out [][]any
	for _, exprs := range keys {
		key := make([]any, len(exprs))
		null := false
		for i, e := range exprs {
			v, err := e.Eval(ev)
			if pgerr.CodeOf(err) == pgerr.NumericValueOutOfRange {
				v, err = nil, nil // a number outside the key's type equals no key
			}
			if err != nil {
				return nil, err
			}
			key[i] = v
			null = null || v == nil
		}
		id := fmt.Sprintf("%#v", key)
		if null || seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, key)
	}
	return out, nil
}

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

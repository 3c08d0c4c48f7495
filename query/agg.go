package query

import (
	"strings"

	"gopkg.in/inf.v0"

	"github.com/tally-db/tally/pgerr"
	"github.com/tally-db/tally/sqltypes"
)

// aggregates are the aggregate functions the engine computes.
var aggregates = map[string]bool{
	"count": true, "min": true, "max": true, "sum": true, "avg": true, "array_agg": true,
	"string_agg": true, "bool_and": true, "bool_or": true, "every": true,
}

// aggCall is one aggregate in a grouped SELECT.
type aggCall struct {
	name     string
	star     bool
	distinct bool
	args     []*expr
	filter   *expr
	order    []sortKey // ORDER BY inside the call (array_agg, string_agg)
	typ      uint32
}

// aggType is the result type of an aggregate over args.
func aggType(name string, args []*expr) uint32 {
	switch name {
	case "count":
		return sqltypes.Int8
	case "bool_and", "bool_or", "every":
		return sqltypes.Bool
	case "string_agg":
		return sqltypes.Text
	case "array_agg":
		if a := arrayOf(args[0].typ); a != 0 {
			return a
		}
		return sqltypes.TextArray
	case "sum":
		switch args[0].typ {
		case sqltypes.Int2, sqltypes.Int4:
			return sqltypes.Int8
		case sqltypes.Float4, sqltypes.Float8:
			return sqltypes.Float8
		}
		return sqltypes.Numeric
	case "avg":
		if args[0].typ == sqltypes.Float4 || args[0].typ == sqltypes.Float8 {
			return sqltypes.Float8
		}
		return sqltypes.Numeric
	}
	return args[0].typ // min, max
}

// compute folds the group's rows.
func (a *aggCall) compute(rows []*ectx) (any, error) {
	type item struct {
		args []any
		keys []any
	}
	var items []item
	seen := map[string]bool{}
	for _, c := range rows {
		if a.filter != nil {
			v, err := a.filter.eval(c)
			if err != nil {
				return nil, err
			}
			if !truthy(v) {
				continue
			}
		}
		args := make([]any, len(a.args))
		for i, x := range a.args {
			v, err := x.eval(c)
			if err != nil {
				return nil, err
			}
			args[i] = v
		}
		if !a.star && a.name != "array_agg" && len(args) > 0 && args[0] == nil {
			continue // aggregates skip NULL inputs (array_agg keeps them)
		}
		if a.distinct {
			k := rowKey(args)
			if seen[k] {
				continue
			}
			seen[k] = true
		}
		keys := make([]any, len(a.order))
		for i, s := range a.order {
			v, err := s.e.eval(c)
			if err != nil {
				return nil, err
			}
			keys[i] = v
		}
		items = append(items, item{args, keys})
	}
	if len(a.order) > 0 {
		sortStable(len(items), func(i, j int) bool { return lessKeys(a.order, items[i].keys, items[j].keys) },
			func(i, j int) { items[i], items[j] = items[j], items[i] })
	}
	if a.name == "count" {
		return int64(len(items)), nil
	}
	if len(items) == 0 {
		return nil, nil
	}
	switch a.name {
	case "min", "max":
		best := items[0].args[0]
		for _, it := range items[1:] {
			c := compare(it.args[0], best)
			if (a.name == "min" && c < 0) || (a.name == "max" && c > 0) {
				best = it.args[0]
			}
		}
		return best, nil
	case "bool_and", "every", "bool_or":
		acc := a.name != "bool_or"
		for _, it := range items {
			b := truthy(it.args[0])
			if a.name == "bool_or" {
				acc = acc || b
			} else {
				acc = acc && b
			}
		}
		return acc, nil
	case "array_agg":
		out := make([]any, len(items))
		for i, it := range items {
			out[i] = it.args[0]
		}
		return out, nil
	case "string_agg":
		var b strings.Builder
		for i, it := range items {
			if i > 0 && len(it.args) > 1 && it.args[1] != nil {
				b.WriteString(plainText(it.args[1]))
			}
			b.WriteString(plainText(it.args[0]))
		}
		return b.String(), nil
	case "sum", "avg":
		return sumItems(a, len(items), func(i int) any { return items[i].args[0] })
	}
	return nil, pgerr.New(pgerr.UndefinedFunction, "function %s does not exist", a.name)
}

// sumItems is sum and avg.
func sumItems(a *aggCall, n int, at func(int) any) (any, error) {
	switch a.typ {
	case sqltypes.Int8:
		var s int64
		for i := 0; i < n; i++ {
			x, _ := at(i).(int64)
			s += x
		}
		return s, nil
	case sqltypes.Float8:
		var s float64
		for i := 0; i < n; i++ {
			switch x := at(i).(type) {
			case float64:
				s += x
			case int64:
				s += float64(x)
			}
		}
		if a.name == "avg" {
			s /= float64(n)
		}
		return s, nil
	}
	s := new(inf.Dec)
	for i := 0; i < n; i++ {
		switch x := at(i).(type) {
		case int64:
			s.Add(s, inf.NewDec(x, 0))
		case *inf.Dec:
			s.Add(s, x)
		}
	}
	if a.name == "avg" {
		return new(inf.Dec).QuoRound(s, inf.NewDec(int64(n), 0), 16, inf.RoundHalfUp), nil
	}
	return s, nil
}

// sortStable is a stable insertion sort (aggregate inputs are small).
func sortStable(n int, less func(i, j int) bool, swap func(i, j int)) {
	for i := 1; i < n; i++ {
		for j := i; j > 0 && less(j, j-1); j-- {
			swap(j, j-1)
		}
	}
}

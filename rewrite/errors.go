package rewrite

import (
	"errors"

	"github.com/tally-db/tally/pgerr"
)

// ErrStalePlan is wrapped by the error of an operation planned against a
// table that has since been dropped and created again: the planner plans
// the statement anew.
var ErrStalePlan = errors.New("rewrite: table changed since planning")

func errUndefinedTable(name string) error {
	return pgerr.New(pgerr.UndefinedTable, "relation %q does not exist", name)
}

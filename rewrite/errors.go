package rewrite

import "github.com/tally-db/tally/pgerr"

func errUndefinedTable(name string) error {
	return pgerr.New(pgerr.UndefinedTable, "relation %q does not exist", name)
}

package query

import "github.com/tally-db/tally/pgerr"

// SQLSTATEs the engine raises that pgerr does not name.
const (
	cannotCoerce             pgerr.Code = "42846"
	invalidRegularExpression pgerr.Code = "2201B"
	undefinedSchema          pgerr.Code = "3F000"
)

// Module compat holds the Go client scenarios of the compatibility suite. It is a module of
// its own so that GORM, lib/pq and their dependencies never enter tally's go.mod, and so
// `go test ./...` at the repository root skips it. It talks to tally over the wire only.
module github.com/tally-db/tally/tests/compat/go

go 1.26.8

require (
	github.com/jackc/pgx/v5 v5.13.0
	github.com/lib/pq v1.12.3
	gorm.io/driver/postgres v1.6.3
	gorm.io/gorm v1.31.2
)

require (
	github.com/jackc/pgpassfile v1.0.0 // indirect
	github.com/jackc/pgservicefile v0.0.0-20240606120523-5a60cdf6a761 // indirect
	github.com/jackc/puddle/v2 v2.2.3 // indirect
	github.com/jinzhu/inflection v1.0.0 // indirect
	github.com/jinzhu/now v1.1.5 // indirect
	golang.org/x/sync v0.22.0 // indirect
	golang.org/x/text v0.41.0 // indirect
)

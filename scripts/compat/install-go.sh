#!/usr/bin/env bash
# install-go.sh — the Go clients of the compatibility suite (pgx, lib/pq, GORM). They live
# in their own module, tests/compat/go, whose go.mod/go.sum pin the versions:
#   github.com/jackc/pgx/v5 v5.13.0, github.com/lib/pq v1.12.3,
#   gorm.io/gorm v1.31.2, gorm.io/driver/postgres v1.6.3
# Downloads the modules (a no-op when the module cache has them) and builds the scenarios,
# so the first scenario run doesn't pay for compiling.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../../tests/compat/go"
go mod download
go build ./...
echo "install-go: modules of tests/compat/go ready"

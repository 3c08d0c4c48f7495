# tally — developer tasks. Add a target: name it in .PHONY (every target here is a
# command, not a file; `cassandra` must be phony since ./cassandra is a Go package dir).

CASSANDRA_CTL := bash scripts/cassandra/ctl.sh
GO ?= go
# Flags for `make run`, e.g. make run ARGS='--listen 127.0.0.1:6432'
ARGS ?=
# PostgreSQL 15 server binaries for `make bench` (empty: leave PostgreSQL out)
PG_BIN ?= /usr/lib/postgresql/15/bin
# nodetool for `make bench` to flush and compact its keyspace before a second read of the
# long-history row (empty: skip; it fails harmlessly where .cache has no Cassandra jars)
NODETOOL ?= bash scripts/cassandra/ctl.sh nodetool 1

## build: bin/tally
build:
	$(GO) build -o bin/tally ./cmd/tally

## run: Cassandra (started if needed) and tally in the foreground on 127.0.0.1:5432; Ctrl-C stops tally
run: cassandra build
	./bin/tally serve $(ARGS)

## test: every test, against the real Cassandra (started if needed)
test: cassandra
	$(GO) test -count=1 -timeout 20m ./...

## bench-hotkey: 64 clients on one row against 64 clients on 64 rows (compare incr/s)
bench-hotkey: cassandra
	$(GO) test -run '^$$' -bench HotKey -benchtime 4000x -count 1 ./tests/bench

## bench: issue 5's benchmark — tally against native counters, the write floor and PostgreSQL 15,
## reads, CPU, memory and scale-out; prints the table and writes .bench/results.{md,csv} and
## .bench/throughput.svg. QUICK=1: fewer samples, under 3 minutes. More flags: BENCH_ARGS='...'
## (bin/tallybench -h). Starts its own PostgreSQL from PG_BIN on port 55530.
bench: cassandra build
	$(GO) build -o bin/tallybench ./cmd/tallybench
	ulimit -n 8192 2>/dev/null || ulimit -n $$(ulimit -Hn); \
	./bin/tallybench $(if $(QUICK),--quick) --pg-bin='$(PG_BIN)' --nodetool='$(NODETOOL)' $(BENCH_ARGS)

## profile: tally's CPU and mutex profiles under 64 clients (uniform and hot); .bench/profile.txt, .bench/tally-{cpu,mutex}.pprof
profile: cassandra build
	$(GO) build -o bin/tallybench ./cmd/tallybench
	./bin/tallybench --profile --systems tally --clients 64 --skip-reads --skip-idle --skip-scale $(BENCH_ARGS)

## test-unit: the tests that need no Cassandra
test-unit:
	$(GO) test -count=1 ./app/... ./activity/... ./metrics/... ./pgerr/... ./sqltypes/... ./catalog/... ./rewrite/... ./planner/... ./proxy/... ./users/... ./cmd/...

## fuzz-short: every fuzz target for FUZZTIME_SHORT (15s) each, one at a time (.ci/run)
## fuzz: the same for FUZZTIME (10m) each, by hand: make fuzz FUZZTIME=10m
## A crasher lands in <pkg>/testdata/fuzz/<Target>/ and is replayed by go test from then on.
FUZZ_TARGETS := ./proxy:FuzzConnection ./proxy:FuzzFrameGate ./planner:FuzzPrepare ./planner:FuzzSQLCommenterTags \
	./planner:FuzzCommentInLiteral ./sqltypes:FuzzDecode ./sqltypes:FuzzDecodeArray ./sqltypes:FuzzCatalogTypes
FUZZTIME ?= 10m
FUZZTIME_SHORT ?= 15s

fuzz-short:
	bash scripts/fuzz.sh $(FUZZTIME_SHORT) $(FUZZ_TARGETS)

fuzz:
	bash scripts/fuzz.sh $(FUZZTIME) $(FUZZ_TARGETS)

## test-compat: real clients and ORMs (psql, pgx, lib/pq, GORM, node-postgres, Knex, pgjdbc,
## ...) at pinned versions against tally; CLIENTS=psql,pgx runs a subset. Matrix: .compat/matrix.md
test-compat: cassandra
	bash tests/compat/run.sh

.PHONY: build run test test-unit test-compat bench bench-hotkey profile cassandra cassandra-stop cluster cluster-stop fuzz fuzz-short

## cassandra: one Cassandra 5.0 node on 127.0.0.1:9042 (no-op when already up).
## With CASSANDRA_EXTERNAL=1, use the Cassandra already running there instead.
cassandra:
ifeq ($(CASSANDRA_EXTERNAL),)
	$(CASSANDRA_CTL) fetch
	$(CASSANDRA_CTL) start 1
else
	@echo "cassandra: using the Cassandra already listening on 127.0.0.1:9042 (CASSANDRA_EXTERNAL)"
endif

## cassandra-stop: stop every local Cassandra node (harmless when none runs)
cassandra-stop:
	$(CASSANDRA_CTL) stop

## cluster: three nodes on 127.0.0.1..3:9042, all UN in nodetool status
cluster:
	$(CASSANDRA_CTL) fetch
	$(CASSANDRA_CTL) start 3

## cluster-stop: stop nodes 1..3
cluster-stop:
	$(CASSANDRA_CTL) stop 3

## test-fault: the 3-node fault suite (tests/fault): starts the cluster, kills nodes and
## tally processes, prints each scenario's figures. Stop the single node first
## (make cassandra-stop): the cluster replaces it and wipes its data.
test-fault: cluster
	$(GO) test -tags fault -count=1 -v -timeout 25m ./tests/fault

.PHONY: test-fault

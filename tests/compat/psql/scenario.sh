#!/usr/bin/env bash
# psql scenario: psql 15 as people use it from a shell and in scripts (ON_ERROR_STOP,
# -c and -f, \dt and \d), asserting every output. Connection from PGHOST, PGPORT, PGUSER,
# PGPASSWORD, PGDATABASE (the password is sent: PGPASSWORD).
set -uo pipefail
PSQL=${PSQL:-psql}
export PGAPPNAME=tally-compat-psql
failed=0 # COMPAT_KEEP_GOING=1: run every step after a failure, exit 1 at the end

# check STEP WANT PSQL-ARGS...: run psql, compare its whole output with WANT.
check() {
  local step=$1 want=$2; shift 2
  local got rc=0
  # VERBOSITY=verbose shows the SQLSTATE of errors and notices; LOCATION (the
  # server's source line) differs between servers and is dropped.
  got=$("$PSQL" -X -v ON_ERROR_STOP=1 -v VERBOSITY=verbose "$@" 2>&1) || rc=$?
  got=$(grep -v '^LOCATION:  ' <<< "$got")
  if ((rc != 0)) || [[ $got != "$want" ]]; then
    echo "FAIL step '$step'"
    echo "  call:     psql $*"
    echo "  expected: $(printf '%q' "$want")"
    echo "  actual:   $(printf '%q' "$got") (exit $rc)"
    failed=$((failed + 1))
    [[ -n ${COMPAT_KEEP_GOING:-} ]] && return 0
    exit 1
  fi
  echo "ok   $step"
}
# value STEP SQL WANT: one value from psql -Atc.
value() { check "$1" "$3" -Atc "$2"; }

value "connect with password" "SELECT current_user" "$PGUSER"
if [[ -n ${COMPAT_AUTH:-} ]]; then
  got=$(PGPASSWORD=wrong-pass "$PSQL" -X -Atc 'SELECT 1' 2>&1)
  if [[ $got == *"password authentication failed for user \"$PGUSER\""* ]]; then
    echo "ok   a wrong password is refused"
  else
    echo "FAIL step 'a wrong password is refused'"
    echo "  call:     PGPASSWORD=wrong-pass psql -Atc 'SELECT 1'"
    echo "  expected: FATAL: password authentication failed for user \"$PGUSER\""
    echo "  actual:   $got"
    failed=$((failed + 1))
    [[ -n ${COMPAT_KEEP_GOING:-} ]] || exit 1
  fi
fi

check "create table" "CREATE TABLE" -c "CREATE TABLE posts (
  id bigint PRIMARY KEY,
  title text NOT NULL,
  likes bigint NOT NULL DEFAULT 0)"
# A migration script run twice: IF NOT EXISTS sees the table (Postgres also sends a
# NOTICE 42P07 "relation already exists, skipping", which scripts don't look at).
check "create table again (IF NOT EXISTS)" "SET
CREATE TABLE" -c "SET client_min_messages = warning" -c "CREATE TABLE IF NOT EXISTS posts (
  id bigint PRIMARY KEY,
  title text NOT NULL,
  likes bigint NOT NULL DEFAULT 0)"

check '\dt lists posts' "public|posts|table|$PGUSER" -At -c '\dt'
check '\d posts shows the columns' "id|bigint||not null|
title|text||not null|
likes|bigint||not null|0" -At -c '\d posts'

check "insert two rows" "INSERT 0 2" -c "INSERT INTO posts (id, title) VALUES (1, 'hello'), (2, 'second')"
check "list the posts" "1|hello|0
2|second|0" -At -c "SELECT id, title, likes FROM posts ORDER BY id"
value "count the posts" "SELECT count(*) FROM posts" 2
value "read the default" "SELECT likes FROM posts WHERE id = 1" 0

# 50 increments in one session, from a script file, as a migration or cron job would.
script=$(mktemp); trap 'rm -f "$script"' EXIT
for _ in $(seq 50); do echo 'UPDATE posts SET likes = likes + 1 WHERE id = 1;'; done > "$script"
check "increment 50 times (psql -f)" "$(for _ in $(seq 50); do echo 'UPDATE 1'; done)" -f "$script"
value "read 50" "SELECT likes FROM posts WHERE id = 1" 50

# 10 concurrent sessions, one increment each.
pids=()
for i in $(seq 10); do
  "$PSQL" -X -v ON_ERROR_STOP=1 -qAtc 'UPDATE posts SET likes = likes + 1 WHERE id = 1 RETURNING likes' \
    > "$script.$i" 2>&1 &
  pids+=($!)
done
bad=0
for i in $(seq 10); do
  wait "${pids[$((i - 1))]}" || { bad=1; echo "concurrent session $i: $(cat "$script.$i")"; }
  rm -f "$script.$i"
done
((bad == 0)) || { echo "FAIL step '10 concurrent increments'"; exit 1; }
echo "ok   10 concurrent increments"
value "read 60" "SELECT id, title, likes FROM posts WHERE id = 1" "1|hello|60"

check "set an absolute value, RETURNING" "7
UPDATE 1" -At -c "UPDATE posts SET likes = 7 WHERE id = 1 RETURNING likes"
value "read 7" "SELECT likes FROM posts WHERE id = 1" 7

check "transaction that commits" "BEGIN
UPDATE 1
UPDATE 1
COMMIT" -c "BEGIN" -c "UPDATE posts SET likes = likes + 5 WHERE id = 1" \
  -c "UPDATE posts SET title = 'edited' WHERE id = 1" -c "COMMIT"
value "read the commit" "SELECT title, likes FROM posts WHERE id = 1" "edited|12"

check "transaction that rolls back" "BEGIN
UPDATE 1
ROLLBACK" -c "BEGIN" -c "UPDATE posts SET likes = likes + 100 WHERE id = 1" -c "ROLLBACK"
value "read after rollback" "SELECT likes FROM posts WHERE id = 1" 12

check "delete the row" "DELETE 1" -c "DELETE FROM posts WHERE id = 1"
value "deleted row is gone" "SELECT likes FROM posts WHERE id = 1" ""
value "the other row is untouched" "SELECT id, title, likes FROM posts WHERE id IN (1, 2)" "2|second|0"
check "increment of the deleted row" "UPDATE 0" -c "UPDATE posts SET likes = likes + 1 WHERE id = 1"

if ((failed)); then echo "psql scenario: $failed steps failed"; exit 1; fi
echo "psql scenario: all steps passed"

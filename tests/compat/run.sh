#!/usr/bin/env bash
# run.sh — the client compatibility suite: real Postgres clients and ORMs, installed from
# their registries at pinned versions, each running one scenario against tally.
#
#   tests/compat/run.sh                  every client of tests/compat/clients.tsv
#   CLIENTS=psql,pgx tests/compat/run.sh only those
#   TALLY_COMPAT_TARGET=127.0.0.1:55501 tests/compat/run.sh
#                                        no tally: run the scenarios against that server
#                                        (a real PostgreSQL proves the scenarios right)
#
# clients.tsv: name<TAB>version<TAB>install-script<TAB>command (command run from the repo
# root; '#' lines and blank lines are skipped). Each command gets PGHOST, PGPORT, PGUSER,
# PGPASSWORD and a fresh PGDATABASE (compat_<name>_<random>: a new Cassandra keyspace per
# client per run) and exits 0 only when every value it asserted matched. COMPAT_AUTH=1 tells
# it that the server checks passwords (a real server, or tally with a users file), so a
# wrong password must be refused.
#
# tests/compat/xfail.tsv: name<TAB>why — clients known to fail on tally today (each line
# names the gap). They show as XFAIL and don't fail the run; one that passes shows as XPASS
# (remove its line). Against TALLY_COMPAT_TARGET the list is ignored: there every client
# must pass.
#
# Output: .compat/logs/<name>.log per client, .compat/logs/tally.log (debug log of tally),
# the matrix on stdout and in .compat/matrix.md. Exit status 1 when a client failed that
# xfail.tsv doesn't list (TALLY_COMPAT_STRICT=1: when any client failed).
# Env: TALLY_COMPAT_PORT (55432), CLIENTS, TALLY_COMPAT_TARGET, TALLY_COMPAT_TIMEOUT
# (seconds per client, 300), TALLY_COMPAT_BIN (a tally binary to run instead of building
# bin/tally), COMPAT_KEEP_GOING=1 (scenarios run every step after a failure).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"

TSV=tests/compat/clients.tsv
XFAIL=tests/compat/xfail.tsv
OUT=.compat
LOGS=$OUT/logs
PORT=${TALLY_COMPAT_PORT:-55432}
TIMEOUT=${TALLY_COMPAT_TIMEOUT:-300}
USER_NAME=compat
USER_PASS=compat-pass

log() { echo "compat: $*" >&2; }
die() { log "$*"; exit 2; }

mkdir -p "$LOGS"

# ---- which clients -------------------------------------------------------------------
names=() versions=() installs=() commands=()
while IFS=$'\t' read -r name version install command; do
  [[ -z $name || $name == \#* ]] && continue
  if [[ -n ${CLIENTS:-} && ",$CLIENTS," != *",$name,"* ]]; then continue; fi
  names+=("$name") versions+=("$version") installs+=("$install") commands+=("$command")
done < "$TSV"
((${#names[@]})) || die "no client selected (CLIENTS=${CLIENTS:-}; see $TSV)"
if [[ -n ${CLIENTS:-} ]]; then
  IFS=, read -ra wanted <<< "$CLIENTS"
  for w in "${wanted[@]}"; do
    grep -q "^$w"$'\t' "$TSV" || die "unknown client '$w' (see $TSV)"
  done
fi

declare -A xfail=()
if [[ -z ${TALLY_COMPAT_TARGET:-} && -f $XFAIL ]]; then
  while IFS=$'\t' read -r name why; do
    [[ -z $name || $name == \#* ]] && continue
    xfail[$name]=$why
  done < "$XFAIL"
fi

# ---- the server ----------------------------------------------------------------------
TALLY_PID=
AUTH=
stop_tally() {
  if [[ -n $TALLY_PID ]] && kill -0 "$TALLY_PID" 2>/dev/null; then
    kill "$TALLY_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$TALLY_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$TALLY_PID" 2>/dev/null || true
  fi
  TALLY_PID=
}
trap stop_tally EXIT

wait_port() { # host port seconds
  local i
  for ((i = 0; i < $3 * 10; i++)); do
    if (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; then return 0; fi
    [[ -n $TALLY_PID ]] && ! kill -0 "$TALLY_PID" 2>/dev/null && return 1
    sleep 0.1
  done
  return 1
}

if [[ -n ${TALLY_COMPAT_TARGET:-} ]]; then
  HOST=${TALLY_COMPAT_TARGET%:*} PORT=${TALLY_COMPAT_TARGET##*:}
  wait_port "$HOST" "$PORT" 5 || die "nothing listens on $TALLY_COMPAT_TARGET"
  AUTH=1
  log "target $HOST:$PORT (no tally started)"
else
  HOST=127.0.0.1
  TALLY=${TALLY_COMPAT_BIN:-bin/tally}
  if [[ -z ${TALLY_COMPAT_BIN:-} ]]; then
    log "building bin/tally"
    go build -o bin/tally ./cmd/tally
  fi
  serve_args=(--listen "$HOST:$PORT" --log-level debug)
  # SCRAM users arrive with `tally users add`; until then tally accepts any password (the
  # scenarios send one all the same).
  if "$TALLY" -h 2>&1 | grep -qw users; then
    users=$OUT/users
    rm -f "$users"
    printf '%s\n' "$USER_PASS" \
      | "$TALLY" users add "$USER_NAME" --users-file "$users" --password-stdin >/dev/null
    serve_args+=(--users-file "$users")
    AUTH=1
  fi
  (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null && die "port $PORT is taken (set TALLY_COMPAT_PORT)"
  "$TALLY" serve "${serve_args[@]}" > "$LOGS/tally.log" 2>&1 &
  TALLY_PID=$!
  wait_port "$HOST" "$PORT" 60 || { tail -20 "$LOGS/tally.log" >&2; die "tally did not start"; }
  log "tally $("$TALLY" version | cut -d' ' -f2)${users:+ with SCRAM users from $users} on $HOST:$PORT (pid $TALLY_PID, log $LOGS/tally.log)"
fi

# ---- install (each script once) ------------------------------------------------------
declare -A installed=() install_ok=()
for i in "${!names[@]}"; do
  s=${installs[$i]}
  [[ -z $s || $s == - || -n ${installed[$s]:-} ]] && continue
  installed[$s]=1
  log "installing: $s"
  if bash "$s" > "$LOGS/install-$(basename "$s" .sh).log" 2>&1; then
    install_ok[$s]=1
  else
    log "$s failed (log: $LOGS/install-$(basename "$s" .sh).log)"
    tail -15 "$LOGS/install-$(basename "$s" .sh).log" | sed 's/^/    /' >&2
  fi
done

# ---- run -----------------------------------------------------------------------------
run_id=$(date +%s)$RANDOM
results=() failed=0 passed=0 xfailed=0
for i in "${!names[@]}"; do
  name=${names[$i]} s=${installs[$i]}
  db=compat_${name//[^a-zA-Z0-9]/_}_$run_id
  clog=$LOGS/$name.log
  start=$(date +%s.%N)
  if [[ -n $s && $s != - && -z ${install_ok[$s]:-} ]]; then
    echo "install failed: $s (see $LOGS/install-$(basename "$s" .sh).log)" > "$clog"
    status=FAIL
  else
    if [[ -n ${TALLY_COMPAT_TARGET:-} ]]; then
      # A real Postgres needs the database; tally creates the keyspace on first CREATE TABLE.
      PGPASSWORD=$USER_PASS psql -X -q -h "$HOST" -p "$PORT" -U "$USER_NAME" -d postgres \
        -c "CREATE DATABASE $db" >/dev/null 2>&1 || true
    fi
    log "running: $name (database $db)"
    if env PGHOST="$HOST" PGPORT="$PORT" PGUSER="$USER_NAME" PGPASSWORD="$USER_PASS" \
         PGDATABASE="$db" PGSSLMODE=disable PGCONNECT_TIMEOUT=10 COMPAT_AUTH="$AUTH" \
         timeout -k 10 "$TIMEOUT" bash -c "${commands[$i]}" > "$clog" 2>&1; then
      status=PASS
    else
      status=FAIL
    fi
  fi
  secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  if [[ -n ${xfail[$name]:-} ]]; then
    [[ $status == PASS ]] && status=XPASS || status=XFAIL
  fi
  case $status in
    PASS | XPASS) passed=$((passed + 1)) ;;
    XFAIL) xfailed=$((xfailed + 1)) ;;
    FAIL) failed=$((failed + 1)) ;;
  esac
  if [[ $status == XPASS ]]; then
    log "$name passed but is listed in $XFAIL: remove its line"
  fi
  if [[ $status == FAIL || $status == XFAIL ]]; then
    log "$name FAILED; last lines of $clog:"
    tail -12 "$clog" | sed 's/^/    /' >&2
  fi
  results+=("$name"$'\t'"${versions[$i]}"$'\t'"$status"$'\t'"$secs")
done

# ---- matrix --------------------------------------------------------------------------
target=${TALLY_COMPAT_TARGET:-tally $(git rev-parse --short HEAD 2>/dev/null || echo '?')}
{
  echo "Compatibility run $(date -u +%Y-%m-%dT%H:%MZ) against $target"
  echo
  echo "| client | version | result | seconds | first failing step |"
  echo "| --- | --- | --- | --- | --- |"
  for r in "${results[@]}"; do
    IFS=$'\t' read -r n v st sec <<< "$r"
    step=
    if [[ $st == FAIL || $st == XFAIL ]]; then
      # Scenarios print "FAIL step <name>" (or "[client] FAIL at step N: <name>").
      step=$(grep -m1 -E '(^|\] )FAIL (at )?step' "$LOGS/$n.log" \
        | sed -E 's/^.*FAIL (at )?step ([0-9]+: )?//; s/\|/\\|/g' || true)
    fi
    echo "| $n | $v | $st | $sec | $step |"
  done
} > "$OUT/matrix.md"
echo
cat "$OUT/matrix.md"
echo
if ((xfailed)); then
  echo "compat: $passed passed, $failed failed, $xfailed expected to fail ($XFAIL)"
else
  echo "compat: $passed passed, $failed failed"
fi
if [[ -n ${TALLY_COMPAT_STRICT:-} ]]; then ((failed + xfailed == 0)); else ((failed == 0)); fi

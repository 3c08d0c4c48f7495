#!/usr/bin/env bash
# ctl.sh — run a local Apache Cassandra 5.0 for tests, from Maven Central jars (no tarball,
# no Docker). Node n listens on 127.0.0.n with the same ports on every address, as ccm does:
# CQL 9042, internode 7000; JMX (for nodetool) on 127.0.0.1:7199+n.
#
#   ctl.sh fetch               jars -> .cache/cassandra/lib (skipped when already there)
#   ctl.sh start [N]           start nodes 1..N (default 1) and wait until all are up
#   ctl.sh stop [N]            stop nodes 1..N (default: every node under .cassandra)
#   ctl.sh kill <n>            kill -9 node n (fault tests)
#   ctl.sh startnode <n>       start node n again and wait until the live nodes see it UP
#   ctl.sh nodetool <n> ARGS   run nodetool against node n
#   ctl.sh status              print which nodes are up
#
# Data and logs: .cassandra/node<n>/{data,commitlog,...,logs/system.log}. Both .cache and
# .cassandra are git-ignored. Env: CASSANDRA_HEAP (2g), CASSANDRA_START_TIMEOUT (180 s per
# node), CASSANDRA_STOP_TIMEOUT (60 s), CASSANDRA_JAVA (a Java 11 or 17 binary).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
LIB=$ROOT/.cache/cassandra/lib
STAMP=$LIB/.fetched                    # holds the hash of the pom.xml the jars came from
BASE=$ROOT/.cassandra
SIZE_FILE=$BASE/cluster-size           # N of the last `start N`; see check_size
HEAP=${CASSANDRA_HEAP:-2g}
START_TIMEOUT=${CASSANDRA_START_TIMEOUT:-180}
STOP_TIMEOUT=${CASSANDRA_STOP_TIMEOUT:-60}
CQL_PORT=9042

# Fixed tokens so no node waits for token allocation. 1-3 split the ring in thirds (the
# 3-node test cluster); 4-6 take the midpoints, so 6 nodes are balanced too.
TOKENS=(-9223372036854775808 -3074457345618258603 3074457345618258602
        -6148914691236517206 0 6148914691236517204)
MAX_NODES=${#TOKENS[@]}

log() { echo "cassandra: $*" >&2; }
die() { log "$*"; exit 1; }

ip_of()   { echo "127.0.0.$1"; }
jmx_of()  { echo $((7199 + $1)); }
dir_of()  { echo "$BASE/node$1"; }
pid_file(){ echo "$BASE/node$1/cassandra.pid"; }

check_n() {
  [[ $1 =~ ^[0-9]+$ ]] && (( $1 >= 1 && $1 <= MAX_NODES )) \
    || die "node number must be 1..$MAX_NODES, got '$1'"
}

# Cassandra 5.0 runs on Java 11 or 17 only; the machine may also have a newer default JDK.
find_java() {
  local j v
  for j in "${CASSANDRA_JAVA:-}" "${JAVA_HOME:+$JAVA_HOME/bin/java}" java \
           /usr/lib/jvm/java-17-openjdk*/bin/java /usr/lib/jvm/java-11-openjdk*/bin/java; do
    [[ -n $j ]] && command -v "$j" >/dev/null 2>&1 || continue
    v=$("$j" -XshowSettings:properties -version 2>&1 | awk '/java.specification.version/ {print $3}')
    if [[ $v == 11 || $v == 17 ]]; then JAVA=$(command -v "$j"); return; fi
  done
  die "no Java 11 or 17 found (set CASSANDRA_JAVA)"
}

# ---- fetch -----------------------------------------------------------------------------

cmd_fetch() {
  local want; want=$(sha256sum "$HERE/pom.xml" | cut -d' ' -f1)
  if [[ -f $STAMP && $(cat "$STAMP") == "$want" ]]; then return; fi
  command -v mvn >/dev/null || die "mvn not found (apt-get install maven)"
  log "fetching Cassandra jars from Maven Central into ${LIB#"$ROOT"/}"
  # Fill a temp dir and rename it, so an interrupted fetch never looks complete.
  local tmp=$LIB.tmp
  rm -rf "$tmp"; mkdir -p "$tmp"
  # Output kept in a file and shown on failure only (Debian's mvn 3.8 prints stray color
  # codes even in batch mode).
  local out=$ROOT/.cache/cassandra/fetch.log
  if ! mvn -q -B -f "$HERE/pom.xml" dependency:copy-dependencies -DoutputDirectory="$tmp" \
       > "$out" 2>&1; then
    sed 's/\x1b\[[0-9;]*m//g' "$out" >&2
    die "mvn dependency:copy-dependencies failed (log: ${out#"$ROOT"/})"
  fi
  compgen -G "$tmp/cassandra-all-*.jar" >/dev/null || die "no cassandra-all jar after fetch"
  rm -rf "$LIB"; mv "$tmp" "$LIB"
  echo "$want" > "$STAMP"
}

# ---- process checks --------------------------------------------------------------------

# The node's pid, if the pid file names a live Cassandra of THIS node (guards against pid reuse).
node_pid() {
  local f pid; f=$(pid_file "$1")
  [[ -f $f ]] || return 1
  pid=$(cat "$f")
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "-Dcassandra.storagedir=$(dir_of "$1") " \
    || return 1
  echo "$pid"
}

port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }

node_up() { node_pid "$1" >/dev/null && port_open "$(ip_of "$1")" "$CQL_PORT"; }

# Node numbers that have a directory under .cassandra, sorted.
known_nodes() {
  local d
  for d in "$BASE"/node*; do [[ -d $d ]] && echo "${d##*/node}"; done | sort -n
}

live_nodes() { local n; for n in $(known_nodes); do node_pid "$n" >/dev/null && echo "$n"; done; true; }

# ---- start -----------------------------------------------------------------------------

# Nodes keep their peers in system tables. A node 1 that was part of a 3-node cluster would
# come back alone believing 2/3 of the ring is down (Unavailable for RF=1 data), so a start
# with a different N wipes the old data first. Never while a node runs: then a smaller start
# whose nodes are all up is a no-op (returns 1), anything else is an error.
check_size() {
  local want=$1 have="" live
  [[ -f $SIZE_FILE ]] && have=$(cat "$SIZE_FILE")
  [[ $have == "$want" ]] && return 0
  live=$(live_nodes)
  if [[ -n $live ]]; then
    if [[ -n $have ]] && (( want < have )) && all_up $(seq 1 "$want"); then
      log "nodes 1..$want already up (as part of a $have-node cluster)"; return 1
    fi
    die "a ${have:-?}-node cluster is running (nodes: $(echo $live)); stop it first"
  fi
  if [[ -n $(known_nodes) ]]; then
    log "cluster size changes from ${have:-?} to $want: removing old data in ${BASE#"$ROOT"/}"
    rm -rf "$BASE"/node*
  fi
  mkdir -p "$BASE"; echo "$want" > "$SIZE_FILE"
}

all_up() { local n; for n; do node_up "$n" || return 1; done; }

# Launch node n in the background, detached from this shell (own session, no tty, stdio to a
# file), unless it is already running. Does not wait.
launch() {
  local n=$1 dir ip; dir=$(dir_of "$n"); ip=$(ip_of "$n")
  if node_pid "$n" >/dev/null; then
    node_up "$n" && log "node$n already up on $ip" || log "node$n already starting"
    return
  fi
  port_open "$ip" "$CQL_PORT" && die "$ip:$CQL_PORT is in use by a process that is not node$n of this checkout (a Cassandra you started yourself? add CASSANDRA_EXTERNAL=1 to use it)"
  port_open 127.0.0.1 "$(jmx_of "$n")" && die "JMX port $(jmx_of "$n") is in use"

  mkdir -p "$dir/conf" "$dir/logs" "$dir/triggers" "$dir/tmp"
  local seeds="" m
  for ((m = 1; m <= $(cat "$SIZE_FILE"); m++)); do seeds+="${seeds:+,}$(ip_of "$m"):7000"; done
  sed -e "s/__IP__/$ip/g" -e "s/__TOKEN__/${TOKENS[$((n-1))]}/" -e "s/__SEEDS__/$seeds/" \
    "$HERE/cassandra.yaml.tmpl" > "$dir/conf/cassandra.yaml"
  # Keep the previous run's logs aside: waiting greps this run's log only.
  local f
  for f in system.log stdout.log; do
    [[ -f $dir/logs/$f ]] && mv "$dir/logs/$f" "$dir/logs/$f.1"
  done

  local args=(
    -Xms"$HEAP" -Xmx"$HEAP" -Xss256k
    # GC settings of conf/jvm17-server.options.
    -XX:+UseG1GC -XX:+ParallelRefProcEnabled -XX:MaxTenuringThreshold=1
    -XX:G1RSetUpdatingPauseTimePercent=5 -XX:MaxGCPauseMillis=300
    -XX:+ExitOnOutOfMemoryError -XX:+PerfDisableSharedMem
    -ea -da:net.openhft...               # as jvm-server.options: asserts on, not in chronicle
    @"$HERE/jvm17.flags"
    -javaagent:"$(compgen -G "$LIB/jamm-*.jar" | head -1)"   # Cassandra measures objects with jamm
    -Djava.net.preferIPv4Stack=true -Dchronicle.analytics.disable=true
    -Dcassandra.config=file://"$dir/conf/cassandra.yaml"
    -Dlogback.configurationFile="$HERE/logback.xml"
    -Dcassandra.logdir="$dir/logs"
    -Dcassandra.storagedir="$dir"        # data, commitlog, hints, saved_caches, cdc_raw
    -Dcassandra.triggers_dir="$dir/triggers"
    -Djava.io.tmpdir="$dir/tmp"          # lz4/snappy unpack native libs here, not litter /tmp
    -Dcassandra-foreground=yes           # keep stdout/stderr open: JVM errors land in stdout.log
    -Dcassandra.jmx.local.port="$(jmx_of "$n")"   # JMX on 127.0.0.1 only, one port per node
    # Test speed-ups, not durable: no fsync, no system-table flush waits, short gossip waits.
    -Dcassandra.skip_sync=true -Dcassandra.unsafesystem=true
    -Dcassandra.ring_delay_ms="${CASSANDRA_RING_DELAY_MS:-5000}"
    -Dcassandra.skip_wait_for_gossip_to_settle=0
    -Dcassandra.superuser_setup_delay_ms=500
    -cp "$dir/conf:$LIB/*" org.apache.cassandra.service.CassandraDaemon
  )
  # Root bypasses RLIMIT_MEMLOCK, so Cassandra's mlockall would pin the whole heap in RAM
  # (1.5 GB RSS instead of 0.5 GB per node, and there is no swap to guard against). Without
  # CAP_IPC_LOCK mlockall fails harmlessly: one "Unable to lock JVM memory" WARN.
  local nolock=()
  [[ $(id -u) == 0 ]] && command -v setpriv >/dev/null && nolock=(setpriv --bounding-set -ipc_lock)
  log "starting node$n on $ip (heap $HEAP, JMX $(jmx_of "$n"))"
  # Own session (setsid) and no tty: the node outlives the calling shell. The wrapper writes
  # its own pid (= java's, after exec) so the pid file is exact.
  "${nolock[@]}" setsid nohup bash -c 'echo $$ > "$0"; exec "$@"' "$(pid_file "$n")" "$JAVA" "${args[@]}" \
    < /dev/null > "$dir/logs/stdout.log" 2>&1 9>&- &
  # Until the wrapper has exec'd java, node_pid would not recognise it yet: wait for that
  # (or for the process to die, which wait_node then reports).
  local i pid
  for i in {1..100}; do
    node_pid "$n" >/dev/null && break
    pid=$(cat "$(pid_file "$n")" 2>/dev/null || true)
    [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null && break
    sleep 0.1
  done
}

tail_logs() {
  local dir; dir=$(dir_of "$1")
  log "---- tail of ${dir#"$ROOT"/}/logs/system.log"
  tail -n 40 "$dir/logs/system.log" 2>/dev/null | cut -c1-300 >&2 || true
  log "---- tail of ${dir#"$ROOT"/}/logs/stdout.log"
  tail -n 15 "$dir/logs/stdout.log" >&2 2>/dev/null || true
}

# Wait until node n logged that CQL is up and startup finished, and its CQL port accepts TCP.
# On timeout the node is left running for inspection (`ctl.sh stop` ends it).
wait_node() {
  local n=$1 deadline=$((SECONDS + START_TIMEOUT)) dir log; dir=$(dir_of "$n")
  log=$dir/logs/system.log
  while :; do
    node_pid "$n" >/dev/null || { tail_logs "$n"; die "node$n exited during startup"; }
    if grep -q "Starting listening for CQL clients" "$log" 2>/dev/null \
       && grep -q "Startup complete" "$log" 2>/dev/null \
       && port_open "$(ip_of "$n")" "$CQL_PORT"; then
      return
    fi
    (( SECONDS < deadline )) || { tail_logs "$n"; die "node$n not up after ${START_TIMEOUT}s"; }
    sleep 1
  done
}

# Wait until every live node's nodetool status shows every live node as UN (Up, Normal).
wait_ring() {
  local nodes=("$@") deadline=$((SECONDS + START_TIMEOUT)) n m out ok
  (( ${#nodes[@]} > 1 )) || return 0
  while :; do
    ok=1
    for n in "${nodes[@]}"; do
      out=$(run_nodetool "$n" status 2>/dev/null) || { ok=0; break; }
      for m in "${nodes[@]}"; do
        grep -qE "^UN +$(ip_of "$m" | sed 's/\./\\./g') " <<<"$out" || { ok=0; break 2; }
      done
    done
    (( ok )) && return
    (( SECONDS < deadline )) || { log "nodes do not all see each other UP:"; echo "$out" >&2; exit 1; }
    sleep 2
  done
}

cmd_start() {
  local count=${1:-1} n t0=$SECONDS
  check_n "$count"
  cmd_fetch
  find_java
  mkdir -p "$BASE"
  check_size "$count" || return 0
  # Node 1 first: on a fresh cluster it is the one the others learn the ring from.
  launch 1; wait_node 1
  for ((n = 2; n <= count; n++)); do launch "$n"; done
  for ((n = 2; n <= count; n++)); do wait_node "$n"; done
  wait_ring $(seq 1 "$count")
  log "up: $count node(s) on 127.0.0.1..$(ip_of "$count"):$CQL_PORT ($((SECONDS - t0))s)"
}

cmd_startnode() {
  local n=${1:?usage: ctl.sh startnode <n>}
  check_n "$n"
  [[ -d $(dir_of "$n") ]] || die "node$n was never started; use: ctl.sh start N"
  cmd_fetch; find_java
  launch "$n"; wait_node "$n"
  wait_ring $(live_nodes)
  log "node$n up"
}

# ---- stop / kill -----------------------------------------------------------------------

# SIGTERM runs Cassandra's shutdown hook (drain); SIGKILL if it takes too long.
cmd_stop() {
  local nodes n pid pids=() deadline
  if [[ -n ${1:-} ]]; then check_n "$1"; nodes=$(seq 1 "$1"); else nodes=$(known_nodes); fi
  for n in $nodes; do
    if pid=$(node_pid "$n"); then log "stopping node$n (pid $pid)"; kill -TERM "$pid"; pids+=("$n:$pid"); fi
  done
  deadline=$((SECONDS + STOP_TIMEOUT))
  for n in "${pids[@]}"; do
    pid=${n#*:}
    while kill -0 "$pid" 2>/dev/null && (( SECONDS < deadline )); do sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then log "node${n%%:*} ignored SIGTERM, killing"; kill -KILL "$pid"; fi
    while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
    rm -f "$(pid_file "${n%%:*}")"
  done
  (( ${#pids[@]} )) || log "no node running"
}

cmd_kill() {
  local n=${1:?usage: ctl.sh kill <n>} pid
  check_n "$n"
  pid=$(node_pid "$n") || { log "node$n is not running"; return; }
  kill -KILL "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  rm -f "$(pid_file "$n")"
  log "node$n killed (pid $pid)"
}

# ---- nodetool / status -----------------------------------------------------------------

# The nodetool that ships in cassandra-all, over JMX on the node's own port. Small client JVM.
run_nodetool() {
  local n=$1; shift
  "$JAVA" -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 @"$HERE/jvm17.flags" \
    -Dlogback.configurationFile="$HERE/logback.xml" \
    -Dcassandra.log.appender=STDERR -Dcassandra.log.level=WARN \
    -cp "$LIB/*" org.apache.cassandra.tools.NodeTool -h 127.0.0.1 -p "$(jmx_of "$n")" "$@"
}

cmd_nodetool() {
  local n=${1:?usage: ctl.sh nodetool <n> <args...>}; shift
  check_n "$n"
  [[ -f $STAMP ]] || die "no jars; run: ctl.sh fetch"
  find_java
  run_nodetool "$n" "$@"
}

cmd_status() {
  local n pid any=""
  for n in $(known_nodes); do
    any=1
    if pid=$(node_pid "$n"); then
      if port_open "$(ip_of "$n")" "$CQL_PORT"; then
        echo "node$n $(ip_of "$n") UP (pid $pid, CQL $(ip_of "$n"):$CQL_PORT, JMX 127.0.0.1:$(jmx_of "$n"))"
      else
        echo "node$n $(ip_of "$n") STARTING (pid $pid, CQL port not open yet)"
      fi
    else
      echo "node$n $(ip_of "$n") DOWN"
    fi
  done
  [[ -n $any ]] || echo "no nodes (run: ctl.sh start)"
}

# One changing command at a time (two `make cassandra` in parallel would launch node 1 twice
# and the loser would overwrite the pid file). The lock waits; launch closes fd 9 so a node
# never inherits it.
lock() { mkdir -p "$BASE"; exec 9> "$BASE/.ctl.lock"; flock 9; }

case ${1:-} in
  fetch)     lock; cmd_fetch ;;
  start)     shift; lock; cmd_start "$@" ;;
  stop)      shift; lock; cmd_stop "$@" ;;
  kill)      shift; lock; cmd_kill "$@" ;;
  startnode) shift; lock; cmd_startnode "$@" ;;
  nodetool)  shift; cmd_nodetool "$@" ;;
  status)    cmd_status ;;
  *) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac

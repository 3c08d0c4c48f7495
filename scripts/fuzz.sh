#!/usr/bin/env bash
# Runs each fuzz target for FUZZTIME, one at a time with one worker (the
# machine is shared), and prints the executions of each. A crasher lands in
# <pkg>/testdata/fuzz/<Target>/, which go test replays from then on.
# usage: scripts/fuzz.sh 15s ./proxy:FuzzConnection ./planner:FuzzPrepare ...
set -euo pipefail
fuzztime=$1
shift
summary=()
for t in "$@"; do
  pkg=${t%%:*} name=${t##*:}
  echo "fuzz: $name in $pkg for $fuzztime"
  log=$(mktemp)
  if ! go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -parallel 1 "$pkg" >"$log" 2>&1; then
    grep -v 'elapsed: [0-9]*[hms]*[0-9]*s*, execs' "$log" | tail -40
    rm -f "$log"
    echo "fuzz: $name FAILED (the crasher is under $pkg/testdata/fuzz/$name/)"
    exit 1
  fi
  execs=$(grep -o 'execs: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  rm -f "$log"
  summary+=("$name: ${execs:-0} execs in $fuzztime")
done
printf 'fuzz: %s\n' "${summary[@]}"

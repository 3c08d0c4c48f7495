#!/usr/bin/env bash
# install-java.sh — the Java clients of the compatibility suite into .compat/java:
#   org.postgresql:postgresql 42.7.14 (pgjdbc), from Maven Central with mvn.
# A no-op when the jar is already there. The scenario itself is compiled by
# tests/compat/java/run.sh with javac against this jar.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEST=$ROOT/.compat/java
ARTIFACTS=(org.postgresql:postgresql:42.7.14)
mkdir -p "$DEST"
for a in "${ARTIFACTS[@]}"; do
  IFS=: read -r group artifact version <<< "$a"
  jar=$DEST/$artifact-$version.jar
  if [[ -s $jar ]]; then echo "install-java: $a already in .compat/java"; continue; fi
  command -v mvn >/dev/null || { echo "install-java: mvn not found (apt-get install maven)" >&2; exit 1; }
  # Output kept in a file and shown on failure only (Debian's mvn prints color codes even with -B).
  log=$DEST/mvn-$artifact.log
  if ! mvn -q -B dependency:copy -Dartifact="$a" -DoutputDirectory="$DEST" > "$log" 2>&1; then
    sed 's/\x1b\[[0-9;]*m//g' "$log" >&2
    echo "install-java: mvn dependency:copy $a failed" >&2
    exit 1
  fi
  [[ -s $jar ]] || { echo "install-java: no $jar after mvn" >&2; exit 1; }
  echo "install-java: $a -> .compat/java/$(basename "$jar")"
done

#!/usr/bin/env bash
# Compile the pgjdbc scenario against the jar install-java.sh fetched, and run it.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
JAR=$ROOT/.compat/java/postgresql-42.7.14.jar
CLASSES=$ROOT/.compat/java/classes
[[ -s $JAR ]] || { echo "no $JAR: run scripts/compat/install-java.sh" >&2; exit 1; }
mkdir -p "$CLASSES"
javac -d "$CLASSES" -cp "$JAR" "$ROOT/tests/compat/java/PgjdbcScenario.java"
exec java -cp "$JAR:$CLASSES" PgjdbcScenario

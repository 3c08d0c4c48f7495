#!/usr/bin/env bash
# install-python.sh: the Python clients of the compatibility suite, pinned, in the
# git-ignored venv .compat/py (made with the machine's python3). Idempotent: when the venv
# already holds exactly these pins it returns at once without asking PyPI.
#
# Used by tests/compat/run.sh (see tests/compat/clients.tsv); run it by hand with
#   bash scripts/compat/install-python.sh
set -euo pipefail

cd "$(dirname "$0")/../.."
VENV=.compat/py
PY=${PYTHON:-python3}

# The pins. Bump one here and the next run reinstalls.
PINS=(
  "psycopg[binary]==3.3.9"
  "psycopg-pool==3.3.3"
  "asyncpg==0.32.0"
  "SQLAlchemy==2.1.9"
  "greenlet==3.5.6"
  "alembic==1.20.1"
  "Django==5.2.19"
)

stamp="$VENV/.pins"
want=$(printf '%s\n' "${PINS[@]}")
if [[ -x $VENV/bin/python && -f $stamp && "$(cat "$stamp")" == "$want" ]]; then
  echo "install-python: $VENV up to date"
  exit 0
fi

if [[ ! -x $VENV/bin/python ]]; then
  echo "install-python: creating $VENV with $($PY --version 2>&1)"
  "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PINS[@]}"
printf '%s\n' "$want" >"$stamp"
echo "install-python: installed:"
"$VENV/bin/python" -m pip list --disable-pip-version-check --format=freeze

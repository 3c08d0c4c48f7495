#!/usr/bin/env bash
# install-node.sh — the Node.js clients of the compatibility suite into .compat/node:
#   pg 8.23.1 (node-postgres), knex 3.3.0, sequelize 6.37.8 (+ pg-hstore 2.3.4, which
# Sequelize's postgres dialect loads). Versions are pinned in tests/compat/node/package.json
# and, with every transitive dependency, in its package-lock.json; `npm ci` installs exactly
# those. A no-op when .compat/node already holds that lockfile's install.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SRC=$ROOT/tests/compat/node
DEST=$ROOT/.compat/node
command -v npm >/dev/null || { echo "install-node: npm not found (apt-get install nodejs npm)" >&2; exit 1; }
want=$(cat "$SRC/package.json" "$SRC/package-lock.json" | sha256sum | cut -d' ' -f1)
if [[ -f $DEST/.installed && $(cat "$DEST/.installed") == "$want" && -d $DEST/node_modules ]]; then
  echo "install-node: .compat/node is up to date"
  exit 0
fi
mkdir -p "$DEST"
cp "$SRC/package.json" "$SRC/package-lock.json" "$DEST/"
rm -f "$DEST/.installed"
(cd "$DEST" && npm ci --no-audit --no-fund --ignore-scripts)
echo "$want" > "$DEST/.installed"
echo "install-node: installed into .compat/node: $(cd "$DEST" && npm ls --depth=0 2>/dev/null | tail -n +2 | tr -d '\n')"

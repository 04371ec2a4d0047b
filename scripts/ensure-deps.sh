#!/bin/sh
# Installs the npm dependencies, Node 24 among them, from the committed lock (`npm ci`), when node_modules is missing
# or older than package-lock.json. npm's own Node may be older: everything after this step runs on
# node_modules/.bin/node. No fallback to `npm install`: that would rewrite the lock, and a lock npm ci refuses is a
# bug to fix in the lock, not to paper over on every fresh clone.
set -e
cd "$(dirname "$0")/.."
if [ ! -x node_modules/.bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[deps] installing npm dependencies and Node 24 from package-lock.json (first run, or the lock changed)..."
  npm ci --no-audit --no-fund --loglevel=error
fi

#!/bin/sh
# Installs the npm dependencies, Node 24 among them, when node_modules is missing or older than package-lock.json.
# npm's own Node may be older: everything after this step runs on node_modules/.bin/node.
set -e
cd "$(dirname "$0")/.."
if [ ! -x node_modules/.bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[deps] installing npm dependencies and Node 24 (first run, or package-lock.json changed)..."
  # npm 11 leaves other platforms' optional packages out of the lock file and then `npm ci` refuses it
  # (npm/cli#4828, #8320); `npm install` honours the same locked versions.
  npm ci --no-audit --no-fund --loglevel=error 2>/dev/null || npm install --no-audit --no-fund --loglevel=error
fi

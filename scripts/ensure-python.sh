#!/bin/sh
# Installs the suite's Python tools (schemathesis, moto, cfn-lint) into .local/venv, once per requirements-dev.txt.
set -e
cd "$(dirname "$0")/.."
venv=.local/venv
stamp="$venv/.requirements-dev.txt"
if [ -x "$venv/bin/python" ] && cmp -s requirements-dev.txt "$stamp"; then exit 0; fi
python=$(command -v python3 || true)
if [ -z "$python" ]; then
  echo "[python] python3 (3.10 or later) is needed for the suite's tools: install it and run again" >&2
  exit 1
fi
echo "[python] installing schemathesis, moto and cfn-lint into $venv (first run, or requirements-dev.txt changed)..."
rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r requirements-dev.txt
cp requirements-dev.txt "$stamp"
echo "[python] ready"

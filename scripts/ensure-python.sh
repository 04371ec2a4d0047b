#!/bin/sh
# Installs into .local/venv the suite's Python tools (schemathesis, moto, cfn-lint: requirements-dev.txt) and what the
# benchmark runs the original volume-service with (Flask, the Kubernetes client: requirements-bench.txt), once per
# change of either file.
set -e
cd "$(dirname "$0")/.."
venv=.local/venv
dev_stamp="$venv/.requirements-dev.txt"
bench_stamp="$venv/.requirements-bench.txt"
if [ -x "$venv/bin/python" ] && cmp -s requirements-dev.txt "$dev_stamp" && cmp -s requirements-bench.txt "$bench_stamp"; then
  exit 0
fi
pip_install() {
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r requirements-dev.txt -r requirements-bench.txt
}
if [ -x "$venv/bin/python" ] && cmp -s requirements-dev.txt "$dev_stamp"; then
  # The suite's tools are in place: only the benchmark's set changed.
  echo "[python] installing the original volume-service's packages into $venv (requirements-bench.txt changed)..."
  pip_install
else
  python=$(command -v python3 || true)
  if [ -z "$python" ]; then
    echo "[python] python3 (3.10 or later) is needed for the suite's tools: install it and run again" >&2
    exit 1
  fi
  echo "[python] installing schemathesis, moto, cfn-lint, Flask and the Kubernetes client into $venv (first run, or requirements-dev.txt changed)..."
  rm -rf "$venv"
  "$python" -m venv "$venv"
  pip_install
  cp requirements-dev.txt "$dev_stamp"
fi
cp requirements-bench.txt "$bench_stamp"
echo "[python] ready"

#!/usr/bin/env bash
# Prepare this machine for shipyard: the container stack (scripts/stack.sh)
# and a virtual environment in .venv with shipyard and its test tools.
# Idempotent; safe to run before either README command.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/stack.sh

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
stamp=.venv/.shipyard-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    echo "bootstrap: installing shipyard and its test dependencies into .venv" >&2
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e '.[test]'
    touch "$stamp"
fi

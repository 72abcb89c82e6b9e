#!/usr/bin/env bash
# Install everything the tests need from this repository's own files, then run them.
#   bash scripts/test.sh            # the whole suite
#   bash scripts/test.sh -k loaders # extra arguments go to pytest
set -euo pipefail
cd "$(dirname "$0")/.."

# Headless Chromium for the browser tests (Debian's package; needs root or sudo).
if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = "0" ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
fi

# Python: one virtual environment with the project and its test extras.
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[test]"

# Neo4j's Cypher linter runs under Node; installed from the lock file.
if [ -f tools/cypher-lint/package-lock.json ]; then
    (cd tools/cypher-lint && npm ci --silent --no-audit --no-fund)
fi

.venv/bin/ruff check .
.venv/bin/python -m pytest "$@"

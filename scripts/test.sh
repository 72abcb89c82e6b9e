#!/usr/bin/env bash
# Install everything the tests need from this repository's own files, then run them.
#   bash scripts/test.sh            # the whole suite
#   bash scripts/test.sh -k loaders # extra arguments go to pytest
set -euo pipefail
cd "$(dirname "$0")/.."

# Headless Chromium for the browser tests, poppler-utils (pdftotext, pdftoppm, pdffonts) to read
# reports back (Debian's packages; needs root or sudo).
if ! command -v chromium >/dev/null 2>&1 || ! command -v pdftotext >/dev/null 2>&1; then
    if [ "$(id -u)" = "0" ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-noto-cjk poppler-utils >/dev/null
fi

# Python: one virtual environment with the project and its test extras.
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[test]"

# Java 17 and Maven start the test Neo4j server (Debian's packages).
if ! command -v java >/dev/null 2>&1 || ! command -v mvn >/dev/null 2>&1; then
    if [ "$(id -u)" = "0" ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq openjdk-17-jdk-headless maven >/dev/null
fi

# Neo4j's Cypher linter runs under Node; installed from the lock file.
if [ -f tools/cypher-lint/package-lock.json ]; then
    (cd tools/cypher-lint && npm ci --silent --no-audit --no-fund)
fi

.venv/bin/ruff check .

# One Neo4j server (Community + GDS, jars fetched from Maven Central once and cached) for the
# whole suite, on a free loopback port, stopped at the end whatever the tests did. The tests
# find it in SUNLIGHT_TEST_NEO4J_*, not NEO4J_URI, which would send every store to it.
NEO4J_DIR=$(mktemp -d "${TMPDIR:-/tmp}/sunlight-test-neo4j.XXXXXX")
stop_neo4j() {
    bash scripts/neo4j-server.sh stop "$NEO4J_DIR" || true
    rm -rf "$NEO4J_DIR"
}
trap stop_neo4j EXIT
NEO4J_PORT=$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
NEO4J_ENV=$(bash scripts/neo4j-server.sh start "$NEO4J_DIR" "$NEO4J_PORT")
SUNLIGHT_TEST_NEO4J_URI=$(sed -n 's/^NEO4J_URI=//p' <<<"$NEO4J_ENV")
SUNLIGHT_TEST_NEO4J_USERNAME=$(sed -n 's/^NEO4J_USERNAME=//p' <<<"$NEO4J_ENV")
SUNLIGHT_TEST_NEO4J_PASSWORD=$(sed -n 's/^NEO4J_PASSWORD=//p' <<<"$NEO4J_ENV")
export SUNLIGHT_TEST_NEO4J_URI SUNLIGHT_TEST_NEO4J_USERNAME SUNLIGHT_TEST_NEO4J_PASSWORD
unset NEO4J_URI NEO4J_USERNAME NEO4J_PASSWORD NEO4J_DATABASE

.venv/bin/python -m pytest "$@"

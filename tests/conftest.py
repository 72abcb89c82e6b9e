"""Fixtures shared across the suite: a real Neo4j server for the tests that need one.

``bash scripts/test.sh`` starts one server for the whole run and names it in
``SUNLIGHT_TEST_NEO4J_URI`` / ``_USERNAME`` / ``_PASSWORD`` (not ``NEO4J_URI``: that would
send every other test's store to the server). Run on its own, pytest starts one itself
through ``scripts/neo4j-server.sh`` in a temporary folder and stops it at the end, so
``pytest tests/test_store_contract.py`` works too. Nothing skips Neo4j: a server that cannot
be started fails the tests that need it.
"""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SERVER_SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "neo4j-server.sh"
#: The first start fetches about 150 MB of jars; later starts take tens of seconds.
_START_TIMEOUT_SECONDS = 900


@dataclass(frozen=True)
class Neo4jServer:
    uri: str
    username: str
    password: str

    @property
    def auth(self) -> tuple[str, str]:
        return (self.username, self.password)

    def env(self) -> dict[str, str]:
        """The environment that points Sunlight at this server."""
        return {"NEO4J_URI": self.uri, "NEO4J_USERNAME": self.username, "NEO4J_PASSWORD": self.password}

    def clear(self) -> None:
        """Delete every node and relationship (the constraints stay), and GDS's projections."""
        from neo4j import GraphDatabase

        with GraphDatabase.driver(self.uri, auth=self.auth) as driver, driver.session() as session:
            # batched in an auto-commit transaction: a large test graph would not fit one
            session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()
            session.run(
                "CALL gds.graph.list() YIELD graphName "
                "CALL gds.graph.drop(graphName) YIELD graphName AS dropped RETURN count(dropped) AS n"
            ).consume()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _parse_env(text: str) -> dict[str, str]:
    pairs = (line.partition("=") for line in text.splitlines() if "=" in line)
    return {key: value for key, _, value in pairs}


@pytest.fixture(scope="session")
def neo4j_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Neo4jServer]:
    """The test server: the one ``scripts/test.sh`` started, else one started here."""
    given = os.environ.get("SUNLIGHT_TEST_NEO4J_URI")
    if given:
        yield Neo4jServer(
            given,
            os.environ.get("SUNLIGHT_TEST_NEO4J_USERNAME", "neo4j"),
            os.environ.get("SUNLIGHT_TEST_NEO4J_PASSWORD", ""),
        )
        return
    folder = tmp_path_factory.mktemp("neo4j-server")
    started = subprocess.run(
        ["bash", str(SERVER_SCRIPT), "start", str(folder), str(_free_port())],
        capture_output=True,
        text=True,
        timeout=_START_TIMEOUT_SECONDS,
        check=False,
    )
    if started.returncode != 0:
        pytest.fail(f"could not start the test Neo4j server:\n{started.stderr}", pytrace=False)
    env = _parse_env(started.stdout)
    try:
        yield Neo4jServer(env["NEO4J_URI"], env["NEO4J_USERNAME"], env["NEO4J_PASSWORD"])
    finally:
        subprocess.run(["bash", str(SERVER_SCRIPT), "stop", str(folder)], timeout=120, check=False)

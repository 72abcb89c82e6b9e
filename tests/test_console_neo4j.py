"""The console's queries are read-only on a real Neo4j server: a library entry that writes is run
the way the console page runs one (``StoreSource.read`` then ``run_query``) and the server itself
refuses it, whatever kind of write it is; the graph is unchanged afterwards.

The console offers only the entries of the library, so a write can reach it only as a library
file; here each is a file of a library folder made for the test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from graph.dataset import GraphData
from graph.errors import StoreQueryError
from graph.neo4j_store import Neo4jStore
from sunlight.querylib import run_query
from sunlight.ui.source import StoreSource

WRITES = {
    "create": "CREATE (:Supplier {id: 'S-new', name: '新公司'})",
    "merge": "MERGE (s:Supplier {id: 'S-new'}) RETURN s.id AS id",
    "set": "MATCH (c:Contract) SET c.amount = 0 RETURN count(c) AS n",
    "delete": "MATCH (c:Contract) DETACH DELETE c",
    "remove": "MATCH (c:Contract) REMOVE c.amount RETURN count(c) AS n",
    "subquery": "MATCH (c:Contract) CALL (c) { SET c.amount = 1 } RETURN count(c) AS n",
    "schema": "CREATE INDEX console_write IF NOT EXISTS FOR (n:Contract) ON (n.category)",
}


def library(folder: Path) -> Path:
    """A library folder with one entry per kind of write, plus one that only reads."""
    folder.mkdir()
    entries = {**WRITES, "reads": "MATCH (c:Contract) RETURN c.id AS id, c.amount AS amount ORDER BY id"}
    for name, text in entries.items():
        (folder / f"{name}.cypher").write_text(
            f"// name: {name}\n// title_zh: 写入 {name}\n// title_en: write {name}\n"
            f"// description_zh: 测试\n// description_en: test\n// returns: n\n{text}\n",
            encoding="utf-8",
        )
    return folder


@pytest.fixture
def console_source(neo4j_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> StoreSource:
    """The source the console page reads, pointed at the test server with two contracts in it."""
    neo4j_server.clear()
    data = GraphData()
    data.add_nodes("Contract", pd.DataFrame({"id": ["C1", "C2"], "amount": [120000.0, 800.0]}))
    with Neo4jStore(neo4j_server.uri, auth=neo4j_server.auth) as store:
        store.write(data)
    for key, value in neo4j_server.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("SUNLIGHT_AUDIT_DIR", str(tmp_path / "audit"))
    source = StoreSource.from_env()
    assert source.neo4j_uri == neo4j_server.uri
    return source


def test_the_console_runs_a_reading_entry_on_the_server(console_source: StoreSource, tmp_path: Path) -> None:
    folder = library(tmp_path / "library")
    rows = console_source.read(lambda store: run_query(store, "reads", {}, folder))
    assert rows.to_dict("records") == [{"id": "C1", "amount": 120000.0}, {"id": "C2", "amount": 800.0}]


@pytest.mark.parametrize("kind", sorted(WRITES))
def test_a_write_in_the_console_is_refused_by_the_server(
    console_source: StoreSource, neo4j_server: Any, tmp_path: Path, kind: str
) -> None:
    folder = library(tmp_path / "library")
    with pytest.raises(StoreQueryError) as refused:
        console_source.read(lambda store: run_query(store, kind, {}, folder))
    # the refusal is the server's (a READ transaction), not a check of the text in Python
    assert f"Neo4j at {neo4j_server.uri}" in str(refused.value)
    assert "refused a write in a read-only query" in str(refused.value)
    assert "Writing in read access mode not allowed" in str(refused.value)
    with Neo4jStore(neo4j_server.uri, auth=neo4j_server.auth) as store:
        assert store.counts()["nodes"]["Contract"] == 2 and store.counts()["nodes"]["Supplier"] == 0
        amounts = store.query("MATCH (c:Contract) RETURN c.id AS id, c.amount AS amount ORDER BY id")
        assert amounts["amount"].tolist() == [120000.0, 800.0]
        indexes = store.query("SHOW INDEXES YIELD name WHERE name = 'console_write' RETURN name")
        assert indexes.empty

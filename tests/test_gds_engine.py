"""The ``gds`` community engine: Louvain on a real Neo4j server's Graph Data Science plugin."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from detectors.community_engines import (
    EngineUnavailable,
    WeightedGraph,
    available_engines,
    louvain,
    on_server,
    resolve_engine,
)
from graph.ladybug_store import LadybugStore
from graph.neo4j_store import Neo4jStore


def planted_partition(groups: int = 30, size: int = 20, seed: int = 5) -> WeightedGraph:
    """Dense groups (three links per member inside), one link in twenty between groups, and
    three isolated nodes: the kind of graph a collusion projection makes."""
    rng = np.random.default_rng(seed)
    n = groups * size
    pairs = set()
    for g in range(groups):
        members = np.arange(g * size, (g + 1) * size)
        for _ in range(size * 3):
            a, b = (int(x) for x in rng.choice(members, size=2, replace=False))
            pairs.add((min(a, b), max(a, b)))
    for _ in range(n // 20 * 3):
        a, b = (int(x) for x in rng.integers(n, size=2))
        if a != b:
            pairs.add((min(a, b), max(a, b)))
    edges = np.array(sorted(pairs))
    labels = tuple(f"v{i:04d}" for i in range(n + 3))
    return WeightedGraph(labels, edges[:, 0], edges[:, 1], rng.random(len(edges)) + 0.5)


def generated_approval_graph(folder: Path, scale: int, seed: int, profile: str) -> WeightedGraph:
    """The approver–supplier graph of a generated organisation, as ``sunlight bench`` builds it."""
    from loaders import load_source
    from loaders.generator import generate
    from sunlight.cartel_eval import snapshot_via_store

    generate(folder, scale=scale, seed=seed, profile=profile)
    return WeightedGraph.from_networkx(snapshot_via_store(load_source(folder).data).approval_graph)


@pytest.fixture
def server_store(neo4j_server: Any) -> Any:
    store = Neo4jStore(neo4j_server.uri, auth=neo4j_server.auth)
    yield store
    store.close()


def test_outside_a_server_the_engine_says_what_it_needs() -> None:
    assert "gds" not in available_engines()
    with pytest.raises(EngineUnavailable, match="Neo4j server with the Graph Data Science plugin"):
        resolve_engine("gds")


def test_the_embedded_store_offers_no_gds(tmp_path: Path) -> None:
    with LadybugStore(tmp_path / "store") as store:
        assert store.gds_runner() is None


def test_gds_finds_communities_as_good_as_igraphs_and_the_same_every_time(server_store: Any) -> None:
    assert server_store.gds_available()
    graph = planted_partition()
    reference = louvain(graph, "igraph", seed=0)
    with on_server(server_store.gds_runner()):
        # offered, but taken only when named: auto stays in-process, the same on every store
        assert available_engines()[-1] == "gds" and resolve_engine("auto") == "leiden"
        first = louvain(graph, "gds")
        again = louvain(graph, "gds")
    assert first.engine == "gds"
    assert abs(first.modularity - reference.modularity) <= 0.01 * reference.modularity
    assert np.array_equal(first.membership, again.membership)
    # isolated nodes are communities of their own, as on every engine
    assert len(set(first.membership[-3:].tolist())) == 3
    with on_server(server_store.gds_runner()), pytest.raises(EngineUnavailable, match="resolution"):
        louvain(graph, "gds", resolution=1.5)


@pytest.mark.parametrize(("seed", "profile"), [(2, "classic"), (4, "random")])
def test_gds_is_as_good_as_igraph_on_a_bipartite_approval_graph(
    server_store: Any, tmp_path: Path, seed: int, profile: str
) -> None:
    # Every approver links only to suppliers: GDS's Louvain alone moves one side of such a graph
    # at once against stale community totals, and on the first of these fell 45 % below igraph.
    graph = generated_approval_graph(tmp_path / "data", 3000, seed, profile)
    sides = {label.split(":")[0] for label in graph.labels}
    assert sides == {"employee", "supplier"}, sides
    reference = louvain(graph, "igraph", seed=0)
    with on_server(server_store.gds_runner()):
        found = louvain(graph, "gds", seed=0)
        again = louvain(graph, "gds", seed=0)
    assert found.modularity >= 0.99 * reference.modularity, (found.modularity, reference.modularity)
    assert np.array_equal(found.membership, again.membership)


def test_detectors_set_to_gds_partition_on_the_server_the_store_is_on(
    neo4j_server: Any, tmp_path: Path
) -> None:
    from loaders import load_source
    from loaders.generator import generate
    from sunlight.pipeline import detect_and_save

    neo4j_server.clear()
    generate(tmp_path / "data", scale=500, seed=11)
    settings = tmp_path / "settings.yaml"
    settings.write_text("approval_communities: {engine: gds}\ncobid_communities: {engine: gds}\n")
    store = Neo4jStore(neo4j_server.uri, auth=neo4j_server.auth)
    try:
        store.write(load_source(tmp_path / "data").data)
        outcome = detect_and_save(store, str(settings), only=["approval_communities", "cobid_communities"])
        assert {o.detector.id for o in outcome.result.outcomes} == {
            "approval_communities",
            "cobid_communities",
        }
        assert not outcome.result.failed, [o.error for o in outcome.result.failed]
    finally:
        neo4j_server.clear()
        store.close()

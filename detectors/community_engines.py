"""Community detection behind one function, on interchangeable engines.

Every detector that needs communities calls :func:`louvain`; it is the only place
that chooses an engine. Every engine maximises the same quality, Newman's weighted
modularity at a resolution, by Louvain's local moving and aggregation (Blondel et al.
2008); they differ in speed and in how close they come to the best partition:

* ``leiden`` (igraph's ``Graph.community_leiden``, modularity objective) — in C, the
  default: Louvain with a refinement step between moving and aggregating (Traag,
  Waltman & van Eck 2019) that keeps every community connected and lets a later pass
  move what an earlier one settled badly. On the approver–supplier graph of 1 M
  contracts (95 k nodes, 968 k edges) it takes under a second for the whole call and
  finds a higher modularity than the reference (docs/benchmarks.md);
* ``python-louvain`` (``import community``) — the reference implementation the
  design names; pure Python, 20–40 s on the same graph;
* ``igraph`` (``Graph.community_multilevel``) — igraph's Louvain in C: fast, but on
  weakly structured graphs its one pass lands 1–3 % below the reference's modularity;
* ``networkx`` (``nx.community.louvain_communities``) — pure Python, as slow as the
  reference;
* ``gds`` — on a Neo4j server with the Graph Data Science plugin, for graphs that
  outgrow one machine's Python: the graph is projected on the server
  (``gds.graph.project``), partitioned there by GDS's Leiden (``gds.leiden.mutate``,
  seeded with ``randomSeed``), whose partition then seeds GDS's Louvain
  (``gds.louvain.stream`` with ``seedProperty``); the better of the two by
  :func:`modularity` is kept and the projection dropped. Both run with concurrency 1, so a
  run is reproducible. It is available only inside :func:`on_server`, which the pipeline
  opens when the store offers GDS.

  Why not GDS's Louvain alone: it moves, in parallel, all nodes of one colour of a
  greedy colouring at once, each against the community totals as they were before any of
  them moved (Lu, Halappanavar and Kalyanaraman 2015). A bipartite graph — the
  approver–supplier graph is one — has two colours, so every supplier moves at once, then
  every approver; the moves overshoot, the second sweep lowers modularity, and GDS takes
  the fall for convergence (docs/benchmarks.md has the figures). GDS's Leiden moves one
  node at a time against live totals; seeded from its partition, Louvain's colour sweeps
  start where few nodes still move.

``engine="auto"`` takes the fastest engine installed in this process (leiden where igraph is):
``gds`` is never faster than igraph where both fit (it pays for the projection and two
algorithms) and runs only when named, so ``auto`` gives the same partition on every store.
Each engine is seeded, so a run is reproducible: the same graph, engine and seed give the
same partition.
Communities are numbered by decreasing size, ties broken by their smallest
member's label, so the numbering does not depend on the engine's internal order.

Graphs travel as :class:`WeightedGraph` (integer edge arrays plus node labels)
rather than as networkx graphs: the fast engines then never pay for building a
networkx graph, and :func:`modularity` scores any partition the same way.
"""

from __future__ import annotations

import importlib.util
import random
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np

__all__ = [
    "DEFAULT_ENGINE",
    "ENGINES",
    "METHOD_OF",
    "EngineUnavailable",
    "GdsRunner",
    "Partition",
    "WeightedGraph",
    "available_engines",
    "canonical_membership",
    "gds_statements_for_linting",
    "louvain",
    "modularity",
    "on_server",
    "resolve_engine",
]

DEFAULT_ENGINE = "leiden"
#: Every engine: the in-process ones from the slowest to the fastest, then the server's.
ENGINES: tuple[str, ...] = ("python-louvain", "networkx", "igraph", "leiden", "gds")
#: ``auto`` takes the last of these that is installed.
_IN_PROCESS = ENGINES[:4]
_MODULE_OF = {"python-louvain": "community", "networkx": "networkx", "igraph": "igraph", "leiden": "igraph"}
#: The method each engine runs, as an explanation names it.
METHOD_OF = {engine: "Leiden" if engine == "leiden" else "Louvain" for engine in ENGINES}
#: Leiden passes (igraph's default): on generated approval graphs, passes "until stable" added
#: 0–0.2 % modularity at 1 M contracts (up to 2 % on small graphs) for 60 % more time, and two
#: passes already stay above python-louvain's modularity (docs/benchmarks.md)
LEIDEN_ITERATIONS = 2

#: ``run(cypher, params) -> rows``: runs a statement on a Neo4j server that has GDS.
GdsRunner = Callable[[str, Mapping[str, Any]], list[dict[str, Any]]]
_SERVER: ContextVar[GdsRunner | None] = ContextVar("sunlight_gds_server", default=None)


class EngineUnavailable(ValueError):
    """The configured community engine is unknown or not installed."""


@dataclass(frozen=True)
class WeightedGraph:
    """An undirected weighted graph: ``labels[i]`` names node ``i``; one row per edge.

    Each undirected edge appears once, self-loops are not allowed and weights are
    positive. Isolated nodes may be listed in ``labels``.
    """

    labels: tuple[str, ...]
    src: np.ndarray
    dst: np.ndarray
    weight: np.ndarray

    def __post_init__(self) -> None:
        if not len(self.src) == len(self.dst) == len(self.weight):
            raise ValueError("src, dst and weight must have the same length")
        if len(self.src) and (np.any(self.src == self.dst) or np.any(self.weight <= 0)):
            raise ValueError("a WeightedGraph has no self-loops and only positive weights")

    @property
    def n_nodes(self) -> int:
        return len(self.labels)

    @property
    def n_edges(self) -> int:
        return len(self.src)

    @classmethod
    def from_networkx(cls, graph: nx.Graph, weight: str = "weight") -> WeightedGraph:
        """Convert a networkx graph; nodes are ordered by their string form for reproducibility."""
        labels = tuple(sorted(str(n) for n in graph.nodes))
        index = {label: i for i, label in enumerate(labels)}
        rows = [
            (index[str(a)], index[str(b)], float(data.get(weight, 1.0)))
            for a, b, data in graph.edges(data=True)
            if a != b
        ]
        arr = np.array(rows, dtype=float).reshape(-1, 3)
        return cls(labels, arr[:, 0].astype(np.int64), arr[:, 1].astype(np.int64), arr[:, 2])

    def to_networkx(self) -> nx.Graph:
        graph = nx.Graph()
        graph.add_nodes_from(range(self.n_nodes))
        graph.add_weighted_edges_from(
            zip(self.src.tolist(), self.dst.tolist(), self.weight.tolist(), strict=True)
        )
        return graph


@dataclass(frozen=True)
class Partition:
    """The result of one Louvain run: ``membership[i]`` is node ``i``'s community."""

    engine: str
    seed: int
    membership: np.ndarray
    modularity: float
    seconds: float

    @property
    def method(self) -> str:
        """``Leiden`` or ``Louvain``: what an explanation calls the community."""
        return METHOD_OF[self.engine]

    @property
    def n_communities(self) -> int:
        return int(self.membership.max()) + 1 if len(self.membership) else 0

    def communities(self, labels: Sequence[str]) -> list[list[str]]:
        """Member labels of each community, in community order."""
        out: list[list[str]] = [[] for _ in range(self.n_communities)]
        for label, community in zip(labels, self.membership.tolist(), strict=True):
            out[community].append(label)
        return out


@contextmanager
def on_server(run: GdsRunner | None) -> Iterator[None]:
    """Within the block, the ``gds`` engine runs through ``run`` (``None``: it stays unavailable)."""
    token = _SERVER.set(run)
    try:
        yield
    finally:
        _SERVER.reset(token)


def available_engines() -> list[str]:
    """The engines usable here, slowest first (``gds`` only inside :func:`on_server`)."""
    return [
        e
        for e in ENGINES
        if (_SERVER.get() is not None if e == "gds" else importlib.util.find_spec(_MODULE_OF[e]) is not None)
    ]


def resolve_engine(requested: str | None) -> str:
    """The engine a run will use: the one requested, the default when ``None``, the fastest
    in-process engine for ``auto``.

    >>> resolve_engine(None)
    'leiden'
    >>> resolve_engine("infomap")
    Traceback (most recent call last):
    ...
    detectors.community_engines.EngineUnavailable: unknown community engine 'infomap'; choose one of python-louvain, networkx, igraph, leiden, gds, auto
    """
    name = DEFAULT_ENGINE if requested is None else requested.strip().lower()
    installed = available_engines()
    if name == "auto":
        return [e for e in installed if e in _IN_PROCESS][-1]
    if name not in ENGINES:
        raise EngineUnavailable(
            f"unknown community engine {requested!r}; choose one of {', '.join(ENGINES)}, auto"
        )
    if name == "gds" and name not in installed:
        raise EngineUnavailable(
            "community engine 'gds' runs on a Neo4j server with the Graph Data Science plugin: "
            "use a Neo4j store (--neo4j URI) whose server has GDS installed, or another engine "
            f"({', '.join(installed)})"
        )
    if name not in installed:
        raise EngineUnavailable(
            f"community engine {name!r} is not installed (module {_MODULE_OF[name]!r}); "
            f"installed: {', '.join(installed)}"
        )
    return name


def modularity(graph: WeightedGraph, membership: np.ndarray, resolution: float = 1.0) -> float:
    """Newman's weighted modularity of ``membership`` on ``graph`` (one formula for every engine).

    >>> g = WeightedGraph(("a", "b", "c", "d"), np.array([0, 2, 1]), np.array([1, 3, 2]), np.array([1.0, 1.0, 0.1]))
    >>> round(modularity(g, np.array([0, 0, 1, 1])), 4)
    0.4524
    """
    total = float(graph.weight.sum())
    if total <= 0:
        return 0.0
    n_comm = int(membership.max()) + 1
    strength = np.bincount(graph.src, graph.weight, graph.n_nodes) + np.bincount(
        graph.dst, graph.weight, graph.n_nodes
    )
    inside = membership[graph.src] == membership[graph.dst]
    internal = np.bincount(membership[graph.src][inside], graph.weight[inside], n_comm)
    degree = np.bincount(membership, strength, n_comm)
    return float(np.sum(internal / total - resolution * (degree / (2 * total)) ** 2))


def canonical_membership(raw: np.ndarray, labels: Sequence[str]) -> np.ndarray:
    """Renumber communities by decreasing size, ties by smallest member label."""
    n_comm = int(raw.max()) + 1 if len(raw) else 0
    sizes = np.bincount(raw, minlength=n_comm)
    first_label: list[str] = [""] * n_comm
    seen = [False] * n_comm
    for node in np.argsort(np.asarray(labels, dtype=object), kind="stable").tolist():
        community = int(raw[node])
        if not seen[community]:
            seen[community] = True
            first_label[community] = labels[node]
    order = sorted(range(n_comm), key=lambda c: (-int(sizes[c]), first_label[c]))
    new_id = np.empty(n_comm, dtype=np.int64)
    new_id[order] = np.arange(n_comm)
    return new_id[raw]


def _python_louvain(graph: WeightedGraph, seed: int, resolution: float) -> np.ndarray:
    import community as community_louvain

    parts = community_louvain.best_partition(
        graph.to_networkx(), weight="weight", resolution=resolution, random_state=seed
    )
    return np.array([parts[i] for i in range(graph.n_nodes)], dtype=np.int64)


def _networkx(graph: WeightedGraph, seed: int, resolution: float) -> np.ndarray:
    sets = nx.community.louvain_communities(
        graph.to_networkx(), weight="weight", resolution=resolution, seed=seed
    )
    membership = np.empty(graph.n_nodes, dtype=np.int64)
    for community, members in enumerate(sets):
        membership[list(members)] = community
    return membership


def _igraph_graph(graph: WeightedGraph) -> Any:
    import igraph

    g = igraph.Graph(n=graph.n_nodes)
    g.add_edges(np.column_stack([graph.src, graph.dst]))  # an array is read in C, a list is not
    return g


def _igraph_seeded(seed: int, run: Callable[[], Any]) -> np.ndarray:
    import igraph

    # igraph draws from one process-wide generator: seed it for this call, then give it back
    igraph.set_random_number_generator(random.Random(seed))
    try:
        clusters = run()
    finally:
        igraph.set_random_number_generator(random)
    return np.asarray(clusters.membership, dtype=np.int64)


def _igraph(graph: WeightedGraph, seed: int, resolution: float) -> np.ndarray:
    g = _igraph_graph(graph)
    weights = graph.weight.tolist()
    return _igraph_seeded(seed, lambda: g.community_multilevel(weights=weights, resolution=resolution))


def _leiden(graph: WeightedGraph, seed: int, resolution: float) -> np.ndarray:
    g = _igraph_graph(graph)
    weights = graph.weight.tolist()
    return _igraph_seeded(
        seed,
        lambda: g.community_leiden(
            objective_function="modularity",
            weights=weights,
            resolution=resolution,
            n_iterations=LEIDEN_ITERATIONS,
        ),
    )


_GDS_PROJECT = (
    "UNWIND $edges AS e "
    "RETURN gds.graph.project($name, e[0], e[1], {relationshipProperties: {weight: e[2]}}, "
    "{undirectedRelationshipTypes: ['*']}) AS projected"
)
#: the projection's property that holds Leiden's partition, the seed of Louvain's
_GDS_SEED_PROPERTY = "leiden"
_GDS_LEIDEN = (
    "CALL gds.leiden.mutate($name, {relationshipWeightProperty: 'weight', concurrency: 1, "
    "randomSeed: $seed, consecutiveIds: true, mutateProperty: $property}) "
    "YIELD communityCount RETURN communityCount"
)
_GDS_LEIDEN_STREAM = (
    "CALL gds.graph.nodeProperty.stream($name, $property) YIELD nodeId, propertyValue "
    "RETURN nodeId, propertyValue AS communityId"
)
_GDS_LOUVAIN = (
    "CALL gds.louvain.stream($name, {relationshipWeightProperty: 'weight', concurrency: 1, "
    "seedProperty: $property}) YIELD nodeId, communityId RETURN nodeId, communityId"
)
_GDS_DROP = "CALL gds.graph.drop($name, false) YIELD graphName RETURN graphName"


def _gds_membership(rows: list[dict[str, Any]], n_nodes: int) -> np.ndarray:
    """Streamed (nodeId, communityId) rows as a dense membership (GDS picks the ids)."""
    membership = np.full(n_nodes, -1, dtype=np.int64)
    for row in rows:
        membership[int(row["nodeId"])] = int(row["communityId"])
    if np.any(membership < 0):
        raise RuntimeError(f"GDS returned communities for {int(np.sum(membership >= 0))} of {n_nodes} nodes")
    return np.unique(membership, return_inverse=True)[1].astype(np.int64)


def _gds(graph: WeightedGraph, seed: int, resolution: float) -> np.ndarray:
    run = _SERVER.get()
    if run is None:  # resolve_engine has said so already; kept for direct callers
        raise EngineUnavailable("community engine 'gds' needs a Neo4j server with GDS")
    if resolution != 1.0:
        raise EngineUnavailable(f"GDS's Louvain has no resolution parameter (asked for {resolution})")
    name = f"sunlight-louvain-{uuid.uuid4().hex}"
    # a projection is one aggregation: every edge (and every isolated node) in one statement
    touched = np.zeros(graph.n_nodes, dtype=bool)
    touched[graph.src] = True
    touched[graph.dst] = True
    rows: list[list[Any]] = [
        [int(a), int(b), float(w)] for a, b, w in zip(graph.src, graph.dst, graph.weight, strict=True)
    ]
    rows += [[int(i), None, None] for i in np.flatnonzero(~touched)]
    on = {"name": name, "property": _GDS_SEED_PROPERTY}
    try:
        run(_GDS_PROJECT, {"edges": rows, "name": name})
        run(_GDS_LEIDEN, {**on, "seed": seed})
        leiden = _gds_membership(run(_GDS_LEIDEN_STREAM, on), graph.n_nodes)
        seeded = _gds_membership(run(_GDS_LOUVAIN, on), graph.n_nodes)
    finally:
        run(_GDS_DROP, {"name": name})
    # Louvain's first colour sweep is kept even when it lowers modularity: keep Leiden's then
    return seeded if modularity(graph, seeded) >= modularity(graph, leiden) else leiden


def gds_statements_for_linting() -> list[Any]:
    """The statements the ``gds`` engine sends, with sample parameters, for Neo4j's linter."""
    from graph.cypher_lint import Statement

    name = "sunlight-louvain-sample"
    return [
        Statement("gds:project", _GDS_PROJECT, {"edges": [[0, 1, 1.0]], "name": name}),
        Statement("gds:leiden", _GDS_LEIDEN, {"name": name, "property": _GDS_SEED_PROPERTY, "seed": 42}),
        Statement("gds:leiden-stream", _GDS_LEIDEN_STREAM, {"name": name, "property": _GDS_SEED_PROPERTY}),
        Statement("gds:louvain", _GDS_LOUVAIN, {"name": name, "property": _GDS_SEED_PROPERTY}),
        Statement("gds:drop", _GDS_DROP, {"name": name}),
    ]


_RUNNERS = {
    "python-louvain": _python_louvain,
    "networkx": _networkx,
    "igraph": _igraph,
    "leiden": _leiden,
    "gds": _gds,
}


def louvain(
    graph: WeightedGraph, engine: str | None = DEFAULT_ENGINE, seed: int = 0, resolution: float = 1.0
) -> Partition:
    """Communities of ``graph`` on ``engine`` (see :func:`resolve_engine`), seeded.

    Isolated nodes are communities of their own. The modularity is computed by
    :func:`modularity`, the same way for every engine.
    """
    name = resolve_engine(engine)
    started = time.perf_counter()
    if graph.n_edges == 0:
        raw = np.arange(graph.n_nodes, dtype=np.int64)
    else:
        raw = _RUNNERS[name](graph, seed, resolution)
    seconds = time.perf_counter() - started
    membership = canonical_membership(raw, graph.labels)
    return Partition(
        engine=name,
        seed=seed,
        membership=membership,
        modularity=modularity(graph, membership, resolution) if graph.n_nodes else 0.0,
        seconds=seconds,
    )

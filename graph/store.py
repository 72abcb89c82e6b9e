"""The ``Store`` protocol that every graph store implements, and the records it trades in.

Two implementations: :class:`graph.ladybug_store.LadybugStore` (embedded, the
default) and the Neo4j store. Dialect differences live in those modules only;
everything here is shared.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import pandas as pd

from graph.dataset import GraphData
from graph.snapshot import GraphSnapshot

__all__ = [
    "ALERT_STATUSES",
    "DEFAULT_STORE_PATH",
    "AlertRecord",
    "AlertSaveSummary",
    "ProgressFn",
    "Store",
    "Subgraph",
    "WriteSummary",
    "alert_rows",
    "open_store",
]

DEFAULT_STORE_PATH = "sunlight-store"

#: The case workflow: open -> reviewing -> confirmed / dismissed -> remediated (销号).
ALERT_STATUSES: tuple[str, ...] = ("open", "reviewing", "confirmed", "dismissed", "remediated")

#: Called with (what, done, total) while a long write runs.
ProgressFn = Callable[[str, int, int], None]


@dataclass(frozen=True)
class AlertRecord:
    """One alert as a store persists it (detectors build these from findings)."""

    id: str
    detector: str
    subject: str
    score: float
    level: str
    grade: str
    title_zh: str
    title_en: str
    explanation_zh: str
    explanation_en: str
    evidence: Mapping[str, Any]
    entities: tuple[str, ...]  # entity keys, e.g. ("employee:E001", "supplier:S042")

    def evidence_json(self) -> str:
        return json.dumps(self.evidence, ensure_ascii=False, sort_keys=True, default=str)


@dataclass(frozen=True)
class AlertSaveSummary:
    new: int
    updated: int
    unchanged: int


@dataclass(frozen=True)
class WriteSummary:
    """What a write did, per label or relationship type: rows in the input, and rows created."""

    rows: Mapping[str, int]
    created: Mapping[str, int]


@dataclass
class Subgraph:
    """Nodes (key, label, id, name) and edges (src, dst, type) around some entities."""

    nodes: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["key", "label", "id", "name"]))
    edges: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["src", "dst", "type"]))
    truncated: bool = False


@runtime_checkable
class Store(Protocol):
    """What the loaders, detectors' runner, CLI and app need from a graph store."""

    def write(self, data: GraphData, progress: ProgressFn | None = None) -> WriteSummary:
        """Upsert ``data`` in one transaction: all of it, or nothing."""
        ...

    def snapshot(self) -> GraphSnapshot:
        """Read the whole graph as frames."""
        ...

    def subgraph(self, keys: Sequence[str], hops: int = 1, limit: int = 200) -> Subgraph:
        """Entities within ``hops`` of ``keys`` (entity keys), at most ``limit`` nodes."""
        ...

    def query(self, cypher: str, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
        """Run an analyst's Cypher read-only; values only as ``$parameters``."""
        ...

    def save_alerts(self, alerts: Sequence[AlertRecord], seen_at: datetime) -> AlertSaveSummary:
        """Upsert alerts by id; new ones open, known ones keep their status and first_seen."""
        ...

    def alerts(self) -> pd.DataFrame:
        """One row per (alert, flagged entity), newest first."""
        ...

    def set_alert_status(self, alert_id: str, status: str, assignee: str | None = None) -> None:
        """Move an alert through the case workflow."""
        ...

    def counts(self) -> dict[str, dict[str, int]]:
        """``{"nodes": {label: n}, "relationships": {type: n}, "alerts": {level: n}}``."""
        ...

    def close(self) -> None: ...


def open_store(
    path: str | os.PathLike[str] | None = None,
    neo4j_uri: str | None = None,
    read_only: bool = False,
) -> Store:
    """Open the store the user named: a Neo4j URI if given (or ``NEO4J_URI``), else the
    embedded store at ``path`` (or ``SUNLIGHT_STORE``, or ``./sunlight-store``)."""
    uri = neo4j_uri or os.environ.get("NEO4J_URI")
    if uri:
        from graph.neo4j_store import Neo4jStore  # imported lazily: the driver is optional at run time

        return Neo4jStore.from_env(uri)
    from graph.ladybug_store import LadybugStore

    folder = Path(path or os.environ.get("SUNLIGHT_STORE") or DEFAULT_STORE_PATH)
    return LadybugStore(folder, read_only=read_only)


def alert_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Shape an alert listing read from a store (``entity_label`` column) for export:
    entity types as the CLI names them, riskiest first, a stable order within a score."""
    from graph.schema import NODE_TYPES

    label_to_type = {spec.label: spec.entity_type for spec in NODE_TYPES}
    frame = frame.copy()
    frame["entity_type"] = frame["entity_label"].map(label_to_type)
    frame = frame.drop(columns=["entity_label"])
    order = ["score", "alert_id", "entity_type", "entity_id"]
    return frame.sort_values(order, ascending=[False, True, True, True]).reset_index(drop=True)

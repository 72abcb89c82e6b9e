"""The ``Store`` protocol that every graph store implements, and the records it trades in.

Two implementations: :class:`graph.ladybug_store.LadybugStore` (embedded, the
default) and :class:`graph.neo4j_store.Neo4jStore`. What they share is written once in
:mod:`graph.cypher_store`; dialect differences live in the two store modules only;
:func:`graph.stores.open_store` opens the one the user named.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

import pandas as pd

from graph.dataset import GraphData
from graph.snapshot import GraphSnapshot

__all__ = [
    "ALERT_STATUSES",
    "AlertRecord",
    "AlertSaveSummary",
    "ProgressFn",
    "Store",
    "Subgraph",
    "WriteSummary",
]

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
        """Upsert ``data`` in one transaction: all of it, or nothing. A relationship whose end
        is neither in ``data`` nor in the store is refused, with the whole write."""
        ...

    def snapshot(self) -> GraphSnapshot:
        """Read the whole graph as frames."""
        ...

    def snapshot_for(self, contract_ids: Sequence[str]) -> GraphSnapshot:
        """Every party (departments, staff, suppliers, persons, their ties and identifiers) and only
        the contracts ``contract_ids``, with their tenders, bids, approvals and payments."""
        ...

    def subgraph(self, keys: Sequence[str], hops: int = 1, limit: int = 200) -> Subgraph:
        """Entities within ``hops`` of ``keys`` (entity keys), at most ``limit`` nodes."""
        ...

    def query(self, cypher: str, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
        """Run an analyst's Cypher read-only; values only as ``$parameters``."""
        ...

    def cypher_variant(self, texts: Mapping[str, str]) -> str:
        """Of a library entry's texts by dialect (``neo4j`` always present), the one this store runs."""
        ...

    def save_alerts(self, alerts: Sequence[AlertRecord], seen_at: datetime) -> AlertSaveSummary:
        """Upsert alerts by id; new ones open, known ones keep their status and first_seen.
        An alert that flags an entity missing from the store is refused, with the whole call."""
        ...

    def alerts(self) -> pd.DataFrame:
        """One row per (alert, flagged entity), riskiest first."""
        ...

    def alert(self, alert_id: str) -> pd.DataFrame:
        """The rows of :meth:`alerts` for one alert; empty when there is none."""
        ...

    def set_alert_status(
        self, alert_id: str, status: str, assignee: str | None = None, expected_status: str | None = None
    ) -> None:
        """Move an alert through the case workflow. With ``expected_status``, only if the alert is
        in that status when the change is made (else ``graph.errors.AlertStatusConflict``)."""
        ...

    def approval_pair_counts(self, uncategorised: str) -> pd.DataFrame:
        """Approvals per market, approver and supplier, counted by the store's engine (on Neo4j,
        on the server): only the pairs leave it."""
        ...

    def market_shares(self, excluded_categories: Sequence[str]) -> pd.DataFrame:
        """Each supplier's value share of each market cell (department, category, year), counted
        by the store's engine (on Neo4j, on the server)."""
        ...

    def gds_runner(self) -> Callable[[str, Mapping[str, Any]], list[dict[str, Any]]] | None:
        """``run(cypher, params) -> rows`` on a server with the Graph Data Science plugin (the
        ``gds`` community engine uses it), or None where there is none."""
        ...

    def set_case_state(
        self, case_id: str, status: str, assignee: str | None = None, expected_status: str | None = None
    ) -> None:
        """Move a case and its alerts through the workflow (compare-and-set with ``expected_status``)."""
        ...

    def set_case_states(self, expected: Mapping[str, str], status: str) -> None:
        """Move many cases (case id -> the status each must be in) and their alerts to ``status``
        in one transaction, all or none (:class:`graph.errors.CaseStatusConflict`)."""
        ...

    def counts(self) -> dict[str, dict[str, int]]:
        """``{"nodes": {label: n}, "relationships": {type: n}, "alerts": {level: n}}``."""
        ...

    def close(self) -> None: ...

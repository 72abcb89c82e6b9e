"""The overview summary: what the app's first page shows, computed when the detectors run.

``sunlight detect`` writes it into the store as one ``Summary`` node (JSON text): the
key figures, the department × family heatmap in its three metrics, the flagged value
per month and family, and the riskiest network already drawn as nodes and edges with
their risk. The overview then reads one node instead of every alert and the whole
graph. The figures are those of the alert book (:mod:`sunlight.ui.viewmodels`), so
the summary and a book built from the same alerts show the same numbers; only the
alerts' case status moves after a run, and the overview reads it live.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd

from graph.dataset import GraphData
from graph.errors import StoreQueryError
from graph.store import Store, Subgraph
from sunlight.ui import case_views as cv
from sunlight.ui import viewmodels as vm
from sunlight.ui.labels import t

__all__ = [
    "HOT_ALERTS",
    "HOT_KEYS",
    "SUMMARY_ID",
    "OverviewSummary",
    "build_summary",
    "hot_keys_of",
    "read_summary",
    "save_summary",
    "summarise",
]

#: The id of the overview's ``Summary`` node.
SUMMARY_ID = "overview"
#: The riskiest network: the entities of this many top alerts ...
HOT_ALERTS = 3
#: Cases the overview lists.
TOP_CASES = 10
#: ... at most this many of them, one hop around.
HOT_KEYS = 30
_FORMAT = 1


@dataclass(frozen=True)
class OverviewSummary:
    """What the overview draws; :func:`summarise` builds it, ``to_json``/``from_json`` store it."""

    figures: dict[str, Any]
    heatmaps: dict[str, pd.DataFrame]
    trend: pd.DataFrame  # month, family id, value
    departments: dict[str, str]
    hot_focus: list[str]
    hot_graph: Subgraph
    hot_risk: dict[str, float]
    computed_at: datetime | None = None
    statuses: dict[str, int] = field(default_factory=dict)
    #: the riskiest cases as the overview lists them (:func:`sunlight.ui.case_views.summary_cases`)
    top_cases: list[dict[str, Any]] = field(default_factory=list)

    @property
    def alerts(self) -> int:
        return int(self.figures.get("alerts", 0))

    def department_label(self, department_id: str, lang: str) -> str:
        if department_id == vm.NO_DEPARTMENT:
            return t("no_department", lang)
        return self.departments.get(department_id, department_id)

    def heatmap(self, metric: str) -> vm.Heatmap:
        if metric not in vm.METRICS:
            raise ValueError(f"unknown heatmap metric {metric!r}; expected one of {', '.join(vm.METRICS)}")
        return vm.Heatmap(self.heatmaps[metric], metric)

    def with_statuses(self, statuses: Mapping[str, int]) -> OverviewSummary:
        """This summary with the alerts' case status as it is now (``open`` in the figures follows)."""
        figures = {**self.figures, "open": int(statuses.get("open", 0))}
        return OverviewSummary(
            figures,
            self.heatmaps,
            self.trend,
            self.departments,
            self.hot_focus,
            self.hot_graph,
            self.hot_risk,
            self.computed_at,
            dict(statuses),
            self.top_cases,
        )

    def to_json(self) -> str:
        document = {
            "format": _FORMAT,
            "computed_at": self.computed_at.isoformat() if self.computed_at else None,
            "figures": self.figures,
            "heatmaps": {m: _frame_doc(f) for m, f in self.heatmaps.items()},
            "trend": {
                "month": [m.strftime("%Y-%m-%d") for m in self.trend["month"]],
                "family": [str(f) for f in self.trend["family"]],
                "value": [float(v) for v in self.trend["value"]],
            },
            "departments": self.departments,
            "top_cases": self.top_cases,
            "hot": {
                "focus": self.hot_focus,
                "nodes": self.hot_graph.nodes.astype(object)
                .where(self.hot_graph.nodes.notna(), None)
                .to_dict("list"),
                "edges": self.hot_graph.edges.astype(object).to_dict("list"),
                "truncated": bool(self.hot_graph.truncated),
                "risk": self.hot_risk,
            },
        }
        return json.dumps(document, ensure_ascii=False, sort_keys=True, default=str)

    @classmethod
    def from_json(cls, text: str) -> OverviewSummary:
        doc = json.loads(text)
        if doc.get("format") != _FORMAT:
            raise ValueError(f"summary format {doc.get('format')!r} is not {_FORMAT}")
        hot = doc["hot"]
        trend = pd.DataFrame(
            {
                "month": pd.to_datetime(pd.Series(doc["trend"]["month"], dtype=object)),
                "family": pd.Series(doc["trend"]["family"], dtype=object),
                "value": pd.Series(doc["trend"]["value"], dtype=float),
            }
        )
        return cls(
            figures=doc["figures"],
            heatmaps={m: _frame_of(d, m) for m, d in doc["heatmaps"].items()},
            trend=trend,
            departments=doc["departments"],
            hot_focus=list(hot["focus"]),
            hot_graph=Subgraph(
                nodes=pd.DataFrame(hot["nodes"], columns=["key", "label", "id", "name"]),
                edges=pd.DataFrame(hot["edges"], columns=["src", "dst", "type"]),
                truncated=bool(hot["truncated"]),
            ),
            hot_risk={str(k): float(v) for k, v in hot["risk"].items()},
            computed_at=datetime.fromisoformat(doc["computed_at"]) if doc.get("computed_at") else None,
            top_cases=list(doc.get("top_cases") or []),
        )


def _frame_doc(frame: pd.DataFrame) -> dict[str, Any]:
    return {
        "index": [str(i) for i in frame.index],
        "index_name": frame.index.name,
        "columns": [str(c) for c in frame.columns],
        "data": frame.to_numpy().tolist(),
    }


def _frame_of(doc: Mapping[str, Any], metric: str) -> pd.DataFrame:
    frame = pd.DataFrame(doc["data"], index=doc["index"], columns=doc["columns"])
    if frame.empty:
        frame = pd.DataFrame(index=doc["index"], columns=doc["columns"])
    frame.index.name = doc.get("index_name")
    return frame.astype(int) if metric == "count" else frame.astype(float)


def summarise(book: vm.AlertBook, hot_graph: Subgraph | None = None) -> OverviewSummary:
    """The overview of ``book``; ``hot_graph`` is the subgraph of :func:`hot_keys_of` (empty if not given)."""
    alerts = book.alerts
    focus = [k for ks in alerts.head(HOT_ALERTS)["entities"] for k in ks] if not alerts.empty else []
    graph = hot_graph if hot_graph is not None else Subgraph()
    risk = vm.key_risk(book) if not alerts.empty else {}
    drawn = set(graph.nodes["key"]) if not graph.nodes.empty else set()
    empty_trend = pd.DataFrame({"month": pd.Series(dtype="datetime64[ns]"), "family": [], "value": []})
    cases = cv.case_frame(book)
    figures = {
        **vm.kpis(book),
        "cases": len(cases),
        "corroborated": int((cases["corroboration"] > 1).sum()) if not cases.empty else 0,
    }
    return OverviewSummary(
        figures=figures,
        heatmaps={m: vm.heatmap(book, m).values for m in vm.METRICS}
        if not alerts.empty
        else {m: pd.DataFrame() for m in vm.METRICS},
        trend=vm.risk_trend_by_family(book) if not alerts.empty else empty_trend,
        departments=dict(book.department_names),
        hot_focus=focus,
        hot_graph=graph,
        hot_risk={k: v for k, v in risk.items() if k in drawn},
        computed_at=book.read_at,
        statuses={str(k): int(v) for k, v in alerts["status"].value_counts().items()}
        if not alerts.empty
        else {},
        top_cases=cv.summary_cases(book, cases.head(TOP_CASES)),
    )


def hot_keys_of(book: vm.AlertBook) -> list[str]:
    """The entities whose one-hop network the overview draws."""
    if book.alerts.empty:
        return []
    return vm.hot_keys(book, alerts=min(HOT_ALERTS, len(book.alerts)), cap=HOT_KEYS)


def build_summary(store: Store, book: vm.AlertBook) -> OverviewSummary:
    """The summary of ``book``, with its riskiest network read from ``store``."""
    keys = hot_keys_of(book)
    graph = store.subgraph(keys, hops=1, limit=len(keys)) if keys else Subgraph()
    return summarise(book, graph)


def save_summary(store: Store, summary: OverviewSummary) -> None:
    """Write ``summary`` as the store's ``Summary`` node (replacing the previous run's)."""
    data = GraphData()
    data.add_nodes("Summary", pd.DataFrame({"id": [SUMMARY_ID], "document": [summary.to_json()]}))
    store.write(data)


def read_summary(store: Store) -> OverviewSummary | None:
    """The last run's summary with the alerts' case status as it is now; None if no run wrote one."""
    try:
        found = store.query(
            "MATCH (s:Summary) WHERE s.id = $id RETURN s.document AS document", {"id": SUMMARY_ID}
        )
    except StoreQueryError:  # a store created before summaries existed has no Summary table
        return None
    if found.empty or not isinstance(found["document"].iloc[0], str):
        return None
    try:
        summary = OverviewSummary.from_json(found["document"].iloc[0])
    except (ValueError, KeyError):
        return None  # written by another version: the overview computes it afresh
    statuses = store.query("MATCH (a:Alert) RETURN a.status AS status, count(a) AS n")
    return summary.with_statuses({str(r.status): int(r.n) for r in statuses.itertuples(index=False)})

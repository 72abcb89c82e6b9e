"""Cases in a store: written and read through the ``Store`` protocol alone, so every store has them.

A case is a ``CaseFile`` node (:mod:`graph.schema`); each alert names its case in
``case_id`` and carries the case's status and assignee, so that everything that reads
alerts (the queue's filters, the role checks, notifications) sees the case's workflow.
Nothing here is dialect: cases are written with :meth:`Store.write` (one transaction,
so a case and its alerts change together) and read with :meth:`Store.query`, which both
stores implement.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import pandas as pd

from graph.dataset import GraphData
from graph.errors import StoreQueryError
from graph.store import Store

__all__ = [
    "CASE_COLUMNS",
    "case_alert_ids",
    "read_case",
    "read_cases",
    "resolve_case",
    "set_case_state",
    "write_cases",
]

#: The columns of :func:`read_cases`, one row per case.
CASE_COLUMNS = [
    "case_id",
    "status",
    "assignee",
    "score",
    "level",
    "grade",
    "families",
    "alerts",
    "entities",
    "first_seen",
    "last_seen",
    "merged_into",
    "learned_score",
    "learned_level",
    "learned_reasons",
]

_READ_CASES = (
    "MATCH (c:CaseFile) RETURN c.id AS case_id, c.status AS status, c.assignee AS assignee, "
    "c.score AS score, c.level AS level, c.grade AS grade, c.families AS families, c.alerts AS alerts, "
    "c.entities AS entities, c.first_seen AS first_seen, c.last_seen AS last_seen, "
    "c.merged_into AS merged_into, c.learned_score AS learned_score, c.learned_level AS learned_level, "
    "c.learned_reasons AS learned_reasons"
)


_READ_CASE = (
    "MATCH (c:CaseFile) WHERE c.id = $id RETURN c.id AS case_id, c.status AS status, "
    "c.assignee AS assignee, c.merged_into AS merged_into"
)
_CASE_ALERT_IDS = "MATCH (a:Alert) WHERE a.case_id = $id RETURN a.id AS alert_id ORDER BY alert_id"


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def read_cases(store: Store) -> pd.DataFrame:
    """Every case in the store (merged-away ones included, with ``merged_into``), riskiest first.

    ``families`` is a dict (family -> best alert score), ``entities`` a list of entity keys.
    """
    try:
        frame = store.query(_READ_CASES)
    except StoreQueryError:
        # an embedded store made before cases existed, opened read-only: it has no CaseFile table yet
        return pd.DataFrame(columns=CASE_COLUMNS)
    if frame.empty:
        return pd.DataFrame(columns=CASE_COLUMNS)
    frame = frame.astype(
        {
            "families": object,
            "entities": object,
            "assignee": object,
            "merged_into": object,
            "learned_level": object,
            "learned_reasons": object,
        }
    )
    frame["families"] = [json.loads(v) if _text(v) else {} for v in frame["families"]]
    frame["entities"] = [json.loads(v) if _text(v) else [] for v in frame["entities"]]
    frame["assignee"] = [_text(v) for v in frame["assignee"]]
    frame["merged_into"] = [_text(v) for v in frame["merged_into"]]
    frame["learned_level"] = [_text(v) for v in frame["learned_level"]]
    frame["learned_reasons"] = [json.loads(v) if _text(v) else [] for v in frame["learned_reasons"]]
    frame["learned_score"] = pd.to_numeric(frame["learned_score"], errors="coerce")
    frame["alerts"] = pd.to_numeric(frame["alerts"], errors="coerce").fillna(0).astype(int)
    frame["score"] = pd.to_numeric(frame["score"], errors="coerce").fillna(0.0)
    return (
        frame[CASE_COLUMNS]
        .sort_values(["score", "case_id"], ascending=[False, True], kind="stable")
        .reset_index(drop=True)
    )


def read_case(store: Store, case_id: str) -> dict[str, Any] | None:
    """One case's status, assignee and ``merged_into`` (None when the store has no such case):
    what a case action checks, read without reading every case."""
    try:
        frame = store.query(_READ_CASE, {"id": case_id})
    except StoreQueryError:
        return None  # an embedded store made before cases existed has no CaseFile table
    if frame.empty:
        return None
    row = frame.iloc[0]
    return {
        "case_id": str(row["case_id"]),
        "status": str(row["status"]),
        "assignee": _text(row["assignee"]),
        "merged_into": _text(row["merged_into"]),
    }


def case_alert_ids(store: Store, case_id: str) -> list[str]:
    """The ids of the alerts in ``case_id``."""
    try:
        frame = store.query(_CASE_ALERT_IDS, {"id": case_id})
    except StoreQueryError:
        return []
    return [str(a) for a in frame["alert_id"]] if not frame.empty else []


def resolve_case(cases: pd.DataFrame, case_id: str) -> str:
    """Follow ``merged_into`` from ``case_id`` to the case that carries on its work.

    >>> frame = pd.DataFrame({"case_id": ["A", "B"], "merged_into": ["B", None]})
    >>> resolve_case(frame, "A"), resolve_case(frame, "B"), resolve_case(frame, "Z")
    ('B', 'B', 'Z')
    """
    into = {c: m for c, m in zip(cases["case_id"], cases["merged_into"], strict=True) if _text(m)}
    seen = {case_id}
    while case_id in into and into[case_id] not in seen:
        case_id = into[case_id]
        seen.add(case_id)
    return case_id


def write_cases(
    store: Store, cases: Iterable[Any], merged_into: Mapping[str, str], seen_at: datetime
) -> None:
    """Write cases and give every alert its case id, status and assignee, in one transaction.

    A case is anything with the attributes of :class:`detectors.case_grouping.Case` (id,
    alert_ids, families, score, level, grade, status, assignee, entities, first_seen, last_seen).

    ``cases`` are this run's cases and the ones merged away (no alerts, ``merged_into`` names
    where their work went): a merged-away case keeps its node, status and assignee, so that its id
    (in notes, reports, e-mails) still leads somewhere.
    """
    stamp = pd.Timestamp(seen_at)
    case_rows, alert_rows = [], []
    for c in cases:
        case_rows.append(
            {
                "id": c.id,
                "status": c.status,
                "assignee": c.assignee,
                "score": float(c.score),
                "level": c.level,
                "grade": c.grade,
                "families": json.dumps(dict(c.families), sort_keys=True),
                "alerts": len(c.alert_ids),
                "entities": json.dumps(list(c.entities)[:50], ensure_ascii=False),
                "first_seen": pd.Timestamp(c.first_seen) if c.first_seen is not None else stamp,
                "last_seen": pd.Timestamp(c.last_seen) if c.last_seen is not None else stamp,
                "merged_into": merged_into.get(c.id),
            }
        )
        alert_rows += [
            {"id": alert_id, "case_id": c.id, "status": c.status, "assignee": c.assignee}
            for alert_id in c.alert_ids
        ]
    data = GraphData()
    if case_rows:
        data.add_nodes("CaseFile", pd.DataFrame(case_rows).astype(object))
    if alert_rows:
        data.add_nodes("Alert", pd.DataFrame(alert_rows).astype(object))
    if data.nodes:
        store.write(data)


def set_case_state(
    store: Store, case_id: str, status: str, assignee: str | None = None, expected_status: str | None = None
) -> None:
    """Move a case (and its alerts with it) to ``status``; ``assignee`` if given. One transaction, a
    compare-and-set with ``expected_status`` (:class:`graph.errors.CaseStatusConflict`)."""
    store.set_case_state(case_id, status, assignee, expected_status=expected_status)

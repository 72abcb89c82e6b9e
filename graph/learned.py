"""Learned models and learned scores in a store: written and read through the ``Store`` protocol alone.

A model trained on investigators' decisions (:mod:`sunlight.learning`) is one
``LearnedModel`` node (:mod:`graph.schema`): its version as ``id``, when it was made, whether
it is the ``active`` one, and a JSON ``document`` with everything needed to score with it
again (coefficients, scaling, calibration) and to judge it (training-set summary,
cross-validated figures). Models are never deleted, so an earlier one can be restored.

The learned score stands on each alert and case beside the rule score, which it never
changes (``learned_score``, ``learned_level``, ``learned_reasons``; on alerts also
``learned_model``). Like :mod:`graph.cases` nothing here is dialect: writes go through
:meth:`Store.write` (one transaction each) and reads through :meth:`Store.query`, so the
embedded and the Neo4j store keep models alike.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pandas as pd

from graph.dataset import GraphData
from graph.errors import StoreError, StoreQueryError
from graph.store import Store

__all__ = [
    "LEARNED_ALERT_COLUMNS",
    "LEARNED_CASE_COLUMNS",
    "activate_model",
    "active_model",
    "read_models",
    "save_model",
    "write_learned_scores",
]

#: What a re-scoring writes on each alert (``id`` beside them) ...
LEARNED_ALERT_COLUMNS = ["learned_score", "learned_level", "learned_reasons", "learned_model"]
#: ... and on each case.
LEARNED_CASE_COLUMNS = ["learned_score", "learned_level", "learned_reasons"]

_READ_MODELS = (
    "MATCH (m:LearnedModel) RETURN m.id AS version, m.created_at AS created_at, m.active AS active, "
    "m.document AS document"
)


def read_models(store: Store) -> pd.DataFrame:
    """Every model in the store, newest first: ``version, created_at, active, document`` (a dict)."""
    columns = ["version", "created_at", "active", "document"]
    try:
        frame = store.query(_READ_MODELS)
    except StoreQueryError:  # an embedded store made before models existed, opened read-only
        return pd.DataFrame(columns=columns)
    if frame.empty:
        return pd.DataFrame(columns=columns)
    frame = frame.astype({"document": object, "active": object})
    frame["document"] = [json.loads(v) if isinstance(v, str) and v else {} for v in frame["document"]]
    frame["active"] = [bool(v) if isinstance(v, bool) else False for v in frame["active"]]
    return frame.sort_values(["created_at", "version"], ascending=False, kind="stable").reset_index(drop=True)


def active_model(store: Store) -> dict[str, Any] | None:
    """The document of the active model, or None while the rules stand alone."""
    models = read_models(store)
    chosen = models[models["active"]]
    return dict(chosen.iloc[0]["document"]) if not chosen.empty else None


def _rows(models: pd.DataFrame, active: str | None) -> pd.DataFrame:
    """The models as nodes to write, ``active`` the one active (every column: a row written
    with a column missing would clear that property)."""
    return pd.DataFrame(
        {
            "id": list(models["version"]),
            "created_at": [pd.Timestamp(v) for v in models["created_at"]],
            "active": [v == active for v in models["version"]],
            "document": [json.dumps(d, ensure_ascii=False, sort_keys=True) for d in models["document"]],
        }
    ).astype(object)


def save_model(store: Store, version: str, document: Mapping[str, Any], created_at: datetime) -> None:
    """Keep a new model and make it the active one (the others inactive), in one transaction."""
    models = read_models(store)
    if version in set(models["version"]):
        raise StoreError(f"a learned model {version!r} is already in the store")
    new = pd.DataFrame(
        {"version": [version], "created_at": [created_at], "active": [True], "document": [dict(document)]}
    )
    data = GraphData()
    data.add_nodes("LearnedModel", _rows(pd.concat([new, models], ignore_index=True), version))
    store.write(data)


def activate_model(store: Store, version: str | None) -> None:
    """Make ``version`` the active model (``None``: none, the rules stand alone); a
    ``KeyError`` names an unknown version."""
    models = read_models(store)
    if version is not None and version not in set(models["version"]):
        known = ", ".join(models["version"]) or "none"
        raise KeyError(f"no learned model {version!r} in the store (known: {known})")
    if models.empty:
        return
    data = GraphData()
    data.add_nodes("LearnedModel", _rows(models, version))
    store.write(data)


def write_learned_scores(store: Store, alerts: pd.DataFrame, cases: pd.DataFrame) -> None:
    """Set the learned columns of alerts and cases (``id`` and :data:`LEARNED_ALERT_COLUMNS` /
    :data:`LEARNED_CASE_COLUMNS`; ``None`` clears), in one transaction. ``learned_reasons``
    are lists, written as JSON."""
    data = GraphData()
    for label, frame, columns in (
        ("Alert", alerts, LEARNED_ALERT_COLUMNS),
        ("CaseFile", cases, LEARNED_CASE_COLUMNS),
    ):
        if frame.empty:
            continue
        rows = frame[["id", *columns]].copy().astype(object)
        rows["learned_reasons"] = [
            json.dumps(r, ensure_ascii=False) if isinstance(r, list) else None
            for r in rows["learned_reasons"]
        ]
        rows["learned_score"] = [None if pd.isna(v) else float(v) for v in rows["learned_score"]]
        data.add_nodes(label, rows.astype(object))
    if data.nodes:
        store.write(data)

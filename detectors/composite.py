"""Composite risk: one score per entity and per department from all its alerts.

Per entity and detector family the family score is the highest alert score in
that family (a hard flag counts as at least the high threshold). Families are
combined as a weighted noisy-OR,

    risk = 1 − Π_f (1 − s_f) ^ (w_f / max w),

so one strong signal in the most trusted family is kept as it is, independent
signals from several families add up, and a family with a smaller weight counts
for less. An entity named by any high alert (hard flags included) is at least high. Default weights: concentration 0.4, price 0.3, approval 0.3, and for the
graph families relationships 0.4, collusion networks 0.3, bid rigging 0.3.
Levels and grades use the same cut-offs as alerts (high > 0.7, medium > 0.4).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from detectors.base import FAMILIES, HIGH, grade_of, level_of

__all__ = ["DEFAULT_FAMILY_WEIGHTS", "department_risk", "entity_risk"]

DEFAULT_FAMILY_WEIGHTS: dict[str, float] = {
    "concentration": 0.4,
    "price": 0.3,
    "approval": 0.3,
    "relationship": 0.4,
    "network": 0.3,
    "bidding": 0.3,
}


def entity_risk(
    alerts: pd.DataFrame,
    family_of: Mapping[str, str],
    weights: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Risk per entity from alert rows (``Store.alerts()``: one row per alert and entity).

    Returns entity_type, entity_id, risk, level, grade, alerts and one column per family.

    >>> rows = pd.DataFrame({"alert_id": ["a", "b"], "detector": ["d1", "d2"], "score": [0.8, 0.5],
    ...     "level": ["high", "medium"], "entity_type": ["supplier", "supplier"], "entity_id": ["S1", "S1"]})
    >>> risk = entity_risk(rows, {"d1": "concentration", "d2": "price"})
    >>> round(float(risk.loc[0, "risk"]), 3), risk.loc[0, "level"]
    (0.881, 'high')
    """
    weights = dict(DEFAULT_FAMILY_WEIGHTS | dict(weights or {}))
    unknown = set(weights) - set(FAMILIES)
    if unknown:
        raise ValueError(f"unknown detector families in weights: {sorted(unknown)}")
    columns = ["entity_type", "entity_id", "risk", "level", "grade", "alerts", *FAMILIES]
    rows = alerts.dropna(subset=["entity_type", "entity_id"]).copy()
    if rows.empty:
        return pd.DataFrame(columns=columns)
    rows["family"] = rows["detector"].map(family_of).fillna("concentration")
    # a hard flag is stored at level high whatever its score: keep it at least at the cut-off
    rows["effective"] = np.where(
        rows["level"] == "high", np.maximum(rows["score"], HIGH + 1e-6), rows["score"]
    )
    family_scores = rows.pivot_table(
        index=["entity_type", "entity_id"], columns="family", values="effective", aggfunc="max"
    ).reindex(columns=list(FAMILIES))
    max_weight = max(weights.values())
    exponents = pd.Series({f: weights.get(f, 0.0) / max_weight for f in FAMILIES})
    survival = (1 - family_scores.fillna(0.0).clip(0, 1)) ** exponents
    out = family_scores.fillna(0.0).round(4)
    out["risk"] = (1 - survival.prod(axis=1)).round(4)
    # an entity named by any high alert (hard flags included) is itself at least high
    has_high = (
        rows.assign(is_high=rows["level"] == "high").groupby(["entity_type", "entity_id"])["is_high"].any()
    )
    out.loc[has_high[has_high].index, "risk"] = out.loc[has_high[has_high].index, "risk"].clip(
        lower=HIGH + 1e-4
    )
    out["alerts"] = rows.groupby(["entity_type", "entity_id"])["alert_id"].nunique()
    out = out.reset_index()
    out["level"] = [level_of(r) for r in out["risk"]]
    out["grade"] = [grade_of(level) for level in out["level"]]
    return (
        out[columns]
        .sort_values(["risk", "entity_type", "entity_id"], ascending=[False, True, True])
        .reset_index(drop=True)
    )


def department_risk(risk: pd.DataFrame, employees: pd.DataFrame, contracts: pd.DataFrame) -> pd.DataFrame:
    """Risk per department: the highest risk among its staff and the contracts it ordered,
    with how many of them carry any alert."""
    staff = risk[risk["entity_type"] == "employee"].merge(
        employees[["id", "department_id"]], left_on="entity_id", right_on="id"
    )
    bought = risk[risk["entity_type"] == "contract"].merge(
        contracts[["id", "department_id"]], left_on="entity_id", right_on="id"
    )
    members = pd.concat([staff, bought], ignore_index=True).dropna(subset=["department_id"])
    if members.empty:
        return pd.DataFrame(columns=["department_id", "risk", "level", "flagged_entities"])
    out = members.groupby("department_id").agg(
        risk=("risk", "max"), flagged_entities=("entity_id", "nunique")
    )
    out = out.reset_index().sort_values("risk", ascending=False).reset_index(drop=True)
    out["level"] = [level_of(r) for r in out["risk"]]
    return out[["department_id", "risk", "level", "flagged_entities"]]

"""Score a store's alerts against a dataset's ground truth (``labels.csv``).

``labels.csv`` has one row per (scheme, instance, entity): ``scheme, instance_id,
entity_type, entity_id``; schemes whose name starts with ``decoy_`` are
legitimate patterns that must not be flagged.

Rules, kept simple so a person can check them by hand:

* An instance is **found** when one alert flags at least ``min(2, n)`` of its ``n``
  labelled entities (an approver *and* the supplier, two members of a cartel, a
  payment *and* the employee ...). One shared entity is not enough: a supplier
  flagged for something else does not prove the scheme was seen.
* **precision@K**: of the K highest-scoring alerts, the share that find some
  planted instance by the rule above.
* **decoys flagged**: per decoy scheme, the alerts that flag any of its entities,
  and how many of those are at level high.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

__all__ = ["EvalReport", "LabelsError", "evaluate_alerts", "read_labels"]

LABEL_COLUMNS = ("scheme", "instance_id", "entity_type", "entity_id")
ENTITY_TYPES = ("employee", "supplier", "person", "department", "contract", "tender", "payment")


class LabelsError(ValueError):
    """``labels.csv`` is not what the evaluation reads; the message names file, row and column."""


def read_labels(path: Path) -> pd.DataFrame:
    """Read ``labels.csv``, refusing missing columns, empty cells and unknown entity types."""
    try:
        labels = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise LabelsError(f"{path}: cannot read: {exc}") from exc
    missing = [c for c in LABEL_COLUMNS if c not in labels.columns]
    if missing:
        raise LabelsError(
            f"{path}: missing column {', '.join(missing)} (expected {', '.join(LABEL_COLUMNS)})"
        )
    problems = []
    for column in LABEL_COLUMNS:
        for index in labels.index[labels[column].str.strip() == ""][:5]:
            problems.append(f"{path} row {index + 2}, column {column}: empty")
    for index in labels.index[~labels["entity_type"].isin(ENTITY_TYPES)][:5]:
        problems.append(
            f"{path} row {index + 2}, column entity_type: {labels.at[index, 'entity_type']!r} is not one of "
            + ", ".join(ENTITY_TYPES)
        )
    if problems:
        raise LabelsError("\n".join(problems))
    return labels


@dataclass
class EvalReport:
    schemes: pd.DataFrame  # scheme, instances, found, recall, detectors
    precision_at_k: dict[int, float]
    decoys: pd.DataFrame  # scheme, entities, alerts, high_alerts
    alerts: int = 0
    missed: dict[str, list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return {
            "alerts": self.alerts,
            "schemes": self.schemes.to_dict(orient="records"),
            "precision_at_k": {str(k): v for k, v in self.precision_at_k.items()},
            "decoys": self.decoys.to_dict(orient="records"),
            "missed": self.missed,
        }

    def to_text(self) -> str:
        lines = ["Planted schemes:", self.schemes.to_string(index=False), ""]
        lines.append("precision@K: " + ", ".join(f"P@{k} = {v:.2f}" for k, v in self.precision_at_k.items()))
        lines += ["", "Decoys:", self.decoys.to_string(index=False) if not self.decoys.empty else "(none)"]
        return "\n".join(lines)


def _key(entity_type: str, entity_id: str) -> str:
    return f"{entity_type}:{entity_id}"


def evaluate_alerts(
    alerts: pd.DataFrame, labels: pd.DataFrame, ks: Sequence[int] = (10, 50, 100)
) -> EvalReport:
    """``alerts``: one row per (alert, entity) as :meth:`graph.store.Store.alerts` returns them."""
    alerts = alerts.dropna(subset=["entity_type", "entity_id"])
    flagged: dict[str, set[str]] = {}
    for alert_id, group in alerts.groupby("alert_id"):
        flagged[str(alert_id)] = {
            _key(t, i) for t, i in zip(group["entity_type"], group["entity_id"], strict=True)
        }
    per_alert = alerts.drop_duplicates("alert_id").set_index("alert_id")
    labels = labels.astype(str)
    labels["key"] = [_key(t, i) for t, i in zip(labels["entity_type"], labels["entity_id"], strict=True)]
    planted = labels[~labels["scheme"].str.startswith("decoy_")]
    decoy_labels = labels[labels["scheme"].str.startswith("decoy_")]

    instances = {
        (scheme, inst): set(group["key"])
        for (scheme, inst), group in planted.groupby(["scheme", "instance_id"])
    }
    finds: dict[str, list[tuple[str, str]]] = {}
    rows = []
    missed: dict[str, list[str]] = {}
    for scheme in sorted({s for s, _ in instances}):
        members = {inst: ents for (s, inst), ents in instances.items() if s == scheme}
        found, detectors = 0, set()
        for inst, ents in members.items():
            need = min(2, len(ents))
            hits = [a for a, keys in flagged.items() if len(keys & ents) >= need]
            for a in hits:
                finds.setdefault(a, []).append((scheme, inst))
                detectors.add(str(per_alert.loc[a, "detector"]))
            if hits:
                found += 1
            else:
                missed.setdefault(scheme, []).append(inst)
        rows.append(
            {
                "scheme": scheme,
                "instances": len(members),
                "found": found,
                "recall": round(found / len(members), 3),
                "detectors": ",".join(sorted(detectors)),
            }
        )
    ranked = per_alert.sort_values("score", ascending=False).index.tolist()
    precision = {
        k: (round(sum(1 for a in ranked[:k] if a in finds) / min(k, len(ranked)), 3) if ranked else 0.0)
        for k in ks
    }
    decoy_rows = []
    for scheme, group in decoy_labels.groupby("scheme"):
        keys = set(group["key"])
        touching = [a for a, ents in flagged.items() if ents & keys]
        high = [a for a in touching if per_alert.loc[a, "level"] == "high"]
        decoy_rows.append(
            {"scheme": scheme, "entities": len(keys), "alerts": len(touching), "high_alerts": len(high)}
        )
    return EvalReport(
        schemes=pd.DataFrame(rows, columns=["scheme", "instances", "found", "recall", "detectors"]),
        precision_at_k=precision,
        decoys=pd.DataFrame(decoy_rows, columns=["scheme", "entities", "alerts", "high_alerts"]),
        alerts=len(per_alert),
        missed=missed,
    )

"""Score a store's alerts against a dataset's ground truth (``labels.csv``).

``labels.csv`` has one row per (scheme, instance, entity): ``scheme, instance_id,
entity_type, entity_id``; schemes whose name starts with ``decoy_`` are
legitimate look-alikes that must not be flagged.

Rules, kept simple so a person can check them by hand:

* **strict rule** (the one every headline figure uses): an alert *finds* a planted
  instance when it flags at least ``min(2, n)`` of the instance's ``n`` labelled
  entities (an approver *and* the supplier, two members of a cartel, a payment
  *and* the employee ...). One shared entity is not enough: a supplier flagged for
  something else does not prove the scheme was seen.
* **loose rule** (reported beside it): an alert finds an instance when it flags
  any one of its labelled entities.
* An alert is **real** under a rule when it finds some planted instance under that
  rule. The **queue** is the alerts sorted riskiest first, as the app lists them
  (score descending, then alert id).
* **alert p@K**: of the first K alerts of the queue, the share that are real.
* **case p@K**: alerts with the same ``case_id`` (a column of the store's alerts,
  when the store groups alerts into cases) form one case; without that column
  every alert is its own case. A case's score is its ``case_score`` column when
  present, else its highest alert score; a case is real when one of its alerts is.
* **entity p@K**: entities ranked by composite risk
  (:func:`detectors.composite.entity_risk`, as ``sunlight risk`` ranks them); an
  entity is real when a planted scheme labels it.
* **high alerts real**: the share of level-high alerts that are real.
* **decoy entities at high**: distinct entities labelled by a decoy scheme (and by
  no planted one) that some high alert names; in all and per decoy scheme.
* **recall** per scheme: found instances / planted instances (strict and loose).
* **alerts per 10 k contracts**: alerts × 10 000 / the store's contracts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = [
    "DEFAULT_KS",
    "EvalReport",
    "LabelsError",
    "alert_truth",
    "evaluate_alerts",
    "precision_at",
    "queue_order",
    "read_labels",
    "report_row",
]

LABEL_COLUMNS = ("scheme", "instance_id", "entity_type", "entity_id")
ENTITY_TYPES = ("employee", "supplier", "person", "department", "contract", "tender", "payment")
DECOY_PREFIX = "decoy_"
DEFAULT_KS: tuple[int, ...] = (10, 50, 100)
LEVELS = ("high", "medium", "low")
RULES = ("strict", "loose")


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


def precision_at(real: Sequence[bool], k: int) -> float:
    """Share of the first ``k`` of a ranked list that are real (of all, when fewer than ``k``).

    >>> precision_at([True, False, True, True], 2), precision_at([True, False], 10), precision_at([], 5)
    (0.5, 0.5, 0.0)
    """
    head = list(real)[:k]
    return round(sum(head) / len(head), 3) if head else 0.0


def queue_order(per_alert: pd.DataFrame) -> pd.DataFrame:
    """One row per alert, riskiest first as the app's queue lists them (score, then alert id)."""
    return per_alert.sort_values(["score", "alert_id"], ascending=[False, True], kind="stable")


@dataclass
class EvalReport:
    #: scheme, instances, found, recall, detectors, found_loose, recall_loose
    schemes: pd.DataFrame
    #: alert-level p@K under the strict rule (the figure ``sunlight eval`` always printed)
    precision_at_k: dict[int, float]
    #: scheme, entities, alerts, high_alerts, entities_at_high
    decoys: pd.DataFrame
    alerts: int = 0
    missed: dict[str, list[str]] = field(default_factory=dict)
    #: level ("alert", "case", "entity") -> rule ("strict", "loose") -> K -> precision;
    #: entities have one rule ("labelled")
    precision: dict[str, dict[str, dict[int, float]]] = field(default_factory=dict)
    #: high alerts: count, real under each rule and the shares
    high: dict[str, float] = field(default_factory=dict)
    #: distinct decoy-labelled entities named by a high alert
    decoy_entities_at_high: int = 0
    #: detector, alerts, high, medium, low, real_strict, real_loose
    by_detector: pd.DataFrame = field(default_factory=pd.DataFrame)
    by_level: dict[str, int] = field(default_factory=dict)
    cases: int = 0
    #: "case_id" when the alerts carried case ids, "alert" when every alert was its own case
    case_source: str = "alert"
    contracts: int | None = None

    @property
    def alerts_per_10k_contracts(self) -> float | None:
        if not self.contracts:
            return None
        return round(self.alerts * 10_000 / self.contracts, 1)

    @property
    def min_recall(self) -> float | None:
        return float(self.schemes["recall"].min()) if len(self.schemes) else None

    def to_dict(self) -> dict[str, object]:
        def by_k(values: Mapping[int, float]) -> dict[str, float]:
            return {str(k): v for k, v in values.items()}

        return {
            "alerts": self.alerts,
            "schemes": self.schemes.to_dict(orient="records"),
            "precision_at_k": by_k(self.precision_at_k),
            "decoys": self.decoys.to_dict(orient="records"),
            "missed": self.missed,
            "precision": {
                level: {rule: by_k(values) for rule, values in rules.items()}
                for level, rules in self.precision.items()
            },
            "high_alerts": self.high,
            "decoy_entities_at_high": self.decoy_entities_at_high,
            "alerts_by_detector": self.by_detector.to_dict(orient="records"),
            "alerts_by_level": self.by_level,
            "cases": {"count": self.cases, "source": self.case_source},
            "contracts": self.contracts,
            "alerts_per_10k_contracts": self.alerts_per_10k_contracts,
        }

    def to_text(self) -> str:
        def row(values: Mapping[int, float]) -> str:
            return ", ".join(f"P@{k} = {v:.2f}" for k, v in values.items())

        lines = ["Planted schemes:", self.schemes.to_string(index=False), ""]
        lines.append("precision@K: " + row(self.precision_at_k))
        lines += ["", "Decoys:", self.decoys.to_string(index=False) if not self.decoys.empty else "(none)"]
        lines += [
            "",
            "Rules: strict = an alert flags at least min(2, n) of a planted instance's n labelled entities;",
            "       loose = an alert flags at least one of them. Headline figures use the strict rule.",
            "",
            "Precision over the queue (riskiest first):",
        ]
        for level, rules in self.precision.items():
            for rule, values in rules.items():
                lines.append(f"  {level:<7}{rule:<9}{row(values)}")
        case_note = "by case_id" if self.case_source == "case_id" else "each alert its own case"
        lines.append(f"  cases: {self.cases} ({case_note})")
        high = self.high
        lines += [
            "",
            f"High alerts: {int(high.get('alerts', 0))}, real {high.get('share_strict', 0):.0%} strict, "
            f"{high.get('share_loose', 0):.0%} loose",
            f"Decoy entities at high: {self.decoy_entities_at_high}",
            "",
            "Alerts by detector:",
            self.by_detector.to_string(index=False) if not self.by_detector.empty else "(none)",
            "",
            "Alerts by level: " + ", ".join(f"{k} {v}" for k, v in self.by_level.items()),
        ]
        if self.contracts:
            lines.append(
                f"Alerts per 10 k contracts: {self.alerts_per_10k_contracts} "
                f"({self.alerts} alerts, {self.contracts} contracts)"
            )
        return "\n".join(lines)


def _keys(frame: pd.DataFrame) -> pd.Series:
    return frame["entity_type"].astype(str) + ":" + frame["entity_id"].astype(str)


def _instance_hits(rows: pd.DataFrame, planted: pd.DataFrame) -> pd.DataFrame:
    """Per (alert, scheme, instance) that share an entity: the distinct shared entities and
    whether they satisfy the strict rule."""
    sizes = planted.groupby(["scheme", "instance_id"])["key"].nunique().rename("size")
    shared = (
        rows[["alert_id", "key"]]
        .drop_duplicates()
        .merge(planted[["scheme", "instance_id", "key"]].drop_duplicates(), on="key")
    )
    hits = shared.groupby(["alert_id", "scheme", "instance_id"])["key"].nunique().rename("shared")
    hits = hits.reset_index().join(sizes, on=["scheme", "instance_id"])
    hits["strict"] = hits["shared"] >= hits["size"].clip(upper=2)
    return hits


def _truth(alert_ids: pd.Series, hits: pd.DataFrame) -> pd.DataFrame:
    strict_alerts = set(hits.loc[hits["strict"], "alert_id"])
    loose_alerts = set(hits["alert_id"])
    return pd.DataFrame(
        {
            "alert_id": alert_ids.to_numpy(),
            "real_strict": alert_ids.isin(strict_alerts).to_numpy(),
            "real_loose": alert_ids.isin(loose_alerts).to_numpy(),
        }
    )


def alert_truth(alerts: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame:
    """Per alert (``alert_id``), whether it is real under the strict and the loose rule.

    ``alerts`` and ``labels`` as for :func:`evaluate_alerts`; the calibration is fitted on this.
    """
    rows = alerts.dropna(subset=["entity_type", "entity_id"]).copy()
    rows["key"] = _keys(rows)
    labels = labels.astype(str).copy()
    labels["key"] = _keys(labels)
    planted = labels[~labels["scheme"].str.startswith(DECOY_PREFIX)]
    alert_ids = alerts["alert_id"].drop_duplicates().reset_index(drop=True)
    return _truth(alert_ids, _instance_hits(rows, planted))


def _case_frame(per_alert: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """One row per case with its score and whether it is real under each rule."""
    if "case_id" in per_alert.columns and per_alert["case_id"].notna().any():
        case = per_alert["case_id"].where(per_alert["case_id"].notna(), per_alert["alert_id"])
        source = "case_id"
    else:
        case, source = per_alert["alert_id"], "alert"
    frame = per_alert.assign(case=case.astype(str))
    score_column = "case_score" if "case_score" in frame.columns else "score"
    cases = frame.groupby("case").agg(
        score=(score_column, "max"), strict=("real_strict", "any"), loose=("real_loose", "any")
    )
    cases = cases.reset_index().sort_values(["score", "case"], ascending=[False, True], kind="stable")
    return cases, source


def evaluate_alerts(
    alerts: pd.DataFrame,
    labels: pd.DataFrame,
    ks: Sequence[int] = DEFAULT_KS,
    *,
    contracts: int | None = None,
    family_of: Mapping[str, str] | None = None,
) -> EvalReport:
    """Score alert rows against labels.

    Parameters
    ----------
    alerts
        One row per (alert, entity) as :meth:`graph.store.Store.alerts` returns them
        (``alert_id, detector, level, score, entity_type, entity_id``; ``case_id`` and
        ``case_score`` are read when present).
    labels
        ``labels.csv`` as :func:`read_labels` returns it.
    ks
        The K of every precision@K.
    contracts
        The store's contract count, for alerts per 10 k contracts.
    family_of
        Detector id -> family, for the entity ranking; by default the registry's.
    """
    from detectors.composite import entity_risk

    if family_of is None:
        from detectors.registry import all_detectors

        family_of = {d.id: d.family for d in all_detectors()}
    per_alert = alerts.drop_duplicates("alert_id").reset_index(drop=True)
    rows = alerts.dropna(subset=["entity_type", "entity_id"]).copy()
    rows["key"] = _keys(rows)
    labels = labels.astype(str).copy()
    labels["key"] = _keys(labels)
    is_decoy = labels["scheme"].str.startswith(DECOY_PREFIX)
    planted, decoy_labels = labels[~is_decoy], labels[is_decoy]

    hits = _instance_hits(rows, planted)
    truth = _truth(per_alert["alert_id"], hits)
    per_alert["real_strict"] = truth["real_strict"].to_numpy()
    per_alert["real_loose"] = truth["real_loose"].to_numpy()
    detector_of = per_alert.set_index("alert_id")["detector"].astype(str)

    scheme_rows, missed = [], {}
    for scheme, group in planted.groupby("scheme"):
        instances = sorted(group["instance_id"].unique())
        mine = hits[hits["scheme"] == scheme]
        found_strict = set(mine.loc[mine["strict"], "instance_id"])
        found_loose = set(mine["instance_id"])
        detectors = sorted(set(detector_of.loc[mine.loc[mine["strict"], "alert_id"].unique()]))
        lost = [i for i in instances if i not in found_strict]
        if lost:
            missed[str(scheme)] = lost
        scheme_rows.append(
            {
                "scheme": scheme,
                "instances": len(instances),
                "found": len(found_strict),
                "recall": round(len(found_strict) / len(instances), 3),
                "detectors": ",".join(detectors),
                "found_loose": len(found_loose),
                "recall_loose": round(len(found_loose) / len(instances), 3),
            }
        )

    queue = queue_order(per_alert)
    precision: dict[str, dict[str, dict[int, float]]] = {
        "alert": {rule: {k: precision_at(queue[f"real_{rule}"].tolist(), k) for k in ks} for rule in RULES}
    }
    cases, case_source = _case_frame(per_alert)
    precision["case"] = {rule: {k: precision_at(cases[rule].tolist(), k) for k in ks} for rule in RULES}
    risk = entity_risk(alerts, family_of) if len(rows) else pd.DataFrame(columns=["entity_type", "entity_id"])
    planted_keys = set(planted["key"])
    entity_real = _keys(risk).isin(planted_keys).tolist() if len(risk) else []
    precision["entity"] = {"labelled": {k: precision_at(entity_real, k) for k in ks}}

    high_alerts = per_alert[per_alert["level"] == "high"]
    n_high = len(high_alerts)
    high = {
        "alerts": n_high,
        "real_strict": int(high_alerts["real_strict"].sum()),
        "real_loose": int(high_alerts["real_loose"].sum()),
        "share_strict": round(float(high_alerts["real_strict"].mean()), 3) if n_high else 0.0,
        "share_loose": round(float(high_alerts["real_loose"].mean()), 3) if n_high else 0.0,
    }

    high_keys = set(rows.loc[rows["level"] == "high", "key"])
    flagged_by = rows.groupby("key")["alert_id"].agg(set)
    level_of = per_alert.set_index("alert_id")["level"]
    decoy_rows, decoys_at_high = [], set()
    for scheme, group in decoy_labels.groupby("scheme"):
        keys = set(group["key"])
        touching = set().union(*(flagged_by.get(k, set()) for k in keys)) if keys else set()
        at_high = (keys & high_keys) - planted_keys
        decoys_at_high |= at_high
        decoy_rows.append(
            {
                "scheme": scheme,
                "entities": len(keys),
                "alerts": len(touching),
                "high_alerts": int((level_of.loc[sorted(touching)] == "high").sum()) if touching else 0,
                "entities_at_high": len(at_high),
            }
        )

    by_detector = _by_detector(per_alert)
    by_level = {level: int((per_alert["level"] == level).sum()) for level in LEVELS}
    return EvalReport(
        schemes=pd.DataFrame(
            scheme_rows,
            columns=["scheme", "instances", "found", "recall", "detectors", "found_loose", "recall_loose"],
        ),
        precision_at_k=precision["alert"]["strict"],
        decoys=pd.DataFrame(
            decoy_rows, columns=["scheme", "entities", "alerts", "high_alerts", "entities_at_high"]
        ),
        alerts=len(per_alert),
        missed=missed,
        precision=precision,
        high=high,
        decoy_entities_at_high=len(decoys_at_high),
        by_detector=by_detector,
        by_level=by_level,
        cases=len(cases),
        case_source=case_source,
        contracts=contracts,
    )


def _by_detector(per_alert: pd.DataFrame) -> pd.DataFrame:
    columns = ["detector", "alerts", *LEVELS, "real_strict", "real_loose"]
    if per_alert.empty:
        return pd.DataFrame(columns=columns)
    frame = per_alert.assign(**{level: per_alert["level"] == level for level in LEVELS})
    out = frame.groupby("detector").agg(
        alerts=("alert_id", "count"),
        **{level: (level, "sum") for level in LEVELS},
        real_strict=("real_strict", "sum"),
        real_loose=("real_loose", "sum"),
    )
    out = out.reset_index().sort_values(["alerts", "detector"], ascending=[False, True])
    return out[columns].astype(dict.fromkeys(columns[1:], int)).reset_index(drop=True)


def report_row(report: EvalReport) -> dict[str, Any]:
    """The headline figures of one evaluation, flat (one row of a table across runs)."""
    return {
        "alerts": report.alerts,
        "alerts_per_10k": report.alerts_per_10k_contracts,
        "p10": report.precision["alert"]["strict"].get(10),
        "p50": report.precision["alert"]["strict"].get(50),
        "p10_loose": report.precision["alert"]["loose"].get(10),
        "p50_loose": report.precision["alert"]["loose"].get(50),
        "case_p10": report.precision["case"]["strict"].get(10),
        "entity_p10": report.precision["entity"]["labelled"].get(10),
        "high": int(report.high.get("alerts", 0)),
        "high_real": report.high.get("share_strict"),
        "decoys_at_high": report.decoy_entities_at_high,
        "min_recall": report.min_recall,
    }

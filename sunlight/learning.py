"""Learning from investigators' decisions: a calibrated model beside the rules (docs/learning.md).

Every confirmed or remediated (销号) case is a positive label for its alerts, every dismissed
case a negative one, with the reason the investigator gave. ``sunlight learn`` trains on
them a regularised logistic model (scikit-learn, probabilities calibrated by
:class:`~sklearn.calibration.CalibratedClassifierCV`) and re-scores the open alerts and
cases: the learned score stands beside the rule score, which it never changes.

Features of an alert (:func:`alert_items`):

* its detector (one-hot), rule score, whether it is a hard flag, its measured values
  (every number among the evidence's ``metrics``: lift, share, HHI, screens, amounts ...,
  sign-preserving log scale), its case's corroborating families and score;
* graph features relative to the labelled cases (:func:`graph_features`): personalised
  PageRank over the entity graph (bids, awards, approvals, requests) seeded on the
  entities of confirmed (and, apart, of dismissed) alerts; the parties it shares with
  confirmed and with dismissed alerts; and how often the parties it names were in
  confirmed rather than dismissed alerts.

Graph features of a labelled alert are computed from the *other* folds' labels only
(folds grouped by case), so no alert learns from its own label; the cross-validated
figures are nested the same way (:func:`cross_validate`).

Guard rails (:data:`MIN_PER_CLASS`, :data:`HARD_FLOOR`): rules alone until there are enough
dispositions of each class; a hard flag is never given a learned level below high; every
model is kept in the store (:mod:`graph.learned`) with its training-set summary and its
cross-validated figures, every training is an entry in the trail, and an earlier model
can be restored.

The same learner scores tenders of the labelled cartel markets (:mod:`sunlight.cartel_eval`):
anything with a numeric feature table and a set of entity keys per item is an
:class:`Items`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from detectors.base import HIGH

__all__ = [
    "CV_FOLDS",
    "HARD_FLOOR",
    "MIN_PER_CLASS",
    "NEGATIVE_STATUSES",
    "POSITIVE_STATUSES",
    "EntityGraph",
    "Items",
    "LearnedModel",
    "alert_items",
    "cross_validate",
    "dispositions",
    "entity_graph",
    "fit",
    "fit_and_score",
    "graph_features",
    "oof_graph_features",
    "predict",
]

#: Rules alone until the store holds at least this many labelled alerts of each class
#: (confirmed or remediated; dismissed): fewer cannot be cross-validated in five folds
#: with a few of each class per fold.
MIN_PER_CLASS = 20
#: Statuses that say an investigator found the case real ...
POSITIVE_STATUSES = ("confirmed", "remediated")
#: ... and the one that says it was not.
NEGATIVE_STATUSES = ("dismissed",)
#: A hard flag's learned score is at least this: level ``high`` (above detectors.base.HIGH).
HARD_FLOOR = round(HIGH + 0.01, 2)
#: Folds of the cross-fitting and of the cross-validation (grouped by case).
CV_FOLDS = 5
#: A measured value becomes a feature when at least this many labelled alerts carry it.
MIN_FEATURE_SUPPORT = 3
#: The regularisation of the logistic model (inverse strength, scikit-learn's ``C``).
REGULARISATION_C = 0.02
#: Nodes with more neighbours than this are hubs the party circles do not pass through.
HUB_DEGREE = 200
#: Damping of the personalised PageRank (the chance of following an edge rather than restarting).
PPR_DAMPING = 0.85
PPR_ITERATIONS = 30
#: The party labels whose shared members tie two alerts (entity types as in entity keys).
PARTY_TYPES = ("supplier", "employee", "person")

GRAPH_FEATURES = (
    "ppr_confirmed",
    "ppr_dismissed",
    "shared_confirmed",
    "shared_dismissed",
    "party_confirmed_rate_max",
    "party_confirmed_rate_mean",
)


# ---- items: what the learner scores ----------------------------------------------------------------
@dataclass
class Items:
    """Things to score: a numeric feature table (index = item id), the entity keys each item
    names, the group each belongs to (its case: folds never split a group), and for labelled
    items the label (1 real, 0 not)."""

    features: pd.DataFrame
    entities: dict[str, frozenset[str]]
    groups: pd.Series
    labels: pd.Series = field(default_factory=lambda: pd.Series(dtype=int))
    #: per item, for explanations: detector, rule score, hard flag, case id
    info: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def ids(self) -> list[str]:
        return list(self.features.index)


def _signed_log(value: float) -> float:
    return float(np.sign(value) * np.log1p(abs(value)))


#: Numbers among the metrics that name or order rather than measure (a year, a rank, a seed).
NOT_MEASURES = frozenset({"year", "rank", "seed", "community", "step", "month"})


def _numbers(metrics: Mapping[str, Any]) -> dict[str, float]:
    """The top-level numbers of an evidence's ``metrics`` (booleans as 0/1), on a signed log scale."""
    out = {}
    for key, value in metrics.items():
        if key in NOT_MEASURES:
            continue
        if isinstance(value, bool):
            out[f"m:{key}"] = float(value)
        elif isinstance(value, int | float) and np.isfinite(value):
            out[f"m:{key}"] = _signed_log(float(value))
    return out


def is_hard(score: float, level: str) -> bool:
    """A hard flag: rule score 1.0, or level high below the high threshold (only a hard
    flag is high there, :func:`detectors.base.level_of`).

    >>> is_hard(1.0, "high"), is_hard(0.3, "high"), is_hard(0.9, "high"), is_hard(0.3, "low")
    (True, True, False, False)
    """
    return score >= 1.0 or (level == "high" and score <= HIGH)


def alert_items(alerts: pd.DataFrame, cases: pd.DataFrame) -> Items:
    """Every alert of ``alerts`` (:meth:`graph.store.Store.alerts` rows) as an item: its base
    features (no graph features yet), its entities and its case. ``cases``:
    :func:`graph.cases.read_cases`."""
    rows = alerts.dropna(subset=["alert_id"])
    keys = rows.dropna(subset=["entity_type", "entity_id"])
    entities: dict[str, set[str]] = {}
    for alert_id, etype, eid in zip(keys["alert_id"], keys["entity_type"], keys["entity_id"], strict=True):
        entities.setdefault(str(alert_id), set()).add(f"{etype}:{eid}")
    one = rows.drop_duplicates("alert_id").set_index("alert_id")
    known = cases.set_index("case_id") if not cases.empty else pd.DataFrame()
    records, info = [], []
    for alert_id, row in one.iterrows():
        try:
            evidence = json.loads(row["evidence"]) if isinstance(row["evidence"], str) else {}
        except ValueError:
            evidence = {}
        metrics = evidence.get("metrics") if isinstance(evidence.get("metrics"), dict) else {}
        score = float(row["score"])
        hard = is_hard(score, str(row["level"]))
        case_id = row.get("case_id") if isinstance(row.get("case_id"), str) and row.get("case_id") else None
        families = known.at[case_id, "families"] if case_id is not None and case_id in known.index else {}
        features = {
            f"detector={row['detector']}": 1.0,
            "rule_score": score,
            "hard": float(hard),
            "case_families": float(len(families or {})),
            "case_score": float(known.at[case_id, "score"]) if families else score,
            "entities": _signed_log(len(entities.get(str(alert_id), ()))),
            **_numbers(metrics),
        }
        raw = evidence.get("raw_score")
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            features["raw_score"] = float(raw)
        records.append(features)
        info.append(
            {
                "detector": str(row["detector"]),
                "score": score,
                "level": str(row["level"]),
                "hard": hard,
                "case_id": case_id or str(alert_id),
                "status": str(row["status"]),
                "category": _category(metrics),
                "learned_score": row.get("learned_score"),
            }
        )
    index = pd.Index([str(a) for a in one.index], name="id")
    features = pd.DataFrame.from_records(records, index=index).fillna(0.0) if records else pd.DataFrame()
    info_frame = pd.DataFrame.from_records(info, index=index) if info else pd.DataFrame()
    return Items(
        features=features.astype(float),
        entities={a: frozenset(entities.get(a, ())) for a in index},
        groups=info_frame["case_id"] if not info_frame.empty else pd.Series(dtype=object),
        info=info_frame,
    )


def _category(metrics: Mapping[str, Any]) -> str | None:
    value = metrics.get("category")
    return value if isinstance(value, str) and value else None


# ---- labels ----------------------------------------------------------------------------------
def _reason_key(reason: str) -> str:
    """A reason as it recurs: trimmed, lower case, inner spaces and end punctuation folded.

    >>> _reason_key("  公用事业，统一采购。 "), _reason_key("Framework  agreement")
    ('公用事业，统一采购', 'framework agreement')
    """
    return re.sub(r"\s+", " ", reason.strip().lower()).rstrip("。.!！;；")


def dismissal_reasons(entries: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Case id -> the reason of its latest dismissal, from the trail's ``case.status`` entries."""
    out: dict[str, str] = {}
    for entry in entries:
        details = entry.get("details") or {}
        if entry.get("action") == "case.status" and details.get("to") in NEGATIVE_STATUSES:
            reason = details.get("reason")
            if isinstance(reason, str) and reason.strip():
                out[str(details.get("case_id"))] = reason.strip()
    return out


def dispositions(items: Items, reasons: Mapping[str, str]) -> pd.DataFrame:
    """Labelled alerts: ``label`` 1 for confirmed / remediated, 0 for dismissed, with the
    dismissal's ``reason`` (index = alert id). An alert carries its case's status."""
    info = items.info
    if info.empty:
        return pd.DataFrame(columns=["label", "case_id", "reason"])
    status = info["status"]
    labelled = info[status.isin([*POSITIVE_STATUSES, *NEGATIVE_STATUSES])]
    return pd.DataFrame(
        {
            "label": labelled["status"].isin(POSITIVE_STATUSES).astype(int),
            "case_id": labelled["case_id"],
            "reason": [
                reasons.get(c) if s in NEGATIVE_STATUSES else None
                for c, s in zip(labelled["case_id"], labelled["status"], strict=True)
            ],
        },
        index=labelled.index,
    )


# ---- the entity graph --------------------------------------------------------------------------
@dataclass
class EntityGraph:
    """An undirected graph of entity keys (bids, awards, approvals, requests), as a sparse matrix."""

    index: dict[str, int]
    adjacency: sparse.csr_matrix

    @property
    def keys(self) -> list[str]:
        return list(self.index)

    def degree(self) -> np.ndarray:
        return np.asarray((self.adjacency > 0).sum(axis=1)).ravel()

    @cached_property
    def transition(self) -> sparse.csr_matrix:
        """The random walk's column-stochastic transition matrix."""
        n = len(self.index)
        weight = np.asarray(self.adjacency.sum(axis=1)).ravel()
        inverse = np.divide(1.0, weight, out=np.zeros(n), where=weight > 0)
        return sparse.csr_matrix(self.adjacency.multiply(inverse[:, None])).T.tocsr()


def entity_graph(pairs: Iterable[tuple[str, str]]) -> EntityGraph:
    """The graph of ``pairs`` of entity keys (repeated pairs add weight)."""
    src, dst = [], []
    index: dict[str, int] = {}
    for a, b in pairs:
        if a == b:
            continue
        src.append(index.setdefault(a, len(index)))
        dst.append(index.setdefault(b, len(index)))
    n = len(index)
    weights = np.ones(len(src) * 2)
    matrix = sparse.coo_matrix((weights, (src + dst, dst + src)), shape=(n, n)).tocsr()
    return EntityGraph(index=index, adjacency=matrix)


def snapshot_pairs(snapshot: Any) -> list[tuple[str, str]]:
    """The edges of a store's entity graph: a supplier and the tenders it bid on, a contract and
    its supplier, tender, approvers and requester (departments, hubs of everything, left out)."""
    out: list[tuple[str, str]] = []
    bids = snapshot.bids
    out += [
        (f"supplier:{s}", f"tender:{t}") for s, t in zip(bids["supplier_id"], bids["tender_id"], strict=True)
    ]
    contracts = snapshot.contracts
    for column, etype in (("supplier_id", "supplier"), ("tender_id", "tender"), ("requester_id", "employee")):
        if column in contracts:
            sub = contracts.dropna(subset=[column])
            out += [(f"contract:{c}", f"{etype}:{x}") for c, x in zip(sub["id"], sub[column], strict=True)]
    approvals = snapshot.approvals
    out += [
        (f"employee:{e}", f"contract:{c}")
        for e, c in zip(approvals["approver_id"], approvals["contract_id"], strict=True)
    ]
    return out


def _ppr(graph: EntityGraph, seeds: Iterable[str]) -> np.ndarray:
    """Personalised PageRank from ``seeds`` (restart uniformly on them), by power iteration."""
    n = len(graph.index)
    start = np.zeros(n)
    hits = [graph.index[k] for k in seeds if k in graph.index]
    if not hits or n == 0:
        return start
    start[hits] = 1.0 / len(hits)
    transition = graph.transition
    rank = start.copy()
    for _ in range(PPR_ITERATIONS):
        rank = (1 - PPR_DAMPING) * start + PPR_DAMPING * (transition @ rank)
    return rank


def party_circles(items: Items, graph: EntityGraph) -> dict[str, frozenset[str]]:
    """Per item, the parties it involves: the parties it names, and the parties one hop from
    the records it names (a tender's bidders, a contract's supplier and approvers), hubs left out."""
    degree = graph.degree()
    neighbours = graph.adjacency.tolil().rows if len(graph.index) else []
    keys = graph.keys
    out = {}
    for item, names in items.entities.items():
        circle = {k for k in names if k.split(":", 1)[0] in PARTY_TYPES}
        for key in names:
            if key.split(":", 1)[0] in PARTY_TYPES or key not in graph.index:
                continue
            i = graph.index[key]
            if degree[i] > HUB_DEGREE:
                continue
            circle.update(keys[j] for j in neighbours[i] if keys[j].split(":", 1)[0] in PARTY_TYPES)
        out[item] = frozenset(circle)
    return out


def graph_features(
    items: Items,
    graph: EntityGraph,
    circles: Mapping[str, frozenset[str]],
    seeds: pd.Series,
    targets: Sequence[str],
) -> pd.DataFrame:
    """The graph features (:data:`GRAPH_FEATURES`) of ``targets`` relative to the labelled
    ``seeds`` (item id -> 1 confirmed / 0 dismissed): nothing of a target's own label enters
    unless the target is among the seeds, which callers avoid (:func:`oof_graph_features`)."""
    n_nodes = max(len(graph.index), 1)
    positive = [i for i, y in seeds.items() if y == 1]
    negative = [i for i, y in seeds.items() if y == 0]
    rank_pos = _ppr(graph, {k for i in positive for k in items.entities.get(i, ())})
    rank_neg = _ppr(graph, {k for i in negative for k in items.entities.get(i, ())})
    in_pos: Counter[str] = Counter(k for i in positive for k in circles.get(i, ()))
    in_neg: Counter[str] = Counter(k for i in negative for k in circles.get(i, ()))
    rows = []
    for target in targets:
        nodes = [graph.index[k] for k in items.entities.get(target, ()) if k in graph.index]
        circle = circles.get(target, frozenset())
        rates = [in_pos[k] / (in_pos[k] + in_neg[k] + 1.0) for k in circle]
        rows.append(
            {
                "ppr_confirmed": float(np.log1p(rank_pos[nodes].sum() * n_nodes)) if nodes else 0.0,
                "ppr_dismissed": float(np.log1p(rank_neg[nodes].sum() * n_nodes)) if nodes else 0.0,
                "shared_confirmed": float(np.log1p(sum(1 for k in circle if in_pos[k]))),
                "shared_dismissed": float(np.log1p(sum(1 for k in circle if in_neg[k]))),
                "party_confirmed_rate_max": max(rates, default=0.0),
                "party_confirmed_rate_mean": float(np.mean(rates)) if rates else 0.0,
            }
        )
    return pd.DataFrame(rows, index=pd.Index(list(targets), name="id"), columns=list(GRAPH_FEATURES))


def _group_folds(ids: Sequence[str], groups: pd.Series, labels: pd.Series, folds: int) -> list[np.ndarray]:
    """Test indices of ``folds`` folds that never split a group (scikit-learn's StratifiedGroupKFold,
    shuffled with a fixed seed so that reruns agree)."""
    from sklearn.model_selection import StratifiedGroupKFold

    y = labels.reindex(ids).to_numpy()
    g = groups.reindex(ids).astype(str).to_numpy()
    k = max(2, min(folds, len(set(g)), int(min(np.bincount(y, minlength=2)))))
    splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=0)
    return [test for _, test in splitter.split(np.zeros(len(ids)), y, g)]


def oof_graph_features(
    items: Items,
    graph: EntityGraph,
    circles: Mapping[str, frozenset[str]],
    labelled: Sequence[str],
    folds: int = CV_FOLDS,
) -> pd.DataFrame:
    """Graph features of the ``labelled`` items, each from the labels of the other folds only."""
    ids = list(labelled)
    parts = []
    for test in _group_folds(ids, items.groups, items.labels, folds):
        test_ids = [ids[i] for i in test]
        held = set(test_ids)
        seeds = items.labels.loc[[i for i in ids if i not in held]]
        parts.append(graph_features(items, graph, circles, seeds, test_ids))
    return pd.concat(parts).reindex(ids)


# ---- the model ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LearnedModel:
    """A fitted model as the store keeps it: everything to score with, nothing pickled."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    calibration: tuple[float, float]  # Platt's a, b: p = 1 / (1 + exp(a · decision + b))

    def decision(self, frame: pd.DataFrame) -> np.ndarray:
        x = frame.reindex(columns=list(self.features)).fillna(0.0).to_numpy(dtype=float)
        z = (x - np.asarray(self.mean)) / np.asarray(self.scale)
        return z @ np.asarray(self.coef) + self.intercept

    def contributions(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Per item and feature, its part of the decision value (coefficient × standardised value)."""
        x = frame.reindex(columns=list(self.features)).fillna(0.0).to_numpy(dtype=float)
        z = (x - np.asarray(self.mean)) / np.asarray(self.scale)
        return pd.DataFrame(z * np.asarray(self.coef), index=frame.index, columns=list(self.features))

    def to_dict(self) -> dict[str, Any]:
        return {
            "features": list(self.features),
            "mean": list(self.mean),
            "scale": list(self.scale),
            "coef": list(self.coef),
            "intercept": self.intercept,
            "calibration": list(self.calibration),
        }

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> LearnedModel:
        return cls(
            features=tuple(doc["features"]),
            mean=tuple(float(v) for v in doc["mean"]),
            scale=tuple(float(v) for v in doc["scale"]),
            coef=tuple(float(v) for v in doc["coef"]),
            intercept=float(doc["intercept"]),
            calibration=(float(doc["calibration"][0]), float(doc["calibration"][1])),
        )


def predict(model: LearnedModel, frame: pd.DataFrame) -> np.ndarray:
    """Calibrated probabilities that investigators would confirm each row of ``frame``."""
    from scipy.special import expit

    a, b = model.calibration
    return expit(-(a * model.decision(frame) + b))


#: Features the model keeps close to at little cost: their standardised values are multiplied by
#: :data:`RULE_PRIOR` before fitting, so their coefficients are penalised RULE_PRIOR² times less.
#: With few decisions the model then stays near the rules and the decisions correct them (a prior
#: on the rule score rather than on indifference).
PRIOR_FEATURES = ("rule_score",)
RULE_PRIOR = 10.0


def _estimator() -> Any:
    from sklearn.linear_model import LogisticRegression

    # liblinear: exact and quick on the few hundred rows that decisions give
    return LogisticRegression(C=REGULARISATION_C, class_weight="balanced", solver="liblinear", max_iter=2000)


def standardisation(x: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Mean and scale of each column (scale 1 where a column is constant; the prior features'
    scale divided by :data:`RULE_PRIOR`)."""
    mean = x.mean().to_numpy(dtype=float)
    scale = x.std(ddof=0).to_numpy(dtype=float)
    scale = np.where(scale > 0, scale, 1.0)
    for i, name in enumerate(x.columns):
        if name in PRIOR_FEATURES:
            scale[i] /= RULE_PRIOR
    return mean, scale


def fit(x: pd.DataFrame, y: pd.Series, groups: pd.Series, folds: int = CV_FOLDS) -> LearnedModel:
    """A regularised logistic model on ``x``, its probabilities calibrated (Platt) on
    out-of-fold decisions (folds grouped by ``groups``), as a :class:`LearnedModel`."""
    from sklearn.calibration import CalibratedClassifierCV

    ids = list(x.index)
    tests = _group_folds(ids, groups, y, folds)
    every = np.arange(len(ids))
    splits = [(np.setdiff1d(every, test), test) for test in tests]
    mean, scale = standardisation(x)
    z = (x.to_numpy(dtype=float) - mean) / scale
    calibrated = CalibratedClassifierCV(_estimator(), method="sigmoid", cv=splits, ensemble=False)
    calibrated.fit(z, y.reindex(ids).to_numpy())
    inner = calibrated.calibrated_classifiers_[0]
    logistic, sigmoid = inner.estimator, inner.calibrators[0]
    return LearnedModel(
        features=tuple(x.columns),
        mean=tuple(float(v) for v in mean),
        scale=tuple(float(v) for v in scale),
        coef=tuple(float(v) for v in logistic.coef_[0]),
        intercept=float(logistic.intercept_[0]),
        calibration=(float(sigmoid.a_), float(sigmoid.b_)),
    )


def feature_columns(base: pd.DataFrame, labelled: Sequence[str]) -> list[str]:
    """The base features a model uses: those that at least :data:`MIN_FEATURE_SUPPORT` labelled
    items carry (non-zero), and the graph features."""
    carried = (base.loc[list(labelled)] != 0).sum()
    kept = [c for c in base.columns if carried.get(c, 0) >= MIN_FEATURE_SUPPORT]
    return kept + list(GRAPH_FEATURES)


def _roc_auc(y: np.ndarray, p: np.ndarray) -> float | None:
    from sunlight.cartel_eval import roc_auc

    return roc_auc(y, p)


def _pr_auc(y: np.ndarray, p: np.ndarray) -> float | None:
    from sunlight.cartel_eval import average_precision

    return average_precision(y, p)


def fit_and_score(
    items: Items,
    graph: EntityGraph,
    circles: Mapping[str, frozenset[str]],
    train_ids: Sequence[str],
    test_ids: Sequence[str],
) -> pd.Series:
    """Train on ``train_ids`` as ``sunlight learn`` does (graph features cross-fitted inside the
    training set) and score ``test_ids`` (graph features from the training labels only)."""
    train = items_subset(items, train_ids)
    columns = feature_columns(items.features, train_ids)
    x_train = items.features.loc[list(train_ids)].join(oof_graph_features(train, graph, circles, train_ids))
    x_test = items.features.loc[list(test_ids)].join(
        graph_features(items, graph, circles, items.labels.loc[list(train_ids)], test_ids)
    )
    model = fit(x_train[columns], items.labels.loc[list(train_ids)], items.groups)
    return pd.Series(predict(model, x_test[columns]), index=list(test_ids))


def cross_validate(
    items: Items, graph: EntityGraph, circles: Mapping[str, frozenset[str]], labelled: Sequence[str]
) -> dict[str, Any]:
    """Nested, case-grouped cross-validation of the whole procedure (:func:`fit_and_score` per
    fold): ROC-AUC, PR-AUC and Brier score of the out-of-fold probabilities, beside the rule score's."""
    ids = list(labelled)
    y = items.labels.reindex(ids)
    predicted = pd.Series(np.nan, index=ids)
    for test in _group_folds(ids, items.groups, items.labels, CV_FOLDS):
        test_ids = [ids[i] for i in test]
        held = set(test_ids)
        train_ids = [i for i in ids if i not in held]
        predicted.loc[test_ids] = fit_and_score(items, graph, circles, train_ids, test_ids)
    truth, p = y.to_numpy(dtype=int), predicted.to_numpy(dtype=float)
    rule = (
        items.features.loc[ids, "rule_score"].to_numpy(dtype=float)
        if "rule_score" in items.features
        else p * 0
    )
    return {
        "folds": CV_FOLDS,
        "grouped_by": "case",
        "roc_auc": _round(_roc_auc(truth, p)),
        "pr_auc": _round(_pr_auc(truth, p)),
        "brier": _round(float(np.mean((p - truth) ** 2))),
        "rule_roc_auc": _round(_roc_auc(truth, rule)),
        "rule_pr_auc": _round(_pr_auc(truth, rule)),
        "predicted": predicted,
    }


def items_subset(items: Items, ids: Sequence[str]) -> Items:
    """The items ``ids`` (labels of the others dropped): their own folds see no other label."""
    keep = list(ids)
    return Items(
        features=items.features.loc[keep],
        entities=items.entities,
        groups=items.groups,
        labels=items.labels.loc[[i for i in keep if i in items.labels.index]],
        info=items.info,
    )


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), digits)


def training_fingerprint(labels: pd.Series, reasons: Mapping[str, Any]) -> str:
    """A digest of the labelled alerts (and dismissal reasons): a model trained on the same
    decisions has the same fingerprint, so a nightly run retrains only when they changed."""
    body = json.dumps(
        {
            "labels": {str(k): int(v) for k, v in sorted(labels.items())},
            "reasons": dict(sorted(reasons.items())),
        },
        ensure_ascii=False,
        sort_keys=True,
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()[:16]


def new_version(at: datetime, fingerprint: str) -> str:
    """A model's version: when it was trained and on which decisions (their fingerprint's start).

    >>> new_version(datetime(2026, 12, 7, 14, 5, 1), "3fa9c2d41b07e655")
    'LM-20261207-140501-3fa9c2'
    """
    return f"LM-{at:%Y%m%d-%H%M%S}-{fingerprint[:6]}"

"""``sunlight learn`` and the learning step of ``sunlight run``: train, re-score, explain, restore.

:mod:`sunlight.learning` is the learner; this module is where it meets the store and the
trail: it reads the dispositions (case statuses from the store, dismissal reasons from the
trail), trains when enough exist, keeps the model in the store (:mod:`graph.learned`),
writes the learned scores and their reasons on the open alerts and cases, records each
training in the trail, and offers recurring dismissal reasons as ``policy.yaml``
exemptions. docs/learning.md explains it for investigators and admins.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from detectors.base import level_of
from graph.cases import read_cases
from graph.learned import activate_model, active_model, read_models, save_model, write_learned_scores
from graph.store import Store
from sunlight import learning as L
from sunlight.audit import AuditLog

__all__ = [
    "LearnPlan",
    "Move",
    "apply_plan",
    "exemption_suggestions",
    "learn_step",
    "plan_learning",
    "restore_model",
]

#: A dismissal reason given to at least this many cases is offered as a policy exemption.
REASON_RECURRENCE = 3
#: Reasons shown per alert.
REASONS_SHOWN = 3


@dataclass(frozen=True)
class Move:
    """How one open alert's learned score would move."""

    alert_id: str
    case_id: str
    detector: str
    rule_score: float
    before: float | None  # the learned score it has now (None: none yet)
    after: float
    level: str
    reasons: list[dict[str, Any]]

    @property
    def delta(self) -> float:
        return self.after - (self.before if self.before is not None else self.rule_score)


@dataclass
class LearnPlan:
    """What a training (or a re-scoring with the active model) would do."""

    status: str  # "trained", "rescored", "rules_only"
    counts: dict[str, int]
    version: str | None = None
    document: dict[str, Any] = field(default_factory=dict)
    moves: list[Move] = field(default_factory=list)
    cases: pd.DataFrame = field(default_factory=pd.DataFrame)
    suggestions: list[dict[str, Any]] = field(default_factory=list)
    new_model: bool = False


# ---- reading the store ----------------------------------------------------------------------------
def _setup(
    store: Store, audit: AuditLog | None
) -> tuple[L.Items, pd.DataFrame, pd.DataFrame, dict[str, str]]:
    alerts = store.alerts()
    cases = read_cases(store)
    items = L.alert_items(alerts, cases)
    reasons = L.dismissal_reasons(audit.entries() if audit is not None else [])
    labelled = L.dispositions(items, reasons)
    items.labels = labelled["label"].astype(int)
    return items, labelled, cases, reasons


def _counts(labelled: pd.DataFrame) -> dict[str, int]:
    return {
        "positive": int((labelled["label"] == 1).sum()),
        "negative": int((labelled["label"] == 0).sum()),
        "positive_cases": int(labelled.loc[labelled["label"] == 1, "case_id"].nunique()),
        "negative_cases": int(labelled.loc[labelled["label"] == 0, "case_id"].nunique()),
    }


def _graph(store: Store, items: L.Items) -> tuple[L.EntityGraph, dict[str, frozenset[str]]]:
    graph = L.entity_graph(L.snapshot_pairs(store.snapshot()))
    return graph, L.party_circles(items, graph)


# ---- planning ---------------------------------------------------------------------------------------
def plan_learning(
    store: Store, audit: AuditLog | None, *, retrain: bool = True, at: datetime | None = None
) -> LearnPlan:
    """Train on the store's dispositions (or, with ``retrain`` False or the decisions unchanged
    since the active model, re-score with it) and work out every open alert's learned score.
    Nothing is written: :func:`apply_plan` does that; ``sunlight learn --dry-run`` shows this."""
    items, labelled, _, reasons = _setup(store, audit)
    counts = _counts(labelled)
    suggestions = exemption_suggestions(items, labelled)
    current = active_model(store)
    enough = counts["positive"] >= L.MIN_PER_CLASS and counts["negative"] >= L.MIN_PER_CLASS
    fingerprint = L.training_fingerprint(items.labels, reasons)
    # decisions some model was already trained on: no new model (a restored one stays active)
    unchanged = fingerprint in {
        d.get("training", {}).get("fingerprint") for d in read_models(store)["document"]
    }
    if (not enough or not retrain or unchanged) and current is None:
        return LearnPlan("rules_only", counts, suggestions=suggestions)
    graph, circles = _graph(store, items)
    labelled_ids = list(labelled.index)
    if enough and retrain and not unchanged:
        when = (at or datetime.now()).replace(microsecond=0)
        document = _train(items, graph, circles, labelled, reasons, fingerprint, when)
        new_model, version = True, str(document["version"])
    else:
        assert current is not None
        document, new_model, version = current, False, str(current["version"])
    model = L.LearnedModel.from_dict(document["model"])
    open_ids = [i for i in items.ids if i not in set(labelled_ids)]
    x_open = items.features.reindex(open_ids).join(
        L.graph_features(items, graph, circles, items.labels.loc[labelled_ids], open_ids)
    )
    probabilities = pd.Series(L.predict(model, x_open), index=open_ids)
    moves = _moves(items, labelled, reasons, circles, model, x_open, probabilities, version)
    return LearnPlan(
        "trained" if new_model else "rescored",
        counts,
        version=version,
        document=document,
        moves=moves,
        cases=_case_scores(moves, items),
        suggestions=suggestions,
        new_model=new_model,
    )


def _train(
    items: L.Items,
    graph: L.EntityGraph,
    circles: Mapping[str, frozenset[str]],
    labelled: pd.DataFrame,
    reasons: Mapping[str, str],
    fingerprint: str,
    when: datetime,
) -> dict[str, Any]:
    ids = list(labelled.index)
    columns = L.feature_columns(items.features, ids)
    x = items.features.loc[ids].join(L.oof_graph_features(items, graph, circles, ids))[columns]
    model = L.fit(x, items.labels.loc[ids], items.groups)
    figures = L.cross_validate(items, graph, circles, ids)
    figures.pop("predicted")
    info = items.info.loc[ids]
    by_detector = (
        pd.DataFrame({"detector": info["detector"], "label": labelled["label"]})
        .groupby("detector")["label"]
        .agg(positive="sum", total="count")
    )
    top_reasons = Counter(L._reason_key(r) for r in set(reasons.values()))
    return {
        "version": L.new_version(when, fingerprint),
        "created_at": when.isoformat(timespec="seconds"),
        "learner": f"logistic regression (L2, C={L.REGULARISATION_C}, balanced), Platt-calibrated",
        "model": model.to_dict(),
        "training": {
            "fingerprint": fingerprint,
            **_counts(labelled),
            "by_detector": {
                d: {"positive": int(r.positive), "negative": int(r.total - r.positive)}
                for d, r in by_detector.iterrows()
            },
            "dismissal_reasons": dict(top_reasons.most_common(10)),
            "features": len(columns),
        },
        "cross_validation": figures,
    }


# ---- explanations ---------------------------------------------------------------------------------
def _feature_value(x: pd.Series, name: str) -> float:
    value = float(x.get(name, 0.0))
    return float(np.sign(value) * np.expm1(abs(value))) if name.startswith("m:") else value


def _kind_counts(items: L.Items, labelled: pd.DataFrame) -> dict[tuple[str, int], tuple[int, str | None]]:
    """(detector, label) -> (distinct cases, their most common dismissal reason)."""
    info = items.info.loc[labelled.index]
    frame = pd.DataFrame(
        {
            "detector": info["detector"],
            "label": labelled["label"],
            "case": labelled["case_id"],
            "reason": labelled["reason"],
        }
    )
    out = {}
    for (detector, label), group in frame.groupby(["detector", "label"]):
        per_case = group.drop_duplicates("case")
        reasons = Counter(r for r in per_case["reason"] if isinstance(r, str) and r)
        out[(str(detector), int(label))] = (len(per_case), reasons.most_common(1)[0][0] if reasons else None)
    return out


def _case_parties(
    labelled: pd.DataFrame, circles: Mapping[str, frozenset[str]], label: int
) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for alert_id, row in labelled[labelled["label"] == label].iterrows():
        out.setdefault(str(row["case_id"]), set()).update(circles.get(str(alert_id), ()))
    return out


def _shared_text(
    circle: frozenset[str], cases: Mapping[str, set[str]], confirmed: bool
) -> tuple[str, str] | None:
    best, shared = None, set()
    for case_id, parties in cases.items():
        common = circle & parties
        if len(common) > len(shared) or (
            len(common) == len(shared) and common and best is not None and case_id < best
        ):
            best, shared = case_id, common
    if not shared or best is None:
        return None
    suppliers = sum(1 for k in shared if k.startswith("supplier:"))
    people = len(shared) - suppliers
    zh_parts, en_parts = [], []
    if suppliers:
        zh_parts.append(f"{suppliers} 家投标人/供应商")
        en_parts.append(
            f"{suppliers} bidder{'s' if suppliers != 1 else ''}/supplier{'s' if suppliers != 1 else ''}"
        )
    if people:
        zh_parts.append(f"{people} 名人员")
        en_parts.append(f"{people} {'people' if people != 1 else 'person'}")
    word_zh, word_en = ("已确认", "confirmed") if confirmed else ("已排除", "dismissed")
    return (
        f"与{word_zh}案件 {best} 共用 {'、'.join(zh_parts)}",
        f"shares {' and '.join(en_parts)} with {word_en} case {best}",
    )


_FEATURE_NAMES = {
    "rule_score": ("规则分数", "rule score"),
    "raw_score": ("原始分数", "raw score"),
    "case_families": ("佐证类别数", "corroborating families"),
    "case_score": ("案件分数", "case score"),
    "entities": ("涉及对象数", "entities named"),
    "hard": ("硬性违规", "hard flag"),
    "m:lift": ("提升度", "lift"),
    "m:share": ("份额", "share"),
    "m:hhi": ("HHI 集中度", "HHI"),
    "m:value": ("金额", "value"),
    "m:total": ("总金额", "total"),
    "m:amount": ("金额", "amount"),
    "m:p_value": ("p 值", "p-value"),
    "m:q_value": ("q 值", "q-value"),
    "m:value_share": ("金额占比", "value share"),
    "m:top_share": ("最大供应商份额", "top supplier's share"),
    "m:top_share_fence": ("份额上限", "share fence"),
    "m:max_abs_z": ("最大偏离（z）", "largest deviation (z)"),
    "m:pieces": ("拆分笔数", "pieces"),
    "m:contracts": ("合同数", "contracts"),
    "m:n": ("合同数", "contracts"),
    "m:cv": ("报价离散系数", "bid CV"),
    "m:screen_score": ("报价筛查分", "screen score"),
    "m:probability": ("同一概率", "probability"),
    "m:strength": ("关联强度", "strength"),
    "m:cohesion": ("凝聚度", "cohesion"),
    "m:exclusivity": ("排他度", "exclusivity"),
}


def _shown(value: float) -> str:
    """A measured value as a reason quotes it.

    >>> _shown(0.4567), _shown(12.5), _shown(356200.0), _shown(3.0)
    ('0.457', '12.5', '356,200', '3')
    """
    if float(value).is_integer():
        return f"{value:,.0f}"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _explain(
    alert_id: str,
    x: pd.Series,
    contributions: pd.Series,
    items: L.Items,
    kinds: Mapping[tuple[str, int], tuple[int, str | None]],
    confirmed_parties: Mapping[str, set[str]],
    dismissed_parties: Mapping[str, set[str]],
    circles: Mapping[str, frozenset[str]],
    floored: bool,
) -> list[dict[str, Any]]:
    """Why the learned score is where it is: the largest parts of the decision, in words."""
    detector = str(items.info.at[alert_id, "detector"])
    circle = circles.get(alert_id, frozenset())
    candidates: list[dict[str, Any]] = []

    def add(code: str, weight: float, zh: str, en: str) -> None:
        candidates.append({"code": code, "weight": round(float(weight), 3), "zh": zh, "en": en})

    graph_pos = sum(
        float(contributions.get(f, 0.0))
        for f in (
            "shared_confirmed",
            "party_confirmed_rate_max",
            "party_confirmed_rate_mean",
            "ppr_confirmed",
        )
    )
    shared = _shared_text(circle, confirmed_parties, confirmed=True)
    if shared is not None:
        add("shared_confirmed", graph_pos, *shared)
    elif abs(float(contributions.get("ppr_confirmed", 0.0))) > 0.05:
        up = float(contributions.get("ppr_confirmed", 0.0)) > 0
        add(
            "near_confirmed",
            float(contributions.get("ppr_confirmed", 0.0)),
            "关系网上邻近已确认案件" if up else "关系网上远离已确认案件",
            "close to confirmed cases in the graph" if up else "far from confirmed cases in the graph",
        )
    shared_neg = _shared_text(circle, dismissed_parties, confirmed=False)
    if shared_neg is not None:
        add(
            "shared_dismissed",
            float(contributions.get("shared_dismissed", 0.0) + contributions.get("ppr_dismissed", 0.0)),
            *shared_neg,
        )
    kind_weight = float(contributions.get(f"detector={detector}", 0.0))
    dismissed, reason = kinds.get((detector, 0), (0, None))
    confirmed, _ = kinds.get((detector, 1), (0, None))
    moved_down = float(contributions.sum()) < 0
    if (kind_weight < 0 or moved_down) and dismissed:
        add(
            "kind_dismissed",
            kind_weight,
            f"同类已排除案件 {dismissed} 件" + (f"：{reason}" if reason else ""),
            f"{dismissed} dismissed case{'s' if dismissed != 1 else ''} of the same kind"
            + (f": {reason}" if reason else ""),
        )
    elif kind_weight > 0 and confirmed:
        add(
            "kind_confirmed",
            kind_weight,
            f"同类已确认案件 {confirmed} 件",
            f"{confirmed} confirmed case{'s' if confirmed != 1 else ''} of the same kind",
        )
    covered = {
        "shared_confirmed",
        "party_confirmed_rate_max",
        "party_confirmed_rate_mean",
        "ppr_confirmed",
        "shared_dismissed",
        "ppr_dismissed",
        f"detector={detector}",
    }
    rest = contributions.drop(labels=[c for c in covered if c in contributions.index])
    rest = rest[[not c.startswith("detector=") for c in rest.index]]
    for name in rest.abs().sort_values(ascending=False).index[:REASONS_SHOWN]:
        weight = float(rest[name])
        if abs(weight) < 0.05:
            break
        zh_name, en_name = _FEATURE_NAMES.get(name, (name.removeprefix("m:"), name.removeprefix("m:")))
        value = _feature_value(x, name)
        shown = _shown(value)
        add(
            f"feature:{name}",
            weight,
            f"{zh_name} {shown}，{'推高' if weight > 0 else '拉低'}学习分数",
            f"{en_name} {shown} moved it {'up' if weight > 0 else 'down'}",
        )
    # what ties it to decided cases first (the reasons a person can check), then the measures
    ties = [c for c in candidates if not c["code"].startswith("feature:")]
    measures = sorted(
        (c for c in candidates if c["code"].startswith("feature:")), key=lambda c: -abs(c["weight"])
    )
    chosen = (sorted(ties, key=lambda c: -abs(c["weight"])) + measures)[:REASONS_SHOWN]
    if floored:
        chosen.insert(
            0,
            {
                "code": "hard_floor",
                "weight": 0.0,
                "zh": "硬性违规：学习分数不低于高风险",
                "en": "hard flag: the learned score is kept at high",
            },
        )
    return chosen


def _moves(
    items: L.Items,
    labelled: pd.DataFrame,
    reasons: Mapping[str, str],
    circles: Mapping[str, frozenset[str]],
    model: L.LearnedModel,
    x_open: pd.DataFrame,
    probabilities: pd.Series,
    version: str,
) -> list[Move]:
    kinds = _kind_counts(items, labelled)
    confirmed_parties = _case_parties(labelled, circles, 1)
    dismissed_parties = _case_parties(labelled, circles, 0)
    contributions = model.contributions(x_open)
    moves = []
    for alert_id in x_open.index:
        info = items.info.loc[alert_id]
        p = float(probabilities[alert_id])
        hard = bool(info["hard"])
        after = max(p, L.HARD_FLOOR) if hard else p
        reasons_of = _explain(
            alert_id,
            x_open.loc[alert_id],
            contributions.loc[alert_id],
            items,
            kinds,
            confirmed_parties,
            dismissed_parties,
            circles,
            floored=hard and p < L.HARD_FLOOR,
        )
        before = items.info.at[alert_id, "learned_score"] if "learned_score" in items.info else None
        moves.append(
            Move(
                alert_id=str(alert_id),
                case_id=str(info["case_id"]),
                detector=str(info["detector"]),
                rule_score=float(info["score"]),
                before=float(before) if before is not None and pd.notna(before) else None,
                after=round(after, 4),
                level=level_of(after, hard),
                reasons=reasons_of,
            )
        )
    return moves


def _case_scores(moves: Sequence[Move], items: L.Items) -> pd.DataFrame:
    """Per case, its best alert's learned score, level and reasons."""
    best: dict[str, Move] = {}
    for move in moves:
        if move.case_id not in best or move.after > best[move.case_id].after:
            best[move.case_id] = move
    return pd.DataFrame(
        {
            "id": list(best),
            "learned_score": [m.after for m in best.values()],
            "learned_level": [m.level for m in best.values()],
            "learned_reasons": [m.reasons for m in best.values()],
        }
    )


# ---- policy suggestions ---------------------------------------------------------------------------------
def exemption_suggestions(items: L.Items, labelled: pd.DataFrame) -> list[dict[str, Any]]:
    """Dismissal reasons given to at least :data:`REASON_RECURRENCE` cases, with the detectors and
    categories those cases share, as ``policy.yaml`` exemptions an admin may add."""
    dismissed = labelled[
        (labelled["label"] == 0) & labelled["reason"].map(lambda r: isinstance(r, str) and bool(r))
    ]
    if dismissed.empty:
        return []
    frame = dismissed.assign(
        key=dismissed["reason"].map(L._reason_key),
        detector=items.info.loc[dismissed.index, "detector"],
        category=items.info.loc[dismissed.index, "category"],
    )
    out = []
    for _, group in frame.groupby("key"):
        cases = group["case_id"].nunique()
        if cases < REASON_RECURRENCE:
            continue
        categories = Counter(
            c for c in group.drop_duplicates("case_id")["category"] if isinstance(c, str) and c
        )
        out.append(
            {
                "reason": str(group["reason"].iloc[0]),
                "cases": int(cases),
                "case_ids": sorted(group["case_id"].unique())[:10],
                "detectors": sorted(group["detector"].unique()),
                "categories": [c for c, _ in categories.most_common(5)],
            }
        )
    return sorted(out, key=lambda s: (-s["cases"], s["reason"]))


#: Detectors that ``policy.yaml``'s ``direct_award_exempt_categories`` exempts categories from.
EXEMPTING_DETECTORS = frozenset({"direct_awards", "split_purchase"})


def suggestion_yaml(suggestion: Mapping[str, Any]) -> str:
    """The ``policy.yaml`` line a suggestion stands for: categories exempted from competition
    where the dismissed cases are of detectors that exemption governs and name categories,
    else a comment naming what recurs (a detector's settings are the place for it).

    >>> suggestion_yaml({"categories": ["电力", "供水"], "reason": "公用事业", "detectors": ["direct_awards"]})
    'direct_award_exempt_categories: [电力, 供水]   # 公用事业'
    >>> suggestion_yaml({"categories": ["电力"], "reason": "统一采购", "detectors": ["concentration"]})
    '# concentration: 统一采购 (categories 电力): see the detector settings (detectors.yaml)'
    """
    categories = list(suggestion.get("categories") or [])
    detectors = list(suggestion.get("detectors") or [])
    if categories and set(detectors) <= EXEMPTING_DETECTORS:
        return f"direct_award_exempt_categories: [{', '.join(categories)}]   # {suggestion['reason']}"
    where = f" (categories {', '.join(categories)})" if categories else ""
    return (
        f"# {', '.join(detectors)}: {suggestion['reason']}{where}: see the detector settings (detectors.yaml)"
    )


# ---- writing ------------------------------------------------------------------------------------------------
def apply_plan(
    store: Store,
    audit: AuditLog | None,
    plan: LearnPlan,
    actor: str | None = None,
    record_rules_only: bool = True,
) -> None:
    """Keep a newly trained model (active), write the learned scores, and record it in the trail
    (a request that found too few decisions too, unless ``record_rules_only`` is False: the
    nightly step, whose run history says so, does not repeat it in the trail every night)."""
    if plan.status == "rules_only":
        if audit is not None and record_rules_only:
            audit.append(
                "learn",
                {"status": "rules_only", "minimum_per_class": L.MIN_PER_CLASS, **plan.counts},
                actor=actor,
            )
        return
    assert plan.version is not None
    if plan.new_model:
        save_model(store, plan.version, plan.document, datetime.fromisoformat(plan.document["created_at"]))
    _write_scores(store, plan)
    if audit is not None:
        audit.append(
            "learn" if plan.new_model else "learn.rescore",
            {
                "status": plan.status,
                "version": plan.version,
                **plan.counts,
                "cross_validation": plan.document.get("cross_validation", {}) if plan.new_model else None,
                "rescored": len(plan.moves),
                "raised": sum(1 for m in plan.moves if m.after > m.rule_score),
                "lowered": sum(1 for m in plan.moves if m.after < m.rule_score),
            },
            actor=actor,
        )


def _write_scores(store: Store, plan: LearnPlan) -> None:
    scored = {m.alert_id for m in plan.moves}
    alerts = store.alerts().drop_duplicates("alert_id")
    stale = [
        a
        for a, s in zip(alerts["alert_id"], alerts["learned_score"], strict=True)
        if a not in scored and pd.notna(s)
    ]
    rows = pd.DataFrame(
        {
            "id": [m.alert_id for m in plan.moves] + stale,
            "learned_score": [m.after for m in plan.moves] + [None] * len(stale),
            "learned_level": [m.level for m in plan.moves] + [None] * len(stale),
            "learned_reasons": [m.reasons for m in plan.moves] + [None] * len(stale),
            "learned_model": [plan.version] * len(plan.moves) + [None] * len(stale),
        }
    )
    cases = read_cases(store)
    scored_cases = set(plan.cases["id"]) if not plan.cases.empty else set()
    stale_cases = [
        c
        for c, s in zip(cases["case_id"], cases["learned_score"], strict=True)
        if c not in scored_cases and pd.notna(s)
    ]
    case_rows = (
        pd.concat(
            [
                plan.cases,
                pd.DataFrame(
                    {"id": stale_cases, "learned_score": None, "learned_level": None, "learned_reasons": None}
                ),
            ],
            ignore_index=True,
        )
        if stale_cases
        else plan.cases
    )
    write_learned_scores(
        store,
        rows,
        case_rows[case_rows["id"].isin(set(cases["case_id"]))] if not case_rows.empty else case_rows,
    )


def restore_model(store: Store, audit: AuditLog | None, version: str, actor: str | None = None) -> LearnPlan:
    """Make ``version`` the active model again and re-score with it (``KeyError`` if unknown)."""
    before = active_model(store)
    activate_model(store, version)
    plan = plan_learning(store, audit, retrain=False)
    _write_scores(store, plan)
    if audit is not None:
        audit.append(
            "learn.restore",
            {
                "version": version,
                "replaced": before.get("version") if before else None,
                "rescored": len(plan.moves),
            },
            actor=actor,
        )
    return plan


def learn_step(store: Store, audit: AuditLog | None) -> dict[str, Any]:
    """The learning step of a scheduled run: train when the decisions changed and enough exist,
    else re-score the open alerts with the active model (rules alone while there is none)."""
    plan = plan_learning(store, audit)
    apply_plan(store, audit, plan, actor="scheduler", record_rules_only=False)
    return {"status": plan.status, "version": plan.version, **plan.counts, "rescored": len(plan.moves)}


def models_table(store: Store) -> pd.DataFrame:
    """The store's models for ``sunlight learn --list``: version, when, active, training and figures."""
    models = read_models(store)
    rows = []
    for r in models.itertuples(index=False):
        doc = r.document
        training, figures = doc.get("training", {}), doc.get("cross_validation", {})
        rows.append(
            {
                "version": r.version,
                "created_at": doc.get("created_at"),
                "active": bool(r.active),
                "positive": training.get("positive"),
                "negative": training.get("negative"),
                "roc_auc": figures.get("roc_auc"),
                "pr_auc": figures.get("pr_auc"),
                "rule_roc_auc": figures.get("rule_roc_auc"),
            }
        )
    return pd.DataFrame(rows)

"""Does learning from decisions improve the queue? A before/after on generated worlds.

A world is generated (:mod:`loaders.generator`), loaded and detected as a customer's data
would be; its ``labels.csv`` says which alerts are real (:func:`sunlight.evaluation.alert_truth`,
strict rule). Investigators are simulated through the case workflow itself
(:func:`sunlight.cases.change_status`, an admin account): a share of the real cases are
confirmed, the same share of the false alarms dismissed with a reason. ``sunlight learn``'s
code path then trains and re-scores, and the held-out alerts (every alert not decided) are
ranked by the rule score and by the learned score: precision at K of each, and ROC-AUC.

``sunlight eval-learning --seeds 1,2,3`` prints the table that docs/evaluation.md keeps.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from graph.cases import read_cases
from graph.store import Store
from sunlight.audit import AuditLog
from sunlight.auth import Role, User

__all__ = ["before_after", "decide_by_labels", "evaluate_world", "format_table"]

#: What the simulated investigator writes when dismissing a false alarm of each detector.
_REASON = "核实为正常业务（{detector}）"


def decide_by_labels(
    store: Store, audit: AuditLog, truth: pd.DataFrame, share: float, seed: int
) -> tuple[set[str], set[str]]:
    """Confirm ``share`` of the real cases and dismiss ``share`` of the false alarms (drawn with
    ``seed``), through the case workflow; returns the decided case ids (confirmed, dismissed)."""
    from sunlight.cases import change_status

    actor = User("评估员", Role.ADMIN)
    alerts = store.alerts().drop_duplicates("alert_id")
    frame = alerts[["alert_id", "case_id", "detector"]].merge(truth, on="alert_id")
    per_case = frame.groupby("case_id").agg(real=("real_strict", "any"), detector=("detector", "first"))
    rng = np.random.default_rng(seed)
    real = sorted(per_case.index[per_case["real"]])
    false = sorted(per_case.index[~per_case["real"]])
    confirm = set(rng.choice(real, size=round(len(real) * share), replace=False)) if real else set()
    dismiss = set(rng.choice(false, size=round(len(false) * share), replace=False)) if false else set()
    for case_id in sorted(confirm):
        change_status(store, audit, case_id, "reviewing", actor)
        change_status(store, audit, case_id, "confirmed", actor)
    for case_id in sorted(dismiss):
        reason = _REASON.format(detector=per_case.at[case_id, "detector"])
        change_status(store, audit, case_id, "dismissed", actor, reason=reason)
    return {str(c) for c in confirm}, {str(c) for c in dismiss}


def _precision_at(ranked: Sequence[bool], k: int) -> float:
    head = list(ranked)[:k]
    return round(sum(head) / len(head), 3) if head else 0.0


def evaluate_world(
    store: Store, audit: AuditLog, dataset: Path, share: float, seed: int, ks: Sequence[int]
) -> dict[str, Any]:
    """Decide ``share`` of the cases by the labels, learn, and compare the held-out rankings."""
    from sunlight.cartel_eval import average_precision, roc_auc
    from sunlight.evaluation import alert_truth, read_labels
    from sunlight.relearn import apply_plan, plan_learning

    truth = alert_truth(store.alerts(), read_labels(dataset / "labels.csv"))
    confirmed, dismissed = decide_by_labels(store, audit, truth, share, seed)
    plan = plan_learning(store, audit)
    apply_plan(store, audit, plan, actor="评估员")
    alerts = store.alerts().drop_duplicates("alert_id")
    held = alerts[~alerts["case_id"].isin(confirmed | dismissed)].merge(truth, on="alert_id")
    out: dict[str, Any] = {
        "alerts": len(alerts),
        "cases": int(read_cases(store)["case_id"].nunique()),
        "confirmed_cases": len(confirmed),
        "dismissed_cases": len(dismissed),
        "labelled_positive": plan.counts["positive"],
        "labelled_negative": plan.counts["negative"],
        "status": plan.status,
        "held_out": len(held),
        "held_out_real": int(held["real_strict"].sum()),
        "cv": {k: v for k, v in plan.document.get("cross_validation", {}).items() if k != "folds"},
    }
    y = held["real_strict"].astype(int).to_numpy()
    for name, column in (("rules", "score"), ("learned", "learned_score")):
        scores = held[column].astype(float).fillna(held["score"].astype(float))
        order = held.assign(_s=scores).sort_values(["_s", "alert_id"], ascending=[False, True], kind="stable")
        ranked = order["real_strict"].astype(bool).tolist()
        out[name] = {f"p@{k}": _precision_at(ranked, k) for k in ks}
        out[name]["roc_auc"] = roc_auc(y, scores.to_numpy())
        out[name]["pr_auc"] = average_precision(y, scores.to_numpy())
    return out


def before_after(
    seeds: Sequence[int],
    scale: int,
    profile: str = "classic",
    share: float = 0.2,
    ks: Sequence[int] = (20, 50),
    cache: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[dict[str, Any]]:
    """:func:`evaluate_world` on a world per seed (generated into ``cache`` once), each in a
    fresh embedded store."""
    from graph.stores import open_store
    from loaders.generator import generate
    from sunlight.pipeline import detect_and_save, load_into_store

    results = []
    cache = cache or Path(tempfile.gettempdir()) / "sunlight-learn-eval"
    for seed in seeds:
        dataset = cache / f"{profile}-{scale}-{seed}"
        if not (dataset / "labels.csv").exists():
            generate(dataset, scale=scale, seed=seed, profile=profile)
        with tempfile.TemporaryDirectory(prefix="sunlight-learn-") as tmp:
            store = open_store(Path(tmp) / "store")
            audit = AuditLog(Path(tmp) / "store")
            try:
                load_into_store(store, dataset, audit=audit)
                detect_and_save(store, audit=audit)
                row = evaluate_world(store, audit, dataset, share, seed, ks)
            finally:
                store.close()
        row.update({"seed": seed, "scale": scale, "profile": profile, "share": share})
        if progress:
            progress(f"{profile} seed {seed}: rules {row['rules']} learned {row['learned']}")
        results.append(row)
    return results


def _two(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def format_table(rows: Sequence[dict[str, Any]]) -> str:
    """The before/after as a Markdown table, one row per world."""
    head = (
        "| profile | seed | alerts | decided (real / false cases) | labelled alerts (+ / −) | model | "
        "held-out alerts (real) | p@20 rules → learned | p@50 rules → learned | ROC-AUC rules → learned |"
    )
    lines = [head, "|" + "---|" * 10]
    for r in rows:
        moved = {k: f"{_two(r['rules'][k])} → {_two(r['learned'][k])}" for k in ("p@20", "p@50", "roc_auc")}
        lines.append(
            f"| {r['profile']} | {r['seed']} | {r['alerts']} | {r['confirmed_cases']} / {r['dismissed_cases']} | "
            f"{r['labelled_positive']} / {r['labelled_negative']} | {r['status']} | "
            f"{r['held_out']} ({r['held_out_real']}) | {moved['p@20']} | {moved['p@50']} | {moved['roc_auc']} |"
        )
    return "\n".join(lines)

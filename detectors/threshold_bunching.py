"""Threshold bunching: contract amounts that pile up just below an approval limit.

Summary
-------
Flags a requester or a department with many more contracts just below an
approval limit (or the open-procedure threshold) than just above it.

Methodology
-----------
Thresholds *T*: every ``max_amount`` of ``policy.yaml`` ``approval_limits`` and
the open-procedure threshold when the policy (or the settings) name one. For
each unit *u* (a requester, then a department) and each *T*:

* ``below`` — contracts with ``T·(1 − band) ≤ amount < T``;
  ``above`` — contracts with ``T ≤ amount < T·(1 + band)``;
* ``ratio = below / max(above, 1)``;
* the expected share of ``below`` among the two bands is taken from **all
  other units** at the same *T* (leave-one-out, add-one smoothed, never below
  one half), so an organisation whose amounts fall off steeply is not flagged
  everywhere; ``p`` is the one-sided binomial tail ``P(X ≥ below)``.

A unit is flagged when ``below ≥ min_below``, ``ratio ≥ min_ratio`` and
``p ≤ alpha``. A department is not reported again when one of its requesters,
flagged at the same *T*, holds at least half of its contracts below *T*.
Score = 0.4 + 0.2·min(1, (below − min_below)/10) + 0.2·min(1, −log10 p / 6) +
0.1·(share of the below-band contracts won by the most frequent supplier).

Example
-------
Requester 李强 has 9 contracts between 4.75万 and 5万元 and none between 5万 and
5.25万元, while the other requesters have 40 % below and 60 % above (expected
share raised to one half): ratio 9, p = 0.5⁹ ≈ 2.0e-3 → flagged, medium.

Why is this a red flag?
-----------------------
Amounts set just under a limit keep a purchase with a junior approver or out
of a tender; a pile-up below the limit and a gap above it is the statistical
footprint of that habit even when no single contract proves it (IACRC: multiple
awards just under procurement thresholds).

Based on
--------
INDICATORS A01 (just below threshold, OCP R002/R049) and A02 (threshold
bunching); IACRC red flag "multiple contract awards just under procurement
thresholds"; the data contract's ``policy.yaml``.

Output
------
Entities: the requester or department and the contracts below *T* (the main
suppliers are drawn in the subgraph: the pile-up is the buyer's doing). Evidence: ``metrics`` (below, above, ratio, expected share, p-value),
``thresholds`` (*T*, its name and source, band, min_below, min_ratio, alpha),
``rows`` and ``subgraph``.

Configuration
-------------
``band`` (ratio of *T*), ``min_below`` (count), ``min_ratio`` (ratio),
``alpha`` (probability), ``open_procedure_threshold`` (CNY; 0 = from the
policy), ``max_rows`` (count).

Exclusions
----------
Contracts without an amount; categories the policy exempts from competition
(``direct_award_exempt_categories``), whose amounts are bills, not choices.

Legitimate look-alikes
----------------------
A pile-up made of framework call-offs, a natural monopoly's bills or a sole source's
items (:mod:`detectors.prepare.lookalikes`) is lowered to a low note that says so.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import binom

from detectors.base import Detector, Finding, param, wan, yuan
from detectors.policy_rules import (
    approval_limits,
    exempt_categories,
    exempt_contracts,
    open_procedure_threshold,
)
from detectors.prepare.lookalikes import merge_explained, soften
from detectors.records import records_by
from graph.schema import entity_key
from graph.snapshot import GraphSnapshot

__all__ = ["DETECTOR", "Params", "run"]


@dataclass(frozen=True)
class Params:
    band: float = param(0.05, "ratio", "width of the bands below and above a limit, as a share of it")
    min_below: int = param(5, "count", "fewest contracts just below the limit")
    min_ratio: float = param(3.0, "ratio", "contracts just below over contracts just above")
    alpha: float = param(0.01, "probability", "one-sided binomial tail against the other units' share")
    open_procedure_threshold: float = param(
        0.0, "CNY", "open-procedure threshold also tested; 0 = policy.yaml open_tender_threshold if any"
    )
    max_rows: int = param(30, "count", "contracts listed in the evidence")


UNITS = (("requester_id", "Employee", "requester"), ("department_id", "Department", "department"))


def _limits(snapshot: GraphSnapshot, params: Params) -> list[tuple[float, str, str, str]]:
    limits, source = approval_limits(snapshot.policy)
    out = [
        (limit.max_amount, f"第{limit.level}级审批限额", f"the level-{limit.level} approval limit", source)
        for limit in limits
    ]
    amount, open_source = open_procedure_threshold(snapshot.policy, params.open_procedure_threshold, 0.0)
    if amount > 0:
        out.append((amount, "公开招标限额", "the open-procedure threshold", open_source))
    return out


def run(snapshot: GraphSnapshot, params: Params) -> list[Finding]:
    cols = ["id", "amount", "signed_date", "supplier_id", "department_id", "requester_id", "category"]
    contracts = snapshot.contracts[cols].dropna(subset=["amount"])
    exempt = exempt_categories(snapshot.policy)
    if exempt:
        contracts = contracts[~exempt_contracts(contracts, exempt)]
    if contracts.empty:
        return []
    findings: list[Finding] = []
    for t, name_zh, name_en, source in _limits(snapshot, params):
        amount = contracts["amount"]
        below = (amount >= t * (1 - params.band)) & (amount < t)
        above = (amount >= t) & (amount < t * (1 + params.band))
        near = contracts[below | above].assign(below=below[below | above])
        if near.empty:
            continue
        # contracts already reported in a requester's finding at this limit
        reported: set[str] = set()
        for column, label, unit in UNITS:
            counts = near.dropna(subset=[column]).groupby(column)["below"].agg(below="sum", total="size")
            counts["above"] = counts["total"] - counts["below"]
            all_below, all_total = counts["below"].sum(), counts["total"].sum()
            expected = (all_below - counts["below"] + 1) / (all_total - counts["total"] + 2)
            counts["expected"] = expected.clip(lower=0.5)
            counts["ratio"] = counts["below"] / counts["above"].clip(lower=1)
            counts["p_value"] = binom.sf(counts["below"] - 1, counts["total"], counts["expected"])
            hits = counts[
                (counts["below"] >= params.min_below)
                & (counts["ratio"] >= params.min_ratio)
                & (counts["p_value"] <= params.alpha)
            ]
            listed = near[near["below"] & near[column].isin(hits.index)].sort_values(["signed_date", "id"])
            by_unit = records_by(listed, column)
            for unit_id, row in hits.iterrows():
                members = by_unit[unit_id]
                ids = [r["id"] for r in members]
                if unit == "department" and sum(i in reported for i in ids) * 2 >= len(ids):
                    continue
                reported.update(ids)
                finding = _finding(
                    snapshot, unit, label, str(unit_id), row, members, (t, name_zh, name_en, source), params
                )
                findings.append(soften(snapshot, finding, ids))
    findings = merge_explained(findings)
    findings.sort(key=lambda f: -f.score)
    return findings


def _finding(
    snapshot: GraphSnapshot,
    unit: str,
    label: str,
    unit_id: str,
    row: pd.Series,
    members: list[dict[str, Any]],
    limit: tuple[float, str, str, str],
    params: Params,
) -> Finding:
    t, name_zh, name_en, source = limit
    below, above = int(row["below"]), int(row["above"])
    p_value, ratio = float(row["p_value"]), float(row["ratio"])
    suppliers = Counter(r["supplier_id"] for r in members if not pd.isna(r["supplier_id"]))
    top_share = suppliers.most_common(1)[0][1] / len(members) if suppliers else 0.0
    score = (
        0.4
        + 0.2 * min(1.0, (below - params.min_below) / 10)
        + 0.2 * min(1.0, -np.log10(max(p_value, 1e-300)) / 6)
        + 0.1 * top_share
    )
    who = snapshot.name(label, unit_id)
    unit_zh = "申请人" if unit == "requester" else "部门"
    unit_en = "Requester" if unit == "requester" else "Department"
    low = t * (1 - params.band)
    zh = (
        f"{unit_zh}{who}（{unit_id}）有{below}份合同金额落在{name_zh}{wan(t)}之下的{wan(low)}至{wan(t)}区间，"
        f"而刚超过该限额（{wan(t)}至{wan(t * (1 + params.band))}）的仅{above}份，比值{ratio:.1f}"
        f"（规则：至少{params.min_below}份、比值≥{params.min_ratio:g}，与其他{unit_zh}相比二项检验p={p_value:.1e}≤{params.alpha:g}）。"
    )
    en = (
        f"{unit_en} {who} ({unit_id}) has {below} contracts between {yuan(low)} and {yuan(t)}, just below {name_en}, "
        f"and only {above} just above it (up to {yuan(t * (1 + params.band))}), a ratio of {ratio:.1f} (rule: at least "
        f"{params.min_below} below, ratio ≥ {params.min_ratio:g}, binomial p = {p_value:.1e} ≤ {params.alpha:g} "
        f"against the other units)."
    )
    # the suppliers are drawn, not flagged: the pile-up is the buyer's doing
    entities = (
        entity_key(label, unit_id),
        *(entity_key("Contract", str(r["id"])) for r in members[: params.max_rows]),
    )
    drawn = [entity_key("Supplier", str(supplier)) for supplier, _ in suppliers.most_common(3)]
    evidence: dict[str, Any] = {
        "metrics": {
            "unit": unit,
            "below": below,
            "above": above,
            "ratio": round(ratio, 3),
            "expected_below_share": round(float(row["expected"]), 4),
            "p_value": p_value,
            "top_supplier_share": round(top_share, 4),
        },
        "thresholds": {
            "limit": t,
            "limit_name": name_en,
            "limit_source": source,
            "band": params.band,
            "min_below": params.min_below,
            "min_ratio": params.min_ratio,
            "alpha": params.alpha,
        },
        "rows": [
            {
                "contract_id": r["id"],
                "signed_date": None if pd.isna(r["signed_date"]) else f"{r['signed_date']:%Y-%m-%d}",
                "amount": float(r["amount"]),
                "supplier_id": None if pd.isna(r["supplier_id"]) else r["supplier_id"],
                "requester_id": None if pd.isna(r["requester_id"]) else r["requester_id"],
            }
            for r in members[: params.max_rows]
        ],
        "subgraph": [*entities[:40], *drawn],
    }
    return Finding(
        detector=DETECTOR.id,
        subject=f"{unit}|{unit_id}|{t:.0f}",
        score=float(min(1.0, score)),
        entities=entities,
        explanation_zh=zh,
        explanation_en=en,
        evidence=evidence,
    )


DETECTOR = Detector(
    id="threshold_bunching",
    title_zh="金额集中于审批限额之下",
    title_en="Amounts bunched just below a limit",
    family="approval",
    params_type=Params,
    run=run,
    doc=__doc__ or "",
)

"""Direct awards: repeated non-competitive awards past the open-procedure threshold, and departments that rely on them.

Summary
-------
Flags a department that gives one supplier several direct or single-source
awards which, within a year, add up past the amount from which an open
procedure is required; and a department whose spend goes to non-competitive
awards far more than the scoreboard bands allow.

Methodology
-----------
Non-competitive awards are contracts whose ``method`` is one of
``non_competitive_methods`` (default ``single_source`` 单一来源, ``direct``
直接采购), outside the categories ``policy.yaml`` exempts from competition
(``direct_award_exempt_categories``, e.g. 电力).

* **repeat** (OCP R055) — per (department, supplier), awards each below the
  open-procedure threshold *T*, sorted by date; every window of
  ``window_days`` days holding at least ``min_awards`` of them with a total of
  at least *T* is a breach; overlapping windows merge into one episode. *T* is
  ``open_procedure_threshold`` from the settings, else ``policy.yaml``
  ``open_tender_threshold`` (the lowest value when the policy gives one per
  category or method, as agreed for R055), else ``fallback_threshold``.
  Score = 0.6 + 0.25·min(1, log2(total / *T*)) + 0.15·min(1, (n − 1)/5).
* **share** (R013 / K07) — per department and calendar year with at least
  ``min_department_contracts`` contracts, the value share of non-competitive
  awards; flagged above ``max_share`` (the EU Single Market Scoreboard's red
  band starts at 10 %, its target is 5 % or less). Score = 0.4 +
  0.4·min(1, (share − ``max_share``)/0.3).

Example
-------
基建部 awards 鼎力工程咨询 five single-source contracts of 38万–86万元 between March
and December 2024, 312万元 in all, above the 200万元 open-tender threshold →
repeat, score ≈ 0.6 + 0.16 + 0.12 = 0.88, high.

Why is this a red flag?
-----------------------
Cutting one supplier's work into awards that each stay under the tender
threshold keeps competitors out (规避招标); it is the most common way of
steering a large job to a chosen firm. A department that buys most of its
spend without competition invites the same.

Based on
--------
INDICATORS K06 (OCP R055, cardinal-rs issue #87: sum of direct awards to the
same buyer and supplier above the open-procedure threshold, using the lowest
threshold) and K07 (OCP R013; EU Single Market Scoreboard bands); 《必须招标的
工程项目规定》 (thresholds 400万 construction, 200万 goods, 100万 services: the
fallback takes the lowest).

Output
------
Entities: the department, the supplier (repeat) and the contracts. Evidence:
``rule``, ``metrics`` (awards, total, span, methods; or share, values),
``thresholds`` (*T* and its source, window, minimums; or the share band),
``rows`` and ``subgraph``.

Configuration
-------------
``open_procedure_threshold`` (CNY; 0 = from the policy),
``fallback_threshold`` (CNY), ``window_days`` (days), ``min_awards`` (count),
``non_competitive_methods`` (list), ``max_share`` (ratio),
``min_department_contracts`` (count), ``max_rows`` (count).

Exclusions
----------
Exempt categories; contracts without a department, supplier, date or method;
a single award at or above *T* (one award is not a repetition: it is a matter
for the method's own justification).

Legitimate look-alikes
----------------------
Recognised from the data (:mod:`detectors.prepare.lookalikes`), with no configuration: a
repetition whose awards are a **natural monopoly**'s bills (one supplier holding the
category for most departments, through many approvers), a **sole source**'s items
(a licensor, OEM spare parts no one else sells) or call-offs of a competed
**framework agreement** is lowered to a low note that says so, with the facts; the
departments of one such supplier are merged into one note. Such awards do not count
in a department's non-competitive **share** either (their value is in the evidence,
``lookalike_value``). ``policy.yaml`` ``direct_award_exempt_categories`` still
removes a category outright: add it when the organisation's rules exempt a category
that the data cannot show to be a market (one department buys it, or few bills).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pandas as pd

from detectors.base import Detector, Finding, param, wan, yuan
from detectors.policy_rules import (
    exempt_categories,
    exempt_contracts,
    open_procedure_threshold,
    require_names,
)
from detectors.prepare.lookalikes import contract_patterns, merge_explained, soften
from detectors.records import records_by
from detectors.windows import window_episodes
from graph.schema import entity_key
from graph.snapshot import GraphSnapshot

__all__ = ["DETECTOR", "Params", "run"]

METHOD_ZH = {
    "single_source": "单一来源",
    "direct": "直接采购",
    "negotiation": "竞争性谈判",
    "inquiry": "询价",
}


@dataclass(frozen=True)
class Params:
    open_procedure_threshold: float = param(
        0.0, "CNY", "amount from which an open procedure is required; 0 = policy.yaml open_tender_threshold"
    )
    fallback_threshold: float = param(
        1_000_000.0, "CNY", "threshold used when neither the settings nor the policy give one"
    )
    window_days: int = param(365, "days", "length of the window the awards fall in")
    min_awards: int = param(2, "count", "fewest non-competitive awards that make a repetition")
    non_competitive_methods: tuple[str, ...] = param(
        ("single_source", "direct"), "list", "methods counted as non-competitive awards"
    )
    max_share: float = param(
        0.10, "ratio", "largest value share of non-competitive awards in a department-year"
    )
    min_department_contracts: int = param(
        20, "count", "fewest contracts of a department-year before its share is judged"
    )
    max_rows: int = param(50, "count", "contracts listed in the evidence")

    def __post_init__(self) -> None:
        require_names(self.non_competitive_methods, "non_competitive_methods")


def _awards(snapshot: GraphSnapshot, params: Params) -> pd.DataFrame:
    cols = [
        "id",
        "amount",
        "signed_date",
        "supplier_id",
        "department_id",
        "method",
        "category",
        "requester_id",
    ]
    contracts = snapshot.contracts[cols].dropna(subset=["amount", "signed_date", "department_id"])
    exempt = exempt_categories(snapshot.policy)
    if exempt:
        contracts = contracts[~exempt_contracts(contracts, exempt)]
    contracts = contracts.assign(
        non_competitive=contracts["method"].fillna("").str.lower().isin(params.non_competitive_methods)
    )
    return contracts


def run(snapshot: GraphSnapshot, params: Params) -> list[Finding]:
    contracts = _awards(snapshot, params)
    if contracts.empty:
        return []
    threshold, source = open_procedure_threshold(
        snapshot.policy, params.open_procedure_threshold, params.fallback_threshold
    )
    findings = _repeats(snapshot, contracts, threshold, source, params)
    findings += _shares(snapshot, contracts, params)
    findings.sort(key=lambda f: -f.score)
    return findings


def _repeats(
    snapshot: GraphSnapshot, contracts: pd.DataFrame, threshold: float, source: str, params: Params
) -> list[Finding]:
    awards = contracts[contracts["non_competitive"] & (contracts["amount"] < threshold)].dropna(
        subset=["supplier_id"]
    )
    if len(awards) < params.min_awards:
        return []
    codes, _ = pd.factorize(awards["department_id"].astype(str) + "\x1f" + awards["supplier_id"].astype(str))
    awards = awards.assign(group=codes, day=(awards["signed_date"] - pd.Timestamp("1970-01-01")).dt.days)
    awards = awards.sort_values(["group", "day", "id"], kind="stable")
    episode, _totals = window_episodes(
        awards["group"].to_numpy(),
        awards["day"].to_numpy(),
        awards["amount"].to_numpy(dtype=float),
        threshold,
        params.window_days,
        params.min_awards,
    )
    awards = awards[episode >= 0].assign(episode=episode[episode >= 0])
    thresholds = {
        "open_procedure_threshold": threshold,
        "threshold_source": source,
        "window_days": params.window_days,
        "min_awards": params.min_awards,
        "non_competitive_methods": list(params.non_competitive_methods),
    }
    findings = [
        soften(
            snapshot,
            _repeat_finding(snapshot, members, threshold, thresholds, params),
            [r["id"] for r in members],
        )
        for members in records_by(awards, "episode").values()
    ]
    return merge_explained(findings)


def _repeat_finding(
    snapshot: GraphSnapshot,
    members: list[dict[str, Any]],
    threshold: float,
    thresholds: dict[str, Any],
    params: Params,
) -> Finding:
    department = str(members[0]["department_id"])
    supplier = str(members[0]["supplier_id"])
    n = len(members)
    amounts = [float(r["amount"]) for r in members]
    total = sum(amounts)
    first, last = members[0]["signed_date"], members[-1]["signed_date"]
    score = 0.6 + 0.25 * min(1.0, math.log2(total / threshold)) + 0.15 * min(1.0, (n - 1) / 5)
    methods = Counter(str(r["method"] or "").lower() for r in members)
    methods_zh = "、".join(f"{METHOD_ZH.get(m, m)}{k}份" for m, k in methods.most_common())
    methods_en = ", ".join(f"{k} {m.replace('_', '-')}" for m, k in methods.most_common())
    dept = snapshot.name("Department", department)
    sup = snapshot.name("Supplier", supplier)
    low, high = min(amounts), max(amounts)
    zh = (
        f"部门{dept}（{department}）于{first:%Y-%m-%d}至{last:%Y-%m-%d}以非竞争方式（{methods_zh}）向供应商{sup}（{supplier}）"
        f"授予{n}份合同，单笔{wan(low)}至{wan(high)}，均低于公开招标限额{wan(threshold)}，合计{wan(total)}，超过该限额"
        f"（规则：{params.window_days}天内同一部门与同一供应商的非竞争性授予合计≥公开招标限额），疑似规避招标。"
    )
    en = (
        f"Department {dept} ({department}) awarded supplier {sup} ({supplier}) {n} contracts without competition "
        f"({methods_en}) between {first:%Y-%m-%d} and {last:%Y-%m-%d}, each of {yuan(low)} to {yuan(high)} and so "
        f"below the open-procedure threshold of {yuan(threshold)}, but {yuan(total)} together (rule: non-competitive "
        f"awards from one department to one supplier within {params.window_days} days may not reach the threshold)."
    )
    contract_ids = [str(r["id"]) for r in members]
    entities = (
        entity_key("Department", department),
        entity_key("Supplier", supplier),
        *(entity_key("Contract", c) for c in contract_ids[: params.max_rows]),
    )
    return Finding(
        detector=DETECTOR.id,
        subject=f"repeat|{department}|{supplier}|{contract_ids[0]}",
        score=float(min(1.0, score)),
        entities=entities,
        explanation_zh=zh,
        explanation_en=en,
        evidence={
            "rule": "repeat",
            "metrics": {
                "awards": n,
                "total": total,
                "span_days": int((last - first).days),
                "methods": dict(methods.most_common()),
            },
            "thresholds": thresholds,
            "rows": _rows(members, params.max_rows),
            "subgraph": list(entities[:40]),
        },
    )


def _rows(members: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    return [
        {
            "contract_id": r["id"],
            "signed_date": f"{r['signed_date']:%Y-%m-%d}",
            "amount": float(r["amount"]),
            "method": r["method"],
            "supplier_id": r["supplier_id"],
            "category": r["category"],
        }
        for r in members[:limit]
    ]


def _shares(snapshot: GraphSnapshot, contracts: pd.DataFrame, params: Params) -> list[Finding]:
    # bills of a natural monopoly, a sole source's parts and framework call-offs are
    # non-competitive for a reason: they do not count against a department's share
    explained = contracts["id"].isin(contract_patterns(snapshot).index)
    contracts = contracts.assign(
        year=contracts["signed_date"].dt.year,
        non_competitive=contracts["non_competitive"] & ~explained,
        explained_value=contracts["amount"].where(contracts["non_competitive"] & explained, 0.0),
    )
    contracts = contracts.assign(direct_value=contracts["amount"].where(contracts["non_competitive"], 0.0))
    per = contracts.groupby(["department_id", "year"]).agg(
        n=("id", "size"),
        value=("amount", "sum"),
        direct_value=("direct_value", "sum"),
        direct_n=("non_competitive", "sum"),
        explained_value=("explained_value", "sum"),
    )
    per = per[(per["n"] >= params.min_department_contracts) & (per["value"] > 0)]
    per["share"] = per["direct_value"] / per["value"]
    flagged = per[per["share"] > params.max_share]
    listed = contracts[contracts["non_competitive"]].merge(
        flagged.reset_index()[["department_id", "year"]], on=["department_id", "year"]
    )
    by_unit = records_by(listed.sort_values("amount", ascending=False), ["department_id", "year"])
    out = []
    for (department, year), row in flagged.iterrows():
        members = by_unit.get((department, year), [])
        department = str(department)
        share = float(row["share"])
        dept = snapshot.name("Department", department)
        zh = (
            f"部门{dept}（{department}）{year}年{int(row['n'])}份合同共{wan(float(row['value']))}中，单一来源和直接采购等"
            f"非竞争方式{int(row['direct_n'])}份、{wan(float(row['direct_value']))}，占金额的{share:.1%}，"
            f"高于{params.max_share:.0%}的红线（欧盟单一市场记分牌：≤5%为达标，>10%为红色）。"
        )
        en = (
            f"Department {dept} ({department}) awarded {share:.1%} of its {year} spend of {yuan(float(row['value']))} "
            f"({int(row['direct_n'])} of {int(row['n'])} contracts, {yuan(float(row['direct_value']))}) without "
            f"competition, above the {params.max_share:.0%} red band (EU Single Market Scoreboard: ≤ 5 % target)."
        )
        entities = (
            entity_key("Department", department),
            *(entity_key("Contract", str(r["id"])) for r in members[: params.max_rows]),
        )
        out.append(
            Finding(
                detector=DETECTOR.id,
                subject=f"share|{department}|{year}",
                score=float(min(1.0, 0.4 + 0.4 * min(1.0, (share - params.max_share) / 0.3))),
                entities=entities,
                explanation_zh=zh,
                explanation_en=en,
                evidence={
                    "rule": "share",
                    "metrics": {
                        "year": int(year),
                        "contracts": int(row["n"]),
                        "value": float(row["value"]),
                        "non_competitive_contracts": int(row["direct_n"]),
                        "non_competitive_value": float(row["direct_value"]),
                        "share": round(share, 4),
                        "lookalike_value": float(row["explained_value"]),
                    },
                    "thresholds": {
                        "max_share": params.max_share,
                        "target_share": 0.05,
                        "min_department_contracts": params.min_department_contracts,
                        "non_competitive_methods": list(params.non_competitive_methods),
                    },
                    "rows": _rows(members, params.max_rows),
                    "subgraph": list(entities[:40]),
                },
            )
        )
    return out


DETECTOR = Detector(
    id="direct_awards",
    title_zh="非竞争性授予（规避招标）",
    title_en="Non-competitive awards past the tender threshold",
    family="concentration",
    params_type=Params,
    run=run,
    doc=__doc__ or "",
)

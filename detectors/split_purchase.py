"""Split purchases: one need bought as several contracts, each under an approval limit.

Summary
-------
Flags contracts from one requester (or one department) to one supplier, signed
within a few days of each other, each below an approval limit or the
open-procedure threshold while together they reach it.

Methodology
-----------
Thresholds *T*: every ``max_amount`` of ``policy.yaml`` ``approval_limits`` and,
when the policy (or the settings) name one, the open-procedure threshold.
For each *T*, from the lowest up, and for each grouping — first (requester,
supplier), then (department, supplier):

1. keep contracts with ``min_piece_share·T ≤ amount < T`` (a piece too small to
   matter does not make a split); pieces from several requesters of one
   department must each lie just below the limit, at
   ``min_piece_share_department·T`` or more (a large department buys from its
   usual suppliers every week; only amounts tuned to the limit show a
   concerted split);
2. sort by group and date; for every contract, the window of ``window_days``
   days ending on its signing day holds ``n`` pieces summing to ``Σ``;
3. a window with ``n ≥ min_pieces`` (``min_pieces_department`` when the
   pieces come from several requesters of a department) and ``Σ ≥ T`` is a
   split; overlapping windows of one group merge into one episode;
4. an episode that shares a contract with one already reported (at a lower *T*,
   the tightest limit its pieces evade, or by requester) is dropped, so each
   contract appears in one finding. The finding names the approval level the
   total would have needed.

Score = 0.25 + 0.3·closeness + 0.2·tightness·closeness + 0.15·(three or more
pieces) + 0.1·(one requester), where closeness = min(1, max(0, (mean piece /
*T* − 0.5) / 0.4)) (1 when pieces average 90 % of the limit or more) and
tightness = max(0, 1 − span / 3 days) (pieces on the same day score highest).
Two pieces reach high only when they are close to the limit and signed within
a day or two; a department-level split is at most medium (0.65).
An episode spanning more than ``max_span_windows`` windows is a recurring
purchase rather than one split need and is not reported.

**Per department.** The episodes that stay below high are the pattern any
large buyer shows by chance (two orders of 60 % of a limit in a fortnight): a
department with two or more of them gets one note listing them, most suspicious
first, scored as its strongest episode (``rule`` = ``department``), instead of
one alert each. High episodes stay alerts of their own. The number of alerts
then grows with the departments, not with the contracts.

Example
-------
采购员 李强 buys 硒鼓 from 华信商贸 on 2024-05-06, 05-07 and 05-09 for 4.8万, 4.9万 and
4.6万元: each is under the 5万元 limit of a department manager (level 1), together
14.3万元 need level 2 → split purchase, score = 0.25 + 0.3 + 0 + 0.15 + 0.1 =
0.8, high. Two orders of 48万 and 46万元 twelve days apart, under the 100万元
limit, score 0.25 + 0.3 + 0 + 0 + 0.1 = 0.65, medium.

Why is this a red flag?
-----------------------
Splitting a purchase keeps it inside a junior approver's authority or outside
a tender: the classic way to steer work to a chosen supplier without the
scrutiny the amount requires (化整为零, 规避招标/审批).

Based on
--------
INDICATORS A03 (split purchase, OCP R011); IDEA split-transaction tests (same
date, same supplier, same approver); the data contract's ``policy.yaml``
(``approval_limits``; ``split_window_days`` and ``open_tender_threshold`` when
present).

Output
------
Entities: the requester(s), the supplier, the department (for a department-level
split only: a requester's split is the requester's) and the contracts; a
department's note names the department, then its episodes' requesters and
suppliers, then their contracts, and lists the episodes in ``evidence["episodes"]``.
Evidence: ``metrics`` (pieces, total, span_days, closeness, grouping),
``thresholds`` (the limit *T* crossed, its name and source, the window and
minimums), ``rows`` (the contracts) and ``subgraph``.

Configuration
-------------
``window_days`` (days; 0 = ``policy.yaml`` ``split_window_days``, else 14),
``min_pieces`` (count), ``min_pieces_department`` (count),
``min_piece_share`` (ratio of *T*), ``min_piece_share_department`` (ratio of *T*),
``max_span_windows`` (count), ``open_procedure_threshold`` (CNY; 0 = from the
policy, none if the policy has none), ``exclude_exempt_categories`` (flag),
``max_rows`` (count).

Exclusions
----------
Contracts without a supplier, date or amount; contracts in categories the
policy exempts from competition (``direct_award_exempt_categories``, e.g. 电力:
utility bills are not split by the buyer) unless ``exclude_exempt_categories``
is off.

Legitimate look-alikes
----------------------
**Regular replenishment** (weekly consumables under a low level-1 limit): splitting is a
burst around one need, replenishment a cadence over months. An episode that would be high
is lowered to a low note that says so when, outside it, the requester (or department)
ordered from the supplier at least 8 times over at least 90 days at a steady interval (a
quarter of the intervals at least half the median one) and the episode's pieces are no
closer together than half that median interval (``evidence["lookalike"]``, pattern
``replenishment``, with the cadence's facts). A burst inside the cadence — three orders in
three days in a weekly rhythm — stays a split.
Pieces that are call-offs under one competed framework agreement (the tender fixed
the supplier for the whole agreement, so ordering in small lots splits nothing), a
natural monopoly's bills or a sole source's items (:mod:`detectors.prepare.lookalikes`) are
lowered to a low note that says so, with the facts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from detectors.base import HIGH, Detector, Finding, param, wan, yuan
from detectors.policy_rules import (
    approval_limits,
    exempt_categories,
    exempt_contracts,
    open_procedure_threshold,
    required_level,
)
from detectors.prepare.lookalikes import Recognition, lower, merge_explained, soften
from detectors.records import records_by
from detectors.windows import window_episodes
from graph.schema import entity_key
from graph.snapshot import GraphSnapshot

__all__ = ["DETECTOR", "Params", "run"]

DEFAULT_WINDOW_DAYS = 14
#: Pieces signed further apart than this get no credit for being close in time.
TIGHT_DAYS = 3
#: Several requesters of one department are weaker evidence than one requester: at most medium.
DEPARTMENT_SCORE_CAP = 0.65
UNKNOWN_DEPARTMENT = "?"
#: Fewest orders of one requester (or department) to one supplier, outside an episode, that show a cadence.
REPLENISHMENT_MIN_ORDERS = 8
#: The shortest stretch of days those orders must cover: replenishment runs for months.
REPLENISHMENT_MIN_DAYS = 90
#: Orders at least this share of the usual interval apart keep the cadence (ratio); a split comes closer.
CADENCE_SHARE = 0.5


@dataclass(frozen=True)
class Params:
    window_days: int = param(
        0, "days", "length of the window the pieces fall in; 0 = policy.yaml split_window_days, else 14"
    )
    min_pieces: int = param(2, "count", "fewest contracts of one requester that make a split")
    min_pieces_department: int = param(
        4, "count", "fewest contracts of several requesters of one department that make a split"
    )
    min_piece_share: float = param(0.5, "ratio", "smallest piece counted, as a share of the limit")
    min_piece_share_department: float = param(
        0.9, "ratio", "smallest piece from several requesters of one department, as a share of the limit"
    )
    max_span_windows: int = param(
        3, "count", "longest episode reported, in windows; longer ones are recurring"
    )
    open_procedure_threshold: float = param(
        0.0, "CNY", "open-procedure threshold also tested; 0 = policy.yaml open_tender_threshold if any"
    )
    exclude_exempt_categories: bool = param(
        True, "flag", "skip categories policy.yaml exempts from competition (direct_award_exempt_categories)"
    )
    max_rows: int = param(50, "count", "contracts listed in the evidence")
    min_department_episodes: int = param(
        2, "count", "fewest episodes below high of one department gathered into one note"
    )


def _thresholds(snapshot: GraphSnapshot, params: Params) -> list[dict[str, Any]]:
    limits, source = approval_limits(snapshot.policy)
    max_amounts = np.array([limit.max_amount for limit in limits], dtype=float)
    out = [
        {
            "max_amounts": max_amounts,
            "amount": limit.max_amount,
            "name_zh": f"第{limit.level}级审批限额",
            "name_en": f"the level-{limit.level} approval limit",
            "source": source,
        }
        for limit in limits
    ]
    open_threshold, open_source = open_procedure_threshold(
        snapshot.policy, params.open_procedure_threshold, 0.0
    )
    if open_threshold > 0:
        out.append(
            {
                "max_amounts": max_amounts,
                "amount": open_threshold,
                "name_zh": "公开招标限额",
                "name_en": "the open-procedure threshold",
                "source": open_source,
            }
        )
    return sorted(out, key=lambda t: t["amount"])


def _window_days(snapshot: GraphSnapshot, params: Params) -> tuple[int, str]:
    if params.window_days > 0:
        return params.window_days, "settings"
    from_policy = snapshot.policy.get("split_window_days")
    if from_policy:
        return int(from_policy), "policy"
    return DEFAULT_WINDOW_DAYS, "default"


def _candidates(snapshot: GraphSnapshot, params: Params) -> pd.DataFrame:
    cols = ["id", "amount", "signed_date", "supplier_id", "department_id", "requester_id", "category", "item"]
    contracts = snapshot.contracts[cols].dropna(subset=["amount", "signed_date", "supplier_id"])
    if params.exclude_exempt_categories:
        exempt = exempt_categories(snapshot.policy)
        if exempt:
            contracts = contracts[~exempt_contracts(contracts, exempt)]
    contracts = contracts[contracts["amount"] > 0].copy()
    contracts["day"] = (contracts["signed_date"] - pd.Timestamp("1970-01-01")).dt.days.astype(np.int64)
    return contracts


def run(snapshot: GraphSnapshot, params: Params) -> list[Finding]:
    contracts = _candidates(snapshot, params)
    if contracts.empty:
        return []
    window, window_source = _window_days(snapshot, params)
    claimed: set[str] = set()
    # every order of a (requester or department, supplier), whatever its amount: the pair's cadence
    history = {}
    for grouping in ("requester_id", "department_id"):
        known = contracts.dropna(subset=[grouping])
        history[grouping] = (known["day"].to_numpy(), known.groupby([grouping, "supplier_id"]).indices)
    findings: list[Finding] = []
    for threshold in _thresholds(snapshot, params):
        t = threshold["amount"]
        for grouping in ("requester_id", "department_id"):
            share = (
                params.min_piece_share if grouping == "requester_id" else params.min_piece_share_department
            )
            rows = contracts[(contracts["amount"] < t) & (contracts["amount"] >= share * t)]
            rows = rows.dropna(subset=[grouping])
            min_pieces = params.min_pieces if grouping == "requester_id" else params.min_pieces_department
            if len(rows) < min_pieces:
                continue
            group_key = rows[grouping].astype(str) + "\x1f" + rows["supplier_id"].astype(str)
            codes, _ = pd.factorize(group_key)
            rows = rows.assign(group=codes).sort_values(["group", "day", "id"], kind="stable")
            episode, _totals = window_episodes(
                rows["group"].to_numpy(),
                rows["day"].to_numpy(),
                rows["amount"].to_numpy(dtype=float),
                t,
                window,
                min_pieces,
            )
            rows = rows[episode >= 0].assign(episode=episode[episode >= 0])
            for members in records_by(rows, "episode").values():
                ids = {r["id"] for r in members}
                if ids & claimed:
                    continue
                span = int(members[-1]["day"] - members[0]["day"])
                if span > params.max_span_windows * window:
                    continue
                claimed |= ids
                finding = _finding(
                    snapshot, members, grouping, threshold, window, window_source, span, params
                )
                key = (members[0][grouping], members[0]["supplier_id"])
                known_days, pairs = history[grouping]
                pair_days = known_days[pairs.get(key, np.array([], dtype=np.int64))]
                # only an episode that would be high on its own needs the explanation: those below high
                # are gathered per department, low, as any large buyer's chance pairs are
                replenishment = (
                    _replenishment(snapshot, members, grouping, pair_days) if finding.score > HIGH else None
                )
                if replenishment is not None:
                    findings.append(lower(finding, replenishment, len(members), len(members)))
                else:
                    findings.append(soften(snapshot, finding, [r["id"] for r in members]))
    findings = _per_department(snapshot, merge_explained(findings), params)
    findings.sort(key=lambda f: -f.score)
    return findings


def _replenishment(
    snapshot: GraphSnapshot, members: list[dict[str, Any]], grouping: str, pair_days: np.ndarray
) -> Recognition | None:
    """The episode as the pair's regular replenishment, or None when it is a burst around one need.

    Outside the episode the requester (or department) ordered from this supplier at least
    :data:`REPLENISHMENT_MIN_ORDERS` times over at least :data:`REPLENISHMENT_MIN_DAYS` days at a
    steady interval (a quarter of the intervals at least :data:`CADENCE_SHARE` of the median one),
    and the episode's pieces are no closer together than that share of the median interval.
    """
    days = np.array([int(r["day"]) for r in members])
    first, last = int(days.min()), int(days.max())
    outside = np.sort(pair_days[(pair_days < first) | (pair_days > last)])
    if len(outside) < REPLENISHMENT_MIN_ORDERS or outside[-1] - outside[0] < REPLENISHMENT_MIN_DAYS:
        return None
    gaps = np.diff(outside)
    usual = float(np.median(gaps))
    steady = float(np.percentile(gaps, 25))
    closest = int(np.diff(np.sort(days)).min()) if len(days) > 1 else 0
    if usual < 1 or steady < CADENCE_SHARE * usual or closest < CADENCE_SHARE * usual:
        return None
    supplier = str(members[0]["supplier_id"])
    who = str(members[0][grouping])
    kind = "Employee" if grouping == "requester_id" else "Department"
    who_name = snapshot.name(kind, who)
    months = (outside[-1] - outside[0]) / 30.44
    name = snapshot.name("Supplier", supplier)
    who_zh = "申请人" if grouping == "requester_id" else "部门"
    who_en = "requester" if grouping == "requester_id" else "department"
    facts = {
        "supplier_id": supplier,
        who_en: who,
        "orders_outside": len(outside),
        "months": round(months, 1),
        "usual_interval_days": usual,
        "quartile_interval_days": steady,
        "closest_pieces_days": closest,
    }
    rule = {
        "replenishment_min_orders": REPLENISHMENT_MIN_ORDERS,
        "replenishment_min_days": REPLENISHMENT_MIN_DAYS,
        "cadence_share": CADENCE_SHARE,
    }
    return Recognition(
        "replenishment",
        f"{supplier}|{who}",
        facts,
        f"定期补货：{who_zh}{who_name}（{who}）在其余{months:.0f}个月内向供应商{name}（{supplier}）下单{len(outside)}次，"
        f"约每{usual:.0f}天一次、节奏稳定（四分之三的间隔不短于{steady:.0f}天）；这几笔相隔至少{closest}天，"
        f"与平时节奏一致，是按周期补货，不是围绕一次需求集中拆分。",
        f"Regular replenishment: in the other {months:.0f} months {who_en} {who_name} ({who}) ordered from "
        f"supplier {name} ({supplier}) {len(outside)} times, about every {usual:.0f} days at a steady pace "
        f"(three quarters of the intervals {steady:.0f} days or longer); these pieces are at least {closest} days "
        f"apart, the usual pace: replenishment, not a burst of orders around one need.",
        rule,
    )


def _per_department(snapshot: GraphSnapshot, findings: list[Finding], params: Params) -> list[Finding]:
    """The episodes below high, one note per department that has ``min_department_episodes`` of them."""
    kept: list[Finding] = []
    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        if finding.score > HIGH or finding.evidence.get("lookalike") is not None:
            kept.append(finding)
        else:
            groups.setdefault(str(finding.evidence["metrics"]["department"]), []).append(finding)
    for department, group in sorted(groups.items()):
        if len(group) < params.min_department_episodes:
            kept.extend(group)
            continue
        group.sort(key=lambda f: (-f.score, f.subject))
        kept.append(_department_note(snapshot, department, group, params))
    return kept


def _department_note(
    snapshot: GraphSnapshot, department: str, group: list[Finding], params: Params
) -> Finding:
    lead = [entity_key("Department", department)] if department != UNKNOWN_DEPARTMENT else []
    people = [e for f in group for e in f.entities if not e.startswith(("contract:", "department:"))]
    contracts = [e for f in group for e in f.entities if e.startswith("contract:")]
    entities = list(dict.fromkeys([*lead, *people, *contracts]))[: params.max_rows]
    dept = snapshot.name("Department", department) if lead else "未知部门"
    dept_en = dept if lead else "an unknown department"
    n = len(group)
    pieces = sum(int(f.evidence["metrics"]["pieces"]) for f in group)
    total = sum(float(f.evidence["metrics"]["total"]) for f in group)
    top = group[0]
    zh = (
        f"部门{dept}有{n}次疑似拆分采购（共{pieces}份合同、合计{wan(total)}：同一申请人或部门在短期内向同一供应商"
        f"签订多笔、单笔低于限额而合计超过），每次均未达到高风险；按部门汇总为一条提示，最可疑的一次："
        f"{top.explanation_zh}"
    )
    en = (
        f"{dept_en} has {n} likely split purchases ({pieces} contracts, {yuan(total)} in all: several orders to one "
        f"supplier in a short window, each below a limit, together above it), none of them high on its own; "
        f"gathered here per department. The most suspicious: {top.explanation_en}"
    )
    return Finding(
        detector=DETECTOR.id,
        subject=f"department-note|{department}",
        score=top.score,
        entities=tuple(entities),
        explanation_zh=zh,
        explanation_en=en,
        evidence={
            "rule": "department",
            "metrics": {"episodes": n, "pieces": pieces, "total": total, "department": department},
            "thresholds": {
                **top.evidence["thresholds"],
                "min_department_episodes": params.min_department_episodes,
            },
            "episodes": [
                {"subject": f.subject, "score": round(f.score, 4), **f.evidence["metrics"]} for f in group
            ],
            "rows": [row for f in group for row in f.evidence["rows"]][: params.max_rows],
            "subgraph": entities[:40],
        },
    )


def _present(value: Any) -> bool:
    """Not None and not NaN (records carry both for a missing value)."""
    return not pd.isna(value)


def _finding(
    snapshot: GraphSnapshot,
    members: list[dict[str, Any]],
    grouping: str,
    threshold: dict[str, Any],
    window: int,
    window_source: str,
    span: int,
    params: Params,
) -> Finding:
    min_pieces = params.min_pieces if grouping == "requester_id" else params.min_pieces_department
    piece_share = params.min_piece_share if grouping == "requester_id" else params.min_piece_share_department
    t = float(threshold["amount"])
    amounts = [float(r["amount"]) for r in members]
    total = sum(amounts)
    n = len(members)
    supplier = str(members[0]["supplier_id"])
    requesters: Sequence[str] = sorted(
        {str(r["requester_id"]) for r in members if _present(r["requester_id"])}
    )
    departments: Sequence[str] = sorted(
        {str(r["department_id"]) for r in members if _present(r["department_id"])}
    )
    closeness = min(1.0, max(0.0, (total / n / t - 0.5) / 0.4))
    tightness = max(0.0, 1.0 - span / TIGHT_DAYS)
    one_requester = len(requesters) == 1
    score = 0.25 + 0.3 * closeness + 0.2 * tightness * closeness + 0.15 * (n >= 3) + 0.1 * one_requester
    if grouping == "department_id":
        score = min(score, DEPARTMENT_SCORE_CAP)
    sup = snapshot.name("Supplier", supplier)
    if grouping == "requester_id":
        who_zh = f"申请人{snapshot.name('Employee', requesters[0])}（{requesters[0]}）"
        who_en = f"Requester {snapshot.name('Employee', requesters[0])} ({requesters[0]})"
    else:
        dept = departments[0]
        names = "、".join(snapshot.name("Employee", r) for r in requesters) or "未知申请人"
        who_zh = f"部门{snapshot.name('Department', dept)}（{dept}；申请人{names}）"
        who_en = f"Department {snapshot.name('Department', dept)} ({dept}; requesters {', '.join(requesters) or 'unknown'})"
    first, last = members[0]["signed_date"], members[-1]["signed_date"]
    amounts_zh = "、".join(wan(a) for a in amounts[:6])
    amounts_en = ", ".join(yuan(a) for a in amounts[:6])
    more = "等" if n > 6 else ""
    needed = int(required_level(np.array([total]), threshold["max_amounts"])[0])
    zh = (
        f"{who_zh}于{first:%Y-%m-%d}至{last:%Y-%m-%d}的{span + 1}天内向供应商{sup}（{supplier}）签订{n}份合同"
        f"（{amounts_zh}{more}），单笔均低于{threshold['name_zh']}{wan(t)}，合计{wan(total)}，按审批权限需第{needed}级审批"
        f"（规则：{window}天内同一{'申请人' if grouping == 'requester_id' else '部门'}与同一供应商至少{min_pieces}笔、"
        f"每笔≥限额的{piece_share:.0%}、合计≥限额），疑似化整为零。"
    )
    en = (
        f"{who_en} signed {n} contracts with supplier {sup} ({supplier}) within {span + 1} days "
        f"({first:%Y-%m-%d} to {last:%Y-%m-%d}; {amounts_en}{' …' if n > 6 else ''}), each below {threshold['name_en']} "
        f"of {yuan(t)} but {yuan(total)} together, an amount that needs approval level {needed} (rule: at least {min_pieces} contracts of at least {piece_share:.0%} of the limit to one supplier within "
        f"{window} days totalling at least the limit): a likely split purchase."
    )
    contract_ids = [str(r["id"]) for r in members]
    # a requester's split names the requester; a department's, made by several of its staff, the department
    entities = [
        *(entity_key("Employee", r) for r in requesters),
        entity_key("Supplier", supplier),
        *(entity_key("Department", d) for d in departments if grouping == "department_id"),
        *(entity_key("Contract", c) for c in contract_ids[: params.max_rows]),
    ]
    key = requesters[0] if grouping == "requester_id" else departments[0]
    evidence = {
        "metrics": {
            "grouping": "requester" if grouping == "requester_id" else "department",
            "pieces": n,
            "total": total,
            "span_days": span,
            "closeness": round(closeness, 4),
            "requesters": list(requesters),
            "level_needed_by_total": needed,
            "department": departments[0] if departments else UNKNOWN_DEPARTMENT,
        },
        "thresholds": {
            "limit": t,
            "limit_name": threshold["name_en"],
            "limit_source": threshold["source"],
            "window_days": window,
            "window_source": window_source,
            "min_pieces": min_pieces,
            "min_piece": round(piece_share * t, 2),
        },
        "rows": [
            {
                "contract_id": r["id"],
                "signed_date": f"{r['signed_date']:%Y-%m-%d}",
                "amount": float(r["amount"]),
                "requester_id": r["requester_id"] if _present(r["requester_id"]) else None,
                "item": r["item"] if _present(r["item"]) else None,
            }
            for r in members[: params.max_rows]
        ],
        "subgraph": list(dict.fromkeys([*entities, *(entity_key("Department", d) for d in departments)]))[
            :60
        ],
    }
    return Finding(
        detector=DETECTOR.id,
        subject=f"{'requester' if grouping == 'requester_id' else 'department'}|{key}|{supplier}|{contract_ids[0]}",
        score=float(min(1.0, score)),
        entities=tuple(entities),
        explanation_zh=zh,
        explanation_en=en,
        evidence=evidence,
    )


DETECTOR = Detector(
    id="split_purchase",
    title_zh="化整为零拆分采购",
    title_en="Split purchases",
    family="approval",
    params_type=Params,
    run=run,
    doc=__doc__ or "",
)

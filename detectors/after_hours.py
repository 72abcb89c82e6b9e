"""After-hours approvals: bursts of sign-offs at night, at weekends or on holidays.

Summary
-------
Flags an approver who signs a run of contracts outside working hours in one
sitting, and an approver whose share of off-hours approvals stands out from
their peers.

Methodology
-----------
An approval is *off-hours* when ``approved_at`` falls before the start or at or
after the end of ``policy.yaml`` ``working_hours``, on a Saturday or Sunday, or
on a date the policy lists under ``holidays``. Rejections count too (a decision
taken off-hours is the behaviour of interest).

* **Burst** — one approver's off-hours approvals sorted by time are cut into
  sittings wherever two are more than ``burst_gap_hours`` apart; a sitting of at
  least ``min_burst`` distinct contracts is a burst when it is also unlikely for
  this approver: with λ = the approver's off-hours approvals per day on which
  they signed any off-hours approval outside this sitting (an approver who
  signs hundreds of steps a day has late evenings routinely), the Poisson tail
  ``P(X ≥ n | λ)`` must be at most ``alpha``. Score = 0.4 +
  0.15·min(1, (n − ``min_burst`` + 1)/3) + 0.2·(share of the burst's contracts
  won by its most frequent supplier) + 0.15·(share signed between 22:00 and
  06:00 or on a non-working day), so a long night session for one supplier is
  high.
* **Habitual** — per approver with at least ``min_approvals`` approvals, the
  share of them signed off-hours; flagged above the Tukey fence Q3 + 1.5·IQR
  of that share over all such approvers (no fence when IQR = 0) or above
  ``max_off_hours_share`` when that is set. Score = 0.3 + 0.4·share (at most
  medium: a habit is a lead, not proof). Approvals already in a reported burst
  do not count towards the habit.

Example
-------
分管副总 赵敏 approves 6 contracts of 鼎盛建设 on Saturday 2024-06-15 between 22:40
and 23:25: a burst, score ≈ 0.4 + 0.15 + 0.2 + 0.15 = 0.9, high. An approver who
signs 2 % of their approvals after 19:00 when peers sign 0–1 % is habitual
only if 2 % lies above the peers' fence.

Why is this a red flag?
-----------------------
Approvals pushed through when nobody else is in the office avoid colleagues'
questions and compliance review; a burst of them for one supplier is how a
prepared package gets waved through (突击审批).

Based on
--------
INDICATORS 4.3 (approval controls, after-hours activity); cardinal-rs
conventions for data-driven fences (Tukey, IQR = 0 skipped, minimum samples);
the data contract's ``policy.yaml`` (``working_hours``, ``holidays``).

Output
------
Entities: the approver, then the suppliers and the contracts of the burst.
Evidence: ``rule`` (``burst`` or ``habitual``), ``metrics`` (approvals, window,
off-hours share), ``thresholds`` (working hours and their source; for habitual,
the fence from the data with q1, q3 and n), ``rows`` and ``subgraph``.

Configuration
-------------
``min_burst`` (count), ``burst_gap_hours`` (hours), ``alpha`` (probability),
``min_approvals`` (count),
``max_off_hours_share`` (ratio; 0 = the fence from the data), ``max_rows``
(count).

Exclusions
----------
Approvals without a timestamp; timestamps at exactly midnight (a date without a
time, common in exports) are not counted as off-hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import poisson

from detectors.base import Detector, Finding, param, wan, yuan
from detectors.outliers import tukey_fences
from detectors.policy_rules import holidays, working_hours
from graph.schema import entity_key
from graph.snapshot import GraphSnapshot

__all__ = ["DETECTOR", "Params", "off_hours_mask", "run"]

DEEP_NIGHT = (22 * 60, 6 * 60)


@dataclass(frozen=True)
class Params:
    min_burst: int = param(3, "count", "fewest contracts one approver signs off-hours in one sitting")
    burst_gap_hours: float = param(3.0, "hours", "largest gap between two approvals of one sitting")
    alpha: float = param(
        0.001, "probability", "Poisson tail a burst must fall below, given the approver's usual rate"
    )
    min_approvals: int = param(30, "count", "fewest approvals before an approver's off-hours share is judged")
    max_off_hours_share: float = param(
        0.0, "ratio", "fixed limit on an approver's off-hours share; 0 = Tukey fence from the data"
    )
    max_rows: int = param(30, "count", "approvals listed in the evidence")


def off_hours_mask(
    stamps: pd.Series, start_minute: int, end_minute: int, holiday_dates: frozenset[str]
) -> tuple[np.ndarray, np.ndarray]:
    """(off-hours, non-working day) for each timestamp.

    >>> s = pd.Series(pd.to_datetime(["2024-06-14 10:00", "2024-06-14 21:30", "2024-06-15 10:00"]))
    >>> [m.tolist() for m in off_hours_mask(s, 480, 1140, frozenset())]
    [[False, True, True], [False, False, True]]
    """
    minute = (stamps.dt.hour * 60 + stamps.dt.minute).to_numpy()
    weekend = (stamps.dt.day_of_week >= 5).to_numpy()
    holiday = (
        stamps.dt.strftime("%Y-%m-%d").isin(holiday_dates).to_numpy() if holiday_dates else weekend & False
    )
    non_working = weekend | holiday
    midnight = (stamps.dt.hour == 0) & (stamps.dt.minute == 0) & (stamps.dt.second == 0)
    outside = (minute < start_minute) | (minute >= end_minute)
    return (outside | non_working) & ~midnight.to_numpy(), non_working


def _approvals(snapshot: GraphSnapshot) -> pd.DataFrame:
    approvals = snapshot.approvals.dropna(subset=["approved_at", "approver_id"])
    contracts = snapshot.contracts[["id", "supplier_id", "amount", "department_id"]]
    return approvals[["contract_id", "step", "approver_id", "approved_at", "decision"]].merge(
        contracts, left_on="contract_id", right_on="id", how="left"
    )


def run(snapshot: GraphSnapshot, params: Params) -> list[Finding]:
    approvals = _approvals(snapshot)
    if approvals.empty:
        return []
    start, end, hours_source = working_hours(snapshot.policy)
    off, non_working = off_hours_mask(approvals["approved_at"], start, end, holidays(snapshot.policy))
    minute = (approvals["approved_at"].dt.hour * 60 + approvals["approved_at"].dt.minute).to_numpy()
    approvals["non_working"] = non_working
    approvals["deep"] = non_working | (minute >= DEEP_NIGHT[0]) | (minute < DEEP_NIGHT[1])
    hours = {
        "working_hours": f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}",
        "working_hours_source": hours_source,
        "holidays_from_policy": bool(holidays(snapshot.policy)),
    }
    late = approvals[off].sort_values(["approver_id", "approved_at", "contract_id"])
    active_days = approvals.groupby("approver_id")["approved_at"].agg(lambda t: t.dt.normalize().nunique())
    findings, in_bursts = _bursts(snapshot, late, active_days, hours, params)
    approvals["off"] = off & ~approvals.index.isin(in_bursts)
    findings += _habitual(snapshot, approvals, hours, params)
    findings.sort(key=lambda f: -f.score)
    return findings


def _bursts(
    snapshot: GraphSnapshot, late: pd.DataFrame, active_days: pd.Series, hours: dict[str, Any], params: Params
) -> tuple[list[Finding], pd.Index]:
    if late.empty:
        return [], pd.Index([])
    gap = late["approved_at"].diff().dt.total_seconds().to_numpy() / 3600
    same_approver = late["approver_id"].to_numpy()[1:] == late["approver_id"].to_numpy()[:-1]
    new_sitting = np.concatenate([[True], ~same_approver | (gap[1:] > params.burst_gap_hours)])
    late = late.assign(sitting=np.cumsum(new_sitting))
    size = late.groupby("sitting")["contract_id"].transform("nunique")
    rows_in_sitting = late.groupby("sitting")["contract_id"].transform("size")
    off_total = late.groupby("approver_id")["contract_id"].transform("size")
    usual_rate = (off_total - rows_in_sitting) / late["approver_id"].map(active_days).clip(lower=1)
    tail = poisson.sf(size.to_numpy() - 1, usual_rate.to_numpy(dtype=float))
    late = late.assign(usual_rate=usual_rate, tail=tail)
    bursts = late[(size >= params.min_burst).to_numpy() & (tail <= params.alpha)]
    findings = [
        _burst_finding(snapshot, sitting, hours, params)
        for _, sitting in bursts.groupby("sitting", sort=True)
    ]
    return findings, bursts.index


def _burst_finding(
    snapshot: GraphSnapshot, sitting: pd.DataFrame, hours: dict[str, Any], params: Params
) -> Finding:
    approver = str(sitting["approver_id"].iloc[0])
    first, last = sitting["approved_at"].min(), sitting["approved_at"].max()
    contracts = sitting.drop_duplicates("contract_id")
    n = len(contracts)
    by_supplier = contracts["supplier_id"].dropna().value_counts()
    top_supplier = str(by_supplier.index[0]) if len(by_supplier) else None
    top_share = float(by_supplier.iloc[0]) / n if len(by_supplier) else 0.0
    deep_share = float(sitting["deep"].mean())
    size_term = min(1.0, (n - params.min_burst + 1) / 3)
    score = 0.4 + 0.15 * size_term + 0.2 * top_share + 0.15 * deep_share
    total = float(contracts["amount"].sum())
    emp = snapshot.name("Employee", approver)
    day_zh = "非工作日" if bool(sitting["non_working"].all()) else "下班后"
    day_en = "a non-working day" if bool(sitting["non_working"].all()) else "after hours"
    sup_zh = (
        f"，其中{int(by_supplier.iloc[0])}份属供应商{snapshot.name('Supplier', top_supplier)}（{top_supplier}）"
        if top_supplier and by_supplier.iloc[0] > 1
        else ""
    )
    sup_en = (
        f", {int(by_supplier.iloc[0])} of them for supplier {snapshot.name('Supplier', top_supplier)} ({top_supplier})"
        if top_supplier and by_supplier.iloc[0] > 1
        else ""
    )
    zh = (
        f"审批人{emp}（{approver}）于{day_zh}{first:%Y-%m-%d %H:%M}至{last:%H:%M}集中审批了{n}份合同，合计{wan(total)}"
        f"{sup_zh}（规则：工作时间{hours['working_hours']}之外，间隔不超过{params.burst_gap_hours:g}小时的"
        f"审批至少{params.min_burst}份即为突击审批）。"
    )
    en = (
        f"Approver {emp} ({approver}) signed off {n} contracts worth {yuan(total)} on {day_en} between "
        f"{first:%Y-%m-%d %H:%M} and {last:%H:%M}{sup_en} (rule: at least {params.min_burst} approvals outside "
        f"working hours {hours['working_hours']}, no more than {params.burst_gap_hours:g} h apart)."
    )
    suppliers = by_supplier.index.astype(str).tolist()
    contract_ids = contracts["contract_id"].astype(str).tolist()
    entities = (
        entity_key("Employee", approver),
        *(entity_key("Supplier", s) for s in suppliers[:10]),
        *(entity_key("Contract", c) for c in contract_ids[: params.max_rows]),
    )
    return Finding(
        detector=DETECTOR.id,
        subject=f"burst|{approver}|{first:%Y-%m-%dT%H:%M:%S}",
        score=float(min(1.0, score)),
        entities=entities,
        explanation_zh=zh,
        explanation_en=en,
        evidence={
            "rule": "burst",
            "metrics": {
                "approvals": n,
                "value": total,
                "first": f"{first:%Y-%m-%dT%H:%M:%S}",
                "last": f"{last:%Y-%m-%dT%H:%M:%S}",
                "top_supplier_share": round(top_share, 4),
                "deep_night_share": round(deep_share, 4),
                "usual_rate_per_day": round(float(sitting["usual_rate"].iloc[0]), 6),
                "poisson_tail": float(sitting["tail"].iloc[0]),
            },
            "thresholds": {
                **hours,
                "min_burst": params.min_burst,
                "burst_gap_hours": params.burst_gap_hours,
                "alpha": params.alpha,
            },
            "rows": _rows(sitting, params.max_rows),
            "subgraph": list(entities[:40]),
        },
    )


def _rows(frame: pd.DataFrame, limit: int) -> list[dict[str, Any]]:
    return [
        {
            "contract_id": r.contract_id,
            "step": None if pd.isna(r.step) else int(r.step),
            "approved_at": f"{r.approved_at:%Y-%m-%dT%H:%M:%S}",
            "supplier_id": r.supplier_id,
            "amount": None if pd.isna(r.amount) else float(r.amount),
        }
        for r in frame.head(limit).itertuples(index=False)
    ]


def _habitual(
    snapshot: GraphSnapshot, approvals: pd.DataFrame, hours: dict[str, Any], params: Params
) -> list[Finding]:
    per = approvals.groupby("approver_id").agg(n=("off", "size"), off=("off", "sum"))
    per = per[per["n"] >= params.min_approvals]
    if per.empty:
        return []
    per["share"] = per["off"] / per["n"]
    if params.max_off_hours_share > 0:
        limit, fence = params.max_off_hours_share, None
    else:
        fence = tukey_fences(per["share"], min_sample=5)
        if fence is None:
            return []
        limit = fence["upper"]
    flagged = per[(per["share"] > limit) & (per["off"] > 0)]
    thresholds: dict[str, Any] = {
        **hours,
        "min_approvals": params.min_approvals,
        "max_off_hours_share": limit,
    }
    if fence is not None:
        thresholds["fence"] = {k: round(v, 6) for k, v in fence.items()}
    out = []
    for approver, row in flagged.iterrows():
        approver = str(approver)
        share = float(row["share"])
        emp = snapshot.name("Employee", approver)
        mine = approvals[(approvals["approver_id"] == approver) & approvals["off"]].sort_values("approved_at")
        source_zh = "同类审批人分布的上限（Q3+1.5·IQR）" if fence is not None else "设定上限"
        source_en = (
            "the fence Q3 + 1.5·IQR over all approvers" if fence is not None else "the configured limit"
        )
        zh = (
            f"审批人{emp}（{approver}）的{int(row['n'])}次审批中有{int(row['off'])}次在工作时间"
            f"{hours['working_hours']}之外或非工作日，占{share:.1%}，高于{source_zh}{limit:.1%}。"
        )
        en = (
            f"Approver {emp} ({approver}) signed {int(row['off'])} of {int(row['n'])} approvals outside working "
            f"hours {hours['working_hours']} or on non-working days ({share:.1%}), above {source_en} of {limit:.1%}."
        )
        contract_ids = mine["contract_id"].astype(str).drop_duplicates().tolist()
        entities = (
            entity_key("Employee", approver),
            *(entity_key("Contract", c) for c in contract_ids[: params.max_rows]),
        )
        out.append(
            Finding(
                detector=DETECTOR.id,
                subject=f"habitual|{approver}",
                score=float(min(0.7, 0.3 + 0.4 * share)),
                entities=entities,
                explanation_zh=zh,
                explanation_en=en,
                evidence={
                    "rule": "habitual",
                    "metrics": {
                        "approvals": int(row["n"]),
                        "off_hours": int(row["off"]),
                        "share": round(share, 4),
                    },
                    "thresholds": thresholds,
                    "rows": _rows(mine, params.max_rows),
                    "subgraph": list(entities[:40]),
                },
            )
        )
    return out


DETECTOR = Detector(
    id="after_hours",
    title_zh="非工作时间突击审批",
    title_en="After-hours approval bursts",
    family="approval",
    params_type=Params,
    run=run,
    doc=__doc__ or "",
)

"""Price anomalies: unit prices far from what others pay, contract values far above their category, prices that creep up.

Summary
-------
Flags a supplier whose unit price for an item lies far outside the prices of
the same item in the same year, a non-competitive contract whose value lies
far above its category, and a supplier whose prices for one item drift up
against the market over time.

Methodology
-----------
* **unit_price** (P01, OCP R017) — contracts with an item, a quantity and a
  unit price, grouped by item and calendar year (a group smaller than
  ``min_group_contracts`` falls back to the item over all years). On the
  logarithm of the unit price (prices are skewed; a ratio is what matters),
  the robust z-score ``z = 0.6745·(x − median)/MAD`` (Iglewicz & Hoaglin);
  ``|z| > z_threshold`` is an outlier when the price is also material: at
  least ``min_price_ratio`` times the median (or at most its inverse) — in a
  million priced lines, 3.5 robust deviations of an item with a tight market
  happen by chance and are worth no one's time. Groups whose MAD is 0 get no score;
  items whose MAD exceeds ``max_log_mad`` have no comparable unit price
  (lump sums, bespoke jobs) and are skipped. The fence in prices,
  ``median·exp(±z_threshold·MAD/0.6745)``, is written into the finding. The
  outliers of one supplier, item and direction form one finding. Score (high
  prices) = 0.45 + 0.25·min(1, (z − z_threshold)/10) + 0.15·min(1, (n − 1)/4)
  + 0.15·(share awarded without competition); prices far *below* the others
  are reported at 0.3 (a lead: a data error or a loss leader).
* **contract_value** (P02, OCP R016) — per category with at least
  ``min_group_contracts`` contracts, Tukey fences on log10(amount):
  ``Q3 + fence_k·IQR`` (the default ``fence_k = 3`` is Tukey's "far out"
  fence: contract values are log-normal and the inner fence would flag the
  ordinary large job). Contracts above it that were *not* awarded through a
  competitive method (``competitive_methods``) are flagged; a fixed
  ``fixed_upper_fence`` in CNY replaces the computed fence when set. Score =
  0.35 + 0.15·min(1, (log10 amount − fence)/IQR) + 0.1 when the method is
  single-source or direct (at most medium: a big contract is a lead).
* **steady_premium** — a supplier that marks up *every* price a little: per item and
  calendar year with at least ``min_market_sellers`` other suppliers (their prices are
  the item's market), the supplier's premium on each contract is its log price over
  the median of the other suppliers' median log prices (leaving itself out). A
  supplier with at least ``min_premium_contracts`` such contracts is flagged when the
  median of its premiums is at least ``min_steady_premium`` (×1.2), lies above the
  Tukey fence Q3 + 1.5·IQR of all such suppliers' median premiums (the ordinary spread
  of suppliers' price levels), and its contracts above the market are unlikely by
  chance (sign test ``P(X ≥ above | n, ½)`` at most ``premium_alpha``). A supplier
  already flagged by unit_price is left to that finding, and its contracts won as the
  lowest bid of a tender that three or more suppliers bid for, unflagged by the bid
  screens (:func:`detectors.prepare.lookalikes.competed_contracts`), are not judged:
  the competition set that price. ×1.3 on every contract is
  never 1.5× the median and seldom 3.5 robust deviations, so no single price shows it;
  the habit does. Score = 0.55 + 0.15·min(1, (premium − ``min_steady_premium``)/0.3) +
  0.1·min(1, −log10(tail)/6) + 0.1·(share awarded without competition). The generated
  organisations plant inflation at ×1.5 or more (found by unit_price), so the kind
  ``price_anomalies/steady_premium`` has no fitted curve of its own and is calibrated on
  the detector's.
  When one approver first-approved at least 60 % of the contracts judged, the finding
  names them (an entity, and a sentence): a department head whose one supplier charges
  a quarter more than the others on the same items is the story, not the price alone.
* **drift** — per supplier and item with at least ``min_drift_contracts``
  priced contracts spanning ``min_drift_days`` days, each price relative to
  the item's median that year; the median relative price of the supplier's
  last third of contracts over that of its first third. A drift of at least
  ``min_drift`` ending at least ``min_final_premium`` above the market is
  flagged. Score = 0.4 + 0.3·min(1, (drift − min_drift)/0.7).

Example
-------
华信物资 sells 电力电缆 at 205元/米 in five negotiated contracts of 2024 while the
2024 median is 88元/米 (MAD of log price 0.05): z ≈ 11, fence ≈ 116元/米 → high.
A 3,800万元 construction job won in an open tender is not flagged however big.

Why is this a red flag?
-----------------------
Overpricing is how a kickback is paid for: the buyer pays too much and the
difference is shared. It shows as a unit price far above what others pay for
the same thing, as a contract far above its kind, or as a supplier's prices
creeping up once it is entrenched.

Based on
--------
INDICATORS P01 (unit price outlier, OCP R017) and P02 (value vs category, OCP
R016); Iglewicz & Hoaglin (1993) for the modified z-score; Tukey (1977) for the
fences; cardinal-rs conventions (fences from the data in the output, IQR = 0
skipped, minimum samples, price indicators only for methods that compare
prices).

Output
------
Entities: the supplier and the contracts (unit_price, drift); the contract and
its supplier (contract_value). Evidence: ``rule``, ``metrics`` (prices, z,
median, MAD, overpayment; or amount and fence; or drift), ``thresholds`` (the
fence computed from the data, with the group it came from) and ``rows``.

Configuration
-------------
``z_threshold`` (robust z), ``min_price_ratio`` (ratio), ``min_group_contracts`` (count), ``max_log_mad``
(log ratio), ``fence_k`` (IQR multiples), ``fixed_upper_fence`` (CNY; 0 = from
the data), ``competitive_methods`` (list), ``min_drift_contracts`` (count),
``min_drift_days`` (days), ``min_drift`` (ratio), ``min_final_premium``
(ratio), ``min_premium_contracts`` (count), ``min_market_sellers`` (count),
``min_steady_premium`` (ratio), ``premium_alpha`` (probability), ``max_rows`` (count).

Exclusions
----------
Contracts without an item, quantity or unit price (unit_price, drift) or
amount (contract_value); categories the policy exempts from competition
(``direct_award_exempt_categories``: a utility bill is priced by tariff);
competitively awarded contracts for contract_value.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import binom

from detectors.base import Detector, Finding, param, wan, yuan
from detectors.outliers import MAD_TO_Z, group_fences, group_robust_z, tukey_fences
from detectors.policy_rules import exempt_categories, exempt_contracts, require_names
from detectors.prepare.lookalikes import competed_contracts, first_approver_of
from detectors.records import records_by
from graph.schema import entity_key
from graph.snapshot import GraphSnapshot

__all__ = ["DETECTOR", "Params", "run"]

NON_COMPETITIVE = ("single_source", "direct")


@dataclass(frozen=True)
class Params:
    z_threshold: float = param(3.5, "robust z", "modified z-score beyond which a unit price is an outlier")
    min_price_ratio: float = param(
        1.5, "ratio", "an outlier must also be this many times the median price (or below it by as much)"
    )
    min_group_contracts: int = param(
        8, "count", "fewest priced contracts in an item-year (or category) group"
    )
    max_log_mad: float = param(
        0.3, "log ratio", "largest MAD of log unit prices for an item to count as comparable"
    )
    fence_k: float = param(3.0, "IQR multiples", "Tukey fence for contract values, on log10 amounts")
    fixed_upper_fence: float = param(
        0.0, "CNY", "fixed upper limit on contract value; 0 = fence from the data"
    )
    competitive_methods: tuple[str, ...] = param(
        ("open", "invited"), "list", "methods whose contracts are not judged on value"
    )
    min_drift_contracts: int = param(6, "count", "fewest priced contracts of a supplier and item for drift")
    min_drift_days: int = param(180, "days", "shortest span of those contracts")
    min_drift: float = param(1.3, "ratio", "late relative price over early relative price")
    min_final_premium: float = param(1.15, "ratio", "late price over the market median")
    min_premium_contracts: int = param(
        8, "count", "fewest priced contracts of a supplier, on items others also sell, for a steady premium"
    )
    min_market_sellers: int = param(
        3, "count", "fewest other suppliers of an item in a year for their prices to be its market"
    )
    min_steady_premium: float = param(
        1.2, "ratio", "a steady premium's median price over the other suppliers' median"
    )
    premium_alpha: float = param(
        0.01, "probability", "sign-test tail a steady premium's contracts above the market must fall below"
    )
    max_rows: int = param(30, "count", "contracts listed in the evidence")

    def __post_init__(self) -> None:
        require_names(self.competitive_methods, "competitive_methods")


def _contracts(snapshot: GraphSnapshot) -> pd.DataFrame:
    cols = [
        "id",
        "amount",
        "signed_date",
        "supplier_id",
        "department_id",
        "category",
        "item",
        "quantity",
        "unit_price",
        "method",
    ]
    contracts = snapshot.contracts[cols]
    exempt = exempt_categories(snapshot.policy)
    if exempt:
        contracts = contracts[~exempt_contracts(contracts, exempt)]
    return contracts.assign(method=contracts["method"].fillna("").str.lower())


def run(snapshot: GraphSnapshot, params: Params) -> list[Finding]:
    contracts = _contracts(snapshot)
    if contracts.empty:
        return []
    priced = _priced(contracts, params)
    findings = _unit_price(snapshot, priced, params)
    findings += _drift(snapshot, priced, params)
    outliers = {f.entities[0] for f in findings if f.evidence["metrics"].get("direction") == "high"}
    findings += _steady_premium(snapshot, priced, outliers, params)
    findings += _contract_value(snapshot, contracts, params)
    findings.sort(key=lambda f: -f.score)
    return findings


def _priced(contracts: pd.DataFrame, params: Params) -> pd.DataFrame:
    """Contracts with a comparable unit price, with their robust z within item-year (or item)."""
    priced = contracts[
        contracts["item"].notna()
        & (contracts["item"].astype(str).str.strip() != "")
        & (contracts["unit_price"] > 0)
        & (contracts["quantity"] > 0)
        & contracts["signed_date"].notna()
        & contracts["supplier_id"].notna()
    ].copy()
    if priced.empty:
        return priced.assign(z=pd.Series(dtype=float))
    priced["year"] = priced["signed_date"].dt.year
    priced["log_price"] = np.log(priced["unit_price"].astype(float))
    by_year = group_robust_z(priced, ["item", "year"], "log_price", params.min_group_contracts)
    overall = group_robust_z(priced, "item", "log_price", params.min_group_contracts)
    use_year = by_year["group_n"] >= params.min_group_contracts
    for col in ("group_n", "median", "mad", "z"):
        priced[col] = by_year[col].where(use_year, overall[col])
    priced["group"] = np.where(use_year, "item-year", "item")
    comparable = (priced["mad"] <= params.max_log_mad) & priced["z"].notna()
    return priced[comparable]


def _unit_price(snapshot: GraphSnapshot, priced: pd.DataFrame, params: Params) -> list[Finding]:
    if priced.empty:
        return []
    ratio = np.exp(priced["log_price"] - priced["median"])
    material = (ratio >= params.min_price_ratio) | (ratio <= 1 / params.min_price_ratio)
    outliers = priced[(priced["z"].abs() > params.z_threshold) & material]
    if outliers.empty:
        return []
    median_price = np.exp(outliers["median"].astype(float))
    outliers = outliers.assign(
        direction=np.where(outliers["z"] > 0, "high", "low"),
        median_price=median_price,
        paid_above=(outliers["unit_price"] - median_price) * outliers["quantity"],
        non_competitive=outliers["method"].isin(NON_COMPETITIVE),
    ).sort_values(["supplier_id", "item", "direction", "signed_date", "id"])
    return [
        _unit_price_finding(snapshot, str(supplier), str(item), direction, rows, params)
        for (supplier, item, direction), rows in records_by(
            outliers, ["supplier_id", "item", "direction"]
        ).items()
    ]


def _unit_price_finding(
    snapshot: GraphSnapshot,
    supplier: str,
    item: str,
    direction: str,
    rows: list[dict[str, Any]],
    params: Params,
) -> Finding:
    n = len(rows)
    z = max(abs(float(r["z"])) for r in rows)
    overpaid = float(sum(r["paid_above"] for r in rows))
    non_competitive = sum(bool(r["non_competitive"]) for r in rows) / n
    typical = float(statistics.median(r["median_price"] for r in rows))
    spread = float(statistics.median(r["mad"] for r in rows))
    upper = typical * math.exp(params.z_threshold * spread / MAD_TO_Z)
    lower = typical * math.exp(-params.z_threshold * spread / MAD_TO_Z)
    prices = [float(r["unit_price"]) for r in rows]
    low_price, high_price = min(prices), max(prices)
    sup = snapshot.name("Supplier", supplier)
    years = sorted({int(r["year"]) for r in rows})
    period = f"{years[0]}" if len(years) == 1 else f"{years[0]}–{years[-1]}"
    price_zh = f"{low_price:,.2f}元" if low_price == high_price else f"{low_price:,.2f}至{high_price:,.2f}元"
    price_en = (
        f"CNY {low_price:,.2f}" if low_price == high_price else f"CNY {low_price:,.2f} to {high_price:,.2f}"
    )
    if direction == "high":
        score = (
            0.45
            + 0.25 * min(1.0, (z - params.z_threshold) / 10)
            + 0.15 * min(1.0, (n - 1) / 4)
            + 0.15 * non_competitive
        )
        zh = (
            f"供应商{sup}（{supplier}）{period}年在{n}份合同中以单价{price_zh}供应“{item}”，同期同品目中位价约"
            f"{typical:,.2f}元，稳健z值最高{z:.1f}，超过按数据计算的上限{upper:,.2f}元（规则：|z|>{params.z_threshold:g}，"
            f"Iglewicz–Hoaglin，且单价≥中位价的{params.min_price_ratio:g}倍），按中位价计多付约{wan(overpaid)}。"
        )
        en = (
            f"Supplier {sup} ({supplier}) sold '{item}' at {price_en} a unit in {n} contracts of {period}, while the "
            f"median price of that item in the period is about CNY {typical:,.2f}: robust z up to {z:.1f}, above the "
            f"fence of CNY {upper:,.2f} computed from the data (rule: |z| > {params.z_threshold:g}, Iglewicz–Hoaglin, "
            f"and at least {params.min_price_ratio:g}× the median); "
            f"about {yuan(overpaid)} paid above the median."
        )
    else:
        score = 0.3
        zh = (
            f"供应商{sup}（{supplier}）{period}年在{n}份合同中以单价{price_zh}供应“{item}”，远低于同期同品目中位价约"
            f"{typical:,.2f}元（按数据计算的下限{lower:,.2f}元，稳健z值{-z:.1f}；规则：|z|>{params.z_threshold:g}），"
            f"需核实数量、单位或是否存在低价中标后变更。"
        )
        en = (
            f"Supplier {sup} ({supplier}) sold '{item}' at {price_en} a unit in {n} contracts of {period}, far below "
            f"the median of about CNY {typical:,.2f} (fence CNY {lower:,.2f} from the data, robust z {-z:.1f}; rule: "
            f"|z| > {params.z_threshold:g}): check quantities and units, or a low bid later amended."
        )
    contract_ids = [str(r["id"]) for r in rows]
    entities = (
        entity_key("Supplier", supplier),
        *(entity_key("Contract", c) for c in contract_ids[: params.max_rows]),
    )
    return Finding(
        detector=DETECTOR.id,
        subject=f"unit_price|{supplier}|{item}|{direction}",
        score=float(min(1.0, score)),
        entities=entities,
        explanation_zh=zh,
        explanation_en=en,
        evidence={
            "rule": "unit_price",
            "metrics": {
                "item": item,
                "direction": direction,
                "contracts": n,
                "max_abs_z": round(z, 3),
                "median_unit_price": round(typical, 4),
                "mad_log_price": round(spread, 6),
                "paid_above_median": round(overpaid, 2),
                "non_competitive_share": round(non_competitive, 4),
            },
            "thresholds": {
                "z_threshold": params.z_threshold,
                "min_price_ratio": params.min_price_ratio,
                "fence_upper": round(upper, 4),
                "fence_lower": round(lower, 4),
                "group": str(rows[0]["group"]),
                "group_contracts": int(min(r["group_n"] for r in rows)),
                "min_group_contracts": params.min_group_contracts,
            },
            "rows": [
                {
                    "contract_id": r["id"],
                    "signed_date": f"{r['signed_date']:%Y-%m-%d}",
                    "quantity": float(r["quantity"]),
                    "unit_price": float(r["unit_price"]),
                    "median_unit_price": round(float(r["median_price"]), 4),
                    "z": round(float(r["z"]), 3),
                    "method": r["method"],
                }
                for r in rows[: params.max_rows]
            ],
            "subgraph": list(entities[:40]),
        },
    )


def _drift(snapshot: GraphSnapshot, priced: pd.DataFrame, params: Params) -> list[Finding]:
    if priced.empty:
        return []
    frame = priced.assign(relative=np.exp(priced["log_price"] - priced["median"]))
    frame = frame.sort_values(["supplier_id", "item", "signed_date", "id"])
    group = frame.groupby(["supplier_id", "item"], sort=False)
    frame["n"] = group["id"].transform("size")
    frame["span"] = (group["signed_date"].transform("max") - group["signed_date"].transform("min")).dt.days
    frame = frame[(frame["n"] >= params.min_drift_contracts) & (frame["span"] >= params.min_drift_days)]
    if frame.empty:
        return []
    rank = frame.groupby(["supplier_id", "item"], sort=False).cumcount()
    frame["third"] = (rank * 3 // frame["n"]).clip(upper=2)
    thirds = frame.groupby(["supplier_id", "item", "third"])["relative"].median().unstack("third")
    thirds = thirds.dropna(subset=[0, 2])
    thirds["drift"] = thirds[2] / thirds[0]
    hits = thirds[(thirds["drift"] >= params.min_drift) & (thirds[2] >= params.min_final_premium)]
    keys = ["supplier_id", "item"]
    by_pair = records_by(frame.merge(hits.reset_index()[keys], on=keys), keys)
    return [
        _drift_finding(snapshot, str(supplier), str(item), row, by_pair[(supplier, item)], params)
        for (supplier, item), row in hits.iterrows()
    ]


def _drift_finding(
    snapshot: GraphSnapshot,
    supplier: str,
    item: str,
    row: pd.Series,
    rows: list[dict[str, Any]],
    params: Params,
) -> Finding:
    drift, early, late = float(row["drift"]), float(row[0]), float(row[2])
    first, last = rows[0]["signed_date"], rows[-1]["signed_date"]
    sup = snapshot.name("Supplier", supplier)
    n = len(rows)
    zh = (
        f"供应商{sup}（{supplier}）在{first:%Y-%m-%d}至{last:%Y-%m-%d}的{n}份合同中，“{item}”单价相对同期市场中位价由"
        f"{early:.0%}升至{late:.0%}，相对涨幅{drift - 1:.0%}（规则：后三分之一合同的相对价格比前三分之一高至少"
        f"{params.min_drift - 1:.0%}，且最终高出市场{params.min_final_premium - 1:.0%}以上）。"
    )
    en = (
        f"Supplier {sup} ({supplier}) raised its price for '{item}' from {early:.0%} to {late:.0%} of the market median "
        f"over {n} contracts between {first:%Y-%m-%d} and {last:%Y-%m-%d}, a relative rise of {drift - 1:.0%} (rule: the "
        f"last third of its contracts at least {params.min_drift - 1:.0%} above the first third relative to the market, "
        f"ending at least {params.min_final_premium - 1:.0%} above it)."
    )
    contract_ids = [str(r["id"]) for r in rows]
    entities = (
        entity_key("Supplier", supplier),
        *(entity_key("Contract", c) for c in contract_ids[-params.max_rows :]),
    )
    return Finding(
        detector=DETECTOR.id,
        subject=f"drift|{supplier}|{item}",
        score=float(min(1.0, 0.4 + 0.3 * min(1.0, (drift - params.min_drift) / 0.7))),
        entities=entities,
        explanation_zh=zh,
        explanation_en=en,
        evidence={
            "rule": "drift",
            "metrics": {
                "item": item,
                "contracts": n,
                "early_relative_price": round(early, 4),
                "late_relative_price": round(late, 4),
                "drift": round(drift, 4),
            },
            "thresholds": {
                "min_drift": params.min_drift,
                "min_final_premium": params.min_final_premium,
                "min_drift_contracts": params.min_drift_contracts,
                "min_drift_days": params.min_drift_days,
            },
            "rows": [
                {
                    "contract_id": r["id"],
                    "signed_date": f"{r['signed_date']:%Y-%m-%d}",
                    "unit_price": float(r["unit_price"]),
                    "relative_to_market": round(float(r["relative"]), 4),
                }
                for r in rows[-params.max_rows :]
            ],
            "subgraph": list(entities[:40]),
        },
    )


def _others_median(cells: pd.DataFrame, min_sellers: int) -> pd.Series:
    """Per (item, year, supplier) cell: the median of the *other* suppliers' cell medians (NaN when too few)."""
    out = np.full(len(cells), np.nan)
    position = 0
    for _, group in cells.groupby(["item", "year"], sort=True):
        values = group["cell"].to_numpy()
        n = len(values)
        if n - 1 >= min_sellers:
            for i in range(n):
                out[position + i] = float(np.median(np.delete(values, i)))
        position += n
    return pd.Series(out, index=cells.index)


def _steady_premium(
    snapshot: GraphSnapshot, priced: pd.DataFrame, outliers: set[str], params: Params
) -> list[Finding]:
    """Suppliers whose prices sit steadily above the other suppliers' for the same items, below any fence."""
    if priced.empty:
        return []
    cells = (
        priced.groupby(["item", "year", "supplier_id"], sort=True)["log_price"]
        .median()
        .rename("cell")
        .reset_index()
    )
    cells["market"] = _others_median(cells, params.min_market_sellers)
    frame = priced.merge(cells.dropna(subset=["market"]), on=["item", "year", "supplier_id"])
    if frame.empty:
        return []
    frame["premium"] = frame["log_price"] - frame["market"]
    # a price that won a tender as the lowest of several bids is what the competition asked, not a mark-up
    frame = frame[~frame["id"].isin(competed_contracts(snapshot).index)]
    per = frame.groupby("supplier_id").agg(
        contracts=("id", "size"),
        above=("premium", lambda p: int((p > 0).sum())),
        median=("premium", "median"),
        items=("item", "nunique"),
    )
    per = per[per["contracts"] >= params.min_premium_contracts]
    # the spread of ordinary suppliers' levels: a dear supplier within it is a market's spread
    fence = tukey_fences(per["median"], min_sample=5)
    if fence is None:
        return []
    per["tail"] = binom.sf(per["above"] - 1, per["contracts"], 0.5)
    hits = per[
        (per["median"] > fence["upper"])
        & (per["median"] >= math.log(params.min_steady_premium))
        & (per["tail"] <= params.premium_alpha)
        & ~per.index.isin([key.partition(":")[2] for key in outliers])
    ]
    if hits.empty:
        return []
    by_supplier = records_by(
        frame[frame["supplier_id"].isin(hits.index)].sort_values(["supplier_id", "signed_date", "id"]),
        "supplier_id",
    )
    return [
        _steady_finding(snapshot, str(supplier), row, fence, by_supplier[supplier], params)
        for supplier, row in hits.iterrows()
    ]


#: One approver who signed at least this share of a steady premium's contracts is named with it (ratio).
STEADY_SIGNER_SHARE = 0.6


def _steady_signer(snapshot: GraphSnapshot, contract_ids: list[str]) -> tuple[str, int] | None:
    """The approver who first approved most of these contracts, when one did most of them."""
    signers = first_approver_of(snapshot).reindex(contract_ids).dropna().value_counts()
    if signers.empty or signers.iloc[0] < STEADY_SIGNER_SHARE * len(contract_ids):
        return None
    return str(signers.index[0]), int(signers.iloc[0])


def _steady_finding(
    snapshot: GraphSnapshot,
    supplier: str,
    row: pd.Series,
    fence: dict[str, float],
    rows: list[dict[str, Any]],
    params: Params,
) -> Finding:
    n, above, items = int(row["contracts"]), int(row["above"]), int(row["items"])
    premium, tail = math.exp(float(row["median"])), float(row["tail"])
    ordinary = math.exp(fence["upper"])
    overpaid = float(sum((r["unit_price"] - math.exp(r["market"])) * r["quantity"] for r in rows))
    non_competitive = sum(r["method"] in NON_COMPETITIVE for r in rows) / n
    score = (
        0.55
        + 0.15 * min(1.0, (premium - params.min_steady_premium) / 0.3)
        + 0.1 * min(1.0, -math.log10(max(tail, 1e-300)) / 6)
        + 0.1 * non_competitive
    )
    sup = snapshot.name("Supplier", supplier)
    first, last = rows[0]["signed_date"], rows[-1]["signed_date"]
    contract_ids = [str(r["id"]) for r in rows]
    signer = _steady_signer(snapshot, contract_ids)
    signer_zh = signer_en = ""
    if signer is not None:
        name = snapshot.name("Employee", signer[0])
        signer_zh = f"其中{signer[1]}份由审批人{name}（{signer[0]}）首级审批；"
        signer_en = f" {signer[1]} of them were first approved by {name} ({signer[0]})."
    zh = (
        f"供应商{sup}（{supplier}）在{first:%Y-%m-%d}至{last:%Y-%m-%d}的{n}份合同（{items}个品目，均有至少"
        f"{params.min_market_sellers}家其他供应商同期供应）中有{above}份单价高于同期同品目其他供应商的中位价，"
        f"中位溢价{premium - 1:.0%}（符号检验p={tail:.1e}），而其他供应商的价格水平上限为中位价的{ordinary:.0%}"
        f"（Q3+1.5·IQR）；{signer_zh}单笔未超出单价异常上限，但持续加价，按其他供应商中位价计多付约{wan(overpaid)}"
        f"（规则：至少{params.min_premium_contracts}份、溢价≥{params.min_steady_premium - 1:.0%}、"
        f"p≤{params.premium_alpha:g}）。"
    )
    en = (
        f"Supplier {sup} ({supplier}) priced {above} of its {n} contracts between {first:%Y-%m-%d} and "
        f"{last:%Y-%m-%d} ({items} items, each sold by at least {params.min_market_sellers} other suppliers that "
        f"year) above the other suppliers' median for the item: a median premium of {premium - 1:.0%} (sign test "
        f"p = {tail:.1e}), where the other suppliers' levels reach {ordinary:.0%} of the median at most (Q3 + 1.5·IQR)."
        f"{signer_en} No single price crosses the unit-price fence, but the mark-up is steady: about {yuan(overpaid)} paid above "
        f"the others' median (rule: at least {params.min_premium_contracts} contracts, a premium of at least "
        f"{params.min_steady_premium - 1:.0%}, p ≤ {params.premium_alpha:g})."
    )
    entities = (
        entity_key("Supplier", supplier),
        *((entity_key("Employee", signer[0]),) if signer is not None else ()),
        *(entity_key("Contract", c) for c in contract_ids[: params.max_rows]),
    )
    return Finding(
        detector=DETECTOR.id,
        subject=f"steady_premium|{supplier}",
        score=float(min(1.0, score)),
        entities=entities,
        explanation_zh=zh,
        explanation_en=en,
        evidence={
            "rule": "steady_premium",
            "metrics": {
                "contracts": n,
                "above_market": above,
                "items": items,
                "median_premium": round(premium, 4),
                "sign_test_tail": tail,
                "paid_above_others_median": round(overpaid, 2),
                "non_competitive_share": round(non_competitive, 4),
                "main_approver": signer[0] if signer is not None else None,
                "main_approver_contracts": signer[1] if signer is not None else 0,
            },
            "thresholds": {
                "min_premium_contracts": params.min_premium_contracts,
                "min_market_sellers": params.min_market_sellers,
                "min_steady_premium": params.min_steady_premium,
                "premium_alpha": params.premium_alpha,
                "ordinary_level_upper": round(ordinary, 4),
                "suppliers_compared": int(fence["n"]),
            },
            "rows": [
                {
                    "contract_id": r["id"],
                    "signed_date": f"{r['signed_date']:%Y-%m-%d}",
                    "item": r["item"],
                    "unit_price": float(r["unit_price"]),
                    "others_median": round(math.exp(float(r["market"])), 4),
                    "method": r["method"],
                }
                for r in rows[: params.max_rows]
            ],
            "subgraph": list(entities[:40]),
        },
    )


def _contract_value(snapshot: GraphSnapshot, contracts: pd.DataFrame, params: Params) -> list[Finding]:
    valued = contracts[(contracts["amount"] > 0) & contracts["category"].notna()]
    valued = valued.assign(log_amount=np.log10(valued["amount"].astype(float)))
    fences = group_fences(
        valued, "category", "log_amount", k=params.fence_k, min_sample=params.min_group_contracts
    )
    if fences.empty and params.fixed_upper_fence <= 0:
        return []
    judged = valued[~valued["method"].isin(params.competitive_methods)]
    judged = judged.merge(fences, on="category", how="inner" if params.fixed_upper_fence <= 0 else "left")
    limit = (
        pd.Series(math.log10(params.fixed_upper_fence), index=judged.index)
        if params.fixed_upper_fence > 0
        else judged["upper"]
    )
    above = judged["log_amount"] > limit
    hits = judged[above].assign(limit=limit[above])
    findings = []
    for row in hits.to_dict("records"):
        findings.append(_value_finding(snapshot, row, params))
    return findings


def _value_finding(snapshot: GraphSnapshot, row: dict[str, Any], params: Params) -> Finding:
    contract, supplier, category = str(row["id"]), row["supplier_id"], str(row["category"])
    amount, limit = float(row["amount"]), float(row["limit"])
    fence_amount = 10**limit
    raw_iqr = row.get("iqr")
    has_fence = raw_iqr is not None and not pd.isna(raw_iqr)
    iqr = float(raw_iqr) if raw_iqr is not None and has_fence else 0.0
    excess = (row["log_amount"] - limit) / iqr if iqr > 0 else 1.0
    score = 0.35 + 0.15 * min(1.0, excess) + 0.1 * (row["method"] in NON_COMPETITIVE)
    method = row["method"] or "未注明"
    sup = snapshot.name("Supplier", supplier) if supplier else "未知供应商"
    source_zh = (
        f"按数据计算的上限（log10金额的Q3+{params.fence_k:g}·IQR）{wan(fence_amount)}"
        if params.fixed_upper_fence <= 0
        else f"设定上限{wan(fence_amount)}"
    )
    source_en = (
        f"the fence Q3 + {params.fence_k:g}·IQR of log10 amounts, {yuan(fence_amount)}"
        if params.fixed_upper_fence <= 0
        else f"the configured limit of {yuan(fence_amount)}"
    )
    zh = (
        f"合同{contract}（供应商{sup}（{supplier}），“{category}”类，采购方式{method}）金额{wan(amount)}，"
        f"高于该类合同{source_zh}，且未经公开或邀请招标。"
    )
    en = (
        f"Contract {contract} with {sup} ({supplier}), category '{category}', method {method or 'not given'}, is worth "
        f"{yuan(amount)}, above {source_en} for its category, and was not competitively tendered."
    )
    entities = (entity_key("Contract", contract), *((entity_key("Supplier", supplier),) if supplier else ()))
    thresholds: dict[str, Any] = {"fence_k": params.fence_k, "upper_fence_amount": round(fence_amount, 2)}
    if has_fence:
        thresholds.update(
            {
                "category_contracts": int(row["n"]),
                "q1_log10": round(float(row["q1"]), 6),
                "q3_log10": round(float(row["q3"]), 6),
                "iqr_log10": round(iqr, 6),
            }
        )
    if params.fixed_upper_fence > 0:
        thresholds["fixed_upper_fence"] = params.fixed_upper_fence
    return Finding(
        detector=DETECTOR.id,
        subject=f"contract_value|{contract}",
        score=float(min(1.0, score)),
        entities=entities,
        explanation_zh=zh,
        explanation_en=en,
        evidence={
            "rule": "contract_value",
            "metrics": {"amount": amount, "category": category, "method": row["method"]},
            "thresholds": thresholds,
            "rows": [
                {
                    "contract_id": contract,
                    "signed_date": None if pd.isna(row["signed_date"]) else f"{row['signed_date']:%Y-%m-%d}",
                    "amount": amount,
                    "department_id": row["department_id"],
                }
            ],
            "subgraph": list(entities),
        },
    )


DETECTOR = Detector(
    id="price_anomalies",
    title_zh="价格异常",
    title_en="Price anomalies",
    family="price",
    params_type=Params,
    run=run,
    doc=__doc__ or "",
)

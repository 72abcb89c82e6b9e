"""Concentration: one supplier taking a department's category, and one signer holding a supplier's business.

Summary
-------
Flags a department whose spend in a category goes mostly to one supplier
(high HHI, high top-1 share) when the rest of the organisation buys that
category from many; and a supplier whose contracts are signed off, far more
than the departments' usual split explains, by one and the same first-step
approver.

Methodology
-----------
Contracts in categories that ``policy.yaml`` exempts from competition
(``direct_award_exempt_categories``) or that the settings name as natural
monopolies (``natural_monopoly_categories``) are left out: one power utility
selling electricity to every department is the market, not a favour.

* **market** (K01/K02, OCP R040/R051) — per department *d*, category *c* and
  calendar year: value share *s* of each supplier, ``HHI = Σ (100·s)²`` and
  the top supplier *j* (by value) with *k* of the *n* contracts. Its count
  share among **all other departments** in *c* that year (add-one smoothed
  over the category's suppliers) is the baseline *m*; ``lift = (k/n)/m``; the
  one-sided binomial tail ``P(X ≥ k | n, m)`` is Benjamini–Hochberg adjusted
  over every cell tested. Flagged when ``n ≥ min_contracts``,
  ``k ≥ min_top_contracts``, ``s ≥ min_share``, ``HHI ≥ hhi_high`` (2,500; the
  2023 US Merger Guidelines call a market above 1,800 highly concentrated and
  some monitors use 2,500), ``lift ≥ min_lift``, ``q ≤ alpha``, the other
  departments bought *c* from at least ``min_market_suppliers`` suppliers,
  and *j* holds less than ``monopoly_share`` of their value (a supplier that
  dominates the category for everybody alike is the market), and — when at
  least ``min_peer_departments`` departments bought the category that year —
  the cell's top share *s* lies above the upper Tukey fence (Q3 + ``fence_iqr``·IQR,
  on the logit of the share) of those departments' top shares: a department
  that concentrates no more than the others do is the shape of its market
  (each region buying from its own few suppliers), not a captured buyer. A top share of
  one half already makes HHI ≥ 2,500; the 1,800 band is written into the
  evidence so a reader sees where the cell stands. Score = 0.3 +
  0.2·min(1, (HHI − 2,500)/7,500) + 0.25·min(1, log20 lift) + 0.15·min(1,
  −log10 q / 8) + 0.1·s.
* **gatekeeper** — per supplier with at least ``min_contracts`` contracts
  whose first approval step is on record: the first-step approver *a* of most
  of them (*k* of *n*). Under the departments' usual split, *a* would sign
  each of these contracts with probability equal to *a*'s share of the
  first-step approvals of that contract's department *in its category*, counted
  without this supplier's contracts (add-one smoothed) — where one manager signs
  all of a department's IT orders, signing all of an IT supplier's orders is the
  job; *p₀* is the mean over the
  supplier's contracts. Binomial tail ``P(X ≥ k | n, p₀)``, BH-adjusted over
  suppliers. Flagged when ``k/n ≥ min_gatekeeper_share``,
  ``(k/n)/p₀ ≥ min_gatekeeper_lift`` and ``q ≤ alpha``. Score = 0.3 +
  0.3·min(1, −log10 q / 8) + 0.2·min(1, (lift − 1)/2) + 0.2·k/n.

Example
-------
信息中心 buys IT设备 in 2024 through 14 contracts, 11 of them (82 % of the
value) from 远景数码, which wins 2 % of the other departments' IT orders: HHI
6,900, lift ≈ 30, q ≈ 1e-12 → market, high. 部门经理 赵敏 signs half of her
department's first approvals, but all 60 orders of 鼎盛商贸: p₀ = 0.5, q ≈ 1e-15 →
gatekeeper, high. The utility that sells all electricity is not flagged.

Why is this a red flag?
-----------------------
A buyer that keeps one supplier where others spread their business, or a
supplier whose orders all pass one pair of hands, is where favouritism and
kickbacks show first (GTI "buyer spending concentration"; ACFE: one in five
fraudsters had an unusually close tie to a vendor). Comparing with the rest of
the organisation separates a captured buyer from a concentrated market.

Based on
--------
INDICATORS K01 (supplier share of a buyer, OCP R040), K02 (HHI, OCP R051; US
DOJ/FTC 2023 Merger Guidelines bands 1,800/2,500), K04 (dependence, turned to
approvers); Benjamini & Hochberg (1995).

Output
------
Entities: market — the department and the supplier; gatekeeper — the approver
and the supplier. Evidence: ``rule``, ``metrics`` (n, k, shares, HHI, baseline,
lift, p and q), ``thresholds`` (every threshold with its value), ``rows`` (the
suppliers' shares, or the contracts) and ``subgraph``.

Configuration
-------------
``min_contracts`` (count), ``min_top_contracts`` (count), ``min_share``
(ratio), ``hhi_high`` (HHI points), ``min_lift`` (ratio), ``alpha`` (false
discovery rate), ``min_market_suppliers`` (count), ``monopoly_share`` (ratio),
``natural_monopoly_categories`` (list), ``min_gatekeeper_share`` (ratio),
``min_gatekeeper_lift`` (ratio), ``max_rows`` (count).

Exclusions
----------
Exempt and natural-monopoly categories; contracts without a department,
supplier, category, date or positive amount; rejected approvals; categories
no other department buys (no market to compare with).

Legitimate look-alikes
----------------------
A cell whose top supplier's contracts, or a gatekeeper's signed contracts, are
explained by a natural monopoly, a sole source or a competed framework agreement
(:mod:`detectors.prepare.lookalikes`: the contract manager of an agreement signs its
call-offs) is lowered to a low note that says so, with the facts.
A small market, where one approver necessarily signs most of a supplier's orders
(the only manager of a branch, the department's buyer for one category), is not a
gatekeeper: the expected share *p₀* is that approver's share of the department's
orders in the category, so it is already close to the observed one; and where the
department buys the category from (almost) nobody else — fewer than ``min_contracts``
of its orders in it left without this supplier — there is no usual split to compare
with, and the approver's share counts as expected (the local inspection firm that a
branch's manager signs every order of).
Routine local buying (:func:`routine_buying`): a branch that gives most of its few
small orders of a category to the local firm it always uses. When the firm of a
market cell or a gatekeeper has sold the department the category since the start of
its record (its first order within 120 days of the department's first), its orders are few (at most 6 a year per category
on average), each within the first approval limit,
none was awarded without competition (``single_source``, ``direct``), at least 80 % were
bought by the category's usual method across the organisation (``inquiry``,
``invited`` or ``open``) and the unit prices are the other departments' price for the
same items (median ratio 0.8-1.1, at least three comparisons), the finding says so first
(日常本地采购 / Routine local buying) and carries ``evidence["ceiling"]``: its
calibrated score is held at 0.6, medium at most. Alone, such a concentration is the
branch's habit; with a price premium, a non-competitive award or another family's
alert on the same parties (the case) it is not.
Regional markets, where every branch buys a category from its own region's few
suppliers (whom the other branches never use), are recognised by the peer fence:
each branch's concentration is compared with the other branches', not only the
supplier's share with them.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import binom

from detectors.base import Detector, Finding, param, wan, yuan
from detectors.policy_rules import approval_limits, exempt_categories, require_names
from detectors.prepare.lookalikes import merge_explained, soften
from detectors.records import records_by
from detectors.significance import benjamini_hochberg
from graph.schema import entity_key
from graph.snapshot import GraphSnapshot

__all__ = ["DETECTOR", "ROUTINE_CEILING", "Params", "routine_buying", "run"]

#: Methods by which a small order is routinely bought with quotes from several firms.
ROUTINE_METHODS = frozenset({"inquiry", "invited", "open"})
#: Awards made without competition: a concentration in them is never routine.
NON_COMPETITIVE_METHODS = frozenset({"single_source", "direct"})
#: The calibrated score a routine concentration may reach: medium at most, never high.
ROUTINE_CEILING = 0.6
#: The band of unit price over the other departments' median for the same item that is their price:
#: above it a premium is paid; far below it the "same item" is not the same (another unit, another grade).
ROUTINE_PRICE_BAND = (0.8, 1.1)
#: Most orders a year, per category, of routine buying from one firm: a branch's few small needs (count).
ROUTINE_PER_YEAR = 6
#: The firm a branch "always uses" sold it the category from at most this long after the branch's first such order (days).
ROUTINE_FROM_START_DAYS = 120
#: Share of the contracts that must be bought by the category's usual method (ratio).
ROUTINE_METHOD_SHARE = 0.8


@dataclass(frozen=True)
class Params:
    min_contracts: int = param(5, "count", "fewest contracts of a department-category-year or of a supplier")
    min_top_contracts: int = param(3, "count", "fewest contracts of the top supplier in the cell")
    min_share: float = param(0.5, "ratio", "top supplier's value share of the cell")
    hhi_high: float = param(2500.0, "HHI points", "HHI from which a cell counts as highly concentrated")
    min_lift: float = param(3.0, "ratio", "top supplier's count share over its share with other departments")
    alpha: float = param(0.01, "ratio", "false discovery rate for the Benjamini–Hochberg q-value")
    min_market_suppliers: int = param(
        3, "count", "fewest suppliers the other departments bought the category from"
    )
    monopoly_share: float = param(
        0.5, "ratio", "value share elsewhere from which the top supplier is the market itself"
    )
    natural_monopoly_categories: tuple[str, ...] = param(
        (), "list", "categories left out besides policy.yaml direct_award_exempt_categories"
    )
    min_peer_departments: int = param(
        4, "count", "fewest departments buying a category in a year for their concentration to be compared"
    )
    fence_iqr: float = param(1.5, "ratio", "Tukey fence width k of the departments' top-supplier shares")
    min_gatekeeper_share: float = param(
        0.8, "ratio", "share of a supplier's contracts signed by one approver"
    )
    min_gatekeeper_lift: float = param(1.5, "ratio", "that share over the departments' usual split")
    max_rows: int = param(30, "count", "rows listed in the evidence")

    def __post_init__(self) -> None:
        require_names(self.natural_monopoly_categories, "natural_monopoly_categories")


def _contracts(snapshot: GraphSnapshot, params: Params) -> pd.DataFrame:
    cols = ["id", "amount", "signed_date", "supplier_id", "department_id", "category"]
    contracts = snapshot.contracts[cols].dropna()
    excluded = exempt_categories(snapshot.policy) | set(params.natural_monopoly_categories)
    contracts = contracts[(contracts["amount"] > 0) & ~contracts["category"].isin(excluded)]
    return contracts.assign(year=contracts["signed_date"].dt.year)


def run(snapshot: GraphSnapshot, params: Params) -> list[Finding]:
    contracts = _contracts(snapshot, params)
    if contracts.empty:
        return []
    findings = merge_explained(
        _market(snapshot, contracts, params) + _gatekeeper(snapshot, contracts, params)
    )
    findings = [_mark_routine(snapshot, f) for f in findings]
    findings.sort(key=lambda f: -f.score)
    return findings


# ---- routine local buying -------------------------------------------------------------
def routine_buying(snapshot: GraphSnapshot, contract_ids: list[str]) -> dict[str, Any] | None:
    """The facts that make these contracts routine local buying, or None.

    Routine when the firm has served the department in the category from the start of
    its record (its first order at most ``ROUTINE_FROM_START_DAYS`` after the
    department's first in the category: the firm it always uses, not a newcomer), the
    orders are few (at most ``ROUTINE_PER_YEAR`` a year per category on average: a
    branch's small needs, not a stream), every contract is small (within
    the first approval limit: one signature suffices), none was awarded without competition (``single_source``,
    ``direct``), at least ``ROUTINE_METHOD_SHARE`` were bought by the category's usual
    method across the organisation (``inquiry``, ``invited`` or ``open``), and the
    unit prices, where the other departments bought the same item, are their price:
    the median ratio to their median within ``ROUTINE_PRICE_BAND`` (at least three
    such comparisons needed).
    """
    all_contracts = snapshot.contracts
    mine = all_contracts[all_contracts["id"].isin(contract_ids)]
    if mine.empty or mine["amount"].isna().any():
        return None
    limit = approval_limits(snapshot.policy)[0][0].max_amount
    if float(mine["amount"].max()) > limit:
        return None
    per_year = mine.groupby([mine["category"], mine["signed_date"].dt.year]).size()
    if per_year.empty or float(per_year.mean()) > ROUTINE_PER_YEAR:
        return None
    # habitual: the firm has served the department in the category from the start of its record
    groups = mine.dropna(subset=["department_id", "category"])
    if groups.empty:
        return None
    cells = all_contracts[
        all_contracts["department_id"].isin(groups["department_id"])
        & all_contracts["category"].isin(groups["category"])
    ]
    first_order = cells.groupby(["department_id", "category"])["signed_date"].min()
    firm_first = groups.groupby(["department_id", "category"])["signed_date"].min()
    late_start = (firm_first - first_order.reindex(firm_first.index)).dt.days
    if (late_start > ROUTINE_FROM_START_DAYS).any():
        return None
    methods = mine["method"].fillna("").str.lower()
    if methods.isin(NON_COMPETITIVE_METHODS).any():
        return None
    usual = _usual_methods(snapshot)
    usual_here = mine["category"].map(usual)
    by_usual = (methods == usual_here) & methods.isin(ROUTINE_METHODS)
    if by_usual.mean() < ROUTINE_METHOD_SHARE:
        return None
    ratios = _price_ratios(all_contracts, mine)
    low, high = ROUTINE_PRICE_BAND
    if len(ratios) < 3 or not low <= float(np.median(ratios)) <= high:
        return None
    return {
        "contracts": len(mine),
        "orders_per_year": round(float(per_year.mean()), 2),
        "largest_amount": float(mine["amount"].max()),
        "first_approval_limit": float(limit),
        "usual_method_share": round(float(by_usual.mean()), 4),
        "median_price_ratio": round(float(np.median(ratios)), 4),
        "priced_comparisons": len(ratios),
    }


def _usual_methods(snapshot: GraphSnapshot) -> pd.Series:
    """The most frequent procurement method of each category across the organisation."""
    contracts = snapshot.contracts.dropna(subset=["category", "method"])
    counts = contracts.groupby(["category", contracts["method"].str.lower()]).size()
    if counts.empty:
        return pd.Series(dtype=object)
    return (
        counts.sort_values(ascending=False)
        .reset_index()
        .drop_duplicates("category")
        .set_index("category")["method"]
    )


def _price_ratios(all_contracts: pd.DataFrame, mine: pd.DataFrame) -> list[float]:
    """Each priced contract's unit price over the other departments' median for the same item."""
    priced = mine.dropna(subset=["item", "unit_price", "department_id"])
    priced = priced[priced["unit_price"] > 0]
    if priced.empty:
        return []
    same_items = all_contracts[
        all_contracts["item"].isin(priced["item"]) & (all_contracts["unit_price"] > 0)
    ].dropna(subset=["department_id"])
    ratios = []
    for row in priced.itertuples(index=False):
        others = same_items[
            (same_items["item"] == row.item) & (same_items["department_id"] != row.department_id)
        ]
        if len(others) >= 3:
            ratios.append(float(row.unit_price) / float(others["unit_price"].median()))
    return ratios


def _mark_routine(snapshot: GraphSnapshot, finding: Finding) -> Finding:
    """``finding`` with a ceiling below high when its contracts are routine local buying."""
    if finding.evidence.get("lookalike") is not None:
        return finding
    contract_ids = _finding_contracts(snapshot, finding)
    facts = routine_buying(snapshot, contract_ids) if contract_ids else None
    if facts is None:
        return finding
    department = finding.evidence["metrics"].get("department") or next(
        (e.split(":", 1)[1] for e in finding.entities if e.startswith("department:")), ""
    )
    dept = snapshot.name("Department", department) if department else ""
    zh = (
        f"日常本地采购：这{facts['contracts']}份合同均为小额（最高{wan(facts['largest_amount'])}，不超过第一级审批限额"
        f"{wan(facts['first_approval_limit'])}），{facts['usual_method_share']:.0%}按该类的常用方式询价或招标、无单一来源或直接授予，"
        f"单价为其他部门同一物品中位数的{facts['median_price_ratio']:.2f}倍（{facts['priced_comparisons']}次比较），没有溢价；"
        f"{dept}习惯向同一家本地供应商购买，单凭集中度不足以列为高风险。"
    )
    en = (
        f"Routine local buying: the {facts['contracts']} contracts are all small (largest {yuan(facts['largest_amount'])}, "
        f"within the first approval limit of {yuan(facts['first_approval_limit'])}), {facts['usual_method_share']:.0%} bought by "
        f"the category's usual method with quotes, none single-source or direct, at {facts['median_price_ratio']:.2f}× the "
        f"other departments' median unit price for the same items ({facts['priced_comparisons']} comparisons): no premium. "
        f"{dept + ' ' if dept else ''}habitually buys from one local firm; concentration alone does not make this high."
    )
    evidence = {
        **finding.evidence,
        "ceiling": {"score": ROUTINE_CEILING, "reason": "routine_buying", **facts},
    }
    return replace(
        finding,
        explanation_zh=f"{zh}{finding.explanation_zh}",
        explanation_en=f"{en} {finding.explanation_en}",
        evidence=evidence,
    )


def _finding_contracts(snapshot: GraphSnapshot, finding: Finding) -> list[str]:
    """The contracts a market or gatekeeper finding is about: the top supplier's in the cell, or those signed."""
    rule = finding.evidence.get("rule")
    if rule == "gatekeeper":
        return [str(r["contract_id"]) for r in finding.evidence.get("rows", [])]
    if rule != "market":
        return []
    metrics = finding.evidence["metrics"]
    department = next((e.split(":", 1)[1] for e in finding.entities if e.startswith("department:")), None)
    supplier = next((e.split(":", 1)[1] for e in finding.entities if e.startswith("supplier:")), None)
    c = snapshot.contracts
    here = c[
        (c["department_id"] == department)
        & (c["supplier_id"] == supplier)
        & (c["category"] == metrics["category"])
        & (c["signed_date"].dt.year == int(metrics["year"]))
    ]
    return here["id"].astype(str).tolist()


# ---- market ---------------------------------------------------------------------------
def _market_cells(contracts: pd.DataFrame, params: Params) -> tuple[pd.DataFrame, pd.DataFrame]:
    cell = ["department_id", "category", "year"]
    per_supplier = (
        contracts.groupby([*cell, "supplier_id"], observed=True)
        .agg(k=("id", "size"), value=("amount", "sum"))
        .reset_index()
    )
    totals = per_supplier.groupby(cell).agg(n=("k", "sum"), total=("value", "sum"), suppliers=("k", "size"))
    per_supplier = per_supplier.join(totals, on=cell)
    per_supplier["share"] = per_supplier["value"] / per_supplier["total"]
    hhi = (100 * per_supplier["share"]) ** 2
    totals["hhi"] = hhi.groupby([per_supplier[c] for c in cell]).sum()
    top = per_supplier.sort_values([*cell, "value", "supplier_id"], ascending=[True, True, True, False, True])
    top = top.drop_duplicates(cell).set_index(cell)[["supplier_id", "k", "value", "share"]]
    cells = totals.join(top).reset_index()
    # the category-year market, and the top supplier's part of it, for the leave-one-out baseline
    market = contracts.groupby(["category", "year"]).agg(
        market_n=("id", "size"), market_value=("amount", "sum"), market_suppliers=("supplier_id", "nunique")
    )
    supplier_market = contracts.groupby(["category", "year", "supplier_id"]).agg(
        supplier_n=("id", "size"), supplier_value=("amount", "sum")
    )
    cells = cells.join(market, on=["category", "year"]).join(
        supplier_market, on=["category", "year", "supplier_id"]
    )
    # suppliers the other departments bought the category from that year: all, less those that sold only here
    others = per_supplier[["department_id", "category", "year", "supplier_id"]]
    suppliers_per_cell = others.groupby(["category", "year"])["supplier_id"].nunique()
    exclusive = others.merge(
        others.groupby(["category", "year", "supplier_id"]).size().rename("departments"),
        on=["category", "year", "supplier_id"],
    )
    only_here = exclusive[exclusive["departments"] == 1].groupby(cell).size()
    cells["other_suppliers"] = (
        cells.set_index(["category", "year"]).index.map(suppliers_per_cell).to_numpy()
        - cells.set_index(cell).index.map(only_here).fillna(0).to_numpy()
    )
    return cells, per_supplier


def _logit(share: pd.Series) -> pd.Series:
    clipped = share.clip(0.01, 0.99)
    return np.log(clipped / (1 - clipped))


def _peer_fence(cells: pd.DataFrame, params: Params) -> pd.DataFrame:
    """Per category-year, the upper Tukey fence of the departments' top-supplier shares.

    On the logit of the share (shares are bounded), over the departments with at least
    ``min_contracts`` contracts in the category that year; none when fewer than
    ``min_peer_departments`` departments are there to compare. Where every department
    is as concentrated as the next (IQR 0), the fence is their common share: only a
    department beyond all of them stands out.
    """
    peers = cells[cells["n"] >= params.min_contracts]
    grouped = _logit(peers["share"]).groupby([peers["category"], peers["year"]])
    q1, q3, count = grouped.quantile(0.25), grouped.quantile(0.75), grouped.size()
    fence = 1 / (1 + np.exp(-(q3 + params.fence_iqr * (q3 - q1))))
    return pd.DataFrame(
        {"top_share_fence": fence.where(count >= params.min_peer_departments), "peer_departments": count}
    )


def _market(snapshot: GraphSnapshot, contracts: pd.DataFrame, params: Params) -> list[Finding]:
    cells, per_supplier = _market_cells(contracts, params)
    elsewhere_n = cells["market_n"] - cells["n"]
    elsewhere_value = cells["market_value"] - cells["total"]
    supplier_elsewhere = cells["supplier_n"] - cells["k"]
    cells["baseline"] = (supplier_elsewhere + 1) / (elsewhere_n + cells["market_suppliers"])
    cells["value_share_elsewhere"] = (cells["supplier_value"] - cells["value"]) / elsewhere_value.where(
        elsewhere_value > 0
    )
    tested = cells[
        (cells["n"] >= params.min_contracts) & (cells["k"] >= params.min_top_contracts) & (elsewhere_n > 0)
    ].copy()
    if tested.empty:
        return []
    tested = tested.join(_peer_fence(cells, params), on=["category", "year"])
    tested["count_share"] = tested["k"] / tested["n"]
    tested["lift"] = tested["count_share"] / tested["baseline"]
    tested["p_value"] = binom.sf(tested["k"] - 1, tested["n"], tested["baseline"])
    tested["q_value"] = benjamini_hochberg(tested["p_value"].to_numpy(dtype=float))
    flagged = tested[
        (tested["share"] >= params.min_share)
        & (tested["hhi"] >= params.hhi_high)
        & (tested["lift"] >= params.min_lift)
        & (tested["q_value"] <= params.alpha)
        & (tested["other_suppliers"] >= params.min_market_suppliers)
        & (tested["value_share_elsewhere"].fillna(0.0) < params.monopoly_share)
        # a department that concentrates no more than the other departments do is its market's shape
        & (tested["top_share_fence"].isna() | (tested["share"] > tested["top_share_fence"]))
    ]
    thresholds = {
        "min_contracts": params.min_contracts,
        "min_top_contracts": params.min_top_contracts,
        "min_share": params.min_share,
        "hhi_high": params.hhi_high,
        "hhi_moderate": 1800.0,
        "min_lift": params.min_lift,
        "alpha": params.alpha,
        "min_market_suppliers": params.min_market_suppliers,
        "monopoly_share": params.monopoly_share,
        "min_peer_departments": params.min_peer_departments,
        "fence_iqr": params.fence_iqr,
    }
    cell = ["department_id", "category", "year"]
    shares = per_supplier.merge(flagged[cell], on=cell).sort_values(
        [*cell, "value"], ascending=[True, True, True, False]
    )
    by_cell = records_by(shares, cell)
    top_keys = [*cell, "supplier_id"]
    top_contracts = contracts.merge(flagged[top_keys], on=top_keys)
    contracts_of = top_contracts.groupby(top_keys)["id"].agg(list).to_dict()
    return [
        soften(
            snapshot,
            _market_finding(
                snapshot,
                row,
                by_cell[(row["department_id"], row["category"], row["year"])],
                thresholds,
                params,
            ),
            contracts_of[tuple(row[k] for k in top_keys)],
        )
        for row in flagged.to_dict("records")
    ]


def _market_finding(
    snapshot: GraphSnapshot,
    row: dict[str, Any],
    suppliers: list[dict[str, Any]],
    thresholds: dict[str, Any],
    params: Params,
) -> Finding:
    department, supplier, category, year = (
        row["department_id"],
        row["supplier_id"],
        row["category"],
        int(row["year"]),
    )
    hhi, share, lift, q = float(row["hhi"]), float(row["share"]), float(row["lift"]), float(row["q_value"])
    n, k = int(row["n"]), int(row["k"])
    score = (
        0.3
        + 0.2 * min(1.0, max(0.0, (hhi - params.hhi_high) / (10000 - params.hhi_high)))
        + 0.25 * min(1.0, math.log(max(lift, 1.0), 20))
        + 0.15 * min(1.0, -math.log10(max(q, 1e-300)) / 8)
        + 0.1 * share
    )
    dept = snapshot.name("Department", department)
    sup = snapshot.name("Supplier", supplier)
    baseline = float(row["baseline"])
    fence = row.get("top_share_fence")
    fence_zh = (
        f"；同年购买该类的{int(row['peer_departments'])}个部门中，最大供应商份额的上限（Q3+{params.fence_iqr:g}·IQR）为{fence:.0%}"
        if fence is not None and not pd.isna(fence)
        else ""
    )
    fence_en = (
        f"; among the {int(row['peer_departments'])} departments buying it that year, the fence of the top supplier's "
        f"share (Q3 + {params.fence_iqr:g}·IQR) is {fence:.0%}"
        if fence is not None and not pd.isna(fence)
        else ""
    )
    zh = (
        f"部门{dept}（{department}）{year}年“{category}”类{n}份合同共{wan(float(row['total']))}，其中{k}份、"
        f"{wan(float(row['value']))}（{share:.0%}）授予供应商{sup}（{supplier}），赫芬达尔指数{hhi:,.0f}；"
        f"该供应商在其他部门同类合同中的份额仅{baseline:.1%}，提升度{lift:.1f}倍（二项检验校正后q={q:.1e}；"
        f"规则：份额≥{params.min_share:.0%}、HHI≥{params.hhi_high:,.0f}、提升度≥{params.min_lift:g}、q≤{params.alpha:g}）"
        f"{fence_zh}。"
    )
    en = (
        f"Department {dept} ({department}) gave supplier {sup} ({supplier}) {k} of its {n} '{category}' contracts in "
        f"{year}, {yuan(float(row['value']))} or {share:.0%} of {yuan(float(row['total']))}: HHI {hhi:,.0f}, while the "
        f"supplier has {baseline:.1%} of the other departments' such contracts, a lift of {lift:.1f}× (BH-adjusted "
        f"q = {q:.1e}; rule: share ≥ {params.min_share:.0%}, HHI ≥ {params.hhi_high:,.0f}, lift ≥ {params.min_lift:g}, "
        f"q ≤ {params.alpha:g}){fence_en}."
    )
    entities = (entity_key("Department", department), entity_key("Supplier", supplier))
    return Finding(
        detector=DETECTOR.id,
        subject=f"market|{department}|{category}|{year}",
        score=float(min(1.0, score)),
        entities=entities,
        explanation_zh=zh,
        explanation_en=en,
        evidence={
            "rule": "market",
            "metrics": {
                "category": category,
                "year": year,
                "contracts": n,
                "top_supplier_contracts": k,
                "value": float(row["total"]),
                "top_supplier_value": float(row["value"]),
                "top_share": round(share, 4),
                "hhi": round(hhi, 1),
                "suppliers": int(row["suppliers"]),
                "baseline": round(baseline, 6),
                "value_share_elsewhere": None
                if pd.isna(row["value_share_elsewhere"])
                else round(float(row["value_share_elsewhere"]), 4),
                "lift": round(lift, 3),
                "p_value": float(row["p_value"]),
                "q_value": q,
                "top_share_fence": None
                if pd.isna(row["top_share_fence"])
                else round(float(row["top_share_fence"]), 4),
                "peer_departments": None
                if pd.isna(row["peer_departments"])
                else int(row["peer_departments"]),
            },
            "thresholds": thresholds,
            "rows": [
                {
                    "supplier_id": r["supplier_id"],
                    "contracts": int(r["k"]),
                    "value": float(r["value"]),
                    "share": round(float(r["share"]), 4),
                }
                for r in suppliers[: params.max_rows]
            ],
            "subgraph": [
                *entities,
                *(
                    entity_key("Supplier", r["supplier_id"])
                    for r in suppliers[:10]
                    if r["supplier_id"] != supplier
                ),
            ],
        },
    )


# ---- gatekeeper -----------------------------------------------------------------------
def _first_signers(snapshot: GraphSnapshot, contracts: pd.DataFrame) -> pd.DataFrame:
    approvals = snapshot.approvals
    ok = approvals[
        (approvals["step"] == 1) & (approvals["decision"].fillna("approve").str.lower() != "reject")
    ]
    ok = ok.drop_duplicates("contract_id")[["contract_id", "approver_id"]]
    return ok.merge(
        contracts[["id", "supplier_id", "department_id", "category", "amount", "signed_date"]],
        left_on="contract_id",
        right_on="id",
    ).drop(columns=["id"])


def _gatekeeper(snapshot: GraphSnapshot, contracts: pd.DataFrame, params: Params) -> list[Finding]:
    all_rows = _first_signers(snapshot, contracts)
    if all_rows.empty:
        return []
    n_s = all_rows.groupby("supplier_id").size().rename("n")
    rows = all_rows[all_rows["supplier_id"].map(n_s) >= params.min_contracts]
    if rows.empty:
        return []
    # the usual split is the department's for the category: where one manager signs all of a
    # department's IT orders, signing all of an IT supplier's orders is the job, not a capture
    all_rows = all_rows.assign(
        unit=all_rows["department_id"].astype(str) + "\x1f" + all_rows["category"].astype(str)
    )
    rows = rows.assign(unit=all_rows.loc[rows.index, "unit"])
    dept_approver = all_rows.groupby(["unit", "approver_id"]).size().rename("dept_approver")
    dept_total = all_rows.groupby("unit").size().rename("dept_total")
    dept_signers = all_rows.groupby("unit")["approver_id"].nunique().rename("dept_signers")
    pair = rows.groupby(["supplier_id", "approver_id"]).size().rename("k").reset_index()
    top = pair.sort_values(
        ["supplier_id", "k", "approver_id"], ascending=[True, False, True]
    ).drop_duplicates("supplier_id")
    top = top.join(n_s, on="supplier_id")
    # the top signer's usual share of each department this supplier sold to, without this supplier
    per_dept = rows.groupby(["supplier_id", "unit"]).size().rename("sd").reset_index()
    per_dept = per_dept.merge(top[["supplier_id", "approver_id"]], on="supplier_id")
    own = rows.groupby(["supplier_id", "unit", "approver_id"]).size().rename("sda")
    per_dept = per_dept.join(own, on=["supplier_id", "unit", "approver_id"])
    per_dept = (
        per_dept.join(dept_approver, on=["unit", "approver_id"])
        .join(dept_total, on="unit")
        .join(dept_signers, on="unit")
    )
    per_dept[["sda", "dept_approver"]] = per_dept[["sda", "dept_approver"]].fillna(0)
    usual = (per_dept["dept_approver"] - per_dept["sda"] + 1) / (
        per_dept["dept_total"] - per_dept["sd"] + per_dept["dept_signers"]
    )
    # where the department buys the category (almost) only from this supplier there is no usual split
    # to compare with: whoever signs the category signs the supplier, which is the job, not a capture
    baseline = per_dept["dept_total"] - per_dept["sd"]
    usual = usual.where(baseline >= params.min_contracts, 1.0)
    per_dept["expected"] = per_dept["sd"] * usual
    expected = per_dept.groupby("supplier_id")["expected"].sum()
    top["p0"] = top["supplier_id"].map(expected) / top["n"]
    top["share"] = top["k"] / top["n"]
    top["lift"] = top["share"] / top["p0"]
    top["p_value"] = binom.sf(top["k"] - 1, top["n"], top["p0"].clip(upper=1.0))
    top["q_value"] = benjamini_hochberg(top["p_value"].to_numpy(dtype=float))
    flagged = top[
        (top["share"] >= params.min_gatekeeper_share)
        & (top["lift"] >= params.min_gatekeeper_lift)
        & (top["q_value"] <= params.alpha)
    ]
    thresholds = {
        "min_contracts": params.min_contracts,
        "min_gatekeeper_share": params.min_gatekeeper_share,
        "min_gatekeeper_lift": params.min_gatekeeper_lift,
        "alpha": params.alpha,
    }
    keys = ["supplier_id", "approver_id"]
    signed = rows.merge(flagged[keys], on=keys).sort_values([*keys, "signed_date", "contract_id"])
    by_pair = records_by(signed, keys)
    findings = []
    for row in flagged.to_dict("records"):
        signed_here = by_pair[(row["supplier_id"], row["approver_id"])]
        finding = _gatekeeper_finding(snapshot, row, signed_here, thresholds, params)
        findings.append(soften(snapshot, finding, [r["contract_id"] for r in signed_here]))
    return findings


def _gatekeeper_finding(
    snapshot: GraphSnapshot,
    row: dict[str, Any],
    signed: list[dict[str, Any]],
    thresholds: dict[str, Any],
    params: Params,
) -> Finding:
    supplier, approver = str(row["supplier_id"]), str(row["approver_id"])
    n, k = int(row["n"]), int(row["k"])
    share, p0, lift, q = float(row["share"]), float(row["p0"]), float(row["lift"]), float(row["q_value"])
    score = (
        0.3 + 0.3 * min(1.0, -math.log10(max(q, 1e-300)) / 8) + 0.2 * min(1.0, (lift - 1) / 2) + 0.2 * share
    )
    departments = Counter(r["department_id"] for r in signed)
    department = str(departments.most_common(1)[0][0])
    emp = snapshot.name("Employee", approver)
    sup = snapshot.name("Supplier", supplier)
    value = float(sum(r["amount"] for r in signed))
    first, last = signed[0]["signed_date"], signed[-1]["signed_date"]
    zh = (
        f"供应商{sup}（{supplier}）的{n}份合同中有{k}份（{share:.0%}，{wan(value)}）由{emp}（{approver}）一人签批第一步审批，"
        f"时间为{first:%Y-%m-%d}至{last:%Y-%m-%d}；按所在部门同类合同的一般分工，此人预计只签其中{p0:.0%}，"
        f"提升度{lift:.1f}倍（二项检验校正后q={q:.1e}；规则：占比≥{params.min_gatekeeper_share:.0%}、"
        f"提升度≥{params.min_gatekeeper_lift:g}、q≤{params.alpha:g}）。"
    )
    en = (
        f"{k} of the {n} contracts of supplier {sup} ({supplier}), {share:.0%} or {yuan(value)}, had their first approval "
        f"signed by {emp} ({approver}) between {first:%Y-%m-%d} and {last:%Y-%m-%d}, where the departments' usual split of those categories "
        f"gives this approver {p0:.0%}: a lift of {lift:.1f}× (BH-adjusted q = {q:.1e}; rule: share ≥ "
        f"{params.min_gatekeeper_share:.0%}, lift ≥ {params.min_gatekeeper_lift:g}, q ≤ {params.alpha:g})."
    )
    entities = (entity_key("Employee", approver), entity_key("Supplier", supplier))
    return Finding(
        detector=DETECTOR.id,
        subject=f"gatekeeper|{supplier}|{approver}",
        score=float(min(1.0, score)),
        entities=entities,
        explanation_zh=zh,
        explanation_en=en,
        evidence={
            "rule": "gatekeeper",
            "metrics": {
                "contracts": n,
                "signed_by_approver": k,
                "share": round(share, 4),
                "expected_share": round(p0, 6),
                "lift": round(lift, 3),
                "p_value": float(row["p_value"]),
                "q_value": q,
                "value": value,
                "department": department,
            },
            "thresholds": thresholds,
            "rows": [
                {
                    "contract_id": r["contract_id"],
                    "signed_date": f"{r['signed_date']:%Y-%m-%d}",
                    "amount": float(r["amount"]),
                    "department_id": r["department_id"],
                }
                for r in signed[: params.max_rows]
            ],
            "subgraph": [
                *entities,
                entity_key("Department", department),
                *(entity_key("Contract", r["contract_id"]) for r in signed[:20]),
            ],
        },
    )


DETECTOR = Detector(
    id="concentration",
    title_zh="供应商与审批集中度",
    title_en="Supplier and approver concentration",
    family="concentration",
    params_type=Params,
    run=run,
    doc=__doc__ or "",
)

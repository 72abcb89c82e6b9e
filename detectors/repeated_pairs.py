"""Repeated supplier–approver pairs: an approver who keeps signing off one supplier.

Summary
-------
Flags an approver whose approvals in a category go to one supplier far more
often than that supplier wins with the approver's colleagues — the other
approvers of the same department, who buy in the same market — more than chance
explains; and an approver who hands one supplier a run of awards without a
contest (direct, single-source, negotiated) where the department competes the
rest of that category (*steered awards*), which is how a department head who
signs every order of the department favours a firm.

Methodology
-----------
Approvals with decision ``reject`` are ignored; an approver who signed several
steps of one contract counts it once. The *market* of a contract is its
department and category: a regional branch buys from its region's suppliers,
whom the head office never uses, so the branch's approvers are compared with
each other, not with the head office. Per market *m*, approver *a* and supplier *j*:

* ``n`` — contracts of *j* that *a* approved; ``N`` — all contracts *a* approved in *m*;
* ``share = n / N`` and the value share of those contracts;
* ``baseline`` — *j*'s share of the approvals of **the other approvers** in *m*,
  with add-one smoothing over the market's suppliers (leave-one-out, so the
  favoured pair does not inflate its own baseline); a market where the other
  approvers signed fewer than ``min_peer_contracts`` contracts has no baseline
  (one manager signing all of a branch's orders is a small market: whether the
  branch as a whole is captured is the concentration detector's question);
* ``lift = share / baseline``;
* ``p`` — one-sided binomial test ``P(X >= n)``, ``X ~ Binomial(N, baseline)``;
  ``q`` — Benjamini–Hochberg adjusted over every pair tested (``n >= min_contracts``).

A pair is flagged when ``n >= min_contracts``, ``q <= alpha`` and
(``share >= min_share`` with ``lift >= min_share_lift``, or ``lift >= min_lift``):
a supplier that has half of the colleagues' approvals as well is the market's,
however much of the approver's it has. A pair flagged in several
markets is one finding, reported at its strongest.
Score = 0.35·lift term (log10, full at 10×) + 0.25·significance term (full at
q = 1e-8) + 0.2·count term (full at 10 contracts) + 0.2·share.

*Steered awards* (``evidence["rule"] = "steered"``). The share test needs
colleagues, and the head of a department signs nearly all of its small orders
first: the favourite's share of the head's orders is the department's, and the
few other signers co-sign the same larger orders, so there is no independent
baseline. The second test asks instead how the firm was chosen. Each contract
counts once, for its first signer (lowest step). Per market, first signer *a*
and supplier *j*: ``n`` contracts, ``k`` of them by a method where the buyer
picks the firm (``direct``, ``single_source``, ``negotiation``; open and
invited tenders and inquiries are contests, and so is an order that carries a
tender id, a call-off of a competed framework); ``baseline`` = the share of the
market's contracts with **other suppliers** awarded that way (add-one smoothed;
at least ``min_peer_contracts`` of them); one-sided binomial ``P(X >= k)``,
``X ~ Binomial(n, baseline)``, BH-adjusted over every pair tested. Flagged when
``n >= min_contracts``, ``k >= min_contracts``, ``q <= alpha`` and the pair's
rate ``k/n`` is at least ``min_share_lift`` × the baseline; scored by the same
formula with that rate ratio as the lift and the pair's share of the signer's
orders in the market as the share. A pair flagged by the share test is not
reported again.

Example
-------
张伟 approves 40 of 信息中心's IT-equipment contracts; 18 go to 华信科技, a supplier
that wins 2 % of his colleagues' IT-equipment contracts: share 45 %, lift ≈ 20,
q ≈ 1e-20 → high. A power utility that supplies all electricity to every approver
has a baseline near 100 %, so a lift near 1 and is not flagged; nor is the branch's
local supplier that all of the branch's approvers use.

Why is this a red flag?
-----------------------
Repeated awards through one gatekeeper are the most common footprint of
kickbacks and of an undisclosed tie between buyer and vendor (ACFE: 20 % of
fraudsters had an unusually close association with a vendor). The test against
the supplier's share elsewhere separates favouritism from a supplier that is
simply the market.

Based on
--------
INDICATORS K05 (repeated supplier–approver pair, approver-level analogue of OCP
R040 "single bidder / buyer concentration"); Benjamini & Hochberg (1995) for the
multiple-testing correction.

Output
------
Entities: the approver (employee) and the supplier. Evidence: ``metrics`` (n, N,
share, value, value_share, baseline, lift, p_value, q_value, category,
categories), ``rows`` (the contracts), ``thresholds`` and ``subgraph``. A steered
finding has ``rule`` ``steered`` and ``metrics`` n, buyer_chosen,
approver_contracts, share, value, others_contracts, others_buyer_chosen,
baseline, lift, p_value, q_value; its rows carry each contract's method.

Configuration
-------------
See the parameter table: ``min_contracts`` (count), ``min_share`` (ratio),
``min_lift`` (ratio), ``alpha`` (false discovery rate), ``max_rows`` (count).

Exclusions
----------
Rejected approvals; contracts without a supplier; categories where the approver
is the only approver (no baseline to compare with).

Legitimate look-alikes
----------------------
A department's own market bought without contests (a branch's local repair shops,
all ordered directly) has a baseline near 100 %: no firm stands out, nothing is
steered. A habitual supplier that wins its orders through inquiries like the
department's other firms is chosen by a contest, not by the signer, and is not
steered either; nor are the direct call-offs of a framework agreement, which carry
the framework's tender id.
A habitual supplier: where the supplier also has at least 15 % of the colleagues'
approvals in the market, they use it too, less often; the approver's leaning on it is a
habit. The finding says so first (惯用供应商 / Habitual supplier) and carries
``evidence["ceiling"]``: its calibrated score is held at 0.6, medium at most. A
favourite the colleagues hardly use (a few per cent) is not held.
A pair whose contracts are a natural monopoly's bills, a sole source's items or the
call-offs of a competed framework agreement (:mod:`detectors.prepare.lookalikes`) is lowered
to a low note that says so, with the facts.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import binom

from detectors.base import Detector, Finding, param, wan, yuan
from detectors.prepare import prepare
from detectors.prepare.lookalikes import merge_explained, soften
from detectors.significance import benjamini_hochberg
from graph.schema import entity_key
from graph.snapshot import GraphSnapshot

__all__ = ["DETECTOR", "Params", "run"]


@dataclass(frozen=True)
class Params:
    min_contracts: int = param(3, "count", "fewest contracts of the pair approved by the approver")
    min_share: float = param(0.5, "ratio", "share of the approver's contracts in the category")
    min_lift: float = param(3.0, "ratio", "share over the supplier's share with other approvers")
    min_share_lift: float = param(
        2.0, "ratio", "smallest lift of a pair flagged by its share (min_share) rather than its lift"
    )
    alpha: float = param(0.01, "ratio", "false discovery rate for the Benjamini–Hochberg q-value")
    min_peer_contracts: int = param(
        10, "count", "fewest contracts the other approvers of the market signed, for it to have a baseline"
    )
    max_rows: int = param(50, "count", "contracts listed in the evidence")


MARKET_SEPARATOR = "\x1f"
#: A supplier with at least this share of the colleagues' approvals in the market is one they use too (ratio).
HABITUAL_BASELINE = 0.15
#: The calibrated score a habitual supplier's pair is held at: medium, the approver's habit alone.
HABITUAL_CEILING = 0.6
#: Methods where the buyer picks the firm rather than a contest: direct purchase, single source, and
#: negotiation (竞争性谈判, with firms the buyer invites). Open and invited tenders and inquiries are contests.
BUYER_CHOSEN_METHODS = frozenset({"direct", "single_source", "negotiation"})


def _pair_table(snapshot: GraphSnapshot) -> pd.DataFrame:
    """One row per (approver, contract) with the contract's supplier, market, category and amount."""
    rows = prepare(snapshot).approved
    department = rows["department_id"].astype(object).where(rows["department_id"].notna(), "")
    rows = rows.assign(market=department.astype(str) + MARKET_SEPARATOR + rows["category"].astype(str))
    return rows[
        [
            "approver_id",
            "contract_id",
            "step",
            "supplier_id",
            "category",
            "department_id",
            "market",
            "amount",
            "signed_date",
            "method",
            "tender_id",
        ]
    ]


def _counts(rows: pd.DataFrame) -> pd.DataFrame:
    """Contracts and value per (category, approver, supplier), with the approver's, the supplier's and
    the category's totals beside them, in key order.

    The grouping runs on integer codes (sorted like the ids, so the order is the ids'): a group-by on
    three string columns of millions of approvals was most of this detector's time.
    """
    k, categories = pd.factorize(rows["market"], sort=True)
    a, approvers = pd.factorize(rows["approver_id"], sort=True)
    s, suppliers = pd.factorize(rows["supplier_id"], sort=True)
    known = (k >= 0) & (a >= 0) & (s >= 0)  # a group-by leaves missing keys out
    k, a, s = k[known].astype(np.int64), a[known].astype(np.int64), s[known].astype(np.int64)
    amount = pd.Series(rows["amount"].to_numpy(dtype=float)[known])
    n_a, n_s = len(approvers), len(suppliers)

    def per(key: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        grouped = amount.groupby(key)
        sums = grouped.sum()  # pandas' compensated sum, in row order: the same value as by ids
        return sums.index.to_numpy(), grouped.size().to_numpy(), sums.to_numpy()

    pair_key, n, value = per((k * n_a + a) * n_s + s)
    approver_key, approver_n, approver_value = per(k * n_a + a)
    supplier_key, supplier_n, _ = per(k * n_s + s)
    category_n = np.bincount(k, minlength=len(categories))
    category_suppliers = np.bincount(np.unique(k * n_s + s) // n_s, minlength=len(categories))
    pk, pa, ps = pair_key // (n_a * n_s), (pair_key // n_s) % n_a, pair_key % n_s
    at_approver = np.searchsorted(approver_key, pk * n_a + pa)
    at_supplier = np.searchsorted(supplier_key, pk * n_s + ps)
    # each market's department and category, split once per market rather than once per pair:
    # splitting millions of pair rows (and turning the parts into columns) was a quarter of a run
    market_names = np.asarray(categories, dtype=object)
    split = [str(market).partition(MARKET_SEPARATOR) for market in market_names]
    department = np.array([d for d, _sep, _c in split], dtype=object)
    category = np.array([c for _d, _sep, c in split], dtype=object)
    return pd.DataFrame(
        {
            "market": market_names[pk],
            "department_id": department[pk],
            "category": category[pk],
            "approver_id": np.asarray(approvers, dtype=object)[pa],
            "supplier_id": np.asarray(suppliers, dtype=object)[ps],
            "n": n,
            "value": value,
            "approver_n": approver_n[at_approver],
            "approver_value": approver_value[at_approver],
            "supplier_n": supplier_n[at_supplier],
            "category_n": category_n[pk],
            "category_suppliers": category_suppliers[pk],
        }
    )


def _scored_pairs(rows: pd.DataFrame, params: Params) -> pd.DataFrame:
    pairs = _counts(rows)
    others_n = pairs["category_n"] - pairs["approver_n"]
    pairs = pairs[
        (others_n >= max(1, params.min_peer_contracts)) & (pairs["n"] >= params.min_contracts)
    ].copy()
    if pairs.empty:
        return pairs
    others_n = pairs["category_n"] - pairs["approver_n"]
    supplier_elsewhere = pairs["supplier_n"] - pairs["n"]
    pairs["baseline"] = (supplier_elsewhere + 1) / (others_n + pairs["category_suppliers"])
    pairs["share"] = pairs["n"] / pairs["approver_n"]
    pairs["value_share"] = pairs["value"] / pairs["approver_value"].where(pairs["approver_value"] > 0)
    pairs["lift"] = pairs["share"] / pairs["baseline"]
    pairs["p_value"] = binom.sf(pairs["n"] - 1, pairs["approver_n"], pairs["baseline"])
    pairs["q_value"] = benjamini_hochberg(pairs["p_value"].to_numpy(dtype=float))
    pairs["score"] = _score(pairs["lift"], pairs["q_value"], pairs["n"], pairs["share"])
    # a pair flagged by its share must still stand out from the colleagues: where the supplier has half
    # of their approvals too (the market's only inspection firm), signing it is what everybody does
    pairs["flagged"] = (pairs["q_value"] <= params.alpha) & (
        ((pairs["share"] >= params.min_share) & (pairs["lift"] >= params.min_share_lift))
        | (pairs["lift"] >= params.min_lift)
    )
    return pairs


def _score(lift: pd.Series, q: pd.Series, n: pd.Series, share: pd.Series) -> pd.Series:
    """The raw score of a pair: lift (log10, full at 10×), significance (full at q = 1e-8), count
    (full at 10 contracts) and share, weighted 0.35 / 0.25 / 0.2 / 0.2."""
    lift_term = (np.log10(lift.clip(lower=1.0))).clip(upper=1.0)
    sig_term = (-np.log10(q.clip(lower=1e-300)) / 8).clip(upper=1.0)
    count_term = (n / 10).clip(upper=1.0)
    return 0.35 * lift_term + 0.25 * sig_term + 0.2 * count_term + 0.2 * share


def _first_approvals(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per contract: the approval of its first signer (lowest step)."""
    return rows.sort_values(["contract_id", "step"], na_position="last", kind="stable").drop_duplicates(
        "contract_id"
    )


def _steered_pairs(rows: pd.DataFrame, params: Params) -> pd.DataFrame:
    """Per (market, first approver, supplier): how many of the pair's contracts the buyer chose the firm for,
    against the same rate for the market's contracts with other suppliers, with a binomial tail and BH q.

    A contract counts once, for the approver who signed it first: the second signature of a larger
    order is the superior's, and counting it again made the superior look like a second favourer.
    """
    first = _first_approvals(rows)
    method = (
        first["method"].astype(object).where(first["method"].notna(), "").astype(str).str.strip().str.lower()
    )
    # a direct order carrying a tender id is a call-off of a competed framework: the contest picked the firm
    called_off = first["tender_id"].notna() & (first["tender_id"].astype(str).str.strip() != "")
    chosen = method.isin(BUYER_CHOSEN_METHODS) & ~called_off
    first = first.assign(chosen=chosen.to_numpy(dtype=np.int64))
    market = first.groupby("market", sort=False)["chosen"].agg(market_n="size", market_k="sum")
    supplier = first.groupby(["market", "supplier_id"], sort=False)["chosen"].agg(
        supplier_n="size", supplier_k="sum"
    )
    approver = first.groupby(["market", "approver_id"], sort=False)["chosen"].agg(approver_n="size")
    pairs = (
        first.groupby(["market", "approver_id", "supplier_id"], sort=True)
        .agg(
            n=("chosen", "size"), k=("chosen", "sum"), value=("amount", "sum"), category=("category", "first")
        )
        .reset_index()
        .join(market, on="market")
        .join(supplier, on=["market", "supplier_id"])
        .join(approver, on=["market", "approver_id"])
    )
    others_n = pairs["market_n"] - pairs["supplier_n"]
    pairs = pairs[
        (pairs["n"] >= params.min_contracts) & (others_n >= max(1, params.min_peer_contracts))
    ].copy()
    if pairs.empty:
        return pairs
    others_n = pairs["market_n"] - pairs["supplier_n"]
    others_k = pairs["market_k"] - pairs["supplier_k"]
    pairs["department_id"] = pairs["market"].str.partition(MARKET_SEPARATOR)[0]
    pairs["others_n"], pairs["others_k"] = others_n, others_k
    pairs["baseline"] = (others_k + 1) / (
        others_n + 2
    )  # add-one smoothing: a market that never chose still may
    pairs["rate"] = pairs["k"] / pairs["n"]
    pairs["lift"] = pairs["rate"] / pairs["baseline"]
    pairs["share"] = pairs["n"] / pairs["approver_n"]
    pairs["p_value"] = binom.sf(pairs["k"] - 1, pairs["n"], pairs["baseline"])
    pairs["q_value"] = benjamini_hochberg(pairs["p_value"].to_numpy(dtype=float))
    pairs["score"] = _score(pairs["lift"], pairs["q_value"], pairs["n"], pairs["share"])
    pairs["flagged"] = (
        (pairs["q_value"] <= params.alpha)
        & (pairs["k"] >= params.min_contracts)
        & (pairs["lift"] >= params.min_share_lift)
    )
    return pairs


def run(snapshot: GraphSnapshot, params: Params) -> list[Finding]:
    rows = _pair_table(snapshot)
    if rows.empty:
        return []
    pairs = _scored_pairs(rows, params)
    findings = [] if pairs.empty else _share_findings(snapshot, rows, pairs, params)
    already = {(f.subject.partition("|")[0], f.subject.partition("|")[2]) for f in findings}
    findings.extend(_steered_findings(snapshot, rows, params, already))
    return merge_explained(findings)


def _share_findings(
    snapshot: GraphSnapshot, rows: pd.DataFrame, pairs: pd.DataFrame, params: Params
) -> list[Finding]:
    """Findings of the share test: the pairs that stand out from the colleagues, each at its strongest market."""
    flagged = pairs[pairs["flagged"]].sort_values("score", ascending=False)
    findings = []
    thresholds = {
        "min_contracts": params.min_contracts,
        "min_share": params.min_share,
        "min_lift": params.min_lift,
        "alpha": params.alpha,
    }
    # the contracts of each flagged pair in its strongest category, gathered in one join
    # rather than one scan of all approvals per finding
    strongest = flagged.drop_duplicates(["approver_id", "supplier_id"])[
        ["approver_id", "supplier_id", "market"]
    ]
    evidence_rows = rows.merge(strongest, on=["approver_id", "supplier_id", "market"])
    contracts_of = dict(tuple(evidence_rows.groupby(["approver_id", "supplier_id"], sort=False)))
    for (approver, supplier), group in flagged.groupby(["approver_id", "supplier_id"], sort=False):
        best = group.iloc[0]
        contracts = contracts_of[(approver, supplier)].sort_values("signed_date")
        finding = _finding(snapshot, approver, supplier, best, group, contracts, thresholds, params.max_rows)
        findings.append(soften(snapshot, _habitual(finding), contracts["contract_id"]))
    return findings


def _steered_findings(
    snapshot: GraphSnapshot, rows: pd.DataFrame, params: Params, already: set[tuple[str, str]]
) -> list[Finding]:
    """Findings of the steering test for the pairs the share test did not flag, each at its strongest market."""
    pairs = _steered_pairs(rows, params)
    if pairs.empty:
        return []
    flagged = pairs[pairs["flagged"]].sort_values(["score", "market"], ascending=[False, True], kind="stable")
    new = np.array(
        [(a, s) not in already for a, s in zip(flagged["approver_id"], flagged["supplier_id"], strict=True)],
        dtype=bool,
    )
    flagged = flagged[new].drop_duplicates(["approver_id", "supplier_id"])
    if flagged.empty:
        return []
    first = _first_approvals(rows).merge(
        flagged[["approver_id", "supplier_id", "market"]], on=["approver_id", "supplier_id", "market"]
    )
    contracts_of = dict(tuple(first.groupby(["approver_id", "supplier_id"], sort=False)))
    findings = []
    for best in flagged.itertuples(index=False):
        contracts = contracts_of[(best.approver_id, best.supplier_id)].sort_values(
            ["signed_date", "contract_id"]
        )
        finding = _steered_finding(snapshot, best, contracts, params)
        findings.append(soften(snapshot, finding, contracts["contract_id"]))
    return findings


def _habitual(finding: Finding) -> Finding:
    """``finding`` held at medium when the colleagues also give the supplier a good share of their orders."""
    baseline = float(finding.evidence["metrics"]["baseline"])
    if baseline < HABITUAL_BASELINE:
        return finding
    zh = (
        f"惯用供应商：该供应商在本部门其他审批人处也占{baseline:.0%}，同事同样选用，只是较少；审批人偏向它是个人习惯，"
        f"单凭此不列为高风险（上限为中风险）。"
    )
    en = (
        f"Habitual supplier: the supplier has {baseline:.0%} of the department's other approvers' contracts too; the "
        f"colleagues use it, less often. The approver's leaning on it is a habit, held at medium on its own."
    )
    return replace(
        finding,
        explanation_zh=zh + finding.explanation_zh,
        explanation_en=f"{en} {finding.explanation_en}",
        evidence={
            **finding.evidence,
            "ceiling": {
                "score": HABITUAL_CEILING,
                "reason": "habitual_supplier",
                "min_baseline": HABITUAL_BASELINE,
            },
        },
    )


def _finding(
    snapshot: GraphSnapshot,
    approver: str,
    supplier: str,
    best: pd.Series,
    group: pd.DataFrame,
    contracts: pd.DataFrame,
    thresholds: dict[str, float],
    max_rows: int,
) -> Finding:
    emp = snapshot.name("Employee", approver)
    sup = snapshot.name("Supplier", supplier)
    n, total, value = int(best["n"]), int(best["approver_n"]), float(best["value"])
    share, baseline, lift, q = (float(best[k]) for k in ("share", "baseline", "lift", "q_value"))
    category = str(best["category"])
    department = str(best["department_id"])
    dept = snapshot.name("Department", department) if department else "未知部门"
    dept_en = dept if department else "an unknown department"
    first = contracts["signed_date"].min()
    last = contracts["signed_date"].max()
    period_zh = f"{first:%Y-%m-%d}至{last:%Y-%m-%d}" if pd.notna(first) else ""
    period_en = f" between {first:%Y-%m-%d} and {last:%Y-%m-%d}" if pd.notna(first) else ""
    rule_zh = (
        f"阈值：至少{thresholds['min_contracts']}份，且占比≥{thresholds['min_share']:.0%}"
        f"或提升度≥{thresholds['min_lift']:g}倍，校正后q≤{thresholds['alpha']:g}"
    )
    rule_en = (
        f"thresholds: at least {thresholds['min_contracts']} contracts, share ≥ "
        f"{thresholds['min_share']:.0%} or lift ≥ {thresholds['min_lift']:g}×, q ≤ {thresholds['alpha']:g}"
    )
    zh = (
        f"审批人{emp}（{approver}）{period_zh}审批了{dept}供应商{sup}（{supplier}）的{n}份“{category}”类合同，"
        f"合计{wan(value)}，占其审批的本部门该类合同的{share:.0%}（{n}/{total}）；该供应商在本部门其他审批人处的份额仅为"
        f"{baseline:.1%}，提升度{lift:.1f}倍（单侧二项检验，校正后q={q:.1e}；{rule_zh}）。"
    )
    en = (
        f"Approver {emp} ({approver}) approved {n} '{category}' contracts of {dept_en} with supplier {sup} "
        f"({supplier}){period_en}, worth {yuan(value)}: {share:.0%} of the {total} such contracts of the department "
        f"they approved, while this supplier has {baseline:.1%} of the department's other approvers' contracts, "
        f"a lift of {lift:.1f}× "
        f"(one-sided binomial test, BH-adjusted q = {q:.1e}; {rule_en})."
    )
    listed = contracts.head(max_rows)
    evidence = {
        "metrics": {
            "category": category,
            "department": department,
            "categories": sorted(group["category"].astype(str).tolist()),
            "n": n,
            "approver_contracts": total,
            "share": round(share, 4),
            "value": value,
            "value_share": None if math.isnan(best["value_share"]) else round(float(best["value_share"]), 4),
            "baseline": round(baseline, 6),
            "lift": round(lift, 3),
            "p_value": float(best["p_value"]),
            "q_value": q,
        },
        "thresholds": thresholds,
    }
    step = {"step": lambda r: None if pd.isna(r.step) else int(r.step)}
    return _pair_finding(approver, supplier, best["score"], listed, step, zh, en, evidence)


def _steered_finding(snapshot: GraphSnapshot, best: Any, contracts: pd.DataFrame, params: Params) -> Finding:
    approver, supplier = str(best.approver_id), str(best.supplier_id)
    emp = snapshot.name("Employee", approver)
    sup = snapshot.name("Supplier", supplier)
    department = str(best.department_id)
    dept = snapshot.name("Department", department) if department else "未知部门"
    dept_en = dept if department else "an unknown department"
    n, k, others_n, others_k = int(best.n), int(best.k), int(best.others_n), int(best.others_k)
    baseline, q, category = float(best.baseline), float(best.q_value), str(best.category)
    first = contracts["signed_date"].min()
    last = contracts["signed_date"].max()
    period_zh = f"{first:%Y-%m-%d}至{last:%Y-%m-%d}" if pd.notna(first) else ""
    period_en = f" between {first:%Y-%m-%d} and {last:%Y-%m-%d}" if pd.notna(first) else ""
    zh = (
        f"定向选商：审批人{emp}（{approver}）{period_zh}首签了{dept}与供应商{sup}（{supplier}）的{n}份“{category}”类合同"
        f"（合计{wan(float(best.value))}，占其首签的本部门该类合同的{best.share:.0%}），其中{k}份以直接采购、单一来源或谈判方式"
        f"选定该供应商，未经招标或询价；本部门该类与其他供应商的合同只有{others_k}/{others_n}以这些方式授予"
        f"（单侧二项检验，校正后q={q:.1e}；阈值：至少{params.min_contracts}份，q≤{params.alpha:g}，"
        f"比率≥{params.min_share_lift:g}倍）。"
    )
    en = (
        f"Steered awards: approver {emp} ({approver}) first signed {n} '{category}' contracts of {dept_en} with "
        f"supplier {sup} ({supplier}){period_en}, worth {yuan(float(best.value))} ({best.share:.0%} of the "
        f"department's such contracts they first signed); {k} of them chose the firm directly, single-source or by "
        f"negotiation, with no tender or inquiry, while {others_k} of the department's {others_n} such contracts "
        f"with other suppliers were awarded that way (one-sided binomial test, BH-adjusted q = {q:.1e}; thresholds: "
        f"at least {params.min_contracts} contracts, q ≤ {params.alpha:g}, rate ≥ {params.min_share_lift:g}× the "
        f"others')."
    )
    listed = contracts.head(params.max_rows)
    evidence = {
        "rule": "steered",
        "metrics": {
            "category": category,
            "department": department,
            "n": n,
            "buyer_chosen": k,
            "approver_contracts": int(best.approver_n),
            "share": round(float(best.share), 4),
            "value": float(best.value),
            "others_contracts": others_n,
            "others_buyer_chosen": others_k,
            "baseline": round(baseline, 6),
            "lift": round(float(best.lift), 3),
            "p_value": float(best.p_value),
            "q_value": q,
        },
        "thresholds": {
            "min_contracts": params.min_contracts,
            "min_share_lift": params.min_share_lift,
            "min_peer_contracts": params.min_peer_contracts,
            "alpha": params.alpha,
            "methods": sorted(BUYER_CHOSEN_METHODS),
        },
    }
    method = {"method": lambda r: None if pd.isna(r.method) else str(r.method)}
    return _pair_finding(approver, supplier, best.score, listed, method, zh, en, evidence)


def _pair_finding(
    approver: str,
    supplier: str,
    score: float,
    listed: pd.DataFrame,
    row_extra: Mapping[str, Callable[[Any], Any]],
    zh: str,
    en: str,
    evidence: dict[str, Any],
) -> Finding:
    """A finding about one approver–supplier pair: ``evidence`` gains the ``listed`` contracts as
    rows (date, amount and the ``row_extra`` fields each test shows) and the pair with up to 20 of
    them as the drill-down's subgraph."""
    evidence["rows"] = [
        {
            "contract_id": r.contract_id,
            "signed_date": None if pd.isna(r.signed_date) else f"{r.signed_date:%Y-%m-%d}",
            "amount": float(r.amount),
            **{name: value(r) for name, value in row_extra.items()},
        }
        for r in listed.itertuples(index=False)
    ]
    evidence["subgraph"] = [
        entity_key("Employee", approver),
        entity_key("Supplier", supplier),
        *(entity_key("Contract", c) for c in listed["contract_id"].head(20)),
    ]
    return Finding(
        detector=DETECTOR.id,
        subject=f"{approver}|{supplier}",
        score=float(min(1.0, max(0.0, score))),
        entities=(entity_key("Employee", approver), entity_key("Supplier", supplier)),
        explanation_zh=zh,
        explanation_en=en,
        evidence=evidence,
    )


DETECTOR = Detector(
    id="repeated_pairs",
    title_zh="审批人与供应商反复配对",
    title_en="Repeated supplier–approver pairs",
    family="concentration",
    params_type=Params,
    run=run,
    doc=__doc__ or "",
)

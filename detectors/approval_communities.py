"""Approver–supplier communities: a circle of approvers that keeps signing for a circle of suppliers.

Summary
-------
Finds Louvain communities in the graph of who approves contracts of whom and
flags a community whose approvers give its suppliers far more of their approvals
than the other approvers of the same categories do, especially when its contracts
also carry more red flags than the rest.

Methodology
-----------
**Graph.** The approval graph of the snapshot (``GraphSnapshot.approval_graph``):
approvers and suppliers, an edge weighted by the contracts of the supplier that
the approver signed (rejections left out, several steps of one contract counted
once). Pairs with fewer than ``min_edge_weight`` approvals are left out of the
graph (they still count in every share below): a pair that met once says little
about who belongs with whom, and such pairs are most of a large graph. Louvain
(:mod:`detectors.community_engines`; ``engine``, ``seed``, ``resolution``; by default
its Leiden refinement, which keeps every community connected) splits it into
communities of approvers *A* and suppliers *S*.

**Per community** (at least one approver, one supplier and three members):

* ``exclusivity = W_in / (W_in + W_out)`` — share of the members' approvals that
  stay inside (Wachs & Kertész 2019); ``cohesion`` — share of the possible
  approver–supplier pairs of the community that exist;
* *capture*, per category of the internal contracts: ``n`` = approvals by *A* of
  contracts of *S*, ``N`` = all approvals by *A* in the category, ``share = n / N``;
  ``baseline`` = *S*'s share of the **other** approvers' approvals in the category
  (add-one smoothed over the category's suppliers); ``lift = share / baseline``;
  ``p`` — one-sided binomial test ``P(X ≥ n)``, ``X ~ Binomial(N, baseline)``;
  ``q`` — Benjamini–Hochberg over every (community, category) tested. A community
  is judged at its strongest category, as ``repeated_pairs`` judges a pair;
* *risk clustering* (N04): the share of internal approvals whose contract is
  non-competitive (``non_competitive_methods``) or comes from a tender the
  bid-rigging screens flag, over the same share among all approvals: ``flag_ratio``.

A community is flagged when, in some category, ``n ≥ min_contracts``, ``q ≤ alpha``
and ``lift`` exceeds the bar ``max(min_lift, null fence)`` (below). Score =
0.35·lift term (how far the lift is above the bar: log of lift/bar, full at 5×)
+ 0.25·significance term (full at q = 1e-8) + 0.2·exclusivity + 0.2·risk term (log2
of ``flag_ratio``, full at 4×). Flagged communities are ranked by score, then by
``flagged_value`` (the value of internal contracts with a red flag).

Louvain groups approvers with the suppliers they use most, so some lift arises by
construction (on approvals drawn at random, communities reach lifts of 3 and more
in some category, with small q-values). The fence therefore comes from the data:
the suppliers are shuffled within each category (``null_rounds`` times, seeded),
which keeps every approver's volume and every supplier's market share, Louvain
runs again (on ``null_engine``, by default the fastest installed: the shuffles only
set a fence), and a community must beat the largest lift found there (and
``min_lift``). Read q as a screen, not as a calibrated probability.

Example
-------
Two managers of 基建部, 张伟 and 刘洋, give 38 of their 40 civil-works (工程)
approvals to 宏达建设, 鑫源工程 and a third firm (share 95 %), which get 7.3 % of the
other approvers' civil-works approvals: lift 13.1 against a shuffled-supplier fence
of 4.2, q ≈ 4e-40; 82 % of the community's approvals are single-source against 5 %
overall → score 0.76, high. With the same approvers choosing among the same vendors
like everyone else, no community beats the shuffled fence: not flagged.

Why is this a red flag?
-----------------------
Favouritism rarely involves one approver alone: a department's signatories who
steer work to a set of companies show up as a closed block of the approval graph.
Wachs, Fazekas & Kertész (2021) find corruption risk clustered in exactly such
buyer–supplier communities across EU procurement; the comparison with the other
approvers of the same categories separates capture from specialisation.

Based on
--------
INDICATORS N04 (buyer–supplier risk cluster: Wachs, Fazekas & Kertész 2021, IJDSA
12:45–60), N01 for exclusivity (Wachs & Kertész 2019), K05 for the lift and
binomial test (the group form of ``repeated_pairs``); Benjamini & Hochberg (1995).

Output
------
One finding per flagged community. Entities: its core — the approvers, then the
suppliers, strongest first, that together carry ``CORE_COVER`` (80 %) of the
community's approvals in its flagged categories, at most ``CORE_MEMBERS`` (5) of
each (a member that only shares other business, or a few approvals, is in the
evidence, not named). Evidence: ``metrics`` (approvers, suppliers, n, N,
share, baseline, lift, p_value, q_value, category, categories (all flagged
categories), exclusivity, cohesion,
flag_rate, flag_ratio, value, flagged_value, engine, modularity), ``thresholds``,
``rows`` (the strongest approver–supplier pairs) and ``subgraph``. Subject: the
two strongest approvers and the two strongest suppliers, so the alert survives
peripheral members joining or leaving.

Configuration
-------------
See the parameter table: ``engine`` (leiden, igraph, python-louvain, networkx, gds on a
Neo4j server with GDS, or auto),
``seed``, ``resolution`` (ratio), ``min_edge_weight`` and ``min_contracts`` (count),
``min_lift`` (ratio),
``alpha`` (false discovery rate), ``null_rounds`` (count), ``null_engine``,
``non_competitive_methods`` (list),
``max_rows`` (count).

Exclusions
----------
Rejected approvals; contracts without a supplier; communities without an approver
or a supplier or with fewer than three members (a single approver–supplier pair is
``repeated_pairs``' finding); categories where the community's approvers are the
only approvers (no baseline).

Legitimate look-alikes
----------------------
Contracts whose supplier was not the approver's choice — call-offs of a competed
framework agreement, a natural monopoly's bills, a sole source's items
(:mod:`detectors.prepare.lookalikes`) — are left out of the graph and of every share: they
say nothing about who captured whom.
A branch's own market (:func:`branch_market`): where local services can only be bought
locally, a branch's approvers and its city's firms form a community with a huge lift.
When 90 % of a community's approvals are one department's contracts, its suppliers sell
90 % of their contracts in those categories to that department, the community carries
80 % of the department's approvals there and its contracts carry no more red flags than
the rest, the finding says first that it is the department's market (本部门市场 / the
department's own market) and carries ``evidence["ceiling"]``: its calibrated score is
held at 0.4, low.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import binom

from detectors.base import Detector, Finding, money, param
from detectors.community_engines import DEFAULT_ENGINE, Partition, WeightedGraph, louvain
from detectors.prepare import prepare
from detectors.prepare.lookalikes import contract_patterns
from detectors.significance import benjamini_hochberg
from graph.schema import entity_key
from graph.snapshot import GraphSnapshot

__all__ = ["DETECTOR", "Params", "approval_community_table", "branch_market", "run"]

#: the members an alert names: the heaviest ones that carry this share of its internal approvals (ratio)
CORE_COVER = 0.8
#: a community this much one department's (its approvals, its suppliers' sales) is that department's (ratio)
BRANCH_SHARE = 0.9
#: ... when it also carries this share of the department's approvals in its categories (ratio)
BRANCH_COVER = 0.8
#: the calibrated score a branch's own market may reach: low (ratio)
BRANCH_CEILING = 0.4
#: and at most this many approvers and as many suppliers (count)
CORE_MEMBERS = 5


@dataclass(frozen=True)
class Params:
    engine: str = param(
        DEFAULT_ENGINE,
        "name",
        "community engine: leiden, igraph, python-louvain (the reference), networkx, gds or auto",
    )
    seed: int = param(42, "seed", "random seed of the Louvain run")
    resolution: float = param(1.0, "ratio", "Louvain resolution (above 1: smaller communities)")
    min_edge_weight: int = param(
        2, "count", "fewest approvals of a supplier by an approver to link them in the graph"
    )
    min_contracts: int = param(5, "count", "fewest internal approvals of a flagged community")
    min_lift: float = param(3.0, "ratio", "share over the suppliers' share with the other approvers")
    alpha: float = param(0.01, "ratio", "false discovery rate for the Benjamini–Hochberg q-value")
    null_rounds: int = param(5, "count", "shuffles of suppliers within categories that set the lift fence")
    null_engine: str = param(
        "auto", "name", "Louvain engine of the shuffles (auto: the fastest installed; they only set a fence)"
    )
    non_competitive_methods: tuple[str, ...] = param(
        ("single_source", "direct"), "list", "contract methods that count as a red flag"
    )
    max_rows: int = param(30, "count", "approver–supplier pairs listed in the evidence")


@dataclass(frozen=True)
class _Coded:
    """Approval rows with integer codes, and what the codes stand for.

    ``rows.a`` and ``rows.s`` number the approvers and suppliers in sorted order
    (graph nodes ``a`` and ``n_approvers + s``), ``rows.k`` the categories: the
    grouping and the shuffles of the null model then run on integers, not strings.
    (Kept beside the frame rather than in ``DataFrame.attrs``, which pandas deep-copies
    on every operation.)
    """

    rows: pd.DataFrame
    labels: tuple[str, ...]
    n_approvers: int
    categories: np.ndarray


def _approval_rows(snapshot: GraphSnapshot, params: Params) -> _Coded:
    """One row per (approver, contract): supplier, category, amount, a red flag, and integer codes."""
    prepared = prepare(snapshot)
    rows = prepared.approved[
        ["approver_id", "contract_id", "supplier_id", "category", "amount", "method", "tender_id"]
    ]
    rows = rows[rows["approver_id"].notna()].reset_index(drop=True)
    # a framework's call-offs, a monopoly's bills and a sole source's parts are not an approver's
    # choice of supplier: they say nothing about who captured whom
    rows = rows[~rows["contract_id"].isin(contract_patterns(snapshot).index)].reset_index(drop=True)
    methods = {m.strip().lower() for m in params.non_competitive_methods if m.strip()}
    non_competitive = rows["method"].fillna("").astype(str).str.lower().isin(methods)
    screens = prepared.tender_screens() if rows["tender_id"].notna().any() else pd.DataFrame()
    flagged_tender = (
        rows["tender_id"].map(screens["flagged"]).fillna(False).astype(bool)
        if not screens.empty
        else pd.Series(False, index=rows.index)
    )
    rows["red_flag"] = non_competitive | flagged_tender
    rows["a"], approvers = pd.factorize(rows["approver_id"], sort=True)
    rows["s"], suppliers = pd.factorize(rows["supplier_id"], sort=True)
    rows["k"], categories = pd.factorize(rows["category"], sort=True)
    labels = (*(f"employee:{a}" for a in approvers), *(f"supplier:{s}" for s in suppliers))
    return _Coded(rows, labels, len(approvers), np.asarray(categories, dtype=object))


def _capture(
    coded: _Coded, supplier_code: np.ndarray, params: Params, engine: str | None = None
) -> tuple[pd.DataFrame, Partition, WeightedGraph, np.ndarray]:
    """Louvain on the approval graph and the capture of each (community, category code).

    ``supplier_code`` is ``rows["s"]`` or a shuffle of it. Returns the capture
    table, the partition, the graph and whether each row is internal.
    """
    rows, labels, n_app = coded.rows, coded.labels, coded.n_approvers
    approver = rows["a"].to_numpy()
    supplier_node = n_app + supplier_code
    n_nodes = len(labels)
    keys, weight = np.unique(approver.astype(np.int64) * n_nodes + supplier_node, return_counts=True)
    # a pair that met once says little about who belongs with whom, and is most of a large graph
    keep = weight >= params.min_edge_weight
    graph = WeightedGraph(labels, keys[keep] // n_nodes, keys[keep] % n_nodes, weight[keep].astype(float))
    partition = louvain(graph, engine or params.engine, seed=params.seed, resolution=params.resolution)
    m = partition.membership
    a_comm, s_comm = m[approver], m[supplier_node]
    internal = a_comm == s_comm
    k = rows["k"].to_numpy()
    n_cat = int(k.max()) + 1
    # counts per (community, category) on one integer key: value_counts on int64 is a hash
    # pass, several times faster than a two-column groupby on millions of rows
    key_approver = a_comm.astype(np.int64) * n_cat + k
    key_supplier = s_comm.astype(np.int64) * n_cat + k
    n = pd.Series(key_approver[internal]).value_counts()
    cats = pd.DataFrame({"key": n.index.to_numpy(), "n": n.to_numpy()})
    cats["community"], cats["k"] = cats["key"] // n_cat, cats["key"] % n_cat
    cats["N"] = cats["key"].map(pd.Series(key_approver).value_counts()).to_numpy()
    cats["to_members"] = cats["key"].map(pd.Series(key_supplier).value_counts()).fillna(0).to_numpy()
    total = np.bincount(k, minlength=n_cat)
    sellers = np.bincount(np.unique(k.astype(np.int64) * n_nodes + supplier_code) // n_nodes, minlength=n_cat)
    cats["total"] = total[cats["k"].to_numpy()]
    cats["sellers"] = sellers[cats["k"].to_numpy()]
    cats["others"] = cats["total"] - cats["N"]
    cats = cats[cats["others"] > 0].copy()
    cats["baseline"] = (cats["to_members"] - cats["n"] + 1) / (cats["others"] + cats["sellers"])
    cats["share"] = cats["n"] / cats["N"]
    cats["lift"] = cats["share"] / cats["baseline"]
    cats["tested"] = cats["n"] >= params.min_contracts
    cats["category"] = coded.categories[cats["k"].to_numpy()]
    return cats, partition, graph, internal


def null_lift(coded: _Coded, params: Params) -> float:
    """The largest lift Louvain finds when suppliers are shuffled within each category.

    The shuffle keeps every approver's approvals per category and every supplier's
    share of each category and breaks only who-approves-whom, so the lift it leaves
    is what community detection produces by itself. Seeded by ``seed``.
    """
    rng = np.random.default_rng(params.seed)
    k = coded.rows["k"].to_numpy()
    supplier = coded.rows["s"].to_numpy()
    by_category = np.argsort(k, kind="stable")
    largest = 0.0
    for _round in range(params.null_rounds):
        # rows of one category, in random order: the same blocks as by_category
        shuffled_rows = np.lexsort((rng.random(len(k)), k))
        shuffled = np.empty_like(supplier)
        shuffled[by_category] = supplier[shuffled_rows]
        cats, _partition, _graph, _internal = _capture(coded, shuffled, params, engine=params.null_engine)
        tested = cats[cats["tested"]]
        if not tested.empty:
            largest = max(largest, float(tested["lift"].max()))
    return largest


def approval_community_table(
    snapshot: GraphSnapshot, params: Params
) -> tuple[pd.DataFrame, pd.DataFrame, Partition, WeightedGraph]:
    """Every approver–supplier community with its capture and risk measures, and the rows behind them.

    Returns ``(communities, rows, partition, graph)``: ``rows`` is one row per
    (approver, contract) with ``approver_community`` and ``supplier_community``.
    ``communities.attrs["null_lift"]`` holds the lift fence from :func:`null_lift`.
    """
    coded = _approval_rows(snapshot, params)
    rows = coded.rows
    if rows.empty:
        empty = WeightedGraph((), np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
        return pd.DataFrame(), rows, louvain(empty, params.engine, params.seed), empty
    cats, partition, graph, internal_rows = _capture(coded, rows["s"].to_numpy(), params)
    m = partition.membership
    n_comm = partition.n_communities
    n_app = coded.n_approvers
    rows["approver_community"] = m[rows["a"].to_numpy()]
    rows["supplier_community"] = m[n_app + rows["s"].to_numpy()]
    rows["internal"] = internal_rows
    fence = null_lift(coded, params) if params.null_rounds > 0 else 0.0
    min_lift = max(params.min_lift, fence)
    internal = rows[rows["internal"]]
    tested = cats["tested"]
    cats["p_value"] = binom.sf(cats["n"] - 1, cats["N"], cats["baseline"])
    cats["q_value"] = 1.0
    cats.loc[tested, "q_value"] = benjamini_hochberg(cats.loc[tested, "p_value"].to_numpy(dtype=float))
    cats["flagged"] = tested & (cats["q_value"] <= params.alpha) & (cats["lift"] > min_lift)
    # evidence is the lift beyond what shuffled suppliers reach, not the lift itself
    lift_term = np.clip(np.log(cats["lift"].clip(lower=min_lift) / min_lift) / np.log(5.0), 0.0, 1.0)
    sig_term = np.clip(-np.log10(cats["q_value"].clip(lower=1e-300)) / 8, 0.0, 1.0)
    cats["capture"] = 0.35 * lift_term + 0.25 * sig_term

    is_approver = np.array([label.startswith("employee:") for label in graph.labels])
    approvers = np.bincount(m, is_approver.astype(float), n_comm)
    suppliers = np.bincount(m, (~is_approver).astype(float), n_comm)
    inside = m[graph.src] == m[graph.dst]
    w_in = np.bincount(m[graph.src][inside], graph.weight[inside], n_comm)
    w_out = np.bincount(m[graph.src][~inside], graph.weight[~inside], n_comm) + np.bincount(
        m[graph.dst][~inside], graph.weight[~inside], n_comm
    )
    links_in = np.bincount(m[graph.src][inside], minlength=n_comm)
    with np.errstate(divide="ignore", invalid="ignore"):
        exclusivity = np.where(w_in + w_out > 0, w_in / (w_in + w_out), 0.0)
        cohesion = np.where(approvers * suppliers > 0, links_in / (approvers * suppliers), 0.0)

    # a community is judged at its strongest category, as repeated_pairs judges a pair
    strongest = cats.sort_values(["flagged", "capture", "n"], ascending=False, kind="stable").drop_duplicates(
        "community"
    )
    flagged_categories = (
        cats[cats["flagged"]].groupby("community")["category"].agg(lambda c: sorted(map(str, c)))
    )
    best = strongest.set_index("community").reindex(range(n_comm))
    overall_rate = float(rows["red_flag"].mean())
    flag_in = internal.groupby("approver_community")["red_flag"].mean().reindex(range(n_comm)).fillna(0.0)
    flag_ratio = (flag_in / overall_rate).to_numpy() if overall_rate > 0 else np.zeros(n_comm)
    contract_value = internal.drop_duplicates(["approver_community", "contract_id"])
    value = contract_value.groupby("approver_community")["amount"].sum().reindex(range(n_comm)).fillna(0.0)
    flagged_value = (
        contract_value[contract_value["red_flag"]]
        .groupby("approver_community")["amount"]
        .sum()
        .reindex(range(n_comm))
        .fillna(0.0)
    )

    risk_term = np.clip(np.log2(np.clip(flag_ratio, 1.0, None)) / 2, 0.0, 1.0)
    eligible = (
        (approvers >= 1) & (suppliers >= 1) & (approvers + suppliers >= 3) & best["n"].notna().to_numpy()
    )
    capture = best["capture"].fillna(0.0).to_numpy()
    score = capture + 0.2 * exclusivity + 0.2 * risk_term
    flagged = eligible & best["flagged"].fillna(False).astype(bool).to_numpy()
    table = pd.DataFrame(
        {
            "approvers": approvers.astype(np.int64),
            "suppliers": suppliers.astype(np.int64),
            "category": best["category"].to_numpy(),
            "n": best["n"].fillna(0).astype(np.int64).to_numpy(),
            "N": best["N"].fillna(0).astype(np.int64).to_numpy(),
            "share": best["share"].to_numpy(),
            "baseline": best["baseline"].to_numpy(),
            "lift": best["lift"].fillna(0.0).to_numpy(),
            "p_value": best["p_value"].fillna(1.0).to_numpy(),
            "q_value": best["q_value"].fillna(1.0).to_numpy(),
            "categories": flagged_categories.reindex(range(n_comm)).to_numpy(),
            "exclusivity": exclusivity,
            "cohesion": cohesion,
            "flag_rate": flag_in.to_numpy(),
            "overall_flag_rate": overall_rate,
            "flag_ratio": flag_ratio,
            "value": value.to_numpy(),
            "flagged_value": flagged_value.to_numpy(),
            "eligible": eligible,
            "flagged": flagged,
            "score": np.where(eligible, np.clip(score, 0.0, 1.0), 0.0),
        },
        index=pd.RangeIndex(n_comm, name="community"),
    )
    table = table.sort_values(["flagged", "score", "flagged_value"], ascending=False, kind="stable")
    table["rank"] = np.arange(1, n_comm + 1)
    table.attrs["null_lift"] = fence
    table.attrs["min_lift"] = min_lift
    return table, rows, partition, graph


def run(snapshot: GraphSnapshot, params: Params) -> list[Finding]:
    table, rows, partition, _ = approval_community_table(snapshot, params)
    if table.empty:
        return []
    flagged = table[table["flagged"]]
    internal_rows = rows[rows["internal"] & rows["approver_community"].isin(flagged.index)]
    by_community = dict(tuple(internal_rows.groupby("approver_community")))
    findings = []
    department_of = snapshot.contracts.drop_duplicates("id").set_index("id")["department_id"]
    for community, row in flagged.iterrows():
        # the finding names the members that made the flagged categories, not every member
        flagged_in = row["categories"] if isinstance(row["categories"], list) else [row["category"]]
        inside = by_community[community]
        internal = inside[inside["category"].isin(flagged_in)]
        finding = _finding(
            snapshot, int(community), row, internal, partition, params, float(table.attrs["null_lift"])
        )
        market = branch_market(snapshot, internal, rows, department_of, float(row["flag_ratio"]))
        findings.append(_as_branch_market(snapshot, finding, market) if market else finding)
    return findings


def branch_market(
    snapshot: GraphSnapshot,
    internal: pd.DataFrame,
    rows: pd.DataFrame,
    department_of: pd.Series,
    flag_ratio: float,
) -> dict[str, Any] | None:
    """The facts that make a community one branch's own market, or None.

    A community is a branch's market when at least ``BRANCH_SHARE`` of its internal
    approvals are of one department's contracts, its suppliers sell that department at
    least ``BRANCH_SHARE`` of their contracts in those categories (local firms), the
    community carries at least ``BRANCH_COVER`` of that department's approvals in the
    categories (it *is* the department's buying, not a circle within it) and its
    contracts carry no more red flags than the rest (``flag_ratio`` ≤ 1).
    """
    if internal.empty or flag_ratio > 1:
        return None
    departments = internal["contract_id"].map(department_of)
    counts = departments.value_counts()
    if counts.empty:
        return None
    department = str(counts.index[0])
    own_share = float(counts.iloc[0] / len(internal))
    categories = set(internal["category"])
    suppliers = set(internal["supplier_id"])
    c = snapshot.contracts
    sold = c[c["supplier_id"].isin(suppliers) & c["category"].isin(categories)]
    local_share = float((sold["department_id"] == department).mean()) if len(sold) else 0.0
    of_department = rows[
        rows["category"].isin(categories) & (rows["contract_id"].map(department_of) == department)
    ]
    cover = float(len(internal[departments == department]) / max(1, len(of_department)))
    if own_share < BRANCH_SHARE or local_share < BRANCH_SHARE or cover < BRANCH_COVER:
        return None
    return {
        "department": department,
        "department_share": round(own_share, 4),
        "suppliers_local_share": round(local_share, 4),
        "department_cover": round(cover, 4),
    }


def _as_branch_market(snapshot: GraphSnapshot, finding: Finding, market: dict[str, Any]) -> Finding:
    """``finding`` said to be the branch's market first, in both languages, and held below high."""
    dept = snapshot.name("Department", market["department"])
    zh = (
        f"本部门市场：该社区就是{dept}（{market['department']}）的采购——组内{market['department_share']:.0%}的审批是该部门的合同，"
        f"这些供应商在这些类别中{market['suppliers_local_share']:.0%}的合同卖给该部门（本地企业），社区覆盖该部门此类审批的"
        f"{market['department_cover']:.0%}，且没有多于平均的单一来源或围标嫌疑；本地服务只能在本地买，这是该部门的市场，不是小圈子。"
    )
    en = (
        f"The department's own market: this community is the buying of {dept} ({market['department']}) — "
        f"{market['department_share']:.0%} of its approvals are that department's contracts, its suppliers sell "
        f"{market['suppliers_local_share']:.0%} of their contracts in these categories to it (local firms), it carries "
        f"{market['department_cover']:.0%} of the department's approvals there, and no more non-competitive or flagged "
        f"tenders than elsewhere; local services can only be bought locally, so this is the branch's market, not a circle."
    )
    evidence = {**finding.evidence, "ceiling": {"score": BRANCH_CEILING, "reason": "branch_market", **market}}
    return replace(
        finding,
        explanation_zh=f"{zh}{finding.explanation_zh}",
        explanation_en=f"{en} {finding.explanation_en}",
        evidence=evidence,
    )


def _core(weight: pd.Series, cover: float = CORE_COVER, most: int = CORE_MEMBERS) -> list[str]:
    """The heaviest members that together carry ``cover`` of the weight (at most ``most``, at least one).

    >>> _core(pd.Series({"a": 8, "b": 1, "c": 1}))
    ['a']
    >>> _core(pd.Series({"a": 4, "b": 4, "c": 2}))
    ['a', 'b']
    """
    ordered = weight.sort_values(ascending=False, kind="stable")
    share = ordered.cumsum() / ordered.sum()
    k = int((share < cover - 1e-9).sum()) + 1
    return [str(i) for i in ordered.index[: max(1, min(most, k))]]


def _finding(
    snapshot: GraphSnapshot,
    community: int,
    row: pd.Series,
    internal: pd.DataFrame,
    partition: Partition,
    params: Params,
    fence: float,
) -> Finding:
    approver_weight = internal.groupby("approver_id").size().sort_values(ascending=False, kind="stable")
    supplier_weight = internal.groupby("supplier_id").size().sort_values(ascending=False, kind="stable")
    approvers = approver_weight.index.tolist()
    suppliers = supplier_weight.index.tolist()
    currency = str(snapshot.policy.get("currency") or "CNY")
    emp = [snapshot.name("Employee", a) for a in approvers]
    sup = [snapshot.name("Supplier", s) for s in suppliers]
    cats = list(row["categories"]) if isinstance(row["categories"], list) else [str(row["category"])]
    cat_text = str(row["category"])
    cat_en = str(row["category"])
    n, big_n = int(row["n"]), int(row["N"])
    share, baseline, lift, q = (float(row[k]) for k in ("share", "baseline", "lift", "q_value"))
    bar = max(params.min_lift, fence)
    rule_zh = (
        f"阈值：至少{params.min_contracts}次审批、提升度>{bar:.1f}倍（随机打乱供应商后社区最高提升度"
        f"{fence:.1f}倍，下限{params.min_lift:g}倍）、q≤{params.alpha:g}"
    )
    rule_en = (
        f"thresholds: at least {params.min_contracts} approvals, lift > {bar:.1f}× (the most that shuffled "
        f"suppliers reach: {fence:.1f}×; floor {params.min_lift:g}×), q ≤ {params.alpha:g}"
    )
    risk_zh = (
        f"；组内{row['flag_rate']:.0%}的审批涉及单一来源/直接采购或围标嫌疑招标（全部审批为{row['overall_flag_rate']:.0%}）"
        if row["flag_ratio"] > 1
        else ""
    )
    risk_en = (
        f"; {row['flag_rate']:.0%} of them are non-competitive or from tenders the bid screens flag "
        f"({row['overall_flag_rate']:.0%} overall)"
        if row["flag_ratio"] > 1
        else ""
    )
    value_zh = money(float(row["value"]), currency, "zh")
    value_en = money(float(row["value"]), currency, "en")
    zh = (
        f"审批人{'、'.join(emp[:5])}{'等' if len(emp) > 5 else ''}与供应商{'、'.join(sup[:5])}"
        f"{'等' if len(sup) > 5 else ''}构成审批社区：在“{cat_text}”类中，这些审批人{share:.0%}的审批"
        f"（{n}/{big_n}）给了这些供应商，合计{value_zh}；其他审批人仅{baseline:.1%}，提升度{lift:.1f}倍"
        f"（单侧二项检验，校正后q={q:.1e}）；排他性{row['exclusivity']:.2f}{risk_zh}（{rule_zh}；"
        f"{partition.method}社区，{partition.engine}，种子{partition.seed}）。"
    )
    en = (
        f"Approvers {', '.join(emp[:5])}{' and others' if len(emp) > 5 else ''} and suppliers "
        f"{', '.join(sup[:5])}{' and others' if len(sup) > 5 else ''} form an approval community: in {cat_en}, "
        f"{share:.0%} of these approvers' approvals ({n} of {big_n}) went to these suppliers, worth {value_en}, "
        f"against {baseline:.1%} for the other approvers, a lift of {lift:.1f}× (one-sided binomial test, "
        f"BH-adjusted q = {q:.1e}); exclusivity {row['exclusivity']:.2f}{risk_en} ({rule_en}; "
        f"{partition.method} community, {partition.engine}, seed {partition.seed})."
    )
    pairs = (
        internal.groupby(["approver_id", "supplier_id"])
        .agg(contracts=("contract_id", "size"), value=("amount", "sum"), red_flags=("red_flag", "sum"))
        .sort_values("contracts", ascending=False)
        .head(params.max_rows)
        .reset_index()
    )

    def num(v: Any) -> float | None:
        return None if v is None or (isinstance(v, float) and math.isnan(v)) else round(float(v), 6)

    evidence = {
        "metrics": {
            "community": community,
            "approvers": approvers,
            "suppliers": suppliers,
            "n": n,
            "N": big_n,
            "share": num(share),
            "baseline": num(baseline),
            "lift": num(lift),
            "p_value": float(row["p_value"]),
            "q_value": q,
            "category": str(row["category"]),
            "categories": cats,
            "exclusivity": num(row["exclusivity"]),
            "cohesion": num(row["cohesion"]),
            "flag_rate": num(row["flag_rate"]),
            "overall_flag_rate": num(row["overall_flag_rate"]),
            "flag_ratio": num(row["flag_ratio"]),
            "value": float(row["value"]),
            "flagged_value": float(row["flagged_value"]),
            "rank": int(row["rank"]),
            "engine": partition.engine,
            "seed": partition.seed,
            "modularity": round(partition.modularity, 4),
        },
        "thresholds": {
            "min_contracts": params.min_contracts,
            "min_lift": params.min_lift,
            "null_lift": round(fence, 4),
            "null_rounds": params.null_rounds,
            "alpha": params.alpha,
            "non_competitive_methods": list(params.non_competitive_methods),
        },
        "rows": [
            {
                "approver_id": p.approver_id,
                "supplier_id": p.supplier_id,
                "contracts": int(p.contracts),
                "value": float(p.value),
                "red_flags": int(p.red_flags),
            }
            for p in pairs.itertuples(index=False)
        ],
        "subgraph": [
            *(entity_key("Employee", a) for a in approvers[:15]),
            *(entity_key("Supplier", s) for s in suppliers[:15]),
        ],
    }
    subject = ",".join(sorted(approvers[:2])) + "|" + ",".join(sorted(suppliers[:2]))
    # the alert names the core: the members who carry most of the community's internal approvals
    named = [entity_key("Employee", a) for a in _core(approver_weight)]
    named += [entity_key("Supplier", s) for s in _core(supplier_weight)]
    return Finding(
        detector=DETECTOR.id,
        subject=subject,
        score=float(row["score"]),
        entities=tuple(named),
        explanation_zh=zh,
        explanation_en=en,
        evidence=evidence,
    )


DETECTOR = Detector(
    id="approval_communities",
    title_zh="审批人与供应商社区",
    title_en="Approver–supplier communities",
    family="network",
    params_type=Params,
    run=run,
    doc=__doc__ or "",
)

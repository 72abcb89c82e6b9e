"""Legitimate look-alikes: how an ordinary organisation buys, recognised from the data's structure.

Several patterns that every large organisation shows look, to a detector, like a
scheme: the power utility that every department buys from without competition,
the framework agreement whose call-offs one contract manager signs, the sole
maker of a turbine's spare parts. An auditor recognises them at a glance because
the concentration is *the same for everybody*: many departments and many
approvers make the same choice, or one competed decision covers many orders. Each
pattern is defined here once, with the facts that show it; a detector asks
:func:`recognise` about the contracts behind a finding and, when one pattern
explains them, lowers the finding to :data:`LOOKALIKE_SCORE` (level low) and
prefixes its explanation with the pattern's sentence, in both languages, with the
measured facts in ``evidence["lookalike"]``. Nothing needs configuring; a pattern
the data do not show cannot be recognised, and then ``policy.yaml``
``direct_award_exempt_categories`` remains the way to exempt a category.

Patterns
--------
``natural_monopoly``
    A category that the organisation's departments each buy from one supplier and
    never put out to competition: at least ``monopoly_department_share`` of the
    departments buying it (and at least ``monopoly_min_departments``) take at least
    ``single_supplier_share`` of their spend on it from one supplier, at most
    ``monopoly_max_competed_share`` of its contracts came from a tender two or more
    suppliers bid for, and at least ``min_approvers`` different first-step approvers
    sign its contracts. Electricity, water, gas, the telephone company: the grid
    company of each region, the one water works of each city. A market, not one
    department's favour; each department's one supplier of such a category is
    recognised.
``sole_source``
    An item that at most ``sole_source_max_suppliers`` suppliers sell — together at
    least ``sole_source_share`` of its contracts across the organisation: no one else
    offers it (a licensor; the maker of OEM spare parts and its authorised agent).
    Counted over the supplier's whole line of such items (a maker's bearings, seals
    and control modules), at least ``sole_source_min_contracts`` contracts bought by
    at least ``sole_source_min_departments`` departments through as many first-step
    approvers at least, or, where one plant runs the maker's machines, by one
    department through at least ``sole_source_min_approvers`` approvers: several
    people each chose one of the only suppliers there are, not one person a
    favourite. Each of those suppliers is a sole source of its items.
``framework_agreement``
    At least ``framework_min_calloffs`` contracts came from one tender (call-offs
    under one agreement); the agreement was competed — its tender drew bids from
    at least two suppliers, or the call-offs' method is competitive — so the
    choice of supplier was made once, for the whole agreement, and the call-offs
    (each small, often signed by the agreement's contract manager) are not
    separate choices.

``competed``
    Incumbency: a contract won in a tender that at least ``competed_min_bidders``
    suppliers bid for, by the lowest bid, in a tender the bid screens do not flag.
    The tender chose the supplier, not the approver who signs the contract, so a
    supplier that keeps winning this way — year after year, for the same department
    — is an incumbent, not a favourite (whether the tender itself was rigged is the
    bid-rigging detector's question).
``busy_season``
    Year-end and seasonal buying: when the whole organisation does more of
    something in a period (December's rush, the weeks before a holiday), one
    person doing more of it then is the season, not a scheme.
    :func:`season_factor` measures how much busier a period is than the
    organisation's average — leaving out the person judged, so their own burst does
    not make its own excuse — and a detector that compares a burst with a person's
    usual rate multiplies that rate by it (never below 1: a quiet period does not
    make anyone more suspicious).

Facts are computed over every contract of the snapshot, once per snapshot
(:meth:`graph.snapshot.GraphSnapshot.derived`), whatever the detector that asks.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from detectors.base import Finding, param, wan, yuan

__all__ = [
    "LOOKALIKE_SCORE",
    "LookalikeParams",
    "Recognition",
    "competed_contracts",
    "contract_patterns",
    "first_approver_of",
    "frameworks",
    "lower",
    "merge_explained",
    "natural_monopolies",
    "recognise",
    "season_factor",
    "soften",
    "sole_sources",
]

#: Score of a finding that a look-alike explains: low, kept so a reader can see why.
LOOKALIKE_SCORE = 0.15

COMPETITIVE_METHODS = frozenset({"open", "invited"})


@dataclass(frozen=True)
class LookalikeParams:
    single_supplier_share: float = param(
        0.9, "ratio", "share of a department's spend on a category from one supplier: single-sourced"
    )
    monopoly_department_share: float = param(
        0.8, "ratio", "share of the departments buying a category that single-source it: a natural monopoly"
    )
    monopoly_max_competed_share: float = param(
        0.05,
        "ratio",
        "largest share of a natural monopoly's contracts from tenders two or more suppliers bid for",
    )
    monopoly_min_departments: int = param(
        3, "count", "fewest departments buying a natural monopoly's category"
    )
    min_approvers: int = param(3, "count", "fewest first-step approvers of a natural monopoly's category")
    sole_source_share: float = param(
        0.95, "ratio", "share of an item's contracts its few sole sources hold together"
    )
    sole_source_max_suppliers: int = param(
        2, "count", "most suppliers of a sole-source item (the maker and its authorised agent)"
    )
    sole_source_min_departments: int = param(
        2, "count", "fewest departments, and first-step approvers, buying from a sole source"
    )
    sole_source_min_contracts: int = param(5, "count", "fewest contracts of a sole source's item")
    sole_source_min_approvers: int = param(
        3, "count", "fewest first-step approvers of a sole source's item bought by one department only"
    )
    framework_min_calloffs: int = param(3, "count", "fewest contracts from one tender that make a framework")
    competed_min_bidders: int = param(
        3, "count", "fewest bidders of a tender whose lowest bidder won it in competition"
    )
    cover_share: float = param(
        0.8, "ratio", "share of a finding's contracts a pattern must cover to explain the finding"
    )


DEFAULTS = LookalikeParams()


@dataclass(frozen=True)
class Recognition:
    """A look-alike that explains a finding: the pattern, its key and the measured facts."""

    pattern: str
    key: str
    facts: dict[str, Any]
    zh: str
    en: str
    rule: dict[str, Any]

    def evidence(self, covered: int, of: int) -> dict[str, Any]:
        return {
            "pattern": self.pattern,
            "key": self.key,
            "covers": covered,
            "of": of,
            "facts": self.facts,
            "rule": self.rule,
            "note_zh": self.zh,
            "note_en": self.en,
        }


# ---- the facts ---------------------------------------------------------------------------------
def _first_approvers(snapshot: Any) -> pd.Series:
    """Contract id -> the approver of its first approving step."""
    approvals = snapshot.approvals
    if approvals.empty:
        return pd.Series(dtype=object)
    approvals = approvals[approvals["decision"].fillna("approve").str.lower() != "reject"]
    # the lowest step of each contract (the first row among equal steps) on integer codes: a
    # sort of millions of approvals by their string ids was most of the look-alike facts' time
    codes, contracts = pd.factorize(approvals["contract_id"])
    step = approvals["step"].to_numpy(dtype="float64", na_value=np.inf)
    order = np.lexsort((np.arange(len(codes)), step, codes))
    ordered = codes[order]
    first = order[np.r_[True, ordered[1:] != ordered[:-1]]]
    first = first[codes[first] >= 0]
    return pd.Series(
        approvals["approver_id"].to_numpy()[first],
        index=pd.Index(np.asarray(contracts, dtype=object)[codes[first]], name="contract_id"),
        name="approver_id",
    )


def _contracts(snapshot: Any) -> pd.DataFrame:
    """Contracts with a supplier and the approver of each one's first approving step.

    Built once per snapshot and shared by every look-alike fact (callers must not modify it):
    four facts built it each on their own, a tenth of a 1 M detector run.
    """

    def compute() -> pd.DataFrame:
        cols = ["id", "supplier_id", "department_id", "category", "item", "amount", "method", "tender_id"]
        contracts = snapshot.contracts[cols].dropna(subset=["supplier_id"])
        return contracts.assign(approver_id=contracts["id"].map(_first_approvers(snapshot)))

    return snapshot.derived(("lookalike:contracts_with_first_approver",), compute)


def first_approver_of(snapshot: Any) -> pd.Series:
    """Contract id -> the approver of its first approving step (from the shared table)."""
    contracts = _contracts(snapshot)
    return pd.Series(contracts["approver_id"].to_numpy(), index=contracts["id"].to_numpy())


def _sources(contracts: pd.DataFrame, by: str) -> pd.DataFrame:
    """Per (``by``, supplier): contracts, value, departments and approvers, against the ``by`` total."""
    rows = contracts.dropna(subset=[by])
    per = rows.groupby([by, "supplier_id"]).agg(
        contracts=("id", "size"),
        value=("amount", "sum"),
        departments=("department_id", "nunique"),
        approvers=("approver_id", "nunique"),
    )
    totals = rows.groupby(by).agg(
        total_contracts=("id", "size"),
        total_value=("amount", "sum"),
        buying_departments=("department_id", "nunique"),
    )
    per = per.join(totals, on=by)
    per["value_share"] = per["value"] / per["total_value"].where(per["total_value"] > 0)
    per["contract_share"] = per["contracts"] / per["total_contracts"]
    return per


def natural_monopolies(snapshot: Any, params: LookalikeParams = DEFAULTS) -> pd.DataFrame:
    """Recognised natural monopolies, indexed by (category, supplier_id), with their facts.

    A row per supplier that is some department's single source of a monopoly category
    (see the module docstring): its contracts, value, departments it supplies, its share
    of the category's value, and the category's buying and single-sourcing departments,
    suppliers, approvers and competed share.
    """

    def compute() -> pd.DataFrame:
        contracts = _contracts(snapshot).dropna(subset=["category", "department_id"])
        bids = snapshot.bids
        bidders = (
            bids.groupby("tender_id")["supplier_id"].nunique()
            if not bids.empty
            else pd.Series(dtype=np.int64)
        )
        contracts = contracts.assign(competed=contracts["tender_id"].map(bidders).fillna(0) >= 2)
        cell = contracts.groupby(["category", "department_id", "supplier_id"])["amount"].sum()
        share = cell / cell.groupby(level=[0, 1]).transform("sum")
        top = share.groupby(level=[0, 1]).max()
        category = contracts.groupby("category").agg(
            buying_departments=("department_id", "nunique"),
            category_suppliers=("supplier_id", "nunique"),
            category_approvers=("approver_id", "nunique"),
            competed_share=("competed", "mean"),
        )
        category["single_sourcing_departments"] = (top >= params.single_supplier_share).groupby(level=0).sum()
        monopoly = category[
            (category["buying_departments"] >= params.monopoly_min_departments)
            & (
                category["single_sourcing_departments"]
                >= params.monopoly_department_share * category["buying_departments"] - 1e-9
            )
            & (category["competed_share"] <= params.monopoly_max_competed_share)
            & (category["category_approvers"] >= params.min_approvers)
        ]
        sole = share[
            (share >= params.single_supplier_share) & share.index.get_level_values(0).isin(monopoly.index)
        ]
        suppliers = sole.reset_index()[["category", "supplier_id"]].drop_duplicates()
        per = _sources(contracts, "category")
        per = per.loc[pd.MultiIndex.from_frame(suppliers)].join(monopoly.drop(columns=["buying_departments"]))
        return per

    return snapshot.derived(("lookalike:natural_monopoly", params), compute)


def sole_sources(snapshot: Any, params: LookalikeParams = DEFAULTS) -> pd.DataFrame:
    """Recognised sole sources of an item, indexed by (item, supplier_id), with their facts.

    The item's few suppliers must hold it; who buys is counted over all the items a
    supplier holds so (a maker's line of parts: bearings, seals and control modules of
    its machines), so a line bought by several approvers is recognised item by item.
    """

    def compute() -> pd.DataFrame:
        contracts = _contracts(snapshot).dropna(subset=["item"])
        per = _sources(contracts, "item")
        # the item's few largest suppliers (by contracts) and the share they hold together
        rank = per.groupby(level=0)["contracts"].rank(method="first", ascending=False)
        per = per[rank <= params.sole_source_max_suppliers]
        few_share = per.groupby(level=0)["contract_share"].sum()
        item_suppliers = contracts.groupby("item")["supplier_id"].nunique()
        per = per.assign(
            few_share=per.index.get_level_values(0).map(few_share).to_numpy(),
            item_suppliers=per.index.get_level_values(0).map(item_suppliers).to_numpy(),
        )
        per = per[per["few_share"] >= params.sole_source_share]
        if per.empty:
            return per.assign(line_contracts=0, line_departments=0, line_approvers=0)
        # who buys the supplier's line of such items
        held = pd.MultiIndex.from_arrays([contracts["item"], contracts["supplier_id"]]).isin(per.index)
        line = (
            contracts[held]
            .groupby("supplier_id")
            .agg(
                line_contracts=("id", "size"),
                line_departments=("department_id", "nunique"),
                line_approvers=("approver_id", "nunique"),
            )
        )
        per = per.join(line, on="supplier_id")
        keep = (per["line_contracts"] >= params.sole_source_min_contracts) & (
            (
                (per["line_departments"] >= params.sole_source_min_departments)
                & (per["line_approvers"] >= params.sole_source_min_departments)
            )
            | (per["line_approvers"] >= params.sole_source_min_approvers)
        )
        return per[keep]

    return snapshot.derived(("lookalike:sole_source", params), compute)


def frameworks(snapshot: Any, params: LookalikeParams = DEFAULTS) -> pd.DataFrame:
    """Recognised framework agreements, indexed by tender_id, with their facts."""

    def compute() -> pd.DataFrame:
        contracts = _contracts(snapshot).dropna(subset=["tender_id"])
        method = contracts["method"].fillna("").str.lower()
        per = (
            contracts.assign(competitive_method=method.isin(COMPETITIVE_METHODS))
            .groupby("tender_id")
            .agg(
                calloffs=("id", "size"),
                value=("amount", "sum"),
                largest=("amount", "max"),
                suppliers=("supplier_id", "nunique"),
                departments=("department_id", "nunique"),
                approvers=("approver_id", "nunique"),
                competitive_method=("competitive_method", "mean"),
            )
        )
        per = per[per["calloffs"] >= params.framework_min_calloffs]
        bids = snapshot.bids
        bidders = (
            bids[bids["tender_id"].isin(per.index)].groupby("tender_id")["supplier_id"].nunique()
            if not bids.empty
            else pd.Series(dtype=np.int64)
        )
        per["bidders"] = per.index.map(bidders).fillna(0).astype(np.int64)
        return per[(per["bidders"] >= 2) | (per["competitive_method"] >= 0.5)]

    return snapshot.derived(("lookalike:framework", params), compute)


def competed_contracts(snapshot: Any, params: LookalikeParams = DEFAULTS) -> pd.DataFrame:
    """Contracts won in competition (index: contract id): ``tender_id``, ``supplier_id``, ``bidders``."""

    def compute() -> pd.DataFrame:
        from detectors.prepare import prepare

        columns = ["tender_id", "supplier_id", "bidders"]
        bids = snapshot.bids
        if bids.empty:
            return pd.DataFrame(columns=columns, index=pd.Index([], name="contract_id"))
        bids = bids[bids["amount"].notna() & (bids["amount"] > 0)].drop_duplicates(
            ["tender_id", "supplier_id"]
        )
        lowest = bids.sort_values(["tender_id", "amount"]).drop_duplicates("tender_id").set_index("tender_id")
        per = pd.DataFrame(
            {"bidders": bids.groupby("tender_id")["supplier_id"].nunique(), "lowest": lowest["supplier_id"]}
        )
        screens = prepare(snapshot).tender_screens()
        flagged = set(screens.index[screens["flagged"]]) if not screens.empty else set()
        per = per[(per["bidders"] >= params.competed_min_bidders) & ~per.index.isin(flagged)]
        contracts = snapshot.contracts[["id", "tender_id", "supplier_id"]].dropna()
        won = contracts.join(per, on="tender_id", how="inner")
        won = won[won["supplier_id"] == won["lowest"]]
        return won.set_index("id").rename_axis("contract_id")[columns]

    return snapshot.derived(("lookalike:competed", params), compute)


def contract_patterns(snapshot: Any, params: LookalikeParams = DEFAULTS) -> pd.DataFrame:
    """Per contract explained by a look-alike: ``pattern`` and ``key`` (index: contract id).

    A contract under a framework is the framework's; otherwise a natural monopoly's
    category, otherwise a sole source's item, otherwise a competed tender's.
    """

    def compute() -> pd.DataFrame:
        contracts = _contracts(snapshot)
        pattern = pd.Series(None, index=contracts.index, dtype=object)
        key = pd.Series(None, index=contracts.index, dtype=object)
        # later assignments win: a framework explains more than a category, a category more than an
        # item, an item more than one tender won
        hit = contracts["id"].isin(competed_contracts(snapshot, params).index)
        pattern[hit], key[hit] = "competed", (contracts["supplier_id"].astype(str) + "|competed")[hit]
        sole = sole_sources(snapshot, params)
        pair = pd.MultiIndex.from_arrays([contracts["item"], contracts["supplier_id"]])
        hit = pair.isin(sole.index)
        pattern[hit], key[hit] = (
            "sole_source",
            (contracts["supplier_id"].astype(str) + "|" + contracts["item"].astype(str))[hit],
        )
        monopoly = natural_monopolies(snapshot, params)
        pair = pd.MultiIndex.from_arrays([contracts["category"], contracts["supplier_id"]])
        hit = pair.isin(monopoly.index)
        pattern[hit], key[hit] = (
            "natural_monopoly",
            (contracts["supplier_id"].astype(str) + "|" + contracts["category"].astype(str))[hit],
        )
        hit = contracts["tender_id"].isin(frameworks(snapshot, params).index)
        pattern[hit], key[hit] = "framework_agreement", contracts["tender_id"][hit]
        out = pd.DataFrame({"pattern": pattern, "key": key})
        out.index = pd.Index(contracts["id"], name="contract_id")
        return out.dropna()

    return snapshot.derived(("lookalike:contracts", params), compute)


def season_factor(
    event_days: np.ndarray,
    first_day: np.ndarray,
    last_day: np.ndarray,
    own_in_window: np.ndarray,
    own_total: np.ndarray,
) -> np.ndarray:
    """How much busier each window is than the organisation's average, leaving one person out (≥ 1).

    ``event_days`` are the day numbers of every event of the organisation (off-hours
    approvals, orders …); each window runs from ``first_day`` to ``last_day``
    inclusive; ``own_in_window`` and ``own_total`` are the judged person's events in
    the window and in all. The factor is the others' events per day in the window
    over the others' events per day across the whole period, at least 1.

    >>> days = np.array([0] * 10 + [50] * 10 + list(range(100, 110)) * 4)  # a busy ten days at 100
    >>> none = np.array([0, 0])
    >>> season_factor(days, np.array([100, 20]), np.array([109, 49]), none, none).round(2).tolist()
    [7.33, 1.0]
    """
    days = np.sort(np.asarray(event_days, dtype=np.int64))
    if len(days) == 0:
        return np.ones(len(first_day))
    span = max(1, int(days[-1] - days[0] + 1))
    in_window = np.searchsorted(days, last_day, side="right") - np.searchsorted(days, first_day, side="left")
    window = np.maximum(1, np.asarray(last_day) - np.asarray(first_day) + 1)
    others_in_window = np.maximum(0, in_window - own_in_window)
    others_rate = np.maximum(len(days) - np.asarray(own_total), 1) / span
    return np.maximum(1.0, (others_in_window / window) / others_rate)


# ---- recognising a finding's contracts -----------------------------------------------------------
def recognise(
    snapshot: Any, contract_ids: Iterable[str], params: LookalikeParams = DEFAULTS
) -> tuple[Recognition | None, int, int]:
    """The look-alike that explains these contracts (it covers at least ``cover_share`` of them).

    Returns ``(recognition or None, contracts it covers, contracts asked about)``.
    """
    ids = list(dict.fromkeys(str(c) for c in contract_ids))
    if not ids:
        return None, 0, 0
    patterns = contract_patterns(snapshot, params)
    known = patterns.reindex(ids).dropna()
    if known.empty:
        return None, 0, len(ids)
    # the patterns together must cover the finding; the most frequent one describes it
    covered = len(known)
    if covered < params.cover_share * len(ids):
        return None, covered, len(ids)
    pattern, key = next(iter(known.value_counts(["pattern", "key"]).index))
    return _describe(snapshot, str(pattern), str(key), params), covered, len(ids)


def soften(
    snapshot: Any, finding: Finding, contract_ids: Iterable[str], params: LookalikeParams = DEFAULTS
) -> Finding:
    """``finding`` as it stands, or lowered to :data:`LOOKALIKE_SCORE` when a look-alike explains its contracts.

    The lowered finding says so first, in both languages, keeps the original sentence
    after it, and carries the pattern's facts in ``evidence["lookalike"]`` and the score
    it had in ``evidence["score_before"]``.
    """
    recognition, covered, of = recognise(snapshot, contract_ids, params)
    if recognition is None:
        return finding
    return lower(finding, recognition, covered, of)


def lower(finding: Finding, recognition: Recognition, covered: int, of: int) -> Finding:
    """``finding`` lowered to :data:`LOOKALIKE_SCORE` because ``recognition`` explains ``covered`` of its ``of`` contracts."""
    return replace(
        finding,
        score=min(finding.score, LOOKALIKE_SCORE),
        hard=False,
        explanation_zh=f"{recognition.zh}（本线索{covered}/{of}份合同属此情形，已降为低风险提示。）"
        f"原判断：{finding.explanation_zh}",
        explanation_en=f"{recognition.en} ({covered} of the finding's {of} contracts; lowered to a "
        f"low-risk note.) Original finding: {finding.explanation_en}",
        evidence={
            **finding.evidence,
            "lookalike": recognition.evidence(covered, of),
            "score_before": round(finding.score, 4),
        },
    )


def merge_explained(findings: Sequence[Finding], max_entities: int = 60) -> list[Finding]:
    """Findings of one detector that one look-alike explains, merged into one low finding.

    Twelve departments each buying electricity from the grid company are one fact about
    the grid company, not twelve notes: the merged finding names the pattern's supplier
    (or tender) first, then the other entities of the merged findings (contracts last,
    at most ``max_entities`` in all), and lists the merged subjects in its evidence.
    """
    kept: list[Finding] = []
    groups: dict[tuple[str, str], list[Finding]] = {}
    for finding in findings:
        note = finding.evidence.get("lookalike")
        if note is None:
            kept.append(finding)
        else:
            groups.setdefault((note["pattern"], note["key"]), []).append(finding)
    for (pattern, key), group in groups.items():
        if len(group) == 1:
            kept.append(group[0])
            continue
        note = group[0].evidence["lookalike"]
        lead = f"tender:{key}" if pattern == "framework_agreement" else f"supplier:{key.partition('|')[0]}"
        entities = list(dict.fromkeys([lead, *(e for f in group for e in f.entities)]))
        entities.sort(key=lambda e: (e != lead, e.startswith("contract:")))
        n = len(group)
        kept.append(
            Finding(
                detector=group[0].detector,
                subject=f"lookalike|{pattern}|{key}",
                score=LOOKALIKE_SCORE,
                entities=tuple(entities[:max_entities]),
                explanation_zh=f"{note['note_zh']}（{n}条同类线索合并为本条低风险提示。）",
                explanation_en=f"{note['note_en']} ({n} findings of this kind merged into this low-risk note.)",
                evidence={
                    "lookalike": {**note, "merged": n},
                    "thresholds": {**group[0].evidence.get("thresholds", {}), "lookalike": note["rule"]},
                    "merged_subjects": [f.subject for f in group],
                    "score_before": max(float(f.evidence.get("score_before", f.score)) for f in group),
                    "rows": [row for f in group for row in f.evidence.get("rows", [])][:50],
                    "subgraph": entities[:40],
                },
            )
        )
    return kept


def _rule(pattern: str, params: LookalikeParams) -> dict[str, Any]:
    """The thresholds a pattern was recognised by, for the evidence."""
    names = {
        "natural_monopoly": (
            "single_supplier_share",
            "monopoly_department_share",
            "monopoly_max_competed_share",
            "monopoly_min_departments",
            "min_approvers",
        ),
        "sole_source": (
            "sole_source_share",
            "sole_source_max_suppliers",
            "sole_source_min_departments",
            "sole_source_min_approvers",
            "sole_source_min_contracts",
        ),
        "framework_agreement": ("framework_min_calloffs",),
        "competed": ("competed_min_bidders",),
    }[pattern]
    return {name: getattr(params, name) for name in (*names, "cover_share")}


def _describe(snapshot: Any, pattern: str, key: str, params: LookalikeParams) -> Recognition:
    return replace(_sentence(snapshot, pattern, key, params), rule=_rule(pattern, params))


def _sentence(snapshot: Any, pattern: str, key: str, params: LookalikeParams) -> Recognition:
    departments = int(snapshot.departments["id"].nunique()) if not snapshot.departments.empty else 0
    if pattern == "framework_agreement":
        row = frameworks(snapshot, params).loc[key]
        calloffs, bidders, n_departments = int(row["calloffs"]), int(row["bidders"]), int(row["departments"])
        value, largest = float(row["value"]), float(row["largest"])
        facts: dict[str, Any] = {
            "tender_id": key,
            "calloffs": calloffs,
            "value": value,
            "largest_calloff": largest,
            "bidders": bidders,
            "departments": n_departments,
            "approvers": int(row["approvers"]),
        }
        competed_zh = f"招标时有{bidders}家投标" if bidders >= 2 else "以竞争性方式采购"
        competed_en = f"{bidders} suppliers bid for it" if bidders >= 2 else "it was competed"
        return Recognition(
            pattern,
            key,
            facts,
            f"框架协议：这些合同是招标{key}（{competed_zh}）下的{calloffs}份订单之一，合计"
            f"{wan(value)}，单笔最高{wan(largest)}，涉及{n_departments}个部门；"
            f"供应商在招标时已一次确定，订单按协议整体审批，不是逐笔选择。",
            f"Framework agreement: these contracts are call-offs under tender {key} ({competed_en}), "
            f"{calloffs} orders worth {yuan(value)} in all, the largest "
            f"{yuan(largest)}, for {n_departments} departments; the supplier was chosen "
            f"once, when the agreement was competed, and the orders are approved under it, not chosen one by one.",
            {},
        )
    supplier, _, what = key.partition("|")
    name = snapshot.name("Supplier", supplier)
    if pattern == "competed":
        won = competed_contracts(snapshot, params)
        won = won[won["supplier_id"] == supplier]
        tenders, bidders = int(won["tender_id"].nunique()), float(won["bidders"].mean())
        facts = {"supplier_id": supplier, "tenders_won": tenders, "mean_bidders": round(bidders, 2)}
        return Recognition(
            pattern,
            key,
            facts,
            f"竞争中标：供应商{name}（{supplier}）的这些合同来自其以最低报价赢得的招标（全公司共{tenders}次，平均每次"
            f"{bidders:.1f}家投标，报价筛查无异常）；供应商由招标选定，不是审批人选择，长期中标属在位供应商。",
            f"Won in competition: these contracts of supplier {name} ({supplier}) come from tenders it won with the "
            f"lowest bid ({tenders} in the organisation, {bidders:.1f} bidders on average, no bid screen fired); "
            f"the tender chose the supplier, not the approver, and winning year after year makes an incumbent.",
            {},
        )
    if pattern == "natural_monopoly":
        row = natural_monopolies(snapshot, params).loc[(what, supplier)]
        facts = _source_facts(row, supplier, what, departments, "category")
        facts.update(
            single_sourcing_departments=int(row["single_sourcing_departments"]),
            category_suppliers=int(row["category_suppliers"]),
            category_approvers=int(row["category_approvers"]),
            competed_share=round(float(row["competed_share"]), 4),
        )
        return Recognition(
            pattern,
            key,
            facts,
            f"自然垄断：供应商{name}（{supplier}）为全公司{departments}个部门中的{facts['departments']}个供应“{what}”；"
            f"购买该类的{facts['buying_departments']}个部门中有{facts['single_sourcing_departments']}个各自只向一家供应商采购"
            f"（该类共{facts['category_suppliers']}家供应商，{facts['category_approvers']}名审批人，"
            f"{facts['competed_share']:.0%}经竞争性招标）；这是市场结构，不是某个部门的偏好。",
            f"Natural monopoly: supplier {name} ({supplier}) supplies '{what}' to {facts['departments']} of the "
            f"organisation's {departments} departments; {facts['single_sourcing_departments']} of the "
            f"{facts['buying_departments']} departments that buy it each buy it from one supplier "
            f"({facts['category_suppliers']} suppliers, {facts['category_approvers']} approvers, "
            f"{facts['competed_share']:.0%} competed in a tender): a market, not favouritism by one department.",
            {},
        )
    row = sole_sources(snapshot, params).loc[(what, supplier)]
    facts = _source_facts(row, supplier, what, departments, "item")
    facts.update(
        item_suppliers=int(row["item_suppliers"]),
        line_contracts=int(row["line_contracts"]),
        line_departments=int(row["line_departments"]),
        line_approvers=int(row["line_approvers"]),
        few_share=round(float(row["few_share"]), 4),
    )
    others_zh = (
        "没有其他供应商提供"
        if facts["item_suppliers"] == 1
        else f"全公司仅{facts['item_suppliers']}家供应商提供"
    )
    others_en = (
        "no other supplier offers it"
        if facts["item_suppliers"] == 1
        else f"only {facts['item_suppliers']} suppliers in the organisation offer it"
    )
    return Recognition(
        pattern,
        key,
        facts,
        f"独家供应：全公司“{what}”的{facts['total_contracts']}份合同中{facts['contracts']}份来自供应商{name}"
        f"（{supplier}），{others_zh}（如原厂备件及其授权代理、独家许可）；该供应商此类独家物项共"
        f"{facts['line_contracts']}份合同，{facts['line_departments']}个部门经{facts['line_approvers']}名审批人采购；"
        f"单一来源有其原因，不是某个部门的偏好。",
        f"Sole source: {facts['contracts']} of the organisation's {facts['total_contracts']} contracts for "
        f"'{what}' went to supplier {name} ({supplier}) and {others_en} (a licensor, the maker's spare parts "
        f"and its authorised agent); {facts['line_departments']} departments buy the supplier's "
        f"{facts['line_contracts']} orders of such items through {facts['line_approvers']} approvers: "
        f"single-source for a reason, not one department's favour.",
        {},
    )


def _source_facts(row: pd.Series, supplier: str, what: str, departments: int, by: str) -> dict[str, Any]:
    share = float(row["value_share"]) if not math.isnan(row["value_share"]) else 0.0
    return {
        "supplier_id": supplier,
        by: what,
        "contracts": int(row["contracts"]),
        "total_contracts": int(row["total_contracts"]),
        "value": float(row["value"]),
        "value_share": round(share, 4),
        "departments": int(row["departments"]),
        "buying_departments": int(row["buying_departments"]),
        "organisation_departments": departments,
        "approvers": int(row["approvers"]),
    }

"""Synthetic procurement data of a Chinese state-owned energy group, with planted
schemes and decoys as ground truth.

``generate(out_dir, scale, seed)`` writes a data-contract folder
(``employees``, ``suppliers``, ``persons``, ``relations``, ``contracts``,
``approvals``, ``bids``, ``payments`` as CSV, and ``policy.yaml``) for ``scale``
purchase orders, plus ``labels.csv`` (``scheme, instance_id, entity_type,
entity_id``) naming the entities of every planted instance. The same seed gives
byte-identical files.

The background
--------------
东岳能源集团: headquarters departments (采购部, 信息中心, 基建部, 后勤保障部,
生产运营部 ...) and branch companies (山西分公司 ...), more branches as the scale
grows; staff ≈ 3 % of the orders (at least 80), suppliers ≈ 10 % (at least 120).
Each department has a 部门经理 and deputies who sign level 1, a 分管副总 signs
level 2, the 总经理 level 3 and the 董事长 above that. Three years of orders
(2023-2025, slower at the Spring Festival, a rush in December): category by
department, lognormal amounts per category, items with unit prices, suppliers
chosen by Zipf-like popularity within the category (local suppliers a little
more), the method by amount (direct and inquiry for small orders, invited and
open tenders for large ones), 3-6 bids around an estimate with the lowest
usually winning, approval chains as long as ``policy.yaml``'s
``approval_limits`` require with timestamps in working hours, and one to three
instalments to the supplier's account. Identifiers are valid (统一社会信用代码,
居民身份证号码 with correct check characters), unique unless planted, and
written in varied ways (``138 1234 5678``, ``+86-138-…``, full-width digits,
account numbers in groups of four), so matching needs normalisation. Noise: a
few wrong check characters, blank optional fields, a passport number here and
there, some overtime and weekend signatures spread over everybody.

Planted schemes (labels: the entities an investigator would name)
------------------------------------------------------------------
``favoritism``
    A level-1 signer steers many small orders (under 80 % of their own limit,
    so one signature suffices) of one category to a young, thinly capitalised
    supplier that nobody else buys from: its share of the signer's orders in
    the category is far above its market share. The signer is one who signs
    only a small part of that category's market. Labels: the employee and the
    supplier.
``split_purchase``
    One requester buys from one supplier three to five orders within a few
    days (signed within 14), each just below an approval limit (50 000 or
    200 000), together above it. Labels: the employee (requester), the
    supplier and every contract.
``self_approval``
    A manager raises an order and signs its first approval step. Labels: the
    employee and the contracts.
``relative_supplier``
    A signer approves orders of a supplier that their spouse or relative (a
    person with ``SPOUSE_OF``/``RELATIVE_OF`` to the employee) owns
    (``OWNS``), represents (``LEGAL_REP_OF``), or both; three to six small
    orders. Labels: the employee, the person and the supplier.
``shared_identifier``
    A signer approves orders of a supplier whose phone (odd instances) or bank
    account (even instances) is the employee's own, written differently.
    Labels: the employee and the supplier.
``ownership_cycle``
    Three suppliers own shares of each other in a cycle (A→B→C→A) and all win
    orders of one department (signed in turn by its level-1 signers, so no
    one signer stands out). Labels: the three suppliers.
``payment_to_staff``
    One instalment of an order is paid into the bank account of an employee
    who requested or approved it (every third instance, from the second: of
    their spouse), often under the supplier's name. Labels: the payment and
    the employee (and the spouse when it is theirs).
``bid_rotation``
    A cartel of three to five suppliers bids together in every tender of a
    series in one category (a tender every one to two months) and takes turns
    winning, in date order; the winning bids sit above the estimate, the
    cover bids 0.8-3.5 % above the winner, so the bids hardly disperse; the
    members bid nowhere else. Labels: the suppliers and the tenders.
``price_inflation``
    A supplier sells one item at 2-2.8 times the unit price others charge,
    without competition. Labels: the supplier and the contracts.
``after_hours``
    A level-1 signer approves a burst of six to ten orders within two weeks
    late at night (22:00-01:30) or at weekends. Labels: the employee and the
    contracts.
``repeat_direct_awards``
    A department gives one supplier several direct or single-source awards,
    each below ``open_tender_threshold`` (2 000 000) and together above it,
    within a year. Labels: the department and the supplier.

Decoys (legitimate patterns that should not be flagged high)
------------------------------------------------------------
``decoy_monopoly_utility``
    The power utility supplies all electricity (电力) to every department.
    Labels: the supplier.
``decoy_hub_address``
    The headquarters address, shared by three group service companies and by
    many staff who give their office as address. Labels: all those parties.
``decoy_switchboard``
    The headquarters switchboard number, in varied writing, on three group
    service companies and many staff records. Labels: all those parties.
``decoy_relative_no_approval``
    An employee's relative owns a supplier, but the employee never requests or
    approves its orders. Labels: the employee, the person and the supplier.
``decoy_competitive_cobidders``
    The four leading suppliers of a category meet in many tenders, with
    ordinary bid dispersion, and the lowest bid wins — sometimes an outsider.
    Only bidder lists are written for orders they win anyway, so no market
    share moves. Labels: the four suppliers.
``decoy_big_legit_contracts``
    Very large construction contracts (8-60 million yuan) through open tender
    and signed at every level the policy requires. Labels: the contracts.

Each scheme has ``max(2, round(4 + 3·log10(scale / 2000)))`` instances (4 at
2 000 orders, 12 at a million); decoys one or a few.

Outside the planted instances the background is kept clean of the patterns
themselves: no self-approval, no identifier shared between staff and a
supplier (except the two hub decoys), no ownership cycle, no two orders of one
requester from one supplier within three weeks both in the top 20 % under the
same limit, no signature between 21:45 and 06:00, and no department's routine
direct awards to one supplier past 80 % of the open-tender threshold.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .output import FILES, write_dataset
from .process import derive
from .schemes import DECOY_PLANTERS, SCHEME_PLANTERS, plant_all
from .world import build_world

__all__ = ["DECOYS", "FILES", "MIN_SCALE", "SCHEMES", "SCHEME_TITLES", "GenerateSummary", "generate"]

#: Names of the planted schemes, as they appear in ``labels.csv``.
SCHEMES: tuple[str, ...] = tuple(SCHEME_PLANTERS)
#: Names of the decoys; all start with ``decoy_``.
DECOYS: tuple[str, ...] = tuple(DECOY_PLANTERS)
#: Scheme and decoy names in the investigators' words: (中文, English).
SCHEME_TITLES: dict[str, tuple[str, str]] = {
    "favoritism": ("审批人偏向特定供应商", "An approver steers orders to one supplier"),
    "split_purchase": ("拆分采购规避审批权限", "Split purchase under an approval limit"),
    "self_approval": ("本人申请本人审批", "Self-approval"),
    "relative_supplier": ("审批亲属关联企业的合同", "Approving a relative's company"),
    "shared_identifier": (
        "员工与供应商共用电话或银行账户",
        "Employee shares a phone or account with a supplier",
    ),
    "ownership_cycle": ("供应商循环持股", "Suppliers owning each other in a cycle"),
    "payment_to_staff": (
        "合同款项付入员工或其亲属账户",
        "Contract payment into an employee's or relative's account",
    ),
    "bid_rotation": ("围标串标、轮流中标", "Bid rotation by a cartel"),
    "price_inflation": ("单价明显虚高", "Unit prices far above others'"),
    "after_hours": ("深夜或周末集中审批", "Burst of approvals at night or at weekends"),
    "repeat_direct_awards": (
        "多次直接采购规避公开招标",
        "Repeated direct awards past the open-tender threshold",
    ),
    "decoy_monopoly_utility": ("独家供电单位（正常）", "Monopoly utility (legitimate)"),
    "decoy_hub_address": ("集团总部地址共用（正常）", "Headquarters address shared by many (legitimate)"),
    "decoy_switchboard": ("总机号码共用（正常）", "Switchboard number shared by many (legitimate)"),
    "decoy_relative_no_approval": (
        "亲属办企业但本人不经手（正常）",
        "Relative's company the employee never handles (legitimate)",
    ),
    "decoy_competitive_cobidders": (
        "经常同场投标但真实竞争（正常）",
        "Frequent co-bidders who really compete (legitimate)",
    ),
    "decoy_big_legit_contracts": (
        "大额合同依规招标审批（正常）",
        "Large contracts tendered and approved by the rules (legitimate)",
    ),
}
#: Fewer orders leave too little background for the schemes to stand out from.
MIN_SCALE = 500


@dataclass(frozen=True)
class GenerateSummary:
    out_dir: Path
    scale: int
    seed: int
    #: data rows per file, by name without ``.csv`` (``labels`` included)
    counts: dict[str, int] = field(default_factory=dict)
    #: instances per scheme and decoy
    instances: dict[str, int] = field(default_factory=dict)


def generate(out_dir: str | Path, scale: int = 2000, seed: int = 7) -> GenerateSummary:
    """Write a synthetic dataset of ``scale`` purchase orders into ``out_dir``.

    Parameters
    ----------
    out_dir
        Folder to write; created if missing, files in it are replaced.
    scale
        Number of purchase orders (rows of ``contracts.csv``); at least ``MIN_SCALE``.
    seed
        Seed of the random generator; the same seed gives byte-identical files.
    """
    if scale < MIN_SCALE:
        raise ValueError(f"scale must be at least {MIN_SCALE} purchase orders, got {scale}")
    out = Path(out_dir)
    world = build_world(scale, seed)
    instances = plant_all(world)
    process = derive(world)
    counts = write_dataset(world, process, out)
    return GenerateSummary(out_dir=out, scale=scale, seed=seed, counts=counts, instances=instances)

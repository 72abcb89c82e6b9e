"""Synthetic procurement data of Chinese state-owned organisations, with planted schemes
and legitimate look-alikes as ground truth.

``generate(out_dir, scale, seed, profile)`` writes a data-contract folder
(``employees``, ``suppliers``, ``persons``, ``relations``, ``contracts``,
``approvals``, ``bids``, ``payments`` as CSV, and ``policy.yaml``) for ``scale``
purchase orders, plus ``labels.csv`` (``scheme, instance_id, entity_type,
entity_id``) naming the entities of every planted instance. The same seed and
profile give byte-identical files.

Profiles (``loaders.generator.profiles``)
-----------------------------------------
``classic`` (the default)
    东岳能源集团, the world described below; its files are what they have always
    been for a seed (the demo, the tests and the benchmarks rely on it). Its
    background is kept clean of the patterns themselves (see the end).
``energy``
    华源发电集团, a power-generation group: coal (燃料) in a few huge contracts, OEM
    turbine and boiler parts, plants in the coal provinces of very different sizes;
    five approval levels (100 000 / 500 000 / 3 M / 10 M, 总会计师 between 分管副总经理
    and 总经理), open tenders above 4 M, working hours 08:30-17:30; yearly ids
    (``HT2024-000123``), vendor numbers ``10xxxxxxxx``; overhaul seasons in spring and
    autumn, a strong year-end rush.
``construction``
    中泰建工集团, a construction and engineering group headquartered in 武汉 with
    project departments (项目经理部) across the provinces: building materials, labour
    and specialist subcontracts, crane hire; low limits (30 000 / 300 000 / 2 M), work
    from 07:30 and on Saturdays, much negotiation and invitation, few open tenders;
    numeric staff numbers, ``GYS`` vendors, ``ZTJG-HT-2024-00012``; the noisiest
    extract (8 % blank requesters, 20 % orders without unit price, 10 % of tenders
    without their bids, vendors entered twice); a deep Spring Festival lull.
``manufacturing``
    北方重型机械集团, a heavy-machinery maker in 沈阳 with plants (制造基地): steel,
    castings and forgings, outsourced machining, CNC spare parts from FANUC,
    Siemens, DMG MORI (Latin-named suppliers), cutting tools; five levels
    (20 000 / 100 000 / 500 000 / 2 M), open tenders above 1 M, mostly price inquiries,
    many framework agreements, strong incumbency; quarterly budget cycles.
``city``
    江城公用事业集团, a city's water, gas, bus and sanitation company: its branches
    are the districts of one city, so one power company serves everybody; pipes,
    water-treatment chemicals, meters (proprietary, single source), buses (large
    legitimate contracts); government-like hours (09:00-17:30), a very strong Q4
    and weak Q1; night-time emergency repairs; addresses often without the province.
``random``
    one of the four structures above with its policy (levels, limits, threshold,
    hours, exemptions), methods by amount, market concentration, writing styles,
    noise, seasons, look-alike volumes and scheme play drawn from the seed.

What differs between them: departments, their sizes and what they buy; the share
of open tenders and the other methods by amount; approval levels, limits, roles and
working hours (``policy.yaml``); how ids, phones, accounts, addresses and names are
written (prefixes, yearly numbering, full-width digits, spaces, brackets, padded
names, extensions, Latin names); what is missing; the seasons; the look-alikes; and
how each scheme is played (below).

The classic background
----------------------
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
there, some overtime and weekend signatures spread over everybody. The other
profiles follow the same process with their own parameters.

Planted schemes (labels: the entities an investigator would name)
------------------------------------------------------------------
``favoritism``
    A level-1 signer steers many small orders (under 80 % of their own limit,
    so one signature suffices) of one category to one supplier: its share of the
    signer's orders in the category is far above its market share. The signer is
    one who signs only a small part of that category's market. Classic: 60 % of
    the signer's orders there, to a young, thinly capitalised supplier nobody else
    buys from; profiles: 35-80 %, and sometimes an established supplier that sells
    to others too. Labels: the employee and the supplier.
``split_purchase``
    One requester buys from one supplier several orders within a few days (signed
    within the policy's ``split_window_days``), each just below one of the
    profile's first two approval limits, together above it (classic: three to five
    at 86-99.5 % of 50 000 or 200 000; profiles: two to six at 70-99.9 % of their
    own limits). Labels: the employee (requester), the supplier and every contract.
``self_approval``
    A manager raises an order and signs its first approval step. Labels: the
    employee and the contracts.
``relative_supplier``
    A signer approves orders of a supplier tied to their spouse or relative (a
    person with ``SPOUSE_OF``/``RELATIVE_OF`` to the employee): the person owns it
    (``OWNS``), represents it (``LEGAL_REP_OF``), both (classic, in turn), directs it
    (``DIRECTOR_OF``) or owns a holding company that owns it (profiles); three to six
    small orders. Labels: the employee, the person and the supplier.
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
    A cartel bids together in every tender of a series in one category (a tender
    every one to two months); its winning bids sit above the estimate and its
    cover bids a little above the winner, so the bids hardly disperse. Classic:
    three to five members taking turns in date order, covers 0.8-3.5 % above,
    members bid nowhere else. Profiles: three to seven members, covers 0.3-7 %
    above, some rings allocate buyers instead (each member wins one department's
    tenders), and members also bid, and lose, in ordinary tenders of their trade.
    Labels: the suppliers and the tenders.
``price_inflation``
    A supplier sells one item at 2-2.8 times (profiles: 1.5-3 times) the unit
    price others charge, without competition. Labels: the supplier and the
    contracts.
``after_hours``
    A level-1 signer approves a burst of six to ten (profiles: four to twelve)
    orders within two weeks late at night (22:00-01:30) or at weekends. Labels:
    the employee and the contracts.
``repeat_direct_awards``
    A department gives one supplier several direct or single-source awards,
    each below ``open_tender_threshold`` and together above it, within a year.
    Labels: the department and the supplier.

Decoys (legitimate patterns that should not be flagged high)
------------------------------------------------------------
Every profile:

``decoy_monopoly_utility``
    Classic: the power utility supplies all electricity (电力) to every department.
    Profiles: every branch pays its local power, water and gas company and the
    three national telecom carriers monthly bills (every headquarters department
    its own power and lines), single source, signed in turn by the department's
    signers. Labels: each utility that bills somebody (one instance each).
``decoy_hub_address``
    The headquarters address, shared by half of the group's service companies and
    by many staff who give their office as address; in profiles also each
    branch's office building, given by half its staff. Labels: those parties.
``decoy_switchboard``
    The headquarters switchboard number, in varied writing, on the other service
    companies and many staff records; in profiles also each branch's switchboard
    (some with an extension). Labels: those parties.
``decoy_relative_no_approval``
    An employee's relative owns, represents or directs a supplier (profiles: in
    the ways of ``relative_supplier``), but the employee never requests or
    approves its orders. Labels: the employee, the person and the supplier.
``decoy_competitive_cobidders``
    The four leading suppliers of a category meet in many tenders, with
    ordinary bid dispersion, and the lowest bid wins — sometimes an outsider.
    Only bidder lists are written for orders they win anyway, so no market
    share moves. Labels: the four suppliers.
``decoy_big_legit_contracts``
    Very large contracts (8-60 million yuan) through open tender and signed at
    every level the policy requires. Labels: the contracts.

Every profile but ``classic`` (``loaders.generator.lookalikes``):

``decoy_framework_agreement``
    One open tender for a year or two of supply, won by a leading supplier, then
    15-40 small call-off orders from several departments, all under that tender
    id; most agreements' call-offs carry the approval chain of the whole agreement,
    the rest only their own small amount's. Labels: the supplier and the tender.
``decoy_group_shared_address``
    A holding company and three to five subsidiaries in different trades, all
    registered at the group's headquarters building (half the groups share its
    switchboard too), owned by the holding; they never bid in one tender. Labels:
    all of them.
``decoy_oem_spare_parts``
    A maker (and, for some, its authorised agent, 5-12 % dearer) sells its own
    parts single source, again and again, to the departments running its machines;
    nobody else sells those items and their sums pass the open-tender threshold
    within a year. Labels: the maker and the agent.
``decoy_small_market``
    A niche service (special-equipment inspection) that one established local
    firm provides: all of a branch's orders of it go there, signed by the branch's
    manager. Labels: the employee and the supplier.
``decoy_year_end_rush``
    Late December: half of the month's orders fast-tracked, a third of those
    signed in the evening (some after 21:45) or at the weekend, by many signers
    at once. Labels: the signers who signed after 21:45 or at a weekend (one
    instance per year).
``decoy_repeat_direct_under_threshold``
    Three to six direct or single-source awards of a department to one supplier
    within a year, together 55-85 % of the threshold. Labels: the department and
    the supplier.
``decoy_duplicate_vendor``
    A supplier entered twice in the vendor master (same name, credit code and
    account, another id), a few orders booked on the copy. Labels: both records.
``decoy_incumbent_supplier``
    Incumbency (the profile's share of a department's orders in a category stays
    with one supplier for years); the most prominent pairs, where one supplier has
    half or more of the department's orders in the category. Labels: the
    department and the supplier.
``decoy_close_bids``
    Ordinary tenders where the runner-up bid within 0.6 % of the winner, or tied.
    Labels: the tender.
``decoy_emergency_repair`` (energy, manufacturing, city; random when drawn)
    Night-time repair orders signed by a duty manager a few times a quarter with
    the trade's regular contractors. Labels: the employee.

Each scheme has ``max(2, round(4 + 3·log10(scale / 2000)))`` instances (4 at
2 000 orders, 12 at a million); decoys one or a few.

In the classic world the background outside the planted instances is kept clean
of the patterns themselves: no self-approval, no identifier shared between staff
and a supplier (except the two hub decoys), no ownership cycle, no two orders of
one requester from one supplier within three weeks both in the top 20 % under the
same limit, no signature between 21:45 and 06:00, and no department's routine
direct awards to one supplier past 80 % of the open-tender threshold. The other
profiles keep only what makes a label true (no unlabelled split purchase, no
routine direct awards past the threshold in any 365 days, no self-approval or
ownership cycle outside the schemes) and otherwise have the roughness real data
has: incumbency, close bids and ties, concentrated markets, overtime and weekend
work, blank and duplicated records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .lookalikes import LOOK_ALIKE_DECOYS, label_roughness
from .output import FILES, write_dataset
from .plant import plant_all
from .process import derive
from .profiles import PROFILE_NAMES, PROFILES, Profile, get_profile
from .schemes import DECOY_PLANTERS, SCHEME_PLANTERS
from .world import build_world

__all__ = [
    "CLASSIC_DECOYS",
    "DECOYS",
    "FILES",
    "MIN_SCALE",
    "PROFILES",
    "PROFILE_NAMES",
    "SCHEMES",
    "SCHEME_TITLES",
    "GenerateSummary",
    "Profile",
    "generate",
    "get_profile",
]

#: Names of the planted schemes, as they appear in ``labels.csv``.
SCHEMES: tuple[str, ...] = tuple(SCHEME_PLANTERS)
#: Decoys of the classic world (every profile plants them).
CLASSIC_DECOYS: tuple[str, ...] = tuple(DECOY_PLANTERS)
#: Names of all decoys any profile plants; all start with ``decoy_``.
DECOYS: tuple[str, ...] = (*CLASSIC_DECOYS, *LOOK_ALIKE_DECOYS)
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
    "decoy_framework_agreement": (
        "框架协议项下多次小额订单（正常）",
        "Many small call-offs under one framework agreement (legitimate)",
    ),
    "decoy_group_shared_address": (
        "同一集团的兄弟公司共用总部地址（正常）",
        "Sister companies of a group sharing its headquarters address (legitimate)",
    ),
    "decoy_oem_spare_parts": (
        "原厂备件单一来源采购（正常）",
        "A maker's own spare parts bought single-source (legitimate)",
    ),
    "decoy_small_market": (
        "小众市场只有一家本地供应商（正常）",
        "A small local market with one supplier and one signer (legitimate)",
    ),
    "decoy_emergency_repair": (
        "夜间抢修订单（正常）",
        "Night-time emergency repair orders (legitimate)",
    ),
    "decoy_year_end_rush": ("年底集中采购（正常）", "The year-end rush (legitimate)"),
    "decoy_duplicate_vendor": (
        "供应商主数据重复登记（正常）",
        "A supplier entered twice in the vendor master (legitimate)",
    ),
    "decoy_incumbent_supplier": (
        "部门长期使用同一供应商（正常）",
        "A department's long-standing supplier of a category (legitimate)",
    ),
    "decoy_repeat_direct_under_threshold": (
        "未超过限额的多次直接采购（正常）",
        "Repeated direct awards that stay under the threshold (legitimate)",
    ),
    "decoy_close_bids": (
        "报价接近或相同的正常竞争（正常）",
        "A close finish or a tie in a real competition (legitimate)",
    ),
}
#: Fewer orders leave too little background for the schemes to stand out from.
MIN_SCALE = 500


@dataclass(frozen=True)
class GenerateSummary:
    out_dir: Path
    scale: int
    seed: int
    profile: str = "classic"
    #: data rows per file, by name without ``.csv`` (``labels`` included)
    counts: dict[str, int] = field(default_factory=dict)
    #: instances per scheme and decoy
    instances: dict[str, int] = field(default_factory=dict)


def generate(
    out_dir: str | Path, scale: int = 2000, seed: int = 7, profile: str | Profile = "classic"
) -> GenerateSummary:
    """Write a synthetic dataset of ``scale`` purchase orders into ``out_dir``.

    Parameters
    ----------
    out_dir
        Folder to write; created if missing, files in it are replaced.
    scale
        Number of purchase orders (rows of ``contracts.csv``); at least ``MIN_SCALE``.
    seed
        Seed of the random generator; the same seed (and profile) gives byte-identical files.
    profile
        The organisation: a name of ``PROFILE_NAMES`` (``random`` draws its parameters from
        ``seed``) or a :class:`Profile`.
    """
    if scale < MIN_SCALE:
        raise ValueError(f"scale must be at least {MIN_SCALE} purchase orders, got {scale}")
    chosen = get_profile(profile, seed) if isinstance(profile, str) else profile
    out = Path(out_dir)
    world = build_world(scale, seed, chosen)
    instances = plant_all(world)
    process = derive(world)
    if chosen.look_alikes.label_roughness:
        instances.update(label_roughness(world, process))
    counts = write_dataset(world, process, out)
    return GenerateSummary(
        out_dir=out,
        scale=scale,
        seed=seed,
        profile=chosen.name,
        counts=counts,
        instances=instances,
    )

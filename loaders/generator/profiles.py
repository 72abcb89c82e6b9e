"""Organisation profiles: how one synthetic organisation differs from another.

A :class:`Profile` holds everything the generator draws a world from — departments and
what they buy, the approval chain and its limits, the procurement methods by amount,
how clerks write identifiers, how much is missing or duplicated, the seasons, the
legitimate look-alikes and how the planted schemes are played. The default profile,
``classic``, is the organisation the generator has always drawn (its output is kept
byte-for-byte); the others are built so that detectors tuned to one of them meet
unfamiliar data in the rest. ``random_profile(seed)`` draws a profile's parameters
from a seed.

Every number here carries its unit in its name or its comment; shares are fractions.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from .catalog import (
    APPROVAL_LIMITS,
    APPROVAL_ROLES,
    BRANCH_MIX,
    BRANCH_VOLUME,
    CATEGORIES,
    EXTRA_CATEGORIES,
    GROUP_NAME,
    HOLIDAYS,
    HQ_ADDRESS,
    HQ_DEPARTMENTS,
    HQ_REGION,
    LEADERSHIP_DEPARTMENT,
    OPEN_TENDER_THRESHOLD,
    REGIONS,
    SPLIT_WINDOW_DAYS,
    SWITCHBOARD,
    WORKING_HOURS,
    Category,
    DepartmentKind,
    Region,
)

__all__ = [
    "PROFILES",
    "PROFILE_NAMES",
    "Approval",
    "CategoryTable",
    "Formats",
    "IdFormat",
    "LookAlikes",
    "Market",
    "Noise",
    "Profile",
    "SchemePlay",
    "Seasonality",
    "get_profile",
    "random_profile",
]


@dataclass(frozen=True)
class IdFormat:
    """How one kind of record is numbered: ``prefix`` + zero-padded number.

    With ``yearly`` the number restarts every year and the year is written in it
    (``HT-2024-000123``): contracts, tenders and payments numbered per year, as many
    ERPs do.

    >>> IdFormat("HT-", 6, yearly=True, separator="-").example(2024)
    'HT-2024-000001'
    >>> IdFormat("V", 7, start=1_000_001).example()
    'V1000001'
    """

    prefix: str
    width: int
    start: int = 1
    yearly: bool = False
    separator: str = ""

    def example(self, year: int = 2024) -> str:
        number = f"{self.start:0{self.width}d}"
        return f"{self.prefix}{year}{self.separator}{number}" if self.yearly else f"{self.prefix}{number}"


@dataclass(frozen=True)
class Formats:
    """How ids, phones, accounts, addresses and names are written."""

    employee_id: IdFormat = IdFormat("E", 6)
    supplier_id: IdFormat = IdFormat("V", 7, start=1_000_001)
    person_id: IdFormat = IdFormat("P", 7)
    department_id: IdFormat = IdFormat("D", 3)
    contract_id: IdFormat = IdFormat("PO", 8)
    tender_id: IdFormat = IdFormat("ZB", 7)
    payment_id: IdFormat = IdFormat("FK", 8)
    #: weights of the 7 ways of writing a mobile (plain, spaced, dashed, +86, +86-, 0086, full-width)
    phone_styles: tuple[float, ...] = (0.6, 0.12, 0.1, 0.08, 0.03, 0.02, 0.05)
    #: weights of the 4 ways of writing an account (plain, groups of four, dashes, full-width)
    account_styles: tuple[float, ...] = (0.75, 0.18, 0.03, 0.04)
    #: shares of addresses written with full-width digits, with spaces between their parts,
    #: without the province, with 中国 before them (the last two defeat normalisation, as in life)
    address_full_width: float = 0.0
    address_spaced: float = 0.0
    address_no_province: float = 0.0
    address_country: float = 0.0
    #: share of Chinese company names that put the place in brackets: 华信（北京）科技有限公司
    bracketed_place: float = 0.0
    #: share of pool suppliers that are foreign makers' companies registered under a Latin name
    latin_suppliers: float = 0.0
    #: share of two-character personal names padded to three with a full-width space (张　三)
    padded_names: float = 0.0
    #: share of supplier landlines written with an extension (010-66518800-8021)
    phone_extensions: float = 0.0


@dataclass(frozen=True)
class Noise:
    """What is missing, miswritten or duplicated in the extract (shares of records)."""

    blank_department: float = 0.003
    blank_requester: float = 0.005
    blank_category: float = 0.003
    missing_item: float = 0.01
    #: orders with neither quantity nor unit price
    missing_unit_price: float = 0.01
    blank_decision: float = 0.03
    blank_payee_name: float = 0.05
    employee_blank_phone: float = 0.03
    employee_blank_address: float = 0.05
    supplier_blank_phone: float = 0.04
    supplier_blank_address: float = 0.02
    wrong_check_characters: float = 0.01
    passports: float = 0.003
    #: routine tenders whose bids are missing from the extract (the contract keeps its tender id)
    tenders_without_bids: float = 0.0
    #: suppliers entered twice in the vendor master (same name and credit code, another id,
    #: a few orders booked on the second record)
    duplicate_vendors: float = 0.0


@dataclass(frozen=True)
class Seasonality:
    """When orders are raised."""

    #: relative weight of each calendar month, January first
    month_factors: tuple[float, ...] = (0.8, 0.6, 1.0, 1.0, 1.0, 1.05, 1.0, 0.95, 1.0, 0.95, 1.2, 1.5)
    #: extra weight of the last two weeks of March, June, September (budget cycles), as a factor
    quarter_end: float = 0.0
    #: extra weight of 10-31 December (spending the year's budget), as a factor
    year_end: float = 0.0
    #: weight of the two weeks after the Spring Festival's first day (1 = no lull)
    spring_festival: float = 1.0


@dataclass(frozen=True)
class Approval:
    """The approval chain as ``policy.yaml`` writes it, and how signatures fall in time."""

    #: largest amount (yuan) each level may sign alone; one level more signs above the last
    limits: tuple[int, ...] = APPROVAL_LIMITS
    #: who signs at each level, lowest first: the department's signer, its vice-president,
    #: then one leader per further level
    roles: tuple[str, ...] = APPROVAL_ROLES
    manager_title: str = "部门经理"
    deputy_title: str = "部门副经理"
    vp_title: str = "分管副总"
    working_hours: tuple[str, str] = WORKING_HOURS
    open_tender_threshold: int = OPEN_TENDER_THRESHOLD
    split_window_days: int = SPLIT_WINDOW_DAYS
    #: categories ``policy.yaml`` exempts from direct-award rules
    exempt_categories: tuple[str, ...] = ("电力",)
    #: share of steps signed after working hours until 21:45 (routine overtime)
    overtime: float = 0.012
    #: share of chains whose last signature falls on a weekend
    weekend: float = 0.003
    #: routine direct awards of a department to one supplier are kept under this share of the
    #: open-tender threshold: over the whole extract (``cap_window_days`` 0) or per rolling window
    direct_award_cap: float = 0.8
    cap_window_days: int = 0


#: Procurement methods by amount: (upper bound in yuan or ``None``, ((weight, method), ...)).
MethodBands = tuple[tuple[int | None, tuple[tuple[float, str], ...]], ...]

CLASSIC_METHODS: MethodBands = (
    (20_000, ((0.5, "direct"), (0.5, "inquiry"))),
    (50_000, ((0.8, "inquiry"), (0.2, "negotiation"))),
    (200_000, ((0.55, "inquiry"), (0.3, "negotiation"), (0.13, "invited"), (0.02, "single_source"))),
    (
        OPEN_TENDER_THRESHOLD,
        ((0.45, "invited"), (0.2, "open"), (0.2, "negotiation"), (0.14, "inquiry"), (0.01, "single_source")),
    ),
    (None, ((0.85, "open"), (0.15, "invited"))),
)


@dataclass(frozen=True)
class Market:
    """How suppliers win and bid."""

    methods: MethodBands = CLASSIC_METHODS
    #: popularity of the n-th supplier of a category ∝ n^-exponent (higher: more concentrated)
    popularity_exponent: float = 0.8
    #: a supplier of the buyer's own region is this many times likelier
    own_region_preference: float = 2.0
    #: share of a department's routine orders in a category kept by its incumbent supplier
    incumbency: float = 0.0
    #: rivals besides the winner in a routine tender: integers in [low, high)
    rivals: tuple[int, int] = (2, 6)
    #: spread of bids around the estimate (standard deviation of the factor)
    bid_spread: float = 0.045
    #: share of price-scored tenders won by the second-lowest bid
    second_lowest_wins: float = 0.12
    #: share of routine tenders whose runner-up bids within 0.6 % of the winner, and that tie
    close_bids: float = 0.0
    ties: float = 0.0


@dataclass(frozen=True)
class LookAlikes:
    """Legitimate patterns beyond the classic six decoys (all off in ``classic``)."""

    #: utilities bill every department monthly (as many bills as the scale allows), single source
    utility_bills: bool = False
    #: upper share of all orders that are utility bills
    bill_share: float = 0.08
    #: framework agreements: one tender, many small call-offs (per scheme instance count)
    framework_agreements: float = 0.0
    #: share of agreements whose call-offs carry the approval chain of the whole agreement
    #: (the rest are signed at the level of each small order)
    calloff_at_agreement_level: float = 1.0
    #: branch staff give their branch office's address and switchboard
    branch_offices: bool = False
    #: groups of sister companies sharing a headquarters address, never bidding against each other
    supplier_groups: int = 0
    #: makers selling their own spare parts single-source (with an agent for some)
    oem_makers: int = 0
    #: the year-end rush: many signers at once, evenings and a weekend in late December
    year_end_rush: bool = False
    #: a niche category with one or two suppliers per region, signed by a branch's one signer
    small_markets: bool = False
    #: night-time emergency repair orders signed by the duty manager
    emergency_repairs: bool = False
    #: label the background's roughness (incumbents, close bids, repeated direct awards under
    #: the threshold) as decoys, so their false alarms are counted
    label_roughness: bool = False


@dataclass(frozen=True)
class SchemePlay:
    """How the planted schemes are played (ranges are [low, high] in their units)."""

    #: cartel sizes, taken in turn by the instances
    ring_sizes: tuple[int, ...] = (3, 4, 5)
    #: tenders per ring: integers in [low, high) plus half the instance count
    ring_tenders: tuple[int, int] = (8, 13)
    #: cover bids above the winner, as a share of the winning bid
    cover_margin: tuple[float, float] = (0.008, 0.035)
    #: the winning bid over the estimate, as a factor
    winner_markup: tuple[float, float] = (1.02, 1.08)
    #: share of ring tenders where an outsider bids too (and loses)
    ring_outsider: float = 0.3
    #: tenders outside the ring where each member also bids, as ordinary competitors
    ring_outside_bids: int = 0
    #: share of rings that allocate buyers (each member wins one department's tenders) instead
    #: of rotating in date order
    ring_allocation: float = 0.0
    #: share of the steering signer's orders in the category given to the favourite
    favoritism_share: tuple[float, float] = (0.6, 0.6)
    #: share of favoritism instances whose favourite is an established supplier, not a new one
    established_favourite: float = 0.0
    #: split purchases: parts in [low, high), each at this share of the limit
    split_parts: tuple[int, int] = (3, 6)
    split_fill: tuple[float, float] = (0.86, 0.995)
    #: ties from a relative to the supplier, taken in turn: owns+represents, owns, represents,
    #: directs, owns a holding company that owns it
    relative_ties: tuple[str, ...] = ("owns+legal_rep", "owns", "legal_rep")
    #: unit price over the going price, as a factor
    price_factor: tuple[float, float] = (2.0, 2.8)
    #: orders in an after-hours burst: integers in [low, high)
    after_hours_orders: tuple[int, int] = (6, 11)


@dataclass(frozen=True)
class Profile:
    """One organisation the generator can draw."""

    name: str = "classic"
    title: tuple[str, str] = ("东岳能源集团（经典）", "Dongyue Energy Group (classic)")
    group_name: str = GROUP_NAME
    hq_region: Region = HQ_REGION
    #: regions where branches open, in order, as the organisation grows with the scale
    branch_regions: tuple[Region, ...] = REGIONS
    hq_address: str = HQ_ADDRESS
    switchboard: str = SWITCHBOARD
    leadership_department: str = LEADERSHIP_DEPARTMENT
    hq_departments: tuple[DepartmentKind, ...] = HQ_DEPARTMENTS
    #: a branch's name from its region's short name
    branch_name: str = "{short}分公司"
    branch_mix: dict[str, float] = field(default_factory=lambda: dict(BRANCH_MIX))
    branch_volume: float = BRANCH_VOLUME
    #: spread of branch sizes (lognormal sigma; 0: all branches alike)
    branch_volume_sigma: float = 0.0
    #: branches = clip(round(base + per_decade·log10(scale / 1000)), base, regions)
    branches_base: int = 2
    branches_per_decade: float = 4.0
    #: staff and suppliers per purchase order, and their minimum numbers
    staff_per_order: float = 0.03
    min_staff: int = 80
    suppliers_per_order: float = 0.10
    min_suppliers: int = 120
    categories: tuple[Category, ...] = CATEGORIES
    #: category roles, by name, in the order schemes take them
    small_order_categories: tuple[str, ...] = (
        "办公用品",
        "IT设备",
        "物资材料",
        "技术服务",
        "车辆维修",
        "咨询服务",
    )
    job_categories: tuple[str, ...] = ("工程施工", "技术服务", "后勤物业", "劳务外包")
    goods_categories: tuple[str, ...] = ("办公用品", "IT设备", "物资材料", "生产设备")
    cobidder_categories: tuple[str, ...] = ("工程施工", "技术服务")
    big_contract_category: str = "工程施工"
    #: categories a monopoly or a few carriers supply; the first is the classic utility
    utility_categories: tuple[str, ...] = ("电力",)
    #: the group's own service companies at headquarters: (name word, category)
    internal_companies: tuple[tuple[str, str], ...] = (
        ("物业管理", "后勤物业"),
        ("信息技术", "技术服务"),
        ("物资贸易", "物资材料"),
        ("工程咨询", "咨询服务"),
        ("检测技术", "技术服务"),
        ("后勤服务", "后勤物业"),
    )
    #: spare-part category and (maker, brand) of the OEM look-alike
    spare_part_category: str = ""
    oem_makers: tuple[tuple[str, str], ...] = ()
    #: niche category of the small-market look-alike
    niche_category: str = ""
    approval: Approval = field(default_factory=Approval)
    market: Market = field(default_factory=Market)
    seasonality: Seasonality = field(default_factory=Seasonality)
    formats: Formats = field(default_factory=Formats)
    noise: Noise = field(default_factory=Noise)
    look_alikes: LookAlikes = field(default_factory=LookAlikes)
    schemes: SchemePlay = field(default_factory=SchemePlay)

    @property
    def is_classic(self) -> bool:
        return self.name == "classic"

    def policy_document(self) -> dict[str, object]:
        """The organisation's rules as written to ``policy.yaml``."""
        a = self.approval
        return {
            "organisation": f"{self.group_name}有限公司",
            "currency": "CNY",
            "approval_limits": [
                {"level": level, "max_amount": limit} for level, limit in enumerate(a.limits, start=1)
            ],
            "approval_roles": [{"level": level, "role": role} for level, role in enumerate(a.roles, start=1)],
            "open_tender_threshold": a.open_tender_threshold,
            "direct_award_exempt_categories": list(a.exempt_categories),
            "split_window_days": a.split_window_days,
            "working_hours": {"start": a.working_hours[0], "end": a.working_hours[1]},
            "holidays": list(HOLIDAYS),
        }


class CategoryTable:
    """A profile's categories as arrays: index by name, amounts, items (flattened)."""

    def __init__(self, profile: Profile) -> None:
        cats = profile.categories
        self.categories = cats
        self.names = np.array([c.name for c in cats], dtype=object)
        self.index = {c.name: i for i, c in enumerate(cats)}
        self.medians = np.array([c.median_amount for c in cats])
        self.sigmas = np.array([c.sigma for c in cats])
        self.item_category = np.array([ci for ci, c in enumerate(cats) for _ in c.items])
        self.item_name = np.array([it.name for c in cats for it in c.items], dtype=object)
        self.item_unit = np.array([it.unit for c in cats for it in c.items], dtype=object)
        self.item_price = np.array(
            [np.nan if it.unit_price is None else it.unit_price for c in cats for it in c.items]
        )
        #: items routine orders may choose (a maker's own parts are sold by it alone)
        self.item_routine = np.ones(len(self.item_name), dtype=bool)
        self.utility = np.zeros(len(cats), dtype=bool)
        self.utility[[self.index[n] for n in profile.utility_categories if n in self.index]] = True
        self.utilities = tuple(int(i) for i in np.flatnonzero(self.utility))
        self.small_order = self.of(profile.small_order_categories)
        self.job = self.of(profile.job_categories)
        self.goods = self.of(profile.goods_categories)

    def __len__(self) -> int:
        return len(self.categories)

    def of(self, names: tuple[str, ...]) -> tuple[int, ...]:
        return tuple(self.index[n] for n in names if n in self.index)

    def add_item(self, category: int, name: str, unit: str, price: float | None, routine: bool) -> int:
        """Add an item (a maker's own part); returns its index."""
        self.item_category = np.append(self.item_category, category)
        self.item_name = np.append(self.item_name, np.array([name], dtype=object))
        self.item_unit = np.append(self.item_unit, np.array([unit], dtype=object))
        self.item_price = np.append(self.item_price, np.nan if price is None else price)
        self.item_routine = np.append(self.item_routine, routine)
        return len(self.item_name) - 1

    def mix(self, weights: dict[str, float]) -> np.ndarray:
        """A department's category weights as a probability vector."""
        vector = np.array([weights.get(c.name, 0.0) for c in self.categories], dtype=float)
        return vector / vector.sum()


# ---- the profiles -------------------------------------------------------------------------
def _categories(*names: str) -> tuple[Category, ...]:
    classic = {c.name: c for c in CATEGORIES}
    return tuple(classic.get(n) or EXTRA_CATEGORIES[n] for n in names)


def _region(short: str) -> Region:
    return next(r for r in REGIONS if r.short == short)


def _regions_except(*shorts: str) -> tuple[Region, ...]:
    return tuple(r for r in REGIONS if r.short not in shorts)


def _city_districts(
    city: str, province: str, area: str, districts: tuple[tuple[str, str], ...]
) -> tuple[Region, ...]:
    """The districts of one city as regions: a city company's branches are its districts."""
    return tuple(
        Region(name.removesuffix("区").removesuffix("新"), province, city, area, ((name, code),))
        for name, code in districts
    )


def _bands(*bands: tuple[int | None, tuple[tuple[float, str], ...]]) -> MethodBands:
    return tuple(bands)


CLASSIC = Profile()

ENERGY = Profile(
    name="energy",
    title=("华源发电集团（能源）", "Huayuan Power Generation Group (energy)"),
    group_name="华源发电集团",
    hq_region=HQ_REGION,
    branch_regions=(
        _region("内蒙古"),
        _region("山西"),
        _region("宁夏"),
        _region("陕西"),
        _region("新疆"),
        _region("甘肃"),
        _region("河北"),
        _region("山东"),
        _region("河南"),
        _region("四川"),
        _region("贵州"),
        _region("云南"),
        _region("湖北"),
        _region("安徽"),
        _region("辽宁"),
        _region("江苏"),
        _region("浙江"),
        _region("福建"),
        _region("广东"),
        _region("湖南"),
    ),
    hq_address="北京市西城区西直门内大街168号华源电力大厦",
    switchboard="01068952000",
    hq_departments=(
        DepartmentKind("燃料管理部", 2.0, {"燃料": 6, "物流运输": 1, "技术服务": 1}),
        DepartmentKind("物资供应部", 2.6, {"物资材料": 4, "备品备件": 4, "生产设备": 2, "办公用品": 1}),
        DepartmentKind("生产技术部", 2.0, {"备品备件": 4, "技术服务": 3, "生产设备": 2, "环保服务": 1}),
        DepartmentKind("基建工程部", 1.8, {"工程施工": 6, "生产设备": 2, "咨询服务": 2, "物资材料": 1}),
        DepartmentKind("安全环保部", 0.8, {"环保服务": 4, "技术服务": 2, "特种设备检验": 2, "物资材料": 1}),
        DepartmentKind("信息中心", 0.9, {"IT设备": 5, "技术服务": 4, "通信服务": 1}),
        DepartmentKind(
            "综合管理部", 0.8, {"办公用品": 4, "后勤物业": 3, "车辆维修": 2, "自来水": 1, "电力": 1}
        ),
        DepartmentKind("财务部", 0.2, {"咨询服务": 4, "办公用品": 1}),
        DepartmentKind("人力资源部", 0.3, {"劳务外包": 4, "咨询服务": 2}),
    ),
    branch_name="{short}发电有限公司",
    branch_mix={
        "燃料": 4,
        "备品备件": 4,
        "物资材料": 3,
        "技术服务": 3,
        "工程施工": 2,
        "环保服务": 2,
        "生产设备": 2,
        "特种设备检验": 1,
        "办公用品": 1,
        "车辆维修": 1,
        "后勤物业": 1,
        "劳务外包": 1,
    },
    branch_volume=2.6,
    branch_volume_sigma=0.5,
    branches_base=3,
    branches_per_decade=4.5,
    staff_per_order=0.025,
    suppliers_per_order=0.07,
    categories=_categories(
        "燃料",
        "备品备件",
        "物资材料",
        "生产设备",
        "技术服务",
        "工程施工",
        "环保服务",
        "特种设备检验",
        "IT设备",
        "办公用品",
        "咨询服务",
        "劳务外包",
        "后勤物业",
        "车辆维修",
        "物流运输",
        "电力",
        "自来水",
        "通信服务",
    ),
    small_order_categories=("办公用品", "物资材料", "备品备件", "技术服务", "车辆维修", "IT设备"),
    job_categories=("工程施工", "技术服务", "环保服务", "后勤物业"),
    goods_categories=("物资材料", "办公用品", "IT设备", "生产设备"),
    cobidder_categories=("工程施工", "环保服务"),
    utility_categories=("电力", "自来水", "通信服务"),
    internal_companies=(
        ("物业服务", "后勤物业"),
        ("信息技术", "技术服务"),
        ("燃料物流", "物流运输"),
        ("检修工程", "技术服务"),
        ("环保技术", "环保服务"),
    ),
    spare_part_category="备品备件",
    oem_makers=(
        ("东方电气集团东方汽轮机有限公司", "东汽"),
        ("哈尔滨锅炉厂有限责任公司", "哈锅"),
        ("上海电气电站设备有限公司", "上海电气"),
        ("Siemens Energy Ltd., China", "Siemens"),
    ),
    niche_category="特种设备检验",
    approval=Approval(
        limits=(100_000, 500_000, 3_000_000, 10_000_000),
        roles=("部门主任", "分管副总经理", "总会计师", "总经理", "董事长"),
        manager_title="部门主任",
        deputy_title="部门副主任",
        vp_title="分管副总经理",
        working_hours=("08:30", "17:30"),
        open_tender_threshold=4_000_000,
        split_window_days=30,
        exempt_categories=("电力",),
        overtime=0.02,
        weekend=0.006,
        direct_award_cap=0.98,
        cap_window_days=365,
    ),
    market=Market(
        methods=_bands(
            (30_000, ((0.45, "direct"), (0.55, "inquiry"))),
            (100_000, ((0.7, "inquiry"), (0.2, "negotiation"), (0.1, "single_source"))),
            (500_000, ((0.35, "inquiry"), (0.25, "negotiation"), (0.3, "invited"), (0.1, "single_source"))),
            (4_000_000, ((0.35, "open"), (0.35, "invited"), (0.2, "negotiation"), (0.1, "single_source"))),
            (None, ((0.92, "open"), (0.08, "invited"))),
        ),
        popularity_exponent=1.1,
        own_region_preference=4.0,
        incumbency=0.45,
        rivals=(2, 7),
        bid_spread=0.03,
        second_lowest_wins=0.2,
        close_bids=0.06,
        ties=0.01,
    ),
    seasonality=Seasonality(
        month_factors=(0.9, 0.5, 1.2, 1.3, 1.2, 0.9, 0.8, 0.8, 1.2, 1.3, 1.1, 1.4),
        quarter_end=0.3,
        year_end=1.0,
        spring_festival=0.5,
    ),
    formats=Formats(
        employee_id=IdFormat("HY", 6, start=100_001),
        supplier_id=IdFormat("10", 8, start=20_000_001),
        person_id=IdFormat("R", 6),
        department_id=IdFormat("ORG", 4, start=1001),
        contract_id=IdFormat("HT", 6, yearly=True, separator="-"),
        tender_id=IdFormat("ZB", 5, yearly=True),
        payment_id=IdFormat("FK", 7, yearly=True),
        phone_styles=(0.5, 0.2, 0.15, 0.05, 0.02, 0.02, 0.06),
        account_styles=(0.6, 0.3, 0.05, 0.05),
        address_full_width=0.05,
        address_spaced=0.1,
        address_no_province=0.15,
        bracketed_place=0.1,
        latin_suppliers=0.02,
        padded_names=0.05,
        phone_extensions=0.05,
    ),
    noise=Noise(
        blank_requester=0.04,
        missing_unit_price=0.05,
        tenders_without_bids=0.03,
        duplicate_vendors=0.01,
        employee_blank_address=0.2,
    ),
    look_alikes=LookAlikes(
        utility_bills=True,
        framework_agreements=1.0,
        calloff_at_agreement_level=0.7,
        branch_offices=True,
        supplier_groups=2,
        oem_makers=4,
        year_end_rush=True,
        small_markets=True,
        emergency_repairs=True,
        label_roughness=True,
    ),
    schemes=SchemePlay(
        ring_sizes=(4, 6, 3, 7, 5),
        ring_tenders=(6, 11),
        cover_margin=(0.01, 0.05),
        winner_markup=(1.01, 1.06),
        ring_outsider=0.4,
        ring_outside_bids=3,
        ring_allocation=0.3,
        favoritism_share=(0.4, 0.7),
        established_favourite=0.3,
        split_parts=(2, 5),
        split_fill=(0.8, 0.99),
        relative_ties=("owns", "director", "legal_rep", "holding"),
        price_factor=(1.6, 2.6),
        after_hours_orders=(5, 10),
    ),
)

CONSTRUCTION = Profile(
    name="construction",
    title=("中泰建工集团（建筑工程）", "Zhongtai Construction & Engineering Group (construction)"),
    group_name="中泰建工集团",
    hq_region=_region("湖北"),
    branch_regions=_regions_except("湖北"),
    hq_address="湖北省武汉市武昌区中北路166号中泰建工大厦",
    switchboard="02787316600",
    leadership_department="集团领导",
    hq_departments=(
        DepartmentKind(
            "物资设备部", 3.0, {"建筑材料": 5, "机械租赁": 3, "物资材料": 2, "生产设备": 1, "备品备件": 1}
        ),
        DepartmentKind("分包管理部", 2.4, {"劳务分包": 5, "专业分包": 4, "工程施工": 1}),
        DepartmentKind("工程管理部", 1.6, {"工程施工": 4, "咨询服务": 2, "技术服务": 2, "特种设备检验": 1}),
        DepartmentKind("安全质量部", 0.6, {"技术服务": 3, "特种设备检验": 3, "物资材料": 2}),
        DepartmentKind("技术中心", 0.6, {"咨询服务": 3, "技术服务": 3, "IT设备": 2}),
        DepartmentKind("商务合约部", 0.4, {"咨询服务": 4, "办公用品": 1}),
        DepartmentKind(
            "综合办公室", 0.6, {"办公用品": 4, "后勤物业": 2, "车辆维修": 2, "电力": 1, "自来水": 1}
        ),
        DepartmentKind("财务资金部", 0.2, {"咨询服务": 3, "办公用品": 1}),
        DepartmentKind("人力资源部", 0.3, {"劳务外包": 3, "咨询服务": 1}),
    ),
    branch_name="{short}项目经理部",
    branch_mix={
        "建筑材料": 6,
        "劳务分包": 4,
        "机械租赁": 4,
        "专业分包": 2,
        "物资材料": 2,
        "特种设备检验": 1,
        "技术服务": 1,
        "办公用品": 1,
        "车辆维修": 1,
        "后勤物业": 1,
    },
    branch_volume=1.4,
    branch_volume_sigma=0.8,
    branches_base=4,
    branches_per_decade=5.0,
    staff_per_order=0.035,
    suppliers_per_order=0.13,
    categories=_categories(
        "建筑材料",
        "劳务分包",
        "专业分包",
        "机械租赁",
        "工程施工",
        "物资材料",
        "生产设备",
        "备品备件",
        "技术服务",
        "咨询服务",
        "特种设备检验",
        "IT设备",
        "办公用品",
        "劳务外包",
        "后勤物业",
        "车辆维修",
        "电力",
        "自来水",
        "通信服务",
    ),
    small_order_categories=("办公用品", "物资材料", "建筑材料", "机械租赁", "车辆维修", "技术服务"),
    job_categories=("劳务分包", "专业分包", "工程施工", "技术服务"),
    goods_categories=("建筑材料", "物资材料", "办公用品", "IT设备"),
    cobidder_categories=("专业分包", "劳务分包"),
    big_contract_category="专业分包",
    utility_categories=("电力", "自来水", "通信服务"),
    internal_companies=(
        ("物资贸易", "建筑材料"),
        ("机械设备租赁", "机械租赁"),
        ("劳务", "劳务分包"),
        ("设计研究院", "咨询服务"),
    ),
    spare_part_category="备品备件",
    oem_makers=(
        ("三一重工股份有限公司", "三一"),
        ("中联重科股份有限公司", "中联"),
        ("徐工集团工程机械股份有限公司", "徐工"),
    ),
    niche_category="特种设备检验",
    approval=Approval(
        limits=(30_000, 300_000, 2_000_000),
        roles=("项目经理", "分管副总经理", "总经理", "董事长"),
        manager_title="项目经理",
        deputy_title="项目副经理",
        vp_title="分管副总经理",
        working_hours=("07:30", "18:00"),
        open_tender_threshold=3_000_000,
        split_window_days=10,
        exempt_categories=(),
        overtime=0.04,
        weekend=0.05,
        direct_award_cap=0.98,
        cap_window_days=365,
    ),
    market=Market(
        methods=_bands(
            (10_000, ((0.7, "direct"), (0.3, "inquiry"))),
            (30_000, ((0.6, "inquiry"), (0.3, "negotiation"), (0.1, "direct"))),
            (300_000, ((0.4, "inquiry"), (0.45, "negotiation"), (0.1, "invited"), (0.05, "single_source"))),
            (3_000_000, ((0.5, "invited"), (0.1, "open"), (0.35, "negotiation"), (0.05, "single_source"))),
            (None, ((0.6, "open"), (0.4, "invited"))),
        ),
        popularity_exponent=0.6,
        own_region_preference=6.0,
        incumbency=0.4,
        rivals=(2, 5),
        bid_spread=0.025,
        second_lowest_wins=0.25,
        close_bids=0.1,
        ties=0.02,
    ),
    seasonality=Seasonality(
        month_factors=(0.7, 0.3, 1.1, 1.2, 1.2, 1.1, 0.8, 0.8, 1.1, 1.2, 1.3, 1.3),
        quarter_end=0.2,
        year_end=0.6,
        spring_festival=0.25,
    ),
    formats=Formats(
        employee_id=IdFormat("", 6, start=200_001),
        supplier_id=IdFormat("GYS", 5),
        person_id=IdFormat("GR", 6),
        department_id=IdFormat("XM", 3),
        contract_id=IdFormat("ZTJG-HT-", 5, yearly=True, separator="-"),
        tender_id=IdFormat("ZTJG-ZB-", 4, yearly=True, separator="-"),
        payment_id=IdFormat("ZF", 8),
        phone_styles=(0.35, 0.3, 0.15, 0.05, 0.05, 0.0, 0.1),
        account_styles=(0.4, 0.45, 0.1, 0.05),
        address_full_width=0.15,
        address_spaced=0.2,
        address_no_province=0.2,
        address_country=0.02,
        bracketed_place=0.25,
        latin_suppliers=0.0,
        padded_names=0.15,
        phone_extensions=0.02,
    ),
    noise=Noise(
        blank_department=0.01,
        blank_requester=0.08,
        blank_category=0.02,
        missing_item=0.05,
        missing_unit_price=0.2,
        blank_decision=0.1,
        blank_payee_name=0.15,
        employee_blank_phone=0.08,
        employee_blank_address=0.3,
        supplier_blank_phone=0.1,
        supplier_blank_address=0.08,
        wrong_check_characters=0.03,
        tenders_without_bids=0.1,
        duplicate_vendors=0.02,
    ),
    look_alikes=LookAlikes(
        utility_bills=True,
        bill_share=0.06,
        framework_agreements=1.5,
        calloff_at_agreement_level=0.4,
        branch_offices=True,
        supplier_groups=3,
        oem_makers=3,
        year_end_rush=True,
        small_markets=True,
        label_roughness=True,
    ),
    schemes=SchemePlay(
        ring_sizes=(5, 3, 7, 4, 6),
        ring_tenders=(7, 12),
        cover_margin=(0.003, 0.02),
        winner_markup=(1.03, 1.1),
        ring_outsider=0.5,
        ring_outside_bids=2,
        ring_allocation=0.5,
        favoritism_share=(0.5, 0.8),
        established_favourite=0.5,
        split_parts=(3, 7),
        split_fill=(0.75, 0.99),
        relative_ties=("legal_rep", "owns", "holding", "owns+legal_rep"),
        price_factor=(1.5, 2.2),
        after_hours_orders=(6, 12),
    ),
)

MANUFACTURING = Profile(
    name="manufacturing",
    title=("北方重型机械集团（制造）", "Northern Heavy Machinery Group (manufacturing)"),
    group_name="北方重型机械集团",
    hq_region=_region("辽宁"),
    branch_regions=(
        _region("河北"),
        _region("山东"),
        _region("江苏"),
        _region("河南"),
        _region("陕西"),
        _region("四川"),
        _region("湖北"),
        _region("安徽"),
        _region("浙江"),
        _region("湖南"),
    ),
    hq_address="辽宁省沈阳市沈河区青年大街219号北方重机大厦",
    switchboard="02423868000",
    hq_departments=(
        DepartmentKind("采购中心", 4.0, {"原材料": 6, "外协加工": 3, "包装材料": 1, "物资材料": 2}),
        DepartmentKind(
            "设备动力部",
            2.2,
            {"备品备件": 5, "生产设备": 3, "技术服务": 1, "特种设备检验": 1, "电力": 1, "燃气": 1},
        ),
        DepartmentKind("生产制造部", 2.0, {"刀具量具": 4, "外协加工": 3, "物资材料": 2, "包装材料": 1}),
        DepartmentKind("物流部", 0.8, {"物流运输": 5, "包装材料": 2, "车辆维修": 1}),
        DepartmentKind("质量管理部", 0.5, {"技术服务": 3, "刀具量具": 2, "咨询服务": 1}),
        DepartmentKind("技术研发中心", 0.7, {"技术服务": 3, "IT设备": 2, "咨询服务": 2, "原材料": 1}),
        DepartmentKind("信息中心", 0.5, {"IT设备": 4, "技术服务": 3, "通信服务": 1}),
        DepartmentKind("综合办公室", 0.5, {"办公用品": 4, "后勤物业": 3, "车辆维修": 2, "自来水": 1}),
        DepartmentKind("财务部", 0.2, {"咨询服务": 3, "办公用品": 1}),
        DepartmentKind("人力资源部", 0.3, {"劳务外包": 4, "咨询服务": 1}),
    ),
    branch_name="{short}制造基地",
    branch_mix={
        "原材料": 5,
        "外协加工": 3,
        "备品备件": 3,
        "刀具量具": 2,
        "包装材料": 1,
        "物流运输": 2,
        "物资材料": 2,
        "劳务外包": 1,
        "办公用品": 1,
        "后勤物业": 1,
    },
    branch_volume=3.0,
    branch_volume_sigma=0.3,
    branches_base=2,
    branches_per_decade=3.0,
    staff_per_order=0.02,
    suppliers_per_order=0.08,
    categories=_categories(
        "原材料",
        "外协加工",
        "备品备件",
        "刀具量具",
        "包装材料",
        "物流运输",
        "物资材料",
        "生产设备",
        "技术服务",
        "特种设备检验",
        "咨询服务",
        "IT设备",
        "办公用品",
        "劳务外包",
        "后勤物业",
        "车辆维修",
        "电力",
        "燃气",
        "自来水",
        "通信服务",
    ),
    small_order_categories=("刀具量具", "包装材料", "物资材料", "办公用品", "备品备件", "技术服务"),
    job_categories=("外协加工", "技术服务", "物流运输", "后勤物业"),
    goods_categories=("原材料", "刀具量具", "物资材料", "包装材料"),
    cobidder_categories=("外协加工", "物流运输"),
    big_contract_category="生产设备",
    utility_categories=("电力", "燃气", "自来水", "通信服务"),
    internal_companies=(
        ("物流", "物流运输"),
        ("铸锻", "外协加工"),
        ("后勤服务", "后勤物业"),
    ),
    spare_part_category="备品备件",
    oem_makers=(
        ("Beijing FANUC Mechatronics Co., Ltd.", "FANUC"),
        ("西门子（中国）有限公司", "西门子"),
        ("DMG MORI (Shanghai) Co., Ltd.", "DMG MORI"),
        ("沈阳机床股份有限公司", "沈阳机床"),
        ("ABB（中国）有限公司", "ABB"),
    ),
    niche_category="特种设备检验",
    approval=Approval(
        limits=(20_000, 100_000, 500_000, 2_000_000),
        roles=("部门经理", "分管副总", "财务总监", "总经理", "董事长"),
        working_hours=("08:00", "17:00"),
        open_tender_threshold=1_000_000,
        split_window_days=14,
        exempt_categories=("电力", "燃气", "自来水"),
        overtime=0.03,
        weekend=0.01,
        direct_award_cap=0.98,
        cap_window_days=365,
    ),
    market=Market(
        methods=_bands(
            (20_000, ((0.3, "direct"), (0.7, "inquiry"))),
            (100_000, ((0.85, "inquiry"), (0.1, "negotiation"), (0.05, "single_source"))),
            (500_000, ((0.6, "inquiry"), (0.2, "negotiation"), (0.15, "invited"), (0.05, "single_source"))),
            (1_000_000, ((0.4, "invited"), (0.2, "open"), (0.3, "negotiation"), (0.1, "single_source"))),
            (None, ((0.7, "open"), (0.3, "invited"))),
        ),
        popularity_exponent=1.3,
        own_region_preference=1.5,
        incumbency=0.6,
        rivals=(2, 6),
        bid_spread=0.05,
        second_lowest_wins=0.1,
        close_bids=0.04,
        ties=0.005,
    ),
    seasonality=Seasonality(
        month_factors=(0.9, 0.6, 1.1, 1.0, 1.0, 1.1, 1.0, 0.9, 1.1, 0.9, 1.0, 1.2),
        quarter_end=0.8,
        year_end=0.4,
        spring_festival=0.5,
    ),
    formats=Formats(
        employee_id=IdFormat("M", 5),
        supplier_id=IdFormat("S", 6, start=300_001),
        person_id=IdFormat("PER", 6),
        department_id=IdFormat("", 4, start=1010),
        contract_id=IdFormat("CG", 5, yearly=True),
        tender_id=IdFormat("XJ", 4, yearly=True),
        payment_id=IdFormat("PAY", 8),
        phone_styles=(0.7, 0.1, 0.05, 0.05, 0.0, 0.05, 0.05),
        account_styles=(0.85, 0.1, 0.0, 0.05),
        address_full_width=0.02,
        address_spaced=0.05,
        address_no_province=0.3,
        address_country=0.05,
        bracketed_place=0.15,
        latin_suppliers=0.06,
        padded_names=0.0,
        phone_extensions=0.1,
    ),
    noise=Noise(
        blank_requester=0.02,
        missing_unit_price=0.03,
        tenders_without_bids=0.02,
        duplicate_vendors=0.03,
    ),
    look_alikes=LookAlikes(
        utility_bills=True,
        bill_share=0.07,
        framework_agreements=2.0,
        calloff_at_agreement_level=0.8,
        branch_offices=True,
        supplier_groups=2,
        oem_makers=5,
        year_end_rush=True,
        small_markets=True,
        emergency_repairs=True,
        label_roughness=True,
    ),
    schemes=SchemePlay(
        ring_sizes=(3, 5, 4, 6, 7),
        ring_tenders=(8, 14),
        cover_margin=(0.015, 0.06),
        winner_markup=(1.04, 1.12),
        ring_outsider=0.2,
        ring_outside_bids=4,
        ring_allocation=0.2,
        favoritism_share=(0.35, 0.6),
        established_favourite=0.2,
        split_parts=(3, 6),
        split_fill=(0.85, 0.995),
        relative_ties=("owns", "owns+legal_rep", "director", "holding"),
        price_factor=(1.8, 3.0),
        after_hours_orders=(6, 10),
    ),
)

CITY = Profile(
    name="city",
    title=("江城公用事业集团（城市公用）", "Jiangcheng Public Utilities Group (city services)"),
    group_name="江城公用事业集团",
    hq_region=Region("江汉", "湖北省", "武汉市", "027", (("江汉区", "420103"),)),
    branch_regions=_city_districts(
        "武汉市",
        "湖北省",
        "027",
        (
            ("江岸区", "420102"),
            ("硚口区", "420104"),
            ("汉阳区", "420105"),
            ("武昌区", "420106"),
            ("青山区", "420107"),
            ("洪山区", "420111"),
            ("东西湖区", "420112"),
            ("蔡甸区", "420114"),
            ("江夏区", "420115"),
            ("黄陂区", "420116"),
            ("新洲区", "420117"),
        ),
    ),
    hq_address="湖北省武汉市江汉区解放大道1088号江城公用大厦",
    switchboard="02785772000",
    leadership_department="集团领导班子",
    hq_departments=(
        DepartmentKind(
            "供水运营部", 2.4, {"水处理药剂": 4, "管材管件": 3, "计量仪表": 2, "电力": 2, "技术服务": 1}
        ),
        DepartmentKind("燃气运营部", 1.6, {"管材管件": 3, "计量仪表": 3, "技术服务": 2, "特种设备检验": 2}),
        DepartmentKind("公交运营部", 2.2, {"车辆购置": 2, "车用燃料": 4, "车辆维修": 4, "电力": 1}),
        DepartmentKind("环卫作业部", 1.4, {"劳务外包": 4, "车辆维修": 2, "车用燃料": 2, "车辆购置": 1}),
        DepartmentKind("管网工程部", 1.8, {"工程施工": 5, "管材管件": 3, "咨询服务": 1}),
        DepartmentKind("物资供应部", 1.2, {"物资材料": 4, "管材管件": 2, "办公用品": 1}),
        DepartmentKind("客户服务中心", 0.6, {"通信服务": 2, "技术服务": 2, "后勤物业": 1, "办公用品": 1}),
        DepartmentKind("信息中心", 0.6, {"IT设备": 4, "技术服务": 4}),
        DepartmentKind("综合办公室", 0.5, {"办公用品": 4, "后勤物业": 3, "燃气": 1}),
        DepartmentKind("财务部", 0.2, {"咨询服务": 3, "办公用品": 1}),
    ),
    branch_name="{short}营业所",
    branch_mix={
        "管材管件": 3,
        "计量仪表": 2,
        "工程施工": 2,
        "物资材料": 2,
        "车辆维修": 2,
        "劳务外包": 1,
        "办公用品": 1,
        "后勤物业": 1,
        "技术服务": 1,
    },
    branch_volume=0.8,
    branch_volume_sigma=0.4,
    branches_base=3,
    branches_per_decade=4.0,
    staff_per_order=0.04,
    suppliers_per_order=0.09,
    categories=_categories(
        "管材管件",
        "水处理药剂",
        "计量仪表",
        "车辆购置",
        "车用燃料",
        "车辆维修",
        "工程施工",
        "物资材料",
        "技术服务",
        "特种设备检验",
        "咨询服务",
        "劳务外包",
        "后勤物业",
        "IT设备",
        "办公用品",
        "电力",
        "燃气",
        "通信服务",
    ),
    small_order_categories=("办公用品", "物资材料", "管材管件", "车辆维修", "技术服务", "IT设备"),
    job_categories=("工程施工", "技术服务", "劳务外包", "后勤物业"),
    goods_categories=("管材管件", "物资材料", "办公用品", "水处理药剂"),
    cobidder_categories=("工程施工", "劳务外包"),
    big_contract_category="车辆购置",
    utility_categories=("电力", "燃气", "通信服务"),
    internal_companies=(
        ("管网工程", "工程施工"),
        ("物业服务", "后勤物业"),
        ("信息科技", "技术服务"),
    ),
    spare_part_category="计量仪表",
    oem_makers=(
        ("宁波水表（集团）股份有限公司", "宁水"),
        ("金卡智能集团股份有限公司", "金卡"),
        ("威胜集团有限公司", "威胜"),
    ),
    niche_category="特种设备检验",
    approval=Approval(
        limits=(50_000, 300_000, 1_000_000),
        roles=("科室负责人", "分管副总经理", "总经理", "董事长"),
        manager_title="科室负责人",
        deputy_title="科室副职",
        vp_title="分管副总经理",
        working_hours=("09:00", "17:30"),
        open_tender_threshold=1_000_000,
        split_window_days=30,
        exempt_categories=("电力",),
        overtime=0.01,
        weekend=0.002,
        direct_award_cap=0.98,
        cap_window_days=365,
    ),
    market=Market(
        methods=_bands(
            (10_000, ((0.6, "direct"), (0.4, "inquiry"))),
            (50_000, ((0.9, "inquiry"), (0.1, "negotiation"))),
            (300_000, ((0.5, "inquiry"), (0.25, "negotiation"), (0.2, "invited"), (0.05, "single_source"))),
            (1_000_000, ((0.3, "invited"), (0.5, "open"), (0.15, "negotiation"), (0.05, "single_source"))),
            (None, ((0.95, "open"), (0.05, "invited"))),
        ),
        popularity_exponent=0.9,
        own_region_preference=1.2,
        incumbency=0.35,
        rivals=(3, 8),
        bid_spread=0.04,
        second_lowest_wins=0.05,
        close_bids=0.08,
        ties=0.015,
    ),
    seasonality=Seasonality(
        month_factors=(0.5, 0.4, 0.7, 0.9, 1.0, 1.0, 1.0, 0.9, 1.1, 1.1, 1.4, 2.0),
        quarter_end=0.2,
        year_end=1.5,
        spring_festival=0.4,
    ),
    formats=Formats(
        employee_id=IdFormat("GY", 5),
        supplier_id=IdFormat("JC-V", 5),
        person_id=IdFormat("JC-P", 5),
        department_id=IdFormat("JC", 3, start=101),
        contract_id=IdFormat("JCGY", 5, yearly=True),
        tender_id=IdFormat("JCZB", 4, yearly=True),
        payment_id=IdFormat("JCFK", 6, yearly=True),
        phone_styles=(0.45, 0.15, 0.2, 0.05, 0.05, 0.05, 0.05),
        account_styles=(0.5, 0.35, 0.1, 0.05),
        address_full_width=0.08,
        address_spaced=0.15,
        address_no_province=0.5,
        address_country=0.0,
        bracketed_place=0.05,
        latin_suppliers=0.01,
        padded_names=0.3,
        phone_extensions=0.15,
    ),
    noise=Noise(
        blank_requester=0.12,
        missing_item=0.02,
        missing_unit_price=0.08,
        blank_decision=0.2,
        tenders_without_bids=0.05,
        duplicate_vendors=0.015,
        employee_blank_phone=0.1,
    ),
    look_alikes=LookAlikes(
        utility_bills=True,
        bill_share=0.1,
        framework_agreements=1.5,
        calloff_at_agreement_level=1.0,
        branch_offices=True,
        supplier_groups=2,
        oem_makers=3,
        year_end_rush=True,
        small_markets=True,
        emergency_repairs=True,
        label_roughness=True,
    ),
    schemes=SchemePlay(
        ring_sizes=(3, 4, 6, 5, 7),
        ring_tenders=(6, 10),
        cover_margin=(0.005, 0.03),
        winner_markup=(1.02, 1.09),
        ring_outsider=0.6,
        ring_outside_bids=2,
        ring_allocation=0.4,
        favoritism_share=(0.45, 0.75),
        established_favourite=0.4,
        split_parts=(2, 5),
        split_fill=(0.88, 0.999),
        relative_ties=("owns+legal_rep", "director", "owns", "legal_rep"),
        price_factor=(1.7, 2.5),
        after_hours_orders=(5, 9),
    ),
)

#: Profiles by name; ``classic`` is the default.
PROFILES: dict[str, Profile] = {p.name: p for p in (CLASSIC, ENERGY, CONSTRUCTION, MANUFACTURING, CITY)}
#: Names accepted by ``sunlight generate --profile`` (``random`` draws one from the seed).
PROFILE_NAMES: tuple[str, ...] = (*PROFILES, "random")


def get_profile(name: str, seed: int = 7) -> Profile:
    """The profile called ``name``; ``random`` draws one from ``seed``."""
    if name == "random":
        return random_profile(seed)
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown profile {name!r}; expected one of {', '.join(PROFILE_NAMES)}") from None


def _nice(amount: float) -> int:
    """An amount rounded to one or two significant figures as policies write them.

    >>> _nice(47_300), _nice(1_234_567), _nice(260_000)
    (50000, 1000000, 250000)
    """
    steps = np.array([1, 2, 2.5, 3, 5, 10])
    scale = 10 ** int(np.floor(np.log10(amount)))
    return int(steps[np.abs(steps * scale - amount).argmin()] * scale)


def random_profile(seed: int) -> Profile:
    """A profile whose parameters are drawn from ``seed``: one of the non-classic
    organisations' structure, with its policy, market, writing, noise, seasons and
    scheme play drawn anew. The same seed gives the same profile."""
    rng = np.random.default_rng([seed, 0x5EED])
    bases = [p for p in PROFILES.values() if not p.is_classic]
    base = bases[int(rng.integers(len(bases)))]
    levels = int(rng.integers(2, 5))
    first = float(rng.choice([10_000, 20_000, 30_000, 50_000, 100_000]))
    ratios = rng.uniform(3, 8, levels - 1)
    limits = tuple(_nice(first * float(np.prod(ratios[:i]))) for i in range(levels))
    threshold = _nice(limits[-1] * float(rng.uniform(0.8, 3)))
    roles = (
        base.approval.roles[0],
        base.approval.roles[1],
        *("总会计师", "总经理", "董事长")[-(levels - 1) :],
    )
    start = str(rng.choice(["07:30", "08:00", "08:30", "09:00"]))
    end = str(rng.choice(["17:00", "17:30", "18:00", "19:00"]))
    open_share = float(rng.uniform(0.1, 0.6))
    small, mid, big = limits[0], limits[min(1, levels - 1)], threshold
    methods = _bands(
        (_nice(small / 3), ((float(rng.uniform(0.2, 0.8)), "direct"), (0.5, "inquiry"))),
        (small, ((0.7, "inquiry"), (float(rng.uniform(0.05, 0.3)), "negotiation"), (0.05, "single_source"))),
        (
            max(mid, small + 1),
            (
                (0.5, "inquiry"),
                (0.3, "negotiation"),
                (float(rng.uniform(0.05, 0.3)), "invited"),
                (0.04, "single_source"),
            ),
        ),
        (
            max(big, mid + 2),
            (
                (0.4, "invited"),
                (open_share, "open"),
                (0.25, "negotiation"),
                (float(rng.uniform(0.01, 0.1)), "single_source"),
            ),
        ),
        (None, ((float(rng.uniform(0.55, 0.95)), "open"), (0.2, "invited"))),
    )

    def share(low: float, high: float) -> float:
        return round(float(rng.uniform(low, high)), 3)

    def weights(n: int) -> tuple[float, ...]:
        w = rng.dirichlet(np.r_[4.0, np.ones(n - 1)])
        return tuple(round(float(x), 3) for x in w)

    def span(low: float, high: float, width: float) -> tuple[float, float]:
        a = float(rng.uniform(low, high - width))
        return (round(a, 3), round(a + width, 3))

    sizes = tuple(int(x) for x in rng.permutation(np.arange(3, 8)))
    ties = ("owns+legal_rep", "owns", "legal_rep", "director", "holding")
    return dataclasses.replace(
        base,
        name="random",
        title=(
            f"随机组织（{base.title[0]}，种子 {seed}）",
            f"Random organisation ({base.name} structure, seed {seed})",
        ),
        branch_volume_sigma=share(0.0, 1.0),
        approval=dataclasses.replace(
            base.approval,
            limits=limits,
            roles=roles,
            working_hours=(start, end),
            open_tender_threshold=threshold,
            split_window_days=int(rng.choice([7, 10, 14, 30])),
            exempt_categories=tuple(c for c in base.utility_categories if rng.random() < 0.5),
            overtime=share(0.005, 0.05),
            weekend=share(0.001, 0.05),
        ),
        market=dataclasses.replace(
            base.market,
            methods=methods,
            popularity_exponent=share(0.5, 1.4),
            own_region_preference=share(1.0, 6.0),
            incumbency=share(0.0, 0.7),
            bid_spread=share(0.02, 0.06),
            second_lowest_wins=share(0.03, 0.3),
            close_bids=share(0.0, 0.12),
            ties=share(0.0, 0.03),
        ),
        seasonality=Seasonality(
            month_factors=tuple(round(float(x), 2) for x in rng.uniform(0.6, 1.4, 12)),
            quarter_end=share(0.0, 1.0),
            year_end=share(0.0, 1.5),
            spring_festival=share(0.2, 1.0),
        ),
        formats=dataclasses.replace(
            base.formats,
            phone_styles=weights(7),
            account_styles=weights(4),
            address_full_width=share(0.0, 0.2),
            address_spaced=share(0.0, 0.3),
            address_no_province=share(0.0, 0.5),
            address_country=share(0.0, 0.05),
            bracketed_place=share(0.0, 0.3),
            latin_suppliers=share(0.0, 0.08),
            padded_names=share(0.0, 0.3),
            phone_extensions=share(0.0, 0.15),
        ),
        noise=Noise(
            blank_department=share(0.0, 0.02),
            blank_requester=share(0.0, 0.15),
            blank_category=share(0.0, 0.03),
            missing_item=share(0.0, 0.06),
            missing_unit_price=share(0.0, 0.25),
            blank_decision=share(0.0, 0.2),
            blank_payee_name=share(0.0, 0.2),
            employee_blank_phone=share(0.0, 0.1),
            employee_blank_address=share(0.0, 0.4),
            supplier_blank_phone=share(0.0, 0.1),
            supplier_blank_address=share(0.0, 0.1),
            wrong_check_characters=share(0.0, 0.04),
            passports=share(0.0, 0.01),
            tenders_without_bids=share(0.0, 0.12),
            duplicate_vendors=share(0.0, 0.03),
        ),
        look_alikes=dataclasses.replace(
            base.look_alikes,
            bill_share=share(0.04, 0.12),
            framework_agreements=share(0.5, 2.0),
            calloff_at_agreement_level=share(0.0, 1.0),
            supplier_groups=int(rng.integers(1, 4)),
            oem_makers=int(rng.integers(2, len(base.oem_makers) + 1)),
            emergency_repairs=bool(rng.random() < 0.5),
        ),
        schemes=SchemePlay(
            ring_sizes=sizes,
            ring_tenders=(int(rng.integers(5, 9)), int(rng.integers(10, 15))),
            cover_margin=span(0.002, 0.07, 0.02),
            winner_markup=span(1.0, 1.12, 0.04),
            ring_outsider=share(0.0, 0.7),
            ring_outside_bids=int(rng.integers(0, 5)),
            ring_allocation=share(0.0, 0.6),
            favoritism_share=span(0.3, 0.85, 0.2),
            established_favourite=share(0.0, 0.6),
            split_parts=(int(rng.integers(2, 4)), int(rng.integers(5, 8))),
            split_fill=span(0.7, 0.999, 0.15),
            relative_ties=tuple(str(t) for t in rng.permutation(ties)),
            price_factor=span(1.5, 3.0, 0.6),
            after_hours_orders=(int(rng.integers(4, 7)), int(rng.integers(8, 13))),
        ),
    )

"""The background organisation: departments, staff, suppliers with their owners,
staff relatives, and the routine purchase orders before any scheme is planted.

Parties are kept as pandas frames indexed by position (the position is the
entity's number until ids are written); purchase orders are numpy arrays, so
every step over them is vectorised.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import names
from .catalog import (
    APPROVAL_LIMITS,
    BRANCH_MIX,
    BRANCH_VOLUME,
    CATEGORIES,
    GROUP_NAME,
    HOLIDAYS,
    HQ_DEPARTMENTS,
    HQ_REGION,
    LEADERSHIP_DEPARTMENT,
    REGIONS,
    UTILITY_CATEGORY,
    Region,
    category_mix,
)

__all__ = ["DAY", "END_DAY", "START", "Contracts", "Sizes", "World", "approval_levels", "build_world"]

START = np.datetime64("2023-01-01", "D")
#: Days covered by the extract (2023-01-01 .. 2025-12-31); nothing is dated later.
SPAN_DAYS = 1096
END_DAY = SPAN_DAYS - 1
BUSDAYS = np.busdaycalendar(weekmask="1111100", holidays=np.array(HOLIDAYS, dtype="datetime64[D]"))
NO_LEAVE = 10**6
DAY = 86_400
FIRST_REQUEST_DAY = 25

# Roles, lowest first. Deputies and managers both sign level 1 for their department.
STAFF, DEPUTY, MANAGER, VP, CEO, CHAIR = range(6)
#: Schemes that each take a level-1 signer (manager or deputy) of their own, per instance,
#: and the signers kept free beyond them.
SIGNERS_PER_INSTANCE = 6
SPARE_SIGNERS = 10
STAFF_POSITIONS = np.array(["采购员", "业务主管", "工程师", "业务专员", "技术员"])
STAFF_POSITION_P = np.array([0.34, 0.14, 0.22, 0.2, 0.1])

# How often each writing style of a phone or account number is used (style 0 = plain digits).
PHONE_STYLE_WEIGHTS = (0.6, 0.12, 0.1, 0.08, 0.03, 0.02, 0.05)
ACCOUNT_STYLE_WEIGHTS = (0.75, 0.18, 0.03, 0.04)

# Items of every category, flattened: category, name, unit, typical unit price (NaN = lump sum).
ITEM_CATEGORY = np.array([ci for ci, c in enumerate(CATEGORIES) for _ in c.items])
ITEM_NAME = np.array([it.name for c in CATEGORIES for it in c.items], dtype=object)
ITEM_UNIT = np.array([it.unit for c in CATEGORIES for it in c.items], dtype=object)
ITEM_PRICE = np.array(
    [np.nan if it.unit_price is None else it.unit_price for c in CATEGORIES for it in c.items]
)


@dataclass(frozen=True)
class Sizes:
    """How big each part of the organisation is for a given number of purchase orders."""

    contracts: int
    staff: int
    suppliers: int
    branches: int
    instances: int

    @classmethod
    def for_scale(cls, scale: int) -> Sizes:
        instances = max(2, round(4 + 3 * math.log10(scale / 2000)))
        return cls(
            contracts=scale,
            staff=max(80, round(0.03 * scale)),
            suppliers=max(120, round(0.10 * scale)),
            branches=int(np.clip(round(2 + 4 * math.log10(scale / 1000)), 2, len(REGIONS))),
            instances=instances,
        )


@dataclass
class Contracts:
    """Purchase orders as parallel arrays; money in integer fen (1/100 yuan)."""

    dept: np.ndarray
    cat: np.ndarray
    item: np.ndarray
    quantity: np.ndarray
    unit_fen: np.ndarray
    amount_fen: np.ndarray
    supplier: np.ndarray
    requester: np.ndarray
    approver1: np.ndarray
    request_day: np.ndarray
    #: index into METHODS, or -1 to choose by amount
    method: np.ndarray
    #: approvals and signing follow each other without delay (a rushed purchase)
    fast: np.ndarray
    #: taken by a scheme or decoy: later schemes leave it alone
    reserved: np.ndarray
    #: a step-1 approval time forced by a scheme (seconds from START), or -1
    step1_time: np.ndarray

    def __len__(self) -> int:
        return len(self.dept)


@dataclass
class World:
    rng: np.random.Generator
    sizes: Sizes
    regions: list[Region] = field(default_factory=list)
    dept_names: list[str] = field(default_factory=list)
    dept_region: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    dept_volume: np.ndarray = field(default_factory=lambda: np.zeros(0))
    dept_mix: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    employees: pd.DataFrame = field(default_factory=pd.DataFrame)
    suppliers: pd.DataFrame = field(default_factory=pd.DataFrame)
    persons: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: (src_type, src, relation, dst_type, dst, share, since_day)
    relations: list[tuple[str, int, str, str, int, float | None, int | None]] = field(default_factory=list)
    contracts: Contracts | None = None
    managers_of: list[np.ndarray] = field(default_factory=list)
    requesters_of: list[np.ndarray] = field(default_factory=list)
    vp_of: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    ceo: int = -1
    chairman: int = -1
    #: (scheme, instance number, entity type, reference); references are resolved when written
    labels: list[tuple[str, int, str, object]] = field(default_factory=list)
    #: parties a scheme or decoy names: later schemes pass them over, noise never blanks their fields
    protected_employees: set[int] = field(default_factory=set)
    protected_suppliers: set[int] = field(default_factory=set)
    #: contract -> (bidders, their bids in fen) of a tender a scheme scripted; the contract's
    #: supplier is the winner
    scripted_tenders: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    #: contract -> (payee account as written, payee name, share of the amount) diverted to a person
    diverted_payments: dict[int, tuple[str, str, float]] = field(default_factory=dict)
    #: (employee, supplier) pairs that must never meet on an order's requester line
    kept_apart: list[tuple[int, int]] = field(default_factory=list)
    _serial: int = 0
    _id_bodies: set[str] = field(default_factory=set)
    _company_names: set[str] = field(default_factory=set)
    _offsets: tuple[int, int, int, int] = (0, 0, 0, 0)

    # ---- helpers ----------------------------------------------------------------------
    def serials(self, n: int) -> np.ndarray:
        """Running numbers that make phones and accounts unique across all parties."""
        out = np.arange(self._serial, self._serial + n)
        self._serial += n
        return out

    @property
    def procuring_departments(self) -> np.ndarray:
        return np.flatnonzero(self.dept_volume > 0)

    def label(self, scheme: str, instance: int, entity_type: str, ref: object) -> None:
        self.labels.append((scheme, instance, entity_type, ref))
        if entity_type == "employee":
            self.protected_employees.add(int(ref))  # type: ignore[call-overload]
        elif entity_type == "supplier":
            self.protected_suppliers.add(int(ref))  # type: ignore[call-overload]

    # ---- parties ----------------------------------------------------------------------
    def new_persons(
        self,
        genders: np.ndarray,
        region_index: np.ndarray,
        *,
        surnames: np.ndarray | None = None,
        phone_share: float = 0.8,
        id_share: float = 0.7,
        bank_share: float = 0.2,
        address_share: float = 0.4,
    ) -> np.ndarray:
        """Append people to persons.csv; returns their positions."""
        rng = self.rng
        n = len(genders)
        serials = self.serials(n)
        birth = _birth_dates(rng, rng.integers(25, 70, n))
        region_codes = _region_codes(rng, self.regions, region_index)
        phone_digits = names.mobile_numbers(rng, serials, self._offsets[0])
        bank_digits = names.personal_accounts(rng, serials, self._offsets[2])
        frame = pd.DataFrame(
            {
                "name": names.person_names(rng, genders, surnames),
                "gender": genders,
                "phone_digits": phone_digits,
                "phone": _written_phones(rng, phone_digits),
                "id_number": names.id_numbers(rng, region_codes, birth, genders, self._id_bodies),
                "bank_digits": bank_digits,
                "bank_account": _written_accounts(rng, bank_digits),
                "address": names.home_addresses(rng, self.regions, region_index),
            }
        )
        for column, share in (
            ("phone", phone_share),
            ("id_number", id_share),
            ("bank_account", bank_share),
            ("address", address_share),
        ):
            frame.loc[rng.random(n) >= share, column] = ""
        start = len(self.persons)
        self.persons = pd.concat([self.persons, frame], ignore_index=True)
        return np.arange(start, start + n)

    def new_suppliers(
        self,
        categories: np.ndarray,
        region_index: np.ndarray,
        *,
        kind: str,
        weights: np.ndarray | None = None,
        names_given: np.ndarray | None = None,
        small: bool = False,
    ) -> np.ndarray:
        """Append suppliers; ``small`` ones are young and thinly capitalised (typical of a front company)."""
        rng = self.rng
        n = len(categories)
        serials = self.serials(n)
        if names_given is None:
            names_given = names.company_names(
                rng, categories, self.regions, region_index, self._company_names
            )
        region_codes = _region_codes(rng, self.regions, region_index)
        landline = rng.random(n) < 0.6
        area_codes = np.array([self.regions[r].area_code for r in region_index], dtype=object)
        phone_digits = np.where(
            landline,
            names.landline_numbers(area_codes, serials, self._offsets[1]),
            names.mobile_numbers(rng, serials, self._offsets[0]),
        )
        bank_digits = names.corporate_accounts(rng, serials, self._offsets[3])
        genders = np.where(rng.random(n) < 0.85, "M", "F")
        if small:
            registered = -rng.integers(60, 500, n)
            capital = rng.choice([500_000, 1_000_000, 2_000_000, 3_000_000], n)
        else:
            registered = -rng.integers(200, 9_000, n)
            capital = np.clip(np.round(np.exp(rng.normal(math.log(1e7), 1.2, n)), -4), 100_000, 5e9)
        frame = pd.DataFrame(
            {
                "name": names_given,
                "category": categories.astype(int),
                "region": region_index.astype(int),
                "kind": kind,
                "weight": np.zeros(n) if weights is None else weights.astype(float),
                "credit_code": names.credit_codes(rng, region_codes),
                "legal_rep": names.person_names(rng, genders),
                "phone_digits": phone_digits,
                "phone": _written_phones(rng, phone_digits),
                "address": names.office_addresses(rng, self.regions, region_index),
                "bank_digits": bank_digits,
                "bank_account": _written_accounts(rng, bank_digits),
                "registered_day": registered.astype(int),
                "registered_capital": capital.astype(np.int64),
                "blacklisted": np.zeros(n, dtype=bool),
                "price_level": np.exp(rng.normal(0.0, 0.05, n)),
            }
        )
        start = len(self.suppliers)
        self.suppliers = pd.concat([self.suppliers, frame], ignore_index=True)
        return np.arange(start, start + n)

    def relate(
        self,
        src_type: str,
        src: int,
        relation: str,
        dst_type: str,
        dst: int,
        share: float | None = None,
        since_day: int | None = None,
    ) -> None:
        self.relations.append((src_type, int(src), relation, dst_type, int(dst), share, since_day))

    # ---- purchase orders --------------------------------------------------------------
    def price(
        self,
        idx: np.ndarray,
        targets_yuan: np.ndarray,
        *,
        max_unit_share: float = 1.0,
        price_factor: np.ndarray | float = 1.0,
        cap: bool = False,
        item: int | None = None,
    ) -> None:
        """Choose items and set quantity, unit price and amount near ``targets_yuan``.

        An item is eligible when its unit price is at most ``max_unit_share`` of the
        target (lump-sum items always are). With ``cap`` the amount never exceeds
        the target (quantities round down), so a scheme can stay under a limit.
        """
        c = self.contracts
        assert c is not None
        rng = self.rng
        idx = np.asarray(idx, dtype=np.int64)
        targets = np.asarray(targets_yuan, dtype=float)
        factor = np.broadcast_to(np.asarray(price_factor, dtype=float), idx.shape)
        if item is not None:
            chosen = np.full(len(idx), item)
        else:
            chosen = np.empty(len(idx), dtype=np.int64)
            for cat in np.unique(c.cat[idx]):
                rows = np.flatnonzero(c.cat[idx] == cat)
                items = np.flatnonzero(cat == ITEM_CATEGORY)
                prices = ITEM_PRICE[items]
                affordable = targets[rows, None] * max_unit_share >= prices[None, :]
                eligible = np.isnan(prices)[None, :] | affordable
                scores = np.where(eligible, rng.random((len(rows), len(items))), -1.0)
                pick = scores.argmax(axis=1)
                none = ~eligible.any(axis=1)
                pick[none] = np.nanargmin(np.where(np.isnan(prices), np.inf, prices))
                chosen[rows] = items[pick]
        base = ITEM_PRICE[chosen]
        lump = np.isnan(base)
        level = self.suppliers["price_level"].to_numpy()[c.supplier[idx]]
        unit_yuan = np.where(lump, 0.0, base * level * factor * np.exp(rng.normal(0.0, 0.06, len(idx))))
        unit_fen = np.where(unit_yuan >= 100, np.round(unit_yuan) * 100, np.round(unit_yuan * 100))
        unit_fen = np.maximum(unit_fen, 1).astype(np.int64)
        qty = np.floor(targets * 100 / unit_fen) if cap else np.round(targets * 100 / unit_fen)
        qty = np.maximum(qty, 1).astype(np.int64)
        # Lump sums: whole hundreds of yuan for large jobs, whole yuan below.
        step = np.where(targets >= 100_000, 10_000, 100)
        rounding = np.floor if cap else np.round
        lump_fen = np.maximum(rounding(targets * 100 / step) * step, 100).astype(np.int64)
        c.item[idx] = chosen
        c.quantity[idx] = np.where(lump, 1, qty)
        c.unit_fen[idx] = np.where(lump, lump_fen, unit_fen)
        c.amount_fen[idx] = c.quantity[idx] * c.unit_fen[idx]

    def draw_amounts(self, cats: np.ndarray) -> np.ndarray:
        """Contract values (yuan) from each category's lognormal distribution."""
        medians = np.array([c.median_amount for c in CATEGORIES])[cats]
        sigmas = np.array([c.sigma for c in CATEGORIES])[cats]
        return np.clip(np.exp(self.rng.normal(np.log(medians), sigmas)), 300, 3e8)

    def reassign_requesters(self, idx: np.ndarray, *, avoid: int = -1) -> None:
        """Give contracts a requester of their department who is on the payroll that day."""
        c = self.contracts
        assert c is not None
        emp = self.employees
        hire = emp["hire_day"].to_numpy()
        leave = emp["leave_day"].to_numpy()
        for _ in range(30):
            if not len(idx):
                return
            for d in np.unique(c.dept[idx]):
                rows = idx[c.dept[idx] == d]
                pool = self.requesters_of[d]
                c.requester[rows] = pool[self.rng.integers(0, len(pool), len(rows))]
            r = c.requester[idx]
            bad = (hire[r] > c.request_day[idx]) | (leave[r] <= c.request_day[idx]) | (r == avoid)
            idx = idx[bad]
        # whoever is left goes to the department's longest-serving requester
        for i in idx:
            pool = [
                e
                for e in self.requesters_of[c.dept[i]]
                if e != avoid and leave[e] == NO_LEAVE and hire[e] <= 0
            ]
            c.requester[i] = pool[0]


def _birth_dates(rng: np.random.Generator, ages: np.ndarray) -> np.ndarray:
    reference = np.datetime64("2025-06-30", "D")
    return reference - (ages * 365.25).astype(int) - rng.integers(0, 365, len(ages))


def _region_codes(rng: np.random.Generator, regions: list[Region], region_index: np.ndarray) -> np.ndarray:
    draws = rng.random(len(region_index))
    return np.array(
        [
            regions[r].districts[int(u * len(regions[r].districts))][1]
            for r, u in zip(region_index, draws, strict=True)
        ]
    )


def _written_phones(rng: np.random.Generator, digits: np.ndarray) -> np.ndarray:
    styles = names.written_styles(rng, len(digits), PHONE_STYLE_WEIGHTS)
    return np.array([names.write_phone(d, s) for d, s in zip(digits, styles, strict=True)], dtype=object)


def _written_accounts(rng: np.random.Generator, digits: np.ndarray) -> np.ndarray:
    styles = names.written_styles(rng, len(digits), ACCOUNT_STYLE_WEIGHTS)
    return np.array([names.write_account(d, s) for d, s in zip(digits, styles, strict=True)], dtype=object)


# ---- building the background ----------------------------------------------------------
def build_world(scale: int, seed: int) -> World:
    rng = np.random.default_rng(seed)
    world = World(rng=rng, sizes=Sizes.for_scale(scale))
    world._offsets = tuple(int(x) for x in rng.integers(0, 10**7, 4))  # type: ignore[assignment]
    _build_departments(world)
    _build_staff(world)
    _build_suppliers(world)
    _build_owners(world)
    _build_relatives(world)
    _build_contracts(world)
    return world


def _build_departments(w: World) -> None:
    w.regions = [HQ_REGION, *REGIONS[: w.sizes.branches]]
    names_ = [LEADERSHIP_DEPARTMENT, *(d.name for d in HQ_DEPARTMENTS)]
    regions = [0] * len(names_)
    volume = [0.0, *(d.volume for d in HQ_DEPARTMENTS)]
    mixes = [np.zeros(len(CATEGORIES)), *(category_mix(d.mix) for d in HQ_DEPARTMENTS)]
    for b, region in enumerate(w.regions[1:], start=1):
        names_.append(f"{region.short}分公司")
        regions.append(b)
        volume.append(BRANCH_VOLUME)
        mixes.append(category_mix(BRANCH_MIX))
    w.dept_names = names_
    w.dept_region = np.array(regions)
    w.dept_volume = np.array(volume)
    w.dept_mix = np.vstack(mixes)


def _build_staff(w: World) -> None:
    rng = w.rng
    procuring = w.procuring_departments
    n_vp = int(np.clip(len(procuring) // 4, 3, 8))
    leaders = 2 + n_vp
    pool = max(w.sizes.staff - leaders, 5 * len(procuring))
    share = w.dept_volume[procuring] / w.dept_volume[procuring].sum()
    headcount = np.maximum(5, np.round(pool * share).astype(int))

    dept, role, position = [0, 0], [CHAIR, CEO], ["董事长", "总经理"]
    dept += [0] * n_vp
    role += [VP] * n_vp
    position += ["分管副总"] * n_vp
    deputies_of = [int(np.clip(hc // 40, 1, 4)) for hc in headcount]
    # Several schemes each need a level-1 signer of their own; where the departments are
    # few and small, add deputies (round robin, keeping three staff per department) so
    # that every instance finds one.
    signers_needed = SIGNERS_PER_INSTANCE * w.sizes.instances + SPARE_SIGNERS
    short = signers_needed - sum(d + 1 for d in deputies_of)
    while short > 0:
        grew = False
        for i, hc in enumerate(headcount):
            if short > 0 and hc - 1 - deputies_of[i] > 3:
                deputies_of[i] += 1
                short -= 1
                grew = True
        if not grew:
            break
    for d, hc, deputies in zip(procuring, headcount, deputies_of, strict=True):
        staff = hc - 1 - deputies
        dept += [int(d)] * hc
        role += [MANAGER] + [DEPUTY] * deputies + [STAFF] * staff
        titles = STAFF_POSITIONS[rng.choice(len(STAFF_POSITIONS), staff, p=STAFF_POSITION_P)].tolist()
        if w.dept_names[d] == "财务部":
            titles = ["会计" if rng.random() < 0.7 else "出纳" for _ in titles]
        position += ["部门经理"] + ["部门副经理"] * deputies + titles
    n = len(dept)
    dept_a, role_a = np.array(dept), np.array(role)
    region = w.dept_region[dept_a]
    is_staff = role_a == STAFF
    genders = np.where(rng.random(n) < np.where(is_staff, 0.6, 0.82), "M", "F")
    ages = np.where(
        role_a >= VP,
        rng.integers(50, 59, n),
        np.where(is_staff, rng.integers(23, 56, n), rng.integers(38, 56, n)),
    )
    birth = _birth_dates(rng, ages)
    # most grew up where they work; some came from elsewhere
    origin = np.where(rng.random(n) < 0.8, region, rng.integers(0, len(w.regions), n))
    region_codes = _region_codes(rng, w.regions, origin)
    serials = w.serials(n)
    phone_digits = names.mobile_numbers(rng, serials, w._offsets[0])
    bank_digits = names.personal_accounts(rng, serials, w._offsets[2])
    career_days = np.maximum((ages - 22) * 365, 30)
    hire = -rng.integers(30, career_days + 31)
    newcomer = is_staff & (rng.random(n) < 0.06)
    hire = np.where(newcomer, rng.integers(30, SPAN_DAYS - 200, n), hire)
    leaver = is_staff & ~newcomer & (rng.random(n) < 0.05)
    leave = np.where(leaver, rng.integers(120, SPAN_DAYS - 30, n), NO_LEAVE)
    w.employees = pd.DataFrame(
        {
            "name": names.person_names(rng, genders),
            "gender": genders,
            "dept": dept_a,
            "role": role_a,
            "position": np.array(position, dtype=object),
            "region": region,
            "hire_day": hire.astype(int),
            "leave_day": leave.astype(int),
            "phone_digits": phone_digits,
            "phone": _written_phones(rng, phone_digits),
            "id_number": names.id_numbers(rng, region_codes, birth, genders, w._id_bodies),
            "bank_digits": bank_digits,
            "bank_account": _written_accounts(rng, bank_digits),
            "address": names.home_addresses(rng, w.regions, region),
        }
    )
    w.chairman, w.ceo = 0, 1
    vps = np.arange(2, 2 + n_vp)
    w.vp_of = np.full(len(w.dept_names), -1)
    w.vp_of[procuring] = vps[np.arange(len(procuring)) % n_vp]
    w.managers_of = [
        np.flatnonzero((dept_a == d) & ((role_a == MANAGER) | (role_a == DEPUTY)))
        for d in range(len(w.dept_names))
    ]
    w.requesters_of = [np.flatnonzero((dept_a == d) & is_staff) for d in range(len(w.dept_names))]
    # every department keeps at least two requesters on the payroll throughout
    for d in procuring:
        core = w.requesters_of[d][:2]
        w.employees.loc[core, "hire_day"] = np.minimum(w.employees.loc[core, "hire_day"], -400)
        w.employees.loc[core, "leave_day"] = NO_LEAVE


def _category_demand(w: World) -> np.ndarray:
    volume = w.dept_volume / w.dept_volume.sum()
    return volume @ w.dept_mix


def _build_suppliers(w: World) -> None:
    rng = w.rng
    n_cat = len(CATEGORIES)
    # Suppliers that schemes will add later count towards the total.
    pool = max(80, w.sizes.suppliers - 11 * w.sizes.instances - 7)
    demand = _category_demand(w)
    demand[UTILITY_CATEGORY] = 0
    per_cat = np.maximum(8, np.round(pool * demand / demand.sum())).astype(int)
    per_cat[UTILITY_CATEGORY] = 0
    cats = np.repeat(np.arange(n_cat), per_cat)
    n = len(cats)
    n_branch_regions = len(w.regions) - 1
    region = np.where(
        (rng.random(n) < 0.45) | (n_branch_regions == 0), 0, rng.integers(1, max(2, n_branch_regions + 1), n)
    )
    # Zipf-like popularity within each category: a few suppliers win most orders.
    weights = np.zeros(n)
    for cat in range(n_cat):
        members = np.flatnonzero(cats == cat)
        ranks = rng.permutation(len(members)) + 1
        weights[members] = ranks**-0.8
    w.new_suppliers(cats, region, kind="pool", weights=weights)
    blacklisted = rng.choice(n, max(1, round(0.005 * n)), replace=False)
    w.suppliers.loc[blacklisted, "blacklisted"] = True
    w.suppliers.loc[blacklisted, "weight"] = 0.0

    # The group's own service companies sit in the headquarters and win a steady share.
    internal = [
        ("物业管理", "后勤物业"),
        ("信息技术", "技术服务"),
        ("物资贸易", "物资材料"),
        ("工程咨询", "咨询服务"),
        ("检测技术", "技术服务"),
        ("后勤服务", "后勤物业"),
    ]
    cat_index = {c.name: i for i, c in enumerate(CATEGORIES)}
    internal_cats = np.array([cat_index[c] for _, c in internal])
    top = np.array([w.suppliers.loc[w.suppliers["category"] == c, "weight"].max() for c in internal_cats])
    ids = w.new_suppliers(
        internal_cats,
        np.zeros(len(internal), dtype=int),
        kind="internal",
        weights=top * 0.8,
        names_given=np.array([f"{GROUP_NAME}{word}有限公司" for word, _ in internal], dtype=object),
    )
    w.suppliers.loc[ids, "registered_capital"] = rng.choice([50_000_000, 100_000_000, 200_000_000], len(ids))
    # The utility: the only seller of electricity, to every department.
    utility = w.new_suppliers(
        np.array([UTILITY_CATEGORY]),
        np.array([0]),
        kind="utility",
        weights=np.ones(1),
        names_given=np.array(["国网北京市电力公司城区供电公司"], dtype=object),
    )
    w.suppliers.loc[utility, "registered_capital"] = 1_000_000_000
    w.suppliers.loc[utility, "registered_day"] = -9_500


def _build_owners(w: World) -> None:
    """Natural-person owners and legal representatives, and a few corporate parents."""
    rng = w.rng
    sup = w.suppliers
    pool = np.flatnonzero(sup["kind"].to_numpy() == "pool")
    owned = np.sort(rng.choice(pool, round(0.35 * len(pool)), replace=False))
    genders = np.where(rng.random(len(owned)) < 0.85, "M", "F")
    owners = w.new_persons(genders, sup.loc[owned, "region"].to_numpy(), bank_share=0.15)
    shares = np.round(rng.uniform(0.51, 1.0, len(owned)), 2)
    registered = sup["registered_day"].to_numpy()
    w.suppliers.loc[owned, "legal_rep"] = w.persons.loc[owners, "name"].to_numpy()
    for s, p, share in zip(owned.tolist(), owners.tolist(), shares.tolist(), strict=True):
        w.relate("person", p, "OWNS", "supplier", s, share, int(registered[s]))
        w.relate("person", p, "LEGAL_REP_OF", "supplier", s, None, int(registered[s]))
    # a second shareholder who also sits on the board
    has_partner = (shares <= 0.9) & (rng.random(len(owned)) < 0.4)
    second = owned[has_partner]
    if len(second):
        genders = np.where(rng.random(len(second)) < 0.7, "M", "F")
        partners = w.new_persons(genders, w.suppliers.loc[second, "region"].to_numpy(), bank_share=0.1)
        rest = np.round(1 - shares[has_partner], 2)
        for s, p, share in zip(second.tolist(), partners.tolist(), rest.tolist(), strict=True):
            w.relate("person", p, "OWNS", "supplier", s, share, int(registered[s]))
            w.relate("person", p, "DIRECTOR_OF", "supplier", s)
    # corporate groups: a parent always comes earlier in a random order, so ownership has no cycles
    order = rng.permutation(pool)
    children = np.flatnonzero(rng.random(len(order)) < 0.04)
    children = children[children > 0]
    for pos in children:
        parent = int(order[rng.integers(0, pos)])
        child = int(order[pos])
        w.relate("supplier", parent, "OWNS", "supplier", child, float(np.round(rng.uniform(0.51, 1.0), 2)))


def _build_relatives(w: World) -> None:
    """Relatives staff declared (亲属关系申报): spouses and kin with no business ties."""
    rng = w.rng
    emp = w.employees
    n = len(emp)
    declaring = np.flatnonzero(rng.random(n) < 0.15)
    spouse = rng.random(len(declaring)) < 0.6
    own_gender = emp.loc[declaring, "gender"].to_numpy()
    genders = np.where(
        spouse, np.where(own_gender == "M", "F", "M"), np.where(rng.random(len(declaring)) < 0.5, "M", "F")
    )
    surnames = np.array([names.surname_of(x) for x in emp.loc[declaring, "name"]], dtype=object)
    kin = w.new_persons(
        genders, emp.loc[declaring, "region"].to_numpy(), phone_share=0.5, id_share=0.6, address_share=0.0
    )
    # kin share the family name; spouses keep their own
    kin_rows = kin[~spouse]
    given = np.array([names.given_name(x) for x in w.persons.loc[kin_rows, "name"]], dtype=object)
    w.persons.loc[kin_rows, "name"] = surnames[~spouse] + given
    home = emp.loc[declaring, "address"].to_numpy()
    together = spouse & (rng.random(len(declaring)) < 0.7)
    w.persons.loc[kin[together], "address"] = home[together]
    for e, p, is_spouse in zip(declaring.tolist(), kin.tolist(), spouse.tolist(), strict=True):
        w.relate("person", p, "SPOUSE_OF" if is_spouse else "RELATIVE_OF", "employee", e)


def _month_weights() -> np.ndarray:
    """Purchasing is slow around the Spring Festival and rushes at year end."""
    days = START + np.arange(SPAN_DAYS)
    months = days.astype("datetime64[M]").astype(int) % 12
    factor = np.array([0.8, 0.6, 1.0, 1.0, 1.0, 1.05, 1.0, 0.95, 1.0, 0.95, 1.2, 1.5])[months]
    return factor


def _build_contracts(w: World) -> None:
    rng = w.rng
    n = w.sizes.contracts
    procuring = w.procuring_departments
    p_dept = w.dept_volume[procuring] / w.dept_volume[procuring].sum()
    dept = procuring[rng.choice(len(procuring), n, p=p_dept)]
    # the first orders of the extract had their tenders in it too
    weights = _month_weights()[FIRST_REQUEST_DAY : SPAN_DAYS - 75]
    request_day = FIRST_REQUEST_DAY + rng.choice(len(weights), n, p=weights / weights.sum())
    cat = np.empty(n, dtype=np.int64)
    approver1 = np.empty(n, dtype=np.int64)
    for d in procuring:
        rows = np.flatnonzero(dept == d)
        cat[rows] = rng.choice(len(CATEGORIES), len(rows), p=w.dept_mix[d])
        managers = w.managers_of[d]
        # the manager signs half, the deputies share the rest
        p = np.full(len(managers), 0.5 / max(1, len(managers) - 1))
        p[0] = 0.5 if len(managers) > 1 else 1.0
        approver1[rows] = managers[rng.choice(len(managers), len(rows), p=p / p.sum())]
    supplier = _choose_suppliers(w, dept, cat)
    w.contracts = Contracts(
        dept=dept,
        cat=cat,
        item=np.zeros(n, dtype=np.int64),
        quantity=np.ones(n, dtype=np.int64),
        unit_fen=np.zeros(n, dtype=np.int64),
        amount_fen=np.zeros(n, dtype=np.int64),
        supplier=supplier,
        requester=np.zeros(n, dtype=np.int64),
        approver1=approver1,
        request_day=request_day.astype(np.int64),
        method=np.full(n, -1, dtype=np.int64),
        fast=np.zeros(n, dtype=bool),
        reserved=np.zeros(n, dtype=bool),
        step1_time=np.full(n, -1, dtype=np.int64),
    )
    w.reassign_requesters(np.arange(n))
    w.price(np.arange(n), w.draw_amounts(cat))


def _choose_suppliers(w: World, dept: np.ndarray, cat: np.ndarray) -> np.ndarray:
    """Popular suppliers win more; a supplier from the buyer's own region a bit more still."""
    rng = w.rng
    sup = w.suppliers
    s_cat = sup["category"].to_numpy()
    s_region = sup["region"].to_numpy()
    s_weight = sup["weight"].to_numpy()
    buyer_region = w.dept_region[dept]
    out = np.empty(len(dept), dtype=np.int64)
    for c in range(len(CATEGORIES)):
        members = np.flatnonzero((s_cat == c) & (s_weight > 0))
        in_cat = cat == c
        for r in np.unique(buyer_region[in_cat]):
            rows = np.flatnonzero(in_cat & (buyer_region == r))
            p = s_weight[members] * np.where(s_region[members] == r, 2.0, 1.0)
            out[rows] = members[rng.choice(len(members), len(rows), p=p / p.sum())]
    return out


def approval_levels(amount_fen: np.ndarray) -> np.ndarray:
    """Steps an amount needs: one, plus one for every approval limit it exceeds."""
    limits = np.array(APPROVAL_LIMITS, dtype=np.int64) * 100
    return 1 + (np.asarray(amount_fen)[:, None] > limits[None, :]).sum(axis=1)

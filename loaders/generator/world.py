"""The background organisation: departments, staff, suppliers with their owners,
staff relatives, and the routine purchase orders before any scheme is planted.

Parties are kept as pandas frames indexed by position (the position is the
entity's number until ids are written); purchase orders are numpy arrays, so
every step over them is vectorised.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import names
from .catalog import HOLIDAYS, METHODS, Region
from .profiles import CLASSIC, CategoryTable, Profile, Seasonality

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


@dataclass(frozen=True)
class Sizes:
    """How big each part of the organisation is for a given number of purchase orders."""

    contracts: int
    staff: int
    suppliers: int
    branches: int
    instances: int

    @classmethod
    def for_scale(cls, scale: int, profile: Profile = CLASSIC) -> Sizes:
        instances = max(2, round(4 + 3 * math.log10(scale / 2000)))
        p = profile
        branches = round(p.branches_base + p.branches_per_decade * math.log10(scale / 1000))
        return cls(
            contracts=scale,
            staff=max(p.min_staff, round(p.staff_per_order * scale)),
            suppliers=max(p.min_suppliers, round(p.suppliers_per_order * scale)),
            branches=int(np.clip(branches, p.branches_base, len(p.branch_regions))),
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
    #: a framework agreement's call-off: the order that holds the agreement's tender, or -1
    agreement: np.ndarray
    #: the amount (fen) whose approval chain the order carries (a call-off: its agreement's), or -1
    chain_fen: np.ndarray

    def __len__(self) -> int:
        return len(self.dept)


@dataclass
class World:
    rng: np.random.Generator
    sizes: Sizes
    profile: Profile = CLASSIC
    cats: CategoryTable = field(default_factory=lambda: CategoryTable(CLASSIC))
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
    #: the signer of each approval step above the second (step 3 first)
    top_signers: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
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
    #: (utility category, region) -> the suppliers that serve it (profiles with utility bills)
    utility_of: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)
    #: the orders that are utility bills
    bills: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    #: routine tenders with a close finish or a tie (their contracts)
    close_tenders: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
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

    def named(self, entity_type: str, scheme: Callable[[str], bool]) -> np.ndarray:
        """Positions of the parties of ``entity_type`` that labels of the schemes ``scheme``
        accepts name, sorted."""
        refs = {int(str(ref)) for s, _, kind, ref in self.labels if kind == entity_type and scheme(s)}
        return np.array(sorted(refs), dtype=np.int64)

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
                "phone": _written_phones(rng, phone_digits, self.profile.formats.phone_styles),
                "id_number": names.id_numbers(rng, region_codes, birth, genders, self._id_bodies),
                "bank_digits": bank_digits,
                "bank_account": _written_accounts(rng, bank_digits, self.profile.formats.account_styles),
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
                rng, categories, self.regions, region_index, self._company_names, self.cats.categories
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
                "phone": _written_phones(rng, phone_digits, self.profile.formats.phone_styles),
                "address": names.office_addresses(rng, self.regions, region_index),
                "bank_digits": bank_digits,
                "bank_account": _written_accounts(rng, bank_digits, self.profile.formats.account_styles),
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
                items = np.flatnonzero((cat == self.cats.item_category) & self.cats.item_routine)
                prices = self.cats.item_price[items]
                affordable = targets[rows, None] * max_unit_share >= prices[None, :]
                eligible = np.isnan(prices)[None, :] | affordable
                scores = np.where(eligible, rng.random((len(rows), len(items))), -1.0)
                pick = scores.argmax(axis=1)
                none = ~eligible.any(axis=1)
                pick[none] = np.nanargmin(np.where(np.isnan(prices), np.inf, prices))
                chosen[rows] = items[pick]
        base = self.cats.item_price[chosen]
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
        medians = self.cats.medians[cats]
        sigmas = self.cats.sigmas[cats]
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


def _written_phones(rng: np.random.Generator, digits: np.ndarray, weights: tuple[float, ...]) -> np.ndarray:
    styles = names.written_styles(rng, len(digits), weights)
    return np.array([names.write_phone(d, s) for d, s in zip(digits, styles, strict=True)], dtype=object)


def _written_accounts(rng: np.random.Generator, digits: np.ndarray, weights: tuple[float, ...]) -> np.ndarray:
    styles = names.written_styles(rng, len(digits), weights)
    return np.array([names.write_account(d, s) for d, s in zip(digits, styles, strict=True)], dtype=object)


# ---- building the background ----------------------------------------------------------
def build_world(scale: int, seed: int, profile: Profile = CLASSIC) -> World:
    rng = np.random.default_rng(seed)
    world = World(
        rng=rng, sizes=Sizes.for_scale(scale, profile), profile=profile, cats=CategoryTable(profile)
    )
    world._offsets = tuple(int(x) for x in rng.integers(0, 10**7, 4))  # type: ignore[assignment]
    _build_departments(world)
    _build_staff(world)
    _build_suppliers(world)
    _build_owners(world)
    _build_relatives(world)
    _build_contracts(world)
    return world


def _build_departments(w: World) -> None:
    p = w.profile
    w.regions = [p.hq_region, *p.branch_regions[: w.sizes.branches]]
    names_ = [p.leadership_department, *(d.name for d in p.hq_departments)]
    regions = [0] * len(names_)
    volume = [0.0, *(d.volume for d in p.hq_departments)]
    mixes = [np.zeros(len(w.cats)), *(w.cats.mix(d.mix) for d in p.hq_departments)]
    branch_volume = np.full(len(w.regions) - 1, p.branch_volume)
    if p.branch_volume_sigma > 0:
        # branches differ in size: a large plant next to a small one
        branch_volume = branch_volume * np.exp(w.rng.normal(0.0, p.branch_volume_sigma, len(branch_volume)))
    for b, region in enumerate(w.regions[1:], start=1):
        names_.append(p.branch_name.format(short=region.short))
        regions.append(b)
        volume.append(float(branch_volume[b - 1]))
        mixes.append(w.cats.mix(p.branch_mix))
    w.dept_names = names_
    w.dept_region = np.array(regions)
    w.dept_volume = np.array(volume)
    w.dept_mix = np.vstack(mixes)


def _build_staff(w: World) -> None:
    rng = w.rng
    approval = w.profile.approval
    procuring = w.procuring_departments
    n_vp = int(np.clip(len(procuring) // 4, 3, 8))
    # one leader per level above the vice-presidents, the highest first (董事长, 总经理 ...)
    tops = list(reversed(approval.roles[2:]))
    leaders = len(tops) + n_vp
    pool = max(w.sizes.staff - leaders, 5 * len(procuring))
    share = w.dept_volume[procuring] / w.dept_volume[procuring].sum()
    headcount = np.maximum(5, np.round(pool * share).astype(int))

    dept, role, position = [0] * len(tops), [CHAIR] + [CEO] * (len(tops) - 1), list(tops)
    dept += [0] * n_vp
    role += [VP] * n_vp
    position += [approval.vp_title] * n_vp
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
        if "财务" in w.dept_names[d]:
            titles = ["会计" if rng.random() < 0.7 else "出纳" for _ in titles]
        position += [approval.manager_title] + [approval.deputy_title] * deputies + titles
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
            "phone": _written_phones(rng, phone_digits, w.profile.formats.phone_styles),
            "id_number": names.id_numbers(rng, region_codes, birth, genders, w._id_bodies),
            "bank_digits": bank_digits,
            "bank_account": _written_accounts(rng, bank_digits, w.profile.formats.account_styles),
            "address": names.home_addresses(rng, w.regions, region),
        }
    )
    # step 3 goes to the lowest of the leaders, the last step to the highest
    w.top_signers = np.arange(len(tops) - 1, -1, -1)
    vps = np.arange(len(tops), len(tops) + n_vp)
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
    p = w.profile
    n_cat = len(w.cats)
    # Suppliers that schemes will add later count towards the total.
    pool = max(80, w.sizes.suppliers - 11 * w.sizes.instances - 7)
    demand = _category_demand(w)
    utility = w.cats.utility
    demand[utility] = 0
    per_cat = np.maximum(8, np.round(pool * demand / demand.sum())).astype(int)
    per_cat[utility] = 0
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
        weights[members] = ranks**-p.market.popularity_exponent
    w.new_suppliers(cats, region, kind="pool", weights=weights)
    blacklisted = rng.choice(n, max(1, round(0.005 * n)), replace=False)
    w.suppliers.loc[blacklisted, "blacklisted"] = True
    w.suppliers.loc[blacklisted, "weight"] = 0.0

    # The group's own service companies sit in the headquarters and win a steady share.
    internal = p.internal_companies
    internal_cats = np.array([w.cats.index[c] for _, c in internal])
    top = np.array([w.suppliers.loc[w.suppliers["category"] == c, "weight"].max() for c in internal_cats])
    ids = w.new_suppliers(
        internal_cats,
        np.zeros(len(internal), dtype=int),
        kind="internal",
        weights=top * 0.8,
        names_given=np.array([f"{p.group_name}{word}有限公司" for word, _ in internal], dtype=object),
    )
    w.suppliers.loc[ids, "registered_capital"] = rng.choice([50_000_000, 100_000_000, 200_000_000], len(ids))
    if p.look_alikes.utility_bills:
        _build_utilities(w)
        return
    # The utility: the only seller of electricity, to every department.
    utility_ids = w.new_suppliers(
        np.array([w.cats.utilities[0]]),
        np.array([0]),
        kind="utility",
        weights=np.ones(1),
        names_given=np.array(["国网北京市电力公司城区供电公司"], dtype=object),
    )
    w.suppliers.loc[utility_ids, "registered_capital"] = 1_000_000_000
    w.suppliers.loc[utility_ids, "registered_day"] = -9_500


def _utility_names(category: str, region: Region) -> list[str]:
    """The companies that supply ``category`` in ``region``: one local monopoly, or the
    three telecom carriers."""
    city = region.city.removesuffix("市")
    if category == "电力":
        return [f"国网{region.province}电力有限公司{city}供电公司"]
    if category == "自来水":
        return [f"{city}水务集团有限公司" if len(city) % 2 else f"{city}自来水有限公司"]
    if category == "燃气":
        return [f"华润燃气（{city}）有限公司" if len(city) % 2 else f"{city}燃气集团有限公司"]
    # the group buys telecoms from the carriers' national companies, under group contracts
    return ["中国移动通信集团有限公司", "中国联合网络通信集团有限公司", "中国电信集团有限公司"]


def _build_utilities(w: World) -> None:
    """Local utilities for every region: one seller of power, water and gas where the branch
    is (regions of one city share them), and the three telecom carriers for everybody."""
    w.utility_of = {}
    made: dict[str, int] = {}
    for u in w.cats.utilities:
        category = str(w.cats.names[u])
        for r, region in enumerate(w.regions):
            sellers = []
            for name in _utility_names(category, region):
                if name not in made:
                    made[name] = int(
                        w.new_suppliers(
                            np.array([u]),
                            np.array([r]),
                            kind="utility",
                            weights=np.ones(1),
                            names_given=np.array([name], dtype=object),
                        )[0]
                    )
                sellers.append(made[name])
            w.utility_of[(u, r)] = np.array(sellers, dtype=np.int64)
    ids = np.array(sorted(made.values()), dtype=np.int64)
    w.suppliers.loc[ids, "registered_capital"] = 1_000_000_000
    w.suppliers.loc[ids, "registered_day"] = -w.rng.integers(6_000, 12_000, len(ids))


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


#: First days of the Spring Festival in the extract's years.
SPRING_FESTIVALS = ("2023-01-22", "2024-02-10", "2025-01-29")


def _day_weights(season: Seasonality) -> np.ndarray:
    """Relative weight of each day of the extract for raising an order: the months' factors,
    and where the profile says so a rush at quarter and year end and a lull after the Spring
    Festival."""
    days = START + np.arange(SPAN_DAYS)
    months = days.astype("datetime64[M]").astype(int) % 12
    factor = np.array(season.month_factors)[months]
    if season.quarter_end == 0 and season.year_end == 0 and season.spring_festival == 1:
        return factor
    day_of_month = (days - days.astype("datetime64[M]").astype("datetime64[D]")).astype(int) + 1
    factor = factor * np.where(np.isin(months, (2, 5, 8)) & (day_of_month >= 15), 1 + season.quarter_end, 1.0)
    factor = factor * np.where((months == 11) & (day_of_month >= 10), 1 + season.year_end, 1.0)
    for first in SPRING_FESTIVALS:
        start = (np.datetime64(first) - START).astype(int)
        factor[start : start + 14] *= season.spring_festival
    return factor


def _build_contracts(w: World) -> None:
    rng = w.rng
    bills = _bill_plan(w) if w.profile.look_alikes.utility_bills else None
    if bills is not None:
        # utilities bill by the month (below); routine orders buy everything else
        w.dept_mix[:, w.cats.utility] = 0
        totals = w.dept_mix.sum(axis=1, keepdims=True)
        w.dept_mix = np.divide(w.dept_mix, totals, out=np.zeros_like(w.dept_mix), where=totals > 0)
    n = w.sizes.contracts - (len(bills[0]) if bills is not None else 0)
    procuring = w.procuring_departments
    p_dept = w.dept_volume[procuring] / w.dept_volume[procuring].sum()
    dept = procuring[rng.choice(len(procuring), n, p=p_dept)]
    # the first orders of the extract had their tenders in it too
    weights = _day_weights(w.profile.seasonality)[FIRST_REQUEST_DAY : SPAN_DAYS - 75]
    request_day = FIRST_REQUEST_DAY + rng.choice(len(weights), n, p=weights / weights.sum())
    cat = np.empty(n, dtype=np.int64)
    approver1 = np.empty(n, dtype=np.int64)
    for d in procuring:
        rows = np.flatnonzero(dept == d)
        cat[rows] = rng.choice(len(w.cats), len(rows), p=w.dept_mix[d])
        managers = w.managers_of[d]
        # the manager signs half, the deputies share the rest
        p = np.full(len(managers), 0.5 / max(1, len(managers) - 1))
        p[0] = 0.5 if len(managers) > 1 else 1.0
        approver1[rows] = managers[rng.choice(len(managers), len(rows), p=p / p.sum())]
    supplier = _choose_suppliers(w, dept, cat)
    if w.profile.market.incumbency > 0:
        supplier = _keep_incumbents(w, dept, cat, supplier)
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
        agreement=np.full(n, -1, dtype=np.int64),
        chain_fen=np.full(n, -1, dtype=np.int64),
    )
    w.reassign_requesters(np.arange(n))
    w.price(np.arange(n), w.draw_amounts(cat))
    if bills is not None:
        _append_bills(w, bills)


def _choose_suppliers(w: World, dept: np.ndarray, cat: np.ndarray) -> np.ndarray:
    """Popular suppliers win more; a supplier from the buyer's own region a bit more still."""
    rng = w.rng
    sup = w.suppliers
    s_cat = sup["category"].to_numpy()
    s_region = sup["region"].to_numpy()
    s_weight = sup["weight"].to_numpy()
    own = w.profile.market.own_region_preference
    buyer_region = w.dept_region[dept]
    out = np.empty(len(dept), dtype=np.int64)
    for c in range(len(w.cats)):
        members = np.flatnonzero((s_cat == c) & (s_weight > 0))
        in_cat = cat == c
        for r in np.unique(buyer_region[in_cat]):
            rows = np.flatnonzero(in_cat & (buyer_region == r))
            p = s_weight[members] * np.where(s_region[members] == r, own, 1.0)
            out[rows] = members[rng.choice(len(members), len(rows), p=p / p.sum())]
    return out


def _keep_incumbents(w: World, dept: np.ndarray, cat: np.ndarray, supplier: np.ndarray) -> np.ndarray:
    """Incumbency: a department keeps one supplier of a category for years. Each department's
    orders in a category go, at the profile's share, to the supplier of one of them drawn at
    random (so popular suppliers are likelier incumbents)."""
    rng = w.rng
    key = dept * len(w.cats) + cat
    shuffled = rng.permutation(len(key))
    order = shuffled[np.argsort(key[shuffled], kind="stable")]
    first = np.r_[True, key[order][1:] != key[order][:-1]]
    group = np.cumsum(first) - 1
    incumbent = supplier[order][first]
    keep = rng.random(len(key)) < w.profile.market.incumbency
    out = supplier.copy()
    out[order[keep[order]]] = incumbent[group[keep[order]]]
    return out


#: Bills a month in yuan for a department of volume 1, by utility category.
_MONTHLY_BILL = {"电力": 40_000.0, "自来水": 5_000.0, "燃气": 9_000.0, "通信服务": 4_000.0}
#: Bills per (department, utility) over the three years, the first that the scale affords.
_BILLS_PER_PAIR = (36, 18, 12, 9, 6, 4, 3, 2)


def _bill_plan(w: World) -> tuple[np.ndarray, ...]:
    """Utility bills: every branch pays power, water, gas and telecoms to its sellers; at
    headquarters every department has its own power meter and lines, and water and gas are
    paid by the departments whose purchases include them. Monthly where the scale affords it.
    Returns (department, category, supplier, day, yuan, month)."""
    rng = w.rng
    procuring = w.procuring_departments
    metered = {w.cats.index[n] for n in ("电力", "通信服务") if n in w.cats.index}
    pairs = [
        (int(d), u)
        for d in procuring
        for u in w.cats.utilities
        if w.dept_region[d] > 0 or w.dept_mix[d, u] > 0 or u in metered
    ]
    budget = w.profile.look_alikes.bill_share * w.sizes.contracts
    per_pair = next((k for k in _BILLS_PER_PAIR if k * len(pairs) <= budget), _BILLS_PER_PAIR[-1])
    if per_pair < 12 and 12 * len(pairs) <= 2 * budget:
        per_pair = 12  # quarterly at least, where the organisation is small for its sites
    months = np.arange(0, 36, 36 // per_pair)
    rows = []
    volume = w.dept_volume / w.dept_volume[procuring].mean()
    for d, u in pairs:
        sellers = w.utility_of[(u, int(w.dept_region[d]))]
        seller = int(sellers[rng.integers(len(sellers))])
        category = str(w.cats.names[u])
        month_of_year = months % 12
        # power peaks in summer and winter, gas in winter
        season = {
            "电力": 1 + 0.25 * np.cos(2 * np.pi * (month_of_year - 0.5) / 6),
            "燃气": 1 + 0.6 * np.cos(2 * np.pi * month_of_year / 12),
        }.get(category, np.ones(len(months)))
        amount = (
            _MONTHLY_BILL.get(category, 5_000.0)
            * (36 // per_pair)
            * max(volume[d], 0.2)
            * season
            * np.exp(rng.normal(0, 0.15, len(months)))
        )
        first_days = (START.astype("datetime64[M]") + months.astype("timedelta64[M]")).astype("datetime64[D]")
        day = (first_days - START).astype(np.int64) + rng.integers(3, 20, len(months))
        for m, yuan, when in zip(months, amount, day, strict=True):
            if when < SPAN_DAYS - 20:
                rows.append((d, u, seller, int(when), float(yuan), int(m)))
    frame = np.array(rows, dtype=float)
    return tuple(frame[:, i] for i in range(frame.shape[1]))


def _append_bills(w: World, bills: tuple[np.ndarray, ...]) -> None:
    """Add the bills as single-source orders, signed in turn by the department's signers."""
    c = w.contracts
    assert c is not None
    dept, cat, supplier, day, yuan, month = (bills[i] for i in range(6))
    dept, cat, supplier, day = (a.astype(np.int64) for a in (dept, cat, supplier, day))
    n, start = len(dept), len(c)
    signer = np.empty(n, dtype=np.int64)
    for d in np.unique(dept):
        rows = np.flatnonzero(dept == d)
        managers = w.managers_of[d]
        signer[rows] = managers[(month[rows].astype(np.int64) + d) % len(managers)]
    extra = {
        "dept": dept,
        "cat": cat,
        "item": np.zeros(n, dtype=np.int64),
        "quantity": np.ones(n, dtype=np.int64),
        "unit_fen": np.zeros(n, dtype=np.int64),
        "amount_fen": np.zeros(n, dtype=np.int64),
        "supplier": supplier,
        "requester": np.zeros(n, dtype=np.int64),
        "approver1": signer,
        "request_day": day,
        "method": np.full(n, METHODS.index("single_source"), dtype=np.int64),
        "fast": np.ones(n, dtype=bool),
        "reserved": np.ones(n, dtype=bool),
        "step1_time": np.full(n, -1, dtype=np.int64),
        "agreement": np.full(n, -1, dtype=np.int64),
        "chain_fen": np.full(n, -1, dtype=np.int64),
    }
    for name, values in extra.items():
        setattr(c, name, np.concatenate([getattr(c, name), values]))
    idx = np.arange(start, start + n)
    w.bills = idx
    w.reassign_requesters(idx)
    for u in np.unique(cat):
        rows = idx[cat == u]
        item = int(np.flatnonzero(w.cats.item_category == u)[0])
        w.price(rows, yuan[cat == u], item=item)


def approval_levels(amount_fen: np.ndarray, limits: tuple[int, ...]) -> np.ndarray:
    """Steps an amount needs: one, plus one for every approval limit (yuan) it exceeds.

    >>> approval_levels(np.array([4_000_000, 6_000_000, 30_000_000]), (50_000, 200_000)).tolist()
    [1, 2, 3]
    """
    limits_fen = np.array(limits, dtype=np.int64) * 100
    return 1 + (np.asarray(amount_fen)[:, None] > limits_fen[None, :]).sum(axis=1)

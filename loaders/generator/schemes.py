"""Planting the schemes and decoys into the background world.

Each planter rewrites a few purchase orders (never one another's: a taken order
is *reserved*), may add suppliers, people and ties, and labels the entities an
investigator would name. The module docstring of :mod:`loaders.generator`
describes every scheme.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .catalog import HOLIDAYS
from .names import ACCOUNT_STYLES, MOBILE_STYLES, surname_of, write_account, write_phone
from .process import DIRECT, INQUIRY, INVITED, NEGOTIATION, OPEN, SINGLE_SOURCE
from .world import DAY, DEPUTY, FIRST_REQUEST_DAY, MANAGER, NO_LEAVE, SPAN_DAYS, STAFF, World

__all__ = [
    "DECOY_PLANTERS",
    "SCHEME_PLANTERS",
    "decoy_instances",
    "no_accidental_splits",
    "requesters_on_payroll",
]

# Category roles come from the profile (``w.cats``): ``small_order`` categories are those where
# an order of a few ten thousand yuan is ordinary; ``job`` ones are lump sums tendered as one
# job (construction, services); ``goods`` ones have unit prices comparable across suppliers.
_HOLIDAY_DAYS = np.array(
    [(np.datetime64(h) - np.datetime64("2023-01-01")).astype(int) for h in HOLIDAYS], dtype=np.int64
)


# ---- shared helpers ---------------------------------------------------------------------
def _log_uniform(rng: np.random.Generator, low: float, high: float, n: int) -> np.ndarray:
    return np.exp(rng.uniform(math.log(low), math.log(high), n))


def _free(w: World, mask: np.ndarray) -> np.ndarray:
    c = w.contracts
    assert c is not None
    return np.flatnonzero(mask & ~c.reserved)


def _not_utility(w: World) -> np.ndarray:
    c = w.contracts
    assert c is not None
    return ~w.cats.utility[c.cat]


def sellers_of(w: World, cat: int) -> np.ndarray:
    """The pool suppliers that sell in a category (the blacklisted ones do not)."""
    sup = w.suppliers
    return np.flatnonzero(
        (sup["category"].to_numpy() == cat)
        & (sup["kind"].to_numpy() == "pool")
        & (sup["weight"].to_numpy() > 0)
    )


def unprotected_suppliers(w: World, rows: np.ndarray) -> np.ndarray:
    """``rows`` without the suppliers a scheme or decoy names, sorted."""
    return np.setdiff1d(rows, np.array(sorted(w.protected_suppliers), dtype=np.int64))


def _between(rng: np.random.Generator, span: tuple[float, float]) -> float:
    """A value in ``span``; no draw when the span is one value (so a fixed profile stays fixed)."""
    low, high = span
    return low if low == high else float(rng.uniform(low, high))


def _take(w: World, pools: list[np.ndarray], k: int, into_dept: int | None = None) -> np.ndarray:
    """Up to ``k`` free orders, drawn from the first pool, topped up from the next ones.

    With ``into_dept``, a shortfall is made up from free orders anywhere, moved into that
    department (with a requester and a level-1 signer of theirs), so a small department
    still yields a whole instance.
    """
    c = w.contracts
    assert c is not None
    chosen: list[np.ndarray] = []
    need = k
    if into_dept is not None:
        pools = [*pools, _free(w, _not_utility(w))]
    for pool in pools:
        if need <= 0:
            break
        pool = pool[~c.reserved[pool]]
        if len(pool) > need:
            pool = w.rng.choice(pool, need, replace=False)
        c.reserved[pool] = True
        chosen.append(pool)
        need -= len(pool)
    idx = np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=np.int64)
    if into_dept is not None:
        moved = idx[c.dept[idx] != into_dept]
        if len(moved):
            c.dept[moved] = into_dept
            managers = w.managers_of[into_dept]
            c.approver1[moved] = managers[w.rng.integers(0, len(managers), len(moved))]
            w.reassign_requesters(moved)
    return idx


def _unprotected_employees(w: World, roles: tuple[int, ...]) -> np.ndarray:
    emp = w.employees
    ok = emp["role"].isin(roles).to_numpy().copy()
    ok &= (emp["leave_day"].to_numpy() == NO_LEAVE) & (emp["hire_day"].to_numpy() <= 0)
    ok[list(w.protected_employees)] = False
    return np.flatnonzero(ok)


def _busy_manager(w: World, min_orders: int) -> int:
    """A level-1 signer not yet in a scheme, likelier the more free orders they sign."""
    c = w.contracts
    assert c is not None
    candidates = _unprotected_employees(w, (MANAGER, DEPUTY))
    load = np.bincount(c.approver1[~c.reserved], minlength=len(w.employees))[candidates]
    eligible = load >= min_orders
    if eligible.any():
        candidates, load = candidates[eligible], load[eligible]
    return int(w.rng.choice(candidates, p=load / load.sum()) if load.sum() else w.rng.choice(candidates))


def _orders_signed_by(w: World, manager: int, cats: tuple[int, ...] | None = None) -> list[np.ndarray]:
    """Pools of free orders for a manager: theirs in ``cats``, theirs in any category, their
    department's (take them with ``into_dept`` = the manager's department)."""
    c = w.contracts
    assert c is not None
    dept = int(w.employees.at[manager, "dept"])
    mine = (c.approver1 == manager) & _not_utility(w)
    pools = []
    if cats is not None:
        pools.append(_free(w, mine & np.isin(c.cat, cats)))
    pools.append(_free(w, mine))
    pools.append(_free(w, (c.dept == dept) & _not_utility(w)))
    return pools


def _assign(
    w: World,
    idx: np.ndarray,
    *,
    cat: int | None = None,
    supplier: int | None = None,
    signer: int | None = None,
) -> None:
    c = w.contracts
    assert c is not None
    if signer is not None:
        c.approver1[idx] = signer
    if cat is not None:
        c.cat[idx] = cat
    if supplier is not None:
        c.supplier[idx] = supplier


def _spread_signers(w: World, idx: np.ndarray, dept: int) -> None:
    """Let the department's level-1 signers take turns, so no one of them stands out."""
    c = w.contracts
    assert c is not None
    managers = w.rng.permutation(w.managers_of[dept])
    c.approver1[idx] = managers[np.arange(len(idx)) % len(managers)]


def _favourite_category(w: World, manager: int, allowed: tuple[int, ...]) -> int:
    """Of the categories the manager signs free orders in, the largest market (so a steered
    supplier's market share stays small)."""
    c = w.contracts
    assert c is not None
    free = ~c.reserved
    signed = np.bincount(c.cat[(c.approver1 == manager) & free], minlength=len(w.cats))[list(allowed)]
    market = np.bincount(c.cat[free], minlength=len(w.cats))[list(allowed)]
    if signed.max() == 0:
        return int(w.rng.choice(allowed))
    return int(allowed[int(np.where(signed > 0, market, -1).argmax())])


def _front_company(w: World, cat: int, region: int) -> int:
    return int(w.new_suppliers(np.array([cat]), np.array([region]), kind="scheme", small=True)[0])


def _relative_of(w: World, employee: int, spouse: bool, bank: bool = False) -> int:
    """A new person tied to ``employee`` as spouse or (same-surname) relative."""
    rng = w.rng
    emp = w.employees
    own_gender = emp.at[employee, "gender"]
    if spouse:
        gender = "F" if own_gender == "M" else "M"
        surnames = None
    else:
        gender = "M" if rng.random() < 0.6 else "F"
        surnames = np.array([surname_of(emp.at[employee, "name"])])
    person = int(
        w.new_persons(
            np.array([gender]),
            np.array([int(emp.at[employee, "region"])]),
            surnames=surnames,
            phone_share=1.0,
            id_share=1.0,
            bank_share=1.0 if bank else 0.3,
        )[0]
    )
    w.relate("person", person, "SPOUSE_OF" if spouse else "RELATIVE_OF", "employee", employee)
    return person


def _quiet_start(w: World, span: int, latest: int) -> int:
    """A first day such that ``span`` days from it contain no public holiday."""
    for _ in range(200):
        day = int(w.rng.integers(FIRST_REQUEST_DAY, latest))
        if not ((day <= _HOLIDAY_DAYS) & (day + span >= _HOLIDAY_DAYS)).any():
            return day
    return int(w.rng.integers(FIRST_REQUEST_DAY, latest))


def _small_orders(w: World, idx: np.ndarray) -> None:
    """Orders within a department manager's own limit, so one signature suffices; under 80 %
    of it, so that a run of them does not also look like a split purchase."""
    c = w.contracts
    assert c is not None
    targets = _log_uniform(w.rng, 5_000, w.profile.approval.limits[0] * 0.78, len(idx))
    w.price(idx, targets, max_unit_share=0.8, cap=True)
    c.method[idx] = np.where(w.rng.random(len(idx)) < 0.7, INQUIRY, NEGOTIATION)


# ---- schemes ----------------------------------------------------------------------------
def _steering_signer(w: World) -> tuple[int, int]:
    """A level-1 signer and a category they sign in, where they sign only a small part of the
    market: there, steering to one supplier stands far above that supplier's market share.
    Busier signers are likelier."""
    c = w.contracts
    assert c is not None
    managers = _unprotected_employees(w, (MANAGER, DEPUTY))
    allowed = np.array(w.cats.small_order)
    free = ~c.reserved
    n_cat = len(w.cats)
    signed = np.bincount(c.approver1[free] * n_cat + c.cat[free], minlength=len(w.employees) * n_cat)
    signed = signed.reshape(len(w.employees), n_cat)[managers][:, allowed]
    market = np.bincount(c.cat[free], minlength=n_cat)[allowed]
    lift = market[None, :] / np.maximum(signed, 8)
    suitable = (signed >= 3) & (lift >= 6)
    if suitable.any():
        weights = np.where(suitable, signed, 0).ravel().astype(float)
        pick = int(w.rng.choice(len(weights), p=weights / weights.sum()))
    else:
        pick = int(lift.argmax())
    row, col = divmod(pick, len(allowed))
    return int(managers[row]), int(allowed[col])


def _established_supplier(w: World, cat: int, region: int) -> int:
    """A supplier of the category that has traded for years and sells to others as well
    (one of the less popular, so the steering stands out from its market share)."""
    sup = w.suppliers
    pool = sellers_of(w, cat)
    pool = unprotected_suppliers(w, pool)
    weight = sup["weight"].to_numpy()[pool]
    quiet = pool[weight <= np.median(weight)] if len(pool) > 3 else pool
    local = quiet[sup["region"].to_numpy()[quiet] == region]
    return int(w.rng.choice(local if len(local) else quiet))


def favoritism(w: World, n: int) -> None:
    c = w.contracts
    assert c is not None
    play = w.profile.schemes
    manager, cat = _steering_signer(w)
    dept = int(w.employees.at[manager, "dept"])
    signed_in_cat = int(((c.approver1 == manager) & (c.cat == cat) & ~c.reserved).sum())
    share = _between(w.rng, play.favoritism_share)
    k = int(np.clip(round(share * signed_in_cat), 8, max(200, w.sizes.contracts // 2000)))
    idx = _take(w, _orders_signed_by(w, manager, (cat,)), k, into_dept=dept)
    if play.established_favourite and w.rng.random() < play.established_favourite:
        supplier = _established_supplier(w, cat, int(w.dept_region[dept]))
    else:
        supplier = _front_company(w, cat, int(w.dept_region[dept]))
    _assign(w, idx, cat=cat, supplier=supplier, signer=manager)
    _small_orders(w, idx)
    w.label("favoritism", n, "employee", manager)
    w.label("favoritism", n, "supplier", supplier)


def split_purchase(w: World, n: int) -> None:
    c = w.contracts
    assert c is not None
    rng = w.rng
    play, limits = w.profile.schemes, w.profile.approval.limits
    limit = limits[0] if n % 2 else limits[1]
    staff = _unprotected_employees(w, (STAFF,))
    volume = w.dept_volume[w.employees["dept"].to_numpy()[staff]]
    requester = int(rng.choice(staff, p=volume / volume.sum()))
    dept = int(w.employees.at[requester, "dept"])
    allowed = [cat for cat in w.cats.small_order if w.dept_mix[dept, cat] > 0] or list(w.cats.small_order)
    cat = int(rng.choice(allowed))
    sellers = np.flatnonzero(
        (w.suppliers["category"].to_numpy() == cat)
        & (w.suppliers["kind"].to_numpy() == "pool")
        & (w.suppliers["weight"].to_numpy() > 0)
    )
    sellers = unprotected_suppliers(w, sellers)
    supplier = int(rng.choice(sellers))
    parts = int(rng.integers(*play.split_parts))
    idx = _take(
        w,
        [
            _free(w, (c.dept == dept) & (c.cat == cat)),
            _free(w, (c.dept == dept) & _not_utility(w)),
        ],
        parts,
        into_dept=dept,
    )
    _assign(w, idx, cat=cat, supplier=supplier)
    c.requester[idx] = requester
    first = _quiet_start(w, 16, SPAN_DAYS - 120)
    spread = min(5, max(2, (w.profile.approval.split_window_days + 1) // 3))
    c.request_day[idx] = first + np.sort(rng.integers(0, spread, len(idx)))
    c.fast[idx] = True
    low, high = play.split_fill
    w.price(idx, rng.uniform(low * limit, high * limit, len(idx)), max_unit_share=0.02, cap=True)
    cheap = (INQUIRY, DIRECT) if limit == limits[0] else (INQUIRY, NEGOTIATION)
    c.method[idx] = rng.choice(cheap, len(idx))
    w.label("split_purchase", n, "employee", requester)
    w.label("split_purchase", n, "supplier", supplier)
    for i in idx:
        w.label("split_purchase", n, "contract", int(i))


def self_approval(w: World, n: int) -> None:
    c = w.contracts
    assert c is not None
    manager = _busy_manager(w, 3)
    dept = int(w.employees.at[manager, "dept"])
    idx = _take(w, _orders_signed_by(w, manager), int(w.rng.integers(1, 3)), into_dept=dept)
    _assign(w, idx, signer=manager)
    c.requester[idx] = manager
    w.label("self_approval", n, "employee", manager)
    for i in idx:
        w.label("self_approval", n, "contract", int(i))


def _tie_to_company(w: World, person: int, supplier: int, tie: str) -> None:
    """The person owns the supplier, represents it, both, directs it, or owns a holding
    company that owns it (``owns``, ``legal_rep``, ``owns+legal_rep``, ``director``, ``holding``)."""
    rng = w.rng
    since = int(w.suppliers.at[supplier, "registered_day"])
    if tie in ("owns+legal_rep", "owns"):
        w.relate(
            "person", person, "OWNS", "supplier", supplier, float(np.round(rng.uniform(0.6, 1.0), 2)), since
        )
    if tie in ("owns+legal_rep", "legal_rep"):
        w.relate("person", person, "LEGAL_REP_OF", "supplier", supplier, None, since)
        w.suppliers.at[supplier, "legal_rep"] = w.persons.at[person, "name"]
    if tie == "director":
        w.relate("person", person, "DIRECTOR_OF", "supplier", supplier, None, since)
    if tie == "holding":
        region = int(w.suppliers.at[supplier, "region"])
        category = int(w.suppliers.at[supplier, "category"])
        holding = int(w.new_suppliers(np.array([category]), np.array([region]), kind="holding")[0])
        w.relate(
            "person", person, "OWNS", "supplier", holding, float(np.round(rng.uniform(0.5, 1.0), 2)), since
        )
        w.relate(
            "supplier",
            holding,
            "OWNS",
            "supplier",
            supplier,
            float(np.round(rng.uniform(0.51, 1.0), 2)),
            since,
        )


def relative_supplier(w: World, n: int) -> None:
    rng = w.rng
    manager = _busy_manager(w, 6)
    dept = int(w.employees.at[manager, "dept"])
    cat = _favourite_category(w, manager, w.cats.small_order)
    supplier = _front_company(w, cat, int(w.dept_region[dept]))
    person = _relative_of(w, manager, spouse=n % 2 == 1)
    ties = w.profile.schemes.relative_ties
    _tie_to_company(w, person, supplier, ties[(n - 1) % len(ties)])
    idx = _take(w, _orders_signed_by(w, manager, (cat,)), int(rng.integers(3, 7)), into_dept=dept)
    _assign(w, idx, cat=cat, supplier=supplier, signer=manager)
    _small_orders(w, idx)
    w.label("relative_supplier", n, "employee", manager)
    w.label("relative_supplier", n, "person", person)
    w.label("relative_supplier", n, "supplier", supplier)


def _restyle(
    written: str, number: str, writer: Callable[[str, int], str], styles: int, rng: np.random.Generator
) -> str:
    """``number`` written in a style other than ``written`` (so only normalisation shows they match)."""
    for style in rng.permutation(styles):
        other = writer(number, int(style))
        if other != written:
            return other
    return written


def shared_identifier(w: World, n: int) -> None:
    rng = w.rng
    manager = _busy_manager(w, 5)
    dept = int(w.employees.at[manager, "dept"])
    cat = _favourite_category(w, manager, w.cats.small_order)
    supplier = _front_company(w, cat, int(w.dept_region[dept]))
    emp, sup = w.employees, w.suppliers
    if n % 2:
        digits = emp.at[manager, "phone_digits"]
        sup.at[supplier, "phone_digits"] = digits
        sup.at[supplier, "phone"] = _restyle(
            emp.at[manager, "phone"], digits, write_phone, MOBILE_STYLES, rng
        )
    else:
        digits = emp.at[manager, "bank_digits"]
        sup.at[supplier, "bank_digits"] = digits
        sup.at[supplier, "bank_account"] = _restyle(
            emp.at[manager, "bank_account"], digits, write_account, ACCOUNT_STYLES, rng
        )
    idx = _take(w, _orders_signed_by(w, manager, (cat,)), int(rng.integers(3, 6)), into_dept=dept)
    _assign(w, idx, cat=cat, supplier=supplier, signer=manager)
    _small_orders(w, idx)
    w.label("shared_identifier", n, "employee", manager)
    w.label("shared_identifier", n, "supplier", supplier)


def ownership_cycle(w: World, n: int) -> None:
    c = w.contracts
    assert c is not None
    rng = w.rng
    procuring = w.procuring_departments
    dept = int(rng.choice(procuring, p=w.dept_volume[procuring] / w.dept_volume[procuring].sum()))
    mix = w.dept_mix[dept].copy()
    mix[w.cats.utility] = 0
    cats = rng.choice(len(w.cats), 3, p=mix / mix.sum())
    region = np.full(3, int(w.dept_region[dept]))
    members = w.new_suppliers(cats, region, kind="scheme")
    for a, b in ((0, 1), (1, 2), (2, 0)):
        since = int(
            max(w.suppliers.at[members[a], "registered_day"], w.suppliers.at[members[b], "registered_day"])
        )
        w.relate(
            "supplier",
            members[a],
            "OWNS",
            "supplier",
            members[b],
            float(np.round(rng.uniform(0.2, 0.6), 2)),
            since,
        )
    for member, cat in zip(members, cats, strict=True):
        idx = _take(
            w,
            [
                _free(w, (c.dept == dept) & (c.cat == cat)),
                _free(w, (c.dept == dept) & _not_utility(w)),
            ],
            int(rng.integers(2, 5)),
            into_dept=dept,
        )
        _assign(w, idx, cat=int(cat), supplier=int(member))
        w.price(idx, w.draw_amounts(np.full(len(idx), cat)))
        _spread_signers(w, idx, dept)
    for member in members:
        w.label("ownership_cycle", n, "supplier", int(member))


def payment_to_staff(w: World, n: int) -> None:
    c = w.contracts
    assert c is not None
    rng = w.rng
    protected = np.array(sorted(w.protected_employees), dtype=np.int64)
    candidates = _free(
        w,
        (c.amount_fen >= 100_000_00)
        & (c.request_day <= SPAN_DAYS - 300)
        & _not_utility(w)
        & ~np.isin(c.approver1, protected)
        & ~np.isin(c.requester, protected),
    )
    order = int(_take(w, [candidates], 1)[0])
    employee = int(c.approver1[order] if n % 2 == 0 else c.requester[order])
    supplier_name = w.suppliers.at[int(c.supplier[order]), "name"]
    if n % 3 == 2:
        person = _relative_of(w, employee, spouse=True, bank=True)
        digits, holder = w.persons.at[person, "bank_digits"], w.persons.at[person, "name"]
        w.persons.at[person, "bank_account"] = write_account(digits, 0)
    else:
        person, digits, holder = -1, w.employees.at[employee, "bank_digits"], w.employees.at[employee, "name"]
    written = write_account(digits, int(rng.integers(1, 3)))
    payee = supplier_name if rng.random() < 0.5 else holder
    w.diverted_payments[order] = (written, payee, float(np.round(rng.uniform(0.05, 0.2), 2)))
    w.label("payment_to_staff", n, "payment", ("diverted", order))
    w.label("payment_to_staff", n, "employee", employee)
    if person >= 0:
        w.label("payment_to_staff", n, "person", person)


def _allocate_buyers(w: World, idx: np.ndarray, members: np.ndarray) -> np.ndarray:
    """Market allocation instead of rotation: each member owns a buying department and wins
    every tender of it; the orders move into those departments. Returns the winners."""
    c = w.contracts
    assert c is not None
    rng = w.rng
    procuring = w.procuring_departments
    territories = rng.choice(procuring, len(members), replace=len(procuring) < len(members))
    owner = rng.integers(0, len(members), len(idx))
    owner[: len(members)] = np.arange(len(members))[: len(idx)]  # everybody wins at least once
    for d in np.unique(territories[owner]):
        rows = idx[territories[owner] == d]
        c.dept[rows] = d
        managers = w.managers_of[d]
        c.approver1[rows] = managers[rng.integers(0, len(managers), len(rows))]
        w.reassign_requesters(rows)
    return members[owner]


def _bid_elsewhere(w: World, members: np.ndarray, cat: int, per_member: int) -> None:
    """Ring members also bid, and lose, in ordinary tenders of their trade, at ordinary prices."""
    c = w.contracts
    assert c is not None
    rng = w.rng
    threshold = w.profile.approval.open_tender_threshold
    sup = w.suppliers
    rivals = np.flatnonzero((sup["category"].to_numpy() == cat) & (sup["weight"].to_numpy() > 0))
    rivals = np.setdiff1d(rivals, np.array(sorted(w.protected_suppliers), dtype=np.int64))
    large = c.amount_fen > 100_000_00
    idx = _take(w, [_free(w, (c.cat == cat) & large), _free(w, c.cat == cat)], per_member * len(members))
    for k, i in enumerate(idx):
        winner = int(c.supplier[i])
        others = rng.choice(
            rivals[rivals != winner], min(len(rivals) - 1, int(rng.integers(1, 4))), replace=False
        )
        bidders = np.array([winner, int(members[k % len(members)]), *others], dtype=np.int64)
        factors = np.sort(np.clip(rng.normal(0.95, w.profile.market.bid_spread, len(bidders)), 0.78, 1.2))
        factors[1:] = rng.permutation(factors[1:])
        fen = np.round(c.amount_fen[i] / factors[0] * factors).astype(np.int64)
        fen[0] = c.amount_fen[i]
        fen[1:] = np.maximum(fen[1:], fen[0] + 100_00)
        w.scripted_tenders[int(i)] = (bidders, fen)
    c.method[idx] = np.where(c.amount_fen[idx] > threshold * 100, OPEN, INVITED)


def bid_rotation(w: World, n: int) -> None:
    c = w.contracts
    assert c is not None
    rng = w.rng
    play = w.profile.schemes
    threshold = w.profile.approval.open_tender_threshold
    cat = w.cats.job[(n - 1) % len(w.cats.job)]
    size = play.ring_sizes[(n - 1) % len(play.ring_sizes)]
    region = int(rng.integers(0, len(w.regions)))
    members = w.new_suppliers(np.full(size, cat), np.full(size, region), kind="scheme")
    tenders = int(rng.integers(*play.ring_tenders)) + w.sizes.instances // 2
    idx = _take(w, [_free(w, c.cat == cat), _free(w, _not_utility(w))], tenders)
    # a tender every month or two, far enough apart that signing delays never swap their order
    gaps = rng.integers(30, 60, len(idx))
    room = SPAN_DAYS - 80 - FIRST_REQUEST_DAY
    if gaps[1:].sum() > room:
        gaps = np.maximum(gaps * room // gaps[1:].sum(), 25)
    latest_start = max(FIRST_REQUEST_DAY, SPAN_DAYS - 80 - int(gaps[1:].sum()))
    c.request_day[idx] = rng.integers(FIRST_REQUEST_DAY, latest_start + 1) + np.cumsum(gaps) - gaps[0]
    # members take turns, in date order
    winners = members[(np.arange(len(idx)) + int(rng.integers(0, size))) % size]
    if play.ring_allocation and rng.random() < play.ring_allocation:
        winners = _allocate_buyers(w, idx, members)
    _assign(w, idx, cat=cat)
    c.supplier[idx] = winners
    estimate = _log_uniform(rng, 500_000, 5_000_000, len(idx))
    w.price(idx, estimate * rng.uniform(*play.winner_markup, len(idx)))
    outsiders = np.flatnonzero(
        (w.suppliers["category"].to_numpy() == cat) & (w.suppliers["weight"].to_numpy() > 0)
    )
    for i, winner in zip(idx, winners, strict=True):
        won = int(c.amount_fen[i])
        covers = [m for m in members if m != winner]
        # cover bids sit a hair above the winner
        markups = np.sort(rng.uniform(*play.cover_margin, len(covers)))
        bidders = [int(winner), *(int(m) for m in covers)]
        fen = [won, *(round(won * (1 + u)) for u in markups)]
        if rng.random() < play.ring_outsider and len(outsiders):
            bidders.append(int(rng.choice(outsiders)))
            fen.append(round(won * rng.uniform(1.08, 1.2)))
        w.scripted_tenders[int(i)] = (np.array(bidders, dtype=np.int64), np.array(fen, dtype=np.int64))
    c.method[idx] = np.where(c.amount_fen[idx] > threshold * 100, OPEN, INVITED)
    if play.ring_outside_bids:
        _bid_elsewhere(w, members, cat, play.ring_outside_bids)
    for member in members:
        w.label("bid_rotation", n, "supplier", int(member))
    for i in idx:
        w.label("bid_rotation", n, "tender", ("tender", int(i)))


def price_inflation(w: World, n: int) -> None:
    c = w.contracts
    assert c is not None
    rng = w.rng
    # the categories in turn, skipping one whose items sell too rarely to compare prices
    goods = w.cats.goods
    turn = [goods[(n - 1 + k) % len(goods)] for k in range(len(goods))]
    popular = {cat: np.unique(c.item[(c.cat == cat) & ~c.reserved], return_counts=True) for cat in turn}
    # enough sales of the item to compare with (more where noise blanks prices and look-alikes
    # reprice orders later)
    enough = 12 if w.profile.is_classic else 30
    cat = next(
        (cat for cat in turn if popular[cat][1].max(initial=0) >= enough),
        max(turn, key=lambda k: popular[k][1].max(initial=0)),
    )
    items, counts = popular[cat]
    ranked = items[np.argsort(-counts, kind="stable")]
    item = int(rng.choice(ranked[: max(1, int((counts >= enough).sum()))][:3]))
    sup = w.suppliers
    sellers = sellers_of(w, cat)
    sellers = sellers[np.argsort(-sup["weight"].to_numpy()[sellers], kind="stable")][3:]
    sellers = unprotected_suppliers(w, sellers)
    supplier = int(rng.choice(sellers))
    if w.profile.is_classic:
        pools = [_free(w, c.cat == cat), _free(w, _not_utility(w))]
    else:  # the others' sales of the item stay as they are, and stay theirs
        others = _free(w, c.item == item)
        c.reserved[others] = True
        pools = [_free(w, (c.cat == cat) & (c.item != item)), _free(w, _not_utility(w))]
    idx = _take(w, pools, int(rng.integers(4, 9)))
    _assign(w, idx, cat=cat, supplier=supplier)
    targets = _log_uniform(rng, 20_000, 180_000, len(idx))
    # two to almost three times the going price, whatever the supplier's usual price level
    level = w.suppliers.at[supplier, "price_level"]
    w.price(
        idx, targets, item=item, price_factor=rng.uniform(*w.profile.schemes.price_factor, len(idx)) / level
    )
    c.method[idx] = rng.choice((NEGOTIATION, SINGLE_SOURCE, INQUIRY), len(idx))
    w.label("price_inflation", n, "supplier", supplier)
    for i in idx:
        w.label("price_inflation", n, "contract", int(i))


def after_hours(w: World, n: int) -> None:
    c = w.contracts
    assert c is not None
    rng = w.rng
    manager = _busy_manager(w, 10)
    dept = int(w.employees.at[manager, "dept"])
    idx = _take(
        w,
        _orders_signed_by(w, manager),
        int(rng.integers(*w.profile.schemes.after_hours_orders)),
        into_dept=dept,
    )
    _assign(w, idx, signer=manager)
    first = int(rng.integers(FIRST_REQUEST_DAY, SPAN_DAYS - 120))
    day = first + np.sort(rng.integers(0, 14, len(idx)))
    c.request_day[idx] = day
    # late at night (22:00-01:30) or in the middle of a weekend day
    weekday = (day + 6) % 7  # 2023-01-01 was a Sunday; Monday = 0
    to_weekend = (5 - weekday) % 7 + rng.integers(0, 2, len(idx))
    at_night = rng.random(len(idx)) < 0.6
    night = day * DAY + rng.integers(22 * 3600, int(25.5 * 3600), len(idx))
    weekend = (day + to_weekend) * DAY + rng.integers(9 * 3600, 23 * 3600, len(idx))
    c.step1_time[idx] = np.where(at_night, night, weekend)
    w.label("after_hours", n, "employee", manager)
    for i in idx:
        w.label("after_hours", n, "contract", int(i))


def repeat_direct_awards(w: World, n: int) -> None:
    c = w.contracts
    assert c is not None
    rng = w.rng
    used = {int(ref) for s, _, kind, ref in w.labels if s == "repeat_direct_awards" and kind == "department"}  # type: ignore[call-overload]
    procuring = [d for d in w.procuring_departments if int(d) not in used] or list(w.procuring_departments)
    dept = int(rng.choice(procuring))
    cats = [cat for cat in w.cats.job if w.dept_mix[dept, cat] > 0] or [w.cats.job[0]]
    cat = int(rng.choice(cats))
    supplier = int(w.new_suppliers(np.array([cat]), np.array([int(w.dept_region[dept])]), kind="scheme")[0])
    threshold = w.profile.approval.open_tender_threshold
    # awards of 15-47.5 % of the threshold each (300 000 - 950 000 yuan under 2 million)
    low, high = 300_000 * threshold / 2_000_000, 950_000 * threshold / 2_000_000
    amounts = list(_log_uniform(rng, low, high, int(rng.integers(4, 8))))
    while sum(amounts) <= 1.1 * threshold:
        amounts.append(float(_log_uniform(rng, low, high, 1)[0]))
    idx = _take(
        w,
        [
            _free(w, (c.dept == dept) & (c.cat == cat)),
            _free(w, (c.dept == dept) & _not_utility(w)),
        ],
        len(amounts),
        into_dept=dept,
    )
    _assign(w, idx, cat=cat, supplier=supplier)
    _spread_signers(w, idx, dept)
    w.price(idx, np.array(amounts[: len(idx)]), cap=True)
    first = int(rng.integers(FIRST_REQUEST_DAY, SPAN_DAYS - 420))
    c.request_day[idx] = first + np.sort(rng.integers(0, 330, len(idx)))
    c.method[idx] = np.where(rng.random(len(idx)) < 0.6, SINGLE_SOURCE, DIRECT)
    w.label("repeat_direct_awards", n, "department", dept)
    w.label("repeat_direct_awards", n, "supplier", supplier)


# ---- decoys -----------------------------------------------------------------------------
def _utilities_in_use(w: World) -> np.ndarray:
    """Utility suppliers that bill somebody."""
    c = w.contracts
    assert c is not None
    used = np.bincount(c.supplier, minlength=len(w.suppliers)) > 0
    return np.flatnonzero((w.suppliers["kind"].to_numpy() == "utility") & used)


def decoy_monopoly_utility(w: World, n: int) -> None:
    """The n-th utility (one per instance); it supplies every department of its region."""
    utility = int(_utilities_in_use(w)[n - 1])
    w.label("decoy_monopoly_utility", n, "supplier", utility)


def _hub_crowd(w: World) -> np.ndarray:
    """Headquarters staff and deputy managers not in any scheme, in random order."""
    emp = w.employees
    hq = np.flatnonzero(
        (w.dept_region[emp["dept"].to_numpy()] == 0) & emp["role"].isin((STAFF, DEPUTY)).to_numpy()
    )
    crowd = np.setdiff1d(hq, np.array(sorted(w.protected_employees), dtype=np.int64))
    return w.rng.permutation(crowd)[: int(np.clip(round(0.08 * len(emp)), 15, 600))]


def _internal_halves(w: World) -> tuple[np.ndarray, np.ndarray]:
    """The group's service companies: the first half share the headquarters address, the rest
    its switchboard."""
    internal = np.flatnonzero(w.suppliers["kind"].to_numpy() == "internal")
    half = (len(internal) + 1) // 2
    return internal[:half], internal[half:]


def decoy_hub_address(w: World, n: int) -> None:
    internal = _internal_halves(w)[0]
    w.suppliers.loc[internal, "address"] = w.profile.hq_address
    crowd = _hub_crowd(w)
    w.employees.loc[crowd, "address"] = w.profile.hq_address
    for s in internal:
        w.label("decoy_hub_address", n, "supplier", int(s))
    for e in crowd:
        w.label("decoy_hub_address", n, "employee", int(e))


def decoy_switchboard(w: World, n: int) -> None:
    rng = w.rng
    internal = _internal_halves(w)[1]
    crowd = _hub_crowd(w)
    switchboard = w.profile.switchboard
    for kind, rows in (("supplier", internal), ("employee", crowd)):
        frame = w.suppliers if kind == "supplier" else w.employees
        frame.loc[rows, "phone_digits"] = switchboard
        frame.loc[rows, "phone"] = [write_phone(switchboard, int(s)) for s in rng.integers(0, 5, len(rows))]
        for r in rows:
            w.label("decoy_switchboard", n, kind, int(r))


def decoy_relative_no_approval(w: World, n: int) -> None:
    c = w.contracts
    assert c is not None
    rng = w.rng
    employee = int(rng.choice(_unprotected_employees(w, (STAFF,))))
    sup = w.suppliers
    owned = {
        dst
        for st, _, rel, dt, dst, _, _ in w.relations
        if rel in ("OWNS", "LEGAL_REP_OF") and dt == "supplier"
    }
    busy = np.bincount(c.supplier, minlength=len(sup)) >= 3
    candidates = np.flatnonzero(busy & (sup["kind"].to_numpy() == "pool") & (sup["weight"].to_numpy() > 0))
    candidates = np.array(
        [s for s in candidates if int(s) not in owned and int(s) not in w.protected_suppliers], dtype=np.int64
    )
    supplier = int(rng.choice(candidates))
    person = _relative_of(w, employee, spouse=n % 2 == 1)
    if w.profile.is_classic:
        since = int(sup.at[supplier, "registered_day"])
        w.relate(
            "person", person, "OWNS", "supplier", supplier, float(np.round(rng.uniform(0.51, 1.0), 2)), since
        )
        w.relate("person", person, "LEGAL_REP_OF", "supplier", supplier, None, since)
        sup.at[supplier, "legal_rep"] = w.persons.at[person, "name"]
    else:
        # the tie varies as the schemes' ties do
        ties = w.profile.schemes.relative_ties
        _tie_to_company(w, person, supplier, ties[n % len(ties)])
    # the employee keeps clear of the relative's company
    w.kept_apart.append((employee, supplier))
    _keep_apart(w)
    w.label("decoy_relative_no_approval", n, "employee", employee)
    w.label("decoy_relative_no_approval", n, "person", person)
    w.label("decoy_relative_no_approval", n, "supplier", supplier)


def decoy_competitive_cobidders(w: World, n: int) -> None:
    c = w.contracts
    assert c is not None
    rng = w.rng
    cobidding = w.cats.of(w.profile.cobidder_categories)
    cat = cobidding[n % len(cobidding)]
    sup = w.suppliers
    firms = sellers_of(w, cat)
    firms = unprotected_suppliers(w, firms)
    firms = firms[np.argsort(-sup["weight"].to_numpy()[firms], kind="stable")]
    group, others = firms[:4], firms[4:]
    tenders = int(rng.integers(10, 16)) + w.sizes.instances
    # Orders these leaders win anyway, and some an outsider wins: only the bidder lists are
    # written, so nobody's market share moves.
    large, mid = c.amount_fen > 300_000_00, c.amount_fen > 50_000_00
    in_group = np.isin(c.supplier, group)
    by_group = _take(w, [_free(w, in_group & large), _free(w, in_group & mid)], tenders - tenders // 4)
    by_others = _take(w, [_free(w, np.isin(c.supplier, others) & large)], tenders // 4)
    # a small market may not give enough: some more of its large jobs go to the leaders
    extra = _take(w, [_free(w, (c.cat == cat) & large)], tenders - len(by_group) - len(by_others))
    c.supplier[extra] = rng.choice(group, len(extra))
    idx = np.sort(np.concatenate([by_group, by_others, extra]))
    for i in idx:
        winner = int(c.supplier[i])
        rivals = others[others != winner]
        # at most six bids: the four leaders, an outside winner, one or two more rivals
        wanted = int(rng.integers(1, 3)) if winner in group else int(rng.integers(0, 2))
        rivals = rng.choice(rivals, min(len(rivals), wanted), replace=False)
        bidders = np.array([winner, *(g for g in group if g != winner), *rivals], dtype=np.int64)
        # ordinary dispersion around the estimate; the lowest bid wins
        factors = np.sort(np.clip(rng.normal(0.95, 0.05, len(bidders)), 0.78, 1.2))
        factors[1:] = rng.permutation(factors[1:])
        fen = np.round(c.amount_fen[i] / factors[0] * factors).astype(np.int64)
        fen[0] = c.amount_fen[i]
        fen[1:] = np.maximum(fen[1:], fen[0] + 100_00)
        w.scripted_tenders[int(i)] = (bidders, fen)
    c.method[idx] = np.where(
        c.amount_fen[idx] > w.profile.approval.open_tender_threshold * 100, OPEN, INVITED
    )
    for s in group:
        w.label("decoy_competitive_cobidders", n, "supplier", int(s))


def decoy_big_legit_contracts(w: World, n: int) -> None:
    c = w.contracts
    assert c is not None
    cat = w.cats.index[w.profile.big_contract_category]
    idx = _take(w, [_free(w, c.cat == cat), _free(w, _not_utility(w))], 1)
    _assign(w, idx, cat=cat)
    if w.suppliers.at[int(c.supplier[idx[0]]), "category"] != cat:
        pool = np.flatnonzero(
            (w.suppliers["category"].to_numpy() == cat) & (w.suppliers["kind"].to_numpy() == "pool")
        )
        weight = w.suppliers["weight"].to_numpy()[pool]
        c.supplier[idx] = w.rng.choice(pool, p=weight / weight.sum())
    w.price(idx, _log_uniform(w.rng, 8_000_000, 60_000_000, len(idx)))
    c.method[idx] = OPEN
    w.label("decoy_big_legit_contracts", n, "contract", int(idx[0]))


#: Planted schemes, in the order they are planted (the ones that need most orders first).
SCHEME_PLANTERS: dict[str, Callable[[World, int], None]] = {
    "favoritism": favoritism,
    "split_purchase": split_purchase,
    "self_approval": self_approval,
    "relative_supplier": relative_supplier,
    "shared_identifier": shared_identifier,
    "ownership_cycle": ownership_cycle,
    "payment_to_staff": payment_to_staff,
    "bid_rotation": bid_rotation,
    "price_inflation": price_inflation,
    "after_hours": after_hours,
    "repeat_direct_awards": repeat_direct_awards,
}
DECOY_PLANTERS: dict[str, Callable[[World, int], None]] = {
    "decoy_monopoly_utility": decoy_monopoly_utility,
    "decoy_hub_address": decoy_hub_address,
    "decoy_switchboard": decoy_switchboard,
    "decoy_competitive_cobidders": decoy_competitive_cobidders,
    "decoy_big_legit_contracts": decoy_big_legit_contracts,
    # last, so no later planter hands this supplier's orders to anybody else
    "decoy_relative_no_approval": decoy_relative_no_approval,
}


def decoy_instances(w: World, name: str) -> int:
    """Instances of a classic decoy in this world."""
    instances = w.sizes.instances
    if name == "decoy_monopoly_utility":
        return len(_utilities_in_use(w))
    if name in ("decoy_hub_address", "decoy_switchboard"):
        return 1
    if name == "decoy_big_legit_contracts":
        return max(3, instances)
    return max(1, instances // 2)


def no_accidental_splits(w: World) -> None:
    """Nothing but the planted instances looks like a split purchase: when two orders of one
    requester from one supplier, close in time, both sit just under the same approval limit,
    the later one is made smaller — or, if a scheme fixed its amount, raised by someone else."""
    c = w.contracts
    assert c is not None
    limits = np.array(w.profile.approval.limits, dtype=float)
    pinned = np.zeros(len(c), dtype=bool)  # orders whose requester is part of a scheme
    for scheme, _, kind, ref in w.labels:
        if kind == "contract" and scheme in ("split_purchase", "self_approval"):
            pinned[int(ref)] = True  # type: ignore[call-overload]
    pinned[list(w.diverted_payments)] = True
    for _ in range(10):
        yuan = c.amount_fen / 100
        band = np.full(len(c), -1)
        for level, limit in enumerate(limits):
            band[(yuan > 0.8 * limit) & (yuan <= limit)] = level
        idx = np.flatnonzero(band >= 0)
        idx = idx[np.lexsort((c.request_day[idx], band[idx], c.supplier[idx], c.requester[idx]))]
        close = (
            (c.requester[idx[1:]] == c.requester[idx[:-1]])
            & (c.supplier[idx[1:]] == c.supplier[idx[:-1]])
            & (band[idx[1:]] == band[idx[:-1]])
            & (c.request_day[idx[1:]] - c.request_day[idx[:-1]] <= w.profile.approval.split_window_days + 10)
            & ~(pinned[idx[1:]] & pinned[idx[:-1]])
        )
        earlier, later = idx[:-1][close], idx[1:][close]
        if not len(later):
            break
        routine = later[~c.reserved[later]]
        w.price(routine, limits[band[routine]] * w.rng.uniform(0.45, 0.75, len(routine)), max_unit_share=0.1)
        fixed = c.reserved[later]
        movable = np.where(pinned[later], earlier, later)[fixed]
        w.reassign_requesters(movable[~pinned[movable]])
    _keep_apart(w)


def _keep_apart(w: World) -> None:
    """An employee of ``decoy_relative_no_approval`` never raises their relative's company's orders."""
    c = w.contracts
    assert c is not None
    for employee, supplier in w.kept_apart:
        w.reassign_requesters(
            np.flatnonzero((c.supplier == supplier) & (c.requester == employee)), avoid=employee
        )


def requesters_on_payroll(w: World) -> None:
    """Schemes move some orders in time; whoever raised one must have been employed that day."""
    c = w.contracts
    assert c is not None
    hire = w.employees["hire_day"].to_numpy()[c.requester]
    leave = w.employees["leave_day"].to_numpy()[c.requester]
    w.reassign_requesters(np.flatnonzero((hire > c.request_day) | (leave <= c.request_day)))

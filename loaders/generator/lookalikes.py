"""Legitimate look-alikes beyond the classic decoys, planted in every profile but ``classic``.

Each is what a large organisation's procurement really contains and what a screen tuned on
a clean world mistakes for a scheme. They leave no marker only a generator would leave (no
name tag, no special id): they can be told apart only by their structure. The module
docstring of :mod:`loaders.generator` describes each one and its labels.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import names
from .process import DIRECT, INQUIRY, NEGOTIATION, OPEN, SINGLE_SOURCE, Process
from .schemes import _free, _log_uniform, _not_utility, _take, sellers_of, unprotected_suppliers
from .world import DAY, DEPUTY, FIRST_REQUEST_DAY, SPAN_DAYS, STAFF, START, World

__all__ = ["LOOK_ALIKE_DECOYS", "label_roughness", "plant_look_alikes"]

#: Decoys only profiles other than ``classic`` plant, in planting order.
LOOK_ALIKE_DECOYS: tuple[str, ...] = (
    "decoy_framework_agreement",
    "decoy_group_shared_address",
    "decoy_oem_spare_parts",
    "decoy_small_market",
    "decoy_emergency_repair",
    "decoy_year_end_rush",
    "decoy_duplicate_vendor",
    "decoy_incumbent_supplier",
    "decoy_repeat_direct_under_threshold",
    "decoy_close_bids",
)

#: A maker's own parts, by the category they are bought in: (part, unit, typical price in yuan).
_OEM_PARTS = {
    "计量仪表": (("远传抄表模块", "个", 180), ("智能表主板", "块", 260), ("集中器", "台", 4_800)),
}
_DEFAULT_PARTS = (
    ("原厂密封组件", "套", 4_200),
    ("控制模块", "块", 18_500),
    ("专用轴承", "套", 9_600),
    ("伺服驱动器", "台", 26_000),
)


def _in_schemes(w: World) -> np.ndarray:
    """Employees a planted scheme names (decoy labels do not count: one person can be in two
    legitimate patterns, not in a scheme and a decoy)."""
    return w.named("employee", lambda scheme: not scheme.startswith("decoy_"))


def _free_signers(w: World, dept: int) -> list[int]:
    """The department's level-1 signers that no planted scheme names."""
    taken = set(_in_schemes(w).tolist())
    return [int(m) for m in w.managers_of[dept] if int(m) not in taken]


def _unprotected_staff(w: World, dept: int, roles: tuple[int, ...]) -> np.ndarray:
    emp = w.employees
    ok = (emp["dept"].to_numpy() == dept) & emp["role"].isin(roles).to_numpy()
    ok[list(w.protected_employees)] = False
    return np.flatnonzero(ok)


# ---- shared addresses and switchboards ---------------------------------------------------------
def branch_offices(w: World, first_instance: int) -> int:
    """Staff of each branch give its office building as their address and its switchboard as
    their phone (some with an extension). Labels continue ``decoy_hub_address`` and
    ``decoy_switchboard``: one instance per branch. Returns the instances planted."""
    rng = w.rng
    planted = 0
    for dept in np.flatnonzero(w.dept_region > 0):
        crowd = rng.permutation(_unprotected_staff(w, int(dept), (STAFF, DEPUTY)))
        if len(crowd) < 6:
            continue
        n = first_instance + planted
        region = int(w.dept_region[dept])
        office = names.building_address(rng, w.regions, region)
        at_office = crowd[: max(2, round(0.5 * len(crowd)))]
        w.employees.loc[at_office, "address"] = office
        serial = w.serials(1)
        switchboard = str(
            names.landline_numbers(np.array([w.regions[region].area_code]), serial, w._offsets[1])[0]
        )
        on_board = rng.permutation(crowd)[: max(2, round(0.35 * len(crowd)))]
        written = []
        for k, style in enumerate(rng.integers(0, 5, len(on_board))):
            number = names.write_phone(switchboard, int(style))
            # some add their extension (which hides the shared number from a plain match)
            extension = k >= 2 and rng.random() < 0.3
            written.append(f"{number}-{int(rng.integers(8000, 8999))}" if extension else number)
        w.employees.loc[on_board, "phone_digits"] = switchboard
        w.employees.loc[on_board, "phone"] = written
        for e in at_office:
            w.label("decoy_hub_address", n, "employee", int(e))
        for e in on_board:
            w.label("decoy_switchboard", n, "employee", int(e))
        planted += 1
    return planted


def supplier_groups(w: World, count: int) -> int:
    """Sister companies of one group: a holding company and three to five subsidiaries in
    different trades, all registered at the group's headquarters building (half of the groups
    also share its switchboard). They never bid against each other: each sells its own trade."""
    rng = w.rng
    sup = w.suppliers
    planted = 0
    for n in range(1, count + 1):
        region = int(rng.integers(0, len(w.regions)))
        pool = np.flatnonzero(
            (sup["kind"].to_numpy() == "pool")
            & (sup["weight"].to_numpy() > 0)
            & (sup["region"].to_numpy() == region)
            & ~w.cats.utility[sup["category"].to_numpy()]
        )
        pool = rng.permutation(unprotected_suppliers(w, pool))
        children: list[int] = []
        trades: set[int] = set()
        size = int(rng.integers(3, 6))
        for s in pool.tolist():
            cat = int(sup.at[s, "category"])
            if cat not in trades:
                children.append(int(s))
                trades.add(cat)
            if len(children) == size:
                break
        if len(children) < 3:
            continue
        parent = int(
            w.new_suppliers(
                np.array([sup.at[children[0], "category"]]),
                np.array([region]),
                kind="holding",
                names_given=np.array(
                    [names.group_company_name(rng, w.regions[region], w._company_names)], dtype=object
                ),
            )[0]
        )
        sup = w.suppliers
        members = [parent, *children]
        sup.loc[members, "address"] = names.building_address(rng, w.regions, region)
        if n % 2:
            number = str(sup.at[parent, "phone_digits"])
            sup.loc[members, "phone_digits"] = number
            sup.loc[members, "phone"] = [
                names.write_phone(number, int(x)) for x in rng.integers(0, 5, len(members))
            ]
        for child in children:
            w.relate(
                "supplier", parent, "OWNS", "supplier", child, float(np.round(rng.uniform(0.51, 1.0), 2))
            )
        for s in members:
            w.label("decoy_group_shared_address", n, "supplier", s)
        planted += 1
    return planted


# ---- orders ---------------------------------------------------------------------------------
def framework_agreements(w: World, count: int) -> int:
    """A framework agreement: one open tender for a year or two of supply, then many small
    call-off orders from several departments, each under the agreement's tender. Most
    agreements' call-offs carry the approval chain of the whole agreement; the rest are signed
    at the level of each small order."""
    c = w.contracts
    assert c is not None
    rng = w.rng
    look = w.profile.look_alikes
    sup = w.suppliers
    kinds = [k for k in (*w.cats.goods, *w.cats.small_order) if not w.cats.utility[k]]
    limit = w.profile.approval.limits[0]
    for n in range(1, count + 1):
        cat = kinds[(n - 1) % len(kinds)]
        pool = sellers_of(w, cat)
        pool = unprotected_suppliers(w, pool)
        pool = pool[np.argsort(-sup["weight"].to_numpy()[pool], kind="stable")]
        supplier = int(pool[(n - 1) % min(3, len(pool))])
        k = int(rng.integers(15, 40)) + w.sizes.contracts // 4000
        idx = _take(w, [_free(w, c.cat == cat), _free(w, _not_utility(w))], k)
        c.cat[idx] = cat
        c.supplier[idx] = supplier
        start = int(rng.integers(FIRST_REQUEST_DAY + 30, SPAN_DAYS - 500))
        c.request_day[idx] = np.minimum(
            start + np.sort(rng.integers(0, int(rng.integers(300, 730)), len(idx))), SPAN_DAYS - 30
        )
        w.price(
            idx,
            _log_uniform(rng, 2_000, max(3_000, min(0.8 * limit, 80_000)), len(idx)),
            max_unit_share=0.5,
            cap=True,
        )
        anchor = int(idx[np.argmin(c.request_day[idx])])
        total = int(c.amount_fen[idx].sum() * rng.uniform(1.05, 1.3))
        rivals = rng.choice(
            pool[pool != supplier], min(len(pool) - 1, int(rng.integers(2, 6))), replace=False
        )
        bidders = np.array([supplier, *rivals], dtype=np.int64)
        fen = np.round(total * (1 + np.r_[0.0, 0.005 + np.abs(rng.normal(0.05, 0.04, len(rivals)))])).astype(
            np.int64
        )
        w.scripted_tenders[anchor] = (bidders, fen)
        c.method[idx] = OPEN
        c.agreement[idx] = anchor
        c.agreement[anchor] = -1
        if rng.random() < look.calloff_at_agreement_level:
            c.chain_fen[idx] = total
        w.label("decoy_framework_agreement", n, "supplier", supplier)
        w.label("decoy_framework_agreement", n, "tender", ("tender", anchor))
    return count


def oem_spare_parts(w: World, count: int) -> int:
    """A maker sells its own spare parts, single source, again and again, to the departments
    that run its machines (some through its authorised agent, a little dearer). Nobody else
    sells those parts, so their prices have no comparison and their sums pass the open-tender
    threshold within a year."""
    c = w.contracts
    assert c is not None
    rng = w.rng
    p = w.profile
    cat = w.cats.index[p.spare_part_category]
    parts = _OEM_PARTS.get(p.spare_part_category, _DEFAULT_PARTS)
    buyers = np.flatnonzero(w.dept_mix[:, cat] > 0)
    made = 0
    for n, (maker_name, brand) in enumerate(p.oem_makers[:count], start=1):
        maker = int(
            w.new_suppliers(
                np.array([cat]), np.array([0]), kind="maker", names_given=np.array([maker_name], dtype=object)
            )[0]
        )
        w.suppliers.loc[maker, "registered_capital"] = int(
            rng.choice([500_000_000, 1_000_000_000, 3_000_000_000])
        )
        w.suppliers.loc[maker, "registered_day"] = -int(rng.integers(6_000, 12_000))
        sellers = [maker]
        if rng.random() < 0.5:
            region = int(rng.integers(0, len(w.regions)))
            agent = int(w.new_suppliers(np.array([cat]), np.array([region]), kind="agent")[0])
            sellers.append(agent)
        items = [
            w.cats.add_item(cat, f"{brand}{part}", unit, float(price * rng.uniform(0.7, 1.4)), routine=False)
            for part, unit, price in rng.permutation(np.array(parts, dtype=object))[:3]
        ]
        for dept in rng.choice(buyers, min(len(buyers), int(rng.integers(1, 4))), replace=False):
            k = int(rng.integers(8, 20)) + w.sizes.contracts // 5000
            idx = _take(
                w,
                [_free(w, (c.dept == dept) & (c.cat == cat)), _free(w, (c.dept == dept) & _not_utility(w))],
                k,
                into_dept=int(dept),
            )
            c.cat[idx] = cat
            by_agent = (rng.random(len(idx)) < 0.4) & (len(sellers) > 1)
            c.supplier[idx] = np.where(by_agent, sellers[-1], maker)
            item = np.array(items)[rng.integers(0, len(items), len(idx))]
            targets = _log_uniform(rng, 3_000, 300_000, len(idx))
            for it in np.unique(item):
                rows = idx[item == it]
                factor = np.where(by_agent[item == it], rng.uniform(1.05, 1.12, len(rows)), 1.0)
                w.price(rows, targets[item == it], item=int(it), price_factor=factor)
            c.method[idx] = np.where(
                c.amount_fen[idx] <= 20_000_00,
                DIRECT,
                np.where(rng.random(len(idx)) < 0.85, SINGLE_SOURCE, NEGOTIATION),
            )
        for s in sellers:
            w.label("decoy_oem_spare_parts", n, "supplier", s)
        made += 1
    return made


def small_markets(w: World, count: int) -> int:
    """A niche service (special-equipment inspection) that one local firm provides in a
    branch's region: all the branch's orders of it go to that firm, signed by the branch's
    manager, who answers for safety there."""
    c = w.contracts
    assert c is not None
    rng = w.rng
    cat = w.cats.index[w.profile.niche_category]
    # branches first (a local market), then headquarters departments
    procuring = w.procuring_departments
    branches = rng.permutation(procuring[w.dept_region[procuring] > 0])
    made = 0
    for dept in [*branches, *rng.permutation(procuring[w.dept_region[procuring] == 0])]:
        if made == count:
            break
        managers = _free_signers(w, int(dept))
        if not managers:
            continue
        n = made + 1
        region = int(w.dept_region[dept])
        firm = int(w.new_suppliers(np.array([cat]), np.array([region]), kind="pool", weights=np.zeros(1))[0])
        w.suppliers.loc[firm, "registered_day"] = -int(rng.integers(3_000, 8_000))
        w.suppliers.loc[firm, "registered_capital"] = int(rng.choice([5_000_000, 10_000_000, 30_000_000]))
        k = max(6, int(((c.dept == dept) & (c.cat == cat) & ~c.reserved).sum()))
        idx = _take(
            w,
            [_free(w, (c.dept == dept) & (c.cat == cat)), _free(w, (c.dept == dept) & _not_utility(w))],
            k,
            into_dept=int(dept),
        )
        c.cat[idx] = cat
        c.supplier[idx] = firm
        c.approver1[idx] = managers[0]
        w.price(
            idx,
            _log_uniform(rng, 5_000, min(60_000, 0.9 * w.profile.approval.limits[0] + 5_000), len(idx)),
            cap=True,
        )
        c.method[idx] = np.where(rng.random(len(idx)) < 0.6, INQUIRY, DIRECT)
        w.label("decoy_small_market", n, "employee", int(managers[0]))
        w.label("decoy_small_market", n, "supplier", firm)
        made += 1
    return made


def emergency_repairs(w: World, count: int) -> int:
    """Breakdowns are repaired at night (a burst main, a tripped boiler, a stopped line): the
    duty manager signs the repair order then, a few times a quarter, with the regular
    contractors of the trade."""
    c = w.contracts
    assert c is not None
    rng = w.rng
    kinds = w.cats.of(("工程施工", "管材管件", "技术服务", "备品备件", "生产设备"))
    sup = w.suppliers
    made = 0
    for dept in rng.permutation(w.procuring_departments):
        if made == count:
            break
        managers = _free_signers(w, int(dept))
        if not managers:
            continue
        n = made + 1
        duty = int(managers[-1])
        k = int(rng.integers(8, 15))
        idx = _take(w, [_free(w, (c.dept == dept) & np.isin(c.cat, kinds))], k)
        if len(idx) < 5:
            continue
        for i in idx:
            contractors = np.flatnonzero(
                (sup["category"].to_numpy() == c.cat[i]) & (sup["weight"].to_numpy() > 0)
            )
            c.supplier[i] = int(rng.choice(contractors[:3] if len(contractors) >= 3 else contractors))
        c.approver1[idx] = duty
        night = rng.integers(22 * 3600, 28 * 3600, len(idx))
        c.step1_time[idx] = c.request_day[idx] * DAY + night
        c.method[idx] = np.where(rng.random(len(idx)) < 0.7, SINGLE_SOURCE, NEGOTIATION)
        c.fast[idx] = True
        w.label("decoy_emergency_repair", n, "employee", duty)
        made += 1
    return made


def year_end_rush(w: World) -> int:
    """Late December: departments spend what is left of the year's budget, many signers at
    once, some late into the evening and on a weekend. One instance per year; labels: the
    signers who signed after 21:45 or at the weekend."""
    c = w.contracts
    assert c is not None
    rng = w.rng
    made = 0
    for year in (2023, 2024):
        december = int((np.datetime64(f"{year}-12-01") - START).astype(int))
        window = (c.request_day >= december) & (c.request_day < december + 24)
        signers_free = ~np.isin(c.approver1, _in_schemes(w))
        pool = _free(w, window & _not_utility(w) & signers_free)
        if len(pool) < 5:
            continue
        idx = _take(w, [pool], max(5, round(0.5 * len(pool))))
        c.fast[idx] = True
        late = idx[rng.random(len(idx)) < 0.35]
        late = late if len(late) >= 3 else idx[:3]
        day = c.request_day[late] + rng.integers(0, 3, len(late))
        weekday = (day + 6) % 7  # 2023-01-01 was a Sunday; Monday = 0
        on_weekend = rng.random(len(late)) < 0.25
        day = np.where(on_weekend, day + (5 - weekday) % 7, day)
        tod = np.where(
            on_weekend,
            rng.integers(9 * 3600, 18 * 3600, len(late)),
            rng.integers(19 * 3600, int(23.5 * 3600), len(late)),
        )
        tod[:2] = np.where(on_weekend[:2], tod[:2], rng.integers(22 * 3600, int(23.5 * 3600), len(tod[:2])))
        c.step1_time[late] = day * DAY + tod
        off_hours = on_weekend | (tod > int(21.75 * 3600))
        signers = np.unique(c.approver1[late[off_hours]])
        if not len(signers):
            continue
        made += 1
        for e in signers:
            w.label("decoy_year_end_rush", made, "employee", int(e))
    return made


def repeat_direct_under_threshold(w: World, count: int) -> int:
    """A department buys from one supplier directly, again and again, and stays under the
    open-tender threshold: three to six awards within a year adding up to 55-85 % of it.
    The near miss of ``repeat_direct_awards``."""
    c = w.contracts
    assert c is not None
    rng = w.rng
    threshold = w.profile.approval.open_tender_threshold
    kinds = [k for k in (*w.cats.job, *w.cats.small_order) if not w.cats.utility[k]]
    for n in range(1, count + 1):
        dept = int(rng.choice(w.procuring_departments))
        cat = int(kinds[(n - 1) % len(kinds)])
        pool = sellers_of(w, cat)
        supplier = int(rng.choice(unprotected_suppliers(w, pool)))
        parts = int(rng.integers(3, 7))
        total = threshold * rng.uniform(0.55, 0.85)
        shares = rng.dirichlet(np.full(parts, 3.0))
        idx = _take(
            w,
            [_free(w, (c.dept == dept) & (c.cat == cat)), _free(w, (c.dept == dept) & _not_utility(w))],
            parts,
            into_dept=dept,
        )
        c.cat[idx] = cat
        c.supplier[idx] = supplier
        first = int(rng.integers(FIRST_REQUEST_DAY, SPAN_DAYS - 400))
        c.request_day[idx] = first + np.sort(rng.integers(0, 330, len(idx)))
        w.price(idx, total * shares[: len(idx)], cap=True)
        c.method[idx] = np.where(rng.random(len(idx)) < 0.5, SINGLE_SOURCE, DIRECT)
        w.label("decoy_repeat_direct_under_threshold", n, "department", dept)
        w.label("decoy_repeat_direct_under_threshold", n, "supplier", supplier)
    return count


def duplicate_vendors(w: World, share: float) -> int:
    """Vendor-master duplicates: a supplier entered a second time (same name, credit code,
    account), with a few orders booked on the second record. Each pair is one instance."""
    c = w.contracts
    assert c is not None
    rng = w.rng
    sup = w.suppliers
    orders = np.bincount(c.supplier[~c.reserved], minlength=len(sup))
    pool = unprotected_suppliers(w, np.flatnonzero((sup["kind"].to_numpy() == "pool") & (orders >= 4)))
    chosen = rng.choice(pool, min(len(pool), max(1, round(share * len(pool)))), replace=False)
    for n, s in enumerate(sorted(chosen.tolist()), start=1):
        copy = w.suppliers.loc[[s]].copy()
        copy["kind"] = "duplicate"
        copy["weight"] = 0.0
        if rng.random() < 0.5:
            copy["phone"] = ""
        start = len(w.suppliers)
        w.suppliers = pd.concat([w.suppliers, copy], ignore_index=True)
        mine = np.flatnonzero((c.supplier == s) & ~c.reserved)
        moved = rng.choice(mine, min(len(mine) - 1, int(rng.integers(1, 4))), replace=False)
        c.supplier[moved] = start
        w.label("decoy_duplicate_vendor", n, "supplier", int(s))
        w.label("decoy_duplicate_vendor", n, "supplier", start)
    return len(chosen)


def plant_look_alikes(w: World) -> dict[str, int]:
    """Plant the look-alikes of the profile that take orders or change parties; returns
    instances per decoy (``decoy_hub_address`` and ``decoy_switchboard`` add to the classic one)."""
    look = w.profile.look_alikes
    counts: dict[str, int] = {}
    if look.branch_offices:
        extra = branch_offices(w, first_instance=2)
        counts["decoy_hub_address"] = counts["decoy_switchboard"] = 1 + extra
    counts["decoy_group_shared_address"] = supplier_groups(w, look.supplier_groups)
    if look.framework_agreements:
        counts["decoy_framework_agreement"] = framework_agreements(
            w, max(1, round(look.framework_agreements * w.sizes.instances))
        )
    if look.oem_makers and w.profile.oem_makers:
        counts["decoy_oem_spare_parts"] = oem_spare_parts(w, look.oem_makers)
    if look.small_markets and w.profile.niche_category:
        counts["decoy_small_market"] = small_markets(w, max(1, w.sizes.instances // 2))
    if look.emergency_repairs:
        counts["decoy_emergency_repair"] = emergency_repairs(w, max(1, w.sizes.instances // 3))
    if look.label_roughness:
        counts["decoy_repeat_direct_under_threshold"] = repeat_direct_under_threshold(
            w, max(1, w.sizes.instances // 2)
        )
    if look.year_end_rush:
        counts["decoy_year_end_rush"] = year_end_rush(w)
    if w.profile.noise.duplicate_vendors:
        counts["decoy_duplicate_vendor"] = duplicate_vendors(w, w.profile.noise.duplicate_vendors)
    return {name: n for name, n in counts.items() if n}


# ---- the background's roughness, labelled after the process is derived ------------------------
def label_roughness(w: World, p: Process) -> dict[str, int]:
    """Label what ordinary trade leaves in any extract, so that alarms about it are counted:
    incumbents (a department keeping one supplier of a category for years) and tenders with a
    close finish or a tie. The most prominent few of each (as many as the scheme instances, at
    least three)."""
    c = w.contracts
    assert c is not None
    limit = max(3, w.sizes.instances)
    protected = np.array(sorted(w.protected_suppliers), dtype=np.int64)
    routine = ~c.reserved & ~w.cats.utility[c.cat] & ~np.isin(c.supplier, protected)
    counts: dict[str, int] = {}

    # incumbents: a routine supplier with most of a department's orders in a category
    key = (
        c.dept[routine] * len(w.suppliers) * len(w.cats)
        + c.cat[routine] * len(w.suppliers)
        + c.supplier[routine]
    )
    pairs, n_pair = np.unique(key, return_counts=True)
    # the share of all the department's orders in the category, whoever took them
    all_groups = c.dept * len(w.cats) + c.cat
    totals = np.bincount(all_groups, minlength=(len(w.dept_names) + 1) * len(w.cats))
    share = n_pair / totals[pairs // len(w.suppliers)]
    strong = np.flatnonzero((share >= 0.5) & (n_pair >= 10))
    strong = strong[np.argsort(-n_pair[strong], kind="stable")][:limit]
    for n, i in enumerate(strong.tolist(), start=1):
        dept = int(pairs[i]) // (len(w.suppliers) * len(w.cats))
        w.label("decoy_incumbent_supplier", n, "department", dept)
        w.label("decoy_incumbent_supplier", n, "supplier", int(pairs[i] % len(w.suppliers)))
    counts["decoy_incumbent_supplier"] = len(strong)

    close = [int(i) for i in w.close_tenders if routine[int(i)]]
    close = close[:: max(1, len(close) // limit)][:limit]
    for n, i in enumerate(close, start=1):
        w.label("decoy_close_bids", n, "tender", ("tender", i))
    counts["decoy_close_bids"] = len(close)
    return {name: n for name, n in counts.items() if n}

"""What follows from a purchase order once its fields are settled: the procurement
method, the approval chain and its timestamps, the signing date, the tender and
its bids, and the payments. Everything is vectorised over all orders; the
handful of tenders and payments a scheme scripts are merged in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from .catalog import METHODS
from .names import write_account
from .world import BUSDAYS, DAY, END_DAY, SPAN_DAYS, START, World, approval_levels

__all__ = ["METHODS", "Process", "derive", "hours"]

OPEN, INVITED, NEGOTIATION, SINGLE_SOURCE, INQUIRY, DIRECT = range(len(METHODS))
TENDERED = (OPEN, INVITED)

HOUR = 3600
#: Routine overtime signatures end before 21:45; later ones belong to a scheme.
OVERTIME_END = int(21.75 * HOUR)


@dataclass
class Process:
    method: np.ndarray
    signed_day: np.ndarray
    # approvals, one row per step
    approval_contract: np.ndarray
    approval_step: np.ndarray
    approval_employee: np.ndarray
    approval_time: np.ndarray  # seconds from START
    # bids, one row per bid; the tender is the contract's
    bid_contract: np.ndarray
    bid_supplier: np.ndarray
    bid_fen: np.ndarray
    bid_winner: np.ndarray
    bid_time: np.ndarray
    # payments, one row per instalment
    payment_contract: np.ndarray
    payment_fen: np.ndarray
    payment_time: np.ndarray
    payment_account: np.ndarray
    payment_name: np.ndarray
    payment_diverted: np.ndarray


def _days(day_numbers: np.ndarray) -> np.ndarray:
    return START + np.asarray(day_numbers).astype("timedelta64[D]")


def _day_numbers(dates: np.ndarray) -> np.ndarray:
    return (dates - START).astype(np.int64)


def _weekday(day_numbers: np.ndarray) -> np.ndarray:
    """Monday = 0."""
    return (_days(day_numbers).astype(np.int64) + 3) % 7


def _busday(
    day_numbers: np.ndarray, offset: np.ndarray | int = 0, roll: Literal["forward", "backward"] = "forward"
) -> np.ndarray:
    return _day_numbers(np.busday_offset(_days(day_numbers), offset, roll=roll, busdaycal=BUSDAYS))


def _office_hours(rng: np.random.Generator, n: int, start: float, end: float) -> np.ndarray:
    return rng.integers(int(start * HOUR), int(end * HOUR), n)


def hours(clock: str) -> float:
    """``"08:30"`` -> ``8.5``.

    >>> hours("08:30"), hours("19:00")
    (8.5, 19.0)
    """
    hh, mm = clock.split(":")
    return int(hh) + int(mm) / 60


def choose_methods(w: World) -> np.ndarray:
    """The method an order of this size would normally use, unless a scheme fixed it."""
    c = w.contracts
    assert c is not None
    rng = w.rng
    yuan = c.amount_fen / 100
    u = rng.random(len(c))

    def pick(cuts: list[tuple[float, int]]) -> np.ndarray:
        edges = np.cumsum([p for p, _ in cuts])
        return np.array([m for _, m in cuts])[
            np.searchsorted(edges, u * edges[-1], side="right").clip(0, len(cuts) - 1)
        ]

    bands = w.profile.market.methods
    choices = [pick([(weight, METHODS.index(name)) for weight, name in cuts]) for _, cuts in bands]
    method = np.select([yuan <= float(upper or np.inf) for upper, _ in bands[:-1]], choices[:-1], choices[-1])
    method = np.where(w.cats.utility[c.cat], SINGLE_SOURCE, method)
    method = np.where(c.method >= 0, c.method, method)
    _cap_direct_awards(w, method)
    return method


def _cap_direct_awards(w: World, method: np.ndarray) -> None:
    """Keep routine direct and single-source awards of a department to one supplier under the
    open-tender threshold (the profile's share of it, over the whole extract or any rolling
    window): the orders past it are negotiated instead. Only the ``repeat_direct_awards``
    scheme crosses it."""
    c = w.contracts
    assert c is not None
    approval = w.profile.approval
    cap = approval.direct_award_cap * approval.open_tender_threshold * 100
    if approval.cap_window_days:
        _cap_per_window(w, method, cap, approval.cap_window_days)
        return
    routine = np.flatnonzero(
        np.isin(method, (DIRECT, SINGLE_SOURCE)) & (c.method < 0) & ~w.cats.utility[c.cat]
    )
    key = c.dept[routine] * len(w.suppliers) + c.supplier[routine]
    order = np.lexsort((c.request_day[routine], key))
    routine, key = routine[order], key[order]
    running = np.cumsum(c.amount_fen[routine])
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    before_group = np.repeat(
        running[starts] - c.amount_fen[routine[starts]], np.diff(np.r_[starts, len(key)])
    )
    over = running - before_group > cap
    method[routine[over]] = NEGOTIATION


def _cap_per_window(w: World, method: np.ndarray, cap_fen: float, window_days: int) -> None:
    """The cap over every rolling window, counting the direct awards a look-alike fixed as well
    (only routine orders are moved; the suppliers of the ``repeat_direct_awards`` scheme are
    left to cross it). The sum over the window that ends at an order is its group's running
    total minus what was awarded before the window opened."""
    c = w.contracts
    assert c is not None
    crossing = w.named("supplier", lambda scheme: scheme == "repeat_direct_awards")
    awards = np.flatnonzero(
        np.isin(method, (DIRECT, SINGLE_SOURCE)) & ~w.cats.utility[c.cat] & ~np.isin(c.supplier, crossing)
    )
    key = c.dept[awards] * len(w.suppliers) + c.supplier[awards]
    order = np.lexsort((c.request_day[awards], key))
    awards, key = awards[order], key[order]
    running = np.cumsum(c.amount_fen[awards])
    stamp = key * (4 * SPAN_DAYS) + c.request_day[awards]
    opened = np.searchsorted(stamp, stamp - window_days + 1, side="left")
    before = np.where(opened > 0, running[np.maximum(opened - 1, 0)], 0)
    over = (running - before > cap_fen) & (c.method[awards] < 0)
    method[awards[over]] = NEGOTIATION


def _approvals(w: World) -> tuple[np.ndarray, ...]:
    """Approval rows and the signing day of every order."""
    c = w.contracts
    assert c is not None
    rng = w.rng
    n = len(c)
    policy = w.profile.approval
    levels = approval_levels(np.where(c.chain_fen >= 0, c.chain_fen, c.amount_fen), policy.limits)
    n_levels = len(policy.limits) + 1
    start, end = (hours(h) for h in policy.working_hours)
    stamp = np.full((n, n_levels), -1, dtype=np.int64)

    # step 1: the department's manager, the same day as the request or a few working days later
    delay = np.where(c.fast, rng.integers(0, 2, n), rng.choice(4, n, p=[0.45, 0.35, 0.15, 0.05]))
    day = _busday(c.request_day, delay)
    tod = _office_hours(rng, n, start + 0.5, end - 0.5)
    overtime = rng.random(n) < policy.overtime
    tod = np.where(overtime, rng.integers(int(end * HOUR), OVERTIME_END, n), tod)
    forced = c.step1_time >= 0
    day = np.where(forced, c.step1_time // DAY, day)
    tod = np.where(forced, c.step1_time % DAY, tod)
    stamp[:, 0] = day * DAY + tod

    for k in range(1, n_levels):
        active = np.flatnonzero(levels > k)
        m = len(active)
        prev_day, prev_tod = stamp[active, k - 1] // DAY, stamp[active, k - 1] % DAY
        delay = np.where(c.fast[active], rng.integers(0, 2, m), rng.choice(4, m, p=[0.35, 0.4, 0.18, 0.07]))
        day = _busday(prev_day, delay)
        tod = _office_hours(rng, m, start + 0.5, end - 0.5)
        same = day == prev_day
        tod = np.where(same, np.maximum(tod, prev_tod + rng.integers(600, 5400, m)), tod)
        too_late = same & (tod > (end - 0.25) * HOUR)
        day = np.where(too_late, _busday(day, 1), day)
        tod = np.where(too_late, _office_hours(rng, m, start + 0.5, 11), tod)
        overtime = (day != prev_day) & (rng.random(m) < policy.overtime)
        tod = np.where(overtime, rng.integers(int(end * HOUR), OVERTIME_END, m), tod)
        stamp[active, k] = day * DAY + tod

    # now and then the last signature of a chain comes in on a weekend
    last = stamp[np.arange(n), levels - 1]
    weekend = (rng.random(n) < policy.weekend) & ~forced
    last_day = last // DAY
    to_saturday = (5 - _weekday(last_day)) % 7
    to_saturday = np.where(to_saturday == 0, 7, to_saturday)
    weekend_day = last_day + to_saturday + rng.integers(0, 2, n)
    weekend_time = weekend_day * DAY + _office_hours(rng, n, 9, 17)
    last = np.where(weekend, weekend_time, last)
    stamp[np.arange(n), levels - 1] = last

    sign_lag = np.where(c.fast, rng.integers(0, 2, n), rng.integers(0, 5, n))
    signed_day = _busday(last // DAY, sign_lag)

    contract = np.repeat(np.arange(n), levels)
    first = np.cumsum(levels) - levels
    step = np.arange(len(contract)) - np.repeat(first, levels) + 1
    dept = c.dept[contract]
    leader = w.top_signers[np.clip(step - 3, 0, len(w.top_signers) - 1)]
    employee = np.select([step == 1, step == 2], [c.approver1[contract], w.vp_of[dept]], leader)
    return contract, step, employee, stamp[contract, step - 1], signed_day


def _bidder_pools(w: World) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    sup = w.suppliers
    weight = sup["weight"].to_numpy()
    cats = sup["category"].to_numpy()
    pools = {}
    for cat in np.unique(cats):
        members = np.flatnonzero((cats == cat) & (weight > 0))
        p = np.sqrt(weight[members])
        pools[int(cat)] = (members, p / p.sum())
    return pools


def _cobidders(
    w: World, winners: np.ndarray, cats: np.ndarray, need: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rival bidders per tender from the winner's category: (tender row, supplier) pairs."""
    rng = w.rng
    pools = _bidder_pools(w)
    rows_out, sups_out = [], []
    for cat in np.unique(cats):
        members, p = pools[int(cat)]
        todo = np.flatnonzero(cats == cat)
        for _ in range(40):
            if not len(todo):
                break
            m = len(todo)
            drawn = members[rng.choice(len(members), (m, 10), p=p)]
            both = np.concatenate([winners[todo, None], drawn], axis=1)
            valid = np.ones(both.shape, dtype=bool)
            valid[:, 0] = False
            for j in range(1, both.shape[1]):
                for i in range(j):
                    valid[:, j] &= both[:, j] != both[:, i]
            take = valid & (np.cumsum(valid, axis=1) <= need[todo, None])
            enough = take.sum(axis=1) >= np.minimum(2, need[todo])
            r, col = np.nonzero(take & enough[:, None])
            rows_out.append(todo[r])
            sups_out.append(both[r, col])
            todo = todo[~enough]
        if len(todo):
            raise RuntimeError(f"category {cat} has too few suppliers to hold tenders")
    rows = np.concatenate(rows_out) if rows_out else np.zeros(0, dtype=np.int64)
    sups = np.concatenate(sups_out) if sups_out else np.zeros(0, dtype=np.int64)
    order = np.argsort(rows, kind="stable")
    return rows[order], sups[order]


def _bids(w: World, method: np.ndarray) -> tuple[np.ndarray, ...]:
    """Tenders for openly and invitation-tendered orders: 3-6 bids around an estimate."""
    c = w.contracts
    assert c is not None
    rng = w.rng
    # call-offs of a framework agreement share their agreement's tender and bid in it only once
    tendered = np.flatnonzero(np.isin(method, TENDERED) & (c.agreement < 0))
    scripted = np.array(sorted(w.scripted_tenders), dtype=np.int64)
    routine = np.setdiff1d(tendered, scripted)
    m = len(routine)

    market = w.profile.market
    winners = c.supplier[routine]
    need = rng.integers(market.rivals[0], market.rivals[1], m)  # rivals besides the winner
    rows, rivals = _cobidders(w, winners, c.cat[routine], need)
    count = np.bincount(rows, minlength=m) + 1
    tender_row = np.concatenate([np.arange(m), rows])
    supplier = np.concatenate([winners, rivals])
    position = np.concatenate([np.zeros(m, dtype=np.int64), _rank_within(rows, m) + 1])
    order = np.lexsort((position, tender_row))
    tender_row, supplier, position = tender_row[order], supplier[order], position[order]

    # Price-only award mostly goes to the lowest bid; one in eight to the second (scored evaluation).
    factor = np.clip(rng.normal(0.95, market.bid_spread, len(tender_row)), 0.78, 1.2)
    sorted_factor = factor[np.lexsort((factor, tender_row))]
    first = np.cumsum(count) - count
    winner_rank = (rng.random(m) < market.second_lowest_wins).astype(np.int64)
    wr = winner_rank[tender_row]
    rank = np.where(position == 0, wr, np.where(position - 1 < wr, position - 1, position))
    factor = sorted_factor[first[tender_row] + rank]
    winner_factor = factor[position == 0]
    estimate = c.amount_fen[routine] / winner_factor
    bid_fen = np.round(estimate[tender_row] * factor).astype(np.int64)
    is_winner = position == 0
    bid_fen[is_winner] = c.amount_fen[routine]
    contract = routine[tender_row]
    if market.close_bids or market.ties:
        _close_and_tied(w, routine, tender_row, is_winner, bid_fen)

    if len(scripted):
        s_contract = np.concatenate([np.full(len(w.scripted_tenders[k][0]), k) for k in scripted])
        s_supplier = np.concatenate([w.scripted_tenders[k][0] for k in scripted])
        s_fen = np.concatenate([w.scripted_tenders[k][1] for k in scripted])
        contract = np.concatenate([contract, s_contract])
        supplier = np.concatenate([supplier, s_supplier])
        bid_fen = np.concatenate([bid_fen, s_fen])
        is_winner = np.concatenate([is_winner, s_supplier == c.supplier[s_contract]])

    # bids arrive over the last working days before the deadline, which precedes the award
    n_bids = len(contract)
    deadline = _busday(c.request_day - rng.integers(3, 20, len(c)), 0, roll="backward")
    bid_day = _busday(deadline[contract], -rng.integers(0, 5, n_bids), roll="backward")
    bid_time = bid_day * DAY + _office_hours(rng, n_bids, 8.5, 17)
    order = np.lexsort((bid_time, contract))
    return contract[order], supplier[order], bid_fen[order], is_winner[order], bid_time[order]


def _close_and_tied(
    w: World, routine: np.ndarray, tender_row: np.ndarray, is_winner: np.ndarray, bid_fen: np.ndarray
) -> None:
    """Ordinary competition has close finishes: in some tenders the cheapest losing bid comes
    within 0.6 % of the winner, in a few it ties. ``bid_fen`` is changed in place."""
    rng = w.rng
    market = w.profile.market
    m = len(routine)
    draw = rng.random(m)
    close = draw < market.close_bids
    tie = draw >= 1 - market.ties
    losing = np.flatnonzero(~is_winner)
    order = losing[np.lexsort((bid_fen[losing], tender_row[losing]))]
    first = order[np.r_[True, tender_row[order][1:] != tender_row[order][:-1]]]
    winner_fen = np.zeros(m, dtype=np.int64)
    winner_fen[tender_row[is_winner]] = bid_fen[is_winner]
    rows = tender_row[first]
    near = np.round(winner_fen[rows] * (1 + rng.uniform(0.001, 0.006, len(first)))).astype(np.int64)
    bid_fen[first] = np.select([tie[rows], close[rows]], [winner_fen[rows], near], bid_fen[first])
    w.close_tenders = np.sort(routine[np.flatnonzero(close | tie)])


def _rank_within(groups: np.ndarray, n_groups: int) -> np.ndarray:
    """0, 1, 2 ... within each run of equal values of a sorted ``groups``."""
    first = np.searchsorted(groups, np.arange(n_groups))
    return np.arange(len(groups)) - first[groups]


def _payments(w: World, signed_day: np.ndarray) -> tuple[np.ndarray, ...]:
    """Instalments to the supplier's account: in full, 30/70, or 30/60/10 with a retention."""
    c = w.contracts
    assert c is not None
    rng = w.rng
    n = len(c)
    parts = rng.choice([1, 2, 3], n, p=[0.55, 0.35, 0.1])
    diverted_contracts = np.array(sorted(w.diverted_payments), dtype=np.int64)
    parts[diverted_contracts] = 2
    contract = np.repeat(np.arange(n), parts)
    first = np.cumsum(parts) - parts
    k = np.arange(len(contract)) - np.repeat(first, parts)
    total = parts[contract]
    share = np.select([total == 1, k == 0, total == 2], [1.0, 0.3, 0.7], np.where(k == 1, 0.6, 0.1))
    diverted = np.isin(contract, diverted_contracts)
    if len(diverted_contracts):
        cut = np.array([w.diverted_payments[int(i)][2] for i in contract[diverted]])
        share[diverted] = np.where(k[diverted] == 0, 1 - cut, cut)
    amount = c.amount_fen[contract]
    fen = np.round(amount * share).astype(np.int64)
    # the last instalment takes the rounding, so instalments add up to the contract
    is_last = k == total - 1
    paid_before = np.cumsum(fen) - fen
    paid_before -= np.repeat(paid_before[first], parts)
    fen = np.where(is_last, amount - paid_before, fen)

    gap = np.select(
        [k == 0, k == 1],
        [rng.integers(5, 40, len(k)), rng.integers(30, 120, len(k))],
        rng.integers(300, 400, len(k)),
    )
    gap = np.where(diverted & (k == 1), rng.integers(10, 60, len(k)), gap)
    day = signed_day[contract] + np.cumsum(gap) - np.repeat((np.cumsum(gap) - gap)[first], parts)
    day = _busday(day)
    time = day * DAY + _office_hours(rng, len(day), 9, 17)

    sup = w.suppliers
    account = sup["bank_digits"].to_numpy()[c.supplier[contract]].astype(object)
    grouped = np.flatnonzero(rng.random(len(contract)) < 0.1)
    account[grouped] = [write_account(a, 1) for a in account[grouped]]
    name = sup["name"].to_numpy()[c.supplier[contract]].copy()
    if len(diverted_contracts):
        to_person = diverted & (k == 1)
        account[to_person] = [w.diverted_payments[int(i)][0] for i in contract[to_person]]
        name[to_person] = [w.diverted_payments[int(i)][1] for i in contract[to_person]]
        diverted = to_person
    # the extract ends on END_DAY: later instalments are not paid yet
    keep = day <= END_DAY
    order = np.lexsort((contract[keep], time[keep]))
    return tuple(a[keep][order] for a in (contract, fen, time, account, name, diverted))


def derive(w: World) -> Process:
    method = choose_methods(w)
    a_contract, a_step, a_employee, a_time, signed_day = _approvals(w)
    b = _bids(w, method)
    p = _payments(w, signed_day)
    return Process(method, signed_day, a_contract, a_step, a_employee, a_time, *b, *p)

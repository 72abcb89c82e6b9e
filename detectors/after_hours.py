"""After-hours approvals: spates of sign-offs at night, at weekends or on holidays.

Summary
-------
Flags an approver who signs a run of contracts outside working hours within a
few days — far more than their own habit explains — and an approver whose
share of off-hours approvals stands out from their peers.

Methodology
-----------
An approval is *off-hours* when ``approved_at`` falls before the start or at or
after the end of ``policy.yaml`` ``working_hours``, on a Saturday or Sunday that
is not a make-up working day, or on a public holiday. The calendar is built in
(:mod:`detectors.china_calendar`: mainland China's statutory holidays and 调休
make-up working days 2015-2026, from the State Council's yearly notices;
``holiday_calendar: none`` switches it off); ``policy.yaml`` ``holidays`` adds
the organisation's own days off and ``workdays`` its own working weekend days
(a date in ``workdays`` is never a holiday). A weekday holiday of the built-in
calendar on which the organisation signed at least half of an ordinary working
day's approvals (the median over weekdays) was worked there and counts as a
working day (``thresholds.calendar_holidays_worked``). Rejections count too (a decision
taken off-hours is the behaviour of interest); one approver signing several
steps of one contract counts once.

* **Spate** — for each approver, every window of ``window_days`` days holding
  at least ``min_spate`` off-hours approvals; overlapping windows merge into
  one spate of *n* approvals over *d* days. It is reported when it is also
  unlikely for this approver: with *r* = the approver's off-hours approvals
  (this spate included) per calendar day of their approving career (counted
  as at least 90 days, so a newcomer's first weeks are judged against a
  quarter) and *s* = the season factor of those days (below), the expectation
  is the larger of ``r·d·s`` and the *same weeks' organisation-wide* rate (the
  other approvers' off-hours share of their approvals in the spate's days widened
  to ``window_days``, times the approver's own approvals then — for the look at
  late-night and day-off approvals, the others' late-night share; used when the
  others signed at least 30 approvals then), and the Poisson tail
  ``P(X ≥ n | expected)`` — or the same test on the
  spate's approvals late at night (22:00–06:00) or on days off alone, against
  the approver's usual rate of those, times *s* (an evening worker signing at midnight is
  still unusual); the smaller tail, doubled for the two looks, must be at most
  ``alpha`` (a chief executive who signs hundreds of steps a day has late
  evenings routinely; a department manager does not). Score = 0.35 + 0.2·min(1, (n − ``min_spate`` + 1)/4) +
  0.2·lateness (1 for an approval between 22:00 and 06:00, 0.5 for one by day
  on a non-working day, 0 for an evening, averaged) +
  0.15·min(1, −log10(tail)/8) + 0.1·(share of the spate's contracts won by
  its most frequent supplier).
* **Habitual** — per approver with at least ``min_approvals`` approvals, the
  share of them signed off-hours (outside reported spates); flagged above the
  Tukey fence Q3 + 1.5·IQR of that share over all such approvers (no fence when
  IQR = 0 or fewer than 5 approvers) or above ``max_off_hours_share`` when that
  is set. Score = 0.3 + 0.4·share, at most 0.7 (a habit is a lead, not proof).
* **Night tie** — a handful of approvals in the small hours (01:00–05:00, off-hours)
  spread over months, nearly all for one supplier, by an approver whose work is
  otherwise done by day: too few in any fortnight for a spate, too few in the year
  for the habitual share. Per approver, the *m* small-hours approvals outside
  reported spates; a supplier with *k* ≥ ``min_night_tie`` of them and at least
  80 % of the *m* is tied when two looks are both at most ``alpha``: the
  **binomial** tail ``P(X ≥ k | m, p)``, *p* = the supplier's share of the
  approver's other approvals (at least ``min_approvals`` of them; a supplier that
  is most of their day's work is most of their nights too), and the **Poisson**
  tail of *k* against the supplier's approvals by this approver times the others'
  small-hours share — of this supplier's approvals when the others signed it at
  least 10 times, else of all their approvals (a repair contractor that everybody
  signs at night works at night). Score = 0.6 + 0.1·min(1, (k − ``min_night_tie``
  + 1)/4) + 0.15·min(1, −log10(larger tail)/8) + 0.1·k/m. The generated
  organisations plant no night tie, so its kind (``after_hours/night_tie``) has no
  fitted curve of its own and is calibrated on the detector's (six small-hours
  approvals of one firm at a tail of 1e-6 are high, four at 1e-4 medium).
* **Off-hours tie** — the pair's view of the same thing: an approver–supplier pair
  whose approvals are nearly all off-hours (at least ``min_night_tie`` and 80 % of
  the pair's, outside spates) when the approver's approvals of other suppliers are
  not: the binomial tail of *k* of the pair's *n* against the approver's off-hours
  share of the others (at least ``min_approvals`` of them), and the Poisson tail
  against the others' off-hours share of this supplier (or of everything), both at
  most ``alpha`` and the larger one's Benjamini–Hochberg q over the pairs tested at
  most ``alpha``; pairs told as a night tie are left out. Score = 0.45 +
  0.1·min(1, (k − ``min_night_tie`` + 1)/4) + 0.15·min(1, −log10(tail)/8) +
  0.15·lateness; held at medium (``evidence["ceiling"]``): timing alone, and an
  on-duty engineer who signs the one maintenance contractor's call-outs at night
  has the same shape — another family in the case is what lifts it.

Example
-------
部门经理 赵敏 signs 8 contracts in 12 days, five of them between 22:00 and 01:30
and three on a Saturday, when she signed 4 off-hours approvals in the three
years before: a spate, tail ≈ 1e-15, lateness (5 + 3·0.5)/8 ≈ 0.81, score ≈
0.35 + 0.2 + 0.16 + 0.15 = 0.86, high.
An approver who signs 2 % of their approvals after 19:00 when peers sign 0–1 %
is habitual only if 2 % lies above the peers' fence.
科长 孙立 signs at 10:00 all year, ten suppliers in turn, and six times between
01:00 and 04:00 (February, April, June, July, September, November), each time for
the same firm, one tenth of his days: a night tie, binomial tail 0.1⁶ = 1e-6, no
colleague signs that firm at night, score ≈ 0.6 + 0.075 + 0.11 + 0.1 = 0.89, high.

Why is this a red flag?
-----------------------
Approvals pushed through when nobody else is in the office avoid colleagues'
questions and compliance review; a run of them is how a prepared package gets
waved through (突击审批).

Based on
--------
INDICATORS 4.3 (approval controls, after-hours activity); cardinal-rs
conventions for data-driven fences (Tukey, IQR = 0 skipped, minimum samples);
the data contract's ``policy.yaml`` (``working_hours``, ``holidays``, ``workdays``,
``holiday_calendar``); the State Council General Office's notices on public holidays
(国务院办公厅关于部分节假日安排的通知, 2015-2026).

Output
------
Entities: the approver and the contracts of the spate (suppliers are named in
the explanation and the rows, not flagged: a utility bill signed late is not
the utility's doing); for a night tie the approver, the supplier (the tie is the
finding) and the night's contracts. Evidence: ``rule`` (``spate``, ``habitual``, ``night_tie`` or ``off_hours_tie``),
``metrics`` (approvals, days, usual rate, Poisson tail, off-hours share),
``thresholds`` (working hours and their source; for habitual, the fence from
the data with q1, q3 and n), ``rows`` and ``subgraph``.

Configuration
-------------
``min_spate`` (count), ``window_days`` (days), ``alpha`` (probability),
``min_approvals`` (count), ``max_off_hours_share`` (ratio; 0 = the fence from
the data), ``min_night_tie`` (count), ``max_rows`` (count).

Exclusions
----------
Approvals without a timestamp; timestamps at exactly midnight (a date without a
time, common in exports) are not counted as off-hours.

Legitimate look-alikes
----------------------
Year-end and seasonal buying (:func:`detectors.prepare.lookalikes.season_factor`):
when the whole organisation signs more off-hours in some days — December's rush,
the weeks before the Spring Festival — the season factor *s* is the other
approvers' off-hours approvals per day then, over their average (at least 1), and
the approver's expected count is multiplied by it; a factor of 1.5 or more is
named in the explanation and kept in ``metrics.season_factor``. And the spate is
judged against the same weeks' organisation-wide off-hours share
(``metrics.others_off_hours_share``): an approver who signs until 20:00 in a
December when most approvers do is the rush, whatever their own habit — the
explanation then says the expectation comes from the others (按同期全公司其他审批人的
非工作时间审批比例). Make-up working days (a Sunday worked before the Spring Festival)
are ordinary days, not weekends.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import binom, poisson

from detectors.base import Detector, Finding, param, wan, yuan
from detectors.outliers import tukey_fences
from detectors.policy_rules import built_in_holidays, holidays, workdays, working_hours
from detectors.prepare.lookalikes import season_factor
from detectors.records import records_by
from detectors.significance import benjamini_hochberg
from detectors.windows import window_episodes
from graph.schema import entity_key
from graph.snapshot import GraphSnapshot

__all__ = ["DETECTOR", "Params", "off_hours_mask", "run"]

DEEP_NIGHT = (22 * 60, 6 * 60)
#: The small hours (minutes of the day, start inclusive, end exclusive): nobody's evening runs this late.
SMALL_HOURS = (1 * 60, 5 * 60)
#: A supplier must take at least this share of an approver's small-hours approvals to be tied to them (ratio).
NIGHT_TIE_SHARE = 0.8
#: Fewest approvals of a supplier by the others before their small-hours share of it is judged (count).
NIGHT_TRADE_MIN_APPROVALS = 10
#: Share of an approver's approvals for one supplier that must be off-hours for an off-hours tie (ratio).
OFF_HOURS_TIE_SHARE = 0.8
#: The highest an off-hours tie scores on its own (medium): timing alone, and an on-duty engineer
#: who signs the one maintenance contractor's call-outs at night has the same shape; corroboration
#: from another family in its case is what lifts it.
OFF_HOURS_TIE_CEILING = 0.65
#: A season at least this much busier than usual is named in the explanation (ratio).
SEASON_NOTE = 1.5
#: A calendar holiday with at least this share of an ordinary working day's approvals was worked (ratio).
WORKED_HOLIDAY_SHARE = 0.5
#: Fewest approvals of the others in a spate's weeks before their off-hours share judges it (count).
PERIOD_MIN_APPROVALS = 30
#: An approver's usual off-hours rate is taken over at least this many days.
SHORTEST_CAREER_DAYS = 90


@dataclass(frozen=True)
class Params:
    min_spate: int = param(3, "count", "fewest off-hours approvals of one approver within the window")
    window_days: int = param(14, "days", "length of the window a spate falls in")
    alpha: float = param(
        0.001, "probability", "Poisson tail a spate must fall below, given the approver's usual rate"
    )
    min_approvals: int = param(30, "count", "fewest approvals before an approver's off-hours share is judged")
    max_off_hours_share: float = param(
        0.0, "ratio", "fixed limit on an approver's off-hours share; 0 = Tukey fence from the data"
    )
    min_night_tie: int = param(
        4,
        "count",
        "fewest small-hours (01:00-05:00) approvals of one approver for one supplier for a night tie",
    )
    max_rows: int = param(30, "count", "approvals listed in the evidence")


def off_hours_mask(
    stamps: pd.Series,
    start_minute: int,
    end_minute: int,
    holiday_dates: frozenset[str],
    workday_dates: frozenset[str] = frozenset(),
) -> tuple[np.ndarray, np.ndarray]:
    """(off-hours, non-working day) for each timestamp; ``workday_dates`` are weekend days worked (调休).

    >>> s = pd.Series(pd.to_datetime(["2024-06-14 10:00", "2024-06-14 21:30", "2024-06-15 10:00"]))
    >>> [m.tolist() for m in off_hours_mask(s, 480, 1140, frozenset({"2024-06-14"}))]
    [[True, True, True], [True, True, True]]
    >>> [m.tolist() for m in off_hours_mask(s, 480, 1140, frozenset())]
    [[False, True, True], [False, False, True]]
    >>> [m.tolist() for m in off_hours_mask(s, 480, 1140, frozenset(), frozenset({"2024-06-15"}))]
    [[False, True, False], [False, False, False]]
    """
    seconds = stamps.to_numpy().astype("datetime64[s]").astype(np.int64)
    day, second_of_day = np.divmod(seconds, 86_400)
    minute = second_of_day // 60
    # 1970-01-01 was a Thursday: Monday is 0
    weekend = (day + 3) % 7 >= 5
    if workday_dates:
        worked = np.array(sorted(workday_dates), dtype="datetime64[D]").astype(np.int64)
        weekend &= ~np.isin(day, worked)
    if holiday_dates:
        holiday_days = np.array(sorted(holiday_dates), dtype="datetime64[D]").astype(np.int64)
        non_working = weekend | np.isin(day, holiday_days)
    else:
        non_working = weekend
    outside = (minute < start_minute) | (minute >= end_minute)
    midnight = second_of_day == 0
    return (outside | non_working) & ~midnight, non_working


def worked_holidays(stamps: pd.Series, calendar_days: frozenset[str]) -> frozenset[str]:
    """Weekday holidays of the built-in calendar that the organisation evidently worked.

    A day on which at least :data:`WORKED_HOLIDAY_SHARE` of an ordinary working day's
    approvals (the median over weekdays outside the calendar) were signed was a
    working day for this organisation, whatever the State Council's notice says; a
    holiday the policy names itself is always kept.

    >>> days = pd.Series(pd.to_datetime(["2024-06-10 10:00"] * 5 + ["2024-06-11 10:00"] * 5 + ["2024-06-12 10:00"] * 5))
    >>> sorted(worked_holidays(days, frozenset({"2024-06-10", "2024-06-12"})))
    ['2024-06-10', '2024-06-12']
    >>> sorted(worked_holidays(days[5:], frozenset({"2024-06-10"})))
    []
    """
    if not calendar_days or stamps.empty:
        return frozenset()
    day = stamps.dt.strftime("%Y-%m-%d")
    per_day = day.value_counts()
    weekday = pd.to_datetime(per_day.index).day_of_week < 5
    ordinary = per_day[weekday & ~per_day.index.isin(calendar_days)]
    if ordinary.empty:
        return frozenset()
    floor = WORKED_HOLIDAY_SHARE * float(ordinary.median())
    worked = per_day[weekday & per_day.index.isin(calendar_days) & (per_day >= floor)]
    return frozenset(str(d) for d in worked.index)


def run(snapshot: GraphSnapshot, params: Params) -> list[Finding]:
    approvals = snapshot.approvals.dropna(subset=["approved_at", "approver_id"])
    if approvals.empty:
        return []
    start, end, hours_source = working_hours(snapshot.policy)
    worked = worked_holidays(approvals["approved_at"], built_in_holidays(snapshot.policy))
    off, non_working = off_hours_mask(
        approvals["approved_at"], start, end, holidays(snapshot.policy) - worked, workdays(snapshot.policy)
    )
    hours = {
        "working_hours": f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}",
        "working_hours_source": hours_source,
        "holiday_calendar": str(snapshot.policy.get("holiday_calendar") or "mainland_china"),
        "holidays_from_policy": bool(snapshot.policy.get("holidays")),
        "workdays_from_policy": bool(snapshot.policy.get("workdays")),
        "calendar_holidays_worked": sorted(worked)[:20],
    }
    # per approver: approvals, the span of their approving career; from integer codes, not strings
    code, names = pd.factorize(approvals["approver_id"])
    stamps = approvals["approved_at"].to_numpy().astype("datetime64[D]").astype(np.int64)
    per = pd.DataFrame({"code": code, "day": stamps}).groupby("code")["day"].agg(["size", "min", "max"])
    per.index = pd.Index(np.asarray(names, dtype=object)[per.index.to_numpy()], name="approver_id")
    career_days = (per["max"] - per["min"] + 1).clip(lower=SHORTEST_CAREER_DAYS)
    late = _late(snapshot, approvals, off, non_working)
    everyone = _everyone(approvals, off, non_working)
    findings, in_spates = _spates(snapshot, late, everyone, career_days, hours, params)
    off_per = late[~late.set_index(["approver_id", "contract_id"]).index.isin(in_spates)]
    counts = pd.DataFrame({"n": per["size"], "off": off_per.groupby("approver_id").size()}).fillna(0)
    findings += _habitual(snapshot, counts, off_per, hours, params)
    night_ties = _night_ties(snapshot, everyone, in_spates, hours, params)
    findings += night_ties + _off_hours_ties(
        snapshot, everyone, in_spates, {f.subject.split("|", 1)[1] for f in night_ties}, hours, params
    )
    findings.sort(key=lambda f: -f.score)
    return findings


def _late(
    snapshot: GraphSnapshot, approvals: pd.DataFrame, off: np.ndarray, non_working: np.ndarray
) -> pd.DataFrame:
    """The off-hours approvals, one per approver and contract, with their contract's supplier and amount."""
    late = approvals.loc[off, ["contract_id", "step", "approver_id", "approved_at"]].assign(
        non_working=non_working[off]
    )
    minute = (late["approved_at"].dt.hour * 60 + late["approved_at"].dt.minute).to_numpy()
    late["deep"] = (minute >= DEEP_NIGHT[0]) | (minute < DEEP_NIGHT[1])
    late = late.sort_values(["approver_id", "approved_at", "contract_id"]).drop_duplicates(
        ["approver_id", "contract_id"]
    )
    contracts = snapshot.contracts[["id", "supplier_id", "amount"]]
    contracts = contracts[contracts["id"].isin(late["contract_id"])]
    return late.merge(contracts, left_on="contract_id", right_on="id", how="left").drop(columns=["id"])


def _everyone(approvals: pd.DataFrame, off: np.ndarray, non_working: np.ndarray) -> pd.DataFrame:
    """Every approval, one per approver and contract: approver, day number, off-hours, late or on a day off."""
    minute = (approvals["approved_at"].dt.hour * 60 + approvals["approved_at"].dt.minute).to_numpy()
    deep = (minute >= DEEP_NIGHT[0]) | (minute < DEEP_NIGHT[1])
    small = (minute >= SMALL_HOURS[0]) & (minute < SMALL_HOURS[1])
    frame = pd.DataFrame(
        {
            "approver_id": approvals["approver_id"].to_numpy(),
            "contract_id": approvals["contract_id"].to_numpy(),
            "approved_at": approvals["approved_at"].to_numpy(),
            "day": approvals["approved_at"].to_numpy().astype("datetime64[D]").astype(np.int64),
            "off": off,
            "non_working": non_working,
            "deep": off & deep,
            "small": off & small,
        }
    )
    # one approver's several steps of one contract are one decision; its off-hours one counts first
    frame = frame.sort_values(["off", "deep", "small"], ascending=False, kind="stable")
    return frame.drop_duplicates(["approver_id", "contract_id"])


def _period_expectation(
    everyone: pd.DataFrame, per_spate: pd.DataFrame, min_days: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per spate: (off-hours, late-night) approvals expected at the organisation's rate then, others' share.

    The window is the spate's days widened to ``min_days`` (a Saturday-night spate is
    judged against a fortnight, not against a day when everybody's approval is
    off-hours). The others' off-hours share of their approvals in that window, times
    the approver's own approvals in it, is what the season alone explains; for the
    look at late-night and day-off approvals only the others' late-night share counts
    (where everybody works Saturdays, a day-off approval is common, a 23:00 one is not).
    """
    span = (per_spate["last_day"] - per_spate["first_day"] + 1).to_numpy()
    pad = np.maximum(0, (min_days - span + 1) // 2)
    first = per_spate["first_day"].to_numpy() - pad
    last = per_spate["last_day"].to_numpy() + pad

    def within(days: np.ndarray) -> np.ndarray:
        days = np.sort(days)
        return np.searchsorted(days, last, side="right") - np.searchsorted(days, first, side="left")

    all_n = within(everyone["day"].to_numpy())
    all_off = within(everyone.loc[everyone["off"], "day"].to_numpy())
    all_deep = within(everyone.loc[everyone["deep"], "day"].to_numpy())
    own_n, own_off, own_deep = (np.zeros(len(per_spate), dtype=np.int64) for _ in range(3))
    mine = dict(iter(everyone.groupby("approver_id", sort=False)))
    for i, approver in enumerate(per_spate["approver_id"].to_numpy()):
        g = mine[approver]
        inside = (g["day"].to_numpy() >= first[i]) & (g["day"].to_numpy() <= last[i])
        own_n[i] = inside.sum()
        own_off[i] = (inside & g["off"].to_numpy()).sum()
        own_deep[i] = (inside & g["deep"].to_numpy()).sum()
    others = all_n - own_n
    enough = others >= PERIOD_MIN_APPROVALS
    share = np.where(enough, (all_off - own_off) / np.maximum(others, 1), 0.0)
    share_deep = np.where(enough, (all_deep - own_deep) / np.maximum(others, 1), 0.0)
    return own_n * share, own_n * share_deep, share


def _spates(
    snapshot: GraphSnapshot,
    late: pd.DataFrame,
    everyone: pd.DataFrame,
    career_days: pd.Series,
    hours: dict[str, Any],
    params: Params,
) -> tuple[list[Finding], pd.MultiIndex]:
    none = pd.MultiIndex.from_arrays([[], []])
    if late.empty:
        return [], none
    codes, _ = pd.factorize(late["approver_id"])
    days = (late["approved_at"].dt.normalize() - pd.Timestamp("1970-01-01")).dt.days.to_numpy()
    episode, _counts = window_episodes(
        codes, days, np.ones(len(late)), params.min_spate, params.window_days, params.min_spate
    )
    late = late.assign(episode=episode, day=days)
    spates = late[episode >= 0]
    if spates.empty:
        return [], none
    spates = spates.assign(unsocial=spates["deep"] | spates["non_working"])
    per_spate = spates.groupby("episode").agg(
        approver_id=("approver_id", "first"),
        n=("contract_id", "size"),
        n_unsocial=("unsocial", "sum"),
        first_day=("day", "min"),
        last_day=("day", "max"),
    )
    # the spate counts towards the usual rate, so an approver who works late all year round is not flagged
    usual = late.assign(unsocial=late["deep"] | late["non_working"]).groupby("approver_id")
    career = per_spate["approver_id"].map(career_days)
    span = per_spate["last_day"] - per_spate["first_day"] + 1
    # a busy season (the year-end rush) raises everybody's evenings: the usual rate is scaled by how
    # much more the others signed off-hours in those days than on average
    own_total = per_spate["approver_id"].map(usual.size()).to_numpy()
    per_spate["season"] = season_factor(
        days,
        per_spate["first_day"].to_numpy(),
        per_spate["last_day"].to_numpy(),
        per_spate["n"].to_numpy(),
        own_total,
    )
    personal = own_total / career * span * per_spate["season"]
    personal_unsocial = (
        per_spate["approver_id"].map(usual["unsocial"].sum()) / career * span * per_spate["season"]
    )
    # the same weeks' organisation-wide rate: when many approvers sign until 20:00 in December's rush,
    # an approver signing as late as they do is the season, whatever their own habit
    period, period_unsocial, per_spate["others_share"] = _period_expectation(
        everyone, per_spate, params.window_days
    )
    per_spate["expected"] = np.maximum(personal, period)
    per_spate["expected_unsocial"] = np.maximum(personal_unsocial, period_unsocial)
    per_spate["period_rules"] = period > personal
    # two looks at one spate (all off-hours approvals; those at night or on a day off), Bonferroni-corrected
    tail_all = poisson.sf(per_spate["n"] - 1, per_spate["expected"])
    tail_unsocial = np.where(
        per_spate["n_unsocial"] >= params.min_spate,
        poisson.sf(per_spate["n_unsocial"] - 1, per_spate["expected_unsocial"]),
        1.0,
    )
    per_spate["tail"] = np.minimum(1.0, 2 * np.minimum(tail_all, tail_unsocial))
    reported = per_spate[per_spate["tail"] <= params.alpha]
    members = spates[spates["episode"].isin(reported.index)]
    stats = reported.to_dict("index")
    findings = [
        _spate_finding(snapshot, spate, stats[number], hours, params)
        for number, spate in records_by(members, "episode").items()
    ]
    return findings, pd.MultiIndex.from_frame(members[["approver_id", "contract_id"]])


def _spate_finding(
    snapshot: GraphSnapshot,
    spate: list[dict[str, Any]],
    stats: dict[str, Any],
    hours: dict[str, Any],
    params: Params,
) -> Finding:
    approver = str(stats["approver_id"])
    first, last = spate[0]["approved_at"], spate[-1]["approved_at"]
    n = len(spate)
    days = int(stats["last_day"] - stats["first_day"] + 1)
    tail = float(stats["tail"])
    by_supplier = Counter(r["supplier_id"] for r in spate if not pd.isna(r["supplier_id"])).most_common()
    top_share = by_supplier[0][1] / n if by_supplier else 0.0
    # late at night counts fully; a weekend or holiday by day half
    lateness = sum(1.0 if r["deep"] else 0.5 if r["non_working"] else 0.0 for r in spate) / n
    night = sum(bool(r["deep"]) for r in spate)
    weekend = sum(bool(r["non_working"]) for r in spate)
    score = (
        0.35
        + 0.2 * min(1.0, (n - params.min_spate + 1) / 4)
        + 0.2 * lateness
        + 0.15 * min(1.0, -np.log10(max(tail, 1e-300)) / 8)
        + 0.1 * top_share
    )
    total = float(sum(0.0 if pd.isna(r["amount"]) else r["amount"] for r in spate))
    emp = snapshot.name("Employee", approver)
    top = str(by_supplier[0][0]) if by_supplier and by_supplier[0][1] > 1 else None
    sup_zh = f"，其中{by_supplier[0][1]}份属供应商{snapshot.name('Supplier', top)}（{top}）" if top else ""
    sup_en = (
        f", {by_supplier[0][1]} of them for supplier {snapshot.name('Supplier', top)} ({top})" if top else ""
    )
    usual = float(stats["expected"])
    season = float(stats["season"])
    season_zh = (
        f"该时段全公司其他人的非工作时间审批量为平时的{season:.1f}倍（年底或季节性集中采购），预期已按此放大；"
        if season >= SEASON_NOTE
        else ""
    )
    season_en = (
        f" The others signed {season:.1f} times their usual off-hours approvals in those days (a year-end or "
        f"seasonal rush), and the expectation is scaled by it."
        if season >= SEASON_NOTE
        else ""
    )
    others_share = float(stats["others_share"])
    if stats["period_rules"]:
        basis_zh = f"按同期全公司其他审批人的非工作时间审批比例（{others_share:.1%}）"
        basis_en = f"the others' off-hours share in the same weeks ({others_share:.1%})"
    else:
        basis_zh, basis_en = "按其本人以往习惯", "their own habit"
    zh = (
        f"审批人{emp}（{approver}）在{first:%Y-%m-%d}至{last:%Y-%m-%d}的{days}天内于工作时间{hours['working_hours']}之外"
        f"或非工作日审批了{n}份合同（其中深夜{night}份、非工作日{weekend}份），合计{wan(total)}{sup_zh}；"
        f"{season_zh}{basis_zh}，同样天数内预计仅{usual:.2f}份（泊松检验p={tail:.1e}；规则：{params.window_days}天内"
        f"至少{params.min_spate}份且p≤{params.alpha:g}）。"
    )
    en = (
        f"Approver {emp} ({approver}) signed {n} contracts worth {yuan(total)} outside working hours "
        f"{hours['working_hours']} or on non-working days within {days} days ({first:%Y-%m-%d} to {last:%Y-%m-%d}; "
        f"{night} late at night, {weekend} on non-working days){sup_en}, where {basis_en} predicts {usual:.2f} "
        f"(Poisson p = {tail:.1e}; rule: at least {params.min_spate} within {params.window_days} days and "
        f"p ≤ {params.alpha:g}).{season_en}"
    )
    contract_ids = [str(r["contract_id"]) for r in spate]
    entities = (
        entity_key("Employee", approver),
        *(entity_key("Contract", c) for c in contract_ids[: params.max_rows]),
    )
    return Finding(
        detector=DETECTOR.id,
        subject=f"spate|{approver}|{first:%Y-%m-%dT%H:%M:%S}",
        score=float(min(1.0, score)),
        entities=entities,
        explanation_zh=zh,
        explanation_en=en,
        evidence={
            "rule": "spate",
            "metrics": {
                "approvals": n,
                "days": days,
                "value": total,
                "first": f"{first:%Y-%m-%dT%H:%M:%S}",
                "last": f"{last:%Y-%m-%dT%H:%M:%S}",
                "late_night": night,
                "non_working_day": weekend,
                "expected": round(usual, 6),
                "season_factor": round(season, 4),
                "others_off_hours_share": round(others_share, 4),
                "late_or_day_off": int(stats["n_unsocial"]),
                "expected_late_or_day_off": round(float(stats["expected_unsocial"]), 6),
                "poisson_tail": tail,
                "top_supplier_share": round(top_share, 4),
            },
            "thresholds": {
                **hours,
                "min_spate": params.min_spate,
                "window_days": params.window_days,
                "alpha": params.alpha,
            },
            "rows": _rows(spate, params.max_rows),
            "subgraph": list(entities[:40]),
        },
    )


def _rows(records: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    return [
        {
            "contract_id": r["contract_id"],
            "step": None if pd.isna(r["step"]) else int(r["step"]),
            "approved_at": f"{r['approved_at']:%Y-%m-%dT%H:%M:%S}",
            "supplier_id": None if pd.isna(r["supplier_id"]) else r["supplier_id"],
            "amount": None if pd.isna(r["amount"]) else float(r["amount"]),
        }
        for r in records[:limit]
    ]


def _habitual(
    snapshot: GraphSnapshot,
    counts: pd.DataFrame,
    late: pd.DataFrame,
    hours: dict[str, Any],
    params: Params,
) -> list[Finding]:
    """``counts``: approvals and off-hours approvals (outside spates) per approver; ``late``: those approvals."""
    per = counts[counts["n"] >= params.min_approvals].copy()
    if per.empty:
        return []
    per["share"] = per["off"] / per["n"]
    if params.max_off_hours_share > 0:
        limit, fence = params.max_off_hours_share, None
    else:
        fence = tukey_fences(per["share"], min_sample=5)
        if fence is None:
            return []
        limit = fence["upper"]
    flagged = per[(per["share"] > limit) & (per["off"] > 0)]
    thresholds: dict[str, Any] = {
        **hours,
        "min_approvals": params.min_approvals,
        "max_off_hours_share": limit,
    }
    if fence is not None:
        thresholds["fence"] = {k: round(v, 6) for k, v in fence.items()}
    by_approver = records_by(late[late["approver_id"].isin(flagged.index)], "approver_id")
    out = []
    for approver, row in flagged.iterrows():
        mine = by_approver.get(approver, [])
        approver = str(approver)
        share = float(row["share"])
        emp = snapshot.name("Employee", approver)
        source_zh = "同类审批人分布的上限（Q3+1.5·IQR）" if fence is not None else "设定上限"
        source_en = (
            "the fence Q3 + 1.5·IQR over all approvers" if fence is not None else "the configured limit"
        )
        zh = (
            f"审批人{emp}（{approver}）的{int(row['n'])}次审批中有{int(row['off'])}次在工作时间"
            f"{hours['working_hours']}之外或非工作日，占{share:.1%}，高于{source_zh}{limit:.1%}。"
        )
        en = (
            f"Approver {emp} ({approver}) signed {int(row['off'])} of {int(row['n'])} approvals outside working "
            f"hours {hours['working_hours']} or on non-working days ({share:.1%}), above {source_en} of {limit:.1%}."
        )
        contract_ids = list(dict.fromkeys(str(r["contract_id"]) for r in mine))
        entities = (
            entity_key("Employee", approver),
            *(entity_key("Contract", c) for c in contract_ids[: params.max_rows]),
        )
        out.append(
            Finding(
                detector=DETECTOR.id,
                subject=f"habitual|{approver}",
                score=float(min(0.7, 0.3 + 0.4 * share)),
                entities=entities,
                explanation_zh=zh,
                explanation_en=en,
                evidence={
                    "rule": "habitual",
                    "metrics": {
                        "approvals": int(row["n"]),
                        "off_hours": int(row["off"]),
                        "share": round(share, 4),
                    },
                    "thresholds": thresholds,
                    "rows": _rows(mine, params.max_rows),
                    "subgraph": list(entities[:40]),
                },
            )
        )
    return out


def _night_ties(
    snapshot: GraphSnapshot,
    everyone: pd.DataFrame,
    in_spates: pd.MultiIndex,
    hours: dict[str, Any],
    params: Params,
) -> list[Finding]:
    """Approvers whose few small-hours approvals (outside spates) nearly all go to one supplier.

    Two looks, both must be unlikely (at most ``alpha``): the night's supplier mix against the
    approver's day (binomial: *k* of the *m* small-hours approvals for a supplier that takes a
    share *p* of their other approvals), and the count against the others' small-hours rate for
    that supplier or for anybody (Poisson: a contractor everybody signs at night works at night).
    """
    supplier_of = snapshot.contracts.drop_duplicates("id").set_index("id")["supplier_id"]
    frame = everyone.assign(supplier_id=everyone["contract_id"].map(supplier_of)).dropna(
        subset=["supplier_id"]
    )
    if frame.empty or not frame["small"].any():
        return []
    pair = frame.groupby(["approver_id", "supplier_id"])["small"].agg(["size", "sum"])
    in_spate = frame.set_index(["approver_id", "contract_id"]).index.isin(in_spates)
    night = frame[frame["small"].to_numpy() & ~in_spate]
    night_per_approver = night.groupby("approver_id").size()
    night_pair = night.groupby(["approver_id", "supplier_id"]).size()
    candidates = night_pair[night_pair >= params.min_night_tie]
    if candidates.empty:
        return []
    per_approver = frame.groupby("approver_id")["small"].agg(["size", "sum"])
    per_supplier = frame.groupby("supplier_id")["small"].agg(["size", "sum"])
    total, total_small = len(frame), int(frame["small"].sum())
    by_pair = records_by(
        night[night.set_index(["approver_id", "supplier_id"]).index.isin(candidates.index)],
        ["approver_id", "supplier_id"],
    )
    out = []
    for (approver, supplier), k in candidates.items():
        m = int(night_per_approver[approver])
        n_all, small_all = (int(v) for v in per_approver.loc[approver])
        n_pair, small_pair = (int(v) for v in pair.loc[(approver, supplier)])
        day_n = n_all - small_all
        if k / m < NIGHT_TIE_SHARE or day_n < params.min_approvals:
            continue
        day_share = (n_pair - small_pair) / day_n
        binomial_tail = float(binom.sf(k - 1, m, day_share))
        others_n, others_small = total - n_all, total_small - small_all
        others_rate = others_small / others_n if others_n else 0.0
        sup_n, sup_small = (int(v) for v in per_supplier.loc[supplier])
        trade_n, trade_small = sup_n - n_pair, sup_small - small_pair
        trade_rate = trade_small / trade_n if trade_n >= NIGHT_TRADE_MIN_APPROVALS else 0.0
        expected = n_pair * max(others_rate, trade_rate)
        poisson_tail = float(poisson.sf(k - 1, expected))
        tail = max(binomial_tail, poisson_tail)
        if tail > params.alpha:
            continue
        out.append(
            _night_tie_finding(
                snapshot,
                by_pair[(approver, supplier)],
                {
                    "small_hours_approvals": m,
                    "for_supplier": int(k),
                    "supplier_approvals": n_pair,
                    "day_share": round(day_share, 6),
                    "binomial_tail": binomial_tail,
                    "others_small_hours_share": round(others_rate, 6),
                    "supplier_small_hours_share_by_others": round(trade_rate, 6),
                    "expected_by_others": round(expected, 6),
                    "poisson_tail": poisson_tail,
                },
                hours,
                params,
            )
        )
    return out


def _tie_listing(
    snapshot: GraphSnapshot, records: list[dict[str, Any]], approver: str, supplier: str, max_rows: int
) -> tuple[pd.Timestamp, pd.Timestamp, float, tuple[str, ...], list[dict[str, Any]]]:
    """What a tie (night or off-hours) lists: its first and last approval, the contracts' value,
    the entities (approver, supplier, contracts) and the evidence rows; ``records`` in time order."""
    first, last = pd.Timestamp(records[0]["approved_at"]), pd.Timestamp(records[-1]["approved_at"])
    amounts = snapshot.contracts.drop_duplicates("id").set_index("id")["amount"]

    def amount(contract_id: Any) -> float | None:
        value = amounts.get(contract_id)
        return None if value is None or pd.isna(value) else float(value)

    total = float(sum(amount(r["contract_id"]) or 0.0 for r in records))
    entities = (
        entity_key("Employee", approver),
        entity_key("Supplier", supplier),
        *(entity_key("Contract", str(r["contract_id"])) for r in records[:max_rows]),
    )
    rows = [
        {
            "contract_id": r["contract_id"],
            "approved_at": f"{pd.Timestamp(r['approved_at']):%Y-%m-%dT%H:%M:%S}",
            "supplier_id": supplier,
            "amount": amount(r["contract_id"]),
        }
        for r in records[:max_rows]
    ]
    return first, last, total, entities, rows


def _night_tie_finding(
    snapshot: GraphSnapshot,
    nights: list[dict[str, Any]],
    metrics: dict[str, Any],
    hours: dict[str, Any],
    params: Params,
) -> Finding:
    approver, supplier = str(nights[0]["approver_id"]), str(nights[0]["supplier_id"])
    nights = sorted(nights, key=lambda r: r["approved_at"])
    k, m = metrics["for_supplier"], metrics["small_hours_approvals"]
    tail = max(metrics["binomial_tail"], metrics["poisson_tail"])
    score = (
        0.6
        + 0.1 * min(1.0, (k - params.min_night_tie + 1) / 4)
        + 0.15 * min(1.0, -np.log10(max(tail, 1e-300)) / 8)
        + 0.1 * k / m
    )
    first, last, total, entities, rows = _tie_listing(snapshot, nights, approver, supplier, params.max_rows)
    window = f"{SMALL_HOURS[0] // 60:02d}:00-{SMALL_HOURS[1] // 60:02d}:00"
    emp, firm = snapshot.name("Employee", approver), snapshot.name("Supplier", supplier)
    how_many_zh = "全部" if k == m else f"{m}份中的{k}份"
    how_many_en = f"all {k}" if k == m else f"{k} of the {m}"
    zh = (
        f"审批人{emp}（{approver}）在{first:%Y-%m-%d}至{last:%Y-%m-%d}间于凌晨{window}审批了{m}份合同，"
        f"{how_many_zh}属供应商{firm}（{supplier}），合计{wan(total)}；该供应商仅占其其他审批的"
        f"{metrics['day_share']:.1%}，凌晨审批偶然集中于它的概率为{metrics['binomial_tail']:.1e}；"
        f"其他审批人的凌晨审批比例为{metrics['others_small_hours_share']:.2%}"
        f"（该供应商{metrics['supplier_small_hours_share_by_others']:.2%}），预计仅"
        f"{metrics['expected_by_others']:.2f}份（泊松检验p={metrics['poisson_tail']:.1e}）。零星的凌晨审批集中于"
        f"同一供应商，避开了同事和合规的审核（规则：至少{params.min_night_tie}份、占凌晨审批的"
        f"{NIGHT_TIE_SHARE:.0%}以上且两项检验p≤{params.alpha:g}）。"
    )
    en = (
        f"Approver {emp} ({approver}) signed {m} contracts between {window} from {first:%Y-%m-%d} to "
        f"{last:%Y-%m-%d}, {how_many_en} of them for supplier {firm} ({supplier}), worth {yuan(total)}; the "
        f"supplier takes only {metrics['day_share']:.1%} of their other approvals, so a night mix like this by "
        f"chance has p = {metrics['binomial_tail']:.1e}; the others sign {metrics['others_small_hours_share']:.2%} "
        f"of their approvals in the small hours ({metrics['supplier_small_hours_share_by_others']:.2%} of this "
        f"supplier's), which predicts {metrics['expected_by_others']:.2f} (Poisson p = "
        f"{metrics['poisson_tail']:.1e}). A few small-hours sign-offs, all for one firm, avoid colleagues' and "
        f"compliance review (rule: at least {params.min_night_tie}, {NIGHT_TIE_SHARE:.0%} or more of the approver's "
        f"small-hours approvals, both p ≤ {params.alpha:g})."
    )
    return Finding(
        detector=DETECTOR.id,
        subject=f"night_tie|{approver}|{supplier}",
        score=float(min(1.0, score)),
        entities=entities,
        explanation_zh=zh,
        explanation_en=en,
        evidence={
            "rule": "night_tie",
            "metrics": {
                **metrics,
                "value": total,
                "first": f"{first:%Y-%m-%dT%H:%M:%S}",
                "last": f"{last:%Y-%m-%dT%H:%M:%S}",
            },
            "thresholds": {
                **hours,
                "small_hours": window,
                "min_night_tie": params.min_night_tie,
                "night_tie_share": NIGHT_TIE_SHARE,
                "min_approvals": params.min_approvals,
                "night_trade_min_approvals": NIGHT_TRADE_MIN_APPROVALS,
                "alpha": params.alpha,
            },
            "rows": rows,
            "subgraph": list(entities[:40]),
        },
    )


def _off_hours_ties(
    snapshot: GraphSnapshot,
    everyone: pd.DataFrame,
    in_spates: pd.MultiIndex,
    night_tied: set[str],
    hours: dict[str, Any],
    params: Params,
) -> list[Finding]:
    """Approver–supplier pairs whose approvals are nearly all off-hours when the approver's others are not.

    The pair's view of the night tie: *k* of the pair's *n* approvals off-hours (outside spates),
    *k* ≥ ``min_night_tie`` and *k*/*n* ≥ ``OFF_HOURS_TIE_SHARE``; the binomial tail
    ``P(X ≥ k | n, p)``, *p* = the approver's off-hours share of their other approvals (at least
    ``min_approvals``), and the Poisson tail of *k* against the others' off-hours share of this
    supplier (when they signed it at least 10 times) or of everything, times *n*; both at most
    ``alpha``, and the larger one's Benjamini–Hochberg q over the pairs tested at most ``alpha``
    too (every pair of the organisation is looked at). Pairs already told as a night tie are left out.
    """
    supplier_of = snapshot.contracts.drop_duplicates("id").set_index("id")["supplier_id"]
    frame = everyone.assign(supplier_id=everyone["contract_id"].map(supplier_of)).dropna(
        subset=["supplier_id"]
    )
    if frame.empty or not frame["off"].any():
        return []
    in_spate = frame.set_index(["approver_id", "contract_id"]).index.isin(in_spates)
    frame = frame.assign(counted=frame["off"].to_numpy() & ~in_spate)
    pair = frame.groupby(["approver_id", "supplier_id"]).agg(
        n=("counted", "size"), k=("counted", "sum"), off=("off", "sum")
    )
    candidates = pair[(pair["k"] >= params.min_night_tie) & (pair["k"] >= OFF_HOURS_TIE_SHARE * pair["n"])]
    if candidates.empty:
        return []
    per_approver = frame.groupby("approver_id")["off"].agg(["size", "sum"])
    per_supplier = frame.groupby("supplier_id")["off"].agg(["size", "sum"])
    total, total_off = len(frame), int(frame["off"].sum())
    tested = []
    for (approver, supplier), row in candidates.iterrows():
        if f"{approver}|{supplier}" in night_tied:
            continue
        n, k, pair_off = int(row["n"]), int(row["k"]), int(row["off"])
        n_all, off_all = (int(v) for v in per_approver.loc[approver])
        other_n, other_off = n_all - n, off_all - pair_off
        if other_n < params.min_approvals:
            continue
        other_share = other_off / other_n
        binomial_tail = float(binom.sf(k - 1, n, other_share))
        others_n, others_off = total - n_all, total_off - off_all
        others_rate = others_off / others_n if others_n else 0.0
        sup_n, sup_off = (int(v) for v in per_supplier.loc[supplier])
        trade_n, trade_off = sup_n - n, sup_off - pair_off
        trade_rate = trade_off / trade_n if trade_n >= NIGHT_TRADE_MIN_APPROVALS else 0.0
        expected = n * max(others_rate, trade_rate)
        poisson_tail = float(poisson.sf(k - 1, expected))
        tested.append(
            (
                approver,
                supplier,
                {
                    "supplier_approvals": n,
                    "off_hours_for_supplier": k,
                    "approver_other_approvals": other_n,
                    "approver_other_off_hours_share": round(other_share, 6),
                    "binomial_tail": binomial_tail,
                    "others_off_hours_share": round(others_rate, 6),
                    "supplier_off_hours_share_by_others": round(trade_rate, 6),
                    "expected_by_others": round(expected, 6),
                    "poisson_tail": poisson_tail,
                },
            )
        )
    if not tested:
        return []
    tails = np.array([max(m["binomial_tail"], m["poisson_tail"]) for _, _, m in tested])
    q_values = benjamini_hochberg(tails)
    ties = frame[frame["counted"].to_numpy()]
    ties = ties[ties.set_index(["approver_id", "supplier_id"]).index.isin(candidates.index)]
    by_pair = records_by(ties, ["approver_id", "supplier_id"])
    out = []
    for (approver, supplier, metrics), tail, q in zip(tested, tails, q_values, strict=True):
        if tail > params.alpha or q > params.alpha:
            continue
        metrics["q_value"] = float(q)
        out.append(_off_hours_tie_finding(snapshot, by_pair[(approver, supplier)], metrics, hours, params))
    return out


def _off_hours_tie_finding(
    snapshot: GraphSnapshot,
    ties: list[dict[str, Any]],
    metrics: dict[str, Any],
    hours: dict[str, Any],
    params: Params,
) -> Finding:
    approver, supplier = str(ties[0]["approver_id"]), str(ties[0]["supplier_id"])
    ties = sorted(ties, key=lambda r: r["approved_at"])
    k, n = metrics["off_hours_for_supplier"], metrics["supplier_approvals"]
    deep = sum(bool(r["deep"]) for r in ties)
    day_off = sum(bool(r["non_working"]) and not bool(r["deep"]) for r in ties)
    evening = k - deep - day_off
    # late at night counts fully, a day off by day half, an evening not at all (as for a spate)
    lateness = (deep + 0.5 * day_off) / k
    tail = max(metrics["binomial_tail"], metrics["poisson_tail"])
    score = (
        0.45
        + 0.1 * min(1.0, (k - params.min_night_tie + 1) / 4)
        + 0.15 * min(1.0, -np.log10(max(tail, 1e-300)) / 8)
        + 0.15 * lateness
    )
    first, last, total, entities, rows = _tie_listing(snapshot, ties, approver, supplier, params.max_rows)
    emp, firm = snapshot.name("Employee", approver), snapshot.name("Supplier", supplier)
    how_many_zh = f"全部{k}份" if k == n else f"{n}份中的{k}份"
    how_many_en = f"all {k}" if k == n else f"{k} of the {n}"
    zh = (
        f"审批人{emp}（{approver}）审批供应商{firm}（{supplier}）的合同，{how_many_zh}在非工作时间"
        f"（{first:%Y-%m-%d}至{last:%Y-%m-%d}；深夜{deep}份、非工作日{day_off}份、晚间{evening}份，合计{wan(total)}），"
        f"而其对其他供应商的{metrics['approver_other_approvals']}份审批仅"
        f"{metrics['approver_other_off_hours_share']:.1%}在非工作时间，偶然如此的概率为{metrics['binomial_tail']:.1e}；"
        f"其他审批人的非工作时间审批比例为{metrics['others_off_hours_share']:.2%}"
        f"（该供应商{metrics['supplier_off_hours_share_by_others']:.2%}），预计仅{metrics['expected_by_others']:.2f}份"
        f"（泊松检验p={metrics['poisson_tail']:.1e}，校正后q={metrics['q_value']:.1e}）。与一家供应商的往来总在"
        f"非工作时间办理，避开了同事和合规的审核（规则：至少{params.min_night_tie}份、占该供应商审批的"
        f"{OFF_HOURS_TIE_SHARE:.0%}以上且两项检验p≤{params.alpha:g}）。"
    )
    en = (
        f"Approver {emp} ({approver}) signed {how_many_en} contracts of supplier {firm} ({supplier}) off-hours "
        f"({first:%Y-%m-%d} to {last:%Y-%m-%d}: {deep} late at night, {day_off} on days off, {evening} in the "
        f"evening; {yuan(total)}), where only {metrics['approver_other_off_hours_share']:.1%} of their "
        f"{metrics['approver_other_approvals']} approvals of other suppliers are off-hours: by chance p = "
        f"{metrics['binomial_tail']:.1e}; the others sign {metrics['others_off_hours_share']:.2%} of their approvals "
        f"off-hours ({metrics['supplier_off_hours_share_by_others']:.2%} of this supplier's), which predicts "
        f"{metrics['expected_by_others']:.2f} (Poisson p = {metrics['poisson_tail']:.1e}, BH-adjusted q = "
        f"{metrics['q_value']:.1e}). Dealings with one firm done only when the office is empty avoid colleagues' "
        f"and compliance review (rule: at least {params.min_night_tie}, {OFF_HOURS_TIE_SHARE:.0%} or more of the "
        f"pair's approvals, both p ≤ {params.alpha:g})."
    )
    return Finding(
        detector=DETECTOR.id,
        subject=f"off_hours_tie|{approver}|{supplier}",
        score=float(min(1.0, score)),
        entities=entities,
        explanation_zh=zh,
        explanation_en=en,
        evidence={
            "rule": "off_hours_tie",
            "ceiling": {"score": OFF_HOURS_TIE_CEILING, "reason": "timing_alone"},
            "metrics": {
                **metrics,
                "late_night": deep,
                "non_working": day_off,
                "evening": evening,
                "value": total,
                "first": f"{first:%Y-%m-%dT%H:%M:%S}",
                "last": f"{last:%Y-%m-%dT%H:%M:%S}",
            },
            "thresholds": {
                **hours,
                "min_night_tie": params.min_night_tie,
                "off_hours_tie_share": OFF_HOURS_TIE_SHARE,
                "min_approvals": params.min_approvals,
                "night_trade_min_approvals": NIGHT_TRADE_MIN_APPROVALS,
                "alpha": params.alpha,
            },
            "rows": rows,
            "subgraph": list(entities[:40]),
        },
    )


DETECTOR = Detector(
    id="after_hours",
    title_zh="非工作时间突击审批",
    title_en="After-hours approval spates",
    family="approval",
    params_type=Params,
    run=run,
    doc=__doc__ or "",
)

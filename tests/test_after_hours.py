"""after_hours: night and weekend spates, the approver's usual rate, and the habitual-share fence."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from detector_snapshots import snapshot_of

from detectors.after_hours import Params, run
from detectors.base import level_of
from detectors.calibration import calibrate

# the built-in calendar is switched off here so that the office history's weekdays are all working days
POLICY = {
    "working_hours": {"start": "08:00", "end": "19:00"},
    "holidays": ["2024-10-01"],
    "holiday_calendar": "none",
}


def contract(cid, supplier="S1", amount=100000):
    return {"contract_id": cid, "supplier_id": supplier, "amount": amount, "signed_date": "2024-06-20"}


def approval(cid, approver, when):
    return {"contract_id": cid, "step": 1, "approver_id": approver, "approved_at": when}


def findings_of(contracts, approvals, params=None, policy=POLICY):
    snapshot = snapshot_of(
        contracts=contracts,
        approvals=approvals,
        employees=[{"employee_id": "E1", "name": "赵敏"}, {"employee_id": "E2", "name": "钱进"}],
        suppliers=[
            {"supplier_id": "S1", "name": "鼎盛建设有限公司"},
            {"supplier_id": "S2", "name": "远景数码有限公司"},
        ],
        policy=policy,
    )
    return run(snapshot, params or Params())


def test_a_saturday_night_burst_for_one_supplier_is_high():
    times = ["2024-06-15T22:40:00", "2024-06-15T22:55:00", "2024-06-15T23:10:00", "2024-06-15T23:25:00"]
    contracts = [contract(f"C{i}") for i in range(4)]
    approvals = [approval(f"C{i}", "E1", t) for i, t in enumerate(times)]
    findings = findings_of(contracts, approvals)
    assert [f.subject for f in findings] == ["spate|E1|2024-06-15T22:40:00"]
    spate = findings[0]
    # four off-hours approvals over a career counted as 90 days: expected 4/90 in one day
    expected = 4 / 90
    assert spate.evidence["metrics"]["expected"] == pytest.approx(expected, abs=1e-6)
    tail = spate.evidence["metrics"]["poisson_tail"]
    one_look = 1 - sum(math.exp(-expected) * expected**k / math.factorial(k) for k in range(4))
    # all four are also late at night: the second look gives the same tail, doubled for looking twice
    assert tail == pytest.approx(2 * one_look)
    assert spate.score == pytest.approx(0.35 + 0.2 * 0.5 + 0.2 + 0.15 * min(1, -math.log10(tail) / 8) + 0.1)
    assert level_of(spate.score) == "high"
    assert spate.entities == ("employee:E1", "contract:C0", "contract:C1", "contract:C2", "contract:C3")
    assert spate.evidence["metrics"]["approvals"] == 4
    assert spate.evidence["thresholds"]["working_hours"] == "08:00-19:00"
    assert "赵敏" in spate.explanation_zh and "非工作日4份" in spate.explanation_zh
    assert "鼎盛建设有限公司" in spate.explanation_zh and "40.00万元" in spate.explanation_zh


def office_history(approver, start="2023-06-01", days=200):
    """An ordinary year: one approval at 10:00 on each of ``days`` working days."""
    return [
        approval(f"H{approver}{d:%Y%m%d}", approver, f"{d:%Y-%m-%d}T10:00:00")
        for d in pd.bdate_range(start, periods=days)
    ]


def test_late_approvals_on_separate_days_of_one_fortnight_are_a_spate():
    times = ["2024-06-11T22:30:00", "2024-06-13T23:50:00", "2024-06-16T11:00:00", "2024-06-20T00:40:00"]
    late = [approval(f"C{i}", "E1", t) for i, t in enumerate(times)]
    history = office_history("E1")
    contracts = [contract(a["contract_id"], supplier=f"S{i % 2 + 1}") for i, a in enumerate(late + history)]
    findings = findings_of(contracts, late + history)
    assert [f.subject for f in findings] == ["spate|E1|2024-06-11T22:30:00"]
    assert findings[0].evidence["metrics"]["days"] == 10
    assert findings[0].evidence["metrics"]["late_night"] == 3
    assert findings[0].evidence["metrics"]["non_working_day"] == 1


def test_approvals_spread_over_weeks_or_in_office_hours_are_quiet():
    spread = [approval(f"C{i}", "E1", f"2024-0{6 + i}-12T20:00:00") for i in range(3)]
    office = [approval(f"C{i + 3}", "E1", f"2024-06-18T10:{i}0:00") for i in range(3)]
    contracts = [contract(f"C{i}") for i in range(6)]
    assert findings_of(contracts, spread + office) == []


def test_a_holiday_counts_as_a_non_working_day():
    times = ["2024-10-01T10:00:00", "2024-10-01T10:30:00", "2024-10-01T11:00:00"]
    findings = findings_of(
        [contract(f"C{i}") for i in range(3)], [approval(f"C{i}", "E1", t) for i, t in enumerate(times)]
    )
    assert len(findings) == 1 and findings[0].evidence["metrics"]["non_working_day"] == 3


def test_midnight_stamps_are_dates_without_a_time():
    contracts = [contract(f"C{i}") for i in range(3)]
    for day in ("2024-06-15", "2024-06-18"):  # a Saturday and a Tuesday
        approvals = [approval(f"C{i}", "E1", f"{day}T00:00:00") for i in range(3)]
        assert findings_of(contracts, approvals) == []


def test_an_approver_who_works_late_all_year_has_no_spate():
    # E1 signs one late approval every working day from January to June, three on 18 June
    days = pd.bdate_range("2024-01-02", "2024-06-28")
    routine = [approval(f"R{d:%m%d}", "E1", f"{d:%Y-%m-%d}T20:00:00") for d in days]
    burst = [approval(f"B{i}", "E1", f"2024-06-18T21:{10 * i:02d}:00") for i in range(3)]
    contracts = [contract(a["contract_id"]) for a in routine + burst]
    assert findings_of(contracts, routine + burst, params=Params(min_approvals=1000)) == []


def test_habitual_share_above_the_fence_of_the_peers():
    contracts, approvals = [], []
    office_days = pd.bdate_range("2024-03-01", periods=40)
    # six approvers with 40 office-hours approvals each; three of them once in an evening
    for a in range(6):
        for i, day in enumerate(office_days):
            cid = f"C{a}-{i}"
            contracts.append(contract(cid))
            late = a in (1, 2, 3) and i == 0
            approvals.append(approval(cid, f"A{a}", f"{day:%Y-%m-%d}T{20 if late else 10}:00:00"))
    # A0 also signs 12 in the evening, ten working days apart: never three in a fortnight
    for i, day in enumerate(pd.bdate_range("2024-05-01", periods=120)[::10]):
        cid = f"L{i}"
        contracts.append(contract(cid))
        approvals.append(approval(cid, "A0", f"{day:%Y-%m-%d}T20:30:00"))
    findings = findings_of(contracts, approvals, params=Params(min_approvals=30))
    assert [f.subject for f in findings] == ["habitual|A0"]
    habitual = findings[0]
    fence = habitual.evidence["thresholds"]["fence"]
    assert fence["n"] == 6 and habitual.evidence["metrics"]["share"] > fence["upper"]
    assert habitual.evidence["metrics"]["off_hours"] == 12
    assert habitual.score == pytest.approx(0.3 + 0.4 * 12 / 52)
    assert "高于同类审批人分布的上限" in habitual.explanation_zh
    fixed = findings_of(contracts, approvals, params=Params(min_approvals=30, max_off_hours_share=0.5))
    assert fixed == []


def test_a_year_end_rush_that_everybody_works_late_in_is_the_season_not_a_spate():
    """The look-alike: in December's rush the whole organisation signs in the evening."""
    colleagues = [f"K{i}" for i in range(12)]
    contracts, approvals = [], []
    for who in ["E1", *colleagues]:
        approvals += office_history(who)
        # a few evenings spread over the year: everybody's ordinary habit
        for month in (2, 4, 7, 9):
            cid = f"Y{who}{month}"
            contracts.append(contract(cid))
            approvals.append(approval(cid, who, f"2024-{month:02d}-1{month % 7}T20:30:00"))
    for who in colleagues:  # the rush: every colleague signs four evenings in mid December
        for day in (16, 17, 18, 19):
            cid = f"R{who}{day}"
            contracts.append(contract(cid))
            approvals.append(approval(cid, who, f"2024-12-{day}T20:15:00"))
    burst = [f"B{i}" for i in range(4)]
    contracts += [contract(c) for c in burst]
    december = [approval(c, "E1", f"2024-12-{16 + i}T20:40:00") for i, c in enumerate(burst)]
    june = [approval(c, "E1", f"2024-06-{17 + i}T20:40:00") for i, c in enumerate(burst)]
    in_rush = [f for f in findings_of(contracts, approvals + december) if f.subject.startswith("spate|E1")]
    in_june = [f for f in findings_of(contracts, approvals + june) if f.subject.startswith("spate|E1")]
    assert in_june and not in_rush
    assert in_june[0].evidence["metrics"]["season_factor"] == pytest.approx(1.0)


def test_the_built_in_calendar_knows_spring_festival_and_its_make_up_sundays():
    """2024-02-04 and 2024-02-18 were Sundays worked instead of the Spring Festival days (调休)."""
    calendar = {"working_hours": {"start": "08:00", "end": "19:00"}}
    contracts = [contract(f"C{i}") for i in range(3)]
    for day in ("2024-02-04", "2024-02-18"):  # a make-up Sunday: an ordinary office day
        approvals = [approval(f"C{i}", "E1", f"{day}T10:{i}0:00") for i in range(3)]
        assert findings_of(contracts, approvals, policy=calendar) == []
        assert findings_of(contracts, approvals) != []  # without the calendar a Sunday is a day off
    festival = [approval(f"C{i}", "E1", f"2024-02-14T10:{i}0:00") for i in range(3)]  # a Wednesday off
    found = findings_of(contracts, festival, policy=calendar)
    assert len(found) == 1 and found[0].evidence["metrics"]["non_working_day"] == 3
    assert found[0].evidence["thresholds"]["holiday_calendar"] == "mainland_china"
    # the policy's own lists win: a workday named in policy.yaml, a holiday of its own
    worked = {**calendar, "workdays": ["2024-02-14"]}
    assert findings_of(contracts, festival, policy=worked) == []
    own = [approval(f"C{i}", "E1", f"2024-02-04T10:{i}0:00") for i in range(3)]
    assert findings_of(contracts, own, policy={**calendar, "holidays": ["2024-02-04"]}) != []


def test_an_unknown_holiday_calendar_is_refused():
    from detectors.policy_rules import PolicyError

    with pytest.raises(PolicyError, match="holiday_calendar"):
        findings_of(
            [contract("C0")], [approval("C0", "E1", "2024-06-18T10:00:00")], policy={"holiday_calendar": "uk"}
        )


def test_evenings_signed_when_the_whole_organisation_signs_evenings_are_the_season():
    """Against the same weeks' organisation-wide share: a December of evenings for most approvers."""
    colleagues = [f"K{i}" for i in range(12)]
    contracts, approvals = [], []
    for who in ["E1", *colleagues]:
        approvals += office_history(who)
    december = pd.bdate_range("2024-12-02", "2024-12-27")
    for who in ["E1", *colleagues]:  # everybody signs every December working day, half of them at 20:00
        for i, day in enumerate(december):
            cid = f"D{who}{i}"
            contracts.append(contract(cid))
            approvals.append(approval(cid, who, f"{day:%Y-%m-%d}T{20 if i % 2 else 10}:00:00"))
    found = [f for f in findings_of(contracts, approvals) if f.subject.startswith("spate|E1")]
    assert found == []
    # the same December evenings by E1 alone are a spate, judged against E1's own habit
    alone = [a for a in approvals if not (a["approver_id"] != "E1" and a["contract_id"].startswith("D"))]
    spates = [f for f in findings_of(contracts, alone) if f.subject.startswith("spate|E1")]
    assert spates and spates[0].evidence["metrics"]["others_off_hours_share"] == 0.0
    assert "按其本人以往习惯" in spates[0].explanation_zh


def a_year_of_office_work(approver, suppliers, start="2024-01-02", days=240):
    """One approval at 10:00 on each of ``days`` working days, the suppliers taken in turn."""
    approvals, contracts = [], []
    for i, day in enumerate(pd.bdate_range(start, periods=days)):
        cid = f"O{approver}{i}"
        approvals.append(approval(cid, approver, f"{day:%Y-%m-%d}T10:00:00"))
        contracts.append(contract(cid, supplier=suppliers[i % len(suppliers)]))
    return contracts, approvals


# six approvals in the small hours over a year, weeks apart: no fortnight holds a spate
SMALL_HOURS_NIGHTS = [
    "2024-02-06T02:10:00",
    "2024-04-17T01:40:00",
    "2024-06-04T03:20:00",
    "2024-07-23T02:50:00",
    "2024-09-10T01:15:00",
    "2024-11-26T03:45:00",
]


def test_sparse_small_hours_approvals_all_for_one_supplier_are_a_night_tie():
    """A handful of 01:00-05:00 sign-offs over a year, every one for the same supplier, is high."""
    day_suppliers = ["S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8", "S9", "S10"]
    contracts, approvals = a_year_of_office_work("E1", day_suppliers)
    for i, when in enumerate(SMALL_HOURS_NIGHTS):
        contracts.append(contract(f"N{i}", supplier="S1"))
        approvals.append(approval(f"N{i}", "E1", when))
    findings = findings_of(contracts, approvals)
    assert [f.subject for f in findings] == ["night_tie|E1|S1"]
    tie = findings[0]
    assert tie.evidence["rule"] == "night_tie"
    metrics = tie.evidence["metrics"]
    assert metrics["small_hours_approvals"] == 6 and metrics["for_supplier"] == 6
    # S1 is one in ten of E1's daytime approvals (24 of 240): six of six by chance is 0.1^6
    assert metrics["day_share"] == pytest.approx(24 / 240)
    assert metrics["binomial_tail"] == pytest.approx(0.1**6)
    assert tie.score > 0.85
    # no generated world plants a night tie: the kind is calibrated on the detector's curve, and is high
    assert level_of(calibrate(tie).score) == "high"
    assert tie.entities[:2] == ("employee:E1", "supplier:S1")
    assert "鼎盛建设有限公司" in tie.explanation_zh and "01:00" in tie.explanation_zh
    assert "all 6" in tie.explanation_en


def test_small_hours_approvals_spread_over_the_day_suppliers_are_no_tie():
    """A duty manager's night repairs go to the trade's contractors in turn: no one supplier."""
    contracts, approvals = a_year_of_office_work("E1", ["S1", "S2", "S3", "S4", "S5", "S6"])
    for i, when in enumerate(SMALL_HOURS_NIGHTS):
        contracts.append(contract(f"N{i}", supplier=f"S{i % 3 + 1}"))
        approvals.append(approval(f"N{i}", "E1", when))
    assert [f for f in findings_of(contracts, approvals) if f.evidence["rule"] == "night_tie"] == []


def test_a_supplier_the_whole_organisation_signs_at_night_is_its_trade_not_a_tie():
    """When the colleagues also sign this supplier in the small hours, its work is done at night."""
    contracts, approvals = a_year_of_office_work("E1", ["S1", "S2", "S3", "S4", "S5", "S6"])
    for i, when in enumerate(SMALL_HOURS_NIGHTS):
        contracts.append(contract(f"N{i}", supplier="S1"))
        approvals.append(approval(f"N{i}", "E1", when))
    more, colleague = a_year_of_office_work("E2", ["S1", "S2"], days=60)
    contracts += more
    approvals += colleague
    for i, day in enumerate(pd.bdate_range("2024-03-04", periods=12, freq="14D")):
        contracts.append(contract(f"M{i}", supplier="S1"))
        approvals.append(approval(f"M{i}", "E2", f"{day:%Y-%m-%d}T02:30:00"))
    ties = [f for f in findings_of(contracts, approvals) if f.subject == "night_tie|E1|S1"]
    assert ties == []


def test_a_supplier_that_is_most_of_the_approvers_day_work_is_no_night_tie():
    """Six small-hours approvals for the supplier of four fifths of the approver's days are their job."""
    contracts, approvals = a_year_of_office_work("E1", ["S1", "S1", "S1", "S1", "S2"])
    for i, when in enumerate(SMALL_HOURS_NIGHTS):
        contracts.append(contract(f"N{i}", supplier="S1"))
        approvals.append(approval(f"N{i}", "E1", when))
    assert [f for f in findings_of(contracts, approvals) if f.evidence["rule"] == "night_tie"] == []


TIES = ("night_tie", "off_hours_tie")
TEN_SUPPLIERS = [f"S{i}" for i in range(1, 11)]
# seven Saturdays, weeks apart, by day: off-hours, not the small hours, never a spate
SATURDAYS = [
    f"{day:%Y-%m-%d}T{10 + i}:20:00"
    for i, day in enumerate(pd.date_range("2024-02-03", periods=7, freq="6W-SAT"))
]


def test_a_supplier_whose_every_approval_is_signed_on_a_day_off_is_an_off_hours_tie():
    """Seven Saturday sign-offs over a year, the supplier's only approvals by an approver who
    otherwise signs on weekdays and has evenings for other firms too: the pair is off-hours."""
    contracts, approvals = a_year_of_office_work("E1", TEN_SUPPLIERS)
    for i, day in enumerate(pd.bdate_range("2024-01-08", periods=12, freq="3W-MON")):
        # evenings for the ordinary suppliers, so the approver's off-hours are not all this firm's
        contracts.append(contract(f"V{i}", supplier=f"S{i % 4 + 2}"))
        approvals.append(approval(f"V{i}", "E1", f"{day:%Y-%m-%d}T20:15:00"))
    for i, when in enumerate(SATURDAYS):
        contracts.append(contract(f"W{i}", supplier="S11"))
        approvals.append(approval(f"W{i}", "E1", when))
    ties = [f for f in findings_of(contracts, approvals) if f.evidence["rule"] in TIES]
    assert [f.subject for f in ties] == ["off_hours_tie|E1|S11"]
    metrics = ties[0].evidence["metrics"]
    assert (metrics["supplier_approvals"], metrics["off_hours_for_supplier"], metrics["non_working"]) == (
        7,
        7,
        7,
    )
    # one office day falls on the 1 October holiday: 13 of the 252 other approvals are off-hours
    assert metrics["approver_other_off_hours_share"] == pytest.approx(13 / 252, abs=1e-6)
    assert metrics["binomial_tail"] == pytest.approx((13 / 252) ** 7)
    assert ties[0].entities[:2] == ("employee:E1", "supplier:S11")
    assert "非工作时间" in ties[0].explanation_zh and "all 7" in ties[0].explanation_en
    # timing alone is a lead: medium at most, whatever the calibration curve says
    assert level_of(calibrate(ties[0]).score) == "medium"


def test_a_weekend_duty_approver_who_signs_a_firm_off_hours_as_often_as_any_other_is_no_tie():
    """An approver on weekend duty signs a third of everything off-hours: four Saturdays for one firm are their job."""
    contracts, approvals = a_year_of_office_work("E1", TEN_SUPPLIERS, days=80)
    for i, day in enumerate(pd.date_range("2024-01-06", periods=40, freq="W-SAT")):
        contracts.append(contract(f"D{i}", supplier=TEN_SUPPLIERS[i % 10]))
        approvals.append(approval(f"D{i}", "E1", f"{day:%Y-%m-%d}T11:00:00"))
    for i, when in enumerate(SATURDAYS[:4]):
        contracts.append(contract(f"W{i}", supplier="S11"))
        approvals.append(approval(f"W{i}", "E1", when))
    assert [f for f in findings_of(contracts, approvals) if f.evidence["rule"] in TIES] == []


def test_a_supplier_signed_by_day_with_a_few_evenings_is_no_off_hours_tie():
    """Four evenings among twenty approvals of one firm: most of the pair's work is by day."""
    contracts, approvals = a_year_of_office_work("E1", TEN_SUPPLIERS)
    for i, day in enumerate(pd.bdate_range("2024-02-05", periods=4, freq="8W-MON")):
        contracts.append(contract(f"V{i}", supplier="S1"))
        approvals.append(approval(f"V{i}", "E1", f"{day:%Y-%m-%d}T20:15:00"))
    assert [f for f in findings_of(contracts, approvals) if f.evidence["rule"] == "off_hours_tie"] == []

"""split_purchase: pieces under a limit that reach it together, and the cases that must stay quiet."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from detector_snapshots import snapshot_of

from detectors.base import level_of
from detectors.split_purchase import Params, run
from detectors.windows import window_episodes

POLICY = {
    "approval_limits": [
        {"level": 1, "max_amount": 50000},
        {"level": 2, "max_amount": 200000},
        {"level": 3, "max_amount": 1000000},
    ],
    "open_tender_threshold": 2000000,
    "direct_award_exempt_categories": ["电力"],
    "split_window_days": 14,
}


def contract(cid, amount, day, requester="E1", supplier="S1", department="D1", category="办公用品"):
    return {
        "contract_id": cid,
        "supplier_id": supplier,
        "amount": amount,
        "signed_date": f"2024-05-{day:02d}",
        "department_id": department,
        "requester_id": requester,
        "category": category,
        "item": "硒鼓",
    }


def findings_of(contracts, params=None, policy=POLICY):
    snapshot = snapshot_of(
        contracts=contracts,
        employees=[
            {"employee_id": "E1", "name": "李强", "department_id": "D1"},
            {"employee_id": "E2", "name": "周杰", "department_id": "D1"},
        ],
        suppliers=[
            {"supplier_id": "S1", "name": "华信商贸有限公司"},
            {"supplier_id": "S2", "name": "国网供电公司"},
        ],
        departments=[{"department_id": "D1", "name": "后勤保障部"}],
        policy=policy,
    )
    return run(snapshot, params or Params())


def test_three_pieces_just_under_the_level_one_limit():
    findings = findings_of(
        [
            contract("C1", 48000, 6),
            contract("C2", 49000, 7),
            contract("C3", 46000, 9),
            contract("C9", 48000, 30),
        ]
    )
    assert [f.subject for f in findings] == ["requester|E1|S1|C1"]
    finding = findings[0]
    assert finding.evidence["metrics"]["pieces"] == 3
    assert finding.evidence["metrics"]["total"] == 143000
    assert finding.evidence["thresholds"]["limit"] == 50000
    assert finding.evidence["thresholds"]["window_source"] == "policy"
    # mean piece 95 % of the limit: closeness 1; spread over three days (no tightness); three pieces; one requester
    assert finding.score == pytest.approx(0.25 + 0.3 * 1.0 + 0.2 * 0 + 0.15 + 0.1)
    assert finding.evidence["metrics"]["level_needed_by_total"] == 2
    assert level_of(finding.score) == "high"
    assert {"employee:E1", "supplier:S1", "contract:C1", "contract:C3"} <= set(finding.entities)
    # one requester's split names the requester, not the whole department
    assert "department:D1" not in finding.entities and "department:D1" in finding.evidence["subgraph"]
    assert "contract:C9" not in finding.entities
    assert "李强" in finding.explanation_zh and "5.00万元" in finding.explanation_zh
    assert "14.30万元" in finding.explanation_zh and "需第2级审批" in finding.explanation_zh
    assert "CNY 50,000" in finding.explanation_en


def test_pieces_that_stay_under_the_limit_or_far_apart_are_quiet():
    assert findings_of([contract("C1", 30000, 6), contract("C2", 15000, 7)]) == []
    assert findings_of([contract("C1", 30000, 1), contract("C2", 30000, 20)]) == []


def test_a_tiny_piece_does_not_make_a_split():
    # 48,000 + 5,000 crosses 50,000, but 5,000 is below half the limit
    assert findings_of([contract("C1", 48000, 6), contract("C2", 5000, 7)]) == []


def test_four_requesters_of_one_department_split_together():
    pieces = [contract(f"C{i}", 47000, 6, requester=f"E{i}") for i in (1, 2, 3, 4)]
    findings = findings_of(pieces)
    assert [f.subject for f in findings] == ["department|D1|S1|C1"]
    assert findings[0].evidence["metrics"]["requesters"] == ["E1", "E2", "E3", "E4"]
    # closeness 1, same day, four pieces: 0.9 before the department cap of 0.65
    assert findings[0].score == pytest.approx(0.65)
    # three orders from three requesters are not enough, nor four that are not just below the limit
    assert findings_of(pieces[:3]) == []
    assert findings_of([contract(f"C{i}", 40000, 6, requester=f"E{i}") for i in (1, 2, 3, 4)]) == []


def test_two_pieces_on_one_day_are_high_only_near_the_limit():
    near = findings_of([contract("C1", 48000, 6), contract("C2", 47000, 6)])
    assert level_of(near[0].score) == "high"
    # 30,000 twice on one day: closeness 0.25 also scales the same-day credit
    far = findings_of([contract("C1", 30000, 6), contract("C2", 30000, 6)])
    assert far[0].score == pytest.approx(0.25 + 0.3 * 0.25 + 0.2 * 0.25 + 0.1)
    assert level_of(far[0].score) == "medium"


def test_a_recurring_purchase_is_not_a_split():
    # 30,000 every week for eight weeks: every window crosses 50,000, but the run spans 49 days > 3 × 14
    weekly = [
        {**contract(f"C{i}", 30000, 1), "signed_date": str(np.datetime64("2024-05-01") + 7 * i)}
        for i in range(8)
    ]
    assert findings_of(weekly) == []
    assert len(findings_of(weekly, params=Params(max_span_windows=4))) == 1


def test_exempt_categories_are_skipped():
    bills = [
        contract("C1", 40000, 6, supplier="S2", category="电力"),
        contract("C2", 40000, 8, supplier="S2", category="电力"),
    ]
    assert findings_of(bills) == []
    assert len(findings_of(bills, params=Params(exclude_exempt_categories=False))) == 1


def test_pieces_under_the_open_procedure_threshold():
    findings = findings_of([contract("C1", 1500000, 6), contract("C2", 1200000, 8)])
    assert len(findings) == 1
    assert findings[0].evidence["thresholds"]["limit"] == 2000000
    assert findings[0].evidence["thresholds"]["limit_source"] == "policy"
    assert "公开招标限额" in findings[0].explanation_zh


def test_each_contract_is_reported_once_at_the_limit_its_pieces_evade():
    # five pieces of 45,000 in a week cross 50,000 and 200,000: one finding, at the level-1 limit,
    # saying the total needed level 3
    findings = findings_of([contract(f"C{i}", 45000, 6 + i) for i in range(5)])
    assert len(findings) == 1
    assert findings[0].evidence["thresholds"]["limit"] == 50000
    assert findings[0].evidence["metrics"]["level_needed_by_total"] == 3


def test_overlapping_windows_merge_into_one_episode():
    keys = np.zeros(4, dtype=int)
    days = np.array([0, 10, 20, 30])
    episode, sums = window_episodes(keys, days, np.full(4, 30.0), 50.0, 14, 2)
    assert episode.tolist() == [0, 0, 0, 0]
    assert sums.tolist() == [30.0, 60.0, 60.0, 60.0]


def test_a_departments_episodes_below_high_are_one_note_and_a_high_one_stays_apart():
    medium = [contract("C1", 30000, 6), contract("C2", 30000, 6)]
    medium += [contract("C3", 30000, 6, requester="E2", supplier="S2"), contract("C4", 30000, 6, "E2", "S2")]
    high = [contract("C5", 48000, 20), contract("C6", 47000, 20)]
    findings = findings_of(medium + high)
    assert [f.subject for f in findings] == ["requester|E1|S1|C5", "department-note|D1"]
    note = findings[1]
    assert note.evidence["rule"] == "department" and note.evidence["metrics"]["episodes"] == 2
    assert note.score == pytest.approx(0.25 + 0.3 * 0.25 + 0.2 * 0.25 + 0.1)
    assert note.entities[:3] == ("department:D1", "employee:E1", "supplier:S1")
    assert {"employee:E2", "supplier:S2", "contract:C4"} <= set(note.entities)
    # one episode below high is its own alert, as before
    assert [f.subject for f in findings_of(medium[:2])] == ["requester|E1|S1|C1"]
    assert findings_of(medium, params=Params(min_department_episodes=3))[0].subject.startswith("requester|")


def weekly(amounts, start="2024-01-08", requester="E1", prefix="W"):
    """One order a week to S1 from ``start``, the amounts in turn (a replenishment cadence)."""
    days = pd.date_range(start, periods=len(amounts), freq="7D")
    return [
        {**contract(f"{prefix}{i}", amount, 1, requester=requester), "signed_date": f"{day:%Y-%m-%d}"}
        for i, (amount, day) in enumerate(zip(amounts, days, strict=True))
    ]


# 30 weeks: three orders near the 5万 limit, then two small ones, over and over
WEEKLY_AMOUNTS = [46000, 47000, 45000, 15000, 16000] * 6


def test_weekly_replenishment_just_under_the_limit_is_a_low_note_not_a_split():
    """A regular cadence for months is replenishment: each run of three near-limit weeks stays low."""
    findings = findings_of(weekly(WEEKLY_AMOUNTS))
    assert findings, "the weeks near the limit are still shown, as a low note"
    assert all(level_of(f.score) == "low" for f in findings)
    note = findings[0]
    assert note.evidence["lookalike"]["pattern"] == "replenishment"
    facts = note.evidence["lookalike"]["facts"]
    assert facts["usual_interval_days"] == 7 and facts["orders_outside"] >= 8
    assert note.explanation_zh.startswith("定期补货") and "约每7天一次" in note.explanation_zh
    assert "Regular replenishment" in note.explanation_en
    assert note.entities[0] == "supplier:S1"


def test_a_burst_inside_a_weekly_cadence_is_still_a_split():
    """Three more orders near the limit within three days, in a week of the cadence: a burst around one need."""
    orders = weekly(WEEKLY_AMOUNTS)
    burst = [
        {**contract(f"B{i}", amount, 1), "signed_date": day}
        for i, (amount, day) in enumerate(
            zip([48000, 49000, 47500], ["2024-04-02", "2024-04-03", "2024-04-04"], strict=True)
        )
    ]
    findings = findings_of(orders + burst)
    splits = [f for f in findings if f.evidence.get("lookalike") is None]
    assert len(splits) == 1 and level_of(splits[0].score) == "high"
    assert {"contract:B0", "contract:B1", "contract:B2"} <= set(splits[0].entities)


def test_a_few_orders_are_no_cadence():
    """Three near-limit weeks with nothing else from the pair stay a split (no months of orders to compare)."""
    findings = findings_of(weekly([46000, 47000, 45000]))
    assert len(findings) == 1 and findings[0].evidence.get("lookalike") is None
    assert level_of(findings[0].score) == "high"

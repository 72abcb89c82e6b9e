"""after_hours: night and weekend bursts, the approver's usual rate, and the habitual-share fence."""

from __future__ import annotations

import pandas as pd
import pytest
from detector_snapshots import snapshot_of

from detectors.after_hours import Params, run
from detectors.base import level_of

POLICY = {"working_hours": {"start": "08:00", "end": "19:00"}, "holidays": ["2024-10-01"]}


def contract(cid, supplier="S1", amount=100000):
    return {"contract_id": cid, "supplier_id": supplier, "amount": amount, "signed_date": "2024-06-20"}


def approval(cid, approver, when):
    return {"contract_id": cid, "step": 1, "approver_id": approver, "approved_at": when}


def findings_of(contracts, approvals, params=None):
    snapshot = snapshot_of(
        contracts=contracts,
        approvals=approvals,
        employees=[{"employee_id": "E1", "name": "赵敏"}, {"employee_id": "E2", "name": "钱进"}],
        suppliers=[
            {"supplier_id": "S1", "name": "鼎盛建设有限公司"},
            {"supplier_id": "S2", "name": "远景数码有限公司"},
        ],
        policy=POLICY,
    )
    return run(snapshot, params or Params())


def test_a_saturday_night_burst_for_one_supplier_is_high():
    times = ["2024-06-15T22:40:00", "2024-06-15T22:55:00", "2024-06-15T23:10:00", "2024-06-15T23:25:00"]
    contracts = [contract(f"C{i}") for i in range(4)]
    approvals = [approval(f"C{i}", "E1", t) for i, t in enumerate(times)]
    findings = findings_of(contracts, approvals)
    assert [f.subject for f in findings] == ["burst|E1|2024-06-15T22:40:00"]
    burst = findings[0]
    # 0.4 + 0.15 * min(1, 2/3) + 0.2 * 1.0 + 0.15 * 1.0
    assert burst.score == pytest.approx(0.4 + 0.1 + 0.2 + 0.15)
    assert level_of(burst.score) == "high"
    assert burst.entities[:2] == ("employee:E1", "supplier:S1")
    assert {"contract:C0", "contract:C3"} <= set(burst.entities)
    assert burst.evidence["metrics"]["approvals"] == 4
    assert burst.evidence["thresholds"]["working_hours"] == "08:00-19:00"
    assert "赵敏" in burst.explanation_zh and "非工作日" in burst.explanation_zh
    assert "鼎盛建设有限公司" in burst.explanation_zh and "40.00万元" in burst.explanation_zh


def test_approvals_spread_over_evenings_or_in_office_hours_are_quiet():
    spread = [approval(f"C{i}", "E1", f"2024-06-1{i}T20:00:00") for i in range(3)]
    office = [approval(f"C{i + 3}", "E1", f"2024-06-18T10:{i}0:00") for i in range(3)]
    contracts = [contract(f"C{i}") for i in range(6)]
    assert findings_of(contracts, spread + office) == []


def test_a_holiday_counts_as_a_non_working_day():
    times = ["2024-10-01T10:00:00", "2024-10-01T10:30:00", "2024-10-01T11:00:00"]
    findings = findings_of(
        [contract(f"C{i}") for i in range(3)], [approval(f"C{i}", "E1", t) for i, t in enumerate(times)]
    )
    assert len(findings) == 1 and findings[0].evidence["metrics"]["deep_night_share"] == 1.0


def test_midnight_stamps_are_dates_without_a_time():
    contracts = [contract(f"C{i}") for i in range(3)]
    for day in ("2024-06-15", "2024-06-18"):  # a Saturday and a Tuesday
        approvals = [approval(f"C{i}", "E1", f"{day}T00:00:00") for i in range(3)]
        assert findings_of(contracts, approvals) == []


def test_an_approver_who_often_works_late_needs_a_bigger_burst():
    # E1 signs two late approvals on each of 40 days: three in one evening is usual for them
    days = pd.bdate_range("2024-01-01", periods=40)
    routine = [
        approval(f"R{d:%m%d}{k}", "E1", f"{d:%Y-%m-%d}T{20 + k}:00:00") for d in days for k in range(2)
    ]
    burst = [approval(f"B{i}", "E1", f"2024-06-18T21:{10 * i:02d}:00") for i in range(3)]
    contracts = [contract(a["contract_id"]) for a in routine + burst]
    findings = findings_of(contracts, routine + burst, params=Params(min_approvals=1000))
    assert findings == []


def test_habitual_share_above_the_fence_of_the_peers():
    contracts, approvals = [], []
    # six approvers with 40 office-hours approvals each; E1 also signs 12 in the evenings of different days
    for a in range(6):
        for i in range(40):
            cid = f"C{a}-{i}"
            contracts.append(contract(cid))
            late = a in (1, 2, 3) and i == 0
            approvals.append(approval(cid, f"A{a}", f"2024-03-{1 + i % 28:02d}T{20 if late else 10}:00:00"))
    for i in range(12):
        cid = f"L{i}"
        contracts.append(contract(cid))
        approvals.append(approval(cid, "A0", f"2024-04-{1 + 2 * i:02d}T20:30:00"))
    findings = findings_of(contracts, approvals, params=Params(min_approvals=30))
    assert [f.subject for f in findings] == ["habitual|A0"]
    habitual = findings[0]
    fence = habitual.evidence["thresholds"]["fence"]
    assert fence["n"] == 6 and habitual.evidence["metrics"]["share"] > fence["upper"]
    assert level_of(habitual.score) == "medium"
    fixed = findings_of(contracts, approvals, params=Params(min_approvals=30, max_off_hours_share=0.5))
    assert fixed == []

"""direct_awards: non-competitive awards adding up past the open-procedure threshold, and the K07 share."""

from __future__ import annotations

import math

import pytest
from detector_snapshots import snapshot_of

from detectors.base import level_of
from detectors.direct_awards import Params, run

POLICY = {"open_tender_threshold": 2000000, "direct_award_exempt_categories": ["电力"]}


def contract(cid, amount, date, method="single_source", supplier="S1", department="D1", category="技术服务"):
    return {
        "contract_id": cid,
        "supplier_id": supplier,
        "amount": amount,
        "signed_date": date,
        "department_id": department,
        "method": method,
        "category": category,
    }


def findings_of(contracts, params=None, policy=POLICY):
    snapshot = snapshot_of(
        contracts=contracts,
        suppliers=[
            {"supplier_id": "S1", "name": "鼎力工程咨询有限公司"},
            {"supplier_id": "S9", "name": "国网供电公司"},
        ],
        departments=[{"department_id": "D1", "name": "基建部"}],
        policy=policy,
    )
    return run(snapshot, params or Params(min_department_contracts=1000))


def test_awards_that_add_up_past_the_threshold_within_a_year():
    awards = [
        contract("C1", 600000, "2024-03-01"),
        contract("C2", 800000, "2024-06-01"),
        contract("C3", 900000, "2024-12-01", method="direct"),
        contract("C4", 900000, "2026-06-01"),
    ]
    findings = findings_of(awards)
    assert [f.subject for f in findings] == ["repeat|D1|S1|C1"]
    finding = findings[0]
    assert finding.evidence["metrics"]["total"] == 2300000
    assert finding.evidence["metrics"]["methods"] == {"single_source": 2, "direct": 1}
    assert finding.evidence["thresholds"]["open_procedure_threshold"] == 2000000
    assert finding.evidence["thresholds"]["threshold_source"] == "policy"
    assert finding.score == pytest.approx(0.6 + 0.25 * math.log2(2.3 / 2) + 0.15 * 2 / 5)
    assert level_of(finding.score) == "high"
    assert finding.entities[:2] == ("department:D1", "supplier:S1")
    assert "contract:C4" not in finding.entities
    assert "基建部" in finding.explanation_zh and "鼎力工程咨询有限公司" in finding.explanation_zh
    assert "230.00万元" in finding.explanation_zh and "200.00万元" in finding.explanation_zh


def test_tendered_awards_spread_years_and_exempt_categories_are_quiet():
    assert (
        findings_of(
            [contract("C1", 1500000, "2024-03-01"), contract("C2", 900000, "2024-05-01", method="open")]
        )
        == []
    )
    assert findings_of([contract("C1", 1500000, "2024-01-01"), contract("C2", 900000, "2025-02-01")]) == []
    bills = [contract(f"C{i}", 400000, f"2024-0{i + 1}-01", supplier="S9", category="电力") for i in range(8)]
    assert findings_of(bills) == []
    # a bill whose category the export lost is still the utility's bill
    unlabelled = [{**bill, "category": None} if i % 3 == 0 else bill for i, bill in enumerate(bills)]
    assert findings_of(unlabelled) == []


def test_without_a_policy_the_fallback_threshold_applies():
    awards = [contract("C1", 600000, "2024-03-01"), contract("C2", 500000, "2024-04-01")]
    findings = findings_of(awards, policy={})
    assert len(findings) == 1
    assert findings[0].evidence["thresholds"]["threshold_source"] == "default"
    assert findings[0].evidence["thresholds"]["open_procedure_threshold"] == 1000000
    setting = findings_of(
        awards, params=Params(open_procedure_threshold=3000000, min_department_contracts=1000)
    )
    assert setting == []


def test_a_department_that_buys_a_fifth_of_its_spend_without_competition():
    contracts = [contract(f"T{i}", 80000, "2024-05-01", method="open") for i in range(20)] + [
        contract(f"D{i}", 100000, "2024-06-01", method="direct", supplier=f"X{i}") for i in range(4)
    ]
    findings = run(
        snapshot_of(
            contracts=contracts, departments=[{"department_id": "D1", "name": "基建部"}], policy=POLICY
        ),
        Params(min_department_contracts=20),
    )
    assert [f.subject for f in findings] == ["share|D1|2024"]
    share = findings[0].evidence["metrics"]["share"]
    assert share == pytest.approx(400000 / 2000000)
    assert findings[0].score == pytest.approx(0.4 + 0.4 * (0.2 - 0.1) / 0.3)
    assert "20.0%" in findings[0].explanation_zh

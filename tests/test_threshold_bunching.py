"""threshold_bunching: a pile-up just below a limit, against the other units' share."""

from __future__ import annotations

import pytest
from detector_snapshots import snapshot_of

from detectors.base import level_of
from detectors.threshold_bunching import Params, run

POLICY = {"approval_limits": [{"level": 1, "max_amount": 50000}, {"level": 2, "max_amount": 200000}]}


def contract(cid, amount, requester, department="D1", supplier="S1", category="办公用品"):
    return {
        "contract_id": cid,
        "supplier_id": supplier,
        "amount": amount,
        "signed_date": "2024-05-06",
        "department_id": department,
        "requester_id": requester,
        "category": category,
    }


def findings_of(contracts, params=None, policy=POLICY):
    snapshot = snapshot_of(
        contracts=contracts,
        employees=[{"employee_id": "E1", "name": "李强", "department_id": "D1"}],
        departments=[
            {"department_id": "D1", "name": "后勤保障部"},
            {"department_id": "D2", "name": "基建部"},
        ],
        suppliers=[{"supplier_id": "S1", "name": "华信商贸有限公司"}],
        policy=policy,
    )
    return run(snapshot, params or Params())


def normal_requester(name, department="D1"):
    """Five contracts just below 50,000 and five just above: no bunching."""
    return [contract(f"{name}-b{i}", 48000 + 100 * i, name, department) for i in range(5)] + [
        contract(f"{name}-a{i}", 50500 + 100 * i, name, department) for i in range(5)
    ]


def test_a_requester_who_stays_just_below_the_limit():
    piled = [contract(f"C{i}", 47600 + 250 * i, "E1") for i in range(8)]
    findings = findings_of(piled + normal_requester("E2") + normal_requester("E3", "D2"))
    assert [f.subject for f in findings] == ["requester|E1|50000"]
    finding = findings[0]
    metrics = finding.evidence["metrics"]
    assert (metrics["below"], metrics["above"]) == (8, 0)
    assert metrics["expected_below_share"] == 0.5
    assert metrics["p_value"] == pytest.approx(0.5**8)
    assert finding.evidence["thresholds"]["limit"] == 50000
    assert finding.score == pytest.approx(0.4 + 0.2 * 0.3 + 0.2 * (8 * 0.30103) / 6 + 0.1)
    assert level_of(finding.score) == "medium"
    assert finding.entities[:2] == ("employee:E1", "contract:C0")
    assert "supplier:S1" not in finding.entities and "supplier:S1" in finding.evidence["subgraph"]
    assert (
        "李强" in finding.explanation_zh
        and "4.75万元" in finding.explanation_zh
        and "5.00万元" in finding.explanation_zh
    )


def test_too_few_or_balanced_contracts_are_quiet():
    assert findings_of([contract(f"C{i}", 49000, "E1") for i in range(4)] + normal_requester("E2")) == []
    assert findings_of(normal_requester("E1") + normal_requester("E2")) == []


def test_a_department_spread_over_several_requesters():
    spread = [contract(f"C{r}{i}", 48500, r, "D2") for r in ("E4", "E5", "E6") for i in range(3)]
    findings = findings_of(spread + normal_requester("E2") + normal_requester("E3"))
    assert [f.subject for f in findings] == ["department|D2|50000"]
    assert "基建部" in findings[0].explanation_zh


def test_a_department_is_not_repeated_after_its_requester():
    piled = [contract(f"C{i}", 48000, "E1") for i in range(8)]
    findings = findings_of(piled + normal_requester("E2", "D2") + normal_requester("E3", "D2"))
    assert [f.subject for f in findings] == ["requester|E1|50000"]


def test_exempt_categories_are_ignored():
    bills = [contract(f"C{i}", 48000, "E1", category="电力") for i in range(8)]
    policy = {**POLICY, "direct_award_exempt_categories": ["电力"]}
    assert findings_of(bills + normal_requester("E2"), policy=policy) == []

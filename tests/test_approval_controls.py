"""approval_controls: each rule on a contract built to break exactly that rule."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
from detector_snapshots import snapshot_of

from detectors.approval_controls import DETECTOR, Params, run
from detectors.base import level_of

POLICY = {
    "approval_limits": [
        {"level": 1, "max_amount": 50000},
        {"level": 2, "max_amount": 200000},
        {"level": 3, "max_amount": 1000000},
    ],
    "approval_roles": [
        {"level": 1, "role": "部门经理"},
        {"level": 2, "role": "分管副总"},
        {"level": 3, "role": "总经理"},
        {"level": 4, "role": "董事长"},
    ],
}

EMPLOYEES = [
    {
        "employee_id": "E1",
        "name": "李强",
        "position": "采购员",
        "department_id": "D1",
        "bank_account": "6222 0001",
    },
    {
        "employee_id": "E2",
        "name": "王芳",
        "position": "部门经理",
        "department_id": "D1",
        "bank_account": "62220002",
    },
    {
        "employee_id": "E3",
        "name": "赵敏",
        "position": "分管副总",
        "department_id": "D0",
        "bank_account": "62220003",
    },
    {
        "employee_id": "E4",
        "name": "孙涛",
        "position": "总经理",
        "department_id": "D0",
        "bank_account": "62220004",
    },
]


def contract(cid: str, amount: float, requester: str = "E1", signed: str = "2024-03-20") -> dict:
    return {
        "contract_id": cid,
        "supplier_id": "S1",
        "amount": amount,
        "signed_date": signed,
        "department_id": "D1",
        "requester_id": requester,
        "category": "办公用品",
    }


def step(
    cid: str, number: int, approver: str, when: str = "2024-03-10T10:00:00", decision: str = "approve"
) -> dict:
    return {
        "contract_id": cid,
        "step": number,
        "approver_id": approver,
        "approved_at": when,
        "decision": decision,
    }


def findings_of(contracts, approvals, payments=(), params=None, policy=POLICY):
    snapshot = snapshot_of(
        contracts=contracts,
        approvals=approvals,
        employees=EMPLOYEES,
        suppliers=[{"supplier_id": "S1", "name": "华能商贸有限公司"}],
        departments=[{"department_id": "D1", "name": "采购部"}],
        payments=payments,
        policy=policy,
    )
    return {f.subject: f for f in run(snapshot, params or Params())}


def test_a_clean_chain_raises_nothing():
    found = findings_of(
        [contract("C1", 30000), contract("C2", 150000)],
        [step("C1", 1, "E2"), step("C2", 1, "E2"), step("C2", 2, "E3", "2024-03-11T09:00:00")],
    )
    assert found == {}


def test_self_approval_is_a_hard_flag_naming_the_employee():
    found = findings_of([contract("C2", 30000, requester="E2")], [step("C2", 1, "E2")])
    assert list(found) == ["self_approval|C2"]
    finding = found["self_approval|C2"]
    assert finding.hard and level_of(finding.score, finding.hard) == "high"
    assert finding.entities[0] == "employee:E2"
    assert "contract:C2" in finding.entities
    # the supplier and the department are drawn, not named: the breach is the requester's
    assert "supplier:S1" not in finding.entities and "supplier:S1" in finding.evidence["subgraph"]
    assert "department:D1" not in finding.entities and "department:D1" in finding.evidence["subgraph"]
    assert "王芳" in finding.explanation_zh and "华能商贸有限公司" in finding.explanation_zh
    assert "3.00万元" in finding.explanation_zh
    assert "王芳 (E2)" in finding.explanation_en and "CNY 30,000" in finding.explanation_en


def test_payment_into_the_approvers_account_is_a_hard_flag():
    payments = [
        {
            "payment_id": "P1",
            "contract_id": "C9",
            "payee_account": "62220002",
            "amount": 12000,
            "paid_at": "2024-04-01T10:00:00",
        },
        {
            "payment_id": "P2",
            "contract_id": "C9",
            "payee_account": "99990000",
            "amount": 18000,
            "paid_at": "2024-04-02T10:00:00",
        },
    ]
    found = findings_of([contract("C9", 30000)], [step("C9", 1, "E2")], payments=payments)
    assert list(found) == ["staff_is_payee|C9|E2"]
    finding = found["staff_is_payee|C9|E2"]
    assert finding.hard
    assert finding.evidence["metrics"]["paid_amount"] == 12000
    assert finding.evidence["metrics"]["payments"] == ["P1"]
    assert "1.20万元" in finding.explanation_zh
    assert {"employee:E2", "contract:C9", "payment:P1"} <= set(finding.entities)


def test_an_approver_behind_the_suppliers_own_account_flags_the_supplier_too():
    payments = [
        {
            "payment_id": "P1",
            "contract_id": "C9",
            "payee_account": "62220002",
            "amount": 30000,
            "paid_at": "2024-04-01T10:00:00",
        }
    ]
    snapshot = snapshot_of(
        contracts=[contract("C9", 30000)],
        approvals=[step("C9", 1, "E2")],
        employees=EMPLOYEES,
        payments=payments,
        policy=POLICY,
    )
    registered = pd.DataFrame(
        {"label": ["Supplier"], "party_id": ["S1"], "kind": ["BankAccount"], "value": ["62220002"]}
    )
    snapshot = dataclasses.replace(
        snapshot, identifiers=pd.concat([snapshot.identifiers, registered], ignore_index=True)
    )
    findings = run(snapshot, Params())
    assert [f.subject for f in findings] == ["staff_is_payee|C9|E2"]
    assert "supplier:S1" in findings[0].entities
    assert findings[0].evidence["metrics"]["supplier_account"] is True
    assert "供应商登记的收款账户" in findings[0].explanation_zh


def test_payment_into_a_declared_relatives_account():
    snapshot = snapshot_of(
        contracts=[contract("C9", 30000)],
        approvals=[step("C9", 1, "E2")],
        employees=EMPLOYEES,
        payments=[
            {
                "payment_id": "P1",
                "contract_id": "C9",
                "payee_account": "77770001",
                "amount": 9000,
                "paid_at": "2024-04-01T10:00:00",
            }
        ],
        policy=POLICY,
    )
    relatives = pd.DataFrame(
        {
            "src_label": ["Person"],
            "src_id": ["P7"],
            "relation": ["SPOUSE_OF"],
            "dst_label": ["Employee"],
            "dst_id": ["E2"],
            "share": [None],
            "since": [pd.NaT],
        }
    )
    accounts = pd.DataFrame(
        {"label": ["Person"], "party_id": ["P7"], "kind": ["BankAccount"], "value": ["77770001"]}
    )
    snapshot = dataclasses.replace(
        snapshot,
        relations=relatives,
        identifiers=pd.concat([snapshot.identifiers, accounts], ignore_index=True),
    )
    findings = run(snapshot, Params())
    assert [f.subject for f in findings] == ["staff_is_payee|C9|E2|P7"]
    assert {"employee:E2", "person:P7", "payment:P1"} <= set(findings[0].entities)
    assert "亲属" in findings[0].explanation_zh and findings[0].hard


def test_one_person_signing_two_steps():
    found = findings_of(
        [contract("C4", 30000)], [step("C4", 1, "E2"), step("C4", 2, "E2", "2024-03-11T10:00:00")]
    )
    assert list(found) == ["same_approver_steps|C4"]
    assert found["same_approver_steps|C4"].evidence["metrics"]["steps_signed"] == 2


def test_approval_limit_uses_the_level_of_the_approvers_job_title():
    # 30万元 needs level 3 (over the 20万元 limit of level 2); the chain stops at the 分管副总 (level 2)
    found = findings_of(
        [contract("C3", 300000)], [step("C3", 1, "E2"), step("C3", 2, "E3", "2024-03-11T10:00:00")]
    )
    assert list(found) == ["approval_limit|C3"]
    finding = found["approval_limit|C3"]
    assert finding.evidence["metrics"] == {
        "amount": 300000.0,
        "required_level": 3,
        "reached_level": 2,
        "reached_limit": 200000.0,
    }
    assert finding.evidence["thresholds"]["approval_levels_from"] == "approval_roles"
    assert finding.entities[0] == "employee:E3"
    assert finding.score == pytest.approx(0.5 + 0.1 * 0.5849625, abs=1e-6)
    assert "20.00万元" in finding.explanation_zh and "第3级" in finding.explanation_zh


def test_a_general_manager_at_step_two_covers_the_amount():
    found = findings_of(
        [contract("C3", 300000)], [step("C3", 1, "E2"), step("C3", 2, "E4", "2024-03-11T10:00:00")]
    )
    assert found == {}


def test_without_roles_the_step_number_is_the_level():
    found = findings_of(
        [contract("C3", 300000)],
        [step("C3", 1, "E2"), step("C3", 2, "E4", "2024-03-11T10:00:00")],
        params=Params(use_role_levels=False),
    )
    assert list(found) == ["approval_limit|C3"]
    assert found["approval_limit|C3"].evidence["metrics"]["reached_level"] == 2


def test_above_the_last_limit_needs_one_level_more():
    found = findings_of(
        [contract("C10", 2000000)],
        [
            step("C10", 1, "E2"),
            step("C10", 2, "E3", "2024-03-11T10:00:00"),
            step("C10", 3, "E4", "2024-03-12T10:00:00"),
        ],
    )
    finding = found["approval_limit|C10"]
    assert finding.evidence["metrics"]["required_level"] == 4
    assert finding.score == pytest.approx(0.6)


def test_a_contract_without_any_approval_in_a_dataset_with_approvals():
    found = findings_of([contract("C1", 30000), contract("C11", 80000)], [step("C1", 1, "E2")])
    assert list(found) == ["approval_limit|C11"]
    assert found["approval_limit|C11"].evidence["metrics"]["reached_level"] == 0
    assert found["approval_limit|C11"].score == pytest.approx(0.6)


def test_a_dataset_without_approvals_flags_nothing():
    assert findings_of([contract("C11", 80000)], []) == {}


def test_missing_and_out_of_order_steps():
    found = findings_of(
        [contract("C5", 30000), contract("C6", 150000)],
        [
            step("C5", 1, "E2"),
            step("C5", 3, "E4", "2024-03-12T10:00:00"),
            step("C6", 1, "E2", "2024-03-12T10:00:00"),
            step("C6", 2, "E3", "2024-03-11T10:00:00"),
        ],
    )
    assert sorted(found) == ["missing_step|C5", "out_of_order|C6"]
    assert found["out_of_order|C6"].evidence["metrics"]["step"] == 2


def test_signed_before_the_last_approval_with_tolerance():
    contracts = [contract("C7", 30000, signed="2024-03-01")]
    approvals = [step("C7", 1, "E2", "2024-03-10T16:00:00")]
    found = findings_of(contracts, approvals)
    assert list(found) == ["signed_before_approval|C7"]
    assert found["signed_before_approval|C7"].evidence["metrics"]["days_early"] == 9
    assert found["signed_before_approval|C7"].score == pytest.approx(0.59)
    assert findings_of(contracts, approvals, params=Params(tolerance_days=9)) == {}


def test_signed_although_rejected_is_one_finding():
    found = findings_of([contract("C8", 30000)], [step("C8", 1, "E2", decision="reject")])
    assert list(found) == ["signed_despite_rejection|C8"]
    # a rejection followed by an approval of the same step is a normal resubmission
    found = findings_of(
        [contract("C8", 30000)],
        [step("C8", 1, "E2", decision="reject"), step("C8", 1, "E2", "2024-03-11T10:00:00")],
    )
    assert found == {}


def test_subjects_are_stable_across_runs():
    contracts = [contract("C2", 30000, requester="E2")]
    first = findings_of(contracts, [step("C2", 1, "E2")])
    second = findings_of(contracts, [step("C2", 1, "E2")])
    assert list(first) == list(second)
    assert DETECTOR.family == "approval"

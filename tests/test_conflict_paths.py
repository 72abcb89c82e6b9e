"""Conflict-of-interest paths, ownership cycles and payments into staff accounts, on small exact cases."""

from __future__ import annotations

import pytest
from test_shared_identifiers import relationship_snapshot

from detectors.base import level_of
from detectors.conflict_paths import Params, run
from sunlight.masking import mask_node_id

DEPARTMENTS = [{"department_id": "D1", "name": "信息中心"}, {"department_id": "D2", "name": "后勤保障部"}]
EMPLOYEES = [
    {"employee_id": "E7", "name": "王芳", "department_id": "D1"},
    {"employee_id": "E8", "name": "周杰", "department_id": "D2"},
]
SUPPLIERS = [
    {"supplier_id": "S12", "name": "华信科技有限公司"},
    {"supplier_id": "S13", "name": "恒泰商贸有限公司"},
]


def contracts_of(
    supplier: str, count: int, amount: float = 100_000.0, department: str = "D1", prefix: str = "C"
):
    return [
        {
            "contract_id": f"{prefix}{i}",
            "supplier_id": supplier,
            "amount": amount,
            "department_id": department,
        }
        for i in range(count)
    ]


def approved_by(employee: str, count: int, prefix: str = "C"):
    return [{"contract_id": f"{prefix}{i}", "approver_id": employee} for i in range(count)]


def by_subject(findings):
    return {f.subject: f for f in findings}


def level(finding):
    return level_of(finding.score, finding.hard)


def test_employee_approving_a_company_owned_by_a_relative_is_high():
    snap = relationship_snapshot(
        employees=EMPLOYEES,
        persons=[{"person_id": "P3", "name": "李强"}],
        suppliers=SUPPLIERS,
        relations=[
            ("employee", "E7", "RELATIVE_OF", "person", "P3"),
            ("person", "P3", "OWNS", "supplier", "S12", 0.6),
        ],
        contracts=contracts_of("S12", 1, 250_000.0),
        approvals=approved_by("E7", 1),
        departments=DEPARTMENTS,
    )
    findings = by_subject(run(snap, Params()))
    assert set(findings) == {"path|E7|S12"}
    finding = findings["path|E7|S12"]
    # relative 0.9 × owner 0.95 = 0.855; one contract of three for full engagement: 0.85 + 0.15 / 3 = 0.9
    assert finding.evidence["metrics"]["strength"] == pytest.approx(0.855)
    assert finding.score == pytest.approx(0.855 * 0.9)
    assert level(finding) == "high" and not finding.hard
    assert finding.entities == ("employee:E7", "supplier:S12", "person:P3")
    assert finding.evidence["path"] == ["employee:E7", "person:P3", "supplier:S12"]
    assert [r["type"] for r in finding.evidence["relations"]] == ["RELATIVE_OF", "OWNS"]
    assert finding.evidence["loop"] == [
        "employee:E7",
        "contract:C0",
        "supplier:S12",
        "person:P3",
        "employee:E7",
    ]
    assert finding.evidence["metrics"]["loop_length"] == 4
    assert finding.evidence["rows"] == [
        {"contract_id": "C0", "signed_date": "2024-03-01", "amount": 250_000.0, "role": "approved step 1"}
    ]
    assert "王芳（E7） —亲属— 李强（P3） —持股60%→ 华信科技有限公司（S12）" in finding.explanation_zh
    assert "25.00万元" in finding.explanation_zh and "上限6" in finding.explanation_zh
    assert "owns 60% of" in finding.explanation_en and "CNY 250,000" in finding.explanation_en


def test_spouse_who_represents_the_supplier_makes_a_hard_flag():
    snap = relationship_snapshot(
        employees=EMPLOYEES,
        persons=[{"person_id": "P3", "name": "李强"}],
        suppliers=SUPPLIERS,
        relations=[
            ("person", "P3", "SPOUSE_OF", "employee", "E7"),
            ("person", "P3", "LEGAL_REP_OF", "supplier", "S12"),
        ],
        contracts=[{**c, "requester_id": "E7"} for c in contracts_of("S12", 3)],
        departments=DEPARTMENTS,
    )
    finding = by_subject(run(snap, Params()))["path|E7|S12"]
    # requesting counts like approving; spouse 1.0 × legal representative 0.95, full engagement
    assert finding.score == pytest.approx(0.95)
    assert finding.hard
    assert {r["role"] for r in finding.evidence["rows"]} == {"requested"}


def test_relative_of_the_owner_who_never_deals_with_the_supplier_is_not_flagged():
    """The generator's decoy: a tie with no dealings is not a conflict of interest."""
    snap = relationship_snapshot(
        employees=EMPLOYEES,
        persons=[{"person_id": "P3", "name": "李强"}],
        suppliers=SUPPLIERS,
        relations=[
            ("employee", "E8", "RELATIVE_OF", "person", "P3"),
            ("person", "P3", "OWNS", "supplier", "S12", 1.0),
        ],
        # S12 sells to D1 through E7; E8 works in D2 and never touches it
        contracts=contracts_of("S12", 4),
        approvals=approved_by("E7", 4),
        departments=DEPARTMENTS,
    )
    assert run(snap, Params()) == []


def test_a_relatives_company_the_employee_never_handles_stays_low():
    """The look-alike: the spouse owns a supplier the department buys from, but colleagues handle it."""
    snap = relationship_snapshot(
        employees=EMPLOYEES,
        persons=[{"person_id": "P3", "name": "李强"}],
        suppliers=SUPPLIERS,
        relations=[
            ("employee", "E8", "SPOUSE_OF", "person", "P3"),
            ("person", "P3", "OWNS", "supplier", "S12", 1.0),
        ],
        contracts=contracts_of("S12", 4, department="D2"),
        approvals=approved_by("E7", 4),
        departments=DEPARTMENTS,
    )
    finding = by_subject(run(snap, Params()))["path|E8|S12"]
    assert finding.evidence["dealing"] == "department"
    assert finding.score == pytest.approx(0.95 * 0.3)
    assert level(finding) == "low" and not finding.hard
    assert "后勤保障部" in finding.explanation_zh and "本人未审批或申请" in finding.explanation_zh
    assert "本人从未经手" in finding.explanation_zh and "never handles" in finding.explanation_en
    assert [r["role"] for r in finding.evidence["rows"]] == ["department D2"] * 4


def test_rejected_approvals_are_not_dealings():
    snap = relationship_snapshot(
        employees=EMPLOYEES,
        persons=[{"person_id": "P3", "name": "李强"}],
        suppliers=SUPPLIERS,
        relations=[
            ("employee", "E7", "RELATIVE_OF", "person", "P3"),
            ("person", "P3", "OWNS", "supplier", "S12"),
        ],
        contracts=contracts_of("S12", 2, department="D2"),
        approvals=[{**a, "decision": "reject"} for a in approved_by("E7", 2)],
        departments=DEPARTMENTS,
    )
    assert run(snap, Params()) == []


def test_a_path_through_a_shared_phone_counts_the_identifier_as_two_hops():
    snap = relationship_snapshot(
        employees=[{**EMPLOYEES[0], "phone": "13912345678"}, EMPLOYEES[1]],
        persons=[{"person_id": "P5", "name": "孙立", "phone": "13912345678"}],
        suppliers=SUPPLIERS,
        relations=[("person", "P5", "DIRECTOR_OF", "supplier", "S12")],
        contracts=contracts_of("S12", 3),
        approvals=approved_by("E7", 3),
        departments=DEPARTMENTS,
    )
    finding = by_subject(run(snap, Params()))["path|E7|S12"]
    assert finding.evidence["path"] == ["employee:E7", "phone:13912345678", "person:P5", "supplier:S12"]
    assert [r["type"] for r in finding.evidence["relations"]] == ["HAS_PHONE", "HAS_PHONE", "DIRECTOR_OF"]
    assert finding.evidence["metrics"]["loop_length"] == 5
    # phone 0.8 × director 0.9, full engagement
    assert finding.score == pytest.approx(0.72)
    assert "共用电话139****5678" in finding.explanation_zh
    assert "13912345678" not in finding.explanation_zh + finding.explanation_en
    # the pivot is not an entity of the alert, only a node of the path to draw
    assert finding.entities == ("employee:E7", "supplier:S12", "person:P5")


def test_the_strongest_of_several_paths_is_reported():
    snap = relationship_snapshot(
        employees=[{**EMPLOYEES[0], "address": "上海市徐汇区漕溪北路88号1201室"}, EMPLOYEES[1]],
        persons=[{"person_id": "P3", "name": "李强"}],
        suppliers=[{**SUPPLIERS[0], "address": "上海市徐汇区漕溪北路88号1201室"}, SUPPLIERS[1]],
        relations=[
            ("employee", "E7", "SPOUSE_OF", "person", "P3"),
            ("person", "P3", "OWNS", "supplier", "S12"),
        ],
        contracts=contracts_of("S12", 3),
        approvals=approved_by("E7", 3),
        departments=DEPARTMENTS,
    )
    finding = by_subject(run(snap, Params()))["path|E7|S12"]
    # the shared address (0.6, two hops) is shorter in no way and weaker than spouse + owner (0.95)
    assert finding.evidence["path"] == ["employee:E7", "person:P3", "supplier:S12"]
    assert finding.evidence["metrics"]["strength"] == pytest.approx(0.95)


def test_the_loop_length_bound_stops_long_chains():
    # E7 —relative— P1 —relative— P2 —relative— P3 —relative— P4 —owns→ S12: five hops, a loop of seven
    chain = [("employee", "E7", "RELATIVE_OF", "person", "P1")]
    chain += [("person", f"P{i}", "RELATIVE_OF", "person", f"P{i + 1}") for i in range(1, 4)]
    chain += [("person", "P4", "OWNS", "supplier", "S12")]
    snap = relationship_snapshot(
        employees=EMPLOYEES,
        persons=[{"person_id": f"P{i}", "name": f"亲属{i}"} for i in range(1, 5)],
        suppliers=SUPPLIERS,
        relations=chain,
        contracts=contracts_of("S12", 3),
        approvals=approved_by("E7", 3),
        departments=DEPARTMENTS,
    )
    assert run(snap, Params()) == []
    longer = by_subject(run(snap, Params(max_length=7, min_score=0.1)))
    assert longer["path|E7|S12"].evidence["metrics"]["loop_length"] == 7


def hub_snapshot(holders: int):
    """E7 and S12 share a switchboard number that ``holders`` parties in all have written down."""
    switchboard = "01088888888"
    others = [
        {"supplier_id": f"SX{i}", "name": f"集团子公司{i}", "phone": switchboard} for i in range(holders - 2)
    ]
    return relationship_snapshot(
        employees=[{**EMPLOYEES[0], "phone": switchboard}, EMPLOYEES[1]],
        persons=[{"person_id": "P3", "name": "李强"}],
        suppliers=[{**SUPPLIERS[0], "phone": switchboard}, SUPPLIERS[1], *others],
        relations=[
            ("employee", "E7", "RELATIVE_OF", "person", "P3"),
            ("person", "P3", "DIRECTOR_OF", "supplier", "S13"),
        ],
        contracts=contracts_of("S12", 3) + contracts_of("S13", 3, prefix="K"),
        approvals=approved_by("E7", 3) + approved_by("E7", 3, prefix="K"),
        departments=DEPARTMENTS,
    )


def test_a_hub_identifier_is_not_followed_and_is_reported_in_the_evidence():
    findings = by_subject(run(hub_snapshot(21), Params()))
    # the switchboard (21 holders > 20) does not tie E7 to S12 ...
    assert set(findings) == {"path|E7|S13"}
    # ... and the finding that does exist says which hub it did not follow
    hubs = findings["path|E7|S13"].evidence["skipped_hubs"]
    assert hubs == [
        {
            "pivot": "phone:01088888888",
            "kind": "Phone",
            "value_masked": mask_node_id("Phone", "01088888888"),
            "parties": 21,
            "held_by": "employee:E7",
        }
    ]
    assert findings["path|E7|S13"].evidence["metrics"]["hubs_skipped_total"] == 1


def test_an_identifier_at_the_hub_limit_is_still_followed():
    findings = by_subject(run(hub_snapshot(20), Params()))
    assert set(findings) == {"path|E7|S12", "path|E7|S13"}
    assert findings["path|E7|S12"].evidence["path"] == ["employee:E7", "phone:01088888888", "supplier:S12"]
    assert findings["path|E7|S12"].evidence["skipped_hubs"] == []


def test_a_number_written_for_many_employees_is_not_followed():
    office = "02787654321"
    staff = [
        {"employee_id": f"E{i}", "name": f"员工{i}", "department_id": "D1", "phone": office} for i in range(6)
    ]
    snap = relationship_snapshot(
        employees=staff,
        suppliers=[{**SUPPLIERS[0], "phone": office}],
        contracts=contracts_of("S12", 3),
        approvals=approved_by("E1", 3),
        departments=DEPARTMENTS,
    )
    assert run(snap, Params()) == []
    assert set(by_subject(run(snap, Params(max_pivot_employees=6)))) >= {"path|E1|S12"}


def cycle_snapshot(departments: tuple[str, str, str]):
    suppliers = [{"supplier_id": f"S{i}", "name": f"环{i}有限公司"} for i in (1, 2, 3)]
    contracts = []
    for i, department in zip((1, 2, 3), departments, strict=True):
        if department:
            contracts += contracts_of(f"S{i}", 2, 50_000.0, department, prefix=f"C{i}-")
    return relationship_snapshot(
        employees=EMPLOYEES,
        suppliers=suppliers,
        relations=[
            ("supplier", "S2", "OWNS", "supplier", "S3", 0.51),
            ("supplier", "S1", "OWNS", "supplier", "S2", 0.8),
            ("supplier", "S3", "OWNS", "supplier", "S1", 0.3),
        ],
        contracts=contracts,
        departments=DEPARTMENTS,
    )


def test_an_ownership_cycle_winning_from_one_department_is_high():
    findings = by_subject(run(cycle_snapshot(("D1", "D1", "D2")), Params()))
    assert set(findings) == {"cycle|S1>S2>S3"}
    finding = findings["cycle|S1>S2>S3"]
    assert finding.entities == ("supplier:S1", "supplier:S2", "supplier:S3")
    assert finding.score == pytest.approx(0.75 + 0.2 * 2 / 3)
    assert level(finding) == "high"
    assert finding.evidence["path"] == ["supplier:S1", "supplier:S2", "supplier:S3", "supplier:S1"]
    assert [r["share"] for r in finding.evidence["relations"]] == [0.8, 0.51, 0.3]
    assert finding.evidence["metrics"]["department_id"] == "D1"
    assert (
        "信息中心" in finding.explanation_zh
        and "环1有限公司（S1） → 环2有限公司（S2）" in finding.explanation_zh
    )


def test_an_ownership_cycle_without_a_common_department_is_medium_and_without_wins_is_silent():
    spread = by_subject(run(cycle_snapshot(("D1", "D2", "")), Params()))
    assert spread["cycle|S1>S2>S3"].score == pytest.approx(0.5)
    assert run(cycle_snapshot(("", "", "")), Params()) == []
    # a three-cycle is not found when cycles may be two long at most
    assert run(cycle_snapshot(("D1", "D1", "D1")), Params(max_length=2)) == []


def payment_snapshot(account_holders: int = 1):
    account = "6222020000001234"
    extra = [
        {"person_id": f"PX{i}", "name": f"代收人{i}", "bank_account": account}
        for i in range(account_holders - 1)
    ]
    return relationship_snapshot(
        employees=[EMPLOYEES[0], {**EMPLOYEES[1], "bank_account": account}],
        persons=[{"person_id": "P9", "name": "陈梅", "bank_account": "6222020000009999"}, *extra],
        suppliers=SUPPLIERS,
        relations=[("person", "P9", "RELATIVE_OF", "employee", "E7")],
        contracts=contracts_of("S12", 2) + contracts_of("S13", 1, prefix="K"),
        payments=[
            {"payment_id": "PAY1", "contract_id": "C0", "payee_account": account, "amount": 60_000.0},
            {"payment_id": "PAY2", "contract_id": "C1", "payee_account": account, "amount": 40_000.0},
            {
                "payment_id": "PAY3",
                "contract_id": "K0",
                "payee_account": "6222020000009999",
                "amount": 30_000.0,
            },
        ],
        departments=DEPARTMENTS,
    )


def test_a_payment_into_an_employee_or_relative_account_is_a_hard_flag():
    findings = by_subject(run(payment_snapshot(), Params()))
    assert set(findings) == {"payment|employee:E8|S12", "payment|person:P9|S13"}
    own = findings["payment|employee:E8|S12"]
    assert own.hard and own.score == pytest.approx(0.95)
    # the employee and the payments are accused; the supplier and its contracts are drawn as context
    assert own.entities == ("employee:E8", "payment:PAY1", "payment:PAY2")
    assert {"supplier:S12", "contract:C0", "contract:C1", "bank_account:6222020000001234"} <= set(
        own.evidence["subgraph"]
    )
    assert [r["payment_id"] for r in own.evidence["rows"]] == ["PAY1", "PAY2"]
    assert "10.00万元" in own.explanation_zh and "6222********1234" in own.explanation_zh
    relative = findings["payment|person:P9|S13"]
    assert relative.hard
    assert relative.entities == ("employee:E7", "person:P9", "payment:PAY3")
    assert "员工王芳（E7）的亲属陈梅（P9）" in relative.explanation_zh


def test_a_payment_into_a_hub_account_is_reported_but_not_hard():
    findings = by_subject(run(payment_snapshot(account_holders=22), Params()))
    hub = findings["payment|employee:E8|S12"]
    assert not hub.hard and hub.score == pytest.approx(0.5)
    assert hub.evidence["metrics"]["hub_accounts"] == 1


def test_every_finding_names_its_thresholds_and_subgraph():
    snap = relationship_snapshot(
        employees=EMPLOYEES,
        persons=[{"person_id": "P3", "name": "李强"}],
        suppliers=SUPPLIERS,
        relations=[
            ("employee", "E7", "RELATIVE_OF", "person", "P3"),
            ("person", "P3", "OWNS", "supplier", "S12"),
        ],
        contracts=contracts_of("S12", 1),
        approvals=approved_by("E7", 1),
        departments=DEPARTMENTS,
    )
    for finding in (
        run(snap, Params())
        + run(cycle_snapshot(("D1", "D1", "D1")), Params())
        + run(payment_snapshot(), Params())
    ):
        assert finding.evidence["thresholds"]["max_length"] == 6
        assert finding.evidence["subgraph"]
        assert finding.explanation_zh.endswith("。") and finding.explanation_en.endswith(".")


def test_an_empty_snapshot_has_no_findings():
    assert run(relationship_snapshot(), Params()) == []


def test_a_supplier_that_registered_an_employees_account_is_named_with_the_payments():
    account = "6222020000001234"
    snap = relationship_snapshot(
        employees=[EMPLOYEES[0], {**EMPLOYEES[1], "bank_account": account}],
        suppliers=[{**SUPPLIERS[0], "bank_account": account}, SUPPLIERS[1]],
        contracts=contracts_of("S12", 1),
        payments=[{"payment_id": "PAY1", "contract_id": "C0", "payee_account": account, "amount": 60_000.0}],
        departments=DEPARTMENTS,
    )
    finding = by_subject(run(snap, Params()))["payment|employee:E8|S12"]
    assert finding.entities == ("employee:E8", "supplier:S12", "payment:PAY1")
    assert "该账户同时登记为供应商收款账户" in finding.explanation_zh

"""Shared identifiers between staff and suppliers: exact pivots, similar addresses, names, hubs, SAME_AS."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd
import pytest

from detectors.base import level_of
from detectors.shared_identifiers import DETECTOR, Params, name_keys, run, same_as_graphdata
from graph.snapshot import GraphSnapshot, assemble_snapshot

Row = Mapping[str, Any]
_IDENT_RELS = {
    "phone": "HAS_PHONE",
    "bank_account": "HAS_ACCOUNT",
    "address": "HAS_ADDRESS",
    "id_number": "HAS_ID_NUMBER",
}
_LABELS = {"employee": "Employee", "supplier": "Supplier", "person": "Person"}


def relationship_snapshot(
    employees: Iterable[Row] = (),
    suppliers: Iterable[Row] = (),
    persons: Iterable[Row] = (),
    relations: Iterable[tuple[Any, ...]] = (),
    contracts: Iterable[Row] = (),
    approvals: Iterable[Row] = (),
    payments: Iterable[Row] = (),
    departments: Iterable[Row] = (),
) -> GraphSnapshot:
    """A snapshot holding exactly these records, as a store read would return them.

    Parties' ``phone``, ``bank_account``, ``address`` and ``id_number`` become shared-identifier
    pivots with the value as written (already normalised); ``relations`` are
    ``(src_type, src_id, RELATION, dst_type, dst_id[, share])`` as in relations.csv.
    """
    raw: dict[str, list[dict[str, Any]]] = {}

    def add(name: str, row: dict[str, Any]) -> None:
        raw.setdefault(name, []).append(row)

    for label, rows, key in (
        ("Employee", employees, "employee_id"),
        ("Supplier", suppliers, "supplier_id"),
        ("Person", persons, "person_id"),
    ):
        for row in rows:
            row = dict(row)
            node_id = row.pop(key)
            department = row.pop("department_id", None)
            if department is not None:
                add("works_in", {"employee_id": node_id, "department_id": department})
            for column, rel in _IDENT_RELS.items():
                if row.get(column):
                    add(f"ident:{rel}:{label}", {"party_id": node_id, "value": row[column]})
            add(
                {"Employee": "employees", "Supplier": "suppliers", "Person": "persons"}[label],
                {"id": node_id, **row},
            )
    for src_type, src_id, relation, dst_type, dst_id, *share in relations:
        add(
            f"rel:{relation}:{_LABELS[src_type]}:{_LABELS[dst_type]}",
            {"src_id": src_id, "dst_id": dst_id, "share": share[0] if share else None, "since": None},
        )
    for row in contracts:
        row = dict(row)
        contract_id = row.pop("contract_id")
        for name, column in (
            ("awarded_to", "supplier_id"),
            ("ordered_by", "department_id"),
            ("requested", "requester_id"),
        ):
            value = row.pop(column, None)
            if value is not None:
                add(name, {"contract_id": contract_id, column: value})
        add("contracts", {"id": contract_id, "signed_date": "2024-03-01", **row})
    for row in approvals:
        add("approvals", {"step": 1, "decision": "approve", "approved_at": "2024-02-28T10:00:00", **row})
    for row in payments:
        row = dict(row)
        payment_id = row.pop("payment_id")
        add("pays_for", {"payment_id": payment_id, "contract_id": row.pop("contract_id")})
        add("paid_to", {"payment_id": payment_id, "account": row.pop("payee_account")})
        add("payments", {"id": payment_id, "paid_at": "2024-04-01T10:00:00", **row})
    for row in departments:
        add("departments", {"id": row["department_id"], "name": row.get("name")})
    return assemble_snapshot({name: pd.DataFrame(rows) for name, rows in raw.items()})


def by_subject(findings):
    return {f.subject: f for f in findings}


STAFF = [
    {
        "employee_id": "E1",
        "name": "赵建国",
        "department_id": "D1",
        "phone": "13800000001",
        "bank_account": "6222000000000001",
    },
    {"employee_id": "E2", "name": "钱秀英", "department_id": "D1", "phone": "13800000002"},
]


def test_employee_sharing_account_and_phone_with_supplier_they_approve_is_a_hard_high_flag():
    snap = relationship_snapshot(
        employees=STAFF,
        suppliers=[
            {
                "supplier_id": "S1",
                "name": "华信科技有限公司",
                "legal_rep": "孙立",
                "phone": "13800000001",
                "bank_account": "6222000000000001",
            },
        ],
        contracts=[{"contract_id": f"C{i}", "supplier_id": "S1", "amount": 100_000.0} for i in range(3)],
        approvals=[{"contract_id": f"C{i}", "approver_id": "E1"} for i in range(3)],
    )
    findings = by_subject(run(snap, Params()))
    assert set(findings) == {"E1|S1"}
    finding = findings["E1|S1"]
    # noisy-OR of an account (0.9) and a phone (0.8): 1 - 0.1 * 0.2 = 0.98, three contracts: full engagement
    assert finding.evidence["metrics"]["probability"] == pytest.approx(0.98)
    assert finding.score == pytest.approx(0.98)
    assert finding.hard and level_of(finding.score, finding.hard) == "high"
    assert finding.entities[:2] == ("employee:E1", "supplier:S1")
    assert {m["kind"] for m in finding.evidence["matches"]} == {"BankAccount", "Phone"}
    assert [r["contract_id"] for r in finding.evidence["rows"]] == ["C0", "C1", "C2"]
    assert "赵建国" in finding.explanation_zh and "华信科技有限公司" in finding.explanation_zh
    assert "300,000" in finding.explanation_en and "0.98" in finding.explanation_en
    # the numbers are masked in the sentences
    assert "13800000001" not in finding.explanation_zh and "138****0001" in finding.explanation_zh
    # a company is not the same person as an employee: no SAME_AS proposal
    assert finding.evidence["same_as"] == []


def test_a_shared_phone_without_dealings_is_medium_and_not_hard():
    snap = relationship_snapshot(
        employees=STAFF,
        suppliers=[{"supplier_id": "S1", "name": "华信科技有限公司", "phone": "13800000002"}],
    )
    finding = by_subject(run(snap, Params()))["E2|S1"]
    assert finding.score == pytest.approx(0.6 * 0.8)
    assert level_of(finding.score, finding.hard) == "medium"
    assert "本人未审批或申请该供应商的合同" in finding.explanation_zh


def test_an_account_and_phone_shared_with_a_supplier_never_dealt_with_is_not_hard():
    """Strong identity evidence, but the employee never requests, approves or pays the supplier."""
    snap = relationship_snapshot(
        employees=STAFF,
        suppliers=[
            {
                "supplier_id": "S1",
                "name": "华信科技有限公司",
                "phone": "13800000001",
                "bank_account": "6222000000000001",
            }
        ],
    )
    finding = by_subject(run(snap, Params()))["E1|S1"]
    assert finding.evidence["metrics"]["probability"] == pytest.approx(0.98)
    assert not finding.hard and level_of(finding.score, finding.hard) == "medium"


def test_relatives_and_owners_are_compared_and_named():
    snap = relationship_snapshot(
        employees=STAFF,
        persons=[
            {"person_id": "P1", "name": "赵小红", "bank_account": "6222000000000077"},
            {"person_id": "P2", "name": "孙大海", "bank_account": "6222000000000077"},
        ],
        suppliers=[{"supplier_id": "S1", "name": "华信科技有限公司"}],
        relations=[
            ("person", "P1", "SPOUSE_OF", "employee", "E1"),
            ("person", "P2", "OWNS", "supplier", "S1", 0.9),
        ],
        contracts=[{"contract_id": "C1", "supplier_id": "S1", "amount": 50_000.0, "requester_id": "E1"}],
    )
    finding = by_subject(run(snap, Params()))["E1|S1"]
    assert finding.entities == ("employee:E1", "supplier:S1", "person:P1", "person:P2")
    assert finding.evidence["matches"][0]["staff_party"] == "person:P1"
    assert finding.evidence["matches"][0]["supplier_party"] == "person:P2"
    assert "其配偶赵小红（P1）与该供应商的股东孙大海（P2）共用银行账户" in finding.explanation_zh
    # the account alone is 0.9: a hard flag, and the spouse and the owner may be one person
    assert finding.hard
    assert finding.evidence["same_as"] == [
        {"src": "person:P1", "dst": "person:P2", "probability": 0.9, "method": "bank_account"}
    ]


def test_same_as_links_become_graphdata_relationships_without_merging_anyone():
    snap = relationship_snapshot(
        employees=[{"employee_id": "E1", "name": "赵建国", "id_number": "11010519491231002X"}],
        persons=[{"person_id": "P2", "name": "赵建国", "id_number": "11010519491231002X"}],
        suppliers=[
            {"supplier_id": "S1", "name": "华信科技有限公司"},
            {"supplier_id": "S2", "name": "宏达建设有限公司"},
        ],
        relations=[
            ("person", "P2", "OWNS", "supplier", "S1"),
            ("person", "P2", "DIRECTOR_OF", "supplier", "S2"),
        ],
    )
    findings = run(snap, Params())
    assert sorted(f.subject for f in findings) == ["E1|S1", "E1|S2"]
    link = findings[0].evidence["same_as"][0]
    assert link["src"] == "employee:E1" and link["dst"] == "person:P2"
    assert link["method"] == "id_number+name"
    assert link["probability"] > 0.98
    data = same_as_graphdata(findings)
    frame = data.rels[("SAME_AS", "Employee", "Person")]
    # one link, although two findings propose it
    assert frame.to_dict("records") == [
        {"src": "E1", "dst": "P2", "probability": link["probability"], "method": "id_number+name"}
    ]
    assert set(data.nodes) == set()


def test_a_hub_identifier_is_not_matched_but_reported_once_as_information():
    switchboard = "01088888888"
    snap = relationship_snapshot(
        employees=[{**STAFF[0], "phone": switchboard}, STAFF[1]],
        suppliers=[
            {"supplier_id": f"S{i}", "name": f"集团子公司{i}", "phone": switchboard} for i in range(21)
        ],
        contracts=[{"contract_id": "C1", "supplier_id": "S1", "amount": 50_000.0, "requester_id": "E1"}],
    )
    findings = run(snap, Params())
    assert [f.subject for f in findings] == [
        f"hub|Phone|{hashlib.sha256(b'phone:01088888888').hexdigest()[:12]}"
    ]
    hub = findings[0]
    assert hub.score == pytest.approx(0.1) and level_of(hub.score, hub.hard) == "low"
    assert hub.evidence["hub"]["parties"] == 22
    assert hub.evidence["hub"]["by_label"] == {"Employee": 1, "Supplier": 21}
    assert hub.entities[0] == "employee:E1" and len(hub.entities) == 22
    assert "超过上限（20个主体或5名员工）" in hub.explanation_zh and switchboard not in hub.explanation_zh
    # with a higher limit the number is an ordinary shared identifier
    wide = by_subject(run(snap, Params(max_pivot_parties=25)))
    assert "E1|S1" in wide and not any(s.startswith("hub|") for s in wide)


def test_a_legal_representative_named_like_the_employee_counts_only_with_dealings():
    def case(legal_rep: str, approved: bool):
        return relationship_snapshot(
            employees=STAFF,
            suppliers=[{"supplier_id": "S1", "name": "华信科技有限公司", "legal_rep": legal_rep}],
            contracts=[{"contract_id": "C1", "supplier_id": "S1", "amount": 80_000.0}],
            approvals=[{"contract_id": "C1", "approver_id": "E1"}] if approved else [],
        )

    same = by_subject(run(case("赵建国", approved=True), Params()))["E1|S1"]
    # two parties read zhaojianguo (rarity 1); same characters: similarity 1
    assert same.evidence["metrics"]["probability"] == pytest.approx(0.5)
    assert same.score == pytest.approx(0.5 * (0.75 + 0.25 / 3))
    assert level_of(same.score, same.hard) == "medium"
    assert "同名（赵建国）" in same.explanation_zh
    # the traditional characters read the same: similarity 0.55, too weak alone for the default threshold
    assert run(case("趙建國", approved=True), Params()) == []
    traditional = by_subject(run(case("趙建國", approved=True), Params(min_probability=0.25)))["E1|S1"]
    assert traditional.evidence["metrics"]["probability"] == pytest.approx(0.5 * 0.55)
    assert "姓名读音相同（赵建国 / 趙建國）" in traditional.explanation_zh
    # no dealings: a namesake, not a match
    assert run(case("赵建国", approved=False), Params()) == []


def test_a_common_name_is_not_compared():
    namesakes = [{"person_id": f"P{i}", "name": "赵建国"} for i in range(10)]
    snap = relationship_snapshot(
        employees=STAFF,
        persons=namesakes,
        suppliers=[{"supplier_id": "S1", "name": "华信科技有限公司", "legal_rep": "赵建国"}],
        contracts=[{"contract_id": "C1", "supplier_id": "S1", "amount": 80_000.0}],
        approvals=[{"contract_id": "C1", "approver_id": "E1"}],
    )
    # twelve parties read zhaojianguo, more than max_name_frequency = 10
    assert run(snap, Params()) == []
    allowed = run(snap, Params(max_name_frequency=12, min_probability=0.05))
    assert [f.subject for f in allowed] == ["E1|S1"]
    assert allowed[0].evidence["metrics"]["probability"] == pytest.approx(0.5 * 2 / 12, abs=1e-4)


def test_similar_addresses_match_within_their_block():
    snap = relationship_snapshot(
        employees=[{**STAFF[0], "address": "上海市浦东新区张江路100弄5号302室"}, STAFF[1]],
        suppliers=[
            {"supplier_id": "S1", "name": "华信科技有限公司", "address": "上海市浦东新区张江路100弄5号302"},
            {"supplier_id": "S2", "name": "宏达建设有限公司", "address": "上海市浦东新区张江路100弄5号303室"},
        ],
    )
    findings = by_subject(run(snap, Params()))
    assert set(findings) == {"E1|S1"}
    match = findings["E1|S1"].evidence["matches"][0]
    assert match["kind"] == "AddressSimilar"
    similarity = 2 * 19 / (20 + 19)  # Indel ratio: one character more on one side
    assert match["weight"] == pytest.approx(0.5 * similarity, abs=1e-4)
    assert "地址相似（上海市浦东新区****与上海市浦东新区****，相似度97%）" in findings["E1|S1"].explanation_zh


def test_a_tie_already_declared_is_left_to_the_conflict_path_detector():
    snap = relationship_snapshot(
        employees=STAFF,
        persons=[{"person_id": "P1", "name": "孙立", "phone": "13900000009"}],
        suppliers=[
            {"supplier_id": "S1", "name": "华信科技有限公司", "legal_rep": "孙立", "phone": "13900000009"}
        ],
        relations=[
            ("person", "P1", "RELATIVE_OF", "employee", "E1"),
            ("person", "P1", "LEGAL_REP_OF", "supplier", "S1"),
        ],
        contracts=[{"contract_id": "C1", "supplier_id": "S1", "amount": 80_000.0}],
        approvals=[{"contract_id": "C1", "approver_id": "E1"}],
    )
    assert run(snap, Params()) == []


def test_a_number_written_for_many_employees_is_an_office_number():
    office = "02787654321"
    staff = [{"employee_id": f"E{i}", "name": f"员工{i}", "phone": office} for i in range(6)]
    snap = relationship_snapshot(
        employees=staff,
        suppliers=[{"supplier_id": "S1", "name": "华信科技有限公司", "phone": office}],
        contracts=[{"contract_id": "C1", "supplier_id": "S1", "amount": 50_000.0, "requester_id": "E1"}],
    )
    # seven holders are few, but six employees are more than max_pivot_employees = 5
    assert [f.subject.split("|")[0] for f in run(snap, Params())] == ["hub"]
    assert "E1|S1" in by_subject(run(snap, Params(max_pivot_employees=6)))


@pytest.mark.parametrize(
    ("name", "expected"),
    [("张伟", ("张伟", ["zhangwei"])), ("欧阳 娜娜", ("欧阳娜娜", ["ouyangnana"])), (None, ("", []))],
)
def test_name_keys(name, expected):
    assert name_keys(name) == expected


def test_the_detector_is_a_relationship_detector():
    assert DETECTOR.id == "shared_identifiers" and DETECTOR.family == "relationship"


def test_same_as_links_are_written_by_the_embedded_store(tmp_path):
    from graph.dataset import GraphData
    from graph.ladybug_store import LadybugStore

    snap = relationship_snapshot(
        employees=[{"employee_id": "E1", "name": "赵建国", "id_number": "11010519491231002X"}],
        persons=[{"person_id": "P2", "name": "赵建国", "id_number": "11010519491231002X"}],
        suppliers=[{"supplier_id": "S1", "name": "华信科技有限公司"}],
        relations=[("person", "P2", "OWNS", "supplier", "S1")],
    )
    records = GraphData()
    records.add_nodes("Employee", pd.DataFrame({"id": ["E1"], "name": ["赵建国"]}))
    records.add_nodes("Person", pd.DataFrame({"id": ["P2"], "name": ["赵建国"]}))
    store = LadybugStore(tmp_path / "store")
    try:
        store.write(records)
        store.write(same_as_graphdata(run(snap, Params())))
        links = store.query(
            "MATCH (a:Employee)-[r:SAME_AS]->(b:Person) RETURN a.id AS a, b.id AS b, r.method AS method"
        )
        employees = store.query("MATCH (e:Employee) RETURN count(e) AS n")
        persons = store.query("MATCH (p:Person) RETURN count(p) AS n")
    finally:
        store.close()
    assert links.to_dict("records") == [{"a": "E1", "b": "P2", "method": "id_number+name"}]
    # two records stay two records: a link is proposed, nothing is merged
    assert int(employees["n"].iloc[0]) == 1 and int(persons["n"].iloc[0]) == 1


def test_a_legal_representative_recorded_twice_counts_once():
    """The name written on the supplier and the declared person are one bearer of the name."""
    snap = relationship_snapshot(
        employees=STAFF,
        persons=[{"person_id": "P1", "name": "Sun Li"}, {"person_id": "P2", "name": "孙立"}],
        suppliers=[{"supplier_id": "S1", "name": "华信科技有限公司", "legal_rep": "孙立"}],
        relations=[
            ("person", "P1", "LEGAL_REP_OF", "supplier", "S1"),
            ("person", "P2", "LEGAL_REP_OF", "supplier", "S1"),
        ],
        contracts=[{"contract_id": "C1", "supplier_id": "S1", "amount": 80_000.0}],
        approvals=[{"contract_id": "C1", "approver_id": "E1"}],
    )
    assert run(snap, Params()) == []
    with_namesake = relationship_snapshot(
        employees=[*STAFF, {"employee_id": "E3", "name": "孙立"}],
        persons=[{"person_id": "P2", "name": "孙立"}],
        suppliers=[{"supplier_id": "S1", "name": "华信科技有限公司", "legal_rep": "孙立"}],
        relations=[("person", "P2", "LEGAL_REP_OF", "supplier", "S1")],
        contracts=[{"contract_id": "C1", "supplier_id": "S1", "amount": 80_000.0, "requester_id": "E3"}],
    )
    finding = by_subject(run(with_namesake, Params()))["E3|S1"]
    # two bearers of 孙立 (the employee and the representative), not three: rarity 1
    assert finding.evidence["metrics"]["probability"] == pytest.approx(0.5)
    assert finding.evidence["matches"][0]["supplier_party"] == "person:P2"

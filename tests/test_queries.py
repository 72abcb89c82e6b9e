"""The analysts' library: headers, parameters, and every entry run on the embedded store.

The store is built from a small graph written through ``LadybugStore.write`` with
one planted case per question (a favoured supplier, a relative's company, a shared
phone, a bidding ring, a split purchase ...), and each query must return it.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from graph.dataset import GraphData
from graph.ladybug_store import LadybugStore
from graph.store import AlertRecord
from sunlight.querylib import (
    DIALECTS,
    QueryFormatError,
    QueryParamError,
    get_query,
    list_queries,
    load_query,
    parameters_used,
    run_query,
)

QUERIES = list_queries()
NAMES = [q.name for q in QUERIES]


def frame(**columns: list) -> pd.DataFrame:
    return pd.DataFrame(columns)


def dates(*values: str | None) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values)))


def planted_graph() -> GraphData:
    g = GraphData()
    g.add_nodes("Department", frame(id=["D1", "D2"], name=["采购部", "信息部"]))
    g.add_nodes(
        "Employee",
        frame(id=["E1", "E2", "E3", "E4"], name=["李明", "王芳", "张伟", "赵强"], position=["采购员"] * 4),
    )
    g.add_nodes(
        "Supplier",
        pd.DataFrame(
            {
                "id": ["S1", "S2", "S3", "S4", "S5", "S6", "S7"],
                "name": ["甲科技", "乙贸易", "丙建设", "丁咨询", "戊物流", "己电子", "庚商贸"],
                "registered_date": dates(
                    "2023-12-20", "2015-03-01", "2010-05-05", "2012-01-01", "2016-06-06", "2018-08-08", None
                ),
                "blacklisted": [False, False, False, True, False, False, False],
            }
        ),
    )
    g.add_nodes("Person", frame(id=["P1", "P2"], name=["李父", "钱某"]))
    g.add_nodes("Tender", frame(id=["T1", "T2", "T3", "T4"]))
    contracts = [
        # id, amount, signed, department, supplier, requester, tender
        ("C01", 120000.0, "2024-01-05", "D2", "S1", None, "T4"),  # new supplier's first award, single bid
        *[
            (f"C1{i}", 80000.0 + i, f"2024-02-0{i + 1}", "D1", "S2", None, None) for i in range(5)
        ],  # favoured pair
        ("C20", 60000.0, "2024-03-01", "D1", "S3", None, None),  # relative's company, overpaid
        ("C30", 40000.0, "2024-04-01", "D1", "S5", None, None),  # split purchase
        ("C31", 45000.0, "2024-04-05", "D1", "S5", None, None),
        ("C32", 30000.0, "2024-04-09", "D1", "S5", None, None),
        ("C40", 20000.0, "2024-05-01", "D2", "S6", "E3", None),  # self-approved
        ("C41", 10000.0, "2024-05-02", "D2", "S6", None, None),  # approved at night
        ("C42", 300000.0, "2024-05-03", "D2", "S7", None, None),  # no approval at all
        ("C43", 15000.0, "2024-05-04", "D2", "S4", None, None),  # blacklisted, steps out of order
        ("C50", 90000.0, "2024-06-01", "D1", "S2", None, "T1"),
    ]
    g.add_nodes(
        "Contract",
        pd.DataFrame(
            {
                "id": [c[0] for c in contracts],
                "amount": [c[1] for c in contracts],
                "signed_date": pd.to_datetime([c[2] for c in contracts]),
            }
        ),
    )
    g.add_rels(
        "WORKS_IN",
        "Employee",
        "Department",
        frame(src=["E1", "E2", "E3", "E4"], dst=["D1", "D1", "D2", "D1"]),
    )
    g.add_rels(
        "ORDERED_BY",
        "Contract",
        "Department",
        frame(src=[c[0] for c in contracts], dst=[c[3] for c in contracts]),
    )
    g.add_rels(
        "AWARDED_TO",
        "Contract",
        "Supplier",
        frame(src=[c[0] for c in contracts], dst=[c[4] for c in contracts]),
    )
    g.add_rels(
        "REQUESTED",
        "Employee",
        "Contract",
        frame(src=[c[5] for c in contracts if c[5]], dst=[c[0] for c in contracts if c[5]]),
    )
    g.add_rels(
        "FROM_TENDER",
        "Contract",
        "Tender",
        frame(src=[c[0] for c in contracts if c[6]], dst=[c[6] for c in contracts if c[6]]),
    )
    approvals = [
        *[("E2", f"C1{i}", 1, f"2024-02-0{i + 1} 10:00") for i in range(5)],
        ("E2", "C50", 1, "2024-06-01 10:00"),
        ("E1", "C20", 1, "2024-03-01 11:00"),
        ("E1", "C01", 1, "2024-01-05 09:00"),
        ("E4", "C30", 1, "2024-04-01 09:30"),
        ("E4", "C31", 1, "2024-04-05 09:30"),
        ("E4", "C32", 1, "2024-04-09 09:30"),
        ("E3", "C40", 1, "2024-05-01 14:00"),
        ("E3", "C41", 1, "2024-05-02 23:10"),
        ("E3", "C43", 1, "2024-05-04 10:00"),
        ("E1", "C43", 2, "2024-05-04 09:00"),
    ]
    g.add_rels(
        "APPROVED",
        "Employee",
        "Contract",
        pd.DataFrame(
            {
                "src": [a[0] for a in approvals],
                "dst": [a[1] for a in approvals],
                "step": [a[2] for a in approvals],
                "approved_at": pd.to_datetime([a[3] for a in approvals]),
                "decision": ["approve"] * len(approvals),
            }
        ),
    )
    bids = [("S2", "T1", True), ("S5", "T1", False), ("S7", "T1", False)]
    bids += [("S2", "T2", False), ("S5", "T2", True), ("S7", "T2", False)]
    bids += [("S2", "T3", False), ("S5", "T3", False), ("S7", "T3", True)]
    bids += [("S1", "T4", True)]
    g.add_rels(
        "BID_ON",
        "Supplier",
        "Tender",
        frame(
            src=[b[0] for b in bids],
            dst=[b[1] for b in bids],
            amount=[100.0 + i for i in range(len(bids))],
            is_winner=[b[2] for b in bids],
        ),
    )
    # E1's father owns S3 directly; P2 owns S6, which owns S3: a two-link chain.
    g.add_rels("RELATIVE_OF", "Employee", "Person", frame(src=["E1"], dst=["P1"]))
    g.add_rels("OWNS", "Person", "Supplier", frame(src=["P1", "P2"], dst=["S3", "S6"], share=[0.6, 1.0]))
    g.add_rels("OWNS", "Supplier", "Supplier", frame(src=["S6"], dst=["S3"], share=[0.4]))
    g.add_rels("FORMER_EMPLOYEE_OF", "Employee", "Supplier", frame(src=["E4"], dst=["S5"]))
    g.add_nodes("Phone", frame(id=["13800000001"]))
    g.add_nodes("BankAccount", frame(id=["6222000011112222", "6222000033334444"]))
    g.add_nodes("Address", frame(id=["北京市海淀区中关村大街1号"]))
    g.add_rels("HAS_PHONE", "Employee", "Phone", frame(src=["E1"], dst=["13800000001"]))
    g.add_rels("HAS_PHONE", "Supplier", "Phone", frame(src=["S6"], dst=["13800000001"]))
    g.add_rels(
        "HAS_ACCOUNT",
        "Employee",
        "BankAccount",
        frame(src=["E3", "E2"], dst=["6222000011112222", "6222000033334444"]),
    )
    g.add_rels("HAS_ACCOUNT", "Supplier", "BankAccount", frame(src=["S5"], dst=["6222000011112222"]))
    g.add_rels(
        "HAS_ADDRESS", "Supplier", "Address", frame(src=["S2", "S7"], dst=["北京市海淀区中关村大街1号"] * 2)
    )
    g.add_nodes(
        "Payment",
        pd.DataFrame(
            {
                "id": ["PAY1", "PAY2", "PAY3"],
                "amount": [80000.0, 40000.0, 30000.0],
                "paid_at": pd.to_datetime(["2024-02-10 15:00", "2024-03-10 10:00", "2024-03-20 10:00"]),
            }
        ),
    )
    g.add_rels(
        "PAYS_FOR", "Payment", "Contract", frame(src=["PAY1", "PAY2", "PAY3"], dst=["C10", "C20", "C20"])
    )
    g.add_rels(
        "PAID_TO",
        "Payment",
        "BankAccount",
        frame(src=["PAY1", "PAY2", "PAY3"], dst=["6222000033334444", "6222000011112222", "6222000011112222"]),
    )
    return g


def planted_alerts() -> list[AlertRecord]:
    def alert(alert_id: str, level: str, entities: tuple[str, ...]) -> AlertRecord:
        return AlertRecord(
            id=alert_id,
            detector="repeated_pairs",
            subject=alert_id,
            score=0.9 if level == "high" else 0.5,
            level=level,
            grade="一级" if level == "high" else "二级",
            title_zh="测试预警",
            title_en="test alert",
            explanation_zh="",
            explanation_en="",
            evidence={},
            entities=entities,
        )

    return [
        alert("AL1", "high", ("employee:E2", "supplier:S2")),
        alert("AL2", "medium", ("contract:C40",)),
    ]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> LadybugStore:
    folder = tmp_path_factory.mktemp("queries") / "store"
    with LadybugStore(folder) as writer:
        writer.write(planted_graph())
        writer.save_alerts(planted_alerts(), datetime(2024, 7, 1, 8, 0))
        writer.set_alert_status("AL2", "reviewing", assignee="审计一组")
    opened = LadybugStore(folder, read_only=True)
    yield opened
    opened.close()


def rows(result: pd.DataFrame, *columns: str) -> set[tuple]:
    return {tuple(r) for r in result[list(columns)].itertuples(index=False, name=None)}


# ---- the library's shape ----------------------------------------------------------


def test_library_has_at_least_twenty_questions() -> None:
    assert len(QUERIES) >= 20
    assert len(set(NAMES)) == len(NAMES)


@pytest.mark.parametrize("spec", QUERIES, ids=NAMES)
def test_header_declares_exactly_the_parameters_used(spec) -> None:
    declared = {p.name for p in spec.params}
    for dialect, text in spec.texts.items():
        assert parameters_used(text) == declared, f"{spec.name} ({dialect})"


@pytest.mark.parametrize("spec", QUERIES, ids=NAMES)
def test_header_is_complete(spec) -> None:
    assert spec.title_zh and spec.title_en and spec.description_zh and spec.description_en
    assert spec.returns
    assert set(spec.texts) <= set(DIALECTS)
    for p in spec.params:
        assert p.doc, f"{spec.name}: parameter {p.name} has no description"


def test_parameters_are_converted_to_their_declared_types() -> None:
    spec = get_query("approver_supplier_pairs")
    bound = spec.bind({"start_date": "2024-01-01", "top": "5"})
    assert bound == {
        "start_date": date(2024, 1, 1),
        "end_date": date(2999, 12, 31),
        "min_contracts": 2,
        "top": 5,
    }
    assert get_query("payments_to_staff_accounts").bind({"from_time": "2024-02-01T08:00:00"})[
        "from_time"
    ] == datetime(2024, 2, 1, 8, 0)
    assert get_query("alerts_by_department_status").bind({}) == {"status": ""}


def test_a_missing_required_parameter_is_named() -> None:
    with pytest.raises(QueryParamError, match="supplier_id"):
        get_query("co_bidders").bind({})


def test_an_unknown_parameter_is_named_with_the_known_ones() -> None:
    with pytest.raises(QueryParamError, match=r"no parameter 'supplier'.*supplier_id"):
        get_query("co_bidders").bind({"supplier": "S1"})


def test_a_badly_typed_parameter_is_named() -> None:
    with pytest.raises(QueryParamError, match=r"'top'.*whole number.*'many'"):
        get_query("approver_supplier_pairs").bind({"top": "many"})


def test_an_unknown_query_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="co_bidders"):
        get_query("no_such_question")


def test_a_header_line_the_format_does_not_know_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.cypher"
    path.write_text("// name: broken\n// colour: blue\nMATCH (n) RETURN n\n", encoding="utf-8")
    with pytest.raises(QueryFormatError, match="colour"):
        load_query(path)


def test_a_variant_for_an_unknown_engine_is_an_error(tmp_path: Path) -> None:
    header = "".join(
        f"// {key}: x\n" for key in ("title_zh", "title_en", "description_zh", "description_en", "returns")
    )
    path = tmp_path / "odd.cypher"
    path.write_text(
        f"// name: odd\n{header}RETURN 1 AS x\n// variant: memgraph\nRETURN 1 AS x\n", encoding="utf-8"
    )
    with pytest.raises(QueryFormatError, match="memgraph"):
        load_query(path)


# ---- every entry on the embedded store ----------------------------------------------

#: Parameters for the questions that need some; the rest run on their defaults.
PARAMS: dict[str, dict[str, str]] = {
    "supplier_neighbourhood": {"supplier_id": "S3", "hops": "2"},
    "ownership_chains": {"supplier_id": "S3"},
    "co_bidders": {"supplier_id": "S2"},
    "alert_evidence": {"alert_id": "AL1"},
    "shortest_connection": {"employee_id": "E1", "supplier_id": "S3"},
    "approver_top_supplier_share": {"min_approved": "5", "min_share": "0.8"},
    "department_supplier_concentration": {"min_share": "0.4"},
    "split_purchase_candidates": {"limit": "50000", "window_days": "10", "min_contracts": "3"},
}


def test_the_embedded_store_runs_its_own_variant_where_a_file_has_one(store: LadybugStore) -> None:
    spec = get_query("shortest_connection")
    assert "ladybug" in spec.texts
    assert store.cypher_variant(spec.texts) == spec.texts["ladybug"]
    plain = get_query("top_suppliers_in_period")
    assert store.cypher_variant(plain.texts) == plain.texts["neo4j"]


@pytest.mark.parametrize("name", NAMES)
def test_every_query_runs_on_the_embedded_store_with_its_declared_columns(
    store: LadybugStore, name: str
) -> None:
    result = run_query(store, name, PARAMS.get(name, {}))
    assert list(result.columns) == list(get_query(name).returns)
    assert not result.empty, f"{name} found none of what was planted"


def test_favoured_pair(store: LadybugStore) -> None:
    result = run_query(store, "approver_supplier_pairs", {"end_date": "2024-12-31"})
    top = result.iloc[0]
    assert (top.approver_id, top.supplier_id, top.contracts) == ("E2", "S2", 6)
    assert top.total_amount == pytest.approx(sum(80000.0 + i for i in range(5)) + 90000.0)
    in_february = run_query(
        store,
        "approver_supplier_pairs",
        {"start_date": "2024-02-01", "end_date": "2024-02-28", "min_contracts": "1"},
    )
    assert rows(in_february, "approver_id", "supplier_id", "contracts") == {("E2", "S2", 5)}


def test_top_suppliers(store: LadybugStore) -> None:
    result = run_query(store, "top_suppliers_in_period", {"top": "2"})
    assert list(result["supplier_id"]) == ["S2", "S7"]


def test_neighbourhood_of_a_supplier(store: LadybugStore) -> None:
    result = run_query(store, "supplier_neighbourhood", {"supplier_id": "S3", "hops": "2"})
    found = rows(result, "hops", "label", "id")
    assert {(1, "Person", "P1"), (1, "Supplier", "S6"), (1, "Contract", "C20")} <= found
    assert {(2, "Employee", "E1"), (2, "Person", "P2"), (2, "Phone", "13800000001")} <= found
    assert all(h <= 2 for h in result["hops"])
    assert not any(label == "Alert" for label in result["label"])
    one_hop = run_query(store, "supplier_neighbourhood", {"supplier_id": "S3", "hops": "1"})
    assert set(one_hop["hops"]) == {1}


def test_staff_sharing_identifiers_with_suppliers(store: LadybugStore) -> None:
    result = run_query(store, "staff_supplier_shared_identifiers", {})
    assert rows(result, "employee_id", "shared", "supplier_id") == {
        ("E1", "phone", "S6"),
        ("E3", "bank_account", "S5"),
    }


def test_suppliers_sharing_an_address(store: LadybugStore) -> None:
    result = run_query(store, "supplier_shared_identifiers", {})
    assert rows(result, "supplier_a", "shared", "supplier_b") == {("S2", "address", "S7")}


def test_ownership_chains(store: LadybugStore) -> None:
    result = run_query(store, "ownership_chains", {"supplier_id": "S3"})
    chains = {(r.owner_id, r.hops, tuple(r.chain)) for r in result.itertuples(index=False)}
    assert chains == {("P1", 1, ("P1", "S3")), ("S6", 1, ("S6", "S3")), ("P2", 2, ("P2", "S6", "S3"))}
    assert dict(zip(result["owner_id"], result["owner_label"], strict=True))["P2"] == "Person"


def test_approvers_tied_to_their_suppliers(store: LadybugStore) -> None:
    result = run_query(store, "staff_ties_to_approved_suppliers", {})
    assert rows(result, "employee_id", "supplier_id", "hops") == {("E1", "S3", 2), ("E4", "S5", 1)}


def test_relative_company(store: LadybugStore) -> None:
    result = run_query(store, "relative_company_contracts", {})
    assert rows(result, "employee_id", "relative_id", "supplier_id", "contracts") == {("E1", "P1", "S3", 1)}


def test_co_bidders(store: LadybugStore) -> None:
    result = run_query(store, "co_bidders", {"supplier_id": "S2"})
    assert rows(result, "supplier_id", "tenders_together", "other_won") == {("S5", 3, 1), ("S7", 3, 1)}


def test_bidding_pairs(store: LadybugStore) -> None:
    result = run_query(store, "bidding_pairs", {"min_tenders": "3"})
    assert rows(result, "supplier_a", "supplier_b", "tenders_together") == {
        ("S2", "S5", 3),
        ("S2", "S7", 3),
        ("S5", "S7", 3),
    }


def test_identical_bidder_sets(store: LadybugStore) -> None:
    result = run_query(store, "identical_bidder_sets", {})
    assert len(result) == 1
    ring = result.iloc[0]
    assert list(ring.bidders) == ["S2", "S5", "S7"]
    assert ring.tenders_count == 3
    assert sorted(ring.tenders) == ["T1", "T2", "T3"]


def test_single_bid_tenders(store: LadybugStore) -> None:
    result = run_query(store, "single_bid_tenders", {})
    assert rows(result, "tender_id", "supplier_id", "contract_id") == {("T4", "S1", "C01")}


def test_split_purchase(store: LadybugStore) -> None:
    result = run_query(store, "split_purchase_candidates", PARAMS["split_purchase_candidates"])
    assert len(result) == 1
    window = result.iloc[0]
    assert (window.department_id, window.supplier_id, window.first_contract, window.contracts) == (
        "D1",
        "S5",
        "C30",
        3,
    )
    assert window.total_amount == pytest.approx(115000.0)
    assert sorted(window.contract_ids) == ["C30", "C31", "C32"]
    # a window too short to hold all three leaves the first contract out
    short = run_query(store, "split_purchase_candidates", {"window_days": "3", "min_contracts": "2"})
    assert short.empty


def test_self_approved(store: LadybugStore) -> None:
    result = run_query(store, "self_approved_contracts", {})
    assert rows(result, "employee_id", "contract_id", "supplier_id") == {("E3", "C40", "S6")}


def test_payments_into_staff_accounts(store: LadybugStore) -> None:
    result = run_query(store, "payments_to_staff_accounts", {})
    assert rows(result, "payment_id", "employee_id", "contract_id") == {
        ("PAY1", "E2", "C10"),
        ("PAY2", "E3", "C20"),
        ("PAY3", "E3", "C20"),
    }
    march = run_query(
        store,
        "payments_to_staff_accounts",
        {"from_time": "2024-03-15T00:00:00", "to_time": "2024-03-31T00:00:00"},
    )
    assert list(march["payment_id"]) == ["PAY3"]
    assert march["paid_at"].iloc[0] == pd.Timestamp("2024-03-20 10:00")


def test_alerts_by_department(store: LadybugStore) -> None:
    result = run_query(store, "alerts_by_department_status", {})
    assert rows(result, "department_id", "status", "level", "alerts") == {
        ("D1", "open", "high", 1),
        ("D2", "reviewing", "medium", 1),
    }
    reviewing = run_query(store, "alerts_by_department_status", {"status": "reviewing"})
    assert list(reviewing["department_id"]) == ["D2"]


def test_alert_evidence(store: LadybugStore) -> None:
    result = run_query(store, "alert_evidence", {"alert_id": "AL1"})
    assert set(result["entity_id"]) == {"E2", "S2"}
    found = rows(result, "entity_id", "relationship", "neighbour_label", "neighbour_id")
    assert ("E2", "APPROVED", "Contract", "C10") in found
    assert ("S2", "BID_ON", "Tender", "T1") in found
    assert ("S2", "HAS_ADDRESS", "Address", "北京市海淀区中关村大街1号") in found
    assert "Alert" not in set(result["neighbour_label"])


def test_new_supplier(store: LadybugStore) -> None:
    result = run_query(store, "new_supplier_first_award", {"max_days": "30"})
    assert rows(result, "supplier_id", "days_registered") == {("S1", 16)}
    assert result["first_award"].iloc[0] == pd.Timestamp("2024-01-05")


def test_approver_concentration(store: LadybugStore) -> None:
    result = run_query(store, "approver_top_supplier_share", PARAMS["approver_top_supplier_share"])
    assert rows(result, "approver_id", "supplier_id", "with_supplier", "approved") == {("E2", "S2", 6, 6)}
    assert result["share"].iloc[0] == pytest.approx(1.0)


def test_department_concentration(store: LadybugStore) -> None:
    result = run_query(store, "department_supplier_concentration", {"min_share": "0.4"})
    found = rows(result, "department_id", "supplier_id")
    assert ("D1", "S2") in found
    assert ("D2", "S7") in found
    d1 = result[result["department_id"] == "D1"].iloc[0]
    assert d1.share == pytest.approx(d1.supplier_amount / d1.department_amount)


def test_blacklisted_supplier(store: LadybugStore) -> None:
    result = run_query(store, "blacklisted_supplier_contracts", {})
    assert rows(result, "contract_id", "supplier_id") == {("C43", "S4")}
    assert sorted(result["approvers"].iloc[0]) == ["E1", "E3"]


def test_after_hours(store: LadybugStore) -> None:
    result = run_query(store, "after_hours_approvals", {})
    assert rows(result, "approver_id", "contract_id") == {("E3", "C41")}
    early = run_query(store, "after_hours_approvals", {"day_starts": "10", "day_ends": "23"})
    assert {"C01", "C30", "C43", "C41"} <= set(early["contract_id"])


def test_contracts_without_approval(store: LadybugStore) -> None:
    result = run_query(store, "contracts_without_approval", {"min_amount": "100000"})
    assert rows(result, "contract_id", "supplier_id") == {("C42", "S7")}


def test_approvals_out_of_order(store: LadybugStore) -> None:
    result = run_query(store, "approvals_out_of_order", {})
    assert rows(result, "contract_id", "earlier_approver", "later_approver") == {("C43", "E3", "E1")}


def test_former_employer(store: LadybugStore) -> None:
    result = run_query(store, "former_employee_approvals", {})
    assert set(result["contract_id"]) == {"C30", "C31", "C32"}
    assert set(result["employee_id"]) == {"E4"}


def test_overpaid_contract(store: LadybugStore) -> None:
    result = run_query(store, "payments_exceeding_contract", {})
    assert rows(result, "contract_id", "paid", "payments") == {("C20", 70000.0, 2)}
    assert run_query(store, "payments_exceeding_contract", {"tolerance": "1.2"}).empty


def test_shortest_connection(store: LadybugStore) -> None:
    result = run_query(store, "shortest_connection", {"employee_id": "E1", "supplier_id": "S3"})
    # two paths are equally short, and both are listed: through the father who owns S3, and
    # through the contract E1 approved (one of them alone would be an engine's arbitrary pick)
    assert len(result) == 2 and set(result["hops"]) == {2}
    middles = set()
    for path in result.itertuples(index=False):
        first, middle, last = path.path_ids
        assert (first, last) == ("E1", "S3")
        labels = dict(zip(path.path_ids, path.path_labels, strict=True))
        assert (labels["E1"], labels["S3"]) == ("Employee", "Supplier")
        middles.add((middle, labels[middle]))
    assert middles == {("P1", "Person"), ("C20", "Contract")}


def test_an_analyst_query_cannot_write(store: LadybugStore) -> None:
    from graph.errors import StoreError

    with pytest.raises(StoreError):
        store.query("CREATE (:Tender {id: 'T99'})")


def test_the_readme_lists_every_question() -> None:
    readme = (Path(__file__).resolve().parent.parent / "queries" / "README.md").read_text(encoding="utf-8")
    missing = [name for name in NAMES if f"`{name}`" not in readme]
    assert not missing, f"queries/README.md does not list {missing}"


@pytest.fixture(scope="module")
def generated_store(tmp_path_factory: pytest.TempPathFactory) -> LadybugStore:
    from loaders import load_source
    from loaders.generator import generate

    folder = tmp_path_factory.mktemp("generated")
    generate(folder / "data", scale=2000, seed=1)
    with LadybugStore(folder / "store") as writer:
        writer.write(load_source(folder / "data").data)
    opened = LadybugStore(folder / "store", read_only=True)
    yield opened
    opened.close()


@pytest.mark.slow
def test_every_query_runs_on_a_generated_dataset(generated_store: LadybugStore) -> None:
    """The whole library on the synthetic generator's data: every entry runs and keeps its
    columns, and the questions about its planted schemes find something."""
    snapshot = generated_store.snapshot()
    busiest_bidder = snapshot.bids["supplier_id"].value_counts().index[0]
    approver = snapshot.approvals["approver_id"].iloc[0]
    params = {
        "supplier_neighbourhood": {"supplier_id": busiest_bidder},
        "ownership_chains": {"supplier_id": snapshot.relations["dst_id"].iloc[0]},
        "co_bidders": {"supplier_id": busiest_bidder},
        "alert_evidence": {"alert_id": "none-yet"},
        "shortest_connection": {"employee_id": approver, "supplier_id": busiest_bidder},
    }
    found = {}
    for name in NAMES:
        result = run_query(generated_store, name, params.get(name, {}))
        assert list(result.columns) == list(get_query(name).returns), name
        found[name] = len(result)
    for name in ("approver_supplier_pairs", "co_bidders", "bidding_pairs", "supplier_neighbourhood"):
        assert found[name] > 0, f"{name} found nothing in the generated data"


# ---- the same rows on a real Neo4j server ---------------------------------------------------


@pytest.fixture(scope="module")
def server_store(neo4j_server: Any) -> Any:
    """The same small graph, alerts and case status as ``store``, on the test Neo4j server."""
    from graph.neo4j_store import Neo4jStore

    neo4j_server.clear()
    opened = Neo4jStore(neo4j_server.uri, auth=neo4j_server.auth)
    opened.write(planted_graph())
    opened.save_alerts(planted_alerts(), datetime(2024, 7, 1, 8, 0))
    opened.set_alert_status("AL2", "reviewing", assignee="审计一组")
    yield opened
    opened.close()


def comparable(result: pd.DataFrame) -> list[tuple]:
    """Rows as plain values in a stable order, so results from the two engines compare equal
    when they say the same: numbers as floats, times as timestamps, and collected lists as
    sorted tuples (``collect()`` promises no order on either engine)."""

    def plain(value: Any) -> Any:
        if hasattr(value, "tolist") and not isinstance(value, str | pd.Timestamp):
            value = value.tolist()
        if isinstance(value, list | tuple):
            return tuple(sorted((plain(v) for v in value), key=repr))
        if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
            return None
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float):
            return round(float(value), 6)
        if isinstance(value, datetime | date):
            return pd.Timestamp(value)
        return value

    rows = [tuple(plain(v) for v in row) for row in result.itertuples(index=False, name=None)]
    return sorted(rows, key=repr)


@pytest.mark.parametrize("name", NAMES)
def test_every_query_returns_the_same_rows_on_neo4j(
    store: LadybugStore, server_store: Any, name: str
) -> None:
    ours = run_query(store, name, PARAMS.get(name, {}))
    theirs = run_query(server_store, name, PARAMS.get(name, {}))
    assert list(theirs.columns) == list(ours.columns)
    assert comparable(theirs) == comparable(ours)

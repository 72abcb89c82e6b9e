"""The embedded LadybugDB store: schema DDL, idempotent all-or-nothing writes, reads, alerts."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from graph import ladybug_store
from graph.dataset import GraphData
from graph.errors import StoreError, StoreQueryError
from graph.ladybug_store import LadybugStore, ddl_statements
from graph.schema import NODE_TYPES, REL_TYPES
from graph.store import AlertRecord


def small_graph(amount: float = 120000.0) -> GraphData:
    data = GraphData()
    data.add_nodes("Department", pd.DataFrame({"id": ["D1"], "name": ["信息中心"]}))
    data.add_nodes(
        "Employee",
        pd.DataFrame(
            {"id": ["E1", "E2"], "name": ["张伟", "王芳"], "hire_date": pd.to_datetime(["2015-03-01", None])}
        ),
    )
    data.add_nodes(
        "Supplier", pd.DataFrame({"id": ["S1"], "name": ["华信科技有限公司"], "blacklisted": [False]})
    )
    data.add_nodes(
        "Contract",
        pd.DataFrame(
            {
                "id": ["C1", "C2"],
                "amount": [amount, 800.0],
                "signed_date": pd.to_datetime(["2024-03-01", "2024-03-05"]),
                "category": ["IT设备", "办公用品"],
            }
        ),
    )
    data.add_nodes("Phone", pd.DataFrame({"id": ["13800138000"]}))
    data.add_rels(
        "WORKS_IN", "Employee", "Department", pd.DataFrame({"src": ["E1", "E2"], "dst": ["D1", "D1"]})
    )
    data.add_rels(
        "AWARDED_TO", "Contract", "Supplier", pd.DataFrame({"src": ["C1", "C2"], "dst": ["S1", "S1"]})
    )
    data.add_rels(
        "APPROVED",
        "Employee",
        "Contract",
        pd.DataFrame(
            {
                "src": ["E1", "E2", "E1"],
                "dst": ["C1", "C1", "C2"],
                "step": [1, 2, 1],
                "approved_at": pd.to_datetime(["2024-02-27T10:00", "2024-02-28T11:00", "2024-03-04T09:30"]),
                "decision": ["approve", "approve", "approve"],
            }
        ),
    )
    data.add_rels("HAS_PHONE", "Employee", "Phone", pd.DataFrame({"src": ["E1"], "dst": ["13800138000"]}))
    data.add_rels("HAS_PHONE", "Supplier", "Phone", pd.DataFrame({"src": ["S1"], "dst": ["13800138000"]}))
    data.policy = {"approval_limits": [{"level": 1, "max_amount": 50000}]}
    return data


@pytest.fixture(params=["row-by-row", "bulk"])
def store(tmp_path, request, monkeypatch):
    # small writes go row by row, large ones in bulk (COPY); run every test both ways
    monkeypatch.setattr(ladybug_store, "_COPY_MIN_ROWS", 1 if request.param == "bulk" else 10**9)
    s = LadybugStore(tmp_path / "store")
    yield s
    s.close()


def frames(store: LadybugStore) -> dict[str, pd.DataFrame]:
    snap = store.snapshot()
    return {
        "employees": snap.employees,
        "contracts": snap.contracts,
        "approvals": snap.approvals,
        "identifiers": snap.identifiers,
    }


def test_ddl_covers_every_label_and_relationship_type():
    statements = ddl_statements()
    for spec in NODE_TYPES:
        assert any(
            s.startswith(f"CREATE NODE TABLE IF NOT EXISTS {spec.label}(id STRING PRIMARY KEY")
            for s in statements
        )
    for rel in REL_TYPES:
        assert any(s.startswith(f"CREATE REL TABLE IF NOT EXISTS {rel.type}(FROM ") for s in statements)
    approved = next(s for s in statements if " APPROVED(" in s)
    assert (
        "FROM Employee TO Contract" in approved
        and "step INT64" in approved
        and "approved_at TIMESTAMP" in approved
    )


def test_write_then_snapshot_resolves_foreign_keys(store):
    summary = store.write(small_graph())
    assert summary.created["Contract"] == 2 and summary.created["APPROVED"] == 3
    snap = store.snapshot()
    c1 = snap.contracts.set_index("id").loc["C1"]
    assert c1["supplier_id"] == "S1" and c1["amount"] == 120000.0
    assert snap.employees.set_index("id").loc["E1", "department_id"] == "D1"
    assert list(snap.approvals.query("contract_id == 'C1'")["step"]) == [1, 2]
    assert snap.policy["approval_limits"][0]["max_amount"] == 50000
    shared = snap.identifiers.query("kind == 'Phone'")
    assert set(shared["label"]) == {"Employee", "Supplier"}


def test_writing_the_same_data_twice_changes_nothing(store):
    store.write(small_graph())
    counts_before, frames_before = store.counts(), frames(store)
    summary = store.write(small_graph())
    assert all(n == 0 for n in summary.created.values())
    assert store.counts() == counts_before
    for name, frame in frames(store).items():
        pd.testing.assert_frame_equal(
            frame.sort_values(list(frame.columns[:2])).reset_index(drop=True),
            frames_before[name].sort_values(list(frame.columns[:2])).reset_index(drop=True),
        )


def test_a_newer_extract_updates_changed_rows(store):
    store.write(small_graph(amount=120000.0))
    store.write(small_graph(amount=99000.0))
    contracts = store.snapshot().contracts.set_index("id")
    assert contracts.loc["C1", "amount"] == 99000.0
    assert store.counts()["nodes"]["Contract"] == 2


def test_a_failed_write_leaves_the_store_as_it_was(store):
    store.write(small_graph())
    before_counts, before_frames = store.counts(), frames(store)
    broken = small_graph(amount=1.0)
    broken.add_nodes("Person", pd.DataFrame({"id": ["P1"], "name": ["李四"]}))
    # a relationship to a node that does not exist, in the last table written: all before it rolls back
    broken.rels[("HAS_PHONE", "Employee", "Phone")] = pd.DataFrame({"src": ["E1"], "dst": ["no such phone"]})
    with pytest.raises(StoreError):
        store.write(broken)
    assert store.counts() == before_counts
    assert store.snapshot().contracts.set_index("id").loc["C1", "amount"] == 120000.0
    for name, frame in frames(store).items():
        assert len(frame) == len(before_frames[name])


def test_query_is_read_only(store):
    store.write(small_graph())
    rows = store.query("MATCH (c:Contract) WHERE c.amount > $min RETURN c.id AS id", {"min": 1000})
    assert list(rows["id"]) == ["C1"]
    with pytest.raises(StoreQueryError):
        store.query("CREATE (:Supplier {id: 'S9', name: 'x'})")
    assert store.counts()["nodes"]["Supplier"] == 1


def test_subgraph_expands_by_hops_and_respects_the_limit(store):
    store.write(small_graph())
    one = store.subgraph(["supplier:S1"], hops=1)
    assert set(one.nodes["key"]) == {"supplier:S1", "contract:C1", "contract:C2", "phone:13800138000"}
    assert ("contract:C1", "supplier:S1", "AWARDED_TO") in set(map(tuple, one.edges.to_numpy()))
    two = store.subgraph(["supplier:S1"], hops=2)
    assert {"employee:E1", "employee:E2"} <= set(two.nodes["key"])
    assert two.nodes.set_index("key").loc["employee:E1", "name"] == "张伟"
    capped = store.subgraph(["supplier:S1"], hops=2, limit=3)
    assert len(capped.nodes) == 3 and capped.truncated


def alert(score: float = 0.9, evidence: str = "a") -> AlertRecord:
    return AlertRecord(
        id="AL-1",
        detector="repeated_pairs",
        subject="E1|S1",
        score=score,
        level="high",
        grade="一级",
        title_zh="标题",
        title_en="title",
        explanation_zh="说明",
        explanation_en="explanation",
        evidence={"rows": [evidence]},
        entities=("employee:E1", "supplier:S1"),
    )


def test_alerts_are_upserted_by_id_and_keep_their_case_status(store):
    store.write(small_graph())
    first = store.save_alerts([alert()], datetime(2026, 1, 1, 2, 0))
    assert (first.new, first.updated, first.unchanged) == (1, 0, 0)
    store.set_alert_status("AL-1", "reviewing", assignee="调查员甲")
    again = store.save_alerts([alert()], datetime(2026, 1, 2, 2, 0))
    assert (again.new, again.updated, again.unchanged) == (0, 0, 1)
    changed = store.save_alerts([alert(score=0.95, evidence="b")], datetime(2026, 1, 3, 2, 0))
    assert changed.updated == 1
    rows = store.alerts()
    assert len(rows) == 2 and set(rows["entity_type"]) == {"employee", "supplier"}
    row = rows.iloc[0]
    assert row["status"] == "reviewing" and row["assignee"] == "调查员甲"
    assert row["first_seen"] == pd.Timestamp("2026-01-01 02:00") and row["last_seen"] == pd.Timestamp(
        "2026-01-03 02:00"
    )
    assert store.counts()["relationships"]["FLAGS"] == 2
    with pytest.raises(StoreError):
        store.set_alert_status("AL-1", "closed")


def test_read_only_store_refuses_writes_and_needs_an_existing_store(tmp_path, store):
    store.write(small_graph())
    with pytest.raises(StoreError):
        LadybugStore(tmp_path / "nowhere", read_only=True)


def test_a_newer_extract_replaces_single_valued_links(store):
    store.write(small_graph())
    newer = GraphData()
    newer.add_nodes("Supplier", pd.DataFrame({"id": ["S2"], "name": ["东方电子有限公司"]}))
    newer.add_nodes("Department", pd.DataFrame({"id": ["D2"], "name": ["采购部"]}))
    newer.add_rels("AWARDED_TO", "Contract", "Supplier", pd.DataFrame({"src": ["C1"], "dst": ["S2"]}))
    newer.add_rels("WORKS_IN", "Employee", "Department", pd.DataFrame({"src": ["E2"], "dst": ["D2"]}))
    newer.add_rels(
        "APPROVED",
        "Employee",
        "Contract",
        pd.DataFrame(
            {"src": ["E1"], "dst": ["C1"], "step": [2], "approved_at": pd.to_datetime(["2024-02-28T11:00"])}
        ),
    )
    store.write(newer)
    snap = store.snapshot()
    contracts = snap.contracts.set_index("id")
    assert contracts.loc["C1", "supplier_id"] == "S2" and contracts.loc["C2", "supplier_id"] == "S1"
    assert snap.employees.set_index("id").loc["E2", "department_id"] == "D2"
    steps = snap.approvals.query("contract_id == 'C1'").set_index("step")["approver_id"]
    assert steps.to_dict() == {1: "E1", 2: "E1"}
    assert store.counts()["relationships"]["AWARDED_TO"] == 2


def test_a_store_made_before_a_property_existed_opens_for_reading_with_it_empty(tmp_path) -> None:
    folder = tmp_path / "store"
    store = LadybugStore(folder)
    store.write(small_graph())
    store._execute("ALTER TABLE Contract DROP estimate")  # as a store of an earlier schema
    store.close()
    reader = LadybugStore(folder, read_only=True)
    try:
        contracts = reader.snapshot().contracts
        assert len(contracts) > 0 and "estimate" in contracts and contracts["estimate"].isna().all()
    finally:
        reader.close()

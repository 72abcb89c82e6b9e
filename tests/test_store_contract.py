"""The store contract: every behaviour the ``Store`` protocol promises, on both stores.

Each test runs on the embedded LadybugDB store and on a real Neo4j server (the session's
test server, see ``conftest.py``), so the two cannot drift apart unnoticed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from detectors.case_grouping import group_alerts
from graph.cases import read_cases, resolve_case, set_case_state, write_cases
from graph.dataset import GraphData
from graph.errors import (
    AlertStatusConflict,
    CaseStatusConflict,
    PartialWriteError,
    StoreError,
    StoreQueryError,
)
from graph.ladybug_store import LadybugStore
from graph.neo4j_store import Neo4jStore, plan_write, send_batches, write_batches
from graph.store import AlertRecord, Store
from sunlight.audit import AuditLog
from sunlight.cases import update_cases

STORES = ["ladybug", "neo4j"]


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store of each kind."""
    opened: Store
    if request.param == "ladybug":
        opened = LadybugStore(tmp_path / "store")
    else:
        server = request.getfixturevalue("neo4j_server")
        server.clear()
        opened = Neo4jStore(server.uri, auth=server.auth)
    yield opened
    opened.close()


def extract(amount: float = 120000.0) -> GraphData:
    """A small extract: a department, two employees, a supplier, two contracts, approvals, a
    shared phone and a policy."""
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


def frames(store: Store) -> dict[str, pd.DataFrame]:
    """Every frame of the store's snapshot, in a stable row order."""
    snap = store.snapshot()
    out = {}
    for name in (
        "departments",
        "employees",
        "suppliers",
        "persons",
        "contracts",
        "tenders",
        "approvals",
        "bids",
        "payments",
        "relations",
        "identifiers",
    ):
        frame = getattr(snap, name)
        out[name] = frame.sort_values(list(frame.columns)).reset_index(drop=True)
    return out


def alert(
    score: float = 0.9, evidence: str = "a", entities: tuple[str, ...] = ("employee:E1", "supplier:S1")
):
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
        entities=entities,
    )


# ---- writes --------------------------------------------------------------------------------


def test_a_write_resolves_foreign_keys_in_the_snapshot(store: Store) -> None:
    summary = store.write(extract())
    assert summary.created["Contract"] == 2 and summary.created["APPROVED"] == 3
    assert summary.rows["HAS_PHONE"] == 2
    snap = store.snapshot()
    c1 = snap.contracts.set_index("id").loc["C1"]
    assert c1["supplier_id"] == "S1" and c1["amount"] == 120000.0
    assert c1["signed_date"] == pd.Timestamp("2024-03-01")
    assert snap.employees.set_index("id").loc["E1", "department_id"] == "D1"
    assert list(snap.approvals.query("contract_id == 'C1'").sort_values("step")["step"]) == [1, 2]
    assert snap.policy["approval_limits"][0]["max_amount"] == 50000
    assert set(snap.identifiers.query("kind == 'Phone'")["label"]) == {"Employee", "Supplier"}


def test_a_snapshot_holds_each_distinct_text_once_and_missing_text_as_none(store: Store) -> None:
    store.write(extract())
    snap = store.snapshot()
    # a contract's id appears once per approval, a decision once per approval: one object each
    for frame, column in (
        (snap.approvals, "contract_id"),
        (snap.approvals, "decision"),
        (snap.contracts, "id"),
    ):
        values = frame[column]
        assert values.dtype == object
        assert len({id(v) for v in values}) == values.nunique(dropna=False), column
    assert sorted(snap.approvals["contract_id"]) == ["C1", "C1", "C2"]
    # a text property no record carries is None, as it always was, not NaN
    assert snap.employees["address"].map(lambda v: v is None).all()


def test_writing_the_same_extract_again_changes_nothing(store: Store) -> None:
    store.write(extract())
    counts, before = store.counts(), frames(store)
    summary = store.write(extract())
    assert all(n == 0 for n in summary.created.values())
    assert store.counts() == counts
    for name, frame in frames(store).items():
        pd.testing.assert_frame_equal(frame, before[name], obj=name)


def test_a_newer_extract_updates_the_properties_it_carries(store: Store) -> None:
    store.write(extract(amount=120000.0))
    store.write(extract(amount=99000.0))
    contracts = store.snapshot().contracts.set_index("id")
    assert contracts.loc["C1", "amount"] == 99000.0 and contracts.loc["C1", "category"] == "IT设备"
    assert store.counts()["nodes"]["Contract"] == 2


def test_a_newer_extract_replaces_single_valued_links(store: Store) -> None:
    store.write(extract())
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


@pytest.mark.parametrize("missing", ["target", "source"])
def test_a_relationship_whose_end_is_missing_is_refused_and_nothing_is_written(
    store: Store, missing: str
) -> None:
    store.write(extract())
    counts, before = store.counts(), frames(store)
    broken = extract(amount=1.0)
    broken.add_nodes("Person", pd.DataFrame({"id": ["P1"], "name": ["李四"]}))
    ends = (
        {"src": ["E1"], "dst": ["no such phone"]}
        if missing == "target"
        else {"src": ["E9"], "dst": ["13800138000"]}
    )
    broken.add_rels("HAS_PHONE", "Person", "Phone", pd.DataFrame({"src": ["P1"], "dst": ["13800138000"]}))
    broken.rels[("HAS_PHONE", "Employee", "Phone")] = pd.DataFrame(ends)
    with pytest.raises(StoreError, match="HAS_PHONE"):
        store.write(broken)
    assert store.counts() == counts
    assert store.snapshot().contracts.set_index("id").loc["C1", "amount"] == 120000.0
    for name, frame in frames(store).items():
        pd.testing.assert_frame_equal(frame, before[name], obj=name)


# ---- reads ---------------------------------------------------------------------------------


def test_an_analysts_query_reads_and_cannot_write(store: Store) -> None:
    store.write(extract())
    rows = store.query("MATCH (c:Contract) WHERE c.amount > $min RETURN c.id AS id", {"min": 1000})
    assert list(rows["id"]) == ["C1"]
    for write in ("CREATE (:Supplier {id: 'S9', name: 'x'})", "MATCH (c:Contract) SET c.amount = 0"):
        with pytest.raises(StoreQueryError):
            store.query(write)
    assert store.counts()["nodes"]["Supplier"] == 1
    assert set(store.snapshot().contracts["amount"]) == {120000.0, 800.0}


def test_each_store_picks_its_own_variant_of_a_library_query(store: Store) -> None:
    texts = {"neo4j": "MATCH (n:Tender) RETURN n.id AS id", "ladybug": "MATCH (t:Tender) RETURN t.id AS id"}
    chosen = store.cypher_variant(texts)
    assert chosen in texts.values()
    assert store.cypher_variant({"neo4j": texts["neo4j"]}) == texts["neo4j"]
    assert store.query(chosen).empty


def _with_tenders_and_payments() -> GraphData:
    """:func:`extract` with both contracts tendered (two bidders each) and paid."""
    data = extract()
    data.add_nodes(
        "Supplier", pd.DataFrame({"id": ["S2"], "name": ["长江建设有限公司"], "blacklisted": [False]})
    )
    data.add_nodes("Tender", pd.DataFrame({"id": ["T1", "T2"]}))
    data.add_rels(
        "FROM_TENDER", "Contract", "Tender", pd.DataFrame({"src": ["C1", "C2"], "dst": ["T1", "T2"]})
    )
    data.add_rels(
        "BID_ON",
        "Supplier",
        "Tender",
        pd.DataFrame(
            {
                "src": ["S1", "S2", "S1", "S2"],
                "dst": ["T1", "T1", "T2", "T2"],
                "amount": [120000.0, 125000.0, 800.0, 900.0],
                "is_winner": [True, False, True, False],
            }
        ),
    )
    data.add_nodes("BankAccount", pd.DataFrame({"id": ["6222021001000000011"]}))
    data.add_nodes(
        "Payment",
        pd.DataFrame(
            {
                "id": ["P1", "P2"],
                "amount": [60000.0, 800.0],
                "paid_at": pd.to_datetime(["2024-04-01T10:00", "2024-04-02T10:00"]),
                "payee_name": ["华信科技有限公司", "华信科技有限公司"],
            }
        ),
    )
    data.add_rels("PAYS_FOR", "Payment", "Contract", pd.DataFrame({"src": ["P1", "P2"], "dst": ["C1", "C2"]}))
    data.add_rels(
        "PAID_TO",
        "Payment",
        "BankAccount",
        pd.DataFrame({"src": ["P1", "P2"], "dst": ["6222021001000000011"] * 2}),
    )
    return data


def test_a_snapshot_for_some_contracts_has_every_party_and_only_those_contracts(store: Store) -> None:
    store.write(_with_tenders_and_payments())
    whole, some = store.snapshot(), store.snapshot_for(["C1"])

    def rows(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.sort_values(list(frame.columns)).reset_index(drop=True)

    for name in ("departments", "employees", "suppliers", "persons", "relations", "identifiers"):
        pd.testing.assert_frame_equal(rows(getattr(some, name)), rows(getattr(whole, name)), check_like=True)
    assert some.policy == whole.policy
    # the contract frames: C1's rows, exactly as the whole snapshot has them
    for name, column in (("contracts", "id"), ("approvals", "contract_id"), ("payments", "contract_id")):
        wanted = getattr(whole, name)
        pd.testing.assert_frame_equal(rows(getattr(some, name)), rows(wanted[wanted[column] == "C1"]))
    assert list(some.tenders["id"]) == ["T1"]
    assert sorted(some.bids["supplier_id"]) == ["S1", "S2"] and set(some.bids["tender_id"]) == {"T1"}
    assert some.contracts.iloc[0]["tender_id"] == "T1" and some.contracts.iloc[0]["supplier_id"] == "S1"
    assert some.payments.iloc[0]["account"] == "6222021001000000011"
    # none named, none read
    assert store.snapshot_for([]).contracts.empty and store.snapshot_for(["C9"]).approvals.empty


def test_a_subgraph_expands_by_hops_within_its_limit(store: Store) -> None:
    store.write(extract())
    one = store.subgraph(["supplier:S1"], hops=1)
    assert set(one.nodes["key"]) == {"supplier:S1", "contract:C1", "contract:C2", "phone:13800138000"}
    assert ("contract:C1", "supplier:S1", "AWARDED_TO") in set(map(tuple, one.edges.to_numpy()))
    assert one.nodes.set_index("key").loc["supplier:S1", "name"] == "华信科技有限公司"
    assert not one.truncated
    two = store.subgraph(["supplier:S1"], hops=2)
    assert {"employee:E1", "employee:E2"} <= set(two.nodes["key"])
    assert two.nodes.set_index("key").loc["employee:E1", "name"] == "张伟"
    assert ("employee:E1", "phone:13800138000", "HAS_PHONE") in set(map(tuple, two.edges.to_numpy()))
    capped = store.subgraph(["supplier:S1"], hops=2, limit=3)
    assert len(capped.nodes) == 3 and capped.truncated


def test_a_subgraph_leaves_alerts_out(store: Store) -> None:
    store.write(extract())
    store.save_alerts([alert()], datetime(2026, 1, 1, 2, 0))
    keys = set(store.subgraph(["employee:E1"], hops=2).nodes["key"])
    assert not any(k.startswith("alert:") for k in keys)


# ---- alerts --------------------------------------------------------------------------------


def test_alerts_are_upserted_by_id_and_keep_their_case_status(store: Store) -> None:
    store.write(extract())
    first = store.save_alerts([alert()], datetime(2026, 1, 1, 2, 0))
    assert (first.new, first.updated, first.unchanged) == (1, 0, 0)
    store.set_alert_status("AL-1", "reviewing", assignee="调查员甲")
    again = store.save_alerts([alert()], datetime(2026, 1, 2, 2, 0))
    assert (again.new, again.updated, again.unchanged) == (0, 0, 1)
    changed = store.save_alerts([alert(score=0.95, evidence="b")], datetime(2026, 1, 3, 2, 0))
    assert (changed.new, changed.updated, changed.unchanged) == (0, 1, 0)
    rows = store.alerts()
    assert len(rows) == 2 and set(rows["entity_type"]) == {"employee", "supplier"}
    row = rows.iloc[0]
    assert row["status"] == "reviewing" and row["assignee"] == "调查员甲" and row["score"] == 0.95
    assert row["first_seen"] == pd.Timestamp("2026-01-01 02:00")
    assert row["last_seen"] == pd.Timestamp("2026-01-03 02:00")
    assert store.counts()["relationships"]["FLAGS"] == 2
    assert store.counts()["alerts"] == {"high": 1}
    with pytest.raises(StoreError, match="unknown alert status"):
        store.set_alert_status("AL-1", "closed")
    with pytest.raises(StoreError, match="no alert"):
        store.set_alert_status("AL-404", "reviewing")


def test_one_alert_is_read_by_its_id(store: Store) -> None:
    store.write(extract())
    store.save_alerts([alert()], datetime(2026, 1, 1, 2, 0))
    one = store.alert("AL-1")
    pd.testing.assert_frame_equal(one, store.alerts())
    assert set(one["entity_id"]) == {"E1", "S1"} and set(one["status"]) == {"open"}
    assert store.alert("AL-404").empty


def test_an_alert_flagging_a_missing_entity_is_refused_with_the_whole_call(store: Store) -> None:
    store.write(extract())
    other = AlertRecord(**{**alert().__dict__, "id": "AL-2"})
    with pytest.raises(StoreError, match="supplier:S404"):
        store.save_alerts([other, alert(entities=("employee:E1", "supplier:S404"))], datetime(2026, 1, 1))
    assert store.alerts().empty
    assert store.counts()["relationships"]["FLAGS"] == 0


def test_a_status_change_that_names_the_status_it_expects_is_a_compare_and_set(store: Store) -> None:
    store.write(extract())
    store.save_alerts([alert()], datetime(2026, 1, 1, 2, 0))
    store.set_alert_status("AL-1", "reviewing", assignee="调查员甲", expected_status="open")
    # a second change that saw the alert open: someone else got there first
    with pytest.raises(AlertStatusConflict) as refused:
        store.set_alert_status("AL-1", "dismissed", assignee="调查员乙", expected_status="open")
    assert (refused.value.expected, refused.value.actual) == ("open", "reviewing")
    row = store.alert("AL-1").iloc[0]
    assert row["status"] == "reviewing" and row["assignee"] == "调查员甲"


# ---- the two stores agree -----------------------------------------------------------------


@pytest.fixture(scope="module")
def generated_extract(tmp_path_factory: pytest.TempPathFactory) -> GraphData:
    from loaders import load_source
    from loaders.generator import generate

    folder = tmp_path_factory.mktemp("extract")
    generate(folder, scale=600, seed=3)
    return load_source(folder).data


@pytest.fixture(scope="module")
def embedded_generated(
    generated_extract: GraphData, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    """The generated extract in the embedded store: what the Neo4j store must give back."""
    store = LadybugStore(tmp_path_factory.mktemp("embedded") / "store")
    store.write(generated_extract)
    yield store
    store.close()


def test_both_stores_return_the_same_snapshot_for_the_same_extract(
    generated_extract: GraphData, embedded_generated: Store, neo4j_server
) -> None:
    neo4j_server.clear()
    server = Neo4jStore(neo4j_server.uri, auth=neo4j_server.auth)
    try:
        server.write(generated_extract)
        assert embedded_generated.counts() == server.counts()
        ours, theirs = frames(embedded_generated), frames(server)
        assert sum(len(f) for f in ours.values()) > 1000
        for name, frame in ours.items():
            pd.testing.assert_frame_equal(theirs[name], frame, obj=name)
        a, b = embedded_generated.snapshot(), server.snapshot()
        assert a.policy == b.policy
    finally:
        server.close()


# ---- writes larger than one transaction on Neo4j --------------------------------------------


def in_parts(server) -> Neo4jStore:
    """A Neo4j store that commits every 2,000 rows (500 a batch), as a large load does."""
    return Neo4jStore(server.uri, auth=server.auth, batch_size=500, transaction_rows=2_000)


def test_on_neo4j_a_write_larger_than_a_transaction_commits_in_parts_to_the_same_store(
    generated_extract: GraphData, embedded_generated: Store, neo4j_server
) -> None:
    neo4j_server.clear()
    store = in_parts(neo4j_server)
    try:
        # bad data is refused before the first part is committed
        broken = GraphData(
            dict(generated_extract.nodes), dict(generated_extract.rels), generated_extract.policy
        )
        works_in = broken.rels[("WORKS_IN", "Employee", "Department")]
        broken.rels[("WORKS_IN", "Employee", "Department")] = pd.concat(
            [works_in, pd.DataFrame({"src": ["E-nobody"], "dst": [works_in["dst"].iloc[0]]})],
            ignore_index=True,
        )
        with pytest.raises(StoreError, match=r"WORKS_IN .* 1 of .*no Employee E-nobody"):
            store.write(broken)
        assert not any(store.counts()["nodes"].values())

        progress: list[tuple[str, int, int]] = []
        summary = store.write(generated_extract, progress=lambda *p: progress.append(p))
        total = sum(summary.rows.values())
        assert total > 4 * 2_000  # several transactions
        assert [done for _, done, _ in progress] == sorted(done for _, done, _ in progress)
        assert progress[-1][1:] == (total, total)
        assert store.counts() == embedded_generated.counts()
        for name, frame in frames(embedded_generated).items():
            pd.testing.assert_frame_equal(frames(store)[name], frame, obj=name)
        assert store.snapshot().policy == embedded_generated.snapshot().policy
    finally:
        store.close()


def test_on_neo4j_a_large_write_that_fails_part_way_says_what_is_in_and_loading_again_completes_it(
    generated_extract: GraphData, embedded_generated: Store, neo4j_server
) -> None:
    neo4j_server.clear()
    store = in_parts(neo4j_server)
    try:

        def connection_drops(what: str, done: int, total: int) -> None:
            if done > total // 2:
                raise ConnectionResetError("the connection to the server dropped")

        with pytest.raises(PartialWriteError) as failed:
            store.write(generated_extract, progress=connection_drops)
        error = failed.value
        assert 0 < error.committed < error.total
        assert "connection to the server dropped" in str(error) and "again completes it" in error.text("en")
        assert "重新载入同一份数据即可补全" in error.text("zh")

        # what is in the store is what was committed, no row of the failed part (every row of
        # this extract is a node or relationship of its own; the policy comes with the last part)
        def rows_in(counts: dict) -> int:
            return (
                sum(counts["nodes"].values())
                - counts["nodes"]["Policy"]
                + sum(counts["relationships"].values())
            )

        full = embedded_generated.counts()
        assert rows_in(full) == error.total
        assert rows_in(store.counts()) == error.committed
        assert store.counts()["nodes"]["Policy"] == 0

        store.write(generated_extract)
        assert store.counts() == full
        for name, frame in frames(embedded_generated).items():
            pd.testing.assert_frame_equal(frames(store)[name], frame, obj=name)
    finally:
        store.close()


def test_on_neo4j_a_relationship_whose_end_vanished_after_the_check_is_still_refused(neo4j_server) -> None:
    """The ends are checked before writing; a node deleted meanwhile is caught in the write's own
    transaction (each batch counts the rows that found both ends), which then rolls back."""
    neo4j_server.clear()
    store = Neo4jStore(neo4j_server.uri, auth=neo4j_server.auth)
    try:
        store.write(extract())
        counts = store.counts()
        late = GraphData()
        late.add_rels("HAS_PHONE", "Employee", "Phone", pd.DataFrame({"src": ["E2"], "dst": ["13800138000"]}))
        late.add_rels("HAS_PHONE", "Employee", "Phone", pd.DataFrame({"src": ["E2"], "dst": ["vanished"]}))
        batches = write_batches(plan_write(late), 10)
        with pytest.raises(StoreError, match=r"1 of 2 relationships .*no Phone vanished"):
            store._write(lambda run: send_batches(run, batches))
        assert store.counts() == counts
    finally:
        store.close()


# ---- readers and writers --------------------------------------------------------------------


def test_an_embedded_reader_in_another_process_reads_while_a_writer_holds_the_store(tmp_path: Path) -> None:
    writer = LadybugStore(tmp_path / "store")
    try:
        writer.write(extract())
        reader = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from graph.ladybug_store import LadybugStore; "
                "s = LadybugStore(sys.argv[1], read_only=True); print(s.counts()['nodes']['Contract']); s.close()",
                str(tmp_path / "store"),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            cwd=Path(__file__).resolve().parent.parent,
        )
        assert reader.returncode == 0, reader.stderr
        assert reader.stdout.strip() == "2"
        writer.write(extract(amount=5.0))  # the writer goes on writing after the reader
        assert writer.snapshot().contracts.set_index("id").loc["C1", "amount"] == 5.0
    finally:
        writer.close()


def test_a_neo4j_reader_sees_committed_data_while_a_writer_is_mid_transaction(neo4j_server) -> None:
    from neo4j import GraphDatabase

    neo4j_server.clear()
    store = Neo4jStore(neo4j_server.uri, auth=neo4j_server.auth)
    try:
        store.write(extract())
        with (
            GraphDatabase.driver(neo4j_server.uri, auth=neo4j_server.auth) as driver,
            driver.session() as session,
        ):
            tx = session.begin_transaction()
            tx.run("MATCH (c:Contract {id: 'C1'}) SET c.amount = 1.0").consume()
            tx.run("CREATE (:Contract {id: 'C9', amount: 2.0, signed_date: date('2024-01-01')})").consume()
            # the reader neither waits for the writer nor sees its uncommitted changes
            assert store.counts()["nodes"]["Contract"] == 2
            assert store.snapshot().contracts.set_index("id").loc["C1", "amount"] == 120000.0
            tx.commit()
        assert store.counts()["nodes"]["Contract"] == 3
    finally:
        store.close()


def test_on_neo4j_a_concurrent_status_change_waits_for_the_first_and_then_is_refused(neo4j_server) -> None:
    """The lost update that read committed isolation allows: two changes both read 'open'.
    The store reads the status under a write lock, so the second one sees the first's result."""
    from neo4j import GraphDatabase

    neo4j_server.clear()
    store = Neo4jStore(neo4j_server.uri, auth=neo4j_server.auth)
    try:
        store.write(extract())
        store.save_alerts([alert()], datetime(2026, 1, 1, 2, 0))
        outcome: list[BaseException | None] = []
        with (
            GraphDatabase.driver(neo4j_server.uri, auth=neo4j_server.auth) as driver,
            driver.session() as session,
        ):
            first = session.begin_transaction()
            first.run("MATCH (a:Alert {id: 'AL-1'}) SET a.status = 'reviewing'").consume()

            def second_change() -> None:
                try:
                    store.set_alert_status("AL-1", "dismissed", expected_status="open")
                    outcome.append(None)
                except BaseException as exc:  # handed to the test thread
                    outcome.append(exc)

            waiting = threading.Thread(target=second_change)
            waiting.start()
            waiting.join(timeout=2.0)
            assert waiting.is_alive(), "the second change did not wait for the first one's lock"
            first.commit()
            waiting.join(timeout=60)
        assert len(outcome) == 1 and isinstance(outcome[0], AlertStatusConflict)
        assert store.alert("AL-1").iloc[0]["status"] == "reviewing"
    finally:
        store.close()


def test_the_engine_counts_approval_pairs_as_the_repeated_pairs_detector_does(
    store: Store, generated_extract: GraphData
) -> None:
    from detectors.prepare.approvals import UNCATEGORISED
    from detectors.repeated_pairs import _counts, _pair_table

    store.write(generated_extract)
    on_engine = store.approval_pair_counts(UNCATEGORISED)
    keys = ["department_id", "category", "approver_id", "supplier_id"]
    in_python = (
        _counts(_pair_table(store.snapshot()))[[*keys, "n", "value"]].sort_values(keys).reset_index(drop=True)
    )
    assert len(on_engine) > 100
    assert (on_engine["department_id"] != "").any()
    pd.testing.assert_frame_equal(on_engine, in_python, check_exact=False, rtol=1e-9)


def test_the_engine_counts_market_shares_as_the_concentration_detector_does(
    store: Store, generated_extract: GraphData
) -> None:
    from detectors import concentration
    from detectors.policy_rules import exempt_categories

    store.write(generated_extract)
    snapshot = store.snapshot()
    params = concentration.Params()
    excluded = sorted(exempt_categories(snapshot.policy) | set(params.natural_monopoly_categories))
    assert excluded
    on_engine = store.market_shares(excluded)
    keys = ["department_id", "category", "year", "supplier_id"]
    columns = [*keys, "k", "value", "n", "total", "share"]
    per_supplier = concentration._market_cells(concentration._contracts(snapshot, params), params)[1]
    in_python = per_supplier[columns].astype({"year": "int64", "k": "int64", "n": "int64"})
    in_python = in_python.sort_values(keys).reset_index(drop=True)
    assert len(on_engine) > 100 and on_engine["share"].between(0, 1).all()
    assert not set(on_engine["category"]) & set(excluded)
    pd.testing.assert_frame_equal(on_engine, in_python, check_exact=False, rtol=1e-9)


# ---- cases -------------------------------------------------------------------------------------
CASE_FAMILY = {
    "repeated_pairs": "concentration",
    "conflict_paths": "relationship",
    "price_anomalies": "price",
}
CASE_SEEN = datetime(2026, 3, 1, 2, 0)


def case_graph() -> GraphData:
    data = GraphData()
    data.add_nodes("Employee", pd.DataFrame({"id": ["E1", "E2"], "name": ["张伟", "李娜"]}))
    data.add_nodes("Supplier", pd.DataFrame({"id": ["S1", "S2", "S3"], "name": ["华信", "恒通", "远大"]}))
    data.add_nodes("Person", pd.DataFrame({"id": ["P1"], "name": ["王芳"]}))
    return data


def case_alert(alert_id: str, detector: str, score: float, *entities: str) -> AlertRecord:
    level = "high" if score > 0.7 else "medium" if score > 0.4 else "low"
    return AlertRecord(
        id=alert_id,
        detector=detector,
        subject=alert_id,
        score=score,
        level=level,
        grade={"high": "一级", "medium": "二级"}.get(level, "三级"),
        title_zh=detector,
        title_en=detector,
        explanation_zh="说明",
        explanation_en="explanation",
        evidence={"rows": [alert_id]},
        entities=entities,
    )


CASE_ALERTS = [
    case_alert("AL-1", "repeated_pairs", 0.6, "employee:E1", "supplier:S1"),
    case_alert("AL-2", "conflict_paths", 0.6, "supplier:S1", "person:P1"),
    case_alert("AL-3", "price_anomalies", 0.9, "supplier:S3"),
]


@pytest.fixture
def alerted(store: Store) -> Store:
    """The store of each kind with three parties' alerts in it: two share a supplier."""
    store.write(case_graph())
    store.save_alerts(CASE_ALERTS, CASE_SEEN)
    return store


def test_cases_and_their_alerts_are_written_together_and_read_back(alerted: Store) -> None:
    store = alerted
    plan = group_alerts(store.alerts(), CASE_FAMILY)
    write_cases(store, plan.cases, {}, CASE_SEEN)
    cases = read_cases(store)
    assert len(cases) == 2
    # riskiest first: the price screen at 0.9, then the corroborated pair
    assert list(cases["score"]) == sorted(cases["score"], reverse=True)
    top = cases.set_index("case_id", drop=False).loc[plan.case_of()["AL-1"]]
    # the pair and the relationship path corroborate each other: 1 - 0.4 * 0.4
    assert sorted(top["families"]) == ["concentration", "relationship"]
    assert top["score"] == pytest.approx(0.84) and top["alerts"] == 2 and top["status"] == "open"
    assert top["entities"][:2] == ["supplier:S1", "employee:E1"]
    rows = store.alerts()
    by_alert = dict(zip(rows["alert_id"], rows["case_id"], strict=False))
    assert by_alert["AL-1"] == by_alert["AL-2"] == top["case_id"] != by_alert["AL-3"]


def test_a_case_moves_with_its_alerts_by_compare_and_set(alerted: Store) -> None:
    store = alerted
    plan = group_alerts(store.alerts(), CASE_FAMILY)
    write_cases(store, plan.cases, {}, CASE_SEEN)
    case_id = plan.case_of()["AL-1"]
    set_case_state(store, case_id, "reviewing", "审计员甲", expected_status="open")
    rows = store.alerts()
    mine = rows[rows["case_id"] == case_id].drop_duplicates("alert_id")
    assert set(mine["status"]) == {"reviewing"} and set(mine["assignee"]) == {"审计员甲"}
    with pytest.raises(CaseStatusConflict) as conflict:
        set_case_state(store, case_id, "dismissed", expected_status="open")
    assert conflict.value.actual == "reviewing"
    assert read_cases(store).set_index("case_id").loc[case_id, "status"] == "reviewing"
    # the other case did not move
    other = plan.case_of()["AL-3"]
    assert read_cases(store).set_index("case_id").loc[other, "status"] == "open"


def test_many_cases_move_in_one_transaction_all_or_none(alerted: Store) -> None:
    store = alerted
    plan = group_alerts(store.alerts(), CASE_FAMILY)
    write_cases(store, plan.cases, {}, CASE_SEEN)
    pair, price = plan.case_of()["AL-1"], plan.case_of()["AL-3"]
    set_case_state(store, price, "reviewing")
    # one of them is no longer where the caller saw it: neither moves
    with pytest.raises(CaseStatusConflict) as conflict:
        store.set_case_states({pair: "open", price: "open"}, "dismissed")
    assert conflict.value.actual == "reviewing"
    assert read_cases(store).set_index("case_id")["status"].to_dict() == {pair: "open", price: "reviewing"}
    store.set_case_states({pair: "open", price: "reviewing"}, "dismissed")
    assert set(read_cases(store)["status"]) == {"dismissed"}
    assert set(store.alerts()["status"]) == {"dismissed"}  # every alert of both cases with them


def test_regrouping_keeps_ids_and_work_and_keeps_a_merged_case_findable(
    alerted: Store, tmp_path: Path
) -> None:
    store = alerted
    audit = AuditLog(tmp_path / "trail")
    first = update_cases(store, audit, CASE_FAMILY, CASE_SEEN)
    pair, price = first.case_of()["AL-1"], first.case_of()["AL-3"]
    set_case_state(store, price, "reviewing", "审计员乙")
    # the next run is the same: nothing changes
    again = update_cases(store, audit, CASE_FAMILY, CASE_SEEN)
    assert again.case_of() == first.case_of() and again.events == []
    # a new alert ties the price case to the pair: the case being worked keeps its id
    store.save_alerts([case_alert("AL-4", "price_anomalies", 0.5, "supplier:S3", "employee:E1")], CASE_SEEN)
    merged = update_cases(store, audit, CASE_FAMILY, CASE_SEEN)
    assert set(merged.case_of().values()) == {price}
    cases = read_cases(store).set_index("case_id")
    assert cases.loc[pair, "merged_into"] == price and cases.loc[pair, "alerts"] == 0
    assert (cases.loc[price, "status"], cases.loc[price, "assignee"]) == ("reviewing", "审计员乙")
    assert resolve_case(read_cases(store), pair) == price
    rows = store.alerts().drop_duplicates("alert_id")
    assert set(rows["case_id"]) == {price} and set(rows["status"]) == {"reviewing"}
    assert [e["action"] for e in audit.entries()] == ["case.merge"]
    assert audit.entries()[0]["details"]["merged"] == pair


# ---- learned models and scores (graph.learned) -------------------------------------------------


def test_learned_models_are_kept_one_active_and_an_earlier_one_restored(store: Store) -> None:
    from graph.learned import activate_model, active_model, read_models, save_model

    assert read_models(store).empty and active_model(store) is None
    save_model(store, "LM-1", {"version": "LM-1", "training": {"positive": 20}}, datetime(2026, 1, 1, 8, 0))
    save_model(store, "LM-2", {"version": "LM-2", "training": {"positive": 25}}, datetime(2026, 1, 2, 8, 0))
    models = read_models(store)
    assert list(models["version"]) == ["LM-2", "LM-1"] and list(models["active"]) == [True, False]
    assert active_model(store) == {"version": "LM-2", "training": {"positive": 25}}
    activate_model(store, "LM-1")
    assert active_model(store)["version"] == "LM-1"
    # restoring rewrites the flags, never the models themselves
    assert read_models(store).set_index("version").at["LM-2", "document"]["training"] == {"positive": 25}
    with pytest.raises(KeyError):
        activate_model(store, "LM-9")
    with pytest.raises(StoreError):
        save_model(store, "LM-1", {}, datetime(2026, 1, 3, 8, 0))


def test_learned_scores_stand_beside_the_rule_score_and_can_be_cleared(store: Store) -> None:
    from graph.learned import write_learned_scores

    store.write(extract())
    store.save_alerts([alert(0.9)], datetime(2024, 3, 10, 2, 0))
    update_cases(store, None, {"repeated_pairs": "relationship"}, datetime(2024, 3, 10, 2, 0))
    case_id = store.alert("AL-1")["case_id"].iloc[0]
    reasons = [
        {"code": "shared_confirmed", "zh": "与已确认案件 CS-9 共用 2 家投标人/供应商", "en": "shares 2"}
    ]
    write_learned_scores(
        store,
        pd.DataFrame(
            {
                "id": ["AL-1"],
                "learned_score": [0.31],
                "learned_level": ["low"],
                "learned_reasons": [reasons],
                "learned_model": ["LM-1"],
            }
        ),
        pd.DataFrame(
            {"id": [case_id], "learned_score": [0.31], "learned_level": ["low"], "learned_reasons": [reasons]}
        ),
    )
    row = store.alert("AL-1").iloc[0]
    assert row["score"] == 0.9 and row["level"] == "high"  # the rule score untouched
    assert row["learned_score"] == pytest.approx(0.31) and row["learned_model"] == "LM-1"
    assert json.loads(row["learned_reasons"]) == reasons
    case = read_cases(store).set_index("case_id").loc[case_id]
    assert case["learned_score"] == pytest.approx(0.31) and case["learned_reasons"] == reasons
    # a new detector run keeps them; clearing writes nothing but the learned columns
    store.save_alerts([alert(0.9)], datetime(2024, 3, 11, 2, 0))
    assert store.alert("AL-1").iloc[0]["learned_score"] == pytest.approx(0.31)
    cleared = {"learned_score": [None], "learned_level": [None], "learned_reasons": [None]}
    write_learned_scores(
        store,
        pd.DataFrame({"id": ["AL-1"], **cleared, "learned_model": [None]}),
        pd.DataFrame({"id": [case_id], **cleared}),
    )
    row = store.alert("AL-1").iloc[0]
    assert pd.isna(row["learned_score"]) and pd.isna(row["learned_model"]) and row["score"] == 0.9
    assert pd.isna(read_cases(store).set_index("case_id").at[case_id, "learned_score"])

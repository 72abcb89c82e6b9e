"""Cases in a store (graph.cases over the Store protocol): written with their alerts in one
transaction, read back, moved by compare-and-set, merged-away ids kept; re-grouping after a run
keeps ids and statuses. Runs on the embedded store, and on a Neo4j server when
``SUNLIGHT_TEST_NEO4J_URI`` names one (with ``NEO4J_USERNAME`` / ``NEO4J_PASSWORD``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from detectors.case_grouping import group_alerts
from graph.cases import read_cases, resolve_case, set_case_state, write_cases
from graph.dataset import GraphData
from graph.errors import CaseStatusConflict
from graph.ladybug_store import LadybugStore
from graph.store import AlertRecord, Store
from sunlight.audit import AuditLog
from sunlight.cases import update_cases

FAMILY = {"repeated_pairs": "concentration", "conflict_paths": "relationship", "price_anomalies": "price"}
SEEN = datetime(2026, 3, 1, 2, 0)


def graph() -> GraphData:
    import pandas as pd

    data = GraphData()
    data.add_nodes("Employee", pd.DataFrame({"id": ["E1", "E2"], "name": ["张伟", "李娜"]}))
    data.add_nodes("Supplier", pd.DataFrame({"id": ["S1", "S2", "S3"], "name": ["华信", "恒通", "远大"]}))
    data.add_nodes("Person", pd.DataFrame({"id": ["P1"], "name": ["王芳"]}))
    return data


def alert(alert_id: str, detector: str, score: float, *entities: str) -> AlertRecord:
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


ALERTS = [
    alert("AL-1", "repeated_pairs", 0.6, "employee:E1", "supplier:S1"),
    alert("AL-2", "conflict_paths", 0.6, "supplier:S1", "person:P1"),
    alert("AL-3", "price_anomalies", 0.9, "supplier:S3"),
]


def _neo4j_store() -> Store:
    from graph.neo4j_store import Neo4jStore

    store = Neo4jStore.from_env(os.environ["SUNLIGHT_TEST_NEO4J_URI"])
    # a test server of its own: start from an empty graph
    store._write_all(lambda run: run("MATCH (n) DETACH DELETE n"))
    return store


@pytest.fixture(params=["embedded", "neo4j"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "neo4j":
        if not os.environ.get("SUNLIGHT_TEST_NEO4J_URI"):
            pytest.skip("no Neo4j test server (SUNLIGHT_TEST_NEO4J_URI)")
        opened: Store = _neo4j_store()
    else:
        opened = LadybugStore(tmp_path / "store")
    opened.write(graph())
    opened.save_alerts(ALERTS, SEEN)
    yield opened
    opened.close()


def test_cases_and_their_alerts_are_written_together_and_read_back(store: Store):
    plan = group_alerts(store.alerts(), FAMILY)
    write_cases(store, plan.cases, {}, SEEN)
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


def test_a_case_moves_with_its_alerts_by_compare_and_set(store: Store):
    plan = group_alerts(store.alerts(), FAMILY)
    write_cases(store, plan.cases, {}, SEEN)
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


def test_regrouping_keeps_ids_and_work_and_keeps_a_merged_case_findable(store: Store, tmp_path: Path):
    audit = AuditLog(tmp_path / "trail")
    first = update_cases(store, audit, FAMILY, SEEN)
    pair, price = first.case_of()["AL-1"], first.case_of()["AL-3"]
    set_case_state(store, price, "reviewing", "审计员乙")
    # the next run is the same: nothing changes
    again = update_cases(store, audit, FAMILY, SEEN)
    assert again.case_of() == first.case_of() and again.events == []
    # a new alert ties the price case to the pair: the case being worked keeps its id
    store.save_alerts([alert("AL-4", "price_anomalies", 0.5, "supplier:S3", "employee:E1")], SEEN)
    merged = update_cases(store, audit, FAMILY, SEEN)
    assert set(merged.case_of().values()) == {price}
    cases = read_cases(store).set_index("case_id")
    assert cases.loc[pair, "merged_into"] == price and cases.loc[pair, "alerts"] == 0
    assert (cases.loc[price, "status"], cases.loc[price, "assignee"]) == ("reviewing", "审计员乙")
    assert resolve_case(read_cases(store), pair) == price
    rows = store.alerts().drop_duplicates("alert_id")
    assert set(rows["case_id"]) == {price} and set(rows["status"]) == {"reviewing"}
    assert [e["action"] for e in audit.entries()] == ["case.merge"]
    assert audit.entries()[0]["details"]["merged"] == pair

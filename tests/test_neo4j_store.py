"""The Neo4j store without a server: its statements, batching, value conversions and errors.

What needs no server is checked here: the statements (rendered from the schema, and
linted by Neo4j's own linter in ``test_cypher_lint.py``), the rows the driver is sent,
how a write is cut into batches and transactions, the check of relationship ends, the
driver's own temporal types coming back, its own exception classes, and a real
connection attempt to a closed port. What the server does with them is the store
contract's business (``test_store_contract.py``, on the real test server).
"""

from __future__ import annotations

import socket
from datetime import UTC, datetime

import pandas as pd
import pytest
from neo4j.exceptions import (
    AuthError,
    ConfigurationError,
    Neo4jError,
    ServiceUnavailable,
    TransientError,
)
from neo4j.time import Date, DateTime

from graph.cypher_store import neighbour_hops, neighbour_statement
from graph.dataset import GraphData
from graph.errors import StoreError, StoreQueryError, StoreUnavailable
from graph.neo4j_store import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_TRANSACTION_ROWS,
    Neo4jStore,
    check_ends,
    constraint_statements,
    frame_from_records,
    group_transactions,
    index_statements,
    node_merge_statement,
    plan_write,
    rel_merge_statement,
    rel_replace_statement,
    replacement_rows,
    statements_for_linting,
    translate_error,
    write_batches,
)
from graph.schema import NODE_TYPES, REL_TYPES
from graph.snapshot import SNAPSHOT_QUERIES
from graph.stores import open_store


def closed_port() -> int:
    """A localhost port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_failure(code: str, message: str) -> Neo4jError:
    """The exception the driver raises when a server answers FAILURE with ``code``."""
    return Neo4jError._hydrate_neo4j(code=code, message=message)


# ---- schema statements ----------------------------------------------------------------


def test_one_uniqueness_constraint_per_label() -> None:
    statements = constraint_statements()
    assert len(statements) == len(NODE_TYPES)
    assert (
        "CREATE CONSTRAINT sunlight_supplier_id IF NOT EXISTS FOR (n:Supplier) REQUIRE n.id IS UNIQUE"
        in statements
    )
    names = [s.split()[2] for s in statements]
    assert len(set(names)) == len(names)


def test_indexes_are_idempotent_and_named_uniquely() -> None:
    statements = index_statements()
    assert all(" IF NOT EXISTS FOR (n:" in s for s in statements)
    assert (
        "CREATE INDEX sunlight_contract_signed_date IF NOT EXISTS FOR (n:Contract) ON (n.signed_date)"
        in statements
    )
    names = [s.split()[2] for s in statements + constraint_statements()]
    assert len(set(names)) == len(names)


# ---- write statements and batches -------------------------------------------------------


def test_a_node_upsert_sets_only_the_columns_given() -> None:
    assert node_merge_statement("Supplier", ["id", "name"]) == (
        "UNWIND $rows AS row MERGE (n:Supplier {id: row.id}) SET n.name = row.name"
    )
    assert node_merge_statement("Tender", ["id"]) == "UNWIND $rows AS row MERGE (n:Tender {id: row.id})"
    assert node_merge_statement("Contract", ["id", "signed_date"]).endswith(
        "SET n.signed_date = date(row.signed_date)"
    )


def test_a_relationship_upsert_keys_on_its_identity_properties() -> None:
    text = rel_merge_statement("APPROVED", "Employee", "Contract", ["src", "dst", "step", "approved_at"])
    assert "MERGE (a)-[r:APPROVED {step: row.step}]->(b)" in text
    # timestamps travel as ISO text and are stored as LOCAL DATETIME
    assert text.endswith("SET r.approved_at = localdatetime(row.approved_at) RETURN count(*) AS matched")
    assert "MATCH (a:Employee) WHERE a.id = row.src" in text


def dated_graph() -> GraphData:
    g = GraphData()
    g.add_nodes(
        "Contract",
        pd.DataFrame(
            {
                "id": ["C1", "C2", "C3"],
                "amount": [1000.0, float("nan"), 3.5],
                "signed_date": pd.to_datetime(["2024-01-31", "2024-02-01", None]),
                "quantity": pd.array([2, None, 4], dtype="Float64"),
            }
        ),
    )
    g.add_nodes("Employee", pd.DataFrame({"id": ["E1"], "name": ["李明"]}))
    g.add_rels(
        "APPROVED",
        "Employee",
        "Contract",
        pd.DataFrame(
            {
                "src": ["E1", "E1"],
                "dst": ["C1", "C2"],
                "step": pd.array([1, 2], dtype="Int64"),
                "approved_at": pd.to_datetime(["2024-01-31 09:30", "2024-02-01 23:10"]),
            }
        ),
    )
    return g


def test_rows_reach_the_driver_as_plain_values_dates_as_iso_text() -> None:
    steps = [s for s in plan_write(dated_graph()) if not s.replaces]
    assert [s.what for s in steps] == ["Contract", "Employee", "APPROVED"]
    contracts = next(steps[0].batches(10))
    # the statement turns the text into a DATE (date(row.signed_date)); the round trip through
    # the server is checked by the store contract (the same snapshot as the embedded store's)
    assert contracts[0] == {"id": "C1", "amount": 1000.0, "signed_date": "2024-01-31", "quantity": 2.0}
    assert contracts[1]["amount"] is None and contracts[1]["quantity"] is None
    assert contracts[2]["signed_date"] is None
    approvals = next(steps[2].batches(10))
    assert approvals[1] == {"src": "E1", "dst": "C2", "step": 2, "approved_at": "2024-02-01T23:10:00.000000"}
    assert type(approvals[1]["step"]) is int


def test_a_timestamp_with_a_zone_is_sent_as_local_time() -> None:
    g = GraphData()
    g.add_rels(
        "APPROVED",
        "Employee",
        "Contract",
        pd.DataFrame(
            {
                "src": ["E1"],
                "dst": ["C1"],
                "step": [1],
                "approved_at": pd.to_datetime(["2024-02-01T15:10:00+00:00"]),
            }
        ),
    )
    [row] = next(plan_write(g)[-1].batches(10))
    local = datetime(2024, 2, 1, 15, 10, tzinfo=UTC).astimezone().replace(tzinfo=None)
    assert row["approved_at"] == local.isoformat(timespec="microseconds")


def test_batches_split_every_frame_and_transactions_never_split_a_batch() -> None:
    g = GraphData()
    g.add_nodes("Tender", pd.DataFrame({"id": [f"T{i}" for i in range(5)]}))
    g.add_nodes("Department", pd.DataFrame({"id": ["D1", "D2"]}))
    batches = write_batches(plan_write(g), 2)
    assert [(b.step.what, b.start, b.stop) for b in batches] == [
        ("Tender", 0, 2),
        ("Tender", 2, 4),
        ("Tender", 4, 5),
        ("Department", 0, 2),
    ]
    assert [[b.size for b in t] for t in group_transactions(batches, 3)] == [[2], [2, 1], [2]]
    assert [[b.size for b in t] for t in group_transactions(batches, 4)] == [[2, 2], [1, 2]]
    # a write no larger than one transaction, or no limit, is one transaction
    assert len(group_transactions(batches, 7)) == len(group_transactions(batches, None)) == 1
    assert group_transactions([], 3) == [[]]


def test_a_newer_extract_replaces_links_per_key_before_merging() -> None:
    steps = [s for s in plan_write(dated_graph()) if s.what == "APPROVED"]
    assert [s.replaces for s in steps] == [True, False]
    replace = steps[0]
    assert replace.statement == rel_replace_statement("APPROVED", "Employee", "Contract")
    assert "b.id = row.dst AND r.step = row.step AND NOT a.id IN row.keep DELETE r" in replace.statement
    assert next(iter(replace.batches(10))) == [
        {"dst": "C1", "step": 1, "keep": ["E1"]},
        {"dst": "C2", "step": 2, "keep": ["E1"]},
    ]
    assert rel_replace_statement("BID_ON", "Supplier", "Tender") is None


def test_the_links_a_newer_extract_keeps_are_grouped_per_key_sorted() -> None:
    frame = pd.DataFrame(
        {"src": ["E3", "E1", "E2", "E1"], "dst": ["C1", "C2", "C1", "C1"], "step": [1, 2, 1, 1]}
    )
    rows = replacement_rows("APPROVED", frame)
    assert rows.to_dict("records") == [
        {"dst": "C1", "step": 1, "keep": ["E1", "E2", "E3"]},
        {"dst": "C2", "step": 2, "keep": ["E1"]},
    ]
    assert replacement_rows("AWARDED_TO", frame.iloc[:0][["src", "dst"]]).empty


def test_ends_missing_from_the_write_and_the_store_are_refused_before_writing() -> None:
    g = dated_graph()
    g.add_rels("WORKS_IN", "Employee", "Department", pd.DataFrame({"src": ["E1", "E7"], "dst": ["D1", "D1"]}))
    asked: list[tuple[str, list[str]]] = []

    def present(label: str, ids: list[str]) -> set[str]:
        asked.append((label, ids))
        return {"D1"} if label == "Department" else set()

    with pytest.raises(StoreError, match=r"WORKS_IN \(Employee -> Department\).* 1 of 2 .*no Employee E7"):
        check_ends(g, plan_write(g), present)
    # only the ids the write does not bring itself are looked up in the store
    assert asked == [("Employee", ["E7"]), ("Department", ["D1"])]
    g.rels[("WORKS_IN", "Employee", "Department")] = pd.DataFrame({"src": ["E1"], "dst": ["D1"]})
    check_ends(g, plan_write(g), present)


# ---- reads ----------------------------------------------------------------------------


def test_temporal_values_come_back_as_pandas_datetimes() -> None:
    frame = frame_from_records(
        ["signed_date", "approved_at", "name"],
        [
            [Date(2024, 1, 31), DateTime(2024, 1, 31, 9, 30, 0), "甲"],
            [None, None, None],
        ],
    )
    assert frame["signed_date"].dtype == "datetime64[us]"
    assert frame["signed_date"].iloc[0] == pd.Timestamp("2024-01-31")
    assert pd.isna(frame["signed_date"].iloc[1])
    assert frame["approved_at"].iloc[0] == pd.Timestamp("2024-01-31 09:30")
    assert frame["name"].iloc[0] == "甲"
    assert pd.isna(frame["name"].iloc[1])


def test_an_empty_result_keeps_its_columns() -> None:
    frame = frame_from_records(["a", "b"], [])
    assert list(frame.columns) == ["a", "b"]
    assert frame.empty


def test_subgraphs_expand_only_along_relationships_the_schema_has() -> None:
    hops = {(h.rel, h.other, h.outgoing) for h in neighbour_hops("Tender")}
    assert hops == {("BID_ON", "Supplier", False), ("FROM_TENDER", "Contract", False)}
    assert all(not h.outgoing for h in neighbour_hops("Phone"))
    assert neighbour_hops("Alert") == [] and neighbour_statement("Alert") is None
    supplier = {h.rel for h in neighbour_hops("Supplier")}
    assert "FLAGS" not in supplier and {"AWARDED_TO", "BID_ON", "HAS_PHONE", "OWNS"} <= supplier
    # one branch per hop, each typed at both ends
    text = neighbour_statement("Tender")
    assert text is not None and text.count(" UNION ALL ") == 1
    assert "(n:Tender {id: i})<-[:BID_ON]-(m:Supplier)" in text


# ---- the statements handed to the linter ------------------------------------------------


def test_every_statement_template_is_offered_to_the_linter() -> None:
    names = [s.name for s in statements_for_linting()]
    assert len(set(names)) == len(names)
    for spec in NODE_TYPES:
        assert f"merge:{spec.label}" in names
        assert f"count:{spec.label}" in names
    for rel in REL_TYPES:
        for src, dst in rel.ends:
            assert f"merge:{rel.type}:{src}:{dst}" in names
    for name in SNAPSHOT_QUERIES:
        assert f"snapshot:{name}" in names
    for name in (
        "alerts:merge",
        "alerts:list",
        "alerts:status",
        "alerts:lock",
        "alerts:levels",
        "policy",
        "gds:probe",
    ):
        assert name in names


def test_every_linted_statement_carries_a_value_for_each_parameter() -> None:
    from sunlight.querylib import parameters_used

    for statement in statements_for_linting():
        assert parameters_used(statement.text) == set(statement.parameters), statement.name


# ---- errors ---------------------------------------------------------------------------


URI = "neo4j://graph.example.internal:7687"


def test_bad_credentials_name_the_uri() -> None:
    exc = server_failure(
        "Neo.ClientError.Security.Unauthorized", "The client is unauthorized due to authentication failure."
    )
    assert isinstance(exc, AuthError)
    error = translate_error(exc, URI)
    assert isinstance(error, StoreUnavailable)
    assert URI in str(error)
    assert "NEO4J_PASSWORD" in str(error)
    assert "authentication failure" in str(error)


def test_an_unknown_database_is_named() -> None:
    exc = server_failure("Neo.ClientError.Database.DatabaseNotFound", "Database does not exist: audit")
    error = translate_error(exc, URI, database="audit")
    assert isinstance(error, StoreUnavailable)
    assert "'audit'" in str(error) and URI in str(error)


def test_a_write_in_a_read_only_query_is_refused_with_the_query() -> None:
    exc = server_failure("Neo.ClientError.Statement.AccessMode", "Writing in read access mode not allowed.")
    error = translate_error(exc, URI, query="CREATE (:Tender {id: $id})")
    assert isinstance(error, StoreQueryError)
    assert "read-only" in str(error)
    assert error.query == "CREATE (:Tender {id: $id})"


def test_a_syntax_error_carries_the_statement() -> None:
    exc = server_failure("Neo.ClientError.Statement.SyntaxError", "Invalid input 'MATC'")
    error = translate_error(exc, URI, query="MATC (n) RETURN n")
    assert isinstance(error, StoreQueryError)
    assert "MATC (n) RETURN n" in str(error)


def test_transient_failures_that_outlast_the_retries_are_reported() -> None:
    exc = server_failure("Neo.TransientError.Transaction.DeadlockDetected", "deadlock")
    assert isinstance(exc, TransientError)
    assert isinstance(translate_error(exc, URI, query="MERGE (n:Tender {id: $id})"), StoreQueryError)


def test_driver_level_failures_are_unavailability() -> None:
    assert isinstance(translate_error(ServiceUnavailable("no route"), URI), StoreUnavailable)
    assert isinstance(translate_error(ConfigurationError("bad option"), URI), StoreUnavailable)


@pytest.mark.parametrize("scheme", ["bolt", "neo4j"])
def test_an_unreachable_server_is_named(scheme: str) -> None:
    uri = f"{scheme}://127.0.0.1:{closed_port()}"
    with pytest.raises(StoreUnavailable, match="cannot reach Neo4j at " + uri.replace("+", r"\+")):
        Neo4jStore(uri, auth=("neo4j", "secret"), connection_timeout=5)


def test_a_uri_that_is_not_bolt_is_refused() -> None:
    with pytest.raises(StoreUnavailable, match=r"http://localhost:7474.*bolt://"):
        Neo4jStore("http://localhost:7474")


def test_batch_size_and_rows_per_transaction_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Neo4jStore(f"bolt://127.0.0.1:{closed_port()}", batch_size=0)
    with pytest.raises(ValueError, match="at least 1"):
        Neo4jStore(f"bolt://127.0.0.1:{closed_port()}", transaction_rows=0)


def test_from_env_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    uri = f"bolt://127.0.0.1:{closed_port()}"
    monkeypatch.setenv("NEO4J_USERNAME", "auditor")
    monkeypatch.setenv("NEO4J_PASSWORD", "secret")
    monkeypatch.setenv("NEO4J_DATABASE", "audit")
    with pytest.raises(StoreUnavailable, match=uri):
        Neo4jStore.from_env(uri)
    monkeypatch.setenv("SUNLIGHT_NEO4J_TRANSACTION_ROWS", "all of them")
    with pytest.raises(StoreError, match="SUNLIGHT_NEO4J_TRANSACTION_ROWS"):
        Neo4jStore.from_env(uri)
    monkeypatch.setenv("SUNLIGHT_NEO4J_BATCH_SIZE", "lots")
    with pytest.raises(StoreError, match="SUNLIGHT_NEO4J_BATCH_SIZE"):
        Neo4jStore.from_env(uri)


def test_from_env_needs_a_uri(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEO4J_URI", raising=False)
    with pytest.raises(StoreUnavailable, match="NEO4J_URI"):
        Neo4jStore.from_env(None)


def test_open_store_reaches_for_neo4j_when_given_a_uri(monkeypatch: pytest.MonkeyPatch) -> None:
    uri = f"bolt://127.0.0.1:{closed_port()}"
    monkeypatch.delenv("NEO4J_USERNAME", raising=False)
    monkeypatch.delenv("NEO4J_PASSWORD", raising=False)
    with pytest.raises(StoreUnavailable, match=uri):
        open_store(neo4j_uri=uri)


def test_default_batch_size_is_moderate() -> None:
    assert 1_000 <= DEFAULT_BATCH_SIZE <= 50_000
    assert DEFAULT_BATCH_SIZE <= DEFAULT_TRANSACTION_ROWS <= 200_000

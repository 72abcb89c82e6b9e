"""The Neo4j store without a server: its statements, batching, value conversions and errors.

No Neo4j server can run where Sunlight is built. What can be checked here is
checked for real: the statements (rendered from the schema, and linted by Neo4j's
own linter in ``test_cypher_lint.py``), the rows the driver would be sent, the
driver's own temporal types coming back, its own exception classes, and a real
connection attempt to a closed port.
"""

from __future__ import annotations

import socket
from datetime import date, datetime

import pandas as pd
import pytest
from neo4j import SummaryCounters
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
    BatchResult,
    Neo4jStore,
    constraint_statements,
    frame_from_records,
    index_statements,
    node_merge_statement,
    plan_write,
    rel_merge_statement,
    rel_replace_statement,
    send_batches,
    statements_for_linting,
    translate_error,
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


def test_a_relationship_upsert_keys_on_its_identity_properties() -> None:
    text = rel_merge_statement("APPROVED", "Employee", "Contract", ["src", "dst", "step", "approved_at"])
    assert "MERGE (a)-[r:APPROVED {step: row.step}]->(b)" in text
    assert text.endswith("SET r.approved_at = row.approved_at RETURN count(*) AS matched")
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


def test_rows_reach_the_driver_as_its_native_types() -> None:
    steps = [s for s in plan_write(dated_graph()) if not s.replaces]
    assert [s.what for s in steps] == ["Contract", "Employee", "APPROVED"]
    contracts = next(steps[0].batches(10))
    assert contracts[0] == {"id": "C1", "amount": 1000.0, "signed_date": date(2024, 1, 31), "quantity": 2.0}
    # the driver sends a Python date as a Cypher DATE, a naive datetime as LOCAL DATETIME
    assert type(contracts[0]["signed_date"]) is date
    assert Date.from_native(contracts[0]["signed_date"]) == Date(2024, 1, 31)
    assert contracts[1]["amount"] is None and contracts[1]["quantity"] is None
    assert contracts[2]["signed_date"] is None
    approvals = next(steps[2].batches(10))
    assert approvals[1] == {"src": "E1", "dst": "C2", "step": 2, "approved_at": datetime(2024, 2, 1, 23, 10)}
    assert type(approvals[1]["step"]) is int
    assert approvals[1]["approved_at"].tzinfo is None


def test_batches_split_every_frame_and_report_progress() -> None:
    g = GraphData()
    g.add_nodes("Tender", pd.DataFrame({"id": [f"T{i}" for i in range(5)]}))
    g.add_nodes("Department", pd.DataFrame({"id": ["D1", "D2"]}))
    sent: list[tuple[str, int]] = []
    progress: list[tuple[str, int, int]] = []

    def run(cypher: str, params: dict) -> BatchResult:
        sent.append((cypher, len(params["rows"])))
        return BatchResult(pd.DataFrame(), SummaryCounters({"nodes-created": len(params["rows"]) - 1}))

    created = send_batches(run, plan_write(g), 2, lambda *p: progress.append(p))
    assert [n for _, n in sent] == [2, 2, 1, 2]
    assert {c for c, _ in sent} == {
        node_merge_statement("Tender", ["id"]),
        node_merge_statement("Department", ["id"]),
    }
    assert created == {"Tender": 2, "Department": 1}
    assert progress == [("Tender", 2, 7), ("Tender", 4, 7), ("Tender", 5, 7), ("Department", 7, 7)]


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


def test_relationship_counts_come_from_the_relationship_counter() -> None:
    steps = [s for s in plan_write(dated_graph()) if s.what == "APPROVED"]

    def run(cypher: str, params: dict) -> BatchResult:
        matched = pd.DataFrame({"matched": [len(params["rows"])]})
        return BatchResult(matched, SummaryCounters({"relationships-created": 2}))

    created = send_batches(run, steps, 100)
    assert created == {"APPROVED": 2}


def test_a_relationship_batch_whose_ends_are_missing_is_refused_with_examples() -> None:
    steps = [s for s in plan_write(dated_graph()) if s.what == "APPROVED" and not s.replaces]

    def run(cypher: str, params: dict) -> BatchResult:
        if cypher.startswith("UNWIND $rows AS row OPTIONAL MATCH"):
            missing = pd.DataFrame(
                {"src": ["E1"], "dst": ["C2"], "src_missing": [False], "dst_missing": [True]}
            )
            return BatchResult(missing, SummaryCounters({}))
        return BatchResult(pd.DataFrame({"matched": [1]}), SummaryCounters({"relationships-created": 1}))

    with pytest.raises(StoreError, match=r"1 of 2 relationships reference nodes .*no Contract C2"):
        send_batches(run, steps, 100)


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


def test_batch_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Neo4jStore(f"bolt://127.0.0.1:{closed_port()}", batch_size=0)


def test_from_env_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    uri = f"bolt://127.0.0.1:{closed_port()}"
    monkeypatch.setenv("NEO4J_USERNAME", "auditor")
    monkeypatch.setenv("NEO4J_PASSWORD", "secret")
    monkeypatch.setenv("NEO4J_DATABASE", "audit")
    with pytest.raises(StoreUnavailable, match=uri):
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

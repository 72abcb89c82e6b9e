"""Neo4j's own linter on everything Sunlight sends to Neo4j.

Every statement template of the Neo4j store and the Neo4j text of every file in
``queries/`` must pass ``lintCypherQuery`` with no diagnostic at all, under
Cypher 5 and Cypher 25: no syntax or semantic error, no label, relationship type
or property outside :mod:`graph.schema`, no relationship between labels it never
joins, no undeclared parameter, no deprecated syntax. Deliberately wrong
statements show that the linter does report each kind of fault.

The first run installs the linter (``npm ci`` in ``tools/cypher-lint``).
"""

from __future__ import annotations

import pytest

from detectors.community_engines import gds_statements_for_linting
from graph.cypher_lint import CYPHER_VERSIONS, LintResult, Statement, ensure_linter, lint, lint_schema
from graph.neo4j_store import statements_for_linting
from graph.schema import NODE_TYPES, REL_TYPES
from sunlight.querylib import list_queries

pytestmark = pytest.mark.linter


@pytest.fixture(scope="module", autouse=True)
def installed_linter() -> None:
    ensure_linter()


def library_statements() -> list[Statement]:
    """Each library entry's Neo4j text, with its defaults (or a sample id) as parameters."""
    out = []
    for spec in list_queries():
        params = {p.name: ("S001" if p.required else p.default) for p in spec.params}
        out.append(Statement(f"queries/{spec.name}.cypher", spec.texts["neo4j"], params))
    return out


def failures(results: list[LintResult]) -> str:
    bad = [r for r in results if not r.clean]
    return "\n".join(f"{r.report()}\n    {r.text}" for r in bad)


def test_every_statement_of_the_neo4j_store_passes_the_linter() -> None:
    # the store's own, those it shares with the embedded store, and the GDS engine's
    statements = statements_for_linting() + gds_statements_for_linting()
    assert len(statements) > 200
    results = lint(statements)
    assert len(results) == len(statements) * len(CYPHER_VERSIONS)
    assert not failures(results), failures(results)


def test_every_library_query_passes_the_linter() -> None:
    statements = library_statements()
    assert len(statements) >= 20
    results = lint(statements)
    assert len(results) == len(statements) * len(CYPHER_VERSIONS)
    assert not failures(results), failures(results)


def test_the_linter_is_given_the_whole_schema() -> None:
    schema = lint_schema()
    assert set(schema["labels"]) == {n.label for n in NODE_TYPES}
    assert set(schema["relationshipTypes"]) == {r.type for r in REL_TYPES}
    assert {"signed_date", "approved_at", "share", "evidence"} <= set(schema["propertyKeys"])
    assert {"from": "Contract", "to": "Supplier", "relType": "AWARDED_TO"} in schema["graphSchema"]


def messages(text: str, parameters: dict | None = None) -> list[str]:
    [result] = lint([Statement("wrong", text, parameters or {})], versions=("CYPHER 5",))
    return [f"{d.severity}: {d.message}" for d in result.diagnostics]


def test_an_unknown_label_is_reported() -> None:
    found = messages("MATCH (v:Vendor) RETURN v.id AS id")
    assert any("Label Vendor is not present" in m for m in found), found


def test_an_unknown_relationship_type_is_reported() -> None:
    found = messages("MATCH (s:Supplier)-[:BRIBED]->(e:Employee) RETURN s.id AS id")
    assert any("Relationship type BRIBED is not present" in m for m in found), found


def test_an_unknown_property_is_reported() -> None:
    found = messages("MATCH (s:Supplier) RETURN s.turnover AS turnover")
    assert any("turnover is not present" in m for m in found), found


def test_a_relationship_between_the_wrong_labels_is_reported() -> None:
    found = messages("MATCH (e:Employee)-[:AWARDED_TO]->(s:Supplier) RETURN e.id AS id")
    assert found, "AWARDED_TO starts at a Contract, never at an Employee"


def test_a_syntax_error_is_reported() -> None:
    found = messages("MATC (s:Supplier) RETURN s")
    assert any(m.startswith("error:") and "MATC" in m for m in found), found


def test_an_undeclared_parameter_is_reported() -> None:
    found = messages("MATCH (s:Supplier {id: $supplier_id}) RETURN s.name AS name")
    assert "error: Parameter $supplier_id is not defined." in found


def test_deprecated_syntax_is_reported() -> None:
    found = messages("MATCH (s:Supplier) CALL { WITH s RETURN s.id AS sid } RETURN sid")
    assert any("deprecated" in m for m in found), found


def test_a_function_neo4j_does_not_have_is_reported() -> None:
    # APOC is a plugin that Sunlight does not assume, and Ladybug's functions are not Neo4j's
    assert any("apoc.text.join" in m for m in messages("RETURN apoc.text.join(['a'], ',') AS x"))
    assert any("list_sort" in m for m in messages("RETURN list_sort([2, 1]) AS x"))


def test_the_embedded_dialect_is_not_mistaken_for_neo4j() -> None:
    # why a library entry needs its Ladybug variant: Neo4j's linter rejects that dialect
    ladybug = "MATCH p = (s:Supplier {id: $id})-[* SHORTEST 1..3]-(m) RETURN length(p) AS hops"
    assert messages(ladybug, {"id": "S1"})

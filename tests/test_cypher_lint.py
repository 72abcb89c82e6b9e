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

import re
from dataclasses import dataclass

import pytest

from detectors.community_engines import gds_statements_for_linting
from graph.cypher_lint import CYPHER_VERSIONS, LintResult, Statement, ensure_linter, lint, lint_schema
from graph.cypher_store import NEIGHBOUR_UNION, neighbour_branches, neighbour_statement
from graph.neo4j_store import statements_for_linting
from graph.schema import NODE_TYPES, REL_TYPES
from sunlight.querylib import list_queries

pytestmark = pytest.mark.linter


def library_statements() -> list[Statement]:
    """Each library entry's Neo4j text, with its defaults (or a sample id) as parameters."""
    out = []
    for spec in list_queries():
        params = {p.name: ("S001" if p.required else p.default) for p in spec.params}
        out.append(Statement(f"queries/{spec.name}.cypher", spec.texts["neo4j"], params))
    return out


#: Deliberately wrong statements, each showing that the linter reports one kind of fault.
WRONG: dict[str, tuple[str, dict]] = {
    "unknown-label": ("MATCH (v:Vendor) RETURN v.id AS id", {}),
    "unknown-relationship": ("MATCH (s:Supplier)-[:BRIBED]->(e:Employee) RETURN s.id AS id", {}),
    "unknown-property": ("MATCH (s:Supplier) RETURN s.turnover AS turnover", {}),
    "wrong-labels": ("MATCH (e:Employee)-[:AWARDED_TO]->(s:Supplier) RETURN e.id AS id", {}),
    "syntax": ("MATC (s:Supplier) RETURN s", {}),
    "undeclared-parameter": ("MATCH (s:Supplier {id: $supplier_id}) RETURN s.name AS name", {}),
    "deprecated": ("MATCH (s:Supplier) CALL { WITH s RETURN s.id AS sid } RETURN sid", {}),
    "apoc": ("RETURN apoc.text.join(['a'], ',') AS x", {}),
    "ladybug-function": ("RETURN list_sort([2, 1]) AS x", {}),
    "ladybug-path": (
        "MATCH p = (s:Supplier {id: $id})-[* SHORTEST 1..3]-(m) RETURN length(p) AS hops",
        {"id": "S1"},
    ),
}


@dataclass(frozen=True)
class Linted:
    store: list[Statement]
    library: list[Statement]
    results: dict[str, list[LintResult]]  # by statement name, one per Cypher version

    def failures(self, statements: list[Statement]) -> str:
        bad = [r for s in statements for r in self.results[s.name] if not r.clean]
        return "\n".join(f"{r.report()}\n    {r.text}" for r in bad)

    def messages(self, wrong: str) -> list[str]:
        """The diagnostics of a deliberately wrong statement under Cypher 5."""
        [result] = [r for r in self.results[f"wrong:{wrong}"] if r.version == "CYPHER 5"]
        return [f"{d.severity}: {d.message}" for d in result.diagnostics]


@pytest.fixture(scope="module")
def linted() -> Linted:
    """Everything this module checks, linted in one batch: starting Node and warming up
    Neo4j's analysis costs seconds, so it is done once per process, not once per test."""
    ensure_linter()
    # the store's own, those it shares with the embedded store, and the GDS engine's
    store = statements_for_linting() + gds_statements_for_linting()
    library = library_statements()
    wrong = [Statement(f"wrong:{name}", text, params) for name, (text, params) in WRONG.items()]
    same_text = "MATCH (s:Supplier {id: $id}) RETURN s.turnover AS t"
    same = [
        Statement("same-text:a", same_text, {"id": "S1"}),
        Statement("same-text:b", same_text, {"id": "S2"}),
        Statement("same-text:c", same_text),
    ]
    everything = store + library + wrong + same
    results: dict[str, list[LintResult]] = {}
    for result in lint(everything):
        results.setdefault(result.name, []).append(result)
    assert sorted(results) == sorted(s.name for s in everything)
    assert all(len(per) == len(CYPHER_VERSIONS) for per in results.values())
    return Linted(store, library, results)


def test_every_statement_of_the_neo4j_store_passes_the_linter(linted: Linted) -> None:
    assert len(linted.store) > 200
    assert not linted.failures(linted.store), linted.failures(linted.store)


def test_every_library_query_passes_the_linter(linted: Linted) -> None:
    assert len(linted.library) >= 20
    assert not linted.failures(linted.library), linted.failures(linted.library)


def test_the_neighbour_statement_is_its_linted_branches_joined() -> None:
    # the store sends all of a label's branches in one union; the linter checks each branch and
    # a union of two, so the union must be exactly the branches joined, each with the same columns
    store = {s.name: s.text for s in statements_for_linting()}
    for spec in NODE_TYPES:
        branches = neighbour_branches(spec.label)
        statement = neighbour_statement(spec.label)
        assert statement == (NEIGHBOUR_UNION.join(branches) or None)
        assert [store[f"neighbours:{spec.label}:{i}"] for i in range(len(branches))] == branches
        columns = {tuple(re.findall(r" AS (\w+)", b.partition(" RETURN ")[2])) for b in branches}
        assert len(columns) <= 1, columns
        if len(branches) > 1:
            assert store[f"neighbours:{spec.label}:union"] == NEIGHBOUR_UNION.join(branches[:2])
    assert len(neighbour_branches("Supplier")) > 10


def test_statements_that_differ_only_in_parameter_values_get_one_verdict(linted: Linted) -> None:
    a, b, c = (linted.results[f"same-text:{n}"][0] for n in "abc")
    assert a.diagnostics == b.diagnostics and a.diagnostics
    assert any("turnover" in d.message for d in a.diagnostics)
    # without the parameter declared the verdict differs: the key is the names, not only the text
    assert any("$id is not defined" in d.message for d in c.diagnostics)
    assert not any("$id is not defined" in d.message for d in a.diagnostics)


def test_statements_to_lint_need_distinct_names() -> None:
    with pytest.raises(ValueError, match="distinct names"):
        lint([Statement("a", "RETURN 1 AS x"), Statement("a", "RETURN 2 AS x")])


def test_the_linter_is_given_the_whole_schema() -> None:
    schema = lint_schema()
    assert set(schema["labels"]) == {n.label for n in NODE_TYPES}
    assert set(schema["relationshipTypes"]) == {r.type for r in REL_TYPES}
    assert {"signed_date", "approved_at", "share", "evidence"} <= set(schema["propertyKeys"])
    assert {"from": "Contract", "to": "Supplier", "relType": "AWARDED_TO"} in schema["graphSchema"]


def test_an_unknown_label_is_reported(linted: Linted) -> None:
    found = linted.messages("unknown-label")
    assert any("Label Vendor is not present" in m for m in found), found


def test_an_unknown_relationship_type_is_reported(linted: Linted) -> None:
    found = linted.messages("unknown-relationship")
    assert any("Relationship type BRIBED is not present" in m for m in found), found


def test_an_unknown_property_is_reported(linted: Linted) -> None:
    found = linted.messages("unknown-property")
    assert any("turnover is not present" in m for m in found), found


def test_a_relationship_between_the_wrong_labels_is_reported(linted: Linted) -> None:
    found = linted.messages("wrong-labels")
    assert found, "AWARDED_TO starts at a Contract, never at an Employee"


def test_a_syntax_error_is_reported(linted: Linted) -> None:
    found = linted.messages("syntax")
    assert any(m.startswith("error:") and "MATC" in m for m in found), found


def test_an_undeclared_parameter_is_reported(linted: Linted) -> None:
    assert "error: Parameter $supplier_id is not defined." in linted.messages("undeclared-parameter")


def test_deprecated_syntax_is_reported(linted: Linted) -> None:
    found = linted.messages("deprecated")
    assert any("deprecated" in m for m in found), found


def test_a_function_neo4j_does_not_have_is_reported(linted: Linted) -> None:
    # APOC is a plugin that Sunlight does not assume, and Ladybug's functions are not Neo4j's
    assert any("apoc.text.join" in m for m in linted.messages("apoc"))
    assert any("list_sort" in m for m in linted.messages("ladybug-function"))


def test_the_embedded_dialect_is_not_mistaken_for_neo4j(linted: Linted) -> None:
    # why a library entry needs its Ladybug variant: Neo4j's linter rejects that dialect
    assert linted.messages("ladybug-path")

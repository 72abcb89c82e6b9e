"""Check Cypher with Neo4j's own parser and linter.

No Neo4j server runs where Sunlight is built, so every statement the Neo4j store
sends and every file of the analysts' library is checked by the code Neo4j's own
editors use: ``lintCypherQuery`` from the npm package
``@neo4j-cypher/language-support``, run under Node by ``tools/cypher-lint/lint.mjs``.

The linter is given the schema of :mod:`graph.schema` (labels, relationship
types, property keys, and which labels each relationship type joins), the
parameters each statement declares, and Neo4j's built-in functions. It reports
syntax and semantic errors, labels, relationship types and properties that the
schema does not have, relationships drawn between labels they never join, unknown
functions (APOC is not assumed), undeclared ``$parameters`` and deprecated
syntax. A statement passes when it gets no diagnostic at all.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from graph.schema import NODE_TYPES, REL_TYPES

__all__ = [
    "CYPHER_VERSIONS",
    "LINTER_DIR",
    "LOCK_PROPERTY",
    "Diagnostic",
    "LintResult",
    "LinterUnavailable",
    "Statement",
    "ensure_linter",
    "lint",
    "lint_schema",
]

LINTER_DIR = Path(__file__).resolve().parent.parent / "tools" / "cypher-lint"
#: Cypher 5 is the language of Neo4j 5 and the default of later servers; Cypher 25 is
#: checked too so that nothing Sunlight sends is already removed in the next language.
CYPHER_VERSIONS: tuple[str, ...] = ("CYPHER 5", "CYPHER 25")
_PACKAGE = "@neo4j-cypher/language-support"


class LinterUnavailable(RuntimeError):
    """Node or the linter package is missing and cannot be installed."""


@dataclass(frozen=True)
class Statement:
    """One Cypher text to check, with sample values for every parameter it uses."""

    name: str
    text: str
    parameters: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Diagnostic:
    severity: str  # error, warning, information, hint
    message: str
    line: int
    column: int
    deprecated: bool = False

    def __str__(self) -> str:
        return f"{self.line}:{self.column} {self.severity}: {self.message}"


@dataclass(frozen=True)
class LintResult:
    name: str
    version: str
    text: str
    diagnostics: tuple[Diagnostic, ...]

    @property
    def clean(self) -> bool:
        return not self.diagnostics

    def report(self) -> str:
        lines = [f"{self.name} ({self.version}):", *(f"  {d}" for d in self.diagnostics)]
        return "\n".join(lines)


#: A property the Neo4j store writes only to take a node's write lock, removed in the same
#: statement: never committed, never read.
LOCK_PROPERTY = "sunlight_lock"


def lint_schema() -> dict[str, Any]:
    """The graph schema in the shape the linter's ``DbSchema`` takes (with the Neo4j store's
    transient lock property, which is set and removed within one statement)."""
    property_keys = sorted(
        {p.name for spec in NODE_TYPES for p in spec.props}
        | {p.name for rel in REL_TYPES for p in rel.props}
        | {LOCK_PROPERTY}
    )
    return {
        "labels": [spec.label for spec in NODE_TYPES],
        "relationshipTypes": [rel.type for rel in REL_TYPES],
        "propertyKeys": property_keys,
        "graphSchema": [
            {"from": src, "to": dst, "relType": rel.type} for rel in REL_TYPES for src, dst in rel.ends
        ],
    }


def ensure_linter(directory: Path = LINTER_DIR) -> Path:
    """Install the linter's npm packages (``npm ci``) if they are missing; return the script."""
    script = directory / "lint.mjs"
    if shutil.which("node") is None:
        raise LinterUnavailable("node is not installed; the Cypher linter needs Node.js 20 or later")
    if not (directory / "node_modules" / _PACKAGE / "package.json").exists():
        npm = shutil.which("npm")
        if npm is None:
            raise LinterUnavailable(f"npm is not installed; cannot install {_PACKAGE} in {directory}")
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"], cwd=directory, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise LinterUnavailable(f"`npm ci` failed in {directory}:\n{done.stderr.strip()}")
    return script


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot pass {type(value).__name__} to the linter")


def _run_linter(script: Path, directory: Path, payload: str) -> list[dict[str, Any]]:
    done = subprocess.run(
        ["node", str(script)],
        cwd=directory,
        input=payload,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    if done.returncode != 0:
        raise LinterUnavailable(f"the Cypher linter failed:\n{done.stderr.strip()}")
    return json.loads(done.stdout)


def lint(
    statements: Iterable[Statement],
    versions: Sequence[str] = CYPHER_VERSIONS,
    directory: Path = LINTER_DIR,
    workers: int | None = None,
) -> list[LintResult]:
    """Lint every statement under every Cypher version; one result per (statement, version).

    Neo4j's semantic analysis takes a good tenth of a second per statement, so each distinct
    text is analysed once (the linter sees a statement's text and the names of its
    parameters, never their values; statements that share both share their diagnostics), and
    the distinct ones are shared out among ``workers`` Node processes (one per core by
    default), each linting its whole share in one run.
    """
    statements = list(statements)
    if not statements:
        return []
    names = [s.name for s in statements]
    if len(set(names)) != len(names):
        raise ValueError("statements to lint need distinct names")
    script = ensure_linter(directory)
    distinct: dict[tuple[str, tuple[str, ...]], Statement] = {}
    for s in statements:
        distinct.setdefault(_lint_key(s), s)
    unique = list(distinct.values())
    workers = max(1, min(workers or os.cpu_count() or 1, len(unique)))
    # longest first, dealt round, so that the processes finish at about the same time
    by_length = sorted(unique, key=lambda s: len(s.text), reverse=True)
    chunks = [by_length[i::workers] for i in range(workers)]
    schema = lint_schema()
    payloads = [
        json.dumps(
            {
                "schema": schema,
                "versions": list(versions),
                "queries": [
                    {"name": s.name, "text": s.text, "parameters": dict(s.parameters)} for s in chunk
                ],
            },
            default=_json_value,
            ensure_ascii=False,
        )
        for chunk in chunks
    ]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        answers = list(pool.map(lambda payload: _run_linter(script, directory, payload), payloads))
    found = {
        (item["name"], item["version"]): tuple(Diagnostic(**d) for d in item["diagnostics"])
        for answer in answers
        for item in answer
    }
    return [
        LintResult(
            name=s.name,
            version=version,
            text=s.text,
            diagnostics=found[(distinct[_lint_key(s)].name, version)],
        )
        for s in statements
        for version in versions
    ]


def _lint_key(statement: Statement) -> tuple[str, tuple[str, ...]]:
    """What the linter's verdict depends on: the text and which parameters are declared."""
    return statement.text, tuple(sorted(statement.parameters))

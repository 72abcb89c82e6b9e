"""The production store: a Neo4j 5 server over Bolt, through the official driver.

It implements the same :class:`graph.store.Store` protocol as the embedded
:class:`graph.ladybug_store.LadybugStore`, and behaves the same way: writes are
idempotent upserts keyed on ``id``; a write is all or nothing; alerts keep their
status and first sighting across runs; an analyst's query cannot write.

How it talks to Neo4j
---------------------
* **Managed transactions.** Every read runs in ``session.execute_read`` and every
  write in ``session.execute_write``, so the driver retries transient failures
  (leader switch, deadlock) by running the whole unit again. That is safe because
  every write is a ``MERGE``.
* **One write, one transaction.** ``write()`` sends its batches of
  ``UNWIND $rows AS row MERGE ...`` inside a single transaction: if row 900 000
  fails, nothing of the load is committed. The price is server memory: Neo4j keeps
  the whole transaction's state until commit (bounded by
  ``db.memory.transaction.total.max``). For loads of many millions of rows,
  ``atomic_writes=False`` commits each batch on its own; a failure then leaves the
  batches before it in the store, and loading the same data again completes it.
* **Read-only queries.** :meth:`Neo4jStore.query` opens its session in READ access
  mode and runs in ``execute_read``; the server refuses any write in it.
* **Types.** Dates go to the server as ``Date`` and timestamps (local time, as the
  data contract has them) as ``LocalDateTime``; reads turn them back into pandas
  ``datetime64`` columns, as the embedded store returns them.
* **Schema.** One uniqueness constraint on ``id`` per label of :mod:`graph.schema`
  (which also gives every ``MERGE`` its index) and a few indexes for the
  questions investigators ask most; created before the first write, idempotently.

Dialect (the differences from the embedded store live here and in
``ladybug_store``): ``labels(n)[0]`` and ``type(r)`` name labels and types;
``NOT m:Alert`` filters a label. Every statement this module can send is listed
by :func:`statements_for_linting` and checked by Neo4j's own linter in the tests.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import Any, TypeVar

import pandas as pd

from graph.cypher_lint import Statement
from graph.dataset import GraphData
from graph.errors import StoreError, StoreQueryError, StoreUnavailable
from graph.schema import (
    ENTITY_LABELS,
    NODE_TYPES,
    REL_TYPES,
    Prop,
    PropType,
    entity_key,
    node_type,
    rel_type,
    split_entity_key,
)
from graph.snapshot import SNAPSHOT_QUERIES, GraphSnapshot, build_snapshot
from graph.store import (
    ALERT_STATUSES,
    AlertRecord,
    AlertSaveSummary,
    ProgressFn,
    Subgraph,
    WriteSummary,
    alert_rows,
)

__all__ = [
    "ALERT_FIELDS",
    "DEFAULT_BATCH_SIZE",
    "Neo4jStore",
    "WriteStep",
    "constraint_statements",
    "frame_from_records",
    "index_statements",
    "node_merge_statement",
    "plan_write",
    "rel_merge_statement",
    "send_batches",
    "statements_for_linting",
    "translate_error",
]

#: Rows per ``UNWIND`` batch: large enough to keep round trips few, small enough that
#: one batch's parameters stay a few megabytes.
DEFAULT_BATCH_SIZE = 5_000
BATCH_SIZE_ENV = "SUNLIGHT_NEO4J_BATCH_SIZE"
#: Sunlight speaks Bolt (direct ``bolt``, routed ``neo4j``; ``+s`` / ``+ssc`` add TLS).
BOLT_SCHEMES: tuple[str, ...] = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")

#: Properties of an alert that a detector run sets (status, assignee and first_seen
#: belong to the case workflow and are never overwritten by a run).
ALERT_FIELDS: tuple[str, ...] = (
    "detector",
    "subject",
    "score",
    "level",
    "grade",
    "title_zh",
    "title_en",
    "explanation_zh",
    "explanation_en",
    "evidence",
)

#: Indexes beyond the ``id`` constraints: (label, property), chosen for the analysts'
#: library and the app (period filters, name look-ups, the case list).
_INDEXES: tuple[tuple[str, str], ...] = (
    ("Contract", "signed_date"),
    ("Payment", "paid_at"),
    ("Employee", "name"),
    ("Supplier", "name"),
    ("Supplier", "credit_code"),
    ("Person", "name"),
    ("Alert", "status"),
    ("Alert", "detector"),
    ("Alert", "level"),
)

# ---- statements --------------------------------------------------------------------
# Everything the store sends is built by these functions, so that the tests can
# render each template and hand it to Neo4j's linter.


def constraint_statements() -> list[str]:
    """One uniqueness constraint on ``id`` per label (it also indexes the key)."""
    return [
        f"CREATE CONSTRAINT sunlight_{spec.entity_type}_id IF NOT EXISTS "
        f"FOR (n:{spec.label}) REQUIRE n.id IS UNIQUE"
        for spec in NODE_TYPES
    ]


def index_statements() -> list[str]:
    return [
        f"CREATE INDEX sunlight_{node_type(label).entity_type}_{prop} IF NOT EXISTS "
        f"FOR (n:{label}) ON (n.{prop})"
        for label, prop in _INDEXES
    ]


def node_merge_statement(label: str, columns: Sequence[str]) -> str:
    """Upsert a batch of ``label`` nodes; only the properties in ``columns`` are set."""
    spec = node_type(label)
    sets = ", ".join(f"n.{c} = row.{c}" for c in columns if c != "id" and c in spec.prop_names)
    return f"UNWIND $rows AS row MERGE (n:{label} {{id: row.id}})" + (f" SET {sets}" if sets else "")


def rel_merge_statement(rel: str, src: str, dst: str, columns: Sequence[str]) -> str:
    """Upsert a batch of relationships between existing nodes. Rows whose ends are missing
    match nothing and are skipped: loaders validate references first, but unlike the
    embedded store this statement does not itself refuse them."""
    spec = rel_type(rel)
    key = ", ".join(f"{k}: row.{k}" for k in spec.key_props)
    sets = ", ".join(f"r.{c} = row.{c}" for c in columns if c in spec.prop_names and c not in spec.key_props)
    return (
        f"UNWIND $rows AS row MATCH (a:{src}) WHERE a.id = row.src MATCH (b:{dst}) WHERE b.id = row.dst "
        f"MERGE (a)-[r:{rel}{' {' + key + '}' if key else ''}]->(b)" + (f" SET {sets}" if sets else "")
    )


def rel_replace_statement(rel: str, src: str, dst: str) -> str | None:
    """Delete the relationships a newer extract replaces (see ``RelType.replace_per``): per
    row, those matching its ``replace_per`` fields whose other end is not in ``row.keep``."""
    spec = rel_type(rel)
    if not spec.replace_per:
        return None
    conditions = []
    for field_name in spec.replace_per:
        if field_name == "src":
            conditions.append("a.id = row.src")
        elif field_name == "dst":
            conditions.append("b.id = row.dst")
        else:
            conditions.append(f"r.{field_name} = row.{field_name}")
    other = "b" if "src" in spec.replace_per else "a"
    return (
        f"UNWIND $rows AS row MATCH (a:{src})-[r:{rel}]->(b:{dst}) WHERE {' AND '.join(conditions)} "
        f"AND NOT {other}.id IN row.keep DELETE r"
    )


def replacement_rows(rel: str, frame: pd.DataFrame) -> pd.DataFrame:
    """One row per ``replace_per`` key of ``frame`` with ``keep``: the other ends it names."""
    spec = rel_type(rel)
    other = "dst" if "src" in spec.replace_per else "src"
    per = list(spec.replace_per)
    grouped = frame.groupby(per, sort=True)[other].agg(lambda ids: sorted({str(i) for i in ids}))
    return grouped.rename("keep").reset_index()


POLICY_STATEMENT = "MERGE (p:Policy {id: $id}) SET p.document = $document"

ALERTS_KNOWN_STATEMENT = (
    "MATCH (a:Alert) WHERE a.id IN $ids RETURN a.id AS id, a.score AS score, a.evidence AS evidence"
)

ALERT_MERGE_STATEMENT = (
    "UNWIND $rows AS row MERGE (a:Alert {id: row.id}) "
    "ON CREATE SET a.status = 'open', a.first_seen = $now "
    "SET a.last_seen = $now, " + ", ".join(f"a.{f} = row.{f}" for f in ALERT_FIELDS)
)


def flag_statement(label: str) -> str:
    return (
        f"UNWIND $rows AS row MATCH (a:Alert) WHERE a.id = row.alert_id "
        f"MATCH (x:{label}) WHERE x.id = row.entity_id "
        "MERGE (a)-[:FLAGS]->(x)"
    )


ALERTS_STATEMENT = (
    "MATCH (a:Alert) OPTIONAL MATCH (a)-[:FLAGS]->(x) "
    "RETURN a.id AS alert_id, a.detector AS detector, a.level AS level, a.grade AS grade, "
    "a.score AS score, a.status AS status, a.assignee AS assignee, labels(x)[0] AS entity_label, "
    "x.id AS entity_id, a.title_zh AS title_zh, a.title_en AS title_en, "
    "a.explanation_zh AS explanation_zh, a.explanation_en AS explanation_en, "
    "a.evidence AS evidence, a.first_seen AS first_seen, a.last_seen AS last_seen"
)

ALERT_STATUS_STATEMENT = (
    "MATCH (a:Alert {id: $id}) SET a.status = $status, a.assignee = coalesce($assignee, a.assignee) "
    "RETURN a.id AS id"
)

ALERT_LEVELS_STATEMENT = "MATCH (a:Alert) RETURN a.level AS level, count(a) AS n"

#: GDS is a server plugin; its presence is asked of the server, never assumed.
GDS_PROBE_STATEMENT = (
    "SHOW PROCEDURES YIELD name WHERE name STARTS WITH 'gds.louvain' RETURN count(name) AS n"
)


def node_count_statement(label: str) -> str:
    return f"MATCH (n:{label}) RETURN count(n) AS n"


def rel_count_statement(rel: str) -> str:
    return f"MATCH ()-[r:{rel}]->() RETURN count(r) AS n"


def neighbour_directions(label: str) -> tuple[bool, ...]:
    """The directions (True = outgoing) in which ``label`` has relationships other than
    alert flags, per the schema; a subgraph expands only along these."""
    ends = [(src, dst) for rel in REL_TYPES if rel.type != "FLAGS" for src, dst in rel.ends]
    out = any(src == label for src, _ in ends)
    into = any(dst == label for _, dst in ends)
    return tuple(d for d, present in ((True, out), (False, into)) if present)


def neighbour_statement(label: str, outgoing: bool) -> str:
    """One hop out of (or into) some nodes of ``label``, alerts left out."""
    pattern = f"(n:{label})-[r]->(m)" if outgoing else f"(n:{label})<-[r]-(m)"
    return (
        f"MATCH {pattern} WHERE n.id IN $ids AND NOT m:Alert "
        "RETURN n.id AS nid, type(r) AS type, labels(m)[0] AS mlabel, m.id AS mid, m.name AS mname "
        "LIMIT $cap"
    )


#: Labels a subgraph shows but never expands from: alerts are not evidence, the policy
#: is not connected.
_NOT_EXPANDED = ("Alert", "Policy")


def names_statement(label: str) -> str:
    return f"MATCH (n:{label}) WHERE n.id IN $ids RETURN n.id AS id, n.name AS name"


_SAMPLES: dict[PropType, Any] = {
    PropType.STRING: "S001",
    PropType.INT: 1,
    PropType.FLOAT: 1.5,
    PropType.BOOL: True,
    PropType.DATE: date(2024, 1, 31),
    PropType.TIMESTAMP: datetime(2024, 1, 31, 9, 30),
}


def _sample_row(props: Sequence[Prop], extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return {p.name: _SAMPLES[p.type] for p in props} | dict(extra or {})


def statements_for_linting() -> list[Statement]:
    """Every statement template this module can send, rendered with sample parameters."""
    out: list[Statement] = []
    out += [Statement(f"constraint:{i}", text) for i, text in enumerate(constraint_statements())]
    out += [Statement(f"index:{i}", text) for i, text in enumerate(index_statements())]
    for spec in NODE_TYPES:
        out.append(
            Statement(
                f"merge:{spec.label}",
                node_merge_statement(spec.label, spec.prop_names),
                {"rows": [_sample_row(spec.props)]},
            )
        )
        out.append(Statement(f"count:{spec.label}", node_count_statement(spec.label)))
        if "name" in spec.prop_names:
            out.append(Statement(f"names:{spec.label}", names_statement(spec.label), {"ids": ["S001"]}))
        for outgoing in neighbour_directions(spec.label) if spec.label not in _NOT_EXPANDED else ():
            out.append(
                Statement(
                    f"neighbours:{spec.label}:{'out' if outgoing else 'in'}",
                    neighbour_statement(spec.label, outgoing),
                    {"ids": ["S001"], "cap": 800},
                )
            )
    for rel in REL_TYPES:
        row = _sample_row(rel.props, {"src": "A1", "dst": "B1"})
        for src, dst in rel.ends:
            out.append(
                Statement(
                    f"merge:{rel.type}:{src}:{dst}",
                    rel_merge_statement(rel.type, src, dst, rel.prop_names),
                    {"rows": [row]},
                )
            )
            replace = rel_replace_statement(rel.type, src, dst)
            if replace is not None:
                keyed = replacement_rows(rel.type, pd.DataFrame([row]))
                out.append(
                    Statement(
                        f"replace:{rel.type}:{src}:{dst}",
                        replace,
                        {"rows": _rows(keyed, {p.name: p for p in rel.props})},
                    )
                )
        out.append(Statement(f"count:{rel.type}", rel_count_statement(rel.type)))
    out.append(Statement("policy", POLICY_STATEMENT, {"id": "policy", "document": "{}"}))
    alert_row = dict.fromkeys(ALERT_FIELDS, "x") | {"id": "A1", "score": 0.9}
    now = _SAMPLES[PropType.TIMESTAMP]
    out.append(Statement("alerts:known", ALERTS_KNOWN_STATEMENT, {"ids": ["A1"]}))
    out.append(Statement("alerts:merge", ALERT_MERGE_STATEMENT, {"rows": [alert_row], "now": now}))
    for label in ENTITY_LABELS:
        out.append(
            Statement(
                f"alerts:flag:{label}",
                flag_statement(label),
                {"rows": [{"alert_id": "A1", "entity_id": "S1"}]},
            )
        )
    out.append(Statement("alerts:list", ALERTS_STATEMENT))
    out.append(
        Statement(
            "alerts:status", ALERT_STATUS_STATEMENT, {"id": "A1", "status": "reviewing", "assignee": "张三"}
        )
    )
    out.append(Statement("alerts:levels", ALERT_LEVELS_STATEMENT))
    out.append(Statement("gds:probe", GDS_PROBE_STATEMENT))
    out += [Statement(f"snapshot:{name}", text) for name, text in SNAPSHOT_QUERIES.items()]
    return out


# ---- values in and out ---------------------------------------------------------------


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _to_bolt(value: Any, ptype: PropType) -> Any:
    """One cell as the driver should send it: Date, LocalDateTime, int, float, bool, str
    (or a list of strings, for the ids a replacement keeps)."""
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    if _missing(value):
        return None
    if ptype == PropType.DATE:
        return pd.Timestamp(value).date()
    if ptype == PropType.TIMESTAMP:
        return pd.Timestamp(value).to_pydatetime()
    if ptype == PropType.INT:
        return int(value)
    if ptype == PropType.FLOAT:
        return float(value)
    if ptype == PropType.BOOL:
        return bool(value)
    return value if isinstance(value, str) else str(value)


def _rows(frame: pd.DataFrame, props: Mapping[str, Prop]) -> list[dict[str, Any]]:
    columns = list(frame.columns)
    types = [props[c].type if c in props else PropType.STRING for c in columns]
    return [
        {c: _to_bolt(v, t) for c, v, t in zip(columns, values, types, strict=True)}
        for values in frame.itertuples(index=False, name=None)
    ]


def _from_bolt_column(values: pd.Series) -> pd.Series:
    """Neo4j temporal values -> pandas datetimes; other columns unchanged."""
    from neo4j.time import Date, DateTime

    present = values.dropna()
    if present.empty or not all(isinstance(v, Date | DateTime) for v in present):
        return values
    native = [v.to_native() if isinstance(v, Date | DateTime) else None for v in values]
    return pd.Series(pd.to_datetime(native), index=values.index).astype("datetime64[us]")


def frame_from_records(keys: Sequence[str], records: Iterable[Sequence[Any]]) -> pd.DataFrame:
    """Rows of driver values as a frame, temporal columns as pandas datetimes."""
    frame = pd.DataFrame(list(records), columns=list(keys))
    for col in frame.columns:
        frame[col] = _from_bolt_column(frame[col])
    return frame


def _frame(result: Any) -> pd.DataFrame:
    """Stream a driver result into a frame (records are read one by one)."""
    return frame_from_records(result.keys(), (record.values() for record in result))


def _bolt_params(params: Mapping[str, Any] | None) -> dict[str, Any]:
    """Analysts' parameters: pandas timestamps become Python datetimes the driver knows."""
    out: dict[str, Any] = {}
    for key, value in (params or {}).items():
        out[key] = value.to_pydatetime() if isinstance(value, pd.Timestamp) else value
    return out


# ---- errors --------------------------------------------------------------------------


def translate_error(exc: Exception, uri: str, database: str | None = None, query: str = "") -> StoreError:
    """A driver exception as the store error a user can act on (the URI is always named)."""
    from neo4j.exceptions import (
        AuthError,
        ClientError,
        ConfigurationError,
        Forbidden,
        Neo4jError,
        ServiceUnavailable,
        SessionExpired,
    )

    where = f"Neo4j at {uri}"
    if isinstance(exc, AuthError):
        return StoreUnavailable(
            f"{where} refused the credentials (check NEO4J_USERNAME and NEO4J_PASSWORD): {_message(exc)}"
        )
    if isinstance(exc, ServiceUnavailable | SessionExpired):
        return StoreUnavailable(f"cannot reach {where} (is the server running?): {_message(exc)}")
    if isinstance(exc, ConfigurationError | ValueError):
        return StoreUnavailable(f"cannot connect to {where}: {_message(exc)}")
    if isinstance(exc, Neo4jError):
        code = exc.code or ""
        if code.endswith("DatabaseNotFound"):
            return StoreUnavailable(
                f"{where} has no database {database!r} (check NEO4J_DATABASE): {_message(exc)}"
            )
        if code.endswith("Statement.AccessMode") or isinstance(exc, Forbidden):
            return StoreQueryError(f"{where} refused a write in a read-only query: {_message(exc)}", query)
        if isinstance(exc, ClientError):
            return StoreQueryError(f"{where} rejected the statement: {_message(exc)}", query)
        return StoreQueryError(f"{where} failed: {_message(exc)}", query)
    return StoreError(f"{where}: {exc}")


def _message(exc: Exception) -> str:
    message = getattr(exc, "message", None)
    return str(message) if message else str(exc)


# ---- the store -----------------------------------------------------------------------

T = TypeVar("T")


@dataclass
class WriteStep:
    """One part of a write: a statement and the frame whose rows it upserts."""

    what: str  # the label or relationship type, for summaries and progress
    statement: str
    frame: pd.DataFrame
    props: Mapping[str, Prop]
    counts_nodes: bool  # whether the statement creates nodes (else relationships)
    replaces: bool = False  # deletes links a newer extract replaces; counts toward nothing

    def batches(self, size: int) -> Iterator[list[dict[str, Any]]]:
        """The frame's rows as driver values, ``size`` at a time (converted lazily)."""
        for start in range(0, len(self.frame), size):
            yield _rows(self.frame.iloc[start : start + size], self.props)


def plan_write(data: GraphData) -> list[WriteStep]:
    """The statements a write sends, in order: nodes first, so relationships find their ends."""
    steps: list[WriteStep] = []
    for label, frame in data.nodes.items():
        props = {p.name: p for p in node_type(label).props}
        steps.append(WriteStep(label, node_merge_statement(label, list(frame.columns)), frame, props, True))
    for (rel, src, dst), frame in data.rels.items():
        props = {p.name: p for p in rel_type(rel).props}
        replace = rel_replace_statement(rel, src, dst)
        if replace is not None and not frame.empty:
            steps.append(WriteStep(rel, replace, replacement_rows(rel, frame), props, False, replaces=True))
        steps.append(
            WriteStep(rel, rel_merge_statement(rel, src, dst, list(frame.columns)), frame, props, False)
        )
    return steps


def _run_alone(statement: str, params: Mapping[str, Any] | None, run: Callable[..., Any]) -> Any:
    return run(statement, params)


def send_batches(
    run: Callable[..., Any], steps: Sequence[WriteStep], batch_size: int, progress: ProgressFn | None = None
) -> dict[str, int]:
    """Send every batch of ``steps`` through ``run(cypher, params) -> counters``; return
    what the server reports created, per label or relationship type. ``progress(what,
    rows_done, rows_total)`` follows each batch."""
    total = sum(len(step.frame) for step in steps if not step.replaces)
    created = {step.what: 0 for step in steps}
    done = 0
    for step in steps:
        for batch in step.batches(batch_size):
            counters = run(step.statement, {"rows": batch})
            if step.replaces:
                continue
            created[step.what] += (
                counters.nodes_created if step.counts_nodes else counters.relationships_created
            )
            done += len(batch)
            if progress:
                progress(step.what, done, total)
    return created


class _Current:
    """The statement a transaction function is running, for error messages."""

    statement = ""


class Neo4jStore:
    """A :class:`graph.store.Store` on a Neo4j 5 server."""

    dialect = "neo4j"

    def __init__(
        self,
        uri: str,
        auth: tuple[str, str] | None = None,
        database: str | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        atomic_writes: bool = True,
        connection_timeout: float = 15.0,
    ) -> None:
        from neo4j import GraphDatabase
        from neo4j.exceptions import DriverError, Neo4jError

        scheme = uri.partition("://")[0].lower() if "://" in uri else ""
        if scheme not in BOLT_SCHEMES:
            raise StoreUnavailable(
                f"cannot connect to Neo4j at {uri}: the URI must start with one of "
                + ", ".join(f"{s}://" for s in BOLT_SCHEMES)
            )
        if batch_size < 1:
            raise ValueError(f"batch size must be at least 1, not {batch_size}")
        self.uri = uri
        self.database = database or None
        self.batch_size = batch_size
        self.atomic_writes = atomic_writes
        self._schema_ready = False
        self._gds: bool | None = None
        try:
            self._driver = GraphDatabase.driver(uri, auth=auth, connection_timeout=connection_timeout)
        except (DriverError, ValueError) as exc:
            raise translate_error(exc, uri, self.database) from exc
        try:
            self._driver.verify_connectivity()
        except (DriverError, Neo4jError, OSError) as exc:
            self._driver.close()
            raise translate_error(exc, uri, self.database) from exc

    @classmethod
    def from_env(cls, uri: str | None = None) -> Neo4jStore:
        """Connect to ``uri`` (or ``NEO4J_URI``) as ``NEO4J_USERNAME`` / ``NEO4J_PASSWORD``
        (no credentials if neither is set), using ``NEO4J_DATABASE`` (else the server's
        default database) and ``SUNLIGHT_NEO4J_BATCH_SIZE`` rows per batch."""
        uri = uri or os.environ.get("NEO4J_URI")
        if not uri:
            raise StoreUnavailable("no Neo4j URI: pass --neo4j URI or set NEO4J_URI")
        user = os.environ.get("NEO4J_USERNAME")
        password = os.environ.get("NEO4J_PASSWORD")
        auth = (user or "neo4j", password or "") if (user or password) else None
        batch = os.environ.get(BATCH_SIZE_ENV)
        try:
            batch_size = int(batch) if batch else DEFAULT_BATCH_SIZE
        except ValueError:
            raise StoreError(f"{BATCH_SIZE_ENV} must be a whole number of rows, not {batch!r}") from None
        return cls(uri, auth=auth, database=os.environ.get("NEO4J_DATABASE"), batch_size=batch_size)

    # ---- transactions ------------------------------------------------------------------
    @contextmanager
    def _errors(self, current: _Current) -> Iterator[None]:
        from neo4j.exceptions import DriverError, Neo4jError

        try:
            yield
        except (DriverError, Neo4jError) as exc:
            raise translate_error(exc, self.uri, self.database, current.statement) from exc

    def _read(self, work: Callable[[Callable[..., pd.DataFrame]], T]) -> T:
        """Run ``work(read)`` in one managed read transaction; ``read(cypher, params)``
        returns a frame."""
        from neo4j import READ_ACCESS

        current = _Current()

        def unit(tx: Any) -> T:
            def read(cypher: str, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
                current.statement = cypher
                return _frame(tx.run(cypher, _bolt_params(params)))

            return work(read)

        with self._errors(current), self._session(READ_ACCESS) as session:
            return session.execute_read(unit)

    def _write(self, work: Callable[[Callable[..., Any]], T]) -> T:
        """Run ``work(run)`` in one managed write transaction; ``run(cypher, params)``
        returns the result summary's counters, or a frame when ``rows=True``."""
        from neo4j import WRITE_ACCESS

        current = _Current()

        def unit(tx: Any) -> T:
            def run(cypher: str, params: Mapping[str, Any] | None = None, rows: bool = False) -> Any:
                current.statement = cypher
                result = tx.run(cypher, dict(params or {}))
                return _frame(result) if rows else result.consume().counters

            return work(run)

        with self._errors(current), self._session(WRITE_ACCESS) as session:
            return session.execute_write(unit)

    def _run_in_own_transaction(self, cypher: str, params: Mapping[str, Any] | None = None) -> Any:
        return self._write(partial(_run_alone, cypher, params))

    def _session(self, access_mode: str) -> Any:
        return self._driver.session(database=self.database, default_access_mode=access_mode)

    def ensure_schema(self) -> None:
        """Create the constraints and indexes (idempotent). Each schema change is its own
        transaction: Neo4j does not mix schema and data changes in one."""
        if self._schema_ready:
            return
        for statement in constraint_statements() + index_statements():
            self._write(partial(_run_alone, statement, None))
        self._schema_ready = True

    # ---- writes ------------------------------------------------------------------------
    def write(self, data: GraphData, progress: ProgressFn | None = None) -> WriteSummary:
        """Upsert ``data``. ``progress(what, rows_done, rows_total)`` is called after
        every batch."""
        self.ensure_schema()
        steps = plan_write(data)
        rows: dict[str, int] = {}
        for step in steps:
            if not step.replaces:
                rows[step.what] = rows.get(step.what, 0) + len(step.frame)
        policy_doc = (
            json.dumps(data.policy, ensure_ascii=False, sort_keys=True) if data.policy is not None else None
        )

        def everything(run: Callable[..., Any]) -> dict[str, int]:
            created = send_batches(run, steps, self.batch_size, progress)
            if policy_doc is not None:
                run(POLICY_STATEMENT, {"id": "policy", "document": policy_doc})
            return created

        # atomic: every batch in one managed transaction; otherwise each batch commits alone
        run_each_alone = self._run_in_own_transaction
        created = self._write(everything) if self.atomic_writes else everything(run_each_alone)
        return WriteSummary(rows=rows, created=created)

    # ---- reads -------------------------------------------------------------------------
    def snapshot(self) -> GraphSnapshot:
        """All frames read in one read transaction, so they agree with each other."""
        return self._read(build_snapshot)

    def query(self, cypher: str, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
        """Run an analyst's Cypher in a READ transaction: the server refuses writes."""
        return self._read(lambda read: read(cypher, params))

    def subgraph(self, keys: Sequence[str], hops: int = 1, limit: int = 200) -> Subgraph:
        return self._read(lambda read: self._subgraph(read, keys, hops, limit))

    @staticmethod
    def _subgraph(read: Callable[..., pd.DataFrame], keys: Sequence[str], hops: int, limit: int) -> Subgraph:
        seen: dict[str, tuple[str, str, str]] = {}
        for key in keys:
            label, node_id = split_entity_key(key)
            seen[key] = (label, node_id, "")
        edges: set[tuple[str, str, str]] = set()
        frontier = list(seen)
        truncated = False
        for _ in range(hops):
            by_label: dict[str, list[str]] = {}
            for key in frontier:
                label, node_id, _name = seen[key]
                if label in _NOT_EXPANDED:
                    continue
                by_label.setdefault(label, []).append(node_id)
            found: list[str] = []
            for label, ids in by_label.items():
                for outgoing in neighbour_directions(label):
                    frame = read(neighbour_statement(label, outgoing), {"ids": ids, "cap": limit * 4})
                    for row in frame.itertuples(index=False):
                        nkey = entity_key(label, row.nid)
                        mkey = entity_key(row.mlabel, row.mid)
                        if mkey not in seen:
                            if len(seen) >= limit:
                                truncated = True
                                continue
                            seen[mkey] = (
                                row.mlabel,
                                row.mid,
                                row.mname if isinstance(row.mname, str) else "",
                            )
                            found.append(mkey)
                        edges.add((nkey, mkey, row.type) if outgoing else (mkey, nkey, row.type))
            frontier = found
        names: dict[str, str] = {}
        wanted: dict[str, list[str]] = {}
        for label, node_id, _ in seen.values():
            if "name" in node_type(label).prop_names:
                wanted.setdefault(label, []).append(node_id)
        for label, ids in wanted.items():
            frame = read(names_statement(label), {"ids": ids})
            for node_id, name in zip(frame["id"], frame["name"], strict=True):
                if isinstance(name, str):
                    names[entity_key(label, node_id)] = name
        nodes = pd.DataFrame(
            [(k, lab, nid, names.get(k) or nm or nid) for k, (lab, nid, nm) in seen.items()],
            columns=["key", "label", "id", "name"],
        )
        edge_frame = pd.DataFrame(sorted(edges), columns=["src", "dst", "type"])
        return Subgraph(nodes=nodes, edges=edge_frame, truncated=truncated)

    # ---- alerts ------------------------------------------------------------------------
    def save_alerts(self, alerts: Sequence[AlertRecord], seen_at: datetime) -> AlertSaveSummary:
        if not alerts:
            return AlertSaveSummary(0, 0, 0)
        self.ensure_schema()
        now = seen_at.astimezone().replace(tzinfo=None) if seen_at.tzinfo else seen_at
        alert_rows_out = [
            {"id": a.id, **{f: getattr(a, f) for f in ALERT_FIELDS if f != "evidence"}}
            | {"score": float(a.score), "evidence": a.evidence_json()}
            for a in alerts
        ]
        flags: dict[str, list[dict[str, str]]] = {}
        for a in alerts:
            for key in a.entities:
                label, node_id = split_entity_key(key)
                if label in ENTITY_LABELS:
                    flags.setdefault(label, []).append({"alert_id": a.id, "entity_id": node_id})

        def save(run: Callable[..., Any]) -> AlertSaveSummary:
            before = run(ALERTS_KNOWN_STATEMENT, {"ids": [a.id for a in alerts]}, rows=True)
            known = {r.id: (r.score, r.evidence) for r in before.itertuples(index=False)}
            for start in range(0, len(alert_rows_out), self.batch_size):
                run(
                    ALERT_MERGE_STATEMENT,
                    {"rows": alert_rows_out[start : start + self.batch_size], "now": now},
                )
            for label, pairs in flags.items():
                for start in range(0, len(pairs), self.batch_size):
                    run(flag_statement(label), {"rows": pairs[start : start + self.batch_size]})
            new = sum(1 for a in alerts if a.id not in known)
            unchanged = sum(
                1 for a in alerts if a.id in known and known[a.id] == (float(a.score), a.evidence_json())
            )
            return AlertSaveSummary(new=new, updated=len(alerts) - new - unchanged, unchanged=unchanged)

        return self._write(save)

    def alerts(self) -> pd.DataFrame:
        return alert_rows(self._read(lambda read: read(ALERTS_STATEMENT)))

    def set_alert_status(self, alert_id: str, status: str, assignee: str | None = None) -> None:
        if status not in ALERT_STATUSES:
            raise StoreError(f"unknown alert status {status!r}; expected one of {', '.join(ALERT_STATUSES)}")

        def change(run: Callable[..., Any]) -> None:
            found = run(
                ALERT_STATUS_STATEMENT, {"id": alert_id, "status": status, "assignee": assignee}, rows=True
            )
            if found.empty:
                raise StoreError(f"no alert with id {alert_id!r}")

        self._write(change)

    def counts(self) -> dict[str, dict[str, int]]:
        def count(read: Callable[..., pd.DataFrame]) -> dict[str, dict[str, int]]:
            nodes = {
                spec.label: int(read(node_count_statement(spec.label)).iloc[0, 0]) for spec in NODE_TYPES
            }
            rels = {rel.type: int(read(rel_count_statement(rel.type)).iloc[0, 0]) for rel in REL_TYPES}
            levels = read(ALERT_LEVELS_STATEMENT)
            alerts = {str(r.level): int(r.n) for r in levels.itertuples(index=False)}
            return {"nodes": nodes, "relationships": rels, "alerts": alerts}

        return self._read(count)

    # ---- plugins -----------------------------------------------------------------------
    def gds_available(self) -> bool:
        """True when the Graph Data Science plugin's Louvain procedures are installed
        (a community detector may then run on the server instead of in Python)."""
        if self._gds is None:
            from neo4j import READ_ACCESS
            from neo4j.exceptions import ClientError

            try:
                with self._session(READ_ACCESS) as session:
                    record = session.run(GDS_PROBE_STATEMENT).single()
                self._gds = bool(record and record["n"])
            except ClientError:
                # a user without the right to list procedures: treat the plugin as absent
                self._gds = False
        return self._gds

    def close(self) -> None:
        self._driver.close()

    def __enter__(self) -> Neo4jStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

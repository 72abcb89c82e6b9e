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

What it shares with the embedded store (the snapshot, the subgraph search, alert
bookkeeping, counts) is written once in :mod:`graph.cypher_store`; this module supplies
its primitives: a managed read transaction, a managed write transaction, and the library
text to run (always the Neo4j one). A relationship whose end is missing is refused, as
in the embedded store. Every statement this store can send is listed by
:func:`statements_for_linting` and checked by Neo4j's own linter in the tests.
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

from graph.cypher_lint import LOCK_PROPERTY, Statement
from graph.cypher_store import CypherStore, RunFn
from graph.cypher_store import statements_for_linting as shared_statements_for_linting
from graph.dataset import GraphData
from graph.errors import StoreError, StoreQueryError, StoreUnavailable
from graph.schema import NODE_TYPES, REL_TYPES, Prop, PropType, node_type, rel_type
from graph.snapshot import SNAPSHOT_FOR_QUERIES, SNAPSHOT_QUERIES
from graph.store import ProgressFn, WriteSummary

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "BatchResult",
    "Neo4jStore",
    "WriteStep",
    "constraint_statements",
    "frame_from_records",
    "index_statements",
    "missing_ends_statement",
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
    """Upsert a batch of relationships between existing nodes; returns how many rows found
    both ends (``matched``), so that a write refuses rows whose ends are missing."""
    spec = rel_type(rel)
    key = ", ".join(f"{k}: row.{k}" for k in spec.key_props)
    sets = ", ".join(f"r.{c} = row.{c}" for c in columns if c in spec.prop_names and c not in spec.key_props)
    return (
        f"UNWIND $rows AS row MATCH (a:{src}) WHERE a.id = row.src MATCH (b:{dst}) WHERE b.id = row.dst "
        f"MERGE (a)-[r:{rel}{' {' + key + '}' if key else ''}]->(b)"
        + (f" SET {sets}" if sets else "")
        + " RETURN count(*) AS matched"
    )


def missing_ends_statement(src: str, dst: str) -> str:
    """The rows of a batch whose source or target node is not in the store (a few, for the message)."""
    return (
        f"UNWIND $rows AS row OPTIONAL MATCH (a:{src}) WHERE a.id = row.src "
        f"OPTIONAL MATCH (b:{dst}) WHERE b.id = row.dst "
        "WITH row, a, b WHERE a IS NULL OR b IS NULL "
        "RETURN row.src AS src, row.dst AS dst, a IS NULL AS src_missing, b IS NULL AS dst_missing LIMIT 5"
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

#: Writing a property takes the node's write lock until the transaction ends; the property is
#: removed again at once, so nothing of it is ever committed (Neo4j's manual, "lost updates").
ALERT_LOCK_STATEMENT = f"MATCH (a:Alert {{id: $id}}) SET a.{LOCK_PROPERTY} = true REMOVE a.{LOCK_PROPERTY}"

#: Batched in auto-commit transactions: a whole database would not fit one.
REMOVE_EVERYTHING_STATEMENT = "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"

#: GDS is a server plugin; its presence is asked of the server, never assumed.
GDS_PROBE_STATEMENT = (
    "SHOW PROCEDURES YIELD name WHERE name STARTS WITH 'gds.louvain' RETURN count(name) AS n"
)


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
    """Every statement template this store can send, rendered with sample parameters: its
    own and those it shares with the embedded store (:mod:`graph.cypher_store`)."""
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
            out.append(
                Statement(
                    f"missing:{rel.type}:{src}:{dst}", missing_ends_statement(src, dst), {"rows": [row]}
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
    # the check for missing ends depends on the two labels only
    pairs = sorted({pair for rel in REL_TYPES for pair in rel.ends})
    sample = {"rows": [{"src": "A1", "dst": "B1"}]}
    out += [Statement(f"missing:{a}:{b}", missing_ends_statement(a, b), sample) for a, b in pairs]
    out.append(Statement("policy", POLICY_STATEMENT, {"id": "policy", "document": "{}"}))
    out.append(Statement("gds:probe", GDS_PROBE_STATEMENT))
    out.append(Statement("alerts:lock", ALERT_LOCK_STATEMENT, {"id": "A1"}))
    out.append(Statement("remove-everything", REMOVE_EVERYTHING_STATEMENT))
    out += [Statement(f"snapshot:{name}", text) for name, text in SNAPSHOT_QUERIES.items()]
    out += [
        Statement(f"snapshot-for:{name}", text, {"contracts": ["C1"]})
        for name, text in SNAPSHOT_FOR_QUERIES.items()
        if "$contracts" in text
    ]
    out += shared_statements_for_linting()
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
    ends: tuple[str, str] | None = None  # (source label, target label) of a relationship step
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
        steps.append(WriteStep(label, node_merge_statement(label, list(frame.columns)), frame, props))
    for (rel, src, dst), frame in data.rels.items():
        props = {p.name: p for p in rel_type(rel).props}
        replace = rel_replace_statement(rel, src, dst)
        if replace is not None and not frame.empty:
            steps.append(WriteStep(rel, replace, replacement_rows(rel, frame), props, replaces=True))
        steps.append(
            WriteStep(
                rel, rel_merge_statement(rel, src, dst, list(frame.columns)), frame, props, ends=(src, dst)
            )
        )
    return steps


def _run_alone(statement: str, params: Mapping[str, Any] | None, run: Callable[..., Any]) -> Any:
    return run(statement, params)


@dataclass(frozen=True)
class BatchResult:
    """What the server answered to one statement: its rows and its summary's counters."""

    rows: pd.DataFrame
    counters: Any  # neo4j.SummaryCounters


def send_batches(
    run: Callable[..., BatchResult],
    steps: Sequence[WriteStep],
    batch_size: int,
    progress: ProgressFn | None = None,
) -> dict[str, int]:
    """Send every batch of ``steps`` through ``run(cypher, params) -> BatchResult``; return
    what the server reports created, per label or relationship type. ``progress(what,
    rows_done, rows_total)`` follows each batch.

    A relationship whose source or target is not in the store is refused with a
    :class:`StoreError` naming it (as the embedded store does); in an atomic write that
    rolls back everything the write sent."""
    total = sum(len(step.frame) for step in steps if not step.replaces)
    created = {step.what: 0 for step in steps}
    done = 0
    for step in steps:
        for batch in step.batches(batch_size):
            result = run(step.statement, {"rows": batch})
            if step.replaces:
                continue
            if step.ends is not None:
                matched = int(result.rows["matched"].iloc[0]) if len(result.rows) else 0
                if matched < len(batch):
                    _refuse_missing_ends(run, step, batch, matched)
            counters = result.counters
            created[step.what] += (
                counters.nodes_created if step.ends is None else counters.relationships_created
            )
            done += len(batch)
            if progress:
                progress(step.what, done, total)
    return created


def _refuse_missing_ends(
    run: Callable[..., BatchResult], step: WriteStep, batch: list[dict[str, Any]], matched: int
) -> None:
    assert step.ends is not None
    src, dst = step.ends
    missing = run(missing_ends_statement(src, dst), {"rows": batch}).rows
    examples = "; ".join(
        f"{r.src} -> {r.dst} ({'no ' + src + ' ' + str(r.src) if r.src_missing else 'no ' + dst + ' ' + str(r.dst)})"
        for r in missing.itertuples(index=False)
    )
    raise StoreError(
        f"{step.what} ({src} -> {dst}) cannot be written: {len(batch) - matched} of {len(batch)} "
        f"relationships reference nodes that are not in the store, e.g. {examples}"
    )


class _Current:
    """The statement a transaction function is running, for error messages."""

    statement = ""


class Neo4jStore(CypherStore):
    """A :class:`graph.store.Store` on a Neo4j 5 server."""

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
            # the server's hints (an unknown label in an empty database, ...) are not the user's concern
            self._driver = GraphDatabase.driver(
                uri, auth=auth, connection_timeout=connection_timeout, notifications_min_severity="OFF"
            )
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

    def _write(self, work: Callable[[Callable[..., BatchResult]], T]) -> T:
        """Run ``work(run)`` in one managed write transaction; ``run(cypher, params)``
        returns the statement's rows and counters."""
        from neo4j import WRITE_ACCESS

        current = _Current()

        def unit(tx: Any) -> T:
            def run(cypher: str, params: Mapping[str, Any] | None = None) -> BatchResult:
                current.statement = cypher
                result = tx.run(cypher, _bolt_params(params))
                rows = _frame(result)
                return BatchResult(rows, result.consume().counters)

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
    def query(self, cypher: str, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
        """Run an analyst's Cypher in a READ transaction: the server refuses writes."""
        return self._read(lambda read: read(cypher, params))

    # ---- the primitives of CypherStore -------------------------------------------------
    def _read_all(self, work: Callable[[RunFn], T]) -> T:
        return self._read(work)

    def _write_all(self, work: Callable[[RunFn], T]) -> T:
        self.ensure_schema()
        return self._write(lambda run: work(lambda cypher, params=None: run(cypher, params).rows))

    def _lock_alert(self, run: RunFn, alert_id: str) -> None:
        run(ALERT_LOCK_STATEMENT, {"id": alert_id})

    def cypher_variant(self, texts: Mapping[str, str]) -> str:
        return texts["neo4j"]

    def remove_everything(self) -> None:
        """Delete every node and relationship of the database, in batches (the constraints and
        indexes stay). For benchmarks, which start from an empty database and leave one."""
        with self._errors(_Current()), self._session("WRITE") as session:
            session.run(REMOVE_EVERYTHING_STATEMENT).consume()

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

    def gds_runner(self) -> Callable[[str, Mapping[str, Any]], list[dict[str, Any]]] | None:
        """A way to run Graph Data Science statements on this server (for the ``gds`` community
        engine), or None when the plugin is absent."""
        if not self.gds_available():
            return None

        def run(cypher: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
            from neo4j import WRITE_ACCESS
            from neo4j.exceptions import DriverError, Neo4jError

            try:
                with self._session(WRITE_ACCESS) as session:
                    return session.run(cypher, dict(params)).data()
            except (DriverError, Neo4jError) as exc:
                raise translate_error(exc, self.uri, self.database, cypher) from exc

        return run

    def close(self) -> None:
        self._driver.close()

    def __enter__(self) -> Neo4jStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

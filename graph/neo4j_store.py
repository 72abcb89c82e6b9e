"""The production store: a Neo4j 5 server over Bolt, through the official driver.

It implements the same :class:`graph.store.Store` protocol as the embedded
:class:`graph.ladybug_store.LadybugStore`, and behaves the same way: writes are
idempotent upserts keyed on ``id``; a write that fits one transaction is all or nothing;
alerts keep their status and first sighting across runs; an analyst's query cannot write.

How it talks to Neo4j
---------------------
* **Managed transactions.** Every read runs in ``session.execute_read`` and every
  write in ``session.execute_write``, so the driver retries transient failures
  (leader switch, deadlock) by running the whole unit again. That is safe because
  every write is a ``MERGE``.
* **Batches and transactions.** ``write()`` sends ``UNWIND $rows AS row MERGE ...``
  batches (``batch_size`` rows, 5,000 by default) keyed on the ``id`` constraints,
  relationships by the ids of their ends. First it checks, reading only, that every
  relationship's ends are in the write or already in the store, so bad data is refused
  before anything is written. A write of up to ``transaction_rows`` rows (50,000 by
  default) is then one transaction: all or nothing, like the embedded store. A larger
  one commits every ``transaction_rows`` rows, because Neo4j holds a transaction's changes
  in server memory until it commits (``db.memory.transaction.total.max``: 100,000
  contracts in one transaction overran a 4 GiB heap). If the server fails part-way
  (it stops, the connection drops), the transactions already committed stay, and
  :class:`graph.errors.PartialWriteError` says how many rows are in; loading the same
  extract again completes the load, since every statement is an upsert.
  ``transaction_rows=None`` (``SUNLIGHT_NEO4J_TRANSACTION_ROWS=0``) puts any write in one
  transaction, for a server given the memory for it.
* **Read-only queries.** :meth:`Neo4jStore.query` opens its session in READ access
  mode and runs in ``execute_read``; the server refuses any write in it.
* **Types.** Dates are stored as ``DATE`` and timestamps (local time, as the data
  contract has them) as ``LOCAL DATETIME``; they travel as ISO text that the statement
  converts (``date(row.x)``, ``localdatetime(row.x)``), since the driver's own
  conversion of Python datetimes costs more than the rest of the row. Reads turn them
  back into pandas ``datetime64`` columns, as the embedded store returns them.
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

import numpy as np
import pandas as pd

from graph.cypher_lint import LOCK_PROPERTY, Statement
from graph.cypher_store import CypherStore, RunFn, market_shares_statement, present_statement
from graph.cypher_store import statements_for_linting as shared_statements_for_linting
from graph.dataset import GraphData
from graph.errors import PartialWriteError, StoreError, StoreQueryError, StoreUnavailable
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
#: Rows per transaction of a large write: the server holds a transaction's changes in memory
#: until it commits (``db.memory.transaction.total.max``, by default 70 % of the heap); 50,000
#: upserted rows take tens of megabytes there. A write no larger is one transaction.
DEFAULT_TRANSACTION_ROWS = 50_000
TRANSACTION_ROWS_ENV = "SUNLIGHT_NEO4J_TRANSACTION_ROWS"
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


def _value(prop: Prop | None, name: str) -> str:
    """How a statement reads ``row.<name>``: timestamps travel as ISO text and become ``LOCAL
    DATETIME`` on the server (the driver's own conversion of a Python datetime costs more than
    the rest of a row), dates likewise become ``DATE``; ``localdatetime(null)`` is null."""
    if prop is not None and prop.type == PropType.TIMESTAMP:
        return f"localdatetime(row.{name})"
    if prop is not None and prop.type == PropType.DATE:
        return f"date(row.{name})"
    return f"row.{name}"


def node_merge_statement(label: str, columns: Sequence[str]) -> str:
    """Upsert a batch of ``label`` nodes; only the properties in ``columns`` are set."""
    spec = node_type(label)
    props = {p.name: p for p in spec.props}
    sets = ", ".join(f"n.{c} = {_value(props[c], c)}" for c in columns if c != "id" and c in props)
    return f"UNWIND $rows AS row MERGE (n:{label} {{id: row.id}})" + (f" SET {sets}" if sets else "")


def rel_merge_statement(rel: str, src: str, dst: str, columns: Sequence[str]) -> str:
    """Upsert a batch of relationships between existing nodes; returns how many rows found
    both ends (``matched``), so that a write refuses rows whose ends are missing."""
    spec = rel_type(rel)
    props = {p.name: p for p in spec.props}
    key = ", ".join(f"{k}: {_value(props.get(k), k)}" for k in spec.key_props)
    sets = ", ".join(
        f"r.{c} = {_value(props[c], c)}" for c in columns if c in props and c not in spec.key_props
    )
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
            prop = next((p for p in spec.props if p.name == field_name), None)
            conditions.append(f"r.{field_name} = {_value(prop, field_name)}")
    other = "b" if "src" in spec.replace_per else "a"
    return (
        f"UNWIND $rows AS row MATCH (a:{src})-[r:{rel}]->(b:{dst}) WHERE {' AND '.join(conditions)} "
        f"AND NOT {other}.id IN row.keep DELETE r"
    )


def replacement_rows(rel: str, frame: pd.DataFrame) -> pd.DataFrame:
    """One row per ``replace_per`` key of ``frame`` with ``keep``: the other ends it names,
    sorted, keys in order (rows with a missing key name no link to replace)."""
    spec = rel_type(rel)
    other = "dst" if "src" in spec.replace_per else "src"
    per = list(spec.replace_per)
    pairs = frame[[*per, other]].dropna(subset=per).astype({other: str})
    pairs = pairs.drop_duplicates().sort_values([*per, other], kind="stable").reset_index(drop=True)
    # one slice of the sorted pairs per key (a contract has one supplier: tens of thousands of
    # one-element groups, which a per-group Python function would take seconds over)
    starts = np.flatnonzero(~pairs.duplicated(subset=per).to_numpy())
    ends = [*starts[1:], len(pairs)] if len(starts) else []
    names = pairs[other].tolist()
    keys = pairs.iloc[starts][per].reset_index(drop=True)
    return keys.assign(keep=[names[a:b] for a, b in zip(starts, ends, strict=True)])


POLICY_STATEMENT = "MERGE (p:Policy {id: $id}) SET p.document = $document"

#: Writing a property takes the node's write lock until the transaction ends; the property is
#: removed again at once, so nothing of it is ever committed (Neo4j's manual, "lost updates").
ALERT_LOCK_STATEMENT = f"MATCH (a:Alert {{id: $id}}) SET a.{LOCK_PROPERTY} = true REMOVE a.{LOCK_PROPERTY}"

#: Batched in auto-commit transactions: a whole database would not fit one.
REMOVE_EVERYTHING_STATEMENT = "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"

#: The procedures the ``gds`` community engine calls (GDS is a server plugin: its presence is
#: asked of the server, never assumed).
GDS_PROCEDURES = (
    "gds.leiden.mutate",
    "gds.louvain.stream",
    "gds.graph.nodeProperty.stream",
    "gds.graph.drop",
)
GDS_PROBE_STATEMENT = (
    "SHOW PROCEDURES YIELD name WHERE name IN ["
    + ", ".join(f"'{name}'" for name in GDS_PROCEDURES)
    + "] RETURN count(name) AS n"
)


def _year_of(expression: str) -> str:
    """The calendar year of a ``DATE`` in Neo4j's Cypher."""
    return f"{expression}.year"


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
    out.append(
        Statement(
            "aggregate:market-shares",
            market_shares_statement(_year_of("signed_date")),
            {"excluded": ["电力"]},
        )
    )
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


def _moments(values: pd.Series) -> np.ndarray:
    """A column of dates or timestamps as naive local ``datetime64[us]`` (NaT where missing)."""
    moments = pd.to_datetime(values)
    if getattr(moments.dt, "tz", None) is not None:
        # the data contract's timestamps are local time without a zone
        local = [t if pd.isna(t) else t.to_pydatetime().astimezone().replace(tzinfo=None) for t in moments]
        moments = pd.to_datetime(pd.Series(local, index=values.index, dtype=object))
    return moments.to_numpy(dtype="datetime64[us]")


def _column_to_bolt(values: pd.Series, ptype: PropType) -> list[Any]:
    """One column as the driver should send it, converted as a whole: ISO text for dates and
    timestamps (the statement turns it into ``DATE`` / ``LOCAL DATETIME``, see ``_value``),
    int, float, bool, str, None where missing (or lists of strings, for the ids a
    replacement keeps)."""
    if ptype in (PropType.DATE, PropType.TIMESTAMP):
        moments = _moments(values)
        text = np.datetime_as_string(moments, unit="D" if ptype == PropType.DATE else "us").astype(object)
        text[np.isnat(moments)] = None
        return text.tolist()
    cells = values.tolist()
    if ptype == PropType.INT:
        return [None if _missing(v) else int(v) for v in cells]
    if ptype == PropType.FLOAT:
        return [None if _missing(v) else float(v) for v in cells]
    if ptype == PropType.BOOL:
        return [None if _missing(v) else bool(v) for v in cells]
    return [
        [str(i) for i in v]
        if isinstance(v, list | tuple)
        else None
        if _missing(v)
        else v
        if isinstance(v, str)
        else str(v)
        for v in cells
    ]


def _rows(frame: pd.DataFrame, props: Mapping[str, Prop]) -> list[dict[str, Any]]:
    columns = list(frame.columns)
    converted = [_column_to_bolt(frame[c], props[c].type if c in props else PropType.STRING) for c in columns]
    return [dict(zip(columns, values, strict=True)) for values in zip(*converted, strict=True)]


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


def _whole_number(variable: str, default: int, what: str) -> int:
    value = os.environ.get(variable)
    try:
        return int(value) if value else default
    except ValueError:
        raise StoreError(f"{variable} must be a whole number of {what}, not {value!r}") from None


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
        for batch in write_batches([self], size):
            yield batch.rows()


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


@dataclass(frozen=True)
class Batch:
    """Rows ``start:stop`` of a step's frame: one ``UNWIND $rows`` statement."""

    step: WriteStep
    start: int
    stop: int

    @property
    def size(self) -> int:
        return self.stop - self.start

    def rows(self) -> list[dict[str, Any]]:
        return _rows(self.step.frame.iloc[self.start : self.stop], self.step.props)


def write_batches(steps: Sequence[WriteStep], batch_size: int) -> list[Batch]:
    """Every step's rows, ``batch_size`` at a time, in the order of the steps."""
    return [
        Batch(step, start, min(start + batch_size, len(step.frame)))
        for step in steps
        for start in range(0, len(step.frame), batch_size)
    ]


def group_transactions(batches: Sequence[Batch], transaction_rows: int | None) -> list[list[Batch]]:
    """Consecutive batches in transactions of at most ``transaction_rows`` rows (a batch is never
    split); all in one transaction when ``transaction_rows`` is None or the write is smaller."""
    if transaction_rows is None or sum(b.size for b in batches) <= transaction_rows:
        return [list(batches)]
    groups: list[list[Batch]] = [[]]
    rows = 0
    for batch in batches:
        if groups[-1] and rows + batch.size > transaction_rows:
            groups.append([])
            rows = 0
        groups[-1].append(batch)
        rows += batch.size
    return groups


def _run_alone(statement: str, params: Mapping[str, Any] | None, run: Callable[..., Any]) -> Any:
    return run(statement, params)


@dataclass(frozen=True)
class BatchResult:
    """What the server answered to one statement: its rows and its summary's counters."""

    rows: pd.DataFrame
    counters: Any  # neo4j.SummaryCounters


def send_batches(
    run: Callable[..., BatchResult],
    batches: Sequence[Batch],
    progress: ProgressFn | None = None,
    done: int = 0,
    total: int | None = None,
) -> dict[str, int]:
    """Send ``batches`` through ``run(cypher, params) -> BatchResult``; return what the server
    reports created, per label or relationship type. ``progress(what, rows_done, rows_total)``
    follows each batch, counting from ``done`` rows of ``total`` (by default, these batches').

    A relationship whose source or target is not in the store is refused with a
    :class:`StoreError` naming it (as the embedded store does); that rolls back the
    transaction ``run`` belongs to."""
    if total is None:
        total = sum(b.size for b in batches if not b.step.replaces)
    created: dict[str, int] = {}
    for batch in batches:
        step = batch.step
        rows = batch.rows()
        result = run(step.statement, {"rows": rows})
        created.setdefault(step.what, 0)
        if step.replaces:
            continue
        if step.ends is not None:
            matched = int(result.rows["matched"].iloc[0]) if len(result.rows) else 0
            if matched < len(rows):
                _refuse_missing_ends(run, step, rows, matched)
        counters = result.counters
        created[step.what] += counters.nodes_created if step.ends is None else counters.relationships_created
        done += len(rows)
        if progress:
            progress(step.what, done, total)
    return created


def _refuse_missing_ends(
    run: Callable[..., BatchResult], step: WriteStep, batch: list[dict[str, Any]], matched: int
) -> None:
    assert step.ends is not None
    src, dst = step.ends
    missing = run(missing_ends_statement(src, dst), {"rows": batch}).rows
    raise _missing_ends_error(step, missing, len(batch) - matched, len(batch))


def _missing_ends_error(step: WriteStep, examples: pd.DataFrame, bad: int, of: int) -> StoreError:
    """``examples``: ``src, dst, src_missing, dst_missing`` rows (a few)."""
    assert step.ends is not None
    src, dst = step.ends
    listed = "; ".join(
        f"{r.src} -> {r.dst} ({'no ' + src + ' ' + str(r.src) if r.src_missing else 'no ' + dst + ' ' + str(r.dst)})"
        for r in examples.itertuples(index=False)
    )
    return StoreError(
        f"{step.what} ({src} -> {dst}) cannot be written: {bad} of {of} "
        f"relationships reference nodes that are not in the store, e.g. {listed}"
    )


def _id_texts(values: pd.Series) -> pd.Index:
    """Ids as the driver sends them (text), in an index that looks up by hashing."""
    cells = values.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(cells, skipna=False) != "string":
        cells = np.array([str(v) for v in cells], dtype=object)
    return pd.Index(cells, dtype=object)


def check_ends(
    data: GraphData, steps: Sequence[WriteStep], present: Callable[[str, list[str]], set[str]]
) -> None:
    """Refuse, before anything is written, relationships whose source or target is neither
    among the write's own nodes nor already in the store (``present(label, ids)`` says which
    of ``ids`` the store has), with the first few as examples."""
    have = {label: _id_texts(frame["id"]).unique() for label, frame in data.nodes.items()}
    for step in steps:
        if step.ends is None or step.frame.empty:
            continue
        gone: dict[str, np.ndarray] = {}
        ends: dict[str, pd.Index] = {}
        for side, label in zip(("src", "dst"), step.ends, strict=True):
            ends[side] = ids = _id_texts(step.frame[side])
            known = have.get(label, pd.Index([], dtype=object))
            asked = ids[~ids.isin(known)].unique()
            if len(asked):
                found = present(label, sorted(asked))
                known = have[label] = known.append(pd.Index(sorted(found), dtype=object))
            gone[side] = ~ids.isin(known)
        bad = np.flatnonzero(gone["src"] | gone["dst"])
        if len(bad):
            first = bad[:5]
            examples = pd.DataFrame(
                {
                    "src": ends["src"][first],
                    "dst": ends["dst"][first],
                    "src_missing": gone["src"][first],
                    "dst_missing": gone["dst"][first],
                }
            )
            raise _missing_ends_error(step, examples, len(bad), len(step.frame))


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
        transaction_rows: int | None = DEFAULT_TRANSACTION_ROWS,
        connection_timeout: float = 15.0,
    ) -> None:
        from neo4j import GraphDatabase
        from neo4j.exceptions import AuthError, DriverError, Neo4jError

        scheme = uri.partition("://")[0].lower() if "://" in uri else ""
        if scheme not in BOLT_SCHEMES:
            raise StoreUnavailable(
                f"cannot connect to Neo4j at {uri}: the URI must start with one of "
                + ", ".join(f"{s}://" for s in BOLT_SCHEMES)
            )
        if batch_size < 1:
            raise ValueError(f"batch size must be at least 1, not {batch_size}")
        if transaction_rows is not None and transaction_rows < 1:
            raise ValueError(f"rows per transaction must be at least 1 (or None), not {transaction_rows}")
        self.uri = uri
        self.database = database or None
        self.batch_size = batch_size
        self.transaction_rows = transaction_rows
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
            if isinstance(exc, AuthError) and (auth is None or not auth[1]):
                # the driver's "missing key `scheme`" does not tell the user what to set
                raise StoreUnavailable(
                    f"Neo4j at {uri} asks for a password and none was given: "
                    "set NEO4J_USERNAME and NEO4J_PASSWORD"
                ) from exc
            raise translate_error(exc, uri, self.database) from exc

    @classmethod
    def from_env(cls, uri: str | None = None) -> Neo4jStore:
        """Connect to ``uri`` (or ``NEO4J_URI``) as ``NEO4J_USERNAME`` / ``NEO4J_PASSWORD``
        (no credentials if neither is set), using ``NEO4J_DATABASE`` (else the server's
        default database), ``SUNLIGHT_NEO4J_BATCH_SIZE`` rows per batch and
        ``SUNLIGHT_NEO4J_TRANSACTION_ROWS`` rows per transaction (0: every write in one)."""
        uri = uri or os.environ.get("NEO4J_URI")
        if not uri:
            raise StoreUnavailable("no Neo4j URI: pass --neo4j URI or set NEO4J_URI")
        user = os.environ.get("NEO4J_USERNAME")
        password = os.environ.get("NEO4J_PASSWORD")
        auth = (user or "neo4j", password or "") if (user or password) else None
        batch_size = _whole_number(BATCH_SIZE_ENV, DEFAULT_BATCH_SIZE, "rows")
        transaction_rows = _whole_number(
            TRANSACTION_ROWS_ENV, DEFAULT_TRANSACTION_ROWS, "rows (0: one transaction)"
        )
        return cls(
            uri,
            auth=auth,
            database=os.environ.get("NEO4J_DATABASE"),
            batch_size=batch_size,
            transaction_rows=transaction_rows or None,
        )

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
        """Upsert ``data``. ``progress(what, rows_done, rows_total)`` is called after every batch.

        Relationships whose ends are neither in ``data`` nor in the store are refused before
        anything is written. A write of up to ``transaction_rows`` rows is one transaction, all
        or nothing; a larger one commits every ``transaction_rows`` rows, and if the server
        fails part-way a :class:`PartialWriteError` says how much is in: writing the same data
        again completes it (every statement is an upsert)."""
        self.ensure_schema()
        steps = plan_write(data)
        rows: dict[str, int] = {}
        for step in steps:
            if not step.replaces:
                rows[step.what] = rows.get(step.what, 0) + len(step.frame)
        check_ends(data, steps, self._present)
        policy_doc = (
            json.dumps(data.policy, ensure_ascii=False, sort_keys=True) if data.policy is not None else None
        )
        groups = group_transactions(write_batches(steps, self.batch_size), self.transaction_rows)
        total = sum(rows.values())
        created = {step.what: 0 for step in steps}
        committed = 0
        for number, group in enumerate(groups):
            last = number == len(groups) - 1

            def unit(
                run: Callable[..., Any], group: list[Batch] = group, last: bool = last, done: int = committed
            ) -> dict[str, int]:
                got = send_batches(run, group, progress, done, total)
                if last and policy_doc is not None:
                    run(POLICY_STATEMENT, {"id": "policy", "document": policy_doc})
                return got

            try:
                got = self._write(unit)
            except Exception as exc:
                if committed == 0:
                    raise  # nothing of the write is in the store
                raise PartialWriteError(committed, total, str(exc)) from exc
            for what, n in got.items():
                created[what] += n
            committed += sum(b.size for b in group if not b.step.replaces)
        return WriteSummary(rows=rows, created=created)

    def _present(self, label: str, ids: list[str]) -> set[str]:
        """Which of ``ids`` are nodes of ``label`` in the store (read in batches)."""

        def work(read: Callable[..., pd.DataFrame]) -> set[str]:
            found: set[str] = set()
            for start in range(0, len(ids), self.batch_size):
                chunk = ids[start : start + self.batch_size]
                found |= set(read(present_statement(label), {"ids": chunk})["id"].astype(str))
            return found

        return self._read(work)

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

    def _year_of(self, expression: str) -> str:
        return _year_of(expression)

    def cypher_variant(self, texts: Mapping[str, str]) -> str:
        return texts["neo4j"]

    def remove_everything(self) -> None:
        """Delete every node and relationship of the database, in batches (the constraints and
        indexes stay). For benchmarks, which start from an empty database and leave one."""
        with self._errors(_Current()), self._session("WRITE") as session:
            session.run(REMOVE_EVERYTHING_STATEMENT).consume()

    # ---- plugins -----------------------------------------------------------------------
    def gds_available(self) -> bool:
        """True when the Graph Data Science procedures the ``gds`` engine calls are installed
        (a community detector may then run on the server instead of in Python)."""
        if self._gds is None:
            from neo4j import READ_ACCESS
            from neo4j.exceptions import ClientError

            try:
                with self._session(READ_ACCESS) as session:
                    record = session.run(GDS_PROBE_STATEMENT).single()
                self._gds = bool(record and record["n"] == len(GDS_PROCEDURES))
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

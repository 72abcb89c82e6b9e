"""The embedded store: LadybugDB in a folder, no server.

The folder holds the database file ``graph.lbdb`` (and, beside it, whatever else
belongs to this store, such as the audit trail). Nodes and relationships are upserted
(new rows inserted, changed rows updated) so that loading the same data twice changes
nothing and a newer extract overwrites the properties it carries. A write is all or
nothing and cannot hang: a small one is one transaction; a bulk one runs in a watched
child process on a staging copy that replaces the database by one rename when it is
done (:meth:`LadybugStore.write`); if anything fails or stalls the store is as it was.

What it shares with the Neo4j store (the snapshot, the subgraph search, alert
bookkeeping, counts) is written once in :mod:`graph.cypher_store`; this module supplies
its primitives and its dialect: tables are typed, so the DDL is generated from
:mod:`graph.schema`; nullable integer columns go in as Python objects; a library entry
may carry a ``ladybug`` text of its own (:meth:`LadybugStore.cypher_variant`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa

from graph.cypher_store import CypherStore, RunFn
from graph.dataset import GraphData
from graph.errors import (
    StoreBufferPoolFull,
    StoreError,
    StoreQueryError,
    StoreUnavailable,
    StoreWriteStalled,
)
from graph.schema import NODE_TYPES, REL_TYPES, Prop, PropType, node_type, rel_type
from graph.store import ProgressFn, WriteSummary
from graph.watched import StepReport, WorkDied, WorkStalled, run_watched, stall_seconds

__all__ = ["DB_FILENAME", "STAGING_PREFIX", "LadybugStore", "ddl_statements"]

T = TypeVar("T")
_log = logging.getLogger(__name__)

DB_FILENAME = "graph.lbdb"
#: Folders in the store folder named so hold the database while a staged write runs.
STAGING_PREFIX = ".write-"
_DEFAULT_BUFFER_POOL_MB = 2048
#: LadybugDB reserves the largest size a database may grow to as address space when it
#: opens one (8 TiB unless told); the kernel's 128 TiB user space then holds only fifteen
#: open stores, and the sixteenth fails with "Mmap ... failed". 1 TiB is far beyond any
#: organisation's graph and lets a long-lived process (the test suite, the app with a
#: scheduler beside it) open a hundred.
_DEFAULT_MAX_DB_GIB = 1024
_READER_WAIT_SECONDS = 30.0
#: How each property type travels to a ``COPY`` (see :func:`_arrow_table`).
_ARROW_TYPES: dict[PropType, pa.DataType] = {
    PropType.STRING: pa.string(),
    PropType.INT: pa.int64(),
    PropType.FLOAT: pa.float64(),
    PropType.BOOL: pa.bool_(),
    PropType.DATE: pa.date32(),
    PropType.TIMESTAMP: pa.timestamp("us"),
}
#: A staged write that stalls is thrown away and done again this many times in all.
_DEFAULT_WRITE_ATTEMPTS = 2
#: Fewer new rows than this are inserted with CREATE rather than COPY: each COPY holds a
#: slice of the buffer pool until the process ends, which a long-lived process making
#: many small writes (the scheduler, the app, the OCDS loader) would run out of.
_COPY_MIN_ROWS = int(os.environ.get("SUNLIGHT_COPY_MIN_ROWS", "1000"))


def _write_attempts() -> int:
    """How many times a staged write that stalls is tried in all (SUNLIGHT_WRITE_ATTEMPTS, at least 1)."""
    return max(1, int(os.environ.get("SUNLIGHT_WRITE_ATTEMPTS", _DEFAULT_WRITE_ATTEMPTS)))


def _buffer_pool_mb() -> int:
    return int(os.environ.get("SUNLIGHT_BUFFER_POOL_MB", _DEFAULT_BUFFER_POOL_MB))


def _column_ddl(prop: Prop) -> str:
    if prop.name == "id":
        return "id STRING PRIMARY KEY"
    return f"{prop.name} {prop.type.value}"


def ddl_statements() -> list[str]:
    """The statements that create every table of the schema (idempotent)."""
    out = []
    for spec in NODE_TYPES:
        cols = ", ".join(_column_ddl(p) for p in spec.props)
        out.append(f"CREATE NODE TABLE IF NOT EXISTS {spec.label}({cols})")
    return out + _rel_ddl()


def _rel_ddl() -> list[str]:
    out = []
    for rel in REL_TYPES:
        ends = ", ".join(f"FROM {a} TO {b}" for a, b in rel.ends)
        props = "".join(f", {p.name} {p.type.value}" for p in rel.props)
        out.append(f"CREATE REL TABLE IF NOT EXISTS {rel.type}({ends}{props})")
    return out


def _added_columns(existing: Mapping[str, set[str]]) -> list[str]:
    """``ALTER TABLE`` statements for node properties the schema gained after a store was made
    (``existing``: label -> its columns), so an older store opens with the newer code."""
    out = []
    for spec in NODE_TYPES:
        have = existing.get(spec.label)
        if have is None:
            continue
        for prop in spec.props:
            if prop.name not in have:
                out.append(f"ALTER TABLE {spec.label} ADD IF NOT EXISTS {prop.name} {prop.type.value}")
    return out


def _cast(prop: Prop, column: str) -> str:
    # every typed value is cast: a column that is empty in every row arrives untyped
    if prop.type != PropType.STRING:
        return f"CAST({column} AS {prop.type.value})"
    return column


def _props_map(props: Mapping[str, Prop], columns: Sequence[str], ref: Callable[[str], str]) -> str:
    """`` {a: row.a, b: CAST(row.b AS DATE)}`` for ``columns`` other than the ends, or ``""``."""
    names = [c for c in columns if c not in ("src", "dst")]
    if not names:
        return ""
    return " {" + ", ".join(f"{c}: {_cast(props[c], ref(c))}" for c in names) + "}"


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of ``frame`` as plain Python values (None for missing)."""
    out: list[dict[str, Any]] = []
    columns = list(frame.columns)
    for values in frame.itertuples(index=False, name=None):
        row: dict[str, Any] = {}
        for column, value in zip(columns, values, strict=True):
            if value is None or (not isinstance(value, str) and pd.isna(value)):
                row[column] = None
            elif isinstance(value, pd.Timestamp):
                row[column] = value.to_pydatetime()
            elif hasattr(value, "item"):  # numpy scalars
                row[column] = value.item()
            else:
                row[column] = value
        out.append(row)
    return out


def _changed_rows(incoming: pd.DataFrame, existing: pd.DataFrame, identity: list[str]) -> pd.DataFrame:
    """Rows of ``incoming`` (all already in the store) whose values differ from ``existing``."""
    values = [c for c in incoming.columns if c not in identity]
    if incoming.empty or not values:
        return incoming.iloc[0:0]
    joined = incoming.merge(existing[identity + values], on=identity, how="left", suffixes=("", "__old"))
    differs = pd.Series(False, index=joined.index)
    for col in values:
        new, old = joined[col], joined[f"{col}__old"]
        same = (new == old) | (new.isna() & old.isna())
        differs |= ~same.fillna(False).astype(bool)
    return joined.loc[differs, list(incoming.columns)].reset_index(drop=True)


def _for_ladybug(frame: pd.DataFrame, props: Mapping[str, Prop]) -> pd.DataFrame:
    """Convert pandas extension dtypes that the scanner cannot read into plain ones."""
    out = pd.DataFrame(index=frame.index)
    for col in frame.columns:
        values = frame[col]
        prop = props.get(col)
        ptype = prop.type if prop else PropType.STRING
        if ptype in (PropType.DATE, PropType.TIMESTAMP):
            out[col] = pd.to_datetime(values, errors="coerce").astype("datetime64[us]")
        elif ptype == PropType.FLOAT:
            out[col] = pd.to_numeric(values, errors="coerce").astype("float64")
        elif ptype == PropType.INT:
            numbers = pd.to_numeric(values, errors="coerce")
            if numbers.notna().all():
                out[col] = numbers.astype("int64")
            else:
                out[col] = pd.Series(
                    [None if pd.isna(v) else int(v) for v in numbers], index=frame.index, dtype=object
                )
        elif ptype == PropType.BOOL:
            out[col] = pd.Series(
                [None if pd.isna(v) else bool(v) for v in values], index=frame.index, dtype=object
            )
        else:
            out[col] = values.astype(object).where(values.notna(), None)
    return out.reset_index(drop=True)


def _arrow_table(frame: pd.DataFrame, props: Sequence[Prop], names: Mapping[str, str] | None = None) -> Any:
    """``frame`` as the Arrow table a ``COPY`` reads: one column per property of ``props`` in
    that order, typed as the table is (a property the frame does not carry is all null),
    ``names`` renaming frame columns first (``src`` -> ``from``).

    Arrow rather than pandas: text columns go over without a Python object per value (the
    frames' text is Arrow already), and nulls are nulls in every type, so integers and booleans
    need no object columns.
    """
    names = dict(names or {})
    given = {names.get(c, c): c for c in frame.columns}
    columns = []
    for prop in props:
        kind = _ARROW_TYPES[prop.type]
        source = given.get(prop.name)
        if source is None:
            columns.append(pa.nulls(len(frame), kind))
            continue
        values = frame[source]
        if prop.type in (PropType.DATE, PropType.TIMESTAMP):
            moments = pd.to_datetime(values, errors="coerce").astype("datetime64[us]")
            column = pa.array(moments, type=pa.timestamp("us"), from_pandas=True).cast(kind)
        elif prop.type == PropType.INT and pd.api.types.is_integer_dtype(values.dtype):
            column = pa.array(values, type=kind, from_pandas=True)
        elif prop.type in (PropType.INT, PropType.FLOAT):
            numbers = pd.to_numeric(values, errors="coerce").astype("float64")
            column = pa.array(numbers, type=pa.float64(), from_pandas=True).cast(kind)
        elif prop.type == PropType.BOOL:
            column = pa.array(values.astype("boolean"), type=kind)
        elif pd.api.types.is_string_dtype(values.dtype) and not pd.api.types.is_object_dtype(values.dtype):
            column = pa.array(values, type=kind)
        else:
            column = pa.array(values.astype("str"), type=kind)
        columns.append(column)
    return pa.table(columns, names=[p.name for p in props])


#: Up to this many ids a drill-down hop looks each up by its primary key, one statement each;
#: more are matched as one list (a scan of the label's table, cheaper than hundreds of look-ups).
_IDS_ONE_BY_ONE = 64


class LadybugStore(CypherStore):
    """A :class:`graph.store.Store` on an embedded LadybugDB database in ``folder``."""

    def __init__(self, folder: str | os.PathLike[str], read_only: bool = False) -> None:
        self.folder = Path(folder)
        self.read_only = read_only
        db_file = self.folder / DB_FILENAME
        if read_only and not db_file.exists():
            raise StoreUnavailable(
                f"no Sunlight store at {self.folder} (run `sunlight load` or `sunlight demo`)"
            )
        if self.folder.exists() and not self.folder.is_dir():
            raise StoreUnavailable(f"{self.folder} is a file, not a store folder")
        self.folder.mkdir(parents=True, exist_ok=True)
        self._open_engine(wait_seconds=_READER_WAIT_SECONDS if read_only else 0)
        if read_only and _added_columns(self._columns()):
            self._upgrade_for_reading()

    def _upgrade_for_reading(self) -> None:
        """A store made by an older Sunlight lacks the properties added since, and a reader
        cannot add them (every read of those nodes would fail): add them once as a writer
        opening it would, then read. A writer holding the store has added them at its open."""
        self.close()
        with contextlib.suppress(StoreUnavailable):  # a writer holds it: it upgraded it at its open
            LadybugStore(self.folder).close()
        self._open_engine(wait_seconds=_READER_WAIT_SECONDS)
        missing = _added_columns(self._columns())
        if missing:
            self.close()
            raise StoreUnavailable(
                f"the store at {self.folder} was made by an older Sunlight and lacks "
                f"{len(missing)} properties; run `sunlight detect` (or any command that writes) once"
            )

    def _open_engine(self, wait_seconds: float) -> None:
        import ladybug

        db_file = self.folder / DB_FILENAME
        # A reader cannot open while a writer in another process is checkpointing, and one
        # that opens while the writer is appending to the write-ahead log can read its last
        # record half-written (a checksum failure); both last moments, so readers (the app,
        # exports) try again rather than fail. A log that stays bad fails at the deadline.
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                self._db = ladybug.Database(
                    str(db_file),
                    read_only=self.read_only,
                    buffer_pool_size=_buffer_pool_mb() * 1024 * 1024,
                    max_db_size=int(os.environ.get("SUNLIGHT_MAX_DB_GIB", _DEFAULT_MAX_DB_GIB)) * 1024**3,
                )
                self._conn = ladybug.Connection(self._db)
                break
            except RuntimeError as exc:
                text = str(exc).lower()
                busy = (
                    "checkpoint" in text
                    or "lock" in text
                    or (self.read_only and "wal file is corrupted" in text)
                )
                if not busy or time.monotonic() >= deadline:
                    raise StoreUnavailable(f"cannot open the store at {self.folder}: {exc}") from exc
                time.sleep(0.05)
        if not self.read_only:
            for statement in ddl_statements():
                self._execute(statement)
            for statement in _added_columns(self._columns()):
                self._execute(statement)

    def _columns(self) -> dict[str, set[str]]:
        """The columns each node table has in this store."""
        out = {}
        for spec in NODE_TYPES:
            try:
                info = self._read(f"CALL table_info('{spec.label}') RETURN name")
            except StoreQueryError:  # no such table (a read-only store older than the label)
                continue
            out[spec.label] = set(info["name"])
        return out

    # ---- low level ---------------------------------------------------------------
    def _execute(self, cypher: str, params: Mapping[str, Any] | None = None) -> Any:
        try:
            return self._conn.execute(cypher, dict(params or {}))
        except RuntimeError as exc:
            raise StoreQueryError(str(exc), cypher) from exc

    def _read(self, cypher: str, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
        return self._execute(cypher, params).get_as_df()

    def _transaction(self) -> _Transaction:
        if self.read_only:
            raise StoreError(f"the store at {self.folder} is open read-only")
        return _Transaction(self)

    # ---- writes ------------------------------------------------------------------
    def write(self, data: GraphData, progress: ProgressFn | None = None) -> WriteSummary:
        """Upsert ``data``: all of it or nothing, in bounded time.

        A write small enough to need no bulk insert (fewer rows than ``_COPY_MIN_ROWS`` in all)
        is one transaction in this process. A larger one runs in a watched child process
        (:mod:`graph.watched`) on a staging copy of the database in the store folder, because the
        engine's bulk insert can deadlock: a child that stops making progress is killed and
        :class:`graph.errors.StoreWriteStalled` raised; one that finishes has its copy renamed
        over the live database, one atomic step. Either way a failed write changes nothing.
        """
        if self.read_only:
            raise StoreError(f"the store at {self.folder} is open read-only")
        if sum(len(f) for f in [*data.nodes.values(), *data.rels.values()]) < _COPY_MIN_ROWS:
            with self._transaction():
                return self._write_steps(data, finished=progress)
        return self._write_staged(data, progress)

    def _write_steps(
        self,
        data: GraphData,
        starting: ProgressFn | None = None,
        finished: ProgressFn | None = None,
        release: bool = False,
    ) -> WriteSummary:
        """The upserts of one write, in the caller's transaction; ``starting`` and ``finished``
        are told of each step. With ``release`` each frame is dropped from ``data`` once written
        (the write process's copy: its memory goes back while the engine's buffer pool grows)."""
        rows: dict[str, int] = {}
        created: dict[str, int] = {}
        steps: list[tuple[str, Callable[[], int]]] = []

        def frame_of(table: dict[Any, pd.DataFrame], key: Any) -> pd.DataFrame:
            return table.pop(key) if release else table[key]

        for label, frame in data.nodes.items():
            rows[label] = len(frame)
            steps.append((label, lambda label=label: self._upsert_nodes(label, frame_of(data.nodes, label))))
        for (rel, src, dst), frame in data.rels.items():
            rows[rel] = rows.get(rel, 0) + len(frame)
            steps.append(
                (
                    rel,
                    lambda key=(rel, src, dst): self._upsert_rels(*key, frame_of(data.rels, key)),
                )
            )
        if data.policy is not None:
            document = json.dumps(data.policy, ensure_ascii=False, sort_keys=True)
            steps.append(("Policy", lambda: self._save_policy(document)))
        for done, (name, step) in enumerate(steps):
            if starting:
                starting(name, done, len(steps))
            try:
                n = step()
            except StoreError as exc:
                if "buffer pool is full" in str(exc):
                    raise StoreBufferPoolFull(name, _buffer_pool_mb()) from exc
                raise
            if release:
                pa.default_memory_pool().release_unused()
            if name != "Policy":
                created[name] = created.get(name, 0) + n
            if finished:
                finished(name, done + 1, len(steps))
        return WriteSummary(rows=rows, created=created)

    def _save_policy(self, document: str) -> int:
        self._execute("MERGE (p:Policy {id: 'policy'}) SET p.document = $doc", {"doc": document})
        return 0

    def _write_staged(self, data: GraphData, progress: ProgressFn | None) -> WriteSummary:
        attempts, attempt = _write_attempts(), 1
        while True:
            try:
                return self._write_staged_once(data, progress)
            except StoreWriteStalled as exc:
                if attempt >= attempts:
                    raise
                attempt += 1
                # the engine's deadlock strikes at random: the same write done again usually completes
                _log.warning(
                    "写入停滞，已丢弃并重试（第 %d/%d 次）/ the write stalled, discarded, trying again "
                    "(attempt %d of %d): %s",
                    *(attempt, attempts) * 2,
                    exc.text("en"),
                )

    def _write_staged_once(self, data: GraphData, progress: ProgressFn | None) -> WriteSummary:
        staging = self._new_staging()
        try:
            summary = run_watched(
                lambda report: _write_into(staging, data, report), stall_seconds(), on_finished=progress
            )
            self._swap_in(staging / DB_FILENAME)
        except WorkStalled as exc:
            raise StoreWriteStalled(exc.step, exc.done, exc.total, exc.seconds, _buffer_pool_mb()) from None
        except WorkDied as exc:
            raise StoreError(f"{exc}; the store is unchanged") from None
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return summary

    def _new_staging(self) -> Path:
        """A new folder beside the database holding a copy of it, for a staged write."""
        for old in self.folder.glob(f"{STAGING_PREFIX}*"):
            if not _writer_alive(old.name):  # left by a write that was killed
                shutil.rmtree(old, ignore_errors=True)
        staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=self.folder))
        try:
            self._execute("CHECKPOINT")  # every committed write into the database file itself
            shutil.copyfile(self.folder / DB_FILENAME, staging / DB_FILENAME)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return staging

    def _swap_in(self, staged: Path) -> None:
        """Put the finished staging copy in place of the database and reopen it."""
        extra = sorted(p.name for p in staged.parent.iterdir() if p != staged)
        if extra:  # a write-ahead log left beside it would mean the copy is not whole
            raise StoreError(f"the staged write left {', '.join(extra)} behind; the store is unchanged")
        live_log = self.folder / f"{DB_FILENAME}.wal"
        if live_log.exists():
            # the database was written after it was copied (the log would also be replayed into
            # the new file): keep it, drop the copy
            raise StoreError(
                f"{self.folder} was written while the staged write ran; the write was discarded, run it again"
            )
        _fsync(staged)
        # Renamed while this process still holds the old file (and the writer's lock on it), so no
        # other writer can slip in between. Readers that have the old file open keep reading it
        # until they close it; graph.access opens the new one on the next read.
        staged.replace(self.folder / DB_FILENAME)
        _fsync(self.folder)
        self._conn.close()
        self._db.close()
        self._open_engine(wait_seconds=_READER_WAIT_SECONDS)

    # Upserts split the input in pandas: rows whose key is new are bulk-inserted with
    # COPY (fast, and light on the buffer pool), rows that exist are updated only where a
    # value differs, so re-loading the same extract writes nothing at all. Frames come from
    # GraphData, which keeps one row per node id and per relationship identity. A table with
    # nothing in it yet (every first load) is copied into as it is: nothing to compare.
    def _upsert_nodes(self, label: str, frame: pd.DataFrame) -> int:
        spec = node_type(label)
        props = {p.name: p for p in spec.props}
        columns = list(frame.columns)
        existing = self._read(f"MATCH (n:{label}) RETURN " + ", ".join(f"n.{c} AS {c}" for c in columns))
        is_new = ~frame["id"].isin(existing["id"]).to_numpy() if len(existing) else np.ones(len(frame), bool)
        fresh = frame[is_new] if len(existing) else frame
        if len(fresh) >= _COPY_MIN_ROWS:
            self._copy_nodes(label, _arrow_table(fresh, spec.props))
        elif len(fresh):
            self._for_each_row(
                lambda ref: (
                    f"CREATE (n:{label} {{"
                    + ", ".join(f"{c}: {_cast(props[c], ref(c))}" for c in columns)
                    + "})"
                ),
                _for_ladybug(fresh, props),
            )
        if not len(existing) or len(columns) < 2:
            return int(is_new.sum())
        changed = _changed_rows(_for_ladybug(frame[~is_new], props), _for_ladybug(existing, props), ["id"])
        if len(changed):
            self._for_each_row(
                lambda ref: (
                    f"MATCH (n:{label} {{id: {ref('id')}}}) SET "
                    + ", ".join(f"n.{c} = {_cast(props[c], ref(c))}" for c in columns if c != "id")
                ),
                changed,
            )
        return int(is_new.sum())

    def _copy_nodes(self, label: str, frame: pd.DataFrame) -> None:
        # One engine thread for a node COPY: with two or more, the primary-key index builder
        # of LadybugDB 0.22 can deadlock (each worker holds one hash-index partition's lock for
        # writing and waits to read the other's; docs/benchmarks.md, "Never hang"). One thread
        # cannot take two locks in opposite orders; the watchdog stays as the last line.
        self._conn.set_max_threads_for_exec(1)
        try:
            self._execute(f"COPY {label} FROM $frame", {"frame": frame})
        finally:
            self._conn.set_max_threads_for_exec(0)  # the engine's default again

    def _upsert_rels(self, rel: str, src: str, dst: str, frame: pd.DataFrame) -> int:
        spec = rel_type(rel)
        props = {p.name: p for p in spec.props}
        identity = ["src", "dst", *spec.key_props]
        value_cols = [c for c in frame.columns if c not in identity]
        returned = ", ".join(
            ["a.id AS src", "b.id AS dst", *(f"r.{c} AS {c}" for c in [*spec.key_props, *value_cols])]
        )
        existing = self._read(f"MATCH (a:{src})-[r:{rel}]->(b:{dst}) RETURN {returned}")
        if len(existing):
            frame = _for_ladybug(frame, props)
            existing = _for_ladybug(existing, props)
            marked = frame.merge(existing[identity].assign(_known=True), on=identity, how="left")
            is_new = marked["_known"].isna().to_numpy()
            fresh = frame[is_new]
        else:
            is_new = np.ones(len(frame), bool)
            fresh = frame
        if len(fresh) >= _COPY_MIN_ROWS:
            table = _arrow_table(fresh, [Prop("from"), Prop("to"), *spec.props], {"src": "from", "dst": "to"})
            try:
                self._execute(f"COPY {rel} FROM $frame (from='{src}', to='{dst}')", {"frame": table})
            except StoreQueryError as exc:
                # a relationship whose end is missing would otherwise be lost silently
                raise StoreError(
                    f"{rel} ({src} -> {dst}) cannot be written: {str(exc).splitlines()[0]}"
                ) from exc
        elif len(fresh):
            fresh = _for_ladybug(fresh, props)
            created = self._for_each_row(
                lambda ref: (
                    f"MATCH (a:{src} {{id: {ref('src')}}}), (b:{dst} {{id: {ref('dst')}}}) "
                    f"CREATE (a)-[r:{rel}{_props_map(props, fresh.columns, ref)}]->(b)"
                ),
                fresh,
                count=True,
            )
            missing = len(fresh) - created
            if missing:
                raise StoreError(
                    f"{rel} ({src} -> {dst}) cannot be written: {missing} of {len(fresh)} relationships "
                    "reference nodes that are not in the store"
                )
        if not len(existing):
            return len(frame)
        self._delete_replaced(rel, src, dst, frame, existing)
        changed = _changed_rows(frame[~is_new], existing, identity)
        if len(changed) and value_cols:
            self._for_each_row(
                lambda ref: (
                    f"MATCH (a:{src} {{id: {ref('src')}}})-[r:{rel}{_props_map(props, spec.key_props, ref)}]->"
                    f"(b:{dst} {{id: {ref('dst')}}}) SET "
                    + ", ".join(f"r.{c} = {_cast(props[c], ref(c))}" for c in value_cols)
                ),
                changed,
            )
        return int(is_new.sum())

    def _delete_replaced(
        self, rel: str, src: str, dst: str, frame: pd.DataFrame, existing: pd.DataFrame
    ) -> None:
        """Delete the stored relationships that the incoming set replaces (see RelType.replace_per)."""
        spec = rel_type(rel)
        if not spec.replace_per or existing.empty:
            return
        identity = ["src", "dst", *spec.key_props]
        per = list(spec.replace_per)
        touched = existing[identity].merge(frame[per].drop_duplicates(), on=per)
        marked = touched.merge(frame[identity].assign(_keep=True), on=identity, how="left")
        stale = marked.loc[marked["_keep"].isna(), identity].reset_index(drop=True)
        if stale.empty:
            return
        props = {p.name: p for p in spec.props}
        self._for_each_row(
            lambda ref: (
                f"MATCH (a:{src} {{id: {ref('src')}}})-[r:{rel}{_props_map(props, spec.key_props, ref)}]->"
                f"(b:{dst} {{id: {ref('dst')}}}) DELETE r"
            ),
            _for_ladybug(stale, props),
        )

    def _for_each_row(
        self, body: Callable[[Callable[[str], str]], str], frame: pd.DataFrame, count: bool = False
    ) -> int:
        """Run ``body`` once per row of ``frame``; ``body(ref)`` builds the statement, ``ref(column)``
        names a column of the current row. Returns how many rows the statement matched.

        Small frames go in as ``UNWIND $rows`` of plain records, large ones as ``LOAD FROM``: in
        this engine version every ``LOAD FROM`` (like every ``COPY``) holds a slice of the
        buffer pool until the process ends, which only pays off for large batches.
        """
        if len(frame) < _COPY_MIN_ROWS:
            text = "UNWIND $rows AS row " + body(lambda c: f"row.{c}")
            params: dict[str, Any] = {"rows": _records(frame)}
        else:
            text = "LOAD FROM $frame " + body(lambda c: c)
            params = {"frame": frame}
        if not count:
            self._execute(text, params)
            return len(frame)
        return int(self._read(text + " RETURN count(*) AS n", params).iloc[0, 0])

    # ---- reads -------------------------------------------------------------------
    def query(self, cypher: str, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
        self._execute("BEGIN TRANSACTION READ ONLY")
        try:
            return self._read(cypher, params)
        finally:
            self._execute("ROLLBACK")

    # ---- the primitives of CypherStore ----------------------------------------------
    def _read_all(self, work: Callable[[RunFn], T]) -> T:
        # one connection, one writer: reads between statements see one state
        return work(self._read)

    def _write_all(self, work: Callable[[RunFn], T]) -> T:
        with self._transaction():
            return work(self._read)

    def _neighbours(self, read: RunFn, label: str, ids: list[str], cap: int) -> pd.DataFrame:
        # Untyped statements: this engine pays a fixed cost per UNION branch, and the ~50 typed
        # branches of a party label made a drill-down six times slower (2,019 vs 347 ms for 20
        # keys at 2,000 contracts). One statement per id while there are few: `n.id = $id` is a
        # primary-key look-up, `n.id IN $ids` scans the label's table (18 contracts at 1 M:
        # 7 ms one by one, 137 ms as a list). Alerts are dropped here, not in the statement:
        # `label(m) <> 'Alert'` there made ten drill-downs at 1 M take 9.8 s instead of 1.2 s.
        # Names are read per label afterwards: a property of an untyped neighbour costs a look
        # into every table.
        frames = []
        rows = 0
        for outgoing in (True, False):
            pattern = f"(n:{label})-[r]->(m)" if outgoing else f"(n:{label})<-[r]-(m)"
            returned = "RETURN n.id AS nid, label(r) AS rel, label(m) AS mlabel, m.id AS mid LIMIT $cap"
            if len(ids) > _IDS_ONE_BY_ONE:
                batches = [(f"MATCH {pattern} WHERE n.id IN $ids {returned}", {"ids": ids})]
            else:
                batches = [(f"MATCH {pattern} WHERE n.id = $id {returned}", {"id": i}) for i in ids]
            for statement, params in batches:
                if rows >= cap:
                    break
                frame = read(statement, {**params, "cap": cap - rows})
                rows += len(frame)
                frames.append(frame[frame["mlabel"] != "Alert"].assign(outgoing=outgoing, mname=""))
        if not frames:
            return pd.DataFrame(columns=["nid", "rel", "mlabel", "outgoing", "mid", "mname"])
        return pd.concat(frames, ignore_index=True)

    def _lock_alert(self, run: RunFn, alert_id: str) -> None:
        # one writer at a time (a file lock): nobody can change the alert meanwhile
        return

    def gds_runner(self) -> None:
        """No Graph Data Science here: community engines run in Python."""
        return

    def _year_of(self, expression: str) -> str:
        return f"date_part('year', {expression})"

    def cypher_variant(self, texts: Mapping[str, str]) -> str:
        return texts.get("ladybug") or texts["neo4j"]

    def close(self) -> None:
        self._conn.close()
        self._db.close()

    def __enter__(self) -> LadybugStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _write_into(folder: Path, data: GraphData, report: StepReport) -> WriteSummary:
    """In the write's child process: upsert ``data`` into the staging store at ``folder``."""
    store = LadybugStore(folder)
    try:
        with store._transaction():
            return store._write_steps(data, starting=report.starting, finished=report.finished, release=True)
    finally:
        store.close()


def _writer_alive(staging_name: str) -> bool:
    """Whether the process that made the staging folder ``staging_name`` still runs."""
    try:
        pid = int(staging_name[len(STAGING_PREFIX) :].split("-", 1)[0])
        os.kill(pid, 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _Transaction:
    """``with store._transaction():`` — commit on success, roll back on any error."""

    def __init__(self, store: LadybugStore) -> None:
        self.store = store

    def __enter__(self) -> None:
        self.store._execute("BEGIN TRANSACTION")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.store._execute("COMMIT")
            # Committed data stays in the buffer pool until a checkpoint; without one, a
            # long-lived process (the scheduler, the app) runs out of pool after a few writes.
            self.store._execute("CHECKPOINT")
            return
        # the database may already have rolled back the failed statement's transaction;
        # the original error is the one worth reporting
        with contextlib.suppress(StoreQueryError):
            self.store._execute("ROLLBACK")

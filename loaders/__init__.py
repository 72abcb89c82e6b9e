"""Loaders: turn a source into validated graph data, or refuse it with every problem named.

::

    from loaders import load_source, LoadError
    try:
        result = load_source("extract/", mapping="mapping.yaml", progress=show, existing=store_ids)
    except LoadError as error:
        print(error.report.summary(lang="zh"))      # every problem: file, row, column, reason
    else:
        store.write(result.data)                    # graph.dataset.GraphData
        print(result.report.summary(lang="zh"))     # tables, rows, encodings, warnings

``load_source(path, mapping=None, progress=None, existing=None)`` reads a data-contract
folder of CSV files (with an optional ``policy.yaml``), an ``.xlsx`` workbook, or a folder
of Parquet files (:mod:`loaders.tables`, which also documents the column-mapping YAML),
or OCDS JSON (handed to :func:`loaders.ocds.load_ocds`);
``load_tables(tables, origin, policy=None, existing=None)`` does the same for tables built
in memory. Both validate everything (:mod:`loaders.validate`), normalise identifiers
(:mod:`loaders.normalize`) and map the tables to the graph (:mod:`loaders.to_graph`).

* ``progress(what, done, total)`` is called as each file is read, then with
  ``"validate"`` and ``"graph"``.
* ``existing(label) -> set of ids`` makes the load incremental: references may point to
  records already in the store, and the otherwise required files (employees, suppliers,
  contracts, approvals) may be absent (a warning says so). It is called only for labels
  that some reference does not find in the files.
* Any error raises :class:`LoadError`; its ``report`` lists every problem and nothing
  should be written. Warnings ride along on ``result.report``.

Row numbers in problems count the header as row 1 (see :mod:`loaders.errors`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from graph.dataset import GraphData
from loaders.contract import TABLES
from loaders.errors import LoadError, LoadReport, Problem, Severity, TableInfo
from loaders.tables import ColumnMapping, read_mapping, read_source, text_tables
from loaders.to_graph import build_graph
from loaders.validate import ExistingFn, check_policy, check_tables

__all__ = [
    "LoadError",
    "LoadReport",
    "LoadResult",
    "Problem",
    "Severity",
    "TableInfo",
    "load_source",
    "load_tables",
]

ProgressFn = Callable[[str, int, int], None]


@dataclass
class LoadResult:
    """Graph data ready for ``Store.write``, and the report of how it was read."""

    data: GraphData
    report: LoadReport


class _Progress:
    """Remembers how far the reading got, so the steps after it continue the count."""

    def __init__(self, progress: ProgressFn | None) -> None:
        self.progress = progress
        self.total = 0

    def __call__(self, what: str, done: int, total: int) -> None:
        self.total = total
        if self.progress:
            self.progress(what, done, total)

    def finish(self, what: str, steps_left: int) -> None:
        total = self.total or 2
        if self.progress:
            self.progress(what, total - steps_left, total)


def _finish(
    tables: dict[str, Any],
    unreadable: set[str],
    report: LoadReport,
    steps: _Progress,
    existing: ExistingFn | None,
    file_for: Callable[[str], str],
    policy: tuple[Any, str, dict[str, int]] | None,
) -> LoadResult:
    if not tables and not unreadable and not report.has_errors:
        report.add("no_tables", report.source)
    steps.finish("validate", 1)
    checked = check_tables(tables, report, existing, unreadable, file_for)
    checked_policy = check_policy(policy[0], policy[1], report, policy[2]) if policy else None
    if report.has_errors:
        raise LoadError(report)
    steps.finish("graph", 0)
    data = build_graph(checked, report, existing, checked_policy)
    return LoadResult(data=data, report=report)


_OCDS_SUFFIXES = (".json", ".jsonl", ".ndjson")
_TABLE_SUFFIXES = (".csv", ".xlsx", ".parquet", ".pq")


def _looks_like_ocds(path: Path) -> bool:
    """A cheap first look, so that loading tables never waits on the OCDS reader's import."""
    if path.is_file():
        return path.name.lower().endswith(_OCDS_SUFFIXES)
    if path.is_dir():
        return not any(p.suffix.lower() in _TABLE_SUFFIXES for p in path.iterdir() if p.is_file())
    return False


def load_source(
    path: str | Path,
    mapping: str | Path | None = None,
    progress: ProgressFn | None = None,
    existing: ExistingFn | None = None,
) -> LoadResult:
    """Read, validate and map a data-contract folder, an ``.xlsx`` workbook or a Parquet folder.

    Raises :class:`LoadError` (with every problem in ``error.report``) when the source, the
    mapping file or ``policy.yaml`` has any error.

    OCDS JSON (a ``.json``/``.jsonl`` file, or a folder of them without data-contract
    tables) goes to :func:`loaders.ocds.load_ocds`; its ``mapping`` file then holds the
    currency settings, and its per-publisher report rides on ``result.report.source_report``.
    """
    path = Path(path)
    if _looks_like_ocds(path):
        from loaders.ocds import is_ocds_source, load_ocds  # imported here: one format among several

        if is_ocds_source(path):
            return load_ocds(path, mapping=mapping, progress=progress, existing=existing)
    report = LoadReport(str(path))
    column_mapping = read_mapping(mapping, report)
    if report.has_errors:
        raise LoadError(report)  # a broken mapping would turn into a flood of false column errors
    steps = _Progress(progress)
    tables, policy, unreadable = read_source(path, column_mapping, report, steps, steps_after=2)
    if not tables and not unreadable and any(p.file in (str(path), path.name) for p in report.errors):
        # The source itself could not be read: every table would be "missing", which says nothing new.
        raise LoadError(report)
    if path.suffix.lower() == ".xlsx":

        def file_for(table: str) -> str:
            return f"{path.name}[{table}]"

    else:
        parquet_only = (
            path.is_dir()
            and not any(p.suffix.lower() == ".csv" for p in path.iterdir())
            and any(p.suffix.lower() in (".parquet", ".pq") for p in path.iterdir())
        )

        def file_for(table: str) -> str:
            return f"{table}.parquet" if parquet_only else TABLES[table].file

    policy_parts = (policy.doc, policy.file, policy.lines) if policy is not None else None
    if policy is not None:
        report.policy_file = policy.file
    return _finish(tables, unreadable, report, steps, existing, file_for, policy_parts)


def load_tables(
    tables: Mapping[str, pd.DataFrame],
    origin: str,
    policy: dict[str, Any] | None = None,
    existing: ExistingFn | None = None,
    mapping: str | Path | None = None,
) -> LoadResult:
    """Validate and map tables built in memory, keyed by file stem (``"contracts"``).

    Values may be typed (numbers, datetimes) or text; problems name ``origin[stem]`` as
    the file and count rows as if the table were a CSV file (first record = row 2).
    ``policy`` is checked like ``policy.yaml``.
    """
    report = LoadReport(origin)
    column_mapping = read_mapping(mapping, report) if mapping is not None else ColumnMapping()
    if report.has_errors:
        raise LoadError(report)
    steps = _Progress(None)
    text, unreadable = text_tables(tables, origin, column_mapping, report)
    policy_parts: tuple[Any, str, dict[str, int]] | None = (
        (policy, "policy", {}) if policy is not None else None
    )
    return _finish(text, unreadable, report, steps, existing, lambda t: f"{origin}[{t}]", policy_parts)

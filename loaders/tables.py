"""Read a source into text tables named as the data contract names them.

Sources
-------
* **A folder of CSV files** (``employees.csv``, ``contracts.csv`` ... and optionally
  ``policy.yaml``). Each file may be UTF-8, UTF-8 with a BOM, or GBK/GB18030 (what
  Chinese Excel writes): the file must decode as UTF-8 completely, else as GB18030,
  else it is refused; the report says which encoding was used. Quoting follows
  RFC 4180 (a value in double quotes may hold commas, line breaks and doubled quotes).
  Refused with a message of their own, rather than read as garbage: a ZIP archive (an
  .xlsx renamed), UTF-16 text, NUL bytes (binary data), text that decodes as GB18030
  only into rare characters (Latin-1 in disguise), UTF-8 that was once read as
  Latin-1 and saved again (``å¨ä¹`` for ``周九``), an empty file, and a header that is
  one column holding semicolons, tabs or bars (the wrong delimiter). Byte-order marks
  in the middle of a file (files joined together) are removed, with a warning; a file
  with a header and no records loads with a warning.
* **An Excel workbook** (``.xlsx``): one sheet per table, named like the file stem
  (``contracts``) or mapped by the column-mapping file. The header is the first
  non-empty row of the sheet.
* **A folder of Parquet files** (``employees.parquet`` ...), with an optional
  ``policy.yaml``. CSV and Parquet files may be mixed in one folder.
* **Tables in memory** (:func:`text_tables`), for loaders that build them from
  another format.

Whatever the source, every value is read as text first (typed Excel and Parquet
cells are written out the way the data contract writes them), surrounding
whitespace is removed and an empty value is missing. Rows whose values are all
empty are dropped (spreadsheets export them). Typing is the validator's job, so
that a bad value becomes a precise problem rather than an exception.

File and sheet names, and header names, match the contract without regard to case
(``Contracts.CSV``, ``Employee_ID``).

Column mapping file
-------------------
Sources whose tables or columns are named differently are described by a YAML
file (``sunlight load SOURCE --mapping mapping.yaml``)::

    # Sheet or file names -> data-contract tables (optional).
    tables:
      合同: contracts
      审批记录: approvals
      员工: employees
      供应商: suppliers

    # Per data-contract table: source column -> data-contract column.
    contracts:
      合同编号: contract_id
      供应商编号: supplier_id
      合同金额: amount
      签订日期: signed_date
      内部备注: null          # null: leave this column out on purpose (not kept in `extra`)
    approvals:
      合同编号: contract_id
      审批人工号: approver_id
      审批顺序: step
      审批时间: approved_at

    # Cell values that mean "empty" besides an empty cell (optional).
    missing_values: ["NULL", "-", "无"]

Columns that are neither mapped nor named like a contract column are kept in the
node's ``extra`` property. A mapping that names an unknown table or an unknown
contract column, or maps two columns to one, is refused.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from loaders.contract import TABLES, Table
from loaders.errors import LoadReport, TableInfo

__all__ = [
    "ColumnMapping",
    "PolicySource",
    "TextTable",
    "cell_text",
    "read_mapping",
    "read_source",
    "read_yaml",
    "text_tables",
    "yaml_lines",
]

ProgressFn = Callable[[str, int, int], None]


@dataclass
class _Raw:
    """A table as read: header texts, one Arrow text column per header cell (named ``c0``,
    ``c1`` ...), and the row number of each record."""

    header: list[str]
    columns: Any  # pyarrow.Table
    rows: np.ndarray
    encoding: str | None = None


def _raw(
    header: list[str], records: list[list[str | None]], rows: list[int], encoding: str | None = None
) -> _Raw:
    import pyarrow as pa

    names = [f"c{i}" for i in range(len(header))]
    columns = list(zip(*records, strict=True)) if records else [() for _ in names]
    table = pa.table([pa.array(c, type=pa.string()) for c in columns], names=names)
    return _Raw(header, table, np.asarray(rows, dtype=np.int64), encoding)


_DATA_SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
_POLICY_NAMES = ("policy.yaml", "policy.yml")
_UTF8_CHUNK = 16 << 20


@dataclass
class ColumnMapping:
    """A parsed column-mapping file (see the module docstring)."""

    tables: dict[str, str] = field(default_factory=dict)  # source name (casefolded) -> table
    columns: dict[str, dict[str, str | None]] = field(default_factory=dict)  # table -> header -> column
    missing_values: tuple[str, ...] = ()
    file: str | None = None

    def table_of(self, source_name: str) -> str | None:
        """The contract table a file stem or sheet name stands for, if any."""
        key = source_name.strip().casefold()
        if key in self.tables:
            return self.tables[key]
        return key if key in TABLES else None


@dataclass
class TextTable:
    """One table as text: contract column names, source row numbers as the index."""

    table: str
    file: str  # as problems name it
    frame: pd.DataFrame
    info: TableInfo
    labels: dict[str, str] = field(default_factory=dict)  # contract column -> label used in problems

    def label(self, column: str) -> str:
        return self.labels.get(column, column)


# ---- YAML ----------------------------------------------------------------------------
@dataclass
class PolicySource:
    """A parsed ``policy.yaml``, with the line of each key path for messages."""

    doc: Any
    file: str
    lines: dict[str, int] = field(default_factory=dict)


def yaml_lines(text: str) -> dict[str, int]:
    """The line (from 1) of every value in a YAML document, by key path.

    >>> yaml_lines("a: 1\\nb:\\n  - {c: 2}\\n")
    {'a': 1, 'b': 3, 'b[0]': 3, 'b[0].c': 3}
    """
    lines: dict[str, int] = {}

    def walk(node: Any, path: str) -> None:
        if path:
            lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                walk(value, f"{path}.{key.value}" if path else str(key.value))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, f"{path}[{i}]")

    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return lines
    if root is not None:
        walk(root, "")
    return lines


def read_yaml(path: Path, file: str, report: LoadReport) -> tuple[bool, Any]:
    """Parse a YAML file; a syntax error becomes a problem naming its line."""
    try:
        return True, yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        row = mark.line + 1 if mark is not None else None
        report.add("bad_yaml", file, rows=None if row is None else [row], detail=str(exc.problem or exc))
    except (yaml.YAMLError, UnicodeDecodeError, OSError) as exc:
        report.add("bad_yaml", file, detail=str(exc))
    return False, None


def read_mapping(path: str | Path | None, report: LoadReport) -> ColumnMapping:
    """Read and check a column-mapping file; problems go to ``report``."""
    mapping = ColumnMapping()
    if path is None:
        return mapping
    path = Path(path)
    file = path.name
    mapping.file = str(path)
    report.mapping = str(path)

    def bad(detail: str, detail_zh: str, column: str | None = None) -> None:
        report.add("bad_mapping", file, column=column, detail=detail, detail_zh=detail_zh)

    if not path.is_file():
        report.add("no_source", file)
        return mapping
    ok, doc = read_yaml(path, file, report)
    if not ok:
        return mapping
    if doc is None:
        return mapping
    if not isinstance(doc, dict):
        bad("the mapping must be a YAML mapping of table names", "映射文件必须是以表名为键的 YAML 映射")
        return mapping
    known = ", ".join(TABLES)
    for key, value in doc.items():
        if key == "tables":
            if not isinstance(value, dict):
                bad(
                    "`tables` must map source names to tables",
                    "`tables` 必须是“源名称: 表名”的映射",
                    "tables",
                )
                continue
            for source, table in value.items():
                if str(table) not in TABLES:
                    bad(
                        f"{source!s} maps to {table!s}, which is not a table (known: {known})",
                        f"{source!s} 映射到 {table!s}，但它不是数据契约中的表（可用：{known}）",
                        "tables",
                    )
                    continue
                mapping.tables[str(source).strip().casefold()] = str(table)
        elif key == "missing_values":
            if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
                bad("`missing_values` must be a list of texts", "`missing_values` 必须是文本列表", key)
                continue
            mapping.missing_values = tuple(str(v) for v in value)
        elif key in TABLES:
            _read_column_map(str(key), value, mapping, bad)
        else:
            bad(
                f"unknown key {key!s} (expected tables, missing_values or a table: {known})",
                f"未知的键 {key!s}（应为 tables、missing_values 或表名：{known}）",
                str(key),
            )
    return mapping


def _read_column_map(
    table: str, value: Any, mapping: ColumnMapping, bad: Callable[[str, str, str | None], None]
) -> None:
    spec = TABLES[table]
    if not isinstance(value, dict):
        bad(
            f"{table} must map source columns to contract columns",
            f"{table} 必须是“源列名: 契约列名”的映射",
            table,
        )
        return
    targets: dict[str, str] = {}
    columns: dict[str, str | None] = {}
    for source, target in value.items():
        source_name = str(source).strip()
        if target is None:
            columns[source_name] = None
            continue
        target = str(target).strip()
        if target not in spec.column_names:
            bad(
                f"{source_name} maps to {target}, which is not a column of {table} "
                f"(known: {', '.join(spec.column_names)})",
                f"{source_name} 映射到 {target}，但 {table} 没有该列（可用：{', '.join(spec.column_names)}）",
                f"{table}.{source_name}",
            )
            continue
        if target in targets:
            bad(
                f"{targets[target]} and {source_name} both map to {target}",
                f"{targets[target]} 和 {source_name} 都映射到 {target}",
                f"{table}.{source_name}",
            )
            continue
        targets[target] = source_name
        columns[source_name] = target
    mapping.columns[table] = columns


# ---- discovering the tables of a source ----------------------------------------------------
def read_source(
    path: str | Path,
    mapping: ColumnMapping,
    report: LoadReport,
    progress: ProgressFn | None = None,
    steps_after: int = 0,
) -> tuple[dict[str, TextTable], PolicySource | None, set[str]]:
    """Read every data-contract table of ``path``.

    Returns the tables read, the parsed ``policy.yaml`` (or ``None``) and the names of
    tables that exist but could not be read (so that references into them are not
    reported as dangling as well). ``progress`` is told about each file; its total also
    counts ``steps_after`` steps that the caller will report.
    """
    path = Path(path)
    if not path.exists():
        report.add("no_source", str(path))
        return {}, None, set()
    if path.is_file() and path.suffix.lower() == ".xlsx":
        return _read_workbook(path, mapping, report, progress, steps_after)
    if not path.is_dir():
        report.add("unsupported_source", str(path))
        return {}, None, set()

    found: dict[str, list[tuple[Path, str]]] = {}
    policy_path: Path | None = None
    for child in sorted(path.iterdir()):
        if not child.is_file():
            continue
        if child.name.lower() in _POLICY_NAMES:
            policy_path = child
            continue
        kind = _DATA_SUFFIXES.get(child.suffix.lower())
        if kind is None:
            if child.suffix.lower() == ".xlsx":
                report.ignored.append(child.name)
            continue
        table = mapping.table_of(child.stem)
        if table is None:
            report.ignored.append(child.name)
            continue
        found.setdefault(table, []).append((child, kind))

    tables: dict[str, TextTable] = {}
    unreadable: set[str] = set()
    total = len(found) + steps_after
    for done, (table, files) in enumerate(sorted(found.items(), key=lambda kv: list(TABLES).index(kv[0])), 1):
        child, kind = files[0]
        if len(files) > 1:
            names = ", ".join(f.name for f, _ in files)
            report.add("two_sources", files[1][0].name, files=names)
            unreadable.add(table)
            continue
        if progress:
            progress(child.name, done, total)
        if kind == "csv":
            raw = _read_csv(child, child.name, report)
        else:
            raw = _read_parquet(child, child.name, report)
        if raw is None:
            unreadable.add(table)
            continue
        text = _finish(table, child.name, raw, mapping, report)
        if text is None:
            unreadable.add(table)
        else:
            tables[table] = text
            _note_no_records(text, report)

    policy = None
    if policy_path is not None:
        ok, doc = read_yaml(policy_path, policy_path.name, report)
        if ok:
            lines = yaml_lines(policy_path.read_text(encoding="utf-8-sig"))
            policy = PolicySource(doc, policy_path.name, lines)
    return tables, policy, unreadable


def _note_no_records(text: TextTable, report: LoadReport) -> None:
    """A file with a header and nothing under it is worth a look: an export cut short writes one."""
    if text.info.rows == 0 and len(text.frame.columns):
        report.add("no_records", text.file)


# ---- CSV ----------------------------------------------------------------------------------
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_DELIMITERS = {
    ";": ("semicolons (;)", "分号（;）"),
    "\t": ("tabs", "制表符"),
    "|": ("vertical bars (|)", "竖线（|）"),
}
# UTF-8 of a Chinese character (lead byte E3..E9) read as Windows-1252 or Latin-1 and written out as
# UTF-8 again: ã..é followed by two characters that stand for continuation bytes 80..BF.
_CONTINUATION_AS_TEXT = (
    rb"(?:\xc2[\x80-\xbf]|\xe2\x80[\x93-\xba]|\xe2\x82\xac|\xe2\x84\xa2|\xc5[\x92\x93\xa0\xa1\xb8\xbd\xbe]"
    rb"|\xc6\x92|\xcb[\x86\x9c])"
)
_MOJIBAKE = re.compile(rb"\xc3[\xa3-\xa9]" + _CONTINUATION_AS_TEXT + rb"{2}")


def _line_of(data: bytes, offset: int) -> int:
    """The line (from 1) that byte ``offset`` of ``data`` is on."""
    return data.count(b"\n", 0, offset) + 1


def _undo_mojibake(text: str) -> str | None:
    """The Chinese text a garbled run stands for, or ``None`` if it is not one."""
    for codec in ("cp1252", "latin-1"):
        try:
            fixed = text.encode(codec).decode("utf-8")
        except UnicodeError:
            continue
        if any("\u3400" <= ch <= "\u9fff" for ch in fixed):
            return fixed
    return None


def _binary(data: bytes, file: str, report: LoadReport) -> bool:
    """Report a file that is not text at all (a ZIP archive, UTF-16, NUL bytes)."""
    if data.startswith(_ZIP_MAGIC):
        report.add("zip_file", file)
        return True
    if data.startswith(_UTF16_BOMS):
        report.add("utf16", file)
        return True
    nul = data.find(b"\x00")
    if nul >= 0:
        report.add("nul_bytes", file, rows=[_line_of(data, nul)])
        return True
    return False


def _rare_only(text: str) -> tuple[int, str] | None:
    """Where GB18030-decoded text shows no common Chinese character (GB 2312) at all: the
    offset of the first non-ASCII character and the value it stands in; ``None`` as soon as one
    common character turns up. Chinese text is full of GB 2312 characters; Latin-1 text read as
    GBK gives none."""
    first: int | None = None
    rare: set[str] = set()
    for match in re.finditer(r"[^\x00-\x7f]", text):
        ch = match.group()
        if ch in rare:
            continue
        try:
            ch.encode("gb2312")
        except UnicodeEncodeError:
            rare.add(ch)
            if first is None:
                first = match.start()
            continue
        return None
    if first is None:
        return None
    start = max(text.rfind(sep, 0, first) for sep in ",\n") + 1
    ends = [e for e in (text.find(sep, first) for sep in ",\r\n") if e >= 0]
    return first, text[start : min(ends, default=len(text))]


def _decode(data: bytes, file: str, report: LoadReport) -> tuple[str, bytes] | None:
    """(encoding, UTF-8 bytes without BOM): UTF-8 strictly, else GB18030, else a problem."""
    encoding = "utf-8"
    if data.startswith(codecs.BOM_UTF8):
        encoding, data = "utf-8-sig", data[len(codecs.BOM_UTF8) :]
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    try:
        # In chunks, so that checking a large file does not hold a second copy of it.
        for start in range(0, len(data), _UTF8_CHUNK):
            decoder.decode(data[start : start + _UTF8_CHUNK])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        utf8_offset = exc.start
    else:
        for match in _MOJIBAKE.finditer(data):
            garbled = match.group().decode("utf-8")
            fixed = _undo_mojibake(garbled)
            if fixed is not None:
                report.add(
                    "mojibake", file, rows=[_line_of(data, match.start())], sample=garbled, fixed=fixed
                )
                return None
        return encoding, data
    if encoding == "utf-8":
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            pass
        else:
            rare = _rare_only(text)
            if rare is None:
                return "gb18030", text.encode("utf-8")
            offset, sample = rare
            report.add("likely_latin1", file, rows=[text.count("\n", 0, offset) + 1], sample=sample)
            return None
    report.add("undecodable", file, rows=[_line_of(data, utf8_offset)], offset=str(utf8_offset))
    return None


def _read_csv(path: Path, file: str, report: LoadReport) -> _Raw | None:
    try:
        data = path.read_bytes()
    except OSError as exc:
        report.add("unreadable", file, detail=str(exc))
        return None
    if _binary(data, file, report):
        return None
    decoded = _decode(data, file, report)
    if decoded is None:
        return None
    encoding, data = decoded
    if not data[: 1 << 16].strip() and not data.strip():
        report.add("empty_file", file)
        return None
    bom = data.find(codecs.BOM_UTF8)
    if bom >= 0:
        # Files joined together carry their byte-order marks into the middle; one would
        # otherwise hide inside an id ("\ufeffC003" is not "C003").
        rows = []
        while bom >= 0:
            rows.append(_line_of(data, bom))
            bom = data.find(codecs.BOM_UTF8, bom + 1)
        report.add("stray_bom", file, rows=sorted(set(rows)))
        data = data.replace(codecs.BOM_UTF8, b"")
    header, header_row = _csv_header(data)
    if not header:
        return _raw([], [], [], encoding)
    if len(header) == 1:
        found = [d for d in _DELIMITERS if d in header[0]]
        if found:
            delimiter = max(found, key=header[0].count)
            en, zh = _DELIMITERS[delimiter]
            report.add("wrong_delimiter", file, rows=[header_row], delimiter=en, delimiter_zh=zh)
            return None
    fast = _arrow_csv(data, len(header))
    if fast is not None:
        return _Raw(header, fast, np.arange(2, 2 + fast.num_rows, dtype=np.int64), encoding)
    slow = _python_csv(data, file, report)
    if slow is not None:
        slow.encoding = encoding
    return slow


def _csv_header(data: bytes) -> tuple[list[str], int]:
    """The first non-empty record and its line (read from the start of the file only)."""
    prefix = data[: 1 << 20].decode("utf-8", errors="ignore")
    reader = csv.reader(io.StringIO(prefix, newline=""))
    try:
        for record in reader:
            if any(cell.strip() for cell in record):
                return record, reader.line_num
    except csv.Error:
        return [], 1
    return [], 1


def _line_count(data: bytes) -> int:
    """Lines in ``data``, not counting blank lines at its end."""
    end = len(data)
    while end > 0 and data[end - 1] in b"\r\n":
        end -= 1
    return data.count(b"\n", 0, end) + 1 if end else 0


def _arrow_csv(data: bytes, width: int) -> Any:
    """Parse with Arrow's multi-threaded reader, when each record is exactly one line.

    Any irregularity (blank lines, values spanning lines, rows of the wrong width, a
    syntax error) returns ``None``, and the careful reader takes over: it knows the
    line numbers that problems must name.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = [f"c{i}" for i in range(width)]
    irregular: list[object] = []

    def on_invalid_row(row: object) -> str:
        irregular.append(row)
        return "skip"

    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(column_names=names, block_size=16 << 20),
            parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=on_invalid_row),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                check_utf8=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    if irregular or table.num_rows != _line_count(data):
        return None
    return table.slice(1)  # the header


def _python_csv(data: bytes, file: str, report: LoadReport) -> _Raw | None:
    """Parse record by record, tracking the line each record starts on."""
    csv.field_size_limit(1 << 30)
    text = data.decode("utf-8")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    records: list[list[str]] = []
    lines: list[int] = []
    ragged_rows: list[int] = []
    ragged_fields: list[int] = []
    end = 0
    try:
        for record in reader:
            start, end = end + 1, reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if header is None:
                header = record
                continue
            if len(record) != len(header):
                ragged_rows.append(start)
                ragged_fields.append(len(record))
                continue
            records.append(record)
            lines.append(start)
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            # The reader ran to the end of the file inside quotes: the row to fix is where the
            # runaway value began, not the last line of the file.
            start = end + 1
            first_line = next(itertools.islice(io.StringIO(text, newline=""), start - 1, None), "")
            index = _field_of_first_quote(first_line.rstrip("\r\n"))
            column = None
            if header is not None and index is not None and index < len(header):
                column = header[index].replace("\ufeff", "").strip() or None
            report.add("unclosed_quote", file, column=column, rows=[start])
        else:
            report.add("csv_syntax", file, rows=[reader.line_num], detail=str(exc))
        return None
    if header is None:
        return _raw([], [], [])
    for fields in sorted(set(ragged_fields)):
        rows = [r for r, f in zip(ragged_rows, ragged_fields, strict=True) if f == fields]
        report.add("ragged_row", file, rows=rows, fields=str(fields), expected=str(len(header)))
    return _raw(header, records, lines)  # type: ignore[arg-type]


def _field_of_first_quote(line: str) -> int | None:
    """The index of the field that opens a quote and does not close it on ``line``.

    >>> _field_of_first_quote('E003,"王五,D02')
    1
    >>> _field_of_first_quote('a,"b, c",d') is None
    True
    """
    field, in_quotes, opened, at_start = 0, False, None, True
    i = 0
    while i < len(line):
        ch = line[i]
        if in_quotes:
            if ch == '"' and line[i + 1 : i + 2] == '"':
                i += 1
            elif ch == '"':
                in_quotes = False
        elif ch == '"' and at_start:
            in_quotes, opened = True, field
        elif ch == ",":
            field += 1
            at_start = True
            i += 1
            continue
        at_start = False
        i += 1
    return opened if in_quotes else None


# ---- Parquet ------------------------------------------------------------------------------
def _arrow_text(column: Any) -> Any:
    """An Arrow column as text written the data contract's way, or ``None`` if it cannot be."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = column.type
    if pa.types.is_dictionary(kind):
        return _arrow_text(column.cast(kind.value_type))
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return column.cast(pa.string())
    if pa.types.is_null(kind):
        return pa.nulls(len(column), pa.string())
    if pa.types.is_timestamp(kind):
        seconds = column.cast(pa.timestamp("s", kind.tz), safe=False)
        fmt = "%Y-%m-%dT%H:%M:%S%z" if kind.tz else "%Y-%m-%dT%H:%M:%S"
        return pc.strftime(seconds, format=fmt)
    if pa.types.is_boolean(kind):
        return pc.if_else(column, "true", "false").cast(pa.string())
    if (
        pa.types.is_integer(kind)
        or pa.types.is_floating(kind)
        or pa.types.is_decimal(kind)
        or pa.types.is_date(kind)
        or pa.types.is_time(kind)
    ):
        return column.cast(pa.string())
    return None


def _read_parquet(path: Path, file: str, report: LoadReport) -> _Raw | None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        report.add("unreadable", file, detail=str(exc))
        return None
    header: list[str] = []
    columns = []
    failed = False
    for name, column in zip(table.column_names, table.columns, strict=True):
        if re.fullmatch(r"__index_level_\d+__", name):
            continue  # pandas' index, not data
        text = _arrow_text(column)
        if text is None:
            report.add("unsupported_column_type", file, column=name, rows=[1], detail=str(column.type))
            failed = True
            continue
        header.append(name)
        columns.append(text)
    if failed:
        return None
    names = [f"c{i}" for i in range(len(header))]
    return _Raw(header, pa.table(columns, names=names), np.arange(2, 2 + table.num_rows, dtype=np.int64))


# ---- Excel --------------------------------------------------------------------------------
def cell_text(value: Any) -> str | None:
    """A typed cell as the data contract writes it.

    >>> [cell_text(v) for v in (None, "x", True, 7, 7.0, 2.5, datetime(2024, 1, 5, 9, 30), date(2024, 1, 5))]
    [None, 'x', 'true', '7', '7', '2.5', '2024-01-05T09:30:00', '2024-01-05']
    """
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return None
        number = float(value)
        if math.isfinite(number) and number.is_integer() and abs(number) < 1e15:
            return str(int(number))
        return repr(number)
    if isinstance(value, datetime):
        if pd.isna(value):
            return None
        return value.isoformat(timespec="seconds")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if pd.api.types.is_scalar(value) and pd.isna(value):
        return None
    return str(value)


def _read_workbook(
    path: Path,
    mapping: ColumnMapping,
    report: LoadReport,
    progress: ProgressFn | None,
    steps_after: int,
) -> tuple[dict[str, TextTable], PolicySource | None, set[str]]:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a damaged file
        report.add("unreadable", path.name, detail=f"{type(exc).__name__}: {exc}")
        return {}, None, set()
    tables: dict[str, TextTable] = {}
    unreadable: set[str] = set()
    try:
        sheets = []
        seen: dict[str, str] = {}
        for sheet in workbook.worksheets:
            file = f"{path.name}[{sheet.title}]"
            table = mapping.table_of(sheet.title)
            if table is None:
                report.ignored.append(file)
            elif table in seen:
                report.add("two_sources", file, files=f"{seen[table]}, {file}")
                unreadable.add(table)
            else:
                seen[table] = file
                sheets.append((table, file, sheet))
        total = len(sheets) + steps_after
        for done, (table, file, sheet) in enumerate(sheets, 1):
            if table in unreadable:
                continue
            if progress:
                progress(file, done, total)
            text = _finish(table, file, _read_sheet(sheet, file, report), mapping, report)
            if text is None:
                unreadable.add(table)
            else:
                tables[table] = text
                _note_no_records(text, report)
    finally:
        workbook.close()
    for table in unreadable:
        tables.pop(table, None)
    return tables, None, unreadable


def _read_sheet(sheet: Any, file: str, report: LoadReport) -> _Raw:
    header: list[str] | None = None
    records: list[list[str | None]] = []
    rows: list[int] = []
    ragged: list[int] = []
    for number, cells in enumerate(sheet.iter_rows(min_row=1, values_only=True), 1):
        values = [cell_text(v) for v in cells]
        if not any(v is not None and v.strip() for v in values):
            continue
        if header is None:
            while values and (values[-1] is None or not values[-1].strip()):
                values.pop()
            header = [v or "" for v in values]
            continue
        width = len(header)
        if any(v is not None and v.strip() for v in values[width:]):
            ragged.append(number)
            continue
        values = values[:width] + [None] * (width - len(values))
        records.append(values)
        rows.append(number)
    if header is None:
        return _raw([], [], [])
    if ragged:
        report.add("ragged_row", file, rows=ragged, fields="more", expected=str(len(header)))
    return _raw(header, records, rows)


# ---- tables in memory ---------------------------------------------------------------------
def _series_text(values: pd.Series) -> pd.Series:
    if pd.api.types.is_string_dtype(values.dtype) and not pd.api.types.is_object_dtype(values.dtype):
        return values.astype("str")
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        if getattr(values.dt, "tz", None) is not None:
            text = values.dt.strftime("%Y-%m-%dT%H:%M:%S%z")
        else:
            text = values.dt.strftime("%Y-%m-%dT%H:%M:%S")
        return text.astype("str")
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    texts = np.array([cell_text(u) for u in uniques] + [None], dtype=object)
    return pd.Series(texts[codes], index=values.index, dtype="str")


def text_tables(
    tables: Mapping[str, pd.DataFrame],
    origin: str,
    mapping: ColumnMapping,
    report: LoadReport,
) -> tuple[dict[str, TextTable], set[str]]:
    """Tables built in memory (keyed by file stem), as text tables named ``origin[stem]``."""
    out: dict[str, TextTable] = {}
    for name, frame in tables.items():
        file = f"{origin}[{name}]"
        table = mapping.table_of(name)
        if table is None:
            report.ignored.append(file)
            continue
        import pyarrow as pa

        header = [str(c) for c in frame.columns]
        names = [f"c{i}" for i in range(len(header))]
        columns = [
            pa.array(_series_text(frame.iloc[:, i]), type=pa.string(), from_pandas=True)
            for i in range(len(header))
        ]
        raw = _Raw(header, pa.table(columns, names=names), np.arange(2, 2 + len(frame), dtype=np.int64))
        finished = _finish(table, file, raw, mapping, report)
        if finished is not None:
            out[table] = finished
    return out, set()


# ---- shared: header, values, mapping -----------------------------------------------------
def _clean(raw: _Raw, missing_values: tuple[str, ...]) -> pd.DataFrame:
    """Trimmed text, empty (or a declared missing value) as missing, all-empty rows dropped;
    done in Arrow, column at a time, then handed to pandas once."""
    import pyarrow as pa
    import pyarrow.compute as pc

    missing = pa.array(sorted(set(missing_values)), type=pa.string()) if missing_values else None
    nothing = pa.scalar(None, type=pa.string())
    columns = []
    any_value = None
    for column in raw.columns.columns:
        trimmed = pc.utf8_trim_whitespace(column.cast(pa.string()))
        empty = pc.equal(trimmed, "")
        if missing is not None:
            empty = pc.or_(empty, pc.is_in(trimmed, value_set=missing))
        cleaned = pc.if_else(empty, nothing, trimmed)
        columns.append(cleaned)
        given = pc.is_valid(cleaned)
        any_value = given if any_value is None else pc.or_(any_value, given)
    table = pa.table(columns, names=raw.columns.column_names)
    rows = raw.rows
    if any_value is not None:
        table = table.filter(any_value)
        rows = rows[any_value.to_numpy(zero_copy_only=False)] if len(rows) else rows
    frame = table.to_pandas() if table.num_columns else pd.DataFrame(index=range(len(rows)))
    frame.index = pd.Index(rows, dtype=np.int64)
    return frame


def _finish(table: str, file: str, raw: _Raw, mapping: ColumnMapping, report: LoadReport) -> TextTable | None:
    """Clean values and header and name the columns as the contract does."""
    spec: Table = TABLES[table]
    header = raw.header
    cleaned = _clean(raw, mapping.missing_values)
    info = TableInfo(table=table, file=file, rows=len(cleaned), encoding=raw.encoding)
    own = {c.casefold(): c for c in spec.column_names}
    wanted = mapping.columns.get(table, {})
    renamed: dict[str, str] = {}  # positional name -> contract or extra name
    labels: dict[str, str] = {}
    given_by: dict[str, str] = {}  # contract column -> source header
    seen_headers: dict[str, int] = {}
    twice: set[str] = set()
    for i, raw_name in enumerate(header):
        position = f"c{i}"
        name = raw_name.replace("\ufeff", "").strip()
        if not name:
            if cleaned[position].notna().any():
                name = f"column_{i + 1}"
                report.add("unnamed_column", file, column=f"#{i + 1}", rows=[1], detail=name)
            else:
                continue  # a trailing comma: no name, no values
        if name in seen_headers:
            # Which of the two holds the data is anyone's guess: neither is read.
            report.add("duplicate_column", file, column=name, rows=[1])
            twice.add(name)
            continue
        seen_headers[name] = i
        if name in wanted:
            target = wanted[name]
            if target is None:
                info.dropped_columns.append(name)
                continue
        else:
            target = own.get(name.casefold())
        if target is None:
            renamed[position] = name
            info.extra_columns.append(name)
            continue
        if target in given_by:
            report.add("column_clash", file, column=target, rows=[1], names=f"{given_by[target]}, {name}")
            continue
        given_by[target] = name
        renamed[position] = target
        info.columns[name] = target
        labels[target] = target if name == target else f"{name} ({target})"
    if twice:
        first_of = {header[i].replace("\ufeff", "").strip(): f"c{i}" for i in reversed(range(len(header)))}
        for name in twice:
            position = first_of[name]
            target = renamed.pop(position, None)
            if target is not None and target in info.extra_columns:
                info.extra_columns.remove(target)
            if target is not None:
                labels.pop(target, None)
                info.columns.pop(name, None)
    named = cleaned[list(renamed)].rename(columns=renamed)
    report.tables[table] = info
    return TextTable(table=table, file=file, frame=named, info=info, labels=labels)

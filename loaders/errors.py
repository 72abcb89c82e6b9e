"""What a load found wrong: :class:`Problem`, :class:`LoadReport` and :class:`LoadError`.

Every problem names a file, a row, a column and a reason, in Chinese and English.
*Errors* refuse the load (nothing is written); *warnings* are data-quality notes
(the data is loaded, but someone should look).

Row numbers count as a spreadsheet does: **the header is row 1 and the first record
is row 2**. For a CSV file this is the line number in a text editor (a value that
spans lines advances it by its line breaks, and blank lines count); for an Excel
sheet it is the sheet's own row number; Parquet files and tables built in memory
count the same way, as if they had been written out with a header line. A problem
with the file as a whole (a missing file) has no row.

A load with a million bad values keeps them compactly: problems of one kind in one
column of one file are stored as one group (row numbers and values as arrays), and
are turned into :class:`Problem` objects only when someone reads them. Messages show
at most ``limit`` problems per (file, column, reason) and say how many more there are.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, overload

import numpy as np
import pandas as pd

__all__ = [
    "MESSAGES",
    "LoadError",
    "LoadReport",
    "Problem",
    "ProblemList",
    "Severity",
    "TableInfo",
    "default_lang",
]


class Severity(StrEnum):
    ERROR = "error"  # the load is refused
    WARNING = "warning"  # loaded anyway; a data-quality note


E, W = Severity.ERROR, Severity.WARNING

#: code -> (severity, English reason, Chinese reason). ``{name}`` placeholders come from
#: the group's parameters; ``{other}`` is a second row number (the first duplicate).
MESSAGES: dict[str, tuple[Severity, str, str]] = {
    # files and sources
    "no_source": (E, "no such file or folder", "找不到该文件或文件夹"),
    "unsupported_source": (
        E,
        "not a data-contract folder, an .xlsx workbook or a folder of Parquet files",
        "不是数据契约文件夹、.xlsx 工作簿或 Parquet 文件夹",
    ),
    "no_tables": (
        E,
        "no data-contract table found (expected files such as employees.csv, contracts.csv)",
        "未找到任何数据表（应有 employees.csv、contracts.csv 等文件）",
    ),
    "missing_file": (E, "required file is missing", "缺少必需的文件"),
    "absent_file_incremental": (
        W,
        "file is absent; loading incrementally, references are checked against the store",
        "文件缺失；按增量加载处理，引用将与库中已有数据核对",
    ),
    "two_sources": (E, "the table is given twice: {files}", "同一张表出现了两次：{files}"),
    "unreadable": (E, "cannot read the file: {detail}", "无法读取文件：{detail}"),
    "undecodable": (
        E,
        "text is neither UTF-8 nor GBK/GB18030 (first bad byte at offset {offset})",
        "文件编码既不是 UTF-8 也不是 GBK/GB18030（第 {offset} 字节起无法解码）",
    ),
    "zip_file": (
        E,
        "the file is a ZIP archive (an Excel workbook renamed to .csv?), not CSV text",
        "该文件是 ZIP 压缩包（是否把 Excel 工作簿改名为 .csv？），不是 CSV 文本",
    ),
    "utf16": (
        E,
        "text is UTF-16 (as Excel's “Unicode Text” writes it); save the file as “CSV UTF-8”",
        "文件编码为 UTF-16（Excel“Unicode 文本”格式）；请另存为“CSV UTF-8”",
    ),
    "nul_bytes": (
        E,
        "the file holds NUL bytes (binary data, or UTF-16 text without a byte-order mark); CSV text has none",
        "文件含有 NUL 字节（二进制数据，或无字节序标记的 UTF-16 文本），不是 CSV 文本",
    ),
    "likely_latin1": (
        E,
        "text is not UTF-8, and read as GBK it gives only rare characters ({sample}): "
        "it is probably Latin-1/Windows-1252; save the file as UTF-8",
        "文件不是 UTF-8；按 GBK 解码只得到生僻字（{sample}），很可能是 Latin-1/Windows-1252 编码；请另存为 UTF-8",
    ),
    "mojibake": (
        E,
        "text was garbled by a wrong encoding (UTF-8 read as Latin-1/Windows-1252 and saved again): "
        "{sample} should read {fixed}",
        "文本因编码错误而成乱码（UTF-8 被当作 Latin-1/Windows-1252 读取后再保存）：{sample} 应为 {fixed}",
    ),
    "empty_file": (E, "the file is empty (not even a header row)", "文件为空（连表头都没有）"),
    "no_records": (
        W,
        "the file has a header but no records",
        "文件只有表头，没有数据行",
    ),
    "wrong_delimiter": (
        E,
        "the header is one column holding {delimiter}: the data contract separates columns with commas",
        "表头只有一列且含有{delimiter_zh}：数据契约要求以英文逗号分隔各列",
    ),
    "unclosed_quote": (
        E,
        'a quoted value that starts in this row is never closed (a missing ")',
        '从该行开始的带引号的值没有结束引号（缺少 "）',
    ),
    "stray_bom": (
        W,
        "byte-order marks in the middle of the file were removed (were files joined together?)",
        "文件中间出现的字节序标记（BOM）已删除（是否由多个文件拼接而成？）",
    ),
    "csv_syntax": (E, "CSV syntax error: {detail}", "CSV 格式错误：{detail}"),
    "ragged_row": (
        E,
        "row has {fields} fields but the header has {expected}",
        "该行有 {fields} 个字段，而表头有 {expected} 列",
    ),
    "unsupported_column_type": (
        E,
        "column type {detail} cannot be read as text",
        "列类型 {detail} 无法作为文本读取",
    ),
    # header
    "missing_column": (E, "required column is missing", "缺少必需的列"),
    "duplicate_column": (E, "column name appears more than once in the header", "表头中列名重复"),
    "column_clash": (
        E,
        "two columns give the same data-contract column: {names}",
        "多个列对应同一数据契约列：{names}",
    ),
    "unnamed_column": (
        W,
        "column has no name; its values are kept as {detail}",
        "该列没有列名，其数值以 {detail} 保存",
    ),
    "column_dropped": (
        W,
        "column is not part of the data contract and this table has no place for extra columns; not loaded",
        "该列不在数据契约中，且此表无法保存额外列；未载入",
    ),
    # values
    "empty_value": (E, "required value is empty", "必填值为空"),
    "duplicate_key": (
        E,
        "duplicate {what} (first at row {other})",
        "{what_zh}重复（首次出现在第 {other} 行）",
    ),
    "duplicate_row": (
        W,
        "exact duplicate of row {other} (every field the same, an export artefact); dropped",
        "与第 {other} 行完全相同（所有字段一致，导出时重复）；已去除",
    ),
    "dangling": (
        E,
        "unknown {what} (not in {target})",
        "{what_zh}不存在（{target_zh}没有）",
    ),
    "bad_date": (E, "not a date (expected YYYY-MM-DD)", "不是有效日期（应为 YYYY-MM-DD）"),
    "bad_timestamp": (
        E,
        "not a timestamp (expected YYYY-MM-DDTHH:MM:SS)",
        "不是有效时间（应为 YYYY-MM-DDTHH:MM:SS）",
    ),
    "bad_money": (E, "not an amount of money", "不是有效金额"),
    "bad_number": (E, "not a number", "不是有效数字"),
    "bad_integer": (E, "not a whole number", "不是整数"),
    "bad_bool": (
        E,
        "not a yes/no value (true/false, 1/0, 是/否, yes/no)",
        "不是是/否值（true/false、1/0、是/否、yes/no）",
    ),
    "negative_amount": (E, "amount is negative", "金额为负数"),
    "huge_amount": (
        W,
        "amount is over one trillion yuan (10^12), loaded as written: a unit or decimal-point error?",
        "金额超过一万亿元（10^12），按原值载入：是否单位或小数点有误？",
    ),
    "future_date": (
        W,
        "dated after the day of the load ({today}), loaded as written: a typing error or a wrong year?",
        "日期晚于载入当日（{today}），按原值载入：是否录入错误或年份有误？",
    ),
    "long_text": (
        W,
        "text longer than {longest} characters, far longer than any real name, address or note; "
        "loaded as written and shown cut short",
        "文本超过 {longest} 个字符，远长于任何真实的名称、地址或备注；按原值载入，显示时截断",
    ),
    "bad_step": (E, "approval step must be 1 or more", "审批步骤必须从 1 开始"),
    "unknown_relation": (
        E,
        "unknown relation kind (expected one of {expected})",
        "未知的关系类型（应为 {expected} 之一）",
    ),
    "unknown_party_type": (
        E,
        "unknown party type (expected employee, supplier or person)",
        "未知的主体类型（应为 employee、supplier 或 person）",
    ),
    "self_loop": (E, "relation joins a party to itself", "关系的两端是同一主体"),
    "unknown_decision": (
        E,
        "unknown approval decision (expected approve or reject)",
        "未知的审批结论（应为 approve 或 reject）",
    ),
    # data quality
    "bad_credit_code": (
        W,
        "统一社会信用代码 is malformed or its check character is wrong",
        "统一社会信用代码格式错误或校验位不符",
    ),
    "bad_id_number": (
        W,
        "居民身份证号码 has a wrong check character",
        "居民身份证号码校验位不符",
    ),
    "odd_phone": (W, "does not look like a Chinese phone number", "不像有效的电话号码"),
    "unknown_method": (
        W,
        "unknown procurement method, loaded as written (known: {expected})",
        "未知的采购方式，按原值载入（已知：{expected}）",
    ),
    "share_out_of_range": (
        W,
        "ownership share outside 0..1 (a percentage?), loaded as written",
        "持股比例不在 0 到 1 之间（是否为百分数？），按原值载入",
    ),
    "department_names_differ": (
        W,
        "one department has several names; the last one is kept",
        "同一部门有多个名称，采用最后一个",
    ),
    # policy.yaml and the mapping file
    "bad_yaml": (E, "not valid YAML: {detail}", "YAML 格式错误：{detail}"),
    "bad_policy": (E, "{detail}", "{detail_zh}"),
    "policy_note": (W, "{detail}", "{detail_zh}"),
    "bad_mapping": (E, "{detail}", "{detail_zh}"),
}


_OTHER_ASIDE = re.compile(r"\s*[(（][^()（）]*\{other\}[^()（）]*[)）]")


def default_lang() -> str:
    """English when the locale says so, Chinese otherwise (most users read it first)."""
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "en" if value.lower().startswith("en") else "zh"
    return "zh"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input.

    ``row`` counts with the header as row 1 (see the module docstring); ``column`` is
    the column as the source names it, followed by the data-contract name in brackets
    when a mapping renamed it; ``value`` is the offending value (personal identifiers
    masked), or ``None``.
    """

    file: str
    row: int | None
    column: str | None
    reason: str
    severity: Severity
    code: str = ""
    value: str | None = None
    reason_zh: str = ""

    def text(self, lang: str = "zh") -> str:
        """One line naming file, row, column and reason."""
        if lang == "en":
            where = self.file
            if self.row is not None:
                where += f", row {self.row}"
            if self.column:
                where += f", column {self.column}"
            line = f"{where}: {self.reason}"
            return f"{line}: {self.value!r}" if self.value is not None else line
        where = self.file
        if self.row is not None:
            where += f" 第 {self.row} 行"
        if self.column:
            where += f"，列“{self.column}”"
        line = f"{where}：{self.reason_zh or self.reason}"
        return f"{line}：“{self.value}”" if self.value is not None else line

    def __str__(self) -> str:
        return self.text(default_lang())


@dataclass
class _Group:
    """Problems of one code in one column of one file."""

    code: str
    file: str
    column: str | None
    params: dict[str, str]
    rows: list[np.ndarray] = field(default_factory=list)
    values: list[np.ndarray] = field(default_factory=list)
    others: list[np.ndarray] = field(default_factory=list)
    count: int = 0

    @property
    def severity(self) -> Severity:
        return MESSAGES[self.code][0]

    def reasons(self, other: int | None) -> tuple[str, str]:
        _, en, zh = MESSAGES[self.code]
        if other is None:
            # a summary line of many problems has no one "first at row N" to name
            en, zh = (_OTHER_ASIDE.sub("", text) for text in (en, zh))
        params = {**self.params, "other": "" if other is None else other}
        return en.format(**params), zh.format(**params)

    def problem(self, i: int) -> Problem:
        rows = np.concatenate(self.rows)
        values = np.concatenate(self.values)
        others = np.concatenate(self.others)
        return self._make(rows[i], values[i], others[i])

    def _make(self, row: Any, value: Any, other: Any) -> Problem:
        en, zh = self.reasons(None if other < 0 else int(other))
        return Problem(
            file=self.file,
            row=None if row < 0 else int(row),
            column=self.column,
            reason=en,
            severity=self.severity,
            code=self.code,
            value=None if value is None or (isinstance(value, float) and np.isnan(value)) else str(value),
            reason_zh=zh,
        )

    def __iter__(self) -> Iterator[Problem]:
        for rows, values, others in zip(self.rows, self.values, self.others, strict=True):
            for row, value, other in zip(rows, values, others, strict=True):
                yield self._make(row, value, other)

    def head(self, n: int) -> list[Problem]:
        out: list[Problem] = []
        for problem in self:
            if len(out) >= n:
                break
            out.append(problem)
        return out


class ProblemList(Sequence[Problem]):
    """A read-only list of problems, built lazily: ``len`` is cheap, items are made on access."""

    def __init__(self, groups: list[_Group]) -> None:
        self._groups = groups

    def __len__(self) -> int:
        return sum(g.count for g in self._groups)

    @overload
    def __getitem__(self, index: int) -> Problem: ...
    @overload
    def __getitem__(self, index: slice) -> list[Problem]: ...
    def __getitem__(self, index: int | slice) -> Problem | list[Problem]:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step == 1 and start == 0:
                out: list[Problem] = []
                for problem in self:
                    if len(out) >= stop:
                        break
                    out.append(problem)
                return out
            return [self[i] for i in range(start, stop, step)]
        if index < 0:
            index += len(self)
        for group in self._groups:
            if index < group.count:
                return group.problem(index)
            index -= group.count
        raise IndexError("problem index out of range")

    def __iter__(self) -> Iterator[Problem]:
        for group in self._groups:
            yield from group

    def __repr__(self) -> str:
        return f"ProblemList({len(self)} problems)"


@dataclass
class TableInfo:
    """What was read for one data-contract table."""

    table: str
    file: str  # as problems name it: "contracts.csv", "book.xlsx[合同]"
    rows: int = 0
    encoding: str | None = None  # CSV only: "utf-8", "utf-8-sig" (with BOM) or "gb18030"
    columns: dict[str, str] = field(default_factory=dict)  # source header -> data-contract column
    extra_columns: list[str] = field(default_factory=list)  # kept in the nodes' `extra`
    dropped_columns: list[str] = field(default_factory=list)  # left out on purpose by the mapping


class LoadReport:
    """Everything a load found: tables read, errors, warnings, and what it made of them.

    ``problems`` and ``errors`` list the error-severity problems (they refuse the load),
    ``warnings`` the data-quality notes; ``all_problems`` both. Each is a sequence of
    :class:`Problem` whose ``len`` is the full count.
    """

    def __init__(self, source: str) -> None:
        self.source = source
        self.tables: dict[str, TableInfo] = {}
        self.ignored: list[str] = []  # files or sheets that are not data-contract tables
        self.mapping: str | None = None
        self.policy_file: str | None = None
        # A format-specific account that a loader built before the tables (the OCDS report):
        # anything with ``render(lang) -> str``; the summary ends with it.
        self.source_report: Any = None
        self.graph_counts: dict[str, int] = {}  # nodes per label, relationships per type
        self._groups: dict[tuple[str, str | None, str], _Group] = {}

    # ---- recording -----------------------------------------------------------------
    def add(
        self,
        code: str,
        file: str,
        column: str | None = None,
        rows: Any = None,
        values: Any = None,
        others: Any = None,
        **params: str,
    ) -> None:
        """Record problems of ``code``: one per entry of ``rows`` (or one file-level problem).

        ``values`` and ``others`` (second row numbers) run parallel to ``rows``.
        """
        if code not in MESSAGES:
            raise KeyError(f"unknown problem code {code!r}")
        if rows is None:
            rows_arr = np.array([-1], dtype=np.int64)
        else:
            rows_arr = np.asarray(rows, dtype=np.int64).reshape(-1)
        n = len(rows_arr)
        if n == 0:
            return
        if values is None:
            values_arr = np.full(n, None, dtype=object)
        else:
            values_arr = np.asarray(values, dtype=object).reshape(-1)
        others_arr = (
            np.full(n, -1, dtype=np.int64)
            if others is None
            else np.asarray(others, dtype=np.int64).reshape(-1)
        )
        key = (file, column, code + "|" + "|".join(f"{k}={v}" for k, v in sorted(params.items())))
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = _Group(code, file, column, dict(params))
        group.rows.append(rows_arr)
        group.values.append(values_arr)
        group.others.append(others_arr)
        group.count += n

    # ---- reading ---------------------------------------------------------------------
    def _of(self, severity: Severity | None) -> list[_Group]:
        return [g for g in self._groups.values() if severity is None or g.severity == severity]

    @property
    def errors(self) -> ProblemList:
        return ProblemList(self._of(Severity.ERROR))

    @property
    def problems(self) -> ProblemList:
        """The errors (problems that refuse the load)."""
        return self.errors

    @property
    def warnings(self) -> ProblemList:
        return ProblemList(self._of(Severity.WARNING))

    @property
    def all_problems(self) -> ProblemList:
        return ProblemList(self._of(None))

    @property
    def has_errors(self) -> bool:
        return any(g.severity == Severity.ERROR for g in self._groups.values())

    @property
    def error_count(self) -> int:
        return len(self.errors)

    @property
    def warning_count(self) -> int:
        return len(self.warnings)

    def codes(self, severity: Severity | None = None) -> dict[str, int]:
        """How many problems of each code, e.g. ``{"dangling": 3}``."""
        out: dict[str, int] = {}
        for g in self._of(severity):
            out[g.code] = out.get(g.code, 0) + g.count
        return out

    def problems_frame(self) -> pd.DataFrame:
        """Every problem as a row (file, row, column, severity, code, reason, reason_zh, value),
        for handing back to whoever owns the data."""
        records = [
            (p.file, p.row, p.column, p.severity.value, p.code, p.reason, p.reason_zh, p.value)
            for p in self.all_problems
        ]
        frame = pd.DataFrame(
            records,
            columns=["file", "row", "column", "severity", "code", "reason", "reason_zh", "value"],
        )
        frame["row"] = frame["row"].astype("Int64")
        return frame

    # ---- text ------------------------------------------------------------------------
    def problem_lines(self, severity: Severity, lang: str = "zh", limit: int = 20) -> list[str]:
        """One line per problem, at most ``limit`` per (file, column, reason), then a count."""
        lines: list[str] = []
        groups = sorted(self._of(severity), key=lambda g: (g.file, int(min(r.min() for r in g.rows))))
        for group in groups:
            shown = group.head(limit)
            lines.extend(p.text(lang) for p in shown)
            rest = group.count - len(shown)
            if rest > 0:
                en, zh = group.reasons(None)
                column = group.column or ""
                if lang == "en":
                    lines.append(f"… and {rest} more in {group.file}, column {column}: {en}")
                else:
                    lines.append(f"…… {group.file} 列“{column}”另有 {rest} 处同类问题：{zh}")
        return lines

    def error_text(self, lang: str = "zh", limit: int = 20) -> str:
        n = self.error_count
        files = len({g.file for g in self._of(Severity.ERROR)})
        if lang == "en":
            head = f"{self.source}: load refused, {n} error(s) in {files} file(s); nothing was written."
        else:
            head = f"{self.source}：拒绝加载，{files} 个文件中共 {n} 个错误，未写入任何数据。"
        lines = [head, *("  " + line for line in self.problem_lines(Severity.ERROR, lang, limit))]
        warnings = self.warning_count
        if warnings:
            lines.append(
                f"(and {warnings} data-quality warning(s))"
                if lang == "en"
                else f"（另有 {warnings} 条数据质量提示）"
            )
        return "\n".join(lines)

    def summary(self, lang: str = "zh", limit: int = 20) -> str:
        """A readable account of the load: tables, rows, encodings, graph counts, problems."""
        en = lang == "en"
        lines = []
        for info in self.tables.values():
            encoding = f"{', ' if en else '，'}{info.encoding}" if info.encoding else ""
            extra = ""
            if info.extra_columns:
                names = ", ".join(info.extra_columns)
                extra = f"; extra columns kept: {names}" if en else f"；额外列已保存：{names}"
            if en:
                lines.append(f"  {info.file}: {info.rows} rows{encoding}{extra}")
            else:
                lines.append(f"  {info.file}：{info.rows} 行{encoding}{extra}")
        if self.policy_file:
            lines.append(f"  policy: {self.policy_file}" if en else f"  制度参数：{self.policy_file}")
        if self.mapping:
            lines.append(f"  column mapping: {self.mapping}" if en else f"  列名映射：{self.mapping}")
        if self.ignored:
            names = ", ".join(self.ignored)
            lines.append(
                f"  not part of the data contract, ignored: {names}"
                if en
                else f"  非数据契约文件，已忽略：{names}"
            )
        if self.graph_counts:
            counts = ", ".join(f"{k} {v}" for k, v in self.graph_counts.items())
            lines.append(f"  graph: {counts}" if en else f"  图数据：{counts}")
        errors, warnings = self.error_count, self.warning_count
        lines.append(
            f"  {errors} error(s), {warnings} warning(s)"
            if en
            else f"  错误 {errors} 个，数据质量提示 {warnings} 条"
        )
        for severity in (Severity.ERROR, Severity.WARNING):
            lines.extend("    " + line for line in self.problem_lines(severity, lang, limit))
        if self.source_report is not None and hasattr(self.source_report, "render"):
            lines.append(self.source_report.render(lang))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"LoadReport({self.source!r}, errors={self.error_count}, warnings={self.warning_count})"


class LoadError(Exception):
    """The input has errors; nothing was written. ``report`` holds every problem.

    ``str(error)`` lists the errors in the locale's language (see :func:`default_lang`);
    ``error.text(lang)`` in the one you choose.
    """

    def __init__(self, report: LoadReport) -> None:
        self.report = report
        super().__init__(report.error_text(default_lang()))

    def text(self, lang: str = "zh", limit: int = 20) -> str:
        return self.report.error_text(lang, limit)

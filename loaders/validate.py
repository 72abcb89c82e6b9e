"""Check text tables against the data contract and type them; report every problem at once.

Errors (the load is refused): a missing required file or column, an empty required
value, a duplicate key within a file, a reference to a record that is neither in its
file nor (for incremental loads) in the store, a value that does not parse as its
type, a negative amount, an approval step below 1, an unknown relation kind, party
type or approval decision, a relation from a party to itself, and a malformed
``policy.yaml``.

Warnings (loaded anyway): a wrong check character in a 统一社会信用代码 or
居民身份证号码, a phone number that does not look like one, an unknown procurement
method, an ownership share outside 0..1, an amount over a trillion yuan
(:data:`HUGE_AMOUNT`), a date after the day of the load, text longer than any real name,
address or note (:data:`LONGEST_TEXT`), a column that has nowhere to go.

Every check is vectorised over the whole column; nothing loops over the rows of a
large table.
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from graph.schema import PARTY_RELATIONS, rel_type
from loaders.contract import DECISIONS, METHODS, PARTY_TYPES, TABLES, Column, Kind
from loaders.errors import LoadReport
from loaders.identifiers import is_valid_credit_code, is_valid_id_number
from loaders.normalize import (
    is_plausible_phone,
    mask,
    normalize_id_number,
    normalize_name,
    per_unique,
    split_phones,
)
from loaders.parsing import (
    parse_bools,
    parse_dates,
    parse_integers,
    parse_money,
    parse_numbers,
    parse_timestamps,
)
from loaders.tables import TextTable

__all__ = [
    "HUGE_AMOUNT",
    "LONGEST_TEXT",
    "CheckedTable",
    "ExistingFn",
    "check_policy",
    "check_tables",
    "isin",
]

#: Amounts above this (yuan) are loaded with a warning: no contract of any organisation comes
#: near a trillion yuan, while a value in 分 or a misplaced decimal point easily does, and one
#: such amount would dominate every concentration measure.
HUGE_AMOUNT = 1e12

#: Text longer than this (characters) is loaded with a warning: no real name, address or note
#: comes near it, while a paste gone wrong or a hostile extract (a 5 MB "supplier name") does.
LONGEST_TEXT = 2_000

#: ``existing(label) -> ids already in the store`` for incremental loads.
ExistingFn = Callable[[str], set[str]]

_PARSERS = {
    Kind.DATE: ("bad_date", parse_dates),
    Kind.TIMESTAMP: ("bad_timestamp", parse_timestamps),
    Kind.MONEY: ("bad_money", parse_money),
    Kind.NUMBER: ("bad_number", parse_numbers),
    Kind.INTEGER: ("bad_integer", parse_integers),
    Kind.BOOL: ("bad_bool", parse_bools),
}


@dataclass
class CheckedTable:
    """A table that passed through validation: typed contract columns and its extra columns."""

    table: str
    file: str
    frame: pd.DataFrame  # contract columns present in the source, typed; index = row numbers
    extra: pd.DataFrame  # columns the contract does not name, as text


def isin(values: pd.Series, known: Any) -> np.ndarray:
    """``values.isin(known)`` for text, through Arrow (pandas' own is slow on millions of strings).

    >>> isin(pd.Series(["a", "b", None]), {"a"}).tolist()
    [True, False, False]
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(known, set | frozenset):
        known = list(known)
    value_set = pa.array(pd.Series(known, dtype="str"), type=pa.string())
    array = pa.array(values.astype("str"), type=pa.string(), from_pandas=True)
    result = pc.is_in(array, value_set=value_set, skip_nulls=True)
    return pc.fill_null(result, False).to_numpy(zero_copy_only=False)


class _Checker:
    def __init__(
        self,
        tables: dict[str, TextTable],
        report: LoadReport,
        existing: ExistingFn | None,
        unreadable: set[str],
        file_for: Callable[[str], str],
    ) -> None:
        self.tables = tables
        self.report = report
        self.existing = existing
        self.unreadable = unreadable
        self.file_for = file_for
        self.checked: dict[str, CheckedTable] = {}
        self._store_ids: dict[str, set[str]] = {}
        #: tables whose key, as text, repeats in no two rows (see drop_exact_duplicates)
        self._text_keys_unique: set[str] = set()
        #: the first moment after the day of the load: a record dated from then on is in the future
        self.tomorrow = pd.Timestamp.now().normalize() + pd.Timedelta(days=1)

    # ---- helpers ---------------------------------------------------------------------
    def _values(self, column: Column, values: pd.Series) -> pd.Series:
        return per_unique(values, mask) if column.personal else values

    def add(
        self, code: str, text: TextTable, column: str | None, which: Any, values: Any = None, **params: str
    ) -> None:
        """Record ``code`` for the rows of ``text`` where the boolean array ``which`` is true."""
        frame = text.frame
        selected = np.asarray(which, dtype=bool)
        if not selected.any():
            return
        rows = frame.index.to_numpy()[selected]
        picked = None
        if values is not None:
            picked = np.asarray(values, dtype=object)[selected]
        label = text.label(column) if column else None
        self.report.add(code, text.file, column=label, rows=rows, values=picked, **params)

    def store_ids(self, label: str) -> set[str]:
        if self.existing is None:
            return set()
        if label not in self._store_ids:
            self._store_ids[label] = {str(x) for x in self.existing(label)}
        return self._store_ids[label]

    # ---- the whole check ---------------------------------------------------------------
    def run(self) -> dict[str, CheckedTable]:
        self.check_files()
        for text in self.tables.values():
            self.check_table(text)
        self.check_references()
        self.check_identifiers()
        return self.checked

    def check_files(self) -> None:
        for name, spec in TABLES.items():
            if not spec.required or name in self.tables or name in self.unreadable:
                continue
            code = "absent_file_incremental" if self.existing is not None else "missing_file"
            self.report.add(code, self.file_for(name))

    def check_table(self, text: TextTable) -> None:
        spec = TABLES[text.table]
        self.drop_exact_duplicates(text)
        frame = text.frame
        present = [c for c in spec.columns if c.name in frame.columns]
        for column in spec.columns:
            if column.required and column.name not in frame.columns:
                self.report.add("missing_column", text.file, column=column.name, rows=[1])
        typed = pd.DataFrame(index=frame.index)
        for column in present:
            typed[column.name] = self.parse_column(text, column)
        extra_names = [c for c in frame.columns if c not in spec.column_names]
        if extra_names and spec.label is None:
            for name in extra_names:
                self.report.add("column_dropped", text.file, column=name, rows=[1])
        checked = CheckedTable(text.table, text.file, typed, frame[extra_names])
        self.checked[text.table] = checked
        rules = {
            "relations": self.check_relations,
            "approvals": self.check_approvals,
            "contracts": self.check_contracts,
        }
        if text.table in rules:
            rules[text.table](text, checked)
        self.check_key(text, checked)

    def drop_exact_duplicates(self, text: TextTable) -> None:
        """A row equal in every field to an earlier one is a warning and is dropped.

        ERP exports repeat a row now and then; the copy says nothing new. A row that
        differs in any field (another time, another decision) is not dropped: if it
        repeats a key, :meth:`check_key` refuses it.
        """
        frame = text.frame
        if frame.empty or frame.shape[1] == 0:
            return
        spec = TABLES[text.table]
        key = [k for k in spec.key if k in frame.columns]
        # Rows equal in every field are equal in the key: only rows whose key repeats are compared
        # whole (in a clean extract none), so the whole rows of millions are never hashed.
        candidates = frame.duplicated(subset=key, keep=False).to_numpy() if key else np.ones(len(frame), bool)
        if not candidates.any():
            if key == list(spec.key):
                self._text_keys_unique.add(text.table)
            return
        alike = frame[candidates]
        repeated = np.zeros(len(frame), dtype=bool)
        repeated[candidates] = alike.duplicated(keep="first").to_numpy()
        if not repeated.any():
            return
        # the first row of each group of identical rows, for the message
        codes = alike.groupby(list(alike.columns), dropna=False, sort=False).ngroup().to_numpy()
        first_row = np.zeros(len(frame), dtype=np.int64)
        first_row[candidates] = pd.Series(alike.index.to_numpy()).groupby(codes).transform("first").to_numpy()
        if key:
            shown = frame.loc[repeated, key].astype(str).agg(" / ".join, axis=1).to_numpy(dtype=object)
            column = "+".join(text.label(k) for k in key)
        else:
            shown, column = np.full(int(repeated.sum()), None, dtype=object), None
        self.report.add(
            "duplicate_row",
            text.file,
            column=column,
            rows=frame.index.to_numpy()[repeated],
            values=shown,
            others=first_row[repeated],
        )
        text.frame = frame[~repeated]

    def parse_column(self, text: TextTable, column: Column) -> pd.Series:
        values = text.frame[column.name]
        if column.required:
            self.add("empty_value", text, column.name, values.isna().to_numpy())
        if column.kind in (Kind.ID, Kind.TEXT, Kind.NAME):
            self.check_length(text, column, values)
        if column.kind in (Kind.ID, Kind.TEXT):
            return values
        if column.kind == Kind.NAME:
            return per_unique(values, normalize_name).astype("str")
        code, parser = _PARSERS[column.kind]
        parsed, bad = parser(values)
        self.add(code, text, column.name, bad, self._values(column, values))
        if column.kind in (Kind.DATE, Kind.TIMESTAMP):
            # after the day of the load: no record of an extract can be dated later than the extract
            future = (parsed >= self.tomorrow).fillna(False).to_numpy(dtype=bool) & ~bad
            self.add(
                "future_date",
                text,
                column.name,
                future,
                self._values(column, values),
                today=f"{self.tomorrow - pd.Timedelta(days=1):%Y-%m-%d}",
            )
        if column.kind == Kind.MONEY:
            # a value that is not an amount ("-inf") has been reported as such, and only as such
            negative = (parsed < 0).fillna(False).to_numpy(dtype=bool) & ~bad
            self.add("negative_amount", text, column.name, negative, values)
            huge = (parsed > HUGE_AMOUNT).fillna(False).to_numpy(dtype=bool) & ~bad
            self.add("huge_amount", text, column.name, huge, values)
        return parsed

    def check_length(self, text: TextTable, column: Column, values: pd.Series) -> None:
        """Text far longer than any real name, address or note is loaded as written, with a warning
        that shows its start and its length (the app cuts it on screen)."""
        lengths = values.str.len() if values.dtype == object else values.astype("str").str.len()
        long = (lengths > LONGEST_TEXT).fillna(False).to_numpy(dtype=bool)
        if not long.any():
            return
        shown = np.full(len(values), None, dtype=object)
        start = values[long].str.slice(0, 20)
        if column.personal:
            start = per_unique(start, mask)
        shown[long] = [f"{head}… ({n:,})" for head, n in zip(start, lengths[long], strict=True)]
        self.add("long_text", text, column.name, long, shown, longest=f"{LONGEST_TEXT:,}")

    def check_key(self, text: TextTable, checked: CheckedTable) -> None:
        spec = TABLES[text.table]
        if not all(k in checked.frame.columns for k in spec.key):
            return
        if text.table in self._text_keys_unique and all(spec.column(k).kind == Kind.ID for k in spec.key):
            return  # ids are kept as written: keys unique as text are unique
        columns = [checked.frame[k] for k in spec.key]
        complete = np.logical_and.reduce([c.notna().to_numpy() for c in columns])
        # One integer per distinct key: the columns' codes folded together, re-coded after
        # each step so that the numbers stay small.
        codes = np.zeros(len(checked.frame), dtype=np.int64)
        for column in columns:
            column_codes, uniques = pd.factorize(column)
            codes = pd.factorize(codes * (len(uniques) + 1) + column_codes)[0]
        codes = codes[complete]
        duplicated = pd.Series(codes).duplicated(keep="first").to_numpy()
        if not duplicated.any():
            return
        rows = checked.frame.index.to_numpy()[complete]
        first_row = pd.Series(rows).groupby(codes).transform("first").to_numpy()
        if len(spec.key) == 1:
            shown = columns[0].to_numpy(dtype=object)[complete]
            column_label = text.label(spec.key[0])
            what, what_zh = f"{spec.what[0]} id", f"{spec.what[1]}编号"
        else:
            keys = checked.frame.loc[complete, list(spec.key)].astype(str)
            shown = keys.agg(" / ".join, axis=1).to_numpy(dtype=object)
            column_label = "+".join(spec.key)
            what, what_zh = spec.what
        self.report.add(
            "duplicate_key",
            text.file,
            column=column_label,
            rows=rows[duplicated],
            values=shown[duplicated],
            others=first_row[duplicated],
            what=what,
            what_zh=what_zh,
        )

    # ---- table-specific rules ------------------------------------------------------------
    def check_relations(self, text: TextTable, checked: CheckedTable) -> None:
        frame = checked.frame
        party_words = _party_words()
        for side in ("src_type", "dst_type"):
            if side not in frame:
                continue
            raw = frame[side]
            mapped = per_unique(raw, lambda v: party_words.get(_fold(v)))
            self.add("unknown_party_type", text, side, (raw.notna() & mapped.isna()).to_numpy(), raw)
            frame[side] = mapped.astype("str")
        if "relation" in frame:
            raw = frame["relation"]
            words = _relation_words()
            mapped = per_unique(raw, lambda v: words.get(_fold(v)))
            self.add(
                "unknown_relation",
                text,
                "relation",
                (raw.notna() & mapped.isna()).to_numpy(),
                raw,
                expected=", ".join(PARTY_RELATIONS),
            )
            frame["relation"] = mapped.astype("str")
        if all(c in frame for c in ("src_type", "src_id", "dst_type", "dst_id")):
            loop = (
                frame["src_type"].notna()
                & (frame["src_type"] == frame["dst_type"])
                & (frame["src_id"] == frame["dst_id"])
            )
            self.add("self_loop", text, "dst_id", loop.fillna(False).to_numpy(), frame["dst_id"])
        if "share" in frame:
            share = frame["share"]
            outside = ((share < 0) | (share > 1)).fillna(False).to_numpy(dtype=bool)
            self.add("share_out_of_range", text, "share", outside, text.frame["share"])

    def check_approvals(self, text: TextTable, checked: CheckedTable) -> None:
        frame = checked.frame
        if "step" in frame:
            below = (frame["step"] < 1).fillna(False).to_numpy(dtype=bool)
            self.add("bad_step", text, "step", below, text.frame["step"])
        if "decision" in frame:
            raw = frame["decision"]
            mapped = per_unique(raw, lambda v: DECISIONS.get(_fold(v)))
            self.add("unknown_decision", text, "decision", (raw.notna() & mapped.isna()).to_numpy(), raw)
            frame["decision"] = mapped.fillna("approve").astype("str")

    def check_contracts(self, text: TextTable, checked: CheckedTable) -> None:
        frame = checked.frame
        if "method" in frame:
            raw = frame["method"]
            mapped = per_unique(raw, lambda v: METHODS.get(_fold(v)))
            unknown = (raw.notna() & mapped.isna()).to_numpy()
            self.add(
                "unknown_method",
                text,
                "method",
                unknown,
                raw,
                expected=", ".join(sorted(set(METHODS.values()))),
            )
            frame["method"] = mapped.where(~unknown, raw).astype("str")

    # ---- across tables -----------------------------------------------------------------------
    def check_references(self) -> None:
        for name, checked in self.checked.items():
            spec = TABLES[name]
            text = self.tables[name]
            for column in spec.columns:
                if column.refers_to and column.name in checked.frame:
                    values = checked.frame[column.name]
                    self.check_reference(
                        text, column.name, values, values.notna().to_numpy(), column.refers_to
                    )
        relations = self.checked.get("relations")
        if relations is None:
            return
        frame = relations.frame
        for side in ("src", "dst"):
            if f"{side}_type" not in frame or f"{side}_id" not in frame:
                continue
            for party, (_label, table) in PARTY_TYPES.items():
                selected = ((frame[f"{side}_type"] == party) & frame[f"{side}_id"].notna()).to_numpy(
                    dtype=bool
                )
                self.check_reference(
                    self.tables["relations"], f"{side}_id", frame[f"{side}_id"], selected, table
                )

    def check_reference(
        self, text: TextTable, column: str, values: pd.Series, selected: np.ndarray, target: str
    ) -> None:
        spec = TABLES[target]
        if not selected.any() or target in self.unreadable:
            return
        if target not in self.checked and spec.required and self.existing is None:
            return  # the missing file is the error; every reference into it need not be another
        unresolved = np.array(selected, dtype=bool)  # a writable copy
        checked = self.checked.get(target)
        if checked is not None and spec.key[0] in checked.frame:
            unresolved[selected] = ~isin(values[selected], checked.frame[spec.key[0]].dropna().unique())
        if unresolved.any() and self.existing is not None and spec.label is not None:
            store = self.store_ids(spec.label)
            if store:
                unresolved[unresolved] = ~isin(values[unresolved], store)
        target_file = checked.file if checked is not None else self.file_for(target)
        in_store = self.existing is not None
        self.add(
            "dangling",
            text,
            column,
            unresolved,
            values,
            what=spec.what[0],
            what_zh=spec.what[1],
            target=target_file + (" or the store" if in_store else ""),
            target_zh=target_file + (" 及库中均" if in_store else " 中"),
        )

    def check_identifiers(self) -> None:
        """Warnings about identifiers that are given but do not look right."""
        checks = (
            ("suppliers", "credit_code", "bad_credit_code", _wrong_credit_code),
            ("employees", "id_number", "bad_id_number", _wrong_id_number),
            ("persons", "id_number", "bad_id_number", _wrong_id_number),
            ("employees", "phone", "odd_phone", _odd_phone),
            ("suppliers", "phone", "odd_phone", _odd_phone),
            ("persons", "phone", "odd_phone", _odd_phone),
        )
        for table, column_name, code, wrong in checks:
            text = self.tables.get(table)
            if text is None or column_name not in text.frame:
                continue
            values = text.frame[column_name]
            flagged = per_unique(values, wrong).fillna(False).astype(bool).to_numpy()
            self.add(
                code, text, column_name, flagged, self._values(TABLES[table].column(column_name), values)
            )


def _nfkc(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip()


def _fold(value: str) -> str:
    """Case, width and spacing do not matter in the words of an enumeration."""
    return re.sub(r"[\s\-]+", "_", _nfkc(value).casefold())


def _party_words() -> dict[str, str]:
    from graph.schema import node_type

    words = {}
    for party, (label, _table) in PARTY_TYPES.items():
        words[party] = party
        words[_fold(label)] = party
        words[_fold(node_type(label).doc_zh)] = party
    words["个人"] = "person"
    return words


def _relation_words() -> dict[str, str]:
    words = {}
    for name in PARTY_RELATIONS:
        words[_fold(name)] = name
        words[_fold(rel_type(name).doc_zh)] = name
    return words


def _wrong_credit_code(value: str) -> bool:
    return not is_valid_credit_code(_nfkc(value).replace(" ", ""))


def _wrong_id_number(value: str) -> bool:
    """True for an 18-character resident ID with a wrong check character (passports pass)."""
    number = normalize_id_number(value)
    if len(number) == 18 and number[:17].isdigit():
        return not is_valid_id_number(number)
    return False


def _odd_phone(value: str) -> bool:
    numbers = split_phones(value)
    return not numbers or not all(is_plausible_phone(n) for n in numbers)


def check_tables(
    tables: dict[str, TextTable],
    report: LoadReport,
    existing: ExistingFn | None = None,
    unreadable: set[str] | None = None,
    file_for: Callable[[str], str] | None = None,
) -> dict[str, CheckedTable]:
    """Validate and type ``tables``; every problem goes to ``report``.

    ``existing`` (an incremental load) makes required files optional and lets references
    resolve against the store; ``unreadable`` names tables that exist but could not be
    read (no second round of problems about them); ``file_for`` names the file a missing
    table would have been (``suppliers.csv``, ``book.xlsx[suppliers]``).
    """
    checker = _Checker(tables, report, existing, unreadable or set(), file_for or (lambda t: TABLES[t].file))
    return checker.run()


# ---- policy.yaml ----------------------------------------------------------------------------
_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def _clock(value: Any) -> str | None:
    """``"08:00"`` -> ``"08:00"``; YAML 1.1 reads an unquoted ``19:00`` as the number 1140
    (base 60), which is turned back into ``"19:00"``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and 0 <= value < 24 * 60:
        return f"{value // 60:02d}:{value % 60:02d}"
    if isinstance(value, str):
        match = _HHMM.match(value.strip())
        if match:
            return f"{int(match.group(1)):02d}:{match.group(2)}"
    return None


def check_policy(
    doc: Any, file: str, report: LoadReport, lines: dict[str, int] | None = None
) -> dict[str, Any] | None:
    """Check the shape of ``policy.yaml``; return it with clean values, unknown keys kept.

    ``approval_limits`` is a list of ``{level, max_amount}`` (level a whole number from 1,
    max_amount a non-negative amount), ``working_hours`` is ``{start, end}`` as ``HH:MM``,
    ``currency`` a text such as ``CNY``. ``lines`` maps key paths to YAML lines, for messages.
    """
    lines = lines or {}

    def bad(path: str, en: str, zh: str, warning: bool = False) -> None:
        row = lines.get(path)
        report.add(
            "policy_note" if warning else "bad_policy",
            file,
            column=path,
            rows=None if row is None else [row],
            detail=en,
            detail_zh=zh,
        )

    if doc is None:
        return None
    if not isinstance(doc, dict):
        bad("", "policy must be a mapping of settings", "制度参数文件必须是“键: 值”形式的映射")
        return None
    policy: dict[str, Any] = dict(doc)
    if "currency" in doc:
        currency = doc["currency"]
        if not isinstance(currency, str) or not currency.strip():
            bad("currency", "currency must be a text such as CNY", "currency 必须是文本，例如 CNY")
        else:
            policy["currency"] = currency.strip().upper()
    if "approval_limits" in doc:
        policy["approval_limits"] = _check_limits(doc["approval_limits"], bad)
    if "working_hours" in doc:
        hours = doc["working_hours"]
        if not isinstance(hours, dict):
            bad(
                "working_hours",
                "working_hours must be {start: HH:MM, end: HH:MM}",
                "working_hours 必须为 {start: HH:MM, end: HH:MM}",
            )
        else:
            clean = dict(hours)
            for key in ("start", "end"):
                value = _clock(hours.get(key))
                if value is None:
                    bad(
                        f"working_hours.{key}",
                        f"working_hours.{key} must be a time HH:MM",
                        f"working_hours.{key} 必须是 HH:MM 格式的时间",
                    )
                else:
                    clean[key] = value
            start, end = _clock(clean.get("start")), _clock(clean.get("end"))
            if start and end and start >= end:
                bad(
                    "working_hours",
                    "working hours end before they start",
                    "工作时间的结束早于开始",
                    warning=True,
                )
            policy["working_hours"] = clean
    return policy


def _check_limits(limits: Any, bad: Callable[..., None]) -> Any:
    if not isinstance(limits, list):
        bad(
            "approval_limits",
            "approval_limits must be a list of {level, max_amount}",
            "approval_limits 必须是 {level, max_amount} 的列表",
        )
        return limits
    clean = []
    levels: set[int] = set()
    for i, item in enumerate(limits):
        path = f"approval_limits[{i}]"
        if not isinstance(item, dict):
            bad(
                path,
                "each approval limit must be {level, max_amount}",
                "每个审批权限必须为 {level, max_amount}",
            )
            continue
        entry = dict(item)
        level = item.get("level")
        if isinstance(level, bool) or not isinstance(level, int) or level < 1:
            bad(f"{path}.level", "level must be a whole number from 1", "level 必须是从 1 开始的整数")
        elif level in levels:
            bad(f"{path}.level", f"level {level} is given twice", f"审批级别 {level} 重复")
        else:
            levels.add(level)
        amount = item.get("max_amount")
        if (
            isinstance(amount, bool)
            or not isinstance(amount, int | float)
            or not math.isfinite(amount)
            or amount < 0
        ):
            bad(
                f"{path}.max_amount",
                "max_amount must be a non-negative amount in yuan",
                "max_amount 必须是非负金额（元）",
            )
        else:
            entry["max_amount"] = float(amount)
        clean.append(entry)
    ordered = sorted(
        (e for e in clean if isinstance(e.get("level"), int) and isinstance(e.get("max_amount"), float)),
        key=lambda e: e["level"],
    )
    amounts = [e["max_amount"] for e in ordered]
    if any(b < a for a, b in itertools.pairwise(amounts)):
        bad(
            "approval_limits",
            "a higher level has a lower limit than a lower level",
            "较高审批级别的限额低于较低级别",
            warning=True,
        )
    return clean

"""Exports that people open in Excel: alerts as CSV, JSON or XLSX.

Cells that start with ``=``, ``+``, ``-``, ``@`` (or a tab / carriage return)
would be run as formulas by a spreadsheet; they are prefixed with an apostrophe.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pandas as pd

__all__ = [
    "ALERT_EXPORT_COLUMNS",
    "alert_export_frame",
    "escape_formula",
    "to_csv_text",
    "to_json_text",
    "to_xlsx_bytes",
]

ALERT_EXPORT_COLUMNS = [
    "alert_id",
    "detector",
    "level",
    "score",
    "entity_type",
    "entity_id",
    "title",
    "explanation_zh",
    "explanation_en",
]

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def escape_formula(value: Any) -> Any:
    """Neutralise a spreadsheet formula in a text cell.

    >>> escape_formula("=HYPERLINK(1)"), escape_formula("-3"), escape_formula(-3), escape_formula("ok")
    ("'=HYPERLINK(1)", "'-3", -3, 'ok')
    """
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def alert_export_frame(alerts: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The CLI's alert export: one row per (alert, entity), columns as documented."""
    frame = alerts.copy()
    frame["title"] = frame["title_en"] if lang == "en" else frame["title_zh"]
    return frame.reindex(columns=ALERT_EXPORT_COLUMNS)


def _escaped(frame: pd.DataFrame) -> pd.DataFrame:
    text_columns = frame.select_dtypes(include=["object", "string"]).columns
    out = frame.copy()
    for column in text_columns:
        out[column] = out[column].map(escape_formula).astype(object)
    return out


def to_csv_text(frame: pd.DataFrame) -> str:
    return _escaped(frame).to_csv(index=False)


def to_json_text(frame: pd.DataFrame) -> str:
    records = json.loads(frame.to_json(orient="records", force_ascii=False, date_format="iso"))
    return json.dumps(records, ensure_ascii=False, indent=2)


def to_xlsx_bytes(frame: pd.DataFrame, sheet: str = "alerts") -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        _escaped(frame).to_excel(writer, index=False, sheet_name=sheet)
    return buffer.getvalue()

"""Exports that people open in Excel: alerts (or cases with their alerts inside) as CSV, JSON or XLSX.

Cells that start with ``=``, ``+``, ``-``, ``@`` (or a tab / carriage return)
would be run as formulas by a spreadsheet; they are prefixed with an apostrophe.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pandas as pd

from detectors.case_grouping import RANK_DECIMALS

__all__ = [
    "ALERT_EXPORT_COLUMNS",
    "BY_CASE_COLUMNS",
    "CASE_COLUMNS",
    "LEARNED_COLUMNS",
    "alert_export_frame",
    "case_export_frame",
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


#: Beside the documented columns: the case each alert belongs to and the case's score.
CASE_COLUMNS = ["case_id", "case_score"]
#: Then the learned score beside the rule score (empty while the rules stand alone,
#: docs/learning.md), its level, and why it moved, in the export's language.
LEARNED_COLUMNS = ["learned_score", "learned_level", "learned_reasons"]
#: ``--by case``: the case's own columns first, its alerts' rows inside.
BY_CASE_COLUMNS = [
    "case_id",
    "case_score",
    "case_level",
    "case_status",
    "case_assignee",
    "case_families",
    "case_alerts",
    "case_learned_score",
    *ALERT_EXPORT_COLUMNS,
    *LEARNED_COLUMNS,
]


def alert_export_frame(alerts: pd.DataFrame, lang: str, cases: pd.DataFrame | None = None) -> pd.DataFrame:
    """The CLI's alert export: one row per (alert, entity), the documented columns, then
    ``case_id`` and ``case_score``, then the learned columns, riskiest alert first.
    ``cases``: :func:`graph.cases.read_cases`."""
    frame = alerts.copy()
    frame["title"] = frame["title_en"] if lang == "en" else frame["title_zh"]
    frame["case_score"] = frame["case_id"].map(_case_scores(cases)) if "case_id" in frame else None
    if "learned_reasons" in frame:
        frame["learned_reasons"] = [reasons_text(r, lang) for r in frame["learned_reasons"]]
    return frame.reindex(columns=[*ALERT_EXPORT_COLUMNS, *CASE_COLUMNS, *LEARNED_COLUMNS])


def reasons_text(reasons: Any, lang: str) -> str:
    """Why a learned score moved, in ``lang`` (``reasons``: a list, or its JSON as the store keeps it).

    >>> reasons_text('[{"zh": "同类已排除案件 12 件", "en": "12 dismissed cases of the same kind"}]', "en")
    '12 dismissed cases of the same kind'
    """
    if isinstance(reasons, str) and reasons:
        try:
            reasons = json.loads(reasons)
        except ValueError:
            return ""
    if not isinstance(reasons, list):
        return ""
    key = "en" if lang == "en" else "zh"
    return ("; " if lang == "en" else "；").join(str(r.get(key, "")) for r in reasons if isinstance(r, dict))


def _case_scores(cases: pd.DataFrame | None) -> dict[str, float]:
    if cases is None or cases.empty:
        return {}
    return dict(zip(cases["case_id"], cases["score"].astype(float), strict=True))


def case_export_frame(alerts: pd.DataFrame, lang: str, cases: pd.DataFrame) -> pd.DataFrame:
    """``sunlight alerts --by case``: cases first, riskiest first (more corroborating families
    first within a score), each followed by its alerts' rows (riskiest alert first)."""
    frame = alert_export_frame(alerts, lang, cases)
    known = cases.set_index("case_id") if not cases.empty else pd.DataFrame()

    def of_case(column: str, default: Any = None) -> list[Any]:
        return [known.at[c, column] if c in known.index else default for c in frame["case_id"]]

    families = of_case("families", {})
    frame["case_level"] = of_case("level")
    frame["case_status"] = of_case("status")
    frame["case_assignee"] = of_case("assignee")
    frame["case_families"] = [json.dumps(f, sort_keys=True) if f else "" for f in families]
    frame["case_alerts"] = of_case("alerts", 0)
    frame["case_learned_score"] = of_case("learned_score")
    frame["_corroboration"] = [len(f or {}) for f in families]
    # as the queue ranks cases (detectors.case_grouping.rank_key)
    frame["_shown"] = frame["case_score"].astype(float).round(RANK_DECIMALS)
    frame = frame.sort_values(
        [
            "_shown",
            "_corroboration",
            "case_score",
            "case_id",
            "score",
            "alert_id",
            "entity_type",
            "entity_id",
        ],
        ascending=[False, False, False, True, False, True, True, True],
        kind="stable",
        na_position="last",
    )
    return frame.reindex(columns=BY_CASE_COLUMNS).reset_index(drop=True)


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

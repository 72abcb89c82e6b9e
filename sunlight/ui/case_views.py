"""View models of cases: the case queue, a case's alerts, its corroboration, its export.

Plain pandas, no Streamlit and no Cypher, like :mod:`sunlight.ui.viewmodels`: the pages
call these with the :class:`~sunlight.ui.viewmodels.AlertBook` (whose ``alerts`` carry
their ``case_id`` and whose ``cases`` are :func:`graph.cases.read_cases`) and draw the
result. Masked as everything a person sees.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from detectors.base import FAMILIES
from detectors.case_grouping import RANK_DECIMALS, case_score
from sunlight.masking import mask_text
from sunlight.ui import viewmodels as vm
from sunlight.ui.labels import grade_name, level_name, status_name, t

__all__ = [
    "CASE_SORTS",
    "case_alerts",
    "case_export_frame",
    "case_frame",
    "case_queue_table",
    "case_title",
    "corroboration_text",
    "filter_cases",
    "merged_into",
    "sort_cases",
    "summary_cases",
    "summary_cases_table",
]

CASE_SORTS = vm.SORTS
# the queue orders cases by grade and status as it orders alerts
_GRADE_ORDER = vm._GRADE_ORDER
_STATUS_ORDER = vm._STATUS_ORDER

_CASE_COLUMNS = [
    "case_id",
    "score",
    "level",
    "grade",
    "status",
    "assignee",
    "families",
    "corroboration",
    "alert_ids",
    "detectors",
    "entities",
    "department",
    "departments",
    "first_seen",
    "last_seen",
    "learned_score",
    "learned_reasons",
]


def corroboration_text(families: Mapping[str, float], lang: str) -> str:
    """The families that found something, with each one's best score, strongest first.

    >>> corroboration_text({"price": 0.6, "relationship": 0.88}, "en")
    'Relationships 0.88 · Price 0.60'
    """
    ordered = sorted(
        families.items(), key=lambda fs: (-fs[1], list(FAMILIES).index(fs[0]) if fs[0] in FAMILIES else 99)
    )
    return " · ".join(f"{vm.family_label(f, lang)} {s:.2f}" for f, s in ordered)


def case_frame(book: vm.AlertBook) -> pd.DataFrame:
    """One row per case that holds alerts, riskiest first (alerts a store has not grouped yet
    stand as cases of their own, named by their alert id). Computed once per book; read-only."""
    frame: pd.DataFrame = book.derived("case_frame", lambda: _case_frame(book))
    return frame


def _case_frame(book: vm.AlertBook) -> pd.DataFrame:
    alerts = book.alerts
    if alerts.empty:
        return pd.DataFrame(columns=_CASE_COLUMNS)
    ordered = alerts.sort_values(["score", "alert_id"], ascending=[False, True], kind="stable")
    owner = ordered["case_id"].where(
        ordered["case_id"].map(lambda c: isinstance(c, str) and bool(c)), ordered["alert_id"]
    )
    stored = book.cases.set_index("case_id") if not book.cases.empty else pd.DataFrame()
    records = []
    for case_id, group in ordered.groupby(owner, sort=False):
        top = group.iloc[0]
        known = stored.loc[case_id] if case_id in stored.index else None
        if known is not None:
            families = dict(known["families"])
        else:  # not stored as a case: its alerts' best score per family
            families = {str(f): float(v) for f, v in group.groupby("family")["score"].max().items()}
        records.append(
            {
                "case_id": str(case_id),
                "score": float(known["score"]) if known is not None else case_score(families.values()),
                "level": str(known["level"]) if known is not None else str(top["level"]),
                "grade": str(known["grade"]) if known is not None else str(top["grade"]),
                "status": str(known["status"]) if known is not None else str(top["status"]),
                "assignee": (known["assignee"] if known is not None else top["assignee"]) or None,
                "families": families,
                "corroboration": len(families),
                "alert_ids": tuple(group["alert_id"]),
                "detectors": tuple(dict.fromkeys(group["detector"])),
                "entities": tuple(dict.fromkeys(k for ks in group["entities"] for k in ks)),
                "department": top["department"],
                "departments": tuple(dict.fromkeys(d for ds in group["departments"] for d in ds)),
                "first_seen": group["first_seen"].min(),
                "last_seen": group["last_seen"].max(),
                **_learned(known, group),
            }
        )
    frame = pd.DataFrame.from_records(records, columns=_CASE_COLUMNS)
    frame["assignee"] = pd.Series([r["assignee"] for r in records], index=frame.index, dtype=object)
    return sort_cases(frame, "score")


def _learned(known: pd.Series | None, group: pd.DataFrame) -> dict[str, Any]:
    """The case's learned score and reasons as stored, else its best alert's (NaN while none)."""
    stored = known.get("learned_score") if known is not None else None
    if stored is not None and not pd.isna(stored):
        reasons = known.get("learned_reasons") if known is not None else None
        return {
            "learned_score": float(stored),
            "learned_reasons": reasons if isinstance(reasons, list) else [],
        }
    scored = group.dropna(subset=["learned_score"]) if "learned_score" in group else group.iloc[0:0]
    if scored.empty:
        return {"learned_score": float("nan"), "learned_reasons": []}
    best = scored.loc[scored["learned_score"].astype(float).idxmax()]
    return {"learned_score": float(best["learned_score"]), "learned_reasons": list(best["learned_reasons"])}


def filter_cases(cases: pd.DataFrame, chosen_alerts: pd.DataFrame) -> pd.DataFrame:
    """The cases that hold at least one of ``chosen_alerts`` (the queue's filters work on alerts)."""
    wanted = set(chosen_alerts["alert_id"])
    return cases[cases["alert_ids"].map(lambda ids: bool(wanted & set(ids)))]


def sort_cases(cases: pd.DataFrame, by: str) -> pd.DataFrame:
    """Riskiest first by default; more corroborating families break a tie in score."""
    if by not in CASE_SORTS:
        raise ValueError(f"unknown sort {by!r}; expected one of {', '.join(CASE_SORTS)}")
    frame = cases.assign(
        _grade=cases["grade"].map(_GRADE_ORDER).fillna(9),
        _status=cases["status"].map(_STATUS_ORDER).fillna(9),
        # scores equal as shown rank alike; then more corroborating families first (rank_key)
        _shown=cases["score"].astype(float).round(RANK_DECIMALS),
        _learned=vm._learned_or_rule(cases).round(RANK_DECIMALS),
    )
    rank = (["_shown", "corroboration", "score", "case_id"], [False, False, False, True])
    keys = {
        "score": rank,
        "learned": (["_learned", *rank[0]], [False, *rank[1]]),
        "newest": (["last_seen", *rank[0]], [False, *rank[1]]),
        "grade": (["_grade", *rank[0]], [True, *rank[1]]),
        "status": (["_status", *rank[0]], [True, *rank[1]]),
    }[by]
    return frame.sort_values(keys[0], ascending=keys[1], kind="stable").drop(
        columns=["_grade", "_status", "_shown", "_learned"]
    )


def case_alerts(book: vm.AlertBook, case: Mapping[str, Any] | pd.Series) -> pd.DataFrame:
    """The alerts of ``case``, riskiest first (as in the book's alert table)."""
    ids = list(case["alert_ids"])
    alerts = book.alerts.set_index("alert_id", drop=False)
    return alerts.loc[[a for a in ids if a in alerts.index]]


def merged_into(book: vm.AlertBook, case_id: str) -> list[str]:
    """The cases merged into ``case_id`` (their history belongs to it)."""
    if book.cases.empty:
        return []
    return [c for c, m in zip(book.cases["case_id"], book.cases["merged_into"], strict=True) if m == case_id]


def case_title(book: vm.AlertBook, case: Mapping[str, Any] | pd.Series, lang: str) -> str:
    """What found it: the titles of its detectors, the riskiest alert's first."""
    alerts = case_alerts(book, case)
    column = "title_en" if lang == "en" else "title_zh"
    return ("、" if lang != "en" else ", ").join(dict.fromkeys(str(x) for x in alerts[column]))


def _explanation(book: vm.AlertBook, case: pd.Series, lang: str) -> str:
    alerts = case_alerts(book, case)
    if alerts.empty:
        return ""
    text = str(alerts.iloc[0]["explanation_en" if lang == "en" else "explanation_zh"])
    rest = len(alerts) - 1
    if rest > 0:
        text += f" (and {rest} more alerts)" if lang == "en" else f"（另有{rest}条预警）"
    return mask_text(text)


def case_queue_table(book: vm.AlertBook, cases: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The case queue as shown: a row per case, its corroboration and its riskiest alert's explanation."""
    table = pd.DataFrame(
        {
            t("col_grade", lang): [grade_name(g, lang) for g in cases["grade"]],
            t("col_case_score", lang): cases["score"].round(2).to_numpy(),
            t("col_corroboration", lang): [corroboration_text(f, lang) for f in cases["families"]],
            t("col_alerts", lang): [len(a) for a in cases["alert_ids"]],
            t("col_entities", lang): [vm.entity_names(book, ks, lang) for ks in cases["entities"]],
            t("col_department", lang): [book.department_label(d, lang) for d in cases["department"]],
            t("col_status", lang): [status_name(s, lang) for s in cases["status"]],
            t("col_assignee", lang): [a or "" for a in cases["assignee"]],
            t("col_explanation", lang): [_explanation(book, c, lang) for _, c in cases.iterrows()],
            t("col_case_id", lang): cases["case_id"].to_numpy(),
        }
    )
    return vm.with_learned(table, cases, lang, after=t("col_case_score", lang))


def case_export_frame(
    book: vm.AlertBook, cases: pd.DataFrame, alerts: Sequence[str] | None, lang: str
) -> pd.DataFrame:
    """Cases first, their alerts inside: one row per alert, ordered by case then alert risk, the
    case's columns before the alert's (``alerts``: only these alert ids, e.g. the filtered ones)."""
    wanted = set(alerts) if alerts is not None else None
    parts = []
    for _, case in cases.iterrows():
        members = case_alerts(book, case)
        if wanted is not None:
            members = members[members["alert_id"].isin(wanted)]
        if members.empty:
            continue
        inside = vm.export_frame(book, members, lang)
        head = pd.DataFrame(
            {
                t("col_case_id", lang): case["case_id"],
                t("col_case_score", lang): round(float(case["score"]), 4),
                t("col_case_level", lang): level_name(str(case["level"]), lang),
                t("col_case_status", lang): status_name(str(case["status"]), lang),
                t("col_corroboration", lang): corroboration_text(case["families"], lang),
            },
            index=inside.index,
        )
        parts.append(pd.concat([head, inside], axis=1))
    if not parts:
        return pd.DataFrame()
    return pd.concat(parts, ignore_index=True)


def summary_cases(book: vm.AlertBook, cases: pd.DataFrame) -> list[dict[str, Any]]:
    """The overview's list of cases, kept in the detector run's summary (plain values, names in both languages)."""
    return [
        {
            "case_id": str(c["case_id"]),
            "grade": str(c["grade"]),
            "score": round(float(c["score"]), 4),
            "families": dict(c["families"]),
            "alerts": len(c["alert_ids"]),
            "department": str(c["department"]),
            "entities": {lang: vm.entity_names(book, c["entities"], lang) for lang in ("zh", "en")},
        }
        for _, c in cases.iterrows()
    ]


def summary_cases_table(
    records: Sequence[Mapping[str, Any]], department_label: Any, lang: str
) -> pd.DataFrame:
    """The overview's case list as shown (``department_label(id, lang)`` names departments)."""
    return pd.DataFrame(
        {
            t("col_grade", lang): [grade_name(r["grade"], lang) for r in records],
            t("col_case_score", lang): [round(float(r["score"]), 2) for r in records],
            t("col_corroboration", lang): [corroboration_text(r["families"], lang) for r in records],
            t("col_alerts", lang): [int(r["alerts"]) for r in records],
            t("col_entities", lang): [r["entities"].get(lang, "") for r in records],
            t("col_department", lang): [department_label(r["department"], lang) for r in records],
            t("col_case_id", lang): [r["case_id"] for r in records],
        }
    )

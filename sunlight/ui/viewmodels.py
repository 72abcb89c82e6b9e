"""View models: store data turned into the tables and figures the pages show.

Plain pandas, no Streamlit and no Cypher: the pages call these with what the store
returned (``Store.alerts()``, ``Store.snapshot()``, ``Store.subgraph()``) and draw
the result. Everything a person sees passes through :mod:`sunlight.masking` here.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property, lru_cache
from typing import Any, Protocol

import pandas as pd

from detectors.base import FAMILIES
from detectors.composite import entity_risk
from graph.schema import entity_key, label_of_entity_type, split_entity_key
from graph.snapshot import GraphSnapshot
from sunlight.masking import (
    PERSONAL_KEYS,
    PIVOT_KINDS,
    mask_node_id,
    mask_props,
    mask_record,
    mask_text,
    phone_digits,
)
from sunlight.ui.labels import (
    column_name,
    family_name,
    grade_name,
    label_name,
    level_name,
    status_name,
    t,
)

__all__ = [
    "EVIDENCE_HEAT",
    "METRICS",
    "NO_DEPARTMENT",
    "OTHER_FAMILY",
    "SORTS",
    "AlertBook",
    "DepartmentNames",
    "Filters",
    "Heatmap",
    "SearchIndex",
    "build_alert_book",
    "case_personal_fields",
    "contracts_named",
    "entity_details",
    "entity_keys_in_result",
    "entity_names",
    "entity_personal_fields",
    "evidence_view",
    "export_frame",
    "family_map",
    "filter_alerts",
    "heatmap",
    "history_table",
    "hot_keys",
    "key_risk",
    "kpis",
    "masked_result",
    "named_trend",
    "queue_table",
    "read_alert_book",
    "risk_trend",
    "risk_trend_by_family",
    "sort_alerts",
    "timeline",
]

#: The family of alerts whose detector is not (or no longer) registered.
OTHER_FAMILY = "other"
#: The heatmap row of alerts that touch no department.
NO_DEPARTMENT = "__none__"
METRICS = ("risk", "value_share", "count")
SORTS = ("score", "learned", "newest", "grade", "status")
_GRADE_ORDER = {"一级": 0, "二级": 1, "三级": 2}
_STATUS_ORDER = {"open": 0, "reviewing": 1, "confirmed": 2, "dismissed": 3, "remediated": 4}
_LEVEL_ORDER = {"high": 0, "medium": 1, "low": 2}


def family_map() -> dict[str, str]:
    """Detector id -> family, from the registry (read when the app loads its data)."""
    from detectors.registry import all_detectors

    return {d.id: d.family for d in all_detectors()}


def family_label(family: str, lang: str) -> str:
    if family == OTHER_FAMILY:
        return "其他" if lang != "en" else "Other"
    return family_name(family, lang)


# ---- the alert book -----------------------------------------------------------------------
def _contract_ids_in(evidence: Mapping[str, Any], keys: Iterable[str]) -> list[str]:
    """Contracts an alert is about: flagged or listed in its subgraph or its evidence rows."""
    found: list[str] = []
    for key in keys:
        if key.startswith("contract:"):
            found.append(key.partition(":")[2])
    for key in evidence.get("subgraph") or []:
        if isinstance(key, str) and key.startswith("contract:"):
            found.append(key.partition(":")[2])
    for row in evidence.get("rows") or []:
        if not isinstance(row, Mapping):
            continue
        for name in ("contract_id", "contract_ids", "contracts"):
            value = row.get(name)
            if isinstance(value, str) and value:
                found += [v.strip() for v in value.split(",") if v.strip()]
            elif isinstance(value, list):
                found += [str(v) for v in value if v]
    return list(dict.fromkeys(found))


def contracts_named(rows: pd.DataFrame) -> list[str]:
    """Every contract the alerts in ``rows`` (``Store.alerts()``) name — flagged, in an evidence
    subgraph or in evidence rows: what :meth:`graph.store.Store.snapshot_for` reads for the app."""
    if rows.empty:
        return []
    found: list[str] = list(rows.loc[rows["entity_type"] == "contract", "entity_id"].dropna().astype(str))
    for text in rows.drop_duplicates("alert_id")["evidence"]:
        found += _contract_ids_in(_parse_evidence(text), ())
    return list(dict.fromkeys(found))


def _parse_evidence(text: Any) -> dict[str, Any]:
    if isinstance(text, Mapping):
        return dict(text)
    if not isinstance(text, str) or not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


@dataclass
class AlertBook:
    """Alerts (one row per alert, with its departments, contracts and period) and the records they name."""

    rows: pd.DataFrame  # Store.alerts(): one row per (alert, entity)
    alerts: pd.DataFrame  # one row per alert
    #: every party, and at least the contracts the alerts name (the app reads no more than that:
    #: ``Store.snapshot_for(contracts_named(rows))``); the detector run's whole snapshot at detect time
    snapshot: GraphSnapshot
    evidence: dict[str, dict[str, Any]] = field(default_factory=dict)
    read_at: datetime | None = None
    cases: pd.DataFrame = field(default_factory=pd.DataFrame)  # graph.cases.read_cases
    _derived: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def derived(self, name: str, compute: Callable[[], Any]) -> Any:
        """A table derived from the book (the cases, the risk per entity), computed once: the app
        keeps one book per store version for every session, and each page run asks again.
        Callers must not modify what they get."""
        if name not in self._derived:
            self._derived[name] = compute()
        return self._derived[name]

    @cached_property
    def names(self) -> dict[str, str]:
        """Entity key -> name for display (pivots masked)."""
        return dict(self.snapshot.names)

    @cached_property
    def department_names(self) -> dict[str, str]:
        frame = self.snapshot.departments
        return {
            str(i): (n if isinstance(n, str) and n else str(i))
            for i, n in zip(frame["id"], frame["name"], strict=True)
        }

    def department_label(self, department_id: str, lang: str) -> str:
        if department_id == NO_DEPARTMENT:
            return t("no_department", lang)
        return self.department_names.get(department_id, department_id)

    def display_name(self, key: str) -> str:
        label, node_id = split_entity_key(key)
        if label in PIVOT_KINDS:
            return mask_node_id(label, node_id)
        return self.names.get(key, node_id)

    @cached_property
    def contracts(self) -> pd.DataFrame:
        return self.snapshot.contracts.set_index("id", drop=False)


def _learned_score(value: Any) -> float:
    """The learned score, NaN while none stands (sunlight learn has not re-scored it)."""
    try:
        return float(value) if value is not None and not pd.isna(value) else float("nan")
    except (TypeError, ValueError):
        return float("nan")


def _learned_reasons(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, list):
        return value
    if isinstance(value, str) and value:
        try:
            parsed = json.loads(value)
        except ValueError:
            return []
        return parsed if isinstance(parsed, list) else []
    return []


def learned_why(reasons: Sequence[Mapping[str, Any]], lang: str) -> str:
    """Why a learned score moved, in ``lang``.

    >>> learned_why([{"zh": "与已确认案件 CS-1 共用 3 家投标人/供应商", "en": "shares 3 bidders/suppliers with confirmed case CS-1"}], "en")
    'shares 3 bidders/suppliers with confirmed case CS-1'
    """
    key = "en" if lang == "en" else "zh"
    return ("; " if lang == "en" else "；").join(str(r.get(key, "")) for r in reasons)


def build_alert_book(
    rows: pd.DataFrame,
    snapshot: GraphSnapshot,
    families: Mapping[str, str],
    cases: pd.DataFrame | None = None,
) -> AlertBook:
    """One row per alert with everything the queue filters and sorts on; ``cases`` as
    :func:`graph.cases.read_cases` returns them."""
    cases = cases if cases is not None else pd.DataFrame(columns=["case_id"])
    columns = [
        "alert_id",
        "case_id",
        "detector",
        "family",
        "level",
        "grade",
        "score",
        "status",
        "assignee",
        "title_zh",
        "title_en",
        "explanation_zh",
        "explanation_en",
        "first_seen",
        "last_seen",
        "entities",
        "departments",
        "department",
        "contracts",
        "period_start",
        "period_end",
        "learned_score",
        "learned_reasons",
    ]
    book_rows = rows.copy()
    if book_rows.empty:
        return AlertBook(
            rows=book_rows,
            alerts=pd.DataFrame(columns=columns),
            snapshot=snapshot,
            read_at=datetime.now(),
            cases=cases,
        )
    employees = snapshot.employees.set_index("id")["department_id"].to_dict()
    contracts = snapshot.contracts.set_index("id")
    contract_department = contracts["department_id"].to_dict()
    contract_signed = contracts["signed_date"].to_dict()
    records = []
    evidence_by_id: dict[str, dict[str, Any]] = {}
    for alert_id, group in book_rows.groupby("alert_id", sort=False):
        first = group.iloc[0]
        keys = [
            entity_key(label_of_entity_type(str(et)), str(eid))
            for et, eid in zip(group["entity_type"], group["entity_id"], strict=True)
            if isinstance(et, str) and isinstance(eid, str)
        ]
        evidence = _parse_evidence(first.get("evidence"))
        evidence_by_id[str(alert_id)] = evidence
        contract_ids = _contract_ids_in(evidence, keys)
        flagged_departments = [key.partition(":")[2] for key in keys if key.startswith("department:")]
        staff_departments = [
            employees.get(key.partition(":")[2]) for key in keys if key.startswith("employee:")
        ]
        contract_departments = [contract_department.get(c) for c in contract_ids]
        departments = [
            d
            for d in [*staff_departments, *flagged_departments, *contract_departments]
            if isinstance(d, str) and d
        ]
        if staff_departments and isinstance(staff_departments[0], str):
            primary = staff_departments[0]
        elif contract_departments and any(isinstance(d, str) for d in contract_departments):
            primary = Counter(d for d in contract_departments if isinstance(d, str)).most_common(1)[0][0]
        elif flagged_departments:
            primary = flagged_departments[0]
        else:
            primary = NO_DEPARTMENT
        dates = [contract_signed.get(c) for c in contract_ids]
        dates = [d for d in dates if d is not None and not pd.isna(d)]
        # no contract dates: the period is unknown (not the day the detector ran)
        start = min(dates) if dates else None
        end = max(dates) if dates else None
        assignee = first.get("assignee")
        case_id = first.get("case_id")
        records.append(
            {
                "alert_id": str(alert_id),
                "case_id": case_id if isinstance(case_id, str) and case_id else None,
                "detector": first["detector"],
                "family": families.get(str(first["detector"]), OTHER_FAMILY),
                "level": first["level"],
                "grade": first["grade"],
                "score": float(first["score"]),
                "status": first["status"],
                "assignee": assignee if isinstance(assignee, str) and assignee else None,
                "title_zh": first["title_zh"],
                "title_en": first["title_en"],
                "explanation_zh": first["explanation_zh"],
                "explanation_en": first["explanation_en"],
                "first_seen": first.get("first_seen"),
                "last_seen": first.get("last_seen"),
                "entities": tuple(keys),
                "departments": tuple(dict.fromkeys(departments or [NO_DEPARTMENT])),
                "department": primary,
                "contracts": tuple(contract_ids),
                "period_start": pd.Timestamp(start) if start is not None and not pd.isna(start) else pd.NaT,
                "period_end": pd.Timestamp(end) if end is not None and not pd.isna(end) else pd.NaT,
                "learned_score": _learned_score(first.get("learned_score")),
                "learned_reasons": _learned_reasons(first.get("learned_reasons")),
            }
        )
    alerts = pd.DataFrame.from_records(records, columns=columns)
    # pandas would store a missing assignee beside named ones as NaN (a truthy float): keep None
    alerts["assignee"] = pd.Series([r["assignee"] for r in records], index=alerts.index, dtype=object)
    alerts["case_id"] = pd.Series([r["case_id"] for r in records], index=alerts.index, dtype=object)
    alerts = sort_alerts(alerts, "score")
    return AlertBook(
        rows=book_rows,
        alerts=alerts,
        snapshot=snapshot,
        evidence=evidence_by_id,
        read_at=datetime.now(),
        cases=cases,
    )


def read_alert_book(store: Any, whole: bool = False) -> AlertBook:
    """The alert book of ``store`` (a :class:`graph.store.Store`): its alerts, their cases, every
    party and the contracts the alerts name — not every contract of the store. ``whole``: every
    record (the overview's figures of all contract value need them)."""
    from graph.cases import read_cases

    rows, cases = store.alerts(), read_cases(store)
    snapshot = store.snapshot() if whole else store.snapshot_for(contracts_named(rows))
    return build_alert_book(rows, snapshot, family_map(), cases)


# ---- overview ---------------------------------------------------------------------------------
def kpis(book: AlertBook) -> dict[str, Any]:
    """Key figures: alert counts by grade and status, contract value involved and its share."""
    alerts = book.alerts
    involved = {c for cs in alerts["contracts"] for c in cs}
    contracts = book.snapshot.contracts
    total_value = float(contracts["amount"].sum()) if not contracts.empty else 0.0
    flagged_value = float(contracts.loc[contracts["id"].isin(involved), "amount"].sum()) if involved else 0.0
    return {
        "alerts": len(alerts),
        "high": int((alerts["level"] == "high").sum()),
        "medium": int((alerts["level"] == "medium").sum()),
        "open": int((alerts["status"] == "open").sum()),
        "flagged_value": flagged_value,
        "flagged_share": flagged_value / total_value if total_value else 0.0,
        "entities": len({k for ks in alerts["entities"] for k in ks}),
    }


class DepartmentNames(Protocol):
    def department_label(self, department_id: str, lang: str) -> str: ...


@dataclass(frozen=True)
class Heatmap:
    """Values by department id (rows) and family id (columns), riskiest department first."""

    values: pd.DataFrame
    metric: str

    def display(self, names: DepartmentNames, lang: str) -> pd.DataFrame:
        """The values with department and family names (``names``: an AlertBook or an overview summary)."""
        frame = self.values.copy()
        frame.index = [names.department_label(d, lang) for d in frame.index]
        frame.columns = [family_label(f, lang) for f in frame.columns]
        frame.index.name = t("department", lang)
        return frame

    def cell(self, row: int, column_label: str, lang: str) -> tuple[str, str] | None:
        """(department id, family id) of a selected cell given as (row position, shown column name)."""
        if not 0 <= row < len(self.values.index):
            return None
        for family in self.values.columns:
            if family_label(family, lang) == column_label:
                return str(self.values.index[row]), str(family)
        return None


def heatmap(book: AlertBook, metric: str = "risk") -> Heatmap:
    """Department × family: highest alert score, flagged share of the department's contract value, or count.

    An alert counts in every department it touches (its staff's, its contracts').
    """
    if metric not in METRICS:
        raise ValueError(f"unknown heatmap metric {metric!r}; expected one of {', '.join(METRICS)}")
    alerts = book.alerts
    families = list(FAMILIES)
    if (alerts["family"] == OTHER_FAMILY).any():
        families.append(OTHER_FAMILY)
    exploded = alerts[["alert_id", "family", "score", "departments", "contracts"]].explode("departments")
    exploded = exploded.rename(columns={"departments": "department_id"})
    if exploded.empty:
        return Heatmap(pd.DataFrame(columns=families, dtype=float), metric)
    if metric == "risk":
        values = exploded.pivot_table(
            index="department_id", columns="family", values="score", aggfunc="max", fill_value=0.0
        )
    elif metric == "count":
        values = exploded.pivot_table(
            index="department_id", columns="family", values="alert_id", aggfunc="nunique", fill_value=0
        )
    else:
        contracts = book.snapshot.contracts[["id", "amount", "department_id"]].copy()
        contracts["department_id"] = contracts["department_id"].fillna(NO_DEPARTMENT)
        totals = contracts.groupby("department_id")["amount"].sum()
        pairs = alerts[["family", "contracts"]].explode("contracts").dropna().drop_duplicates()
        pairs = pairs.merge(contracts, left_on="contracts", right_on="id")
        flagged = pairs.groupby(["department_id", "family"])["amount"].sum().unstack(fill_value=0.0)
        departments = sorted(set(exploded["department_id"]))
        flagged = flagged.reindex(index=departments, fill_value=0.0)
        values = flagged.div(totals.reindex(flagged.index).where(lambda s: s > 0), axis=0).fillna(0.0)
    values = values.reindex(columns=families, fill_value=0)
    order = exploded.groupby("department_id")["score"].max().sort_values(ascending=False).index
    values = values.reindex(index=[d for d in order if d in values.index])
    values.columns.name = None
    return Heatmap(values.astype(float) if metric != "count" else values.astype(int), metric)


def risk_trend(book: AlertBook, lang: str) -> pd.DataFrame:
    """Flagged contract value (10k CNY) per signing month and family: month, family (its name), value."""
    return named_trend(risk_trend_by_family(book), lang)


def named_trend(trend: pd.DataFrame, lang: str) -> pd.DataFrame:
    """``trend`` (from :func:`risk_trend_by_family`) with each family id replaced by its name."""
    out = trend.copy()
    out["family"] = [family_label(f, lang) for f in out["family"]]
    return out.sort_values(["month", "family"]).reset_index(drop=True)


def risk_trend_by_family(book: AlertBook) -> pd.DataFrame:
    """Flagged contract value (10k CNY) per signing month and family id: month, family, value."""
    pairs = book.alerts[["family", "contracts"]].explode("contracts").dropna().drop_duplicates()
    if pairs.empty:
        return pd.DataFrame(columns=["month", "family", "value"])
    contracts = book.snapshot.contracts[["id", "amount", "signed_date"]]
    pairs = pairs.merge(contracts, left_on="contracts", right_on="id").dropna(subset=["signed_date"])
    if pairs.empty:
        return pd.DataFrame(columns=["month", "family", "value"])
    pairs["month"] = pairs["signed_date"].dt.to_period("M").dt.to_timestamp()
    out = pairs.groupby(["month", "family"], as_index=False)["amount"].sum()
    out["value"] = (out["amount"] / 10_000).round(2)
    return out[["month", "family", "value"]].sort_values(["month", "family"]).reset_index(drop=True)


#: Entities only named in an alert's evidence (its contracts, a shared phone) are drawn at this
#: share of the alert's score, so the flagged parties stand out from the records around them.
EVIDENCE_HEAT = 0.5


def key_risk(book: AlertBook) -> dict[str, float]:
    """Risk per entity key: the combined risk of flagged entities (``detectors.composite``), and for
    entities only named in evidence :data:`EVIDENCE_HEAT` of the highest score of the alerts naming them."""
    risk: dict[str, float] = book.derived("key_risk", lambda: _key_risk(book))
    return risk


def _key_risk(book: AlertBook) -> dict[str, float]:
    out: dict[str, float] = {}
    for alert in book.alerts.itertuples(index=False):
        for key in book.evidence.get(alert.alert_id, {}).get("subgraph") or []:
            if isinstance(key, str):
                out[key] = max(out.get(key, 0.0), EVIDENCE_HEAT * float(alert.score))
    rows = book.rows.dropna(subset=["entity_type", "entity_id"])
    if not rows.empty:
        families = dict(zip(book.alerts["detector"], book.alerts["family"], strict=True))
        families = {d: (f if f in FAMILIES else "concentration") for d, f in families.items()}
        combined = entity_risk(rows, families)
        for row in combined.itertuples(index=False):
            key = entity_key(label_of_entity_type(str(row.entity_type)), str(row.entity_id))
            out[key] = max(out.get(key, 0.0), float(row.risk))
    return out


def hot_keys(book: AlertBook, alerts: int = 3, cap: int = 40) -> list[str]:
    """The entities of the riskiest alerts (flagged first, then their evidence), at most ``cap``."""
    keys: list[str] = []
    top = book.alerts.head(alerts)
    for alert in top.itertuples(index=False):
        keys += list(alert.entities)
    for alert in top.itertuples(index=False):
        keys += [k for k in book.evidence.get(alert.alert_id, {}).get("subgraph") or [] if isinstance(k, str)]
    return list(dict.fromkeys(keys))[:cap]


# ---- queue --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Filters:
    """What the queue shows; an empty selection means "any"."""

    detectors: tuple[str, ...] = ()
    families: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()
    grades: tuple[str, ...] = ()
    departments: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    assignees: tuple[str | None, ...] = ()  # None stands for "unassigned"
    period: tuple[date | None, date | None] = (None, None)
    text: str = ""


def filter_alerts(book: AlertBook, filters: Filters) -> pd.DataFrame:
    alerts = book.alerts
    keep = pd.Series(True, index=alerts.index)
    for column, chosen in (
        ("detector", filters.detectors),
        ("family", filters.families),
        ("level", filters.levels),
        ("grade", filters.grades),
        ("status", filters.statuses),
    ):
        if chosen:
            keep &= alerts[column].isin(chosen)
    if filters.departments:
        wanted = set(filters.departments)
        keep &= alerts["departments"].map(lambda ds: bool(wanted & set(ds)))
    if filters.assignees:
        named = {a for a in filters.assignees if a}
        unassigned = None in filters.assignees
        keep &= alerts["assignee"].map(lambda a: (a in named) if a else unassigned)
    start, end = filters.period
    if start is not None:
        keep &= alerts["period_end"].isna() | (alerts["period_end"] >= pd.Timestamp(start))
    if end is not None:
        keep &= alerts["period_start"].isna() | (
            alerts["period_start"] < pd.Timestamp(end) + pd.Timedelta(days=1)
        )
    text = filters.text.strip().lower()
    if text:
        haystack = alerts.apply(lambda a: _search_text(book, a), axis=1)
        keep &= haystack.str.contains(re.escape(text), regex=True)
    return alerts[keep]


def _search_text(book: AlertBook, alert: pd.Series) -> str:
    names = " ".join(book.display_name(k) for k in alert["entities"])
    keys = " ".join(alert["entities"])
    return " ".join(
        str(v).lower()
        for v in (
            alert["alert_id"],
            alert["title_zh"],
            alert["title_en"],
            alert["explanation_zh"],
            alert["explanation_en"],
            names,
            keys,
        )
    )


def sort_alerts(alerts: pd.DataFrame, by: str) -> pd.DataFrame:
    if by not in SORTS:
        raise ValueError(f"unknown sort {by!r}; expected one of {', '.join(SORTS)}")
    frame = alerts.assign(
        _grade=alerts["grade"].map(_GRADE_ORDER).fillna(9),
        _status=alerts["status"].map(_STATUS_ORDER).fillna(9),
        _learned=_learned_or_rule(alerts),
    )
    keys = {
        "score": (["score", "alert_id"], [False, True]),
        # alerts the learned model has not scored (decided ones, or no model yet) by their rule score
        "learned": (["_learned", "score", "alert_id"], [False, False, True]),
        "newest": (["last_seen", "score", "alert_id"], [False, False, True]),
        "grade": (["_grade", "score", "alert_id"], [True, False, True]),
        "status": (["_status", "score", "alert_id"], [True, False, True]),
    }[by]
    return frame.sort_values(keys[0], ascending=keys[1], kind="stable").drop(
        columns=["_grade", "_status", "_learned"]
    )


def _learned_or_rule(frame: pd.DataFrame) -> pd.Series:
    score = frame["score"].astype(float)
    if "learned_score" not in frame:
        return score
    return frame["learned_score"].astype(float).fillna(score)


_RECORD_PREFIXES = ("contract:", "payment:", "tender:")


def entity_names(book: AlertBook, keys: Sequence[str], lang: str = "zh", shown_records: int = 2) -> str:
    """Parties first (people, companies, departments), then at most ``shown_records`` records and a count.

    >>> from graph.snapshot import empty_snapshot
    >>> entity_names(AlertBook(pd.DataFrame(), pd.DataFrame(), empty_snapshot()),
    ...               ["contract:C1", "supplier:S1", "contract:C2", "contract:C3"], "en")
    'S1、C1、C2 and 1 more'
    """
    parties = [k for k in keys if not k.startswith(_RECORD_PREFIXES)]
    records = [k for k in keys if k.startswith(_RECORD_PREFIXES)]
    names = [book.display_name(k) for k in [*parties, *records[:shown_records]]]
    text = "、".join(names)
    rest = len(records) - shown_records
    if rest > 0:
        text += f" and {rest} more" if lang == "en" else f"（另{rest}项）"
    return text


def _period(start: Any, end: Any) -> str:
    if start is None or pd.isna(start):
        return ""
    first, last = f"{pd.Timestamp(start):%Y-%m-%d}", f"{pd.Timestamp(end):%Y-%m-%d}"
    return first if first == last else f"{first} ~ {last}"


def queue_table(book: AlertBook, alerts: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The queue as shown: translated headers and values, explanation in the reader's language, masked."""
    explanation = alerts["explanation_en"] if lang == "en" else alerts["explanation_zh"]
    title = alerts["title_en"] if lang == "en" else alerts["title_zh"]
    table = pd.DataFrame(
        {
            t("col_grade", lang): [grade_name(g, lang) for g in alerts["grade"]],
            t("col_score", lang): alerts["score"].round(2).to_numpy(),
            t("col_detector", lang): title.to_numpy(),
            t("col_department", lang): [book.department_label(d, lang) for d in alerts["department"]],
            t("col_entities", lang): [entity_names(book, ks, lang) for ks in alerts["entities"]],
            t("col_status", lang): [status_name(s, lang) for s in alerts["status"]],
            t("col_assignee", lang): [a or "" for a in alerts["assignee"]],
            t("col_explanation", lang): [mask_text(x) for x in explanation],
            t("col_family", lang): [family_label(f, lang) for f in alerts["family"]],
            t("col_period", lang): [
                _period(s, e) for s, e in zip(alerts["period_start"], alerts["period_end"], strict=True)
            ],
            t("col_alert_id", lang): alerts["alert_id"].to_numpy(),
        }
    )
    return with_learned(table, alerts, lang, after=t("col_score", lang))


def with_learned(table: pd.DataFrame, rows: pd.DataFrame, lang: str, after: str) -> pd.DataFrame:
    """``table`` with the learned score beside the column ``after`` and why it moved at the end,
    when a learned model has scored any of ``rows`` (else as it is: the rules stand alone)."""
    if "learned_score" not in rows or not rows["learned_score"].notna().any():
        return table
    out = table.copy()
    out.insert(
        out.columns.get_loc(after) + 1,
        t("col_learned_score", lang),
        rows["learned_score"].astype(float).round(2).to_numpy(),
    )
    out[t("col_learned_why", lang)] = [learned_why(r, lang) for r in rows["learned_reasons"]]
    return out


def export_frame(book: AlertBook, alerts: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The filtered queue for Excel/CSV: both explanations, masked; formulas are escaped on writing."""
    title = alerts["title_en"] if lang == "en" else alerts["title_zh"]
    frame = pd.DataFrame(
        {
            t("col_alert_id", lang): alerts["alert_id"].to_numpy(),
            t("col_grade", lang): [grade_name(g, lang) for g in alerts["grade"]],
            t("col_level", lang): [level_name(v, lang) for v in alerts["level"]],
            t("col_score", lang): alerts["score"].round(4).to_numpy(),
            t("col_detector", lang): title.to_numpy(),
            t("col_family", lang): [family_label(f, lang) for f in alerts["family"]],
            t("col_department", lang): [book.department_label(d, lang) for d in alerts["department"]],
            t("col_entities", lang): [entity_names(book, ks, lang) for ks in alerts["entities"]],
            t("col_status", lang): [status_name(s, lang) for s in alerts["status"]],
            t("col_assignee", lang): [a or "" for a in alerts["assignee"]],
            t("col_period", lang): [
                _period(s, e) for s, e in zip(alerts["period_start"], alerts["period_end"], strict=True)
            ],
            t("col_first_seen", lang): [_stamp(v) for v in alerts["first_seen"]],
            t("col_last_seen", lang): [_stamp(v) for v in alerts["last_seen"]],
            t("col_explanation_zh", lang): [mask_text(x) for x in alerts["explanation_zh"]],
            t("col_explanation_en", lang): [mask_text(x) for x in alerts["explanation_en"]],
        }
    )
    return with_learned(frame, alerts, lang, after=t("col_score", lang))


def _stamp(value: Any) -> str:
    return "" if value is None or pd.isna(value) else f"{pd.Timestamp(value):%Y-%m-%d %H:%M}"


# ---- case -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class EvidenceView:
    subgraph: tuple[str, ...]
    rows: pd.DataFrame
    thresholds: pd.DataFrame
    metrics: pd.DataFrame


def _value_name(key: str, value: Any, lang: str) -> Any:
    """A node label written as a value (``kind: Phone``) is shown as people call it."""
    if key in ("kind", "label", "shared") and isinstance(value, str):
        from graph.schema import NODE_TYPES

        if value in {spec.label for spec in NODE_TYPES}:
            return label_name(value, lang)
    return value


def _measured(threshold: str, metrics: Mapping[str, Any]) -> Any:
    """The measure a threshold is compared with: ``min_share`` -> ``share``, ``limit`` -> ``limit``."""
    for candidate in (threshold, re.sub(r"^(min|max)_", "", threshold)):
        if candidate in metrics:
            return metrics[candidate]
    return None


def _cell(value: Any, unmasked: bool = False) -> Any:
    """A value as a table cell: lists joined, maps as JSON, numbers in text masked unless ``unmasked``."""
    text = _as_is if unmasked else mask_text
    if isinstance(value, (list, tuple)):
        return "、".join(str(text(v)) for v in value)
    if isinstance(value, Mapping):
        return json.dumps(dict(value) if unmasked else mask_record(value), ensure_ascii=False, default=str)
    if isinstance(value, float):
        return float(f"{value:.6g}")
    return text(value) if isinstance(value, str) else value


def _as_is(value: Any) -> Any:
    return value


def _evidence_rows(evidence: Mapping[str, Any], unmasked: bool) -> list[dict[str, Any]]:
    """The evidence rows as cells, keyed as the detector wrote them (masked unless ``unmasked``)."""
    rows = [r for r in evidence.get("rows") or [] if isinstance(r, Mapping)]
    return [{k: _cell(v, unmasked) for k, v in (r if unmasked else mask_record(r)).items()} for r in rows]


def evidence_view(evidence: Mapping[str, Any], lang: str, unmasked: bool = False) -> EvidenceView:
    """An alert's evidence as tables: its rows (masked unless ``unmasked``: only after the view is
    recorded), the thresholds next to the measured values, the measures."""
    row_frame = pd.DataFrame(
        [{k: _value_name(k, v, lang) for k, v in r.items()} for r in _evidence_rows(evidence, unmasked)]
    )
    row_frame.columns = [column_name(str(c), lang) for c in row_frame.columns]
    metrics = evidence.get("metrics") or {}
    thresholds = evidence.get("thresholds") or {}
    threshold_frame = pd.DataFrame(
        {
            t("threshold_name", lang): list(thresholds),
            t("threshold_value", lang): [str(_cell(v)) for v in thresholds.values()],
            t("measured_value", lang): [
                "" if (m := _measured(k, metrics)) is None else str(_cell(m)) for k in thresholds
            ],
        }
    )
    metric_frame = pd.DataFrame(
        {t("prop", lang): list(metrics), t("value", lang): [str(_cell(v)) for v in metrics.values()]}
    )
    subgraph = tuple(k for k in evidence.get("subgraph") or [] if isinstance(k, str))
    return EvidenceView(subgraph=subgraph, rows=row_frame, thresholds=threshold_frame, metrics=metric_frame)


def timeline(
    snapshot: GraphSnapshot, contract_ids: Iterable[str], lang: str, unmasked: bool = False
) -> pd.DataFrame:
    """Contracts signed, approval steps and payments of ``contract_ids``, oldest first; payees and
    their accounts masked unless ``unmasked``."""
    wanted = set(contract_ids)
    columns = ["when", "stage", "kind", "contract", "party", "amount", "detail"]
    if not wanted:
        return pd.DataFrame(columns=columns)
    names = snapshot.names
    events: list[dict[str, Any]] = []
    contracts = snapshot.contracts[snapshot.contracts["id"].isin(wanted)]
    for c in contracts.itertuples(index=False):
        supplier = (
            names.get(f"supplier:{c.supplier_id}", c.supplier_id) if isinstance(c.supplier_id, str) else ""
        )
        events.append(
            {
                "when": c.signed_date,
                "stage": t("ev_signed", lang),
                "kind": t("ev_signed", lang),
                "contract": c.id,
                "party": supplier,
                "amount": float(c.amount),
                "detail": " ".join(str(x) for x in (c.category, c.item) if isinstance(x, str)),
            }
        )
    approvals = snapshot.approvals[snapshot.approvals["contract_id"].isin(wanted)]
    for a in approvals.itertuples(index=False):
        step = "" if pd.isna(a.step) else int(a.step)
        rejected = isinstance(a.decision, str) and a.decision.lower() == "reject"
        events.append(
            {
                "when": a.approved_at,
                "stage": t("ev_approval", lang),
                "kind": t("ev_rejected" if rejected else "ev_approved", lang, step=step),
                "contract": a.contract_id,
                "party": names.get(f"employee:{a.approver_id}", a.approver_id),
                "amount": None,
                "detail": "",
            }
        )
    payments = snapshot.payments[snapshot.payments["contract_id"].isin(wanted)]
    for p in payments.itertuples(index=False):
        events.append(
            {
                "when": p.paid_at,
                "stage": t("ev_paid", lang),
                "kind": t("ev_paid", lang),
                "contract": p.contract_id,
                "party": _payee(p.payee_name, unmasked),
                "amount": float(p.amount),
                "detail": _account(p.account, unmasked),
            }
        )
    frame = pd.DataFrame(events, columns=columns)
    frame["when"] = pd.to_datetime(frame["when"])
    return frame.sort_values(["when", "contract"], kind="stable").reset_index(drop=True)


def _payee(name: Any, unmasked: bool) -> str:
    if not isinstance(name, str):
        return ""
    return name if unmasked else str(mask_text(name))


def _account(account: Any, unmasked: bool) -> str:
    if not isinstance(account, str):
        return ""
    return account if unmasked else mask_node_id("BankAccount", account)


def history_table(history: pd.DataFrame, lang: str, unmasked: bool = False) -> pd.DataFrame:
    """The case trail as shown: who, when, what, with statuses translated; numbers written into
    reasons and notes masked unless ``unmasked``."""
    action_names = {
        "case.status": "act_status",
        "case.assign": "act_assign",
        "case.note": "act_note",
        "case.merge": "act_merge",
        "case.split": "act_split",
        "case.reopen": "act_reopen",
        "case.refused": "act_refused",
    }

    def text_of(value: Any) -> str:
        # a row read out of a frame may hold a missing value as NaN, which is truthy
        return value if isinstance(value, str) else ""

    def detail(row: pd.Series) -> str:
        if row["action"] == "case.status":
            text = f"{status_name(str(row['from']), lang)} → {status_name(str(row['to']), lang)}"
            extra = [x for x in (text_of(row.get("reason")), text_of(row.get("note"))) if x]
            return text + ("：" if lang != "en" else ": ") + "；".join(extra) if extra else text
        if row["action"] == "case.assign":
            return f"{text_of(row['from']) or t('unassigned', lang)} → {row['to']}"
        if row["action"] in ("case.merge", "case.split"):
            return t(f"detail_{row['action'].partition('.')[2]}", lang, case=text_of(row.get("note")))
        if row["action"] == "case.reopen":
            return f"{status_name(str(row['from']), lang)} → {status_name(str(row['to']), lang)}"
        return text_of(row.get("note"))

    def action_of(row: pd.Series) -> str:
        name = t(action_names.get(row["action"], "act_note"), lang)
        state = row.get("state") if "state" in row else None
        # a step asked for while the store was busy, not applied yet
        return name + t("state_pending", lang) if state == "pending" else name

    return pd.DataFrame(
        {
            t("h_at", lang): [str(a).replace("T", " ") for a in history["at"]],
            t("h_actor", lang): history["actor"].to_numpy(),
            t("h_action", lang): [action_of(r) for _, r in history.iterrows()],
            t("h_detail", lang): [
                detail(r) if unmasked else mask_text(detail(r)) for _, r in history.iterrows()
            ],
        }
    )


def case_personal_fields(book: AlertBook, alert_id: str, history: pd.DataFrame | None = None) -> list[str]:
    """The fields of a case page that an unmasked view shows differently: what it would reveal,
    named as kinds where they are personal identifiers (``phone``, ``bank_account`` …), else by
    where they appear (``explanation``, ``payee_name``, ``notes``, an evidence field as written).

    Empty when nothing on the page is masked: then there is nothing to unmask.
    """
    alerts = book.alerts[book.alerts["alert_id"] == alert_id]
    if alerts.empty:
        return []
    alert = alerts.iloc[0]
    found: list[str] = []
    if any(
        isinstance(text, str) and mask_text(text) != text
        for text in (alert["explanation_zh"], alert["explanation_en"])
    ):
        found.append("explanation")
    evidence = book.evidence.get(alert_id, {})
    originals = [r for r in evidence.get("rows") or [] if isinstance(r, Mapping)]
    masked, plain = _evidence_rows(evidence, False), _evidence_rows(evidence, True)
    for original, hidden, shown in zip(originals, masked, plain, strict=True):
        pivot = PIVOT_KINDS.get(str(original.get("kind") or original.get("label") or ""))
        for key, value in shown.items():
            if hidden.get(key) != value:
                kind = PERSONAL_KEYS.get(str(key).lower())
                if kind is None and pivot and key in ("value", "id", "identifier"):
                    kind = pivot
                found.append(kind or str(key))
    payments = book.snapshot.payments
    payments = payments[payments["contract_id"].isin(set(alert["contracts"]))]
    for payment in payments.itertuples(index=False):
        if _account(payment.account, False) != _account(payment.account, True):
            found.append("bank_account")
        if _payee(payment.payee_name, False) != _payee(payment.payee_name, True):
            found.append("payee_name")
    if history is not None and not history.empty:
        texts = [x for column in ("reason", "note") for x in history[column] if isinstance(x, str)]
        if any(mask_text(x) != x for x in texts):
            found.append("notes")
    return list(dict.fromkeys(found))


# ---- entity search ------------------------------------------------------------------------------


@lru_cache(maxsize=500_000)
def _spelling(name: str) -> tuple[str, str]:
    """A name's pinyin in full and its initials, lower case without spaces: ``("zhangwei", "zw")``.

    Kept per name for the life of the process: the index is built again whenever the store changes
    (a nightly run, a case action), and its names hardly ever do — pypinyin takes seconds for the
    tens of thousands of names of a large organisation.

    >>> _spelling("张伟")
    ('zhangwei', 'zw')
    """
    from pypinyin import Style, lazy_pinyin

    full = "".join(lazy_pinyin(name)).lower().replace(" ", "")
    return full, "".join(lazy_pinyin(name, style=Style.FIRST_LETTER)).lower().replace(" ", "")


class SearchIndex:
    """Staff, suppliers and other persons, findable by name, pinyin, id, phone or identity number."""

    def __init__(self, snapshot: GraphSnapshot) -> None:
        parts = []
        for label, frame in (
            ("Employee", snapshot.employees),
            ("Supplier", snapshot.suppliers),
            ("Person", snapshot.persons),
        ):
            if frame.empty:
                continue
            part = pd.DataFrame(
                {
                    "label": label,
                    "id": frame["id"].astype(str).to_numpy(),
                    "name": frame["name"].fillna("").astype(str).to_numpy(),
                    "phone": frame["phone"].to_numpy() if "phone" in frame else None,
                    "id_number": frame["id_number"].to_numpy() if "id_number" in frame else None,
                    "credit_code": frame["credit_code"].to_numpy() if "credit_code" in frame else None,
                    "department_id": frame["department_id"].to_numpy() if "department_id" in frame else None,
                }
            )
            parts.append(part)
        table = (
            pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["label", "id", "name"])
        )
        names = table["name"].tolist() if not table.empty else []
        spelt = [_spelling(n) for n in names]
        table["pinyin"] = [full for full, _ in spelt]
        table["initials"] = [initials for _, initials in spelt]
        table["phone_digits"] = [phone_digits(p) for p in table.get("phone", pd.Series(dtype=object))]
        table["id_norm"] = [
            str(x or "").replace(" ", "").upper() for x in table.get("id_number", pd.Series(dtype=object))
        ]
        self.table = table
        self.department_names = {
            str(i): str(n)
            for i, n in zip(snapshot.departments["id"], snapshot.departments["name"], strict=True)
        }

    def search(
        self, query: str, labels: Sequence[str] = ("Employee", "Supplier", "Person"), limit: int = 50
    ) -> pd.DataFrame:
        """Matches as key, label, id, name, matched (what matched), phone (masked), extra."""
        text = query.strip()
        columns = ["key", "label", "id", "name", "matched", "phone", "extra"]
        if not text or self.table.empty:
            return pd.DataFrame(columns=columns)
        table = self.table[self.table["label"].isin(labels)]
        lowered = re.sub(r"\s+", "", text.lower())
        digits = phone_digits(text)
        upper = lowered.upper()
        matched = pd.Series("", index=table.index, dtype=object)

        def mark(mask: pd.Series, reason: str) -> None:
            matched.loc[mask & (matched == "")] = reason

        mark(table["name"].str.contains(text, regex=False, case=False), "match_name")
        if re.fullmatch(r"[a-z]+", lowered):
            mark(
                table["pinyin"].str.contains(lowered, regex=False)
                | table["initials"].str.startswith(lowered),
                "match_pinyin",
            )
        mark(table["id"].str.lower().str.contains(lowered, regex=False), "match_id")
        # Personal identifiers match only when complete: no fishing by fragments.
        if len(digits) >= 7:
            mark(table["phone_digits"] == digits, "match_phone")
        if len(upper) in (15, 18):
            mark(table["id_norm"] == upper, "match_id_number")
        if "credit_code" in table:
            mark(table["credit_code"].fillna("").astype(str).str.upper() == upper, "match_credit_code")
        hits = table[matched != ""].assign(matched=matched[matched != ""])
        hits = hits.assign(_exact=(hits["name"] == text) | (hits["id"].str.lower() == lowered))
        hits = hits.sort_values(["_exact", "label", "id"], ascending=[False, True, True]).head(limit)
        return pd.DataFrame(
            {
                "key": [entity_key(lab, i) for lab, i in zip(hits["label"], hits["id"], strict=True)],
                "label": hits["label"].to_numpy(),
                "id": hits["id"].to_numpy(),
                "name": hits["name"].to_numpy(),
                "matched": hits["matched"].to_numpy(),
                "phone": [mask_props("Employee", {"phone": p})["phone"] for p in hits.get("phone", [])],
                "extra": [
                    self.department_names.get(str(d), "")
                    if isinstance(d, str)
                    else (c if isinstance(c, str) else "")
                    for d, c in zip(hits["department_id"], hits["credit_code"], strict=True)
                ],
            },
            columns=columns,
        )


def search_table(results: pd.DataFrame, risk: Mapping[str, float], lang: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("col_type", lang): [label_name(lab, lang) for lab in results["label"]],
            t("col_id", lang): results["id"].to_numpy(),
            t("col_name", lang): results["name"].to_numpy(),
            t("col_extra", lang): results["extra"].to_numpy(),
            t("col_phone", lang): results["phone"].to_numpy(),
            t("matched_on", lang): [t(m, lang) for m in results["matched"]],
            t("col_risk", lang): [round(risk.get(k, 0.0), 2) for k in results["key"]],
        }
    )


def _entity_props(snapshot: GraphSnapshot, key: str, unmasked: bool) -> dict[str, Any]:
    """An entity's id and schema properties by name, personal ones masked unless ``unmasked``."""
    label, node_id = split_entity_key(key)
    frame = {
        "Employee": snapshot.employees,
        "Supplier": snapshot.suppliers,
        "Person": snapshot.persons,
        "Department": snapshot.departments,
        "Contract": snapshot.contracts,
        "Tender": snapshot.tenders,
        "Payment": snapshot.payments,
    }.get(label)
    props: dict[str, Any] = {"id": node_id if unmasked else mask_node_id(label, node_id)}
    if frame is not None and not frame.empty:
        match = frame[frame["id"] == node_id]
        if not match.empty:
            record = match.iloc[0].to_dict()
            known = _schema_props(label)
            present = {k: v for k, v in record.items() if k in known and not _missing(v)}
            shown = present if unmasked else mask_props(label, present)
            props.update({k: v for k, v in shown.items() if k != "id"})
            if label == "Employee" and isinstance(record.get("department_id"), str):
                props["department_id"] = record["department_id"]
    return props


def entity_details(snapshot: GraphSnapshot, key: str, lang: str, unmasked: bool = False) -> pd.DataFrame:
    """An entity's properties as (property, value) rows, personal ones masked unless ``unmasked``
    (only after the view is recorded)."""
    label, _ = split_entity_key(key)
    props = {"type": label_name(label, lang), **_entity_props(snapshot, key, unmasked)}
    return pd.DataFrame(
        {
            t("prop", lang): [column_name(k, lang) for k in props],
            t("value", lang): [_format_value(v) for v in props.values()],
        }
    )


def entity_personal_fields(snapshot: GraphSnapshot, key: str) -> list[str]:
    """The properties of an entity that an unmasked view would show differently (what it reveals).

    Empty when nothing about the entity is masked: then there is nothing to unmask.
    """
    masked = _entity_props(snapshot, key, unmasked=False)
    unmasked = _entity_props(snapshot, key, unmasked=True)
    return [k for k, v in unmasked.items() if _format_value(masked.get(k)) != _format_value(v)]


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # lists and maps are values, not missing
        return False


def _schema_props(label: str) -> set[str]:
    from graph.schema import node_type

    return set(node_type(label).prop_names)


def _format_value(value: Any) -> str:
    if isinstance(value, pd.Timestamp):
        return f"{value:%Y-%m-%d}" if value == value.normalize() else f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


# ---- query console -------------------------------------------------------------------------------
_ID_COLUMNS = {
    "supplier_id": "supplier",
    "supplier_a": "supplier",
    "supplier_b": "supplier",
    "employee_id": "employee",
    "approver_id": "employee",
    "earlier_approver": "employee",
    "later_approver": "employee",
    "requester_id": "employee",
    "person_id": "person",
    "contract_id": "contract",
    "department_id": "department",
    "tender_id": "tender",
    "payment_id": "payment",
}


_PIVOT_TYPES = {
    "phone": "phone",
    "bank_account": "bank_account",
    "address": "address",
    "id_number": "id_number",
}


def entity_keys_in_result(frame: pd.DataFrame, cap: int = 40) -> list[str]:
    """Entity keys a query result names: ``*_label``/``*_id`` pairs, ``label``/``id``, known id columns,
    and ``path_labels``/``path_ids`` lists."""
    from graph.schema import node_type

    keys: list[str] = []

    def add(label: Any, node_id: Any) -> None:
        if not isinstance(label, str) or node_id is None or (isinstance(node_id, float) and pd.isna(node_id)):
            return
        try:
            keys.append(entity_key(node_type(label).label, str(node_id)))
        except KeyError:
            return

    columns = list(frame.columns)
    pairs = [(c, c[: -len("_label")] + "_id") for c in columns if c.endswith("_label")]
    pairs += [("label", "id")] if {"label", "id"} <= set(columns) else []
    for row in frame.head(200).to_dict("records"):
        for label_col, id_col in pairs:
            if id_col in row:
                add(row[label_col], row[id_col])
        for column, entity_type in _ID_COLUMNS.items():
            if column in row and isinstance(row[column], str):
                add(label_of_entity_type(entity_type), row[column])
        labels, ids = row.get("path_labels"), row.get("path_ids")
        if isinstance(labels, (list, tuple)) and isinstance(ids, (list, tuple)):
            for label, node_id in zip(labels, ids, strict=False):
                add(label, node_id)
        # a shared identifier ("shared": "phone", "value": ...) is the node that ties the row's parties
        shared = row.get("shared")
        if isinstance(shared, str) and shared.lower() in _PIVOT_TYPES:
            add(label_of_entity_type(_PIVOT_TYPES[shared.lower()]), row.get("value"))
        if len(dict.fromkeys(keys)) >= cap:
            break
    return list(dict.fromkeys(keys))[:cap]


def masked_result(frame: pd.DataFrame) -> pd.DataFrame:
    """A query result safe to show: personal columns masked by name, pivot values by their label,
    numbers in text masked, lists and maps written out."""
    records = []
    for row in frame.to_dict("records"):
        shown = mask_record({k: (v if not isinstance(v, (list, tuple)) else list(v)) for k, v in row.items()})
        for key, value in row.items():
            label_key = key[: -len("_id")] + "_label" if key.endswith("_id") else None
            if label_key and isinstance(row.get(label_key), str) and row[label_key] in PIVOT_KINDS:
                shown[key] = mask_node_id(row[label_key], str(value))
            if key == "value" and isinstance(row.get("shared"), str):
                kind = PIVOT_KINDS.get(row["shared"]) or PERSONAL_KEYS.get(row["shared"].lower())
                if kind:
                    shown[key] = mask_record({kind: value})[kind]
        labels, ids = row.get("path_labels"), row.get("path_ids")
        if isinstance(labels, (list, tuple)) and isinstance(ids, (list, tuple)):
            shown["path_ids"] = [mask_node_id(str(lab), str(i)) for lab, i in zip(labels, ids, strict=False)]
        records.append({k: _cell(v) for k, v in shown.items()})
    return pd.DataFrame(records, columns=list(frame.columns))

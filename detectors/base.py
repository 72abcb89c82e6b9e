"""What a detector is, what it returns, and how a finding becomes an alert.

A detector is one module that defines:

* ``Params`` — a frozen dataclass of its thresholds, each declared with
  :func:`param` so that it carries a unit and a one-line description;
* ``run(snapshot, params) -> list[Finding]`` — a pure function: it reads a
  :class:`graph.snapshot.GraphSnapshot` and touches no store and no file;
* ``DETECTOR = Detector(...)`` — its id, bilingual title, family and the two above.

Its module docstring is its documentation page (Summary, Methodology, Example,
Why is this a red flag?, Based on, Output, Configuration, Exclusions).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from graph.snapshot import GraphSnapshot
from graph.store import AlertRecord

__all__ = [
    "FAMILIES",
    "Detector",
    "Finding",
    "alert_id",
    "grade_of",
    "level_of",
    "money",
    "param",
    "param_table",
    "to_alert",
    "wan",
    "yuan",
]

#: Detector families, the columns of the risk heatmap: id -> (中文, English).
FAMILIES: dict[str, tuple[str, str]] = {
    "concentration": ("集中度", "Concentration"),
    "approval": ("审批流程", "Approval process"),
    "price": ("价格", "Price"),
    "relationship": ("关联关系", "Relationships"),
    "network": ("串通网络", "Collusion networks"),
    "bidding": ("围标串标", "Bid rigging"),
}

HIGH = 0.7
MEDIUM = 0.4


def param(default: Any, unit: str, doc: str) -> Any:
    """Declare a detector parameter with its unit (``count``, ``ratio``, ``days``, ``CNY`` ...)."""
    return field(default=default, metadata={"unit": unit, "doc": doc})


def param_table(params_type: type) -> list[tuple[str, Any, str, str]]:
    """(name, default, unit, description) for each parameter of a ``Params`` class."""
    return [
        (f.name, f.default, f.metadata.get("unit", ""), f.metadata.get("doc", ""))
        for f in fields(params_type)
    ]


@dataclass(frozen=True)
class Finding:
    """One thing a detector found.

    ``subject`` is the finding's identity within its detector (for example
    ``"E0012|S0042"``): the same subject on the next run is the same alert.
    ``entities`` are entity keys (``"supplier:S0042"``); the first is the main one.
    ``evidence`` holds ``rows`` (records that show it), ``thresholds`` (what
    fired, with the values computed from the data) and ``subgraph`` (entity keys
    to draw); other keys are the detector's own measures.
    ``hard`` marks a flag that is at least high whatever its score (self-approval,
    a payment into a staff account).
    """

    detector: str
    subject: str
    score: float
    entities: tuple[str, ...]
    explanation_zh: str
    explanation_en: str
    evidence: Mapping[str, Any]
    hard: bool = False

    def __post_init__(self) -> None:
        if not 0.0 <= self.score <= 1.0 or math.isnan(self.score):
            raise ValueError(f"{self.detector}: score {self.score} is outside 0..1")
        if not self.entities:
            raise ValueError(f"{self.detector}: a finding must name at least one entity")


@dataclass(frozen=True)
class Detector:
    id: str
    title_zh: str
    title_en: str
    family: str
    params_type: type
    run: Callable[[GraphSnapshot, Any], list[Finding]]
    doc: str

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ValueError(f"detector {self.id}: unknown family {self.family!r}")

    def default_params(self) -> Any:
        return self.params_type()


def level_of(score: float, hard: bool = False, high: float = HIGH, medium: float = MEDIUM) -> str:
    """``high`` above 0.7, ``medium`` above 0.4, else ``low``; a hard flag is at least high.

    >>> level_of(0.71), level_of(0.7), level_of(0.2, hard=True)
    ('high', 'medium', 'high')
    """
    if hard or score > high:
        return "high"
    if score > medium:
        return "medium"
    return "low"


def grade_of(level: str) -> str:
    """The grade an investigator files a case under: 一级 is the most urgent.

    >>> grade_of("high")
    '一级'
    """
    return {"high": "一级", "medium": "二级"}.get(level, "三级")


def alert_id(detector: str, subject: str) -> str:
    """A stable alert id: the same finding on the next run gets the same id.

    >>> alert_id("repeated_pairs", "E1|S1") == alert_id("repeated_pairs", "E1|S1")
    True
    """
    digest = hashlib.sha256(f"{detector}\x1f{subject}".encode()).hexdigest()
    return f"AL-{digest[:16]}"


def to_alert(finding: Finding, detector: Detector) -> AlertRecord:
    level = level_of(finding.score, finding.hard)
    return AlertRecord(
        id=alert_id(finding.detector, finding.subject),
        detector=finding.detector,
        subject=finding.subject,
        score=round(finding.score, 4),
        level=level,
        grade=grade_of(level),
        title_zh=detector.title_zh,
        title_en=detector.title_en,
        explanation_zh=finding.explanation_zh,
        explanation_en=finding.explanation_en,
        evidence=dict(finding.evidence),
        entities=tuple(finding.entities),
    )


def wan(amount: float) -> str:
    """An amount in yuan written the way Chinese reports write it.

    >>> wan(3562000), wan(8500)
    ('356.20万元', '8,500元')
    """
    if abs(amount) >= 10_000:
        return f"{amount / 10_000:,.2f}万元"
    return f"{amount:,.0f}元"


def yuan(amount: float) -> str:
    """An amount in yuan for English sentences.

    >>> yuan(3562000)
    'CNY 3,562,000'
    """
    return f"CNY {amount:,.0f}"


def money(amount: float, currency: str, lang: str) -> str:
    """An amount for an explanation: 万元 for CNY in Chinese, decimals kept for unit prices.

    >>> money(1234567, "CNY", "zh"), money(1234567, "CNY", "en"), money(0.1215, "USD", "en")
    ('123.46万元', 'CNY 1,234,567', 'USD 0.1215')
    """
    if currency == "CNY" and lang == "zh":
        return wan(amount)
    text = f"{amount:,.4f}".rstrip("0").rstrip(".") if abs(amount) < 100 else f"{amount:,.0f}"
    return f"{text}元" if currency == "CNY" and lang == "zh" else f"{currency} {text}"

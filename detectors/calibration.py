"""Calibrated scores: what a score means, the same in every detector.

A detector's own score (its *raw* score, kept in ``evidence["raw_score"]``) orders
its findings but means something different in each detector: 0.8 from the price
screens and 0.8 from the approval-chain checks are not equally often right. The
score an alert carries is therefore the detector's raw score mapped through a
monotone **calibration curve**: an estimate of the share of such findings that an
investigator confirms — measured as the share of alerts of that kind that touch a
planted scheme (the evaluation's strict rule) in labelled synthetic organisations.

* One curve per *kind*: the detector id, and its ``evidence["rule"]`` when the
  detector has several rules (``direct_awards/repeat``, ``direct_awards/share`` …);
  findings a legitimate look-alike explains (``evidence["lookalike"]``) are the
  kind ``<detector>/lookalike``. A kind without a fitted curve falls back to its
  detector's curve, then to the raw score itself.
* A curve is a list of knots (raw score → confirmation rate), interpolated
  linearly and flat beyond its ends; ``TIE_BREAK`` × the raw score is added, so
  findings the curve puts at one rate keep their detector's order.
* **1.0 is reserved for hard evidence** — a hard flag (self-approval, a payment
  into a staff account, a supplier the approver or their spouse controls, an
  identity shared with a supplier): its score is 1.0 whatever its curve. Every
  other score is at most :data:`MAX_SOFT_SCORE`.
* Levels keep their cut-offs (high > 0.7, medium > 0.4): *high* now reads "more
  than seven in ten such alerts were confirmed".

Corroboration is not done here: an alert is one detector's finding. Cases combine
the calibrated scores of independent families (a noisy-OR of confirmation rates),
which is where a supplier flagged by three families rises above one flagged thrice
by one screen.

How the curves were set
-----------------------
``python -m sunlight.calibrate`` generates the labelled organisations (every profile
× several seeds), runs every detector with default settings, marks each alert real
or not, and fits per kind an isotonic (pool-adjacent-violators) regression of real
on raw score, each pooled block shrunk with ``PRIOR_WEIGHT`` pseudo-alerts towards
the detector's rate (for a kind) or the rate over all detectors (for a detector),
so a kind seen a few times leans on its detector; the blocks' mean raw scores and
shrunk rates become the knots. One profile is held out while fitting and reported separately. The
command rewrites the ``CURVES`` table below (between its markers) and records how
it was run in ``FITTED_WITH``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from detectors.base import Finding

__all__ = [
    "CURVES",
    "FITTED_WITH",
    "MAX_SOFT_SCORE",
    "PRIOR_WEIGHT",
    "TIE_BREAK",
    "Curve",
    "calibrate",
    "calibrated_score",
    "fit_curve",
    "kind_of",
]

#: the highest score a finding without hard evidence can carry (ratio)
MAX_SOFT_SCORE = 0.95
#: pseudo-alerts at the prior rate added to every pooled block while fitting (count)
PRIOR_WEIGHT = 2.0
#: weight of the raw score added to the curve's rate, so equal rates keep the detector's order (ratio)
TIE_BREAK = 0.001


@dataclass(frozen=True)
class Curve:
    """Knots (raw score, confirmation rate) of one kind, and what they were fitted on."""

    knots: tuple[tuple[float, float], ...]
    alerts: int = 0  # labelled alerts of this kind the curve was fitted on (count)
    real: int = 0  # of them, those touching a planted scheme (count)

    def __call__(self, raw: float) -> float:
        """The confirmation rate at ``raw``.

        >>> Curve(((0.2, 0.1), (0.8, 0.9)))(0.5)
        0.5
        >>> Curve(((0.2, 0.1), (0.8, 0.9)))(1.0)
        0.9
        """
        xs = [k[0] for k in self.knots]
        ys = [k[1] for k in self.knots]
        return float(np.interp(raw, xs, ys))


def kind_of(finding: Finding) -> str:
    """The calibration kind of a finding: detector, rule, or look-alike.

    >>> f = Finding("direct_awards", "s", 0.9, ("department:D1",), "zh", "en", {"rule": "repeat"})
    >>> kind_of(f), kind_of(replace(f, evidence={"lookalike": {}}))
    ('direct_awards/repeat', 'direct_awards/lookalike')
    """
    if finding.evidence.get("lookalike") is not None:
        return f"{finding.detector}/lookalike"
    rule = finding.evidence.get("rule")
    return f"{finding.detector}/{rule}" if rule else finding.detector


def calibrated_score(
    detector: str, kind: str, raw: float, hard: bool, curves: Mapping[str, Curve] | None = None
) -> float:
    """The calibrated score of a raw score: 1.0 for hard evidence, else the kind's curve (≤ 0.95).

    >>> calibrated_score("x", "x/a", 0.5, hard=True, curves={})
    1.0
    >>> calibrated_score("x", "x/a", 0.99, hard=False, curves={})
    0.95
    >>> calibrated_score("x", "x/a", 0.5, hard=False, curves={"x": Curve(((0.0, 0.1), (1.0, 0.3)))})
    0.2005
    """
    if hard:
        return 1.0
    table = CURVES if curves is None else curves
    curve = table.get(kind) or table.get(detector)
    if curve is None:
        return float(min(MAX_SOFT_SCORE, max(0.0, raw)))
    # findings a curve puts at one rate keep their detector's order: the raw score breaks the tie
    value = curve(raw) + TIE_BREAK * raw
    return float(min(MAX_SOFT_SCORE, max(0.0, value)))


def calibrate(finding: Finding, curves: Mapping[str, Curve] | None = None) -> Finding:
    """``finding`` with its calibrated score; its raw score and kind kept in the evidence.

    A detector that recognises a finding as ordinary in its own terms (``concentration``'s
    routine local buying) sets ``evidence["ceiling"]["score"]``: the calibrated score is
    held at or below it, whatever the curve says.

    >>> f = Finding("x", "s", 0.9, ("supplier:S1",), "zh", "en", {"ceiling": {"score": 0.6}})
    >>> calibrate(f, curves={"x": Curve(((0.0, 0.9),))}).score
    0.6
    """
    kind = kind_of(finding)
    score = calibrated_score(finding.detector, kind, finding.score, finding.hard, curves)
    ceiling = (finding.evidence.get("ceiling") or {}).get("score")
    if ceiling is not None and not finding.hard:
        score = min(score, float(ceiling))
    evidence = {**finding.evidence, "raw_score": round(finding.score, 4), "calibration": kind}
    return replace(finding, score=score, evidence=evidence)


def fit_curve(
    raw: Sequence[float],
    real: Sequence[bool],
    prior: float | None = None,
    prior_weight: float = PRIOR_WEIGHT,
) -> Curve:
    """An isotonic curve of ``real`` on ``raw``, each pooled block shrunk towards ``prior``.

    ``prior`` is the rate a block is shrunk towards with ``prior_weight`` pseudo-alerts:
    the detector's rate for one of its kinds, the rate over all detectors for a
    detector (default: the overall rate of ``real``).

    >>> c = fit_curve([0.1, 0.2, 0.3, 0.8, 0.9, 0.95], [False, False, True, True, True, True])
    >>> [(round(x, 3), round(y, 2)) for x, y in c.knots]
    [(0.15, 0.33), (0.738, 0.89)]
    >>> c.alerts, c.real
    (6, 4)
    >>> fit_curve([0.3], [False], prior=0.6).knots  # one alert says little: mostly the prior
    ((0.3, 0.4),)
    """
    if len(raw) != len(real):
        raise ValueError("raw and real must be of the same length")
    if not raw:
        return Curve(((0.0, prior or 0.0), (1.0, prior or 0.0)))
    order = np.argsort(np.asarray(raw, dtype=float), kind="stable")
    x = np.asarray(raw, dtype=float)[order]
    y = np.asarray(real, dtype=float)[order]
    towards = float(y.mean()) if prior is None else prior
    # pool adjacent violators over groups of equal raw score
    blocks: list[list[float]] = []  # [sum_x, sum_y, n]
    for value in np.unique(x):
        at = x == value
        blocks.append([float(x[at].sum()), float(y[at].sum()), float(at.sum())])
        while len(blocks) > 1 and _rate(blocks[-2], towards, prior_weight) >= _rate(
            blocks[-1], towards, prior_weight
        ):
            last = blocks.pop()
            blocks[-1] = [a + b for a, b in zip(blocks[-1], last, strict=True)]
    knots = tuple((round(b[0] / b[2], 4), round(_rate(b, towards, prior_weight), 4)) for b in blocks)
    return Curve(knots, alerts=len(x), real=int(y.sum()))


def _rate(block: list[float], overall: float, prior_weight: float) -> float:
    """A block's confirmation rate, shrunk towards ``overall`` with ``prior_weight`` pseudo-alerts."""
    _sum_x, sum_y, n = block
    return (sum_y + prior_weight * overall) / (n + prior_weight)


def curve_literal(name: str, curve: Curve) -> str:
    """One line of the ``CURVES`` table, as ``python -m sunlight.calibrate --write`` writes it."""
    knots = ", ".join(f"({x:g}, {y:g})" for x, y in curve.knots)
    return f"    {name!r}: Curve(({knots},), alerts={curve.alerts}, real={curve.real}),"


# Fitted curves, per kind: raw score (the detector's own 0..1 scale) -> confirmation rate
# (probability). Written by ``python -m sunlight.calibrate --write``; do not edit by hand.
# BEGIN FITTED
FITTED_WITH: dict[str, Any] = {
    "command": "python -m sunlight.calibrate --profiles classic,energy,construction,manufacturing,random,city --seeds 4,5 --scale 20000 --holdout city",
    "profiles": ["classic", "energy", "construction", "manufacturing", "random", "city"],
    "seeds": [4, 5],
    "scale": 20000,
    "holdout": "city",
    "date": "2026-12-07",
}
CURVES: dict[str, Curve] = {
    "after_hours": Curve(
        (
            (0.4303, 0.0151),
            (0.6812, 0.0999),
            (0.7288, 0.1666),
            (0.7436, 0.3999),
            (0.8778, 0.9722),
        ),
        alerts=149,
        real=70,
    ),
    "after_hours/habitual": Curve(
        (
            (0.3251, 0.0376),
            (0.3427, 0.094),
            (0.3679, 0.2351),
            (0.378, 0.3135),
        ),
        alerts=34,
        real=0,
    ),
    "after_hours/spate": Curve(
        (
            (0.5269, 0.0336),
            (0.6794, 0.0522),
            (0.7436, 0.3881),
            (0.8778, 0.9714),
        ),
        alerts=115,
        real=70,
    ),
    "approval_communities": Curve(
        (
            (0.3679, 0.2499),
            (0.6029, 0.3529),
            (0.7433, 0.3636),
        ),
        alerts=43,
        real=14,
    ),
    "bid_rigging": Curve(
        (
            (0.4075, 0.0057),
            (0.5214, 0.3331),
            (0.6614, 0.9861),
        ),
        alerts=244,
        real=70,
    ),
    "bid_rigging/buyer": Curve(((0.4075, 0.0033),), alerts=173, real=0),
    "bid_rigging/ring": Curve(
        (
            (0.5214, 0.1924),
            (0.6614, 0.9802),
        ),
        alerts=71,
        real=70,
    ),
    "cobid_communities": Curve(((0.6071, 0.9792),), alerts=46, real=46),
    "concentration": Curve(
        (
            (0.15, 0.0114),
            (0.6942, 0.0555),
            (0.7519, 0.0909),
            (0.8245, 0.163),
            (0.9073, 0.3331),
            (0.9441, 0.3333),
            (0.998, 0.5877),
        ),
        alerts=335,
        real=84,
    ),
    "concentration/gatekeeper": Curve(
        (
            (0.65, 0.1681),
            (0.9101, 0.9606),
            (1, 0.9675),
        ),
        alerts=81,
        real=80,
    ),
    "concentration/lookalike": Curve(((0.15, 0.0057),), alerts=86, real=0),
    "concentration/market": Curve(
        (
            (0.7579, 0.0076),
            (0.826, 0.028),
            (0.8811, 0.0367),
            (0.9995, 0.0687),
        ),
        alerts=168,
        real=4,
    ),
    "conflict_paths": Curve(
        (
            (0.276, 0.0999),
            (0.7253, 0.923),
            (0.8171, 0.9848),
            (0.95, 0.9861),
        ),
        alerts=153,
        real=145,
    ),
    "direct_awards": Curve(
        (
            (0.3161, 0.0345),
            (0.5042, 0.1538),
            (0.5998, 0.1666),
            (0.6652, 0.2499),
            (0.8829, 0.973),
        ),
        alerts=116,
        real=72,
    ),
    "direct_awards/lookalike": Curve(((0.15, 0.0952),), alerts=11, real=0),
    "direct_awards/repeat": Curve(
        (
            (0.6643, 0.3093),
            (0.8841, 0.9896),
        ),
        alerts=73,
        real=71,
    ),
    "direct_awards/share": Curve(
        (
            (0.4302, 0.0687),
            (0.5011, 0.1864),
            (0.572, 0.2062),
            (0.7242, 0.3093),
        ),
        alerts=32,
        real=1,
    ),
    "price_anomalies": Curve(
        (
            (0.3, 0.3331),
            (0.4402, 0.3999),
            (0.8492, 0.9861),
        ),
        alerts=74,
        real=71,
    ),
    "price_anomalies/drift": Curve(((0.4114, 0.9649),), alerts=1, real=1),
    "price_anomalies/unit_price": Curve(
        (
            (0.3767, 0.4737),
            (0.4557, 0.6316),
            (0.8492, 0.9985),
        ),
        alerts=73,
        real=70,
    ),
    "repeated_pairs": Curve(
        (
            (0.15, 0.0769),
            (0.4517, 0.0999),
            (0.4899, 0.4166),
            (0.7303, 0.9371),
        ),
        alerts=186,
        real=152,
    ),
    "repeated_pairs/lookalike": Curve(((0.15, 0.1252),), alerts=11, real=0),
    "shared_identifiers": Curve(
        (
            (0.1, 0.0435),
            (0.3705, 0.1428),
            (0.5, 0.1999),
            (0.8, 0.9762),
        ),
        alerts=76,
        real=41,
    ),
    "split_purchase": Curve(
        (
            (0.2703, 0.0227),
            (0.5378, 0.0555),
            (0.572, 0.0689),
            (0.6255, 0.0869),
            (0.6702, 0.1),
            (0.6966, 0.2499),
            (0.7005, 0.3331),
            (0.705, 0.3999),
            (0.7246, 0.4999),
            (0.7634, 0.8148),
            (0.8419, 0.9773),
        ),
        alerts=249,
        real=71,
    ),
    "split_purchase/department": Curve(
        (
            (0.4983, 0.0319),
            (0.5951, 0.0468),
            (0.6746, 0.1211),
            (0.6929, 0.1434),
            (0.6939, 0.1912),
            (0.697, 0.2623),
        ),
        alerts=87,
        real=4,
    ),
    "split_purchase/lookalike": Curve(((0.15, 0.0281),), alerts=54, real=1),
    "threshold_bunching": Curve(((0.6895, 0.2499),), alerts=2, real=0),
}
# END FITTED

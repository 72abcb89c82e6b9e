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
    """``finding`` with its calibrated score; its raw score and kind kept in the evidence."""
    kind = kind_of(finding)
    score = calibrated_score(finding.detector, kind, finding.score, finding.hard, curves)
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
FITTED_WITH: dict[str, Any] = {}
CURVES: dict[str, Curve] = {}
# END FITTED

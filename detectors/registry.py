"""The registry: every detector, in the order a run executes them.

Adding a detector is adding its module name to ``_MODULES``.
"""

from __future__ import annotations

import importlib

from detectors.base import Detector

__all__ = ["all_detectors", "get_detector"]

_MODULES: tuple[str, ...] = (
    "detectors.repeated_pairs",
    "detectors.conflict_paths",
    "detectors.shared_identifiers",
    "detectors.bid_rigging",
    "detectors.communities",
    "detectors.approval_communities",
    "detectors.concentration",
    "detectors.direct_awards",
    "detectors.split_purchase",
    "detectors.threshold_bunching",
    "detectors.approval_controls",
    "detectors.after_hours",
    "detectors.price_anomalies",
)


def all_detectors() -> list[Detector]:
    """Every registered detector, in run order."""
    return [importlib.import_module(name).DETECTOR for name in _MODULES]


def get_detector(detector_id: str) -> Detector:
    for detector in all_detectors():
        if detector.id == detector_id:
            return detector
    known = ", ".join(d.id for d in all_detectors())
    raise KeyError(f"unknown detector {detector_id!r}; known detectors: {known}")

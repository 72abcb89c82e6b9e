"""Run detectors on a snapshot: each one isolated, timed, its findings turned into alerts."""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from detectors.base import Detector, Finding, to_alert
from detectors.calibration import calibrate
from detectors.prepare import prepare
from detectors.registry import all_detectors
from graph.snapshot import GraphSnapshot
from graph.store import AlertRecord

__all__ = ["DetectorOutcome", "RunResult", "run_detectors"]


@dataclass
class DetectorOutcome:
    detector: Detector
    findings: list[Finding] = field(default_factory=list)
    seconds: float = 0.0
    #: CPU seconds of this process while the detector ran: the figure that stays put on a busy machine
    cpu_seconds: float = 0.0
    error: str | None = None


@dataclass
class RunResult:
    outcomes: list[DetectorOutcome]

    @property
    def alerts(self) -> list[AlertRecord]:
        return [to_alert(f, o.detector) for o in self.outcomes for f in o.findings]

    @property
    def failed(self) -> list[DetectorOutcome]:
        return [o for o in self.outcomes if o.error is not None]


def run_detectors(
    snapshot: GraphSnapshot,
    params: Mapping[str, Any] | None = None,
    only: Sequence[str] | None = None,
    detectors: Sequence[Detector] | None = None,
    calibrated: bool = True,
    between: Callable[[], None] | None = None,
) -> RunResult:
    """Run the registered detectors (or ``only`` those ids) on ``snapshot``.

    Each finding's score is calibrated (:func:`detectors.calibration.calibrate`: the
    share of such findings confirmed, 1.0 for hard evidence) with its raw score kept
    in the evidence; ``calibrated=False`` keeps the detectors' raw scores (the
    calibration is fitted on those).

    The snapshot is prepared once (:func:`detectors.prepare.prepare`) with ``params``,
    so the tender screens follow the ``bid_rigging`` settings for every detector that
    reads them. A detector that raises does not stop the others: its outcome carries the error.
    ``between`` is called after each detector (the pipeline applies case actions that
    people requested meanwhile).
    """
    chosen = list(detectors if detectors is not None else all_detectors())
    if only:
        known = {d.id for d in chosen}
        missing = [d for d in only if d not in known]
        if missing:
            raise KeyError(
                f"unknown detector {', '.join(missing)}; known detectors: {', '.join(sorted(known))}"
            )
        chosen = [d for d in chosen if d.id in set(only)]
    # the tables several detectors share are built once, with the run's settings
    prepared = prepare(snapshot, params)
    outcomes = []
    for detector in chosen:
        detector_params = (params or {}).get(detector.id) or detector.default_params()
        started, cpu_started = time.perf_counter(), time.process_time()
        outcome = DetectorOutcome(detector)
        try:
            findings = detector.run(prepared, detector_params)
            outcome.findings = [calibrate(f) for f in findings] if calibrated else findings
        except Exception as exc:  # one broken detector must not stop the nightly run
            outcome.error = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}"
        outcome.seconds = time.perf_counter() - started
        outcome.cpu_seconds = time.process_time() - cpu_started
        outcomes.append(outcome)
        if between is not None:
            between()
    return RunResult(outcomes)

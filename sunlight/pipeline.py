"""The steps every entry point shares: load a source into a store, run the detectors and save alerts.

The CLI verbs, the demo and the scheduled run all call these, so a load or a
detector run means the same thing (and leaves the same trail) wherever it starts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from detectors.community_engines import on_server
from detectors.registry import all_detectors
from detectors.runner import RunResult, run_detectors
from detectors.settings import load_settings
from graph.snapshot import GraphSnapshot
from graph.store import AlertSaveSummary, Store, WriteSummary
from sunlight.audit import AuditLog
from sunlight.realert import AlertChange, plan_changes, previous_state

__all__ = ["DetectOutcome", "detect_and_save", "load_into_store"]


def load_into_store(
    store: Store,
    source: Path,
    mapping: str | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    audit: AuditLog | None = None,
) -> tuple[Any, WriteSummary]:
    """Validate ``source`` and write it, all or nothing. Raises ``loaders.LoadError`` on bad data."""
    from loaders import load_source

    def existing(label: str) -> set[str]:
        return set(store.query(f"MATCH (n:{label}) RETURN n.id AS id")["id"])

    result = load_source(source, mapping=mapping, progress=progress, existing=existing)
    summary = store.write(result.data, progress=progress)
    if audit is not None:
        audit.append(
            "load",
            {
                "source": str(source.resolve()),
                "rows": dict(summary.rows),
                "created": dict(summary.created),
                "warnings": len(result.report.warnings),
            },
        )
    return result, summary


@dataclass
class DetectOutcome:
    result: RunResult
    saved: AlertSaveSummary
    changes: list[AlertChange]
    cases: Any = None  # detectors.case_grouping.CasePlan


def detect_and_save(
    store: Store,
    settings_path: str | None = None,
    only: Sequence[str] | None = None,
    audit: AuditLog | None = None,
    params: Mapping[str, Any] | None = None,
) -> DetectOutcome:
    """Run the detectors on a snapshot of ``store``, save the alerts, apply the re-alert rules,
    group the alerts into cases, and write the overview's summary (:mod:`sunlight.summary`).

    Case actions requested while this run holds the store (``sunlight.cases``) are applied
    between detectors and at the end, so nobody's work waits for the whole run or is lost.
    Raises ``detectors.settings.SettingsError`` for a bad settings file and ``KeyError``
    for an unknown detector id in ``only``.
    """
    from sunlight.cases import apply_pending, update_cases

    def apply_requests() -> None:
        if audit is not None:
            apply_pending(store, audit)

    detectors = all_detectors()
    chosen_params = params if params is not None else load_settings(settings_path, detectors)
    snapshot = store.snapshot()
    apply_requests()
    # a community detector set to `engine: gds` partitions on the store's server (`auto` never picks gds)
    with on_server(store.gds_runner()):
        result = run_detectors(
            snapshot, chosen_params, only=only, detectors=detectors, between=apply_requests
        )
    alerts = result.alerts
    before = previous_state(store.alerts())
    changes = plan_changes(before, alerts)
    seen_at = datetime.now().replace(microsecond=0)
    saved = store.save_alerts(alerts, seen_at)
    same_as = _same_as_links(result)
    if same_as.rels:
        # probable identities between parties, kept as links with a probability: records are never merged
        store.write(same_as)
    # an alert re-opened by the re-alert rules re-opens its case (and the case's other alerts with it)
    plan = update_cases(
        store,
        audit,
        {d.id: d.family for d in detectors},
        seen_at,
        renewed=[c.alert.id for c in changes if c.reopen],
    )
    _save_overview(store, snapshot)
    if audit is not None:
        audit.append(
            "detect",
            {
                "detectors": {o.detector.id: len(o.findings) for o in result.outcomes},
                "failed": [o.detector.id for o in result.failed],
                "alerts": {"new": saved.new, "updated": saved.updated, "unchanged": saved.unchanged},
                "reopened": [c.alert.id for c in changes if c.reopen],
                "cases": {
                    "total": len(plan.cases),
                    "new": sum(1 for e in plan.events if e.kind == "new"),
                    "merged": len(plan.merged),
                    "split": sum(1 for e in plan.events if e.kind == "split"),
                    "reopened": sum(1 for e in plan.events if e.kind == "reopen"),
                },
            },
        )
    apply_requests()
    return DetectOutcome(result=result, saved=saved, changes=changes, cases=plan)


def _save_overview(store: Store, snapshot: GraphSnapshot) -> None:
    """Write what the app's overview shows, so that it reads one node rather than the whole store."""
    from graph.cases import read_cases
    from sunlight.summary import build_summary, save_summary
    from sunlight.ui import viewmodels as vm

    book = vm.build_alert_book(store.alerts(), snapshot, vm.family_map(), read_cases(store))
    save_summary(store, build_summary(store, book))


def _same_as_links(result: RunResult) -> Any:
    from detectors.shared_identifiers import same_as_graphdata

    return same_as_graphdata([f for o in result.outcomes for f in o.findings])

"""Case actions while a real `sunlight detect` holds the embedded store's single write lock:
accepted and recorded at once, shown as pending, applied exactly once when the run lets go (or
between its detectors), in the order they were taken; one based on a stale status is refused."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from graph.errors import StoreUnavailable
from graph.ladybug_store import LadybugStore
from graph.store import Store
from loaders.generator import generate
from sunlight.audit import AuditLog
from sunlight.auth import Role, User
from sunlight.cases import (
    apply_pending,
    case_history,
    outcome_of,
    pending_requests,
    request_note,
    request_status,
    submit,
)
from sunlight.pipeline import detect_and_save, load_into_store

LEADER = User("组长王", Role.ADMIN)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store whose detector run takes several seconds, detected once so that it has cases."""
    root = tmp_path_factory.mktemp("busy")
    generate(root / "data", scale=2000, seed=11)
    store = LadybugStore(root / "store")
    try:
        audit = AuditLog(root / "store")
        load_into_store(store, root / "data", audit=audit)
        detect_and_save(store, audit=audit)
    finally:
        store.close()
    return root / "store"


def writer(path: Path) -> Callable[[Callable[[Store], Any]], Any]:
    """Open the store for writing, as the app does for a case action."""

    def write(work: Callable[[Store], Any]) -> Any:
        store = LadybugStore(path)
        try:
            return work(store)
        finally:
            store.close()

    return write


def read(path: Path, work: Callable[[Store], Any]) -> Any:
    store = LadybugStore(path, read_only=True)
    try:
        return work(store)
    finally:
        store.close()


def case_status(path: Path, case_id: str) -> str:
    rows = read(path, lambda s: s.alerts())
    return str(rows.loc[rows["case_id"] == case_id, "status"].iloc[0])


def test_actions_during_a_real_detector_run_are_pending_then_applied_once_in_order(template, tmp_path):
    path = Path(shutil.copytree(template, tmp_path / "store"))
    audit = AuditLog(path)
    cases = read(path, lambda s: s.alerts()).dropna(subset=["case_id"]).drop_duplicates("case_id")
    first, second = list(cases["case_id"])[:2]

    run = subprocess.Popen(
        [sys.executable, "-m", "sunlight.cli", "detect", "--store", str(path), "--lang", "en"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "SUNLIGHT_AUDIT_DIR": str(path)},
    )
    try:
        # the run prints this once it has opened the store for writing (and so holds its lock)
        line = run.stderr.readline() if run.stderr else ""
        assert line.startswith("Running"), line
        with pytest.raises(StoreUnavailable, match="lock"):
            writer(path)(lambda store: None)

        # two people act while the run holds the store: a status change and a note, and a third
        # request based on the status the first one is about to leave behind
        move = read(
            path, lambda s: request_status(s, audit, first, "reviewing", LEADER, expected_status="open")
        )
        note = read(path, lambda s: request_note(s, audit, second, "已调取合同原件", LEADER))
        stale = read(
            path,
            lambda s: request_status(
                s, audit, first, "dismissed", LEADER, reason="误报", expected_status="open"
            ),
        )
        outcomes = [submit(audit, r, writer(path)) for r in (move, note, stale)]
        still_running = run.poll() is None
        assert [o.state for o in outcomes] == ["pending"] * 3
        assert still_running, "the run ended before the actions were taken: use a larger store"
        # recorded durably and shown as pending while the run goes on
        history = case_history(AuditLog(path), first)
        assert ("case.request", "pending") in [(a.action, a.state) for a in history]
        assert case_status(path, first) == "open"
    finally:
        _out, err = run.communicate(timeout=600)
    assert run.returncode == 0, err

    # the run applied them (between its detectors or at its end), once each, in the order asked
    entries = audit.entries()
    assert pending_requests(audit) == []
    assert outcome_of(audit, move.action_id).state == "applied"
    assert outcome_of(audit, note.action_id).state == "applied"
    refused = outcome_of(audit, stale.action_id)
    assert refused.state == "refused" and refused.error is not None
    assert "now 'reviewing'" in str(refused.error)
    assert case_status(path, first) == "reviewing"  # the run's own regrouping kept it
    for action_id in (move.action_id, note.action_id, stale.action_id):
        outcome_entries = [
            e
            for e in entries
            if e["action"] != "case.request" and (e.get("details") or {}).get("action_id") == action_id
        ]
        assert len(outcome_entries) == 1, action_id
    requests = [e["seq"] for e in entries if e["action"] == "case.request"]
    applied = [
        e["details"]["request_seq"]
        for e in entries
        if e["action"] in ("case.status", "case.note", "case.refused")
        and e["details"].get("action_id") in {move.action_id, note.action_id, stale.action_id}
    ]
    assert applied == requests[-3:]  # applied in the order they were asked for
    detect_runs = [e["seq"] for e in entries if e["action"] == "detect"]
    assert requests[-3] < detect_runs[-1]  # asked while the run was under way
    # nothing is applied twice, by the app's next write or another run
    assert writer(path)(lambda store: apply_pending(store, audit)) == []
    assert audit.verify() is None

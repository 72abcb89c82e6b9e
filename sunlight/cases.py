"""Case handling (案件处置): the status workflow, assignment and notes, each recorded in the trail.

The store keeps an alert's current status and assignee (``Store.set_alert_status``);
everything else a case accumulates — who moved it when, the reason for a
dismissal, what was done before 销号, notes — is written to the hash-chained
trail (:class:`sunlight.audit.AuditLog`) as ``case.*`` entries and read back from
there. This module is the one place that knows that split, so when the store
learns to keep case history itself only this module changes.

Workflow::

    open ──▶ reviewing ──▶ confirmed ──▶ remediated (销号, with a remediation note)
      │          │
      └──────────┴──▶ dismissed (with a reason) ──▶ reviewing (re-opened)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from graph.store import Store
from sunlight.audit import AuditLog, audit_log_for

__all__ = [
    "CASE_ACTIONS",
    "TRANSITIONS",
    "CaseAction",
    "CaseError",
    "add_note",
    "allowed_next",
    "assign",
    "audit_log_for",
    "case_history",
    "change_status",
    "history_frame",
]

#: Where each status may go next.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "open": ("reviewing", "dismissed"),
    "reviewing": ("confirmed", "dismissed"),
    "confirmed": ("remediated",),
    "dismissed": ("reviewing",),
    "remediated": (),
}

#: Trail actions this module writes.
CASE_ACTIONS = ("case.status", "case.assign", "case.note")


class CaseError(ValueError):
    """An action the workflow does not allow. ``code`` names it for translation; ``values`` fill it."""

    def __init__(self, code: str, message: str, **values: Any) -> None:
        super().__init__(message)
        self.code = code
        self.values = values


@dataclass(frozen=True)
class CaseAction:
    """One recorded action on a case, as read back from the trail."""

    at: str
    actor: str
    action: str
    alert_id: str
    details: Mapping[str, Any]


def allowed_next(status: str) -> tuple[str, ...]:
    """The statuses a case in ``status`` may move to.

    >>> allowed_next("open"), allowed_next("remediated")
    (('reviewing', 'dismissed'), ())
    """
    return TRANSITIONS.get(status, ())


def _current(store: Store, alert_id: str) -> tuple[str, str | None]:
    """The alert's status and assignee as the store has them now (not as a page last showed them)."""
    rows = store.alerts()
    rows = rows[rows["alert_id"] == alert_id]
    if rows.empty:
        raise CaseError("err_unknown_alert", f"no alert with id {alert_id!r}", alert_id=alert_id)
    first = rows.iloc[0]
    assignee = first.get("assignee")
    return str(first["status"]), assignee if isinstance(assignee, str) and assignee else None


def _require_actor(actor: str) -> str:
    actor = (actor or "").strip()
    if not actor:
        raise CaseError("need_user", "every case action needs the name of who takes it")
    return actor


def change_status(
    store: Store,
    audit: AuditLog,
    alert_id: str,
    new_status: str,
    actor: str,
    *,
    reason: str | None = None,
    note: str | None = None,
    expected_status: str | None = None,
) -> dict[str, Any]:
    """Move a case along the workflow and record it; returns the trail entry.

    A dismissal needs ``reason``; remediation (销号) needs ``note`` saying what was
    done. ``expected_status`` is the status the person saw: if someone else moved the
    case meanwhile, nothing changes and :class:`CaseError` says so.
    """
    actor = _require_actor(actor)
    status, assignee = _current(store, alert_id)
    if expected_status is not None and expected_status != status:
        raise CaseError("err_changed", f"alert {alert_id} is now {status!r}", status=status)
    allowed = allowed_next(status)
    if new_status not in allowed:
        raise CaseError(
            "err_transition",
            f"cannot move alert {alert_id} from {status!r} to {new_status!r}; allowed: {', '.join(allowed) or 'none'}",
            from_=status,
            to=new_status,
            allowed=allowed,
        )
    reason = (reason or "").strip() or None
    note = (note or "").strip() or None
    if new_status == "dismissed" and not reason:
        raise CaseError("err_reason", "a dismissal needs a reason")
    if new_status == "remediated" and not note:
        raise CaseError("err_remediation", "remediation needs a note of what was done")
    details = {"alert_id": alert_id, "from": status, "to": new_status, "reason": reason, "note": note}
    return _write(store, audit, alert_id, new_status, None, status, assignee, "case.status", details, actor)


def assign(store: Store, audit: AuditLog, alert_id: str, assignee: str, actor: str) -> dict[str, Any]:
    """Give the case to ``assignee`` and record who did it."""
    actor = _require_actor(actor)
    assignee = (assignee or "").strip()
    if not assignee:
        raise CaseError("err_assignee", "an assignment needs an assignee")
    status, previous = _current(store, alert_id)
    details = {"alert_id": alert_id, "from": previous, "to": assignee}
    return _write(store, audit, alert_id, status, assignee, status, previous, "case.assign", details, actor)


def add_note(store: Store, audit: AuditLog, alert_id: str, text: str, actor: str) -> dict[str, Any]:
    """Add a note to the case (the store is not changed; the note lives in the trail)."""
    actor = _require_actor(actor)
    text = (text or "").strip()
    if not text:
        raise CaseError("err_note", "a note cannot be empty")
    _current(store, alert_id)  # the alert must exist
    return audit.append("case.note", {"alert_id": alert_id, "note": text}, actor=actor)


def _write(
    store: Store,
    audit: AuditLog,
    alert_id: str,
    status: str,
    assignee: str | None,
    previous_status: str,
    previous_assignee: str | None,
    action: str,
    details: dict[str, Any],
    actor: str,
) -> dict[str, Any]:
    store.set_alert_status(alert_id, status, assignee)
    try:
        return audit.append(action, details, actor=actor)
    except Exception:
        # A change the trail does not show must not stay in the store.
        restored = (previous_assignee or "") if assignee is not None else None
        store.set_alert_status(alert_id, previous_status, restored)
        raise


def case_history(audit: AuditLog, alert_id: str) -> list[CaseAction]:
    """Every recorded action on ``alert_id``, oldest first."""
    out = []
    for entry in audit.entries():
        details = entry.get("details") or {}
        if entry.get("action") in CASE_ACTIONS and details.get("alert_id") == alert_id:
            out.append(
                CaseAction(
                    at=str(entry.get("at", "")),
                    actor=str(entry.get("actor", "")),
                    action=str(entry["action"]),
                    alert_id=alert_id,
                    details=details,
                )
            )
    return out


def history_frame(audit: AuditLog, alert_id: str) -> pd.DataFrame:
    """:func:`case_history` as a table: at, actor, action, from, to, reason, note."""
    rows = [
        {
            "at": a.at,
            "actor": a.actor,
            "action": a.action,
            "from": a.details.get("from"),
            "to": a.details.get("to"),
            "reason": a.details.get("reason"),
            "note": a.details.get("note"),
        }
        for a in case_history(audit, alert_id)
    ]
    return pd.DataFrame(rows, columns=["at", "actor", "action", "from", "to", "reason", "note"])

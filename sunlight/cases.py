"""Case handling (案件处置): the status workflow, assignment and notes, each recorded in the trail.

The store keeps an alert's current status and assignee (``Store.set_alert_status``);
everything else a case accumulates — who moved it when, the reason for a
dismissal, what was done before 销号, notes — is written to the hash-chained
trail (:class:`sunlight.audit.AuditLog`) as ``case.*`` entries and read back from
there. This module is the one place that knows that split, so when the store
learns to keep case history itself only this module changes.

Every action takes the signed-in :class:`sunlight.auth.User` and checks the role
against the store as it is now, whatever the page offered (docs/security.md):
status changes and notes by an admin or the case's assignee, assignments by an
admin. A refusal raises :class:`sunlight.auth.AccessDenied` and is written to the
trail as ``case.denied``.

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

from graph.errors import AlertStatusConflict
from graph.store import Store
from sunlight.audit import AuditLog, audit_log_for
from sunlight.auth import AccessDenied, User, can_act_on_case, can_assign

__all__ = [
    "CASE_ACTIONS",
    "DENIED_ACTION",
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

#: Trail actions that make up a case's history.
CASE_ACTIONS = ("case.status", "case.assign", "case.note")
#: Trail action of a refused attempt (not part of the case's history, but in the trail).
DENIED_ACTION = "case.denied"


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


def _current(store: Store, alert_id: str) -> tuple[str, str | None, pd.DataFrame]:
    """The alert's status and assignee as the store has them now (not as a page last showed them),
    and the store's alert rows they were read from."""
    rows = store.alert(alert_id)
    if rows.empty:
        raise CaseError("err_unknown_alert", f"no alert with id {alert_id!r}", alert_id=alert_id)
    first = rows.iloc[0]
    assignee = first.get("assignee")
    return str(first["status"]), assignee if isinstance(assignee, str) and assignee else None, rows


def _require_actor(actor: User) -> User:
    if not isinstance(actor, User):
        # a bare name would skip the role check: only a signed-in User may act
        raise TypeError(f"a case action needs the signed-in sunlight.auth.User, not {type(actor).__name__}")
    if not actor.name.strip():
        raise CaseError("need_user", "every case action needs the name of who takes it")
    return actor


def _refuse_unless(allowed: bool, audit: AuditLog, actor: User, action: str, alert_id: str) -> None:
    """Record and raise a refusal when the role does not allow ``action`` on ``alert_id``."""
    if allowed:
        return
    audit.append(
        DENIED_ACTION,
        {"alert_id": alert_id, "attempted": action, "role": actor.role.value},
        actor=actor.name,
    )
    raise AccessDenied(f"{actor.name} ({actor.role.value}) may not take {action} on {alert_id}")


def change_status(
    store: Store,
    audit: AuditLog,
    alert_id: str,
    new_status: str,
    actor: User,
    *,
    reason: str | None = None,
    note: str | None = None,
    expected_status: str | None = None,
) -> dict[str, Any]:
    """Move a case along the workflow and record it; returns the trail entry.

    ``actor`` must be an admin or the case's assignee (:class:`AccessDenied` otherwise).
    A dismissal needs ``reason``; remediation (销号) needs ``note`` saying what was
    done. ``expected_status`` is the status the person saw: if someone else moved the
    case meanwhile, nothing changes and :class:`CaseError` says so.
    """
    actor = _require_actor(actor)
    status, assignee, rows = _current(store, alert_id)
    _refuse_unless(can_act_on_case(actor, alert_id, rows), audit, actor, "case.status", alert_id)
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


def assign(store: Store, audit: AuditLog, alert_id: str, assignee: str, actor: User) -> dict[str, Any]:
    """Give the case to ``assignee`` and record who did it; only an admin may (:class:`AccessDenied`)."""
    actor = _require_actor(actor)
    assignee = (assignee or "").strip()
    status, previous, _ = _current(store, alert_id)
    _refuse_unless(can_assign(actor), audit, actor, "case.assign", alert_id)
    if not assignee:
        raise CaseError("err_assignee", "an assignment needs an assignee")
    details = {"alert_id": alert_id, "from": previous, "to": assignee}
    return _write(store, audit, alert_id, status, assignee, status, previous, "case.assign", details, actor)


def add_note(store: Store, audit: AuditLog, alert_id: str, text: str, actor: User) -> dict[str, Any]:
    """Add a note to the case (the store is not changed; the note lives in the trail).

    ``actor`` must be an admin or the case's assignee (:class:`AccessDenied` otherwise)."""
    actor = _require_actor(actor)
    _, _, rows = _current(store, alert_id)  # the alert must exist
    _refuse_unless(can_act_on_case(actor, alert_id, rows), audit, actor, "case.note", alert_id)
    text = (text or "").strip()
    if not text:
        raise CaseError("err_note", "a note cannot be empty")
    return audit.append("case.note", {"alert_id": alert_id, "note": text}, actor=actor.name)


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
    actor: User,
) -> dict[str, Any]:
    try:
        # the status the checks above read must still hold when the change is made
        store.set_alert_status(alert_id, status, assignee, expected_status=previous_status)
    except AlertStatusConflict as exc:
        raise CaseError("err_changed", f"alert {alert_id} is now {exc.actual!r}", status=exc.actual) from exc
    try:
        return audit.append(action, details, actor=actor.name)
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
    # object columns: pandas would store a missing value beside text as NaN, which reads as a value
    return pd.DataFrame(rows, columns=["at", "actor", "action", "from", "to", "reason", "note"], dtype=object)

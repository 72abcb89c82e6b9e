"""Case handling (案件处置): cases kept across runs, the status workflow, assignment and notes.

A case (:mod:`detectors.case_grouping`) groups the alerts that share entities; the
workflow moves the case, and its alerts with it. The store keeps each case's status
and assignee (:mod:`graph.cases`); everything else a case accumulates — who moved it
when, the reason for a dismissal, what was done before 销号, notes, merges and splits
between runs — is written to the hash-chained trail (:class:`sunlight.audit.AuditLog`)
and read back from there. This module is the one place that knows that split.

Every action is first *requested*: checked against the store as it is now (a read is
enough), then written to the trail as ``case.request`` with an action id, durably and
in the order people acted, and then *applied* by whoever holds the store for writing —
at once when nobody else does, else (while a nightly ``sunlight detect`` holds the
embedded store's single write lock) between its detectors and at its end, or at the
app's next write. Applying re-checks the role and the status the person saw
(compare-and-set): a request based on a status that has changed meanwhile is refused
(``case.refused``, with the reason), never applied silently. Every request is applied
or refused exactly once: outcomes name their request's action id, and applying takes
a file lock, so two writers never apply the same request.

Every action takes the signed-in :class:`sunlight.auth.User` and checks the role
(docs/security.md): status changes and notes by an admin or the case's assignee,
assignments by an admin. A refusal raises :class:`sunlight.auth.AccessDenied` and is
written to the trail as ``case.denied``.

Workflow::

    open ──▶ reviewing ──▶ confirmed ──▶ remediated (销号, with a remediation note)
      │          │
      └──────────┴──▶ dismissed (with a reason) ──▶ reviewing (re-opened)
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import pandas as pd

from graph.cases import case_alert_ids, read_case, read_cases, set_case_state, write_cases
from graph.errors import CaseStatusConflict, StoreUnavailable
from graph.store import Store
from sunlight.audit import AuditLog, audit_log_for, exclusive_lock
from sunlight.auth import AccessDenied, Role, User, can_act_on_case, can_assign

__all__ = [
    "CASE_ACTIONS",
    "DENIED_ACTION",
    "GROUPING_ACTIONS",
    "REFUSED_ACTION",
    "REQUEST_ACTION",
    "TRANSITIONS",
    "CaseAction",
    "CaseError",
    "CaseRequest",
    "CaseState",
    "Outcome",
    "add_note",
    "allowed_next",
    "apply_pending",
    "assign",
    "audit_log_for",
    "case_history",
    "case_state",
    "change_status",
    "change_statuses",
    "history_frame",
    "outcome_of",
    "pending_requests",
    "request_assign",
    "request_note",
    "request_status",
    "submit",
    "update_cases",
]

T = TypeVar("T")

#: Where each status may go next.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "open": ("reviewing", "dismissed"),
    "reviewing": ("confirmed", "dismissed"),
    "confirmed": ("remediated",),
    "dismissed": ("reviewing",),
    "remediated": (),
}

#: Trail actions of applied case actions (a case's workflow history).
CASE_ACTIONS = ("case.status", "case.assign", "case.note")
#: Trail action of a requested case action, before it is applied or refused.
REQUEST_ACTION = "case.request"
#: Trail action of a request refused when it came to be applied (the case had moved meanwhile).
REFUSED_ACTION = "case.refused"
#: Trail actions a detector run writes about cases: merged, split, re-opened by new evidence.
GROUPING_ACTIONS = ("case.merge", "case.split", "case.reopen")
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
    """One recorded entry of a case's history, as read back from the trail."""

    at: str
    actor: str
    action: str
    case_id: str
    details: Mapping[str, Any]
    state: str = "applied"  # applied, pending (requested, not yet applied) or refused


@dataclass(frozen=True)
class CaseState:
    """A case as the store has it now, with its alert rows (``Store.alerts()`` rows)."""

    case_id: str
    status: str
    assignee: str | None
    rows: pd.DataFrame

    @property
    def alert_ids(self) -> list[str]:
        return list(dict.fromkeys(self.rows["alert_id"]))


@dataclass(frozen=True)
class CaseRequest:
    """A case action as requested: who, what, on which case, and the status they saw."""

    action: str  # one of CASE_ACTIONS
    case_id: str
    actor: str
    role: str
    to: str | None = None  # the new status, or the new assignee
    expected_status: str | None = None
    reason: str | None = None
    note: str | None = None
    action_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def details(self) -> dict[str, Any]:
        return {
            "action_id": self.action_id,
            "request": self.action,
            "case_id": self.case_id,
            "role": self.role,
            "to": self.to,
            "expected_status": self.expected_status,
            "reason": self.reason,
            "note": self.note,
        }

    @classmethod
    def from_entry(cls, entry: Mapping[str, Any]) -> CaseRequest:
        d = entry.get("details") or {}
        return cls(
            action=str(d["request"]),
            case_id=str(d["case_id"]),
            actor=str(entry.get("actor", "")),
            role=str(d.get("role") or Role.VIEWER.value),
            to=d.get("to"),
            expected_status=d.get("expected_status"),
            reason=d.get("reason"),
            note=d.get("note"),
            action_id=str(d["action_id"]),
        )


@dataclass(frozen=True)
class Outcome:
    """What became of a request: ``applied`` (``entry`` is the trail entry), ``refused``
    (``error`` says why) or ``pending`` (recorded; the store's writer will apply it)."""

    action_id: str
    state: str
    entry: Mapping[str, Any] | None = None
    error: CaseError | AccessDenied | None = None


def allowed_next(status: str) -> tuple[str, ...]:
    """The statuses a case in ``status`` may move to.

    >>> allowed_next("open"), allowed_next("remediated")
    (('reviewing', 'dismissed'), ())
    """
    return TRANSITIONS.get(status, ())


# ---- reading a case ---------------------------------------------------------------------------------
def case_state(store: Store, target: str) -> CaseState:
    """The case ``target`` names — a case id (a merged-away one leads to where its work went)
    or the id of one of its alerts — as the store has it now, not as a page last showed it.

    Only that case and its alerts are read, so an action costs the same in a store of a
    hundred cases and of a hundred thousand."""
    record = read_case(store, target)
    if record is None:
        mine = store.alert(target)
        if mine.empty:
            raise CaseError("err_unknown_alert", f"no case or alert with id {target!r}", alert_id=target)
        owner = mine.iloc[0].get("case_id")
        if not isinstance(owner, str) or not owner:
            raise CaseError(
                "err_no_case",
                f"alert {target} belongs to no case yet: run `sunlight detect` to group alerts into cases",
                alert_id=target,
            )
        record = read_case(store, owner)
        if record is None:
            raise CaseError("err_unknown_alert", f"no case with id {owner!r}", alert_id=owner)
    seen = {record["case_id"]}
    while record["merged_into"] and record["merged_into"] not in seen:
        into = read_case(store, record["merged_into"])
        if into is None:
            raise CaseError(
                "err_unknown_alert",
                f"no case with id {record['merged_into']!r}",
                alert_id=record["merged_into"],
            )
        record = into
        seen.add(record["case_id"])
    case_id = record["case_id"]
    parts = [store.alert(a) for a in case_alert_ids(store, case_id)]
    rows = pd.concat(parts, ignore_index=True) if parts else store.alert("")
    if not rows.empty:
        rows = rows.sort_values(["score", "alert_id"], ascending=[False, True], kind="stable")
    return CaseState(
        case_id=case_id,
        status=record["status"],
        assignee=record["assignee"],
        rows=rows,
    )


def _require_actor(actor: User) -> User:
    if not isinstance(actor, User):
        # a bare name would skip the role check: only a signed-in User may act
        raise TypeError(f"a case action needs the signed-in sunlight.auth.User, not {type(actor).__name__}")
    if not actor.name.strip():
        raise CaseError("need_user", "every case action needs the name of who takes it")
    return actor


def _may_act(actor: User, case: CaseState) -> bool:
    if case.rows.empty:
        return actor.role == Role.ADMIN
    return can_act_on_case(actor, case.alert_ids[0], case.rows)


def _refuse_unless(allowed: bool, audit: AuditLog, actor: User, action: str, case_id: str) -> None:
    """Record and raise a refusal when the role does not allow ``action`` on ``case_id``."""
    if allowed:
        return
    audit.append(
        DENIED_ACTION,
        {"case_id": case_id, "attempted": action, "role": actor.role.value},
        actor=actor.name,
    )
    raise AccessDenied(f"{actor.name} ({actor.role.value}) may not take {action} on {case_id}")


# ---- checking a request -----------------------------------------------------------------------------
def _check_status(case: CaseState, new_status: str, expected: str | None, reason: Any, note: Any) -> None:
    if expected is not None and expected != case.status:
        raise CaseError("err_changed", f"case {case.case_id} is now {case.status!r}", status=case.status)
    allowed = allowed_next(case.status)
    if new_status not in allowed:
        raise CaseError(
            "err_transition",
            f"cannot move case {case.case_id} from {case.status!r} to {new_status!r}; "
            f"allowed: {', '.join(allowed) or 'none'}",
            from_=case.status,
            to=new_status,
            allowed=allowed,
        )
    if new_status == "dismissed" and not reason:
        raise CaseError("err_reason", "a dismissal needs a reason")
    if new_status == "remediated" and not note:
        raise CaseError("err_remediation", "remediation needs a note of what was done")


def request_status(
    store: Store,
    audit: AuditLog,
    target: str,
    new_status: str,
    actor: User,
    *,
    reason: str | None = None,
    note: str | None = None,
    expected_status: str | None = None,
) -> CaseRequest:
    """Check a status change against the store as it is now (a read-only store will do) and return
    the request to :func:`submit`. ``expected_status`` is the status the person saw; without it,
    the status read now is the one the change is based on."""
    actor = _require_actor(actor)
    case = case_state(store, target)
    _refuse_unless(_may_act(actor, case), audit, actor, "case.status", case.case_id)
    reason = (reason or "").strip() or None
    note = (note or "").strip() or None
    _check_status(case, new_status, expected_status, reason, note)
    return CaseRequest(
        "case.status",
        case.case_id,
        actor.name,
        actor.role.value,
        to=new_status,
        expected_status=expected_status or case.status,
        reason=reason,
        note=note,
    )


def request_assign(store: Store, audit: AuditLog, target: str, assignee: str, actor: User) -> CaseRequest:
    """Check an assignment (admins only) and return the request to :func:`submit`."""
    actor = _require_actor(actor)
    case = case_state(store, target)
    _refuse_unless(can_assign(actor), audit, actor, "case.assign", case.case_id)
    assignee = (assignee or "").strip()
    if not assignee:
        raise CaseError("err_assignee", "an assignment needs an assignee")
    return CaseRequest("case.assign", case.case_id, actor.name, actor.role.value, to=assignee)


def request_note(store: Store, audit: AuditLog, target: str, text: str, actor: User) -> CaseRequest:
    """Check a note (an admin or the case's assignee) and return the request to :func:`submit`."""
    actor = _require_actor(actor)
    case = case_state(store, target)
    _refuse_unless(_may_act(actor, case), audit, actor, "case.note", case.case_id)
    text = (text or "").strip()
    if not text:
        raise CaseError("err_note", "a note cannot be empty")
    return CaseRequest("case.note", case.case_id, actor.name, actor.role.value, note=text)


# ---- recording and applying ---------------------------------------------------------------------------
def _apply_lock(audit: AuditLog) -> Any:
    return exclusive_lock(audit.folder / "case-actions.lock")


def _outcomes(entries: Iterable[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """Action id -> the entry that applied or refused it."""
    out: dict[str, Mapping[str, Any]] = {}
    for entry in entries:
        if entry.get("action") in (*CASE_ACTIONS, REFUSED_ACTION):
            action_id = (entry.get("details") or {}).get("action_id")
            if action_id:
                out[str(action_id)] = entry
    return out


def pending_requests(
    audit: AuditLog, entries: Sequence[Mapping[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """Requests in the trail that are neither applied nor refused yet, oldest first."""
    entries = audit.entries() if entries is None else entries
    done = _outcomes(entries)
    return [
        dict(e)
        for e in entries
        if e.get("action") == REQUEST_ACTION and (e.get("details") or {}).get("action_id") not in done
    ]


def _error_from(entry: Mapping[str, Any]) -> CaseError | AccessDenied:
    details = entry.get("details") or {}
    if details.get("code") == "err_access":
        return AccessDenied(str(details.get("message", "")))
    values = dict(details.get("values") or {})
    return CaseError(str(details.get("code", "err_refused")), str(details.get("message", "")), **values)


def outcome_of(audit: AuditLog, action_id: str) -> Outcome:
    """What became of the request ``action_id``."""
    entry = _outcomes(audit.entries()).get(action_id)
    if entry is None:
        return Outcome(action_id, "pending")
    if entry.get("action") == REFUSED_ACTION:
        return Outcome(action_id, "refused", entry, _error_from(entry))
    return Outcome(action_id, "applied", entry)


def _apply(
    store: Store, audit: AuditLog, request: CaseRequest, requested: Mapping[str, Any]
) -> dict[str, Any]:
    """Apply one request to the store and the trail; raises CaseError / AccessDenied if it no longer holds."""
    actor = User(request.actor, Role(request.role))
    case = case_state(store, request.case_id)
    base = {
        "action_id": request.action_id,
        "case_id": case.case_id,
        "requested_at": requested.get("at"),
        "request_seq": requested.get("seq"),
    }
    if case.case_id != request.case_id:
        base["requested_case_id"] = request.case_id
    if request.action == "case.assign":
        if not can_assign(actor):
            raise AccessDenied(f"{actor.name} ({actor.role.value}) may not assign {case.case_id}")
        details = base | {"from": case.assignee, "to": request.to}
        return _write(store, audit, case, case.status, request.to, "case.assign", details, actor)
    if not _may_act(actor, case):
        raise AccessDenied(f"{actor.name} ({actor.role.value}) may no longer act on {case.case_id}")
    if request.action == "case.note":
        return audit.append("case.note", base | {"note": request.note}, actor=actor.name)
    if case.case_id != request.case_id and case.status != request.expected_status:
        raise CaseError(
            "err_merged",
            f"case {request.case_id} was merged into {case.case_id}, which is {case.status!r}",
            case_id=request.case_id,
            into=case.case_id,
            status=case.status,
        )
    _check_status(case, str(request.to), request.expected_status, request.reason, request.note)
    details = base | {"from": case.status, "to": request.to, "reason": request.reason, "note": request.note}
    return _write(store, audit, case, str(request.to), None, "case.status", details, actor)


def _write(
    store: Store,
    audit: AuditLog,
    case: CaseState,
    status: str,
    assignee: str | None,
    action: str,
    details: dict[str, Any],
    actor: User,
) -> dict[str, Any]:
    try:
        # the status the checks read must still hold when the change is made
        set_case_state(store, case.case_id, status, assignee, expected_status=case.status)
    except CaseStatusConflict as exc:
        raise CaseError(
            "err_changed", f"case {case.case_id} is now {exc.actual!r}", status=exc.actual
        ) from exc
    try:
        return audit.append(action, details, actor=actor.name)
    except Exception:
        # A change the trail does not show must not stay in the store.
        set_case_state(
            store, case.case_id, case.status, (case.assignee or "") if assignee is not None else None
        )
        raise


def apply_pending(store: Store, audit: AuditLog) -> list[Outcome]:
    """Apply every pending request in the order it was made, with ``store`` open for writing.

    A request that no longer holds is refused and the refusal recorded; each request is applied
    or refused once (a file lock keeps two writers from both applying it)."""
    outcomes: list[Outcome] = []
    with _apply_lock(audit):
        for requested in pending_requests(audit):
            request = CaseRequest.from_entry(requested)
            try:
                entry = _apply(store, audit, request, requested)
            except (CaseError, AccessDenied) as exc:
                code = exc.code if isinstance(exc, CaseError) else "err_access"
                values = dict(exc.values) if isinstance(exc, CaseError) else {}
                refusal = audit.append(
                    REFUSED_ACTION,
                    {
                        "action_id": request.action_id,
                        "case_id": request.case_id,
                        "request_seq": requested.get("seq"),
                        "code": code,
                        "message": str(exc),
                        "values": values,
                    },
                    actor=request.actor,
                )
                outcomes.append(Outcome(request.action_id, "refused", refusal, exc))
                continue
            outcomes.append(Outcome(request.action_id, "applied", entry))
    return outcomes


def submit(audit: AuditLog, request: CaseRequest, write: Callable[[Callable[[Store], Any]], Any]) -> Outcome:
    """Record ``request`` in the trail, then apply what is pending through ``write`` (which opens
    the store for writing and runs its argument on it). When the store's writer is busy (a
    detector run holds the embedded store's lock), the request stays pending: it is recorded,
    and the run applies it between detectors and at its end, or the app at its next write."""
    audit.append(REQUEST_ACTION, request.details(), actor=request.actor)
    try:
        write(lambda store: apply_pending(store, audit))
    except StoreUnavailable:
        return Outcome(request.action_id, "pending")
    return outcome_of(audit, request.action_id)


def _done(outcome: Outcome) -> dict[str, Any]:
    if outcome.state == "refused" and outcome.error is not None:
        raise outcome.error
    return dict(outcome.entry or {})


def change_status(
    store: Store,
    audit: AuditLog,
    target: str,
    new_status: str,
    actor: User,
    *,
    reason: str | None = None,
    note: str | None = None,
    expected_status: str | None = None,
) -> dict[str, Any]:
    """Move a case along the workflow with ``store`` open for writing; returns the trail entry.

    ``target`` is a case id or the id of one of its alerts. ``actor`` must be an admin or the
    case's assignee (:class:`AccessDenied` otherwise). A dismissal needs ``reason``; remediation
    (销号) needs ``note`` saying what was done. ``expected_status`` is the status the person
    saw: if someone else moved the case meanwhile, nothing changes and :class:`CaseError` says so.
    """
    request = request_status(
        store, audit, target, new_status, actor, reason=reason, note=note, expected_status=expected_status
    )
    return _done(submit(audit, request, lambda work: work(store)))


def change_statuses(
    store: Store,
    audit: AuditLog,
    case_ids: Sequence[str],
    new_status: str,
    actor: User,
    *,
    reason: str | None = None,
    note: str | None = None,
) -> list[dict[str, Any]]:
    """Move many cases to ``new_status`` at once (a reviewer dismissing a page of the queue with
    one reason), with ``store`` open for writing; returns the trail entries, one per case.

    Each case is checked as :func:`change_status` checks it (the role, the workflow, a reason
    for a dismissal, a note for 销号), all before anything is recorded, so one case that may
    not move stops them all. Each case gets its own ``case.request`` and ``case.status``
    entries, as one by one; the store moves them in one transaction. When other people's
    requests are waiting, or the store's writer is busy, they are applied one by one in the
    order they were made (:func:`apply_pending`)."""
    actor = _require_actor(actor)
    reason = (reason or "").strip() or None
    note = (note or "").strip() or None
    known = read_cases(store).set_index("case_id")
    requests = []
    for case_id in dict.fromkeys(case_ids):
        if case_id not in known.index:
            raise CaseError("err_unknown_alert", f"no case with id {case_id!r}", alert_id=case_id)
        record = known.loc[case_id]
        if isinstance(record["merged_into"], str) and record["merged_into"]:
            raise CaseError(
                "err_merged",
                f"case {case_id} was merged into {record['merged_into']}",
                case_id=case_id,
                into=record["merged_into"],
                status=str(record["status"]),
            )
        assignee = record["assignee"] if isinstance(record["assignee"], str) and record["assignee"] else None
        case = CaseState(case_id, str(record["status"]), assignee, pd.DataFrame())
        may = actor.role == Role.ADMIN or (actor.role == Role.INVESTIGATOR and assignee == actor.name)
        _refuse_unless(may, audit, actor, "case.status", case_id)
        _check_status(case, new_status, None, reason, note)
        requests.append(
            CaseRequest(
                "case.status",
                case_id,
                actor.name,
                actor.role.value,
                to=new_status,
                expected_status=case.status,
                reason=reason,
                note=note,
            )
        )
    if not requests:
        return []
    recorded = audit.append_many([(REQUEST_ACTION, r.details(), r.actor) for r in requests])
    mine = {r.action_id for r in requests}
    with _apply_lock(audit):
        waiting = pending_requests(audit)
        if {str((e.get("details") or {}).get("action_id")) for e in waiting} == mine:
            try:
                store.set_case_states({r.case_id: str(r.expected_status) for r in requests}, new_status)
            except (CaseStatusConflict, StoreUnavailable):
                pass  # a case moved meanwhile, or the writer is busy: one by one below
            else:
                try:
                    return _record_applied(audit, requests, recorded, new_status, actor)
                except Exception:
                    # changes the trail does not show must not stay in the store
                    by_status: dict[str, dict[str, str]] = {}
                    for r in requests:
                        by_status.setdefault(str(r.expected_status), {})[r.case_id] = new_status
                    for status, cases in by_status.items():
                        store.set_case_states(cases, status)
                    raise
    with contextlib.suppress(StoreUnavailable):
        apply_pending(store, audit)
    outcomes = [outcome_of(audit, r.action_id) for r in requests]
    return [_done(o) for o in outcomes if o.state != "pending"]


def _record_applied(
    audit: AuditLog,
    requests: Sequence[CaseRequest],
    recorded: Sequence[Mapping[str, Any]],
    new_status: str,
    actor: User,
) -> list[dict[str, Any]]:
    """The ``case.status`` entries of requests applied together, as :func:`_apply` writes them."""
    return audit.append_many(
        [
            (
                "case.status",
                {
                    "action_id": r.action_id,
                    "case_id": r.case_id,
                    "requested_at": entry.get("at"),
                    "request_seq": entry.get("seq"),
                    "from": r.expected_status,
                    "to": new_status,
                    "reason": r.reason,
                    "note": r.note,
                },
                actor.name,
            )
            for r, entry in zip(requests, recorded, strict=True)
        ]
    )


def assign(store: Store, audit: AuditLog, target: str, assignee: str, actor: User) -> dict[str, Any]:
    """Give the case to ``assignee`` and record who did it; only an admin may (:class:`AccessDenied`)."""
    request = request_assign(store, audit, target, assignee, actor)
    return _done(submit(audit, request, lambda work: work(store)))


def add_note(store: Store, audit: AuditLog, target: str, text: str, actor: User) -> dict[str, Any]:
    """Add a note to the case (the store is not changed; the note lives in the trail).

    ``actor`` must be an admin or the case's assignee (:class:`AccessDenied` otherwise)."""
    request = request_note(store, audit, target, text, actor)
    return _done(submit(audit, request, lambda work: work(store)))


# ---- grouping after a detector run ------------------------------------------------------------------
def _history_counts(entries: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for entry in entries:
        if entry.get("action") in (*CASE_ACTIONS, *GROUPING_ACTIONS):
            case_id = (entry.get("details") or {}).get("case_id")
            if isinstance(case_id, str):
                counts[case_id] = counts.get(case_id, 0) + 1
    return counts


def update_cases(
    store: Store,
    audit: AuditLog | None,
    family_of: Mapping[str, str],
    seen_at: datetime,
    renewed: Iterable[str] = (),
    params: Any = None,
) -> Any:
    """Group the store's alerts into cases (keeping the ids of the last run's cases), write them,
    and record merges, splits and re-openings in the trail. Returns the
    :class:`detectors.case_grouping.CasePlan`."""
    from detectors.case_grouping import PriorCase, group_alerts

    rows = store.alerts()
    known = read_cases(store)
    history = _history_counts(audit.entries()) if audit is not None else {}
    prior = {
        str(r.case_id): PriorCase(
            id=str(r.case_id),
            status=str(r.status),
            assignee=r.assignee if isinstance(r.assignee, str) and r.assignee else None,
            first_seen=r.first_seen,
            history=history.get(str(r.case_id), 0),
        )
        for r in known.itertuples(index=False)
        if not (isinstance(r.merged_into, str) and r.merged_into)
    }
    plan = group_alerts(rows, family_of, prior, params=params, renewed=renewed)
    write_cases(store, [*plan.cases, *plan.merged], plan.merged_into, seen_at)
    if audit is not None:
        for event in plan.events:
            if event.kind != "new":
                audit.append(f"case.{event.kind}", dict(event.details), actor="sunlight")
    return plan


# ---- history ------------------------------------------------------------------------------------------
def case_history(audit: AuditLog, case_id: str, aliases: Iterable[str] = ()) -> list[CaseAction]:
    """Everything recorded about ``case_id``, oldest first: applied actions, pending and refused
    requests, merges, splits and re-openings. ``aliases`` are other ids whose entries belong to
    it: cases merged into it, and its alerts (entries from before alerts had cases)."""
    names = {case_id, *aliases}
    entries = audit.entries()
    done = _outcomes(entries)
    out = []
    for entry in entries:
        action = entry.get("action")
        details = entry.get("details") or {}
        about = details.get("case_id") or details.get("alert_id")
        if about not in names and details.get("merged") not in names:
            continue
        if action in (*CASE_ACTIONS, *GROUPING_ACTIONS):
            state = "applied"
        elif action == REQUEST_ACTION:
            if details.get("action_id") in done:
                continue  # shown by its outcome
            state = "pending"
        elif action == REFUSED_ACTION:
            state = "refused"
        else:
            continue
        out.append(
            CaseAction(
                at=str(details.get("requested_at") or entry.get("at", "")),
                actor=str(entry.get("actor", "")),
                action=str(action),
                case_id=str(about),
                details=details,
                state=state,
            )
        )
    return out


HISTORY_COLUMNS = ["at", "actor", "action", "state", "from", "to", "reason", "note"]


def history_frame(audit: AuditLog, case_id: str, aliases: Iterable[str] = ()) -> pd.DataFrame:
    """:func:`case_history` as a table: at, actor, action, state, from, to, reason, note."""
    rows = []
    for a in case_history(audit, case_id, aliases):
        d = a.details
        action = str(d.get("request")) if a.action == REQUEST_ACTION else a.action
        note = d.get("note")
        if a.action == REFUSED_ACTION:
            note = d.get("message")
        elif a.action == "case.merge":
            note = d.get("merged")
        elif a.action == "case.split":
            note = d.get("split_from")
        rows.append(
            {
                "at": a.at,
                "actor": a.actor,
                "action": action,
                "state": a.state,
                "from": d.get("from"),
                "to": d.get("to"),
                "reason": d.get("reason"),
                "note": note,
            }
        )
    # object columns: pandas would store a missing value beside text as NaN, which reads as a value
    return pd.DataFrame(rows, columns=HISTORY_COLUMNS, dtype=object)

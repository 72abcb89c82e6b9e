"""Notifications after a run: e-mail (SMTP) to the people each alert concerns, and a webhook.

Only alerts at or above ``min_level`` that are new, escalated or carry new evidence are
announced. The message is bilingual, Chinese first. Personal identifiers never appear in
it: alerts are named by id, title and explanation.

Who receives what is layered, as an organisation escalates (run config, ``notify``)::

    recipients:                       # the people, by role (any name) and department
      - {name: 王经理, email: wang@corp, role: purchasing_manager}
      - {name: 审计部, email: audit@corp, role: audit}
      - {name: 李主管, email: li@corp, role: purchasing_supervisor}
      - {name: 张主任, email: zhang@corp, role: department_head, department: D01, employee_id: E001}
    routes:                           # which alerts go to which roles
      - {roles: [purchasing_manager, audit], levels: [high]}
      - {roles: [purchasing_supervisor], levels: [medium]}
      - {roles: [department_head], levels: [high, medium], own_department: true}
      - {roles: [audit], levels: [medium], families: [relationship]}

A route matches an alert by its level, and optionally its detector family; with
``own_department`` a recipient receives only the alerts that touch their ``department``
(the departments of the alert's staff, of the departments it flags and of its
contracts' buyers — as the app's queue shows them). Nobody receives an alert that names
them (``employee_id``): a department head is not told of an alert about themself. Each
address gets one digest per run with every alert routed to it; ``email.to`` (optional
once routes exist) still receives every announced alert. Unknown keys, unknown levels,
families and roles are errors.
"""

from __future__ import annotations

import json
import os
import smtplib
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from detectors.base import FAMILIES
from sunlight.realert import AlertChange

__all__ = [
    "AlertScope",
    "EmailSettings",
    "NotifyConfigError",
    "NotifySettings",
    "Recipient",
    "Route",
    "WebhookSettings",
    "alert_scopes",
    "notification_payload",
    "notify_settings",
    "plan_deliveries",
    "send_notifications",
]

_LEVEL_RANK = {"low": 0, "medium": 1, "high": 2}
_KIND_ZH = {"new": "新增", "escalated": "升级", "new_evidence": "新证据"}


class NotifyConfigError(ValueError):
    """The ``notify`` section names an unknown key, level, family or role, or lacks something."""


@dataclass(frozen=True)
class EmailSettings:
    host: str
    to: tuple[str, ...] = ()  # receives every announced alert
    sender: str = "sunlight@localhost"
    port: int = 25
    starttls: bool = False
    username: str | None = None
    password_env: str | None = (
        None  # the password is read from this environment variable, never from the file
    )
    timeout_seconds: float = 30.0


@dataclass(frozen=True)
class WebhookSettings:
    url: str
    timeout_seconds: float = 10.0
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Recipient:
    """A person (or a department's shared mailbox) who may receive alerts."""

    name: str
    email: str
    role: str
    department: str | None = None  # their own department (id as in the data), for own_department routes
    employee_id: str | None = None  # who they are in the data: alerts naming them are not sent to them


@dataclass(frozen=True)
class Route:
    """Alerts of ``levels`` (and of ``families``, when given) go to every recipient of ``roles``;
    with ``own_department``, only those that touch the recipient's department."""

    roles: tuple[str, ...]
    levels: tuple[str, ...] = ("low", "medium", "high")
    families: tuple[str, ...] = ()
    own_department: bool = False


@dataclass(frozen=True)
class NotifySettings:
    min_level: str = "high"
    email: EmailSettings | None = None
    webhook: WebhookSettings | None = None
    recipients: tuple[Recipient, ...] = ()
    routes: tuple[Route, ...] = ()


@dataclass(frozen=True)
class AlertScope:
    """Where an alert belongs, for routing: its departments, detector family and flagged entities."""

    departments: tuple[str, ...] = ()
    family: str = ""
    entities: tuple[str, ...] = ()


def _selected(changes: Sequence[AlertChange], min_level: str) -> list[AlertChange]:
    floor = _LEVEL_RANK[min_level]
    return [c for c in changes if _LEVEL_RANK.get(c.alert.level, 0) >= floor]


def _routed_to(recipient: Recipient, route: Route, change: AlertChange, scope: AlertScope) -> bool:
    if recipient.role not in route.roles or change.alert.level not in route.levels:
        return False
    if route.families and scope.family not in route.families:
        return False
    if route.own_department and recipient.department not in scope.departments:
        return False
    # nobody is told of an alert about themself (the audit department still is)
    return not (recipient.employee_id and f"employee:{recipient.employee_id}" in scope.entities)


def plan_deliveries(
    settings: NotifySettings, changes: Sequence[AlertChange], scopes: Mapping[str, AlertScope]
) -> dict[str, list[AlertChange]]:
    """Address -> the announced alerts its digest carries, in the order of ``changes``.

    ``scopes`` says where each alert belongs (:func:`alert_scopes`); an alert without one matches
    only routes that ask neither a family nor a department.
    """
    chosen = _selected(changes, settings.min_level)
    out: dict[str, list[AlertChange]] = {}
    if settings.email is not None:
        for address in settings.email.to:
            out.setdefault(address, []).extend(chosen)
    for change in chosen:
        scope = scopes.get(change.alert.id, AlertScope())
        for recipient in settings.recipients:
            if any(_routed_to(recipient, route, change, scope) for route in settings.routes):
                digest = out.setdefault(recipient.email, [])
                if change not in digest:
                    digest.append(change)
    return {address: digest for address, digest in out.items() if digest}


def alert_scopes(store: Any, alert_ids: Sequence[str]) -> dict[str, AlertScope]:
    """Departments, family and entities of ``alert_ids`` as the app's alert book attributes them
    (one definition: :func:`sunlight.ui.viewmodels.build_alert_book`); reads the store's snapshot."""
    if not alert_ids:
        return {}
    from sunlight.ui import viewmodels as vm

    book = vm.build_alert_book(store.alerts(), store.snapshot(), vm.family_map())
    wanted = book.alerts[book.alerts["alert_id"].isin(set(alert_ids))]
    return {
        str(row.alert_id): AlertScope(
            departments=tuple(row.departments), family=str(row.family), entities=tuple(row.entities)
        )
        for row in wanted.itertuples(index=False)
    }


def notification_payload(run_id: str, changes: Sequence[AlertChange], min_level: str) -> dict[str, Any]:
    return _payload(run_id, _selected(changes, min_level))


def _payload(run_id: str, chosen: Sequence[AlertChange]) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "alerts": [
            {
                "alert_id": c.alert.id,
                "change": c.kind,
                "reopened": c.reopen,
                "detector": c.alert.detector,
                "level": c.alert.level,
                "grade": c.alert.grade,
                "score": c.alert.score,
                "title_zh": c.alert.title_zh,
                "title_en": c.alert.title_en,
                "explanation_zh": c.alert.explanation_zh,
                "explanation_en": c.alert.explanation_en,
            }
            for c in chosen
        ],
    }


def _email_text(payload: dict[str, Any], name: str | None = None) -> str:
    lines = [f"{name}：", ""] if name else []
    lines += [f"阳光 Sunlight 运行 {payload['run_id']}：{len(payload['alerts'])} 条预警需要关注。", ""]
    for a in payload["alerts"]:
        lines.append(f"[{a['grade']}｜{_KIND_ZH[a['change']]}] {a['alert_id']} {a['title_zh']}")
        lines.append(f"    {a['explanation_zh']}")
    lines += ["", f"Sunlight run {payload['run_id']}: {len(payload['alerts'])} alerts need attention.", ""]
    for a in payload["alerts"]:
        lines.append(f"[{a['level']} | {a['change']}] {a['alert_id']} {a['title_en']}")
        lines.append(f"    {a['explanation_en']}")
    return "\n".join(lines) + "\n"


def send_notifications(
    settings: NotifySettings,
    run_id: str,
    changes: Sequence[AlertChange],
    scopes: Mapping[str, AlertScope] | None = None,
) -> dict[str, str]:
    """Send what is configured; returns ``{channel: "sent N" | "nothing to send" | "failed: ..."}``.

    E-mail goes out as one digest per address (:func:`plan_deliveries`); ``sent N`` counts the
    alerts announced, and the outcome names how many digests carried them."""
    payload = notification_payload(run_id, changes, settings.min_level)
    outcome: dict[str, str] = {}
    if settings.email is not None:
        deliveries = plan_deliveries(settings, changes, scopes or {})
        outcome["email"] = _send_digests(settings, run_id, deliveries)
    if settings.webhook is not None:
        outcome["webhook"] = _post_webhook(settings.webhook, payload)
    return outcome


def _send_digests(settings: NotifySettings, run_id: str, deliveries: Mapping[str, list[AlertChange]]) -> str:
    cfg = settings.email
    assert cfg is not None
    if not deliveries:
        return "nothing to send"
    names = {r.email: r.name for r in settings.recipients}
    failed: list[str] = []
    try:
        with smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout_seconds) as smtp:
            if cfg.starttls:
                smtp.starttls()
            if cfg.username:
                smtp.login(cfg.username, os.environ.get(cfg.password_env or "", ""))
            for address, digest in deliveries.items():
                payload = _payload(run_id, digest)
                message = EmailMessage()
                message["Subject"] = f"阳光预警 Sunlight alerts: {len(digest)}"
                message["From"] = cfg.sender
                message["To"] = address  # one digest each: nobody sees who else was told what
                message.set_content(_email_text(payload, names.get(address)))
                try:
                    smtp.send_message(message)
                except smtplib.SMTPRecipientsRefused as exc:
                    failed.append(f"{address}: {exc.recipients.get(address, exc)}")
    except (OSError, smtplib.SMTPException) as exc:
        return f"failed: SMTP {cfg.host}:{cfg.port}: {exc}"
    announced = len({c.alert.id for digest in deliveries.values() for c in digest})
    if failed:
        return f"failed: SMTP {cfg.host}:{cfg.port} refused " + "; ".join(failed)
    return f"sent {announced} in {len(deliveries)} digest{'s' if len(deliveries) != 1 else ''}"


def _post_webhook(cfg: WebhookSettings, payload: dict[str, Any]) -> str:
    if not payload["alerts"]:
        return "nothing to send"
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(
        cfg.url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", **cfg.headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=cfg.timeout_seconds) as response:
            status = response.status
    except OSError as exc:
        return f"failed: POST {cfg.url}: {exc}"
    if not 200 <= status < 300:
        return f"failed: POST {cfg.url}: HTTP {status}"
    return f"sent {len(payload['alerts'])}"


# ---- the `notify` section of the run config ----------------------------------------------------
_LEVELS = ("low", "medium", "high")


def _check_keys(section: Any, allowed: set[str], where: str) -> Mapping[str, Any]:
    if not isinstance(section, Mapping):
        raise NotifyConfigError(f"{where}: expected a mapping of settings")
    unknown = sorted(set(section) - allowed)
    if unknown:
        raise NotifyConfigError(
            f"{where}: unknown key {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}"
        )
    return section


def _names(value: Any, where: str, known: Sequence[str] | None = None) -> tuple[str, ...]:
    """A name or a list of names; each one of ``known`` when given."""
    items = value if isinstance(value, list) else [value]
    names = tuple(str(v).strip() for v in items if v is not None and str(v).strip())
    if known is not None:
        wrong = [n for n in names if n not in known]
        if wrong:
            raise NotifyConfigError(f"{where}: unknown {', '.join(wrong)}; known: {', '.join(known)}")
    return names


def _email_settings(e: Any, where: str) -> EmailSettings:
    allowed = {"host", "port", "from", "to", "starttls", "username", "password_env", "timeout_seconds"}
    e = _check_keys(e, allowed, where)
    if not e.get("host"):
        raise NotifyConfigError(f"{where} needs host")
    return EmailSettings(
        host=str(e["host"]),
        to=_names(e.get("to") or [], f"{where}.to"),
        sender=str(e.get("from", "sunlight@localhost")),
        port=int(e.get("port", 25)),
        starttls=bool(e.get("starttls", False)),
        username=e.get("username"),
        password_env=e.get("password_env"),
        timeout_seconds=float(e.get("timeout_seconds", 30)),
    )


def _recipient(doc: Any, where: str) -> Recipient:
    doc = _check_keys(doc, {"name", "email", "role", "department", "employee_id"}, where)
    missing = [k for k in ("name", "email", "role") if not str(doc.get(k) or "").strip()]
    if missing:
        raise NotifyConfigError(f"{where} needs {', '.join(missing)}")
    if "@" not in str(doc["email"]):
        raise NotifyConfigError(f"{where}.email: {doc['email']!r} is not an e-mail address")
    return Recipient(
        name=str(doc["name"]).strip(),
        email=str(doc["email"]).strip(),
        role=str(doc["role"]).strip(),
        department=str(doc["department"]).strip() if doc.get("department") else None,
        employee_id=str(doc["employee_id"]).strip() if doc.get("employee_id") else None,
    )


def _route(doc: Any, where: str, recipients: Sequence[Recipient]) -> Route:
    doc = _check_keys(doc, {"roles", "levels", "families", "own_department"}, where)
    roles = _names(doc.get("roles"), f"{where}.roles", sorted({r.role for r in recipients}))
    if not roles:
        raise NotifyConfigError(f"{where} needs roles")
    route = Route(
        roles=roles,
        levels=_names(doc.get("levels") or list(_LEVELS), f"{where}.levels", _LEVELS),
        families=_names(doc.get("families") or [], f"{where}.families", list(FAMILIES)),
        own_department=bool(doc.get("own_department", False)),
    )
    if route.own_department:
        without = [r.name for r in recipients if r.role in roles and not r.department]
        if without:
            raise NotifyConfigError(
                f"{where}: own_department, but no department is given for {', '.join(without)}"
            )
    return route


def notify_settings(doc: Any, where: str) -> NotifySettings:
    """The ``notify`` section of a run config, checked; ``where`` names it in messages."""
    doc = _check_keys(
        doc or {}, {"min_level", "email", "webhook", "recipients", "routes"}, f"{where}: notify"
    )
    min_level = doc.get("min_level", "high")
    if min_level not in _LEVELS:
        raise NotifyConfigError(f"{where}: notify.min_level must be low, medium or high")
    recipients = tuple(
        _recipient(r, f"{where}: notify.recipients[{i}]")
        for i, r in enumerate(doc.get("recipients") or [], start=1)
    )
    routes = tuple(
        _route(r, f"{where}: notify.routes[{i}]", recipients)
        for i, r in enumerate(doc.get("routes") or [], start=1)
    )
    if recipients and not routes:
        raise NotifyConfigError(f"{where}: notify.recipients need routes saying which alerts they receive")
    email = _email_settings(doc["email"], f"{where}: notify.email") if doc.get("email") else None
    if email is None and recipients:
        raise NotifyConfigError(f"{where}: notify.recipients need notify.email (the SMTP server)")
    if email is not None and not email.to and not routes:
        raise NotifyConfigError(f"{where}: notify.email needs to, or recipients and routes")
    webhook = None
    if doc.get("webhook"):
        w = _check_keys(doc["webhook"], {"url", "timeout_seconds", "headers"}, f"{where}: notify.webhook")
        if not w.get("url"):
            raise NotifyConfigError(f"{where}: notify.webhook needs url")
        webhook = WebhookSettings(
            url=str(w["url"]),
            timeout_seconds=float(w.get("timeout_seconds", 10)),
            headers=dict(w.get("headers") or {}),
        )
    return NotifySettings(
        min_level=min_level, email=email, webhook=webhook, recipients=recipients, routes=routes
    )

"""Notifications after a run: e-mail (SMTP) and a webhook (HTTP POST of JSON).

Only alerts at or above the configured level that are new, escalated or carry
new evidence are sent. The message is bilingual, Chinese first. Personal
identifiers never appear in it: alerts are named by id, title and explanation.
"""

from __future__ import annotations

import json
import os
import smtplib
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from sunlight.realert import AlertChange

__all__ = ["EmailSettings", "NotifySettings", "WebhookSettings", "notification_payload", "send_notifications"]

_LEVEL_RANK = {"low": 0, "medium": 1, "high": 2}
_KIND_ZH = {"new": "新增", "escalated": "升级", "new_evidence": "新证据"}


@dataclass(frozen=True)
class EmailSettings:
    host: str
    to: tuple[str, ...]
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
class NotifySettings:
    min_level: str = "high"
    email: EmailSettings | None = None
    webhook: WebhookSettings | None = None


def _selected(changes: Sequence[AlertChange], min_level: str) -> list[AlertChange]:
    floor = _LEVEL_RANK[min_level]
    return [c for c in changes if _LEVEL_RANK.get(c.alert.level, 0) >= floor]


def notification_payload(run_id: str, changes: Sequence[AlertChange], min_level: str) -> dict[str, Any]:
    chosen = _selected(changes, min_level)
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


def _email_text(payload: dict[str, Any]) -> str:
    lines = [f"阳光 Sunlight 运行 {payload['run_id']}：{len(payload['alerts'])} 条预警需要关注。", ""]
    for a in payload["alerts"]:
        lines.append(f"[{a['grade']}｜{_KIND_ZH[a['change']]}] {a['alert_id']} {a['title_zh']}")
        lines.append(f"    {a['explanation_zh']}")
    lines += ["", f"Sunlight run {payload['run_id']}: {len(payload['alerts'])} alerts need attention.", ""]
    for a in payload["alerts"]:
        lines.append(f"[{a['level']} | {a['change']}] {a['alert_id']} {a['title_en']}")
        lines.append(f"    {a['explanation_en']}")
    return "\n".join(lines) + "\n"


def send_notifications(
    settings: NotifySettings, run_id: str, changes: Sequence[AlertChange]
) -> dict[str, str]:
    """Send what is configured; returns ``{channel: "sent N" | "nothing to send" | "failed: ..."}``."""
    payload = notification_payload(run_id, changes, settings.min_level)
    outcome: dict[str, str] = {}
    if settings.email is not None:
        outcome["email"] = _send_email(settings.email, payload)
    if settings.webhook is not None:
        outcome["webhook"] = _post_webhook(settings.webhook, payload)
    return outcome


def _send_email(cfg: EmailSettings, payload: dict[str, Any]) -> str:
    if not payload["alerts"]:
        return "nothing to send"
    message = EmailMessage()
    message["Subject"] = f"阳光预警 Sunlight alerts: {len(payload['alerts'])}"
    message["From"] = cfg.sender
    message["To"] = ", ".join(cfg.to)
    message.set_content(_email_text(payload))
    try:
        with smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout_seconds) as smtp:
            if cfg.starttls:
                smtp.starttls()
            if cfg.username:
                smtp.login(cfg.username, os.environ.get(cfg.password_env or "", ""))
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        return f"failed: SMTP {cfg.host}:{cfg.port}: {exc}"
    return f"sent {len(payload['alerts'])}"


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

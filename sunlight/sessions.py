"""Signed-in sessions that outlive a browser tab, kept and revoked on the server (docs/security.md).

A session is a random 256-bit id. The browser holds it in the ``sunlight_session`` cookie —
``HttpOnly`` (no script reads it), ``SameSite=Strict`` (no other site's page sends it), ``Secure`` when
the app is reached over HTTPS, and signed with HMAC-SHA256 under a key that exists only on the server
(``session.key`` beside ``users.json``, mode 0600, made on first use; delete it to end every session).
The server keeps ``sessions.json`` (mode 0600) with the SHA-256 of each id — never the id — and whose
it is, when it started and when it was last used. A session ends when it is signed out (anywhere:
every tab shares it), when it has been idle ``idle_minutes``, after ``max_hours`` in any case, or when
its account is disabled or removed (:meth:`SessionStore.end_all`); the app then records
``auth.logout``, ``auth.session_expired`` or ``auth.session_revoked``.

Streamlit's page scripts cannot set a cookie: they run over a websocket. After a sign-in the app
issues a *ticket* — single use, valid :data:`TICKET_SECONDS`, held in this process only — and the page
fetches ``/_sunlight/session?ticket=…`` (:mod:`sunlight.ui.http`), whose answer sets the cookie. On a
reload or in a new tab the websocket's request carries the cookie (``st.context.cookies``), and the
app resumes the session after checking it here.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sunlight.audit import exclusive_lock, write_private_json

__all__ = [
    "COOKIE_NAME",
    "KEY_FILENAME",
    "SESSIONS_FILENAME",
    "TICKET_SECONDS",
    "Session",
    "SessionSettings",
    "SessionStore",
    "issue_ticket",
    "redeem_ticket",
    "ticket_redeemed",
]

COOKIE_NAME = "sunlight_session"
SESSIONS_FILENAME = "sessions.json"
KEY_FILENAME = "session.key"
#: Seconds a ticket can be exchanged for the cookie (the page fetches it at once).
TICKET_SECONDS = 120


@dataclass(frozen=True)
class SessionSettings:
    """How long a session lasts (``session:`` in ``auth.yaml``)."""

    #: minutes without a page run after which a session ends
    idle_minutes: float = 30.0
    #: hours after signing in after which a session ends however busy
    max_hours: float = 12.0
    #: seconds between two writes of a session's last use (a page run inside this costs no write)
    touch_every_seconds: float = 60.0

    KEYS = ("idle_minutes", "max_hours", "touch_every_seconds")


@dataclass(frozen=True)
class Session:
    """One signed-in session as the server keeps it (``ref`` names it in the trail, not the id)."""

    ref: str
    name: str
    via: str
    started: float
    last_seen: float
    client: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("ascii")).hexdigest()


class SessionStore:
    """The sessions of one store folder; ``clock`` gives seconds (``time.time``)."""

    def __init__(
        self,
        folder: str | os.PathLike[str],
        settings: SessionSettings | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.folder = Path(folder)
        self.settings = settings or SessionSettings()
        self.path = self.folder / SESSIONS_FILENAME
        self.key_path = self.folder / KEY_FILENAME
        self._lock_path = self.folder / "sessions.lock"
        self._clock = clock

    # -- the key and the cookie --
    def _key(self) -> bytes:
        try:
            return self.key_path.read_bytes()
        except FileNotFoundError:
            pass
        with self._locked():
            if not self.key_path.exists():
                self.folder.mkdir(parents=True, exist_ok=True)
                descriptor = os.open(self.key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(descriptor, "wb") as handle:
                    handle.write(secrets.token_bytes(32))
            return self.key_path.read_bytes()

    def cookie_value(self, session_id: str) -> str:
        """What the cookie holds: the id and its signature under the server's key."""
        signature = hmac.new(self._key(), session_id.encode("ascii"), hashlib.sha256).hexdigest()
        return f"v1.{session_id}.{signature}"

    def session_id(self, cookie: object) -> str | None:
        """The id a cookie carries if its signature is right under this server's key, else ``None``."""
        if not isinstance(cookie, str):
            return None
        version, _, rest = cookie.partition(".")
        session_id, _, signature = rest.partition(".")
        if version != "v1" or not session_id or not signature or not session_id.isalnum():
            return None
        expected = hmac.new(self._key(), session_id.encode("ascii"), hashlib.sha256).hexdigest()
        return session_id if hmac.compare_digest(expected, signature) else None

    # -- the file --
    def _locked(self) -> AbstractContextManager[None]:
        return exclusive_lock(self._lock_path)

    def _read(self) -> dict[str, dict[str, Any]]:
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
            return {str(k): dict(v) for k, v in doc.get("sessions", {}).items()}
        except FileNotFoundError:
            return {}
        except (json.JSONDecodeError, AttributeError, TypeError, ValueError):
            return {}  # a damaged file ends every session rather than trusting any of them

    def _write(self, sessions: dict[str, dict[str, Any]]) -> None:
        write_private_json(self.path, {"format": 1, "sessions": sessions})

    def _ended(self, entry: dict[str, Any], now: float) -> str | None:
        if now - float(entry["last_seen"]) > self.settings.idle_minutes * 60:
            return "idle"
        if now - float(entry["started"]) > self.settings.max_hours * 3600:
            return "max_age"
        return None

    @staticmethod
    def _session(entry: dict[str, Any]) -> Session:
        return Session(**{k: entry[k] for k in Session.__dataclass_fields__ if k in entry})

    # -- the life of a session --
    def start(self, name: str, via: str, client: str | None = None, **extra: Any) -> tuple[str, Session]:
        """A new session for account ``name`` signed in ``via`` a mode: its id (for the cookie) and record."""
        session_id = secrets.token_hex(32)
        now = self._clock()
        digest = _digest(session_id)
        session = Session(
            ref=digest[:12], name=name, via=via, started=now, last_seen=now, client=client, extra=extra
        )
        with self._locked():
            sessions = self._read()
            sessions = {k: v for k, v in sessions.items() if self._ended(v, now) is None}
            sessions[digest] = asdict(session)
            self._write(sessions)
        return session_id, session

    def resume(self, session_id: str) -> tuple[Session | None, str | None]:
        """The session and ``None`` if it is alive (its last use noted); else ``None`` and why not:
        ``unknown`` (signed out, revoked, never existed) or ``idle`` / ``max_age`` (now ended)."""
        digest = _digest(session_id)
        now = self._clock()
        entry = self._read().get(digest)
        if entry is None:
            return None, "unknown"
        ended = self._ended(entry, now)
        if ended is not None:
            self.end(session_id)
            return self._session(entry), ended
        if now - float(entry["last_seen"]) >= self.settings.touch_every_seconds:
            with self._locked():
                sessions = self._read()
                if digest in sessions:
                    sessions[digest]["last_seen"] = now
                    self._write(sessions)
        return self._session(entry), None

    def end(self, session_id: str) -> Session | None:
        """End one session (signing out); the ended session, or ``None`` if it was not there."""
        digest = _digest(session_id)
        with self._locked():
            sessions = self._read()
            entry = sessions.pop(digest, None)
            if entry is not None:
                self._write(sessions)
        return None if entry is None else self._session(entry)

    def end_all(self, name: str) -> list[Session]:
        """End every session of account ``name`` (disabled, removed, or its password changed)."""
        with self._locked():
            sessions = self._read()
            ended = [self._session(v) for v in sessions.values() if v.get("name") == name]
            if ended:
                self._write({k: v for k, v in sessions.items() if v.get("name") != name})
        return ended

    def active(self) -> list[Session]:
        """Sessions that have not ended, oldest first."""
        now = self._clock()
        alive = [self._session(v) for v in self._read().values() if self._ended(v, now) is None]
        return sorted(alive, key=lambda s: s.started)


# ---- tickets: from a page run (websocket) to an HTTP answer that can set the cookie --------------------
_tickets: dict[str, tuple[str, float]] = {}
_redeemed: dict[str, float] = {}
_tickets_lock = threading.Lock()


def _forget_old(now: float) -> None:
    for ticket in [t for t, (_, at) in _tickets.items() if now - at > TICKET_SECONDS]:
        del _tickets[ticket]
    for ticket in [t for t, at in _redeemed.items() if now - at > TICKET_SECONDS]:
        del _redeemed[ticket]


def issue_ticket(cookie_value: str) -> str:
    """A single-use ticket that the page exchanges for the cookie ``cookie_value``."""
    ticket = secrets.token_urlsafe(32)
    now = time.monotonic()
    with _tickets_lock:
        _forget_old(now)
        _tickets[ticket] = (cookie_value, now)
    return ticket


def redeem_ticket(ticket: str) -> str | None:
    """The cookie value a ticket stands for — once, within :data:`TICKET_SECONDS`."""
    now = time.monotonic()
    with _tickets_lock:
        _forget_old(now)
        found = _tickets.pop(ticket, None)
        if found is None:
            return None
        _redeemed[ticket] = now
    return found[0]


def ticket_redeemed(ticket: str) -> bool:
    """Whether the page has fetched its cookie (the app then stops offering the ticket)."""
    with _tickets_lock:
        return ticket in _redeemed

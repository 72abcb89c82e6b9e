"""Failed sign-ins slow down, then lock: per account name and per client address (docs/security.md).

Each failure is remembered for ``window_minutes``. After the first failures of an account name, the
next attempt must wait, and the wait doubles with each further failure (1 s, 2 s, 4 s … up to
``max_delay_seconds``); at ``lock_after`` failures the name is locked for ``lock_minutes``. A client
address (the proxy's forwarded address where ``client_header`` is configured, else the connection's)
gets the same treatment with looser numbers (``client_free``, ``client_lock_after``), which stops one
machine from trying one password against many names.

An attempt that must wait is refused *before* its password is checked, and it is not counted: a
locked account cannot be kept locked longer by hammering it, and a refused attempt costs nothing.
Unknown names are counted exactly like real ones, so neither the wait nor the lock says whether an
account exists. Locks are written to the trail (``auth.locked``), and so is their end
(``auth.unlocked``: by whom, or ``expired`` when the next attempt finds the lock run out).

The counts live in ``signin-throttle.json`` beside ``users.json`` (mode 0600, under the same kind of
file lock), so ``sunlight user unlock NAME`` from the command line reaches a running app.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sunlight.audit import AuditLog, exclusive_lock, write_private_json

__all__ = [
    "THROTTLE_FILENAME",
    "SignInThrottle",
    "ThrottleSettings",
    "Throttled",
    "client_address",
    "wait_after",
]

THROTTLE_FILENAME = "signin-throttle.json"
#: Names and addresses kept at most (the oldest go first), so a flood of made-up names stays small.
_MAX_KEYS = 10_000


@dataclass(frozen=True)
class ThrottleSettings:
    """How failed sign-ins slow down and lock (``signin:`` in ``auth.yaml``)."""

    #: failures of one account name (count) before the next attempt must wait
    account_free: int = 1
    #: failures of one account name (count) within the window that lock it
    lock_after: int = 5
    #: failures from one client address (count) before its attempts must wait
    client_free: int = 5
    #: failures from one client address (count) within the window that lock it
    client_lock_after: int = 20
    #: minutes a failure is remembered
    window_minutes: float = 15.0
    #: minutes a lock lasts
    lock_minutes: float = 15.0
    #: the longest wait between two attempts (seconds) before the lock
    max_delay_seconds: float = 30.0
    #: header carrying the client's address as the proxy saw it (e.g. X-Forwarded-For); None: the connection's
    client_header: str | None = None

    KEYS = (
        "account_free",
        "lock_after",
        "client_free",
        "client_lock_after",
        "window_minutes",
        "lock_minutes",
        "max_delay_seconds",
        "client_header",
    )


class Throttled(Exception):
    """This attempt is refused unchecked: wait ``wait_seconds`` (``locked``: a lock, not just a delay)."""

    def __init__(self, wait_seconds: float, locked: bool, scope: str) -> None:
        self.wait_seconds = max(1, int(wait_seconds + 0.999))
        self.locked = locked
        self.scope = scope
        kind = "locked" if locked else "slowed down"
        super().__init__(f"sign-in {kind} ({scope}): try again in {self.wait_seconds} s")


def wait_after(failures: int, free: int, max_delay: float) -> float:
    """Seconds the next attempt must wait after ``failures`` failures, the first ``free`` costing none.

    >>> [wait_after(n, 1, 30.0) for n in range(0, 8)]
    [0.0, 0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0]
    """
    if failures <= free:
        return 0.0
    return float(min(2 ** (failures - free - 1), max_delay))


def client_address(
    headers: Mapping[str, str] | None, connection_address: str | None, header: str | None
) -> str | None:
    """The client to count failures against: the last address in ``header`` (the one the proxy itself
    added) when configured and present, else the connection's address.

    >>> client_address({"X-Forwarded-For": "10.0.0.9, 192.168.1.5"}, "127.0.0.1", "X-Forwarded-For")
    '192.168.1.5'
    >>> client_address({}, "127.0.0.1", "X-Forwarded-For"), client_address(None, "::1", None)
    ('127.0.0.1', '::1')
    """
    if header and isinstance(headers, Mapping):
        wanted = header.lower()
        for key, value in headers.items():
            if str(key).lower() == wanted and str(value).strip():
                return str(value).split(",")[-1].strip()
    return connection_address if isinstance(connection_address, str) and connection_address else None


class SignInThrottle:
    """The failure counts in ``folder/signin-throttle.json``; ``clock`` gives seconds (``time.time``)."""

    def __init__(
        self,
        folder: str | os.PathLike[str],
        settings: ThrottleSettings | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.folder = Path(folder)
        self.settings = settings or ThrottleSettings()
        self.path = self.folder / THROTTLE_FILENAME
        self._lock_path = self.folder / "signin-throttle.lock"
        self._clock = clock

    # -- the file --
    def _locked(self) -> AbstractContextManager[None]:
        return exclusive_lock(self._lock_path)

    def _read(self) -> dict[str, dict[str, Any]]:
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
            return {str(k): dict(v) for k, v in doc.get("keys", {}).items()}
        except FileNotFoundError:
            return {}
        except (json.JSONDecodeError, AttributeError, TypeError, ValueError):
            # a damaged file must not open the door: start counting afresh (locks in it are lost)
            return {}

    def _write(self, keys: dict[str, dict[str, Any]]) -> None:
        if len(keys) > _MAX_KEYS:
            newest = sorted(keys.items(), key=lambda kv: max(kv[1].get("failures") or [0]), reverse=True)
            keys = dict(newest[:_MAX_KEYS])
        write_private_json(self.path, {"format": 1, "keys": keys})

    # -- the rules --
    def _limits(self, key: str) -> tuple[int, int]:
        s = self.settings
        return (
            (s.client_free, s.client_lock_after)
            if key.startswith("client:")
            else (s.account_free, s.lock_after)
        )

    def _fresh(self, entry: Mapping[str, Any], now: float) -> list[float]:
        horizon = now - self.settings.window_minutes * 60
        return [t for t in entry.get("failures", []) if t > horizon]

    def _refusal(self, key: str, entry: Mapping[str, Any], now: float) -> Throttled | None:
        scope = key.partition(":")[0]
        until = float(entry.get("locked_until") or 0)
        if until > now:
            return Throttled(until - now, locked=True, scope=scope)
        failures = self._fresh(entry, now)
        free, _ = self._limits(key)
        wait = wait_after(len(failures), free, self.settings.max_delay_seconds)
        if failures and now < max(failures) + wait:
            return Throttled(max(failures) + wait - now, locked=False, scope=scope)
        return None

    @staticmethod
    def _keys(name: str, client: str | None) -> list[str]:
        return [f"account:{name}"] + ([f"client:{client}"] if client else [])

    def check(self, name: str, client: str | None = None, audit: AuditLog | None = None) -> None:
        """Raise :class:`Throttled` when an attempt for ``name`` from ``client`` must wait; a lock found
        run out is lifted here (``auth.unlocked``, ``by: expired``)."""
        now = self._clock()
        with self._locked():
            keys = self._read()
            expired = [
                k
                for k in self._keys(name, client)
                if k in keys and 0 < float(keys[k].get("locked_until") or 0) <= now
            ]
            for key in expired:
                keys[key] = {"failures": []}
            if expired:
                self._write(keys)
            refusals = [r for k in self._keys(name, client) if (r := self._refusal(k, keys.get(k, {}), now))]
        if audit is not None:
            for key in expired:
                scope, _, who = key.partition(":")
                audit.append(
                    "auth.unlocked", {"scope": scope, "name": who, "by": "expired"}, actor="sunlight"
                )
        if refusals:
            raise max(refusals, key=lambda r: (r.locked, r.wait_seconds))

    def failed(self, name: str, client: str | None = None, audit: AuditLog | None = None) -> Throttled | None:
        """Count a failed attempt; a count that reaches its limit locks (``auth.locked`` in the trail).

        Returns what the next attempt will meet (a wait or the lock), so the person is told now."""
        now = self._clock()
        locks: list[tuple[str, int, float]] = []
        with self._locked():
            keys = self._read()
            for key in self._keys(name, client):
                entry = keys.get(key, {})
                failures = [*self._fresh(entry, now), now]
                _, lock_after = self._limits(key)
                entry = {"failures": failures[-lock_after:]}
                if len(failures) >= lock_after:
                    entry["locked_until"] = now + self.settings.lock_minutes * 60
                    locks.append((key, len(failures), entry["locked_until"]))
                keys[key] = entry
            self._write(keys)
            refusals = [r for k in self._keys(name, client) if (r := self._refusal(k, keys[k], now))]
        if audit is not None:
            for key, count, until in locks:
                scope, _, who = key.partition(":")
                details = {
                    "scope": scope,
                    "name": who,
                    "failures": count,
                    "until": datetime.fromtimestamp(until).isoformat(timespec="seconds"),
                }
                if scope == "account" and client:
                    details["client"] = client
                audit.append("auth.locked", details, actor=name or "unknown")
        return max(refusals, key=lambda r: (r.locked, r.wait_seconds)) if refusals else None

    def succeeded(self, name: str) -> None:
        """A correct password clears the name's count (the client's stays: it may be trying many names)."""
        with self._locked():
            keys = self._read()
            if keys.pop(f"account:{name}", None) is not None:
                self._write(keys)

    def locked(self, name: str) -> float | None:
        """Seconds left on the lock of account ``name``, or ``None`` when it is not locked."""
        entry = self._read().get(f"account:{name}", {})
        left = float(entry.get("locked_until") or 0) - self._clock()
        return left if left > 0 else None

    def unlock(self, name: str) -> bool:
        """Lift the lock and forget the failures of account ``name``; ``False`` when there was nothing."""
        with self._locked():
            keys = self._read()
            found = keys.pop(f"account:{name}", None) is not None
            if found:
                self._write(keys)
        return found

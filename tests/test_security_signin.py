"""Security: the sign-in door — throttling and locks, and sessions that expire and can be revoked.

What an auditor checks here, each against real files in a temporary store folder (``users.json``,
``signin-throttle.json``, ``sessions.json``, ``session.key``, the hash-chained trail) and real Argon2id
hashes; time is a clock the test moves, so nothing sleeps:

* failed sign-ins slow down per account name and per client address, then lock; a locked name is
  refused before its password is checked, even the right one; the person is told how long to wait;
* an unknown name is counted, slowed down and locked exactly like a real one, and costs one Argon2
  verification like a wrong password (so neither time nor message says whether it exists);
* ``sunlight user unlock NAME`` lifts a lock; the trail has ``auth.locked`` and ``auth.unlocked``;
* a session cookie is signed with a key only the server has; a forged or altered one is refused;
* a session ends when idle too long, after its maximum age, on sign-out, and everywhere when its
  account is disabled, removed or gets a new password (``auth.session_revoked``).
"""

from __future__ import annotations

import argparse
import io
import json
import stat
import sys
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher

from sunlight.audit import AuditLog
from sunlight.auth import (
    AuthConfig,
    AuthConfigError,
    AuthenticationFailed,
    Role,
    UserStore,
    add_user_verb,
    authenticate,
    load_auth_config,
)
from sunlight.sessions import SessionSettings, SessionStore, issue_ticket, redeem_ticket
from sunlight.throttle import SignInThrottle, ThrottleSettings

pytestmark = pytest.mark.security

PASSWORD = "correct horse battery"
QUICK = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


class Clock:
    """Seconds that pass only when the test says so."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class CountingHasher:
    """The real Argon2id hasher, counting how often a password is verified."""

    def __init__(self) -> None:
        self.inner = QUICK
        self.verified = 0

    def verify(self, stored: str, password: str) -> bool:
        self.verified += 1
        return bool(self.inner.verify(stored, password))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SUNLIGHT_AUTH_CONFIG", "SUNLIGHT_AUDIT_DIR", "NEO4J_URI", "SUNLIGHT_PROXY_SECRET"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "store"
    UserStore(folder, hasher=QUICK).add("zhangwei", Role.INVESTIGATOR, PASSWORD)
    return folder


class Door:
    """Signing in as the app does, with a throttle on a test clock."""

    def __init__(self, folder: Path, settings: ThrottleSettings | None = None) -> None:
        self.clock = Clock()
        self.hasher = CountingHasher()
        self.users = UserStore(folder, hasher=self.hasher)
        self.trail = AuditLog(folder)
        self.config = AuthConfig(folder=folder, signin=settings or ThrottleSettings())
        self.throttle = SignInThrottle(folder, self.config.signin, clock=self.clock)

    def attempt(
        self, name: str, password: str, client: str | None = "10.1.2.3"
    ) -> AuthenticationFailed | None:
        try:
            authenticate(
                self.config,
                name=name,
                password=password,
                audit=self.trail,
                users=self.users,
                client=client,
                throttle=self.throttle,
            )
        except AuthenticationFailed as failure:
            return failure
        return None

    def actions(self) -> list[str]:
        return [e["action"] for e in self.trail.entries()]


# ---- throttling ------------------------------------------------------------------------------------------
def test_failed_sign_ins_slow_down_then_lock_and_even_the_right_password_waits(folder: Path) -> None:
    door = Door(folder)
    assert door.attempt("zhangwei", "wrong 1") is not None
    # the first failure costs nothing; the second makes the next attempt wait 1 s, then 2, 4 ...
    second = door.attempt("zhangwei", "wrong 2")
    assert second is not None and second.code == "bad_credentials_wait" and second.wait_seconds == 1
    checked = door.hasher.verified
    early = door.attempt("zhangwei", PASSWORD)
    assert early is not None and early.code == "throttled" and early.wait_seconds == 1
    assert door.hasher.verified == checked, "an attempt that must wait is refused before any hashing"
    waits = []
    for n in (3, 4):
        door.clock.advance(30)
        failure = door.attempt("zhangwei", f"wrong {n}")
        assert failure is not None
        waits.append(failure.wait_seconds)
    assert waits == [2, 4]
    door.clock.advance(30)
    locking = door.attempt("zhangwei", "wrong 5")
    assert locking is not None and locking.code == "locked" and locking.wait_seconds == 15 * 60
    door.clock.advance(60)
    refused = door.attempt("zhangwei", PASSWORD)
    assert refused is not None and refused.code == "locked" and refused.wait_seconds == 14 * 60
    locked = [e for e in door.trail.entries() if e["action"] == "auth.locked"]
    assert [(e["details"]["scope"], e["details"]["name"], e["details"]["failures"]) for e in locked] == [
        ("account", "zhangwei", 5)
    ]
    # refusals of attempts that were not checked do not fill the trail; the lock itself is there
    assert door.actions().count("auth.login_failed") == 5
    # once the lock has run out the right password works, and the end of the lock is recorded
    door.clock.advance(15 * 60)
    assert door.attempt("zhangwei", PASSWORD) is None
    assert door.actions()[-2:] == ["auth.unlocked", "auth.login"]
    assert door.trail.entries()[-2]["details"] == {"scope": "account", "name": "zhangwei", "by": "expired"}
    assert door.trail.verify() is None


def test_an_unknown_name_is_treated_exactly_like_a_real_one(folder: Path) -> None:
    real, ghost = Door(folder), Door(folder)
    seen: dict[str, list[tuple[str, int | None]]] = {"zhangwei": [], "nobody-here": []}
    for door, name in ((real, "zhangwei"), (ghost, "nobody-here")):
        for n in range(6):
            before = door.hasher.verified
            failure = door.attempt(name, f"wrong {n}", client=None)
            assert failure is not None
            seen[name].append((failure.code, failure.wait_seconds))
            # a checked attempt costs one Argon2 verification whether or not the name exists
            assert door.hasher.verified - before == (1 if failure.checked else 0)
            door.clock.advance(20)
    assert seen["zhangwei"] == seen["nobody-here"]
    assert seen["zhangwei"][-1][0] == "locked"
    assert {str(e) for e in (real.attempt("zhangwei", "x"), ghost.attempt("nobody-here", "x"))} == {
        "too many failed sign-ins: locked for 860 s"
    }


def test_one_client_trying_many_names_is_slowed_down_and_locked(folder: Path) -> None:
    door = Door(folder, ThrottleSettings(client_free=3, client_lock_after=6))
    codes = []
    for n in range(6):
        failure = door.attempt(f"guess{n}", "password123456", client="10.9.9.9")
        assert failure is not None
        codes.append(failure.code)
        door.clock.advance(60)
    assert codes == ["bad_credentials"] * 3 + ["bad_credentials_wait"] * 2 + ["locked"]
    # the right password for a real account from that machine is refused too, unchecked ...
    refused = door.attempt("zhangwei", PASSWORD, client="10.9.9.9")
    assert refused is not None and refused.code == "locked"
    # ... while the same person from another machine signs in
    assert door.attempt("zhangwei", PASSWORD, client="10.1.1.1") is None
    client_lock = [e["details"] for e in door.trail.entries() if e["action"] == "auth.locked"]
    assert client_lock[0]["scope"] == "client" and client_lock[0]["name"] == "10.9.9.9"


def test_failures_are_forgotten_after_the_window_and_a_success_clears_the_name(folder: Path) -> None:
    door = Door(folder)
    for n in range(4):
        assert door.attempt("zhangwei", f"wrong {n}") is not None
        door.clock.advance(10)
    door.clock.advance(16 * 60)  # the window is 15 minutes
    assert door.attempt("zhangwei", "wrong again").code == "bad_credentials"  # type: ignore[union-attr]
    assert door.attempt("zhangwei", PASSWORD) is None
    assert json.loads(door.throttle.path.read_text())["keys"].get("account:zhangwei") is None
    assert stat.S_IMODE(door.throttle.path.stat().st_mode) == 0o600


def user_command(store: Path, *argv: str, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> tuple[int, str]:
    parser = argparse.ArgumentParser(prog="sunlight")
    parser.add_argument("--store")
    parser.add_argument("--neo4j")
    add_user_verb(parser.add_subparsers(dest="verb", required=True))
    args = parser.parse_args(["--store", str(store), "user", *argv])
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    code = args.func(args)
    return code, capsys.readouterr().out


def test_an_admin_unlocks_an_account_from_the_command_line(
    folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    door = Door(folder)
    for n in range(5):
        door.attempt("zhangwei", f"wrong {n}")
        door.clock.advance(40)
    assert door.attempt("zhangwei", PASSWORD).code == "locked"  # type: ignore[union-attr]
    monkeypatch.setenv("SUNLIGHT_ACTOR", "组长王")
    code, out = user_command(folder, "list", monkeypatch=monkeypatch, capsys=capsys)
    assert code == 0 and "zhangwei\tinvestigator (locked" in out
    code, out = user_command(folder, "unlock", "zhangwei", monkeypatch=monkeypatch, capsys=capsys)
    assert code == 0 and "unlock zhangwei: done" in out
    assert door.attempt("zhangwei", PASSWORD) is None
    unlocked = [e for e in door.trail.entries() if e["action"] == "auth.unlocked"]
    assert unlocked[-1]["details"] == {"scope": "account", "name": "zhangwei", "by": "组长王"}
    code, out = user_command(folder, "unlock", "zhangwei", monkeypatch=monkeypatch, capsys=capsys)
    assert code == 0 and "not locked" in out


def test_throttle_settings_come_from_auth_yaml_and_a_typo_is_an_error(tmp_path: Path) -> None:
    store = tmp_path / "store"
    store.mkdir()
    (store / "auth.yaml").write_text(
        "signin:\n  lock_after: 3\n  lock_minutes: 60\n  client_header: X-Forwarded-For\n"
        "session:\n  idle_minutes: 10\n",
        encoding="utf-8",
    )
    config = load_auth_config(store)
    assert (config.signin.lock_after, config.signin.lock_minutes, config.signin.client_header) == (
        3,
        60.0,
        "X-Forwarded-For",
    )
    assert config.session.idle_minutes == 10.0 and config.session.max_hours == 12.0
    (store / "auth.yaml").write_text("signin:\n  lock_afterr: 3\n", encoding="utf-8")
    with pytest.raises(AuthConfigError, match=r"unknown key.*lock_afterr"):
        load_auth_config(store)
    (store / "auth.yaml").write_text("session:\n  idle_minutes: 0\n", encoding="utf-8")
    with pytest.raises(AuthConfigError, match="idle_minutes must be a positive number"):
        load_auth_config(store)


# ---- sessions -------------------------------------------------------------------------------------------
def test_a_session_cookie_is_signed_with_a_key_only_the_server_has(tmp_path: Path) -> None:
    sessions = SessionStore(tmp_path / "store")
    session_id, _ = sessions.start("zhangwei", "password")
    cookie = sessions.cookie_value(session_id)
    assert sessions.session_id(cookie) == session_id
    assert stat.S_IMODE(sessions.key_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(sessions.path.stat().st_mode) == 0o600
    # the server keeps a digest of the id, never the id itself
    assert session_id not in sessions.path.read_text(encoding="utf-8")
    version, sid, signature = cookie.split(".")
    forged = [
        f"{version}.{sid[:-1]}{'0' if sid[-1] != '0' else '1'}.{signature}",  # another id, same signature
        f"{version}.{sid}.{signature[:-1]}{'0' if signature[-1] != '0' else '1'}",
        f"v0.{sid}.{signature}",
        sid,
        "",
        "v1..",
        f"v1.{'<script>'}.{signature}",
    ]
    assert [sessions.session_id(value) for value in forged] == [None] * len(forged)
    # another server (another key) does not take this server's cookie
    assert SessionStore(tmp_path / "elsewhere").session_id(cookie) is None


def test_a_session_expires_when_idle_and_after_its_maximum_age(tmp_path: Path) -> None:
    clock = Clock()
    sessions = SessionStore(
        tmp_path / "store", SessionSettings(idle_minutes=30, max_hours=2, touch_every_seconds=60), clock=clock
    )
    session_id, _ = sessions.start("zhangwei", "password")
    clock.advance(29 * 60)
    assert sessions.resume(session_id)[1] is None  # in use: its last use moves on
    clock.advance(29 * 60)
    assert sessions.resume(session_id)[1] is None
    clock.advance(31 * 60)
    session, ended = sessions.resume(session_id)
    assert ended == "idle" and session is not None and session.name == "zhangwei"
    assert sessions.resume(session_id) == (None, "unknown")  # ended for good
    busy, _ = sessions.start("zhangwei", "password")
    for _ in range(8):  # used every 20 minutes, for 2 h 40 min
        clock.advance(20 * 60)
        _, ended = sessions.resume(busy)
        if ended:
            break
    assert ended == "max_age"


def test_signing_out_or_disabling_the_account_ends_its_sessions_everywhere(
    folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    sessions = SessionStore(folder)
    office, laptop = sessions.start("zhangwei", "password")[0], sessions.start("zhangwei", "password")[0]
    other = sessions.start("lisi", "password")[0]
    assert sessions.end(office) is not None
    assert sessions.resume(office) == (None, "unknown")
    assert sessions.resume(laptop)[1] is None
    monkeypatch.setenv("SUNLIGHT_ACTOR", "组长王")
    code, _ = user_command(folder, "disable", "zhangwei", monkeypatch=monkeypatch, capsys=capsys)
    assert code == 0
    assert sessions.resume(laptop) == (None, "unknown")
    assert sessions.resume(other)[1] is None
    revoked = [e for e in AuditLog(folder).entries() if e["action"] == "auth.session_revoked"]
    assert [(e["actor"], e["details"]["because"], e["details"]["by"]) for e in revoked] == [
        ("zhangwei", "user.disable", "组长王")
    ]


def test_a_ticket_gives_the_cookie_once_and_only_its_own(tmp_path: Path) -> None:
    first, second = issue_ticket("v1.aaa.bbb"), issue_ticket("v1.ccc.ddd")
    assert first != second and len(first) >= 40
    assert redeem_ticket(second) == "v1.ccc.ddd"
    assert redeem_ticket(first) == "v1.aaa.bbb"
    assert redeem_ticket(first) is None and redeem_ticket("made-up") is None

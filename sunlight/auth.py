"""Who may see what: roles, sign-in, and the trail of every unmasked view (docs/security.md).

Roles
-----
``viewer``
    Reads every page; personal identifiers (phones, accounts, identity numbers,
    addresses) are masked (``4201**********1234``); takes no case action.
``investigator``
    Also works cases: moves and annotates the cases assigned to them, and may see the
    personal identifiers of those cases unmasked while the case is active (open,
    reviewing, confirmed). Every unmasked view is written to the trail.
``admin``
    Also assigns cases and manages accounts. An admin unmasks on the same terms as an
    investigator — within cases assigned to them — so that every look at personal data
    follows a recorded assignment (PIPL: the minimum necessary, and a trace of it).

Identity
--------
Chosen by ``auth.yaml`` (``SUNLIGHT_AUTH_CONFIG``, else beside the trail: the store folder,
or ``SUNLIGHT_AUDIT_DIR`` for Neo4j)::

    mode: local                 # local (the default) or proxy
    proxy:                      # only for mode: proxy
      user_header: X-Remote-User
      groups_header: X-Remote-Groups     # optional, comma-separated
      secret_header: X-Sunlight-Proxy    # optional: must carry $SUNLIGHT_PROXY_SECRET
      users: {zhangwei: admin}           # user -> role
      groups: {jijian-investigators: investigator}   # group -> role; the highest wins
      default_role: null                 # role of a signed-in user with no mapping; null refuses
    signin:                     # failed sign-ins slow down, then lock (sunlight.throttle)
      lock_after: 5                      # failures of one name (count) that lock it
      lock_minutes: 15
    session:                    # sessions that outlive a tab (sunlight.sessions)
      idle_minutes: 30
      max_hours: 12

*local*: accounts in ``users.json`` in the same folder, passwords hashed with Argon2id
(``argon2-cffi``), managed with ``sunlight user``. *proxy*: an authenticating reverse
proxy (SSO, Kerberos, a client certificate) has already checked who it is and says so
in a header; the app must then be reachable only through that proxy.

For the app::

    config = load_auth_config(store_path, neo4j_uri)
    user = authenticate(config, name=..., password=..., audit=trail)      # local
    user = authenticate(config, headers=st.context.headers, audit=trail)  # proxy
    user = refresh(config, user)              # each page run: a disabled account stops at once
    if can_unmask(user, alert_id, alerts):    # show the "unmask" control
        record_unmasked_view(trail, user, alert_id, alerts, fields=["phone"])  # then show
"""

from __future__ import annotations

import argparse
import getpass
import hmac
import json
import os
import re
import sys
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from sunlight.audit import AuditLog, audit_log_for, current_actor, exclusive_lock, write_private_json
from sunlight.sessions import SessionSettings, SessionStore
from sunlight.throttle import SignInThrottle, Throttled, ThrottleSettings

__all__ = [
    "ACTIVE_CASE_STATUSES",
    "CONFIG_FILENAME",
    "MIN_PASSWORD_LENGTH",
    "USERS_FILENAME",
    "AccessDenied",
    "Account",
    "AuthConfig",
    "AuthConfigError",
    "AuthError",
    "AuthenticationFailed",
    "OidcSettings",
    "ProxySettings",
    "Role",
    "User",
    "UserStore",
    "add_user_verb",
    "auth_folder",
    "authenticate",
    "can_act_on_case",
    "can_assign",
    "can_manage_users",
    "can_unmask",
    "cmd_user",
    "load_auth_config",
    "oidc_user",
    "record_unmasked_view",
    "refresh",
    "revoke_sessions",
    "role_of",
]

USERS_FILENAME = "users.json"
CONFIG_FILENAME = "auth.yaml"
MIN_PASSWORD_LENGTH = 12
#: Statuses during which a case is worked, and its people may be seen unmasked.
ACTIVE_CASE_STATUSES: tuple[str, ...] = ("open", "reviewing", "confirmed")
_NAME = re.compile(r"^[^\s:/\\,]{1,64}$")


class Role(StrEnum):
    VIEWER = "viewer"
    INVESTIGATOR = "investigator"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)


class AuthError(Exception):
    """Something about accounts or access; ``code`` names it for translation."""

    code = "auth_error"


class AuthConfigError(AuthError):
    code = "auth_config"


class AuthenticationFailed(AuthError):
    """Sign-in refused. The message never says whether the name or the password was wrong."""

    def __init__(
        self, code: str, message: str, wait_seconds: int | None = None, checked: bool = True
    ) -> None:
        super().__init__(message)
        self.code = code
        #: seconds before the next attempt will be checked (a slowed-down or locked sign-in)
        self.wait_seconds = wait_seconds
        #: False for an attempt refused unchecked because it must wait (not written to the trail)
        self.checked = checked


class AccessDenied(AuthError):
    code = "access_denied"


@dataclass(frozen=True)
class User:
    """A signed-in person: account name, role, and how they signed in (``password`` or ``proxy``)."""

    name: str
    role: Role
    via: str = "password"


# ---- configuration -------------------------------------------------------------------------
@dataclass(frozen=True)
class ProxySettings:
    user_header: str = "X-Remote-User"
    groups_header: str | None = None
    secret_header: str | None = None
    secret_env: str = "SUNLIGHT_PROXY_SECRET"
    users: Mapping[str, Role] = field(default_factory=dict)
    groups: Mapping[str, Role] = field(default_factory=dict)
    default_role: Role | None = None


@dataclass(frozen=True)
class OidcSettings:
    """Sign-in through an OpenID Connect provider with Streamlit's ``st.login`` (``oidc:`` in ``auth.yaml``).

    The provider itself (``client_id``, ``client_secret``, ``server_metadata_url``, ``redirect_uri``,
    ``cookie_secret``) is configured where Streamlit reads it, ``[auth]`` in ``.streamlit/secrets.toml``.
    """

    #: the ``[auth.NAME]`` section of secrets.toml to sign in with; None: ``[auth]`` itself
    provider: str | None = None
    #: the identity token's claim that names the account
    user_claim: str = "preferred_username"
    #: the claim listing the person's groups (a list, or text separated by commas)
    groups_claim: str | None = "groups"
    users: Mapping[str, Role] = field(default_factory=dict)
    groups: Mapping[str, Role] = field(default_factory=dict)
    default_role: Role | None = None
    #: seconds after the provider's sign-in (the token's ``iat``) within which a new session may start
    fresh_login_seconds: float = 300.0


@dataclass(frozen=True)
class AuthConfig:
    """Where identity comes from (``local`` accounts, a ``proxy`` header or an ``oidc`` provider) and where
    accounts live."""

    folder: Path
    mode: str = "local"
    proxy: ProxySettings = field(default_factory=ProxySettings)
    oidc: OidcSettings = field(default_factory=OidcSettings)
    signin: ThrottleSettings = field(default_factory=ThrottleSettings)
    session: SessionSettings = field(default_factory=SessionSettings)

    @property
    def users_file(self) -> Path:
        return self.folder / USERS_FILENAME

    def users(self) -> UserStore:
        return UserStore(self.folder)

    def throttle(self) -> SignInThrottle:
        return SignInThrottle(self.folder, self.signin)

    def sessions(self) -> SessionStore:
        return SessionStore(self.folder, self.session)


def auth_folder(store_path: str | os.PathLike[str] | None = None, neo4j_uri: str | None = None) -> Path:
    """The folder of the trail, which also holds ``users.json`` and ``auth.yaml``: ``SUNLIGHT_AUDIT_DIR``,
    else the embedded store's folder, else ``./sunlight-audit`` for a Neo4j store."""
    return audit_log_for(store_path, neo4j_uri).folder


def _role(value: Any, where: str) -> Role:
    try:
        return Role(str(value).strip())
    except ValueError:
        known = ", ".join(r.value for r in Role)
        raise AuthConfigError(f"{where}: unknown role {value!r} (known: {known})") from None


def _proxy_settings(doc: Any, file: Path) -> ProxySettings:
    if doc is None:
        return ProxySettings()
    if not isinstance(doc, dict):
        raise AuthConfigError(f"{file}: proxy must be a mapping")
    known = {"user_header", "groups_header", "secret_header", "secret_env", "users", "groups", "default_role"}
    unknown = sorted(set(doc) - known)
    if unknown:
        raise AuthConfigError(f"{file}: unknown key(s) under proxy: {', '.join(unknown)}")
    maps, default = _role_maps(doc, file, "proxy")
    return ProxySettings(
        user_header=str(doc.get("user_header") or "X-Remote-User"),
        groups_header=doc.get("groups_header") or None,
        secret_header=doc.get("secret_header") or None,
        secret_env=str(doc.get("secret_env") or "SUNLIGHT_PROXY_SECRET"),
        users=maps["users"],
        groups=maps["groups"],
        default_role=default,
    )


def _role_maps(
    doc: dict[str, Any], file: Path, section: str
) -> tuple[dict[str, dict[str, Role]], Role | None]:
    """A section's ``users`` and ``groups`` (name -> role) and its ``default_role``."""
    maps: dict[str, dict[str, Role]] = {}
    for key in ("users", "groups"):
        value = doc.get(key) or {}
        if not isinstance(value, dict):
            raise AuthConfigError(f"{file}: {section}.{key} must map names to roles")
        maps[key] = {str(k).strip(): _role(v, f"{file}: {section}.{key}.{k}") for k, v in value.items()}
    default = doc.get("default_role")
    return maps, None if default is None else _role(default, f"{file}: {section}.default_role")


def _oidc_settings(doc: Any, file: Path) -> OidcSettings:
    if doc is None:
        return OidcSettings()
    if not isinstance(doc, dict):
        raise AuthConfigError(f"{file}: oidc must be a mapping")
    known = {
        "provider",
        "user_claim",
        "groups_claim",
        "users",
        "groups",
        "default_role",
        "fresh_login_seconds",
    }
    unknown = sorted(set(doc) - known)
    if unknown:
        raise AuthConfigError(f"{file}: unknown key(s) under oidc: {', '.join(map(str, unknown))}")
    maps, default = _role_maps(doc, file, "oidc")
    fresh = doc.get("fresh_login_seconds", OidcSettings.fresh_login_seconds)
    if isinstance(fresh, bool) or not isinstance(fresh, (int, float)) or fresh <= 0:
        raise AuthConfigError(f"{file}: oidc.fresh_login_seconds must be a positive number, not {fresh!r}")
    return OidcSettings(
        provider=str(doc["provider"]) if doc.get("provider") else None,
        user_claim=str(doc.get("user_claim") or "preferred_username"),
        groups_claim=str(doc["groups_claim"]) if doc.get("groups_claim", "groups") else None,
        users=maps["users"],
        groups=maps["groups"],
        default_role=default,
        fresh_login_seconds=float(fresh),
    )


def _number_settings(doc: Any, kind: type[Any], file: Path, section: str) -> Any:
    """A settings dataclass (``ThrottleSettings``, ``SessionSettings``) from its ``auth.yaml`` section:
    unknown keys are errors, numbers must be positive, and a header name is text."""
    if doc is None:
        return kind()
    if not isinstance(doc, dict):
        raise AuthConfigError(f"{file}: {section} must be a mapping")
    unknown = sorted(set(doc) - set(kind.KEYS))
    if unknown:
        raise AuthConfigError(
            f"{file}: unknown key(s) under {section}: {', '.join(map(str, unknown))} (known: {', '.join(kind.KEYS)})"
        )
    values: dict[str, Any] = {}
    defaults = kind()
    for key, value in doc.items():
        default = getattr(defaults, key)
        if isinstance(default, (int, float)) and not isinstance(default, bool):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise AuthConfigError(f"{file}: {section}.{key} must be a positive number, not {value!r}")
            values[key] = type(default)(value)
        elif value is not None and not isinstance(value, str):
            raise AuthConfigError(f"{file}: {section}.{key} must be text, not {value!r}")
        else:
            values[key] = value or None
    return kind(**values)


def load_auth_config(
    store_path: str | os.PathLike[str] | None = None,
    neo4j_uri: str | None = None,
    config_file: str | os.PathLike[str] | None = None,
) -> AuthConfig:
    """Read ``auth.yaml`` (``config_file``, else ``SUNLIGHT_AUTH_CONFIG``, else beside the trail).

    Without a file, identity is local accounts in the trail's folder. Unknown keys and
    unknown roles are errors, so a typo never leaves a default silently in force.
    """
    folder = auth_folder(store_path, neo4j_uri)
    named = config_file or os.environ.get("SUNLIGHT_AUTH_CONFIG")
    path = Path(named) if named else folder / CONFIG_FILENAME
    if not path.exists():
        if named:
            raise AuthConfigError(f"{path}: no such file")
        return AuthConfig(folder=folder)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise AuthConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(doc, dict):
        raise AuthConfigError(f"{path}: must be a mapping")
    unknown = sorted(set(doc) - {"mode", "proxy", "oidc", "users_folder", "signin", "session"})
    if unknown:
        raise AuthConfigError(f"{path}: unknown key(s): {', '.join(unknown)}")
    mode = str(doc.get("mode") or "local")
    if mode not in ("local", "proxy", "oidc"):
        raise AuthConfigError(f"{path}: mode must be local, proxy or oidc, not {mode!r}")
    if doc.get("users_folder"):
        folder = (path.parent / str(doc["users_folder"])).resolve()
    proxy = _proxy_settings(doc.get("proxy"), path)
    if mode == "proxy" and doc.get("proxy") is None:
        raise AuthConfigError(f"{path}: mode proxy needs a proxy section (at least its role mapping)")
    if mode == "oidc" and doc.get("oidc") is None:
        raise AuthConfigError(f"{path}: mode oidc needs an oidc section (at least its role mapping)")
    return AuthConfig(
        folder=folder,
        mode=mode,
        proxy=proxy,
        oidc=_oidc_settings(doc.get("oidc"), path),
        signin=_number_settings(doc.get("signin"), ThrottleSettings, path, "signin"),
        session=_number_settings(doc.get("session"), SessionSettings, path, "session"),
    )


# ---- local accounts ------------------------------------------------------------------------
def _hasher() -> Any:
    from argon2 import PasswordHasher  # imported here: only sign-in and account changes need it

    return PasswordHasher()  # Argon2id with the library's current recommended costs (RFC 9106)


@dataclass(frozen=True)
class Account:
    """An account as ``users.json`` keeps it (the password only as its Argon2id hash)."""

    name: str
    role: Role
    password_hash: str
    created: str
    changed: str
    disabled: bool = False

    def public(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "role": self.role.value,
            "created": self.created,
            "changed": self.changed,
            "disabled": self.disabled,
        }


class UserStore:
    """Local accounts in ``folder/users.json`` (mode 0600), changed under a file lock, written atomically.

    ``hasher`` is an ``argon2.PasswordHasher``; the default uses the library's recommended
    costs. A stored hash made with weaker costs is upgraded at the next successful sign-in.
    """

    def __init__(self, folder: str | os.PathLike[str], hasher: Any = None) -> None:
        self.folder = Path(folder)
        self.path = self.folder / USERS_FILENAME
        self._lock_path = self.folder / "users.lock"
        self._hasher = hasher
        self._decoy_hash: str | None = None

    @property
    def hasher(self) -> Any:
        if self._hasher is None:
            self._hasher = _hasher()
        return self._hasher

    # -- reading and writing the file --
    def _locked(self) -> AbstractContextManager[None]:
        return exclusive_lock(self._lock_path)

    def _read(self) -> dict[str, Account]:
        if not self.path.exists():
            return {}
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
            return {
                name: Account(
                    name=name,
                    role=Role(entry["role"]),
                    password_hash=str(entry["password"]),
                    created=str(entry.get("created", "")),
                    changed=str(entry.get("changed", "")),
                    disabled=bool(entry.get("disabled", False)),
                )
                for name, entry in doc["users"].items()
            }
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise AuthConfigError(f"{self.path} is damaged: {exc}") from exc

    def _write(self, accounts: Mapping[str, Account]) -> None:
        doc = {
            "format": 1,
            "users": {
                a.name: {
                    "role": a.role.value,
                    "password": a.password_hash,
                    "created": a.created,
                    "changed": a.changed,
                    "disabled": a.disabled,
                }
                for a in sorted(accounts.values(), key=lambda a: a.name)
            },
        }
        write_private_json(self.path, doc, indent=2)

    # -- queries --
    def get(self, name: str) -> Account | None:
        return self._read().get(name)

    def accounts(self) -> list[Account]:
        return sorted(self._read().values(), key=lambda a: a.name)

    # -- changes --
    def _hash(self, name: str, password: str) -> str:
        if len(password) < MIN_PASSWORD_LENGTH:
            raise AuthError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
        if password.strip().casefold() == name.casefold():
            raise AuthError("a password may not be the account name")
        return str(self.hasher.hash(password))

    def add(self, name: str, role: Role | str, password: str) -> Account:
        name = _check_name(name)
        role = _role(role, "role")
        password_hash = self._hash(name, password)
        now = _now()
        with self._locked():
            accounts = self._read()
            if name in accounts:
                raise AuthError(f"account {name!r} exists already")
            accounts[name] = Account(name, role, password_hash, now, now)
            self._write(accounts)
        return accounts[name]

    def _change(self, name: str, **changes: Any) -> Account:
        with self._locked():
            accounts = self._read()
            if name not in accounts:
                raise AuthError(f"no account {name!r}")
            accounts[name] = replace(accounts[name], changed=_now(), **changes)
            self._write(accounts)
        return accounts[name]

    def set_role(self, name: str, role: Role | str) -> Account:
        return self._change(name, role=_role(role, "role"))

    def set_password(self, name: str, password: str) -> Account:
        return self._change(name, password_hash=self._hash(name, password))

    def set_disabled(self, name: str, disabled: bool) -> Account:
        return self._change(name, disabled=disabled)

    def remove(self, name: str) -> None:
        with self._locked():
            accounts = self._read()
            if accounts.pop(name, None) is None:
                raise AuthError(f"no account {name!r}")
            self._write(accounts)

    def verify(self, name: str, password: str) -> Account | None:
        """The account if ``password`` is its password and it is enabled; ``None`` otherwise.

        An unknown name costs as long as a wrong password, so the time does not tell which.
        """
        from argon2.exceptions import InvalidHashError, VerificationError

        account = self._read().get(name)
        stored = account.password_hash if account is not None else self._decoy()
        try:
            self.hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        if account is None or account.disabled:
            return None
        if self.hasher.check_needs_rehash(stored):
            with self._locked():
                accounts = self._read()
                if name in accounts and accounts[name].password_hash == stored:
                    accounts[name] = replace(accounts[name], password_hash=str(self.hasher.hash(password)))
                    self._write(accounts)
        return account

    def _decoy(self) -> str:
        """A hash to verify against for an unknown name, made once, matching no password."""
        if self._decoy_hash is None:
            self._decoy_hash = str(self.hasher.hash(os.urandom(16).hex()))
        return self._decoy_hash


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not _NAME.match(name):
        raise AuthError(
            f"an account name is 1 to 64 characters without spaces, ':', '/', '\\' or ',': {name!r}"
        )
    return name


def _now() -> str:
    return datetime.now().isoformat(timespec="seconds")


# ---- signing in --------------------------------------------------------------------------------
def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers.items():
        if str(key).lower() == wanted:
            return str(value)
    return None


def _proxy_user(config: AuthConfig, headers: Mapping[str, str]) -> User:
    proxy = config.proxy
    if proxy.secret_header:
        secret = os.environ.get(proxy.secret_env, "")
        given = _header(headers, proxy.secret_header) or ""
        if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
            raise AuthenticationFailed(
                "not_from_proxy", "the request did not come through the signing-in proxy"
            )
    name = (_header(headers, proxy.user_header) or "").strip()
    if not name:
        raise AuthenticationFailed("no_identity", f"the proxy sent no {proxy.user_header} header")
    groups_text = _header(headers, proxy.groups_header) if proxy.groups_header else None
    groups = [g.strip() for g in (groups_text or "").split(",") if g.strip()]
    role = _mapped_role(name, groups, proxy.users, proxy.groups, proxy.default_role)
    return User(name=name, role=role, via="proxy")


def _mapped_role(
    name: str,
    groups: Sequence[str],
    users: Mapping[str, Role],
    by_group: Mapping[str, Role],
    default: Role | None,
) -> Role:
    """The role of a person whom a proxy or an identity provider vouches for: their own mapping, else
    the highest of their groups', else the default; none of these refuses (``no_role``)."""
    if name in users:
        return users[name]
    roles = [by_group[g] for g in groups if g in by_group]
    if not roles and default is not None:
        roles.append(default)
    if not roles:
        raise AuthenticationFailed("no_role", f"{name} has no role in Sunlight")
    return max(roles, key=lambda r: r.rank)


def oidc_user(config: AuthConfig, claims: Mapping[str, Any]) -> User:
    """The person an OpenID Connect provider signed in (``st.user``'s claims), with their role from the
    ``oidc:`` mapping. Refuses (``no_identity``, ``no_role``) like the proxy mode."""
    oidc = config.oidc
    name = str(claims.get(oidc.user_claim) or "").strip()
    if not name or not claims.get("is_logged_in", True):
        raise AuthenticationFailed("no_identity", f"the identity provider sent no {oidc.user_claim} claim")
    raw = claims.get(oidc.groups_claim) if oidc.groups_claim else None
    groups = [str(g).strip() for g in raw] if isinstance(raw, (list, tuple)) else str(raw or "").split(",")
    role = _mapped_role(
        name, [g.strip() for g in groups if g.strip()], oidc.users, oidc.groups, oidc.default_role
    )
    return User(name=name, role=role, via="oidc")


def _refused(throttled: Throttled, wrong_password: bool) -> AuthenticationFailed:
    """The refusal a person sees when sign-ins for their name or from their machine must wait."""
    if throttled.locked:
        return AuthenticationFailed(
            "locked",
            f"too many failed sign-ins: locked for {throttled.wait_seconds} s",
            throttled.wait_seconds,
            checked=wrong_password,
        )
    code = "bad_credentials_wait" if wrong_password else "throttled"
    return AuthenticationFailed(
        code,
        f"wrong account name or password; wait {throttled.wait_seconds} s",
        throttled.wait_seconds,
        checked=wrong_password,
    )


def _password_user(
    config: AuthConfig,
    name: str,
    password: str,
    client: str | None,
    audit: AuditLog | None,
    users: UserStore | None,
    throttle: SignInThrottle | None,
) -> User:
    """Local sign-in behind the throttle: a name or client that must wait is refused before any
    password is checked; a wrong password counts against both (sunlight.throttle)."""
    throttle = throttle or config.throttle()
    try:
        throttle.check(name, client, audit)
    except Throttled as throttled:
        raise _refused(throttled, wrong_password=False) from None
    account = (users or config.users()).verify(name, password)
    if account is None:
        next_attempt = throttle.failed(name, client, audit)
        if next_attempt is not None:
            raise _refused(next_attempt, wrong_password=True)
        raise AuthenticationFailed("bad_credentials", "wrong account name or password")
    throttle.succeeded(name)
    return User(name=account.name, role=account.role, via="password")


def authenticate(
    config: AuthConfig,
    *,
    name: str | None = None,
    password: str | None = None,
    headers: Mapping[str, str] | None = None,
    audit: AuditLog | None = None,
    users: UserStore | None = None,
    client: str | None = None,
    throttle: SignInThrottle | None = None,
    claims: Mapping[str, Any] | None = None,
) -> User:
    """Sign a person in: with ``name`` and ``password`` (mode local) or the proxy's ``headers``
    (mode proxy) or the identity provider's ``claims`` (mode oidc, ``st.user``). Raises :class:`AuthenticationFailed` (``wait_seconds`` set when the next attempt
    must wait); the trail, when given, records the sign-in or the refusal (``auth.login``,
    ``auth.login_failed``, ``auth.locked``) — never a password. ``client`` is the address failures
    are also counted against (:func:`sunlight.throttle.client_address`)."""
    attempted = (name or "").strip()
    try:
        if config.mode == "proxy":
            user = _proxy_user(config, headers or {})
        elif config.mode == "oidc":
            user = oidc_user(config, claims or {})
        else:
            user = _password_user(config, attempted, password or "", client, audit, users, throttle)
    except AuthenticationFailed as failure:
        # an attempt refused unchecked is not written: the lock that refused it is in the trail already
        if audit is not None and failure.checked:
            who: str | None = attempted or None
            if config.mode == "proxy":
                who = (_header(headers or {}, config.proxy.user_header) or "").strip() or None
            elif config.mode == "oidc":
                who = str((claims or {}).get(config.oidc.user_claim) or "").strip() or None
            reason = "bad_credentials" if failure.code in ("locked", "bad_credentials_wait") else failure.code
            details: dict[str, Any] = {"name": who, "reason": reason, "mode": config.mode}
            if client:
                details["client"] = client
            audit.append("auth.login_failed", details, actor=who or "unknown")
        raise
    if audit is not None:
        audit.append("auth.login", {"role": user.role.value, "mode": config.mode}, actor=user.name)
    return user


def refresh(
    config: AuthConfig,
    user: User,
    headers: Mapping[str, str] | None = None,
    claims: Mapping[str, Any] | None = None,
) -> User:
    """The user as the accounts say now: a removed or disabled account, or a proxy or identity-provider
    user who lost their role, raises :class:`AuthenticationFailed`; a changed role takes effect."""
    if user.via == "proxy":
        return _proxy_user(config, headers) if headers is not None else user
    if user.via == "oidc":
        return oidc_user(config, claims) if claims is not None else user
    account = config.users().get(user.name)
    if account is None or account.disabled:
        raise AuthenticationFailed("account_closed", f"the account {user.name} is closed")
    return replace(user, role=account.role)


def revoke_sessions(config: AuthConfig, name: str, audit: AuditLog | None, because: str) -> int:
    """End every session of account ``name`` on the server (each tab signs out at its next page run);
    ``auth.session_revoked`` for each. Returns how many ended."""
    ended = config.sessions().end_all(name)
    if audit is not None:
        for session in ended:
            audit.append(
                "auth.session_revoked",
                {"session": session.ref, "because": because, "by": current_actor()},
                actor=name,
            )
    return len(ended)


def role_of(user: User) -> Role:
    return user.role


# ---- what a role may do ----------------------------------------------------------------------------
def _rows_for(alerts: pd.DataFrame, target: str) -> pd.DataFrame:
    """The alert rows a target names: an entity key (``employee:E001``), else a case id or an alert id."""
    from graph.schema import NODE_TYPES

    entity_type, sep, entity_id = target.partition(":")
    if sep and entity_id and entity_type in {spec.entity_type for spec in NODE_TYPES}:
        return alerts[(alerts["entity_type"] == entity_type) & (alerts["entity_id"] == entity_id)]
    if "case_id" in alerts.columns:
        return alerts[(alerts["alert_id"] == target) | (alerts["case_id"] == target)]
    return alerts[alerts["alert_id"] == target]


def _own_active(user: User, rows: pd.DataFrame) -> pd.DataFrame:
    return rows[(rows["assignee"] == user.name) & rows["status"].isin(ACTIVE_CASE_STATUSES)]


def can_unmask(user: User, alert_or_entity: str, alerts: pd.DataFrame) -> bool:
    """Whether ``user`` may see the personal identifiers behind an alert (its whole case page) or an
    entity (``employee:E001``) unmasked: an investigator or admin, on a case assigned to them that is
    still active. ``alerts`` is ``Store.alerts()`` (one row per alert and flagged entity)."""
    if user.role.rank < Role.INVESTIGATOR.rank:
        return False
    return not _own_active(user, _rows_for(alerts, alert_or_entity)).empty


def can_act_on_case(user: User, alert_id: str, alerts: pd.DataFrame) -> bool:
    """Move a case, add a note: an admin on any case, an investigator on the cases assigned to them."""
    if user.role == Role.ADMIN:
        return True
    if user.role != Role.INVESTIGATOR:
        return False
    rows = _rows_for(alerts, alert_id)
    return bool((rows["assignee"] == user.name).any())


def can_assign(user: User) -> bool:
    """Give a case to someone: admins only (an assignment is what opens a case's personal data)."""
    return user.role == Role.ADMIN


def can_manage_users(user: User) -> bool:
    return user.role == Role.ADMIN


def record_unmasked_view(
    audit: AuditLog,
    user: User,
    alert_or_entity: str,
    alerts: pd.DataFrame,
    fields: Sequence[str] = (),
    page: str | None = None,
) -> dict[str, Any]:
    """Check that ``user`` may unmask ``alert_or_entity`` and write the view to the trail; call it
    *before* showing anything unmasked, and show nothing if it raises.

    Writes ``privacy.unmask`` (who, which alert or entity, which fields, the cases that allow it)
    and returns the entry; a refusal is written as ``privacy.unmask_denied`` and raises
    :class:`AccessDenied`. A trail that cannot be written raises too, and then nothing may be shown.
    """
    rows = _rows_for(alerts, alert_or_entity)
    rows = _own_active(user, rows) if user.role.rank >= Role.INVESTIGATOR.rank else rows.iloc[0:0]
    details: dict[str, Any] = {
        "target": alert_or_entity,
        "role": user.role.value,
        "fields": list(fields),
    }
    if page:
        details["page"] = page
    if rows.empty:
        audit.append("privacy.unmask_denied", details, actor=user.name)
        raise AccessDenied(f"{user.name} ({user.role.value}) may not see {alert_or_entity} unmasked")
    # the cases that allow it (alerts of a store not yet grouped into cases stand for themselves)
    if "case_id" in rows.columns:
        details["cases"] = sorted(
            {
                c if isinstance(c, str) and c else a
                for a, c in zip(rows["alert_id"], rows["case_id"], strict=True)
            }
        )
    else:
        details["cases"] = sorted(set(rows["alert_id"]))
    return audit.append("privacy.unmask", details, actor=user.name)


# ---- `sunlight user` -------------------------------------------------------------------------------
def add_user_verb(verbs: Any, parents: Sequence[argparse.ArgumentParser] = ()) -> argparse.ArgumentParser:
    """Register ``sunlight user ACTION NAME`` on the CLI's sub-parsers (``build_parser``'s ``verbs``)."""
    p = verbs.add_parser(
        "user", parents=list(parents), help="local accounts: add, list, role, password, disable, unlock"
    )
    p.add_argument(
        "action", choices=("add", "list", "set-role", "passwd", "disable", "enable", "remove", "unlock")
    )
    p.add_argument("name", nargs="?", help="account name")
    p.add_argument("--role", choices=[r.value for r in Role], help="viewer, investigator or admin")
    p.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input (for scripts)"
    )
    p.set_defaults(func=cmd_user)
    return p


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise AuthError("no terminal to ask for the password: use --password-stdin")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise AuthError("the two passwords differ")
    return first


def cmd_user(args: argparse.Namespace) -> int:
    """``sunlight user add NAME --role R`` and friends; every change is written to the trail.

    Disabling or removing an account, or changing its password, also ends its sessions in every
    browser (``auth.session_revoked``); ``unlock`` lifts a lock after failed sign-ins (``auth.unlocked``).
    Exit 0 on success, 1 when the change is refused (message on stderr), 2 on bad usage.
    """
    store_path = getattr(args, "store", None) or os.environ.get("SUNLIGHT_STORE")
    neo4j_uri = getattr(args, "neo4j", None)
    trail = AuditLog(auth_folder(store_path, neo4j_uri))
    try:
        config = load_auth_config(store_path, neo4j_uri)
    except AuthConfigError as exc:
        print(f"sunlight user: {exc}", file=sys.stderr)
        return 1
    users = UserStore(config.folder)
    action, name = args.action, args.name
    if action != "list" and not name:
        print(f"sunlight user {action}: name the account", file=sys.stderr)
        return 2
    try:
        if action == "list":
            throttle = config.throttle()
            for account in users.accounts():
                state = " (disabled)" if account.disabled else ""
                left = throttle.locked(account.name)
                if left is not None:
                    state += f" (locked {int(left // 60) + 1} min)"
                print(f"{account.name}\t{account.role.value}{state}\tchanged {account.changed}")
            return 0
        if action == "unlock":
            if not config.throttle().unlock(name):
                print(f"unlock {name}: not locked, no failed sign-ins recorded")
                return 0
            trail.append("auth.unlocked", {"scope": "account", "name": name, "by": current_actor()})
        elif action == "add":
            if not args.role:
                print("sunlight user add: --role viewer|investigator|admin is required", file=sys.stderr)
                return 2
            account = users.add(name, args.role, _password(args))
            trail.append("user.add", {"name": account.name, "role": account.role.value})
        elif action == "set-role":
            if not args.role:
                print("sunlight user set-role: --role is required", file=sys.stderr)
                return 2
            account = users.set_role(name, args.role)
            trail.append("user.role", {"name": name, "role": account.role.value})
        elif action == "passwd":
            users.set_password(name, _password(args))
            trail.append("user.password", {"name": name})
            revoke_sessions(config, name, trail, because="user.password")
        elif action in ("disable", "enable"):
            users.set_disabled(name, action == "disable")
            trail.append(f"user.{action}", {"name": name})
            if action == "disable":
                revoke_sessions(config, name, trail, because="user.disable")
        elif action == "remove":
            users.remove(name)
            trail.append("user.remove", {"name": name})
            revoke_sessions(config, name, trail, because="user.remove")
    except AuthError as exc:
        print(f"sunlight user {action}: {exc}", file=sys.stderr)
        return 1
    print(f"{action} {name}: done (by {current_actor()})")
    return 0

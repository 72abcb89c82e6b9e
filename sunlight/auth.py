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

from sunlight.audit import AuditLog, audit_log_for, current_actor, exclusive_lock

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
    "record_unmasked_view",
    "refresh",
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

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


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
class AuthConfig:
    """Where identity comes from (``local`` accounts or a ``proxy`` header) and where accounts live."""

    folder: Path
    mode: str = "local"
    proxy: ProxySettings = field(default_factory=ProxySettings)

    @property
    def users_file(self) -> Path:
        return self.folder / USERS_FILENAME

    def users(self) -> UserStore:
        return UserStore(self.folder)


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
    maps: dict[str, dict[str, Role]] = {}
    for key in ("users", "groups"):
        value = doc.get(key) or {}
        if not isinstance(value, dict):
            raise AuthConfigError(f"{file}: proxy.{key} must map names to roles")
        maps[key] = {str(k).strip(): _role(v, f"{file}: proxy.{key}.{k}") for k, v in value.items()}
    default = doc.get("default_role")
    return ProxySettings(
        user_header=str(doc.get("user_header") or "X-Remote-User"),
        groups_header=doc.get("groups_header") or None,
        secret_header=doc.get("secret_header") or None,
        secret_env=str(doc.get("secret_env") or "SUNLIGHT_PROXY_SECRET"),
        users=maps["users"],
        groups=maps["groups"],
        default_role=None if default is None else _role(default, f"{file}: proxy.default_role"),
    )


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
    unknown = sorted(set(doc) - {"mode", "proxy", "users_folder"})
    if unknown:
        raise AuthConfigError(f"{path}: unknown key(s): {', '.join(unknown)}")
    mode = str(doc.get("mode") or "local")
    if mode not in ("local", "proxy"):
        raise AuthConfigError(f"{path}: mode must be local or proxy, not {mode!r}")
    if doc.get("users_folder"):
        folder = (path.parent / str(doc["users_folder"])).resolve()
    proxy = _proxy_settings(doc.get("proxy"), path)
    if mode == "proxy" and doc.get("proxy") is None:
        raise AuthConfigError(f"{path}: mode proxy needs a proxy section (at least its role mapping)")
    return AuthConfig(folder=folder, mode=mode, proxy=proxy)


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
        tmp = self.path.with_suffix(".tmp")
        descriptor = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(doc, handle, ensure_ascii=False, indent=2)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(self.path)

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
    roles = []
    if name in proxy.users:
        roles.append(proxy.users[name])
    else:
        groups_text = _header(headers, proxy.groups_header) if proxy.groups_header else None
        groups = [g.strip() for g in (groups_text or "").split(",") if g.strip()]
        roles.extend(proxy.groups[g] for g in groups if g in proxy.groups)
        if not roles and proxy.default_role is not None:
            roles.append(proxy.default_role)
    if not roles:
        raise AuthenticationFailed("no_role", f"{name} has no role in Sunlight")
    return User(name=name, role=max(roles, key=lambda r: r.rank), via="proxy")


def authenticate(
    config: AuthConfig,
    *,
    name: str | None = None,
    password: str | None = None,
    headers: Mapping[str, str] | None = None,
    audit: AuditLog | None = None,
    users: UserStore | None = None,
) -> User:
    """Sign a person in: with ``name`` and ``password`` (mode local) or the proxy's ``headers``
    (mode proxy). Raises :class:`AuthenticationFailed`; the trail, when given, records the
    sign-in or the refusal (``auth.login``, ``auth.login_failed``) — never a password."""
    try:
        if config.mode == "proxy":
            user = _proxy_user(config, headers or {})
        else:
            store = users or config.users()
            account = store.verify((name or "").strip(), password or "")
            if account is None:
                raise AuthenticationFailed("bad_credentials", "wrong account name or password")
            user = User(name=account.name, role=account.role, via="password")
    except AuthenticationFailed as failure:
        if audit is not None:
            attempted = (name or "").strip() if config.mode == "local" else None
            if config.mode == "proxy" and headers is not None:
                attempted = (_header(headers, config.proxy.user_header) or "").strip() or None
            audit.append(
                "auth.login_failed",
                {"name": attempted, "reason": failure.code, "mode": config.mode},
                actor=attempted or "unknown",
            )
        raise
    if audit is not None:
        audit.append("auth.login", {"role": user.role.value, "mode": config.mode}, actor=user.name)
    return user


def refresh(config: AuthConfig, user: User, headers: Mapping[str, str] | None = None) -> User:
    """The user as the accounts say now: a removed or disabled account, or a proxy user who
    lost their role, raises :class:`AuthenticationFailed`; a changed role takes effect."""
    if user.via == "proxy":
        return _proxy_user(config, headers) if headers is not None else user
    account = config.users().get(user.name)
    if account is None or account.disabled:
        raise AuthenticationFailed("account_closed", f"the account {user.name} is closed")
    return replace(user, role=account.role)


def role_of(user: User) -> Role:
    return user.role


# ---- what a role may do ----------------------------------------------------------------------------
def _rows_for(alerts: pd.DataFrame, target: str) -> pd.DataFrame:
    """The alert rows a target names: an entity key (``employee:E001``) or else an alert id."""
    from graph.schema import NODE_TYPES

    entity_type, sep, entity_id = target.partition(":")
    if sep and entity_id and entity_type in {spec.entity_type for spec in NODE_TYPES}:
        return alerts[(alerts["entity_type"] == entity_type) & (alerts["entity_id"] == entity_id)]
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
    details["cases"] = sorted(set(rows["alert_id"]))
    return audit.append("privacy.unmask", details, actor=user.name)


# ---- `sunlight user` -------------------------------------------------------------------------------
def add_user_verb(verbs: Any, parents: Sequence[argparse.ArgumentParser] = ()) -> argparse.ArgumentParser:
    """Register ``sunlight user ACTION NAME`` on the CLI's sub-parsers (``build_parser``'s ``verbs``)."""
    p = verbs.add_parser(
        "user", parents=list(parents), help="local accounts: add, list, role, password, disable"
    )
    p.add_argument("action", choices=("add", "list", "set-role", "passwd", "disable", "enable", "remove"))
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

    Exit 0 on success, 1 when the change is refused (message on stderr), 2 on bad usage.
    """
    store_path = getattr(args, "store", None) or os.environ.get("SUNLIGHT_STORE")
    folder = auth_folder(store_path, getattr(args, "neo4j", None))
    users = UserStore(folder)
    trail = AuditLog(folder)
    action, name = args.action, args.name
    if action != "list" and not name:
        print(f"sunlight user {action}: name the account", file=sys.stderr)
        return 2
    try:
        if action == "list":
            for account in users.accounts():
                state = " (disabled)" if account.disabled else ""
                print(f"{account.name}\t{account.role.value}{state}\tchanged {account.changed}")
            return 0
        if action == "add":
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
        elif action in ("disable", "enable"):
            users.set_disabled(name, action == "disable")
            trail.append(f"user.{action}", {"name": name})
        else:
            users.remove(name)
            trail.append("user.remove", {"name": name})
    except AuthError as exc:
        print(f"sunlight user {action}: {exc}", file=sys.stderr)
        return 1
    print(f"{action} {name}: done (by {current_actor()})")
    return 0

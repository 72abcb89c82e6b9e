"""Who is using the app: sign-in on each page run, as docs/security.md describes.

Every page run reads ``auth.yaml`` afresh (:func:`sunlight.auth.load_auth_config`). A person
already signed in is checked against the accounts as they are now (:func:`sunlight.auth.refresh`):
a disabled or removed account, or a proxy that no longer vouches for them, ends the session on
that run. Without a signed-in person, proxy mode signs them in from the proxy's headers and local
mode shows a sign-in form. There is no anonymous use: with no account at all the app shows only
how to create the first one. Every sign-in, refusal and sign-out goes to the trail.

A local sign-in starts a server-side session (:mod:`sunlight.sessions`) that every tab of the browser
shares through the ``sunlight_session`` cookie: a reload or a link opened in a new tab resumes it,
and each page run checks that it is still alive (not signed out elsewhere, not idle too long, its
account still enabled). Failed sign-ins slow down and lock (:mod:`sunlight.throttle`), counted per
account name and per client address.
"""

from __future__ import annotations

import html
import time
from collections.abc import Mapping
from contextlib import suppress
from typing import Any, NoReturn

import streamlit as st

from sunlight.auth import (
    MIN_PASSWORD_LENGTH,
    AuthConfig,
    AuthConfigError,
    AuthenticationFailed,
    User,
    authenticate,
    load_auth_config,
    oidc_user,
    refresh,
    revoke_sessions,
)
from sunlight.sessions import COOKIE_NAME, issue_ticket, ticket_redeemed
from sunlight.throttle import client_address
from sunlight.ui import common
from sunlight.ui.labels import LABELS, t

__all__ = ["auth_config", "current_user", "render_sign_in", "render_sign_out", "role_label"]

# How a user of each mode signed in (``User.via``): a session from the other mode is not carried over.
_VIA = {"local": "password", "proxy": "proxy", "oidc": "oidc"}
_PROXY_FAILURE = "_auth_proxy_failure"
_NOTICE = "_auth_notice"
#: The server-side session of this tab (its id, which the cookie also carries) and its pending ticket.
_SESSION_ID = "_auth_session_id"
_TICKET = "_auth_ticket"
#: Session keys that outlive a sign-out: the language (the switch is already drawn when the button runs).
_KEPT_ACROSS_SESSIONS = frozenset({"lang", "_lang_seen"})


def _stop_on_broken_config(error: AuthConfigError) -> NoReturn:
    st.error(t("auth_config_error", common.lang(), error=error))
    st.stop()
    raise error  # st.stop() raises already; this tells type checkers that nothing follows


def auth_config() -> AuthConfig:
    """``auth.yaml`` as it is now; a broken file stops the page (no access on a guess)."""
    data = common.source()
    try:
        return load_auth_config(data.path, data.neo4j_uri)
    except AuthConfigError as exc:
        _stop_on_broken_config(exc)


def role_label(user: User, language: str) -> str:
    return t(f"role_{user.role.value}", language)


def _wait_text(seconds: int, language: str) -> str:
    """A wait as a person reads it: seconds below two minutes, else minutes (rounded up)."""
    if seconds < 120:
        return t("wait_seconds", language, n=seconds)
    return t("wait_minutes", language, n=(seconds + 59) // 60)


def _failure_message(code: str, language: str, wait_seconds: int | None = None) -> str:
    key = f"auth_{code}"
    if key not in LABELS:
        return t("auth_failed", language, code=code)
    wait = _wait_text(wait_seconds, language) if wait_seconds else ""
    return t(key, language, wait=wait)


def _headers() -> Mapping[str, str]:
    return st.context.headers


def _claims() -> dict[str, Any] | None:
    """What the identity provider said about the person (``st.user``), or ``None`` when nobody is
    signed in there (or Streamlit's own sign-in is not configured)."""
    try:
        if not st.user.is_logged_in:
            return None
        return dict(st.user.to_dict())
    except Exception:  # no [auth] in secrets.toml: Streamlit refuses to say
        return None


def _client(config: AuthConfig) -> str | None:
    """The address failed sign-ins are counted against (the proxy's forwarded one where configured)."""
    return client_address(st.context.headers, st.context.ip_address, config.signin.client_header)


def _end_session(notice: str | None = None) -> None:
    """Forget everything of this session (filters, a query result, the case last open) but the language,
    so that whoever signs in next on this tab starts clean."""
    for key in [k for k in st.session_state if k not in _KEPT_ACROSS_SESSIONS]:
        del st.session_state[key]
    if notice:
        st.session_state[_NOTICE] = notice


def _record(action: str, details: dict[str, object], actor: str) -> None:
    """Write a session's end to the trail; ending access does not wait on a trail that cannot be written."""
    with suppress(OSError):
        common.source().audit().append(action, details, actor=actor)


def _alive(config: AuthConfig, session_id: str | None, mode: str) -> tuple[str | None, str | None]:
    """Whether this tab's server-side session lives: (``None``, ``None``) if so; else the account it
    belonged to and the notice to show (``session_expired``, ``signed_out_elsewhere``)."""
    if not session_id:
        return None, "signed_out_elsewhere"
    session, ended = config.sessions().resume(session_id)
    if ended is None:
        return None, None
    if session is not None:  # idle or too old: ended just now
        _record(
            "auth.session_expired",
            {"session": session.ref, "reason": ended, "mode": mode},
            actor=session.name,
        )
        return session.name, "session_expired"
    return None, "signed_out_elsewhere"


def _from_cookie(config: AuthConfig, claims: Mapping[str, Any] | None = None) -> User | None:
    """Resume the browser's session from its cookie (a reload, a new tab), if it is alive and its
    account still may sign in (mode oidc: the provider still vouches for the same person)."""
    sessions = config.sessions()
    session_id = sessions.session_id(st.context.cookies.get(COOKIE_NAME))
    if session_id is None:
        return None
    session, ended = sessions.resume(session_id)
    if session is None:
        return None  # signed out or revoked: the cookie is a dead letter
    if ended is not None:
        _record(
            "auth.session_expired",
            {"session": session.ref, "reason": ended, "mode": config.mode},
            actor=session.name,
        )
        st.session_state[_NOTICE] = "session_expired"
        return None
    if session.via != _VIA[config.mode]:
        return None
    if config.mode == "oidc":
        try:
            user = oidc_user(config, claims or {})
        except AuthenticationFailed as exc:
            revoke_sessions(config, session.name, common.source().audit(), because=exc.code)
            return None
        if user.name != session.name:  # another person signed in at the provider: not this session
            revoke_sessions(config, session.name, common.source().audit(), because="other_identity")
            return None
    else:
        try:
            account = config.users().get(session.name)
        except AuthConfigError as exc:
            _stop_on_broken_config(exc)
        if account is None or account.disabled:
            revoke_sessions(config, session.name, common.source().audit(), because="account_closed")
            st.session_state[_NOTICE] = "account_closed"
            return None
        user = User(name=account.name, role=account.role, via=session.via)
    st.session_state[common.USER_KEY] = user
    st.session_state[_SESSION_ID] = session_id
    return user


def _start_session(config: AuthConfig, user: User, client: str | None) -> None:
    """A new server-side session for ``user`` in this tab, and the ticket the page exchanges for its
    cookie (:func:`render_session_cookie`)."""
    sessions = config.sessions()
    session_id, session = sessions.start(user.name, user.via, client=client)
    common.source().audit().append(
        "auth.session_start",
        {"session": session.ref, "mode": config.mode, "client": client},
        actor=user.name,
    )
    st.session_state[common.USER_KEY] = user
    st.session_state[_SESSION_ID] = session_id
    st.session_state[_TICKET] = issue_ticket(sessions.cookie_value(session_id))


def _from_provider(config: AuthConfig, claims: Mapping[str, Any] | None) -> User | None:
    """A session for the person the identity provider has just signed in. Only a fresh sign-in there
    (the token issued within ``fresh_login_seconds``) starts one: Streamlit keeps the provider's word
    in a cookie for weeks, and a session that ended here (idle, signed out) must not start again from it."""
    if not claims:
        return None
    issued = claims.get("iat")
    if not isinstance(issued, (int, float)) or time.time() - issued > config.oidc.fresh_login_seconds:
        st.session_state.setdefault(_NOTICE, "provider_again")
        return None
    client = _client(config)
    try:
        user = authenticate(config, claims=claims, audit=common.source().audit(), client=client)
        _start_session(config, user, client)
    except AuthenticationFailed as exc:
        st.session_state[_NOTICE] = exc.code
        return None
    except OSError as exc:
        st.error(t("auth_trail_unwritable", common.lang(), error=exc))
        st.stop()
    return user


def current_user(config: AuthConfig) -> User | None:
    """The signed-in person for this page run, or ``None`` when they must sign in first.

    In proxy mode this signs the person in from the headers (once per session; a refusal is
    recorded once and then shown until the tab is reloaded); in local mode it resumes the browser's
    session from its cookie."""
    data = common.source()
    user = st.session_state.get(common.USER_KEY)
    headers = _headers() if config.mode == "proxy" else None
    claims = _claims() if config.mode == "oidc" else None
    if isinstance(user, User):
        if user.via != _VIA[config.mode]:
            _end_session()  # auth.yaml changed mode under the session
        elif (
            config.mode != "proxy"
            and (ended := _alive(config, st.session_state.get(_SESSION_ID), config.mode))[1]
        ):
            _end_session(notice=ended[1])
        else:
            try:
                now = refresh(config, user, headers, claims if config.mode == "oidc" else None)
            except AuthenticationFailed as exc:
                if config.mode != "proxy":
                    revoke_sessions(config, user.name, data.audit(), because=exc.code)
                _end_session(notice=exc.code)
            except AuthConfigError as exc:  # users.json unreadable: nobody is let in on a guess
                _stop_on_broken_config(exc)
            else:
                if now.name == user.name:
                    st.session_state[common.USER_KEY] = now
                    return now
                _end_session()  # the proxy now vouches for someone else: sign that person in anew
    if config.mode == "local":
        return _from_cookie(config)
    if config.mode == "oidc":
        return _from_cookie(config, claims) or _from_provider(config, claims)
    if st.session_state.get(_PROXY_FAILURE):
        return None
    try:
        user = authenticate(config, headers=headers, audit=data.audit())
    except AuthenticationFailed as exc:
        st.session_state[_PROXY_FAILURE] = exc.code
        return None
    except AuthConfigError as exc:
        _stop_on_broken_config(exc)
    except OSError as exc:
        st.error(t("auth_trail_unwritable", common.lang(), error=exc))
        st.stop()
    st.session_state[common.USER_KEY] = user
    return user


def render_sign_in(config: AuthConfig) -> None:
    """What a person who is not signed in sees: why not (proxy mode), how to create the first account,
    or the sign-in form. Signs them in and re-runs the page on success."""
    language = common.lang()
    st.title(t("app_title", language))
    notice = st.session_state.pop(_NOTICE, None)
    if config.mode == "proxy":
        # a session the proxy stopped vouching for has been tried again: its refusal says why
        code = st.session_state.get(_PROXY_FAILURE)
        if code:
            st.error(_failure_message(code, language))
        return
    if notice == "signed_out":
        st.info(t("signed_out", language))
    elif notice:
        st.warning(_failure_message(notice, language))
    st.subheader(t("sign_in_title", language))
    if config.mode == "oidc":
        st.caption(t("sign_in_intro_oidc", language))
        if st.button(t("sign_in_oidc", language), type="primary", icon=":material/login:"):
            if config.oidc.provider:
                st.login(config.oidc.provider)
            else:
                st.login()
        return
    try:
        has_accounts = bool(config.users().accounts())
    except AuthConfigError as exc:
        st.error(t("auth_config_error", language, error=exc))
        return
    if not has_accounts:
        data = common.source()
        where = f"--neo4j {data.neo4j_uri}" if data.neo4j_uri else f"--store {data.path}"
        st.warning(t("no_accounts", language, n=MIN_PASSWORD_LENGTH))
        st.code(f"sunlight user add NAME --role admin {where}", language="bash")
        return
    st.caption(t("sign_in_intro", language))
    # cleared on submit: the password does not stay in the session once it has been checked
    with st.form("sign_in", clear_on_submit=True):
        name = st.text_input(t("account_name", language), autocomplete="username")
        password = st.text_input(t("password", language), type="password", autocomplete="current-password")
        submitted = st.form_submit_button(t("sign_in", language), type="primary", icon=":material/login:")
    if not submitted:
        return
    client = _client(config)
    try:
        user = authenticate(
            config, name=name, password=password, audit=common.source().audit(), client=client
        )
        _start_session(config, user, client)
    except AuthenticationFailed as exc:
        st.error(_failure_message(exc.code, language, exc.wait_seconds))
        return
    except AuthConfigError as exc:
        st.error(t("auth_config_error", language, error=exc))
        return
    except OSError as exc:
        st.error(t("auth_trail_unwritable", language, error=exc))
        return
    st.rerun()


def render_session_cookie() -> None:
    """Until the browser holds the session's cookie, ask it to fetch it: an image whose answer sets
    the cookie (``sunlight.ui.http``). Once fetched, nothing is drawn."""
    from sunlight.ui.http import session_url

    ticket = st.session_state.get(_TICKET)
    if not ticket:
        return
    if ticket_redeemed(ticket):
        del st.session_state[_TICKET]
        return
    st.html(f'<img src="{html.escape(session_url(ticket))}" alt="" width="1" height="1">')


def render_sign_out(config: AuthConfig, user: User) -> None:
    """The sidebar's account line and, for local accounts, the sign-out button (behind a proxy,
    signing out is the proxy's business: it would sign the person straight back in)."""
    language = common.lang()
    st.markdown(t("signed_in_as", language, name=common.md(user.name), role=role_label(user, language)))
    if config.mode == "proxy":
        st.caption(t("signed_in_via_proxy", language))
        return
    render_session_cookie()
    if st.button(t("sign_out", language), icon=":material/logout:", key="sign_out"):
        session_id = st.session_state.get(_SESSION_ID)
        ended = config.sessions().end(session_id) if session_id else None
        details: dict[str, object] = {"mode": config.mode}
        if ended is not None:
            details["session"] = ended.ref
        # ending access is safe without a record, so a trail that cannot be written does not stop it
        _record("auth.logout", details, actor=user.name)
        _end_session(notice="signed_out")
        if config.mode == "oidc":
            st.logout()  # also forget the provider's word in Streamlit's cookie (and sign out there)
        st.rerun()

"""Who is using the app: sign-in on each page run, as docs/security.md describes.

Every page run reads ``auth.yaml`` afresh (:func:`sunlight.auth.load_auth_config`). A person
already signed in is checked against the accounts as they are now (:func:`sunlight.auth.refresh`):
a disabled or removed account, or a proxy that no longer vouches for them, ends the session on
that run. Without a signed-in person, proxy mode signs them in from the proxy's headers and local
mode shows a sign-in form. There is no anonymous use: with no account at all the app shows only
how to create the first one. Every sign-in, refusal and sign-out goes to the trail.

The signed-in :class:`sunlight.auth.User` lives in the Streamlit session, which ends with the
browser tab: a reload signs in again (the app sets no cookie of its own).
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from typing import NoReturn

import streamlit as st

from sunlight.auth import (
    MIN_PASSWORD_LENGTH,
    AuthConfig,
    AuthConfigError,
    AuthenticationFailed,
    User,
    authenticate,
    load_auth_config,
    refresh,
)
from sunlight.ui import common
from sunlight.ui.labels import LABELS, t

__all__ = ["auth_config", "current_user", "render_sign_in", "render_sign_out", "role_label"]

# How a user of each mode signed in (``User.via``): a session from the other mode is not carried over.
_VIA = {"local": "password", "proxy": "proxy"}
_PROXY_FAILURE = "_auth_proxy_failure"
_NOTICE = "_auth_notice"
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


def _failure_message(code: str, language: str) -> str:
    key = f"auth_{code}"
    return t(key, language) if key in LABELS else t("auth_failed", language, code=code)


def _headers() -> Mapping[str, str]:
    return st.context.headers


def _end_session(notice: str | None = None) -> None:
    """Forget everything of this session (filters, a query result, the case last open) but the language,
    so that whoever signs in next on this tab starts clean."""
    for key in [k for k in st.session_state if k not in _KEPT_ACROSS_SESSIONS]:
        del st.session_state[key]
    if notice:
        st.session_state[_NOTICE] = notice


def current_user(config: AuthConfig) -> User | None:
    """The signed-in person for this page run, or ``None`` when they must sign in first.

    In proxy mode this signs the person in from the headers (once per session; a refusal is
    recorded once and then shown until the tab is reloaded)."""
    data = common.source()
    user = st.session_state.get(common.USER_KEY)
    headers = _headers() if config.mode == "proxy" else None
    if isinstance(user, User):
        if user.via != _VIA[config.mode]:
            _end_session()  # auth.yaml changed mode under the session
        else:
            try:
                now = refresh(config, user, headers)
            except AuthenticationFailed as exc:
                _end_session(notice=exc.code)
            except AuthConfigError as exc:  # users.json unreadable: nobody is let in on a guess
                _stop_on_broken_config(exc)
            else:
                if now.name == user.name:
                    st.session_state[common.USER_KEY] = now
                    return now
                _end_session()  # the proxy now vouches for someone else: sign that person in anew
    if config.mode != "proxy" or st.session_state.get(_PROXY_FAILURE):
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
    try:
        user = authenticate(config, name=name, password=password, audit=common.source().audit())
    except AuthenticationFailed as exc:
        st.error(_failure_message(exc.code, language))
        return
    except AuthConfigError as exc:
        st.error(t("auth_config_error", language, error=exc))
        return
    except OSError as exc:
        st.error(t("auth_trail_unwritable", language, error=exc))
        return
    st.session_state[common.USER_KEY] = user
    st.rerun()


def render_sign_out(config: AuthConfig, user: User) -> None:
    """The sidebar's account line and, for local accounts, the sign-out button (behind a proxy,
    signing out is the proxy's business: it would sign the person straight back in)."""
    language = common.lang()
    st.markdown(t("signed_in_as", language, name=common.md(user.name), role=role_label(user, language)))
    if config.mode == "proxy":
        st.caption(t("signed_in_via_proxy", language))
        return
    if st.button(t("sign_out", language), icon=":material/logout:", key="sign_out"):
        # ending access is safe without a record, so a trail that cannot be written does not stop it
        with suppress(OSError):
            common.source().audit().append("auth.logout", {"mode": config.mode}, actor=user.name)
        _end_session(notice="signed_out")
        st.rerun()

"""Security: signing in through an OpenID Connect provider with Streamlit's own ``st.login``
(``mode: oidc``), against a real provider on loopback (:mod:`e2e.oidc_provider`: discovery, an
authorization code used once, PKCE, an RS256-signed identity token) and the real app in Chromium.

The person the provider vouches for gets the role ``auth.yaml`` maps to their name or groups; a
person with no role is refused and the refusal is in the trail; the session then lasts across a
reload and a new tab like a local one, and signing out ends it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e.browser import CHROMIUM, CHROMIUM_ARGS, free_port, press, running_app, session_cookie, settled
from e2e.fixture_store import build_fixture_store
from e2e.oidc_provider import CLIENT_ID, CLIENT_SECRET, OidcProvider, running_provider

from sunlight.audit import AuditLog

pytestmark = [pytest.mark.security, pytest.mark.browser, pytest.mark.slow]

if not CHROMIUM.exists():
    pytest.skip("needs Debian's chromium at /usr/bin/chromium", allow_module_level=True)

SIGN_IN = re.compile("统一身份认证登录")


@pytest.fixture(scope="module")
def provider() -> Iterator[OidcProvider]:
    with running_provider() as running:
        yield running


@pytest.fixture(scope="module")
def app(provider: OidcProvider, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    folder = tmp_path_factory.mktemp("oidc")
    store = build_fixture_store(folder / "store")
    (store / "auth.yaml").write_text(
        "mode: oidc\n"
        "oidc:\n"
        "  user_claim: preferred_username\n"
        "  groups_claim: groups\n"
        "  users: {zhangwei: investigator}\n"
        "  groups: {jijian-leaders: admin}\n",
        encoding="utf-8",
    )
    port = free_port()
    secrets_file = folder / "secrets.toml"
    secrets_file.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_hex(32)}"\n'
        f'client_id = "{CLIENT_ID}"\n'
        f'client_secret = "{CLIENT_SECRET}"\n'
        f'server_metadata_url = "{provider.base}/.well-known/openid-configuration"\n',
        encoding="utf-8",
    )
    with running_app(
        store, folder / "streamlit.log", args=["--secrets.files", str(secrets_file)], port=port
    ) as base:
        yield base, store


def _signed_in_page(browser: Any, base: str) -> tuple[Any, Any]:
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(base + "/")
    press(page, page.get_by_role("button", name=SIGN_IN))
    return context, page


def test_the_provider_signs_a_person_in_with_the_mapped_role_and_the_session_lasts(
    provider: OidcProvider, app: tuple[str, Path], tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    base, store = app
    since = len(AuditLog(store).entries())
    provider.person = {"preferred_username": "lisi", "groups": ["jijian-leaders", "staff"], "name": "李四"}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context, page = _signed_in_page(browser, base)
            page.get_by_text("当前用户：lisi（管理员）").wait_for(timeout=60_000)
            cookie = session_cookie(context, page)
            assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
            settled(page)
            page.screenshot(path=str(tmp_path / "oidc-signed-in.png"))
            page.reload()
            page.get_by_text("当前用户：lisi（管理员）").wait_for(timeout=60_000)
            other = context.new_page()
            other.goto(base + "/queue")
            other.get_by_text("当前用户：lisi（管理员）").wait_for(timeout=60_000)
            press(other, other.get_by_role("button", name=re.compile("退出登录")))
            other.get_by_role("button", name=SIGN_IN).wait_for(timeout=60_000)
            context.close()
        finally:
            browser.close()
    # the provider was asked through the authorization-code flow, the code used once
    assert "/authorize" in provider.requests and "/token" in provider.requests and provider.codes == {}
    entries = AuditLog(store).entries()[since:]
    assert [(e["action"], e["actor"]) for e in entries] == [
        ("auth.login", "lisi"),
        ("auth.session_start", "lisi"),
        ("auth.logout", "lisi"),
    ]
    assert entries[0]["details"] == {"role": "admin", "mode": "oidc"}


def test_a_person_the_mapping_does_not_know_is_refused(provider: OidcProvider, app: tuple[str, Path]) -> None:
    from playwright.sync_api import sync_playwright

    base, store = app
    since = len(AuditLog(store).entries())
    provider.person = {"preferred_username": "stranger", "groups": ["visitors"]}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context, page = _signed_in_page(browser, base)
            page.get_by_text("您的账户尚未分配本系统的角色").wait_for(timeout=60_000)
            assert page.get_by_text("预警总数").count() == 0
            context.close()
        finally:
            browser.close()
    refused = [e for e in AuditLog(store).entries()[since:] if e["action"] == "auth.login_failed"]
    assert [(e["actor"], e["details"]["reason"], e["details"]["mode"]) for e in refused] == [
        ("stranger", "no_role", "oidc")
    ]

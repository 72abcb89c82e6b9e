"""Signing in (AppTest): no page without an account, the sign-in form in both languages, refusals and
their messages, sign-out, accounts changed under a session, proxy mode, and every step in the trail."""

from __future__ import annotations

from pathlib import Path

import pytest
from e2e.app_session import APP, CASE, open_app, sign_in
from e2e.fixture_store import (
    ADMIN,
    INVESTIGATOR,
    PAIR_ALERT,
    PASSWORD,
    add_accounts,
    build_fixture_store,
    copy_store,
)
from streamlit.testing.v1 import AppTest

from sunlight.audit import AuditLog
from sunlight.auth import Role, UserStore
from sunlight.sessions import SessionStore


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_fixture_store(tmp_path_factory.mktemp("signin") / "store")


@pytest.fixture
def bare_store(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the store without any account."""
    path = copy_store(template, tmp_path / "store")
    monkeypatch.setenv("SUNLIGHT_STORE", str(path))
    monkeypatch.delenv("SUNLIGHT_AUDIT_DIR", raising=False)
    monkeypatch.delenv("SUNLIGHT_AUTH_CONFIG", raising=False)
    monkeypatch.delenv("SUNLIGHT_PROXY_SECRET", raising=False)
    return path


@pytest.fixture
def store_path(bare_store: Path) -> Path:
    add_accounts(bare_store)
    return bare_store


def signed_out(at: AppTest) -> bool:
    """The sign-in form is showing and nothing of the data is."""
    return [w.label for w in at.text_input] == ["账户名", "密码"] and not at.metric and not at.dataframe


def trail(path: Path) -> list[dict]:
    return AuditLog(path).entries()


def test_nothing_is_shown_before_signing_in(store_path):
    at = open_app(None)
    assert at.title[0].value == "阳光 · 采购廉洁风险预警"
    assert at.subheader[0].value == "登录"
    assert signed_out(at)
    assert [b.label for b in at.button] == ["登录"]
    assert trail(store_path) == []


def test_the_right_password_opens_the_app_and_the_sign_in_is_recorded(store_path):
    at = open_app(None)
    sign_in(at, INVESTIGATOR)
    assert not at.exception and not at.error
    assert {m.label for m in at.metric} >= {"预警总数", "待处理"}
    assert "当前用户：审计员甲（调查人员）" in [m.value for m in at.sidebar.markdown]
    assert "退出登录" in [b.label for b in at.sidebar.button]
    entries = trail(store_path)
    assert [(e["action"], e["actor"], e["details"]) for e in entries][:1] == [
        ("auth.login", INVESTIGATOR, {"role": "investigator", "mode": "local"})
    ]
    # the sign-in starts a server-side session, named in the trail by a reference, not its secret id
    assert entries[1]["action"] == "auth.session_start" and len(entries[1]["details"]["session"]) == 12


def test_a_wrong_password_or_an_unknown_name_gets_one_message_and_is_recorded(store_path):
    at = open_app(None)
    sign_in(at, INVESTIGATOR, "not the password at all")
    assert [e.value for e in at.error] == ["账户名或密码错误。"]
    assert signed_out(at)
    sign_in(at, "无此人", PASSWORD)
    # the message does not tell a wrong name from a wrong password
    assert [e.value for e in at.error] == ["账户名或密码错误。"]
    assert signed_out(at)
    entries = trail(store_path)
    assert [(e["action"], e["details"]["name"], e["details"]["reason"]) for e in entries] == [
        ("auth.login_failed", INVESTIGATOR, "bad_credentials"),
        ("auth.login_failed", "无此人", "bad_credentials"),
    ]
    text = (store_path / "audit.jsonl").read_text(encoding="utf-8")
    assert "not the password" not in text and PASSWORD not in text


def test_the_sign_in_form_speaks_english_after_the_switch(store_path):
    at = open_app(None)
    at.radio(key="lang").set_value("en").run()
    assert at.subheader[0].value == "Sign in"
    assert [w.label for w in at.text_input] == ["Account name", "Password"]
    sign_in(at, INVESTIGATOR, "not the password at all")
    assert [e.value for e in at.error] == ["Wrong account name or password."]
    sign_in(at, ADMIN)
    assert at.title[0].value == "Sunlight · procurement integrity alerts"
    assert "Signed in: 组长王 (administrator)" in [m.value for m in at.sidebar.markdown]


def test_signing_out_forgets_the_session_and_is_recorded(store_path):
    at = open_app(INVESTIGATOR)
    at.radio(key="heatmap_metric").set_value("count").run()
    next(b for b in at.sidebar.button if b.label == "退出登录").click().run()
    assert not at.exception
    assert [i.value for i in at.info] == ["已退出登录。"]
    assert signed_out(at)
    # what the person had chosen is gone with them
    assert "heatmap_metric" not in at.session_state
    entries = trail(store_path)
    assert [(e["action"], e["actor"]) for e in entries] == [
        ("auth.login", INVESTIGATOR),
        ("auth.session_start", INVESTIGATOR),
        ("auth.logout", INVESTIGATOR),
    ]
    # the session ended on the server too: its cookie, wherever it is, opens nothing any more
    assert entries[2]["details"]["session"] == entries[1]["details"]["session"]
    assert SessionStore(store_path).active() == []


def test_a_disabled_account_is_signed_out_on_its_next_page_run(store_path):
    at = open_app(INVESTIGATOR)
    UserStore(store_path).set_disabled(INVESTIGATOR, True)
    at.radio(key="heatmap_metric").set_value("count").run()
    assert [w.value for w in at.warning] == ["您的账户已被停用或删除，已退出登录。"]
    assert signed_out(at)
    sign_in(at, INVESTIGATOR)
    assert [e.value for e in at.error] == ["账户名或密码错误。"]


def test_a_changed_role_applies_on_the_next_page_run(store_path):
    at = open_app(INVESTIGATOR)
    UserStore(store_path).set_role(INVESTIGATOR, Role.VIEWER)
    at.run()
    assert "当前用户：审计员甲（查看人员）" in [m.value for m in at.sidebar.markdown]


def test_a_link_to_a_case_leads_to_it_once_signed_in(store_path):
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page(CASE)
    at.query_params["alert"] = PAIR_ALERT
    at.run()
    assert signed_out(at) and not at.header
    sign_in(at, INVESTIGATOR)
    assert not at.exception
    # the case of the pair alert: the pair and the phone its approver shares with the supplier
    assert at.header[0].value == "一级 · 审批人与供应商反复配对、员工与供应商共用标识"


def test_without_any_account_the_app_says_how_to_create_the_first_and_shows_nothing(bare_store):
    at = open_app(None)
    assert at.warning[0].value.startswith("尚未创建任何账户，系统暂不能使用。")
    assert [c.value for c in at.code] == [f"sunlight user add NAME --role admin --store {bare_store}"]
    assert not at.text_input and not at.metric and not at.dataframe
    # once an account exists, the form is there
    add_accounts(bare_store, {ADMIN: Role.ADMIN})
    at.run()
    assert signed_out(at)


def test_a_broken_auth_yaml_stops_the_app(store_path):
    (store_path / "auth.yaml").write_text("mode: local\nusres_folder: x\n", encoding="utf-8")
    at = open_app(None)
    assert at.error[0].value.startswith("账户配置有误，系统暂不能使用：")
    assert "usres_folder" in at.error[0].value
    assert not at.text_input and not at.metric


def test_behind_a_proxy_a_request_without_its_header_is_refused_once_and_recorded(store_path):
    (store_path / "auth.yaml").write_text(
        "mode: proxy\nproxy:\n  users: {审计员甲: investigator}\n", encoding="utf-8"
    )
    at = open_app(None)
    assert [e.value for e in at.error] == ["统一认证入口未提供您的身份，无法登录。请联系系统管理员。"]
    # no password form behind a proxy: identity is the proxy's business
    assert not at.text_input and not at.metric
    at.run()
    failures = [e for e in trail(store_path) if e["action"] == "auth.login_failed"]
    assert [(e["details"]["reason"], e["details"]["mode"]) for e in failures] == [("no_identity", "proxy")]


def test_a_damaged_account_file_stops_a_signed_in_session(store_path):
    at = open_app(INVESTIGATOR)
    (store_path / "users.json").write_text("{not json", encoding="utf-8")
    at.run()
    assert at.error[0].value.startswith("账户配置有误，系统暂不能使用：")
    assert not at.metric and not at.dataframe

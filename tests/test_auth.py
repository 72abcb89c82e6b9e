"""Roles, sign-in and the trail of unmasked views (sunlight.auth), and analysts' queries that cannot write.

Real files (users.json, auth.yaml, the trail), real Argon2id hashes, a real embedded store
with planted alerts (tests/e2e/fixture_store.py).
"""

from __future__ import annotations

import argparse
import io
import json
import stat
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from argon2 import PasswordHasher
from e2e.fixture_store import PAIR_ALERT, PHONE_ALERT, build_fixture_store, copy_store

from graph.errors import StoreError
from graph.ladybug_store import LadybugStore
from sunlight.audit import AuditLog
from sunlight.auth import (
    AccessDenied,
    AuthConfig,
    AuthConfigError,
    AuthenticationFailed,
    AuthError,
    Role,
    User,
    UserStore,
    add_user_verb,
    authenticate,
    can_act_on_case,
    can_assign,
    can_manage_users,
    can_unmask,
    cmd_user,
    load_auth_config,
    record_unmasked_view,
    refresh,
    role_of,
)
from sunlight.cases import assign, case_state, change_status
from sunlight.cli import main
from sunlight.querylib import run_query

PASSWORD = "correct horse battery"
# Real Argon2id at the lowest costs, so that tests that hash often stay quick; the costs the
# product uses are tested on their own below.
QUICK = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture
def users(tmp_path: Path) -> UserStore:
    return UserStore(tmp_path / "store", hasher=QUICK)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SUNLIGHT_AUTH_CONFIG", "SUNLIGHT_AUDIT_DIR", "NEO4J_URI", "SUNLIGHT_PROXY_SECRET"):
        monkeypatch.delenv(name, raising=False)


# ---- local accounts -------------------------------------------------------------------------------
def test_an_account_keeps_only_an_argon2id_hash_in_a_private_file(users: UserStore) -> None:
    users.add("zhangwei", "investigator", PASSWORD)
    text = users.path.read_text(encoding="utf-8")
    assert PASSWORD not in text
    entry = json.loads(text)["users"]["zhangwei"]
    assert entry["role"] == "investigator" and entry["password"].startswith("$argon2id$")
    assert stat.S_IMODE(users.path.stat().st_mode) == 0o600


def test_the_password_decides_and_a_disabled_account_cannot_sign_in(users: UserStore) -> None:
    users.add("zhangwei", Role.INVESTIGATOR, PASSWORD)
    account = users.verify("zhangwei", PASSWORD)
    assert account is not None and account.role == Role.INVESTIGATOR
    assert users.verify("zhangwei", PASSWORD + "!") is None
    assert users.verify("lisi", PASSWORD) is None
    users.set_disabled("zhangwei", True)
    assert users.verify("zhangwei", PASSWORD) is None
    users.set_disabled("zhangwei", False)
    assert users.verify("zhangwei", PASSWORD) is not None


@pytest.mark.parametrize(
    ("name", "password", "words"),
    [
        ("zhangwei", "short", "at least 12"),
        ("zhangwei123456", "ZhangWei123456", "account name"),
        ("zhang wei", PASSWORD, "without spaces"),
        ("", PASSWORD, "1 to 64"),
    ],
)
def test_weak_passwords_and_odd_names_are_refused(
    users: UserStore, name: str, password: str, words: str
) -> None:
    with pytest.raises(AuthError, match=words):
        users.add(name, "viewer", password)
    assert users.accounts() == []


def test_names_may_be_chinese_and_are_unique(users: UserStore) -> None:
    users.add("张伟", "viewer", PASSWORD)
    with pytest.raises(AuthError, match="exists already"):
        users.add("张伟", "admin", PASSWORD)
    assert [(a.name, a.role) for a in users.accounts()] == [("张伟", Role.VIEWER)]


def test_the_product_hashes_with_recommended_costs_and_upgrades_weaker_hashes(tmp_path: Path) -> None:
    weak = UserStore(tmp_path, hasher=QUICK)
    weak.add("zhangwei", "viewer", PASSWORD)
    assert "m=1024,t=1,p=1" in (weak.get("zhangwei") or pytest.fail()).password_hash
    product = UserStore(tmp_path)  # the hasher the product uses
    assert product.verify("zhangwei", PASSWORD) is not None
    upgraded = (product.get("zhangwei") or pytest.fail()).password_hash
    assert upgraded.startswith("$argon2id$") and "m=65536,t=3,p=4" in upgraded
    assert product.verify("zhangwei", PASSWORD) is not None


# ---- signing in ----------------------------------------------------------------------------------
def test_local_sign_in_is_recorded_and_the_password_never_is(tmp_path: Path, users: UserStore) -> None:
    users.add("zhangwei", "admin", PASSWORD)
    config = load_auth_config(tmp_path / "store")
    assert config.mode == "local" and config.users_file == users.path
    trail = AuditLog(tmp_path / "store")
    user = authenticate(config, name="zhangwei", password=PASSWORD, audit=trail, users=users)
    assert user == User("zhangwei", Role.ADMIN, "password") and role_of(user) == Role.ADMIN
    with pytest.raises(AuthenticationFailed) as refused:
        authenticate(config, name="zhangwei", password="not the password", audit=trail, users=users)
    assert refused.value.code == "bad_credentials" and "name or password" in str(refused.value)
    entries = trail.entries()
    assert [(e["action"], e["actor"]) for e in entries] == [
        ("auth.login", "zhangwei"),
        ("auth.login_failed", "zhangwei"),
    ]
    assert entries[1]["details"]["reason"] == "bad_credentials"
    assert PASSWORD not in trail.path.read_text(encoding="utf-8")
    assert "not the password" not in trail.path.read_text(encoding="utf-8")
    assert trail.verify() is None


def test_a_session_follows_account_changes(tmp_path: Path, users: UserStore) -> None:
    users.add("zhangwei", "investigator", PASSWORD)
    config = AuthConfig(folder=users.folder)
    user = authenticate(config, name="zhangwei", password=PASSWORD, users=users)
    users.set_role("zhangwei", "viewer")
    assert refresh(config, user).role == Role.VIEWER
    users.set_disabled("zhangwei", True)
    with pytest.raises(AuthenticationFailed):
        refresh(config, user)
    users.remove("zhangwei")
    with pytest.raises(AuthenticationFailed):
        refresh(config, user)


PROXY_CONFIG = """
mode: proxy
proxy:
  user_header: X-Remote-User
  groups_header: X-Remote-Groups
  users: {zhangwei: admin}
  groups: {jijian: investigator, staff: viewer}
"""


def write_config(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "auth.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_proxy_header_signs_in_with_the_mapped_role(tmp_path: Path) -> None:
    write_config(tmp_path, PROXY_CONFIG)
    config = load_auth_config(tmp_path)
    trail = AuditLog(tmp_path)
    assert authenticate(config, headers={"x-remote-user": "zhangwei"}, audit=trail) == User(
        "zhangwei", Role.ADMIN, "proxy"
    )
    lisi = authenticate(config, headers={"X-Remote-User": "lisi", "X-Remote-Groups": "staff, jijian"})
    assert lisi.role == Role.INVESTIGATOR  # the highest role of the person's groups
    with pytest.raises(AuthenticationFailed) as no_role:
        authenticate(config, headers={"X-Remote-User": "wangwu", "X-Remote-Groups": "others"}, audit=trail)
    assert no_role.value.code == "no_role"
    with pytest.raises(AuthenticationFailed) as nobody:
        authenticate(config, headers={}, audit=trail)
    assert nobody.value.code == "no_identity"
    assert [(e["action"], e["actor"], e["details"].get("reason")) for e in trail.entries()] == [
        ("auth.login", "zhangwei", None),
        ("auth.login_failed", "wangwu", "no_role"),
        ("auth.login_failed", "unknown", "no_identity"),
    ]


def test_a_default_role_admits_every_signed_in_person(tmp_path: Path) -> None:
    write_config(tmp_path, PROXY_CONFIG.replace("  groups:", "  default_role: viewer\n  groups:"))
    config = load_auth_config(tmp_path)
    assert authenticate(config, headers={"X-Remote-User": "wangwu"}).role == Role.VIEWER


def test_a_proxy_secret_keeps_out_requests_that_went_round_the_proxy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(tmp_path, PROXY_CONFIG.replace("  users:", "  secret_header: X-Sunlight-Proxy\n  users:"))
    config = load_auth_config(tmp_path)
    headers = {"X-Remote-User": "zhangwei", "X-Sunlight-Proxy": "s3cret-from-the-proxy"}
    with pytest.raises(AuthenticationFailed) as unset:
        authenticate(config, headers=headers)  # no secret configured: nothing is trusted
    assert unset.value.code == "not_from_proxy"
    monkeypatch.setenv("SUNLIGHT_PROXY_SECRET", "s3cret-from-the-proxy")
    assert authenticate(config, headers=headers).name == "zhangwei"
    with pytest.raises(AuthenticationFailed):
        authenticate(config, headers={**headers, "X-Sunlight-Proxy": "guess"})


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("mode: ldap\n", "mode must be local, proxy or oidc"),
        ("mode: proxy\n", "needs a proxy section"),
        ("mode: local\nusers_file: x\n", "unknown key"),
        ("mode: proxy\nproxy: {users: {zhangwei: boss}}\n", "unknown role 'boss'"),
        ("mode: proxy\nproxy: {user_heder: X-User}\n", "unknown key.*user_heder"),
        ("mode: [proxy\n", "not valid YAML"),
    ],
)
def test_a_configuration_with_a_typo_is_refused(tmp_path: Path, text: str, words: str) -> None:
    write_config(tmp_path, text)
    with pytest.raises(AuthConfigError, match=words):
        load_auth_config(tmp_path)


def test_a_named_configuration_must_exist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUNLIGHT_AUTH_CONFIG", str(tmp_path / "missing.yaml"))
    with pytest.raises(AuthConfigError, match="no such file"):
        load_auth_config(tmp_path)


# ---- what each role may do, on a real store with real cases ----------------------------------------------
@pytest.fixture(scope="module")
def fixture_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_fixture_store(tmp_path_factory.mktemp("auth") / "store")


@pytest.fixture
def cases(fixture_store: Path, tmp_path: Path) -> tuple[LadybugStore, AuditLog]:
    """A private copy of the store, PAIR_ALERT assigned to zhangwei by the admin."""
    folder = copy_store(fixture_store, tmp_path / "store")
    store = LadybugStore(folder)
    trail = AuditLog(folder)
    assign(store, trail, PAIR_ALERT, "zhangwei", ADMIN)
    yield store, trail
    store.close()


#: An alert of a case nobody is assigned.
SELF_ALERT = "AL-self-yanglei"
INVESTIGATOR = User("zhangwei", Role.INVESTIGATOR)
COLLEAGUE = User("lisi", Role.INVESTIGATOR)
VIEWER = User("zhangwei", Role.VIEWER)  # the same name, a lesser role
ADMIN = User("admin", Role.ADMIN)


def test_an_investigator_unmasks_only_within_their_active_cases(cases: tuple[LadybugStore, AuditLog]) -> None:
    store, trail = cases
    alerts = store.alerts()
    assert can_unmask(INVESTIGATOR, PAIR_ALERT, alerts)
    assert can_unmask(INVESTIGATOR, "employee:E001", alerts)  # flagged by their case
    assert can_unmask(INVESTIGATOR, "supplier:S001", alerts)
    assert can_unmask(INVESTIGATOR, PHONE_ALERT, alerts)  # the same case: the same approver and supplier
    assert not can_unmask(INVESTIGATOR, SELF_ALERT, alerts)  # a case of nobody's
    assert not can_unmask(INVESTIGATOR, "employee:E002", alerts)  # in no case of theirs
    assert not can_unmask(COLLEAGUE, PAIR_ALERT, alerts)
    assert not can_unmask(VIEWER, PAIR_ALERT, alerts)
    assert not can_unmask(ADMIN, PAIR_ALERT, alerts)  # admins too need the assignment

    change_status(store, trail, PAIR_ALERT, "dismissed", INVESTIGATOR, reason="已核实为正常采购")
    assert not can_unmask(INVESTIGATOR, PAIR_ALERT, store.alerts())  # a closed case closes its data
    change_status(store, trail, PAIR_ALERT, "reviewing", ADMIN)
    assert can_unmask(INVESTIGATOR, PAIR_ALERT, store.alerts())


def test_every_unmasked_view_is_in_the_trail_with_who_and_which(cases: tuple[LadybugStore, AuditLog]) -> None:
    store, trail = cases
    alerts = store.alerts()
    entry = record_unmasked_view(trail, INVESTIGATOR, "employee:E001", alerts, fields=["phone", "id_number"])
    assert entry["action"] == "privacy.unmask" and entry["actor"] == "zhangwei"
    assert entry["details"] == {
        "target": "employee:E001",
        "role": "investigator",
        "fields": ["phone", "id_number"],
        "cases": [case_state(store, PAIR_ALERT).case_id],
    }
    with pytest.raises(AccessDenied):
        record_unmasked_view(trail, VIEWER, PAIR_ALERT, alerts, fields=["phone"], page="case")
    with pytest.raises(AccessDenied):
        record_unmasked_view(trail, COLLEAGUE, "employee:E001", alerts)
    last = trail.entries()[-3:]
    assert [(e["action"], e["actor"], e["details"]["target"]) for e in last] == [
        ("privacy.unmask", "zhangwei", "employee:E001"),
        ("privacy.unmask_denied", "zhangwei", PAIR_ALERT),
        ("privacy.unmask_denied", "lisi", "employee:E001"),
    ]
    assert trail.verify() is None


def test_case_actions_follow_the_role(cases: tuple[LadybugStore, AuditLog]) -> None:
    store, _ = cases
    alerts = store.alerts()
    assert can_act_on_case(INVESTIGATOR, PAIR_ALERT, alerts)
    assert can_act_on_case(INVESTIGATOR, PHONE_ALERT, alerts)  # an alert of the same case
    assert can_act_on_case(INVESTIGATOR, case_state(store, PAIR_ALERT).case_id, alerts)
    assert not can_act_on_case(INVESTIGATOR, SELF_ALERT, alerts)
    assert not can_act_on_case(COLLEAGUE, PAIR_ALERT, alerts)
    assert not can_act_on_case(VIEWER, PAIR_ALERT, alerts)
    assert can_act_on_case(ADMIN, SELF_ALERT, alerts)
    assert [can_assign(u) for u in (VIEWER, INVESTIGATOR, ADMIN)] == [False, False, True]
    assert [can_manage_users(u) for u in (VIEWER, INVESTIGATOR, ADMIN)] == [False, False, True]


# ---- `sunlight user` ---------------------------------------------------------------------------------
def user_command(
    store: Path, *argv: str, stdin: str = "", monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="sunlight")
    parser.add_argument("--store")
    parser.add_argument("--neo4j")
    add_user_verb(parser.add_subparsers(dest="verb", required=True))
    args = parser.parse_args(["--store", str(store), "user", *argv])
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = args.func(args)
    assert args.func is cmd_user
    out, err = capsys.readouterr()
    return code, out, err


def test_the_user_command_manages_accounts_and_records_each_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    store = tmp_path / "store"

    def run(*argv: str, stdin: str = "") -> tuple[int, str, str]:
        return user_command(store, *argv, stdin=stdin, monkeypatch=monkeypatch, capsys=capsys)

    assert run("add", "zhangwei", "--role", "investigator", "--password-stdin", stdin=PASSWORD + "\n")[0] == 0
    assert run("add", "lisi", "--role", "viewer", "--password-stdin", stdin="short\n")[0] == 1
    assert run("add", "lisi", "--password-stdin", stdin=PASSWORD + "\n")[0] == 2  # no role
    assert run("set-role", "zhangwei", "--role", "admin")[0] == 0
    assert run("disable", "zhangwei")[0] == 0
    code, out, _ = run("list")
    assert code == 0 and out.splitlines()[0].startswith("zhangwei\tadmin (disabled)")
    code, _, err = run("remove", "nobody")
    assert code == 1 and "no account 'nobody'" in err
    code, _, err = run("passwd", "zhangwei")  # no terminal and no --password-stdin
    assert code == 1 and "--password-stdin" in err
    trail = AuditLog(store)
    assert [(e["action"], e["details"]) for e in trail.entries()] == [
        ("user.add", {"name": "zhangwei", "role": "investigator"}),
        ("user.role", {"name": "zhangwei", "role": "admin"}),
        ("user.disable", {"name": "zhangwei"}),
    ]
    assert PASSWORD not in trail.path.read_text(encoding="utf-8")


# ---- analysts' queries cannot write ------------------------------------------------------------------
WRITES = {
    "create_node": "CREATE (:Tender {id: 'T-WRITTEN'}) RETURN 1 AS done",
    "set_property": "MATCH (s:Supplier) SET s.name = 'renamed' RETURN count(s) AS done",
    "delete_all": "MATCH (n) DETACH DELETE n RETURN 1 AS done",
    "merge_edge": "MATCH (a:Employee), (b:Supplier) MERGE (a)-[:OWNS]->(b) RETURN count(*) AS done",
}


def write_query(folder: Path, name: str, cypher: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    header = (
        f"// name: {name}\n// title_zh: 写入尝试\n// title_en: A write attempt\n"
        "// description_zh: 测试：分析查询不能写入。\n// description_en: Test: analyst queries cannot write.\n"
        "// returns: done\n"
    )
    (folder / f"{name}.cypher").write_text(header + cypher + "\n", encoding="utf-8")
    return folder


def store_fingerprint(store: LadybugStore) -> tuple[dict[str, Any], dict[str, pd.DataFrame]]:
    snapshot = store.snapshot()
    frames = {
        name: getattr(snapshot, name).sort_values("id").reset_index(drop=True)
        for name in ("employees", "suppliers", "contracts", "tenders")
    }
    return store.counts(), frames


def assert_unchanged(before: tuple[dict[str, Any], dict[str, pd.DataFrame]], store: LadybugStore) -> None:
    counts, frames = store_fingerprint(store)
    assert counts == before[0]
    for name, frame in before[1].items():
        pd.testing.assert_frame_equal(frames[name], frame, obj=name)


@pytest.mark.parametrize("name", list(WRITES))
def test_a_library_query_that_writes_fails_and_changes_nothing(
    name: str, fixture_store: Path, tmp_path: Path
) -> None:
    queries = write_query(tmp_path / "queries", name, WRITES[name])
    folder = copy_store(fixture_store, tmp_path / "store")
    # opened for writing, as the app's case actions open it: only the read-only transaction stands guard
    with LadybugStore(folder) as store:
        before = store_fingerprint(store)
        with pytest.raises(StoreError, match="read-only transaction"):
            run_query(store, name, {}, directory=queries)
        assert_unchanged(before, store)


def test_a_query_parameter_is_a_value_never_cypher(fixture_store: Path, tmp_path: Path, capsys: Any) -> None:
    folder = copy_store(fixture_store, tmp_path / "store")
    with LadybugStore(folder, read_only=True) as store:
        before = store_fingerprint(store)
    injected = "S001'}) CREATE (:Tender {id: 'T-INJECTED'}) //"
    code = main(
        [
            "--lang",
            "en",
            "--store",
            str(folder),
            "query",
            "supplier_neighbourhood",
            "--param",
            f"supplier_id={injected}",
            "--format",
            "json",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert json.loads(out) == []
    with LadybugStore(folder, read_only=True) as store:
        assert_unchanged(before, store)

"""Security: who may do and see what, checked where it is enforced — against a real embedded store with
planted cases (:mod:`e2e.fixture_store`), the real trail, and the app in Streamlit's AppTest.

* Every case action (status, note, assignment) for every role: allowed or refused, a refusal
  recorded as ``case.denied`` and the store left as it was.
* Every unmasking path (an alert's case page, an entity): a viewer never; an investigator only on
  an active case assigned to them; an admin only after assigning it to themselves; a refusal is
  ``privacy.unmask_denied``. An account disabled mid-session gets nothing on its next click.
* The analysts' console refuses to write, on the embedded store and on a real Neo4j server.
* The trail verifies, and names the entry that was edited, deleted or cut off.
* The app's exports (the queue's Excel and CSV, built the same for every role) and console results
  carry no personal identifier unmasked.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from e2e.app_session import CASE, open_app
from e2e.fixture_store import (
    ADMIN,
    COLLEAGUE,
    EMPLOYEES,
    INVESTIGATOR,
    PAIR_ALERT,
    PHONE_ALERT,
    SHARED_PHONE,
    VIEWER,
    add_accounts,
    build_fixture_store,
    copy_store,
    graph_data,
)

from graph.errors import StoreError
from graph.ladybug_store import LadybugStore
from graph.neo4j_store import Neo4jStore
from sunlight.audit import AuditLog
from sunlight.auth import AccessDenied, Role, User, UserStore, can_unmask, record_unmasked_view
from sunlight.cases import add_note, assign, change_status
from sunlight.cli import main
from sunlight.export import to_csv_text, to_xlsx_bytes
from sunlight.querylib import list_queries, run_query
from sunlight.ui import viewmodels as vm

pytestmark = pytest.mark.security

JIA = User(INVESTIGATOR, Role.INVESTIGATOR)
YI = User(COLLEAGUE, Role.INVESTIGATOR)
LEADER = User(ADMIN, Role.ADMIN)
WATCHER = User(VIEWER, Role.VIEWER)
#: Personal identifiers of the fixture's staff, none of which may leave the app unmasked.
RAW_IDENTIFIERS = [value for row in EMPLOYEES for value in (row[4], row[5], row[6])]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_fixture_store(tmp_path_factory.mktemp("roles") / "store")


@pytest.fixture
def folder(template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the store with PAIR_ALERT assigned to 审计员甲 (by the admin)."""
    copied = copy_store(template, tmp_path / "store")
    with LadybugStore(copied) as store:
        assign(store, AuditLog(copied), PAIR_ALERT, JIA.name, LEADER)
    return copied


def _alert_state(store: LadybugStore, alert_id: str) -> list[tuple[str, Any]]:
    rows = store.alerts()
    rows = rows[rows["alert_id"] == alert_id]
    return sorted({(str(s), a) for s, a in zip(rows["status"], rows["assignee"], strict=True)})


ACTIONS: dict[str, Callable[[LadybugStore, AuditLog, User], Any]] = {
    "case.status": lambda store, trail, who: change_status(store, trail, PAIR_ALERT, "reviewing", who),
    "case.note": lambda store, trail, who: add_note(store, trail, PAIR_ALERT, "已调取合同原件", who),
    "case.assign": lambda store, trail, who: assign(store, trail, PAIR_ALERT, YI.name, who),
}
#: Who may take each action on PAIR_ALERT (assigned to 审计员甲).
ALLOWED = {
    ("viewer", "case.status"): False,
    ("viewer", "case.note"): False,
    ("viewer", "case.assign"): False,
    ("assignee", "case.status"): True,
    ("assignee", "case.note"): True,
    ("assignee", "case.assign"): False,
    ("other investigator", "case.status"): False,
    ("other investigator", "case.note"): False,
    ("other investigator", "case.assign"): False,
    ("admin", "case.status"): True,
    ("admin", "case.note"): True,
    ("admin", "case.assign"): True,
}
ACTORS = {"viewer": WATCHER, "assignee": JIA, "other investigator": YI, "admin": LEADER}


@pytest.mark.parametrize(("who", "action"), list(ALLOWED))
def test_every_case_action_for_every_role(folder: Path, who: str, action: str) -> None:
    trail = AuditLog(folder)
    with LadybugStore(folder) as store:
        before, entries = _alert_state(store, PAIR_ALERT), len(trail.entries())
        if ALLOWED[(who, action)]:
            entry = ACTIONS[action](store, trail, ACTORS[who])
            assert entry["action"] == action and entry["actor"] == ACTORS[who].name
        else:
            with pytest.raises(AccessDenied):
                ACTIONS[action](store, trail, ACTORS[who])
            assert _alert_state(store, PAIR_ALERT) == before
            denied = trail.entries()[entries:]
            assert [(e["action"], e["actor"], e["details"]["attempted"]) for e in denied] == [
                ("case.denied", ACTORS[who].name, action)
            ]
    assert trail.verify() is None


def test_a_bare_name_cannot_act(folder: Path) -> None:
    with LadybugStore(folder) as store, pytest.raises(TypeError, match=r"signed-in sunlight\.auth\.User"):
        change_status(store, AuditLog(folder), PAIR_ALERT, "reviewing", INVESTIGATOR)  # type: ignore[arg-type]


def test_every_unmasking_path_for_every_role(folder: Path) -> None:
    trail = AuditLog(folder)
    with LadybugStore(folder) as store:
        rows = store.alerts()
        entity = "employee:E001"  # 张伟, flagged by PAIR_ALERT and PHONE_ALERT
        cases = {
            (WATCHER, PAIR_ALERT): False,
            (WATCHER, entity): False,
            (JIA, PAIR_ALERT): True,  # assigned to them and open
            (JIA, entity): True,  # flagged by a case of theirs
            (JIA, PHONE_ALERT): True,  # the same case: the same approver and supplier
            (JIA, "AL-bid-dingsheng-jinqiao"): False,  # nobody's case
            (YI, PAIR_ALERT): False,  # a colleague's case
            (YI, entity): False,
            (LEADER, PAIR_ALERT): False,  # an admin assigns it to themselves first
        }
        for (user, target), allowed in cases.items():
            assert can_unmask(user, target, rows) is allowed, (user, target)
            if allowed:
                entry = record_unmasked_view(trail, user, target, rows, fields=["phone"], page="case")
                # the trail names the case that allows it (the alert itself before any grouping)
                pair_case = rows.loc[rows["alert_id"] == PAIR_ALERT, "case_id"].iloc[0] or PAIR_ALERT
                assert entry["action"] == "privacy.unmask" and pair_case in entry["details"]["cases"]
            else:
                with pytest.raises(AccessDenied):
                    record_unmasked_view(trail, user, target, rows, fields=["phone"], page="case")
                assert trail.entries()[-1]["action"] == "privacy.unmask_denied"
        # a dismissed case masks its people again, even for its assignee
        change_status(store, trail, PAIR_ALERT, "dismissed", JIA, reason="供应商为唯一来源")
        assert not can_unmask(JIA, PAIR_ALERT, store.alerts())
        assert not can_unmask(JIA, entity, store.alerts())


@pytest.fixture
def app_store(folder: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    add_accounts(folder)
    monkeypatch.setenv("SUNLIGHT_STORE", str(folder))
    for name in ("SUNLIGHT_AUTH_CONFIG", "SUNLIGHT_AUDIT_DIR", "NEO4J_URI"):
        monkeypatch.delenv(name, raising=False)
    return folder


def _unmask_buttons(at: Any) -> list[str]:
    return [b.label for b in at.button if "未脱敏" in b.label]


@pytest.mark.slow
def test_the_app_offers_unmasking_only_where_the_rules_allow(app_store: Path) -> None:
    offered = {}
    for name in (VIEWER, COLLEAGUE, ADMIN, INVESTIGATOR):
        at = open_app(name, CASE, alert=PAIR_ALERT)
        offered[name] = _unmask_buttons(at)
        assert SHARED_PHONE not in json.dumps([m.value for m in at.markdown], ensure_ascii=False)
    assert offered == {VIEWER: [], COLLEAGUE: [], ADMIN: [], INVESTIGATOR: ["显示未脱敏信息"]}


@pytest.mark.slow
def test_an_account_disabled_mid_session_gets_nothing_on_its_next_click(app_store: Path) -> None:
    at = open_app(INVESTIGATOR, CASE, alert=PAIR_ALERT)
    assert _unmask_buttons(at) == ["显示未脱敏信息"]
    UserStore(app_store).set_disabled(INVESTIGATOR, True)  # an admin disables the account meanwhile
    next(b for b in at.button if b.label == "显示未脱敏信息").click().run()
    assert not at.exception
    assert [w.value for w in at.warning] == ["您的账户已被停用或删除，已退出登录。"]
    entries = AuditLog(app_store).entries()
    assert "privacy.unmask" not in [e["action"] for e in entries]
    assert entries[-1]["action"] == "auth.session_revoked" and entries[-1]["actor"] == INVESTIGATOR


# ---- the analysts' console -------------------------------------------------------------------------------
#: The stores the console test runs on (the contract suite's: embedded, and the test Neo4j server).
STORES = ["ladybug", "neo4j"]
WRITES = {
    "creates": "CREATE (:Tender {id: 'T-NEW'}) RETURN 1 AS n",
    "sets": "MATCH (s:Supplier) SET s.name = 'x' RETURN count(s) AS n",
    "merges": "MERGE (:Supplier {id: 'S-NEW'}) RETURN 1 AS n",
    "deletes": "MATCH (t:Tender) DETACH DELETE t RETURN 1 AS n",
}


@pytest.fixture(params=STORES)
def writable_store(request: pytest.FixtureRequest, template: Path, tmp_path: Path) -> Iterator[Any]:
    """The fixture graph in a store opened for writing, as the app's case actions open it."""
    if request.param == "ladybug":
        store: Any = LadybugStore(copy_store(template, tmp_path / "store"))
    else:
        server = request.getfixturevalue("neo4j_server")
        server.clear()
        store = Neo4jStore(server.uri, auth=server.auth)
        store.write(graph_data())
    try:
        yield store
    finally:
        store.close()


@pytest.mark.parametrize("kind", list(WRITES))
def test_the_console_refuses_to_write(writable_store: Any, kind: str, tmp_path: Path) -> None:
    queries = tmp_path / "queries"
    queries.mkdir()
    (queries / f"{kind}.cypher").write_text(
        f"// name: {kind}\n// title_zh: 写入尝试\n// title_en: A write attempt\n"
        "// description_zh: 测试：分析查询不能写入。\n// description_en: Test: analyst queries cannot write.\n"
        f"// returns: n\n{WRITES[kind]}\n",
        encoding="utf-8",
    )
    before = writable_store.counts()
    names = sorted(writable_store.snapshot().suppliers["name"])
    with pytest.raises(StoreError, match=r"(?i)read"):
        run_query(writable_store, kind, {}, directory=queries)
    assert writable_store.counts() == before
    assert sorted(writable_store.snapshot().suppliers["name"]) == names


# ---- the trail -----------------------------------------------------------------------------------------
def _tamper(trail: AuditLog, how: str) -> None:
    lines = trail.path.read_text(encoding="utf-8").splitlines()
    if how == "edited":
        entry = json.loads(lines[1])
        entry["actor"] = "someone else"
        lines[1] = json.dumps(entry, ensure_ascii=False, sort_keys=True)
    elif how == "deleted":
        del lines[1]
    elif how == "cut short":
        del lines[-1]
    trail.path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize(
    ("how", "line", "reason"),
    [
        ("edited", 2, "does not match its hash (edited)"),
        ("deleted", 2, "expected sequence number 2 (deleted or reordered)"),
        ("cut short", -1, "entries removed from the end"),  # -1: the line of the last entry
    ],
)
def test_a_tampered_trail_names_the_entry(
    folder: Path, how: str, line: int, reason: str, capsys: Any
) -> None:
    trail = AuditLog(folder)
    with LadybugStore(folder) as store:
        add_note(store, trail, PAIR_ALERT, "第一条", LEADER)
        add_note(store, trail, PAIR_ALERT, "第二条", LEADER)
    assert trail.verify() is None
    if line == -1:
        line = len(trail.path.read_text(encoding="utf-8").splitlines())
    _tamper(trail, how)
    problem = trail.verify()
    assert problem is not None and problem.line == line and reason in problem.reason
    assert main(["--store", str(folder), "audit", "verify"]) == 1
    assert f"line {line}" in capsys.readouterr().err


# ---- exports and results ----------------------------------------------------------------------------------
def test_no_export_or_console_result_carries_a_personal_identifier(folder: Path) -> None:
    with LadybugStore(folder, read_only=True) as store:
        rows, snapshot = store.alerts(), store.snapshot()
        book = vm.build_alert_book(rows, snapshot, vm.family_map())
        shown: list[str] = []
        for lang in ("zh", "en"):
            frame = vm.export_frame(book, book.alerts, lang)
            shown.append(to_csv_text(frame))
            xlsx = to_xlsx_bytes(frame)
            shown.append(pd.read_excel(io.BytesIO(xlsx)).to_csv(index=False))
        for spec in list_queries():
            try:
                result = run_query(store, spec.name, {})
            except Exception:  # a query that needs a parameter: its masking is covered with one below
                continue
            shown.append(vm.masked_result(result).to_csv(index=False))
        shown.append(vm.masked_result(run_query(store, "staff_supplier_shared_identifiers", {})).to_csv())
    text = "\n".join(shown)
    assert "张伟" in text  # the exports are about the planted case ...
    leaked = [value for value in RAW_IDENTIFIERS if value in text]
    assert leaked == [], f"unmasked in an export or a result: {leaked}"  # ... but no identifier is raw

"""Entity search (AppTest): by characters, pinyin, initials, id, full phone or identity number; neighbourhood."""

from __future__ import annotations

from pathlib import Path

import pytest
from e2e.app_session import SEARCH, open_app
from e2e.fixture_store import (
    ADMIN,
    INVESTIGATOR,
    PAIR_ALERT,
    PHONE_ALERT,
    PLANTED_SUPPLIER,
    SHARED_PHONE,
    add_accounts,
    build_fixture_store,
    copy_store,
)
from streamlit.testing.v1 import AppTest

from graph.ladybug_store import LadybugStore
from sunlight.audit import AuditLog
from sunlight.auth import Role, User
from sunlight.cases import assign


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = build_fixture_store(tmp_path_factory.mktemp("search") / "store")
    add_accounts(path)
    return path


@pytest.fixture
def search(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("SUNLIGHT_STORE", str(store_path))
    return open_app(INVESTIGATOR, SEARCH)


def hits(at: AppTest, text: str) -> list[tuple[str, str, str]]:
    at.text_input(key="search_text").input(text).run()
    assert not at.exception, [e.value for e in at.exception]
    if not at.dataframe:
        return []
    table = at.dataframe[0].value
    if "匹配" not in table.columns:
        return []
    return [(r["编号"], r["名称"], r["匹配"]) for _, r in table.iterrows()]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("张伟", [("E001", "张伟", "名称")]),
        ("zhangwei", [("E001", "张伟", "拼音")]),
        ("ZW", [("E001", "张伟", "拼音")]),
        ("hxkj", [("S001", PLANTED_SUPPLIER, "拼音")]),
        ("s001", [("S001", PLANTED_SUPPLIER, "编号")]),
        ("420102198003154312", [("E001", "张伟", "证件号")]),
    ],
)
def test_one_match(search: AppTest, text: str, expected: list):
    assert hits(search, text) == expected


def test_a_full_phone_finds_everyone_who_gave_it(search: AppTest):
    found = hits(search, "138 0013 8000")
    assert sorted(found) == [("E001", "张伟", "电话"), ("S001", PLANTED_SUPPLIER, "电话")]
    assert set(search.dataframe[0].value["电话"]) == {"138****8000"}


def test_fragments_of_personal_numbers_find_nothing(search: AppTest):
    assert hits(search, "8000") == []
    assert "没有找到匹配的对象。" in [i.value for i in search.info]
    assert hits(search, "4201021980") == []


def test_a_single_match_opens_its_neighbourhood_and_alerts(search: AppTest):
    hits(search, PLANTED_SUPPLIER)
    assert search.subheader[0].value == f"关系网络：{PLANTED_SUPPLIER}"
    details = search.dataframe[1].value
    shown = dict(zip(details["属性"], details["值"], strict=True))
    assert shown["名称"] == PLANTED_SUPPLIER and shown["电话"] == "138****8000"
    assert SHARED_PHONE not in search.get("iframe")[0].proto.srcdoc
    alert_buttons = [b.key for b in search.button if b.label == "打开案件"]
    assert set(alert_buttons) == {f"open_{PAIR_ALERT}", f"open_{PHONE_ALERT}"}
    search.button(key=f"open_{PAIR_ALERT}").click().run()
    assert search.title[0].value == "案件核查"


def test_search_in_english(search: AppTest):
    search.radio(key="lang").set_value("en").run()
    search.text_input(key="search_text").input("wangfang").run()
    table = search.dataframe[0].value
    assert list(table.columns) == [
        "Type",
        "Id",
        "Name",
        "Department / credit code",
        "Phone",
        "Matched on",
        "Risk",
    ]
    assert table.iloc[0]["Type"] == "Employee" and table.iloc[0]["Matched on"] == "pinyin"


def test_the_investigator_of_a_case_may_see_its_people_unmasked_and_the_look_is_recorded(
    store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    private = copy_store(store_path, tmp_path / "store")
    monkeypatch.setenv("SUNLIGHT_STORE", str(private))
    store = LadybugStore(private)
    try:
        assign(store, AuditLog(private), PAIR_ALERT, INVESTIGATOR, User(ADMIN, Role.ADMIN))
    finally:
        store.close()
    at = open_app(INVESTIGATOR, SEARCH)
    hits(at, "张伟")

    def details() -> dict[str, str]:
        table = at.dataframe[1].value
        return dict(zip(table["属性"], table["值"], strict=True))

    assert details()["电话"] == "138****8000" and details()["证件号码"] == "4201**********4312"
    at.button(key="unmask_employee:E001").click().run()
    assert not at.exception
    assert details()["电话"] == SHARED_PHONE and details()["证件号码"] == "420102198003154312"
    view = AuditLog(private).entries()[-1]
    assert (view["action"], view["actor"]) == ("privacy.unmask", INVESTIGATOR)
    assert view["details"]["target"] == "employee:E001" and view["details"]["page"] == "search"
    assert {"phone", "id_number"} <= set(view["details"]["fields"])
    # someone in no case of theirs stays masked, with no control to ask
    hits(at, "王芳")
    assert details()["电话"] == "139****0002"
    assert "unmask_employee:E002" not in [b.key for b in at.button]

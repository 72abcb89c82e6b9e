"""Query console (AppTest): pick a library entry, fill its parameters, run it read-only; masked table and graph."""

from __future__ import annotations

from pathlib import Path

import pytest
from e2e.app_session import CONSOLE, open_app
from e2e.fixture_store import PLANTED_SUPPLIER, SHARED_PHONE, VIEWER, add_accounts, build_fixture_store
from streamlit.testing.v1 import AppTest

from sunlight.querylib import list_queries


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = build_fixture_store(tmp_path_factory.mktemp("console") / "store")
    add_accounts(path)
    return path


@pytest.fixture
def console(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("SUNLIGHT_STORE", str(store_path))
    return open_app(VIEWER, CONSOLE)


def run(at: AppTest, name: str, **params: object) -> AppTest:
    at.selectbox(key="console_query.zh").set_value(name).run()
    for param, value in params.items():
        widget_key = f"p_{name}_{param}"
        widget = next(w for w in [*at.text_input, *at.number_input] if w.key == widget_key)
        widget.set_value(value)
    next(b for b in at.button if b.label == "运行（只读）").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_every_library_entry_is_offered_with_its_title(console: AppTest):
    select = console.selectbox(key="console_query.zh")
    assert select.options == [f"{q.title('zh')}  ({q.name})" for q in list_queries()]


def test_a_query_with_parameters_gives_a_table_and_a_graph(console: AppTest):
    run(console, "supplier_neighbourhood", supplier_id="S001", hops=1)
    table = console.dataframe[0].value
    assert {"person:P001", "contract:C100"} <= {f"{r.label.lower()}:{r.id}" for r in table.itertuples()}
    assert "138****8000" in set(table["id"]) and SHARED_PHONE not in set(table["id"])
    assert any(c.value.startswith("返回 ") for c in console.caption)
    html = console.get("iframe")[0].proto.srcdoc
    assert "new vis.Network" in html and SHARED_PHONE not in html


def test_shared_identifiers_are_listed_masked(console: AppTest):
    run(console, "staff_supplier_shared_identifiers")
    table = console.dataframe[0].value
    row = table[table["supplier_name"] == PLANTED_SUPPLIER].iloc[0]
    assert row["employee_name"] == "张伟" and row["value"] == "138****8000"
    # the graph draws the shared phone between the two, masked
    html = console.get("iframe")[0].proto.srcdoc
    assert "138****8000" in html and SHARED_PHONE not in html


def test_a_missing_required_parameter_is_explained(console: AppTest):
    run(console, "supplier_neighbourhood")
    assert console.error and "supplier_id" in console.error[0].value
    assert console.error[0].value.startswith("查询失败")


def test_the_cypher_is_shown_for_reading(console: AppTest):
    console.selectbox(key="console_query.zh").set_value("co_bidders").run()
    assert "MATCH" in console.code[0].value

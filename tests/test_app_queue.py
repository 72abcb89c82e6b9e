"""The queue (AppTest): cases first with their alerts inside, filters, sorting, opening a case; exports."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from e2e.app_session import QUEUE, open_app
from e2e.fixture_store import PAIR_ALERT, SHARED_PHONE, VIEWER, add_accounts, build_fixture_store
from streamlit.testing.v1 import AppTest

from graph.cases import read_cases
from graph.ladybug_store import LadybugStore
from sunlight.export import to_csv_text, to_xlsx_bytes
from sunlight.ui import case_views as cv
from sunlight.ui import viewmodels as vm


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = build_fixture_store(tmp_path_factory.mktemp("queue") / "store")
    add_accounts(path)
    return path


@pytest.fixture
def queue(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("SUNLIGHT_STORE", str(store_path))
    # a viewer reads the whole queue: reading needs no case of one's own
    return open_app(VIEWER, QUEUE)


def case_ids(at: AppTest) -> list[str]:
    return list(at.dataframe[0].value["线索编号"])


def alert_ids(store_path: Path, at: AppTest) -> list[str]:
    """The alerts inside the cases the queue shows (the caption counts those that pass the filters)."""
    store = LadybugStore(store_path, read_only=True)
    try:
        rows = store.alerts()
    finally:
        store.close()
    shown = set(case_ids(at))
    return sorted(set(rows.loc[rows["case_id"].isin(shown), "alert_id"]))


def test_the_queue_lists_cases_riskiest_first_with_their_alerts_inside(queue: AppTest, store_path: Path):
    table = queue.dataframe[0].value
    # six alerts, five cases: the repeated pair and the shared phone name the same approver and supplier
    assert len(table) == 5
    assert list(table["线索风险分"]) == sorted(table["线索风险分"], reverse=True)
    first = table.iloc[0]
    assert first["级别"] == "一级" and first["状态"] == "待处理" and first["部门"] == "信息中心"
    assert first["涉及对象"] == "张伟、华信科技有限公司"
    assert first["预警数"] == 2 and first["佐证（风险类别 最高分）"] == "集中度 0.91 · 关联关系 0.88"
    # two corroborating families outrank a single stronger-looking screen
    assert first["线索风险分"] > 0.91
    assert first["说明"].startswith("审批人张伟（E001）") and first["说明"].endswith("（另有1条预警）")
    assert not table["说明"].str.contains(SHARED_PHONE).any()
    assert "共 5 条线索、6 条预警（总计 6 条预警）" in [c.value for c in queue.caption]
    assert PAIR_ALERT in alert_ids(store_path, queue)


@pytest.mark.parametrize(
    ("key", "value", "cases", "alerts"),
    [
        ("q_levels", ["high"], 2, 3),
        ("q_grades", ["二级"], 2, 2),
        ("q_departments", ["D03"], 2, 2),
        ("q_statuses", ["dismissed"], 0, 0),
        ("q_assignees", ["__unassigned__"], 5, 6),
        ("q_detectors", ["repeated_pairs"], 1, 1),
    ],
)
def test_each_filter_narrows_the_queue(queue: AppTest, key: str, value: list, cases: int, alerts: int):
    queue.multiselect(key=f"{key}.zh").set_value(value).run()
    assert len(queue.dataframe[0].value) == cases
    assert f"共 {cases} 条线索、{alerts} 条预警（总计 6 条预警）" in [c.value for c in queue.caption]


def test_keyword_and_period_filters(queue: AppTest, store_path: Path):
    queue.text_input(key="q_text").input("华信").run()
    assert alert_ids(store_path, queue) == sorted([PAIR_ALERT, "AL-phone-zhangwei-huaxin"])
    queue.text_input(key="q_text").input("").run()
    from datetime import date

    queue.date_input(key="q_period").set_value((date(2024, 6, 1), date(2024, 6, 30))).run()
    # contracts signed in June 2024: the split purchase, and the favoured pair that runs Feb–Oct;
    # the shared phone names no contract, so its period is unknown and it stays
    assert alert_ids(store_path, queue) == sorted(
        [PAIR_ALERT, "AL-phone-zhangwei-huaxin", "AL-split-lina-hengtong"]
    )
    assert "共 2 条线索、3 条预警（总计 6 条预警）" in [c.value for c in queue.caption]


def test_sorting_by_grade_then_score(queue: AppTest):
    queue.selectbox(key="q_sort.zh").set_value("grade").run()
    grades = list(queue.dataframe[0].value["级别"])
    assert grades == ["一级", "一级", "二级", "二级", "三级"]


def test_clearing_filters_shows_everything_again(queue: AppTest):
    queue.multiselect(key="q_levels.zh").set_value(["low"]).run()
    assert len(queue.dataframe[0].value) == 1
    next(b for b in queue.button if b.label == "清除筛选").click().run()
    assert len(queue.dataframe[0].value) == 5


def test_a_selected_case_shows_its_alerts_and_opens_it(queue: AppTest):
    queue.session_state["queue_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    queue.run()
    inside = next(d.value for d in queue.dataframe if "预警编号" in d.value.columns)
    assert list(inside["预警编号"]) == [PAIR_ALERT, "AL-phone-zhangwei-huaxin"]
    assert inside.iloc[0]["说明"].startswith("审批人张伟")
    next(b for b in queue.button if b.label == "打开案件").click().run()
    assert not queue.exception
    assert queue.title[0].value == "案件核查"
    assert queue.header[0].value == "一级 · 审批人与供应商反复配对、员工与供应商共用标识"


def test_the_queue_in_english_keeps_the_filters_set_in_chinese(queue: AppTest):
    queue.multiselect(key="q_levels.zh").set_value(["high"]).run()
    queue.radio(key="lang").set_value("en").run()
    # the select boxes are new widgets in English, holding what was chosen in Chinese
    levels = queue.multiselect(key="q_levels.en")
    assert levels.value == ["high"] and levels.options == ["High", "Medium", "Low"]
    assert "2 cases, 3 alerts (of 6 alerts)" in [c.value for c in queue.caption]
    table = queue.dataframe[0].value
    assert list(table.columns) == [
        "Grade",
        "Case score",
        "Corroboration (family best score)",
        "Alerts",
        "Entities",
        "Department",
        "Status",
        "Assignee",
        "Explanation",
        "Case id",
    ]
    assert table.iloc[0]["Explanation"].startswith("Approver 张伟 (E001)")
    assert table.iloc[0]["Status"] == "Open" and table.iloc[0]["Grade"] == "Grade 1"
    assert table.iloc[0]["Corroboration (family best score)"] == "Concentration 0.91 · Relationships 0.88"


def test_exports_hold_the_filtered_list_with_formulas_escaped(store_path: Path):
    store = LadybugStore(store_path, read_only=True)
    try:
        rows, snapshot, cases = store.alerts(), store.snapshot(), read_cases(store)
    finally:
        store.close()
    # a department name that a spreadsheet would run as a formula
    formula = '=HYPERLINK("http://x","信息中心")'
    snapshot.departments.loc[snapshot.departments["id"] == "D01", "name"] = formula
    book = vm.build_alert_book(rows, snapshot, vm.family_map(), cases)
    chosen = vm.filter_alerts(book, vm.Filters(departments=("D01",)))
    frame = cv.case_export_frame(book, cv.case_frame(book), list(chosen["alert_id"]), "zh")
    sheet = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(frame, sheet="预警清单")))["预警清单"]
    header = [c.value for c in sheet[1]]
    # cases first, their alerts inside
    assert header[:6] == [
        "线索编号",
        "线索风险分",
        "线索等级",
        "线索状态",
        "佐证（风险类别 最高分）",
        "预警编号",
    ]
    assert "说明（中文）" in header and "说明（英文）" in header
    body = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert len(body) == 2
    assert [row[header.index("部门")] for row in body] == ["'" + formula] * 2
    assert not any(SHARED_PHONE in str(v) for row in body for v in row)
    csv = pd.read_csv(io.StringIO(to_csv_text(frame)))
    assert list(csv["预警编号"]) == list(chosen["alert_id"])
    assert list(csv["部门"]) == ["'" + formula] * 2

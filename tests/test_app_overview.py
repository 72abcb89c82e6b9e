"""Overview page (AppTest): key figures, the heatmap and its cell filter, languages, empty and missing stores."""

from __future__ import annotations

from pathlib import Path

import pytest
from e2e.app_session import open_app
from e2e.fixture_store import INVESTIGATOR, add_accounts, build_fixture_store
from streamlit.testing.v1 import AppTest

from graph.ladybug_store import LadybugStore


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = build_fixture_store(tmp_path_factory.mktemp("app") / "store")
    add_accounts(path)
    return path


@pytest.fixture
def app(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("SUNLIGHT_STORE", str(store_path))
    return open_app(INVESTIGATOR)


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_key_figures_in_chinese_by_default(app: AppTest):
    assert app.title[0].value == "阳光 · 采购廉洁风险预警"
    assert metrics(app) == {
        # six alerts, five cases; one corroborated by two families (the pair and the shared phone)
        "线索数": "5",
        "多类佐证线索": "1",
        "预警总数": "6",
        "一级（高风险）": "3",
        "二级（中风险）": "2",
        "待处理": "6",
        "涉及合同金额": "515.38万元",
    }
    assert [p.label for p in app.radio] == ["单元格显示", "语言 / Language"]


def test_heatmap_rows_are_departments_and_columns_are_detector_families(app: AppTest):
    heat = app.dataframe[0].value
    assert list(heat.index) == ["信息中心", "基建工程部", "物资采购部", "综合办公室"]
    assert list(heat.columns[:6]) == ["集中度", "审批流程", "价格", "关联关系", "串通网络", "围标串标"]
    assert heat.loc["信息中心", "集中度"] == pytest.approx(0.91)
    assert heat.loc["综合办公室", "集中度"] == 0


def test_heatmap_can_show_the_flagged_share_of_contract_value(app: AppTest):
    app.radio(key="heatmap_metric").set_value("value_share").run()
    heat = app.dataframe[0].value
    # 9 of 张伟's IT contracts with 华信 are 75% of the value 信息中心 bought
    assert heat.loc["信息中心", "集中度"] == pytest.approx(0.75)
    app.radio(key="heatmap_metric").set_value("count").run()
    assert app.dataframe[0].value.loc["信息中心", "集中度"] == 1


def test_selecting_a_heatmap_cell_opens_the_queue_filtered_to_it(app: AppTest):
    app.session_state["heatmap_0"] = {"selection": {"rows": [], "columns": [], "cells": [[0, "集中度"]]}}
    app.run()
    assert not app.exception
    assert app.title[0].value == "预警队列"
    assert app.session_state["q_departments.zh"] == ["D01"]
    assert app.session_state["q_families.zh"] == ["concentration"]
    assert "共 1 条线索、1 条预警（总计 6 条预警）" in [c.value for c in app.caption]
    assert list(app.dataframe[0].value["预警数"]) == [2]


def test_every_label_switches_to_english(app: AppTest):
    app.radio(key="lang").set_value("en").run()
    assert app.title[0].value == "Sunlight · procurement integrity alerts"
    assert set(metrics(app)) == {
        "Cases",
        "Corroborated cases",
        "Alerts",
        "Grade 1 (high)",
        "Grade 2 (medium)",
        "Open",
        "Contract value involved",
    }
    assert metrics(app)["Contract value involved"] == "CNY 5,153,800"
    heat = app.dataframe[0].value
    assert heat.index.name == "Department"
    assert list(heat.columns[:6]) == [
        "Concentration",
        "Approval process",
        "Price",
        "Relationships",
        "Collusion networks",
        "Bid rigging",
    ]
    shown = " ".join(
        [s.value for s in app.subheader] + [c.value for c in app.caption] + [r.label for r in app.radio]
    )
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in shown.replace("语言 / Language", "")), shown


def test_the_riskiest_network_is_drawn_in_line_with_masked_pivots(app: AppTest):
    frames = app.get("iframe")
    assert len(frames) == 1
    html = frames[0].proto.srcdoc
    assert "new vis.Network" in html and "cdn.jsdelivr" not in html
    assert "13800138000" not in html and "138****8000" in html


def test_a_store_without_alerts_says_how_to_get_some(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    LadybugStore(tmp_path / "empty").close()
    add_accounts(tmp_path / "empty")
    monkeypatch.setenv("SUNLIGHT_STORE", str(tmp_path / "empty"))
    at = open_app(INVESTIGATOR)
    assert "暂无预警" in at.info[0].value


def test_a_missing_store_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    # the accounts sit where the store should be: signing in works, and then the store is missing
    add_accounts(tmp_path / "nowhere")
    monkeypatch.setenv("SUNLIGHT_STORE", str(tmp_path / "nowhere"))
    at = open_app(INVESTIGATOR)
    assert "找不到数据" in at.error[0].value and "nowhere" in at.error[0].value

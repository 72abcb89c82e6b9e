"""The overview summary: written by a detector run, read by the overview instead of the whole store."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from e2e.app_session import open_app
from e2e.fixture_store import INVESTIGATOR, add_accounts, build_fixture_store

from graph.cases import read_cases
from graph.ladybug_store import LadybugStore
from sunlight.pipeline import detect_and_save
from sunlight.summary import OverviewSummary, build_summary, read_summary, save_summary, summarise
from sunlight.ui import case_views as cv
from sunlight.ui import viewmodels as vm


@pytest.fixture(scope="module")
def fixture_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_fixture_store(tmp_path_factory.mktemp("summary") / "store")


def _book(store: LadybugStore) -> vm.AlertBook:
    return vm.build_alert_book(store.alerts(), store.snapshot(), vm.family_map(), read_cases(store))


@pytest.fixture
def summarised(fixture_store: Path, tmp_path: Path) -> Path:
    """A copy of the fixture store with the summary of its alerts written into it, and accounts."""
    path = tmp_path / "store"
    shutil.copytree(fixture_store, path)
    store = LadybugStore(path)
    try:
        save_summary(store, build_summary(store, _book(store)))
    finally:
        store.close()
    add_accounts(path)
    return path


def test_the_stored_summary_shows_what_the_alert_book_shows(summarised: Path):
    store = LadybugStore(summarised, read_only=True)
    try:
        book = _book(store)
        stored = read_summary(store)
        keys = vm.hot_keys(book, alerts=3, cap=30)
        drawn = store.subgraph(keys, hops=1, limit=len(keys))  # what the overview drew before
    finally:
        store.close()
    assert stored is not None
    # the alert book's figures, and its cases: six alerts in five, one corroborated by two families
    assert stored.figures == vm.kpis(book) | {"cases": 5, "corroborated": 1}
    assert [c["alerts"] for c in stored.top_cases] == [2, 1, 1, 1, 1]
    for metric in vm.METRICS:
        pd.testing.assert_frame_equal(stored.heatmap(metric).values, vm.heatmap(book, metric).values)
    pd.testing.assert_frame_equal(
        vm.named_trend(stored.trend, "zh"), vm.risk_trend(book, "zh"), check_dtype=False
    )
    assert stored.hot_focus == [k for ks in book.alerts.head(3)["entities"] for k in ks]
    assert set(stored.hot_graph.nodes["key"]) == set(drawn.nodes["key"])
    assert len(stored.hot_graph.edges) == len(drawn.edges)
    risk = vm.key_risk(book)
    assert stored.hot_risk == {k: risk[k] for k in drawn.nodes["key"] if k in risk}
    assert stored.department_label("D01", "zh") == book.department_label("D01", "zh")


def test_a_summary_survives_its_json_and_an_empty_book_has_one(fixture_store: Path):
    store = LadybugStore(fixture_store, read_only=True)
    try:
        book = _book(store)
    finally:
        store.close()
    summary = summarise(book)
    again = OverviewSummary.from_json(summary.to_json())
    assert again.figures == summary.figures and again.departments == summary.departments
    for metric in vm.METRICS:
        pd.testing.assert_frame_equal(again.heatmaps[metric], summary.heatmaps[metric])
    empty = summarise(vm.build_alert_book(book.rows.iloc[0:0], book.snapshot, vm.family_map()))
    assert empty.alerts == 0
    assert OverviewSummary.from_json(empty.to_json()).alerts == 0
    with pytest.raises(ValueError, match="format"):
        OverviewSummary.from_json('{"format": 0}')


def test_case_status_is_read_live_after_the_run(summarised: Path):
    store = LadybugStore(summarised)
    try:
        first = read_summary(store)
        assert first is not None and first.figures["open"] == 6
        store.set_alert_status(str(store.alerts()["alert_id"].iloc[0]), "reviewing", "审计员甲")
        later = read_summary(store)
    finally:
        store.close()
    assert later is not None
    assert later.figures["open"] == 5 and later.statuses["reviewing"] == 1
    assert later.figures["alerts"] == first.figures["alerts"]


def test_a_detector_run_writes_the_summary_of_its_alerts(tmp_path: Path):
    from e2e.fixture_store import graph_data

    store = LadybugStore(tmp_path / "store")
    try:
        store.write(graph_data())
        assert read_summary(store) is None
        outcome = detect_and_save(store)
        stored = read_summary(store)
        book = _book(store)
    finally:
        store.close()
    assert stored is not None
    assert stored.alerts == len(outcome.result.alerts) == len(book.alerts) > 0
    cases = cv.case_frame(book)
    corroborated = int((cases["corroboration"] > 1).sum())
    assert stored.figures == vm.kpis(book) | {"cases": len(cases), "corroborated": corroborated}
    assert [c["case_id"] for c in stored.top_cases] == list(cases["case_id"][:10])


def test_the_overview_page_draws_from_the_stored_summary(summarised: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SUNLIGHT_STORE", str(summarised))
    at = open_app(INVESTIGATOR)
    assert not at.exception
    shown = {m.label: m.value for m in at.metric}
    assert shown["预警总数"] == "6" and shown["涉及合同金额"] == "515.38万元"
    heat = at.dataframe[0].value
    assert heat.loc["信息中心", "集中度"] == pytest.approx(0.91)

"""View models: the numbers behind the heatmap, trend, filters, risk and console tables, from a real store."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from e2e.fixture_store import PAIR_ALERT, PHONE_ALERT, SHARED_PHONE, build_fixture_store

from graph.ladybug_store import LadybugStore
from sunlight.ui import viewmodels as vm

FAMILIES = {
    "repeated_pairs": "concentration",
    "shared_identifiers": "relationship",
    "split_purchase": "approval",
    "approval_controls": "approval",
    "bid_rigging": "bidding",
}  # price_outliers left out on purpose: an unregistered detector


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> vm.AlertBook:
    store = LadybugStore(build_fixture_store(tmp_path_factory.mktemp("vm") / "store"), read_only=True)
    try:
        return vm.build_alert_book(store.alerts(), store.snapshot(), FAMILIES)
    finally:
        store.close()


def test_each_alert_gets_its_departments_contracts_and_period(book: vm.AlertBook):
    alerts = book.alerts.set_index("alert_id")
    pair = alerts.loc[PAIR_ALERT]
    assert pair["department"] == "D01" and pair["departments"] == ("D01",)
    assert len(pair["contracts"]) == 9
    assert (pair["period_start"], pair["period_end"]) == (
        pd.Timestamp("2024-02-10"),
        pd.Timestamp("2024-10-18"),
    )
    assert pd.isna(alerts.loc[PHONE_ALERT, "period_start"])  # names no contract: period unknown
    assert alerts.loc["AL-price-office", "department"] == "D04"  # only a contract flagged: its buyer
    assert alerts.loc["AL-price-office", "family"] == vm.OTHER_FAMILY


def test_key_figures(book: vm.AlertBook):
    figures = vm.kpis(book)
    assert (figures["alerts"], figures["high"], figures["medium"], figures["open"]) == (6, 3, 2, 6)
    assert figures["flagged_value"] == pytest.approx(5_153_800.0)


def test_heatmap_metrics(book: vm.AlertBook):
    risk = vm.heatmap(book, "risk").values
    assert list(risk.columns) == [*vm.FAMILIES, vm.OTHER_FAMILY]
    assert risk.loc["D01", "concentration"] == pytest.approx(0.91)
    assert risk.loc["D01", "relationship"] == pytest.approx(0.88)
    assert risk.loc["D03", "approval"] == pytest.approx(0.74)
    share = vm.heatmap(book, "value_share").values
    # 4 split contracts worth 195,800 of the 330,800 物资采购部 bought in all
    assert share.loc["D02", "approval"] == pytest.approx(195_800 / 330_800)
    assert vm.heatmap(book, "count").values.loc["D03"].sum() == 2
    with pytest.raises(ValueError, match="unknown heatmap metric"):
        vm.heatmap(book, "colour")


def test_a_selected_cell_maps_back_to_department_and_family(book: vm.AlertBook):
    grid = vm.heatmap(book, "risk")
    shown = grid.display(book, "en")
    assert shown.index[0] == "信息中心"
    assert grid.cell(0, "Relationships", "en") == ("D01", "relationship")
    assert grid.cell(0, "关联关系", "zh") == ("D01", "relationship")
    assert grid.cell(99, "Price", "en") is None


def test_trend_sums_flagged_contract_value_by_month_and_family(book: vm.AlertBook):
    trend = vm.risk_trend(book, "zh")
    june = trend[trend["month"] == pd.Timestamp("2024-06-01")].set_index("family")["value"]
    assert june["审批流程"] == pytest.approx(19.58)
    assert trend["value"].sum() == pytest.approx(515.38)


def test_filters_combine(book: vm.AlertBook):
    chosen = vm.filter_alerts(book, vm.Filters(levels=("high",), departments=("D01",)))
    assert set(chosen["alert_id"]) == {PAIR_ALERT, PHONE_ALERT}
    chosen = vm.filter_alerts(book, vm.Filters(period=(date(2024, 8, 1), date(2024, 8, 31))))
    assert set(chosen["alert_id"]) == {PAIR_ALERT, PHONE_ALERT, "AL-self-yanglei"}
    assert vm.filter_alerts(book, vm.Filters(text="不存在的公司")).empty
    assert list(vm.filter_alerts(book, vm.Filters(text="恒通"))["alert_id"]) == ["AL-split-lina-hengtong"]


def test_one_assigned_case_leaves_the_others_unassigned_not_missing(book: vm.AlertBook):
    rows = book.rows.copy()
    rows["assignee"] = [("审计员甲" if a == PAIR_ALERT else None) for a in rows["alert_id"]]
    assigned = vm.build_alert_book(rows, book.snapshot, FAMILIES)
    assert [a for a in assigned.alerts["assignee"] if a] == ["审计员甲"]
    assert assigned.alerts["assignee"].isna().sum() == 5
    unassigned = vm.filter_alerts(assigned, vm.Filters(assignees=(None,)))
    assert len(unassigned) == 5 and PAIR_ALERT not in set(unassigned["alert_id"])
    table = vm.queue_table(assigned, assigned.alerts, "zh")
    assert sorted(table["经办人"]) == [""] * 5 + ["审计员甲"]


def test_flagged_parties_are_hotter_than_the_records_around_them(book: vm.AlertBook):
    risk = vm.key_risk(book)
    assert risk["employee:E001"] > 0.9  # two high alerts combine
    assert risk["contract:C100"] == pytest.approx(vm.EVIDENCE_HEAT * 0.91)
    assert risk[f"phone:{SHARED_PHONE}"] == pytest.approx(vm.EVIDENCE_HEAT * 0.88)
    keys = vm.hot_keys(book, alerts=2)
    assert keys[:2] == ["employee:E001", "supplier:S001"] and f"phone:{SHARED_PHONE}" in keys


def test_evidence_tables_put_thresholds_beside_the_measures_and_mask_values(book: vm.AlertBook):
    view = vm.evidence_view(book.evidence[PHONE_ALERT], "zh")
    assert view.rows.to_dict("records") == [
        {"标识类型": "电话", "值": "138****8000", "员工编号": "E001", "供应商编号": "S001"}
    ]
    pair = vm.evidence_view(book.evidence[PAIR_ALERT], "en")
    lift = pair.thresholds.set_index("Parameter").loc["min_lift"]
    assert (lift["Threshold"], lift["Measured here"]) == ("3.0", "15.0")
    assert pair.subgraph[:2] == ("employee:E001", "supplier:S001")


def test_timeline_orders_approvals_signatures_and_payments(book: vm.AlertBook):
    events = vm.timeline(book.snapshot, ["C100"], "en")
    assert list(events["kind"]) == ["Approval (step 1)", "Contract signed", "Payment"]
    assert events.iloc[2]["detail"] == "6222***********0999"


def test_console_results_are_masked_and_name_their_entities():
    result = pd.DataFrame(
        {
            "employee_id": ["E001"],
            "shared": ["phone"],
            "value": [SHARED_PHONE],
            "supplier_id": ["S001"],
            "path_labels": [["Employee", "Phone", "Supplier"]],
            "path_ids": [["E001", SHARED_PHONE, "S001"]],
        }
    )
    shown = vm.masked_result(result).iloc[0]
    assert shown["value"] == "138****8000"
    assert shown["path_ids"] == "E001、138****8000、S001"
    # the shared phone is named once, from the path, as the node that ties the two
    assert vm.entity_keys_in_result(result) == ["supplier:S001", "employee:E001", f"phone:{SHARED_PHONE}"]

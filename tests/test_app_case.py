"""Case page (AppTest): evidence, masking, graph expansion, and the workflow as an investigator drives it."""

from __future__ import annotations

from pathlib import Path

import pytest
from e2e.fixture_store import PAIR_ALERT, PHONE_ALERT, SHARED_PHONE, build_fixture_store, copy_store
from streamlit.testing.v1 import AppTest

from graph.ladybug_store import LadybugStore
from sunlight.audit import AuditLog

APP = str(Path(__file__).resolve().parent.parent / "app.py")
CASE = "sunlight/ui/pages/case.py"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_fixture_store(tmp_path_factory.mktemp("case") / "store")


@pytest.fixture
def store_path(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = copy_store(template, tmp_path / "store")
    monkeypatch.setenv("SUNLIGHT_STORE", str(path))
    monkeypatch.setenv("SUNLIGHT_USER", "审计员甲")
    monkeypatch.delenv("SUNLIGHT_AUDIT_DIR", raising=False)
    return path


def open_case(alert_id: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page(CASE)
    at.query_params["alert"] = alert_id
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def page_text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [h.value for h in at.header]
    parts += [str(d.value.to_dict()) for d in at.dataframe]
    parts += [f.proto.srcdoc for f in at.get("iframe")]
    return "\n".join(parts)


def status_in_store(path: Path, alert_id: str) -> str:
    store = LadybugStore(path, read_only=True)
    try:
        rows = store.alerts()
    finally:
        store.close()
    return str(rows[rows["alert_id"] == alert_id].iloc[0]["status"])


def test_the_case_shows_both_explanations_the_threshold_and_the_evidence(store_path):
    at = open_case(PAIR_ALERT)
    assert at.header[0].value == "一级 · 审批人与供应商反复配对"
    text = page_text(at)
    assert "审批人张伟（E001）" in text and "Approver 张伟 \\(E001\\)" in text
    thresholds = at.dataframe[0].value
    assert list(thresholds.columns) == ["参数", "阈值", "本案数值"]
    share = thresholds[thresholds["参数"] == "min_share"].iloc[0]
    assert (share["阈值"], share["本案数值"]) == ("0.5", "0.75")
    rows = next(d.value for d in at.dataframe if "合同编号" in d.value.columns)
    assert len(rows) == 9
    timeline = next(d.value for d in at.dataframe if "事项" in d.value.columns)
    assert {"签订合同", "审批（第1步）", "付款"} <= set(timeline["事项"])


def test_personal_identifiers_are_masked_everywhere_on_the_case(store_path):
    text = page_text(open_case(PHONE_ALERT))
    assert SHARED_PHONE not in text
    assert "138\\*\\*\\*\\*8000" in text or "138****8000" in text


def test_show_more_neighbours_expands_the_graph_up_to_a_cap(store_path):
    at = open_case(PAIR_ALERT)
    assert "已显示 11 个对象；还有更多邻居未显示。" in [c.value for c in at.caption]
    more = next(b for b in at.button if b.label == "显示更多邻居（+20）")
    more.click().run()
    # every neighbour one step away fits under the raised cap: nothing more to show
    assert "已显示 21 个对象。" in [c.value for c in at.caption]
    assert next(b for b in at.button if b.label == "显示更多邻居（+20）").disabled
    next(s for s in at.selectbox if s.label == "展开层数").set_value(2).run()
    # two steps out, the cap (11 evidence entities + 20) holds the drawing
    assert any(c.value.startswith("已显示 31 个对象") for c in at.caption)
    next(b for b in at.button if b.label == "只看证据对象").click().run()
    assert "已显示 11 个对象；还有更多邻居未显示。" in [c.value for c in at.caption]


def test_an_investigator_moves_the_case_and_the_trail_records_who(store_path):
    at = open_case(PAIR_ALERT)
    form_select = next(s for s in at.selectbox if s.label == "变更状态为")
    assert form_select.options == ["核查中", "已排除"]
    form_select.set_value("reviewing")
    next(b for b in at.button if b.label == "确认变更").click().run()
    assert not at.exception
    assert "状态已变更为：核查中" in [s.value for s in at.success]
    assert status_in_store(store_path, PAIR_ALERT) == "reviewing"
    history = next(d.value for d in at.dataframe if "操作人" in d.value.columns)
    assert list(history["操作人"]) == ["审计员甲"] and "待处理 → 核查中" in history.iloc[0]["内容"]
    assert AuditLog(store_path).verify() is None


def test_a_dismissal_without_a_reason_is_refused_on_the_page(store_path):
    at = open_case(PHONE_ALERT)
    next(s for s in at.selectbox if s.label == "变更状态为").set_value("dismissed")
    next(b for b in at.button if b.label == "确认变更").click().run()
    assert [e.value for e in at.error] == ["排除预警必须填写理由。"]
    assert status_in_store(store_path, PHONE_ALERT) == "open"
    next(s for s in at.selectbox if s.label == "变更状态为").set_value("dismissed")
    next(t for t in at.text_area if t.label.startswith("排除理由")).input("号码为前台总机")
    next(b for b in at.button if b.label == "确认变更").click().run()
    assert status_in_store(store_path, PHONE_ALERT) == "dismissed"
    assert "号码为前台总机" in page_text(at)


def test_no_action_without_a_signed_in_investigator(store_path):
    at = open_case(PAIR_ALERT)
    at.text_input(key="user").set_value("").run()
    next(t for t in at.text_area if t.label == "备注内容").input("先看合同")
    next(b for b in at.button if b.label == "添加备注").click().run()
    assert [e.value for e in at.error] == ["请先在左侧填写当前调查人员。"]
    assert AuditLog(store_path).entries() == []


def test_assignment_and_note_show_in_the_history(store_path):
    at = open_case(PAIR_ALERT)
    next(t for t in at.text_input if t.label == "指派给").input("李审计")
    next(b for b in at.button if b.label == "指派").click().run()
    next(t for t in at.text_area if t.label == "备注内容").input("已调取合同原件")
    next(b for b in at.button if b.label == "添加备注").click().run()
    assert not at.exception
    history = next(d.value for d in at.dataframe if "操作人" in d.value.columns)
    assert list(history["操作"]) == ["指派", "备注"]
    assert "**经办人：李审计**" in [m.value for m in at.markdown]


def test_a_remediated_case_offers_no_further_step_in_english(store_path):
    from sunlight.cases import change_status

    store = LadybugStore(store_path)
    try:
        audit = AuditLog(store_path)
        for status, note in (("reviewing", None), ("confirmed", None), ("remediated", "合同已终止")):
            change_status(store, audit, PAIR_ALERT, status, "审计员乙", note=note)
    finally:
        store.close()
    at = open_case(PAIR_ALERT)
    at.radio(key="lang").set_value("en").run()
    assert at.header[0].value == "Grade 1 · Repeated supplier–approver pairs"
    picker = at.selectbox(key="case_pick.en")
    assert picker.value == PAIR_ALERT
    assert picker.format_func(PAIR_ALERT).startswith("Grade 1 · 0.91 · Repeated supplier–approver pairs")
    assert "Remediated (closed); nothing further to do." in [c.value for c in at.caption]
    assert "Change status" not in [b.label for b in at.button]

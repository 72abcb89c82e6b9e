"""Case page (AppTest): evidence, masking and unmasking, graph expansion, and the workflow as each role sees it."""

from __future__ import annotations

from pathlib import Path

import pytest
from e2e.app_session import CASE, open_app
from e2e.fixture_store import (
    ADMIN,
    COLLEAGUE,
    INVESTIGATOR,
    PAIR_ALERT,
    PHONE_ALERT,
    SHARED_PHONE,
    VIEWER,
    add_accounts,
    build_fixture_store,
    copy_store,
)
from streamlit.testing.v1 import AppTest

from graph.ladybug_store import LadybugStore
from sunlight.audit import AuditLog
from sunlight.auth import AccessDenied, Role, User
from sunlight.cases import add_note, assign, case_state, change_status

ADMIN_USER = User(ADMIN, Role.ADMIN)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = build_fixture_store(tmp_path_factory.mktemp("case") / "store")
    add_accounts(path)
    return path


@pytest.fixture
def store_path(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = copy_store(template, tmp_path / "store")
    monkeypatch.setenv("SUNLIGHT_STORE", str(path))
    monkeypatch.delenv("SUNLIGHT_AUDIT_DIR", raising=False)
    monkeypatch.delenv("SUNLIGHT_AUTH_CONFIG", raising=False)
    return path


def open_case(alert_id: str, name: str = INVESTIGATOR) -> AppTest:
    return open_app(name, CASE, alert=alert_id)


def give_case(path: Path, alert_id: str, assignee: str) -> None:
    """The admin assigns the case, as the assign form or another session would."""
    store = LadybugStore(path)
    try:
        assign(store, AuditLog(path), alert_id, assignee, ADMIN_USER)
    finally:
        store.close()


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


def case_of(path: Path, alert_id: str) -> str:
    store = LadybugStore(path, read_only=True)
    try:
        return case_state(store, alert_id).case_id
    finally:
        store.close()


def button_labels(at: AppTest) -> list[str]:
    return [b.label for b in at.button]


def trail_actions(path: Path) -> list[tuple[str, str]]:
    return [(e["action"], e["actor"]) for e in AuditLog(path).entries() if e["action"] != "auth.login"]


PAIR_CASE_HEADER = "一级 · 审批人与供应商反复配对、员工与供应商共用标识"


def test_the_case_shows_both_explanations_the_threshold_and_the_evidence(store_path):
    at = open_case(PAIR_ALERT)
    # the repeated pair and the shared phone are one case: the same approver and supplier
    assert at.header[0].value == PAIR_CASE_HEADER
    alerts = next(d.value for d in at.dataframe if "预警编号" in d.value.columns)
    assert list(alerts["预警编号"]) == [PAIR_ALERT, PHONE_ALERT]
    assert "集中度 0.91 · 关联关系 0.88" in page_text(at)
    text = page_text(at)
    assert "审批人张伟（E001）" in text and "Approver 张伟 \\(E001\\)" in text
    thresholds = next(d.value for d in at.dataframe if "参数" in d.value.columns)
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
    # the evidence of both alerts of the case: 13 objects
    assert "已显示 13 个对象；还有更多邻居未显示。" in [c.value for c in at.caption]
    more = next(b for b in at.button if b.label == "显示更多邻居（+20）")
    more.click().run()
    # every neighbour one step away fits under the raised cap: nothing more to show
    assert "已显示 22 个对象。" in [c.value for c in at.caption]
    assert next(b for b in at.button if b.label == "显示更多邻居（+20）").disabled
    next(s for s in at.selectbox if s.label == "展开层数").set_value(2).run()
    # two steps out, under the cap (13 evidence entities + 20)
    assert any(c.value.startswith("已显示 31 个对象") for c in at.caption)
    next(b for b in at.button if b.label == "只看证据对象").click().run()
    assert "已显示 13 个对象；还有更多邻居未显示。" in [c.value for c in at.caption]


def test_the_assigned_investigator_moves_the_case_and_the_trail_records_who(store_path):
    give_case(store_path, PAIR_ALERT, INVESTIGATOR)
    at = open_case(PAIR_ALERT)
    form_select = next(s for s in at.selectbox if s.label == "变更状态为")
    assert form_select.options == ["核查中", "已排除"]
    form_select.set_value("reviewing")
    next(b for b in at.button if b.label == "确认变更").click().run()
    assert not at.exception
    assert "状态已变更为：核查中" in [s.value for s in at.success]
    assert status_in_store(store_path, PAIR_ALERT) == "reviewing"
    history = next(d.value for d in at.dataframe if "操作人" in d.value.columns)
    assert list(history["操作人"]) == [ADMIN, INVESTIGATOR]
    assert "待处理 → 核查中" in history.iloc[1]["内容"]
    assert AuditLog(store_path).verify() is None


def test_a_dismissal_without_a_reason_is_refused_on_the_page(store_path):
    give_case(store_path, PHONE_ALERT, INVESTIGATOR)
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


def test_a_viewer_reads_the_case_but_cannot_change_it(store_path):
    give_case(store_path, PAIR_ALERT, INVESTIGATOR)
    at = open_case(PAIR_ALERT, VIEWER)
    assert at.header[0].value == PAIR_CASE_HEADER
    assert [i.value for i in at.info] == ["查看人员可以阅读案件，不能处置。"]
    assert not at.text_area and "变更状态为" not in [s.label for s in at.selectbox]
    assert not {"确认变更", "指派", "添加备注", "显示未脱敏信息"} & set(button_labels(at))
    # the workflow refuses the viewer too, whatever a page offers, and says so in the trail
    store = LadybugStore(store_path)
    try:
        audit = AuditLog(store_path)
        viewer = User(VIEWER, Role.VIEWER)
        with pytest.raises(AccessDenied):
            change_status(store, audit, PAIR_ALERT, "reviewing", viewer)
        with pytest.raises(AccessDenied):
            add_note(store, audit, PAIR_ALERT, "看过了", viewer)
    finally:
        store.close()
    assert status_in_store(store_path, PAIR_ALERT) == "open"
    assert trail_actions(store_path)[-2:] == [("case.denied", VIEWER), ("case.denied", VIEWER)]
    assert [e["details"]["attempted"] for e in AuditLog(store_path).entries()[-2:]] == [
        "case.status",
        "case.note",
    ]


def test_an_investigator_acts_only_on_a_case_assigned_to_them(store_path):
    give_case(store_path, PAIR_ALERT, INVESTIGATOR)
    other = open_case(PAIR_ALERT, COLLEAGUE)
    assert [i.value for i in other.info] == [f"只有本案经办人（{INVESTIGATOR}）或管理员可以处置本案。"]
    assert not {"确认变更", "指派", "添加备注"} & set(button_labels(other))
    store = LadybugStore(store_path)
    try:
        with pytest.raises(AccessDenied):
            change_status(
                store, AuditLog(store_path), PAIR_ALERT, "reviewing", User(COLLEAGUE, Role.INVESTIGATOR)
            )
    finally:
        store.close()
    assert trail_actions(store_path)[-1] == ("case.denied", COLLEAGUE)

    own = open_case(PAIR_ALERT, INVESTIGATOR)
    assert {"确认变更", "添加备注"} <= set(button_labels(own))
    # assigning stays with the admins
    assert "指派" not in button_labels(own)
    assert "只有管理员可以指派案件。" in [c.value for c in own.caption]
    next(t for t in own.text_area if t.label == "备注内容").input("已调取合同原件")
    next(b for b in own.button if b.label == "添加备注").click().run()
    assert trail_actions(store_path)[-1] == ("case.note", INVESTIGATOR)


def test_the_admin_assigns_to_an_account_and_the_history_shows_it(store_path):
    at = open_case(PAIR_ALERT, ADMIN)
    who = next(s for s in at.selectbox if s.label == "指派给")
    # viewers could not work the case: they are not offered
    assert sorted(who.options) == sorted([ADMIN, INVESTIGATOR, COLLEAGUE])
    who.set_value(INVESTIGATOR)
    next(b for b in at.button if b.label == "指派").click().run()
    next(t for t in at.text_area if t.label == "备注内容").input("请于本周内核实")
    next(b for b in at.button if b.label == "添加备注").click().run()
    assert not at.exception
    history = next(d.value for d in at.dataframe if "操作人" in d.value.columns)
    assert list(history["操作"]) == ["指派", "备注"]
    assert list(history["操作人"]) == [ADMIN, ADMIN]
    assert list(history["内容"]) == [f"（未分配） → {INVESTIGATOR}", "请于本周内核实"]
    assert f"**经办人：{INVESTIGATOR}**" in [m.value for m in at.markdown]


def test_unmasking_records_the_view_first_and_shows_the_raw_value_only_then(store_path):
    give_case(store_path, PHONE_ALERT, INVESTIGATOR)
    at = open_case(PHONE_ALERT)
    assert SHARED_PHONE not in page_text(at)
    before = len(AuditLog(store_path).entries())
    next(b for b in at.button if b.label == "显示未脱敏信息").click().run()
    assert not at.exception
    entries = AuditLog(store_path).entries()
    assert len(entries) == before + 1
    view = entries[-1]
    assert (view["action"], view["actor"]) == ("privacy.unmask", INVESTIGATOR)
    case_id = case_of(store_path, PHONE_ALERT)
    assert view["details"]["target"] == case_id and view["details"]["page"] == "case"
    assert view["details"]["cases"] == [case_id]
    assert "phone" in view["details"]["fields"]
    assert SHARED_PHONE in page_text(at)
    assert at.warning[0].value.startswith("正在显示未脱敏的个人信息（")
    # the next run of the page is masked again, and no look goes unrecorded
    next(b for b in at.button if b.label == "恢复脱敏").click().run()
    assert SHARED_PHONE not in page_text(at)
    assert len(AuditLog(store_path).entries()) == before + 1
    assert AuditLog(store_path).verify() is None


def test_no_unmasking_outside_ones_own_active_case(store_path):
    give_case(store_path, PHONE_ALERT, INVESTIGATOR)
    for name in (VIEWER, COLLEAGUE, ADMIN):  # an admin too must take the case first
        at = open_case(PHONE_ALERT, name)
        assert "显示未脱敏信息" not in button_labels(at), name
        assert SHARED_PHONE not in page_text(at)
    assert "管理员须先将案件指派给自己" in " ".join(c.value for c in at.caption)
    store = LadybugStore(store_path)
    try:
        change_status(
            store,
            AuditLog(store_path),
            PHONE_ALERT,
            "dismissed",
            User(INVESTIGATOR, Role.INVESTIGATOR),
            reason="前台总机",
        )
    finally:
        store.close()
    # a dismissed case masks its people again, for its own investigator as well
    assert "显示未脱敏信息" not in button_labels(open_case(PHONE_ALERT))


def test_a_remediated_case_offers_no_further_step_in_english(store_path):
    store = LadybugStore(store_path)
    try:
        audit = AuditLog(store_path)
        for status, note in (("reviewing", None), ("confirmed", None), ("remediated", "合同已终止")):
            change_status(store, audit, PAIR_ALERT, status, ADMIN_USER, note=note)
    finally:
        store.close()
    at = open_case(PAIR_ALERT, ADMIN)
    at.radio(key="lang").set_value("en").run()
    assert (
        at.header[0].value
        == "Grade 1 · Repeated supplier–approver pairs, Identifiers shared by staff and suppliers"
    )
    picker = at.selectbox(key="case_pick.en")
    case_id = case_of(store_path, PAIR_ALERT)
    assert picker.value == case_id
    assert picker.format_func(case_id).startswith("Grade 1 · 0.99 · Repeated supplier–approver pairs")
    assert "Remediated (closed); nothing further to do." in [c.value for c in at.caption]
    assert "Change status" not in [b.label for b in at.button]


def test_the_case_shows_the_learned_score_beside_the_rule_score_and_why(store_path):
    """As `sunlight learn` leaves a case (graph.learned writes what its model gave)."""
    import pandas as pd

    from graph.learned import write_learned_scores

    reasons = [
        {"code": "shared_confirmed", "zh": "与已确认案件 CS-0001 共用 3 家投标人/供应商", "en": "shares 3"},
        {"code": "kind_dismissed", "zh": "同类已排除案件 12 件：公用事业", "en": "12 dismissed"},
    ]
    case_id = case_of(store_path, PAIR_ALERT)
    store = LadybugStore(store_path)
    try:
        write_learned_scores(
            store,
            pd.DataFrame(
                {
                    "id": [PAIR_ALERT],
                    "learned_score": [0.42],
                    "learned_level": ["medium"],
                    "learned_reasons": [reasons],
                    "learned_model": ["LM-20261207-140501-3fa9c2"],
                }
            ),
            pd.DataFrame(
                {
                    "id": [case_id],
                    "learned_score": [0.42],
                    "learned_level": ["medium"],
                    "learned_reasons": [reasons],
                }
            ),
        )
    finally:
        store.close()
    at = open_case(PAIR_ALERT)
    learned = next(m for m in at.metric if m.label == "学习分数")
    assert learned.value == "0.42" and "规则分数" in str(learned.proto.delta)
    text = page_text(at)
    assert "学习分数为何变化" in text
    assert "与已确认案件 CS-0001 共用 3 家投标人/供应商" in text and "同类已排除案件 12 件：公用事业" in text
    alerts = next(d.value for d in at.dataframe if "预警编号" in d.value.columns)
    assert list(alerts["学习分数"].dropna()) == [
        0.42
    ]  # the queue of its alerts shows it beside the rule score
    assert list(alerts.columns).index("学习分数") == list(alerts.columns).index("风险分") + 1

"""Case workflow (sunlight.cases): transitions, required reasons, who and when in the trail, rollback."""

from __future__ import annotations

from pathlib import Path

import pytest
from e2e.fixture_store import PAIR_ALERT, PHONE_ALERT, build_fixture_store, copy_store

from graph.ladybug_store import LadybugStore
from graph.store import ALERT_STATUSES
from sunlight.audit import AuditLog
from sunlight.cases import (
    TRANSITIONS,
    CaseError,
    add_note,
    allowed_next,
    assign,
    audit_log_for,
    case_history,
    change_status,
    history_frame,
)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_fixture_store(tmp_path_factory.mktemp("cases") / "store")


@pytest.fixture
def store(template: Path, tmp_path: Path):
    s = LadybugStore(copy_store(template, tmp_path / "store"))
    yield s
    s.close()


@pytest.fixture
def audit(store: LadybugStore) -> AuditLog:
    return AuditLog(store.folder)


def status_of(store: LadybugStore, alert_id: str) -> tuple[str, object]:
    rows = store.alerts()
    row = rows[rows["alert_id"] == alert_id].iloc[0]
    return row["status"], row["assignee"]


def test_every_status_has_its_next_steps():
    assert set(TRANSITIONS) == set(ALERT_STATUSES)
    assert allowed_next("open") == ("reviewing", "dismissed")
    assert allowed_next("confirmed") == ("remediated",)
    assert allowed_next("remediated") == ()


def test_a_case_goes_from_open_to_remediated_and_every_step_is_in_the_trail(store, audit):
    change_status(store, audit, PAIR_ALERT, "reviewing", "审计员甲")
    change_status(store, audit, PAIR_ALERT, "confirmed", "审计员甲", note="合同与审批记录核实无误")
    change_status(store, audit, PAIR_ALERT, "remediated", "审计员乙", note="已终止合作并追回款项")
    assert status_of(store, PAIR_ALERT)[0] == "remediated"
    history = case_history(audit, PAIR_ALERT)
    assert [(a.actor, a.details["from"], a.details["to"]) for a in history] == [
        ("审计员甲", "open", "reviewing"),
        ("审计员甲", "reviewing", "confirmed"),
        ("审计员乙", "confirmed", "remediated"),
    ]
    assert history[2].details["note"] == "已终止合作并追回款项"
    assert all(a.at for a in history)
    assert audit.verify() is None


def test_dismissal_needs_a_reason_and_remediation_a_note(store, audit):
    with pytest.raises(CaseError) as refused:
        change_status(store, audit, PHONE_ALERT, "dismissed", "审计员甲", reason="  ")
    assert refused.value.code == "err_reason"
    change_status(store, audit, PHONE_ALERT, "dismissed", "审计员甲", reason="号码为公司前台总机，非个人号码")
    assert status_of(store, PHONE_ALERT)[0] == "dismissed"
    change_status(store, audit, PAIR_ALERT, "reviewing", "审计员甲")
    change_status(store, audit, PAIR_ALERT, "confirmed", "审计员甲")
    with pytest.raises(CaseError) as refused:
        change_status(store, audit, PAIR_ALERT, "remediated", "审计员甲")
    assert refused.value.code == "err_remediation"
    assert status_of(store, PAIR_ALERT)[0] == "confirmed"


def test_a_step_the_workflow_does_not_allow_changes_nothing(store, audit):
    with pytest.raises(CaseError) as refused:
        change_status(store, audit, PAIR_ALERT, "remediated", "审计员甲", note="直接销号")
    assert refused.value.code == "err_transition"
    assert refused.value.values["allowed"] == ("reviewing", "dismissed")
    assert status_of(store, PAIR_ALERT)[0] == "open"
    assert case_history(audit, PAIR_ALERT) == []


def test_a_status_someone_else_changed_meanwhile_is_not_overwritten(store, audit):
    change_status(store, audit, PAIR_ALERT, "reviewing", "审计员乙")
    with pytest.raises(CaseError) as refused:
        change_status(
            store, audit, PAIR_ALERT, "dismissed", "审计员甲", reason="误报", expected_status="open"
        )
    assert refused.value.code == "err_changed" and refused.value.values["status"] == "reviewing"
    assert status_of(store, PAIR_ALERT)[0] == "reviewing"


def test_every_action_names_who_took_it(store, audit):
    with pytest.raises(CaseError) as refused:
        change_status(store, audit, PAIR_ALERT, "reviewing", "")
    assert refused.value.code == "need_user"
    with pytest.raises(CaseError):
        add_note(store, audit, PAIR_ALERT, "note", " ")


def test_assignment_and_notes_are_recorded(store, audit):
    assign(store, audit, PAIR_ALERT, "李审计", "组长王")
    add_note(store, audit, PAIR_ALERT, "已调取2024年全部IT设备合同", "李审计")
    assert status_of(store, PAIR_ALERT) == ("open", "李审计")
    frame = history_frame(audit, PAIR_ALERT)
    assert list(frame["action"]) == ["case.assign", "case.note"]
    assert list(frame["actor"]) == ["组长王", "李审计"]
    assert frame.iloc[0]["to"] == "李审计" and frame.iloc[1]["note"] == "已调取2024年全部IT设备合同"
    with pytest.raises(CaseError) as refused:
        add_note(store, audit, "AL-nothing", "x", "李审计")
    assert refused.value.code == "err_unknown_alert"


def test_a_change_the_trail_cannot_record_is_undone_in_the_store(store, tmp_path):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the trail's folder should be", encoding="utf-8")
    with pytest.raises(OSError):
        change_status(store, AuditLog(blocked), PAIR_ALERT, "reviewing", "审计员甲")
    assert status_of(store, PAIR_ALERT)[0] == "open"


def test_the_trail_lives_beside_the_embedded_store_unless_configured(tmp_path, monkeypatch):
    monkeypatch.delenv("SUNLIGHT_AUDIT_DIR", raising=False)
    monkeypatch.delenv("NEO4J_URI", raising=False)
    assert audit_log_for(tmp_path / "s").folder == tmp_path / "s"
    assert audit_log_for(None, neo4j_uri="bolt://db:7687").folder == Path("sunlight-audit")
    monkeypatch.setenv("SUNLIGHT_AUDIT_DIR", str(tmp_path / "trail"))
    assert audit_log_for(tmp_path / "s").folder == tmp_path / "trail"

"""Case workflow (sunlight.cases): transitions, required reasons, who and when in the trail, rollback,
and the role each action needs (checked here as well as on the page)."""

from __future__ import annotations

from pathlib import Path

import pytest
from e2e.fixture_store import PAIR_ALERT, PHONE_ALERT, build_fixture_store, copy_store

from graph.errors import StoreUnavailable
from graph.ladybug_store import LadybugStore
from graph.store import ALERT_STATUSES
from sunlight.audit import AuditLog
from sunlight.auth import AccessDenied, Role, User
from sunlight.cases import (
    DENIED_ACTION,
    TRANSITIONS,
    CaseError,
    add_note,
    allowed_next,
    apply_pending,
    assign,
    audit_log_for,
    case_history,
    case_state,
    change_status,
    change_statuses,
    history_frame,
    outcome_of,
    pending_requests,
    request_assign,
    request_status,
    submit,
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


# Two investigators who work cases assigned to them, and the admin who assigns them.
JIA = User("审计员甲", Role.INVESTIGATOR)
YI = User("审计员乙", Role.INVESTIGATOR)
LEADER = User("组长王", Role.ADMIN)


#: An alert of another case than the pair's (the approver's self-approval).
SELF_ALERT = "AL-self-yanglei"


def status_of(store: LadybugStore, alert_id: str) -> tuple[str, object]:
    rows = store.alerts()
    row = rows[rows["alert_id"] == alert_id].iloc[0]
    return row["status"], row["assignee"] if isinstance(row["assignee"], str) else None


def case_of(store: LadybugStore, alert_id: str) -> str:
    return case_state(store, alert_id).case_id


def test_alerts_about_one_pair_are_one_case_and_move_together(store, audit):
    # the repeated pair and the shared phone are about the same approver and supplier
    assert case_of(store, PAIR_ALERT) == case_of(store, PHONE_ALERT) != case_of(store, SELF_ALERT)
    change_status(store, audit, PAIR_ALERT, "reviewing", LEADER)
    assert status_of(store, PHONE_ALERT)[0] == "reviewing"
    assert status_of(store, SELF_ALERT)[0] == "open"
    # the case id names it as well as any of its alerts
    change_status(store, audit, case_of(store, PAIR_ALERT), "confirmed", LEADER)
    assert status_of(store, PAIR_ALERT)[0] == status_of(store, PHONE_ALERT)[0] == "confirmed"


def test_every_status_has_its_next_steps():
    assert set(TRANSITIONS) == set(ALERT_STATUSES)
    assert allowed_next("open") == ("reviewing", "dismissed")
    assert allowed_next("confirmed") == ("remediated",)
    assert allowed_next("remediated") == ()


def test_a_case_goes_from_open_to_remediated_and_every_step_is_in_the_trail(store, audit):
    assign(store, audit, PAIR_ALERT, JIA.name, LEADER)
    change_status(store, audit, PAIR_ALERT, "reviewing", JIA)
    change_status(store, audit, PAIR_ALERT, "confirmed", JIA, note="合同与审批记录核实无误")
    change_status(store, audit, PAIR_ALERT, "remediated", LEADER, note="已终止合作并追回款项")
    assert status_of(store, PAIR_ALERT)[0] == "remediated"
    history = case_history(audit, case_of(store, PAIR_ALERT))
    assert [(a.actor, a.details["from"], a.details["to"]) for a in history] == [
        ("组长王", None, "审计员甲"),
        ("审计员甲", "open", "reviewing"),
        ("审计员甲", "reviewing", "confirmed"),
        ("组长王", "confirmed", "remediated"),
    ]
    assert history[3].details["note"] == "已终止合作并追回款项"
    assert all(a.at for a in history)
    assert audit.verify() is None


def test_dismissal_needs_a_reason_and_remediation_a_note(store, audit):
    with pytest.raises(CaseError) as refused:
        change_status(store, audit, SELF_ALERT, "dismissed", LEADER, reason="  ")
    assert refused.value.code == "err_reason"
    change_status(store, audit, SELF_ALERT, "dismissed", LEADER, reason="系统测试账号，非真实审批")
    assert status_of(store, SELF_ALERT)[0] == "dismissed"
    change_status(store, audit, PAIR_ALERT, "reviewing", LEADER)
    change_status(store, audit, PAIR_ALERT, "confirmed", LEADER)
    with pytest.raises(CaseError) as refused:
        change_status(store, audit, PAIR_ALERT, "remediated", LEADER)
    assert refused.value.code == "err_remediation"
    assert status_of(store, PAIR_ALERT)[0] == "confirmed"


def test_a_step_the_workflow_does_not_allow_changes_nothing(store, audit):
    with pytest.raises(CaseError) as refused:
        change_status(store, audit, PAIR_ALERT, "remediated", LEADER, note="直接销号")
    assert refused.value.code == "err_transition"
    assert refused.value.values["allowed"] == ("reviewing", "dismissed")
    assert status_of(store, PAIR_ALERT)[0] == "open"
    assert case_history(audit, case_of(store, PAIR_ALERT)) == []


def test_many_cases_dismissed_at_once_leave_the_same_trail_as_one_by_one(store, audit):
    pair, mine = case_of(store, PAIR_ALERT), case_of(store, SELF_ALERT)
    entries = change_statuses(store, audit, [pair, mine], "dismissed", LEADER, reason="框架协议内采购")
    assert status_of(store, PAIR_ALERT)[0] == status_of(store, PHONE_ALERT)[0] == "dismissed"
    assert status_of(store, SELF_ALERT)[0] == "dismissed"
    assert [e["details"]["case_id"] for e in entries] == [pair, mine]
    for case_id in (pair, mine):
        history = case_history(audit, case_id)
        assert [(a.action, a.details["from"], a.details["to"], a.details["reason"]) for a in history] == [
            ("case.status", "open", "dismissed", "框架协议内采购")
        ]
    assert pending_requests(audit) == [] and audit.verify() is None


def test_many_cases_at_once_stop_at_the_first_that_may_not_move(store, audit):
    pair, mine = case_of(store, PAIR_ALERT), case_of(store, SELF_ALERT)
    with pytest.raises(CaseError) as refused:
        change_statuses(store, audit, [pair, mine], "dismissed", LEADER, reason=" ")
    assert refused.value.code == "err_reason"
    change_status(store, audit, SELF_ALERT, "reviewing", LEADER)
    with pytest.raises(CaseError) as refused:
        change_statuses(store, audit, [pair, mine], "confirmed", LEADER)
    assert refused.value.code == "err_transition"  # the pair is open: it cannot be confirmed
    assert status_of(store, PAIR_ALERT)[0] == "open" and status_of(store, SELF_ALERT)[0] == "reviewing"
    with pytest.raises(AccessDenied):
        change_statuses(store, audit, [pair], "reviewing", JIA)  # not assigned to her
    assert case_history(audit, pair) == []


def test_a_status_someone_else_changed_meanwhile_is_not_overwritten(store, audit):
    change_status(store, audit, PAIR_ALERT, "reviewing", LEADER)
    with pytest.raises(CaseError) as refused:
        change_status(store, audit, PAIR_ALERT, "dismissed", LEADER, reason="误报", expected_status="open")
    assert refused.value.code == "err_changed" and refused.value.values["status"] == "reviewing"
    assert status_of(store, PAIR_ALERT)[0] == "reviewing"


def test_every_action_needs_a_signed_in_user_not_just_a_name(store, audit):
    # a bare name would skip the role check
    with pytest.raises(TypeError):
        change_status(store, audit, PAIR_ALERT, "reviewing", "组长王")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        add_note(store, audit, PAIR_ALERT, "note", "组长王")  # type: ignore[arg-type]
    with pytest.raises(CaseError) as refused:
        change_status(store, audit, PAIR_ALERT, "reviewing", User(" ", Role.ADMIN))
    assert refused.value.code == "need_user"
    assert audit.entries() == [] and status_of(store, PAIR_ALERT)[0] == "open"


def test_assignment_and_notes_are_recorded(store, audit):
    assign(store, audit, PAIR_ALERT, "审计员甲", LEADER)
    add_note(store, audit, PAIR_ALERT, "已调取2024年全部IT设备合同", JIA)
    assert status_of(store, PAIR_ALERT) == ("open", "审计员甲")
    frame = history_frame(audit, case_of(store, PAIR_ALERT))
    assert list(frame["action"]) == ["case.assign", "case.note"]
    assert list(frame["state"]) == ["applied", "applied"]
    assert list(frame["actor"]) == ["组长王", "审计员甲"]
    assert frame.iloc[0]["to"] == "审计员甲" and frame.iloc[1]["note"] == "已调取2024年全部IT设备合同"
    with pytest.raises(CaseError) as refused:
        add_note(store, audit, "AL-nothing", "x", JIA)
    assert refused.value.code == "err_unknown_alert"


def test_each_action_needs_its_role_and_a_refusal_is_in_the_trail(store, audit):
    viewer = User("查看员丙", Role.VIEWER)
    assign(store, audit, PAIR_ALERT, "审计员甲", LEADER)
    refused = [
        lambda: change_status(store, audit, PAIR_ALERT, "reviewing", viewer),
        lambda: add_note(store, audit, PAIR_ALERT, "看过", viewer),
        # an investigator works only the cases given to them, and gives none out
        lambda: change_status(store, audit, PAIR_ALERT, "reviewing", YI),
        lambda: add_note(store, audit, PAIR_ALERT, "我来看看", YI),
        lambda: change_status(store, audit, SELF_ALERT, "reviewing", JIA),
        lambda: assign(store, audit, PAIR_ALERT, "审计员乙", JIA),
        lambda: assign(store, audit, SELF_ALERT, "审计员甲", JIA),
    ]
    for attempt in refused:
        with pytest.raises(AccessDenied):
            attempt()
    # the assignment is the case's: the phone alert of the same case is the investigator's too
    assert status_of(store, PAIR_ALERT) == status_of(store, PHONE_ALERT) == ("open", "审计员甲")
    assert status_of(store, SELF_ALERT)[0] == "open"
    pair, other = case_of(store, PAIR_ALERT), case_of(store, SELF_ALERT)
    denied = [e for e in audit.entries() if e["action"] == DENIED_ACTION]
    assert [(e["actor"], e["details"]["attempted"], e["details"]["case_id"]) for e in denied] == [
        ("查看员丙", "case.status", pair),
        ("查看员丙", "case.note", pair),
        ("审计员乙", "case.status", pair),
        ("审计员乙", "case.note", pair),
        ("审计员甲", "case.status", other),
        ("审计员甲", "case.assign", pair),
        ("审计员甲", "case.assign", other),
    ]
    assert {e["details"]["role"] for e in denied} == {"viewer", "investigator"}
    # refusals are not steps of the case
    assert [a.action for a in case_history(audit, pair)] == ["case.assign"]
    # the assignee and the admin may
    change_status(store, audit, PHONE_ALERT, "reviewing", JIA)
    change_status(store, audit, SELF_ALERT, "reviewing", LEADER)
    assert audit.verify() is None


def test_a_change_the_trail_cannot_record_is_undone_in_the_store(store, tmp_path):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the trail's folder should be", encoding="utf-8")
    with pytest.raises(OSError):
        change_status(store, AuditLog(blocked), PAIR_ALERT, "reviewing", LEADER)
    assert status_of(store, PAIR_ALERT)[0] == "open"


def test_the_trail_lives_beside_the_embedded_store_unless_configured(tmp_path, monkeypatch):
    monkeypatch.delenv("SUNLIGHT_AUDIT_DIR", raising=False)
    monkeypatch.delenv("NEO4J_URI", raising=False)
    assert audit_log_for(tmp_path / "s").folder == tmp_path / "s"
    assert audit_log_for(None, neo4j_uri="bolt://db:7687").folder == Path("sunlight-audit")
    monkeypatch.setenv("SUNLIGHT_AUDIT_DIR", str(tmp_path / "trail"))
    assert audit_log_for(tmp_path / "s").folder == tmp_path / "trail"


def busy_writer(work):
    """The store's writer is busy (a detector run holds the embedded store's lock)."""
    raise StoreUnavailable("cannot open the store: Could not set lock on file (Lock is held by PID 1)")


def test_actions_while_the_writer_is_busy_are_recorded_in_order_and_applied_once(store, audit):
    first = submit(audit, request_assign(store, audit, PAIR_ALERT, JIA.name, LEADER), busy_writer)
    second = submit(audit, request_status(store, audit, SELF_ALERT, "reviewing", LEADER), busy_writer)
    assert (first.state, second.state) == ("pending", "pending")
    assert status_of(store, PAIR_ALERT) == ("open", None)
    assert [r["details"]["action_id"] for r in pending_requests(audit)] == [first.action_id, second.action_id]
    # the pending step shows in the case's history, marked as such
    history = history_frame(audit, case_of(store, PAIR_ALERT))
    assert list(zip(history["action"], history["state"], strict=True)) == [("case.assign", "pending")]

    applied = apply_pending(store, audit)
    assert [(o.action_id, o.state) for o in applied] == [
        (first.action_id, "applied"),
        (second.action_id, "applied"),
    ]
    assert status_of(store, PAIR_ALERT) == ("open", JIA.name)
    assert status_of(store, SELF_ALERT)[0] == "reviewing"
    # applying again applies nothing twice
    assert apply_pending(store, audit) == []
    outcomes = [e for e in audit.entries() if (e["details"] or {}).get("action_id") == first.action_id]
    assert [e["action"] for e in outcomes] == ["case.request", "case.assign"]
    # the applied step names when it was asked for, and the request's place in the trail
    assert outcomes[1]["details"]["request_seq"] == outcomes[0]["seq"]
    assert outcomes[1]["details"]["requested_at"] == outcomes[0]["at"]
    assert outcome_of(audit, first.action_id).state == "applied"
    assert audit.verify() is None


def test_a_pending_action_based_on_a_status_that_changed_meanwhile_is_refused_not_applied(store, audit):
    # two people saw the case open; the second asked while the store was busy
    stale = submit(
        audit,
        request_status(store, audit, PAIR_ALERT, "dismissed", LEADER, reason="误报", expected_status="open"),
        busy_writer,
    )
    # the pending dismissal is applied first (it was asked first), so this one, also based on
    # "open", is refused when its turn comes: not applied over the dismissal
    with pytest.raises(CaseError) as refused_now:
        change_status(store, audit, PAIR_ALERT, "reviewing", LEADER, expected_status="open")
    assert refused_now.value.code == "err_changed"
    assert outcome_of(audit, stale.action_id).state == "applied"
    assert status_of(store, PAIR_ALERT)[0] == "dismissed"

    later = submit(
        audit,
        request_status(store, audit, PAIR_ALERT, "reviewing", LEADER, expected_status="dismissed"),
        busy_writer,
    )
    confirm = submit(
        audit,
        request_status(store, audit, PAIR_ALERT, "reviewing", LEADER, expected_status="dismissed"),
        busy_writer,
    )
    apply_pending(store, audit)
    assert outcome_of(audit, later.action_id).state == "applied"
    refused = outcome_of(audit, confirm.action_id)
    assert refused.state == "refused"
    assert isinstance(refused.error, CaseError) and refused.error.code == "err_changed"
    assert "now 'reviewing'" in str(refused.error)
    assert status_of(store, PAIR_ALERT)[0] == "reviewing"
    history = history_frame(audit, case_of(store, PAIR_ALERT))
    assert list(history["state"]) == ["applied", "refused", "applied", "refused"]

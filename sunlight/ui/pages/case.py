"""Case drill-down: what fired and why, the evidence graph, records, timeline, and the workflow.

Masked unless the signed-in person may unmask this case and asks to (the view is recorded first);
the workflow's forms appear only for those whose role allows the action (``sunlight.cases`` checks
again when it is taken)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from graph.cases import resolve_case
from graph.errors import StoreError
from graph.store import Store
from sunlight.auth import AccessDenied, Role, User, can_act_on_case, can_assign
from sunlight.cases import (
    CaseError,
    CaseRequest,
    allowed_next,
    apply_pending,
    history_frame,
    pending_requests,
    request_assign,
    request_note,
    request_status,
    submit,
)
from sunlight.masking import mask_text
from sunlight.ui import case_views as cv
from sunlight.ui import common, signin
from sunlight.ui import viewmodels as vm
from sunlight.ui.labels import grade_name, level_name, status_name, t
from sunlight.ui.report_button import offer_report

NEIGHBOUR_STEP = 20


def _assignable(config_mode: str) -> list[str] | None:
    """Accounts a case may be given to (enabled investigators and admins), or ``None`` behind a proxy,
    where the app has no list of people and the name is typed."""
    if config_mode == "proxy":
        return None
    accounts = signin.auth_config().users().accounts()
    return [a.name for a in accounts if not a.disabled and a.role in (Role.INVESTIGATOR, Role.ADMIN)]


def _read_only_reason(user: User, assignee: str | None, language: str) -> str:
    if user.role == Role.VIEWER:
        return t("case_read_only_viewer", language)
    if not assignee:
        return t("case_read_only_unassigned", language)
    return t("case_read_only_other", language, who=common.md(assignee))


def _pick_case(book: vm.AlertBook, cases: pd.DataFrame, language: str) -> pd.Series:
    """The case the page shows: chosen in the picker, or named by the link (``?case=`` or ``?alert=``)."""
    ids = cases["case_id"].tolist()
    pick_key = common.wkey("case_pick")
    # a link (?case= or ?alert=) chooses the case once; after that the picker does
    link = st.query_params.get("case") or st.query_params.get("alert")
    if link and link != st.session_state.get("case_link"):
        st.session_state["case_link"] = link
        wanted: str | None = link
        if wanted not in ids:
            owner = cases[cases["alert_ids"].map(lambda a: link in a)]
            wanted = owner.iloc[0]["case_id"] if not owner.empty else None
        merged = book.cases
        if wanted is None and not merged.empty and link in set(merged["case_id"]):
            wanted = resolve_case(merged, str(link))  # an old id leads to where its work went
        if wanted in ids:
            st.session_state[pick_key] = wanted
    labels = {
        row.case_id: f"{grade_name(row.grade, language)} · {row.score:.2f} · "
        f"{cv.case_title(book, cases.loc[i], language)} · " + vm.entity_names(book, row.entities, language)
        for i, row in zip(cases.index, cases.itertuples(index=False), strict=True)
    }
    picked = st.selectbox(
        t("choose_alert", language),
        options=ids,
        format_func=lambda c: labels.get(c, c),
        index=None,
        key=pick_key,
        placeholder=t("no_case_selected", language),
    )
    if picked is None:
        st.info(t("no_case_selected", language))
        st.stop()
    st.session_state["case_link"] = picked
    st.query_params["case"] = picked
    return cases[cases["case_id"] == picked].iloc[0]


def _apply_waiting(data: Any, audit: Any) -> None:
    """Apply actions left pending while the store was busy, now that it may be free."""
    if not pending_requests(audit):
        return
    try:
        data.write(lambda store: apply_pending(store, audit))
    except StoreError:
        return  # still busy: they stay pending and show as such


def main() -> None:
    language = common.lang()
    user = common.signed_in_user()
    st.title(t("page_case", language))
    common.show_flash()
    data = common.source()
    audit = data.audit()
    _apply_waiting(data, audit)
    book = common.alert_book()
    if book.alerts.empty:
        st.info(t("no_alerts", language))
        st.stop()
    cases = cv.case_frame(book)
    case = _pick_case(book, cases, language)
    case_id = str(case["case_id"])
    members = cv.case_alerts(book, case)
    merged_here = cv.merged_into(book, case_id)
    history = history_frame(audit, case_id, aliases=[*members["alert_id"], *merged_here])

    # ---- the case -----------------------------------------------------------------------------
    st.header(
        t(
            "case_header",
            language,
            grade=grade_name(case["grade"], language),
            title=common.md(cv.case_title(book, case, language)),
        )
    )
    st.caption(f"{t('col_case_id', language)}: {case_id}")
    fields = list(
        dict.fromkeys(f for a in members["alert_id"] for f in vm.case_personal_fields(book, a, history))
    )
    unmasked = common.offer_unmasked(user, case_id, book.rows, fields, page="case")
    offer_report(book, case_id, user, unmasked)
    displayed_text = (lambda text: text) if unmasked else mask_text
    score_column, facts_column = st.columns([1, 4])
    score_column.metric(
        t("col_case_score", language),
        f"{case['score']:.2f}",
        level_name(case["level"], language),
        delta_color="off",
        delta_arrow="off",
    )
    learned = case.get("learned_score")
    if learned is not None and not pd.isna(learned):
        moved = round(float(learned) - float(case["score"]), 2)
        beside = t("case_learned_beside", language, rule=f"{case['score']:.2f}")
        score_column.metric(
            t("case_learned_score", language),
            f"{float(learned):.2f}",
            f"{moved:+.2f} · {beside}" if moved else beside,
            delta_color="normal" if moved else "off",
            delta_arrow="auto" if moved else "off",
        )
    facts = [
        (t("col_status", language), status_name(case["status"], language)),
        (t("col_assignee", language), common.md(case["assignee"] or t("unassigned", language))),
        (t("col_department", language), common.md(book.department_label(case["department"], language))),
        (t("case_facts_corroboration", language), cv.corroboration_text(case["families"], language)),
        (t("col_first_seen", language), common.timestamp(case["first_seen"])),
    ]
    for column, (name, value) in zip(facts_column.columns(len(facts)), facts, strict=True):
        column.caption(name)
        column.markdown(f"**{value}**")
    if learned is not None and not pd.isna(learned) and case.get("learned_reasons"):
        with facts_column.container(border=True):
            st.caption(t("case_learned_why", language))
            for reason in case["learned_reasons"]:
                st.markdown("- " + common.md(str(reason.get("en" if language == "en" else "zh", ""))))

    # ---- its alerts: one is shown in full ------------------------------------------------------
    alert_ids = members["alert_id"].tolist()
    shown_alert = alert_ids[0]
    if len(alert_ids) > 1:
        st.subheader(t("case_alerts", language))
        common.table(vm.queue_table(book, members, language), hide_index=True, width="stretch")
        asked = st.query_params.get("alert")
        pick_key = common.wkey(f"alert_pick_{case_id}")
        if asked in alert_ids and pick_key not in st.session_state:
            st.session_state[pick_key] = asked
        shown_alert = st.selectbox(
            t("choose_case_alert", language),
            options=alert_ids,
            format_func=lambda a: (
                f"{grade_name(members.loc[a, 'grade'], language)} · {members.loc[a, 'score']:.2f} · "
                + str(members.loc[a, "title_en" if language == "en" else "title_zh"])
            ),
            key=pick_key,
        )
    alert = members.loc[shown_alert]
    picked = str(shown_alert)
    evidence = book.evidence.get(picked, {})
    with st.container(border=True):
        title = alert["title_en"] if language == "en" else alert["title_zh"]
        st.markdown(
            f"**{grade_name(alert['grade'], language)} · {alert['score']:.2f} · {common.md(title)}** · `{picked}`"
        )
        st.markdown(f"**{t('explanation_zh', language)}**")
        st.markdown(common.md(displayed_text(alert["explanation_zh"])))
        st.markdown(f"**{t('explanation_en', language)}**")
        st.markdown(common.md(displayed_text(alert["explanation_en"])))
    view = vm.evidence_view(evidence, language, unmasked=unmasked)
    left, right = st.columns(2)
    with left:
        st.subheader(t("threshold_fired", language))
        common.table(view.thresholds, hide_index=True, width="stretch")
    with right:
        st.subheader(t("metrics", language))
        common.table(view.metrics, hide_index=True, width="stretch")

    # ---- evidence graph -------------------------------------------------------------------------
    st.subheader(t("evidence_graph", language))
    keys = list(
        dict.fromkeys(
            k
            for a in alert_ids
            for k in (book.evidence.get(a, {}).get("subgraph") or members.loc[a, "entities"])
            if isinstance(k, str)
        )
    )
    extra_key = f"extra_{case_id}"
    extra = int(st.session_state.get(extra_key, 0))
    controls = st.columns([1, 2, 2, 3], vertical_alignment="bottom")
    hops = controls[0].selectbox(t("hops", language), options=[1, 2], key=f"hops_{case_id}")
    graph = common.subgraph(keys, hops=int(hops), limit=len(keys) + extra)
    if controls[1].button(
        t("show_more", language, n=NEIGHBOUR_STEP), disabled=not graph.truncated, icon=":material/add_circle:"
    ):
        st.session_state[extra_key] = extra + NEIGHBOUR_STEP
        st.rerun()
    if controls[2].button(
        t("show_fewer", language), disabled=extra == 0, icon=":material/filter_center_focus:"
    ):
        st.session_state[extra_key] = 0
        st.rerun()
    focus = list(dict.fromkeys(k for ks in members["entities"] for k in ks))
    common.draw(graph, risk=vm.key_risk(book), focus=focus, mode="type", height=500)
    shown = len(graph.nodes)
    st.caption(
        t("graph_truncated", language, shown=shown)
        if graph.truncated
        else t("graph_complete", language, shown=shown)
    )

    # ---- records and timeline ------------------------------------------------------------------
    st.subheader(t("evidence_rows", language))
    if view.rows.empty:
        st.caption(t("no_evidence_rows", language))
    else:
        common.table(view.rows, hide_index=True, width="stretch")
    st.subheader(t("timeline", language))
    contracts = list(dict.fromkeys(c for cs in members["contracts"] for c in cs))
    events = vm.timeline(book.snapshot, contracts, language, unmasked=unmasked)
    if events.empty:
        st.caption(t("no_timeline", language))
    else:
        chart_events = events[events["contract"].isin(list(dict.fromkeys(events["contract"]))[:20])]
        # a point's tooltip (and its aria-label) shows the party's name: cut as every text from the data
        chart_events = chart_events.assign(
            **{
                c: chart_events[c].map(lambda v: common.shown(v) if isinstance(v, str) else v)
                for c in ("party", "contract", "detail")
            }
        )
        chart = (
            alt.Chart(chart_events)
            .mark_point(filled=True, size=90)
            .encode(
                x=alt.X("when:T", title=t("ev_time", language), axis=alt.Axis(format="%Y-%m-%d")),
                y=alt.Y("contract:N", title=t("ev_contract", language), sort=None),
                color=alt.Color("stage:N", title=t("ev_kind", language), scale=alt.Scale(scheme="tableau10")),
                shape=alt.Shape("stage:N", title=t("ev_kind", language)),
                tooltip=[
                    alt.Tooltip("when:T", title=t("ev_time", language), format="%Y-%m-%d %H:%M"),
                    alt.Tooltip("kind:N", title=t("ev_kind", language)),
                    alt.Tooltip("contract:N", title=t("ev_contract", language)),
                    alt.Tooltip("party:N", title=t("ev_party", language)),
                    alt.Tooltip("amount:Q", title=t("ev_amount", language), format=",.2f"),
                ],
            )
            .properties(height=min(40 + 26 * chart_events["contract"].nunique(), 520))
        )
        st.altair_chart(chart, width="stretch")
        common.table(
            # an approval has no amount: an empty cell, not a placeholder word
            events.drop(columns=["stage"])
            .assign(amount=[("" if pd.isna(v) else f"{v:,.2f}") for v in events["amount"]])
            .rename(
                columns={
                    "when": t("ev_time", language),
                    "kind": t("ev_kind", language),
                    "contract": t("ev_contract", language),
                    "party": t("ev_party", language),
                    "amount": t("ev_amount", language),
                    "detail": t("ev_detail", language),
                }
            ),
            hide_index=True,
            width="stretch",
            column_config={
                t("ev_time", language): st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
                t("ev_amount", language): st.column_config.TextColumn(alignment="right"),
            },
        )

    # ---- workflow ----------------------------------------------------------------------------------
    st.subheader(t("workflow", language))
    may_act = can_act_on_case(user, case_id, book.rows)
    may_assign = can_assign(user)
    waiting = [r for r in pending_requests(audit) if r["details"].get("case_id") in {case_id, *merged_here}]
    if waiting:
        names = "、".join(
            f"{r['actor']} {r['at'].replace('T', ' ')} {_request_name(r['details'], language)}"
            for r in waiting
        )
        st.warning(
            t("pending_here", language, n=len(waiting), actions=common.md(names)), icon=":material/schedule:"
        )

    def _message(exc: CaseError | AccessDenied) -> str:
        if isinstance(exc, AccessDenied):
            return t("err_access", language)
        values = dict(exc.values)
        if exc.code == "err_transition":
            values = {
                "from_": status_name(values["from_"], language),
                "to": status_name(values["to"], language),
                "allowed": "、".join(status_name(s, language) for s in values["allowed"]) or "—",
            }
        elif exc.code in ("err_changed", "err_merged"):
            values["status"] = status_name(values["status"], language)
        return t(exc.code, language, **values)

    def _run(action: str, ask: Callable[[Store], CaseRequest]) -> bool:
        """Request one case action (checked against the store as it is now) and apply it; when the
        store is busy it stays pending and is applied by the writer. True when it was accepted."""
        try:
            request = data.read(ask)
            outcome = submit(audit, request, data.write)
        except (AccessDenied, CaseError) as exc:
            st.error(_message(exc))
            return False
        except StoreError as exc:
            st.error(t("store_busy", language, error=exc))
            return False
        if outcome.state == "refused" and outcome.error is not None:
            st.error(_message(outcome.error))
            return False
        if outcome.state == "pending":
            common.flash(t("action_pending", language), kind="warning")
        else:
            common.flash(action)
        return True

    status = str(case["status"])
    assignee = case["assignee"]
    if not (may_act or may_assign):
        st.info(_read_only_reason(user, assignee, language))
    else:
        moves = allowed_next(status)
        columns = st.columns(3)
        with columns[0], st.container(border=True):
            st.markdown(f"**{t('status_now', language, status=status_name(status, language))}**")
            if not may_act:
                st.caption(_read_only_reason(user, assignee, language))
            elif not moves:
                st.caption(t("final_status", language))
            else:
                target = st.selectbox(
                    t("new_status", language),
                    options=list(moves),
                    format_func=lambda s: status_name(s, language),
                    key=common.wkey(f"target_{case_id}_{status}"),
                )
                with st.form(f"status_{case_id}", clear_on_submit=True, border=False):
                    # ask only for what the chosen step needs: a reason to dismiss, a note of what was done to close
                    if target == "dismissed":
                        text = st.text_area(t("reason", language), height=100)
                    elif target == "remediated":
                        text = st.text_area(t("remediation_note", language), height=100)
                    else:
                        text = st.text_area(t("status_note", language), height=100)
                    if st.form_submit_button(t("apply_status", language), type="primary") and _run(
                        t("status_changed", language, status=status_name(target, language)),
                        lambda store: request_status(
                            store,
                            audit,
                            case_id,
                            target,
                            user,
                            reason=text if target == "dismissed" else None,
                            note=None if target == "dismissed" else text,
                            expected_status=status,
                        ),
                    ):
                        st.rerun()
        with columns[1], st.container(border=True):
            who_now = common.md(assignee or t("unassigned", language))
            st.markdown(f"**{t('assignee_now', language, who=who_now)}**")
            if not may_assign:
                st.caption(t("assign_admin_only", language))
            else:
                people = _assignable(signin.auth_config().mode)
                with st.form(f"assign_{case_id}", clear_on_submit=True, border=False):
                    who: str | None
                    if people is None:
                        who = st.text_input(t("assign_to", language))
                    else:
                        who = st.selectbox(
                            t("assign_to", language),
                            options=people,
                            index=None,
                            placeholder=t("assign_pick", language),
                        )
                    if st.form_submit_button(t("apply_assign", language)) and _run(
                        t("assigned", language, who=who or ""),
                        lambda store: request_assign(store, audit, case_id, who or "", user),
                    ):
                        st.rerun()
        with columns[2], st.container(border=True):
            st.markdown(f"**{t('add_note', language)}**")
            if not may_act:
                st.caption(_read_only_reason(user, assignee, language))
            else:
                with st.form(f"note_{case_id}", clear_on_submit=True, border=False):
                    text = st.text_area(t("note_text", language), height=120)
                    if st.form_submit_button(t("add_note", language)) and _run(
                        t("note_added", language),
                        lambda store: request_note(store, audit, case_id, text, user),
                    ):
                        st.rerun()

    st.subheader(t("history", language))
    if history.empty:
        st.caption(t("no_history", language))
    else:
        common.table(vm.history_table(history, language, unmasked=unmasked), hide_index=True, width="stretch")


def _request_name(details: dict[str, Any], language: str) -> str:
    action = str(details.get("request"))
    if action == "case.status":
        return f"{t('act_status', language)} → {status_name(str(details.get('to')), language)}"
    if action == "case.assign":
        return f"{t('act_assign', language)} → {details.get('to')}"
    return t("act_note", language)


# Streamlit runs a page file as __main__; importing it (a doctest run, a linter) draws nothing.
if __name__ == "__main__":
    main()

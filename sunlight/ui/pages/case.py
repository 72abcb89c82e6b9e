"""Case drill-down: what fired and why, the evidence graph, records, timeline, and the workflow.

Masked unless the signed-in person may unmask this case and asks to (the view is recorded first);
the workflow's forms appear only for those whose role allows the action (``sunlight.cases`` checks
again when it is taken)."""

from __future__ import annotations

from collections.abc import Callable

import altair as alt
import pandas as pd
import streamlit as st

from graph.errors import StoreError
from graph.store import Store
from sunlight.auth import AccessDenied, Role, User, can_act_on_case, can_assign
from sunlight.cases import CaseError, add_note, allowed_next, assign, change_status, history_frame
from sunlight.masking import mask_text
from sunlight.ui import common, signin
from sunlight.ui import viewmodels as vm
from sunlight.ui.labels import grade_name, level_name, status_name, t

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


def main() -> None:
    language = common.lang()
    user = common.signed_in_user()
    st.title(t("page_case", language))
    common.show_flash()
    book = common.alert_book()
    alerts = book.alerts
    if alerts.empty:
        st.info(t("no_alerts", language))
        st.stop()

    ids = alerts["alert_id"].tolist()
    wanted = st.query_params.get("alert") or st.session_state.get("case_alert")
    pick_key = common.wkey("case_pick")
    if wanted in ids and st.session_state.get(pick_key) != wanted:
        st.session_state[pick_key] = wanted
    labels = {
        row.alert_id: f"{grade_name(row.grade, language)} · {row.score:.2f} · "
        f"{row.title_en if language == 'en' else row.title_zh} · "
        + vm.entity_names(book, row.entities, language)
        for row in alerts.itertuples(index=False)
    }
    picked = st.selectbox(
        t("choose_alert", language),
        options=ids,
        format_func=lambda a: labels.get(a, a),
        index=None,
        key=pick_key,
        placeholder=t("no_case_selected", language),
    )
    if picked is None:
        st.info(t("no_case_selected", language))
        st.stop()
    st.session_state["case_alert"] = picked
    st.query_params["alert"] = picked
    alert = alerts[alerts["alert_id"] == picked].iloc[0]
    evidence = book.evidence.get(picked, {})
    data = common.source()
    audit = data.audit()
    history = history_frame(audit, picked)

    # ---- what fired ---------------------------------------------------------------------------
    title = alert["title_en"] if language == "en" else alert["title_zh"]
    st.header(t("case_header", language, grade=grade_name(alert["grade"], language), title=common.md(title)))
    st.caption(f"{t('col_alert_id', language)}: {picked}")
    fields = vm.case_personal_fields(book, picked, history)
    unmasked = common.offer_unmasked(user, picked, book.rows, fields, page="case")
    displayed_text = (lambda text: text) if unmasked else mask_text
    score_column, facts_column = st.columns([1, 4])
    score_column.metric(
        t("col_score", language),
        f"{alert['score']:.2f}",
        level_name(alert["level"], language),
        delta_color="off",
        delta_arrow="off",
    )
    facts = [
        (t("col_status", language), status_name(alert["status"], language)),
        (t("col_assignee", language), common.md(alert["assignee"] or t("unassigned", language))),
        (t("col_department", language), common.md(book.department_label(alert["department"], language))),
        (t("col_family", language), vm.family_label(alert["family"], language)),
        (t("col_first_seen", language), common.timestamp(alert["first_seen"])),
    ]
    for column, (name, value) in zip(facts_column.columns(len(facts)), facts, strict=True):
        column.caption(name)
        column.markdown(f"**{value}**")
    with st.container(border=True):
        st.markdown(f"**{t('explanation_zh', language)}**")
        st.markdown(common.md(displayed_text(alert["explanation_zh"])))
        st.markdown(f"**{t('explanation_en', language)}**")
        st.markdown(common.md(displayed_text(alert["explanation_en"])))
    view = vm.evidence_view(evidence, language, unmasked=unmasked)
    left, right = st.columns(2)
    with left:
        st.subheader(t("threshold_fired", language))
        st.dataframe(view.thresholds, hide_index=True, width="stretch")
    with right:
        st.subheader(t("metrics", language))
        st.dataframe(view.metrics, hide_index=True, width="stretch")

    # ---- evidence graph -------------------------------------------------------------------------
    st.subheader(t("evidence_graph", language))
    keys = list(view.subgraph or alert["entities"])
    extra_key = f"extra_{picked}"
    extra = int(st.session_state.get(extra_key, 0))
    controls = st.columns([1, 2, 2, 3], vertical_alignment="bottom")
    hops = controls[0].selectbox(t("hops", language), options=[1, 2], key=f"hops_{picked}")
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
    common.draw(graph, risk=vm.key_risk(book), focus=alert["entities"], mode="type", height=500)
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
        st.dataframe(view.rows, hide_index=True, width="stretch")
    st.subheader(t("timeline", language))
    events = vm.timeline(book.snapshot, alert["contracts"], language, unmasked=unmasked)
    if events.empty:
        st.caption(t("no_timeline", language))
    else:
        chart_events = events[events["contract"].isin(list(dict.fromkeys(events["contract"]))[:20])]
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
        st.dataframe(
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
    may_act = can_act_on_case(user, picked, book.rows)
    may_assign = can_assign(user)

    def _run(action: str, work: Callable[[Store], object]) -> bool:
        """Apply one case action; show why when it is refused. True when it was recorded."""
        try:
            data.write(work)
        except AccessDenied:
            st.error(t("err_access", language))
            return False
        except CaseError as exc:
            values = dict(exc.values)
            if exc.code == "err_transition":
                values = {
                    "from_": status_name(values["from_"], language),
                    "to": status_name(values["to"], language),
                    "allowed": "、".join(status_name(s, language) for s in values["allowed"]) or "—",
                }
            elif exc.code == "err_changed":
                values = {"status": status_name(values["status"], language)}
            st.error(t(exc.code, language, **values))
            return False
        except StoreError as exc:
            st.error(t("store_busy", language, error=exc))
            return False
        common.flash(action)
        return True

    status = str(alert["status"])
    if not (may_act or may_assign):
        st.info(_read_only_reason(user, alert["assignee"], language))
    else:
        moves = allowed_next(status)
        columns = st.columns(3)
        with columns[0], st.container(border=True):
            st.markdown(f"**{t('status_now', language, status=status_name(status, language))}**")
            if not may_act:
                st.caption(_read_only_reason(user, alert["assignee"], language))
            elif not moves:
                st.caption(t("final_status", language))
            else:
                target = st.selectbox(
                    t("new_status", language),
                    options=list(moves),
                    format_func=lambda s: status_name(s, language),
                    key=common.wkey(f"target_{picked}_{status}"),
                )
                with st.form(f"status_{picked}", clear_on_submit=True, border=False):
                    # ask only for what the chosen step needs: a reason to dismiss, a note of what was done to close
                    if target == "dismissed":
                        text = st.text_area(t("reason", language), height=100)
                    elif target == "remediated":
                        text = st.text_area(t("remediation_note", language), height=100)
                    else:
                        text = st.text_area(t("status_note", language), height=100)
                    if st.form_submit_button(t("apply_status", language), type="primary") and _run(
                        t("status_changed", language, status=status_name(target, language)),
                        lambda store: change_status(
                            store,
                            audit,
                            picked,
                            target,
                            user,
                            reason=text if target == "dismissed" else None,
                            note=None if target == "dismissed" else text,
                            expected_status=status,
                        ),
                    ):
                        st.rerun()
        with columns[1], st.container(border=True):
            who_now = common.md(alert["assignee"] or t("unassigned", language))
            st.markdown(f"**{t('assignee_now', language, who=who_now)}**")
            if not may_assign:
                st.caption(t("assign_admin_only", language))
            else:
                people = _assignable(signin.auth_config().mode)
                with st.form(f"assign_{picked}", clear_on_submit=True, border=False):
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
                        lambda store: assign(store, audit, picked, who or "", user),
                    ):
                        st.rerun()
        with columns[2], st.container(border=True):
            st.markdown(f"**{t('add_note', language)}**")
            if not may_act:
                st.caption(_read_only_reason(user, alert["assignee"], language))
            else:
                with st.form(f"note_{picked}", clear_on_submit=True, border=False):
                    text = st.text_area(t("note_text", language), height=120)
                    if st.form_submit_button(t("add_note", language)) and _run(
                        t("note_added", language), lambda store: add_note(store, audit, picked, text, user)
                    ):
                        st.rerun()

    st.subheader(t("history", language))
    if history.empty:
        st.caption(t("no_history", language))
    else:
        st.dataframe(vm.history_table(history, language, unmasked=unmasked), hide_index=True, width="stretch")


# Streamlit runs a page file as __main__; importing it (a doctest run, a linter) draws nothing.
if __name__ == "__main__":
    main()

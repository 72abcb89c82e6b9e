"""The queue: cases first (alerts that share entities; corroborated ones first), their alerts inside;
filter, sort, read the explanation, open a case, export what is shown."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from sunlight.export import to_csv_text, to_xlsx_bytes
from sunlight.ui import case_views as cv
from sunlight.ui import common
from sunlight.ui import viewmodels as vm
from sunlight.ui.labels import grade_name, level_name, status_name, t


def main() -> None:
    language = common.lang()
    st.title(t("page_queue", language))
    common.show_flash()
    book = common.alert_book()
    alerts = book.alerts
    if alerts.empty:
        st.info(t("no_alerts", language))
        st.stop()

    FILTER_KEYS = (
        "q_detectors",
        "q_families",
        "q_levels",
        "q_grades",
        "q_departments",
        "q_statuses",
        "q_assignees",
        "q_period",
        "q_text",
    )
    titles = dict(
        zip(alerts["detector"], alerts["title_en" if language == "en" else "title_zh"], strict=False)
    )
    departments = sorted(
        {d for ds in alerts["departments"] for d in ds}, key=lambda d: book.department_label(d, language)
    )
    assignees = sorted({a for a in alerts["assignee"] if a})
    UNASSIGNED = "__unassigned__"
    known_dates = pd.concat([alerts["period_start"], alerts["period_end"]]).dropna()

    # Keep only choices that still exist (an alert set can change under a kept filter).
    for name, options in (
        ("q_departments", departments),
        ("q_families", list(dict.fromkeys(alerts["family"]))),
        ("q_assignees", [*assignees, UNASSIGNED]),
    ):
        key = common.wkey(name)
        if key in st.session_state:
            st.session_state[key] = [v for v in st.session_state[key] if v in options]

    with st.expander(t("filters", language), expanded=True, icon=":material/filter_alt:"):
        row1 = st.columns(4)
        row1[0].multiselect(
            t("f_family", language),
            placeholder=t("any", language),
            options=list(dict.fromkeys(alerts["family"])),
            format_func=lambda f: vm.family_label(f, language),
            key=common.wkey("q_families"),
        )
        row1[1].multiselect(
            t("f_detector", language),
            placeholder=t("any", language),
            options=sorted(titles),
            format_func=lambda d: titles.get(d, d),
            key=common.wkey("q_detectors"),
        )
        row1[2].multiselect(
            t("f_department", language),
            placeholder=t("any", language),
            options=departments,
            format_func=lambda d: book.department_label(d, language),
            key=common.wkey("q_departments"),
        )
        row1[3].text_input(t("f_text", language), key="q_text")
        row2 = st.columns(4)
        row2[0].multiselect(
            t("f_level", language),
            placeholder=t("any", language),
            options=["high", "medium", "low"],
            format_func=lambda v: level_name(v, language),
            key=common.wkey("q_levels"),
        )
        row2[1].multiselect(
            t("f_grade", language),
            placeholder=t("any", language),
            options=["一级", "二级", "三级"],
            format_func=lambda g: grade_name(g, language),
            key=common.wkey("q_grades"),
        )
        row2[2].multiselect(
            t("f_status", language),
            placeholder=t("any", language),
            options=["open", "reviewing", "confirmed", "dismissed", "remediated"],
            format_func=lambda s: status_name(s, language),
            key=common.wkey("q_statuses"),
        )
        row2[3].multiselect(
            t("f_assignee", language),
            placeholder=t("any", language),
            options=[*assignees, UNASSIGNED],
            format_func=lambda a: t("unassigned", language) if a == UNASSIGNED else a,
            key=common.wkey("q_assignees"),
        )
        row3 = st.columns([2, 1, 1])
        if not known_dates.empty:
            row3[0].date_input(
                t("f_period", language),
                value=[],
                format="YYYY-MM-DD",
                min_value=known_dates.min().date(),
                max_value=known_dates.max().date(),
                key="q_period",
            )
        row3[1].selectbox(
            t("sort_by", language),
            options=list(vm.SORTS),
            format_func=lambda s: t(f"sort_{s}", language),
            key=common.wkey("q_sort"),
        )

        def _clear() -> None:
            for name in FILTER_KEYS:
                st.session_state.pop(name, None)
                st.session_state.pop(common.wkey(name), None)

        row3[2].button(t("clear_filters", language), on_click=_clear, icon=":material/filter_alt_off:")

    period = st.session_state.get("q_period") or ()
    start: date | None = period[0] if len(period) >= 1 else None
    end: date | None = period[1] if len(period) >= 2 else None
    filters = vm.Filters(
        detectors=tuple(st.session_state.get(common.wkey("q_detectors")) or ()),
        families=tuple(st.session_state.get(common.wkey("q_families")) or ()),
        levels=tuple(st.session_state.get(common.wkey("q_levels")) or ()),
        grades=tuple(st.session_state.get(common.wkey("q_grades")) or ()),
        departments=tuple(st.session_state.get(common.wkey("q_departments")) or ()),
        statuses=tuple(st.session_state.get(common.wkey("q_statuses")) or ()),
        assignees=tuple(
            None if a == UNASSIGNED else a for a in st.session_state.get(common.wkey("q_assignees")) or ()
        ),
        period=(start, end),
        text=str(st.session_state.get("q_text") or ""),
    )
    chosen = vm.filter_alerts(book, filters)
    sort = str(st.session_state.get(common.wkey("q_sort")) or "score")
    # cases first (alerts that share entities, corroborated ones ranked first), their alerts inside
    cases = cv.sort_cases(cv.filter_cases(cv.case_frame(book), chosen), sort)
    st.caption(t("case_count", language, n=len(cases), alerts=len(chosen), total=len(alerts)))

    table = cv.case_queue_table(book, cases, language)
    event = common.table(
        table,
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key="queue_table",
        width="stretch",
        column_config={
            t("col_case_score", language): st.column_config.ProgressColumn(
                t("col_case_score", language), min_value=0.0, max_value=1.0, format="%.2f", width="small"
            ),
            t("col_explanation", language): st.column_config.TextColumn(
                t("col_explanation", language), width="large"
            ),
            t("col_grade", language): st.column_config.TextColumn(t("col_grade", language), width="small"),
            t("col_alerts", language): st.column_config.NumberColumn(
                t("col_alerts", language), width="small"
            ),
        },
    )
    rows = common.dataframe_selection(event, "rows")
    actions = st.columns([1, 1, 1, 3])
    picked = cases.iloc[int(rows[0])]["case_id"] if rows and int(rows[0]) < len(cases) else None
    if actions[0].button(
        t("open_case", language), type="primary", disabled=picked is None, icon=":material/gavel:"
    ):
        common.open_case(case_id=str(picked))
    shown_ids = list(chosen["alert_id"])

    # built when a button is pressed, not on every run of the page (a tenth of the queue's time)
    def export() -> pd.DataFrame:
        return cv.case_export_frame(book, cases, shown_ids, language)

    stamp = pd.Timestamp.now().strftime("%Y%m%d-%H%M")
    actions[1].download_button(
        t("export_xlsx", language),
        data=lambda: to_xlsx_bytes(export(), sheet=t("export_sheet", language)),
        file_name=f"sunlight-cases-{stamp}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/table_view:",
        on_click="ignore",
    )
    actions[2].download_button(
        t("export_csv", language),
        # a byte-order mark lets Excel open the Chinese text as UTF-8
        data=lambda: ("\ufeff" + to_csv_text(export())).encode("utf-8"),
        file_name=f"sunlight-cases-{stamp}.csv",
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
    )
    if picked is None:
        st.caption(t("case_help", language))
    else:
        selected = cases[cases["case_id"] == picked].iloc[0]
        members = cv.case_alerts(book, selected)
        members = members[members["alert_id"].isin(set(chosen["alert_id"]))]
        with st.container(border=True):
            st.markdown(
                f"**{common.md(cv.case_title(book, selected, language))}** · `{picked}` · "
                + cv.corroboration_text(selected["families"], language)
            )
            common.table(vm.queue_table(book, members, language), hide_index=True, width="stretch")


# Streamlit runs a page file as __main__; importing it (a doctest run, a linter) draws nothing.
if __name__ == "__main__":
    main()

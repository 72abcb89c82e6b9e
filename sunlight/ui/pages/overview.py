"""Overview: key figures, the department × family heatmap, the riskiest cases, risk over time, the
riskiest network.

Everything comes from the last detector run's summary (:mod:`sunlight.summary`), one node
of the store, so the first page after sign-in never reads the whole graph.
"""

from __future__ import annotations

import altair as alt
import streamlit as st

from sunlight.drawing import heat_colour
from sunlight.summary import HOT_ALERTS
from sunlight.ui import case_views as cv
from sunlight.ui import common
from sunlight.ui import viewmodels as vm
from sunlight.ui.labels import t


def main() -> None:
    language = common.lang()
    st.title(t("app_title", language))
    st.caption(t("app_tagline", language))
    common.show_flash()
    summary = common.overview()
    if not summary.alerts:
        st.info(t("no_alerts", language))
        st.stop()

    figures = summary.figures
    cols = st.columns([1, 1, 1, 1, 1, 1, 1.5])
    cols[0].metric(t("kpi_cases", language), figures.get("cases", 0))
    cols[1].metric(t("kpi_corroborated", language), figures.get("corroborated", 0))
    cols[2].metric(t("kpi_alerts", language), figures["alerts"])
    cols[3].metric(t("kpi_high", language), figures["high"])
    cols[4].metric(t("kpi_medium", language), figures["medium"])
    cols[5].metric(t("kpi_open", language), figures["open"])
    cols[6].metric(
        t("kpi_flagged_value", language),
        common.money(figures["flagged_value"], language),
        t("kpi_flagged_share", language, share=f"{figures['flagged_share']:.1%}"),
        delta_color="off",
        delta_arrow="off",
    )

    # ---- heatmap ------------------------------------------------------------------------------
    st.subheader(t("heatmap_title", language))
    metric = st.radio(
        t("heatmap_metric", language),
        options=list(vm.METRICS),
        format_func=lambda m: t(f"metric_{m}", language),
        horizontal=True,
        key="heatmap_metric",
    )
    grid = summary.heatmap(metric)
    shown = grid.display(summary, language)
    scale = max(float(grid.values.to_numpy().max()), 1.0) if metric == "count" else 1.0

    def _cell_style(value: float) -> str:
        if not value:
            return "background-color: #f7f7f8; color: #9a9ca3"
        level = float(value) / scale
        return f"background-color: {heat_colour(level)}; color: {'#ffffff' if level > 0.55 else '#262730'}"

    def _cell_text(value: float) -> str:
        if not value:
            return "—"
        if metric == "value_share":
            return f"{value:.0%}"
        if metric == "count":
            return f"{int(value)}"
        return f"{value:.2f}"

    # department names come from the data: cut as every table cuts them (common.table)
    shown.index = shown.index.map(common.shown)
    styled = shown.style.map(_cell_style).format(_cell_text)
    # A changing key clears the selection after it has been acted on (a widget's state cannot be reset).
    selection_key = f"heatmap_{st.session_state.get('heatmap_round', 0)}"
    event = st.dataframe(
        styled,
        on_select="rerun",
        selection_mode="single-cell",
        key=selection_key,
        width="stretch",
        # every department in view: row height 35 px plus the header
        height=min(35 * (len(shown) + 1) + 3, 640),
        # department names get a fixed 200 px, so the family columns line up whatever the names
        column_config={"_index": st.column_config.Column(width="medium")},
    )
    st.caption(t("heatmap_help", language))
    cells = common.dataframe_selection(event, "cells")
    if cells:
        row, column = cells[0]
        picked = grid.cell(int(row), str(column), language)
        if picked is not None:
            department, family = picked
            st.session_state["heatmap_round"] = st.session_state.get("heatmap_round", 0) + 1
            st.session_state[common.wkey("q_departments")] = [department]
            st.session_state[common.wkey("q_families")] = [family]
            st.switch_page(common.PAGES[1][0])

    # ---- the riskiest cases ----------------------------------------------------------------
    st.subheader(t("top_cases", language))
    common.table(
        cv.summary_cases_table(summary.top_cases, summary.department_label, language),
        hide_index=True,
        width="stretch",
    )

    # ---- risk over time --------------------------------------------------------------------
    st.subheader(t("trend_title", language))
    trend = vm.named_trend(summary.trend, language)
    if trend.empty:
        st.info(t("trend_empty", language))
    else:
        chart = (
            alt.Chart(trend)
            .mark_bar()
            .encode(
                x=alt.X(
                    "yearmonth(month):T", title=t("trend_month", language), axis=alt.Axis(format="%Y-%m")
                ),
                y=alt.Y("sum(value):Q", title=t("trend_value", language)),
                color=alt.Color(
                    "family:N", title=t("f_family", language), scale=alt.Scale(scheme="tableau10")
                ),
                tooltip=[
                    alt.Tooltip("yearmonth(month):T", title=t("trend_month", language), format="%Y-%m"),
                    alt.Tooltip("family:N", title=t("f_family", language)),
                    alt.Tooltip("sum(value):Q", title=t("trend_value", language), format=",.2f"),
                ],
            )
            .properties(height=300)
        )
        st.altair_chart(chart, width="stretch")

    # ---- the riskiest network ----------------------------------------------------------------
    st.subheader(t("hot_graph_title", language))
    top = min(HOT_ALERTS, summary.alerts)
    common.draw(summary.hot_graph, risk=summary.hot_risk, focus=summary.hot_focus, mode="heat", height=540)
    st.caption(t("hot_graph_caption", language, n=top))

    st.caption(t("data_as_of", language, at=common.timestamp(summary.computed_at)))


# Streamlit runs a page file as __main__; importing it (a doctest run, a linter) draws nothing.
if __name__ == "__main__":
    main()

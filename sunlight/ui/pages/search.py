"""Entity search: staff, suppliers and persons by name (characters or pinyin), id, phone or identity number.

Details are masked unless the entity is flagged by an active case of the signed-in person and they
ask to see it unmasked (the view is recorded first)."""

from __future__ import annotations

import streamlit as st

from sunlight.masking import mask_text
from sunlight.ui import common
from sunlight.ui import viewmodels as vm
from sunlight.ui.labels import grade_name, label_name, status_name, t

LABELS = ("Employee", "Supplier", "Person")


def main() -> None:
    language = common.lang()
    user = common.signed_in_user()
    st.title(t("page_search", language))
    book = common.alert_book()
    index = common.search_index()

    box, kinds = st.columns([3, 2])
    query = box.text_input(t("search_box", language), key="search_text", help=t("search_help", language))
    chosen = kinds.multiselect(
        t("search_types", language),
        options=list(LABELS),
        default=list(LABELS),
        format_func=lambda label: label_name(label, language),
        key=common.wkey("search_labels"),
        placeholder=t("any", language),
    )
    if not query.strip():
        st.caption(t("search_help", language))
        st.stop()

    results = index.search(query, labels=chosen or LABELS)
    if results.empty:
        st.info(t("search_none", language))
        st.stop()
    risk = vm.key_risk(book)
    st.caption(t("search_results", language, n=len(results)))
    event = common.table(
        vm.search_table(results, risk, language),
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key=f"search_hits_{query}",
        width="stretch",
    )
    rows = common.dataframe_selection(event, "rows")
    if not rows and len(results) == 1:
        rows = [0]
    if not rows:
        st.caption(t("search_pick", language))
        st.stop()
    hit = results.iloc[int(rows[0])]
    key = str(hit["key"])

    st.subheader(t("neighbourhood", language, name=common.md(hit["name"])))
    details, graph_column = st.columns([1, 2])
    with details:
        st.markdown(f"**{t('entity_props', language)}**")
        fields = vm.entity_personal_fields(book.snapshot, key)
        unmasked = common.offer_unmasked(user, key, book.rows, fields, page="search")
        common.table(
            vm.entity_details(book.snapshot, key, language, unmasked=unmasked),
            hide_index=True,
            width="stretch",
        )
        st.metric(t("entity_risk", language), f"{risk.get(key, 0.0):.2f}")
    with graph_column:
        graph = common.subgraph([key], hops=1, limit=40)
        common.draw(graph, risk=risk, focus=[key], mode="type", height=420)
        if graph.truncated:
            st.caption(t("graph_truncated", language, shown=len(graph.nodes)))

    st.subheader(t("entity_alerts", language))
    about = book.alerts[
        book.alerts.apply(
            lambda a: (
                key in a["entities"] or key in (book.evidence.get(a["alert_id"], {}).get("subgraph") or [])
            ),
            axis=1,
        )
    ]
    if about.empty:
        st.caption(t("no_entity_alerts", language))
    else:
        for alert in about.itertuples(index=False):
            with st.container(border=True):
                head, button = st.columns([5, 1])
                head.markdown(
                    f"**{grade_name(alert.grade, language)} · {alert.score:.2f} · "
                    f"{common.md(alert.title_en if language == 'en' else alert.title_zh)}** · "
                    f"{status_name(alert.status, language)}"
                )
                head.markdown(
                    common.md(mask_text(alert.explanation_en if language == "en" else alert.explanation_zh))
                )
                if button.button(
                    t("open_case", language), key=f"open_{alert.alert_id}", icon=":material/gavel:"
                ):
                    common.open_case(alert.alert_id)


# Streamlit runs a page file as __main__; importing it (a doctest run, a linter) draws nothing.
if __name__ == "__main__":
    main()

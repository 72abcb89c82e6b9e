"""Query console: run an entry of the analysts' library read-only, as a table and a graph."""

from __future__ import annotations

from datetime import date, datetime

import streamlit as st

from graph.errors import StoreError
from sunlight.querylib import QueryParamError, list_queries, run_query
from sunlight.ui import common
from sunlight.ui import viewmodels as vm
from sunlight.ui.labels import t


def main() -> None:
    language = common.lang()
    st.title(t("page_console", language))
    st.caption(t("console_intro", language))
    book = common.alert_book()
    queries = {q.name: q for q in list_queries()}
    if not queries:
        st.info(t("console_empty", language))
        st.stop()

    name = st.selectbox(
        t("console_query", language),
        options=list(queries),
        format_func=lambda n: f"{queries[n].title(language)}  ({n})",
        key=common.wkey("console_query"),
    )
    spec = queries[name]
    st.markdown(common.md(spec.description(language)))

    def _param_doc(doc: str) -> str:
        """Library headers write a parameter's meaning as "中文 / English"."""
        zh, _, en = doc.partition(" / ")
        return (en or zh) if language == "en" else zh

    values: dict[str, object] = {}
    with st.form(f"params_{name}", border=True):
        st.markdown(f"**{t('console_params', language)}**")
        for param in spec.params:
            label = f"{_param_doc(param.doc) or param.name} ({param.name})"
            widget_key = f"p_{name}_{param.name}"
            if param.type == "int":
                values[param.name] = st.number_input(
                    label,
                    value=int(param.default) if param.default is not None else 0,
                    step=1,
                    key=widget_key,
                )
            elif param.type == "float":
                values[param.name] = st.number_input(
                    label, value=float(param.default) if param.default is not None else 0.0, key=widget_key
                )
            elif param.type == "bool":
                values[param.name] = st.checkbox(label, value=bool(param.default), key=widget_key)
            elif param.type == "date":
                default = param.default if isinstance(param.default, date) else None
                values[param.name] = st.date_input(
                    label,
                    value=default,
                    min_value=date(1900, 1, 1),
                    max_value=date(2999, 12, 31),
                    key=widget_key,
                )
            elif param.type == "datetime":
                default = (
                    param.default.isoformat(timespec="seconds") if isinstance(param.default, datetime) else ""
                )
                values[param.name] = st.text_input(
                    label, value=default, key=widget_key, placeholder="YYYY-MM-DDTHH:MM:SS"
                )
            else:
                values[param.name] = st.text_input(label, value=str(param.default or ""), key=widget_key)
        submitted = st.form_submit_button(
            t("console_run", language), type="primary", icon=":material/play_arrow:"
        )

    data = common.source()
    with st.expander(t("console_cypher", language)):
        st.code(data.read(lambda store: store.cypher_variant(spec.texts)), language="cypher")

    if submitted:
        given = {
            k: (v.isoformat() if isinstance(v, date) else str(v))
            for k, v in values.items()
            # an empty box means "not given": the library then uses the default or names what is missing
            if v is not None and not (isinstance(v, str) and not v.strip())
        }
        try:
            result = data.read(lambda store: run_query(store, name, given))
        except (QueryParamError, StoreError, ValueError) as exc:
            st.error(t("console_error", language, error=exc))
            st.stop()
        st.session_state["console_result"] = (name, result)

    kept = st.session_state.get("console_result")
    if kept and kept[0] == name:
        result = kept[1]
        st.caption(t("console_rows", language, n=len(result)))
        common.table(vm.masked_result(result), hide_index=True, width="stretch")
        keys = vm.entity_keys_in_result(result)
        st.subheader(t("console_graph", language))
        if keys:
            graph = common.subgraph(keys, hops=1, limit=len(keys))
            common.draw(graph, risk=vm.key_risk(book), mode="type", height=440)
        else:
            st.caption(t("console_no_graph", language))


# Streamlit runs a page file as __main__; importing it (a doctest run, a linter) draws nothing.
if __name__ == "__main__":
    main()

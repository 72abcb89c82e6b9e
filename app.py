"""Sunlight investigator app (Streamlit).

Run: ``SUNLIGHT_STORE=./sunlight-store streamlit run app.py``. The app reads the
store named by ``SUNLIGHT_STORE`` (or ``NEO4J_URI``) through the same Store API
as the command line; it holds no Cypher and no detector logic.
"""

from __future__ import annotations

import os

import streamlit as st

from graph.store import open_store

st.set_page_config(page_title="阳光 Sunlight", layout="wide")


@st.cache_data(ttl=60)
def load_alerts(store_path: str):
    store = open_store(store_path, read_only=True)
    try:
        return store.alerts()
    finally:
        store.close()


store_path = os.environ.get("SUNLIGHT_STORE", "sunlight-store")
st.title("阳光 · 采购廉洁风险预警")
alerts = load_alerts(store_path)
if alerts.empty:
    st.info("暂无预警。请先运行 `sunlight demo` 或 `sunlight load` 与 `sunlight detect`。")
else:
    per_alert = alerts.drop_duplicates("alert_id")
    cols = st.columns(3)
    cols[0].metric("预警总数", len(per_alert))
    cols[1].metric("高风险（一级）", int((per_alert["level"] == "high").sum()))
    cols[2].metric("中风险（二级）", int((per_alert["level"] == "medium").sum()))
    st.dataframe(
        per_alert[["alert_id", "grade", "score", "title_zh", "explanation_zh", "status"]],
        hide_index=True,
        use_container_width=True,
    )

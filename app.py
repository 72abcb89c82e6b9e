"""Sunlight investigator app (Streamlit): overview, alert queue, cases, entity search, query console.

Run: ``SUNLIGHT_STORE=./sunlight-store streamlit run app.py`` (or set ``NEO4J_URI``).
The app reads the store through the same Store API as the command line and holds
no Cypher and no detector logic: pages live in ``sunlight/ui/pages``, the tables
they show are built in ``sunlight/ui/viewmodels.py``, graphs are drawn by
``sunlight/drawing.py``, and case actions go through ``sunlight/cases.py``.
Chinese by default; ``?lang=en`` or the sidebar switch for English.
"""

from __future__ import annotations

import streamlit as st

from sunlight.ui.common import PAGES, lang, render_sidebar
from sunlight.ui.labels import t

st.set_page_config(page_title=t("app_title", "zh"), page_icon="☀️", layout="wide")

language = lang()
pages = [
    st.Page(path, title=t(title_key, language), icon=icon, default=(index == 0))
    for index, (path, title_key, icon) in enumerate(PAGES)
]
navigation = st.navigation(pages)
render_sidebar()
navigation.run()

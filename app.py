"""Sunlight investigator app (Streamlit): overview, alert queue, cases, entity search, query console.

Run: ``SUNLIGHT_STORE=./sunlight-store streamlit run app.py`` (or set ``NEO4J_URI``).
The app reads the store through the same Store API as the command line and holds
no Cypher and no detector logic: pages live in ``sunlight/ui/pages``, the tables
they show are built in ``sunlight/ui/viewmodels.py``, graphs are drawn by
``sunlight/drawing.py``, and case actions go through ``sunlight/cases.py``.
Nobody sees a page without signing in (``sunlight/ui/signin.py``, docs/security.md).
Chinese by default; ``?lang=en`` or the sidebar switch for English.

This file is read twice. ``streamlit run app.py`` finds ``app`` below and serves it (Streamlit's
ASGI app, with the app's own security headers and session-cookie route, ``sunlight/ui/http.py``);
that server then runs this same file as each page run's script (``__main__``), which draws the page.
"""

from __future__ import annotations

from functools import partial

import streamlit as st
from streamlit.starlette import App


def main() -> None:
    """One page run: sign-in first, then the page the person asked for."""
    from sunlight.ui import signin
    from sunlight.ui.common import PAGES, lang, render_sidebar
    from sunlight.ui.labels import t

    st.set_page_config(page_title=t("app_title", "zh"), page_icon="☀️", layout="wide")

    language = lang()
    config = signin.auth_config()
    user = signin.current_user(config)
    pages = [
        st.Page(path, title=t(title_key, language), icon=icon, default=(index == 0))
        for index, (path, title_key, icon) in enumerate(PAGES)
    ]
    # The pages are declared even before sign-in, hidden, so that a link (/case?alert=…) still
    # leads to its page once the person has signed in.
    navigation = st.navigation(pages, position="sidebar" if user else "hidden")
    if user is None:
        render_sidebar()
        signin.render_sign_in(config)
        # while the form waits, import what the first pages need (the chart library, the detector
        # registry the queue names families from), so the first page after sign-in does not pay for it
        import altair  # noqa: F401

        from sunlight.ui.viewmodels import family_map

        family_map()
        st.stop()
    render_sidebar(account=partial(signin.render_sign_out, config, user))
    navigation.run()


if __name__ == "__main__":
    main()
else:
    from sunlight.ui import http

    app = App(__file__, routes=http.routes(), middleware=http.middleware())

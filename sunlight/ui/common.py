"""The Streamlit side shared by every page: language, the signed-in user, cached data.

Data is read through :class:`sunlight.ui.source.StoreSource` and cached per data
*version* (:meth:`~sunlight.ui.source.StoreSource.version`), so a page run after a case
action or a nightly detector run shows the new state, and every other run costs
no store access at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from graph.errors import StoreError
from graph.store import Subgraph
from sunlight.auth import AccessDenied, Role, User, can_unmask, record_unmasked_view
from sunlight.drawing import draw_graph
from sunlight.summary import OverviewSummary, hot_keys_of, read_summary, summarise
from sunlight.ui import viewmodels as vm
from sunlight.ui.labels import LANGS, column_name, t
from sunlight.ui.source import StoreSource

__all__ = [
    "PAGES",
    "USER_KEY",
    "alert_book",
    "draw",
    "flash",
    "lang",
    "md",
    "offer_unmasked",
    "open_case",
    "overview",
    "render_sidebar",
    "search_index",
    "show_flash",
    "shown",
    "signed_in_user",
    "source",
    "subgraph",
    "table",
    "wkey",
]

#: Where the session keeps the signed-in :class:`sunlight.auth.User` (set only by ``sunlight.ui.signin``).
USER_KEY = "auth_user"

#: Page files, relative to app.py, with their title keys and icons (material symbols ship with Streamlit).
PAGES: tuple[tuple[str, str, str], ...] = (
    ("sunlight/ui/pages/overview.py", "page_overview", ":material/dashboard:"),
    ("sunlight/ui/pages/queue.py", "page_queue", ":material/format_list_bulleted:"),
    ("sunlight/ui/pages/case.py", "page_case", ":material/gavel:"),
    ("sunlight/ui/pages/search.py", "page_search", ":material/person_search:"),
    ("sunlight/ui/pages/console.py", "page_console", ":material/terminal:"),
)


def lang() -> str:
    """The reader's language: Chinese unless switched (or opened with ``?lang=en``)."""
    if "lang" not in st.session_state:
        asked = st.query_params.get("lang")
        st.session_state["lang"] = asked if asked in LANGS else "zh"
    current = str(st.session_state["lang"])
    seen = st.session_state.get("_lang_seen")
    if seen and seen != current:
        _carry_over(seen, current)
    st.session_state["_lang_seen"] = current
    return current


def wkey(name: str) -> str:
    """The key of a widget whose options are shown translated: one key per language.

    A select box keeps showing the labels it was first drawn with, so after a switch of
    language it must be a new widget; :func:`lang` carries its value over.
    """
    return f"{name}.{lang()}"


def _carry_over(old: str, new: str) -> None:
    for key in [k for k in st.session_state if isinstance(k, str) and k.endswith(f".{old}")]:
        st.session_state[key[: -len(old)] + new] = st.session_state.pop(key)


def signed_in_user() -> User:
    """The person this page run is for; ``app.py`` shows no page to anyone not signed in."""
    user = st.session_state.get(USER_KEY)
    if not isinstance(user, User):
        st.error(t("need_user", lang()))
        st.stop()
    return user


def source() -> StoreSource:
    return StoreSource.from_env()


def offer_unmasked(user: User, target: str, rows: pd.DataFrame, fields: Sequence[str], page: str) -> bool:
    """The "show unmasked" control for ``target`` (an alert id or an entity key), where the rules allow it.

    True only in the page run in which the person asked and the view was written to the trail
    first (``record_unmasked_view``); the next run of the page is masked again. ``fields`` are what
    the view reveals (nothing to reveal: no control); ``rows`` is ``Store.alerts()``.
    """
    language = lang()
    if not fields:
        return False
    if not can_unmask(user, target, rows):
        if user.role != Role.VIEWER:
            st.caption(t("unmask_hint", language))
        return False
    asked = st.button(
        t("show_unmasked", language),
        key=f"unmask_{target}",
        icon=":material/visibility:",
        help=t("show_unmasked_help", language),
    )
    if not asked:
        return False
    try:
        record_unmasked_view(source().audit(), user, target, rows, fields=list(fields), page=page)
    except AccessDenied:
        st.error(t("unmask_denied", language))
        return False
    except OSError as exc:
        st.error(t("unmask_trail_failed", language, error=exc))
        return False
    names = ("、" if language != "en" else ", ").join(column_name(f, language) for f in fields)
    st.warning(t("unmasked_banner", language, fields=names), icon=":material/visibility:")
    st.button(t("mask_again", language), key=f"mask_{target}", icon=":material/visibility_off:")
    return True


def render_sidebar(account: Callable[[], None] | None = None) -> None:
    """Language switch, the signed-in account (``account`` draws it), where the data comes from."""
    language = lang()
    with st.sidebar:
        st.radio(
            t("language", language),
            options=list(LANGS),
            format_func=lambda code: "中文" if code == "zh" else "English",
            key="lang",
            horizontal=True,
        )
        language = lang()
        if account is None:
            return
        account()
        st.caption(t("store_in_use", language, store=source().label))
        st.caption(t("masked_note", language))
        if st.button(t("refresh", language), icon=":material/refresh:"):
            _alert_book.clear()
            _overview.clear()
            _search_index.clear()
            _subgraph.clear()


# Cached functions take the source as plain strings (path, Neo4j URI) plus its version: the
# version is what makes a cached value stale. cache_resource hands out the one object (no copy):
# pages must treat an AlertBook as read-only.
@st.cache_resource(max_entries=2, show_spinner=False)
def _alert_book(path: str, neo4j_uri: str | None, version: str) -> vm.AlertBook:
    return StoreSource(path, neo4j_uri).read(vm.read_alert_book)


def alert_book() -> vm.AlertBook:
    """The alerts and the records they name; stops the page with a clear message when there is no store."""
    data = source()
    try:
        book = _alert_book(data.path, data.neo4j_uri, data.version())
    except StoreError as exc:
        st.error(t("store_missing", lang(), error=exc))
        st.stop()
    return book


@st.cache_resource(max_entries=2, show_spinner=False)
def _search_index(path: str, neo4j_uri: str | None, version: str) -> vm.SearchIndex:
    return vm.SearchIndex(_alert_book(path, neo4j_uri, version).snapshot)


@st.cache_resource(max_entries=2, show_spinner=False)
def _overview(path: str, neo4j_uri: str | None, version: str) -> OverviewSummary:
    data = StoreSource(path, neo4j_uri)
    stored = data.read(read_summary)
    if stored is not None:
        return stored
    # no detector run has written one (an older store): computed from every record once
    book = data.read(lambda store: vm.read_alert_book(store, whole=True))
    keys = hot_keys_of(book)
    graph = _subgraph(path, neo4j_uri, version, tuple(keys), 1, len(keys)) if keys else Subgraph()
    return summarise(book, graph)


def overview() -> OverviewSummary:
    """What the overview shows: the last detector run's summary, with case status as it is now."""
    data = source()
    try:
        return _overview(data.path, data.neo4j_uri, data.version())
    except StoreError as exc:
        st.error(t("store_missing", lang(), error=exc))
        st.stop()


def search_index() -> vm.SearchIndex:
    alert_book()  # stops the page when there is no store
    data = source()
    return _search_index(data.path, data.neo4j_uri, data.version())


@st.cache_data(max_entries=64, show_spinner=False)
def _subgraph(
    path: str, neo4j_uri: str | None, version: str, keys: tuple[str, ...], hops: int, limit: int
) -> Subgraph:
    data = StoreSource(path, neo4j_uri)
    return data.read(lambda store: store.subgraph(list(keys), hops=hops, limit=limit))


def subgraph(keys: Sequence[str], hops: int, limit: int) -> Subgraph:
    data = source()
    return _subgraph(data.path, data.neo4j_uri, data.version(), tuple(keys), hops, limit)


def draw(
    graph: Subgraph,
    *,
    risk: dict[str, float] | None = None,
    focus: Sequence[str] = (),
    mode: str = "type",
    height: int = 480,
) -> None:
    """Embed a pyvis drawing (its HTML carries its own scripts; nothing is fetched)."""
    html = draw_graph(graph.nodes, graph.edges, lang=lang(), risk=risk, focus=focus, mode=mode, height=height)
    st.iframe(html, height=height + 60)


def flash(message: str, kind: str = "success") -> None:
    """Show ``message`` at the top of the next page run (after ``st.rerun``)."""
    st.session_state["_flash"] = (kind, message)


def show_flash() -> None:
    kind, message = st.session_state.pop("_flash", (None, None))
    if message:
        getattr(st, kind)(message)


def open_case(alert_id: str | None = None, case_id: str | None = None) -> None:
    """Go to the case page: the case ``case_id``, or the case of ``alert_id`` showing that alert."""
    st.session_state.pop("case_link", None)
    params = {"case": case_id} if case_id else {"alert": str(alert_id)}
    st.switch_page(PAGES[2][0], query_params=params)


def dataframe_selection(event: Any, kind: str) -> list[Any]:
    """The selected rows or cells of an ``st.dataframe`` event ([] when nothing is selected)."""
    selection = getattr(event, "selection", None) or {}
    return list(selection.get(kind, []) if isinstance(selection, dict) else getattr(selection, kind, []))


_MARKDOWN_SPECIALS = "\\`*_{}[]()#+-.!|<>~$:"
#: The longest unbroken run of text shown (characters): no real name or address comes near it, and a
#: longer one — a 10,000-character "supplier name" — is cut with "…" on screen; the store keeps it whole.
LONGEST_RUN = 60
_LONG_RUN = re.compile(
    r"[^\s，。、；：！？（）()“”‘’\"'《》【】\[\],.;:!?/|·]{" + str(LONGEST_RUN + 1) + ",}"
)


#: Bidirectional overrides and isolates: U+202E before "gnp.exe" makes it read "exe.png". Shown as U+FFFD.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
#: What Markdown would turn into a link by itself (a web address, "www.", an e-mail address), even
#: escaped; a word joiner (U+2060, invisible) after its first character keeps it text.
_AUTOLINK = re.compile(r"(?i)(?<=:)(?=//)|(?<=www)(?=\.)|(?<=@)(?=[^\s@])")


def shown(text: object) -> str:
    """Text from the data as the screen shows it: any run longer than :data:`LONGEST_RUN` characters
    without a space or a punctuation mark is cut with "…", and direction overrides are made visible.

    >>> shown("华信科技有限公司"), len(shown("超长名称" * 100)), shown("超长名称" * 100)[-2:]
    ('华信科技有限公司', 60, '名…')
    >>> shown("\u202egnp.exe")
    '\ufffdgnp.exe'
    """
    text = _BIDI_CONTROLS.sub("\ufffd", str(text))
    return _LONG_RUN.sub(lambda run: run.group(0)[: LONGEST_RUN - 1] + "…", text)


def table(frame: pd.DataFrame, **options: Any) -> Any:
    """``st.dataframe`` of a table with text from the data: every text cell is cut as :func:`shown`
    cuts it, because the grid shows a cell's whole text when the pointer rests on it (a
    10,000-character name would cover the page). Returns what ``st.dataframe`` returns (the
    selection event when ``on_select`` is given); rows keep their positions."""

    def cut_text(values: pd.Index | pd.Series) -> Any:
        return values.map(lambda v: shown(v) if isinstance(v, str) else v)

    cut = frame.copy()
    for column in cut.columns:
        if cut[column].dtype == object or pd.api.types.is_string_dtype(cut[column].dtype):
            cut[column] = cut_text(cut[column])
    if cut.index.dtype == object or pd.api.types.is_string_dtype(cut.index.dtype):
        cut.index = cut_text(cut.index)
    return st.dataframe(cut, **options)


def md(text: object) -> str:
    r"""Text from the data, escaped so that Markdown shows it as written (no emphasis, links, maths
    or ``:directives:`` hidden in a supplier's name or an explanation), long runs cut (:func:`shown`).

    Web and e-mail addresses stay text too: Markdown would link them by itself (to another site).

    >>> md("A*B $5 [x](y)")
    'A\\*B \\$5 \\[x\\]\\(y\\)'
    >>> md("http://evil.example") == "http\\:\u2060//evil\\.example"
    True
    """
    text = _AUTOLINK.sub("\u2060", shown(text))
    return "".join("\\" + ch if ch in _MARKDOWN_SPECIALS else ch for ch in text)


def money(value: float, language: str) -> str:
    """Amounts as Chinese reports write them (万元, 亿元) or in CNY for English readers.

    >>> money(930_023_000, "zh"), money(93_002_300, "zh"), money(8_500, "zh"), money(93_002_300, "en")
    ('9.30亿元', '9,300.23万元', '8,500元', 'CNY 93.0 million')
    """
    if language == "en":
        return f"CNY {value / 1_000_000:,.1f} million" if abs(value) >= 10_000_000 else f"CNY {value:,.0f}"
    if abs(value) >= 100_000_000:
        return f"{value / 100_000_000:,.2f}亿元"
    return f"{value / 10_000:,.2f}万元" if abs(value) >= 10_000 else f"{value:,.0f}元"


def timestamp(value: Any) -> str:
    return "" if value is None or pd.isna(value) else f"{pd.Timestamp(value):%Y-%m-%d %H:%M}"

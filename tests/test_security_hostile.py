"""Security: hostile data end to end. Names, addresses, item descriptions, ids and case notes carrying
HTML, script, ``javascript:`` links, attribute breakers, ``</script>``, direction overrides,
zero-width characters, a 10,000-character name and spreadsheet formulas
(:mod:`e2e.hostile_extract`) are loaded and detected as any extract is, with the command line; then
every page of the app is walked in real headless Chromium — overview with its graph, queue, the
cases that name the hostile entities with their graphs and tooltips hovered, search, console — and
the queue's Excel and CSV exports are opened with openpyxl and the csv module.

The test fails if any script from the data runs anywhere (a dialog opens, ``document.title`` or a
``window.__pwned`` flag changes in the page or a frame, or the browser asks any other origin for
anything), if the 10,000-character name is shown beyond truncation or widens a page, or if a cell of
an export would run as a formula. Screenshots of each page go to the test's folder.
"""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from e2e.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    ROOT,
    SIGN_IN_NAME,
    press,
    running_app,
    session_cookie,
    settled,
    sign_in,
)
from e2e.fixture_store import PASSWORD
from e2e.hostile_extract import NOTE_PAYLOADS, PWNED, write_hostile_extract

from graph.ladybug_store import LadybugStore
from sunlight.audit import AuditLog
from sunlight.auth import Role, User, UserStore
from sunlight.cases import add_note, assign

pytestmark = [pytest.mark.security, pytest.mark.browser, pytest.mark.slow]

if not CHROMIUM.exists():
    pytest.skip("needs Debian's chromium at /usr/bin/chromium", allow_module_level=True)

ADMIN = "组长王"
#: The longest piece of the 10,000-character name any page may show (names are cut with "…").
LONGEST_SHOWN = 300


def _cli(*args: str, store: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "sunlight.cli", *args, "--store", str(store)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("hostile")
    given = write_hostile_extract(folder / "extract")
    store = folder / "store"
    _cli("load", str(folder / "extract"), store=store)
    _cli("detect", store=store)
    UserStore(store).add(ADMIN, Role.ADMIN, PASSWORD)
    admin = User(ADMIN, Role.ADMIN)
    opened = LadybugStore(store)
    try:
        rows = opened.alerts()
        text = rows["explanation_zh"].fillna("") + rows["title_zh"].fillna("")
        hostile_rows = rows[text.str.contains("PWNED|超长名称|HYPERLINK|evil.example|\u202e", regex=True)]
        cases = list(dict.fromkeys(hostile_rows.sort_values("score", ascending=False)["alert_id"]))[:6]
        for alert_id in cases:
            assign(opened, AuditLog(store), alert_id, ADMIN, admin)
        for note in NOTE_PAYLOADS:
            add_note(opened, AuditLog(store), cases[0], note, admin)
    finally:
        opened.close()
    assert len(cases) >= 3, "the detectors flagged too few of the hostile entities to walk their cases"
    return {"store": store, "given": given, "cases": cases}


@pytest.fixture(scope="module")
def server(hostile: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_app(hostile["store"], tmp_path_factory.mktemp("server") / "streamlit.log") as base:
        yield base


class Watch:
    """Everything a script from the data could do that a test can see."""

    def __init__(self, base: str) -> None:
        self.own = urlsplit(base).netloc
        self.dialogs: list[str] = []
        self.outside: list[str] = []
        self.errors: list[str] = []

    def attach(self, page: Any) -> None:
        def on_dialog(dialog: Any) -> None:
            self.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        def on_request(request: Any) -> None:
            parts = urlsplit(request.url)
            if (
                parts.scheme in ("http", "https", "ws", "wss") and parts.netloc != self.own
            ) or parts.scheme not in ("http", "https", "ws", "wss", "data", "blob", "about"):
                self.outside.append(request.url)

        page.on("dialog", on_dialog)
        page.on("request", on_request)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def check(self, page: Any, where: str) -> None:
        assert self.dialogs == [], f"{where}: a dialog opened: {self.dialogs}"
        assert self.outside == [], f"{where}: the page asked other origins: {self.outside}"
        assert PWNED not in page.title(), f"{where}: document.title changed to {page.title()!r}"
        for frame in page.frames:
            flagged = frame.evaluate("() => window.__pwned === 1 || document.title.includes('PWNED')")
            assert not flagged, f"{where}: a script from the data ran in {frame.url[:80]}"
        # no link from the data leads anywhere: neither to another site nor to a script
        links = page.evaluate(
            "(own) => [...document.querySelectorAll('a[href]')].map(a => a.href)"
            ".filter(h => !h.startsWith(own) && !h.startsWith('about:'))",
            f"http://{self.own}/",
        )
        assert links == [], f"{where}: links out of the app: {links[:5]}"
        # the layout holds: nothing wider than the window, the long name never shown whole
        width = page.evaluate(
            "() => [document.documentElement.scrollWidth, window.innerWidth,"
            " document.querySelector('[data-testid=\"stMain\"]').scrollWidth,"
            " document.querySelector('[data-testid=\"stMain\"]').clientWidth]"
        )
        assert width[0] <= width[1] + 1 and width[2] <= width[3] + 1, f"{where}: the page got wider: {width}"
        for frame in page.frames:
            longest = frame.evaluate(_LONGEST_RUN_JS)
            assert longest <= LONGEST_SHOWN, (
                f"{where}: {longest} characters of the long name shown in {frame.url[:60]}"
            )


# The longest piece of the 10,000-character name that the page shows, in text or in a title or label;
# what is not shown is not counted: a canvas's fallback content (the data grid's table for screen
# readers), a graph's data (JSON in a script element), styles.
_LONGEST_RUN_JS = """() => {
  const piece = /[超长名称有限公司]{16,}/g;
  const longestIn = (text) => Math.max(0, ...(text.match(piece) || []).map(m => m.length));
  let longest = 0;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    if (!walker.currentNode.parentElement.closest('canvas, script, style, title')) {
      longest = Math.max(longest, longestIn(walker.currentNode.textContent));
    }
  }
  for (const el of document.querySelectorAll('[title], [aria-label]')) {
    longest = Math.max(longest, longestIn(el.getAttribute('title') || ''), longestIn(el.getAttribute('aria-label') || ''));
  }
  return longest;
}"""


def _hover_graph(page: Any, most: int = 12) -> int:
    """Move the mouse over the nodes of every graph on the page (where vis-network drew them), as a
    person reading tooltips does; returns how many tooltips appeared."""
    shown = 0
    for frame in page.frames:
        if frame is page.main_frame:
            continue
        spots = frame.evaluate(
            "() => (typeof network === 'undefined' || !network) ? [] :"
            " Object.values(network.getPositions()).map(p => network.canvasToDOM(p))"
        )
        canvas = frame.locator("canvas").first
        if not spots or canvas.count() == 0:
            continue
        canvas.scroll_into_view_if_needed()
        box = canvas.bounding_box()
        if box is None:
            continue
        for spot in spots[:most]:
            x, y = box["x"] + spot["x"], box["y"] + spot["y"]
            if not (box["x"] < x < box["x"] + box["width"] and box["y"] < y < box["y"] + box["height"]):
                continue
            page.mouse.move(x, y)
            tip = frame.locator("div.vis-tooltip")
            try:
                tip.first.wait_for(state="visible", timeout=1_500)
            except Exception:
                continue
            shown += 1
            # a tooltip shows text (innerText: its line breaks become <br>), never markup from the data
            tags = tip.first.evaluate("(el) => [...el.querySelectorAll('*')].map(c => c.tagName)")
            assert set(tags) <= {"BR"}, tip.first.inner_html()[:200]
            page.mouse.move(box["x"] + 2, box["y"] + 2)
    return shown


def test_hostile_names_run_no_script_and_break_no_page(
    hostile: dict[str, Any], server: str, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    watch = Watch(server)
    tooltips = 0
    extra = os.environ.get("SUNLIGHT_SCREENSHOT_DIR")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
            page = context.new_page()
            watch.attach(page)

            def shoot(name: str) -> None:
                page.screenshot(path=str(tmp_path / f"{name}.png"))
                if extra:
                    page.screenshot(path=str(Path(extra) / f"hostile-{name}.png"))

            def visit(url: str, name: str) -> None:
                page.goto(server + url)
                settled(page)
                # a page walked signed out would show nothing from the data and prove nothing
                assert page.get_by_label(SIGN_IN_NAME).count() == 0, f"{name}: signed out"
                watch.check(page, name)
                shoot(name)

            page.goto(server + "/")
            sign_in(page, ADMIN, PASSWORD)
            page.get_by_text("预警总数").wait_for(timeout=180_000)  # the first run after the start
            session_cookie(context, page)  # later visits are new page loads: they need the cookie
            visit("/", "overview")
            tooltips += _hover_graph(page)
            watch.check(page, "overview graph hovered")
            visit("/queue", "queue")
            for n, alert_id in enumerate(hostile["cases"]):
                visit(f"/case?alert={quote(alert_id)}", f"case-{n}")
                tooltips += _hover_graph(page)
                watch.check(page, f"case {alert_id} graph hovered")
            # the case with the notes (its history table lists them)
            visit(f"/case?alert={quote(hostile['cases'][0])}", "case-notes")
            page.get_by_text("处置记录").first.scroll_into_view_if_needed()
            settled(page)
            watch.check(page, "case notes")
            shoot("case-notes-history")
            for n, term in enumerate(("华信科技", "超长名称", "PWNED", "HYPERLINK", "零宽")):
                visit("/search", f"search-{n}")
                box = page.get_by_role("textbox").first
                box.fill(term)
                box.press("Enter")
                settled(page)
                tooltips += _hover_graph(page)
                watch.check(page, f"search {term}")
                shoot(f"search-{n}-found")
            visit("/console", "console")
            press(page, page.get_by_role("button", name=re.compile("运行（只读）|Run")), None)
            settled(page)
            tooltips += _hover_graph(page)
            watch.check(page, "console result")
            page.screenshot(path=str(tmp_path / "console-result.png"))
        finally:
            browser.close()
    assert watch.errors == [], watch.errors
    assert tooltips > 0, "no tooltip was seen: the hovering looked nowhere"


def _queue_exports(server: str, tmp_path: Path) -> tuple[bytes, bytes]:
    """The queue's Excel and CSV files, downloaded as a person does."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(locale="zh-CN", accept_downloads=True).new_page()
            page.goto(server + "/queue")
            sign_in(page, ADMIN, PASSWORD)
            page.get_by_role("heading", name="预警队列").wait_for(timeout=60_000)
            settled(page)
            # Streamlit's own CSV button on tables is off: it would not escape formulas
            assert page.locator('[data-testid="stBaseButton-elementToolbar"][aria-label*="CSV"]').count() == 0
            files = []
            for label in ("导出 Excel", "导出 CSV"):
                with page.expect_download(timeout=60_000) as download:
                    page.get_by_role("button", name=re.compile(f"{label}$")).click()
                target = tmp_path / download.value.suggested_filename
                download.value.save_as(target)
                files.append(target.read_bytes())
        finally:
            browser.close()
    return files[0], files[1]


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def test_the_queue_exports_carry_no_formula_and_no_personal_identifier(
    hostile: dict[str, Any], server: str, tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    xlsx, csv_bytes = _queue_exports(server, tmp_path)
    book = load_workbook(io.BytesIO(xlsx))
    texts: list[str] = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{cell.coordinate} holds a formula: {cell.value!r}"
                if isinstance(cell.value, str):
                    texts.append(cell.value)
                    assert not cell.value.startswith(_FORMULA_START), (
                        f"{cell.coordinate}: {cell.value[:40]!r}"
                    )
    rows = list(csv.reader(io.StringIO(csv_bytes.decode("utf-8-sig"))))
    assert len(rows) > 1
    for row in rows:
        for value in row:
            assert not value.startswith(_FORMULA_START), value[:40]
    shown = "\n".join(texts)
    # the hostile names are there, neutralised, as evidence
    assert "'=HYPERLINK(" in shown and "'+cmd|" in shown
    # and the personal identifiers of the extract are not
    extract = (hostile["store"].parent / "extract" / "employees.csv").read_text(encoding="utf-8")
    employees = list(csv.DictReader(io.StringIO(extract)))
    for person in employees[:40]:
        for field in ("phone", "id_number"):
            value = (person.get(field) or "").strip()
            if len(value) >= 11:
                assert value not in shown, f"{field} of {person['employee_id']} unmasked in the export"

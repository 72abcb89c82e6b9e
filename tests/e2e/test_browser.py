"""End to end: `streamlit run app.py` on a free port against a `sunlight demo` store, driven by real
headless Chromium. It opens the overview, goes to the case of a planted favoured supplier, moves the
case to 核查中, checks the supplier's name and the trail, switches to English — and fails if the page
asks any host but the app's own server for anything.

Screenshots go to the test's temporary folder; with ``SUNLIGHT_SCREENSHOT_DIR`` set they are also
written there, small (palette PNG), which is how ``docs/screenshots`` is refreshed. First-paint times
are printed (and written to ``timings.json`` beside the screenshots), not asserted.
"""

from __future__ import annotations

import csv
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from graph.ladybug_store import LadybugStore
from sunlight.audit import AuditLog

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
INVESTIGATOR = "审计员甲"
SERVER_START_SECONDS = 90

if not CHROMIUM.exists():
    pytest.skip(
        "needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium)", allow_module_level=True
    )


@dataclass(frozen=True)
class Demo:
    store: Path
    supplier_id: str
    supplier_name: str
    alert_id: str


def _planted_favourite(store: Path) -> Demo:
    """The first favoured supplier the generator planted, its name, and the riskiest alert naming it."""
    data = store / "demo-data"
    with (data / "labels.csv").open(encoding="utf-8") as handle:
        planted = [r["entity_id"] for r in csv.DictReader(handle) if r["scheme"] == "favoritism"]
    suppliers = {}
    with (data / "suppliers.csv").open(encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            suppliers[row["supplier_id"]] = row["name"]
    opened = LadybugStore(store, read_only=True)
    try:
        alerts = opened.alerts()
    finally:
        opened.close()
    for supplier_id in (p for p in planted if p in suppliers):
        flagged = alerts[(alerts["entity_type"] == "supplier") & (alerts["entity_id"] == supplier_id)]
        if not flagged.empty:
            best = flagged.sort_values("score", ascending=False).iloc[0]
            return Demo(store, supplier_id, suppliers[supplier_id], str(best["alert_id"]))
    raise AssertionError("the demo flagged none of the suppliers it planted as favoured")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    store = tmp_path_factory.mktemp("e2e") / "store"
    done = subprocess.run(
        [sys.executable, "-m", "sunlight.cli", "--lang", "zh", "demo", "--store", str(store)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return _planted_favourite(store)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def server(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    log = tmp_path_factory.mktemp("server") / "streamlit.log"
    env = {**os.environ, "SUNLIGHT_STORE": str(demo.store), "SUNLIGHT_USER": INVESTIGATOR}
    env.pop("NEO4J_URI", None)
    with log.open("w", encoding="utf-8") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(ROOT / "app.py"),
                "--server.port",
                str(port),
                # a fixed address: Streamlit then neither prints nor looks up an external URL
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while True:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("streamlit did not start:\n" + log.read_text(encoding="utf-8")[-3000:])
            time.sleep(0.5)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def _shoot(page, name: str, folder: Path, top: bool = False) -> Path:
    if top:
        page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollTo(0, 0)")
    target = folder / f"{name}.png"
    page.screenshot(path=str(target), full_page=False)
    extra = os.environ.get("SUNLIGHT_SCREENSHOT_DIR")
    if extra:
        from PIL import Image

        Path(extra).mkdir(parents=True, exist_ok=True)
        with Image.open(target) as image:
            # palette PNGs of UI screens are a quarter of the size and read the same
            image.convert("RGB").quantize(colors=128).save(Path(extra) / f"{name}.png", optimize=True)
    return target


def _choose(page, label: str, option: str, attempts: int = 5) -> None:
    """Pick ``option`` in the select box ``label``, opening its list from the keyboard as a person may.

    A list opened while the page is still re-running can be redrawn closed, so opening is retried.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for _ in range(attempts):
        box = page.get_by_role("combobox", name=label)
        box.focus()
        page.keyboard.press("ArrowDown")
        try:
            page.get_by_role("option", name=option).click(timeout=5_000)
            return
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
    raise AssertionError(f"could not choose {option!r} in {label!r}")


def _settled(page, timeout: float = 60_000) -> None:
    """Wait until the page's script has finished and every drawn graph has laid itself out."""
    page.wait_for_selector('[data-testid="stMain"] h1', timeout=timeout)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stSkeleton\"]')"
        ' && !document.querySelector(\'[data-testid="stStatusWidget"] [data-testid="stSpinner"]\')',
        timeout=timeout,
    )
    from playwright.sync_api import Error as PlaywrightError

    # a re-run may replace a graph's frame while we wait on it: then wait on the new one
    for _ in range(10):
        try:
            for frame in page.frames:
                if frame is not page.main_frame:
                    frame.wait_for_function(
                        "document.body && document.body.dataset.ready === '1'", timeout=timeout
                    )
            return
        except PlaywrightError as exc:
            if "detached" not in str(exc):
                raise
    raise AssertionError("the page kept replacing its graphs")


def _first_paint(page, url: str) -> dict[str, float]:
    """Seconds from navigation until the key figures and heatmap show, and until the graph is drawn."""
    started = time.perf_counter()
    page.goto(url)
    page.get_by_text("预警总数").wait_for(timeout=60_000)
    page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=60_000)
    figures = time.perf_counter() - started
    _settled(page)
    return {
        "figures_and_heatmap_s": round(figures, 3),
        "everything_drawn_s": round(time.perf_counter() - started, 3),
    }


def test_an_investigator_opens_the_overview_then_a_case_and_moves_it(demo: Demo, server: str, tmp_path: Path):
    from playwright.sync_api import sync_playwright

    own_host = urlsplit(server).netloc
    requests: list[str] = []
    timings: dict[str, dict[str, float]] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
            page = context.new_page()
            page.on("request", lambda request: requests.append(request.url))
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))

            # overview: the first visit after the server started pays for imports and the first read
            timings["cold"] = _first_paint(page, server + "/")
            timings["warm"] = _first_paint(page, server + "/")
            assert page.locator("h1").first.inner_text() == "阳光 · 采购廉洁风险预警"
            page.get_by_text("风险热力图：部门 × 风险类别").wait_for(timeout=60_000)
            _shoot(page, "overview-zh", tmp_path)

            # a heatmap cell filters the queue: the riskiest department's first family column
            heatmap = page.locator('[data-testid="stDataFrame"]').first
            box = heatmap.bounding_box()
            assert box is not None
            # the grid is a canvas: department names take a fixed 200 px, a header row and rows are 35 px
            page.mouse.click(box["x"] + 200 + 40, box["y"] + 35 + 17)
            page.get_by_role("heading", name="预警队列").wait_for(timeout=60_000)
            _settled(page)
            caption = page.get_by_text("条预警（总计").first.inner_text()
            shown, total = (int(n) for n in re.findall(r"\d+", caption))
            assert 0 < shown < total

            # the case of the planted favoured supplier, as a link to it opens it
            page.goto(f"{server}/case?alert={demo.alert_id}")
            _settled(page)
            page.get_by_text(demo.supplier_name).first.wait_for(timeout=60_000)
            page.get_by_text("当前状态：待处理").wait_for(timeout=60_000)
            _shoot(page, "case-zh", tmp_path)
            _choose(page, "变更状态为", "核查中")
            page.get_by_role("button", name="确认变更").click()
            page.get_by_text("状态已变更为：核查中").wait_for(timeout=60_000)
            _settled(page)
            page.get_by_text("当前状态：核查中").wait_for(timeout=60_000)
            assert page.get_by_role("textbox", name="当前调查人员").input_value() == INVESTIGATOR
            history = page.locator('[data-testid="stDataFrame"]').last
            history.scroll_into_view_if_needed()
            _shoot(page, "case-history-zh", tmp_path)

            # the same app in English
            page.get_by_text("English", exact=True).click()
            page.get_by_role("heading", name="Threshold that fired").wait_for(timeout=60_000)
            _settled(page)
            page.get_by_text("Status: Reviewing").wait_for(timeout=60_000)
            _shoot(page, "case-en", tmp_path, top=True)
            page.goto(server + "/?lang=en")
            _settled(page)
            assert page.locator("h1").first.inner_text() == "Sunlight · procurement integrity alerts"
            _shoot(page, "overview-en", tmp_path)
            page.goto(server + "/queue?lang=en")
            _settled(page)
            _shoot(page, "queue-en", tmp_path)
        finally:
            browser.close()

    print("first paint on the demo store:", json.dumps(timings))
    extra = os.environ.get("SUNLIGHT_SCREENSHOT_DIR")
    for folder in (tmp_path, Path(extra) if extra else None):
        if folder is not None:
            (folder / "timings.json").write_text(json.dumps(timings, indent=2), encoding="utf-8")

    assert errors == []
    outside = sorted(
        {
            url
            for url in requests
            if urlsplit(url).scheme in ("http", "https", "ws", "wss") and urlsplit(url).netloc != own_host
        }
    )
    assert outside == [], f"the page asked other hosts: {outside}"
    assert not [
        url
        for url in requests
        if urlsplit(url).scheme not in ("http", "https", "ws", "wss", "data", "blob", "about")
    ]

    # the action reached the store and the trail, with who did it
    opened = LadybugStore(demo.store, read_only=True)
    try:
        rows = opened.alerts()
    finally:
        opened.close()
    assert set(rows.loc[rows["alert_id"] == demo.alert_id, "status"]) == {"reviewing"}
    trail = AuditLog(demo.store)
    moves = [e for e in trail.entries() if e["action"] == "case.status"]
    assert [(e["actor"], e["details"]["alert_id"], e["details"]["to"]) for e in moves] == [
        (INVESTIGATOR, demo.alert_id, "reviewing")
    ]
    assert trail.verify() is None
    for name in ("overview-zh", "case-zh", "case-history-zh", "case-en", "overview-en", "queue-en"):
        assert (tmp_path / f"{name}.png").stat().st_size > 20_000

"""End to end: `streamlit run app.py` on a free port against a `sunlight demo` store, driven by real
headless Chromium. An investigator's account is made with ``sunlight.auth`` and the admin gives them
the case of a planted favoured supplier (``sunlight.cases``). In the browser the investigator signs
in, opens the overview, follows a link to that case (signing in again, as a new tab must), looks at
its people unmasked, moves it to 核查中, searches, switches to English, runs a library query and
signs out; the test checks the supplier's name, the store and the trail — and fails if the page asks
any host but the app's own server for anything.

Screenshots go to the test's temporary folder; with ``SUNLIGHT_SCREENSHOT_DIR`` set they are also
written there, small (palette PNG), which is how ``docs/screenshots`` is refreshed (none shows
anything unmasked). First-paint times are printed (and written to ``timings.json`` beside the
screenshots), not asserted.
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
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from graph.ladybug_store import LadybugStore
from sunlight.audit import AuditLog
from sunlight.auth import Role, User, UserStore
from sunlight.cases import assign

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
LEADER = "组长王"
PASSWORD = "阳光演示口令-correct-horse"
SIGN_IN_NAME = re.compile("^(账户名|Account name)$")
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
    found = _planted_favourite(store)
    users = UserStore(store)
    users.add(INVESTIGATOR, Role.INVESTIGATOR, PASSWORD)
    users.add(LEADER, Role.ADMIN, PASSWORD)
    opened = LadybugStore(store)
    try:
        assign(opened, AuditLog(store), found.alert_id, INVESTIGATOR, User(LEADER, Role.ADMIN))
    finally:
        opened.close()
    return found


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _running_app(store: Path, log: Path, **settings: str) -> Iterator[str]:
    """``streamlit run app.py`` on a free port over ``store``, with ``settings`` added to its environment."""
    port = _free_port()
    env = {**os.environ, "SUNLIGHT_STORE": str(store), **settings}
    for name in ("NEO4J_URI", "SUNLIGHT_AUDIT_DIR", "SUNLIGHT_AUTH_CONFIG", "SUNLIGHT_PROXY_SECRET"):
        if name not in settings:
            env.pop(name, None)
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


@pytest.fixture(scope="module")
def server(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with _running_app(demo.store, tmp_path_factory.mktemp("server") / "streamlit.log") as base:
        yield base


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


def _choose(page, label: str, option: str, attempts: int = 3) -> None:
    """Pick ``option`` in the select box ``label`` as a person does: on a settled page, click the box,
    click the option; then wait for the run the choice starts to settle. A list that a late re-run
    redrew closed is opened again (a person would click once more), at most ``attempts`` times."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(attempts):
        _settled(page)
        page.get_by_role("combobox", name=label).click(timeout=30_000)
        try:
            page.get_by_role("option", name=option).click(timeout=15_000)
        except PlaywrightTimeout:
            if attempt == attempts - 1:
                raise
            page.keyboard.press("Escape")
            continue
        _settled(page)
        return


def _press(page, button, result) -> None:
    """Press ``button`` on a settled page and wait for ``result`` (a locator, or ``None``) to show."""
    _settled(page)
    button.click(timeout=30_000)
    if result is not None:
        result.wait_for(timeout=60_000)


# Streamlit keeps the previous run's elements on screen, marked ``data-stale``, while a run is under
# way (the status widget shows its running icon meanwhile), so until then a locator can match an
# old and a new copy of the same button. Settled means: a heading drawn, no running icon, no
# skeleton, no stale element -- for a quiet spell, so that a run about to start is not missed.
_QUIET_FOR_MS = 400
_SETTLED_JS = """(quietMs) => {
  const busy = document.querySelector(
    '[data-testid="stStatusWidgetRunningIcon"], [data-testid="stSkeleton"], [data-stale="true"]');
  if (busy || !document.querySelector('[data-testid="stMain"] h1')) {
    window.__sunlightQuietSince = undefined;
    return false;
  }
  const now = performance.now();
  if (window.__sunlightQuietSince === undefined) window.__sunlightQuietSince = now;
  return now - window.__sunlightQuietSince >= quietMs;
}"""


def _settled(page, timeout: float = 60_000) -> None:
    """Wait until the page's script run has finished and every drawn graph has laid itself out."""
    from playwright.sync_api import Error as PlaywrightError

    page.evaluate("() => { window.__sunlightQuietSince = undefined; }")
    page.wait_for_function(_SETTLED_JS, arg=_QUIET_FOR_MS, timeout=timeout, polling=100)
    # a re-run may replace a graph's frame while we wait on it: then wait on the new one
    for _ in range(10):
        try:
            for frame in page.frames:
                if frame is not page.main_frame:
                    frame.wait_for_function(
                        "() => document.body && document.body.dataset.ready === '1'", timeout=timeout
                    )
            return
        except PlaywrightError as exc:
            if "detached" not in str(exc):
                raise
    raise AssertionError("the page kept replacing its graphs")


def _sign_in(page, name: str = INVESTIGATOR) -> None:
    """Fill the sign-in form a fresh tab shows (in Chinese or English) and submit it."""
    account = page.get_by_label(SIGN_IN_NAME)
    account.wait_for(timeout=60_000)
    _settled(page)
    account.fill(name)
    page.get_by_label(re.compile("^(密码|Password)$")).fill(PASSWORD)
    # the button's name carries its icon's ligature as well ("login 登录")
    page.get_by_role("button", name=re.compile("登录|Sign in")).click()


def _open(page, url: str) -> None:
    """Go to ``url`` as a new visit does: sign in, then wait for the page it leads to."""
    page.goto(url)
    _sign_in(page)
    page.get_by_label(SIGN_IN_NAME).wait_for(state="detached", timeout=60_000)
    _settled(page)


def _first_paint(page, url: str) -> dict[str, float]:
    """Seconds from navigation (through signing in) until the key figures and heatmap show, and until
    the graph is drawn."""
    started = time.perf_counter()
    page.goto(url)
    _sign_in(page)
    page.get_by_text("预警总数").wait_for(timeout=60_000)
    page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=60_000)
    figures = time.perf_counter() - started
    _settled(page)
    return {
        "figures_and_heatmap_s": round(figures, 3),
        "everything_drawn_s": round(time.perf_counter() - started, 3),
    }


def _scroll_to(page, text: str) -> None:
    page.get_by_text(text, exact=True).first.scroll_into_view_if_needed()
    _settled(page)


def test_an_investigator_signs_in_opens_a_case_looks_unmasked_and_moves_it(
    demo: Demo, server: str, tmp_path: Path
):
    from playwright.sync_api import sync_playwright

    own_host = urlsplit(server).netloc
    requests: list[str] = []
    timings: dict[str, dict[str, float]] = {}
    shots: list[str] = []

    def shoot(name: str, top: bool = False) -> None:
        _shoot(page, name, tmp_path, top=top)
        shots.append(name)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
            page = context.new_page()
            page.on("request", lambda request: requests.append(request.url))
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))

            # nothing but the sign-in form before signing in; a wrong password is refused
            page.goto(server + "/")
            page.get_by_label(SIGN_IN_NAME).wait_for(timeout=60_000)
            assert page.get_by_text("预警总数").count() == 0
            page.get_by_label(SIGN_IN_NAME).fill(INVESTIGATOR)
            page.get_by_label("密码").fill("not the password at all")
            page.get_by_role("button", name=re.compile("登录")).click()
            page.get_by_text("账户名或密码错误。").wait_for(timeout=60_000)
            shoot("signin-zh")

            # overview: the first visit after the server started pays for imports and the first read
            timings["cold"] = _first_paint(page, server + "/")
            timings["warm"] = _first_paint(page, server + "/")
            assert page.locator("h1").first.inner_text() == "阳光 · 采购廉洁风险预警"
            page.get_by_text("当前用户：审计员甲（调查人员）").wait_for(timeout=60_000)
            page.get_by_text("风险热力图：部门 × 风险类别").wait_for(timeout=60_000)
            shoot("overview-zh")
            _scroll_to(page, "最高风险关系网络")
            shoot("overview-network-zh")

            # a heatmap cell filters the queue: the riskiest department's first family column
            page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollTo(0, 0)")
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

            # a link to the case of the planted favoured supplier opens it once signed in (a new visit)
            _open(page, f"{server}/case?alert={demo.alert_id}")
            page.get_by_text(demo.supplier_name).first.wait_for(timeout=60_000)
            page.get_by_text("当前状态：待处理").wait_for(timeout=60_000)
            shoot("case-zh")
            _scroll_to(page, "证据关系图")
            shoot("case-graph-zh")

            # the case is theirs and active: its people may be seen unmasked, once, on the record
            page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollTo(0, 0)")
            _press(
                page,
                page.get_by_role("button", name=re.compile("显示未脱敏信息")),
                page.get_by_text("正在显示未脱敏的个人信息"),
            )
            _settled(page)
            _press(page, page.get_by_role("button", name=re.compile("恢复脱敏")), None)
            page.get_by_text("正在显示未脱敏的个人信息").wait_for(state="detached", timeout=60_000)
            _settled(page)

            _choose(page, "变更状态为", "核查中")
            _press(
                page, page.get_by_role("button", name="确认变更"), page.get_by_text("状态已变更为：核查中")
            )
            _settled(page)
            page.get_by_text("当前状态：核查中").wait_for(timeout=60_000)
            history = page.locator('[data-testid="stDataFrame"]').last
            history.scroll_into_view_if_needed()
            shoot("case-history-zh")

            # the same case in English
            _press(page, page.get_by_text("English", exact=True), None)
            page.get_by_role("heading", name="Threshold that fired").wait_for(timeout=60_000)
            _settled(page)
            page.get_by_text("Status: Reviewing").wait_for(timeout=60_000)
            shoot("case-en", top=True)

            # entity search: the favoured supplier by name
            _open(page, server + "/search")
            page.get_by_role("textbox", name="姓名或名称（汉字或拼音）、编号、手机号或身份证号").fill(
                demo.supplier_name
            )
            page.keyboard.press("Enter")
            page.get_by_text(f"关系网络：{demo.supplier_name}").wait_for(timeout=60_000)
            _settled(page)
            shoot("search-zh")

            # English from a link: the sign-in form, then the pages, speak English
            _open(page, server + "/?lang=en")
            assert page.locator("h1").first.inner_text() == "Sunlight · procurement integrity alerts"
            shoot("overview-en")
            _open(page, server + "/queue?lang=en")
            shoot("queue-en")
            _open(page, server + "/console?lang=en")
            # the library is longer than the open list shows: type to narrow it, as a person would
            query_box = page.get_by_role("combobox", name="Query")
            query_box.click()
            page.keyboard.type("staff_supplier_shared")
            page.get_by_role("option", name=re.compile(r"\(staff_supplier_shared_identifiers\)")).click()
            # the parameter form belongs to the query chosen: wait for it before pressing its button
            page.get_by_text("Employees and suppliers registered with the same phone number").wait_for(
                timeout=60_000
            )
            _settled(page)
            _press(
                page,
                page.get_by_role("button", name=re.compile("Run \\(read-only\\)")),
                page.get_by_role("heading", name="Entities in the result and their ties"),
            )
            _settled(page)
            _scroll_to(page, "Entities in the result and their ties")
            shoot("console-en")

            _press(
                page, page.get_by_role("button", name=re.compile("Sign out")), page.get_by_text("Signed out.")
            )
            _settled(page)
            assert page.get_by_label(SIGN_IN_NAME).count() == 1
        finally:
            browser.close()

    print("first paint on the demo store (sign-in included):", json.dumps(timings))
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
    entries = trail.entries()
    about_the_case = [
        (e["action"], e["actor"])
        for e in entries
        if e["action"].startswith(("case.", "privacy.")) and demo.alert_id in json.dumps(e["details"])
    ]
    assert about_the_case == [
        ("case.assign", LEADER),
        ("privacy.unmask", INVESTIGATOR),
        ("case.status", INVESTIGATOR),
    ]
    unmask = next(e for e in entries if e["action"] == "privacy.unmask")
    assert unmask["details"]["page"] == "case" and unmask["details"]["fields"]
    sign_ins = [
        (e["action"], e["details"].get("reason"))
        for e in entries
        if e["action"].startswith("auth.") and e["details"].get("mode") == "local"
    ]
    assert sign_ins[0] == ("auth.login_failed", "bad_credentials")
    assert sign_ins[-1] == ("auth.logout", None)
    # one sign-in per visit: the overview twice, the case, the search, and three English pages
    assert [a for a, _ in sign_ins].count("auth.login") == 7
    assert trail.verify() is None
    for name in shots:
        assert (tmp_path / f"{name}.png").stat().st_size > 20_000, name


def test_behind_a_proxy_its_header_signs_in_and_a_request_round_it_is_refused(
    demo: Demo, tmp_path_factory: pytest.TempPathFactory
):
    """The proxy's header reaches the app through a real browser's connection (``st.context.headers``);
    without the proxy's secret the same header is refused."""
    from playwright.sync_api import sync_playwright

    folder = tmp_path_factory.mktemp("proxy")
    config = folder / "auth.yaml"
    config.write_text(
        "mode: proxy\n"
        "proxy:\n"
        "  user_header: X-Remote-User\n"
        "  secret_header: X-Sunlight-Proxy\n"
        "  users: {zhangwei: investigator}\n",
        encoding="utf-8",
    )
    secret = "a-secret-only-the-proxy-knows"
    settings = {"SUNLIGHT_AUTH_CONFIG": str(config), "SUNLIGHT_PROXY_SECRET": secret}
    with _running_app(demo.store, folder / "streamlit.log", **settings) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            through_proxy = browser.new_context(
                locale="zh-CN",
                extra_http_headers={"X-Remote-User": "zhangwei", "X-Sunlight-Proxy": secret},
            )
            page = through_proxy.new_page()
            page.goto(base + "/")
            page.get_by_text("预警总数").wait_for(timeout=60_000)
            page.get_by_text("当前用户：zhangwei（调查人员）").wait_for(timeout=60_000)
            page.get_by_text("经单位统一认证登录").wait_for(timeout=60_000)
            # signing out is the proxy's business, and there is no password form
            assert page.get_by_role("button", name=re.compile("退出登录")).count() == 0
            assert page.get_by_label(SIGN_IN_NAME).count() == 0

            round_the_proxy = browser.new_context(
                locale="zh-CN", extra_http_headers={"X-Remote-User": "zhangwei"}
            )
            page = round_the_proxy.new_page()
            page.goto(base + "/")
            page.get_by_text("此请求未经过单位统一认证入口，已拒绝。").wait_for(timeout=60_000)
            assert page.get_by_text("预警总数").count() == 0
        finally:
            browser.close()
    proxied = [e for e in AuditLog(demo.store).entries() if e["details"].get("mode") == "proxy"]
    assert [(e["action"], e["actor"], e["details"].get("reason")) for e in proxied] == [
        ("auth.login", "zhangwei", None),
        ("auth.login_failed", "zhangwei", "not_from_proxy"),
    ]

"""End to end: `streamlit run app.py` on a free port against a `sunlight demo` store, driven by real
headless Chromium. An investigator's account is made with ``sunlight.auth`` and the admin gives them
the case of a planted favoured supplier (``sunlight.cases``). In the browser the investigator signs
in, opens the overview, follows a link to that case (still signed in: the session lasts), looks at
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
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from e2e.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    ROOT,
    SIGN_IN_NAME,
    choose,
    press,
    running_app,
    session_cookie,
    settled,
    sign_in,
)

from graph.ladybug_store import LadybugStore
from sunlight.audit import AuditLog
from sunlight.auth import Role, User, UserStore
from sunlight.cases import assign

pytestmark = [pytest.mark.browser, pytest.mark.slow]

INVESTIGATOR = "审计员甲"
LEADER = "组长王"
PASSWORD = "阳光演示口令-correct-horse"

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


@pytest.fixture(scope="module")
def server(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_app(demo.store, tmp_path_factory.mktemp("server") / "streamlit.log") as base:
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


def _sign_in(page, name: str = INVESTIGATOR) -> None:
    sign_in(page, name, PASSWORD)


def _open(page, url: str) -> None:
    """Go to ``url`` as a new visit (a link, a new tab) does: the session lasts, so no sign-in."""
    page.goto(url)
    settled(page)
    assert page.get_by_label(SIGN_IN_NAME).count() == 0, f"{url} asked to sign in again"


def _first_paint(page, url: str, signing_in: bool) -> dict[str, float]:
    """Seconds from navigation (through signing in, if ``signing_in``) until the key figures and
    heatmap show, and until the graph is drawn."""
    started = time.perf_counter()
    page.goto(url)
    if signing_in:
        _sign_in(page)
    page.get_by_text("预警总数").wait_for(timeout=60_000)
    page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=60_000)
    figures = time.perf_counter() - started
    settled(page)
    return {
        "figures_and_heatmap_s": round(figures, 3),
        "everything_drawn_s": round(time.perf_counter() - started, 3),
    }


def _scroll_to(page, text: str) -> None:
    page.get_by_text(text, exact=True).first.scroll_into_view_if_needed()
    settled(page)


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
            timings["cold"] = _first_paint(page, server + "/", signing_in=True)
            session_cookie(context, page)
            # a reload (F5) keeps the session
            timings["warm"] = _first_paint(page, server + "/", signing_in=False)
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
            settled(page)
            # "共 N 条线索、M 条预警（总计 T 条预警）": the queue lists cases, their alerts inside
            caption = page.get_by_text("条预警（总计").first.inner_text()
            cases, shown, total = (int(n) for n in re.findall(r"\d+", caption))
            assert 0 < cases <= shown < total
            shoot("queue-filtered-zh")

            # a link to the case of the planted favoured supplier opens it, still signed in (a new visit)
            _open(page, f"{server}/case?alert={demo.alert_id}")
            # the name is also in the data grids' hidden accessibility tables: wait for a shown one
            page.get_by_text(demo.supplier_name).filter(visible=True).first.wait_for(timeout=60_000)
            page.get_by_text("当前状态：待处理").wait_for(timeout=60_000)
            shoot("case-zh")
            _scroll_to(page, "证据关系图")
            shoot("case-graph-zh")

            # the case is theirs and active: its people may be seen unmasked, once, on the record
            page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollTo(0, 0)")
            press(
                page,
                page.get_by_role("button", name=re.compile("显示未脱敏信息")),
                page.get_by_text("正在显示未脱敏的个人信息"),
            )
            settled(page)
            press(page, page.get_by_role("button", name=re.compile("恢复脱敏")), None)
            page.get_by_text("正在显示未脱敏的个人信息").wait_for(state="detached", timeout=60_000)
            settled(page)

            choose(page, "变更状态为", "核查中")
            press(page, page.get_by_role("button", name="确认变更"), page.get_by_text("状态已变更为：核查中"))
            settled(page)
            page.get_by_text("当前状态：核查中").wait_for(timeout=60_000)
            history = page.locator('[data-testid="stDataFrame"]').last
            history.scroll_into_view_if_needed()
            shoot("case-history-zh")

            # the same case in English
            press(page, page.get_by_text("English", exact=True), None)
            page.get_by_role("heading", name="Threshold that fired").wait_for(timeout=60_000)
            settled(page)
            page.get_by_text("Status: Reviewing").wait_for(timeout=60_000)
            shoot("case-en", top=True)

            # entity search: the favoured supplier by name
            _open(page, server + "/search")
            page.get_by_role("textbox", name="姓名或名称（汉字或拼音）、编号、手机号或身份证号").fill(
                demo.supplier_name
            )
            page.keyboard.press("Enter")
            page.get_by_text(f"关系网络：{demo.supplier_name}").wait_for(timeout=60_000)
            settled(page)
            shoot("search-zh")

            # English from a link: the sign-in form, then the pages, speak English
            _open(page, server + "/?lang=en")
            assert page.locator("h1").first.inner_text() == "Sunlight · procurement integrity alerts"
            shoot("overview-en")
            _open(page, server + "/queue?lang=en")
            shoot("queue-en")
            _open(page, server + "/queue")
            shoot("queue-zh")
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
            settled(page)
            press(
                page,
                page.get_by_role("button", name=re.compile("Run \\(read-only\\)")),
                page.get_by_role("heading", name="Entities in the result and their ties"),
            )
            settled(page)
            _scroll_to(page, "Entities in the result and their ties")
            shoot("console-en")

            press(
                page, page.get_by_role("button", name=re.compile("Sign out")), page.get_by_text("Signed out.")
            )
            settled(page)
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
    # the alert's case moved, and every alert in it
    case_id = str(rows.loc[rows["alert_id"] == demo.alert_id, "case_id"].iloc[0])
    assert set(rows.loc[rows["case_id"] == case_id, "status"]) == {"reviewing"}
    trail = AuditLog(demo.store)
    entries = trail.entries()
    about_the_case = [
        (e["action"], e["actor"])
        for e in entries
        # each action is requested, then applied: the applied entries tell what happened
        if e["action"].startswith(("case.", "privacy."))
        and e["action"] != "case.request"
        and case_id in json.dumps(e["details"])
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
    # one sign-in for the whole visit: reloads and links kept the session, which the sign-out ended
    assert [a for a, _ in sign_ins].count("auth.login") == 1
    assert [e["action"] for e in entries if e["action"].startswith("auth.session")] == ["auth.session_start"]
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
    with running_app(demo.store, folder / "streamlit.log", **settings) as base, sync_playwright() as pw:
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


def test_the_queue_exports_are_built_when_pressed_and_hold_the_cases(demo: Demo, server: str, tmp_path: Path):
    """The queue's Excel and CSV downloads are built when their button is pressed (not on every run
    of the page): both arrive, cases first, the Excel file a workbook, the CSV with its byte-order mark."""
    import io

    import openpyxl
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(accept_downloads=True, locale="zh-CN").new_page()
            page.goto(server + "/")
            _sign_in(page)
            page.get_by_text("预警总数").wait_for(timeout=60_000)
            _open(page, server + "/queue")
            files = {}
            for kind, label in (("xlsx", "导出 Excel"), ("csv", "导出 CSV")):
                with page.expect_download(timeout=60_000) as download:
                    press(page, page.get_by_role("button", name=re.compile(label)))
                files[kind] = Path(download.value.path()).read_bytes()
                assert download.value.suggested_filename.endswith(f".{kind}")
        finally:
            browser.close()
    sheet = openpyxl.load_workbook(io.BytesIO(files["xlsx"])).active
    assert [c.value for c in sheet[1]][:2] == ["线索编号", "线索风险分"] and sheet.max_row > 1
    text = files["csv"].decode("utf-8")
    assert text.startswith("\ufeff线索编号,线索风险分")
    assert text.count("\n") == sheet.max_row  # the same rows in both

"""``sunlight bench --sessions N``: investigators at once, in real headless Chromium, while a detector run writes.

A freshly started ``streamlit run app.py`` serves a store; ``N`` browser sessions (one isolated
Chromium context each, its own account and cookie) sign in and work through the queue, a case and
the entity search, each several times, while ``sunlight detect`` runs again and again on the same
store in a process of its own (the nightly run). Every page is checked against what the store
holds — the queue's case and alert counts, the case's id and title, the number of search hits —
and for errors (an exception or an error message on the page, a script error in the browser, a
detector run that failed). Page time is from the navigation until the page has settled (its
script run finished, nothing stale or loading left on screen), per page: p50, p95 and the worst.

Re-running the detectors on unchanged data finds the same alerts and cases (one run before the
sessions start makes the store this version's), so what the pages must show does not change while
the run writes; what a page shows while it is being written is exactly what this checks.

Needs Chromium (``/usr/bin/chromium``) and the ``playwright`` package (the ``test`` extra).
Benchmarks are measurements, not tests: nothing here asserts a time.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "SETTLED_JS",
    "Expectations",
    "format_sessions",
    "free_port",
    "prepared_store",
    "run_sessions",
    "running_app",
]

ROOT = Path(__file__).resolve().parents[1]
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
SERVER_START_SECONDS = 90
#: Environment the app must not inherit from whoever starts it.
APP_ENVIRONMENT = ("NEO4J_URI", "SUNLIGHT_AUDIT_DIR", "SUNLIGHT_AUTH_CONFIG", "SUNLIGHT_PROXY_SECRET")

#: A settled page: a heading drawn, no running icon, no skeleton, no stale element, for ``quietMs``.
#: Streamlit keeps the previous run's elements on screen (``data-stale``) while a run is under way.
#: ``window.__sunlightQuietSince`` is when the page last became quiet (``performance.now()``).
SETTLED_JS = """(quietMs) => {
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
QUIET_FOR_MS = 400
#: What a page shows when something went wrong: an exception, an error message.
_ERRORS_ON_PAGE = '[data-testid="stException"], [data-testid="stAlertContentError"]'
_SIGN_IN_NAME = re.compile("^(账户名|Account name)$")
_SIGN_IN_PASSWORD = re.compile("^(密码|Password)$")
PAGE_TIMEOUT_MS = 180_000


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_app(
    store: Path, log: Path, args: Sequence[str] = (), port: int | None = None, **settings: str
) -> Iterator[str]:
    """``streamlit run app.py`` on a free port over ``store``, with ``settings`` added to its environment
    and ``args`` to its command line; yields the base URL and stops the server afterwards."""
    port = port or free_port()
    env = {**os.environ, "SUNLIGHT_STORE": str(store), **settings}
    for name in APP_ENVIRONMENT:
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
                *args,
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
                raise RuntimeError("streamlit did not start:\n" + log.read_text(encoding="utf-8")[-3000:])
            time.sleep(0.5)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


# ---- what the pages must show -------------------------------------------------------------------
@dataclass(frozen=True)
class CaseShown:
    case_id: str
    title: str  # as the page shows it (long runs cut)


@dataclass(frozen=True)
class SearchShown:
    text: str
    hits: int


@dataclass(frozen=True)
class Expectations:
    """What the pages must show, read from the store before the sessions start."""

    queue_caption: str  # the queue's count line with no filter set (Chinese)
    cases: tuple[CaseShown, ...]
    searches: tuple[SearchShown, ...]

    @classmethod
    def of_store(cls, store_path: Path, samples: int = 20, seed: int = 7) -> Expectations:
        from graph.ladybug_store import LadybugStore
        from sunlight.ui import case_views as cv
        from sunlight.ui import viewmodels as vm
        from sunlight.ui.common import shown
        from sunlight.ui.labels import t

        store = LadybugStore(store_path, read_only=True)
        try:
            book = vm.read_alert_book(store)
        finally:
            store.close()
        if book.alerts.empty:
            raise RuntimeError(
                f"the store at {store_path} has no alerts to work on: run sunlight detect first"
            )
        cases = cv.case_frame(book)
        rng = random.Random(seed)
        picked = rng.sample(range(len(cases)), min(samples, len(cases)))
        shown_cases = tuple(
            CaseShown(str(cases.iloc[i]["case_id"]), shown(cv.case_title(book, cases.iloc[i], "zh")))
            for i in picked
        )
        index = vm.SearchIndex(book.snapshot)
        names = list(
            dict.fromkeys(
                book.names[k]
                for ks in book.alerts["entities"]
                for k in ks
                if k.startswith(("supplier:", "employee:")) and book.names.get(k)
            )
        )
        searches = tuple(
            SearchShown(name, len(index.search(name, labels=("Employee", "Supplier", "Person"))))
            for name in rng.sample(names, min(samples, len(names)))
        )
        caption = t("case_count", "zh", n=len(cases), alerts=len(book.alerts), total=len(book.alerts))
        return cls(caption, shown_cases, searches)


# ---- one investigator ------------------------------------------------------------------------------
@dataclass
class SessionLog:
    """What one session saw: seconds per page, and everything that went wrong."""

    name: str
    pages: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)

    def took(self, page: str, seconds: float) -> None:
        self.pages.setdefault(page, []).append(seconds)


def _pattern(*lines: str) -> re.Pattern[str]:
    """Any of ``lines``, with the numbers 997, 998 and 999 in them standing for any number."""
    return re.compile("^(" + "|".join(re.sub("99[789]", r"\\d+", re.escape(line)) for line in lines) + ")$")


async def _settled_seconds(page: Any, started_ms: float) -> float:
    """Wait until ``page`` has settled; seconds from ``started_ms`` (its clock) until it became quiet."""
    await page.evaluate("() => { window.__sunlightQuietSince = undefined; }")
    await page.wait_for_function(SETTLED_JS, arg=QUIET_FOR_MS, timeout=PAGE_TIMEOUT_MS, polling=100)
    quiet_since = await page.evaluate("() => window.__sunlightQuietSince")
    return max(0.0, (float(quiet_since) - started_ms) / 1000)


async def _visit(page: Any, url: str, drawn: str | re.Pattern[str]) -> float:
    """Open ``url`` as a link does; seconds (from the navigation's start) until the text ``drawn`` shows
    and the page has settled. Streamlit shows its running icon only after a moment, so a page busy
    reading the store can look quiet: what it draws last is waited for first."""
    await page.goto(url, timeout=PAGE_TIMEOUT_MS)
    await page.get_by_text(drawn).first.wait_for(timeout=PAGE_TIMEOUT_MS)
    return await _settled_seconds(page, 0.0)  # a new document's clock starts at its navigation


async def _page_errors(page: Any, where: str, log: SessionLog) -> None:
    for element in await page.locator(_ERRORS_ON_PAGE).all():
        log.errors.append(f"{where}: {(await element.inner_text())[:300]}")


async def _work(
    browser: Any,
    base: str,
    account: str,
    password: str,
    expect: Expectations,
    rounds: int,
    seed: int,
    shots: Path | None,
) -> SessionLog:
    from sunlight.ui.labels import t

    queue_drawn = _pattern(t("case_count", "zh", n=998, alerts=999, total=997))
    log = SessionLog(account)
    rng = random.Random(seed)
    context = await browser.new_context(locale="zh-CN")
    page = await context.new_page()
    page.on("pageerror", lambda exc: log.errors.append(f"script error: {exc}"))
    try:
        await page.goto(base, timeout=PAGE_TIMEOUT_MS)
        name_box = page.get_by_label(_SIGN_IN_NAME)
        await name_box.wait_for(timeout=PAGE_TIMEOUT_MS)
        await _settled_seconds(page, 0.0)
        await name_box.fill(account)
        await page.get_by_label(_SIGN_IN_PASSWORD).fill(password)
        started = await page.evaluate("() => performance.now()")
        await page.get_by_role("button", name=re.compile("登录|Sign in")).click()
        await page.get_by_text(t("kpi_alerts", "zh"), exact=True).first.wait_for(timeout=PAGE_TIMEOUT_MS)
        log.took("overview (first paint after sign-in)", await _settled_seconds(page, started))
        await _page_errors(page, "overview", log)
        for _ in range(rounds):
            log.took("queue", await _visit(page, f"{base}/queue", queue_drawn))
            await _page_errors(page, "queue", log)
            main = await page.locator('[data-testid="stMain"]').inner_text()
            if expect.queue_caption not in main:
                log.wrong.append(f"queue: no line {expect.queue_caption!r} in {main[:400]!r}")

            case = rng.choice(expect.cases)
            log.took("case", await _visit(page, f"{base}/case?case={case.case_id}", case.case_id))
            await _page_errors(page, f"case {case.case_id}", log)
            main = await page.locator('[data-testid="stMain"]').inner_text()
            if case.case_id not in main or case.title not in main:
                log.wrong.append(f"case {case.case_id}: id or title {case.title!r} not in {main[:400]!r}")

            search = rng.choice(expect.searches)
            await _visit(page, f"{base}/search", t("search_help", "zh"))
            box = page.get_by_label(t("search_box", "zh"), exact=True)
            await box.fill(search.text)
            started = await page.evaluate("() => performance.now()")
            await box.press("Enter")
            answered = _pattern(t("search_results", "zh", n=999), t("search_none", "zh"))
            await page.get_by_text(answered).first.wait_for(timeout=PAGE_TIMEOUT_MS)
            log.took("search", await _settled_seconds(page, started))
            await _page_errors(page, f"search {search.text}", log)
            wanted = t("search_results", "zh", n=search.hits)
            if await page.get_by_text(wanted, exact=True).count() == 0:
                log.wrong.append(f"search {search.text!r}: no line {wanted!r}")
    except Exception as exc:  # a page that never settled, a missing element: this session's error
        log.errors.append(f"{type(exc).__name__}: {str(exc)[:300]}")
        if shots is not None:
            await page.screenshot(path=str(shots / f"{account}-error.png"), full_page=True)
            (shots / f"{account}-error.txt").write_text(await page.content(), encoding="utf-8")
    finally:
        await context.close()
    return log


async def _all_sessions(
    base: str,
    accounts: Sequence[tuple[str, str]],
    expect: Expectations,
    rounds: int,
    seed: int,
    shots: Path | None = None,
) -> list[SessionLog]:
    from playwright.async_api import async_playwright

    async with async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            return list(
                await asyncio.gather(
                    *(
                        _work(browser, base, name, password, expect, rounds, seed + i, shots)
                        for i, (name, password) in enumerate(accounts)
                    )
                )
            )
        finally:
            await browser.close()


# ---- the nightly run beside them ----------------------------------------------------------------
def _detect(store: Path) -> subprocess.Popen[str]:
    """``sunlight detect`` on ``store``, started (stderr kept)."""
    return subprocess.Popen(
        [sys.executable, "-m", "sunlight.cli", "detect", "--store", str(store)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={k: v for k, v in os.environ.items() if k not in APP_ENVIRONMENT},
    )


@dataclass
class DetectLoop:
    """``sunlight detect`` on the store, again and again until told to stop (in a thread)."""

    store: Path
    runs: list[tuple[float, int, str]] = field(default_factory=list)  # seconds, exit code, stderr tail
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    started: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            began = time.perf_counter()
            process = _detect(self.store)
            self.started.set()
            _, err = process.communicate()
            self.runs.append((time.perf_counter() - began, process.returncode, (err or "")[-500:]))

    def stop(self) -> None:
        """Let the run under way finish, and start no other."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


# ---- the benchmark ----------------------------------------------------------------------------------
def _percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run_sessions(
    store: Path,
    sessions: int = 10,
    rounds: int = 3,
    seed: int = 7,
    write: bool = True,
    log_dir: Path | None = None,
) -> dict[str, Any]:
    """``sessions`` investigators on ``store`` (which must have alerts) at once, with ``sunlight
    detect`` writing meanwhile (``write``); the figures and everything that went wrong, as a dict.

    Adds one investigator account per session (``bench-01`` …) to the store's accounts."""
    from sunlight.auth import Role, UserStore

    if not CHROMIUM.exists():
        raise RuntimeError(f"no Chromium at {CHROMIUM}")
    if write:
        # The detectors of this version first: a store detected by another version may hold other
        # alerts, and what the pages must show is what this version's runs keep writing.
        _, err = (settling := _detect(store)).communicate()
        if settling.returncode != 0:
            raise RuntimeError(f"sunlight detect failed:\n{(err or '')[-3000:]}")
    expect = Expectations.of_store(store, seed=seed)
    users = UserStore(store)
    known = {a.name for a in users.accounts()}
    accounts = []
    for i in range(sessions):
        name, password = f"bench-{i + 1:02d}", secrets.token_urlsafe(18)
        if name in known:
            users.set_password(name, password)
        else:
            users.add(name, Role.INVESTIGATOR, password)
        accounts.append((name, password))
    log_dir = log_dir or store.parent
    writer = DetectLoop(store)
    began = time.perf_counter()
    with running_app(store, log_dir / "bench-sessions-streamlit.log") as base:
        if write:
            writer.start()
            writer.started.wait(timeout=60)
        try:
            logs = asyncio.run(_all_sessions(base, accounts, expect, rounds, seed, log_dir))
        finally:
            writer.stop()
    wall = time.perf_counter() - began
    load_average = os.getloadavg()[1]  # over the last 5 minutes: how busy the machine was meanwhile
    pages: dict[str, list[float]] = {}
    for log in logs:
        for page, seconds in log.pages.items():
            pages.setdefault(page, []).extend(seconds)
    return {
        "sessions": sessions,
        "rounds": rounds,
        "wall_seconds": round(wall, 1),
        "load_average": round(load_average, 1),
        "cpus": os.cpu_count(),
        "pages": {
            page: {
                "count": len(seconds),
                "p50_seconds": round(_percentile(seconds, 0.5), 2),
                "p95_seconds": round(_percentile(seconds, 0.95), 2),
                "max_seconds": round(max(seconds), 2),
            }
            for page, seconds in pages.items()
        },
        "detect_runs": [
            {"seconds": round(seconds, 1), "exit_code": code} for seconds, code, _ in writer.runs
        ],
        "errors": [f"{log.name}: {e}" for log in logs for e in log.errors]
        + [f"sunlight detect exited {code}: {err}" for _, code, err in writer.runs if code != 0],
        "wrong": [f"{log.name}: {w}" for log in logs for w in log.wrong],
    }


def prepared_store(scale: int, seed: int, cache: Path, folder: Path) -> Path:
    """A store at ``folder`` holding the generated dataset of ``scale`` contracts (cached as ``sunlight
    bench`` caches it), loaded and detected once, as the morning after a nightly run finds it."""
    from sunlight.bench import _dataset

    data, _ = _dataset(cache, scale, seed)
    store = folder / "store"
    env = {k: v for k, v in os.environ.items() if k not in APP_ENVIRONMENT}
    for verb in (["load", str(data)], ["detect"]):
        done = subprocess.run(
            [sys.executable, "-m", "sunlight.cli", *verb, "--store", str(store)],
            capture_output=True,
            text=True,
            check=False,
            env=env,
        )
        if done.returncode != 0:
            raise RuntimeError(f"sunlight {verb[0]} failed:\n{done.stderr[-3000:]}")
    return store


def format_sessions(result: dict[str, Any]) -> str:
    lines = [
        f"{result['sessions']} sessions × {result['rounds']} rounds, {result['wall_seconds']} s "
        f"(load average {result['load_average']} on {result['cpus']} CPUs); "
        f"sunlight detect ran {len(result['detect_runs'])} times meanwhile "
        f"({', '.join(str(r['seconds']) + ' s' for r in result['detect_runs'])})",
        f"{'page':<38} {'pages':>6} {'p50 s':>7} {'p95 s':>7} {'max s':>7}",
    ]
    for page, figures in result["pages"].items():
        lines.append(
            f"{page:<38} {figures['count']:>6} {figures['p50_seconds']:>7.2f} "
            f"{figures['p95_seconds']:>7.2f} {figures['max_seconds']:>7.2f}"
        )
    lines.append(f"errors: {len(result['errors'])}, wrong data: {len(result['wrong'])}")
    lines += [f"  error: {e}" for e in result["errors"][:20]]
    lines += [f"  wrong: {w}" for w in result["wrong"][:20]]
    return "\n".join(lines)

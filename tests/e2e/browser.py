"""Driving the real app in real headless Chromium: start ``streamlit run app.py``, wait for a settled
page, sign in, choose, press. Shared by the browser tests (``tests/e2e/test_browser.py``, the security
suite's ``tests/test_security_*.py``).

Streamlit keeps the previous run's elements on screen, marked ``data-stale``, while a run is under
way (its status widget shows a running icon meanwhile), so until then a locator can match an old and
a new copy of the same button, and a press can land on the old one. :func:`settled` waits for a
settled page — a heading drawn, no running icon, no skeleton, no stale element, for a quiet spell —
and every helper here acts only on a settled page.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sunlight.app_bench import CHROMIUM, CHROMIUM_ARGS, free_port, running_app
from sunlight.app_bench import QUIET_FOR_MS as _QUIET_FOR_MS
from sunlight.app_bench import SETTLED_JS as _SETTLED_JS

ROOT = Path(__file__).resolve().parents[2]
SIGN_IN_NAME = re.compile("^(账户名|Account name)$")
SIGN_IN_PASSWORD = re.compile("^(密码|Password)$")

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "ROOT",
    "SIGN_IN_NAME",
    "SIGN_IN_PASSWORD",
    "choose",
    "free_port",
    "press",
    "running_app",
    "session_cookie",
    "settled",
    "sign_in",
]


def settled(page: Any, timeout: float = 60_000) -> None:
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


def press(page: Any, button: Any, result: Any = None) -> None:
    """Press ``button`` on a settled page and wait for ``result`` (a locator, or ``None``) to show."""
    settled(page)
    button.click(timeout=30_000)
    if result is not None:
        result.wait_for(timeout=60_000)


def choose(page: Any, label: str, option: str, attempts: int = 3) -> None:
    """Pick ``option`` in the select box ``label`` as a person does: on a settled page, click the box,
    click the option; then wait for the run the choice starts to settle. A list that a late re-run
    redrew closed is opened again (a person would click once more), at most ``attempts`` times."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(attempts):
        settled(page)
        page.get_by_role("combobox", name=label).click(timeout=30_000)
        try:
            page.get_by_role("option", name=option).click(timeout=15_000)
        except PlaywrightTimeout:
            if attempt == attempts - 1:
                raise
            page.keyboard.press("Escape")
            continue
        settled(page)
        return


def sign_in(page: Any, name: str, password: str) -> None:
    """Fill the sign-in form a fresh tab shows (in Chinese or English) and submit it."""
    account = page.get_by_label(SIGN_IN_NAME)
    account.wait_for(timeout=60_000)
    settled(page)
    account.fill(name)
    page.get_by_label(SIGN_IN_PASSWORD).fill(password)
    # the button's name carries its icon's ligature as well ("login 登录")
    page.get_by_role("button", name=re.compile("登录|Sign in")).click()


def session_cookie(context: Any, page: Any) -> dict[str, Any]:
    """The app's session cookie, once the page has fetched it (it does so right after signing in)."""
    page.wait_for_function(
        "() => performance.getEntriesByType('resource').some(e => e.name.includes('/_sunlight/session'))",
        timeout=30_000,
    )
    cookies = {c["name"]: c for c in context.cookies()}
    assert "sunlight_session" in cookies, sorted(cookies)
    return cookies["sunlight_session"]

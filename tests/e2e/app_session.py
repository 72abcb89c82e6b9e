"""Driving the app in Streamlit's AppTest as a person does: open it, sign in, go to a page.

Shared by the ``tests/test_app_*.py`` suites; the store and its accounts come from
:mod:`e2e.fixture_store`.
"""

from __future__ import annotations

from pathlib import Path

from e2e.fixture_store import PASSWORD
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")
CASE = "sunlight/ui/pages/case.py"
QUEUE = "sunlight/ui/pages/queue.py"
SEARCH = "sunlight/ui/pages/search.py"
CONSOLE = "sunlight/ui/pages/console.py"
_NAME_LABELS = {"账户名", "Account name"}


def sign_in(at: AppTest, name: str, password: str = PASSWORD) -> AppTest:
    """Fill the sign-in form (in whichever language it shows) and submit it."""
    next(w for w in at.text_input if w.label in _NAME_LABELS).input(name)
    next(w for w in at.text_input if w.label in {"密码", "Password"}).input(password)
    next(b for b in at.button if b.label in {"登录", "Sign in"}).click().run()
    return at


def open_app(name: str | None, page: str | None = None, **query: str) -> AppTest:
    """The app as ``name`` sees it after signing in (``None``: not signed in), on ``page`` with ``query``."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    if name is not None:
        sign_in(at, name)
        assert not at.exception, [e.value for e in at.exception]
        assert not [w for w in at.text_input if w.label in _NAME_LABELS], [e.value for e in at.error]
    if page is not None:
        at.switch_page(page)
        for key, value in query.items():
            at.query_params[key] = value
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at

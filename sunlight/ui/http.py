"""What the app answers over plain HTTP beside Streamlit: security headers and the session cookie.

``app.py`` hands :func:`routes` and :func:`middleware` to Streamlit's ASGI app (``streamlit.starlette.App``),
which ``streamlit run app.py`` serves as before.

* :class:`SecurityHeaders` puts on every HTTP answer (Streamlit's page, its scripts, its health check,
  ours) what a review of an intranet tool expects: a Content-Security-Policy that lets the page load
  nothing from any other origin and run only its own scripts (:data:`APP_POLICY`; the graph frames'
  inline scripts are allowed by their SHA-256 only, :func:`sunlight.drawing.graph_script_hashes`),
  ``Referrer-Policy: no-referrer``, ``X-Content-Type-Options: nosniff``, framing by the app itself only,
  and no caching of the session route.
* ``GET /_sunlight/session?ticket=…`` exchanges a single-use ticket from a sign-in
  (:func:`sunlight.sessions.issue_ticket`) for the ``HttpOnly``, ``SameSite=Strict`` session cookie, and
  answers with a one-pixel image (the page asks for it as an image). An unknown or used ticket gets 404
  and no cookie.

This module does not import Streamlit's page API: it runs in the server, outside any page run.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from sunlight.drawing import graph_script_hashes
from sunlight.sessions import COOKIE_NAME, redeem_ticket

__all__ = [
    "APP_POLICY",
    "SECURITY_HEADERS",
    "SESSION_ROUTE",
    "SecurityHeaders",
    "middleware",
    "routes",
    "session_cookie_header",
    "session_url",
]

SESSION_ROUTE = "/_sunlight/session"


def _page_script_hashes() -> tuple[str, ...]:
    """Hashes of the inline scripts in Streamlit's own page (index.html), read from the installed
    Streamlit so that an upgrade cannot leave its page blocked."""
    import streamlit

    page = (Path(streamlit.__file__).parent / "static" / "index.html").read_text(encoding="utf-8")
    inline = re.findall(r"<script>(.*?)</script>", page, flags=re.DOTALL)
    return tuple(
        "sha256-" + base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode("ascii")
        for body in inline
    )


#: The page may load and connect to its own server only; scripts are the server's files, the inline
#: scripts of Streamlit's page and of the graph frames (by hash); styles may be inline (Streamlit
#: writes its styles at run time).
APP_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' " + " ".join(f"'{h}'" for h in (*_page_script_hashes(), *graph_script_hashes())),
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "frame-src 'self'",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    ]
)

SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": APP_POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}

_PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class SecurityHeaders:
    """ASGI middleware: :data:`SECURITY_HEADERS` on every HTTP answer that does not set them itself."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [
                    (name.lower().encode("latin-1"), value.encode("latin-1"))
                    for name, value in SECURITY_HEADERS.items()
                    if name.lower().encode("latin-1") not in present
                ]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def session_cookie_header(value: str, secure: bool, path: str = "/") -> str:
    """The ``Set-Cookie`` value of the session cookie: no script reads it, no other site sends it,
    and it lasts as long as the browser (the server ends it sooner: idle time, sign-out).

    >>> session_cookie_header("v1.ab.cd", secure=False)
    'sunlight_session=v1.ab.cd; Path=/; HttpOnly; SameSite=Strict'
    """
    return f"{COOKIE_NAME}={value}; Path={path}{'; Secure' if secure else ''}; HttpOnly; SameSite=Strict"


def _base_path() -> str:
    from streamlit import config

    base = str(config.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}" if base else ""


def session_url(ticket: str) -> str:
    """Where the page fetches the session cookie for ``ticket`` (under ``server.baseUrlPath``)."""
    from urllib.parse import quote

    return f"{_base_path()}{SESSION_ROUTE}?ticket={quote(ticket)}"


def routes() -> list[Any]:
    """Starlette routes of the app's own (mounted under ``server.baseUrlPath``)."""
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    base = _base_path()

    async def session(request: Request) -> Response:
        value = redeem_ticket(request.query_params.get("ticket", ""))
        headers = {"Cache-Control": "no-store"}
        if value is None:
            return Response(status_code=404, headers=headers)
        forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
        secure = request.url.scheme == "https" or forwarded == "https"
        headers["Set-Cookie"] = session_cookie_header(value, secure=secure, path=base or "/")
        return Response(_PIXEL, media_type="image/gif", headers=headers)

    return [Route(base + SESSION_ROUTE, session, methods=["GET"])]


def middleware() -> list[Any]:
    from starlette.middleware import Middleware

    return [Middleware(SecurityHeaders)]

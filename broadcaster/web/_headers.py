"""Hardening headers on every answer (ASGI middleware).

The web UI loads nothing but its own stylesheet and audio from ``/media/``: no script, no
inline style, no frame. The Content-Security-Policy says exactly that, so an injected tag
could neither run nor load anything; ``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``
keep the pages out of other sites' frames (clickjacking); ``nosniff`` stops browsers from
guessing a type other than the one sent; the Referrer-Policy keeps page addresses to this
site. Signed-in pages are never stored by a shared cache.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; media-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
)
UI_PREFIX = "/ui/"
STATIC_PREFIX = "/ui/static/"


class SecurityHeaders:
    """Add :data:`HEADERS` to every HTTP answer (keeping any the app set itself), and
    ``Cache-Control: no-store`` to the UI's pages unless they set their own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        private = path.startswith(UI_PREFIX) and not path.startswith(STATIC_PREFIX)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in HEADERS if name not in present]
                if private and b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)

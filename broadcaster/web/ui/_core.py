"""Sessions, CSRF, roles and page rendering of the web UI.

The session is a cookie signed with ``itsdangerous`` (secret: HOME/ui-secret, made once, mode
0600) holding the user id, the user's session version and a per-session CSRF token; it is
HttpOnly, SameSite=Lax, and Secure whenever the request came over HTTPS. Every POST must carry
the token as the form field ``csrf``: a form without it is refused with 403.

Sign-out, a password change and a role change raise ``users.session_version``: every session
signed with the old value ends at its next request, on every device.
"""

from __future__ import annotations

import hmac
import os
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import Path as PathParam
from itsdangerous import BadSignature, URLSafeTimedSerializer
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from broadcaster.app import App
from broadcaster.audit import log_event
from broadcaster.domain.labels import shorts
from broadcaster.domain.vocabulary import Role
from broadcaster.errors import InputError, NotFound
from broadcaster.localtime import EARLIEST, LATEST, LOCAL
from broadcaster.users import Operator, get_operator
from broadcaster.web._limits import Lockout, PasswordPool, SigninGuard

COOKIE = "broadcaster_ui"
MAX_AGE_S = 12 * 3600
SECRET_FILE = "ui-secret"
T = TypeVar("T")

ROLE_NAMES = shorts(Role)
REFUSED_ACTION = "bị từ chối"   # the audit log's action for a refused change
ID_MAX = 2**31 - 1   # ids and numbers are INTEGER columns
# A row id or a number in a page's path: anything else is answered 422 before the page runs.
Id = Annotated[int, PathParam(ge=1, le=ID_MAX)]


def form_time(value: object, what: str) -> datetime:
    """A local date and time from a form field (``2026-11-27T07:00``), in the zone of the
    operators and within the years :data:`~broadcaster.localtime.EARLIEST` to ``LATEST``;
    otherwise an InputError in Vietnamese naming the field."""
    text = str(value).strip()
    try:
        moment = datetime.fromisoformat(text).replace(tzinfo=LOCAL)
        inside = EARLIEST <= moment.astimezone(UTC) < LATEST
    except (ValueError, OverflowError):
        inside = False
    if not inside:
        raise InputError(f"{what} {text[:40]!r} không hợp lệ: chọn ngày giờ từ năm "
                         f"{EARLIEST.year} đến {LATEST.year - 1}")
    return moment


def form_int(value: object, what: str, low: int = 1, high: int = ID_MAX) -> int:
    """A whole number from a form field, between ``low`` and ``high``; otherwise an
    InputError in Vietnamese naming the field."""
    text = str(value).strip()
    if not text.isascii() or not text.lstrip("-").isdigit() or len(text) > 12 \
            or not low <= int(text) <= high:
        raise InputError(f"{what} phải là một số nguyên từ {low} đến {high}, không phải "
                         f"{text[:40]!r}")
    return int(text)


class Refused(Exception):
    """A request the UI answers with a page (403, 404) or a redirect (303 to sign-in)."""

    def __init__(self, status: int, message: str, location: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.location = status, message, location


class Forbidden(Refused):
    """403: ``user`` may not change this (a Vietnamese sentence saying why); the refusal is
    written to the audit log as "bị từ chối", with ``subject`` (default: the path)."""

    def __init__(self, user: Operator, message: str, subject: str = "") -> None:
        super().__init__(403, message)
        self.user, self.subject = user, subject


def load_secret(home: Path) -> str:
    """The signing secret in HOME/ui-secret, generated on first use (mode 0600)."""
    path = home / SECRET_FILE
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        home.mkdir(parents=True, exist_ok=True)
        secret = secrets.token_urlsafe(48)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            return path.read_text(encoding="ascii").strip()
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secret + "\n")
        return secret


class UI:
    """What every page needs: the app, the templates, the session signer, sign-in limits."""

    def __init__(self, app: App, guard: SigninGuard | None = None) -> None:
        self.app = app
        self.guard = guard or SigninGuard(Lockout(), Lockout(free=20), PasswordPool())
        self.signer = URLSafeTimedSerializer(load_secret(app.config.home),
                                             salt="broadcaster-ui-session")
        self.templates = Environment(
            loader=FileSystemLoader(Path(__file__).parent / "templates"),
            autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True,
            auto_reload=False)   # the templates are part of the package: no stat per page

    # -- session -------------------------------------------------------------------------

    def session(self, request: Request) -> dict[str, Any]:
        """The signed session of this request (a new one with a fresh CSRF token if none)."""
        cached = getattr(request.state, "ui_session", None)
        if cached is not None:
            return cached
        data: dict[str, Any] = {}
        raw = request.cookies.get(COOKIE)
        if raw:
            try:
                data = dict(self.signer.loads(raw, max_age=MAX_AGE_S))
            except BadSignature:
                data = {}
        if not isinstance(data.get("csrf"), str):
            data = {"csrf": secrets.token_urlsafe(32)}
            request.state.ui_session_dirty = True
        request.state.ui_session = data
        return data

    def start(self, request: Request, user: Operator | None) -> None:
        """Sign in (or out, with None): a new session and a new CSRF token."""
        request.state.ui_session = {"csrf": secrets.token_urlsafe(32)} | (
            {"uid": user.id, "sv": user.session_version} if user is not None else {})
        request.state.ui_session_dirty = True

    def save(self, request: Request, response: Response) -> Response:
        """Set the session cookie when the session is new or changed."""
        if getattr(request.state, "ui_session_dirty", False):
            response.set_cookie(COOKIE, self.signer.dumps(self.session(request)),
                                max_age=MAX_AGE_S, path="/", httponly=True, samesite="lax",
                                secure=request.url.scheme == "https")
        return response

    async def user(self, request: Request) -> Operator:
        """The signed-in user, or a redirect to the sign-in page (also when the session has
        ended: signed out, password or role changed)."""
        data = self.session(request)
        uid = data.get("uid")
        if not isinstance(uid, int):
            raise Refused(303, "Xin mời đăng nhập.", "/ui/dang-nhap")
        try:
            user = await self.call(self._operator, uid)
        except NotFound:
            user = None
        if user is None or data.get("sv") != user.session_version:
            self.start(request, None)
            raise Refused(303, "Phiên đăng nhập đã kết thúc (đã đăng xuất, đổi mật khẩu hoặc "
                               "đổi quyền). Xin mời đăng nhập lại.", "/ui/dang-nhap")
        return user

    def _operator(self, uid: int) -> Operator:
        with self.app.sessions() as session:
            return get_operator(session, uid)

    async def form(self, request: Request) -> FormData:
        """The POSTed form, after checking its CSRF token (403 without a valid one)."""
        form = await request.form()
        for value in form.values():
            text = value.filename or "" if isinstance(value, UploadFile) else value
            if "\x00" in text:
                raise Refused(400, "Biểu mẫu có ký tự không hợp lệ (NUL). Hãy nhập lại.")
        token = form.get("csrf")
        expected = self.session(request).get("csrf", "")
        if not isinstance(token, str) or not token or \
                not hmac.compare_digest(token.encode(), str(expected).encode()):
            raise Refused(403, "Biểu mẫu không hợp lệ hoặc đã hết hạn (thiếu mã chống giả "
                               "mạo CSRF). Hãy tải lại trang và thử lại.")
        return form

    # -- answers -------------------------------------------------------------------------

    async def call(self, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a blocking function (database, speech, publishing) off the event loop."""
        return await run_in_threadpool(func, *args, **kwargs)

    async def audit(self, user: Operator, action: str, subject: str, detail: str = "") -> None:
        """One line in the audit log, by ``user``."""
        await self.call(log_event, self.app.sessions, user.name, action, subject, detail)

    def page(self, request: Request, template: str, user: Operator | None, status: int = 200,
             headers: dict[str, str] | None = None, **context: Any) -> Response:
        """Render ``template`` with the user, the CSRF token and the flash message."""
        session = self.session(request)
        flash = session.pop("flash", None)
        if flash is not None:
            request.state.ui_session_dirty = True
        html = self.templates.get_template(template).render(
            user=user, role_names=ROLE_NAMES, csrf=session["csrf"], flash=flash,
            path=request.url.path, **context)
        return self.save(request, HTMLResponse(html, status, headers=headers))

    def redirect(self, request: Request, location: str, flash: str | None = None) -> Response:
        """303 to ``location`` with a message shown on the next page."""
        if flash:
            self.session(request)["flash"] = flash
            request.state.ui_session_dirty = True
        return self.save(request, RedirectResponse(location, 303))

    def refused(self, request: Request, exc: Refused) -> Response:
        """The answer to a :class:`Refused`."""
        if exc.location:
            return self.redirect(request, exc.location, exc.message)
        return self.page(request, "error.html", None, exc.status, message=exc.message)

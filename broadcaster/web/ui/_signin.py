"""Sign-in and sign-out.

Signing in is limited (see :class:`broadcaster.web.ui._core.SigninGuard`): a user name or a
client address with too many wrong passwords is locked for a while (1 s, then doubling, at
most 15 min) and answered 429 without checking anything; passwords are checked in a small
pool of low-priority threads, and when that pool is full the answer is 503 at once. Neither
a flood of wrong passwords nor a flood of sign-ins can take the memory or the CPU that the
stations' requests need. Every refusal waits a second before it is answered: it costs nothing,
and a script that tries as fast as it is answered tries less often.
"""

from __future__ import annotations

import asyncio
import logging
import math

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from broadcaster.app import App
from broadcaster.audit import record
from broadcaster.db import transaction
from broadcaster.errors import NotFound
from broadcaster.users import (
    Credentials,
    Operator,
    credentials,
    end_sessions,
    get_operator,
    hash_password,
    needs_rehash,
    signed_in,
    verify_password,
)
from broadcaster.web._limits import Busy
from broadcaster.web.ui._core import UI
from broadcaster.web.ui.deps import Pages, SignInForm

log = logging.getLogger(__name__)

MAX_NAME = 64          # users.name is String(64): a longer name is no user
MAX_PASSWORD = 1024    # longer is refused before any hashing
BUSY_RETRY_S = 5
WRONG = "Sai tên đăng nhập hoặc mật khẩu."
LOCKED = "Đăng nhập sai quá nhiều lần. Hãy thử lại sau {seconds} giây."
BUSY = "Máy chủ đang bận kiểm tra các lần đăng nhập khác. Hãy thử lại sau {seconds} giây."


def client_address(request: Request) -> str:
    """The client's address (behind nginx, the one it forwards: see docs/deploy/nginx.md)."""
    return request.client.host if request.client else "-"


router = APIRouter()


@router.get("/")
async def home() -> Response:
    return RedirectResponse("/ui/van-ban", 303)


@router.get("/dang-nhap")
async def signin_page(request: Request, ui: Pages) -> Response:
    return ui.page(request, "signin.html", None, name="")


async def refuse(ui: UI, request: Request, name: str, status: int, error: str,
                 retry_after: float | None = None) -> Response:
    """The sign-in page again with ``error``, after the guard's refusal delay."""
    await asyncio.sleep(ui.guard.refusal_delay_s)
    if retry_after is None:
        return ui.page(request, "signin.html", None, status, name=name, error=error)
    seconds = max(1, math.ceil(retry_after))
    return ui.page(request, "signin.html", None, status, {"Retry-After": str(seconds)},
                   name=name, error=error.format(seconds=seconds))


def check(app: App, name: str) -> Credentials | None:
    """The credentials of user ``name`` (None for no such user)."""
    with app.sessions() as session:
        return credentials(session, name) if len(name) <= MAX_NAME else None


def welcome(app: App, found: Credentials, new_hash: str | None) -> Operator:
    """Sign the user in (storing ``new_hash`` if the password was rehashed) and audit it."""
    with transaction(app.sessions) as session:
        user = signed_in(session, found.user_id, new_hash)
        record(session, user.name, "đăng nhập")
        return user


@router.post("/dang-nhap")
async def signin(request: Request, ui: Pages, form: SignInForm) -> Response:
    name, password = str(form.get("name", "")), str(form.get("password", ""))
    key, address, guard = name[:MAX_NAME], client_address(request), ui.guard
    if wait := guard.locked(key, address):
        return await refuse(ui, request, name, 429, LOCKED, wait)
    if guard.passwords.full():   # refused before any database or hashing work
        return await refuse(ui, request, name, 503, BUSY, BUSY_RETRY_S)
    found = await ui.call(check, ui.app, name)
    try:
        right = len(password) <= MAX_PASSWORD and await guard.passwords.run(
            verify_password, found.password_hash if found else None, password)
        new_hash = await guard.passwords.run(hash_password, password) \
            if right and found and needs_rehash(found.password_hash) else None
    except Busy:
        return await refuse(ui, request, name, 503, BUSY, BUSY_RETRY_S)
    if not right or found is None:
        if locked := guard.failed(key, address):
            log.warning("sign-in: wrong password for %r from %s; locked for %.0f s",
                        key, address, locked)
        return await refuse(ui, request, name, 401, WRONG)
    guard.succeeded(key)
    user = await ui.call(welcome, ui.app, found, new_hash)
    ui.start(request, user)
    return ui.redirect(request, "/ui/van-ban", f"Xin chào {user.name}.")


def sign_out(app: App, uid: int, version: object) -> None:
    """End every session of user ``uid`` signed with ``version`` and audit it."""
    with transaction(app.sessions) as session:
        try:
            current = get_operator(session, uid)
        except NotFound:
            return
        if current.session_version == version:   # an ended session ends nothing more
            end_sessions(session, uid)
            record(session, current.name, "đăng xuất")


@router.post("/dang-xuat")
async def signout(request: Request, ui: Pages, form: SignInForm) -> Response:
    data = ui.session(request)
    if isinstance(data.get("uid"), int):
        await ui.call(sign_out, ui.app, data["uid"], data.get("sv"))
    ui.start(request, None)
    return ui.redirect(request, "/ui/dang-nhap", "Đã đăng xuất.")

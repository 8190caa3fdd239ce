"""Sign-in and sign-out."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from broadcaster.audit import record
from broadcaster.db import transaction
from broadcaster.users import Operator, authenticate
from broadcaster.web.ui._core import UI


def routes(router: APIRouter, ui: UI) -> None:
    """Register the pages of this module."""

    @router.get("/")
    async def home() -> Response:
        return RedirectResponse("/ui/van-ban", 303)

    @router.get("/dang-nhap")
    async def signin_page(request: Request) -> Response:
        return ui.page(request, "signin.html", None, name="")

    @router.post("/dang-nhap")
    async def signin(request: Request) -> Response:
        form = await ui.form(request)
        name, password = str(form.get("name", "")), str(form.get("password", ""))

        def check() -> Operator | None:
            with transaction(ui.app.sessions) as session:
                user = authenticate(session, name, password)
                if user is not None:
                    record(session, user.name, "đăng nhập")
                return user

        user = await ui.call(check)
        if user is None:
            return ui.page(request, "signin.html", None, 401, name=name,
                           error="Sai tên đăng nhập hoặc mật khẩu.")
        ui.start(request, user.id)
        return ui.redirect(request, "/ui/van-ban", f"Xin chào {user.name}.")

    @router.post("/dang-xuat")
    async def signout(request: Request) -> Response:
        await ui.form(request)
        ui.start(request, None)
        return ui.redirect(request, "/ui/dang-nhap", "Đã đăng xuất.")
